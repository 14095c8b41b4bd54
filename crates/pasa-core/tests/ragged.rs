//! Any sequence length: a short last key block (or query block) never makes a variant
//! overflow where a whole number of blocks does not, and the padding never changes a
//! result.
//!
//! Before the fix, every PASA variant returned NaN at 1040 keys and bias 100: the last key
//! block was zero-padded and the zero keys entered the block mean, so the shift no longer
//! removed the bias and the shifted scores of that block overflowed FP16.
//!
//! Grid: key lengths {1, 2, 77, 127, 129, 290, 1040, 1407} x bias {0, 100, 200, 800} x
//! {causal, not} x {MHA 1/1, GQA 2/1}, each against the nearest multiple of 128. To keep the
//! suite fast the head dimension is 16 and the query length is `min(len, 129)` (still
//! ragged; the key length is what padding acts on, and the query blocks' raggedness is
//! covered by 1, 2, 77, 127 and 129). With d = 16 the scaled scores are about
//! `4 bias^2`: bias 100 (4e4) fits FP16, 200 (1.6e5) and 800 overflow naive FP16, so the
//! grid has both sides of the overflow; bias 100 is the brief's, 200 was added for that
//! reason.

use pasa_core::generate::{BiasProfile, RandomCase, Resonance};
use pasa_core::{
    Algorithm, AttentionParams, ErrorReport, Kernel, PasaParams, Precision, Preset, Recovery,
    attention, reference_attention,
};
use proptest::prelude::*;
use rstest::rstest;

fn case(seq_q: usize, seq_k: usize, bias: f64, gqa: bool, seed: u64) -> RandomCase {
    RandomCase {
        batch: 1,
        heads: if gqa { 2 } else { 1 },
        kv_heads: 1,
        seq_q,
        seq_k,
        head_dim: 16,
        bias_q: bias,
        bias_k: bias,
        amp: 1.0,
        resonance: Resonance::Aligned,
        profile: BiasProfile::Constant,
        seed,
    }
}

/// Whether `preset` gives all-finite outputs on `case`.
fn finite(preset: Preset, case: &RandomCase, causal: bool) -> bool {
    let inputs = case.inputs().unwrap();
    let params = AttentionParams {
        causal,
        ..AttentionParams::default()
    };
    let out = attention(&inputs, &preset.kernel(), &params).unwrap();
    out.out.data().iter().all(|x| x.is_finite())
}

/// The one documented exception: the authors' padding of a sequence shorter than one
/// block is zeros (their script's `if S2 < s2`), which dilute the block mean, so the shift
/// removes only `len/128` of the bias and the shifted scores can overflow where 128 keys
/// do not. Reproduced on purpose (docs/pasa.md); our variants repeat the rows instead.
fn authors_short_sequence(preset: Preset, len: usize) -> bool {
    preset.is_authors() && len < 128
}

#[rstest]
fn ragged_is_finite_where_whole_blocks_are(
    #[values(1, 2, 77, 127, 129, 290, 1040, 1407)] len: usize,
    #[values(0.0, 100.0, 200.0, 800.0)] bias: f64,
) {
    let whole = ((len + 64) / 128).max(1) * 128;
    let seq_q = len.min(129);
    let mut exceptions = Vec::new();
    for causal in [false, true] {
        for gqa in [false, true] {
            let ragged = case(seq_q, len, bias, gqa, 5);
            let reference = case(seq_q.min(whole), whole, bias, gqa, 5);
            for preset in Preset::ALL {
                if preset.kernel().precision.needs_f64() {
                    continue; // exact: finite everywhere, covered by the property below
                }
                if !finite(preset, &reference, causal) {
                    continue;
                }
                let ok = finite(preset, &ragged, causal);
                if authors_short_sequence(preset, len) {
                    if !ok {
                        exceptions.push((preset.name(), causal, gqa));
                    }
                    continue;
                }
                assert!(
                    ok,
                    "{}: finite at {whole} keys but not at {len} (bias {bias}, causal {causal}, gqa {gqa})",
                    preset.name()
                );
            }
        }
    }
    // Measured: the exception occurs at bias 200 for every len < 128 (the diluted shift
    // leaves scores beyond FP16, while 128 keys shift them to ~1e4); at bias 800 `pasa`
    // overflows at 128 keys too (beta 0.9375 leaves 800/16 = 50 of bias in the keys, scores
    // ~4 · 800 · 50 = 1.6e5), so there is nothing to compare; at 0 and 100 nothing
    // overflows. Pinned, so a change of the padding is noticed.
    let expect_exceptions = len < 128 && (150.0..500.0).contains(&bias);
    assert_eq!(
        !exceptions.is_empty(),
        expect_exceptions,
        "len {len}, bias {bias}: {exceptions:?}"
    );
}

fn exact_kernels() -> Vec<Kernel> {
    let mut kernels = vec![Preset::FlashExact.kernel()];
    for recovery in [
        Recovery::RunningAverage,
        Recovery::Absolute,
        Recovery::RelativeToFirstBlock,
        Recovery::RelativeKeyMeans,
    ] {
        kernels.push(Kernel {
            algorithm: Algorithm::Pasa(PasaParams {
                beta: None,
                recovery,
            }),
            precision: Precision::EXACT,
        });
    }
    kernels
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Padding never changes a result: every kernel in f64 equals the f64 reference to
    /// 1e-12 on random ragged shapes, block sizes and masks. The kernels' f64 error is a
    /// few eps times the score magnitude (measured 7e-16 |S|: 1.4e-12 at |S| = 1.9e3, bias
    /// 26, absolute recovery); bias <= 10 keeps |S| <= ~300, so errors stay near 2e-13.
    #[test]
    fn padding_never_changes_a_result(
        seq_q in 1usize..40,
        extra in 0usize..90,
        block_q in 1usize..24,
        block_k in 1usize..40,
        kv_heads in 1usize..3,
        group in 1usize..3,
        causal in any::<bool>(),
        bias in 0.0f64..10.0,
        seed in 0u64..1000,
    ) {
        let seq_k = seq_q + extra;
        let case = RandomCase {
            heads: kv_heads * group,
            kv_heads,
            head_dim: 8,
            ..case(seq_q, seq_k, bias, false, seed)
        };
        let inputs = case.inputs().unwrap();
        let params = AttentionParams { block_q, block_k, causal, scale: None };
        let reference = reference_attention(&inputs, &params).unwrap();
        for kernel in exact_kernels() {
            let out = attention(&inputs, &kernel, &params).unwrap();
            let e = ErrorReport::compare(&out.out, &reference);
            prop_assert!(e.all_finite() && e.max_abs < 1e-12, "{kernel:?}: {e:?}");
        }
    }
}
