//! Row, column and full sums of a CoLT pair: the products with the all-ones vector.
//!
//! Row sums reuse the blocked sweep of [`crate::sweep`] with an all-ones source, so they have
//! the same error bound as a product; the full sum adds the forward and backward partial sums
//! in one pass without storing them.

use crate::log_sweep::log_add_exp;
use crate::real::Real;
use crate::sweep::{Ones, Part, pair_apply};

/// `out = T 1` for the pair `(d, r, s)` (column sums: pass `(d, s, r)`).
pub(crate) fn row_sums<T: Real>(d: &[T], r: &[T], s: &[T], out: &mut [T]) {
    pair_apply(Part::Both, d, r, s, Ones, out);
}

/// `1^T T 1`: `sum_i P_i + sum_i d_i W_i` with `P`, `W` the forward and backward sweeps of 1.
pub(crate) fn total<T: Real>(d: &[T], r: &[T], s: &[T]) -> T {
    let n = d.len();
    let zero = <T::Acc as Real>::ZERO;
    let mut acc = zero;
    let mut p = zero;
    for i in 0..n {
        p = if i > 0 {
            r[i - 1].acc() * p + d[i].acc()
        } else {
            d[i].acc()
        };
        acc += p;
    }
    let mut y = zero; // Y_{i+1} = 1 + W_{i+1}
    for i in (0..n).rev() {
        let w = if i + 1 < n { s[i].acc() * y } else { zero };
        acc += d[i].acc() * w;
        y = <T::Acc as Real>::ONE + w;
    }
    T::from_acc(acc)
}

/// `log(1^T T 1)` for the log pair `(ld, lr, ls)` (`-inf` for the empty or zero matrix).
pub(crate) fn log_total<T: Real>(ld: &[T], lr: &[T], ls: &[T]) -> T {
    let n = ld.len();
    let mut acc = T::NEG_INFINITY;
    let mut lp = T::NEG_INFINITY;
    for i in 0..n {
        let carried = if i > 0 {
            lr[i - 1] + lp
        } else {
            T::NEG_INFINITY
        };
        lp = log_add_exp(carried, ld[i]);
        acc = log_add_exp(acc, lp);
    }
    let mut ly = T::NEG_INFINITY;
    for i in (0..n).rev() {
        let lw = if i + 1 < n {
            ls[i] + ly
        } else {
            T::NEG_INFINITY
        };
        acc = log_add_exp(acc, ld[i] + lw);
        ly = log_add_exp(T::ZERO, lw);
    }
    acc
}
