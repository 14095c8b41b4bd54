//! Real attention inputs: two heads of layer 0 of all-MiniLM-L6-v2 (fixture
//! `tests/fixtures/minilm_layer0_2heads.safetensors`, cut from a 298-token Q/K/V dump of
//! that model: heads 2 and 5, those with the largest |q·k|), with the f32 output stored
//! next to them.

use pasa_core::io::SafetensorsFile;
use pasa_core::{
    AttentionInputs, AttentionParams, ErrorReport, Preset, attention, reference_attention,
};

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/minilm_layer0_2heads.safetensors"
);

fn load() -> (AttentionInputs, pasa_core::Tensor<f64>) {
    let file = SafetensorsFile::open(FIXTURE).unwrap();
    assert_eq!(file.names().unwrap(), ["k", "out", "q", "v"]);
    let t = |n| file.tensor_f16(n).unwrap();
    let inputs = AttentionInputs::new(t("q"), t("k"), t("v")).unwrap();
    (inputs, t("out").to_f64())
}

#[test]
fn reference_matches_the_captured_output() {
    // The captured output was computed in f64 from the f32 q, k, v; ours from their f16
    // roundings. The difference is bounded by the input rounding: |dq|,|dk| <= 2^-11 |q|,|k|
    // moves scores (|q·k|/sqrt(32) <= 74) by <= ~0.07 and outputs by a few 1e-3 (measured
    // max 2.2e-3, RMSE 1.6e-4), plus the f16 rounding of out itself (<= 2^-11 · 2).
    let (inputs, captured) = load();
    let reference = reference_attention(&inputs, &AttentionParams::default()).unwrap();
    let e = ErrorReport::compare(&reference, &captured);
    assert!(e.max_abs < 1e-2, "{e:?}");
}

#[test]
fn fp16_kernels_on_real_data() {
    // Layer 0 scores stay far below 65504 (|S| <= 74 after scaling), so every kernel is
    // finite. Each preset's threshold is its measured RMSE vs the f64 reference x 2 (blocks
    // 64): fp32-softmax 6.6e-5, fp16 5.3e-4, pasa (authors') 7.2e-4, pasa-absolute 1.2e-3,
    // pasa-key-means 5.3e-4. The fp32-softmax bound sits 4x below the FP16 kernels', so an
    // FP16 rounding creeping into its softmax fails it.
    let (inputs, _) = load();
    let params = AttentionParams {
        block_q: 64,
        block_k: 64,
        ..AttentionParams::default()
    };
    let reference = reference_attention(&inputs, &params).unwrap();
    let mut measured = Vec::new();
    for (preset, max_rmse) in [
        (Preset::Fp32Softmax, 1.4e-4),
        (Preset::NaiveFp16, 1.1e-3),
        (Preset::Pasa, 1.5e-3),
        (Preset::PasaAbsolute, 2.4e-3),
        (Preset::PasaKeyMeans, 1.1e-3),
    ] {
        let out = attention(&inputs, &preset.kernel(), &params).unwrap();
        let e = ErrorReport::compare(&out.out, &reference);
        assert!(e.all_finite() && e.rmse < max_rmse, "{preset:?}: {e:?}");
        assert!(
            out.probe.max_abs_score < 100.0,
            "{preset:?}: {:?}",
            out.probe
        );
        measured.push(e.rmse);
    }
    // docs/pasa.md section 7's orderings, measured there on all 6 layers of the full
    // dump, hold on this fixture too: the authors' PASA is 1.1-1.6x naive FP16 (here 1.35x),
    // our absolute recovery is worse than naive (dump 1.7-4.7x, here 2.25x), key-mean
    // recovery within 1.4x of naive (here 1.0x; asserted 1.5x).
    let [_, naive, pasa, absolute, key_means] = measured[..] else {
        unreachable!()
    };
    assert!(
        pasa > naive && pasa < 1.6 * naive,
        "pasa {pasa} vs naive {naive}"
    );
    assert!(absolute > naive, "absolute {absolute} vs naive {naive}");
    assert!(
        key_means < 1.5 * naive,
        "key means {key_means} vs naive {naive}"
    );
}
