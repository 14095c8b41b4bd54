//! The f64 reference: softmax attention computed row by row in f64 from the f16 inputs.
//!
//! Two-pass softmax (max, then `exp(s - max)`), exact scale, same mask convention as the
//! kernels. Its own error is a few f64 ulps relative, far below any FP16 effect.

use rayon::prelude::*;

use crate::driver::AttentionParams;
use crate::error::PasaError;
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
    let shape = inputs.shape();
    params.validate(&shape)?;
    let scale = params.scale_for(&shape);
    let (q, k, v) = (
        inputs.q().to_f64(),
        inputs.k().to_f64(),
        inputs.v().to_f64(),
    );
    let (d, dv, sk) = (shape.head_dim, shape.value_dim, shape.seq_k);
    let mut out = Tensor::filled(shape.output_shape(), 0.0);
    out.data_mut().par_chunks_mut(dv).enumerate().for_each_init(
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
        },
    );
    Ok(out)
}
