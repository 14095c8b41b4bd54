//! Where the masses live: sorted 1D supports and 2D tensor grids, validated once.
//!
//! Everything downstream (kernels, exact solvers, plans) trusts these invariants:
//! coordinates are finite and strictly increasing, so every gap `x[i+1] - x[i]` is > 0
//! and the Gibbs kernel `exp(-|x_i - x_j|/eps)` is a CoLT pair with ratios in (0, 1).

use crate::error::{Result, SinkhornError};
use crate::limits::check_buffer;

/// Largest `max|x| / step` a uniform grid accepts: f64 rounds each coordinate
/// `start + i * step` by at most `max|x| * 2^-53`, so every gap stays within `2^-20` of
/// `step` (the kernel uses `step`, the costs the coordinates; they must agree).
const MAX_MAGNITUDE_OVER_STEP: f64 = 4_294_967_296.0; // 2^32

/// A sorted 1D support: a uniform grid or strictly increasing points. Built only by its
/// validating constructors, so every value of this type is sorted, finite and non-empty.
///
/// ```
/// use sinkhorn::Support1d;
/// let grid = Support1d::uniform(10.0, 0.5, 5)?; // 10.0, 10.5, ..., 12.0
/// assert_eq!((grid.len(), grid.diameter(), grid.step()), (5, 2.0, Some(0.5)));
/// let pts = Support1d::points(vec![0.0, 0.1, 0.7])?;
/// assert_eq!(pts.coord(2), 0.7);
/// assert!(Support1d::points(vec![0.0, 0.7, 0.1]).is_err());
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Support1d(Repr);

#[derive(Debug, Clone, PartialEq)]
enum Repr {
    /// `x_i = start + i * step`, `i = 0..len`.
    Uniform { start: f64, step: f64, len: usize },
    /// Strictly increasing finite points.
    Points(Vec<f64>),
}

impl Support1d {
    /// A uniform grid `start + i * step`, `i = 0..len`.
    ///
    /// ```
    /// use sinkhorn::{SinkhornError, Support1d};
    /// assert!(Support1d::uniform(0.0, 0.25, 5).is_ok());
    /// // A step below the rounding of the coordinates is refused.
    /// assert!(matches!(Support1d::uniform(1e17, 1.0, 100), Err(SinkhornError::DegenerateSpacing { .. })));
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::Empty`] if `len == 0`; [`SinkhornError::InvalidStep`] if `step` is
    /// not finite and > 0; [`SinkhornError::NonFiniteCoordinate`] if `start` or the last
    /// point is not finite; [`SinkhornError::DegenerateSpacing`] if `max|x| / step > 2^32`
    /// (the coordinates could not represent the gaps); [`SinkhornError::TooLarge`] if the
    /// coordinates would exceed [`crate::MAX_BUFFER_BYTES`].
    pub fn uniform(start: f64, step: f64, len: usize) -> Result<Self> {
        if len == 0 {
            return Err(SinkhornError::Empty {
                what: "uniform grid",
            });
        }
        if !(step.is_finite() && step > 0.0) {
            return Err(SinkhornError::InvalidStep { step });
        }
        check_buffer("support coordinates", len as u128, 8)?;
        let last = start + step * (len - 1) as f64;
        if !start.is_finite() {
            return Err(SinkhornError::NonFiniteCoordinate {
                index: 0,
                value: start,
            });
        }
        if !last.is_finite() {
            return Err(SinkhornError::NonFiniteCoordinate {
                index: len - 1,
                value: last,
            });
        }
        let magnitude = start.abs().max(last.abs());
        if magnitude > MAX_MAGNITUDE_OVER_STEP * step {
            return Err(SinkhornError::DegenerateSpacing { step, magnitude });
        }
        Ok(Support1d(Repr::Uniform { start, step, len }))
    }

    /// The uniform grid of `len` points on `[lo, hi]` (both ends included), like
    /// `numpy.linspace(lo, hi, len)`. A single point sits at `lo`.
    ///
    /// ```
    /// let x = sinkhorn::Support1d::linspace(0.0, 1.0, 11)?;
    /// assert_eq!(x.coord(10), 1.0);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Support1d::uniform`]; `hi <= lo` with `len > 1` gives
    /// [`SinkhornError::InvalidStep`].
    pub fn linspace(lo: f64, hi: f64, len: usize) -> Result<Self> {
        let step = if len > 1 {
            (hi - lo) / (len - 1) as f64
        } else {
            1.0
        };
        Self::uniform(lo, step, len)
    }

    /// Strictly increasing finite points.
    ///
    /// ```
    /// use sinkhorn::{SinkhornError, Support1d};
    /// assert!(Support1d::points(vec![-1.0, 0.0, 2.5]).is_ok());
    /// assert!(matches!(Support1d::points(vec![0.0, 0.0]), Err(SinkhornError::UnsortedSupport { .. })));
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::Empty`], [`SinkhornError::NonFiniteCoordinate`],
    /// [`SinkhornError::UnsortedSupport`] (also for duplicates).
    pub fn points(points: Vec<f64>) -> Result<Self> {
        if points.is_empty() {
            return Err(SinkhornError::Empty { what: "support" });
        }
        for (index, &value) in points.iter().enumerate() {
            if !value.is_finite() {
                return Err(SinkhornError::NonFiniteCoordinate { index, value });
            }
        }
        for (index, w) in points.windows(2).enumerate() {
            if w[1] <= w[0] {
                return Err(SinkhornError::UnsortedSupport {
                    index,
                    previous: w[0],
                    value: w[1],
                });
            }
        }
        Ok(Support1d(Repr::Points(points)))
    }

    /// Number of points.
    ///
    /// ```
    /// assert_eq!(sinkhorn::Support1d::linspace(0.0, 1.0, 7)?.len(), 7);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Uniform { len, .. } => *len,
            Repr::Points(p) => p.len(),
        }
    }

    /// The spacing of a uniform grid (`None` for general points).
    ///
    /// ```
    /// use sinkhorn::Support1d;
    /// assert_eq!(Support1d::uniform(0.0, 2.0, 3)?.step(), Some(2.0));
    /// assert_eq!(Support1d::points(vec![0.0, 2.0, 4.0])?.step(), None);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn step(&self) -> Option<f64> {
        match &self.0 {
            Repr::Uniform { step, .. } => Some(*step),
            Repr::Points(_) => None,
        }
    }

    /// Always false: a validated support has at least one point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Coordinate of point `i`.
    ///
    /// ```
    /// assert_eq!(sinkhorn::Support1d::uniform(1.0, 0.5, 4)?.coord(3), 2.5);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Panics
    /// If `i >= self.len()` (a programming error, not user input).
    pub fn coord(&self, i: usize) -> f64 {
        match &self.0 {
            Repr::Uniform { start, step, len } => {
                assert!(
                    i < *len,
                    "index {i} out of range for a grid of {len} points"
                );
                start + step * i as f64
            }
            Repr::Points(p) => p[i],
        }
    }

    /// All coordinates (allocates for a uniform grid).
    ///
    /// ```
    /// assert_eq!(sinkhorn::Support1d::linspace(0.0, 1.0, 3)?.coords(), vec![0.0, 0.5, 1.0]);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn coords(&self) -> Vec<f64> {
        match &self.0 {
            Repr::Uniform { .. } => (0..self.len()).map(|i| self.coord(i)).collect(),
            Repr::Points(p) => p.clone(),
        }
    }

    /// Gaps `x[i+1] - x[i]`, length `len - 1`, all > 0.
    ///
    /// ```
    /// assert_eq!(sinkhorn::Support1d::points(vec![0.0, 1.0, 3.0])?.gaps(), vec![1.0, 2.0]);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn gaps(&self) -> Vec<f64> {
        match &self.0 {
            Repr::Uniform { step, len, .. } => vec![*step; len - 1],
            Repr::Points(p) => p.windows(2).map(|w| w[1] - w[0]).collect(),
        }
    }

    /// Smallest gap (infinite for a single point).
    ///
    /// ```
    /// assert_eq!(sinkhorn::Support1d::points(vec![0.0, 1.0, 1.5])?.min_gap(), 0.5);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn min_gap(&self) -> f64 {
        match &self.0 {
            Repr::Uniform { step, len, .. } if *len > 1 => *step,
            _ => self.gaps().into_iter().fold(f64::INFINITY, f64::min),
        }
    }

    /// `x[last] - x[0]`.
    ///
    /// ```
    /// assert_eq!(sinkhorn::Support1d::points(vec![-2.0, 3.0])?.diameter(), 5.0);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn diameter(&self) -> f64 {
        self.coord(self.len() - 1) - self.coord(0)
    }
}

/// A 2D tensor grid `(x_i, y_j)`, stored row-major: cell `(i, j)` has flat index
/// `i * cols.len() + j`. The ground cost is L1: `|x_i - x_k| + |y_j - y_l|`.
///
/// ```
/// use sinkhorn::{Grid2d, Support1d};
/// let g = Grid2d::new(Support1d::linspace(0.0, 2.0, 3)?, Support1d::linspace(0.0, 1.0, 5)?)?;
/// assert_eq!((g.len(), g.rows().len(), g.cols().len(), g.diameter()), (15, 3, 5, 3.0));
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Grid2d {
    /// Axis 0 (the slow, row index).
    pub(crate) rows: Support1d,
    /// Axis 1 (the fast, contiguous index).
    pub(crate) cols: Support1d,
}

impl Grid2d {
    /// A tensor grid from two validated axes.
    ///
    /// ```
    /// use sinkhorn::{Grid2d, SinkhornError, Support1d};
    /// let big = Support1d::uniform(0.0, 1.0, 1_000_000)?;
    /// assert!(matches!(Grid2d::new(big.clone(), big), Err(SinkhornError::TooLarge { .. })));
    /// # Ok::<(), SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::TooLarge`] when the number of cells overflows or its coordinates'
    /// worth of memory exceeds [`crate::MAX_BUFFER_BYTES`].
    pub fn new(rows: Support1d, cols: Support1d) -> Result<Self> {
        check_buffer("grid cells", rows.len() as u128 * cols.len() as u128, 8)?;
        Ok(Grid2d { rows, cols })
    }

    /// The `n x n` uniform grid on `[0, 1]^2`.
    ///
    /// ```
    /// assert_eq!(sinkhorn::Grid2d::unit_square(4)?.len(), 16);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::Empty`] if `n == 0`; as [`Grid2d::new`].
    pub fn unit_square(n: usize) -> Result<Self> {
        let axis = Support1d::linspace(0.0, 1.0, n)?;
        Self::new(axis.clone(), axis)
    }

    /// Axis 0 (the slow, row index).
    pub fn rows(&self) -> &Support1d {
        &self.rows
    }

    /// Axis 1 (the fast, contiguous index).
    pub fn cols(&self) -> &Support1d {
        &self.cols
    }

    /// Number of cells.
    pub fn len(&self) -> usize {
        self.rows.len() * self.cols.len()
    }

    /// Always false for validated axes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// L1 diameter: sum of the two axes' diameters.
    pub fn diameter(&self) -> f64 {
        self.rows.diameter() + self.cols.diameter()
    }
}

/// The support of a problem: a line or a tensor grid. Source and target live on the
/// same support (different supports are merged first, see
/// [`crate::Problem::on_two_supports`]). Both variants hold only validated types.
///
/// ```
/// use sinkhorn::{Geometry, Support1d};
/// let line = Geometry::Line(Support1d::points(vec![0.0, 1.0, 4.0])?);
/// assert_eq!((line.len(), line.diameter(), line.cost(0, 2)), (3, 4.0, 4.0));
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// A sorted 1D support, cost `|x_i - x_j|`.
    Line(Support1d),
    /// A 2D tensor grid with the L1 cost.
    Grid(Grid2d),
}

impl Geometry {
    /// Number of points (cells).
    pub fn len(&self) -> usize {
        match self {
            Geometry::Line(s) => s.len(),
            Geometry::Grid(g) => g.len(),
        }
    }

    /// Always false for validated supports.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Largest ground cost between two points.
    pub fn diameter(&self) -> f64 {
        match self {
            Geometry::Line(s) => s.diameter(),
            Geometry::Grid(g) => g.diameter(),
        }
    }

    /// Ground cost between flat indices `p` and `q` (O(1); for dense baselines and tests).
    ///
    /// ```
    /// use sinkhorn::{Geometry, Grid2d};
    /// let g = Geometry::Grid(Grid2d::unit_square(3)?); // cells (i, j) at (i/2, j/2)
    /// assert_eq!(g.cost(0, 8), 2.0); // (0, 0) to (1, 1): L1 distance 2
    /// assert_eq!(g.name(), "a 2D grid");
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn cost(&self, p: usize, q: usize) -> f64 {
        match self {
            Geometry::Line(s) => (s.coord(p) - s.coord(q)).abs(),
            Geometry::Grid(g) => {
                let n = g.cols.len();
                let (pi, pj) = (p / n, p % n);
                let (qi, qj) = (q / n, q % n);
                (g.rows.coord(pi) - g.rows.coord(qi)).abs()
                    + (g.cols.coord(pj) - g.cols.coord(qj)).abs()
            }
        }
    }

    /// Short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Geometry::Line(_) => "a 1D support",
            Geometry::Grid(_) => "a 2D grid",
        }
    }
}

/// Merge two sorted supports into one sorted support and re-express both marginals on it
/// (zero mass where a point belongs to the other support only). Points equal in both
/// supports become one point.
///
/// ```
/// let (s, a, b) = sinkhorn::merge_supports(&[0.0, 1.0], &[0.5, 0.5], &[1.0, 2.0], &[0.5, 0.5])?;
/// assert_eq!((s.coords(), a, b), (vec![0.0, 1.0, 2.0], vec![0.5, 0.5, 0.0], vec![0.0, 0.5, 0.5]));
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`Support1d::points`] for either input, plus [`SinkhornError::LengthMismatch`] when a
/// marginal's length differs from its support's.
pub fn merge_supports(
    x: &[f64],
    a: &[f64],
    y: &[f64],
    b: &[f64],
) -> Result<(Support1d, Vec<f64>, Vec<f64>)> {
    let xs = Support1d::points(x.to_vec())?;
    let ys = Support1d::points(y.to_vec())?;
    if a.len() != xs.len() {
        return Err(SinkhornError::LengthMismatch {
            what: "a vs x",
            expected: x.len(),
            got: a.len(),
        });
    }
    if b.len() != ys.len() {
        return Err(SinkhornError::LengthMismatch {
            what: "b vs y",
            expected: y.len(),
            got: b.len(),
        });
    }
    let mut points = Vec::with_capacity(x.len() + y.len());
    let mut ma = Vec::with_capacity(x.len() + y.len());
    let mut mb = Vec::with_capacity(x.len() + y.len());
    let (mut i, mut j) = (0, 0);
    while i < x.len() || j < y.len() {
        let take = match (x.get(i), y.get(j)) {
            // `partial_cmp`, not `total_cmp`: -0.0 and 0.0 are one point (both finite).
            (Some(xi), Some(yj)) => xi.partial_cmp(yj).unwrap_or(core::cmp::Ordering::Equal),
            (Some(_), None) => core::cmp::Ordering::Less,
            (None, _) => core::cmp::Ordering::Greater,
        };
        match take {
            core::cmp::Ordering::Less => {
                points.push(x[i]);
                ma.push(a[i]);
                mb.push(0.0);
                i += 1;
            }
            core::cmp::Ordering::Greater => {
                points.push(y[j]);
                ma.push(0.0);
                mb.push(b[j]);
                j += 1;
            }
            core::cmp::Ordering::Equal => {
                points.push(x[i]);
                ma.push(a[i]);
                mb.push(b[j]);
                i += 1;
                j += 1;
            }
        }
    }
    Ok((Support1d(Repr::Points(points)), ma, mb))
}
