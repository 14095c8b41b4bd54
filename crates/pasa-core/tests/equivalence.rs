//! Mathematical equivalence: Flash Attention and PASA (every recovery) computed with every
//! stage in f64 equal the f64 reference to 1e-12, including causal masks, GQA, short last
//! blocks and explicit betas. The bound: the reference and the kernels differ only by f64
//! rounding (eps = 1.1e-16) of sums of <= 1024 terms of scores up to ~300, i.e. well below
//! 1e-12 in the outputs (|v| <= 5).

use pasa_core::generate::{BiasProfile, RandomCase, Resonance};
use pasa_core::{
    Algorithm, AttentionParams, ErrorReport, Kernel, PasaParams, Precision, Preset, Recovery,
    attention, reference_attention,
};
use rstest::rstest;

const TOL: f64 = 1e-12;

fn case(seq_q: usize, seq_k: usize, heads: usize, kv_heads: usize, bias: f64) -> RandomCase {
    RandomCase {
        batch: 2,
        heads,
        kv_heads,
        seq_q,
        seq_k,
        head_dim: 32,
        bias_q: bias,
        bias_k: bias,
        amp: 1.0,
        resonance: Resonance::Aligned,
        profile: BiasProfile::Ramp,
        seed: 3,
    }
}

#[rstest]
#[case::mha(case(100, 100, 2, 2, 5.0), false, 32, 32)]
#[case::gqa_causal(case(70, 130, 4, 2, 5.0), true, 16, 32)]
#[case::mqa_short_blocks(case(33, 97, 3, 1, 10.0), false, 8, 40)]
#[case::causal_square(case(96, 96, 2, 1, 2.0), true, 32, 16)]
fn exact_kernels_equal_reference(
    #[case] case: RandomCase,
    #[case] causal: bool,
    #[case] block_q: usize,
    #[case] block_k: usize,
) {
    let inputs = case.inputs().unwrap();
    let params = AttentionParams {
        block_q,
        block_k,
        causal,
        scale: None,
    };
    let reference = reference_attention(&inputs, &params).unwrap();
    let mut kernels = vec![Preset::FlashExact.kernel(), Preset::PasaExact.kernel()];
    for recovery in [
        Recovery::RunningAverage,
        Recovery::Absolute,
        Recovery::RelativeToFirstBlock,
        Recovery::RelativeKeyMeans,
    ] {
        for beta in [None, Some(0.5), Some(0.99)] {
            kernels.push(Kernel {
                algorithm: Algorithm::Pasa(PasaParams { beta, recovery }),
                precision: Precision::EXACT,
            });
        }
    }
    for kernel in kernels {
        let out = attention(&inputs, &kernel, &params).unwrap();
        let e = ErrorReport::compare(&out.out, &reference);
        assert!(e.all_finite(), "{kernel:?}: {e:?}");
        assert!(
            e.max_abs < TOL,
            "{kernel:?}: max abs error {} >= {TOL}",
            e.max_abs
        );
    }
}
