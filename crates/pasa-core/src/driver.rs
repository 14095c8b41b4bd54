//! Whole-attention drivers: loops over (batch, head, query block) and key blocks that call
//! the tile-level [`steps`] and nothing else that rounds.
//!
//! Work is split with rayon over (batch, head, query block); key blocks (PASA's shifted
//! `K' = M K_j`, transposed for the score product, and the value blocks) are prepared once
//! per (batch, key/value head) and shared by every query block and every query head of the
//! group (GQA/MQA), since they do not depend on the queries.

use rayon::prelude::*;

use crate::diagnostics::Probe;
use crate::error::{PasaError, check_tile_size};
use crate::key_blocks::{KeyBlocks, Prepass};
use crate::precision::{Algorithm, Kernel, Padding, Precision, Recovery, ScalePlacement};
use crate::round::{Real, count_to_f64};
use crate::steps::running_average::{self, RunningRows};
use crate::steps::{self, TileDims};
use crate::tensor::{AttentionInputs, AttentionShape, Tensor};
use crate::workspace::TileWorkspace;

/// Block sizes, mask and scale of an attention call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AttentionParams {
    /// Query rows per block.
    pub block_q: usize,
    /// Keys per block (PASA's shifting matrix is `block_k × block_k`).
    pub block_k: usize,
    /// Causal mask, queries aligned to the end of the keys: query `i` sees keys
    /// `j <= i + seq_k - seq_q`.
    pub causal: bool,
    /// Softmax scale; `None` = `1/sqrt(head_dim)`.
    pub scale: Option<f64>,
}

impl Default for AttentionParams {
    /// 128 × 128 blocks (the Ascend cube tile), no mask, `1/sqrt(d)`.
    fn default() -> Self {
        Self {
            block_q: 128,
            block_k: 128,
            causal: false,
            scale: None,
        }
    }
}

impl AttentionParams {
    /// Check block sizes and the causal layout against `shape`.
    ///
    /// A `block_q` above `seq_q` is one query block of `seq_q` rows, so only `block_k` is
    /// bounded by the tile size.
    ///
    /// # Errors
    /// [`PasaError::ZeroBlockSize`], [`PasaError::BlockTooLarge`] for a `block_k` whose
    /// tiles would hold more than 2^30 elements, [`PasaError::NonFiniteScale`] for a NaN or
    /// infinite `scale`, [`PasaError::CausalRowsWithoutKeys`].
    pub fn validate(&self, shape: &AttentionShape) -> Result<(), PasaError> {
        if let Some(scale) = self.scale.filter(|s| !s.is_finite()) {
            return Err(PasaError::NonFiniteScale { scale });
        }
        if self.block_q == 0 {
            return Err(PasaError::ZeroBlockSize { what: "block_q" });
        }
        if self.block_k == 0 {
            return Err(PasaError::ZeroBlockSize { what: "block_k" });
        }
        let rows = self.block_q.min(shape.seq_q);
        let widest = shape.head_dim.max(shape.value_dim).max(rows);
        check_tile_size("block_k", self.block_k, self.block_k.max(widest))?;
        if self.causal && shape.seq_q > shape.seq_k {
            return Err(PasaError::CausalRowsWithoutKeys {
                seq_q: shape.seq_q,
                seq_k: shape.seq_k,
            });
        }
        Ok(())
    }

    /// The scale used for `shape`.
    #[must_use]
    pub fn scale_for(&self, shape: &AttentionShape) -> f64 {
        self.scale
            .unwrap_or_else(|| 1.0 / count_to_f64(shape.head_dim).sqrt())
    }

    /// Keys visible to global query row `row` within key block `block` (prefix length).
    #[must_use]
    pub fn visible(&self, shape: &AttentionShape, row: usize, block: usize) -> usize {
        let start = block * self.block_k;
        let in_seq = shape.seq_k.saturating_sub(start).min(self.block_k);
        if self.causal {
            let last = row + shape.seq_k - shape.seq_q; // last visible key
            (last + 1).saturating_sub(start).min(in_seq)
        } else {
            in_seq
        }
    }
}

/// The result of an emulated attention kernel.
#[derive(Debug, Clone)]
pub struct AttentionOutput {
    /// Output (batch, heads, seq_q, value_dim), widened exactly to f64 from the output type.
    pub out: Tensor<f64>,
    /// Intermediate diagnostics (largest |score|, non-finite counts per stage).
    pub probe: Probe,
    /// The beta PASA used (`None` for Flash Attention).
    pub beta: Option<f64>,
}

/// Run `kernel` on `inputs`.
///
/// # Errors
/// [`PasaError::ZeroBlockSize`], [`PasaError::BlockTooLarge`], [`PasaError::NonFiniteScale`],
/// [`PasaError::CausalRowsWithoutKeys`], [`PasaError::BetaOutOfRange`].
pub fn attention(
    inputs: &AttentionInputs,
    kernel: &Kernel,
    params: &AttentionParams,
) -> Result<AttentionOutput, PasaError> {
    let shape = inputs.shape();
    params.validate(&shape)?;
    let pasa = match kernel.algorithm {
        Algorithm::Flash => None,
        Algorithm::Pasa(p) => Some((p.resolve_beta(inputs.dtype())?, p.recovery)),
    };
    let padding = kernel.algorithm.padding();
    let (out, probe) = if kernel.precision.needs_f64() {
        run::<f64>(inputs, &kernel.precision, params, pasa, padding)?
    } else {
        run::<f32>(inputs, &kernel.precision, params, pasa, padding)?
    };
    Ok(AttentionOutput {
        out,
        probe,
        beta: pasa.map(|(beta, _)| beta),
    })
}

type Pasa = (f64, Recovery);

fn run<T: Real>(
    inputs: &AttentionInputs,
    prec: &Precision,
    params: &AttentionParams,
    pasa: Option<Pasa>,
    padding: Padding,
) -> Result<(Tensor<f64>, Probe), PasaError> {
    let shape = inputs.shape();
    // A query block never holds more than `seq_q` rows: the workspace is sized for the rows
    // used, whatever `block_q` is (same blocks, same bits).
    let (r, s, d, dv) = (
        params.block_q.min(shape.seq_q),
        params.block_k,
        shape.head_dim,
        shape.value_dim,
    );
    let scale = params.scale_for(&shape);
    let shifting = match pasa {
        Some((beta, recovery)) => {
            let mut m = vec![T::ZERO; s * s];
            if recovery == Recovery::RunningAverage {
                running_average::scaled_shifting_matrix_in_place(&mut m, s, beta, scale, prec)?;
            } else {
                steps::shifting_matrix_in_place(&mut m, s, beta, prec)?;
            }
            Some(m)
        }
        None => None,
    };
    let prepass = Prepass {
        block_k: s,
        shifting: shifting.as_deref(),
        key_means: matches!(pasa, Some((_, Recovery::RelativeKeyMeans))),
        padding,
    };
    let prepared: Vec<KeyBlocks<T>> = (0..shape.batch * shape.kv_heads)
        .into_par_iter()
        .map(|idx| {
            let (b, kvh) = (idx / shape.kv_heads, idx % shape.kv_heads);
            KeyBlocks::prepare(inputs, b, kvh, &prepass, prec)
        })
        .collect::<Result<_, _>>()?;

    let q_blocks = shape.seq_q.div_ceil(r);
    let tasks = shape.batch * shape.heads * q_blocks;
    let results: Vec<(Vec<f64>, Probe)> = (0..tasks)
        .into_par_iter()
        .map_init(
            || TileWorkspace::<T>::new(r, s, d, dv),
            |ws, task| {
                let qb = task % q_blocks;
                let bh = task / q_blocks;
                let (b, h) = (bh / shape.heads, bh % shape.heads);
                let blocks = &prepared[b * shape.kv_heads + shape.kv_head_of(h)];
                query_block(inputs, blocks, ws, (b, h, qb), params, prec, pasa, scale)
            },
        )
        .collect::<Result<_, _>>()?;

    let mut out = Tensor::filled(shape.output_shape(), 0.0);
    let mut probe = Probe::default();
    for (task, (rows, p)) in results.into_iter().enumerate() {
        let qb = task % q_blocks;
        let bh = task / q_blocks;
        let head = out.head_mut(bh / shape.heads, bh % shape.heads);
        head[qb * r * dv..qb * r * dv + rows.len()].copy_from_slice(&rows);
        probe.merge(&p);
    }
    Ok((out, probe))
}

#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
fn query_block<T: Real>(
    inputs: &AttentionInputs,
    blocks: &KeyBlocks<T>,
    ws: &mut TileWorkspace<T>,
    (b, h, qb): (usize, usize, usize),
    params: &AttentionParams,
    prec: &Precision,
    pasa: Option<Pasa>,
    scale: f64,
) -> Result<(Vec<f64>, Probe), PasaError> {
    let shape = inputs.shape();
    let (s, d, dv) = (params.block_k, shape.head_dim, shape.value_dim);
    let row0 = qb * params.block_q;
    let rows = (shape.seq_q - row0).min(params.block_q);
    let dims = TileDims {
        rows,
        keys: s,
        head_dim: d,
        value_dim: dv,
    };
    let authors = matches!(pasa, Some((_, Recovery::RunningAverage)));
    let mut probe = Probe::default();
    let q = &mut ws.q[..rows * d];
    steps::load_tile_in_place(q, &inputs.q().head(b, h)[row0 * d..(row0 + rows) * d])?;
    if authors {
        running_average::cast_query_in_place(q, prec);
    } else {
        steps::scale_query_in_place(q, scale, prec);
    }
    let q = &ws.q[..rows * d];
    let scores = &mut ws.scores[..rows * s];
    let (pv, o) = (&mut ws.pv[..rows * dv], &mut ws.o[..rows * dv]);
    let (m, l, alpha) = (&mut ws.m[..rows], &mut ws.l[..rows], &mut ws.alpha[..rows]);
    let (means, reference, shift) = (
        &mut ws.means[..rows],
        &mut ws.reference[..rows],
        &mut ws.shift[..rows],
    );
    let visible = &mut ws.visible[..rows];
    let gamma = pasa.map_or(T::ZERO, |(beta, _)| {
        running_average::recovery_factor::<T>(beta, prec)
    });
    m.fill(if authors {
        T::from_f64_rounded(running_average::INITIAL_MAX, prec.stats)
    } else {
        T::NEG_INFINITY
    });
    l.fill(T::ZERO);
    o.fill(T::ZERO);
    let mut block = 0;
    for j in 0..shape.seq_k.div_ceil(s) {
        for (i, v) in visible.iter_mut().enumerate() {
            *v = params.visible(&shape, row0 + i, j);
        }
        if visible.iter().all(|&v| v == 0) {
            continue; // fully masked block (causal): skipped, as kernels do
        }
        let real = (shape.seq_k - j * s).min(s);
        let (k_t, v) = (blocks.keys_t(j), blocks.values(j));
        if authors {
            running_average::shifted_score_tile_in_place(scores, q, k_t, dims, prec)?;
        } else {
            steps::score_tile_in_place(scores, q, k_t, scale, dims, prec)?;
        }
        // Observed before masking (the matrix unit writes the whole tile), real keys only;
        // an overflowed score's magnitude is recomputed from the operands.
        let factor = if authors || prec.scale == ScalePlacement::Query {
            1.0
        } else {
            scale
        };
        probe.observe_scores(scores, s, real, |r, c| {
            let dot: f64 = q[r * d..(r + 1) * d]
                .iter()
                .zip(k_t[c..].iter().step_by(s))
                .map(|(a, b)| a.to_f64() * b.to_f64())
                .sum();
            factor * dot
        });
        match pasa {
            None => {
                steps::mask_in_place(scores, visible, dims)?;
                steps::flash_softmax_in_place(scores, m, l, alpha, dims, prec)?;
            }
            Some((_, Recovery::RunningAverage)) => {
                steps::row_mean_in_place(means, scores, dims, prec)?;
                running_average::mask_padding_in_place(scores, visible, real, dims, prec)?;
                let state = RunningRows {
                    m: &mut m[..],
                    l: &mut l[..],
                    average: &mut reference[..],
                    keep: &mut alpha[..],
                    take: &mut shift[..],
                };
                running_average::running_average_softmax_in_place(
                    scores, means, visible, state, block, gamma, dims, prec,
                )?;
            }
            Some((beta, Recovery::RelativeKeyMeans)) => {
                steps::mask_in_place(scores, visible, dims)?;
                let diff = blocks.mean_diff(j).unwrap_or(&[]);
                steps::recover_shift_from_keys_in_place(shift, q, diff, scale, beta, dims, prec)?;
                probe.observe_shift(shift);
                steps::pasa_softmax_in_place(scores, shift, m, l, alpha, dims, prec)?;
            }
            Some((beta, recovery)) => {
                steps::row_mean_in_place(means, scores, dims, prec)?;
                steps::mask_in_place(scores, visible, dims)?;
                let reference = if recovery == Recovery::RelativeToFirstBlock {
                    if block == 0 {
                        reference.copy_from_slice(means);
                    }
                    Some(&reference[..])
                } else {
                    None
                };
                steps::recover_shift_in_place(shift, means, reference, beta, prec)?;
                probe.observe_shift(shift);
                steps::pasa_softmax_in_place(scores, shift, m, l, alpha, dims, prec)?;
            }
        }
        probe.observe_probabilities(scores);
        probe.observe_stats(m, l);
        steps::pv_tile_in_place(pv, scores, v, dims, prec)?;
        if authors {
            running_average::merge_output_in_place(o, alpha, shift, pv, block, dims, prec)?;
        } else {
            steps::rescale_accumulate_in_place(o, alpha, pv, dims, prec)?;
        }
        probe.observe_accumulator(o);
        block += 1;
    }
    steps::finalize_in_place(o, l, dims, prec)?;
    let mut out = vec![0.0; rows * dv];
    T::widen_to_f64(&mut out, o);
    Ok((out, probe))
}
