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
//! * inside a tile of [`LANES`] blocks, copied to the stack in one sequential read, the
//!   backward and the forward sweeps of the blocks run in lock-step (independent chains;
//!   forward with zero carry, fixed up by `rho^{t+1} P_{s-1}` from a table), and the quotient,
//!   its checks and the new block sums are one vectorisable loop over the tile.
//!
//! Rounding. Each entry `(K x)_i` is the same sum of the same terms as in the sweeps; the
//! weights `rho^t` come from a table built by repeated multiplication (at most [`BLOCK`]
//! roundings) instead of the running products of the recurrences, and a block's carries are
//! summed in a different order. The bound of `crate::sweep`, `c n_eff u (|K| |x|)_i` with
//! `n_eff = min(N, 1 / (1 - rho))`, holds unchanged (`tests/one_pass.rs` checks the products
//! against the sweeps to it).

use crate::error::Result;
use crate::sweep::{BLOCK, LANES, Ones, TILE, Uniform, interleaved_apply, prefetch_line};
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
    /// [`UniformGibbs::divide_in_place`] needs of its input). Never allocates.
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `x` has length N and `sums` length
    /// [`UniformGibbs::sums_len`].
    pub fn block_sums(&self, x: &[f64], sums: &mut [f64]) -> Result<()> {
        check_len("x", self.n, x.len())?;
        check_len("sums", self.sums_len(), sums.len())?;
        for (c, s) in x.chunks(BLOCK).zip(sums) {
            *s = self.block_sum(c);
        }
        Ok(())
    }

    /// `sum_t rho^t c_t` in two interleaved partial sums.
    #[inline(always)]
    fn block_sum(&self, c: &[f64]) -> f64 {
        let mut acc = [0.0; 2];
        let mut pairs = c.chunks_exact(2);
        let mut w = self.pow0.chunks_exact(2);
        for (p, q) in (&mut pairs).zip(&mut w) {
            acc[0] += q[0] * p[0];
            acc[1] += q[1] * p[1];
        }
        if let (Some(&last), Some(q)) = (pairs.remainder().first(), w.next()) {
            acc[0] += q[0] * last;
        }
        acc[0] + acc[1]
    }

    /// `out_i = m_i / (K x)_i` (`0` where `m_i = 0`) in one pass, and the block sums of
    /// `out` into `out_sums` (what the next call, with `out` as its input, needs).
    /// `x_sums` must be the block sums of `x` ([`UniformGibbs::block_sums`], or the
    /// `out_sums` of the call that wrote `x`). Never allocates.
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `x`, `m`, `out` have length N and both
    /// sums buffers length [`UniformGibbs::sums_len`]. Non-finite values are not errors:
    /// they show in the returned [`Quotients`].
    pub fn divide_in_place(
        &self,
        x: &[f64],
        x_sums: &[f64],
        m: &[f64],
        out: &mut [f64],
        out_sums: &mut [f64],
    ) -> Result<Quotients> {
        self.check(x, x_sums, m, out.len(), out_sums.len())?;
        let mut stats = Stats::EMPTY;
        let pow0 = &self.pow0;
        // `out` is borrowed mutably by the block closure: its lines ahead are asked for by
        // address (a prefetch reads nothing and never faults).
        let (out_at, out_len) = (out.as_ptr() as usize, out.len());
        let ahead = |i: usize| {
            prefetch_line(m, i);
            if i < out_len {
                prefetch_address(out_at + i * core::mem::size_of::<f64>());
            }
        };
        self.pass(x, x_sums, out_sums, ahead, |start, k| {
            let len = k.len();
            quotient_block(
                &m[start..start + len],
                k,
                &pow0[..len],
                &mut out[start..start + len],
                &mut stats,
            )
        });
        Ok(stats.quotients())
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
    pub fn visit_blocks(
        &self,
        x: &[f64],
        x_sums: &[f64],
        scratch: &mut [f64],
        mut visit: impl FnMut(usize, &[f64]),
    ) -> Result<()> {
        self.check(x, x_sums, x, self.n, scratch.len())?;
        self.pass(
            x,
            x_sums,
            scratch,
            |_| {},
            |start, k| {
                visit(start, k);
                0.0
            },
        );
        Ok(())
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
    pub fn distance_form(&self, u: &[f64], v: &[f64]) -> Result<f64> {
        check_len("u", self.n, u.len())?;
        check_len("v", self.n, v.len())?;
        let rho = self.rho;
        // Forward: P_i = rho P_{i-1} + v_i, D_i = rho (D_{i-1} + P_{i-1}) = sum_{j < i} (i - j) rho^{i-j} v_j.
        let (mut p, mut d, mut total) = (0.0, 0.0, 0.0);
        for (&ui, &vi) in u.iter().zip(v) {
            d = rho * (d + p);
            p = rho * p + vi;
            total += ui * d;
        }
        // Backward: the same from the right, j > i.
        let (mut y, mut e) = (0.0, 0.0);
        for (&ui, &vi) in u.iter().zip(v).rev() {
            e = rho * (e + y);
            y = rho * y + vi;
            total += ui * e;
        }
        Ok(total)
    }

    fn check(
        &self,
        x: &[f64],
        x_sums: &[f64],
        m: &[f64],
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
    /// the block starts, chained from `x_sums`; entry `b + 1` is read before `finish` of
    /// block `b` overwrites entry `b`.
    fn pass(
        &self,
        x: &[f64],
        x_sums: &[f64],
        chain: &mut [f64],
        ahead: impl Fn(usize),
        mut finish: impl FnMut(usize, &[f64]) -> f64,
    ) {
        let n = self.n;
        let rho = self.rho;
        let link = self.pow1[BLOCK - 1]; // rho^BLOCK
        // Y(s_b) = S_b + rho^BLOCK Y(s_{b+1}), right to left (Y(n) = 0).
        let mut y = 0.0;
        for (c, &s) in chain.iter_mut().zip(x_sums).rev() {
            y = s + link * y;
            *c = y;
        }
        let full = n / TILE * TILE;
        let mut xb = [0.0f64; TILE];
        let mut wb = [0.0f64; TILE];
        let mut pb = [0.0f64; TILE];
        // P_{start - 1}: the forward sum carried into the tile.
        let mut q = 0.0;
        for start in (0..full).step_by(TILE) {
            let b0 = start / BLOCK;
            xb.copy_from_slice(&x[start..start + TILE]);
            // The backward sums entering each block from the right.
            let mut yv = [0.0; LANES];
            for (l, v) in yv.iter_mut().enumerate() {
                *v = chain.get(b0 + l + 1).copied().unwrap_or(0.0);
            }
            // Backward: W_i = rho Y_{i+1}, Y_i = x_i + W_i, all lanes in lock-step.
            for t in (0..BLOCK).rev() {
                // The next tile, one cache line per step (64 steps, 8 f64 a line), while this
                // one computes: the memory stays busy during the lane sweeps.
                let next = start + TILE + (BLOCK - 1 - t) * 8;
                prefetch_line(x, next);
                ahead(next);
                for (l, v) in yv.iter_mut().enumerate() {
                    let i = l * BLOCK + t;
                    let w = rho * *v;
                    wb[i] = w;
                    *v = xb[i] + w;
                }
            }
            // Forward with zero carry: P_i = rho P_{i-1} + x_i.
            let mut pv = [0.0; LANES];
            for t in 0..BLOCK {
                for (l, v) in pv.iter_mut().enumerate() {
                    let i = l * BLOCK + t;
                    *v = rho * *v + xb[i];
                    pb[i] = *v;
                }
            }
            // Lane by lane: the carry fix-up P_i += rho^{t+1} P_{s-1}, then K x = P + W.
            for (l, &p_end) in pv.iter().enumerate() {
                let s = l * BLOCK;
                let k = &mut xb[s..s + BLOCK];
                for ((k, (&p, &w)), &c) in k
                    .iter_mut()
                    .zip(pb[s..s + BLOCK].iter().zip(&wb[s..s + BLOCK]))
                    .zip(&self.pow1)
                {
                    *k = (p + c * q) + w;
                }
                q = p_end + link * q;
                chain[b0 + l] = finish(start + s, k);
            }
        }
        let tail = n - full;
        if tail > 0 {
            // The tail ends the array: its backward sums start from Y(n) = 0.
            let xs = &x[full..];
            let mut y = 0.0;
            for (w, &xi) in wb[..tail].iter_mut().zip(xs).rev() {
                *w = rho * y;
                y = xi + *w;
            }
            for ((k, &xi), &w) in xb[..tail].iter_mut().zip(xs).zip(&wb[..tail]) {
                q = rho * q + xi;
                *k = q + w;
            }
            for (c, b) in (0..tail).step_by(BLOCK).zip(full / BLOCK..) {
                let e = (c + BLOCK).min(tail);
                chain[b] = finish(full + c, &xb[c..e]);
            }
        }
    }
}

/// Running checks of [`UniformGibbs::divide_in_place`], two lanes (one SSE2 register each).
struct Stats {
    min_divisor: [f64; 2],
    min_quotient: [f64; 2],
    /// Sum of `q * 0`: NaN once a quotient is not finite.
    flag: [f64; 2],
}

impl Stats {
    const EMPTY: Self = Stats {
        min_divisor: [f64::INFINITY; 2],
        min_quotient: [f64::INFINITY; 2],
        flag: [0.0; 2],
    };

    fn quotients(&self) -> Quotients {
        Quotients {
            min_divisor: self.min_divisor[0].min(self.min_divisor[1]),
            min_quotient: self.min_quotient[0].min(self.min_quotient[1]),
            finite: !(self.flag[0] + self.flag[1]).is_nan(),
        }
    }
}

/// One block of the quotient: `o = m / k` (0 where `m <= 0`), the checks into `stats`, and
/// the block sum `sum_t w_t o_t` returned. On x86_64 two entries per SSE2 instruction (the
/// compiler keeps the division scalar otherwise); the same operations on every target.
#[inline(always)]
fn quotient_block(m: &[f64], k: &[f64], w: &[f64], o: &mut [f64], stats: &mut Stats) -> f64 {
    let len = o.len();
    let (m, k, w) = (&m[..len], &k[..len], &w[..len]);
    let pairs = len / 2 * 2;
    let mut sum = [0.0; 2];
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{
            _mm_add_pd, _mm_and_pd, _mm_andnot_pd, _mm_cmpgt_pd, _mm_div_pd, _mm_loadu_pd,
            _mm_min_pd, _mm_mul_pd, _mm_or_pd, _mm_set1_pd, _mm_setzero_pd, _mm_storeu_pd,
        };
        // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are always
        // available; every load and store is of two f64s at `i < pairs <= len` of slices
        // of length `len` (or of the two-element arrays of `stats` and `sum`).
        unsafe {
            let zero = _mm_setzero_pd();
            let inf = _mm_set1_pd(f64::INFINITY);
            let mut vsum = _mm_setzero_pd();
            let mut vflag = _mm_loadu_pd(stats.flag.as_ptr());
            let mut vmin_k = _mm_loadu_pd(stats.min_divisor.as_ptr());
            let mut vmin_q = _mm_loadu_pd(stats.min_quotient.as_ptr());
            for i in (0..pairs).step_by(2) {
                let mv = _mm_loadu_pd(m.as_ptr().add(i));
                let kv = _mm_loadu_pd(k.as_ptr().add(i));
                let wv = _mm_loadu_pd(w.as_ptr().add(i));
                let positive = _mm_cmpgt_pd(mv, zero);
                let q = _mm_and_pd(positive, _mm_div_pd(mv, kv));
                _mm_storeu_pd(o.as_mut_ptr().add(i), q);
                vsum = _mm_add_pd(vsum, _mm_mul_pd(wv, q));
                vflag = _mm_add_pd(vflag, _mm_mul_pd(q, zero));
                // min(a, b) = a < b ? a : b: a NaN divisor keeps the running minimum.
                let kd = _mm_or_pd(_mm_and_pd(positive, kv), _mm_andnot_pd(positive, inf));
                vmin_k = _mm_min_pd(kd, vmin_k);
                let qd = _mm_or_pd(_mm_and_pd(positive, q), _mm_andnot_pd(positive, inf));
                vmin_q = _mm_min_pd(qd, vmin_q);
            }
            _mm_storeu_pd(sum.as_mut_ptr(), vsum);
            _mm_storeu_pd(stats.flag.as_mut_ptr(), vflag);
            _mm_storeu_pd(stats.min_divisor.as_mut_ptr(), vmin_k);
            _mm_storeu_pd(stats.min_quotient.as_mut_ptr(), vmin_q);
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for i in (0..pairs).step_by(2) {
        for l in 0..2 {
            sum[l] += w[i + l] * quotient_entry(m[i + l], k[i + l], &mut o[i + l], stats, l);
        }
    }
    for i in pairs..len {
        sum[0] += w[i] * quotient_entry(m[i], k[i], &mut o[i], stats, 0);
    }
    sum[0] + sum[1]
}

/// One entry of [`quotient_block`] in lane `l`; returns the quotient.
#[inline(always)]
fn quotient_entry(m: f64, k: f64, o: &mut f64, stats: &mut Stats, l: usize) -> f64 {
    let positive = m > 0.0;
    let q = if positive { m / k } else { 0.0 };
    *o = q;
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
    q
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
