//! The launch plan of an attention kernel: tiling, work items (one per query block of one
//! head) and their assignment to clusters (a cube core with its vector cores).

use std::ops::Range;

use pasa_core::{Algorithm, AttentionParams, AttentionShape, InputDtype, Kernel, Recovery, Scalar};

use crate::error::SimError;
use crate::machine::Machine;
use crate::tiling::{TileTypes, Tiling, bytes_of, choose_tiling, complete, overflow};

/// One query block of one head: the unit of work a cluster takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WorkItem {
    pub(crate) batch: usize,
    pub(crate) head: usize,
    /// First query row of the block.
    pub(crate) row0: usize,
    /// Rows in the block (the last block of a head may be short).
    pub(crate) rows: usize,
    /// Rows per vector core (the last share may be shorter or empty).
    pub(crate) share: usize,
    /// Vector cores of the cluster.
    pub(crate) vector_cores: usize,
    /// Key blocks the block attends to: blocks `0..key_blocks` (all of them, or with a causal
    /// mask the prefix its last row sees; the rest are skipped, as `pasa-core` skips them).
    pub(crate) key_blocks: usize,
}

impl WorkItem {
    /// The rows each vector core handles.
    pub(crate) fn row_shares(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        (0..self.vector_cores).map(move |v| {
            let start = (v * self.share).min(self.rows);
            let end = ((v + 1) * self.share).min(self.rows);
            start..end
        })
    }

    /// The element ranges of each vector core's rows in a row-major tile of `width` columns.
    pub(crate) fn shares(&self, width: usize) -> impl Iterator<Item = Range<usize>> + '_ {
        self.row_shares()
            .map(move |r| r.start * width..r.end * width)
    }
}

/// Everything a launch needs to emit its program.
#[derive(Clone, Debug)]
pub(crate) struct Plan {
    pub(crate) kernel: Kernel,
    pub(crate) shape: AttentionShape,
    /// Block sizes, mask and scale, in `pasa-core`'s own type (one concept, one place).
    pub(crate) params: AttentionParams,
    /// PASA's beta and recovery; `None` for Flash Attention.
    pub(crate) pasa: Option<(f64, Recovery)>,
    pub(crate) tiling: Tiling,
    pub(crate) vector_cores: usize,
    /// Work items of each cluster, in issue order.
    pub(crate) clusters: Vec<Vec<WorkItem>>,
}

/// The footprint inputs of `kernel` on `shape`.
pub(crate) fn tile_types(
    kernel: &Kernel,
    shape: &AttentionShape,
    vector_cores: usize,
) -> TileTypes {
    let p = &kernel.precision;
    let vector = if bytes_of(p.score) >= bytes_of(p.vector) {
        p.score
    } else {
        p.vector
    };
    TileTypes {
        head_dim: shape.head_dim,
        value_dim: shape.value_dim,
        vector,
        out: p.out,
        pasa: matches!(kernel.algorithm, Algorithm::Pasa(_)),
        vector_cores,
    }
}

fn check_shape(shape: &AttentionShape) -> Result<(), SimError> {
    for (what, value) in [
        ("batch", shape.batch),
        ("heads", shape.heads),
        ("kv_heads", shape.kv_heads),
        ("seq_q", shape.seq_q),
        ("seq_k", shape.seq_k),
        ("head_dim", shape.head_dim),
        ("value_dim", shape.value_dim),
    ] {
        if value == 0 {
            return Err(SimError::BadShape {
                what,
                value,
                fix: "every dimension must be at least 1",
            });
        }
    }
    if shape.heads % shape.kv_heads != 0 {
        return Err(SimError::BadShape {
            what: "heads",
            value: shape.heads,
            fix: "heads must be a multiple of kv_heads (MHA: equal, MQA: kv_heads = 1)",
        });
    }
    // The report counts FLOPs and HBM bytes in u64 (`assemble`, `useful_flops`): reject a
    // shape whose counts would overflow (with 8-byte outputs, the widest).
    let product = |factors: &[usize]| {
        factors
            .iter()
            .try_fold(1u64, |p, &f| p.checked_mul(u64::try_from(f).ok()?))
    };
    let (b, h, hk) = (shape.batch, shape.heads, shape.kv_heads);
    let (sq, sk, d, dv) = (shape.seq_q, shape.seq_k, shape.head_dim, shape.value_dim);
    let flops = d
        .checked_add(dv)
        .and_then(|ddv| product(&[2, ddv, sq, sk, b, h]));
    let hbm = d.checked_add(dv).and_then(|ddv| {
        product(&[b, h, sq, d, 2])?
            .checked_add(product(&[b, hk, sk, ddv, 2])?)?
            .checked_add(product(&[b, h, sq, dv, 8])?)
    });
    for (what, count) in [("FLOP count", flops), ("HBM byte count", hbm)] {
        if count.is_none() {
            return Err(SimError::ShapeTooLarge {
                what,
                shape: format!("{shape:?}"),
            });
        }
    }
    Ok(())
}

fn check_precision(kernel: &Kernel, machine: &Machine) -> Result<(), SimError> {
    let p = &kernel.precision;
    if p.needs_f64() {
        return Err(SimError::UnsupportedPrecision {
            what: "an f64 stage",
            fix: "the simulated core has no f64 unit; use pasa_core::attention for exact runs",
        });
    }
    let f16_acc = [p.score_acc, p.pv_acc]
        .iter()
        .any(|a| a.scalar() == Scalar::F16);
    if f16_acc && !machine.cube.l0c_f16_accumulation {
        return Err(SimError::UnsupportedPrecision {
            what: "fp16 accumulation in L0C",
            fix: "this machine accumulates in fp32 only (cube.l0c_f16_accumulation = false)",
        });
    }
    Ok(())
}

/// Checks a caller's tiling and fills its automatic fields.
fn explicit_tiling(machine: &Machine, t: Tiling, ty: &TileTypes) -> Result<Tiling, SimError> {
    if t.block_q == 0 || t.block_k == 0 {
        return Err(SimError::BadShape {
            what: "block size",
            value: 0,
            fix: "block_q and block_k must be at least 1",
        });
    }
    if t.sub_k > 0 && t.block_k % t.sub_k != 0 {
        return Err(SimError::BadShape {
            what: "sub_k",
            value: t.sub_k,
            fix: "sub_k must divide block_k (or be 0 to choose it)",
        });
    }
    if let Some(done) = complete(machine, t, ty) {
        return Ok(done);
    }
    // Report the overflow of the smallest completion.
    let smallest = Tiling {
        sub_k: if t.sub_k > 0 {
            t.sub_k
        } else {
            t.block_k.min(16)
        },
        vec_rows: t.vec_rows.max(1),
        ..t
    };
    let (buffer, needed, capacity) =
        overflow(machine, smallest, ty).unwrap_or((crate::ir::Buffer::Ub, 0, 0));
    Err(SimError::BufferOverflow {
        core: if buffer == crate::ir::Buffer::Ub {
            "aiv".to_owned()
        } else {
            "aic".to_owned()
        },
        buffer: buffer.name(),
        requested: needed,
        in_use: 0,
        capacity,
    })
}

impl Plan {
    /// Validates the launch, picks (or checks) the tiling and assigns work to clusters.
    /// `dtype` (the inputs' storage type) only picks the authors' default beta.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        machine: &Machine,
        kernel: &Kernel,
        shape: &AttentionShape,
        dtype: InputDtype,
        causal: bool,
        scale: Option<f64>,
        tiling: Option<Tiling>,
    ) -> Result<Self, SimError> {
        machine.validate()?;
        check_shape(shape)?;
        check_precision(kernel, machine)?;
        let vector_cores = machine.vector_cores_per_cube as usize;
        let ty = tile_types(kernel, shape, vector_cores);
        let name = kernel_name(kernel);
        let tiling = match tiling {
            Some(t) => explicit_tiling(machine, t, &ty)?,
            None => choose_tiling(machine, &ty, shape.seq_q, shape.seq_k, name)?,
        };
        let params = AttentionParams {
            block_q: tiling.block_q,
            block_k: tiling.block_k,
            causal,
            scale,
        };
        params.validate(shape).map_err(|e| SimError::Numerics {
            message: e.to_string(),
        })?;
        let pasa = match kernel.algorithm {
            Algorithm::Flash => None,
            Algorithm::Pasa(p) => Some((
                p.resolve_beta(dtype).map_err(|e| SimError::Numerics {
                    message: e.to_string(),
                })?,
                p.recovery,
            )),
        };
        let q_blocks = shape.seq_q.div_ceil(tiling.block_q);
        // Items are dealt round-robin, so clusters beyond the item count stay empty: do not
        // allocate them (a machine may describe billions of cores).
        let items = shape
            .batch
            .saturating_mul(shape.heads)
            .saturating_mul(q_blocks);
        let n_clusters = (machine.cube_cores as usize).min(items).max(1);
        let mut clusters = vec![Vec::new(); n_clusters];
        let k_blocks = shape.seq_k.div_ceil(tiling.block_k);
        let mut next = 0;
        for batch in 0..shape.batch {
            for head in 0..shape.heads {
                for qb in 0..q_blocks {
                    let row0 = qb * tiling.block_q;
                    let rows = (shape.seq_q - row0).min(tiling.block_q);
                    // A key block is issued unless every row of the query block sees none
                    // of it (pasa-core's driver skips exactly those). Visibility grows with
                    // the row, so the last row's visible blocks, a prefix, are the issued ones.
                    let last_row = row0 + rows - 1;
                    let key_blocks = (0..k_blocks)
                        .take_while(|&j| params.visible(shape, last_row, j) > 0)
                        .count();
                    clusters[next % n_clusters].push(WorkItem {
                        batch,
                        head,
                        row0,
                        rows,
                        share: rows.div_ceil(vector_cores),
                        vector_cores,
                        key_blocks,
                    });
                    next += 1;
                }
            }
        }
        Ok(Self {
            kernel: *kernel,
            shape: *shape,
            params,
            pasa,
            tiling,
            vector_cores,
            clusters,
        })
    }
}

impl Plan {
    /// Whether this is the authors' PASA ([`Recovery::RunningAverage`]).
    pub(crate) fn authors(&self) -> bool {
        matches!(self.pasa, Some((_, Recovery::RunningAverage)))
    }

    /// Whether the row means of `S'` are computed on the cube (every PASA but key-means).
    pub(crate) fn row_means(&self) -> bool {
        matches!(
            self.pasa,
            Some((
                _,
                Recovery::Absolute | Recovery::RelativeToFirstBlock | Recovery::RunningAverage
            ))
        )
    }
}

/// A short name of the kernel for reports.
pub(crate) fn kernel_name(kernel: &Kernel) -> &'static str {
    let p = &kernel.precision;
    match kernel.algorithm {
        Algorithm::Pasa(pasa) => match pasa.recovery {
            Recovery::RunningAverage => "pasa",
            Recovery::Absolute => "pasa-absolute",
            Recovery::RelativeToFirstBlock => "pasa-first-block",
            Recovery::RelativeKeyMeans => "pasa-key-means",
        },
        Algorithm::Flash if p.vector == Scalar::F32 || p.score == Scalar::F32 => "fa-fp32-softmax",
        Algorithm::Flash => "fa-fp16",
    }
}
