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
use crate::sweep::{Part, Source, Uniform};

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

/// `out = log(T exp(lx))` for the part `part` of the log pair `(ld, lr, ls)`; `lin` is the
/// pair's [`LinearView`] (the blocked sweep's linear ratios, see [`log_blocked_apply`]).
///
/// Lengths are checked by the caller, as in [`crate::sweep::pair_apply`]. Never allocates.
pub(crate) fn log_pair_apply<T: Real, X: Source<T>>(
    part: Part,
    ld: &[T],
    lr: &[T],
    ls: &[T],
    lin: LinearView<'_>,
    lx: X,
    out: &mut [T],
) {
    let n = ld.len();
    if n == 0 {
        return;
    }
    if matches!(part, Part::Both) {
        if core::any::TypeId::of::<T>() == core::any::TypeId::of::<f64>() {
            match lin {
                LinearView::Uniform { r, s, tame } => {
                    log_blocked_apply(ld, lr, ls, Uniform(r), Uniform(s), |_| tame, lx, out);
                }
                LinearView::Stored { r, s, tame } => {
                    log_blocked_apply(ld, lr, ls, r, s, |b| tame[b], lx, out);
                }
            }
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
pub(crate) const LOG_BLOCK: usize = 32;

/// Largest spread, in log units, of a block's terms and of its ratio products that the
/// linear evaluation of [`log_blocked_apply`] admits. Every value of such a block is at
/// least `e^-640` of the block's scale (and at most `33 e^640`, far below overflow), so a
/// term that underflows (below `e^-708`) is below `e^-68 = 3e-30` of every value it is
/// added to: dropping it changes nothing at f64 precision.
const TAME_SPREAD: f64 = 640.0;

/// What the blocked f64 sweeps need of a pair beyond its logs, computed once when the pair
/// is built: its linear ratios, and per block of [`LOG_BLOCK`] whether the block's
/// parameters admit the linear form (unit diagonal, ratio products within
/// `e^{+-TAME_SPREAD}`), so that a product reads neither `ld` nor the log-ratios on that
/// path.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum LinearForm {
    /// Unit diagonal and one log-ratio per triangle, as a uniform grid's Gibbs kernel:
    /// `r = e^lr`, `s = e^ls`; nothing stored per element.
    Uniform { r: f64, s: f64, tame: bool },
    /// `e^lr` followed by `e^ls` (only `e^lr` when `lr == ls`; `ratios` is `lr.len()`), and
    /// a flag per block.
    Stored {
        lin: Box<[f64]>,
        ratios: usize,
        tame: Box<[bool]>,
    },
}

impl LinearForm {
    /// The linear form of the log pair `(ld, lr, ls)` (lengths already checked).
    pub(crate) fn new<T: Real>(ld: &[T], lr: &[T], ls: &[T]) -> Self {
        let unit = |d: &[T]| d.iter().all(|&v| v.to_f64() == 0.0);
        let single = |v: &[T]| match v.first() {
            Some(&f) => v
                .iter()
                .all(|&t| t.to_f64().to_bits() == f.to_f64().to_bits()),
            None => true,
        };
        if unit(ld) && single(lr) && single(ls) {
            let first = |v: &[T]| v.first().map_or(0.0, |t| t.to_f64());
            let (l, u) = (first(lr), first(ls));
            // A block holds at most LOG_BLOCK - 1 ratios.
            let spread = (LOG_BLOCK - 1) as f64 * l.abs().max(u.abs());
            return LinearForm::Uniform {
                r: l.exp(),
                s: u.exp(),
                tame: spread <= TAME_SPREAD,
            };
        }
        let both = if lr == ls { &lr[..0] } else { ls };
        let lin = lr.iter().chain(both).map(|t| t.to_f64().exp()).collect();
        let n = ld.len();
        let tame = (0..n.div_ceil(LOG_BLOCK))
            .map(|b| {
                let (a, e) = (b * LOG_BLOCK, ((b + 1) * LOG_BLOCK).min(n));
                let sum = |v: &[T]| v[a..e - 1].iter().map(|t| t.to_f64().abs()).sum::<f64>();
                unit(&ld[a..e]) && sum(lr) <= TAME_SPREAD && sum(ls) <= TAME_SPREAD
            })
            .collect();
        LinearForm::Stored {
            lin,
            ratios: lr.len(),
            tame,
        }
    }

    /// The view a product of the pair uses.
    pub(crate) fn view(&self) -> LinearView<'_> {
        match self {
            LinearForm::Uniform { r, s, tame } => LinearView::Uniform {
                r: *r,
                s: *s,
                tame: *tame,
            },
            LinearForm::Stored { lin, ratios, tame } => {
                let r = &lin[..*ratios];
                let s = if lin.len() > *ratios {
                    &lin[*ratios..]
                } else {
                    r
                };
                LinearView::Stored { r, s, tame }
            }
        }
    }
}

/// The linear form of a pair as a product reads it ([`LinearForm::view`]); for the
/// transpose, [`LinearView::transposed`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum LinearView<'a> {
    /// See [`LinearForm::Uniform`].
    Uniform { r: f64, s: f64, tame: bool },
    /// `e^lr`, `e^ls` and the per-block flags.
    Stored {
        r: &'a [f64],
        s: &'a [f64],
        tame: &'a [bool],
    },
}

impl LinearView<'_> {
    /// The linear form of the transpose (lower and upper ratios swapped; the flags are
    /// symmetric).
    pub(crate) fn transposed(self) -> Self {
        match self {
            LinearView::Uniform { r, s, tame } => LinearView::Uniform { r: s, s: r, tame },
            LinearView::Stored { r, s, tame } => LinearView::Stored { r: s, s: r, tame },
        }
    }
}

/// The smallest and the largest entry of `lx` over `[a, e)` (NaN entries are skipped: they
/// reach the result through the terms).
#[inline(always)]
fn spread<T: Real, X: Source<T>>(lx: X, a: usize, e: usize) -> (f64, f64) {
    (a..e).fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), i| {
        let v = lx.at(i).to_f64();
        (lo.min(v), hi.max(v))
    })
}

/// `out = log(T exp(lx))` for the whole pair in f64, in blocks of [`LOG_BLOCK`] elements:
/// a backward pass over the blocks from the right, then a forward pass from the left.
///
/// A *tame* block (its parameters tame, [`LinearForm`], at least two elements, and its log
/// inputs finite and within [`TAME_SPREAD`] of each other; decided from the block's own data,
/// so both passes agree) is evaluated in linear form. The backward pass computes its terms
/// `x_j = e^{lx_j - top}` (`top` the block's largest input) for the whole block in one call of
/// [`crate::transcendental::exp_in_place`], carries `Y_a = sum_{j >= a}` across the block as a
/// [`LogSum`] with one multiply-add per element, and leaves the terms in `out` for the forward
/// pass, with the logarithm of the sum entering from the right, `log W_{e-1}`, in the first
/// slot (whose term the forward pass recomputes). The forward pass rescales the terms and the
/// two carries to one scale `S = max(top, log W_{e-1}, log r_{a-1} P_{a-1})`, runs the
/// backward recurrence `W_j = s_j (x_{j+1} + W_{j+1})` and the forward one
/// `P_j = r_{j-1} P_{j-1} + x_j` on plain numbers with the pair's linear ratios, and writes
/// `out_j = S + ln(P_j + W_j)` with one call of [`crate::transcendental::ln_in_place`]: one
/// exponential and one logarithm per element, against three and two for the per-element
/// steps. Both recurrences advance two elements per step, so their loop-carried chains hold
/// one multiply-add per two elements. Other blocks (small `eps` against the spacing, zero
/// masses, a general diagonal) take the exact per-element [`LogSum`] steps, with
/// `log(d_i W_i)` in `out`. Both passes carry a [`LogSum`] across blocks, so a block's scale
/// follows its carries and nothing over- or underflows (see [`TAME_SPREAD`]: whatever
/// underflows in the rescaling is below `e^-68` of the carry it is added to).
#[allow(clippy::too_many_arguments)]
fn log_blocked_apply<T: Real, X: Source<T>, R: Source<f64>>(
    ld: &[T],
    lr: &[T],
    ls: &[T],
    er: R,
    es: R,
    params_tame: impl Fn(usize) -> bool,
    lx: X,
    out: &mut [T],
) {
    use crate::transcendental::{exp, exp_in_place, ln_in_place};
    let n = out.len();
    let blocks = n.div_ceil(LOG_BLOCK);
    let span = |b: usize| (b * LOG_BLOCK, ((b + 1) * LOG_BLOCK).min(n));
    // The block's largest input when it is tame.
    let tame_top = |b: usize, a: usize, e: usize| -> Option<f64> {
        if e - a < 2 || !params_tame(b) {
            return None;
        }
        let (lo, hi) = spread(lx, a, e);
        (hi - lo <= TAME_SPREAD).then_some(hi)
    };
    let mut xs = [0.0f64; LOG_BLOCK];
    let mut ws = [0.0f64; LOG_BLOCK];
    // Backward: y holds Y_e (the sum over indices >= e).
    let mut y = LogSum::EMPTY;
    for b in (0..blocks).rev() {
        let (a, e) = span(b);
        let len = e - a;
        if let Some(top) = tame_top(b, a, e) {
            // log W_{e-1} = ls_{e-1} + log Y_e: what enters the block from the right.
            let c = if e < n {
                y.value() + ls[e - 1].to_f64()
            } else {
                f64::NEG_INFINITY
            };
            for (j, t) in xs[..len].iter_mut().enumerate() {
                *t = lx.at(a + j).to_f64() - top;
            }
            exp_in_place(&mut xs[..len]);
            out[a] = T::from_f64(c);
            for (o, &x) in out[a + 1..e].iter_mut().zip(&xs[1..len]) {
                *o = T::from_f64(x);
            }
            // Y_a relative to max(top, c): Y_j = x_j + s_j Y_{j+1}, Y_{e-1} = x_{e-1} + W_{e-1},
            // two elements per step (Y_{j-2} = x_{j-2} + s_{j-2} x_{j-1} + s_{j-2} s_{j-1} Y_j).
            let scale = top.max(c);
            let (fx, fc) = (exp(top - scale), exp(c - scale));
            for t in &mut xs[..len] {
                *t *= fx;
            }
            let rs = es.sub(a, len - 1);
            let mut yv = xs[len - 1] + fc;
            let mut j = len - 1;
            while j >= 2 {
                let (s1, s0) = (rs.at(j - 1), rs.at(j - 2));
                yv = (s0 * s1) * yv + (xs[j - 2] + s0 * xs[j - 1]);
                j -= 2;
            }
            if j == 1 {
                yv = xs[0] + rs.at(0) * yv;
            }
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
        if let Some(top) = tame_top(b, a, e) {
            let c = out[a].to_f64();
            let cf = if a > 0 {
                p.value() + lr[a - 1].to_f64()
            } else {
                f64::NEG_INFINITY
            };
            xs[0] = exp(lx.at(a).to_f64() - top);
            for (t, &o) in xs[1..len].iter_mut().zip(&out[a + 1..e]) {
                *t = o.to_f64();
            }
            let scale = top.max(c).max(cf);
            let (fx, fc, fp) = (exp(top - scale), exp(c - scale), exp(cf - scale));
            for t in &mut xs[..len] {
                *t *= fx;
            }
            // W_{e-1} = fc, W_{j-1} = s_{j-1} Y_j with Y_j = x_j + W_j, two elements per step.
            let rs = es.sub(a, len - 1);
            ws[len - 1] = fc;
            let mut yv = xs[len - 1] + fc;
            let mut j = len - 1;
            while j >= 2 {
                let (s1, s0) = (rs.at(j - 1), rs.at(j - 2));
                let sx = s0 * xs[j - 1];
                let t = (s0 * s1) * yv;
                ws[j - 1] = s1 * yv;
                ws[j - 2] = t + sx;
                yv = t + (xs[j - 2] + sx);
                j -= 2;
            }
            if j == 1 {
                ws[0] = rs.at(0) * yv;
            }
            // P_j = r_{j-1} P_{j-1} + x_j, two elements per step as above; P_j + W_j goes to
            // `xs` (consumed).
            let rr = er.sub(a, len - 1);
            let mut pv = fp + xs[0];
            xs[0] = pv + ws[0];
            let mut j = 1;
            while j + 1 < len {
                let (r0, r1) = (rr.at(j - 1), rr.at(j));
                let x0 = xs[j];
                let p0 = r0 * pv + x0;
                pv = (r1 * r0) * pv + (r1 * x0 + xs[j + 1]);
                xs[j] = p0 + ws[j];
                xs[j + 1] = pv + ws[j + 1];
                j += 2;
            }
            if j < len {
                pv = rr.at(j - 1) * pv + xs[j];
                xs[j] = pv + ws[j];
            }
            ln_in_place(&mut xs[..len]);
            for (o, &v) in out[a..e].iter_mut().zip(&xs[..len]) {
                *o = T::from_f64(scale + v);
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
    lin: LinearView<'_>,
    out: &mut [T],
) {
    log_pair_apply(Part::Both, ld, lr, ls, lin, Zeros, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocked sweep (tame blocks in linear form) against the per-element sweep on the
    /// potentials of `tests/overflow.rs`: the same sums. Both carry a log scale of size
    /// `|out|` through up to `n` roundings (the per-element sweep adds a log-ratio per
    /// element, the blocked one a carry per block), so they agree to `4 n u |out|`. On a
    /// uniform grid (one ratio, [`LinearForm::Uniform`]) and on a graded one (stored ratios),
    /// with zero masses in one case so that tame and other blocks alternate.
    #[test]
    fn blocked_matches_per_element_sweep() {
        for (n, eps, graded, zeros) in [
            (100, 1e-3, false, false),
            (1000, 1e-3, true, false),
            (10_000, 1e-3, false, true),
            (10_000, 1e-2, true, true),
            (777, 0.5, false, false),
            (777, 0.5, true, true),
            (65, 0.05, false, false),
        ] {
            let t = |i: usize| i as f64 / (n - 1) as f64;
            let x: Vec<f64> = (0..n)
                .map(|i| 10.0 * if graded { t(i).powf(1.3) } else { t(i) })
                .collect();
            let lr: Vec<f64> = if graded {
                x.windows(2).map(|w| -(w[1] - w[0]) / eps).collect()
            } else {
                vec![-(10.0 / (n - 1) as f64) / eps; n - 1]
            };
            let ld = vec![0.0; n];
            let lin = LinearForm::new(&ld, &lr, &lr);
            assert_eq!(matches!(lin, LinearForm::Uniform { .. }), !graded);
            let lv: Vec<f64> = x
                .iter()
                .enumerate()
                .map(|(i, &t)| {
                    if zeros && i % 97 < 40 {
                        f64::NEG_INFINITY
                    } else {
                        -t / eps
                    }
                })
                .collect();
            let mut fast = vec![0.0; n];
            log_pair_apply(Part::Both, &ld, &lr, &lr, lin.view(), &lv[..], &mut fast);
            let mut slow = vec![0.0; n];
            log_interleaved_apply(&ld, &lr, &lr, &lv[..], &mut slow);
            for i in 0..n {
                let tol = 4.0 * n as f64 * f64::EPSILON / 2.0 * slow[i].abs().max(1.0);
                assert!(
                    (fast[i] - slow[i]).abs() <= tol,
                    "n {n} eps {eps} graded {graded} zeros {zeros} i {i}: blocked {} per-element {}",
                    fast[i],
                    slow[i]
                );
            }
        }
    }

    /// A pair that is not symmetric (different lower and upper ratios, stored) and its
    /// transpose through the linear form, against the per-element sweep.
    #[test]
    fn blocked_transpose_matches_per_element_sweep() {
        let n = 300;
        let lr: Vec<f64> = (0..n - 1).map(|k| -0.01 * (1 + k % 7) as f64).collect();
        let ls: Vec<f64> = (0..n - 1).map(|k| -0.02 * (1 + k % 5) as f64).collect();
        let ld = vec![0.0; n];
        let lin = LinearForm::new(&ld, &lr, &ls);
        let lv: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin() * 5.0).collect();
        for (l, u, view) in [(&lr, &ls, lin.view()), (&ls, &lr, lin.view().transposed())] {
            let mut fast = vec![0.0; n];
            log_pair_apply(Part::Both, &ld, l, u, view, &lv[..], &mut fast);
            let mut slow = vec![0.0; n];
            log_interleaved_apply(&ld, l, u, &lv[..], &mut slow);
            for i in 0..n {
                let tol = 4.0 * n as f64 * f64::EPSILON / 2.0 * slow[i].abs().max(1.0);
                assert!(
                    (fast[i] - slow[i]).abs() <= tol,
                    "i {i}: {} vs {}",
                    fast[i],
                    slow[i]
                );
            }
        }
    }
}
