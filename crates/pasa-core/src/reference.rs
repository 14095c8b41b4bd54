//! The f64 reference: softmax attention computed row by row in f64 from the f16 inputs (or
//! from the source values, [`reference_from_source`]).
//!
//! Two-pass softmax (max, then `exp(s - max)`), exact scale, same mask convention as the
//! kernels. Its own error is a few f64 ulps relative, far below any FP16 effect.

use rayon::prelude::*;

use crate::driver::AttentionParams;
use crate::error::PasaError;
use crate::source::SourceInputs;
use crate::tensor::{AttentionInputs, Tensor};

/// Softmax attention in f64; the oracle every kernel is compared with.
///
/// # Errors
/// [`PasaError::ZeroBlockSize`], [`PasaError::BlockTooLarge`], [`PasaError::NonFiniteScale`]
/// and [`PasaError::CausalRowsWithoutKeys`] from [`AttentionParams::validate`] (block sizes are
/// otherwise unused here).
pub fn reference_attention(
    inputs: &AttentionInputs,
    params: &AttentionParams,
) -> Result<Tensor<f64>, PasaError> {
    reference_from_source(&SourceInputs::from(inputs), params)
}

/// Softmax attention in f64 on the source values (before any FP16 rounding): the answer
/// the model meant, for inputs whose values an FP16 cast would change or overflow.
///
/// # Errors
/// As [`reference_attention`].
pub fn reference_from_source(
    inputs: &SourceInputs,
    params: &AttentionParams,
) -> Result<Tensor<f64>, PasaError> {
    reference_and_max_score(inputs, params).map(|(out, _)| out)
}

/// [`reference_from_source`] and the largest |score| `scale |q_i . k_j|` over the visible
/// keys, in f64.
pub(crate) fn reference_and_max_score(
    inputs: &SourceInputs,
    params: &AttentionParams,
) -> Result<(Tensor<f64>, f64), PasaError> {
    let shape = inputs.shape();
    params.validate(&shape)?;
    let scale = params.scale_for(&shape);
    let [q, k, v] = inputs.qkv();
    let (d, dv, sk) = (shape.head_dim, shape.value_dim, shape.seq_k);
    let mut out = Tensor::filled(shape.output_shape(), 0.0);
    let max_abs_score = out.data_mut().par_chunks_mut(dv).enumerate().map_init(
        || vec![0.0; sk],
        |scores, (row_idx, orow)| {
            let i = row_idx % shape.seq_q;
            let bh = row_idx / shape.seq_q;
            let (b, h) = (bh / shape.heads, bh % shape.heads);
            let kvh = shape.kv_head_of(h);
            let qrow = &q.head(b, h)[i * d..(i + 1) * d];
            let (kh, vh) = (k.head(b, kvh), v.head(b, kvh));
            let visible = if params.causal {
                i + sk - shape.seq_q + 1
            } else {
                sk
            };
            let scores = &mut scores[..visible];
            for (s, krow) in scores.iter_mut().zip(kh.chunks_exact(d)) {
                *s = scale * qrow.iter().zip(krow).map(|(a, b)| a * b).sum::<f64>();
            }
            let max = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let max_abs = scores.iter().fold(0.0_f64, |m, s| m.max(s.abs()));
            let mut total = 0.0;
            for s in scores.iter_mut() {
                *s = (*s - max).exp();
                total += *s;
            }
            orow.fill(0.0);
            for (&p, vrow) in scores.iter().zip(vh.chunks_exact(dv)) {
                for (o, &x) in orow.iter_mut().zip(vrow) {
                    *o += p * x;
                }
            }
            for o in orow.iter_mut() {
                *o /= total;
            }
            max_abs
        },
    );
    let max_abs_score = max_abs_score.reduce(|| 0.0, f64::max);
    Ok((out, max_abs_score))
}
