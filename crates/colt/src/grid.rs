//! [`UniformGrid`]: the points `start + k step`, checked to be the grid that was asked for.
//!
//! A uniform grid far from the origin with a small step is not representable: at `1e17` one
//! unit in the last place is 16, so `1e17 + k` for `k = 0, 1, 2, ...` rounds to a few
//! repeated values and the Gibbs kernel of those points is not the kernel of the grid. Each
//! point is computed with one rounding (`start + k step` as a fused multiply-add), so it is
//! within half an ulp of the exact point and each computed gap is within one ulp of `step`.
//! The constructor rejects a step below two ulps of the largest coordinate
//! ([`ColtError::DegenerateSpacing`]): above it every computed gap is at least one ulp
//! (consecutive points are distinct and increasing) and its relative error is at most
//! `ulp / step <= 1/2`; the grid's Gibbs kernels use `step` itself and are exact.

use crate::error::{ColtError, Result};
use crate::real::Real;
use crate::validate::{check_positive, filled};

/// A validated uniform grid of `len >= 1` points `start + k step`, `k = 0..len`.
///
/// The Gibbs kernels of the grid ([`crate::ColtPair::gibbs_grid`],
/// [`crate::LogColtPair::gibbs_grid`]) have one ratio `exp(-step / eps)`, which the products
/// exploit (the uniform-ratio path, `docs/colt.md`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UniformGrid<T> {
    start: T,
    step: T,
    len: usize,
}

impl<T: Real> UniformGrid<T> {
    /// The grid `start, start + step, ..., start + (len - 1) step`.
    ///
    /// ```
    /// use colt::{ColtError, UniformGrid};
    ///
    /// let g = UniformGrid::new(-1.0, 0.5, 5)?;
    /// assert_eq!(g.points()?, vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
    /// // One ulp of 1e17 is 16: a step of 1 there is not a grid (the smallest is 32).
    /// assert!(matches!(
    ///     UniformGrid::new(1e17, 1.0, 100),
    ///     Err(ColtError::DegenerateSpacing { .. })
    /// ));
    /// # Ok::<(), ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::NonFinite`] for a NaN or infinite `start`; [`ColtError::NonPositive`]
    /// unless `step` is finite and `> 0`; [`ColtError::Empty`] for `len == 0`;
    /// [`ColtError::SpanOverflow`] when the last point overflows;
    /// [`ColtError::DegenerateSpacing`] when `step` is below two ulps of the largest
    /// coordinate.
    pub fn new(start: T, step: T, len: usize) -> Result<Self> {
        if !start.is_finite() {
            return Err(ColtError::NonFinite {
                what: "start",
                index: 0,
                value: start.to_f64(),
            });
        }
        check_positive("step", step)?;
        if len == 0 {
            return Err(ColtError::Empty { what: "grid" });
        }
        let grid = Self { start, step, len };
        let last = grid.point_unchecked(len - 1);
        if !last.is_finite() {
            return Err(ColtError::SpanOverflow {
                first: start.to_f64(),
                last_index: len - 1,
                last: last.to_f64(),
            });
        }
        let coordinate = if last.abs() > start.abs() {
            last
        } else {
            start
        };
        let ulp = coordinate.ulp();
        if step < ulp + ulp {
            return Err(ColtError::DegenerateSpacing {
                step: step.to_f64(),
                coordinate: coordinate.to_f64(),
                ulp: ulp.to_f64(),
            });
        }
        Ok(grid)
    }

    /// First point.
    ///
    /// ```
    /// let g = colt::UniformGrid::new(2.0, 0.25, 3)?;
    /// assert_eq!(g.start(), 2.0);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn start(&self) -> T {
        self.start
    }

    /// Spacing between consecutive points.
    ///
    /// ```
    /// let g = colt::UniformGrid::new(2.0, 0.25, 3)?;
    /// assert_eq!(g.step(), 0.25);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn step(&self) -> T {
        self.step
    }

    /// Number of points (at least 1).
    ///
    /// ```
    /// let g = colt::UniformGrid::new(2.0, 0.25, 3)?;
    /// assert_eq!(g.len(), 3);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    #[allow(clippy::len_without_is_empty)] // never empty: `new` rejects `len == 0`
    pub fn len(&self) -> usize {
        self.len
    }

    /// Point `k` (`start + k step`, rounded once), or `None` for `k >= len`.
    ///
    /// ```
    /// let g = colt::UniformGrid::new(2.0, 0.25, 3)?;
    /// assert_eq!(g.point(2), Some(2.5));
    /// assert_eq!(g.point(3), None);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    pub fn point(&self, k: usize) -> Option<T> {
        (k < self.len).then(|| self.point_unchecked(k))
    }

    /// All points, in increasing order.
    ///
    /// ```
    /// let g = colt::UniformGrid::new(0.0, 0.5, 3)?;
    /// assert_eq!(g.points()?, vec![0.0, 0.5, 1.0]);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::TooLarge`] when `len` points cannot be allocated.
    pub fn points(&self) -> Result<Vec<T>> {
        let mut x = filled("points", self.len, T::ZERO)?;
        for (k, p) in x.iter_mut().enumerate() {
            *p = self.point_unchecked(k);
        }
        Ok(x)
    }

    /// `start + k step` with one rounding in f64 (a fused multiply-add; `k` is exact, since
    /// `new` admits at most about 2^51 points), then rounded to `T`.
    fn point_unchecked(&self, k: usize) -> T {
        T::from_f64((k as f64).mul_add(self.step.to_f64(), self.start.to_f64()))
    }
}
