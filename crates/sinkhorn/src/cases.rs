//! Standard problems shared by tests, benches and `xtask validate`, so every number in a
//! report is measured on the same, reproducible input.

use crate::error::Result;
use crate::problem::Problem;
use crate::support::{Grid2d, Support1d};

fn normalised(v: Vec<f64>) -> Vec<f64> {
    let s: f64 = v.iter().sum();
    v.into_iter().map(|x| x / s).collect()
}

/// 1D: `n` uniform points on `[0, 1]`; `a` a Gaussian bump at 0.3 (width 0.1), `b` a
/// mixture of bumps at 0.7 (0.14) and 0.2 (0.07), both normalised and bounded away from
/// zero (a 1e-3 floor, so every mass is positive).
///
/// ```
/// let p = sinkhorn::cases::bumps_line(100)?;
/// assert_eq!(p.len(), 100);
/// assert!((p.total_mass() - 1.0).abs() < 1e-12);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// [`crate::SinkhornError::Empty`] for `n == 0`.
pub fn bumps_line(n: usize) -> Result<Problem> {
    let support = Support1d::linspace(0.0, 1.0, n)?;
    let xs = support.coords();
    let a = normalised(
        xs.iter()
            .map(|x| (-((x - 0.3) / 0.1).powi(2)).exp() + 1e-3)
            .collect(),
    );
    let b = normalised(
        xs.iter()
            .map(|x| {
                (-((x - 0.7) / 0.14).powi(2)).exp()
                    + 0.5 * (-((x - 0.2) / 0.07).powi(2)).exp()
                    + 1e-3
            })
            .collect(),
    );
    Problem::line(support, a, b)
}

/// 2D: the `side x side` uniform grid on `[0, 1]^2`; `a` a bump at (0.3, 0.4), `b` a
/// bump at (0.7, 0.6) plus a smaller one at (0.2, 0.8), normalised, 1e-3 floor.
///
/// ```
/// let p = sinkhorn::cases::bumps_grid(16)?;
/// assert_eq!((p.len(), p.geometry().diameter()), (256, 2.0));
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// [`crate::SinkhornError::Empty`] for `side == 0`.
pub fn bumps_grid(side: usize) -> Result<Problem> {
    let grid = Grid2d::unit_square(side)?;
    let xs = grid.rows.coords();
    let ys = grid.cols.coords();
    let mut a = Vec::with_capacity(side * side);
    let mut b = Vec::with_capacity(side * side);
    for &x in &xs {
        for &y in &ys {
            let r2 = |cx: f64, cy: f64, w: f64| ((x - cx).powi(2) + (y - cy).powi(2)) / (w * w);
            a.push((-r2(0.3, 0.4, 0.15)).exp() + 1e-3);
            b.push((-r2(0.7, 0.6, 0.12)).exp() + 0.5 * (-r2(0.2, 0.8, 0.08)).exp() + 1e-3);
        }
    }
    Problem::grid(grid, normalised(a), normalised(b))
}
