//! [`LogColtPair`]: the CoLT pair in log parametrisation, for log-domain solvers.
//!
//! Stores `ld = log d`, `lr = log r`, `ls = log s`. Products become log-sum-exp sweeps
//! (exact for any `eps`, no thresholds), Hadamard products become sums, and diagonal scaling
//! `diag(e^lu) T diag(e^lv)` becomes `ld + lu + lv`, `lr_k + lu_{k+1} - lu_k`,
//! `ls_k + lv_{k+1} - lv_k` (brief §3.2, reconstructed). `-inf` stands for a zero entry.

use faer::Mat;

use crate::error::{ColtError, Result};
use crate::log_sweep::log_pair_apply;
use crate::pair::ColtPair;
use crate::real::Real;
use crate::sweep::Part;
use crate::validate::{
    check_finite, check_len, check_log, check_positive, check_support, ratio_len,
};

/// A CoLT pair in log form: `T_ij = exp(ld_j + sum_{k=j}^{i-1} lr_k)` for i >= j and
/// `exp(ld_i + sum_{k=i}^{j-1} ls_k)` for j >= i.
///
/// Invariant: no stored value is NaN or `+inf`; `-inf` (a zero) is allowed.
#[derive(Clone, Debug, PartialEq)]
pub struct LogColtPair<T> {
    pub(crate) ld: Vec<T>,
    pub(crate) lr: Vec<T>,
    pub(crate) ls: Vec<T>,
}

impl<T: Real> LogColtPair<T> {
    /// Builds a log pair from `log d`, `log r`, `log s`.
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
        Ok(Self { ld, lr, ls })
    }

    /// The W1 Gibbs kernel `exp(-|x_i - x_j| / eps)` of a sorted support: `ld = 0`,
    /// `lr_k = ls_k = -(x_{k+1} - x_k) / eps`. Exact for any `eps > 0`.
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] for `eps` not finite and `> 0`; [`ColtError::NonFinite`] or
    /// [`ColtError::UnsortedSupport`] for a support that is not finite and non-decreasing.
    pub fn gibbs(x: &[T], eps: T) -> Result<Self> {
        check_positive("eps", eps)?;
        check_support(x)?;
        let lr: Vec<T> = x.windows(2).map(|w| -(w[1] - w[0]) / eps).collect();
        Ok(Self {
            ld: vec![T::ZERO; x.len()],
            ls: lr.clone(),
            lr,
        })
    }

    /// Dimension N.
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
    pub fn into_parts(self) -> (Vec<T>, Vec<T>, Vec<T>) {
        (self.ld, self.lr, self.ls)
    }

    /// Converts to ratio form by exponentiating every parameter.
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
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == out.len() == self.len()`.
    pub fn log_apply_in_place(&self, lx: &[T], out: &mut [T]) -> Result<()> {
        check_len("lx", self.len(), lx.len())?;
        check_len("out", self.len(), out.len())?;
        log_pair_apply(Part::Both, &self.ld, &self.lr, &self.ls, lx, out);
        Ok(())
    }

    /// `out = log(T^T exp(lx))` in O(N). Never allocates.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == out.len() == self.len()`.
    pub fn log_apply_transpose_in_place(&self, lx: &[T], out: &mut [T]) -> Result<()> {
        check_len("lx", self.len(), lx.len())?;
        check_len("out", self.len(), out.len())?;
        log_pair_apply(Part::Both, &self.ld, &self.ls, &self.lr, lx, out);
        Ok(())
    }

    /// `log(T exp(lx))` into a new vector.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == self.len()`.
    pub fn log_apply(&self, lx: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.log_apply_in_place(lx, &mut out)?;
        Ok(out)
    }

    /// `log(T^T exp(lx))` into a new vector.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `lx.len() == self.len()`.
    pub fn log_apply_transpose(&self, lx: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.log_apply_transpose_in_place(lx, &mut out)?;
        Ok(out)
    }

    /// The transpose `(ld, ls, lr)`.
    pub fn transpose(&self) -> Self {
        Self {
            ld: self.ld.clone(),
            lr: self.ls.clone(),
            ls: self.lr.clone(),
        }
    }

    /// `log T_ij` in O(|i - j|).
    ///
    /// # Errors
    /// [`ColtError::IndexOutOfBounds`] unless `i, j < N`.
    pub fn log_entry(&self, i: usize, j: usize) -> Result<T> {
        let n = self.len();
        if i >= n || j >= n {
            return Err(ColtError::IndexOutOfBounds {
                row: i,
                col: j,
                dim: n,
            });
        }
        Ok(if i >= j {
            self.lr[j..i].iter().fold(self.ld[j], |acc, &v| acc + v)
        } else {
            self.ls[i..j].iter().fold(self.ld[i], |acc, &v| acc + v)
        })
    }

    /// The dense matrix of `log T_ij` (O(N^2)).
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
    pub fn to_dense(&self) -> Mat<T> {
        let l = self.to_dense_log();
        Mat::from_fn(l.nrows(), l.ncols(), |i, j| l[(i, j)].exp())
    }

    /// Entrywise product: `(ld + ld', lr + lr', ls + ls')`.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] for different dimensions.
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
    /// # Errors
    /// [`ColtError::NonPositive`] unless `k` is finite and `> 0`.
    pub fn powf(&self, k: T) -> Result<Self> {
        check_positive("k", k)?;
        let mul = |a: &[T]| a.iter().map(|&p| p * k).collect::<Vec<T>>();
        Self::new(mul(&self.ld), mul(&self.lr), mul(&self.ls))
    }

    /// Diagonal scaling `diag(e^lu) T diag(e^lv)`: `ld + lu + lv`, `lr_k + lu_{k+1} - lu_k`,
    /// `ls_k + lv_{k+1} - lv_k`.
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
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`.
    pub fn log_row_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::log_sweep::log_pair_apply_ones(&self.ld, &self.lr, &self.ls, out);
        Ok(())
    }

    /// `out = log(T^T 1)` (log column sums). Never allocates.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`.
    pub fn log_col_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::log_sweep::log_pair_apply_ones(&self.ld, &self.ls, &self.lr, out);
        Ok(())
    }

    /// `log(1^T T 1)` (`-inf` for the empty matrix).
    pub fn log_sum(&self) -> T {
        crate::sums::log_total(&self.ld, &self.lr, &self.ls)
    }
}
