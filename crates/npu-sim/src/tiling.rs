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

/// Block sizes of the attention kernels, at the three levels the hardware imposes.
///
/// `block_q x block_k` is the tile of the algorithm (`pasa-core`'s block sizes: PASA's
/// shifting matrix is `block_k x block_k`). The cube core computes it in `sub_k`-wide pieces
/// (what L0A/L0B/L0C hold: score columns for `Q K^T`, the reduction for `P V`), and each
/// vector core walks its share of the rows `vec_rows` at a time (what UB holds). The pieces
/// change no value: score columns are independent, and the `P V` reduction accumulates in
/// L0C in the same key order as `pasa-core`'s sequential matmul.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tiling {
    /// Query rows per block (split over the vector cores).
    pub block_q: usize,
    /// Keys per block.
    pub block_k: usize,
    /// Keys per cube piece (divides `block_k`); 0 = choose from the machine.
    pub sub_k: usize,
    /// Rows per vector-core chunk; 0 = choose from the machine.
    pub vec_rows: usize,
}

impl Tiling {
    /// Block sizes with the cube pieces and vector chunks left to the machine.
    #[must_use]
    pub fn blocks(block_q: usize, block_k: usize) -> Self {
        Self {
            block_q,
            block_k,
            sub_k: 0,
            vec_rows: 0,
        }
    }
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

/// Bytes each buffer needs for `tiling` (with `sub_k` and `vec_rows` set), indexed by
/// [`Buffer::index`]; per core (the UB figure is per vector core, for the largest row share).
///
/// - L1: a ring of query blocks (the next block's arrives while the last finishes), a ring
///   of K/V pieces, a ring of P pieces and, for PASA, a ring of shifted-score pieces plus a
///   piece of the `1/keys` mean column (padded to 16 columns).
/// - L0A: a ring of A operands (Q, a P piece or an S' piece).
/// - L0B: a ring of B operands (a K^T, V or mean-column piece).
/// - L0C: a ring of fp32 accumulators (an S piece, P V or the row means).
/// - UB: the query share (scaled there), a ring of score chunks, a ring of P V shares, the
///   running output and the row statistics.
///
/// A footprint beyond `u64` (block sizes or dimensions near `usize::MAX`) saturates at
/// `u64::MAX`, which no buffer holds.
#[must_use]
pub fn footprint(t: Tiling, ty: &TileTypes) -> [u64; 5] {
    /// Sum of products, `None` on overflow.
    fn sum(terms: &[&[usize]]) -> Option<usize> {
        terms.iter().try_fold(0usize, |acc, factors| {
            let p = factors.iter().try_fold(1usize, |p, &f| p.checked_mul(f))?;
            acc.checked_add(p)
        })
    }
    let (r, c, d, dv) = (t.block_q, t.block_k, ty.head_dim, ty.value_dim);
    let (sub, vr) = (t.sub_k.max(1), t.vec_rows.max(1));
    let h = 2; // fp16 operands
    let rows_share = r.div_ceil(ty.vector_cores.max(1));
    let pasa_l1: &[&[usize]] = if ty.pasa {
        &[&[SLOTS, r, sub, h], &[sub, 16, h]]
    } else {
        &[]
    };
    let l1 = sum(&[
        &[SLOTS, r, d, h],
        &[SLOTS, sub, d.max(dv), h],
        &[SLOTS, r, sub, h],
    ])
    .and_then(|a| sum(pasa_l1).and_then(|b| a.checked_add(b)));
    let l0a = sum(&[&[SLOTS, r, d.max(sub), h]]);
    let l0b = sum(&[&[SLOTS, sub, d.max(dv).max(16), h]]);
    let l0c = sum(&[&[SLOTS, r, sub.max(dv), 4]]);
    let vb = bytes_of(ty.vector).max(2);
    let ob = bytes_of(ty.out);
    let ub = sum(&[
        &[rows_share, d, h],
        &[SLOTS, vr.min(rows_share), c, vb],
        &[SLOTS, rows_share, dv, ob],
        &[rows_share, dv, ob],
        &[6, rows_share, 4],
    ]);
    [l1, l0a, l0b, l0c, ub].map(|b| b.map_or(u64::MAX, |b| b as u64))
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
const CANDIDATES: [usize; 7] = [1024, 512, 256, 128, 64, 32, 16];

/// Candidate vector-chunk rows, largest first.
const VEC_ROWS: [usize; 8] = [128, 64, 32, 16, 8, 4, 2, 1];

/// Fills `sub_k` (the largest candidate dividing `block_k` whose cube-core buffers fit) and
/// `vec_rows` (the most rows whose UB fits) where they are 0; `None` if nothing fits.
#[must_use]
pub fn complete(machine: &Machine, t: Tiling, ty: &TileTypes) -> Option<Tiling> {
    let subs: Vec<usize> = if t.sub_k > 0 {
        vec![t.sub_k]
    } else {
        let mut v: Vec<usize> = CANDIDATES
            .iter()
            .copied()
            .filter(|&s| s <= t.block_k && t.block_k % s == 0)
            .collect();
        v.push(t.block_k); // a block size that is not a multiple of 16 is its own piece
        v
    };
    let share = t.block_q.div_ceil(ty.vector_cores.max(1)).max(1);
    let rows: Vec<usize> = if t.vec_rows > 0 {
        vec![t.vec_rows]
    } else {
        let mut v: Vec<usize> = VEC_ROWS.iter().copied().filter(|&r| r < share).collect();
        v.insert(0, share);
        v
    };
    for &sub_k in &subs {
        for &vec_rows in &rows {
            let cand = Tiling {
                sub_k,
                vec_rows,
                ..t
            };
            if overflow(machine, cand, ty).is_none() {
                return Some(cand);
            }
        }
    }
    None
}

/// Estimated cube-core cycles per useful FLOP of a tiling: the larger of its GM time (reads
/// of K, V and P, writes of S and P V at the machine's per-core GM share) and its cube time
/// (the products, PASA's row means, and PASA's prepass `K' = M K` amortised over the query
/// blocks of a head). Vector work per FLOP does not depend on the tiling.
fn estimate(machine: &Machine, t: Tiling, ty: &TileTypes, seq_q: usize) -> f64 {
    let (r, c) = (t.block_q as f64, t.block_k as f64);
    let sub = t.sub_k.max(1) as f64;
    let (d, dv) = (ty.head_dim as f64, ty.value_dim as f64);
    let vb = bytes_of(ty.vector).max(2) as f64;
    let ob = bytes_of(ty.out) as f64;
    let mut bytes = 2.0 * c * (d + dv) + 2.0 * r * c + r * c * vb + r * dv * ob;
    let share = machine.gm_share_bytes_per_cycle(machine.total_cores());
    let frac = f64::from(machine.cube.frac_m)
        * f64::from(machine.cube.frac_n)
        * f64::from(machine.cube.frac_k);
    let mut cube = r * c * (d + dv) / frac;
    if ty.pasa {
        // Row means on the cube, and the prepass per key block (pieces^2 products of
        // sub x sub by sub x d, each loading its M and K pieces), shared by the
        // seq_q / r query blocks of a head.
        let pieces = (c / sub).ceil();
        let q_blocks = (seq_q.max(1) as f64 / r).ceil();
        cube += r * c * 16.0 / frac + c * c * d / frac / q_blocks;
        bytes += (pieces * pieces * 2.0 * sub * (sub + d) + 2.0 * c * d) / q_blocks;
    }
    let flops = 2.0 * r * c * (d + dv);
    (bytes / share).max(cube) / flops
}

/// Picks the tiling with the lowest estimated time per FLOP among those that fit every
/// buffer: the larger of its cube-core GM time and its cube time (PASA's row means and
/// prepass included). Blocks are not made larger than the (16-padded) sequence needs. Ties
/// go to the larger `block_q`.
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
    let mut best: Option<(f64, Tiling)> = None;
    for &r in CANDIDATES.iter().filter(|&&r| r <= 256) {
        for &c in &CANDIDATES {
            let blocks = Tiling::blocks(r.min(cap_q), c.min(cap_k));
            let Some(t) = complete(machine, blocks, ty) else {
                continue;
            };
            let cost = estimate(machine, t, ty, seq_q);
            let better = match best {
                None => true,
                Some((b, bt)) => {
                    cost < b * (1.0 - 1e-9) || (cost <= b * (1.0 + 1e-9) && t.block_q > bt.block_q)
                }
            };
            if better {
                best = Some((cost, t));
            }
        }
    }
    match best {
        Some((_, t)) => Ok(t),
        None => {
            let smallest = Tiling {
                block_q: 16,
                block_k: 16,
                sub_k: 16,
                vec_rows: 1,
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
