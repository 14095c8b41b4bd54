//! The authors' rounding-aware beta (`beta::rounding_aware_beta`, transcribed from their
//! `optimal_para.py`) reproduces their three fixed points, and the defaults of our own
//! recovery variants (`Recovery::default_beta`) stand against a sweep (docs/pasa.md section 5), at
//! n = 512, d = 128, seed 11. Measured RMSE (key means, fp16 stats / absolute, fp32 stats):
//!
//! | bias, amp | default | 0.5 | 0.9 | 0.96875 | 0.99 | 0.999 |
//! |---|---|---|---|---|---|---|
//! | 5, 1 key means | 1.29e-3 | 1.61e-2 | 4.05e-3 | 2.12e-3 | 2.00e-3 | 1.31e-3 |
//! | 5, 1 absolute | 3.34e-3 | 1.28e-2 | 3.99e-3 | 3.34e-3 | 1.50e-2 | 1.61e-1 |
//! | 50, 4 key means | 1.94e-2 | 2.14e-1 | 7.39e-2 | 4.66e-2 | 2.38e-2 | 1.99e-2 |
//! | 50, 4 absolute | 7.38e-2 | 1.90e-1 | 8.19e-2 | 7.38e-2 | 1.58e-1 | 6.62e-1 |
//!
//! Claims: the default is within 1.5x of the sweep minimum (measured 1.0x), and for
//! score-mean recovery beta -> 1 blows the error up (0.999 is 9-48x the default; we ask 4x).
//!
//! docs/pasa.md's section 5 tables are at n = 1024, seed 7, where bias 100 is the row
//! furthest from the minimum; `defaults_at_bias_100_on_the_docs_table` checks that row, and
//! `shifting_matrix_and_amplification_are_exact_in_fp16` the exactness the default's
//! derivation relies on.

use half::f16;
use pasa_core::beta::{
    AUTHORS_BF16_BETA, AUTHORS_FP16_BETA, AUTHORS_SCRIPT_BETA, InputDtype, KEY_MEAN_BETA,
    SCORE_MEAN_BETA, authors_beta, recovery_factor, rounding_aware_beta,
};
use pasa_core::generate::RandomCase;
use pasa_core::round::f64_to_f16;
use pasa_core::steps::shifting_matrix_in_place;
use pasa_core::{
    Algorithm, AttentionParams, ErrorReport, Kernel, PasaError, PasaParams, Precision, Recovery,
    Scalar, attention, reference_attention,
};
use rstest::rstest;

fn rmse(
    inputs: &pasa_core::AttentionInputs,
    reference: &pasa_core::Tensor<f64>,
    recovery: Recovery,
    precision: Precision,
    beta: Option<f64>,
) -> f64 {
    let kernel = Kernel {
        algorithm: Algorithm::Pasa(PasaParams { beta, recovery }),
        precision,
    };
    let out = attention(inputs, &kernel, &AttentionParams::default()).unwrap();
    let e = ErrorReport::compare(&out.out, reference);
    assert!(e.all_finite(), "{recovery:?} beta {beta:?}: {e:?}");
    e.rmse
}

/// RMSE with the default beta, and the smallest RMSE over `sweep`.
fn default_and_best(
    inputs: &pasa_core::AttentionInputs,
    reference: &pasa_core::Tensor<f64>,
    recovery: Recovery,
    precision: Precision,
    sweep: &[f64],
) -> (f64, f64) {
    let default = rmse(inputs, reference, recovery, precision, None);
    let best = sweep
        .iter()
        .map(|&b| rmse(inputs, reference, recovery, precision, Some(b)))
        .fold(f64::INFINITY, f64::min);
    (default, best)
}

#[rstest]
#[case(5.0, 1.0)]
#[case(50.0, 4.0)]
fn default_beta_is_near_the_sweep_minimum(#[case] bias: f64, #[case] amp: f64) {
    let inputs = RandomCase::brief(bias, amp, 11)
        .with_seq(512)
        .inputs()
        .unwrap();
    let reference = reference_attention(&inputs, &AttentionParams::default()).unwrap();
    let sweep = [0.5, 0.9, 0.96875, 0.99, 0.999];
    for (recovery, precision) in [
        (Recovery::RelativeKeyMeans, Precision::ALL_FP16),
        (Recovery::Absolute, Precision::FP16_FP32_STATS),
    ] {
        let (default, best) = default_and_best(&inputs, &reference, recovery, precision, &sweep);
        assert!(
            default <= 1.5 * best,
            "{recovery:?}: default {default} vs best {best}"
        );
        if recovery == Recovery::Absolute {
            let near_one = rmse(&inputs, &reference, recovery, precision, Some(0.999));
            assert!(
                near_one > 4.0 * default,
                "amplification: {near_one} vs {default}"
            );
        }
    }
}

/// docs/pasa.md section 5 at bias 100, amp 4 (n = 1024, seed 7, the doc's sweep betas).
/// Measured: key means (FP16 stats) default 1.20e-2 vs minimum 7.05e-3 at beta 0.999, ratio
/// 1.70, the largest over the doc's rows (5, 1: 1.0; 50, 4: 1.06; 200, 2: every beta >= 0.9
/// exact, which `overflow.rs` checks at n = 512); score-mean recovery with FP32 stats:
/// default 2.55e-2 vs minimum 2.33e-2 at 0.99, ratio 1.09. Asserted: 1.8 and 1.2, the
/// doc's "within 1.8x" and "within 1.2x" (deterministic seeded runs: the margin only
/// absorbs a change in the last digits of the RMSEs).
#[test]
fn defaults_at_bias_100_on_the_docs_table() {
    let inputs = RandomCase::brief(100.0, 4.0, 7).inputs().unwrap();
    let reference = reference_attention(&inputs, &AttentionParams::default()).unwrap();
    let sweep = [0.5, 0.9, 0.9375, 0.96875, 0.99, 0.999, KEY_MEAN_BETA];
    for (recovery, precision, within) in [
        (Recovery::RelativeKeyMeans, Precision::ALL_FP16, 1.8),
        (Recovery::Absolute, Precision::FP16_FP32_STATS, 1.2),
    ] {
        let (default, best) = default_and_best(&inputs, &reference, recovery, precision, &sweep);
        assert!(
            default <= within * best,
            "{recovery:?}: default {default} vs best {best}"
        );
    }
}

/// Number theory, not measurement: with beta = 31/32 the shifting matrix `M = I - gamma 1 1^T`,
/// `gamma = 31 / (32 s)`, has entries `-gamma` (31 times a power of two when `s` is one) and
/// `1 - gamma = (32 s - 31) / (32 s)`, whose numerator fits binary16's 11-bit significand
/// iff `32 s - 31 < 2^11`, i.e. `s <= 64`. So M is exact in FP16 for power-of-two
/// `s <= 64` and not for `s = 128`. The score-mean amplification `beta/(1-beta)` is exactly
/// 31, an FP16 number; the key-mean default `1 - 2^-11` is the largest FP16 below 1.
#[test]
fn shifting_matrix_and_amplification_are_exact_in_fp16() {
    let exact = |s: usize| {
        let mut m = vec![0.0_f64; s * s];
        shifting_matrix_in_place(&mut m, s, SCORE_MEAN_BETA, &Precision::ALL_FP16).unwrap();
        let gamma = SCORE_MEAN_BETA / f64::from(u32::try_from(s).unwrap());
        m.iter().enumerate().all(|(i, &x)| {
            let want = if i % (s + 1) == 0 {
                1.0 - gamma
            } else {
                -gamma
            };
            x.to_bits() == want.to_bits()
        })
    };
    for s in [1, 2, 4, 8, 16, 32, 64] {
        assert!(exact(s), "M not exact in FP16 at s = {s}");
    }
    assert!(!exact(128), "M at s = 128 should round 1 - 31/4096");
    let amplification = recovery_factor(SCORE_MEAN_BETA);
    assert_eq!(amplification.to_bits(), 31.0_f64.to_bits());
    assert_eq!(f64::from(f64_to_f16(31.0)).to_bits(), 31.0_f64.to_bits());
    assert_eq!(
        f64::from(f64_to_f16(KEY_MEAN_BETA)).to_bits(),
        KEY_MEAN_BETA.to_bits()
    );
    let below_one = f64::from(f16::from_bits(f16::ONE.to_bits() - 1));
    assert_eq!(below_one.to_bits(), KEY_MEAN_BETA.to_bits());
}

/// `optimal_para.py`'s `__main__`: starts `1 - 2^-4, 1 - 2^-5, 1 - 2^-6`, N = 128, FP16
/// matrix. Once the FP16-rounded entries of M stop changing, `gamma` is constant and one
/// more step lands on `gamma/(1+gamma)` exactly, so the fixed points are compared bit for
/// bit (our NumPy re-run of the script printed the same three values).
#[rstest]
#[case(1.0 - 1.0 / 16.0, 0.9375)]
#[case(1.0 - 1.0 / 32.0, 0.968_994_140_625)]
#[case(1.0 - 1.0 / 64.0, 0.984_497_070_312_5)]
fn rounding_aware_beta_reproduces_the_authors_fixed_points(
    #[case] start: f64,
    #[case] fixed_point: f64,
) {
    let beta = rounding_aware_beta(start, 128, Scalar::F16).unwrap();
    assert_eq!(
        beta.to_bits(),
        fixed_point.to_bits(),
        "from {start}: {beta}"
    );
    // A fixed point maps to itself.
    let again = rounding_aware_beta(beta, 128, Scalar::F16).unwrap();
    assert_eq!(again.to_bits(), beta.to_bits());
}

/// The constants against the fixed points: 0.9375 exactly; 0.984497 is 0.9844970703125 to
/// 6 decimals; 0.9689939 is 2.4e-7 below 0.968994140625 (not its 7-decimal rounding,
/// 0.9689941: measured, and documented in `beta.rs`).
#[test]
fn authors_constants_are_the_printed_fixed_points() {
    let fixed = |start| rounding_aware_beta(start, 128, Scalar::F16).unwrap();
    assert_eq!(AUTHORS_FP16_BETA.to_bits(), fixed(0.9375).to_bits());
    let bf16_gap = fixed(1.0 - 1.0 / 32.0) - AUTHORS_BF16_BETA;
    assert!(bf16_gap > 2.4e-7 && bf16_gap < 2.5e-7, "{bf16_gap}");
    assert!((AUTHORS_SCRIPT_BETA - fixed(1.0 - 1.0 / 64.0)).abs() < 0.5e-6);
    assert_eq!(
        authors_beta(InputDtype::F16).to_bits(),
        AUTHORS_FP16_BETA.to_bits()
    );
    assert_eq!(
        authors_beta(InputDtype::Bf16).to_bits(),
        AUTHORS_BF16_BETA.to_bits()
    );
    assert_eq!(
        Recovery::RunningAverage
            .default_beta(InputDtype::Bf16)
            .to_bits(),
        AUTHORS_BF16_BETA.to_bits()
    );
}

#[test]
fn rounding_aware_beta_rejects_bad_starts() {
    for start in [0.0, 1.0, -0.5, 2.0, f64::NAN] {
        assert!(
            matches!(
                rounding_aware_beta(start, 128, Scalar::F16),
                Err(PasaError::BetaOutOfRange { .. })
            ),
            "{start}"
        );
    }
    assert!(matches!(
        rounding_aware_beta(0.9, 0, Scalar::F16),
        Err(PasaError::ZeroBlockSize { .. })
    ));
}
