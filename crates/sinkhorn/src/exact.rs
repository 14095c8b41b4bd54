//! Exact (unregularised) W1, the ground truth for every convergence claim.
//!
//! On a line, W1 is the L1 distance between the cumulative distributions:
//! `W1 = sum_i |F_i - G_i| (x_{i+1} - x_i)`, O(N). On a 2D tensor grid with the L1 cost,
//! W1 equals a min-cost flow on the 4-neighbour grid graph whose edges cost the axis gap
//! (an L1 distance is the length of a monotone staircase path), solved exactly by
//! [`crate::exact_grid`]'s certified network simplex.

use crate::error::Result;
use crate::exact_grid::grid_flow;
use crate::problem::{Problem, check_equal_totals};
use crate::support::{Geometry, Support1d};

/// Exact W1 on a sorted 1D support by the cumulative-distribution formula, O(N).
///
/// ```
/// use sinkhorn::{SinkhornError, Support1d, w1_line};
/// let x = Support1d::linspace(0.0, 1.0, 3)?;
/// assert_eq!(w1_line(&x, &[1.0, 0.0, 0.0], &[0.0, 0.0, 1.0])?, 1.0);
/// assert!(matches!(w1_line(&x, &[1.0, 0.0, 0.0], &[0.0, 0.0, 0.5]), Err(SinkhornError::UnequalMass { .. })));
/// assert!(w1_line(&x, &[1.0, 0.0], &[0.0, 1.0]).is_err()); // short slices
/// # Ok::<(), SinkhornError>(())
/// ```
///
/// # Errors
/// As [`Problem::new`] for the masses: [`crate::SinkhornError::LengthMismatch`],
/// [`crate::SinkhornError::InvalidMass`] (NaN, infinite, negative),
/// [`crate::SinkhornError::ZeroMass`], [`crate::SinkhornError::MassOverflow`],
/// [`crate::SinkhornError::UnequalMass`].
pub fn w1_line(support: &Support1d, a: &[f64], b: &[f64]) -> Result<f64> {
    let n = support.len();
    let totals = check_equal_totals(a, b, n)?;
    Ok(w1_cdf_balanced(
        (1..n).map(|i| support.coord(i) - support.coord(i - 1)),
        a,
        b,
        totals,
        &mut Vec::new(),
    ))
}

/// The CDF formula `sum_i |F_i - G_i| gap_i` with the gaps given, on masses whose totals
/// `(sum(a), sum(b))` were validated: `b` is first rescaled to `a`'s total into `scratch`
/// exactly as [`Problem::new`] rescales it (only when the totals differ), so that
/// [`w1_line`], [`exact_w1`] on a line and the batches of [`crate::batch`] (which compute
/// the gaps once for all their problems) give the same bits for the same masses.
pub(crate) fn w1_cdf_balanced(
    gaps: impl Iterator<Item = f64>,
    a: &[f64],
    b: &[f64],
    (ta, tb): (f64, f64),
    scratch: &mut Vec<f64>,
) -> f64 {
    let b = if (ta - tb).abs() > 0.0 {
        let s = ta / tb;
        scratch.clear();
        scratch.extend(b.iter().map(|v| v * s));
        scratch.as_slice()
    } else {
        b
    };
    let mut cdf_gap = 0.0;
    let mut total = 0.0;
    for ((x, y), gap) in a.iter().zip(b).zip(gaps) {
        cdf_gap += x - y;
        total += cdf_gap.abs() * gap;
    }
    total
}

/// Exact W1 of a validated problem: the CDF formula on a line, min-cost flow on a grid
/// (network simplex, about quadratic in the cells: measured ~0.13 s at 128 x 128,
/// ~1.9 s at 256 x 256 and ~36 s at 512 x 512 of one core's time on random masses, see
/// `docs/sinkhorn.md`).
///
/// ```
/// use sinkhorn::{cases::bumps_line, exact_w1};
/// let w1 = exact_w1(&bumps_line(1000)?)?;
/// assert!(w1 > 0.0 && w1 < 1.0);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// Never for a validated problem on a line; on a grid, as
/// [`crate::exact_grid::min_cost_flow_grid`] for the axes (the `Support1d` variants can
/// be checked again) and for a value that cannot be certified.
pub fn exact_w1(problem: &Problem) -> Result<f64> {
    match problem.geometry() {
        // The problem's `b` already has `a`'s total: no rescaling happens here.
        Geometry::Line(s) => Ok(w1_cdf_balanced(
            (1..s.len()).map(|i| s.coord(i) - s.coord(i - 1)),
            problem.a(),
            problem.b(),
            (0.0, 0.0),
            &mut Vec::new(),
        )),
        Geometry::Grid(g) => grid_flow(g, problem.a(), problem.b()).map(|f| f.cost),
    }
}

/// Exact W1 between `a` on sorted points `x` and `b` on sorted points `y` (for unsorted
/// samples with repeats, see [`crate::wasserstein_1d`]).
///
/// ```
/// let w = sinkhorn::w1_two_supports(&[0.0, 1.0], &[0.5, 0.5], &[0.5], &[1.0])?;
/// assert_eq!(w, 0.5);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`Problem::on_two_supports`].
pub fn w1_two_supports(x: &[f64], a: &[f64], y: &[f64], b: &[f64]) -> Result<f64> {
    let p = Problem::on_two_supports(x, a, y, b)?;
    exact_w1(&p)
}
