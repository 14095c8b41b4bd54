//! Bounds that prove a grid flow's cost is W1: a primal upper bound and a Kantorovich dual
//! lower bound, both computed from scratch from the solver's output.
//!
//! Why: a flow solver in floating point decides "done" by comparisons; the bug this module
//! exists for was a leftover of 1e-15 supply read as "not done". Instead of trusting any
//! such decision, the answer is bracketed by two bounds that hold whatever the solver did:
//!
//! - **upper**: the flow `f` moves `e - r` where `e = a - b` and `r` is the conservation
//!   residual, so `W1(a, b) <= sum |f| gap + |r|_1 * diameter` (the residual can be moved
//!   anywhere at cost at most the diameter per unit of mass);
//! - **lower**: for any potential `phi`, the Kantorovich dual gives
//!   `W1 >= sum phi (b - a)` when `phi` is 1-Lipschitz for the grid's path metric. The
//!   solver's potentials are, up to rounding; an optimal flow decomposes into paths that
//!   carry at most the total mass over any edge, so each edge's Lipschitz excess
//!   `(|phi_p - phi_q| - gap)+` costs at most `total` times itself. With `phi` shifted to
//!   `[0, ~diameter]`, an imbalance `sum(e) != 0` changes the dual by at most
//!   `|sum e| * max(phi)`.
//!
//! The answer is returned only when the bracket is as narrow as rounding allows.

use super::graph::GridGraph;

/// The bracket `lower <= W1 <= upper` and the primal value inside it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Bounds {
    /// `sum |f| gap`: the cost of the flow found.
    pub primal: f64,
    /// Upper bound on W1.
    pub upper: f64,
    /// Lower bound on W1.
    pub lower: f64,
}

/// Bracket W1 for the excess `e = a - b` from a flow and potentials.
pub(super) fn bounds(g: &GridGraph, excess: &[f64], flow: &[f64], pot: &[f64]) -> Bounds {
    let n = g.len();
    let diameter = g.diameter();
    let total: f64 = excess.iter().filter(|&&e| e > 0.0).sum();
    let imbalance: f64 = excess.iter().sum::<f64>().abs();
    let phi_min = pot.iter().copied().fold(f64::INFINITY, f64::min);
    let phi_max = pot.iter().copied().fold(f64::NEG_INFINITY, f64::max) - phi_min;

    let mut net_out = vec![0.0f64; n];
    let mut primal = 0.0;
    let mut lipschitz_excess = 0.0;
    for (p, q, gap, slot) in g.edges() {
        let f = flow[slot];
        net_out[p] += f;
        net_out[q] -= f;
        primal += f.abs() * gap;
        lipschitz_excess += ((pot[p] - pot[q]).abs() - gap).max(0.0);
    }
    let residual: f64 = excess
        .iter()
        .zip(&net_out)
        .map(|(e, out)| (e - out).abs())
        .sum();
    let dual: f64 = excess
        .iter()
        .zip(pot)
        .map(|(e, phi)| -(phi - phi_min) * e)
        .sum();
    Bounds {
        primal,
        upper: primal + residual * diameter,
        lower: dual - total * lipschitz_excess - imbalance * phi_max,
    }
}
