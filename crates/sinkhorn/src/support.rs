//! Where the masses live: sorted 1D supports and 2D tensor grids, validated once.
//!
//! Everything downstream (kernels, exact solvers, plans) trusts these invariants:
//! coordinates are finite and strictly increasing, so every gap `x[i+1] - x[i]` is > 0
//! and the Gibbs kernel `exp(-|x_i - x_j|/eps)` is a CoLT pair with ratios in (0, 1).

use crate::error::{Result, SinkhornError};

/// A sorted 1D support: a uniform grid or strictly increasing points.
#[derive(Debug, Clone, PartialEq)]
pub enum Support1d {
    /// `x_i = start + i * step`, `i = 0..len`.
    Uniform {
        /// First point.
        start: f64,
        /// Spacing, > 0.
        step: f64,
        /// Number of points, > 0.
        len: usize,
    },
    /// Strictly increasing finite points.
    Points(Vec<f64>),
}

impl Support1d {
    /// A uniform grid `start + i * step`, `i = 0..len`.
    ///
    /// # Errors
    /// [`SinkhornError::Empty`] if `len == 0`; [`SinkhornError::InvalidStep`] if `step` is
    /// not finite and > 0; [`SinkhornError::NonFiniteCoordinate`] if `start` or the last
    /// point is not finite.
    pub fn uniform(start: f64, step: f64, len: usize) -> Result<Self> {
        if len == 0 {
            return Err(SinkhornError::Empty {
                what: "uniform grid",
            });
        }
        if !(step.is_finite() && step > 0.0) {
            return Err(SinkhornError::InvalidStep { step });
        }
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
        Ok(Support1d::Uniform { start, step, len })
    }

    /// The uniform grid of `len` points on `[lo, hi]` (both ends included), like
    /// `numpy.linspace(lo, hi, len)`. A single point sits at `lo`.
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
        Ok(Support1d::Points(points))
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        match self {
            Support1d::Uniform { len, .. } => *len,
            Support1d::Points(p) => p.len(),
        }
    }

    /// Always false: a validated support has at least one point.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Coordinate of point `i`.
    ///
    /// # Panics
    /// If `i >= self.len()` (a programming error, not user input).
    pub fn coord(&self, i: usize) -> f64 {
        match self {
            Support1d::Uniform { start, step, len } => {
                assert!(
                    i < *len,
                    "index {i} out of range for a grid of {len} points"
                );
                start + step * i as f64
            }
            Support1d::Points(p) => p[i],
        }
    }

    /// All coordinates (allocates for a uniform grid).
    pub fn coords(&self) -> Vec<f64> {
        (0..self.len()).map(|i| self.coord(i)).collect()
    }

    /// Gaps `x[i+1] - x[i]`, length `len - 1`, all > 0.
    pub fn gaps(&self) -> Vec<f64> {
        match self {
            Support1d::Uniform { step, len, .. } => vec![*step; len - 1],
            Support1d::Points(p) => p.windows(2).map(|w| w[1] - w[0]).collect(),
        }
    }

    /// Smallest gap (infinite for a single point).
    pub fn min_gap(&self) -> f64 {
        match self {
            Support1d::Uniform { step, len, .. } if *len > 1 => *step,
            _ => self.gaps().into_iter().fold(f64::INFINITY, f64::min),
        }
    }

    /// `x[last] - x[0]`.
    pub fn diameter(&self) -> f64 {
        self.coord(self.len() - 1) - self.coord(0)
    }
}

/// A 2D tensor grid `(x_i, y_j)`, stored row-major: cell `(i, j)` has flat index
/// `i * cols.len() + j`. The ground cost is L1: `|x_i - x_k| + |y_j - y_l|`.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid2d {
    /// Axis 0 (the slow, row index).
    pub rows: Support1d,
    /// Axis 1 (the fast, contiguous index).
    pub cols: Support1d,
}

impl Grid2d {
    /// A tensor grid from two validated axes.
    pub fn new(rows: Support1d, cols: Support1d) -> Self {
        Grid2d { rows, cols }
    }

    /// The `n x n` uniform grid on `[0, 1]^2`.
    ///
    /// # Errors
    /// [`SinkhornError::Empty`] if `n == 0`.
    pub fn unit_square(n: usize) -> Result<Self> {
        let axis = Support1d::linspace(0.0, 1.0, n)?;
        Ok(Grid2d {
            rows: axis.clone(),
            cols: axis,
        })
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
/// [`crate::Problem::on_two_supports`]).
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
            (Some(xi), Some(yj)) => xi.total_cmp(yj),
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
    Ok((Support1d::Points(points), ma, mb))
}
