//! `overflow_report`: one call giving every variant's overflow and error on the user's
//! Q/K/V, including inputs whose values an FP16 cast overflows (answered, not refused), and
//! `Probe::max_abs_score` staying meaningful when every score overflowed.

use pasa_core::generate::RandomCase;
use pasa_core::round::count_to_f64;
use pasa_core::{
    AttentionParams, ErrorReport, InputDtype, PasaError, Preset, SourceInputs, Tensor, attention,
    overflow_report, reference_attention,
};

fn small(bias: f64, seq: usize) -> RandomCase {
    RandomCase {
        heads: 2,
        kv_heads: 1,
        head_dim: 32,
        ..RandomCase::brief(bias, 2.0, 9).with_seq(seq)
    }
}

/// Bias 120, d = 32: scores ~8.1e4, beyond 65504; 300 keys (ragged).
#[test]
fn every_variant_is_reported_with_its_name() {
    let inputs = small(120.0, 300).inputs().unwrap();
    let params = AttentionParams::default();
    let report = overflow_report(&SourceInputs::from(&inputs), &params).unwrap();
    let names: Vec<&str> = report.variants.iter().map(|v| v.name.as_str()).collect();
    let expected: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(names, expected);
    assert_eq!(report.inputs_beyond_f16, 0);
    let fp16 = report.variant("fp16").unwrap();
    assert!(!fp16.finite && fp16.non_finite > 0 && fp16.score_non_finite > 0);
    // The overflowed scores' magnitude is recomputed in f64 from the same f16 operands:
    // it equals the f64 reference's largest |score| up to f64 rounding.
    assert!(
        (fp16.max_abs_score / report.max_abs_score - 1.0).abs() < 1e-12,
        "{} vs {}",
        fp16.max_abs_score,
        report.max_abs_score
    );
    assert!(report.max_abs_score > 65504.0);
    let base = report.variant("fp32-softmax").unwrap();
    assert!(base.finite && base.rel_rmse < 1e-2);
    // The record's numbers are ErrorReport's, with both relative definitions.
    let reference = reference_attention(&inputs, &params).unwrap();
    let pasa = attention(&inputs, &Preset::Pasa.kernel(), &params).unwrap();
    let e = ErrorReport::compare(&pasa.out, &reference);
    let rec = report.variant("pasa").unwrap();
    assert!(rec.authors);
    assert_eq!(rec.rmse.to_bits(), e.rmse.to_bits());
    assert_eq!(rec.non_finite, e.non_finite);
    let rms = |t: &Tensor<f64>| {
        (t.data().iter().map(|x| x * x).sum::<f64>() / count_to_f64(t.data().len())).sqrt()
    };
    assert!((rec.rel_rmse - e.rmse / rms(&reference)).abs() <= 1e-15 * rec.rel_rmse);
    let v = inputs.v().to_f64();
    assert!((rec.rel_rmse_v - e.rmse / rms(&v)).abs() <= 1e-15 * rec.rel_rmse_v);
    // Serialisable for `xtask validate --json`.
    let json = serde_json::to_string(&report).unwrap();
    assert!(json.contains("\"name\":\"fp16\"") && json.contains("\"rel_rmse_v\""));
}

/// `Probe::max_abs_score` used to skip non-finite scores, reading 0 when all overflowed.
#[test]
fn max_abs_score_survives_a_total_overflow() {
    // Bias 300, d = 32: every score ~5e5.
    let inputs = small(300.0, 64).inputs().unwrap();
    let params = AttentionParams::default();
    let naive = attention(&inputs, &Preset::NaiveFp16.kernel(), &params).unwrap();
    assert_eq!(naive.probe.score_non_finite, naive.probe.scores_seen);
    let exact = attention(&inputs, &Preset::FlashExact.kernel(), &params).unwrap();
    let ratio = naive.probe.max_abs_score / exact.probe.max_abs_score;
    assert!((ratio - 1.0).abs() < 1e-12, "{ratio}");
    assert!(naive.probe.max_abs_score > 4e5);
}

/// An f32 value beyond 65504 is a finding: the report runs, counts it, and the FP16
/// variants show what the cast did; the reference uses the source magnitudes.
#[test]
fn values_beyond_fp16_are_reported_not_refused() {
    let inputs = small(1.0, 40).inputs().unwrap();
    let (mut q, k, v) = (
        inputs.q().to_f64(),
        inputs.k().to_f64(),
        inputs.v().to_f64(),
    );
    q.data_mut()[5] = 70000.0;
    let source = SourceInputs::new(q, k, v, InputDtype::F16).unwrap();
    assert_eq!(source.beyond_f16(), (1, 70000.0));
    let fp16 = source.to_fp16();
    assert!(fp16.q().data()[5].is_infinite());
    let report = overflow_report(&source, &AttentionParams::default()).unwrap();
    assert_eq!(report.inputs_beyond_f16, 1);
    assert!(report.max_abs_input >= 70000.0);
    assert!(report.rms_reference.is_finite());
    let fp16 = report.variant("fp16").unwrap();
    assert!(!fp16.finite, "an infinite query gives non-finite outputs");
    let exact = report.variant("fa-f64").unwrap();
    assert!(
        !exact.finite,
        "f64 kernels read the same overflowed FP16 inputs"
    );
}

#[test]
fn bad_source_inputs_are_typed_errors() {
    let t = |shape: [usize; 4], x: f64| Tensor::filled(shape, x);
    let ok = [1, 2, 4, 8];
    let err = |q, k, v| SourceInputs::new(q, k, v, InputDtype::F16).unwrap_err();
    assert!(matches!(
        err(t(ok, f64::NAN), t(ok, 0.0), t(ok, 0.0)),
        PasaError::NonFiniteInput { name: "q", .. }
    ));
    assert!(matches!(
        err(t(ok, 0.0), t(ok, f64::INFINITY), t(ok, 0.0)),
        PasaError::NonFiniteInput { name: "k", .. }
    ));
    assert!(matches!(
        err(t(ok, 0.0), t([1, 2, 5, 8], 0.0), t(ok, 0.0)),
        PasaError::ShapeMismatch { .. }
    ));
    assert!(matches!(
        err(t([1, 3, 4, 8], 0.0), t(ok, 0.0), t(ok, 0.0)),
        PasaError::HeadsDoNotDivide { .. }
    ));
    assert!(matches!(
        err(t([1, 2, 0, 8], 0.0), t(ok, 0.0), t(ok, 0.0)),
        PasaError::EmptyDimension { what: "seq_q" }
    ));
}
