//! [`LowerColt`] and [`UpperColt`]: the two triangular halves on their own.
//!
//! A lower-triangular `L` is L-CoLT when its columns, restricted to the triangle, are
//! collinear: `L_ij = d_j prod_{k=j}^{i-1} r_k` (i >= j). The transpose of an L-CoLT matrix is
//! U-CoLT with the same parameters, `U_ij = d_i prod_{k=i}^{j-1} s_k` (j >= i).

use faer::Mat;

use crate::error::Result;
use crate::real::Real;
use crate::sweep::{Part, pair_apply};
use crate::validate::{check_finite, check_len, check_result, ratio_len};

/// A lower collinear triangular matrix in ratio form (diagonal `d`, row ratios `r`).
#[derive(Clone, Debug, PartialEq)]
pub struct LowerColt<T> {
    pub(crate) d: Vec<T>,
    pub(crate) r: Vec<T>,
}

/// An upper collinear triangular matrix in ratio form (diagonal `d`, column ratios `s`).
#[derive(Clone, Debug, PartialEq)]
pub struct UpperColt<T> {
    pub(crate) d: Vec<T>,
    pub(crate) s: Vec<T>,
}

macro_rules! triangle_common {
    (
        $ty:ident, $ratio:ident, $part:expr, $other:ident, $oratio:ident,
        $below:literal, $above:literal, $times_ones:literal, $transpose_ones:literal
    ) => {
        impl<T: Real> $ty<T> {
            /// Builds the matrix from its diagonal and ratios (`ratios.len() == d.len() - 1`,
            /// or 0 for the empty matrix).
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" assert_eq!(m.to_dense()[", $below, "], 0.5); // d_0 times the ratio")]
            #[doc = concat!(" assert!(colt::", stringify!($ty), "::new(vec![1.0, f64::NAN], vec![0.5]).is_err());")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            ///
            /// # Errors
            /// [`crate::ColtError::LengthMismatch`]; [`crate::ColtError::NonFinite`] for a NaN
            /// or infinite entry.
            pub fn new(d: Vec<T>, $ratio: Vec<T>) -> Result<Self> {
                check_len(stringify!($ratio), ratio_len(d.len()), $ratio.len())?;
                check_finite("d", &d)?;
                check_finite(stringify!($ratio), &$ratio)?;
                Ok(Self { d, $ratio })
            }

            /// Dimension N.
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" assert_eq!((m.len(), m.is_empty()), (2, false));")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            pub fn len(&self) -> usize {
                self.d.len()
            }

            /// `true` for the 0x0 matrix.
            pub fn is_empty(&self) -> bool {
                self.d.is_empty()
            }

            /// Diagonal.
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" assert_eq!(m.d(), &[1.0, 2.0]);")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            pub fn d(&self) -> &[T] {
                &self.d
            }

            /// Ratios between consecutive rows (lower) or columns (upper).
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" assert_eq!(m.", stringify!($ratio), "(), &[0.5]);")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            pub fn $ratio(&self) -> &[T] {
                &self.$ratio
            }

            /// The transpose, which is a CoLT matrix of the other triangle with the same
            /// parameters.
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" assert_eq!(m.transpose().to_dense()[", $above, "], 0.5);")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            pub fn transpose(&self) -> $other<T> {
                $other {
                    d: self.d.clone(),
                    $oratio: self.$ratio.clone(),
                }
            }

            /// `out = M x` in O(N), without allocating.
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" let mut out = [0.0; 2];")]
            #[doc = concat!(" m.apply_in_place(&[1.0, 1.0], &mut out)?;")]
            #[doc = concat!(" assert_eq!(out, ", $times_ones, ");")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            ///
            /// # Errors
            /// [`crate::ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`;
            /// [`crate::ColtError::NonFinite`] naming the first NaN or infinite entry of `x`; [`crate::ColtError::Overflow`] when a result leaves the float range (`out` then holds the computed values, non-finite entries included).
            pub fn apply_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
                check_len("x", self.len(), x.len())?;
                check_len("out", self.len(), out.len())?;
                pair_apply($part, &self.d[..], &self.$ratio, &self.$ratio, x, out);
                check_result(&[("x", x)], out)
            }

            /// `out = M^T x` in O(N), without allocating.
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" let mut out = [0.0; 2];")]
            #[doc = concat!(" m.apply_transpose_in_place(&[1.0, 1.0], &mut out)?;")]
            #[doc = concat!(" assert_eq!(out, ", $transpose_ones, ");")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            ///
            /// # Errors
            /// [`crate::ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`;
            /// [`crate::ColtError::NonFinite`] naming the first NaN or infinite entry of `x`; [`crate::ColtError::Overflow`] when a result leaves the float range (`out` then holds the computed values, non-finite entries included).
            pub fn apply_transpose_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
                self.transpose_view_apply(x, out)
            }

            /// Entrywise product with another matrix of the same kind: `(d d', ratios ratios')`.
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" assert_eq!(m.hadamard(&m)?.to_dense()[", $below, "], 0.25);")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            ///
            /// # Errors
            /// [`crate::ColtError::LengthMismatch`]; [`crate::ColtError::NonFinite`] on overflow.
            pub fn hadamard(&self, other: &Self) -> Result<Self> {
                check_len("other", self.len(), other.len())?;
                let mul =
                    |a: &[T], b: &[T]| a.iter().zip(b).map(|(&p, &q)| p * q).collect::<Vec<T>>();
                Self::new(mul(&self.d, &other.d), mul(&self.$ratio, &other.$ratio))
            }

            /// The dense matrix (O(N^2)), the test oracle.
            ///
            /// ```
            #[doc = concat!(" let m = colt::", stringify!($ty), "::new(vec![1.0, 2.0], vec![0.5])?;")]
            #[doc = concat!(" assert_eq!(m.to_dense()[", $above, "], 0.0);")]
            /// # Ok::<(), colt::ColtError>(())
            /// ```
            pub fn to_dense(&self) -> Mat<T> {
                let full = self.as_pair().to_dense();
                let n = self.len();
                Mat::from_fn(n, n, |i, j| {
                    let keep = match $part {
                        Part::Lower => i >= j,
                        _ => i <= j,
                    };
                    if keep { full[(i, j)] } else { T::ZERO }
                })
            }
        }
    };
}

triangle_common!(
    LowerColt,
    r,
    Part::Lower,
    UpperColt,
    s,
    "(1, 0)",
    "(0, 1)",
    "[1.0, 2.5]",
    "[1.5, 2.0]"
);
triangle_common!(
    UpperColt,
    s,
    Part::Upper,
    LowerColt,
    r,
    "(0, 1)",
    "(1, 0)",
    "[1.5, 2.0]",
    "[1.0, 2.5]"
);

impl<T: Real> LowerColt<T> {
    fn transpose_view_apply(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("x", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        pair_apply(Part::Upper, &self.d[..], &self.r, &self.r, x, out);
        check_result(&[("x", x)], out)
    }

    fn as_pair(&self) -> crate::ColtPair<T> {
        crate::ColtPair::from_checked(self.d.clone(), self.r.clone(), vec![T::ZERO; self.r.len()])
    }

    /// Diagonal scaling `diag(u) L diag(v)`: `d <- u d v`, `r_k <- r_k u_{k+1} / u_k`.
    ///
    /// ```
    /// let m = colt::LowerColt::new(vec![1.0, 2.0], vec![0.5])?;
    /// assert_eq!(m.scale(&[2.0, 3.0], &[5.0, 7.0])?.to_dense()[(1, 0)], 3.0 * 0.5 * 5.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`crate::ColtPair::scale`].
    pub fn scale(&self, u: &[T], v: &[T]) -> Result<Self> {
        let p = self.as_pair().scale(u, v)?;
        Ok(Self { d: p.d, r: p.r })
    }
}

impl<T: Real> UpperColt<T> {
    fn transpose_view_apply(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("x", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        pair_apply(Part::Lower, &self.d[..], &self.s, &self.s, x, out);
        check_result(&[("x", x)], out)
    }

    fn as_pair(&self) -> crate::ColtPair<T> {
        crate::ColtPair::from_checked(self.d.clone(), vec![T::ZERO; self.s.len()], self.s.clone())
    }

    /// Diagonal scaling `diag(u) U diag(v)`: `d <- u d v`, `s_k <- s_k v_{k+1} / v_k`.
    ///
    /// ```
    /// let m = colt::UpperColt::new(vec![1.0, 2.0], vec![0.5])?;
    /// assert_eq!(m.scale(&[2.0, 3.0], &[5.0, 10.0])?.to_dense()[(0, 1)], 2.0 * 0.5 * 10.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`crate::ColtPair::scale`].
    pub fn scale(&self, u: &[T], v: &[T]) -> Result<Self> {
        let p = self.as_pair().scale(u, v)?;
        Ok(Self { d: p.d, s: p.s })
    }
}
