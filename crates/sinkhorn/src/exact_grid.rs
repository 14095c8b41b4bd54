//! Exact W1 on a 2D tensor grid with the L1 cost: min-cost flow by successive shortest
//! paths (Dijkstra with Johnson potentials) on the 4-neighbour grid graph.
//!
//! Why this is exact: with the L1 ground cost, `|x_i - x_k| + |y_j - y_l|` is the length
//! of any monotone path between the two cells in the grid graph whose edges cost the axis
//! gap, so transport with that cost is a transshipment problem on the graph (the
//! Beckmann formulation). Edges have infinite capacity; the residual graph adds a
//! cancelling arc (cost `-gap`, capacity = current flow) for every edge carrying flow.
//! A super-source feeds every cell with `a - b > 0`, a super-sink drains every cell with
//! `a - b < 0`. Each augmentation saturates a source arc, a sink arc or a cancelling arc,
//! so the loop ends; the cost is `sum_edges gap * flow`. Meant for validation sizes
//! (up to ~64 x 64); it is not an O(N) solver.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::error::{Result, SinkhornError};
use crate::support::Grid2d;

/// Result of the exact grid solver.
#[derive(Debug, Clone)]
pub struct GridFlow {
    /// The optimal transport cost W1.
    pub cost: f64,
    /// Number of augmenting paths used.
    pub augmentations: usize,
}

struct Dist(f64);
impl PartialEq for Dist {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == core::cmp::Ordering::Equal
    }
}
impl Eq for Dist {}
impl PartialOrd for Dist {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Dist {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Neighbour of cell `p` in direction `d` (0: +row, 1: -row, 2: +col, 3: -col) with the
/// edge's length, or `None` at the border.
fn neighbour(
    p: usize,
    d: usize,
    nr: usize,
    nc: usize,
    grow: &[f64],
    gcol: &[f64],
) -> Option<(usize, f64)> {
    let (i, j) = (p / nc, p % nc);
    match d {
        0 if i + 1 < nr => Some((p + nc, grow[i])),
        1 if i > 0 => Some((p - nc, grow[i - 1])),
        2 if j + 1 < nc => Some((p + 1, gcol[j])),
        3 if j > 0 => Some((p - 1, gcol[j - 1])),
        _ => None,
    }
}

/// Direction index of the edge `q -> p` given `p -> q` in direction `d`.
const fn opposite(d: usize) -> usize {
    d ^ 1
}

/// Exact min-cost flow between `a` and `b` (equal totals, same length as the grid).
///
/// # Errors
/// [`SinkhornError::NonFinite`] if a shortest-path distance becomes non-finite (only
/// possible for invalid input that bypassed [`crate::Problem`]).
pub fn min_cost_flow_grid(grid: &Grid2d, a: &[f64], b: &[f64]) -> Result<GridFlow> {
    let (nr, nc) = (grid.rows.len(), grid.cols.len());
    let n = nr * nc;
    let grow = grid.rows.gaps();
    let gcol = grid.cols.gaps();
    let total: f64 = a.iter().sum();
    // Remaining excess (> 0: supply, < 0: demand).
    let mut excess: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let zero_tol = 1e-15 * total;
    for e in &mut excess {
        if e.abs() <= zero_tol {
            *e = 0.0;
        }
    }
    // flow[p * 4 + d]: flow on the edge p -> neighbour(p, d).
    let mut flow = vec![0.0f64; n * 4];
    // Node potentials for the grid nodes and the super sink T; the super source S keeps
    // potential 0 (its Dijkstra distance is always 0).
    let mut pot = vec![0.0f64; n];
    let mut pot_t = 0.0f64;
    let mut dist = vec![f64::INFINITY; n];
    // pred[p] = (previous node or usize::MAX for S, direction used from previous node).
    let mut pred = vec![(usize::MAX, 0usize); n];
    let mut done = vec![false; n];
    let mut heap = BinaryHeap::new();
    let mut augmentations = 0usize;

    loop {
        if excess.iter().all(|&e| e <= 0.0) {
            break;
        }
        dist.fill(f64::INFINITY);
        done.fill(false);
        heap.clear();
        for p in 0..n {
            if excess[p] > 0.0 {
                // Arc S -> p, cost 0, reduced cost 0 - pot[p] >= 0.
                let d = (-pot[p]).max(0.0);
                if d < dist[p] {
                    dist[p] = d;
                    pred[p] = (usize::MAX, 0);
                    heap.push(Reverse((Dist(d), p)));
                }
            }
        }
        let mut best_t = f64::INFINITY;
        let mut best_sink = usize::MAX;
        while let Some(Reverse((Dist(d), p))) = heap.pop() {
            if done[p] || d > dist[p] {
                continue;
            }
            done[p] = true;
            if excess[p] < 0.0 {
                // Arc p -> T, cost 0.
                let dt = d + (pot[p] - pot_t).max(0.0);
                if dt < best_t {
                    best_t = dt;
                    best_sink = p;
                }
            }
            for dir in 0..4 {
                let Some((q, gap)) = neighbour(p, dir, nr, nc, &grow, &gcol) else {
                    continue;
                };
                // Cancelling arc if q -> p carries flow, else forward arc.
                let back = flow[q * 4 + opposite(dir)];
                let c = if back > 0.0 { -gap } else { gap };
                let nd = d + (c + pot[p] - pot[q]).max(0.0);
                if nd < dist[q] {
                    dist[q] = nd;
                    pred[q] = (p, dir);
                    heap.push(Reverse((Dist(nd), q)));
                }
            }
        }
        if best_sink == usize::MAX || !best_t.is_finite() {
            return Err(SinkhornError::NonFinite {
                what: "grid min-cost-flow distance",
                iteration: augmentations,
            });
        }
        // Johnson update (all grid nodes are reachable: forward arcs have infinite capacity).
        for p in 0..n {
            pot[p] += dist[p].min(best_t);
        }
        pot_t += best_t;
        // Bottleneck along S -> ... -> best_sink -> T.
        let mut delta = -excess[best_sink];
        let mut q = best_sink;
        while pred[q].0 != usize::MAX {
            let (p, dir) = pred[q];
            let back = flow[q * 4 + opposite(dir)];
            if back > 0.0 {
                delta = delta.min(back);
            }
            q = p;
        }
        let source = q;
        delta = delta.min(excess[source]);
        // Augment.
        let mut q = best_sink;
        while pred[q].0 != usize::MAX {
            let (p, dir) = pred[q];
            let bi = q * 4 + opposite(dir);
            if flow[bi] > 0.0 {
                flow[bi] -= delta;
                if flow[bi] <= zero_tol {
                    flow[bi] = 0.0;
                }
            } else {
                flow[p * 4 + dir] += delta;
            }
            q = p;
        }
        excess[source] -= delta;
        if excess[source] <= zero_tol {
            excess[source] = 0.0;
        }
        excess[best_sink] += delta;
        if excess[best_sink] >= -zero_tol {
            excess[best_sink] = 0.0;
        }
        augmentations += 1;
    }
    let mut cost = 0.0;
    for p in 0..n {
        for dir in 0..4 {
            let f = flow[p * 4 + dir];
            if f > 0.0 {
                if let Some((_, gap)) = neighbour(p, dir, nr, nc, &grow, &gcol) {
                    cost += f * gap;
                }
            }
        }
    }
    Ok(GridFlow {
        cost,
        augmentations,
    })
}
