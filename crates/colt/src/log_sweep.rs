//! The log-domain recurrences: `out = log(T exp(lx))` by log-sum-exp sweeps.
//!
//! With `ld = log d`, `lr = log r`, `ls = log s` (brief §2.5 (A) and §3.2, reconstructed):
//!
//! ```text
//! forward  lp_0 = ld_0 + lx_0,   lp_i = logaddexp(lr_{i-1} + lp_{i-1}, ld_i + lx_i)
//! backward ly_{n-1} = lx_{n-1},  lw_i = ls_i + ly_{i+1},  ly_i = logaddexp(lx_i, lw_i)
//! out_i = logaddexp(lp_i, ld_i + lw_i)
//! ```
//!
//! Every quantity is a logarithm of a sum of non-negative terms, so nothing over- or
//! underflows whatever `eps` is; `-inf` (a zero) is absorbed exactly by [`log_add_exp`].
//! The whole-pair product carries each sweep as a scale and a linear sum (`LogSum`,
//! `m + ln s`), which keeps `ln`/`log1p` off the loop-carried chain (29-43 against 46-98
//! ns/element measured here, `docs/colt.md`). In f64 it runs in blocks
//! (`log_blocked_apply`): a block whose values stay within `e^{+-640}` of one scale is
//! evaluated in linear form with two exponentials and one logarithm per element (against
//! three and two), the others by the per-element steps; measured 10-17 % faster
//! (`docs/colt.md`).
//! Each step rounds with a relative error of a few `u` in the *linear* value, so the absolute
//! error in the log output is bounded by about `c * n_eff * u` like the linear sweep's
//! relative error.

use crate::real::Real;
use crate::sweep::{Part, Source};

/// `log(e^a + e^b)`, exact for `-inf` operands (`-inf` stands for a zero).
///
/// ```
/// use colt::log_sweep::log_add_exp;
///
/// assert!((log_add_exp(0.0f64, 0.0) - 2.0f64.ln()).abs() < 1e-16);
/// assert_eq!(log_add_exp(1000.0f64, f64::NEG_INFINITY), 1000.0); // e^1000 + 0
/// assert_eq!(log_add_exp(f64::NEG_INFINITY, f64::NEG_INFINITY), f64::NEG_INFINITY);
/// ```
#[inline(always)]
pub fn log_add_exp<T: Real>(a: T, b: T) -> T {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if hi <= T::NEG_INFINITY {
        // Both are -inf (or `lo` is NaN and `hi` is -inf, which propagates below via `hi`).
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// `out = log(T exp(lx))` for the part `part` of the log pair `(ld, lr, ls)`; `er`, `es` are
/// `e^lr`, `e^ls` in f64 (the blocked sweep's linear ratios, see [`log_blocked_apply`]).
///
/// Lengths are checked by the caller, as in [`crate::sweep::pair_apply`]. Never allocates.
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_pair_apply<T: Real, X: Source<T>>(
    part: Part,
    ld: &[T],
    lr: &[T],
    ls: &[T],
    er: &[f64],
    es: &[f64],
    lx: X,
    out: &mut [T],
) {
    let n = ld.len();
    if n == 0 {
        return;
    }
    if matches!(part, Part::Both) {
        if core::any::TypeId::of::<T>() == core::any::TypeId::of::<f64>() {
            log_blocked_apply(ld, lr, ls, er, es, lx, out);
        } else {
            log_interleaved_apply(ld, lr, ls, lx, out);
        }
        return;
    }
    let lower = !matches!(part, Part::Upper);
    let upper = !matches!(part, Part::Lower);
    let ninf = <T::Acc as Real>::NEG_INFINITY;
    // Carried in T::Acc (f64): see `Real::Acc`.
    if upper {
        let mut ly = ninf; // ly_{i+1}
        for i in (0..n).rev() {
            let lw = if i + 1 < n { ls[i].acc() + ly } else { ninf };
            ly = log_add_exp(lx.at(i).acc(), lw);
            out[i] = T::from_acc(ld[i].acc() + if lower { lw } else { ly });
        }
    }
    if lower {
        let mut lp = ninf;
        for i in 0..n {
            let carried = if i > 0 { lr[i - 1].acc() + lp } else { ninf };
            lp = log_add_exp(carried, ld[i].acc() + lx.at(i).acc());
            out[i] = T::from_acc(if upper {
                log_add_exp(lp, out[i].acc())
            } else {
                lp
            });
        }
    }
}

/// A running log-sum-exp `m + ln(s)` kept as a scale `m` (the largest log-term seen since the
/// last rescale, shifted by the ratios since) and a linear sum `s >= 1` relative to `e^m`.
///
/// Carrying the sum forward by a log-ratio is one addition to `m`; adding a term costs one
/// `exp` (and a rescale only when the term exceeds `e^m`), and `ln(s)` is needed only where a
/// value is written. So the loop-carried chain holds no `ln`/`log1p` (the direct
/// `logaddexp` chain holds an `exp` and a `log1p` per step). `m = -inf` is the empty sum; a
/// NaN term makes the sum NaN.
#[derive(Clone, Copy, Debug)]
struct LogSum {
    m: f64,
    s: f64,
}

impl LogSum {
    const EMPTY: Self = Self {
        m: f64::NEG_INFINITY,
        s: 1.0,
    };

    /// Multiplies the sum by `e^l`.
    #[inline(always)]
    fn scale(&mut self, l: f64) {
        self.m += l;
    }

    /// Adds the term `e^t`.
    #[inline(always)]
    fn add(&mut self, t: f64) {
        if t > self.m {
            self.s = self.s * (self.m - t).exp() + 1.0;
            self.m = t;
        } else if t > f64::NEG_INFINITY {
            self.s += (t - self.m).exp();
        } else if t.is_nan() {
            self.s = t;
        }
    }

    /// `log(sum)`.
    #[inline(always)]
    fn value(self) -> f64 {
        self.m + self.s.ln()
    }

    /// `log(e^o + e^shift sum)`, one `exp` and one logarithm.
    #[inline(always)]
    fn add_to(self, o: f64, shift: f64) -> f64 {
        let m = self.m + shift;
        if o > m {
            o + (self.s * (m - o).exp()).ln_1p()
        } else if m > f64::NEG_INFINITY {
            m + (self.s + (o - m).exp()).ln()
        } else {
            // Both -inf (or a NaN that the comparisons dropped: keep it).
            o + m + self.s
        }
    }
}

/// `out = log(T exp(lx))` with the forward and backward log sweeps interleaved in one loop
/// (two independent chains overlap; see `sweep::interleaved_apply` for the first-half /
/// second-half write order), each carried as a [`LogSum`].
fn log_interleaved_apply<T: Real, X: Source<T>>(
    ld: &[T],
    lr: &[T],
    ls: &[T],
    lx: X,
    out: &mut [T],
) {
    let n = out.len();
    if n == 0 {
        return;
    }
    let h = n / 2;
    // Forward sum (P_{i-1}, then P_i) and backward sum (Y_{j+1}, then W_j, then Y_j).
    let (mut p, mut y) = (LogSum::EMPTY, LogSum::EMPTY);
    for t in 0..h {
        let (i, j) = (t, n - 1 - t);
        if i > 0 {
            p.scale(lr[i - 1].acc().to_f64());
        }
        p.add((ld[i].acc() + lx.at(i).acc()).to_f64());
        out[i] = T::from_f64(p.value());
        if j + 1 < n {
            y.scale(ls[j].acc().to_f64());
        } else {
            y = LogSum::EMPTY;
        }
        out[j] = T::from_f64(ld[j].to_f64() + y.value());
        y.add(lx.at(j).to_f64());
    }
    let start = if n % 2 == 1 {
        let m = h;
        if m > 0 {
            p.scale(lr[m - 1].to_f64());
        }
        p.add(ld[m].to_f64() + lx.at(m).to_f64());
        if m + 1 < n {
            y.scale(ls[m].to_f64());
        }
        out[m] = T::from_f64(y.add_to(p.value(), ld[m].to_f64()));
        y.add(lx.at(m).to_f64());
        h + 1
    } else {
        h
    };
    for t in start..n {
        let (i, j) = (t, n - 1 - t);
        p.scale(lr[i - 1].to_f64());
        p.add(ld[i].to_f64() + lx.at(i).to_f64());
        out[i] = T::from_f64(p.add_to(out[i].to_f64(), 0.0));
        y.scale(ls[j].to_f64());
        out[j] = T::from_f64(y.add_to(out[j].to_f64(), ld[j].to_f64()));
        y.add(lx.at(j).to_f64());
    }
}

/// Elements per block of [`log_blocked_apply`] (stack buffers of this many f64).
const LOG_BLOCK: usize = 32;

/// Largest spread, in log units, of a block's terms and of its ratio products that the
/// linear evaluation of [`log_blocked_apply`] admits. Every value of such a block is at
/// least `e^-640` of the block's scale (and at most `33 e^640`, far below overflow), so a
/// term that underflows (below `e^-708`) is below `e^-68 = 3e-30` of every value it is
/// added to: dropping it changes nothing at f64 precision.
const TAME_SPREAD: f64 = 640.0;

/// Whether the block `[a, e)` is evaluated in linear form (see [`log_blocked_apply`]): at
/// least two elements, a unit diagonal (`ld = 0`), finite log inputs spanning at most
/// [`TAME_SPREAD`], and ratio products inside the block within `e^{±TAME_SPREAD}`. A
/// function of the block's own data only, so both sweeps take the same decision.
fn tame<T: Real, X: Source<T>>(ld: &[T], lr: &[T], ls: &[T], lx: X, a: usize, e: usize) -> bool {
    if e - a < 2 {
        return false;
    }
    let (mut lo, mut hi, mut unit) = (f64::INFINITY, f64::NEG_INFINITY, true);
    for i in a..e {
        let v = lx.at(i).to_f64();
        lo = lo.min(v);
        hi = hi.max(v);
        unit &= ld[i].to_f64() == 0.0;
    }
    let (mut dr, mut ds) = (0.0, 0.0);
    for k in a..e - 1 {
        dr += lr[k].to_f64().abs();
        ds += ls[k].to_f64().abs();
    }
    unit && hi - lo <= TAME_SPREAD && dr <= TAME_SPREAD && ds <= TAME_SPREAD
}

/// Largest entry of `lx` over `[a, e)` (NaN entries are skipped: they reach the result
/// through the terms).
fn block_max<T: Real, X: Source<T>>(lx: X, a: usize, e: usize) -> f64 {
    (a..e).fold(f64::NEG_INFINITY, |m, i| m.max(lx.at(i).to_f64()))
}

/// `out = log(T exp(lx))` for the whole pair in f64, in blocks of [`LOG_BLOCK`] elements:
/// a backward pass over the blocks from the right, then a forward pass from the left.
///
/// A *tame* block ([`tame`]: unit diagonal, log inputs and ratio products of moderate
/// spread) is evaluated in linear form relative to one scale `S = max(max lx, carry)`:
/// its terms `e^{lx_j - S}` are computed for the whole block by
/// [`crate::transcendental::exp_in_place`] (no libm call), the two recurrences run on plain
/// numbers with the pair's stored linear ratios `er = e^lr`, `es = e^ls`, and the output takes
/// one logarithm per element, `out_i = S + ln(P_i + W_i)`: two exponentials and one logarithm
/// per element in all, against three and two for the per-element steps. The backward pass leaves `W_i` relative to its scale in
/// `out` and that scale in the block's first slot (its `W` is recomputed by the forward
/// pass from the second slot: `W_a = s_a (x_{a+1} + W_{a+1})`). Both recurrences advance two
/// elements per step, so their loop-carried chains hold one multiply-add per two elements.
/// Other blocks (small `eps` against the spacing, zero masses, a general
/// diagonal) take the exact per-element [`LogSum`] steps, with `log(d_i W_i)` in `out`.
/// Both passes carry a [`LogSum`] across blocks, so a block's scale follows its carry and
/// nothing over- or underflows (see [`TAME_SPREAD`]).
fn log_blocked_apply<T: Real, X: Source<T>>(
    ld: &[T],
    lr: &[T],
    ls: &[T],
    er: &[f64],
    es: &[f64],
    lx: X,
    out: &mut [T],
) {
    use crate::transcendental::{exp, exp_in_place, ln_in_place};
    let n = out.len();
    let blocks = n.div_ceil(LOG_BLOCK);
    let span = |b: usize| (b * LOG_BLOCK, ((b + 1) * LOG_BLOCK).min(n));
    let mut xs = [0.0f64; LOG_BLOCK];
    // Backward: y holds Y_e (the sum over indices >= e).
    let mut y = LogSum::EMPTY;
    for b in (0..blocks).rev() {
        let (a, e) = span(b);
        let len = e - a;
        if tame(ld, lr, ls, lx, a, e) {
            // The carry's own logarithm (not just its scale: after a tame block `s` may be far
            // from 1), so that the block's scale bounds every value of the block.
            let c = if e < n {
                y.m + y.s.ln() + ls[e - 1].to_f64()
            } else {
                f64::NEG_INFINITY
            };
            let scale = block_max(lx, a, e).max(c);
            let carry = exp(c - scale);
            for (j, t) in xs[..len].iter_mut().enumerate() {
                *t = lx.at(a + j).to_f64() - scale;
            }
            exp_in_place(&mut xs[..len]);
            let rs = &es[a..e - 1];
            // W_{e-1} = carry, Y_i = x_i + W_i, W_i = s_i Y_{i+1}; two elements per step
            // (W_{j-1} = s_{j-1} Y_j, W_{j-2} = s_{j-2} x_{j-1} + (s_{j-2} s_{j-1}) Y_j), so
            // the loop-carried chain is one multiply-add per two elements.
            out[e - 1] = T::from_f64(carry);
            let mut yv = xs[len - 1] + carry;
            let mut j = len - 1;
            while j >= 3 {
                let (s1, s0) = (rs[j - 1], rs[j - 2]);
                let sx = s0 * xs[j - 1];
                let t = (s0 * s1) * yv;
                out[a + j - 1] = T::from_f64(s1 * yv);
                out[a + j - 2] = T::from_f64(t + sx);
                yv = t + (xs[j - 2] + sx);
                j -= 2;
            }
            if j == 2 {
                let w = rs[1] * yv;
                out[a + 1] = T::from_f64(w);
                yv = xs[1] + w;
            }
            yv = xs[0] + rs[0] * yv;
            out[a] = T::from_f64(scale);
            y = LogSum { m: scale, s: yv };
        } else {
            for i in (a..e).rev() {
                if i + 1 < n {
                    y.scale(ls[i].to_f64());
                } else {
                    y = LogSum::EMPTY;
                }
                out[i] = T::from_f64(ld[i].to_f64() + y.value());
                y.add(lx.at(i).to_f64());
            }
        }
    }
    // Forward: p holds P_{a-1}.
    let mut p = LogSum::EMPTY;
    for b in 0..blocks {
        let (a, e) = span(b);
        let len = e - a;
        if tame(ld, lr, ls, lx, a, e) {
            let c = if a > 0 {
                p.m + p.s.ln() + lr[a - 1].to_f64()
            } else {
                f64::NEG_INFINITY
            };
            let scale = block_max(lx, a, e).max(c);
            let carry = exp(c - scale);
            // The backward scale (in W_a's slot) and W_a = s_a (x_{a+1} + W_{a+1}).
            let back = out[a].to_f64();
            let w_a = es[a] * (exp(lx.at(a + 1).to_f64() - back) + out[a + 1].to_f64());
            let both = scale.max(back);
            let (ff, fb) = (exp(scale - both), exp(back - both));
            for (j, t) in xs[..len].iter_mut().enumerate() {
                *t = lx.at(a + j).to_f64() - scale;
            }
            exp_in_place(&mut xs[..len]);
            let rs = &er[a..e - 1];
            // P_i = r_{i-1} P_{i-1} + x_i, two elements per step as in the backward pass; the
            // sum P_i + W_i goes to `xs` (consumed).
            let mut pv = carry + xs[0];
            xs[0] = pv * ff + w_a * fb;
            let mut j = 1;
            while j + 1 < len {
                let (r0, r1) = (rs[j - 1], rs[j]);
                let x0 = xs[j];
                let p0 = r0 * pv + x0;
                pv = (r1 * r0) * pv + (r1 * x0 + xs[j + 1]);
                xs[j] = p0 * ff + out[a + j].to_f64() * fb;
                xs[j + 1] = pv * ff + out[a + j + 1].to_f64() * fb;
                j += 2;
            }
            if j < len {
                pv = rs[j - 1] * pv + xs[j];
                xs[j] = pv * ff + out[a + j].to_f64() * fb;
            }
            ln_in_place(&mut xs[..len]);
            for (o, &v) in out[a..e].iter_mut().zip(&xs[..len]) {
                *o = T::from_f64(both + v);
            }
            p = LogSum { m: scale, s: pv };
        } else {
            for i in a..e {
                if i > 0 {
                    p.scale(lr[i - 1].to_f64());
                }
                p.add(ld[i].to_f64() + lx.at(i).to_f64());
                out[i] = T::from_f64(p.add_to(out[i].to_f64(), 0.0));
            }
        }
    }
}

/// The log of the all-ones vector.
#[derive(Clone, Copy, Debug)]
struct Zeros;

impl<T: Real> Source<T> for Zeros {
    #[inline(always)]
    fn at(self, _: usize) -> T {
        T::ZERO
    }
    #[inline(always)]
    fn sub(self, _: usize, _: usize) -> Self {
        self
    }
}

/// `out = log(T 1)` for the log pair `(ld, lr, ls)` (column sums: pass `(ld, ls, lr)`).
pub(crate) fn log_pair_apply_ones<T: Real>(
    ld: &[T],
    lr: &[T],
    ls: &[T],
    er: &[f64],
    es: &[f64],
    out: &mut [T],
) {
    log_pair_apply(Part::Both, ld, lr, ls, er, es, Zeros, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocked sweep (tame blocks in linear form) against the per-element sweep on the
    /// potentials of `tests/overflow.rs`: the same sums. Both carry a log scale of size
    /// `|out|` through up to `n` roundings (the per-element sweep adds a log-ratio per
    /// element, the blocked one a carry per block), so they agree to `4 n u |out|`.
    #[test]
    fn blocked_matches_per_element_sweep() {
        for (n, eps) in [(100, 1e-3), (1000, 1e-3), (10_000, 1e-3), (777, 0.5)] {
            let x: Vec<f64> = (0..n).map(|i| 10.0 * i as f64 / (n - 1) as f64).collect();
            let lr: Vec<f64> = x.windows(2).map(|w| -(w[1] - w[0]) / eps).collect();
            let er: Vec<f64> = lr.iter().map(|t| t.exp()).collect();
            let ld = vec![0.0; n];
            let lv: Vec<f64> = x.iter().map(|&t| -t / eps).collect();
            let mut fast = vec![0.0; n];
            log_blocked_apply(&ld, &lr, &lr, &er, &er, &lv[..], &mut fast);
            let mut slow = vec![0.0; n];
            log_interleaved_apply(&ld, &lr, &lr, &lv[..], &mut slow);
            for i in 0..n {
                let tol = 4.0 * n as f64 * f64::EPSILON / 2.0 * slow[i].abs().max(1.0);
                assert!(
                    (fast[i] - slow[i]).abs() <= tol,
                    "n {n} eps {eps} i {i}: blocked {} per-element {}",
                    fast[i],
                    slow[i]
                );
            }
        }
    }
}
