//! [`ColtPair`]: a lower and an upper CoLT matrix sharing one diagonal, in ratio form.
//!
//! `T = L + U - diag(d)` with `L_ij = d_j prod_{k=j}^{i-1} r_k` (i >= j) and
//! `U_ij = d_i prod_{k=i}^{j-1} s_k` (j >= i). The raw row/column factors (`e^{+-x/eps}` for a
//! Gibbs kernel) are never formed: only the diagonal and the ratios between consecutive rows
//! (lower) and columns (upper) are stored, 3N - 2 numbers.

use faer::{Mat, MatRef};

use crate::error::{ColtError, Result};
use crate::grid::UniformGrid;
use crate::real::Real;
use crate::sweep::{Ones, Part, Uniform, interleaved_apply, pair_apply, unit_interleaved_apply};
use crate::triangular::{LowerColt, UpperColt};
use crate::validate::{
    check_finite, check_len, check_non_negative, check_nonzero, check_positive, check_result,
    check_scalar, check_support, check_tolerance, filled, ratio_len,
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
    /// ```
    /// use colt::{ColtError, ColtPair};
    ///
    /// // T = [[2, 2], [1, 2]]: d = (2, 2), r = (0.5), s = (1).
    /// let t = ColtPair::new(vec![2.0, 2.0], vec![0.5], vec![1.0])?;
    /// assert_eq!(t.entry(1, 0)?, 1.0);
    /// assert_eq!(t.entry(0, 1)?, 2.0);
    /// assert!(matches!(
    ///     ColtPair::new(vec![1.0, f64::NAN], vec![0.5], vec![0.5]),
    ///     Err(ColtError::NonFinite { what: "d", index: 1, .. })
    /// ));
    /// # Ok::<(), ColtError>(())
    /// ```
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
    /// Returns `true` when the sweep tracked that every entry of `out` is finite.
    fn apply_part(&self, part: Part, transpose: bool, x: &[T], out: &mut [T]) -> bool {
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
    /// ```
    /// use colt::{ColtError, ColtPair};
    ///
    /// let x = [0.0, 0.5, 2.0];
    /// let k = ColtPair::gibbs(&x, 0.5)?;
    /// assert!((k.entry(2, 0)? - (-4.0f64).exp()).abs() < 1e-16);
    /// assert!(matches!(
    ///     ColtPair::gibbs(&[1.0, 0.0], 0.5),
    ///     Err(ColtError::UnsortedSupport { index: 0, .. })
    /// ));
    /// # Ok::<(), ColtError>(())
    /// ```
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
    /// ```
    /// let k = colt::ColtPair::gibbs_uniform(1000, 1e-3, 0.01)?;
    /// let mut out = vec![0.0; 1000];
    /// k.apply_in_place(&vec![1.0; 1000], &mut out)?;
    /// // Row sums of exp(-|i - j| h / eps): about 2 eps / h = 20 in the interior.
    /// assert!((out[500] - 1.0 / (1.0 - 2.0 * (-0.1f64).exp() / (1.0 + (-0.1f64).exp()))).abs() < 1e-9);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] unless `h` and `eps` are finite and `> 0`;
    /// [`ColtError::TooLarge`] when the parameters cannot be allocated.
    pub fn gibbs_uniform(n: usize, h: T, eps: T) -> Result<Self> {
        check_positive("h", h)?;
        check_positive("eps", eps)?;
        let r = filled("r", ratio_len(n), (-h / eps).exp())?;
        let s = filled("s", ratio_len(n), (-h / eps).exp())?;
        Ok(Self::from_checked(filled("d", n, T::ONE)?, r, s))
    }

    /// The W1 Gibbs kernel of a validated [`UniformGrid`]: the same pair as
    /// [`ColtPair::gibbs_uniform`]`(grid.len(), grid.step(), eps)` (the kernel depends only on
    /// the gaps), with the grid's checks (no degenerate spacing) behind it.
    ///
    /// ```
    /// use colt::{ColtPair, UniformGrid};
    ///
    /// let grid = UniformGrid::new(10.0, 0.5, 4)?;
    /// let k = ColtPair::gibbs_grid(&grid, 1.0)?;
    /// assert!((k.entry(0, 2)? - (-1.0f64).exp()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NonPositive`] unless `eps` is finite and `> 0`; [`ColtError::TooLarge`]
    /// when the parameters cannot be allocated.
    pub fn gibbs_grid(grid: &UniformGrid<T>, eps: T) -> Result<Self> {
        Self::gibbs_uniform(grid.len(), grid.step(), eps)
    }

    /// The pair whose lower triangle is `tril(alpha beta^T)` and upper triangle is
    /// `triu(gamma delta^T)`; the diagonals must agree (`alpha_i beta_i = gamma_i delta_i`
    /// within `rel_tol` relative to the larger of the two).
    ///
    /// Ratios: `r_k = alpha_{k+1} / alpha_k`, `s_k = delta_{k+1} / delta_k`, `d_i = alpha_i beta_i`.
    ///
    /// ```
    /// use colt::ColtPair;
    ///
    /// // tril(alpha beta^T) with alpha = (1, 2, 4), beta = (1, 0.5, 0.25); upper part symmetric.
    /// let (alpha, beta) = ([1.0, 2.0, 4.0], [1.0, 0.5, 0.25]);
    /// let t = ColtPair::from_factors(&alpha, &beta, &beta, &alpha, 1e-15)?;
    /// assert_eq!(t.entry(2, 0)?, 4.0); // alpha_2 beta_0
    /// assert_eq!(t.entry(0, 2)?, 4.0); // beta_0 alpha_2
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] for factors of different lengths; [`ColtError::NonFinite`]
    /// for NaN/inf entries or ratios that overflow; [`ColtError::ZeroDivisor`] for a zero in
    /// `alpha` or `delta`; [`ColtError::NotColt`] when the two diagonals disagree;
    /// [`ColtError::InvalidTolerance`] unless `rel_tol` is finite and `>= 0`.
    pub fn from_factors(
        alpha: &[T],
        beta: &[T],
        gamma: &[T],
        delta: &[T],
        rel_tol: T,
    ) -> Result<Self> {
        check_tolerance("rel_tol", rel_tol)?;
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
    /// ```
    /// use colt::{ColtPair, Mat};
    ///
    /// let k = ColtPair::gibbs(&[0.0, 1.0, 3.0], 1.0)?;
    /// let back: ColtPair<f64> = ColtPair::from_dense(k.to_dense().as_ref(), 1e-15)?;
    /// assert!((back.r()[1] - k.r()[1]).abs() < 1e-16);
    /// // A matrix whose (2, 0) entry breaks the collinearity is rejected.
    /// let mut m = k.to_dense();
    /// m[(2, 0)] = 1.0;
    /// assert!(ColtPair::from_dense(m.as_ref(), 1e-12).is_err());
    /// let _: &Mat<f64> = &m;
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NotSquare`]; [`ColtError::NonFinite`] for NaN/inf entries (reported with
    /// the row-major index `i * n + j`); [`ColtError::ZeroDiagonal`] for a zero diagonal
    /// entry; [`ColtError::NotColt`] for the first entry off the structure;
    /// [`ColtError::InvalidTolerance`] unless `tol` is finite and `>= 0`.
    pub fn from_dense(a: MatRef<'_, T>, tol: T) -> Result<Self> {
        check_tolerance("tol", tol)?;
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
    /// ```
    /// use colt::ColtPair;
    ///
    /// let k = ColtPair::gibbs(&[0.0, 1.0, 3.0], 1.0)?;
    /// let again = ColtPair::from_triangles(&k.lower(), &k.upper(), 0.0)?;
    /// assert_eq!(again, k);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] for different dimensions; [`ColtError::NotColt`] when the
    /// diagonals differ by more than `rel_tol` (relative); [`ColtError::InvalidTolerance`]
    /// unless `rel_tol` is finite and `>= 0`.
    pub fn from_triangles(lower: &LowerColt<T>, upper: &UpperColt<T>, rel_tol: T) -> Result<Self> {
        check_tolerance("rel_tol", rel_tol)?;
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
    ///
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0, 1.0, 3.0], 1.0)?;
    /// assert_eq!((k.len(), k.is_empty()), (3, false));
    /// # Ok::<(), colt::ColtError>(())
    /// ```
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
    ///
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let (d, r, s) = k.into_parts();
    /// assert_eq!((d, r.len(), s.len()), (vec![1.0, 1.0], 1, 1));
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn into_parts(self) -> (Vec<T>, Vec<T>, Vec<T>) {
        (self.d, self.r, self.s)
    }

    /// The lower triangle `L` (diagonal included).
    ///
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// assert_eq!(k.lower().to_dense()[(0, 1)], 0.0);
    /// assert_eq!(k.lower().to_dense()[(1, 0)], k.entry(1, 0)?);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn lower(&self) -> LowerColt<T> {
        LowerColt {
            d: self.d.clone(),
            r: self.r.clone(),
        }
    }

    /// The upper triangle `U` (diagonal included).
    ///
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// assert_eq!(k.upper().to_dense()[(1, 0)], 0.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn upper(&self) -> UpperColt<T> {
        UpperColt {
            d: self.d.clone(),
            s: self.s.clone(),
        }
    }

    /// `out = T x` in O(N), without allocating (the forward and backward sweeps interleaved
    /// in one loop, see [`crate::sweep`]).
    ///
    /// ```
    /// use colt::{ColtError, ColtPair};
    ///
    /// let k = ColtPair::gibbs(&[0.0, 1.0, 2.0], 1.0)?;
    /// let mut out = [0.0; 3];
    /// k.apply_in_place(&[1.0, 0.0, 0.0], &mut out)?; // first column of K
    /// assert!((out[2] - (-2.0f64).exp()).abs() < 1e-16);
    /// assert!(matches!(
    ///     k.apply_in_place(&[1.0, f64::NAN, 0.0], &mut out),
    ///     Err(ColtError::NonFinite { what: "x", index: 1, .. })
    /// ));
    /// // Ratios above 1 compound: the result leaves the float range, an error rather than inf.
    /// let big = ColtPair::new(vec![1.0; 3], vec![1e300; 2], vec![1.0; 2])?;
    /// assert!(matches!(
    ///     big.apply_in_place(&[1.0; 3], &mut out),
    ///     Err(ColtError::Overflow { what: "out", index: 2, .. })
    /// ));
    /// # Ok::<(), ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`;
    /// [`ColtError::NonFinite`] naming the first NaN or infinite entry of `x`; [`ColtError::Overflow`] when a result leaves the float range (`out` then holds the computed values, non-finite entries included).
    pub fn apply_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("x", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        if self.apply_part(Part::Both, false, x, out) {
            Ok(())
        } else {
            check_result(&[("x", x)], out)
        }
    }

    /// `out = T^T x` in O(N) (the transpose swaps `r` and `s`), without allocating.
    ///
    /// ```
    /// let t = colt::ColtPair::new(vec![1.0, 1.0], vec![0.5], vec![0.25])?;
    /// let mut out = [0.0; 2];
    /// t.apply_transpose_in_place(&[1.0, 0.0], &mut out)?; // first row of T
    /// assert_eq!(out, [1.0, 0.25]);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`;
    /// [`ColtError::NonFinite`] naming the first NaN or infinite entry of `x`; [`ColtError::Overflow`] when a result leaves the float range (`out` then holds the computed values, non-finite entries included).
    pub fn apply_transpose_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("x", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        if self.apply_part(Part::Both, true, x, out) {
            Ok(())
        } else {
            check_result(&[("x", x)], out)
        }
    }

    /// `T x` into a new vector.
    ///
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let kx = k.apply(&[1.0, 1.0])?;
    /// assert!((kx[0] - (1.0 + (-1.0f64).exp())).abs() < 1e-16);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == self.len()`; otherwise as
    /// [`ColtPair::apply_in_place`].
    pub fn apply(&self, x: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.apply_in_place(x, &mut out)?;
        Ok(out)
    }

    /// `T^T x` into a new vector.
    ///
    /// ```
    /// let t = colt::ColtPair::new(vec![1.0, 1.0], vec![0.5], vec![0.25])?;
    /// assert_eq!(t.apply_transpose(&[0.0, 1.0])?, vec![0.5, 1.0]); // second row of T
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `x.len() == self.len()`; otherwise as
    /// [`ColtPair::apply_in_place`].
    pub fn apply_transpose(&self, x: &[T]) -> Result<Vec<T>> {
        let mut out = vec![T::ZERO; self.len()];
        self.apply_transpose_in_place(x, &mut out)?;
        Ok(out)
    }

    /// The transpose `(d, s, r)`: the transpose of an L-CoLT is a U-CoLT.
    ///
    /// ```
    /// let t = colt::ColtPair::new(vec![1.0, 1.0], vec![0.5], vec![0.25])?;
    /// assert_eq!(t.transpose().entry(1, 0)?, t.entry(0, 1)?);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn transpose(&self) -> Self {
        Self::from_checked(self.d.clone(), self.s.clone(), self.r.clone())
    }

    /// Entry `(i, j)` in O(|i - j|).
    ///
    /// ```
    /// let t = colt::ColtPair::new(vec![2.0, 1.0, 1.0], vec![0.5, 0.5], vec![3.0, 3.0])?;
    /// assert_eq!(t.entry(2, 0)?, 0.5); // d_0 r_0 r_1
    /// assert_eq!(t.entry(0, 2)?, 18.0); // d_0 s_0 s_1
    /// assert!(t.entry(3, 0).is_err());
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::IndexOutOfBounds`] unless `i, j < N`; [`ColtError::Overflow`] when the
    /// product of ratios leaves the float range.
    pub fn entry(&self, i: usize, j: usize) -> Result<T> {
        let n = self.len();
        if i >= n || j >= n {
            return Err(ColtError::IndexOutOfBounds {
                row: i,
                col: j,
                dim: n,
            });
        }
        let v = if i >= j {
            self.r[j..i].iter().fold(self.d[j], |acc, &v| acc * v)
        } else {
            self.s[i..j].iter().fold(self.d[i], |acc, &v| acc * v)
        };
        check_scalar(&[], "entry", v)
    }

    /// The dense N x N matrix (O(N^2)): the test oracle.
    ///
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let m = k.to_dense();
    /// assert_eq!((m.nrows(), m[(0, 0)]), (2, 1.0));
    /// # Ok::<(), colt::ColtError>(())
    /// ```
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
    /// ```
    /// use colt::ColtPair;
    ///
    /// let x = [0.0, 1.0, 3.0];
    /// let (a, b) = (ColtPair::gibbs(&x, 1.0)?, ColtPair::gibbs(&x, 2.0)?);
    /// // exp(-c) exp(-c/2) = exp(-1.5 c)
    /// let h = a.hadamard(&b)?;
    /// assert!((h.entry(2, 0)? - (-4.5f64).exp()).abs() < 1e-16);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
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
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let p = k.scale(&[2.0, 3.0], &[5.0, 7.0])?; // u_i K_ij v_j
    /// assert!((p.entry(1, 0)? - 3.0 * (-1.0f64).exp() * 5.0).abs() < 1e-14);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
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
    /// ```
    /// let t = colt::ColtPair::new(vec![1.0, 1.0], vec![0.5], vec![0.25])?;
    /// let mut out = [0.0; 2];
    /// t.row_sums_in_place(&mut out)?;
    /// assert_eq!(out, [1.25, 1.5]);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`; [`ColtError::Overflow`]
    /// when a sum leaves the float range.
    pub fn row_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::sums::row_sums(&self.d, &self.r, &self.s, out);
        check_result(&[], out)
    }

    /// Column sums `T^T 1` into `out`. Never allocates.
    ///
    /// ```
    /// let t = colt::ColtPair::new(vec![1.0, 1.0], vec![0.5], vec![0.25])?;
    /// let mut out = [0.0; 2];
    /// t.col_sums_in_place(&mut out)?;
    /// assert_eq!(out, [1.5, 1.25]);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::LengthMismatch`] unless `out.len() == self.len()`; [`ColtError::Overflow`]
    /// when a sum leaves the float range.
    pub fn col_sums_in_place(&self, out: &mut [T]) -> Result<()> {
        check_len("out", self.len(), out.len())?;
        crate::sums::row_sums(&self.d, &self.s, &self.r, out);
        check_result(&[], out)
    }

    /// Sum of all entries `1^T T 1` (0 for the empty matrix), in O(N) without allocating.
    ///
    /// ```
    /// let t = colt::ColtPair::new(vec![1.0, 1.0], vec![0.5], vec![0.25])?;
    /// assert_eq!(t.sum()?, 2.75);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::Overflow`] when the sum leaves the float range.
    pub fn sum(&self) -> Result<T> {
        check_scalar(&[], "sum", crate::sums::total(&self.d, &self.r, &self.s))
    }

    /// Converts to the log parametrisation `(log d, log r, log s)`.
    ///
    /// ```
    /// let k = colt::ColtPair::gibbs(&[0.0f64, 1.0], 1.0)?;
    /// let lk = k.to_log()?;
    /// assert!((lk.lr()[0] + 1.0).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::Negative`] for a negative entry (zeros become `-inf`).
    pub fn to_log(&self) -> Result<crate::LogColtPair<T>> {
        check_non_negative("d", &self.d)?;
        check_non_negative("r", &self.r)?;
        check_non_negative("s", &self.s)?;
        let ln = |v: &[T]| v.iter().map(|&x| x.ln()).collect::<Vec<T>>();
        Ok(crate::LogColtPair::from_checked(
            ln(&self.d),
            ln(&self.r),
            ln(&self.s),
        ))
    }
}
