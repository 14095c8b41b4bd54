//! Exact W1 on a 2D tensor grid with the L1 cost: a min-cost flow on the 4-neighbour grid
//! graph, solved by a network simplex and returned only with a certificate.
//!
//! Why this is exact: with the L1 ground cost, `|x_i - x_k| + |y_j - y_l|` is the length
//! of any monotone path between the two cells in the grid graph whose edges cost the axis
//! gap, so transport with that cost is a transshipment problem on the graph (the Beckmann
//! formulation) with about `2 N` uncapacitated edges instead of `N^2` couplings.
//!
//! - `graph`: the grid graph and the signed flow per edge;
//! - `simplex`: the primal network simplex (spanning tree in thread order, multiscale
//!   start from the 2 x 2-coarsened grid, block pricing,
//!   strongly feasible leaving rule);
//! - `certificate`: primal and dual bounds recomputed from the output; the value is
//!   returned only when they agree to rounding, so no floating-point stopping decision
//!   (the cause of the old `NonFinite` failures from ~52 x 52 up) can yield a wrong `Ok`.
//!
//! Measured cost and scaling are in `docs/sinkhorn.md` ("Exact W1 on 2D grids").

mod certificate;
mod graph;
mod simplex;

use crate::error::{Result, SinkhornError};
use crate::problem::Problem;
use crate::support::{Grid2d, Support1d};

use graph::GridGraph;

/// Result of the exact grid solver: W1 and the bracket that certifies it.
#[derive(Debug, Clone)]
pub struct GridFlow {
    /// The optimal transport cost W1 (the cost of the flow found).
    pub cost: f64,
    /// A lower bound on W1 from the dual potentials (`lower <= cost`, up to rounding).
    pub lower: f64,
    /// An upper bound on W1 (`cost` plus the flow's conservation residual times the
    /// diameter).
    pub upper: f64,
    /// Number of network simplex pivots.
    pub pivots: usize,
}

/// Exact W1 between masses `a` and `b` on `grid` (flat, row-major), L1 cost.
///
/// Validates the masses like [`Problem::grid`] (the axes were validated when the
/// [`Grid2d`]'s [`crate::Support1d`]s were built), then solves as [`crate::exact_w1`] does.
///
/// # Errors
/// As [`Problem::new`] for the masses ([`SinkhornError::LengthMismatch`],
/// [`SinkhornError::InvalidMass`], [`SinkhornError::ZeroMass`],
/// [`SinkhornError::UnequalMass`], [`SinkhornError::Empty`]);
/// [`SinkhornError::InvalidParameter`] for an axis gap that is not finite and positive;
/// [`SinkhornError::Unsupported`] for grids of `2^31 - 1` cells or more;
/// [`SinkhornError::NonFinite`] if W1 itself overflows `f64`;
/// [`SinkhornError::Uncertified`] if the solver's primal and dual bounds disagree beyond
/// rounding (a bug: the value is withheld).
///
/// # Examples
/// ```
/// use sinkhorn::{Grid2d, exact_grid::min_cost_flow_grid};
/// // A unit of mass moves from the corner (0, 0) to the corner (1, 1) of the unit square.
/// let grid = Grid2d::unit_square(3)?;
/// let mut a = vec![0.0; 9];
/// let mut b = vec![0.0; 9];
/// a[0] = 1.0;
/// b[8] = 1.0;
/// let flow = min_cost_flow_grid(&grid, &a, &b)?;
/// assert!((flow.cost - 2.0).abs() < 1e-15);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
pub fn min_cost_flow_grid(grid: &Grid2d, a: &[f64], b: &[f64]) -> Result<GridFlow> {
    let problem = Problem::grid(grid.clone(), a.to_vec(), b.to_vec())?;
    grid_flow(grid, problem.a(), problem.b())
}

/// [`min_cost_flow_grid`] for masses already validated by [`Problem`] (the axes are
/// checked here).
pub(crate) fn grid_flow(grid: &Grid2d, a: &[f64], b: &[f64]) -> Result<GridFlow> {
    let g = GridGraph {
        nr: grid.rows.len(),
        nc: grid.cols.len(),
        row_gaps: axis_gaps(&grid.rows)?,
        col_gaps: axis_gaps(&grid.cols)?,
    };
    // Edge slots (2 per cell) and two markers must fit the solver's u32 indices.
    if u32::try_from(2 * g.len() + 2).is_err() {
        return Err(SinkhornError::Unsupported {
            operation: "exact W1",
            geometry: "a 2D grid of 2^31 - 1 cells or more",
            reason: "the flow solver indexes edges with u32; use entropic W1 (Sinkhorn)",
        });
    }
    if a.len() != g.len() || b.len() != g.len() {
        return Err(SinkhornError::LengthMismatch {
            what: "masses vs grid cells",
            expected: g.len(),
            got: if a.len() == g.len() { b.len() } else { a.len() },
        });
    }
    // W1 is homogeneous in the masses: scale them by a power of two (exact) so that sums
    // cannot overflow, and scale the answer back.
    let scale = power_of_two_below(a.iter().chain(b).copied().fold(0.0, f64::max));
    let excess: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x * scale - y * scale)
        .collect();
    let n = g.len();
    let solution = simplex::network_simplex(&g, &excess);
    let bounds = certificate::bounds(&g, &excess, &solution.flow, &solution.pot);
    // Rounding bound for the bracket: each of the ~N + pivots updates of a
    // potential, an excess or a flow, and each term of the N-term sums, is off by at most
    // a few ulps of `total * diameter` (Higham's gamma_n); 16 ulps each is the margin.
    let total: f64 = excess.iter().filter(|&&e| e > 0.0).sum();
    let diameter = g.diameter();
    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
    let ops = (n + solution.pivots) as f64;
    let tolerance = 16.0 * ops * f64::EPSILON * total * diameter;
    let gap = bounds.upper - bounds.lower;
    if gap.is_nan() || gap > tolerance {
        return Err(SinkhornError::Uncertified {
            what: "grid min-cost flow",
            gap: gap / scale,
            tolerance: tolerance / scale,
        });
    }
    let cost = bounds.primal / scale;
    if !cost.is_finite() {
        return Err(SinkhornError::NonFinite {
            what: "grid W1 (overflows f64 after undoing the mass scaling)",
            iteration: solution.pivots,
        });
    }
    Ok(GridFlow {
        cost,
        lower: bounds.lower / scale,
        upper: bounds.upper / scale,
        pivots: solution.pivots,
    })
}

/// Gaps `x[i+1] - x[i]` of an axis. [`Support1d`]'s constructors already guarantee finite,
/// strictly increasing coordinates with gaps the coordinates resolve; this re-checks the
/// gaps themselves (positive and finite), since every edge cost of the flow is one.
fn axis_gaps(axis: &Support1d) -> Result<Vec<f64>> {
    let gaps = axis.gaps();
    if let Some(&gap) = gaps.iter().find(|&&g| !(g.is_finite() && g > 0.0)) {
        return Err(SinkhornError::InvalidParameter {
            name: "grid axis gap",
            value: gap,
        });
    }
    Ok(gaps)
}

/// `2^-k` with `m * 2^-k` in `[0.5, 2)`, so scaled masses are <= 2 and their sums finite;
/// 1 for `m = 0`. Powers of two keep the scaling exact.
fn power_of_two_below(m: f64) -> f64 {
    if !(m > 0.0 && m.is_finite()) {
        return 1.0;
    }
    #[allow(clippy::cast_possible_truncation)] // |log2| <= 1075
    let k = (m.log2().floor() as i32).clamp(-1000, 1000);
    // Exponent field 1023 - k in [23, 2023]: a normal power of two, built exactly.
    #[allow(clippy::cast_sign_loss)]
    let bits = ((1023 - k) as u64) << 52;
    f64::from_bits(bits)
}
