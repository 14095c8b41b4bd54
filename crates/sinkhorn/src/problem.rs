//! A transport problem as data: a geometry and two validated marginals on it.
//!
//! Validation happens here once (non-negative finite masses, equal totals within
//! [`TOTAL_MASS_RTOL`], lengths matching the support), so solvers never re-check.

use crate::error::{Result, Side, SinkhornError};
use crate::support::{Geometry, Grid2d, Support1d, merge_supports};

/// Largest accepted relative difference `|sum(a) - sum(b)| / max(sum(a), sum(b))`.
///
/// Within it, `b` is rescaled to `sum(a)` so that the marginal constraints are
/// consistent (1e-6 accepts marginals stored in f32 and normalised there).
pub const TOTAL_MASS_RTOL: f64 = 1e-6;

/// Balanced optimal transport between `a` and `b` on one geometry, cost W1 (`|x - y|` on
/// a line, L1 on a grid).
///
/// ```
/// use sinkhorn::{Problem, Support1d};
/// let p = Problem::line(Support1d::linspace(0.0, 1.0, 3)?, vec![0.2, 0.3, 0.5], vec![1.0, 1.0, 1.0 + 1e-9].iter().map(|v| v / 3.0).collect())?;
/// assert_eq!((p.len(), p.a(), p.geometry().diameter()), (3, &[0.2, 0.3, 0.5][..], 1.0));
/// assert!((p.b().iter().sum::<f64>() - p.total_mass()).abs() < 1e-15); // b rescaled to sum(a)
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    geometry: Geometry,
    a: Vec<f64>,
    b: Vec<f64>,
}

/// A marginal's validated total, kept as `scale * sum(m / scale)` with `scale = max(m)` so
/// that totals beyond f64's range are detected instead of turning into infinity.
struct Total {
    scale: f64,
    scaled: f64,
}

/// Check a marginal (length `n`, finite, >= 0, positive total that f64 can hold) and
/// return its total.
pub(crate) fn check_masses(side: Side, m: &[f64], n: usize) -> Result<f64> {
    let t = check_masses_scaled(side, m, n)?;
    let total = t.scale * t.scaled;
    if !total.is_finite() {
        return Err(SinkhornError::MassOverflow { side });
    }
    Ok(total)
}

fn check_masses_scaled(side: Side, m: &[f64], n: usize) -> Result<Total> {
    if m.is_empty() {
        return Err(SinkhornError::Empty {
            what: match side {
                Side::Source => "source marginal `a`",
                Side::Target => "target marginal `b`",
            },
        });
    }
    if m.len() != n {
        return Err(SinkhornError::LengthMismatch {
            what: match side {
                Side::Source => "a vs support",
                Side::Target => "b vs support",
            },
            expected: n,
            got: m.len(),
        });
    }
    let mut scale = 0.0f64;
    for (index, &value) in m.iter().enumerate() {
        if !(value.is_finite() && value >= 0.0) {
            return Err(SinkhornError::InvalidMass { side, index, value });
        }
        scale = scale.max(value);
    }
    if scale <= 0.0 {
        return Err(SinkhornError::ZeroMass { side });
    }
    // Each term is in [0, 1] and one is 1, so the scaled sum is in [1, n]: no overflow.
    let scaled = m.iter().map(|v| v / scale).sum();
    Ok(Total { scale, scaled })
}

/// `|sum(a) - sum(b)| / max(sum(a), sum(b))` from the scaled totals, or
/// [`SinkhornError::UnequalMass`] above [`TOTAL_MASS_RTOL`]; returns `(sum(a), sum(b))`.
pub(crate) fn check_equal_totals(a: &[f64], b: &[f64], n: usize) -> Result<(f64, f64)> {
    let ta = check_masses(Side::Source, a, n)?;
    let tb = check_masses(Side::Target, b, n)?;
    let relative = (ta - tb).abs() / ta.max(tb);
    if relative > TOTAL_MASS_RTOL {
        return Err(SinkhornError::UnequalMass {
            source_total: ta,
            target_total: tb,
            relative,
            tolerance: TOTAL_MASS_RTOL,
        });
    }
    Ok((ta, tb))
}

impl Problem {
    /// A problem on `geometry` with source `a` and target `b` (flat, row-major on grids).
    ///
    /// ```
    /// use sinkhorn::{Geometry, Problem, SinkhornError, Support1d};
    /// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 2)?);
    /// assert!(Problem::new(line.clone(), vec![0.3, 0.7], vec![0.5, 0.5]).is_ok());
    /// let huge = Problem::new(line, vec![1e308, 1e308], vec![1e308, 1e308]);
    /// assert!(matches!(huge, Err(SinkhornError::MassOverflow { .. })));
    /// # Ok::<(), SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::Empty`], [`SinkhornError::LengthMismatch`],
    /// [`SinkhornError::InvalidMass`] (negative, NaN, infinite), [`SinkhornError::ZeroMass`],
    /// [`SinkhornError::MassOverflow`] (a total beyond f64's range),
    /// [`SinkhornError::UnequalMass`] (totals differ by more than [`TOTAL_MASS_RTOL`]).
    pub fn new(geometry: Geometry, a: Vec<f64>, mut b: Vec<f64>) -> Result<Self> {
        let n = geometry.len();
        let (ta, tb) = check_equal_totals(&a, &b, n)?;
        if (ta - tb).abs() > 0.0 {
            let s = ta / tb;
            b.iter_mut().for_each(|v| *v *= s);
        }
        Ok(Problem { geometry, a, b })
    }

    /// Both marginals on one sorted 1D support.
    ///
    /// ```
    /// use sinkhorn::{Problem, Support1d};
    /// let p = Problem::line(Support1d::points(vec![0.0, 2.0])?, vec![1.0, 0.0], vec![0.0, 1.0])?;
    /// assert_eq!((p.len(), p.total_mass()), (2, 1.0));
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Problem::new`].
    pub fn line(support: Support1d, a: Vec<f64>, b: Vec<f64>) -> Result<Self> {
        Self::new(Geometry::Line(support), a, b)
    }

    /// Both marginals on a 2D tensor grid (row-major), L1 cost.
    ///
    /// ```
    /// use sinkhorn::{Grid2d, Problem};
    /// let p = Problem::grid(Grid2d::unit_square(2)?, vec![1.0, 0.0, 0.0, 0.0], vec![0.0, 0.0, 0.0, 1.0])?;
    /// assert!((sinkhorn::exact_w1(&p)? - 2.0).abs() < 1e-12);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Problem::new`].
    pub fn grid(grid: Grid2d, a: Vec<f64>, b: Vec<f64>) -> Result<Self> {
        Self::new(Geometry::Grid(grid), a, b)
    }

    /// Source `a` on sorted points `x`, target `b` on sorted points `y`: the supports are
    /// merged into one sorted support, each marginal gets zero mass on the other's points
    /// (solvers treat zero masses explicitly: their potentials are `-inf`).
    ///
    /// ```
    /// let p = sinkhorn::Problem::on_two_supports(&[0.0, 1.0], &[0.5, 0.5], &[3.0], &[1.0])?;
    /// assert!((sinkhorn::exact_w1(&p)? - 2.5).abs() < 1e-12);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Support1d::points`] for `x` and `y`, and as [`Problem::new`].
    pub fn on_two_supports(x: &[f64], a: &[f64], y: &[f64], b: &[f64]) -> Result<Self> {
        let (support, ma, mb) = merge_supports(x, a, y, b)?;
        Self::line(support, ma, mb)
    }

    /// The geometry.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Source masses.
    pub fn a(&self) -> &[f64] {
        &self.a
    }

    /// Target masses (rescaled to `sum(a)` if the totals differed within tolerance).
    pub fn b(&self) -> &[f64] {
        &self.b
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.geometry.len()
    }

    /// Always false for a validated problem.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total mass `sum(a)` (finite: checked at construction).
    pub fn total_mass(&self) -> f64 {
        self.a.iter().sum()
    }
}
