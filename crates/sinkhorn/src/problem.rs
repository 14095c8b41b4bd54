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
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    geometry: Geometry,
    a: Vec<f64>,
    b: Vec<f64>,
}

fn check_masses(side: Side, m: &[f64], n: usize) -> Result<f64> {
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
    let mut total = 0.0;
    for (index, &value) in m.iter().enumerate() {
        if !(value.is_finite() && value >= 0.0) {
            return Err(SinkhornError::InvalidMass { side, index, value });
        }
        total += value;
    }
    if total <= 0.0 {
        return Err(SinkhornError::ZeroMass { side });
    }
    Ok(total)
}

impl Problem {
    /// A problem on `geometry` with source `a` and target `b` (flat, row-major on grids).
    ///
    /// # Errors
    /// [`SinkhornError::Empty`], [`SinkhornError::LengthMismatch`],
    /// [`SinkhornError::InvalidMass`] (negative, NaN, infinite), [`SinkhornError::ZeroMass`],
    /// [`SinkhornError::UnequalMass`] (totals differ by more than [`TOTAL_MASS_RTOL`]).
    pub fn new(geometry: Geometry, a: Vec<f64>, mut b: Vec<f64>) -> Result<Self> {
        let n = geometry.len();
        let ta = check_masses(Side::Source, &a, n)?;
        let tb = check_masses(Side::Target, &b, n)?;
        let relative = (ta - tb).abs() / ta.max(tb);
        if relative > TOTAL_MASS_RTOL {
            return Err(SinkhornError::UnequalMass {
                source_total: ta,
                target_total: tb,
                relative,
                tolerance: TOTAL_MASS_RTOL,
            });
        }
        if relative > 0.0 {
            let s = ta / tb;
            b.iter_mut().for_each(|v| *v *= s);
        }
        Ok(Problem { geometry, a, b })
    }

    /// Both marginals on one sorted 1D support.
    ///
    /// # Errors
    /// As [`Problem::new`].
    pub fn line(support: Support1d, a: Vec<f64>, b: Vec<f64>) -> Result<Self> {
        Self::new(Geometry::Line(support), a, b)
    }

    /// Both marginals on a 2D tensor grid (row-major), L1 cost.
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

    /// Total mass `sum(a)`.
    pub fn total_mass(&self) -> f64 {
        self.a.iter().sum()
    }
}
