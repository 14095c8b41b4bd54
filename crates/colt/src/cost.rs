//! Distance-weighted products for optimal transport, in O(N) and without cancellation.
//!
//! For a sorted support `x` and `C_ij = |x_i - x_j|`, `((C ⊙ T) v)_i` splits into a lower and
//! an upper part, each a first-order recurrence on top of the product sweeps (brief §2.7 and
//! §3.2, reconstructed; `D_k = x_{k+1} - x_k >= 0`):
//!
//! ```text
//! lower  P_i = r_{i-1} P_{i-1} + d_i v_i,     B_0 = 0,      B_i = r_{i-1} (B_{i-1} + D_{i-1} P_{i-1})
//! upper  Y_i = v_i + s_i Y_{i+1},             E_{n-1} = 0,  E_i = s_i (E_{i+1} + D_i Y_{i+1})
//! ((C ⊙ T) v)_i = B_i + d_i E_i
//! ```
//!
//! (`x_i - x_j = D_{i-1} + (x_{i-1} - x_j)`: each distance-weighted sum is the previous one plus
//! the gap times the previous plain sum.) For non-negative `T` and `v` every term is
//! non-negative, so the relative error is a few `n_eff * u`, unlike the tempting
//! `x_i (L v)_i - (L (x ⊙ v))_i`, which cancels catastrophically when `|x| >> spread`.
//! The log form runs the same recurrences with `log_add_exp` and `log D_k` (`-inf` for
//! duplicate points).

use crate::log_sweep::log_add_exp;
use crate::real::Real;
use crate::sweep::Source;

/// `ratio * inner`, except that a zero ratio carries zero even when `inner` overflowed to
/// `±inf`: a gap times a partial sum near the top of the float range, behind a ratio that
/// underflowed to 0 (a gap beyond ~745 eps), is truly `0`, not `0 * inf = NaN`. Every other
/// case is the plain product, bit for bit.
#[inline(always)]
fn carry<A: Real>(ratio: A, inner: A) -> A {
    let t = ratio * inner;
    if t.is_nan() && ratio == A::ZERO && !inner.is_nan() {
        A::ZERO
    } else {
        t
    }
}

/// `out = (C ⊙ T) v` for the pair `(d, r, s)` on support `x`. Lengths checked by the caller;
/// carried in `T::Acc`.
pub(crate) fn distance_apply<T: Real, X: Source<T>>(
    d: &[T],
    r: &[T],
    s: &[T],
    x: &[T],
    v: X,
    out: &mut [T],
) {
    let n = d.len();
    if n == 0 {
        return;
    }
    let zero = <T::Acc as Real>::ZERO;
    // Upper part first: out_i = d_i E_i.
    let (mut y, mut e) = (v.at(n - 1).acc(), zero);
    out[n - 1] = T::ZERO;
    for i in (0..n - 1).rev() {
        let si = s[i].acc();
        e = carry(si, e + (x[i + 1].acc() - x[i].acc()) * y);
        y = v.at(i).acc() + carry(si, y);
        out[i] = T::from_acc(d[i].acc() * e);
    }
    // Lower part: out_i += B_i.
    let (mut p, mut b) = (d[0].acc() * v.at(0).acc(), zero);
    for i in 1..n {
        let ri = r[i - 1].acc();
        b = carry(ri, b + (x[i].acc() - x[i - 1].acc()) * p);
        p = carry(ri, p) + d[i].acc() * v.at(i).acc();
        out[i] = T::from_acc(out[i].acc() + b);
    }
}

/// `sum_ij |x_i - x_j| T_ij` (the transport cost `<C, T>`) without storing the row sums.
pub(crate) fn distance_total<T: Real>(d: &[T], r: &[T], s: &[T], x: &[T]) -> T {
    let n = d.len();
    let (zero, one) = (<T::Acc as Real>::ZERO, <T::Acc as Real>::ONE);
    if n == 0 {
        return T::ZERO;
    }
    let mut acc = zero;
    let (mut y, mut e) = (one, zero);
    for i in (0..n - 1).rev() {
        let si = s[i].acc();
        e = carry(si, e + (x[i + 1].acc() - x[i].acc()) * y);
        y = one + carry(si, y);
        acc += d[i].acc() * e;
    }
    let (mut p, mut b) = (d[0].acc(), zero);
    for i in 1..n {
        let ri = r[i - 1].acc();
        b = carry(ri, b + (x[i].acc() - x[i - 1].acc()) * p);
        p = carry(ri, p) + d[i].acc();
        acc += b;
    }
    T::from_acc(acc)
}

/// `out = log((C ⊙ T) exp(lv))` for the log pair `(ld, lr, ls)` on support `x`.
pub(crate) fn log_distance_apply<T: Real, X: Source<T>>(
    ld: &[T],
    lr: &[T],
    ls: &[T],
    x: &[T],
    lv: X,
    out: &mut [T],
) {
    let n = ld.len();
    if n == 0 {
        return;
    }
    let ninf = <T::Acc as Real>::NEG_INFINITY;
    let gap = |k: usize| (x[k + 1].acc() - x[k].acc()).ln();
    let (mut ly, mut le) = (lv.at(n - 1).acc(), ninf);
    out[n - 1] = T::NEG_INFINITY;
    for i in (0..n - 1).rev() {
        let lsi = ls[i].acc();
        le = lsi + log_add_exp(le, gap(i) + ly);
        ly = log_add_exp(lv.at(i).acc(), lsi + ly);
        out[i] = T::from_acc(ld[i].acc() + le);
    }
    let (mut lp, mut lb) = (ld[0].acc() + lv.at(0).acc(), ninf);
    for i in 1..n {
        let lri = lr[i - 1].acc();
        lb = lri + log_add_exp(lb, gap(i - 1) + lp);
        lp = log_add_exp(lri + lp, ld[i].acc() + lv.at(i).acc());
        out[i] = T::from_acc(log_add_exp(out[i].acc(), lb));
    }
}

/// `log(sum_ij |x_i - x_j| T_ij)` for the log pair (`-inf` when the sum is zero).
pub(crate) fn log_distance_total<T: Real>(ld: &[T], lr: &[T], ls: &[T], x: &[T]) -> T {
    let n = ld.len();
    if n == 0 {
        return T::NEG_INFINITY;
    }
    let (ninf, zero) = (<T::Acc as Real>::NEG_INFINITY, <T::Acc as Real>::ZERO);
    let gap = |k: usize| (x[k + 1].acc() - x[k].acc()).ln();
    let mut acc = ninf;
    let (mut ly, mut le) = (zero, ninf);
    for i in (0..n - 1).rev() {
        let lsi = ls[i].acc();
        le = lsi + log_add_exp(le, gap(i) + ly);
        ly = log_add_exp(zero, lsi + ly);
        acc = log_add_exp(acc, ld[i].acc() + le);
    }
    let (mut lp, mut lb) = (ld[0].acc(), ninf);
    for i in 1..n {
        let lri = lr[i - 1].acc();
        lb = lri + log_add_exp(lb, gap(i - 1) + lp);
        lp = log_add_exp(lri + lp, ld[i].acc());
        acc = log_add_exp(acc, lb);
    }
    T::from_acc(acc)
}

use crate::error::Result;
use crate::log_pair::LogColtPair;
use crate::pair::ColtPair;
use crate::sweep::Ones;
use crate::validate::{
    check_distance_support, check_len, check_log_result, check_log_scalar, check_result,
    check_scalar,
};

impl<T: Real> ColtPair<T> {
    /// `out = (C ⊙ T) v` with `C_ij = |x_i - x_j|` on the sorted support `x`, in O(N) without
    /// cancellation. For `T = diag(u) K diag(v)` the transport cost is
    /// `<C, T> = sum_i u_i ((C ⊙ K) v)_i`. Never allocates.
    ///
    /// ```
    /// use colt::ColtPair;
    ///
    /// let x = [0.0, 1.0, 3.0];
    /// let k = ColtPair::gibbs(&x, 1.0)?;
    /// let mut out = [0.0; 3];
    /// k.distance_apply_in_place(&x, &[0.0, 0.0, 1.0], &mut out)?; // column 2 of C . K
    /// assert!((out[0] - 3.0 * (-3.0f64).exp()).abs() < 1e-15);
    /// assert_eq!(out[2], 0.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`crate::ColtError::LengthMismatch`] unless `x`, `v`, `out` have length N;
    /// [`crate::ColtError::NonFinite`] / [`crate::ColtError::UnsortedSupport`] for a support
    /// that is not finite and non-decreasing; [`crate::ColtError::SpanOverflow`] when
    /// `x[N-1] - x[0]` overflows (the distances would be infinite, and `0 * inf` NaN);
    /// [`crate::ColtError::NonFinite`] for a NaN or infinite entry of `v` (log form: NaN or
    /// `+inf`); [`crate::ColtError::Overflow`] when a result leaves the float range.
    pub fn distance_apply_in_place(&self, x: &[T], v: &[T], out: &mut [T]) -> Result<()> {
        check_len("support", self.len(), x.len())?;
        check_len("v", self.len(), v.len())?;
        check_len("out", self.len(), out.len())?;
        check_distance_support(x)?;
        distance_apply(&self.d, &self.r, &self.s, x, v, out);
        check_result(&[("v", v)], out)
    }

    /// `sum_ij |x_i - x_j| T_ij` on the sorted support `x`, in O(N).
    ///
    /// ```
    /// let x = [0.0, 2.0];
    /// let k = colt::ColtPair::gibbs(&x, 1.0)?;
    /// assert!((k.distance_sum(&x)? - 2.0 * 2.0 * (-2.0f64).exp()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::distance_apply_in_place`].
    pub fn distance_sum(&self, x: &[T]) -> Result<T> {
        check_len("support", self.len(), x.len())?;
        check_distance_support(x)?;
        check_scalar(
            &[],
            "distance_sum",
            distance_total(&self.d, &self.r, &self.s, x),
        )
    }

    /// `out = (C ⊙ T) 1`: the distance-weighted row sums. Never allocates.
    ///
    /// ```
    /// let x = [0.0, 2.0];
    /// let k = colt::ColtPair::gibbs(&x, 1.0)?;
    /// let mut out = [0.0; 2];
    /// k.distance_row_sums_in_place(&x, &mut out)?;
    /// assert!((out[1] - 2.0 * (-2.0f64).exp()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::distance_apply_in_place`].
    pub fn distance_row_sums_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("support", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        check_distance_support(x)?;
        distance_apply(&self.d, &self.r, &self.s, x, Ones, out);
        check_result(&[], out)
    }
}

impl<T: Real> LogColtPair<T> {
    /// `out = log((C ⊙ T) exp(lv))` with `C_ij = |x_i - x_j|`, in O(N); `lv` may hold `-inf`.
    /// For `T_ij = exp(f_i + g_j) K_ij` the cost is `<C, T> = sum_i exp(f_i + out_i)` with
    /// `out = log((C ⊙ K) exp(g))`. Never allocates.
    ///
    /// ```
    /// let x = [0.0, 1.0, 3.0];
    /// let lk = colt::LogColtPair::gibbs(&x, 1e-2)?;
    /// let mut out = [0.0; 3];
    /// let ninf = f64::NEG_INFINITY;
    /// lk.log_distance_apply_in_place(&x, &[ninf, ninf, 0.0], &mut out)?;
    /// assert!((out[0] - (3.0f64.ln() - 300.0)).abs() < 1e-12); // log(|x_0 - x_2| e^-300)
    /// assert_eq!(out[2], ninf); // distance 0
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::distance_apply_in_place`].
    pub fn log_distance_apply_in_place(&self, x: &[T], lv: &[T], out: &mut [T]) -> Result<()> {
        check_len("support", self.len(), x.len())?;
        check_len("lv", self.len(), lv.len())?;
        check_len("out", self.len(), out.len())?;
        check_distance_support(x)?;
        log_distance_apply(&self.ld, &self.lr, &self.ls, x, lv, out);
        check_log_result(&[("lv", lv)], out)
    }

    /// `log(sum_ij |x_i - x_j| T_ij)` (`-inf` when it is zero), in O(N).
    ///
    /// ```
    /// let x = [0.0, 2.0];
    /// let lk = colt::LogColtPair::gibbs(&x, 1e-3)?;
    /// let want = (2.0 * 2.0f64).ln() - 2000.0; // log(2 * |x_0 - x_1| e^-2000)
    /// assert!((lk.log_distance_sum(&x)? - want).abs() < 1e-12);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::distance_apply_in_place`].
    pub fn log_distance_sum(&self, x: &[T]) -> Result<T> {
        check_len("support", self.len(), x.len())?;
        check_distance_support(x)?;
        check_log_scalar(
            &[],
            "log_distance_sum",
            log_distance_total(&self.ld, &self.lr, &self.ls, x),
        )
    }
}
