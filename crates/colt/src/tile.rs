//! The tile of [`crate::UniformGibbs`]'s one-pass product, stored lane-interleaved, and the
//! instruction sets it runs on.
//!
//! Why interleaved. A tile holds [`LANES`] blocks of [`BLOCK`] entries whose recurrences are
//! independent (each block's forward sweep starts from a zero carry, its backward sweep from
//! the sum entering it from the right). Stored block by block, one lock-step step touches one
//! entry per block, `BLOCK` apart: the x86_64 baseline (SSE2) runs those one entry at a
//! time. Stored step by step (`xi[t][l]` = entry `t` of block `l`), a step is `LANES`
//! contiguous numbers, one 4-wide instruction per four lanes where AVX2 is present, and the
//! `LANES / 4` independent chains hide the latency of the multiply and the add. Putting the
//! tile in that order and back costs one 4x4 transposition per 16 entries each way
//! ([`Isa::gather`], [`Isa::scatter`]).
//!
//! Same bits on every path. The AVX2 path runs the same operations on the same operands in
//! the same order as the baseline path, only several lanes per instruction: the multiply
//! and the add stay separate instructions (Rust never contracts them into a fused
//! multiply-add), and no sum is reassociated. So a machine with AVX2 and one without give
//! bit-identical products (`one_pass`'s tests check both paths on one machine).

use core::any::TypeId;

use crate::one_pass::{Stats, quotient_block, quotient_lane};
use crate::real::Real;
use crate::sweep::BLOCK;

/// Blocks per tile: independent recurrences advanced in lock-step (four 4-wide chains on
/// AVX2). Measured on the 2-vCPU EPYC (`docs/colt.md`): 16 lanes ran the one-pass
/// quotient ~10 % faster than 8 at N = 10^6.
pub(crate) const LANES: usize = 16;
/// Entries per tile (`LANES` blocks; 8 KiB of f64 per tile array).
pub(crate) const TILE: usize = LANES * BLOCK;

/// A tile stored step by step: `[t][l]` is entry `t` of block `l`.
pub(crate) type Lanes = [[f64; LANES]; BLOCK];

/// The instruction set a tile is computed with. The arithmetic is written once
/// ([`tile_product`]); an implementation only moves data.
pub(crate) trait Isa: Copy {
    /// `xi[t][l] = src[l * BLOCK + t]`.
    fn gather(self, src: &[f64; TILE], xi: &mut Lanes);
    /// `kb[l * BLOCK + t] = pk[t][l]`.
    fn scatter(self, pk: &Lanes, kb: &mut [f64; TILE]);
    /// [`crate::one_pass`]'s quotient of one block stored in f64 (`quotient_block`): the
    /// same operations, several lanes per instruction where the ISA has them.
    #[inline(always)]
    fn quotient_f64(
        self,
        m: &[f64],
        k: &[f64],
        w: &[f64],
        o: &mut [f64],
        stats: &mut Stats,
    ) -> f64 {
        quotient_block(m, k, w, o, stats)
    }
}

/// Any target: scalar moves (the arithmetic is what the compiler makes of the lane loops,
/// two lanes per SSE2 instruction on the x86_64 baseline).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Baseline;

impl Isa for Baseline {
    #[inline(always)]
    fn gather(self, src: &[f64; TILE], xi: &mut Lanes) {
        for (l, block) in src.chunks_exact(BLOCK).enumerate() {
            for (row, &v) in xi.iter_mut().zip(block) {
                row[l] = v;
            }
        }
    }

    #[inline(always)]
    fn scatter(self, pk: &Lanes, kb: &mut [f64; TILE]) {
        for (l, block) in kb.chunks_exact_mut(BLOCK).enumerate() {
            for (v, row) in block.iter_mut().zip(pk) {
                *v = row[l];
            }
        }
    }
}

/// Proof that this CPU has AVX2: only [`Avx2::detect`] makes one.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(());

#[cfg(target_arch = "x86_64")]
impl Avx2 {
    /// `Some` when the CPU running this has AVX2 (a cached lookup after the first call).
    #[inline]
    pub(crate) fn detect() -> Option<Self> {
        std::arch::is_x86_feature_detected!("avx2").then_some(Avx2(()))
    }
}

#[cfg(target_arch = "x86_64")]
impl Isa for Avx2 {
    #[inline(always)]
    fn quotient_f64(
        self,
        m: &[f64],
        k: &[f64],
        w: &[f64],
        o: &mut [f64],
        stats: &mut Stats,
    ) -> f64 {
        // SAFETY: an `Avx2` exists only on a CPU with AVX2.
        unsafe { quotient_avx2(m, k, w, o, stats) }
    }

    #[inline(always)]
    fn gather(self, src: &[f64; TILE], xi: &mut Lanes) {
        // SAFETY: an `Avx2` exists only on a CPU with AVX2.
        unsafe { gather_avx2(src, xi) }
    }

    #[inline(always)]
    fn scatter(self, pk: &Lanes, kb: &mut [f64; TILE]) {
        // SAFETY: an `Avx2` exists only on a CPU with AVX2.
        unsafe { scatter_avx2(pk, kb) }
    }
}

/// [`Isa::gather`] by 4x4 transpositions in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn gather_avx2(src: &[f64; TILE], xi: &mut Lanes) {
    use core::arch::x86_64::{_mm256_loadu_pd, _mm256_storeu_pd};
    for l in (0..LANES).step_by(4) {
        for t in (0..BLOCK).step_by(4) {
            // SAFETY: the loads read `src[(l + j) * BLOCK + t .. + 4]`, in bounds since
            // `l + j < LANES` and `t + 4 <= BLOCK`; the stores write `xi[t + j][l .. l + 4]`,
            // in bounds since `l + 4 <= LANES` (a multiple of 4).
            unsafe {
                let p = src.as_ptr().add(l * BLOCK + t);
                let o = transpose4([
                    _mm256_loadu_pd(p),
                    _mm256_loadu_pd(p.add(BLOCK)),
                    _mm256_loadu_pd(p.add(2 * BLOCK)),
                    _mm256_loadu_pd(p.add(3 * BLOCK)),
                ]);
                for (j, v) in o.into_iter().enumerate() {
                    _mm256_storeu_pd(xi[t + j].as_mut_ptr().add(l), v);
                }
            }
        }
    }
}

/// [`Isa::quotient_f64`] four lanes per instruction: `quotient_block`'s lane `l` is the
/// register's element `l`, and each operation is the one `quotient_block` does (`q = m / k`
/// masked to `+0` where `m <= 0`; `minpd(a, b)` is `if a < b { a } else { b }`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn quotient_avx2(m: &[f64], k: &[f64], w: &[f64], o: &mut [f64], stats: &mut Stats) -> f64 {
    use core::arch::x86_64::{
        _CMP_GT_OQ, _mm256_add_pd, _mm256_and_pd, _mm256_blendv_pd, _mm256_cmp_pd, _mm256_div_pd,
        _mm256_loadu_pd, _mm256_min_pd, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
        _mm256_storeu_pd,
    };
    let len = o.len();
    let (m, k, w) = (&m[..len], &k[..len], &w[..len]);
    let quads = len / 4 * 4;
    let mut sum = [0.0; 4];
    // SAFETY: every load and store is of four f64 at `i + 4 <= quads <= len` of slices of
    // length `len`, or of the four-element arrays of `stats` and `sum`.
    unsafe {
        let zero = _mm256_setzero_pd();
        let inf = _mm256_set1_pd(f64::INFINITY);
        let mut vsum = zero;
        let mut flag = _mm256_loadu_pd(stats.flag.as_ptr());
        let mut min_k = _mm256_loadu_pd(stats.min_divisor.as_ptr());
        let mut min_q = _mm256_loadu_pd(stats.min_quotient.as_ptr());
        for i in (0..quads).step_by(4) {
            let mv = _mm256_loadu_pd(m.as_ptr().add(i));
            let kv = _mm256_loadu_pd(k.as_ptr().add(i));
            let wv = _mm256_loadu_pd(w.as_ptr().add(i));
            let positive = _mm256_cmp_pd::<_CMP_GT_OQ>(mv, zero);
            let q = _mm256_and_pd(positive, _mm256_div_pd(mv, kv));
            _mm256_storeu_pd(o.as_mut_ptr().add(i), q);
            vsum = _mm256_add_pd(vsum, _mm256_mul_pd(wv, q));
            flag = _mm256_add_pd(flag, _mm256_mul_pd(q, zero));
            min_k = _mm256_min_pd(_mm256_blendv_pd(inf, kv, positive), min_k);
            min_q = _mm256_min_pd(_mm256_blendv_pd(inf, q, positive), min_q);
        }
        _mm256_storeu_pd(sum.as_mut_ptr(), vsum);
        _mm256_storeu_pd(stats.flag.as_mut_ptr(), flag);
        _mm256_storeu_pd(stats.min_divisor.as_mut_ptr(), min_k);
        _mm256_storeu_pd(stats.min_quotient.as_mut_ptr(), min_q);
    }
    // The last partial quad (a short last block), in the lanes and sums `quotient_block`
    // uses.
    for (l, o) in o[quads..].iter_mut().enumerate() {
        let i = quads + l;
        quotient_lane(l, m[i], k[i], w[i], o, &mut sum, stats);
    }
    (sum[0] + sum[2]) + (sum[1] + sum[3])
}

/// [`Isa::scatter`] by 4x4 transpositions in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn scatter_avx2(pk: &Lanes, kb: &mut [f64; TILE]) {
    use core::arch::x86_64::{_mm256_loadu_pd, _mm256_storeu_pd};
    for l in (0..LANES).step_by(4) {
        for t in (0..BLOCK).step_by(4) {
            // SAFETY: the loads read `pk[t + j][l .. l + 4]` (`l + 4 <= LANES`,
            // `t + j < BLOCK`); the stores write `kb[(l + j) * BLOCK + t .. + 4]`, in bounds
            // since `l + j < LANES` and `t + 4 <= BLOCK`.
            unsafe {
                let o = transpose4([
                    _mm256_loadu_pd(pk[t].as_ptr().add(l)),
                    _mm256_loadu_pd(pk[t + 1].as_ptr().add(l)),
                    _mm256_loadu_pd(pk[t + 2].as_ptr().add(l)),
                    _mm256_loadu_pd(pk[t + 3].as_ptr().add(l)),
                ]);
                let p = kb.as_mut_ptr().add(l * BLOCK + t);
                for (j, v) in o.into_iter().enumerate() {
                    _mm256_storeu_pd(p.add(j * BLOCK), v);
                }
            }
        }
    }
}

/// Rows `[a, b, c, d]` of a 4x4 block to its columns.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn transpose4(r: [core::arch::x86_64::__m256d; 4]) -> [core::arch::x86_64::__m256d; 4] {
    use core::arch::x86_64::{_mm256_permute2f128_pd, _mm256_unpackhi_pd, _mm256_unpacklo_pd};
    let ab0 = _mm256_unpacklo_pd(r[0], r[1]); // a0 b0 a2 b2
    let ab1 = _mm256_unpackhi_pd(r[0], r[1]); // a1 b1 a3 b3
    let cd0 = _mm256_unpacklo_pd(r[2], r[3]); // c0 d0 c2 d2
    let cd1 = _mm256_unpackhi_pd(r[2], r[3]); // c1 d1 c3 d3
    [
        _mm256_permute2f128_pd::<0x20>(ab0, cd0),
        _mm256_permute2f128_pd::<0x20>(ab1, cd1),
        _mm256_permute2f128_pd::<0x31>(ab0, cd0),
        _mm256_permute2f128_pd::<0x31>(ab1, cd1),
    ]
}

/// `x` as f64 when `T` is f64.
#[inline(always)]
pub(crate) fn as_f64<T: Real>(x: &[T]) -> Option<&[f64]> {
    // SAFETY: `T` is `f64` (same type id): the same slice, retyped.
    (TypeId::of::<T>() == TypeId::of::<f64>())
        .then(|| unsafe { core::slice::from_raw_parts(x.as_ptr().cast::<f64>(), x.len()) })
}

/// `x` as f64 when `T` is f64.
#[inline(always)]
pub(crate) fn as_f64_mut<T: Real>(x: &mut [T]) -> Option<&mut [f64]> {
    if TypeId::of::<T>() != TypeId::of::<f64>() {
        return None;
    }
    // SAFETY: `T` is `f64` (same type id): the same slice, retyped.
    Some(unsafe { core::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<f64>(), x.len()) })
}

/// The tile of `x` starting at `x[0]` as f64: `x` itself when it is f64 and holds a whole
/// tile, else its entries (at most a tile's) converted into `padded`, zeros after them.
#[inline(always)]
pub(crate) fn tile_source<'a, T: Real>(x: &'a [T], padded: &'a mut [f64; TILE]) -> &'a [f64; TILE] {
    if let Some(full) = as_f64(x).and_then(|x| x.first_chunk()) {
        return full;
    }
    let len = x.len().min(TILE);
    for (p, v) in padded.iter_mut().zip(&x[..len]) {
        *p = v.to_f64();
    }
    padded[len..].fill(0.0);
    padded
}

/// The numbers one tile's product needs besides its entries.
pub(crate) struct TileKernel<'a> {
    /// The ratio `rho`.
    pub rho: f64,
    /// `rho^{t + 1}`, the weight of the forward carry at offset `t`.
    pub pow1: &'a [f64; BLOCK],
    /// `rho^BLOCK`.
    pub link: f64,
}

/// `kb = (K x)` on one tile: `src` its entries, `y_in[l]` the backward sum entering block
/// `l` from the right, `q` the forward sum `P` just before the tile (updated to the one
/// just after it). `prefetch(step)` is called once per step, `step = 0 .. 2 BLOCK`.
///
/// Per entry, with `P` the block's forward sum from a zero carry and `W = rho Y_{i+1}`:
/// `(K x)_i = (P_i + rho^{t+1} q_b) + W_i`, `q_b` the forward sum before block `b`.
// The scratch tiles are the caller's (one stack frame for the whole pass), hence the count.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(crate) fn tile_product<I: Isa>(
    isa: I,
    k: &TileKernel<'_>,
    src: &[f64; TILE],
    y_in: &[f64; LANES],
    q: &mut f64,
    xi: &mut Lanes,
    pk: &mut Lanes,
    kb: &mut [f64; TILE],
    prefetch: impl Fn(usize),
) {
    let rho = k.rho;
    isa.gather(src, xi);
    // Forward with zero carry: P_t = rho P_{t-1} + x_t, all lanes in lock-step.
    let mut pv = [0.0; LANES];
    for (t, (x, p)) in xi.iter().zip(pk.iter_mut()).enumerate() {
        prefetch(t);
        for l in 0..LANES {
            pv[l] = rho * pv[l] + x[l];
            p[l] = pv[l];
        }
    }
    // The forward sums before each block, chained left to right.
    let mut qv = [0.0; LANES];
    for (c, &p_end) in qv.iter_mut().zip(&pv) {
        *c = *q;
        *q = p_end + k.link * *q;
    }
    // Backward, W_t = rho Y_{t+1}, Y_t = x_t + W_t, fused with the carry fix-up.
    let mut yv = *y_in;
    for (t, ((x, p), &c)) in xi.iter().zip(pk.iter_mut()).zip(k.pow1).enumerate().rev() {
        prefetch(2 * BLOCK - 1 - t);
        for l in 0..LANES {
            let w = rho * yv[l];
            yv[l] = x[l] + w;
            p[l] = (p[l] + c * qv[l]) + w;
        }
    }
    isa.scatter(pk, kb);
}
