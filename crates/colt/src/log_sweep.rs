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

/// `out = log(T exp(lx))` with the forward and backward log sweeps interleaved in one loop
/// (two independent exp/log1p chains overlap; see `sweep::interleaved_apply` for the
/// first-half / second-half write order).
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
    let ninf = <T::Acc as Real>::NEG_INFINITY;
    let h = n / 2;
    let (mut lp, mut ly) = (ninf, ninf); // lp_{i-1}; ly_{j+1}
    for t in 0..h {
        let (i, j) = (t, n - 1 - t);
        let carried = if i > 0 { lr[i - 1].acc() + lp } else { ninf };
        lp = log_add_exp(carried, ld[i].acc() + lx.at(i).acc());
        out[i] = T::from_acc(lp);
        let lw = if j + 1 < n { ls[j].acc() + ly } else { ninf };
        ly = log_add_exp(lx.at(j).acc(), lw);
        out[j] = T::from_acc(ld[j].acc() + lw);
    }
    let start = if n % 2 == 1 {
        let m = h;
        let carried = if m > 0 { lr[m - 1].acc() + lp } else { ninf };
        lp = log_add_exp(carried, ld[m].acc() + lx.at(m).acc());
        let lw = if m + 1 < n { ls[m].acc() + ly } else { ninf };
        ly = log_add_exp(lx.at(m).acc(), lw);
        out[m] = T::from_acc(log_add_exp(lp, ld[m].acc() + lw));
        h + 1
    } else {
        h
    };
    for t in start..n {
        let (i, j) = (t, n - 1 - t);
        lp = log_add_exp(lr[i - 1].acc() + lp, ld[i].acc() + lx.at(i).acc());
        out[i] = T::from_acc(log_add_exp(out[i].acc(), lp));
        let lw = ls[j].acc() + ly;
        ly = log_add_exp(lx.at(j).acc(), lw);
        out[j] = T::from_acc(log_add_exp(out[j].acc(), ld[j].acc() + lw));
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
