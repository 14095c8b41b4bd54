//! [`LowerColt`] and [`UpperColt`]: the two triangular halves on their own.
//!
//! A lower-triangular `L` is L-CoLT when its columns, restricted to the triangle, are
//! collinear: `L_ij = d_j prod_{k=j}^{i-1} r_k` (i >= j). The transpose of an L-CoLT matrix is
//! U-CoLT with the same parameters, `U_ij = d_i prod_{k=i}^{j-1} s_k` (j >= i).

use faer::Mat;

use crate::error::Result;
use crate::real::Real;
use crate::sweep::{Part, pair_apply};
use crate::validate::{check_finite, check_len, ratio_len};

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
    ($ty:ident, $ratio:ident, $part:expr, $other:ident, $oratio:ident) => {
        impl<T: Real> $ty<T> {
            /// Builds the matrix from its diagonal and ratios (`ratios.len() == d.len() - 1`,
            /// or 0 for the empty matrix).
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
            pub fn len(&self) -> usize {
                self.d.len()
            }

            /// `true` for the 0x0 matrix.
            pub fn is_empty(&self) -> bool {
                self.d.is_empty()
            }

            /// Diagonal.
            pub fn d(&self) -> &[T] {
                &self.d
            }

            /// Ratios between consecutive rows (lower) or columns (upper).
            pub fn $ratio(&self) -> &[T] {
                &self.$ratio
            }

            /// The transpose, which is a CoLT matrix of the other triangle with the same
            /// parameters.
            pub fn transpose(&self) -> $other<T> {
                $other {
                    d: self.d.clone(),
                    $oratio: self.$ratio.clone(),
                }
            }

            /// `out = M x` in O(N), without allocating.
            ///
            /// # Errors
            /// [`crate::ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`.
            pub fn apply_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
                check_len("x", self.len(), x.len())?;
                check_len("out", self.len(), out.len())?;
                pair_apply($part, &self.d[..], &self.$ratio, &self.$ratio, x, out);
                Ok(())
            }

            /// `out = M^T x` in O(N), without allocating.
            ///
            /// # Errors
            /// [`crate::ColtError::LengthMismatch`] unless `x.len() == out.len() == self.len()`.
            pub fn apply_transpose_in_place(&self, x: &[T], out: &mut [T]) -> Result<()> {
                self.transpose_view_apply(x, out)
            }

            /// Entrywise product with another matrix of the same kind: `(d d', ratios ratios')`.
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

triangle_common!(LowerColt, r, Part::Lower, UpperColt, s);
triangle_common!(UpperColt, s, Part::Upper, LowerColt, r);

impl<T: Real> LowerColt<T> {
    fn transpose_view_apply(&self, x: &[T], out: &mut [T]) -> Result<()> {
        check_len("x", self.len(), x.len())?;
        check_len("out", self.len(), out.len())?;
        pair_apply(Part::Upper, &self.d[..], &self.r, &self.r, x, out);
        Ok(())
    }

    fn as_pair(&self) -> crate::ColtPair<T> {
        crate::ColtPair::from_checked(self.d.clone(), self.r.clone(), vec![T::ZERO; self.r.len()])
    }

    /// Diagonal scaling `diag(u) L diag(v)`: `d <- u d v`, `r_k <- r_k u_{k+1} / u_k`.
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
        Ok(())
    }

    fn as_pair(&self) -> crate::ColtPair<T> {
        crate::ColtPair::from_checked(self.d.clone(), vec![T::ZERO; self.s.len()], self.s.clone())
    }

    /// Diagonal scaling `diag(u) U diag(v)`: `d <- u d v`, `s_k <- s_k v_{k+1} / v_k`.
    ///
    /// # Errors
    /// As [`crate::ColtPair::scale`].
    pub fn scale(&self, u: &[T], v: &[T]) -> Result<Self> {
        let p = self.as_pair().scale(u, v)?;
        Ok(Self { d: p.d, s: p.s })
    }
}
