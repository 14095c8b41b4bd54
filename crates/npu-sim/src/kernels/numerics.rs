//! The numbers of the attention kernels: every value is produced by a `pasa-core` tile step.
//!
//! This file holds no arithmetic of its own. For each (query block, key block) tile the
//! kernel issues (see `schedule.rs`), [`Numerics::tile`] calls the `pasa_core::steps`
//! functions in the order their module documents, on the same tiles and with the same
//! [`Precision`], so the output equals `pasa_core::attention` bit for bit by construction.
//! The vector-unit steps run once per vector core on that core's share of the rows (the
//! split the hardware makes); they are row-wise, so the split changes no bit, and the
//! bit-exactness tests check that it does not.
//!
//! The authors' PASA ([`Recovery::RunningAverage`]) issues the steps of
//! `pasa_core::steps::running_average` in the order that module's table gives (scaled
//! shifting matrix in the prepass, unscaled score tile, row means before masking, the
//! additive padding mask, the running-average softmax, the two-factor output merge); the
//! other kernels issue the shared steps in the order of `pasa_core::steps`.
//!
//! The numbers are attached to tile steps, not to single IR instructions: the IR carries the
//! costs, this file the values (docs/npu-sim.md).

use pasa_core::key_blocks::{KeyBlocks, Prepass};
use pasa_core::steps::running_average::{self, RunningRows};
use pasa_core::steps::{self, TileDims};
use pasa_core::workspace::TileWorkspace;
use pasa_core::{AttentionInputs, AttentionParams, Precision, Real, Recovery, Tensor};

use crate::error::SimError;
use crate::kernels::plan::{Plan, WorkItem};

fn numerics_err(e: pasa_core::PasaError) -> SimError {
    SimError::Numerics {
        message: e.to_string(),
    }
}

/// The values a simulated launch computes.
pub(crate) struct Numerics<'a, T> {
    inputs: &'a AttentionInputs,
    prec: Precision,
    params: AttentionParams,
    pasa: Option<(f64, Recovery)>,
    scale: f64,
    /// The authors' recovery factor `beta/(1-beta)` in the stats type (zero otherwise).
    gamma: T,
    blocks: Vec<KeyBlocks<T>>,
    /// Per-item state (rows x ...), allocated once at the largest block.
    ws: TileWorkspace<T>,
    first: bool,
    /// The result, (batch, heads, seq_q, value_dim) widened exactly to f64.
    pub(crate) out: Tensor<f64>,
}

impl<'a, T: Real> Numerics<'a, T> {
    /// Prepares key/value blocks (PASA's shifted keys: the prepass launch) for every
    /// (batch, kv head).
    pub(crate) fn new(inputs: &'a AttentionInputs, plan: &Plan) -> Result<Self, SimError> {
        let shape = inputs.shape();
        let params = plan.params;
        let (r, s, d, dv) = (
            params.block_q,
            params.block_k,
            shape.head_dim,
            shape.value_dim,
        );
        let prec = plan.kernel.precision;
        let scale = params.scale_for(&shape);
        let shifting = match plan.pasa {
            Some((beta, recovery)) => {
                let mut m = vec![T::ZERO; s * s];
                if recovery == Recovery::RunningAverage {
                    running_average::scaled_shifting_matrix_in_place(&mut m, s, beta, scale, &prec)
                } else {
                    steps::shifting_matrix_in_place(&mut m, s, beta, &prec)
                }
                .map_err(numerics_err)?;
                Some(m)
            }
            None => None,
        };
        let prepass = Prepass {
            block_k: s,
            shifting: shifting.as_deref(),
            key_means: matches!(plan.pasa, Some((_, Recovery::RelativeKeyMeans))),
            padding: plan.kernel.algorithm.padding(),
        };
        let mut blocks = Vec::with_capacity(shape.batch * shape.kv_heads);
        for b in 0..shape.batch {
            for kvh in 0..shape.kv_heads {
                blocks.push(
                    KeyBlocks::prepare(inputs, b, kvh, &prepass, &prec).map_err(numerics_err)?,
                );
            }
        }
        Ok(Self {
            inputs,
            prec,
            params,
            pasa: plan.pasa,
            scale,
            gamma: plan.pasa.map_or(T::ZERO, |(beta, _)| {
                running_average::recovery_factor::<T>(beta, &prec)
            }),
            blocks,
            ws: TileWorkspace::new(r, s, d, dv),
            first: true,
            out: Tensor::filled(shape.output_shape(), 0.0),
        })
    }

    /// Whether this is the authors' PASA ([`Recovery::RunningAverage`]).
    fn authors(&self) -> bool {
        matches!(self.pasa, Some((_, Recovery::RunningAverage)))
    }

    fn dims(&self, rows: usize) -> TileDims {
        let shape = self.inputs.shape();
        TileDims {
            rows,
            keys: self.params.block_k,
            head_dim: shape.head_dim,
            value_dim: shape.value_dim,
        }
    }

    /// Loads and scales the query block (on the vector cores) and resets the running state.
    pub(crate) fn begin_item(&mut self, item: &WorkItem) -> Result<(), SimError> {
        let shape = self.inputs.shape();
        let d = shape.head_dim;
        let authors = self.authors();
        let q = &mut self.ws.q[..item.rows * d];
        let src = &self.inputs.q().head(item.batch, item.head)
            [item.row0 * d..(item.row0 + item.rows) * d];
        steps::load_tile_in_place(q, src).map_err(numerics_err)?;
        let scale = self.scale;
        for share in item.shares(d) {
            if authors {
                // The scale lives in the authors' shifting matrix: a cast only.
                running_average::cast_query_in_place(&mut q[share], &self.prec);
            } else {
                steps::scale_query_in_place(&mut q[share], scale, &self.prec);
            }
        }
        self.ws.m[..item.rows].fill(if authors {
            T::from_f64_rounded(running_average::INITIAL_MAX, self.prec.stats)
        } else {
            T::NEG_INFINITY
        });
        self.ws.l[..item.rows].fill(T::ZERO);
        self.ws.o[..item.rows * shape.value_dim].fill(T::ZERO);
        self.first = true;
        Ok(())
    }

    /// One (query block, key block) tile: the steps of `pasa_core::steps`, in its order.
    pub(crate) fn tile(&mut self, item: &WorkItem, j: usize) -> Result<(), SimError> {
        let shape = self.inputs.shape();
        let (s, d, dv) = (self.params.block_k, shape.head_dim, shape.value_dim);
        let rows = item.rows;
        let dims = self.dims(rows);
        let blocks = &self.blocks[item.batch * shape.kv_heads + shape.kv_head_of(item.head)];
        let (k_t, v) = (blocks.keys_t(j), blocks.values(j));
        let diff = blocks.mean_diff(j).unwrap_or(&[]);
        for (i, vis) in self.ws.visible[..rows].iter_mut().enumerate() {
            *vis = self.params.visible(&shape, item.row0 + i, j);
        }
        let authors = self.authors();
        let prec = &self.prec;
        // Keys of this block that are in the sequence (the rest is padding).
        let real = (shape.seq_k - j * s).min(s);
        // Cube core: S = Q K^T for the whole block (the authors' K' carries the scale).
        let scores = &mut self.ws.scores[..rows * s];
        let q = &self.ws.q[..rows * d];
        if authors {
            running_average::shifted_score_tile_in_place(scores, q, k_t, dims, prec)
        } else {
            steps::score_tile_in_place(scores, q, k_t, self.scale, dims, prec)
        }
        .map_err(numerics_err)?;
        if matches!(
            self.pasa,
            Some((
                _,
                Recovery::Absolute | Recovery::RelativeToFirstBlock | Recovery::RunningAverage
            ))
        ) {
            // Cube core: the row means of S' (a product with the 1/keys column).
            steps::row_mean_in_place(&mut self.ws.means[..rows], scores, dims, prec)
                .map_err(numerics_err)?;
        }
        // Vector cores: each on its share of the rows.
        for share in item.row_shares() {
            let n = share.len();
            if n == 0 {
                continue;
            }
            let sub = TileDims { rows: n, ..dims };
            let sc = &mut scores[share.start * s..share.end * s];
            let visible = &self.ws.visible[share.clone()];
            if authors {
                running_average::mask_padding_in_place(sc, visible, real, sub, prec)
                    .map_err(numerics_err)?;
                let state = RunningRows {
                    m: &mut self.ws.m[share.clone()],
                    l: &mut self.ws.l[share.clone()],
                    average: &mut self.ws.reference[share.clone()],
                    keep: &mut self.ws.alpha[share.clone()],
                    take: &mut self.ws.shift[share.clone()],
                };
                running_average::running_average_softmax_in_place(
                    sc,
                    &self.ws.means[share.clone()],
                    visible,
                    state,
                    j,
                    self.gamma,
                    sub,
                    prec,
                )
                .map_err(numerics_err)?;
                continue;
            }
            steps::mask_in_place(sc, visible, sub).map_err(numerics_err)?;
            let (m, l, a) = (
                &mut self.ws.m[share.clone()],
                &mut self.ws.l[share.clone()],
                &mut self.ws.alpha[share.clone()],
            );
            match self.pasa {
                None => steps::flash_softmax_in_place(sc, m, l, a, sub, prec),
                Some((beta, Recovery::RelativeKeyMeans)) => {
                    // One extra score column (q . diff) on the cube, times beta.
                    let shift = &mut self.ws.shift[share.clone()];
                    let q = &self.ws.q[share.start * d..share.end * d];
                    steps::recover_shift_from_keys_in_place(
                        shift, q, diff, self.scale, beta, sub, prec,
                    )
                    .map_err(numerics_err)?;
                    steps::pasa_softmax_in_place(sc, shift, m, l, a, sub, prec)
                }
                Some((beta, recovery)) => {
                    let means = &self.ws.means[share.clone()];
                    let reference = if recovery == Recovery::RelativeToFirstBlock {
                        if self.first {
                            self.ws.reference[share.clone()].copy_from_slice(means);
                        }
                        Some(&self.ws.reference[share.clone()])
                    } else {
                        None
                    };
                    let shift = &mut self.ws.shift[share.clone()];
                    steps::recover_shift_in_place(shift, means, reference, beta, prec)
                        .map_err(numerics_err)?;
                    steps::pasa_softmax_in_place(sc, shift, m, l, a, sub, prec)
                }
            }
            .map_err(numerics_err)?;
        }
        self.first = false;
        // Cube core: P V for the whole block.
        let pv = &mut self.ws.pv[..rows * dv];
        steps::pv_tile_in_place(pv, &self.ws.scores[..rows * s], v, dims, prec)
            .map_err(numerics_err)?;
        // Vector cores: O = alpha O + P V (the authors: O = keep O + take P V) on each share.
        for share in item.row_shares() {
            let n = share.len();
            if n == 0 {
                continue;
            }
            let (o, pv) = (
                &mut self.ws.o[share.start * dv..share.end * dv],
                &pv[share.start * dv..share.end * dv],
            );
            let sub = TileDims { rows: n, ..dims };
            let alpha = &self.ws.alpha[share.clone()];
            if authors {
                let take = &self.ws.shift[share.clone()];
                running_average::merge_output_in_place(o, alpha, take, pv, j, sub, prec)
            } else {
                steps::rescale_accumulate_in_place(o, alpha, pv, sub, prec)
            }
            .map_err(numerics_err)?;
        }
        Ok(())
    }

    /// Normalises the block's output on the vector cores and stores it.
    pub(crate) fn end_item(&mut self, item: &WorkItem) -> Result<(), SimError> {
        let dv = self.inputs.shape().value_dim;
        let dims = self.dims(item.rows);
        for share in item.row_shares() {
            let n = share.len();
            if n == 0 {
                continue;
            }
            steps::finalize_in_place(
                &mut self.ws.o[share.start * dv..share.end * dv],
                &self.ws.l[share.clone()],
                TileDims { rows: n, ..dims },
                &self.prec,
            )
            .map_err(numerics_err)?;
        }
        let head = self.out.head_mut(item.batch, item.head);
        let dst = &mut head[item.row0 * dv..(item.row0 + item.rows) * dv];
        T::widen_to_f64(dst, &self.ws.o[..item.rows * dv]);
        Ok(())
    }
}
