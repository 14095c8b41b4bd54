//! [`UniformGibbs`]: the Gibbs kernel of a uniform grid, held in O(1) memory, with the
//! one-pass quotient `out = m ⊘ (K x)` that a scaling iteration needs.
//!
//! Why a second product. [`crate::ColtPair::apply_in_place`] runs the forward and the
//! backward sweep from the two ends (`crate::sweep`): it reads `x` twice and writes `out`
//! twice (fresh values, then the other sweep's sums added), and a scaling iteration then
//! reads `out` and `m` again to divide. That is seven to nine array transfers per product
//! where a streaming pass `y = a x + b` needs three. Here one pass from left to right reads
//! `x` and `m` once and writes `out` once:
//!
//! * the backward sum entering each block of [`BLOCK`] elements from the right,
//!   `Y(s) = sum_{j >= s} rho^{j - s} x_j`, is chained right to left from one number per
//!   block, the *block sums* `S_b(x) = sum_t rho^t x_{s_b + t}` (O(N / BLOCK) work);
//! * the block sums of `out` are computed while its block is in cache, so the next product
//!   (whose input is this one's output) needs no pass of its own: [`UniformGibbs::block_sums`]
//!   is called once, on the first input;
//! * inside a tile of `crate::tile::LANES` blocks, transposed on the stack so that one step of every
//!   block is contiguous (`crate::tile`), the forward sweeps (zero carry) and then the
//!   backward sweeps fused with the carry fix-up `rho^{t+1} P_{s-1}` run in lock-step, four
//!   lanes per instruction where the CPU has AVX2 (detected at run time; the baseline path
//!   gives the same bits); the quotient, its checks and the new block sums are one
//!   branch-free loop over each block.
//!
//! Rounding. Each entry `(K x)_i` is the same sum of the same terms as in the sweeps; the
//! weights `rho^t` come from a table built by repeated multiplication (at most [`BLOCK`]
//! roundings) instead of the running products of the recurrences, and a block's carries are
//! summed in a different order. The bound of `crate::sweep`, `c n_eff u (|K| |x|)_i` with
//! `n_eff = min(N, 1 / (1 - rho))`, holds unchanged (`tests/one_pass.rs` checks the products
//! against the sweeps to it). Every entry, the last partial tile's included (it is padded
//! with zeros), is computed by the same steps, so the bits do not depend on the instruction
//! set or on where the tiles end.

use crate::error::Result;
use crate::real::Real;
use crate::sweep::{BLOCK, Ones, Uniform, interleaved_apply, prefetch_line};
#[cfg(target_arch = "x86_64")]
use crate::tile::Avx2;
use crate::tile::{
    Baseline, Isa, LANES, Lanes, TILE, TileKernel, as_f64, as_f64_mut, tile_product, tile_source,
};
use crate::validate::{check_len, check_positive, check_result};

/// The W1 Gibbs kernel `K_ij = rho^{|i - j|}`, `rho = exp(-h / eps)`, of a uniform grid of
/// `n` points with spacing `h`, held as the scalar `rho` and two tables of its powers (no
/// O(N) storage; the same kernel as [`crate::ColtPair::gibbs_uniform`]).
///
/// ```
/// use colt::UniformGibbs;
/// let k = UniformGibbs::new(5, 1.0, 1.0)?;
/// let x = [0.0, 0.0, 1.0, 0.0, 0.0];
/// let mut kx = [0.0; 5];
/// k.apply_in_place(&x, &mut kx)?; // the middle column of K
/// assert!((kx[0] - (-2.0f64).exp()).abs() < 1e-16);
///
/// // One scaling step out = m / (K x), from the block sums of x.
/// let mut sums = vec![0.0; k.sums_len()];
/// k.block_sums(&x, &mut sums)?;
/// let m = [1.0, 1.0, 0.0, 1.0, 1.0];
/// let (mut out, mut out_sums) = ([0.0; 5], vec![0.0; k.sums_len()]);
/// let q = k.divide_in_place(&x, &sums, &m, &mut out, &mut out_sums)?;
/// assert!((out[0] - 1.0 / kx[0]).abs() < 1e-12 * out[0] && out[2] == 0.0);
/// assert!(q.finite && (q.min_divisor - kx[0]).abs() < 1e-15); // min over m > 0
/// # Ok::<(), colt::ColtError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct UniformGibbs {
    n: usize,
    rho: f64,
    /// `rho^t`, `t = 0..BLOCK`: the weights of a block sum.
    pow0: [f64; BLOCK],
    /// `rho^{t + 1}`, `t = 0..BLOCK`: the weight of the forward carry at offset `t`.
    pow1: [f64; BLOCK],
}

/// What [`UniformGibbs::divide_in_place`] saw, over the entries with `m_i > 0` (the others
/// are set to 0 whatever the divisor).
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct Quotients {
    /// Smallest divisor `(K x)_i` (`+inf` when no `m_i > 0`); NaN divisors are skipped (they
    /// show in [`Quotients::finite`]).
    pub min_divisor: f64,
    /// Smallest quotient `m_i / (K x)_i` (`+inf` when no `m_i > 0`).
    pub min_quotient: f64,
    /// Whether every quotient is finite.
    pub finite: bool,
}

impl UniformGibbs {
    /// The kernel of `n` points with spacing `h` at regularisation `eps`.
    ///
    /// # Errors
    /// [`crate::ColtError::NonPositive`] unless `h` and `eps` are finite and `> 0`.
    pub fn new(n: usize, h: f64, eps: f64) -> Result<Self> {
        check_positive("h", h)?;
        check_positive("eps", eps)?;
        // The same rounding as `ColtPair::gibbs_uniform`, so that `apply_in_place` is
        // bit-identical to the pair's product.
        let rho = (-h / eps).exp();
        let (mut pow0, mut pow1) = ([0.0; BLOCK], [0.0; BLOCK]);
        let mut p = 1.0;
        for (p0, p1) in pow0.iter_mut().zip(&mut pow1) {
            *p0 = p;
            p *= rho;
            *p1 = p;
        }
        Ok(UniformGibbs { n, rho, pow0, pow1 })
    }

    /// Dimension N.
    pub fn len(&self) -> usize {
        self.n
    }

    /// `true` for the 0x0 kernel.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The ratio `rho = exp(-h / eps)`.
    pub fn ratio(&self) -> f64 {
        self.rho
    }

    /// Length of a block-sums buffer: one number per [`BLOCK`] entries.
    pub fn sums_len(&self) -> usize {
        self.n.div_ceil(BLOCK)
    }

    /// `out = K x`, bit-identical to [`crate::ColtPair::apply_in_place`] of
    /// [`crate::ColtPair::gibbs_uniform`]`(n, h, eps)`. Never allocates.
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `x` and `out` have length N;
    /// [`crate::ColtError::NonFinite`] for a NaN or infinite entry of `x`.
    pub fn apply_in_place(&self, x: &[f64], out: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("out", self.n, out.len())?;
        if interleaved_apply(Ones, Uniform(self.rho), Uniform(self.rho), x, out) {
            Ok(())
        } else {
            check_result(&[("x", x)], out)
        }
    }

    /// The block sums `sums_b = sum_t rho^t x_{b BLOCK + t}` of `x` (what
    /// [`UniformGibbs::divide_in_place`] needs of its input), each summed in the order the
    /// quotient uses for its output's sums. Never allocates.
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `x` has length N and `sums` length
    /// [`UniformGibbs::sums_len`].
    pub fn block_sums<T: Real>(&self, x: &[T], sums: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("sums", self.sums_len(), sums.len())?;
        for (c, s) in x.chunks(BLOCK).zip(sums) {
            *s = block_sum(c, &self.pow0);
        }
        Ok(())
    }

    /// `out_i = m_i / (K x)_i` (`0` where `m_i = 0`) in one pass, and the block sums of
    /// `out` into `out_sums` (what the next call, with `out` as its input, needs).
    /// `x_sums` must be the block sums of `x` ([`UniformGibbs::block_sums`], or the
    /// `out_sums` of the call that wrote `x`). Never allocates. Runs 4-wide where the CPU
    /// has AVX2 (detected at run time), with the same bits as without (the `tile` module).
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `x`, `m`, `out` have length N and both
    /// sums buffers length [`UniformGibbs::sums_len`]. Non-finite values are not errors:
    /// they show in the returned [`Quotients`].
    pub fn divide_in_place<T: Real>(
        &self,
        x: &[T],
        x_sums: &[f64],
        m: &[T],
        out: &mut [T],
        out_sums: &mut [f64],
    ) -> Result<Quotients> {
        self.check(x, x_sums, m, out.len(), out_sums.len())?;
        #[cfg(target_arch = "x86_64")]
        if let Some(isa) = Avx2::detect() {
            // SAFETY: `isa` proves that this CPU has AVX2.
            let stats = unsafe { self.divide_avx2(isa, x, x_sums, m, out, out_sums) };
            return Ok(stats.quotients());
        }
        Ok(self
            .divide_with(Baseline, x, x_sums, m, out, out_sums)
            .quotients())
    }

    /// [`UniformGibbs::divide_with`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn divide_avx2<T: Real>(
        &self,
        isa: Avx2,
        x: &[T],
        x_sums: &[f64],
        m: &[T],
        out: &mut [T],
        out_sums: &mut [f64],
    ) -> Stats {
        self.divide_with(isa, x, x_sums, m, out, out_sums)
    }

    /// The body of [`UniformGibbs::divide_in_place`] (lengths checked) on `isa`.
    #[inline(always)]
    fn divide_with<I: Isa, T: Real>(
        &self,
        isa: I,
        x: &[T],
        x_sums: &[f64],
        m: &[T],
        out: &mut [T],
        out_sums: &mut [f64],
    ) -> Stats {
        let mut stats = Stats::EMPTY;
        let pow0 = &self.pow0;
        // `out` is borrowed mutably by the block closure: its lines ahead are asked for by
        // address (a prefetch reads nothing and never faults).
        let (out_at, out_len) = (out.as_ptr() as usize, out.len());
        let ahead = |i: usize| {
            prefetch_line(m, i);
            if i < out_len {
                prefetch_address(out_at + i * core::mem::size_of::<T>());
            }
        };
        self.pass(isa, x, x_sums, out_sums, ahead, |start, k| {
            let len = k.len();
            let (m, o, w) = (
                &m[start..start + len],
                &mut out[start..start + len],
                &pow0[..len],
            );
            if let (Some(m), Some(o)) = (as_f64(m), as_f64_mut(&mut *o)) {
                return isa.quotient_f64(m, k, w, o, &mut stats);
            }
            quotient_block(m, k, w, o, &mut stats)
        });
        stats
    }

    /// Calls `visit(start, k)` with each block of the product `k = (K x)[start..]`, in
    /// order, in one pass and without writing the product: what a caller that only reduces
    /// `K x` (a residual, a dot product) needs. `x_sums` are the block sums of `x`;
    /// `scratch` (length [`UniformGibbs::sums_len`]) is overwritten.
    ///
    /// ```
    /// let k = colt::UniformGibbs::new(1000, 1e-3, 1e-2)?;
    /// let (x, mut sums, mut scratch) = (vec![1.0; 1000], vec![0.0; k.sums_len()], vec![0.0; k.sums_len()]);
    /// k.block_sums(&x, &mut sums)?;
    /// let mut total = 0.0;
    /// k.visit_blocks(&x, &sums, &mut scratch, |_, block| total += block.iter().sum::<f64>())?;
    /// let mut kx = vec![0.0; 1000];
    /// k.apply_in_place(&x, &mut kx)?;
    /// assert!((total - kx.iter().sum::<f64>()).abs() < 1e-10 * total); // 1^T K 1
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `x` has length N and both sums buffers
    /// length [`UniformGibbs::sums_len`].
    pub fn visit_blocks<T: Real>(
        &self,
        x: &[T],
        x_sums: &[f64],
        scratch: &mut [f64],
        visit: impl FnMut(usize, &[f64]),
    ) -> Result<()> {
        self.check(x, x_sums, x, self.n, scratch.len())?;
        #[cfg(target_arch = "x86_64")]
        if let Some(isa) = Avx2::detect() {
            // SAFETY: `isa` proves that this CPU has AVX2.
            unsafe { self.visit_avx2(isa, x, x_sums, scratch, visit) };
            return Ok(());
        }
        self.visit_with(Baseline, x, x_sums, scratch, visit);
        Ok(())
    }

    /// [`UniformGibbs::visit_with`] compiled for AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn visit_avx2<T: Real>(
        &self,
        isa: Avx2,
        x: &[T],
        x_sums: &[f64],
        scratch: &mut [f64],
        visit: impl FnMut(usize, &[f64]),
    ) {
        self.visit_with(isa, x, x_sums, scratch, visit);
    }

    /// The body of [`UniformGibbs::visit_blocks`] (lengths checked) on `isa`.
    #[inline(always)]
    fn visit_with<I: Isa, T: Real>(
        &self,
        isa: I,
        x: &[T],
        x_sums: &[f64],
        scratch: &mut [f64],
        mut visit: impl FnMut(usize, &[f64]),
    ) {
        self.pass(
            isa,
            x,
            x_sums,
            scratch,
            |_| {},
            |start, k| {
                visit(start, k);
                0.0
            },
        );
    }

    /// The bilinear form `sum_ij u_i |i - j| rho^{|i - j|} v_j`: the transport cost
    /// `<C, diag(u) K diag(v)>` of the grid in units of its spacing, in two sequential passes
    /// and O(1) memory (the distance-weighted recurrences of `ColtPair::distance_apply_in_place`
    /// with one ratio, reduced against `u` instead of written).
    ///
    /// ```
    /// let k = colt::UniformGibbs::new(3, 1.0, 1.0)?;
    /// let got = k.distance_form(&[1.0, 0.0, 0.0], &[0.0, 0.0, 2.0])?;
    /// assert!((got - 2.0 * 2.0 * (-2.0f64).exp()).abs() < 1e-15); // |0 - 2| rho^2 v_2
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `u` and `v` have length N.
    pub fn distance_form<T: Real>(&self, u: &[T], v: &[T]) -> Result<f64> {
        check_len("u", self.n, u.len())?;
        check_len("v", self.n, v.len())?;
        let rho = self.rho;
        // Forward: P_i = rho P_{i-1} + v_i, D_i = rho (D_{i-1} + P_{i-1}) = sum_{j < i} (i - j) rho^{i-j} v_j.
        let (mut p, mut d, mut total) = (0.0, 0.0, 0.0);
        for (&ui, &vi) in u.iter().zip(v) {
            let (ui, vi) = (ui.to_f64(), vi.to_f64());
            d = rho * (d + p);
            p = rho * p + vi;
            total += ui * d;
        }
        // Backward: the same from the right, j > i.
        let (mut y, mut e) = (0.0, 0.0);
        for (&ui, &vi) in u.iter().zip(v).rev() {
            let (ui, vi) = (ui.to_f64(), vi.to_f64());
            e = rho * (e + y);
            y = rho * y + vi;
            total += ui * e;
        }
        Ok(total)
    }

    fn check<T: Real>(
        &self,
        x: &[T],
        x_sums: &[f64],
        m: &[T],
        out: usize,
        out_sums: usize,
    ) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("m", self.n, m.len())?;
        check_len("out", self.n, out)?;
        check_len("x_sums", self.sums_len(), x_sums.len())?;
        check_len("out_sums", self.sums_len(), out_sums)
    }

    /// One pass from left to right computing `k = K x` block by block: `finish(start, k)`
    /// receives each block's products (`k` has the block's length) and returns the number
    /// stored in `chain[b]`. `chain` (length `sums_len`) first holds the backward sums `Y` at
    /// the block starts, chained from `x_sums`; a tile reads the entries of its blocks and
    /// of the next block before `finish` overwrites them. The last tile is padded with
    /// zeros, which change no entry's bits (a zero adds `rho * 0 + 0 = 0` to a sum), so
    /// every entry is computed by the same steps whatever N.
    #[inline(always)]
    fn pass<I: Isa, T: Real>(
        &self,
        isa: I,
        x: &[T],
        x_sums: &[f64],
        chain: &mut [f64],
        ahead: impl Fn(usize),
        mut finish: impl FnMut(usize, &[f64]) -> f64,
    ) {
        let n = self.n;
        let kernel = TileKernel {
            rho: self.rho,
            pow1: &self.pow1,
            link: self.pow1[BLOCK - 1], // rho^BLOCK
        };
        // Y(s_b) = S_b + rho^BLOCK Y(s_{b+1}), right to left (Y(n) = 0).
        let mut y = 0.0;
        for (c, &s) in chain.iter_mut().zip(x_sums).rev() {
            y = s + kernel.link * y;
            *c = y;
        }
        let mut xi: Lanes = [[0.0; LANES]; BLOCK];
        let mut pk: Lanes = [[0.0; LANES]; BLOCK];
        let mut kb = [0.0f64; TILE];
        let mut padded = [0.0f64; TILE];
        // P_{start - 1}: the forward sum carried into the tile.
        let mut q = 0.0;
        for start in (0..n).step_by(TILE) {
            let len = (n - start).min(TILE);
            let src = tile_source(&x[start..], &mut padded);
            let b0 = start / BLOCK;
            // The backward sums entering each block from the right (0 past the end).
            let y_in: [f64; LANES] =
                core::array::from_fn(|l| chain.get(b0 + l + 1).copied().unwrap_or(0.0));
            // The next tile, one cache line per step (2 BLOCK steps, TILE / 8 lines), while
            // this one computes: the memory stays busy during the lane sweeps.
            let prefetch = |step: usize| {
                let next = start + TILE + step * (TILE / (2 * BLOCK));
                prefetch_line(x, next);
                ahead(next);
            };
            tile_product(
                isa, &kernel, src, &y_in, &mut q, &mut xi, &mut pk, &mut kb, prefetch,
            );
            for (b, (k, c)) in kb[..len].chunks(BLOCK).zip(&mut chain[b0..]).enumerate() {
                *c = finish(start + b * BLOCK, k);
            }
        }
    }
}

/// Running checks of [`UniformGibbs::divide_in_place`], four lanes (entry `i` of a block in
/// lane `i % 4`: one AVX2 register, two SSE2 ones).
pub(crate) struct Stats {
    pub(crate) min_divisor: [f64; 4],
    pub(crate) min_quotient: [f64; 4],
    /// Sum of `q * 0`: NaN once a quotient is not finite.
    pub(crate) flag: [f64; 4],
}

impl Stats {
    const EMPTY: Self = Stats {
        min_divisor: [f64::INFINITY; 4],
        min_quotient: [f64::INFINITY; 4],
        flag: [0.0; 4],
    };

    fn quotients(&self) -> Quotients {
        let min = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
        Quotients {
            min_divisor: min(self.min_divisor),
            min_quotient: min(self.min_quotient),
            finite: !self.flag.iter().sum::<f64>().is_nan(),
        }
    }
}

/// `sum_t w_t c_t` in four interleaved partial sums (term `t` in sum `t % 4`), added as
/// `(s_0 + s_2) + (s_1 + s_3)`: the order of [`quotient_block`]'s sums, on any target.
#[inline(always)]
fn block_sum<T: Real>(c: &[T], w: &[f64; BLOCK]) -> f64 {
    let mut acc = [0.0; 4];
    for (i, (&c, &w)) in c.iter().zip(w).enumerate() {
        acc[i % 4] += w * c.to_f64();
    }
    (acc[0] + acc[2]) + (acc[1] + acc[3])
}

/// One block of the quotient: `o = m / k` (0 where `m <= 0`) rounded to `T`, the checks
/// (on the rounded values) into `stats`, and the block sum `sum_t w_t o_t` of the rounded
/// values returned, summed as [`block_sum`]. Written lane by lane without branches, so that
/// the compiler runs the four lanes as one AVX2 register (two SSE2 ones on the baseline),
/// the division included; the same operations either way.
#[inline(always)]
pub(crate) fn quotient_block<T: Real>(
    m: &[T],
    k: &[f64],
    w: &[f64],
    o: &mut [T],
    stats: &mut Stats,
) -> f64 {
    let len = o.len();
    let (m, k, w) = (&m[..len], &k[..len], &w[..len]);
    let mut sum = [0.0; 4];
    let mut quads = o.chunks_exact_mut(4);
    let mut i = 0;
    for ((o4, m4), (k4, w4)) in (&mut quads)
        .zip(m.chunks_exact(4))
        .zip(k.chunks_exact(4).zip(w.chunks_exact(4)))
    {
        for l in 0..4 {
            quotient_lane(l, m4[l], k4[l], w4[l], &mut o4[l], &mut sum, stats);
        }
        i += 4;
    }
    for (l, o) in quads.into_remainder().iter_mut().enumerate() {
        quotient_lane(l, m[i + l], k[i + l], w[i + l], o, &mut sum, stats);
    }
    (sum[0] + sum[2]) + (sum[1] + sum[3])
}

/// One entry of [`quotient_block`] in lane `l`.
#[inline(always)]
pub(crate) fn quotient_lane<T: Real>(
    l: usize,
    m: T,
    k: f64,
    w: f64,
    o: &mut T,
    sum: &mut [f64; 4],
    stats: &mut Stats,
) {
    let m = m.to_f64();
    let positive = m > 0.0;
    let q = T::from_f64(m / k).to_f64();
    let q = if positive { q } else { 0.0 };
    *o = T::from_f64(q);
    sum[l] += w * q;
    stats.flag[l] += q * 0.0;
    let (kd, qd) = if positive {
        (k, q)
    } else {
        (f64::INFINITY, f64::INFINITY)
    };
    // `if b < a { b } else { a }`, as `minpd`: a NaN `b` keeps `a`.
    if kd < stats.min_divisor[l] {
        stats.min_divisor[l] = kd;
    }
    if qd < stats.min_quotient[l] {
        stats.min_quotient[l] = qd;
    }
}

/// Asks the cache for the line holding the byte at `address` (a hint: nothing is read, and a
/// prefetch never faults). No-op off x86_64.
#[inline(always)]
fn prefetch_address(address: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: `_mm_prefetch` only needs SSE, which every x86_64 target has; it is a hint
        // that never faults, whatever the address.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(address as *const i8) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::uniform;

    /// The AVX2 path and the baseline path give the same bits (the `tile` module's claim):
    /// products, block sums and checks, at sizes around the block and tile boundaries, with
    /// zero masses and zero, tiny and huge inputs. Skipped (nothing to compare) on a CPU
    /// without AVX2.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn avx2_and_baseline_agree_bit_for_bit() {
        let Some(isa) = Avx2::detect() else {
            return;
        };
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for &n in &[
            1usize,
            3,
            64,
            65,
            TILE - 1,
            TILE,
            TILE + 1,
            3 * TILE + 77,
            20_011,
        ] {
            for &eps_over_h in &[0.3, 4.0, 100.0, 1e5] {
                let k = UniformGibbs::new(n, 1.0, eps_over_h).expect("valid");
                let x: Vec<f64> = uniform(5, n)
                    .iter()
                    .enumerate()
                    .map(|(i, u)| match i % 23 {
                        3 => 0.0,
                        7 => 1e-300 * u,
                        11 => 1e250 * u,
                        _ => 0.1 + u,
                    })
                    .collect();
                let m: Vec<f64> = uniform(6, n)
                    .iter()
                    .enumerate()
                    .map(|(i, u)| if i % 13 == 3 { 0.0 } else { u + 1e-3 })
                    .collect();
                let mut sums = vec![0.0; k.sums_len()];
                k.block_sums(&x, &mut sums).expect("lengths");
                let run = |avx2: bool| {
                    let (mut out, mut out_sums) = (vec![0.0; n], vec![0.0; k.sums_len()]);
                    let stats = if avx2 {
                        // SAFETY: `isa` proves that this CPU has AVX2.
                        unsafe { k.divide_avx2(isa, &x, &sums, &m, &mut out, &mut out_sums) }
                    } else {
                        k.divide_with(Baseline, &x, &sums, &m, &mut out, &mut out_sums)
                    };
                    let mut seen = Vec::new();
                    let mut scratch = vec![0.0; k.sums_len()];
                    let record = |_: usize, b: &[f64]| seen.extend_from_slice(b);
                    if avx2 {
                        // SAFETY: as above.
                        unsafe { k.visit_avx2(isa, &x, &sums, &mut scratch, record) };
                    } else {
                        k.visit_with(Baseline, &x, &sums, &mut scratch, record);
                    }
                    let q = stats.quotients();
                    (
                        bits(&out),
                        bits(&out_sums),
                        bits(&seen),
                        [q.min_divisor.to_bits(), q.min_quotient.to_bits()],
                        q.finite,
                    )
                };
                let (fast, plain) = (run(true), run(false));
                assert!(fast == plain, "n {n} eps/h {eps_over_h}: the paths differ");
            }
        }
    }
}
