//! The contract with `npu-sim`: a loop that issues the public tile steps in the order
//! `steps.rs` documents reproduces `attention`'s output bit for bit (here for one query
//! block and three key blocks, the last one short, for Flash and every PASA recovery,
//! including the authors' running average with its own steps).

use half::f16;
use pasa_core::generate::{BiasProfile, RandomCase, Resonance};
use pasa_core::matmul::transpose_in_place;
use pasa_core::steps::running_average::{self as authors, RunningRows};
use pasa_core::steps::{self, TileDims};
use pasa_core::{Algorithm, AttentionParams, Kernel, Precision, Preset, Recovery, attention};
use rstest::rstest;

#[allow(clippy::too_many_lines)]
fn manual(
    q16: &[f16],
    k16: &[f16],
    v16: &[f16],
    seq_k: usize,
    kernel: &Kernel,
    beta: Option<f64>,
) -> Vec<f32> {
    let (r, s, d) = (16, 32, 32);
    let prec: Precision = kernel.precision;
    let dims = TileDims {
        rows: r,
        keys: s,
        head_dim: d,
        value_dim: d,
    };
    let scale = 1.0 / 32.0_f64.sqrt();
    let blocks = seq_k.div_ceil(s);
    let mut q = vec![0.0_f32; r * d];
    let recovery = match kernel.algorithm {
        Algorithm::Pasa(p) => Some(p.recovery),
        Algorithm::Flash => None,
    };
    let running = recovery == Some(Recovery::RunningAverage);
    steps::load_tile_in_place(&mut q, q16).unwrap();
    let mut m_shift = vec![0.0_f32; s * s];
    let mut m0 = f32::NEG_INFINITY;
    if running {
        authors::cast_query_in_place(&mut q, &prec);
        let beta = beta.unwrap();
        authors::scaled_shifting_matrix_in_place(&mut m_shift, s, beta, scale, &prec).unwrap();
        m0 = <f32 as pasa_core::Real>::from_f64_rounded(authors::INITIAL_MAX, prec.stats);
    } else {
        steps::scale_query_in_place(&mut q, scale, &prec);
        if let Some(beta) = beta {
            steps::shifting_matrix_in_place(&mut m_shift, s, beta, &prec).unwrap();
        }
    }
    let gamma: f32 = beta.map_or(0.0, |b| authors::recovery_factor(b, &prec));
    let padding = kernel.algorithm.padding();
    let (mut m, mut l, mut alpha) = (vec![m0; r], vec![0.0_f32; r], vec![0.0_f32; r]);
    let mut average = vec![0.0_f32; r];
    let (mut means, mut reference, mut shift) =
        (vec![0.0_f32; r], vec![0.0_f32; r], vec![0.0_f32; r]);
    let (mut o, mut pv, mut scores) = (
        vec![0.0_f32; r * d],
        vec![0.0_f32; r * d],
        vec![0.0_f32; r * s],
    );
    let (mut k0, mut k, mut kp, mut kt, mut v) = (
        vec![0.0_f32; s * d],
        vec![0.0_f32; s * d],
        vec![0.0_f32; s * d],
        vec![0.0_f32; s * d],
        vec![0.0_f32; s * d],
    );
    let mut diff = vec![0.0_f32; d];
    for j in 0..blocks {
        let n = (seq_k - j * s).min(s);
        k.fill(0.0);
        v.fill(0.0);
        steps::load_tile_in_place(&mut k[..n * d], &k16[j * s * d..(j * s + n) * d]).unwrap();
        steps::load_tile_in_place(&mut v[..n * d], &v16[j * s * d..(j * s + n) * d]).unwrap();
        for p in 0..s - n {
            if let Some(src) = padding.source_row(seq_k, s, p) {
                let row = (n + p) * d;
                steps::load_tile_in_place(&mut k[row..row + d], &k16[src * d..(src + 1) * d])
                    .unwrap();
                steps::load_tile_in_place(&mut v[row..row + d], &v16[src * d..(src + 1) * d])
                    .unwrap();
            }
        }
        if j == 0 {
            k0.copy_from_slice(&k);
        }
        let keys = if beta.is_some() {
            steps::shift_keys_in_place(&mut kp, &m_shift, &k, dims, &prec).unwrap();
            &kp
        } else {
            &k
        };
        transpose_in_place(&mut kt, keys, s, d).unwrap();
        let visible = vec![n; r];
        if running {
            authors::shifted_score_tile_in_place(&mut scores, &q, &kt, dims, &prec).unwrap();
            steps::row_mean_in_place(&mut means, &scores, dims, &prec).unwrap();
            authors::mask_padding_in_place(&mut scores, &visible, n, dims, &prec).unwrap();
            let rows = RunningRows {
                m: &mut m,
                l: &mut l,
                average: &mut average,
                keep: &mut alpha,
                take: &mut shift,
            };
            authors::running_average_softmax_in_place(
                &mut scores,
                &means,
                &visible,
                rows,
                j,
                gamma,
                dims,
                &prec,
            )
            .unwrap();
            steps::pv_tile_in_place(&mut pv, &scores, &v, dims, &prec).unwrap();
            authors::merge_output_in_place(&mut o, &alpha, &shift, &pv, j, dims, &prec).unwrap();
            continue;
        }
        steps::score_tile_in_place(&mut scores, &q, &kt, scale, dims, &prec).unwrap();
        // Mask, and for PASA the recovered shift; then the one softmax step.
        let pasa = match (recovery, beta) {
            (None, _) | (_, None) => {
                steps::mask_in_place(&mut scores, &visible, dims).unwrap();
                false
            }
            (Some(Recovery::RelativeKeyMeans), Some(beta)) => {
                steps::key_mean_difference_in_place(&mut diff, &k, &k0, dims, &prec).unwrap();
                steps::mask_in_place(&mut scores, &visible, dims).unwrap();
                steps::recover_shift_from_keys_in_place(
                    &mut shift, &q, &diff, scale, beta, dims, &prec,
                )
                .unwrap();
                true
            }
            (Some(recovery), Some(beta)) => {
                steps::row_mean_in_place(&mut means, &scores, dims, &prec).unwrap();
                steps::mask_in_place(&mut scores, &visible, dims).unwrap();
                if j == 0 {
                    reference.copy_from_slice(&means);
                }
                let reference =
                    (recovery == Recovery::RelativeToFirstBlock).then_some(&reference[..]);
                steps::recover_shift_in_place(&mut shift, &means, reference, beta, &prec).unwrap();
                true
            }
        };
        if pasa {
            steps::pasa_softmax_in_place(
                &mut scores,
                &shift,
                &mut m,
                &mut l,
                &mut alpha,
                dims,
                &prec,
            )
            .unwrap();
        } else {
            steps::flash_softmax_in_place(&mut scores, &mut m, &mut l, &mut alpha, dims, &prec)
                .unwrap();
        }
        steps::pv_tile_in_place(&mut pv, &scores, &v, dims, &prec).unwrap();
        steps::rescale_accumulate_in_place(&mut o, &alpha, &pv, dims, &prec).unwrap();
    }
    steps::finalize_in_place(&mut o, &l, dims, &prec).unwrap();
    o
}

/// Two cases: a bias ramp, where each key block's scores exceed the previous block's, and a
/// constant bias. The ramp alone cannot fail on the softmax step: issuing Flash's softmax in
/// place of PASA's in `manual` gives the same bits there, and differs with a constant bias.
#[rstest]
#[case::ramp(BiasProfile::Ramp)]
#[case::constant(BiasProfile::Constant)]
fn public_steps_reproduce_attention_bit_for_bit(#[case] profile: BiasProfile) {
    let seq_k = 80; // blocks of 32, 32, 16 (padded)
    let inputs = RandomCase {
        batch: 1,
        heads: 1,
        kv_heads: 1,
        seq_q: 16,
        seq_k,
        head_dim: 32,
        bias_q: 30.0,
        bias_k: 30.0,
        amp: 2.0,
        resonance: Resonance::Aligned,
        profile,
        seed: 21,
    }
    .inputs()
    .unwrap();
    let params = AttentionParams {
        block_q: 16,
        block_k: 32,
        causal: false,
        scale: None,
    };
    // Every preset whose working type is f32 (`manual` works in f32; the f64 presets don't).
    let presets: Vec<Preset> = Preset::ALL
        .into_iter()
        .filter(|p| p.kernel().precision != Precision::EXACT)
        .collect();
    assert_eq!(
        presets.len(),
        Preset::ALL.len() - 2,
        "all but the two f64 presets"
    );
    for preset in presets {
        let kernel = preset.kernel();
        let out = attention(&inputs, &kernel, &params).unwrap();
        let beta = out.beta;
        let mine = manual(
            inputs.q().data(),
            inputs.k().data(),
            inputs.v().data(),
            seq_k,
            &kernel,
            beta,
        );
        let theirs: Vec<u64> = out.out.data().iter().map(|x| x.to_bits()).collect();
        let mine: Vec<u64> = mine.iter().map(|&x| f64::from(x).to_bits()).collect();
        assert_eq!(mine, theirs, "{preset:?}");
    }
}
