//! Diagnostics: how far an emulated kernel is from the f64 reference, and where it broke.
//!
//! [`Probe`] records, while a kernel runs, the largest |score| written by the matrix unit
//! (for PASA: the shifted scores, the quantity that must fit FP16) and non-finite counts
//! per stage; [`ErrorReport`] compares an output with the reference.

use serde::{Deserialize, Serialize};

use crate::round::{Real, count_to_f64};
use crate::tensor::Tensor;

/// Intermediate statistics of one kernel run (merged over all tiles).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// Largest |score| in any score tile (before masking, real keys only), including the
    /// scores that overflowed the score type: their magnitude is recomputed in f64 from
    /// the tile's operands, so it stays meaningful when every score is infinite.
    pub max_abs_score: f64,
    /// Score tile elements that were inf/NaN (overflow of `Q K^T` into the score type).
    pub score_non_finite: usize,
    /// Score tile elements seen.
    pub scores_seen: usize,
    /// Largest finite |c| of PASA's recovered shift.
    pub max_abs_shift: f64,
    /// Non-finite recovered shifts (PASA; overflow of `c` in the stats type).
    pub shift_non_finite: usize,
    /// Non-finite elements of `P`.
    pub prob_non_finite: usize,
    /// Non-finite running maxima or sums (`m`, `l`), counted once per block and row.
    pub stats_non_finite: usize,
    /// Non-finite running output elements, counted per block.
    pub accumulator_non_finite: usize,
}

/// Largest finite |x| (0 if none) and the number of non-finite elements. The maximum is
/// taken in the working type over 8 independent lanes and widened once (widening is exact
/// and monotone, and a maximum of exact comparisons does not depend on the order), so the
/// loop vectorises.
fn scan<T: Real>(xs: &[T]) -> (f64, usize) {
    const LANES: usize = 8;
    // Selects, no branches: `x · 0` is ±0 for a finite `x` and NaN for inf and NaN, a
    // comparison that vectorises, and a non-finite `|x|` enters the maximum as 0.
    let step = |max: &mut T, bad: &mut u32, x: T| {
        let finite = x * T::ZERO == T::ZERO;
        *bad += u32::from(!finite);
        let abs = if x < T::ZERO { T::ZERO - x } else { x };
        let abs = if finite { abs } else { T::ZERO };
        *max = if abs > *max { abs } else { *max };
    };
    let mut lanes = [T::ZERO; LANES];
    // Per-lane counts of one call fit u32 (a tile row has at most 2^30 elements).
    let mut bad = [0_u32; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for chunk in &mut chunks {
        for ((max, bad), &x) in lanes.iter_mut().zip(bad.iter_mut()).zip(chunk) {
            step(max, bad, x);
        }
    }
    for &x in chunks.remainder() {
        step(&mut lanes[0], &mut bad[0], x);
    }
    let max = lanes
        .into_iter()
        .fold(T::ZERO, |m, x| if x > m { x } else { m });
    (max.to_f64(), bad.iter().map(|&b| b as usize).sum())
}

impl Probe {
    /// Record a score tile of rows of `keys` columns, of which the first `real` are real
    /// keys (the rest is block padding, not counted). `exact(row, column)` gives the
    /// magnitude of a score that is not finite in the tile (its product recomputed in f64).
    pub fn observe_scores<T: Real>(
        &mut self,
        scores: &[T],
        keys: usize,
        real: usize,
        exact: impl Fn(usize, usize) -> f64,
    ) {
        let real = real.min(keys);
        for (r, row) in scores.chunks_exact(keys.max(1)).enumerate() {
            let (max, bad) = scan(&row[..real]);
            self.max_abs_score = self.max_abs_score.max(max);
            if bad > 0 {
                for (c, x) in row[..real].iter().enumerate() {
                    if !x.is_finite() {
                        self.max_abs_score = self.max_abs_score.max(exact(r, c).abs());
                    }
                }
            }
            self.score_non_finite += bad;
            self.scores_seen += real;
        }
    }

    /// Record PASA's recovered shifts.
    pub fn observe_shift<T: Real>(&mut self, shift: &[T]) {
        let (max, bad) = scan(shift);
        self.max_abs_shift = self.max_abs_shift.max(max);
        self.shift_non_finite += bad;
    }

    /// Record a probability tile.
    pub fn observe_probabilities<T: Real>(&mut self, p: &[T]) {
        self.prob_non_finite += scan(p).1;
    }

    /// Record the running statistics.
    pub fn observe_stats<T: Real>(&mut self, m: &[T], l: &[T]) {
        self.stats_non_finite += scan(m).1 + scan(l).1;
    }

    /// Record the running output.
    pub fn observe_accumulator<T: Real>(&mut self, o: &[T]) {
        self.accumulator_non_finite += scan(o).1;
    }

    /// Combine with another tile's probe.
    pub fn merge(&mut self, other: &Self) {
        self.max_abs_score = self.max_abs_score.max(other.max_abs_score);
        self.score_non_finite += other.score_non_finite;
        self.scores_seen += other.scores_seen;
        self.max_abs_shift = self.max_abs_shift.max(other.max_abs_shift);
        self.shift_non_finite += other.shift_non_finite;
        self.prob_non_finite += other.prob_non_finite;
        self.stats_non_finite += other.stats_non_finite;
        self.accumulator_non_finite += other.accumulator_non_finite;
    }
}

/// Error of an output against the f64 reference.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorReport {
    /// Root-mean-square error over the finite outputs; NaN if none is finite.
    pub rmse: f64,
    /// Largest absolute error over the finite outputs.
    pub max_abs: f64,
    /// `||out - ref||_2 / ||ref||_2` over the finite outputs.
    pub relative: f64,
    /// Output elements that are inf or NaN.
    pub non_finite: usize,
    /// Output elements.
    pub total: usize,
}

impl ErrorReport {
    /// Compare `out` with `reference` (same shape). The shapes are not checked: elements
    /// are paired in storage order over the shorter of the two, so pass tensors of one
    /// shape (as [`attention`](crate::attention()) and
    /// [`reference_attention`](crate::reference_attention()) return for the same inputs).
    #[must_use]
    pub fn compare(out: &Tensor<f64>, reference: &Tensor<f64>) -> Self {
        let mut sq = 0.0;
        let mut ref_sq = 0.0;
        let mut max_abs = 0.0_f64;
        let mut finite = 0_usize;
        let mut non_finite = 0;
        for (&o, &r) in out.data().iter().zip(reference.data()) {
            if o.is_finite() {
                let e = o - r;
                sq += e * e;
                ref_sq += r * r;
                max_abs = max_abs.max(e.abs());
                finite += 1;
            } else {
                non_finite += 1;
            }
        }
        let rmse = if finite == 0 {
            f64::NAN
        } else {
            (sq / count_to_f64(finite)).sqrt()
        };
        Self {
            rmse,
            max_abs,
            relative: (sq / ref_sq).sqrt(),
            non_finite,
            total: out.data().len(),
        }
    }

    /// Whether every output is finite.
    #[must_use]
    pub fn all_finite(&self) -> bool {
        self.non_finite == 0
    }
}
