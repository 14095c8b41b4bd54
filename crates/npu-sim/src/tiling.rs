//! Tile sizes of the attention kernels, chosen from the machine's buffer capacities.
//!
//! One function, [`footprint`], says how many bytes each buffer needs for a tiling; the
//! kernels reserve exactly those bytes ([`crate::ir::Op::Alloc`]), and [`choose_tiling`]
//! picks among the tilings whose footprint fits. So the tiling adapts to a machine with
//! smaller (or larger) buffers instead of being hard-coded for one preset.

use pasa_core::Scalar;

use crate::error::SimError;
use crate::ir::Buffer;
use crate::machine::Machine;

/// Query rows and keys per tile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// Query rows per block (split evenly over the vector cores).
    pub block_q: usize,
    /// Keys per block (PASA's shifting matrix is `block_k x block_k`).
    pub block_k: usize,
}

/// What the footprint depends on besides the tiling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileTypes {
    /// Query/key head dimension.
    pub head_dim: usize,
    /// Value head dimension.
    pub value_dim: usize,
    /// Type of the score tile as the vector unit holds it (the wider of score and vector).
    pub vector: Scalar,
    /// Type of the running output O and of the P V tile.
    pub out: Scalar,
    /// Whether the kernel is PASA (needs the shifted-score copy and the mean column).
    pub pasa: bool,
    /// Vector cores per cube core (the query rows are split over them).
    pub vector_cores: usize,
}

/// Bytes of one element of `ty` on the machine.
#[must_use]
pub fn bytes_of(ty: Scalar) -> usize {
    match ty {
        Scalar::F16 => 2,
        Scalar::F32 => 4,
        Scalar::F64 => 8,
    }
}

/// Ring slots of every double-buffered tile.
pub const SLOTS: usize = 2;

/// Bytes each buffer needs for `tiling`, indexed by [`Buffer::index`]; per core (the UB
/// figure is per vector core, for the largest row share).
///
/// - L1: a ring of query tiles (the next block's arrives while the last finishes), a ring of K/V tiles, a ring of P tiles and, for PASA, a ring of
///   shifted-score tiles plus the `1/keys` mean column (padded to 16 columns).
/// - L0A: a ring of A operands (Q, P or S'), each reloaded from L1 per product.
/// - L0B: a ring of B operands (K^T, V or the mean column).
/// - L0C: a ring of fp32 accumulators (S, P V or the row means).
/// - UB: the query share (scaled there), a ring of score shares, a ring of P V shares, the
///   running output and the row statistics.
#[must_use]
pub fn footprint(t: Tiling, ty: &TileTypes) -> [u64; 5] {
    let (r, c, d, dv) = (t.block_q, t.block_k, ty.head_dim, ty.value_dim);
    let h = 2; // fp16 operands
    let rows_share = r.div_ceil(ty.vector_cores.max(1));
    let mean_col = c * 16 * h;
    let l1 = SLOTS * r * d * h
        + SLOTS * c * d.max(dv) * h
        + SLOTS * r * c * h
        + if ty.pasa {
            SLOTS * r * c * h + mean_col
        } else {
            0
        };
    let l0a = SLOTS * r * d.max(c) * h;
    let l0b = SLOTS * c * d.max(dv).max(16) * h;
    let l0c = SLOTS * r * c.max(dv) * 4;
    let vb = bytes_of(ty.vector).max(2);
    let ob = bytes_of(ty.out);
    let ub = rows_share * d * h
        + SLOTS * rows_share * c * vb
        + SLOTS * rows_share * dv * ob
        + rows_share * dv * ob
        + 6 * rows_share * 4;
    [l1, l0a, l0b, l0c, ub].map(|b| b as u64)
}

/// Capacities of the machine's buffers, indexed by [`Buffer::index`].
#[must_use]
pub fn capacities(machine: &Machine) -> [u64; 5] {
    let b = &machine.buffers;
    [
        b.l1_bytes,
        b.l0a_bytes,
        b.l0b_bytes,
        b.l0c_bytes,
        b.ub_bytes,
    ]
}

/// The first buffer `tiling` overflows on `machine`, with (needed, capacity).
#[must_use]
pub fn overflow(machine: &Machine, tiling: Tiling, ty: &TileTypes) -> Option<(Buffer, u64, u64)> {
    let need = footprint(tiling, ty);
    let cap = capacities(machine);
    Buffer::ALL
        .into_iter()
        .find(|b| need[b.index()] > cap[b.index()])
        .map(|b| (b, need[b.index()], cap[b.index()]))
}

/// Candidate block sizes, largest first (multiples of the 16-wide cube fractal).
const CANDIDATES: [usize; 6] = [512, 256, 128, 64, 32, 16];

/// Picks the tiling with the fewest estimated GM bytes per FLOP of the cube core among those
/// that fit every buffer: per (query block, key block) the cube core reads K, V and P and
/// writes S and P V, `4cd + 2rc + rc*s + r dv*o` bytes for `4 r c d` FLOPs, so larger tiles
/// win and `block_q` buys K/V reuse. Blocks are not made larger than the (16-padded)
/// sequence needs. Ties go to the larger `block_q`.
///
/// # Errors
/// [`SimError::NoTilingFits`] when even 16 x 16 tiles overflow a buffer.
pub fn choose_tiling(
    machine: &Machine,
    ty: &TileTypes,
    seq_q: usize,
    seq_k: usize,
    kernel: &'static str,
) -> Result<Tiling, SimError> {
    let cap_q = seq_q.div_ceil(16) * 16;
    let cap_k = seq_k.div_ceil(16) * 16;
    let vb = bytes_of(ty.vector).max(2) as f64;
    let ob = bytes_of(ty.out) as f64;
    let (d, dv) = (ty.head_dim as f64, ty.value_dim as f64);
    let mut best: Option<(f64, Tiling)> = None;
    for &r in &CANDIDATES {
        for &c in &CANDIDATES {
            let t = Tiling {
                block_q: r.min(cap_q),
                block_k: c.min(cap_k),
            };
            if overflow(machine, t, ty).is_some() {
                continue;
            }
            let (rf, cf) = (t.block_q as f64, t.block_k as f64);
            let bytes = 2.0 * cf * (d + dv) + 2.0 * rf * cf + rf * cf * vb + rf * dv * ob;
            let per_flop = bytes / (2.0 * rf * cf * (d + dv));
            let better = match best {
                None => true,
                Some((b, bt)) => {
                    per_flop < b * (1.0 - 1e-12)
                        || (per_flop <= b * (1.0 + 1e-12) && t.block_q > bt.block_q)
                }
            };
            if better {
                best = Some((per_flop, t));
            }
        }
    }
    match best {
        Some((_, t)) => Ok(t),
        None => {
            let smallest = Tiling {
                block_q: 16,
                block_k: 16,
            };
            let (buffer, needed, capacity) =
                overflow(machine, smallest, ty).unwrap_or((Buffer::Ub, 0, 0));
            Err(SimError::NoTilingFits {
                kernel,
                head_dim: ty.head_dim,
                buffer: buffer.name(),
                needed,
                capacity,
            })
        }
    }
}
