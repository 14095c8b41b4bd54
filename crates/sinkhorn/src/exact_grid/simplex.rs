//! Primal network simplex on the grid graph with the spanning tree kept in thread order
//! (parent, predecessor arc, preorder thread, subtree size and last successor per node),
//! a multiscale start, small-block pricing, and the strongly feasible leaving rule
//! (Cunningham 1976).
//!
//! Why this layout: a pivot changes the tree by cutting one subtree and re-hanging it from
//! the entering arc. With the tree in preorder ("thread") form, that subtree is one
//! contiguous run of the thread, its potentials shift in one walk over it, and subtree
//! sizes change only between the cycle's apex and the two arcs, so no pivot walks to the
//! root. This is the tree scheme of LEMON's `NetworkSimplex` (Kovacs 2015, "Minimum-cost
//! flow algorithms: an experimental evaluation"); the previous version kept children in
//! sibling lists and updated sizes up to the root.
//!
//! - Start: grids of 1024 cells or more first solve the grid coarsened by 2 x 2 blocks
//!   (recursively) and lift its optimal tree: each coarse tree arc becomes the grid edge
//!   between the two blocks, and each block's cells hang from the cell that edge reaches.
//!   The arcs carry the excess of their subtrees, so the start is feasible and needs about
//!   a third of the pivots of a cold start. Nodes are numbered in the lifted tree's
//!   preorder, so subtree walks start out sequential in memory (and are renumbered in
//!   thread order every `N / 8` pivots). Small grids start from
//!   the star: every cell hangs from an artificial root by an artificial arc carrying its
//!   excess, cell -> root (cost 0) for supply, root -> cell (cost `2 x diameter`)
//!   otherwise; a detour through the root costs more than any grid path, so artificial
//!   arcs end with no flow. Zero-flow arcs point away from the root in both starts, so the
//!   tree is strongly feasible.
//! - Pricing: an edge `{p, q}` of gap `c` has reduced costs `c +- (pi[p] - pi[q])` in its
//!   two directions, so `c - |pi[p] - pi[q]|` prices both at once, reading the grid's
//!   neighbours directly (no arc lists). Cells are scanned cyclically in blocks of 16; the
//!   most negative edge of the first block that has one below `-tol` enters.
//! - Ratio test: only tree arcs against the cycle's direction can block (no upper
//!   bounds); ties go to the last blocking arc met from the apex, which keeps the tree
//!   strongly feasible. A blocking arc's flow becomes `f - f = 0` exactly, so no
//!   tolerance on flows is needed anywhere.
//! - Potentials: the moved subtree (or, when it holds more than half the nodes, the rest
//!   of the tree) shifts by one constant. That walk is the dominant cost: 8-10% of the
//!   nodes per pivot on random masses at every size measured (64^2..256^2), so the solve is still about
//!   quadratic in the number of cells (measured slope in `docs/sinkhorn.md`). Potentials
//!   are recomputed from the tree every `N` pivots and at the end, so rounding does not
//!   accumulate.

use super::graph::GridGraph;

/// Node index. `u32` halves the memory traffic of the tree walks against `usize`.
type Ix = u32;
const NONE: Ix = Ix::MAX;
/// `pred` of a node whose tree arc is its artificial arc to the root.
const ARTIFICIAL: Ix = Ix::MAX - 1;

/// An optimal flow and the potentials that prove it.
#[derive(Debug)]
pub(super) struct Solution {
    /// Signed flow per edge slot (see [`GridGraph::edge_slots`]).
    pub flow: Vec<f64>,
    /// Potentials: reduced costs `c + pot[tail] - pot[head]` are >= 0 on every arc (up to
    /// rounding) and 0 on tree arcs.
    pub pot: Vec<f64>,
    /// Number of pivots.
    pub pivots: usize,
}

#[inline]
fn ix(u: usize) -> Ix {
    // Callers index at most `n + 1 < 2^31` nodes (checked in `grid_flow`).
    #[allow(clippy::cast_possible_truncation)]
    let v = u as Ix;
    v
}

#[inline]
fn us(u: Ix) -> usize {
    u as usize
}

/// A node's potential and thread successor (see [`Tree::node`]).
#[derive(Clone, Copy)]
struct Node {
    pi: f64,
    thread: Ix,
}

/// The basis: a spanning tree of the cells and the root (index `n`), in thread order.
struct Tree {
    /// Cells; the root is node `n`.
    n: usize,
    /// Grid columns (the "down" neighbour of `p` is `p + nc`).
    nc: usize,
    /// Tree nodes are numbered apart from grid cells (see [`Tree::from_links`]):
    /// `cell_of[label]`, and `label[cell]` padded with the root for the `nc` cells past
    /// the grid that pricing reads. Edge slots stay in grid numbering.
    cell_of: Vec<Ix>,
    label: Vec<Ix>,
    /// Cost per edge slot (`2 p` down, `2 p + 1` right); `+inf` for slots off the grid.
    cost: Vec<f64>,
    /// Cost of an artificial root -> cell arc.
    art: f64,
    parent: Vec<Ix>,
    /// Edge slot of the arc to the parent, or [`ARTIFICIAL`].
    pred: Vec<Ix>,
    /// Whether that arc points from the node to its parent.
    up: Vec<bool>,
    /// Flow on that arc (>= 0 in its direction).
    flow: Vec<f64>,
    /// Potential and preorder successor (cyclic through the root) per node, side by
    /// side: a potential update walks the thread and writes the potential, one cache
    /// line per node.
    node: Vec<Node>,
    /// Preorder predecessor.
    rev_thread: Vec<Ix>,
    /// Subtree size (itself included) and the subtree's last node in thread order.
    succ_num: Vec<Ix>,
    last_succ: Vec<Ix>,
    dirty: Vec<Ix>,
}

/// The entering arc `first -> second` along edge `slot` (grid numbering; `first` and
/// `second` are tree labels).
#[derive(Clone, Copy)]
struct Entering {
    slot: usize,
    first: usize,
    second: usize,
}

impl Tree {
    /// Arrays for the basis with cells numbered by `cell_of` (label -> cell): every
    /// cell hangs from the root by its artificial arc, and the thread runs through the
    /// labels in order, so a constructor that numbers cells in preorder only has to set
    /// parents, arcs and sizes.
    fn alloc(g: &GridGraph, art: f64, cell_of: Vec<Ix>) -> Self {
        let n = g.len();
        let nc = g.nc;
        let mut cost = vec![f64::INFINITY; 2 * n];
        for (_, _, gap, slot) in g.edges() {
            cost[slot] = gap;
        }
        let root = n;
        // Cells past the grid (read by pricing, at cost +inf) map to the root.
        let mut label = vec![ix(root); n + nc];
        for (k, &v) in cell_of.iter().enumerate() {
            label[us(v)] = ix(k);
        }
        let mut t = Tree {
            n,
            nc,
            cost,
            art,
            cell_of,
            label,
            parent: vec![ix(root); n + 1],
            pred: vec![ARTIFICIAL; n + 1],
            up: vec![false; n + 1],
            flow: vec![0.0; n + 1],
            node: (1..=n + 1)
                .map(|v| Node {
                    pi: 0.0,
                    thread: ix(v % (n + 1)),
                })
                .collect(),
            rev_thread: (0..=n).map(|v| ix((v + n) % (n + 1))).collect(),
            succ_num: vec![1; n + 1],
            last_succ: (0..=n).map(ix).collect(),
            dirty: Vec::new(),
        };
        t.parent[root] = NONE;
        t.pred[root] = NONE;
        t.succ_num[root] = ix(n + 1);
        // The last cell (`n >= 1`: empty grids are refused before the solver).
        t.last_succ[root] = ix(n - 1);
        t
    }

    /// The star tree: every cell hangs from the root by its artificial arc carrying its
    /// excess.
    fn star(g: &GridGraph, excess: &[f64], art: f64) -> Self {
        let mut t = Tree::alloc(g, art, (0..g.len()).map(ix).collect());
        for (v, &e) in excess.iter().enumerate() {
            t.up[v] = e > 0.0;
            t.flow[v] = e.abs();
        }
        t.recompute_potentials();
        t
    }

    /// A basis from a spanning forest of the grid: `link[v] = (parent cell, edge slot)`,
    /// or `(_, ARTIFICIAL)` for a cell that hangs from the root. The tree arcs carry the
    /// excess of the subtree below them (artificial arcs only the rounding leftover of
    /// `sum(excess)` when the links span the grid), oriented by its sign; zero flows point
    /// away from the root, so the tree is strongly feasible. Cells are numbered in
    /// preorder, so subtrees start as contiguous runs of memory.
    fn from_links(g: &GridGraph, excess: &[f64], art: f64, link: &[(Ix, Ix)]) -> Self {
        let n = g.len();
        let root = n;
        let parent_cell = |v: usize| {
            if link[v].1 == ARTIFICIAL {
                root
            } else {
                us(link[v].0)
            }
        };
        // Children in CSR form, then a preorder by depth-first search from the root.
        let mut start = vec![0usize; n + 2];
        for v in 0..n {
            start[parent_cell(v) + 1] += 1;
        }
        for k in 0..=n {
            start[k + 1] += start[k];
        }
        let mut fill = start.clone();
        let mut children = vec![0 as Ix; n];
        for v in 0..n {
            let p = parent_cell(v);
            children[fill[p]] = ix(v);
            fill[p] += 1;
        }
        let mut order = Vec::with_capacity(n + 1);
        let mut stack = vec![root];
        while let Some(u) = stack.pop() {
            if u != root {
                order.push(ix(u));
            }
            stack.extend(children[start[u]..start[u + 1]].iter().map(|&c| us(c)));
        }
        debug_assert_eq!(order.len(), n, "links are not a spanning forest");
        let mut t = Tree::alloc(g, art, order);
        let mut sub = vec![0.0f64; n + 1];
        for k in 0..n {
            let v = us(t.cell_of[k]);
            sub[k] = excess[v];
            if link[v].1 != ARTIFICIAL {
                t.parent[k] = t.label[us(link[v].0)];
                t.pred[k] = link[v].1;
            }
        }
        for k in (0..n).rev() {
            let p = us(t.parent[k]);
            if p != root {
                t.succ_num[p] += t.succ_num[k];
                sub[p] += sub[k];
            }
        }
        for k in 0..n {
            t.last_succ[k] = ix(k + us(t.succ_num[k]) - 1);
            t.up[k] = sub[k] > 0.0;
            t.flow[k] = sub[k].abs();
        }
        t.recompute_potentials();
        t
    }

    /// Cost of the tree arc from `u` to its parent.
    #[inline]
    fn pred_cost(&self, u: usize) -> f64 {
        let slot = self.pred[u];
        if slot == ARTIFICIAL {
            if self.up[u] { 0.0 } else { self.art }
        } else {
            self.cost[us(slot)]
        }
    }

    /// Renumber the nodes in the current thread order, so that subtrees are again
    /// contiguous runs of memory (pivots scatter them). Costs one pass per array.
    fn renumber(&mut self) {
        let n = self.n;
        let root = n;
        let mut order = Vec::with_capacity(n);
        let mut u = us(self.node[root].thread);
        while u != root {
            order.push(u);
            u = us(self.node[u].thread);
        }
        let mut new_of_old = vec![ix(root); n + 1];
        for (k, &u) in order.iter().enumerate() {
            new_of_old[u] = ix(k);
        }
        let parent: Vec<Ix> = order
            .iter()
            .map(|&u| new_of_old[us(self.parent[u])])
            .chain([NONE])
            .collect();
        let permute =
            |v: &[Ix]| -> Vec<Ix> { order.iter().map(|&u| v[u]).chain([v[root]]).collect() };
        self.pred = permute(&self.pred);
        self.succ_num = permute(&self.succ_num);
        self.cell_of = order.iter().map(|&u| self.cell_of[u]).collect();
        self.up = order.iter().map(|&u| self.up[u]).chain([false]).collect();
        self.flow = order.iter().map(|&u| self.flow[u]).chain([0.0]).collect();
        let pi: Vec<f64> = order
            .iter()
            .map(|&u| self.node[u].pi)
            .chain([self.node[root].pi])
            .collect();
        self.parent = parent;
        for (k, node) in self.node.iter_mut().enumerate() {
            *node = Node {
                pi: pi[k],
                thread: ix((k + 1) % (n + 1)),
            };
        }
        for k in 0..=n {
            self.rev_thread[k] = ix((k + n) % (n + 1));
            self.last_succ[k] = ix(k + us(self.succ_num[k]) - 1);
        }
        self.last_succ[root] = ix(n - 1);
        for (k, &c) in self.cell_of.iter().enumerate() {
            self.label[us(c)] = ix(k);
        }
    }

    /// Potentials from the tree alone: `pi[root] = 0` and reduced cost 0 on every tree arc
    /// (the thread is a preorder, so a parent comes before its children).
    fn recompute_potentials(&mut self) {
        let root = self.n;
        self.node[root].pi = 0.0;
        let mut u = us(self.node[root].thread);
        while u != root {
            let c = self.pred_cost(u);
            let p = us(self.parent[u]);
            self.node[u].pi = if self.up[u] {
                self.node[p].pi - c
            } else {
                self.node[p].pi + c
            };
            u = us(self.node[u].thread);
        }
    }

    /// Scan cells `from..to` for a negative reduced cost below `*best`; returns the cell
    /// where the scan stopped if a block ended with a candidate.
    #[inline]
    fn scan(
        &self,
        from: usize,
        to: usize,
        block: usize,
        count: &mut usize,
        best: &mut f64,
        found: &mut usize,
    ) -> Option<usize> {
        let nc = self.nc;
        let node = &self.node;
        let label = &self.label;
        let cost = &self.cost;
        for p in from..to {
            let here = node[us(label[p])].pi;
            let down = cost[2 * p] - (here - node[us(label[p + nc])].pi).abs();
            if down < *best {
                *best = down;
                *found = 2 * p;
            }
            let right = cost[2 * p + 1] - (here - node[us(label[p + 1])].pi).abs();
            if right < *best {
                *best = right;
                *found = 2 * p + 1;
            }
            *count -= 1;
            if *count == 0 {
                if *found != usize::MAX {
                    return Some(p + 1);
                }
                *count = block;
            }
        }
        None
    }

    /// Block search from cell `*next`; `None` when no reduced cost is below `-tol`.
    fn find_entering(&self, next: &mut usize, block: usize, tol: f64) -> Option<Entering> {
        let mut best = -tol;
        let mut found = usize::MAX;
        let mut count = block;
        let start = *next;
        let stop = self
            .scan(start, self.n, block, &mut count, &mut best, &mut found)
            .or_else(|| self.scan(0, start, block, &mut count, &mut best, &mut found));
        if found == usize::MAX {
            return None;
        }
        *next = stop.map_or(start, |s| if s >= self.n { 0 } else { s });
        let p = found / 2;
        let q = if found % 2 == 1 { p + 1 } else { p + self.nc };
        // c + pi[p] - pi[q] < 0: the arc p -> q enters; otherwise q -> p.
        let (p, q) = (us(self.label[p]), us(self.label[q]));
        let (first, second) = if self.node[p].pi < self.node[q].pi {
            (p, q)
        } else {
            (q, p)
        };
        Some(Entering {
            slot: found,
            first,
            second,
        })
    }

    /// One pivot on `e`. Returns `false` if no tree arc blocks the cycle (impossible with
    /// consistent potentials: an unblocked cycle has positive cost).
    fn pivot(&mut self, e: Entering) -> bool {
        let (first, second) = (e.first, e.second);
        // Apex of the cycle: an ancestor's subtree is strictly larger.
        let (mut u, mut v) = (first, second);
        while u != v {
            if self.succ_num[u] < self.succ_num[v] {
                u = us(self.parent[u]);
            } else {
                v = us(self.parent[v]);
            }
        }
        let join = u;

        // Ratio test. Flow goes first -> second, up to the apex, down to first.
        let mut delta = f64::INFINITY;
        let mut u_out = usize::MAX;
        let mut out_on_first = true;
        let mut u = first;
        while u != join {
            if self.up[u] && self.flow[u] < delta {
                delta = self.flow[u];
                u_out = u;
            }
            u = us(self.parent[u]);
        }
        let mut u = second;
        while u != join {
            if !self.up[u] && self.flow[u] <= delta {
                delta = self.flow[u];
                u_out = u;
                out_on_first = false;
            }
            u = us(self.parent[u]);
        }
        if u_out == usize::MAX {
            return false;
        }

        // Push delta around the cycle.
        if delta > 0.0 {
            let mut u = first;
            while u != join {
                if self.up[u] {
                    self.flow[u] -= delta;
                } else {
                    self.flow[u] += delta;
                }
                u = us(self.parent[u]);
            }
            let mut u = second;
            while u != join {
                if self.up[u] {
                    self.flow[u] += delta;
                } else {
                    self.flow[u] -= delta;
                }
                u = us(self.parent[u]);
            }
        }

        let (u_in, v_in) = if out_on_first {
            (first, second)
        } else {
            (second, first)
        };
        self.update_tree(e.slot, u_in, v_in, u_out, join, u_in == first, delta);
        self.update_potentials(u_in, v_in);
        true
    }

    /// Re-hang the subtree of `u_out` from the entering arc `(u_in, v_in)`: the path
    /// `u_in .. u_out` (the stem) is reversed, and the thread, sizes and last successors
    /// are patched between the apex `join` and the two arcs.
    #[allow(clippy::too_many_arguments)]
    fn update_tree(
        &mut self,
        slot: usize,
        u_in: usize,
        v_in: usize,
        u_out: usize,
        join: usize,
        in_up: bool,
        delta: f64,
    ) {
        let old_rev_thread = us(self.rev_thread[u_out]);
        let old_succ_num = self.succ_num[u_out];
        let old_last_succ = us(self.last_succ[u_out]);
        let v_out = us(self.parent[u_out]);

        if u_in == u_out {
            self.parent[u_in] = ix(v_in);
            self.pred[u_in] = ix(slot);
            self.up[u_in] = in_up;
            self.flow[u_in] = delta;
            // Move the subtree's thread run to just after v_in.
            if us(self.node[v_in].thread) != u_out {
                let after = self.node[old_last_succ].thread;
                self.node[old_rev_thread].thread = after;
                self.rev_thread[us(after)] = ix(old_rev_thread);
                let after = self.node[v_in].thread;
                self.node[v_in].thread = ix(u_out);
                self.rev_thread[u_out] = ix(v_in);
                self.node[old_last_succ].thread = after;
                self.rev_thread[us(after)] = ix(old_last_succ);
            }
        } else {
            // If old_rev_thread is v_in (then join = v_out), the thread continues after
            // the moved run; otherwise after v_in.
            let thread_continue = if old_rev_thread == v_in {
                self.node[old_last_succ].thread
            } else {
                self.node[v_in].thread
            };
            // Walk the stem from u_in up to u_out, splicing each stem node's remaining
            // subtree into the thread after the previous one and reversing parents.
            let mut stem = u_in;
            let mut par_stem = v_in;
            let mut last = us(self.last_succ[u_in]);
            let mut after = self.node[last].thread;
            self.node[v_in].thread = ix(u_in);
            self.dirty.clear();
            self.dirty.push(ix(v_in));
            while stem != u_out {
                let next_stem = us(self.parent[stem]);
                self.node[last].thread = ix(next_stem);
                self.dirty.push(ix(last));
                // Cut stem's subtree out of the thread.
                let before = us(self.rev_thread[stem]);
                self.node[before].thread = after;
                self.rev_thread[us(after)] = ix(before);
                self.parent[stem] = ix(par_stem);
                par_stem = stem;
                stem = next_stem;
                last = if self.last_succ[stem] == self.last_succ[par_stem] {
                    us(self.rev_thread[par_stem])
                } else {
                    us(self.last_succ[stem])
                };
                after = self.node[last].thread;
            }
            self.parent[u_out] = ix(par_stem);
            self.node[last].thread = thread_continue;
            self.rev_thread[us(thread_continue)] = ix(last);
            self.last_succ[u_out] = ix(last);
            if old_rev_thread != v_in {
                self.node[old_rev_thread].thread = after;
                self.rev_thread[us(after)] = ix(old_rev_thread);
            }
            for k in 0..self.dirty.len() {
                let u = self.dirty[k];
                self.rev_thread[us(self.node[us(u)].thread)] = u;
            }
            // Arcs, directions, flows, sizes and last successors shift along the stem.
            let mut sc: Ix = 0;
            let ls = self.last_succ[u_out];
            let mut u = u_out;
            while u != u_in {
                let p = us(self.parent[u]);
                self.pred[u] = self.pred[p];
                self.up[u] = !self.up[p];
                self.flow[u] = self.flow[p];
                sc = sc + self.succ_num[u] - self.succ_num[p];
                self.succ_num[u] = sc;
                self.last_succ[p] = ls;
                u = p;
            }
            self.pred[u_in] = ix(slot);
            self.up[u_in] = in_up;
            self.flow[u_in] = delta;
            self.succ_num[u_in] = old_succ_num;
        }

        // Last successors from v_in towards the root.
        let up_limit_out = if us(self.last_succ[join]) == v_in {
            ix(join)
        } else {
            NONE
        };
        let last_succ_out = self.last_succ[u_out];
        let mut u = ix(v_in);
        while u != NONE && us(self.last_succ[us(u)]) == v_in {
            self.last_succ[us(u)] = last_succ_out;
            u = self.parent[us(u)];
        }
        // Last successors from v_out towards the root.
        let new_last = if join != old_rev_thread && v_in != old_rev_thread {
            Some(ix(old_rev_thread))
        } else if us(last_succ_out) != old_last_succ {
            Some(last_succ_out)
        } else {
            None
        };
        if let Some(value) = new_last {
            let mut u = ix(v_out);
            while u != up_limit_out && us(self.last_succ[us(u)]) == old_last_succ {
                self.last_succ[us(u)] = value;
                u = self.parent[us(u)];
            }
        }
        // Subtree sizes between the arcs and the apex.
        let mut u = v_in;
        while u != join {
            self.succ_num[u] += old_succ_num;
            u = us(self.parent[u]);
        }
        let mut u = v_out;
        while u != join {
            self.succ_num[u] -= old_succ_num;
            u = us(self.parent[u]);
        }
    }

    /// Make the entering arc's reduced cost 0: shift the moved subtree (rooted at
    /// `u_in`), or the rest of the tree by the opposite amount if that is smaller.
    fn update_potentials(&mut self, u_in: usize, v_in: usize) {
        let c = self.pred_cost(u_in);
        let target = if self.up[u_in] {
            self.node[v_in].pi - c
        } else {
            self.node[v_in].pi + c
        };
        let sigma = target - self.node[u_in].pi;
        let end = us(self.node[us(self.last_succ[u_in])].thread);
        if 2 * us(self.succ_num[u_in]) <= self.n + 1 {
            let mut u = u_in;
            while u != end {
                self.node[u].pi += sigma;
                u = us(self.node[u].thread);
            }
        } else {
            let mut u = end;
            while u != u_in {
                self.node[u].pi -= sigma;
                u = us(self.node[u].thread);
            }
        }
    }
}

/// Below this many cells the solve starts from the star tree; above, from the solution
/// of the 2 x 2-coarsened problem lifted to the grid.
const COARSEST: usize = 1024;

/// Minimum-cost flow moving `excess` (> 0: supply, < 0: demand; totals equal up to
/// rounding) on the grid graph.
pub(super) fn network_simplex(g: &GridGraph, excess: &[f64]) -> Solution {
    let n = g.len();
    let (tree, pivots) = solve(g, excess);
    let mut signed = vec![0.0f64; g.edge_slots()];
    // Real arcs only: an artificial arc ends with at most the rounding leftover of
    // sum(a) - sum(b), which the certificate's conservation residual measures.
    for u in 0..n {
        let slot = tree.pred[u];
        let f = tree.flow[u];
        if slot == ARTIFICIAL || f <= 0.0 {
            continue;
        }
        let slot = us(slot);
        let tail = if tree.up[u] { u } else { us(tree.parent[u]) };
        signed[slot] += if us(tree.cell_of[tail]) == slot / 2 {
            f
        } else {
            -f
        };
    }
    Solution {
        flow: signed,
        pot: tree.label[..n]
            .iter()
            .map(|&k| tree.node[us(k)].pi)
            .collect(),
        pivots,
    }
}

/// The optimal basis for `excess` on `g` and the pivots spent (all levels).
fn solve(g: &GridGraph, excess: &[f64]) -> (Tree, usize) {
    let n = g.len();
    let diameter = g.diameter();
    // Any grid path costs at most the diameter, so the root detour (2 x diameter) never
    // beats one: artificial arcs end with no flow beyond rounding.
    let art = 2.0 * diameter.max(f64::MIN_POSITIVE);
    let (mut tree, below) = if n >= COARSEST && g.nr >= 2 && g.nc >= 2 {
        let (cg, cexcess) = coarsen(g, excess);
        let (coarse, pivots) = solve(&cg, &cexcess);
        let link = lift(g, &cg, &coarse);
        (Tree::from_links(g, excess, art, &link), pivots)
    } else {
        (Tree::star(g, excess, art), 0)
    };
    // Reduced costs are differences of potentials of size <= ~2 x diameter: below
    // 64 ulps of the diameter a negative value is rounding, not an improving arc.
    let tol = 64.0 * f64::EPSILON * diameter;
    // Cells per pricing block. Small blocks fix the lifted tree locally: measured on
    // random masses (128^2, 256^2), 16 cells took ~1.7 pivots per cell and 35% less time
    // than blocks of sqrt(N) cells (LEMON's default, 2.4 per cell); 4x sqrt(N) was 2x
    // slower still.
    let block: usize = 16;
    // Pivots scatter subtrees over memory; renumbering the nodes in thread order every
    // N / 8 pivots (one pass over the arrays) keeps the potential walks nearly
    // sequential. Measured at 512^2: 37 s instead of 63 s of CPU time (loaded machine);
    // no change at 256^2, where the tree fits in cache.
    let renumber_every = (n / 8).max(1);
    let mut next = 0usize;
    let mut pivots = 0usize;
    // A bound no solve has come near: a guard against a stall, whose unfinished flow
    // the certificate then refuses.
    let max_pivots = 1000 * (n + 1);
    loop {
        let entering = if pivots < max_pivots {
            tree.find_entering(&mut next, block, tol)
        } else {
            None
        };
        let Some(e) = entering else {
            // Optimal up to rounding; confirm with exact potentials before stopping.
            let before = tree.node.clone();
            tree.recompute_potentials();
            let moved = before
                .iter()
                .zip(&tree.node)
                .any(|(a, b)| (a.pi - b.pi).abs() > tol * 0.25);
            if moved && pivots < max_pivots {
                continue;
            }
            break;
        };
        if !tree.pivot(e) {
            // Only corrupted potentials get here; let the certificate refuse the result.
            break;
        }
        pivots += 1;
        if pivots % (n + 1) == 0 {
            tree.recompute_potentials();
        }
        if pivots % renumber_every == 0 {
            tree.renumber();
        }
    }
    (tree, below + pivots)
}

/// The grid with cells merged in 2 x 2 blocks (1 x 2, 2 x 1 or 1 x 1 at odd edges): block
/// excess is the sum, block gaps span the merged rows / columns.
fn coarsen(g: &GridGraph, excess: &[f64]) -> (GridGraph, Vec<f64>) {
    let (cr, cc) = (g.nr.div_ceil(2), g.nc.div_ceil(2));
    let merge = |gaps: &[f64], len: usize| -> Vec<f64> {
        (0..len - 1)
            .map(|k| gaps[2 * k] + gaps.get(2 * k + 1).copied().unwrap_or(0.0))
            .collect()
    };
    let cg = GridGraph {
        nr: cr,
        nc: cc,
        row_gaps: merge(&g.row_gaps, cr),
        col_gaps: merge(&g.col_gaps, cc),
    };
    let mut cex = vec![0.0; cr * cc];
    for (p, &e) in excess.iter().enumerate() {
        let (i, j) = (p / g.nc, p % g.nc);
        cex[(i / 2) * cc + j / 2] += e;
    }
    (cg, cex)
}

/// A spanning tree of `g` from the coarse optimal tree: each coarse tree edge becomes the
/// fine edge between the two blocks at the block's first row / column, and each block's
/// cells hang from the cell that edge reaches (breadth-first inside the block).
fn lift(g: &GridGraph, cg: &GridGraph, coarse: &Tree) -> Vec<(Ix, Ix)> {
    let (nr, nc) = (g.nr, g.nc);
    let cc = cg.nc;
    let mut link = vec![(NONE, ARTIFICIAL); g.len()];
    // The fine cell of block `b` that block `b`'s tree arc starts from, and its link.
    for b in 0..cg.len() {
        let (bi, bj) = (b / cc, b % cc);
        let slot = coarse.pred[us(coarse.label[b])];
        let anchor;
        if slot == ARTIFICIAL {
            anchor = (2 * bi) * nc + 2 * bj;
        } else {
            let slot = us(slot);
            let a = slot / 2; // the smaller block of the coarse edge
            let (ai, aj) = (a / cc, a % cc);
            let (lo, hi) = if slot % 2 == 0 {
                // a above a + cc: rows (last of a, first of a + cc), column first of a.
                let r = (2 * ai + 1).min(nr - 1);
                let p = r * nc + 2 * aj;
                (p, p + nc)
            } else {
                let c = (2 * aj + 1).min(nc - 1);
                let p = (2 * ai) * nc + c;
                (p, p + 1)
            };
            let fine_slot = if slot % 2 == 0 { 2 * lo } else { 2 * lo + 1 };
            let (mine, theirs) = if a == b { (lo, hi) } else { (hi, lo) };
            anchor = mine;
            link[mine] = (ix(theirs), ix(fine_slot));
        }
        // The other cells of the block, from the anchor.
        let rows = (2 * bi)..(2 * bi + 2).min(nr);
        let cols = (2 * bj)..(2 * bj + 2).min(nc);
        let (ar, ac) = (anchor / nc, anchor % nc);
        for r in rows.clone() {
            for c in cols.clone() {
                let p = r * nc + c;
                if p == anchor {
                    continue;
                }
                // Step towards the anchor: along the row first, then the column.
                let (q, slot) = if c != ac {
                    if c > ac {
                        (p - 1, 2 * (p - 1) + 1)
                    } else {
                        (p + 1, 2 * p + 1)
                    }
                } else if r > ar {
                    (p - nc, 2 * (p - nc))
                } else {
                    (p + nc, 2 * p)
                };
                link[p] = (ix(q), ix(slot));
            }
        }
    }
    link
}
