//! The 4-neighbour grid graph and a flow on it, stored as one signed value per edge.
//!
//! Why signed: the edges are uncapacitated in both directions with the same cost, so an
//! optimal flow never needs both directions of one edge; a single net value per edge
//! (positive = towards the larger cell index) is the flow and its cost `|f| * gap` at once.

/// The grid graph: `nr x nc` cells, row-major, edge lengths from the axes' gaps.
#[derive(Debug)]
pub(super) struct GridGraph {
    pub nr: usize,
    pub nc: usize,
    /// `row_gaps[i] = x[i+1] - x[i]`, length `nr - 1`.
    pub row_gaps: Vec<f64>,
    /// `col_gaps[j] = y[j+1] - y[j]`, length `nc - 1`.
    pub col_gaps: Vec<f64>,
}

impl GridGraph {
    /// Number of cells.
    pub fn len(&self) -> usize {
        self.nr * self.nc
    }

    /// Edge slots: `2 p` is the edge `p -> p + nc` (down), `2 p + 1` the edge `p -> p + 1`
    /// (right); slots of edges that would leave the grid stay unused (flow 0).
    pub fn edge_slots(&self) -> usize {
        2 * self.len()
    }

    /// L1 diameter: the sum of all gaps of both axes.
    pub fn diameter(&self) -> f64 {
        self.row_gaps.iter().sum::<f64>() + self.col_gaps.iter().sum::<f64>()
    }

    /// Every edge once: `(p, q, gap, slot)` with `q` the larger cell index.
    pub fn edges(&self) -> impl Iterator<Item = (usize, usize, f64, usize)> + '_ {
        let (nr, nc) = (self.nr, self.nc);
        (0..self.len()).flat_map(move |p| {
            let (i, j) = (p / nc, p % nc);
            let down = (i + 1 < nr).then(|| (p, p + nc, self.row_gaps[i], 2 * p));
            let right = (j + 1 < nc).then(|| (p, p + 1, self.col_gaps[j], 2 * p + 1));
            down.into_iter().chain(right)
        })
    }
}
