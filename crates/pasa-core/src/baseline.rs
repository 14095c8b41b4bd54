//! A plain f32 Flash Attention (no emulated rounding), the speed baseline of the bench.
//!
//! Same blocking and online softmax as the emulated kernels, in native f32 (the tile
//! products are `matmul_in_place` with an f32 accumulator and f32 output, where every
//! rounding call is a no-op; exp is `f32::exp`); used to report the emulation's cost as a
//! ratio in the same run.

use rayon::prelude::*;

use crate::driver::AttentionParams;
use crate::error::PasaError;
use crate::matmul::{matmul_in_place, transpose_in_place};
use crate::round::{Accumulator, Real, Scalar};
use crate::tensor::{AttentionInputs, Tensor};

/// Flash Attention in native f32 over the f16 inputs; output widened to f64.
///
/// # Errors
/// As [`AttentionParams::validate`].
pub fn flash_attention_f32(
    inputs: &AttentionInputs,
    params: &AttentionParams,
) -> Result<Tensor<f64>, PasaError> {
    let shape = inputs.shape();
    params.validate(&shape)?;
    let (d, dv, sk, bq, bk) = (
        shape.head_dim,
        shape.value_dim,
        shape.seq_k,
        params.block_q,
        params.block_k,
    );
    let scale = f32::from_f64_rounded(params.scale_for(&shape), Scalar::F32);
    let mut out = Tensor::filled(shape.output_shape(), 0.0);
    let q_blocks = shape.seq_q.div_ceil(bq);
    let results: Vec<Vec<f64>> = (0..shape.batch * shape.heads * q_blocks)
        .into_par_iter()
        .map(|task| {
            let (qb, bh) = (task % q_blocks, task / q_blocks);
            let (b, h) = (bh / shape.heads, bh % shape.heads);
            let kvh = shape.kv_head_of(h);
            let row0 = qb * bq;
            let rows = (shape.seq_q - row0).min(bq);
            let mut q = vec![0.0_f32; rows * d];
            f32::load_f16(&mut q, &inputs.q().head(b, h)[row0 * d..(row0 + rows) * d]);
            for x in &mut q {
                *x *= scale;
            }
            let (k_all, v_all) = (inputs.k().head(b, kvh), inputs.v().head(b, kvh));
            let (mut k, mut k_t) = (vec![0.0_f32; bk * d], vec![0.0_f32; bk * d]);
            let mut v = vec![0.0_f32; bk * dv];
            let (mut s, mut pv) = (vec![0.0_f32; rows * bk], vec![0.0_f32; rows * dv]);
            let mut o = vec![0.0_f32; rows * dv];
            let (mut m, mut l) = (vec![f32::NEG_INFINITY; rows], vec![0.0_f32; rows]);
            for j0 in (0..sk).step_by(bk) {
                let n = (sk - j0).min(bk);
                if params.causal && j0 > row0 + rows - 1 + sk - shape.seq_q {
                    break;
                }
                k.fill(0.0);
                v.fill(0.0);
                f32::load_f16(&mut k[..n * d], &k_all[j0 * d..(j0 + n) * d]);
                f32::load_f16(&mut v[..n * dv], &v_all[j0 * dv..(j0 + n) * dv]);
                transpose_in_place(&mut k_t, &k, bk, d)?;
                matmul_in_place(&mut s, &q, &k_t, rows, d, bk, Accumulator::F32, Scalar::F32)?;
                for (i, ((srow, m), l)) in
                    s.chunks_exact_mut(bk).zip(&mut m).zip(&mut l).enumerate()
                {
                    let visible = if params.causal {
                        (row0 + i + sk - shape.seq_q + 1).saturating_sub(j0).min(n)
                    } else {
                        n
                    };
                    let m_new = srow[..visible].iter().copied().fold(*m, f32::max);
                    let alpha = (*m - m_new).exp();
                    let mut sum = 0.0_f32;
                    for (c, x) in srow.iter_mut().enumerate() {
                        *x = if c < visible { (*x - m_new).exp() } else { 0.0 };
                        sum += *x;
                    }
                    *l = alpha * *l + sum;
                    *m = m_new;
                    for x in &mut o[i * dv..(i + 1) * dv] {
                        *x *= alpha;
                    }
                }
                matmul_in_place(&mut pv, &s, &v, rows, bk, dv, Accumulator::F32, Scalar::F32)?;
                for (x, &y) in o.iter_mut().zip(&pv) {
                    *x += y;
                }
            }
            for (orow, &l) in o.chunks_exact_mut(dv).zip(&l) {
                for x in orow {
                    *x /= l;
                }
            }
            let mut wide = vec![0.0; rows * dv];
            f32::widen_to_f64(&mut wide, &o);
            Ok(wide)
        })
        .collect::<Result<_, PasaError>>()?;
    for (task, rows) in results.into_iter().enumerate() {
        let (qb, bh) = (task % q_blocks, task / q_blocks);
        let head = out.head_mut(bh / shape.heads, bh % shape.heads);
        head[qb * bq * dv..qb * bq * dv + rows.len()].copy_from_slice(&rows);
    }
    Ok(out)
}
