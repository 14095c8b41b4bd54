//! Shared test helpers: a seeded generator, random problems, and relative-error checks
//! that list the worst index on failure.
//!
//! The benches include this file too (`#[path = "../tests/common/mod.rs"]`), so that a
//! bench times the very inputs a test or fixture checked: one generator for the crate.
//! Each test or bench uses a part of it.
#![allow(dead_code)]

use sinkhorn::{Grid2d, Problem, Support1d};

/// SplitMix64: a tiny seeded generator (tests need reproducibility, not quality).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

pub fn normalised(v: Vec<f64>) -> Vec<f64> {
    let s: f64 = v.iter().sum();
    v.into_iter().map(|x| x / s).collect()
}

/// Random positive masses in [0.05, 1.05), normalised.
pub fn random_masses(rng: &mut Rng, n: usize) -> Vec<f64> {
    normalised((0..n).map(|_| 0.05 + rng.uniform()).collect())
}

/// Sorted non-uniform points on [0, 1]: cumulative random gaps in [0.2, 1.2), rescaled.
pub fn random_points(rng: &mut Rng, n: usize) -> Vec<f64> {
    let mut x = Vec::with_capacity(n);
    let mut acc = 0.0;
    for _ in 0..n {
        x.push(acc);
        acc += 0.2 + rng.uniform();
    }
    let last = *x.last().unwrap();
    if last > 0.0 {
        x.iter_mut().for_each(|v| *v /= last);
    }
    x
}

/// `rows` random normalised histograms of length `n`, row-major (totals differ from 1 by
/// rounding).
pub fn random_rows(rng: &mut Rng, rows: usize, n: usize) -> Vec<f64> {
    (0..rows).flat_map(|_| random_masses(rng, n)).collect()
}

/// Non-uniform axes: `nr` rows on [0, 1], `nc` columns on [0, 0.7].
pub fn random_axes(rng: &mut Rng, nr: usize, nc: usize) -> Grid2d {
    let rows = random_points(rng, nr);
    let cols: Vec<f64> = random_points(rng, nc)
        .into_iter()
        .map(|v| v * 0.7)
        .collect();
    Grid2d::new(
        Support1d::points(rows).unwrap(),
        Support1d::points(cols).unwrap(),
    )
    .unwrap()
}

/// As `grid_case` in fixtures/make_grid_w1.py (the exact-W1 fixture's inputs, regenerated
/// from its seed): `random_axes`, then random masses `a` and `b`.
pub fn grid_case(seed: u64, nr: usize, nc: usize) -> (Grid2d, Vec<f64>, Vec<f64>) {
    let mut rng = Rng(seed);
    let grid = random_axes(&mut rng, nr, nc);
    let a = random_masses(&mut rng, nr * nc);
    let b = random_masses(&mut rng, nr * nc);
    (grid, a, b)
}

pub fn random_line_problem(rng: &mut Rng, n: usize, uniform: bool) -> Problem {
    let support = if uniform {
        Support1d::linspace(0.0, 1.0, n).unwrap()
    } else {
        Support1d::points(random_points(rng, n)).unwrap()
    };
    Problem::line(support, random_masses(rng, n), random_masses(rng, n)).unwrap()
}

pub fn random_grid_problem(rng: &mut Rng, nr: usize, nc: usize) -> Problem {
    let grid = Grid2d::new(
        Support1d::points(random_points(rng, nr)).unwrap(),
        Support1d::linspace(0.0, 0.7, nc).unwrap(),
    )
    .unwrap();
    Problem::grid(
        grid,
        random_masses(rng, nr * nc),
        random_masses(rng, nr * nc),
    )
    .unwrap()
}

/// max_i |got_i - want_i| / max_i |want_i|, with the worst index.
pub fn rel_err(got: &[f64], want: &[f64]) -> (f64, usize) {
    assert_eq!(got.len(), want.len());
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst = (0.0, 0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let e = (g - w).abs() / scale;
        if e > worst.0 || e.is_nan() {
            worst = (e, i);
        }
    }
    worst
}

/// max_i |got_i - want_i| (for log-domain values, where absolute error is the natural scale).
pub fn abs_err(got: &[f64], want: &[f64]) -> (f64, usize) {
    assert_eq!(got.len(), want.len());
    let mut worst = (0.0, 0);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let e = if g.is_infinite() && w.is_infinite() && g.signum() == w.signum() {
            0.0
        } else {
            (g - w).abs()
        };
        if e > worst.0 || e.is_nan() {
            worst = (e, i);
        }
    }
    worst
}
