//! [`LogColtPair`]: the CoLT pair in log parametrisation, for log-domain solvers.
//!
//! Stores `ld = log d`, `lr = log r`, `ls = log s`. Products become log-sum-exp sweeps
//! (exact for any `eps`, no thresholds), Hadamard products become sums, and diagonal scaling
//! `diag(e^lu) T diag(e^lv)` becomes `ld + lu + lv`, `lr_k + lu_{k+1} - lu_k`,
//! `ls_k + lv_{k+1} - lv_k` (brief §3.2, reconstructed). `-inf` stands for a zero entry.

use faer::Mat;

use crate::error::{ColtError, Result};
use crate::grid::UniformGrid;
use crate::log_sweep::{LinearForm, LinearView, log_pair_apply};
use crate::pair::ColtPair;
use crate::real::Real;
use crate::sweep::Part;
use crate::validate::{
    check_finite, check_len, check_log, check_log_result, check_log_scalar, check_positive,
    check_support, filled, ratio_len,
};

/// A CoLT pair in log form: `T_ij = exp(ld_j + sum_{k=j}^{i-1} lr_k)` for i >= j and
/// `exp(ld_i + sum_{k=i}^{j-1} ls_k)` for j >= i.
///
/// Invariant: no stored value is NaN or `+inf`; `-inf` (a zero) is allowed.
///
/// Alongside the logs it keeps what the blocked log sweeps use where the values are in range
/// (`log_sweep`): the linear ratios `e^lr`, `e^ls` in f64 (one array when `lr = ls`, as for a
/// Gibbs kernel: 8 bytes per point for a symmetric pair, 16 otherwise; two numbers for a unit
/// diagonal with one ratio per triangle, as [`LogColtPair::gibbs_uniform`]) and one flag per
/// block of 32 saying whether its parameters admit the linear form.
#[derive(Clone, Debug, PartialEq)]
pub struct LogColtPair<T> {
    pub(crate) ld: Vec<T>,
    pub(crate) lr: Vec<T>,
    pub(crate) ls: Vec<T>,
    /// The linear ratios and per-block flags of the blocked sweeps.
    linear: LinearForm,
}

impl<T: Real> LogColtPair<T> {
    /// Builds a log pair from `log d`, `log r`, `log s`.
    ///
    /// ```
    /// use colt::{ColtError, LogColtPair};
    ///
    /// // A zero upper part: ls = -inf.
    /// let t = LogColtPair::new(vec![0.0, 0.0], vec![-1.0], vec![f64::NEG_INFINITY])?;
    /// assert_eq!(t.log_entry(1, 0)?, -1.0);
    /// assert_eq!(t.log_entry(0, 1)?, f64::NEG_INFINITY);
    /// assert!(matches!(
    ///     LogColtPair::new(vec![0.0, f64::INFINITY], vec![0.0], vec![0.0]),
    ///     Err(ColtError::NonFinite { what: "ld", index: 1, .. })
    /// ));
    /// # Ok::<(), ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lr.len() == ls.len() == ld.len() - 1` (0 for an
    /// empty `ld`); [`ColtError::NonFinite`] for NaN or `+inf` (`-inf` is allowed).
    pub fn new(ld: Vec<T>, lr: Vec<T>, ls: Vec<T>) -> Result<Self> {
        let m = ratio_len(ld.len());
        check_len("lr", m, lr.len())?;
        check_len("ls", m, ls.len())?;
        check_log("ld", &ld)?;
        check_log("lr", &lr)?;
        check_log("ls", &ls)?;
        Ok(Self::from_checked(ld, lr, ls))
    }

    /// Builds from parameters already known to be valid, with the linear form.
    pub(crate) fn from_checked(ld: Vec<T>, lr: Vec<T>, ls: Vec<T>) -> Self {
        let linear = LinearForm::new(&ld, &lr, &ls);
        Self { ld, lr, ls, linear }
    }

    /// The linear form a product of `T` reads (for `T^T`: `.transposed()`).
    pub(crate) fn linear(&self) -> LinearView<'_> {
        self.linear.view()
    }

    /// The W1 Gibbs kernel `exp(-|x_i - x_j| / eps)` of a sorted support: `ld = 0`,
    /// `lr_k = ls_k = -(x_{k+1} - x_k) / eps`. Exact for any `eps > 0`.
    ///
    /// ```
    /// // eps = 1e-3 on [0, 10]: entries down to e^-10000, far below f64, exact here.
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 4.0, 10.0], 1e-3)?;
    /// assert_eq!(lk.log_entry(2, 0)?, -10000.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] for `eps` not finite and `> 0`; [`ColtError::NonFinite`] or
    /// [`ColtError::UnsortedSupport`] for a support that is not finite and non-decreasing.
    pub fn gibbs(x: &[T], eps: T) -> Result<Self> {
        check_positive("eps", eps)?;
        check_support(x)?;
        let lr: Vec<T> = x.windows(2).map(|w| -(w[1] - w[0]) / eps).collect();
        Ok(Self::from_checked(vec![T::ZERO; x.len()], lr.clone(), lr))
    }

    /// The W1 Gibbs kernel of a uniform grid of `n` points with spacing `h`, in log form:
    /// `ld = 0`, every `lr_k = ls_k = -h / eps` (exact for any `eps > 0`).
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs_uniform(4, 0.5, 0.25)?;
    /// assert_eq!(lk.log_entry(3, 1)?, -4.0); // -(2 * 0.5) / 0.25
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] unless `h` and `eps` are finite and `> 0`;
    /// [`ColtError::TooLarge`] when the parameters cannot be allocated.
    pub fn gibbs_uniform(n: usize, h: T, eps: T) -> Result<Self> {
        check_positive("h", h)?;
        check_positive("eps", eps)?;
        Ok(Self::from_checked(
            filled("ld", n, T::ZERO)?,
            filled("lr", ratio_len(n), -h / eps)?,
            filled("ls", ratio_len(n), -h / eps)?,
        ))
    }

    /// The W1 Gibbs kernel of a validated [`UniformGrid`] in log form: the same pair as
    /// [`LogColtPair::gibbs_uniform`]`(grid.len(), grid.step(), eps)`.
    ///
    /// ```
    /// use colt::{LogColtPair, UniformGrid};
    ///
    /// let lk = LogColtPair::gibbs_grid(&UniformGrid::new(1e3, 0.5, 4)?, 1e-3)?;
    /// assert_eq!(lk.log_entry(0, 1)?, -500.0); // e^-500: fine in the log form
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`LogColtPair::gibbs_uniform`].
    pub fn gibbs_grid(grid: &UniformGrid<T>, eps: T) -> Result<Self> {
        Self::gibbs_uniform(grid.len(), grid.step(), eps)
    }

    /// Dimension N.
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// assert_eq!((lk.len(), lk.is_empty()), (2, false));
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.ld.len()
    }

    /// `true` for the 0x0 matrix.
    pub fn is_empty(&self) -> bool {
        self.ld.is_empty()
    }

    /// `log d`.
    pub fn ld(&self) -> &[T] {
        &self.ld
    }

    /// `log r` (lower ratios).
    pub fn lr(&self) -> &[T] {
        &self.lr
    }

    /// `log s` (upper ratios).
    pub fn ls(&self) -> &[T] {
        &self.ls
    }

    /// Consumes the pair into `(ld, lr, ls)`.
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0], 0.5)?;
    /// let (ld, lr, ls) = lk.into_parts();
    /// assert_eq!((ld, lr, ls), (vec![0.0, 0.0], vec![-2.0], vec![-2.0]));
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn into_parts(self) -> (Vec<T>, Vec<T>, Vec<T>) {
        (self.ld, self.lr, self.ls)
    }

    /// Converts to ratio form by exponentiating every parameter.
    ///
    /// ```
    /// use colt::{ColtError, LogColtPair};
    ///
    /// let k = LogColtPair::gibbs(&[0.0, 1.0], 1.0)?.to_linear()?;
    /// assert!((k.entry(1, 0)? - (-1.0f64).exp()).abs() < 1e-16);
    /// // e^1000 is beyond f64: stay in the log form.
    /// let big = LogColtPair::new(vec![1000.0], vec![], vec![])?;
    /// assert!(matches!(big.to_linear(), Err(ColtError::NonFinite { .. })));
    /// # Ok::<(), ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NonFinite`] when a parameter overflows the float range (the ratio form
    /// cannot hold it; stay in the log form).
    pub fn to_linear(&self) -> Result<ColtPair<T>> {
        let exp = |v: &[T]| v.iter().map(|&x| x.exp()).collect::<Vec<T>>();
        ColtPair::new(exp(&self.ld), exp(&self.lr), exp(&self.ls))
    }

    /// `out = log(T exp(lx))` in O(N) by log-sum-exp sweeps; entries of `lx` may be `-inf`
    /// (zero mass). Never allocates.
    ///
    /// ```
    /// use colt::{ColtError, LogColtPair};
    ///
    /// let lk = LogColtPair::gibbs(&[0.0, 1.0, 2.0], 1e-3)?;
    /// let mut out = [0.0; 3];
    /// // Mass only at x = 0 (log 0 = -inf elsewhere): log(K e_0) = -|x_i| / eps.
    /// lk.log_apply_in_place(&[0.0, f64::NEG_INFINITY, f64::NEG_INFINITY], &mut out)?;
    /// let want = [0.0, -1000.0, -2000.0];
    /// assert!(out.iter().zip(want).all(|(o, w)| (o - w).abs() <= 1e-12 * (1.0 + w.abs())));
    /// assert!(matches!(
    ///     lk.log_apply_in_place(&[0.0, f64::NAN, 0.0], &mut out),
    ///     Err(ColtError::NonFinite { what: "lx", index: 1, .. })
    /// ));
    /// # Ok::<(), ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == out.len() == self.len()`;
    /// [`ColtError::NonFinite`] naming the first NaN or `+inf` entry of `lx` (`-inf` is a zero); [`ColtError::Overflow`] when a result is `+inf` or NaN with valid inputs (parameters near the top of the float range).
    pub fn log_apply_in_place(&self, lx: &[T], out: &mut [T]) -> Result<()> {
        check_len("lx", self.len(), lx.len())?;
        check_len("out", self.len(), out.len())?;
        log_pair_apply(
            Part::Both,
            &self.ld,
            &self.lr,
            &self.ls,
            self.linear(),
            lx,
            out,
        );
        check_log_result(&[("lx", lx)], out)
    }

    /// `out = log(T^T exp(lx))` in O(N). Never allocates.
    ///
    /// ```
    /// let t = colt::LogColtPair::new(vec![0.0, 0.0], vec![-1.0], vec![-3.0])?;
    /// let mut out = [0.0; 2];
    /// t.log_apply_transpose_in_place(&[0.0, f64::NEG_INFINITY], &mut out)?; // log of row 0
    /// assert!(out[0].abs() < 1e-15 && (out[1] + 3.0).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == out.len() == self.len()`;
    /// [`ColtError::NonFinite`] naming the first NaN or `+inf` entry of `lx` (`-inf` is a zero); [`ColtError::Overflow`] when a result is `+inf` or NaN with valid inputs (parameters near the top of the float range).
    pub fn log_apply_transpose_in_place(&self, lx: &[T], out: &mut [T]) -> Result<()> {
        check_len("lx", self.len(), lx.len())?;
        check_len("out", self.len(), out.len())?;
        log_pair_apply(
            Part::Both,
            &self.ld,
            &self.ls,
            &self.lr,
            self.linear().transposed(),
            lx,
            out,
        );
        check_log_result(&[("lx", lx)], out)
    }

    /// `log(T exp(lx))` into a new vector.
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let out = lk.log_apply(&[0.0, 0.0])?;
    /// assert!((out[0] - (1.0 + (-1.0f64).exp()).ln()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == self.len()`; otherwise as
    /// [`LogColtPair::log_apply_in_place`].
    pub fn log_apply(&self, lx: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.log_apply_in_place(lx, &mut out)?;
        Ok(out)
    }

    /// `log(T^T exp(lx))` into a new vector.
    ///
    /// ```
    /// let t = colt::LogColtPair::new(vec![0.0, 0.0], vec![-1.0], vec![-3.0])?;
    /// let out = t.log_apply_transpose(&[f64::NEG_INFINITY, 0.0])?; // log of row 1
    /// assert!((out[0] + 1.0).abs() < 1e-15 && out[1].abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == self.len()`; otherwise as
    /// [`LogColtPair::log_apply_in_place`].
    pub fn log_apply_transpose(&self, lx: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.log_apply_transpose_in_place(lx, &mut out)?;
        Ok(out)
    }

    /// The transpose `(ld, ls, lr)`.
    ///
    /// ```
    /// let t = colt::LogColtPair::new(vec![0.0, 0.0], vec![-1.0], vec![-3.0])?;
    /// assert_eq!(t.transpose().log_entry(1, 0)?, -3.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn transpose(&self) -> Self {
        Self::from_checked(self.ld.clone(), self.ls.clone(), self.lr.clone())
    }

    /// `log T_ij` in O(|i - j|).
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0, 3.0], 0.5)?;
    /// assert_eq!(lk.log_entry(0, 2)?, -6.0);
    /// assert!(lk.log_entry(0, 3).is_err());
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::IndexOutOfBounds`] unless `i, j < N`; [`ColtError::Overflow`] when the
    /// sum of log-ratios is `+inf`.
    pub fn log_entry(&self, i: usize, j: usize) -> Result<T> {
        let n = self.len();
        if i >= n || j >= n {
            return Err(ColtError::IndexOutOfBounds {
                row: i,
                col: j,
                dim: n,
            });
        }
        let v = if i >= j {
            self.lr[j..i].iter().fold(self.ld[j], |acc, &v| acc + v)
        } else {
            self.ls[i..j].iter().fold(self.ld[i], |acc, &v| acc + v)
        };
        check_log_scalar(&[], "log_entry", v)
    }

    /// The dense matrix of `log T_ij` (O(N^2)).
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0], 0.5)?;
    /// assert_eq!(lk.to_dense_log()[(1, 0)], -2.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn to_dense_log(&self) -> Mat<T> {
        let n = self.len();
        let mut m = Mat::from_fn(n, n, |_, _| T::ZERO);
        for j in 0..n {
            let mut v = self.ld[j];
            m[(j, j)] = v;
            for i in j + 1..n {
                v += self.lr[i - 1];
                m[(i, j)] = v;
            }
        }
        for i in 0..n {
            let mut v = self.ld[i];
            for j in i + 1..n {
                v += self.ls[j - 1];
                m[(i, j)] = v;
            }
        }
        m
    }

    /// The dense matrix `T` (O(N^2); entries may under/overflow: a test oracle).
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0], 0.5)?;
    /// assert_eq!(lk.to_dense()[(1, 0)], (-2.0f64).exp());
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn to_dense(&self) -> Mat<T> {
        let l = self.to_dense_log();
        Mat::from_fn(l.nrows(), l.ncols(), |i, j| l[(i, j)].exp())
    }

    /// Entrywise product: `(ld + ld', lr + lr', ls + ls')`.
    ///
    /// ```
    /// use colt::LogColtPair;
    ///
    /// let x = [0.0, 1.0];
    /// let h = LogColtPair::gibbs(&x, 1.0)?.hadamard(&LogColtPair::gibbs(&x, 0.5)?)?;
    /// assert_eq!(h.log_entry(1, 0)?, -3.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] for different dimensions; [`ColtError::NonFinite`] when a
    /// sum reaches `+inf`.
    pub fn hadamard(&self, other: &Self) -> Result<Self> {
        check_len("other", self.len(), other.len())?;
        let add = |a: &[T], b: &[T]| a.iter().zip(b).map(|(&p, &q)| p + q).collect::<Vec<T>>();
        Self::new(
            add(&self.ld, &other.ld),
            add(&self.lr, &other.lr),
            add(&self.ls, &other.ls),
        )
    }

    /// Entrywise power `T^{.k}` (`k * (ld, lr, ls)`), e.g. the IPOT kernel power
    /// `exp(-k C / beta)`.
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0], 0.5)?;
    /// assert_eq!(lk.powf(3.0)?.log_entry(0, 1)?, -6.0);
    /// assert!(lk.powf(-1.0).is_err());
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] unless `k` is finite and `> 0`; [`ColtError::NonFinite`]
    /// when a scaled parameter reaches `+inf`.
    pub fn powf(&self, k: T) -> Result<Self> {
        check_positive("k", k)?;
        let mul = |a: &[T]| a.iter().map(|&p| p * k).collect::<Vec<T>>();
        Self::new(mul(&self.ld), mul(&self.lr), mul(&self.ls))
    }

    /// Diagonal scaling `diag(e^lu) T diag(e^lv)`: `ld + lu + lv`, `lr_k + lu_{k+1} - lu_k`,
    /// `ls_k + lv_{k+1} - lv_k`.
    ///
    /// ```
    /// let lk = colt::LogColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let p = lk.scale(&[0.5, 2.0], &[-1.0, 3.0])?; // lu_i + log K_ij + lv_j
    /// assert_eq!(p.log_entry(1, 0)?, 2.0 - 1.0 - 1.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`]; [`ColtError::NonFinite`] for a NaN or infinite log
    /// scaling (a zero row has no ratio: keep potentials and handle it in the caller).
    pub fn scale(&self, lu: &[T], lv: &[T]) -> Result<Self> {
        let n = self.len();
        check_len("lu", n, lu.len())?;
        check_len("lv", n, lv.len())?;
        check_finite("lu", lu)?;
        check_finite("lv", lv)?;
        let ld = (0..n).map(|i| self.ld[i] + lu[i] + lv[i]).collect();
        let lr = (0..ratio_len(n))
            .map(|k| self.lr[k] + (lu[k + 1] - lu[k]))
            .collect();
        let ls = (0..ratio_len(n))
            .map(|k| self.ls[k] + (lv[k + 1] - lv[k]))
            .collect();
        Self::new(ld, lr, ls)
    }

    /// `out = log(T 1)` (log row sums). Never allocates.
    ///
    /// ```
    /// let t = colt::LogColtPair::new(vec![0.0, 0.0], vec![0.0], vec![f64::NEG_INFINITY])?;
    /// let mut out = [0.0; 2];
    /// t.log_row_sums_in_place(&mut out)?; // T = [[1, 0], [1, 1]]
    /// assert!(out[0].abs() < 1e-15 && (out[1] - 2.0f64.ln()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`; [`ColtError::Overflow`]
    /// when a log-sum is `+inf`.
    pub fn log_row_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::log_sweep::log_pair_apply_ones(&self.ld, &self.lr, &self.ls, self.linear(), out);
        check_log_result(&[], out)
    }

    /// `out = log(T^T 1)` (log column sums). Never allocates.
    ///
    /// ```
    /// let t = colt::LogColtPair::new(vec![0.0, 0.0], vec![0.0], vec![f64::NEG_INFINITY])?;
    /// let mut out = [0.0; 2];
    /// t.log_col_sums_in_place(&mut out)?; // T = [[1, 0], [1, 1]]
    /// assert!((out[0] - 2.0f64.ln()).abs() < 1e-15 && out[1].abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`; [`ColtError::Overflow`]
    /// when a log-sum is `+inf`.
    pub fn log_col_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::log_sweep::log_pair_apply_ones(
            &self.ld,
            &self.ls,
            &self.lr,
            self.linear().transposed(),
            out,
        );
        check_log_result(&[], out)
    }

    /// `log(1^T T 1)` (`-inf` for the empty matrix).
    ///
    /// ```
    /// let t = colt::LogColtPair::new(vec![0.0, 0.0], vec![0.0], vec![f64::NEG_INFINITY])?;
    /// assert!((t.log_sum()? - 3.0f64.ln()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::Overflow`] when the log of the sum is `+inf` (parameters near the top of
    /// the float range).
    pub fn log_sum(&self) -> Result<T> {
        check_log_scalar(
            &[],
            "log_sum",
            crate::sums::log_total(&self.ld, &self.lr, &self.ls),
        )
    }
}
