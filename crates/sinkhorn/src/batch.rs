//! Many transport problems on one support at once: paired batches and distance matrices
//! (SciPy `pdist`-style condensed, `cdist`-style A vs B) of exact W1 or Sinkhorn costs,
//! in parallel with rayon.
//!
//! Why a module of its own: the common workload beyond one big problem is many small ones
//! (all pairwise W1 distances over a collection of histograms, for clustering, retrieval
//! or two-sample tests). Three things matter there that a loop over [`exact_w1`] does not
//! give:
//!
//! - **Validate everything before any work.** [`Histograms::new`] checks every row once
//!   (finite, non-negative, positive total, the same total as the first row within
//!   [`TOTAL_MASS_RTOL`]) and names a bad one by its row index
//!   ([`SinkhornError::InvalidHistogram`]), so a bad row fails in microseconds instead of
//!   after hours of solves.
//! - **The same bits whatever the thread count.** Each entry is one problem solved on its
//!   own by the same code as the one-at-a-time path (`exact_w1` or [`Sinkhorn::solve`] on
//!   `Problem::new(geometry, a, b)`); nothing is reduced across threads, so 1, 2 or 64
//!   threads (or a cluster computing blocks with [`cdist`] and [`pdist`]) give identical
//!   matrices.
//! - **Deterministic failures.** When solves fail (a Sinkhorn that does not converge, an
//!   uncertified flow), the error reported is the one of the lowest entry index
//!   ([`SinkhornError::PairFailed`]), not whichever thread finished first.
//!
//! Histograms are rows of a row-major matrix, each of the support's length (row-major
//! cells on a grid). On a line the exact W1 is the O(N) CDF formula; on a grid it is the
//! certified min-cost flow of [`crate::exact_grid`] (superlinear in the cells; see
//! `docs/sinkhorn.md`).

use std::sync::Mutex;

use rayon::prelude::*;

use crate::error::{Result, SinkhornError};
use crate::exact::{exact_w1, w1_cdf_balanced};
use crate::fs1::Sinkhorn;
use crate::problem::{Problem, TOTAL_MASS_RTOL, check_masses};
use crate::support::Geometry;

/// The cost computed for each pair of histograms.
#[derive(Debug, Clone, Copy)]
pub enum PairCost<'s> {
    /// Exact W1 ([`exact_w1`]).
    ExactW1,
    /// The transport cost `<C, T>` of a converged Sinkhorn solve ([`Sinkhorn::solve`]'s
    /// `cost`, POT's `sinkhorn2`).
    Sinkhorn(&'s Sinkhorn),
}

/// A validated set of histograms on one geometry: the rows of a row-major matrix.
///
/// ```
/// use sinkhorn::{Geometry, SinkhornError, Support1d, batch::Histograms};
/// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 3)?);
/// let h = Histograms::new(&line, &[1.0, 0.0, 0.0, 0.2, 0.3, 0.5])?;
/// assert_eq!((h.rows(), h.row(1)), (2, &[0.2, 0.3, 0.5][..]));
/// let bad = Histograms::new(&line, &[1.0, 0.0, 0.0, 0.5, f64::NAN, 0.5]).unwrap_err();
/// assert!(matches!(bad, SinkhornError::InvalidHistogram { row: 1, .. }));
/// # Ok::<(), SinkhornError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Histograms<'a> {
    geometry: &'a Geometry,
    data: &'a [f64],
    totals: Vec<f64>,
}

impl<'a> Histograms<'a> {
    /// The rows of `data` (row-major, `rows x geometry.len()`), every one validated.
    ///
    /// An empty `data` is a set of zero histograms (valid: its matrices are empty).
    ///
    /// # Errors
    /// [`SinkhornError::LengthMismatch`] when `data.len()` is not a multiple of the
    /// support's length; [`SinkhornError::InvalidHistogram`] with the first bad row's index
    /// and the reason ([`SinkhornError::InvalidMass`], [`SinkhornError::ZeroMass`],
    /// [`SinkhornError::MassOverflow`], or [`SinkhornError::UnequalMass`] against row 0's
    /// total, relative tolerance [`TOTAL_MASS_RTOL`]).
    pub fn new(geometry: &'a Geometry, data: &'a [f64]) -> Result<Self> {
        let n = geometry.len();
        if data.len() % n != 0 {
            return Err(SinkhornError::LengthMismatch {
                what: "histogram data (rows x support length)",
                expected: (data.len() / n + 1) * n,
                got: data.len(),
            });
        }
        let totals = data
            .chunks_exact(n)
            .enumerate()
            .map(|(row, h)| check_masses(crate::Side::Source, h, n).map_err(|e| invalid(row, e)))
            .collect::<Result<Vec<f64>>>()?;
        let set = Histograms {
            geometry,
            data,
            totals,
        };
        if let Some(&reference) = set.totals.first() {
            set.check_totals(reference, 0)?;
        }
        Ok(set)
    }

    /// Number of histograms.
    pub fn rows(&self) -> usize {
        self.totals.len()
    }

    /// Histogram `i`.
    ///
    /// # Panics
    /// If `i >= self.rows()`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        let n = self.geometry.len();
        &self.data[i * n..(i + 1) * n]
    }

    /// The geometry the histograms live on.
    pub fn geometry(&self) -> &'a Geometry {
        self.geometry
    }

    /// Every row's total within [`TOTAL_MASS_RTOL`] of `reference`; rows numbered from
    /// `offset` in errors.
    fn check_totals(&self, reference: f64, offset: usize) -> Result<()> {
        for (row, &total) in self.totals.iter().enumerate() {
            let relative = (reference - total).abs() / reference.max(total);
            if relative > TOTAL_MASS_RTOL {
                return Err(invalid(
                    row + offset,
                    SinkhornError::UnequalMass {
                        source_total: reference,
                        target_total: total,
                        relative,
                        tolerance: TOTAL_MASS_RTOL,
                    },
                ));
            }
        }
        Ok(())
    }

    /// Whether `b` can be paired with this set ([`cdist`], [`paired`] check it before any
    /// solve): the same geometry, and every row of `b` with this set's first total within
    /// [`TOTAL_MASS_RTOL`].
    ///
    /// # Errors
    /// [`SinkhornError::LengthMismatch`] for another geometry;
    /// [`SinkhornError::InvalidHistogram`] with the first row of `b` whose total differs.
    pub fn check_compatible(&self, b: &Histograms<'_>) -> Result<()> {
        if self.geometry != b.geometry {
            return Err(SinkhornError::LengthMismatch {
                what: "the two histogram sets' geometries (they must be the same support)",
                expected: self.geometry.len(),
                got: b.geometry.len(),
            });
        }
        match self.totals.first() {
            Some(&reference) => b.check_totals(reference, 0),
            None => Ok(()),
        }
    }
}

fn invalid(row: usize, error: SinkhornError) -> SinkhornError {
    SinkhornError::InvalidHistogram {
        row,
        error: Box::new(error),
    }
}

/// The cost between `a` and `b` exactly as the one-at-a-time path computes it:
/// `exact_w1(&Problem::new(geometry, a, b))` or `Sinkhorn::solve(..).cost`. On a line the
/// problem is not materialised: the CDF formula runs on the rows as they are (see
/// `w1_cdf_balanced` for the rescaling of `b`).
fn pair_cost(
    geometry: &Geometry,
    gaps: &[f64],
    cost: PairCost<'_>,
    (a, ta): (&[f64], f64),
    (b, tb): (&[f64], f64),
    scratch: &mut Vec<f64>,
) -> Result<f64> {
    match (cost, geometry) {
        (PairCost::ExactW1, Geometry::Line(_)) => Ok(w1_cdf_balanced(
            gaps.iter().copied(),
            a,
            b,
            (ta, tb),
            scratch,
        )),
        (PairCost::ExactW1, _) => {
            exact_w1(&Problem::new(geometry.clone(), a.to_vec(), b.to_vec())?)
        }
        (PairCost::Sinkhorn(solver), _) => solver
            .solve(&Problem::new(geometry.clone(), a.to_vec(), b.to_vec())?)
            .map(|r| r.cost),
    }
}

/// A line's gaps `x[i] - x[i-1]`, computed as `w1_line` computes them (empty on a grid).
fn line_gaps(geometry: &Geometry) -> Vec<f64> {
    match geometry {
        Geometry::Line(s) => (1..s.len()).map(|i| s.coord(i) - s.coord(i - 1)).collect(),
        Geometry::Grid(_) => Vec::new(),
    }
}

/// The failure with the lowest entry index seen so far (deterministic whatever the
/// order in which threads report).
struct FirstFailure(Mutex<Option<(usize, SinkhornError)>>);

impl FirstFailure {
    fn new() -> Self {
        FirstFailure(Mutex::new(None))
    }

    fn record(&self, index: usize, error: SinkhornError) {
        let mut slot = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if slot.as_ref().is_none_or(|(k, _)| index < *k) {
            *slot = Some((index, error));
        }
    }

    fn into_result<T>(self, value: T, entry: impl Fn(usize) -> (usize, usize)) -> Result<T> {
        let slot = self
            .0
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match slot {
            None => Ok(value),
            Some((k, error)) => {
                let (row, col) = entry(k);
                Err(SinkhornError::PairFailed {
                    row,
                    col,
                    error: Box::new(error),
                })
            }
        }
    }
}

/// Entry `k` of `out` is `cost(pair(k))`; failures leave NaN there and are recorded.
fn fill<'h>(
    out: &mut [f64],
    geometry: &Geometry,
    cost: PairCost<'_>,
    offset: usize,
    pair: &(impl Fn(usize) -> ((&'h [f64], f64), (&'h [f64], f64)) + Sync),
    failures: &FirstFailure,
) {
    let gaps = line_gaps(geometry);
    out.par_iter_mut()
        .enumerate()
        .for_each_init(Vec::new, |scratch, (k, o)| {
            let (a, b) = pair(offset + k);
            *o = pair_cost(geometry, &gaps, cost, a, b, scratch).unwrap_or_else(|e| {
                failures.record(offset + k, e);
                f64::NAN
            });
        });
}

/// `cost(a[i], b[i])` for every row `i` (a batch of independent problems, e.g. 10,000
/// pairs of 1D histograms).
///
/// ```
/// use sinkhorn::{Geometry, Support1d, batch::{Histograms, PairCost, paired}};
/// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 3)?);
/// let a = Histograms::new(&line, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0])?;
/// let b = Histograms::new(&line, &[0.0, 0.0, 1.0, 0.0, 1.0, 0.0])?;
/// assert_eq!(paired(&a, &b, PairCost::ExactW1)?, vec![1.0, 0.0]);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// [`SinkhornError::LengthMismatch`] when the sets differ in geometry or row count;
/// [`SinkhornError::InvalidHistogram`] for a row of `b` whose total differs from `a`'s
/// (before any solve); [`SinkhornError::PairFailed`] (lowest row index) when a solve fails.
pub fn paired(a: &Histograms<'_>, b: &Histograms<'_>, cost: PairCost<'_>) -> Result<Vec<f64>> {
    a.check_compatible(b)?;
    if a.rows() != b.rows() {
        return Err(SinkhornError::LengthMismatch {
            what: "paired histogram sets (rows of b vs rows of a)",
            expected: a.rows(),
            got: b.rows(),
        });
    }
    let mut out = vec![0.0; a.rows()];
    let failures = FirstFailure::new();
    let pair = |k: usize| ((a.row(k), a.totals[k]), (b.row(k), b.totals[k]));
    fill(&mut out, a.geometry, cost, 0, &pair, &failures);
    failures.into_result(out, |k| (k, k))
}

/// The `a.rows() x b.rows()` matrix (row-major) of `cost(a[i], b[j])`: SciPy's `cdist`.
///
/// ```
/// use sinkhorn::{Geometry, Support1d, batch::{Histograms, PairCost, cdist}};
/// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 3)?);
/// let a = Histograms::new(&line, &[1.0, 0.0, 0.0])?;
/// let b = Histograms::new(&line, &[0.0, 1.0, 0.0, 0.0, 0.0, 1.0])?;
/// assert_eq!(cdist(&a, &b, PairCost::ExactW1)?, vec![0.5, 1.0]);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// [`SinkhornError::LengthMismatch`] when the sets have different geometries;
/// [`SinkhornError::InvalidHistogram`] for a row of `b` whose total differs from `a`'s
/// first (before any solve); [`SinkhornError::PairFailed`] with the `(i, j)` of the
/// lowest failing entry.
pub fn cdist(a: &Histograms<'_>, b: &Histograms<'_>, cost: PairCost<'_>) -> Result<Vec<f64>> {
    a.check_compatible(b)?;
    let (na, nb) = (a.rows(), b.rows());
    let mut out = vec![0.0; na * nb];
    let failures = FirstFailure::new();
    let pair = |k: usize| {
        let (i, j) = (k / nb, k % nb);
        ((a.row(i), a.totals[i]), (b.row(j), b.totals[j]))
    };
    fill(&mut out, a.geometry, cost, 0, &pair, &failures);
    failures.into_result(out, |k| (k / nb, k % nb))
}

/// Length of the condensed matrix of `rows` histograms: `rows (rows - 1) / 2`.
pub fn condensed_len(rows: usize) -> usize {
    rows * rows.saturating_sub(1) / 2
}

/// Offset in the condensed matrix of row `i`'s first entry `(i, i + 1)`.
fn condensed_row_start(rows: usize, i: usize) -> usize {
    // sum over r < i of (rows - 1 - r)
    i * (2 * rows - i - 1) / 2
}

/// The condensed matrix (SciPy `pdist` order: `(0,1), (0,2), .., (1,2), ..`) of
/// `cost(h[i], h[j])` for `i < j`, each pair solved once with `a = h[i]`, `b = h[j]`.
///
/// ```
/// use sinkhorn::{Geometry, Support1d, batch::{Histograms, PairCost, pdist}};
/// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 3)?);
/// let h = Histograms::new(&line, &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0])?;
/// assert_eq!(pdist(&h, PairCost::ExactW1)?, vec![0.5, 1.0, 0.5]);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// [`SinkhornError::PairFailed`] with the `(i, j)` of the lowest failing entry (rows are
/// validated by [`Histograms::new`]).
pub fn pdist(h: &Histograms<'_>, cost: PairCost<'_>) -> Result<Vec<f64>> {
    let rows = h.rows();
    let mut out = vec![0.0; condensed_len(rows)];
    let failures = FirstFailure::new();
    // Row segments of the condensed output, filled in parallel over rows and within each.
    let mut segments = Vec::with_capacity(rows);
    let mut rest = out.as_mut_slice();
    for i in 0..rows {
        let (segment, tail) = rest.split_at_mut(rows - 1 - i);
        segments.push((i, segment));
        rest = tail;
    }
    segments.into_par_iter().for_each(|(i, segment)| {
        let pair = |k: usize| {
            let j = k - condensed_row_start(rows, i) + i + 1;
            ((h.row(i), h.totals[i]), (h.row(j), h.totals[j]))
        };
        fill(
            segment,
            h.geometry,
            cost,
            condensed_row_start(rows, i),
            &pair,
            &failures,
        );
    });
    failures.into_result(out, |k| condensed_entry(rows, k))
}

/// `(i, j)` of entry `k` of the condensed matrix of `rows` histograms.
fn condensed_entry(rows: usize, k: usize) -> (usize, usize) {
    let i = (0..rows)
        .take_while(|&i| condensed_row_start(rows, i) <= k)
        .last()
        .unwrap_or(0);
    (i, k - condensed_row_start(rows, i) + i + 1)
}
