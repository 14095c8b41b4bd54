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
//! `m + ln s` with `1 <= s <= N`), which keeps `ln`/`log1p` off the loop-carried chain
//! (29-43 against 46-98 ns/element measured here, `docs/colt.md`).
//! Each step rounds with a relative error of a few `u` in the *linear* value, so the absolute
//! error in the log output is bounded by about `c * n_eff * u` like the linear sweep's
//! relative error.

use crate::real::Real;
use crate::sweep::{Part, Source};

/// `log(e^a + e^b)`, exact for `-inf` operands (`-inf` stands for a zero).
#[inline(always)]
pub fn log_add_exp<T: Real>(a: T, b: T) -> T {
    let (hi, lo) = if a > b { (a, b) } else { (b, a) };
    if hi <= T::NEG_INFINITY {
        // Both are -inf (or `lo` is NaN and `hi` is -inf, which propagates below via `hi`).
        return hi;
    }
    hi + (lo - hi).exp().ln_1p()
}

/// `out = log(T exp(lx))` for the part `part` of the log pair `(ld, lr, ls)`.
///
/// Lengths are checked by the caller, as in [`crate::sweep::pair_apply`]. Never allocates.
pub(crate) fn log_pair_apply<T: Real, X: Source<T>>(
    part: Part,
    ld: &[T],
    lr: &[T],
    ls: &[T],
    lx: X,
    out: &mut [T],
) {
    let n = ld.len();
    if n == 0 {
        return;
    }
    if matches!(part, Part::Both) {
        log_interleaved_apply(ld, lr, ls, lx, out);
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
pub(crate) fn log_pair_apply_ones<T: Real>(ld: &[T], lr: &[T], ls: &[T], out: &mut [T]) {
    log_pair_apply(Part::Both, ld, lr, ls, Zeros, out);
}
