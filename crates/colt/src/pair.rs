//! [`ColtPair`]: a lower and an upper CoLT matrix sharing one diagonal, in ratio form.
//!
//! `T = L + U - diag(d)` with `L_ij = d_j prod_{k=j}^{i-1} r_k` (i >= j) and
//! `U_ij = d_i prod_{k=i}^{j-1} s_k` (j >= i). The raw row/column factors (`e^{+-x/eps}` for a
//! Gibbs kernel) are never formed: only the diagonal and the ratios between consecutive rows
//! (lower) and columns (upper) are stored, 3N - 2 numbers.

use faer::{Mat, MatRef};

use crate::error::{ColtError, Result};
use crate::real::Real;
use crate::sweep::{Ones, Part, Uniform, interleaved_apply, pair_apply, unit_interleaved_apply};
use crate::triangular::{LowerColt, UpperColt};
use crate::validate::{
    check_finite, check_len, check_non_negative, check_nonzero, check_positive, check_support,
    ratio_len,
};

/// A CoLT pair in ratio form: diagonal `d` (length N), lower ratios `r` and upper ratios `s`
/// (length N - 1, or 0 for N = 0).
///
/// Entry `(i, j)`: `d_j prod_{k=j}^{i-1} r_k` below the diagonal, `d_i prod_{k=i}^{j-1} s_k`
/// above it. The Gibbs kernel `exp(-|x_i - x_j| / eps)` of a sorted support is
/// `d = 1, r = s = exp(-(x_{k+1} - x_k) / eps)` ([`ColtPair::gibbs`]).
///
/// Invariant: all stored numbers are finite.
#[derive(Clone, Debug, PartialEq)]
pub struct ColtPair<T> {
    pub(crate) d: Vec<T>,
    pub(crate) r: Vec<T>,
    pub(crate) s: Vec<T>,
    /// Detected at construction (a function of `d, r, s`): lets the products stream fewer
    /// arrays for the Gibbs kernel (`d = 1`, `r = s`).
    structure: Structure,
}

/// Special structure of the parameters that the products exploit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Structure {
    /// Nothing special.
    General,
    /// `d = 1`: the diagonal is not read.
    UnitDiagonal,
    /// `d = 1` and `r = s` (a symmetric kernel such as the Gibbs kernel): one ratio array, and
    /// the whole-pair products advance both sweeps as the two lanes of one step
    /// (`unit_interleaved_apply`, bit-identical to the unit-diagonal sweeps).
    UnitSymmetric,
    /// `d = 1` and every `r_k = s_k` equal (the Gibbs kernel of a uniform grid): one scalar
    /// ratio, so the whole-pair products stream only `x` and `out`.
    UnitUniform,
}

impl Structure {
    fn of<T: Real>(d: &[T], r: &[T], s: &[T]) -> Self {
        if !d.iter().all(|&v| v == T::ONE) {
            Structure::General
        } else if r == s {
            match r.first() {
                Some(&r0) if r.iter().all(|&v| v == r0) => Structure::UnitUniform,
                _ => Structure::UnitSymmetric,
            }
        } else {
            Structure::UnitDiagonal
        }
    }
}

impl<T: Real> ColtPair<T> {
    /// Builds a pair from its diagonal and ratios.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `r.len() == s.len() == d.len() - 1` (0 when `d` is
    /// empty); [`ColtError::NonFinite`] for a NaN or infinite entry.
    pub fn new(d: Vec<T>, r: Vec<T>, s: Vec<T>) -> Result<Self> {
        let m = ratio_len(d.len());
        check_len("r", m, r.len())?;
        check_len("s", m, s.len())?;
        check_finite("d", &d)?;
        check_finite("r", &r)?;
        check_finite("s", &s)?;
        Ok(Self::from_checked(d, r, s))
    }

    /// Builds from parameters already known to be valid.
    pub(crate) fn from_checked(d: Vec<T>, r: Vec<T>, s: Vec<T>) -> Self {
        let structure = Structure::of(&d, &r, &s);
        Self { d, r, s, structure }
    }

    /// `out = T x` (or `T^T x` with `transpose`), streaming only the arrays the structure needs.
    fn apply_part(&self, part: Part, transpose: bool, x: &[T], out: &mut [T]) {
        let (r, s) = if transpose {
            (&self.s, &self.r)
        } else {
            (&self.r, &self.s)
        };
        match self.structure {
            Structure::General => pair_apply(part, &self.d[..], r, s, x, out),
            Structure::UnitDiagonal => pair_apply(part, Ones, r, s, x, out),
            Structure::UnitSymmetric => match part {
                Part::Both => unit_interleaved_apply(r, r, x, out),
                _ => pair_apply(part, Ones, r, r, x, out),
            },
            Structure::UnitUniform => match (part, r.first()) {
                (Part::Both, Some(&r0)) => {
                    interleaved_apply(Ones, Uniform(r0), Uniform(r0), x, out)
                }
                _ => pair_apply(part, Ones, r, r, x, out),
            },
        }
    }

    /// The W1 Gibbs kernel `K_ij = exp(-|x_i - x_j| / eps)` of a sorted 1D support `x`:
    /// `d = 1`, `r_k = s_k = exp(-(x_{k+1} - x_k) / eps)`.
    ///
    /// Ratios that underflow to 0 (gaps beyond ~745 eps in f64) drop only terms below the
    /// float range; use [`crate::LogColtPair::gibbs`] when the products themselves must stay
    /// meaningful (small `eps`, log-domain solvers).
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] unless `eps` is finite and `> 0`; [`ColtError::NonFinite`]
    /// or [`ColtError::UnsortedSupport`] for a support that is not finite and non-decreasing.
    pub fn gibbs(x: &[T], eps: T) -> Result<Self> {
        check_positive("eps", eps)?;
        check_support(x)?;
        let r: Vec<T> = x.windows(2).map(|w| (-(w[1] - w[0]) / eps).exp()).collect();
        Ok(Self::from_checked(vec![T::ONE; x.len()], r.clone(), r))
    }

    /// The W1 Gibbs kernel of a uniform grid of `n` points with spacing `h`:
    /// `K_ij = exp(-|i - j| h / eps)`, i.e. `d = 1`, every `r_k = s_k = exp(-h / eps)`.
    ///
    /// Unlike [`ColtPair::gibbs`] of the grid points (whose computed gaps differ in their last
    /// bits), every ratio is the same number, so the products take the uniform-ratio path
    /// (one scalar ratio, only `x` and `out` streamed; see `docs/colt.md`).
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] unless `h` and `eps` are finite and `> 0`.
    pub fn gibbs_uniform(n: usize, h: T, eps: T) -> Result<Self> {
        check_positive("h", h)?;
        check_positive("eps", eps)?;
        let r = vec![(-h / eps).exp(); ratio_len(n)];
        Ok(Self::from_checked(vec![T::ONE; n], r.clone(), r))
    }

    /// The pair whose lower triangle is `tril(alpha beta^T)` and upper triangle is
    /// `triu(gamma delta^T)`; the diagonals must agree (`alpha_i beta_i = gamma_i delta_i`
    /// within `rel_tol` relative to the larger of the two).
    ///
    /// Ratios: `r_k = alpha_{k+1} / alpha_k`, `s_k = delta_{k+1} / delta_k`, `d_i = alpha_i beta_i`.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] for factors of different lengths; [`ColtError::NonFinite`]
    /// for NaN/inf entries or ratios that overflow; [`ColtError::ZeroDivisor`] for a zero in
    /// `alpha` or `delta`; [`ColtError::NotColt`] when the two diagonals disagree.
    pub fn from_factors(
        alpha: &[T],
        beta: &[T],
        gamma: &[T],
        delta: &[T],
        rel_tol: T,
    ) -> Result<Self> {
        let n = alpha.len();
        check_len("beta", n, beta.len())?;
        check_len("gamma", n, gamma.len())?;
        check_len("delta", n, delta.len())?;
        for (what, v) in [
            ("alpha", alpha),
            ("beta", beta),
            ("gamma", gamma),
            ("delta", delta),
        ] {
            check_finite(what, v)?;
        }
        check_nonzero("alpha", alpha)?;
        check_nonzero("delta", delta)?;
        let mut d = Vec::with_capacity(n);
        for i in 0..n {
            let lo = alpha[i] * beta[i];
            let up = gamma[i] * delta[i];
            let tolerance = rel_tol * lo.abs().max(up.abs());
            if (lo - up).abs() > tolerance {
                return Err(ColtError::NotColt {
                    row: i,
                    col: i,
                    expected: lo.to_f64(),
                    found: up.to_f64(),
                    tolerance: tolerance.to_f64(),
                });
            }
            d.push(lo);
        }
        let r: Vec<T> = alpha.windows(2).map(|w| w[1] / w[0]).collect();
        let s: Vec<T> = delta.windows(2).map(|w| w[1] / w[0]).collect();
        Self::new(d, r, s)
    }

    /// Recovers the pair from a dense matrix that is CoLT, checking every entry.
    ///
    /// The parameters are read from the diagonal and the first sub/super-diagonal
    /// (`r_k = A_{k+1,k} / A_{kk}`, `s_k = A_{k,k+1} / A_{kk}`); every entry must then match the
    /// pair within `tol * max_ij |A_ij|` (absolute).
    ///
    /// # Errors
    /// [`ColtError::NotSquare`]; [`ColtError::NonFinite`] for NaN/inf entries (reported with
    /// the row-major index `i * n + j`); [`ColtError::ZeroDiagonal`] for a zero diagonal
    /// entry; [`ColtError::NotColt`] for the first entry off the structure.
    pub fn from_dense(a: MatRef<'_, T>, tol: T) -> Result<Self> {
        let (rows, cols) = (a.nrows(), a.ncols());
        if rows != cols {
            return Err(ColtError::NotSquare { rows, cols });
        }
        let n = rows;
        let mut scale = T::ZERO;
        for i in 0..n {
            for j in 0..n {
                let v = a[(i, j)];
                if !v.is_finite() {
                    return Err(ColtError::NonFinite {
                        what: "matrix",
                        index: i * n + j,
                        value: v.to_f64(),
                    });
                }
                scale = scale.max(v.abs());
            }
        }
        let d: Vec<T> = (0..n).map(|i| a[(i, i)]).collect();
        if let Some(index) = d.iter().position(|&v| v == T::ZERO) {
            return Err(ColtError::ZeroDiagonal { index });
        }
        let r: Vec<T> = (0..ratio_len(n)).map(|k| a[(k + 1, k)] / d[k]).collect();
        let s: Vec<T> = (0..ratio_len(n)).map(|k| a[(k, k + 1)] / d[k]).collect();
        let pair = Self::new(d, r, s)?;
        let tolerance = tol * scale;
        let dense = pair.to_dense();
        for j in 0..n {
            for i in 0..n {
                let (want, got) = (dense[(i, j)], a[(i, j)]);
                if (want - got).abs() > tolerance {
                    return Err(ColtError::NotColt {
                        row: i,
                        col: j,
                        expected: want.to_f64(),
                        found: got.to_f64(),
                        tolerance: tolerance.to_f64(),
                    });
                }
            }
        }
        Ok(pair)
    }

    /// The pair `L + U - diag(d)` of a lower and an upper CoLT matrix with the same diagonal.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] for different dimensions; [`ColtError::NotColt`] when the
    /// diagonals differ by more than `rel_tol` (relative).
    pub fn from_triangles(lower: &LowerColt<T>, upper: &UpperColt<T>, rel_tol: T) -> Result<Self> {
        check_len("upper", lower.len(), upper.len())?;
        for (i, (&a, &b)) in lower.d.iter().zip(&upper.d).enumerate() {
            let tolerance = rel_tol * a.abs().max(b.abs());
            if (a - b).abs() > tolerance {
                return Err(ColtError::NotColt {
                    row: i,
                    col: i,
                    expected: a.to_f64(),
                    found: b.to_f64(),
                    tolerance: tolerance.to_f64(),
                });
            }
        }
        Ok(Self::from_checked(
            lower.d.clone(),
            lower.r.clone(),
            upper.s.clone(),
        ))
    }

    /// Dimension N.
    pub fn len(&self) -> usize {
        self.d.len()
    }

    /// `true` for the 0x0 matrix.
    pub fn is_empty(&self) -> bool {
        self.d.is_empty()
    }

    /// Shared diagonal `d`.
    pub fn d(&self) -> &[T] {
        &self.d
    }

    /// Lower ratios `r` (`L_{i+1,j} = r_i L_{ij}`).
    pub fn r(&self) -> &[T] {
        &self.r
    }

    /// Upper ratios `s` (`U_{i,j+1} = s_j U_{ij}`).
    pub fn s(&self) -> &[T] {
        &self.s
    }

    /// Consumes the pair into `(d, r, s)`.
    pub fn into_parts(self) -> (Vec<T>, Vec<T>, Vec<T>) {
        (self.d, self.r, self.s)
    }

    /// The lower triangle `L` (diagonal included).
    pub fn lower(&self) -> LowerColt<T> {
        LowerColt {
            d: self.d.clone(),
            r: self.r.clone(),
        }
    }

    /// The upper triangle `U` (diagonal included).
    pub fn upper(&self) -> UpperColt<T> {
        UpperColt {
            d: self.d.clone(),
            s: self.s.clone(),
        }
    }

    /// `out = T x` in O(N), without allocating (the forward and backward sweeps interleaved
    /// in one loop, see [`crate::sweep`]).
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`.
    pub fn apply_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("x", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        self.apply_part(Part::Both, false, x, out);
        Ok(())
    }

    /// `out = T^T x` in O(N) (the transpose swaps `r` and `s`), without allocating.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`.
    pub fn apply_transpose_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("x", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        self.apply_part(Part::Both, true, x, out);
        Ok(())
    }

    /// `T x` into a new vector.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == self.len()`.
    pub fn apply(&self, x: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.apply_in_place(x, &mut out)?;
        Ok(out)
    }

    /// `T^T x` into a new vector.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == self.len()`.
    pub fn apply_transpose(&self, x: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.apply_transpose_in_place(x, &mut out)?;
        Ok(out)
    }

    /// The transpose `(d, s, r)`: the transpose of an L-CoLT is a U-CoLT.
    pub fn transpose(&self) -> Self {
        Self::from_checked(self.d.clone(), self.s.clone(), self.r.clone())
    }

    /// Entry `(i, j)` in O(|i - j|).
    ///
    /// # Errors
    /// [`ColtError::IndexOutOfBounds`] unless `i, j < N`.
    pub fn entry(&self, i: usize, j: usize) -> Result<T> {
        let n = self.len();
        if i >= n || j >= n {
            return Err(ColtError::IndexOutOfBounds {
                row: i,
                col: j,
                dim: n,
            });
        }
        Ok(if i >= j {
            self.r[j..i].iter().fold(self.d[j], |acc, &v| acc * v)
        } else {
            self.s[i..j].iter().fold(self.d[i], |acc, &v| acc * v)
        })
    }

    /// The dense N x N matrix (O(N^2)): the test oracle.
    pub fn to_dense(&self) -> Mat<T> {
        let n = self.len();
        let mut m = Mat::from_fn(n, n, |_, _| T::ZERO);
        for j in 0..n {
            let mut v = self.d[j];
            m[(j, j)] = v;
            for i in j + 1..n {
                v *= self.r[i - 1];
                m[(i, j)] = v;
            }
        }
        for i in 0..n {
            let mut v = self.d[i];
            for j in i + 1..n {
                v *= self.s[j - 1];
                m[(i, j)] = v;
            }
        }
        m
    }

    /// Entrywise product: `(d d', r r', s s')`. CoLT pairs are closed under it.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] for different dimensions; [`ColtError::NonFinite`] if a
    /// product overflows.
    pub fn hadamard(&self, other: &Self) -> Result<Self> {
        check_len("other", self.len(), other.len())?;
        let mul = |a: &[T], b: &[T]| a.iter().zip(b).map(|(&p, &q)| p * q).collect::<Vec<T>>();
        Self::new(
            mul(&self.d, &other.d),
            mul(&self.r, &other.r),
            mul(&self.s, &other.s),
        )
    }

    /// Diagonal scaling `diag(u) T diag(v)`: `d <- u d v`, `r_k <- r_k u_{k+1} / u_k`,
    /// `s_k <- s_k v_{k+1} / v_k`.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`]; [`ColtError::NonFinite`] for NaN/inf scalings or an
    /// overflowing result; [`ColtError::ZeroDivisor`] for a zero in `u` or `v` (a zero row
    /// or column has no ratio; use [`crate::LogColtPair`] potentials instead).
    pub fn scale(&self, u: &[T], v: &[T]) -> Result<Self> {
        let n = self.len();
        check_len("u", n, u.len())?;
        check_len("v", n, v.len())?;
        check_finite("u", u)?;
        check_finite("v", v)?;
        check_nonzero("u", u)?;
        check_nonzero("v", v)?;
        let d = (0..n).map(|i| u[i] * self.d[i] * v[i]).collect();
        let r = (0..ratio_len(n))
            .map(|k| self.r[k] * (u[k + 1] / u[k]))
            .collect();
        let s = (0..ratio_len(n))
            .map(|k| self.s[k] * (v[k + 1] / v[k]))
            .collect();
        Self::new(d, r, s)
    }

    /// Row sums `T 1` into `out`. Never allocates.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`.
    pub fn row_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::sums::row_sums(&self.d, &self.r, &self.s, out);
        Ok(())
    }

    /// Column sums `T^T 1` into `out`. Never allocates.
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`.
    pub fn col_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::sums::row_sums(&self.d, &self.s, &self.r, out);
        Ok(())
    }

    /// Sum of all entries `1^T T 1` (0 for the empty matrix), in O(N) without allocating.
    pub fn sum(&self) -> T {
        crate::sums::total(&self.d, &self.r, &self.s)
    }

    /// Converts to the log parametrisation `(log d, log r, log s)`.
    ///
    /// # Errors
    /// [`ColtError::Negative`] for a negative entry (zeros become `-inf`).
    pub fn to_log(&self) -> Result<crate::LogColtPair<T>> {
        check_non_negative("d", &self.d)?;
        check_non_negative("r", &self.r)?;
        check_non_negative("s", &self.s)?;
        let ln = |v: &[T]| v.iter().map(|&x| x.ln()).collect::<Vec<T>>();
        Ok(crate::LogColtPair {
            ld: ln(&self.d),
            lr: ln(&self.r),
            ls: ln(&self.s),
        })
    }
}
