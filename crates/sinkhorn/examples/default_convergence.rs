//! Does the default call converge? The table behind `docs/sinkhorn.md` ("Defaults that
//! converge"): FS-1 with default options except `eps = r * diameter`, over N and r, on 1D
//! lines and 2D grids, with two marginal families (smooth bumps, and a sparse target with
//! 90% zero masses); FS-2 with its defaults on the same lines.
//!
//! `cargo run --release -p sinkhorn --example default_convergence -- [max_n] [fs2_max_n]`
//! (cases run in parallel, one per core; each line of output is one table row).

use std::time::Instant;

use rayon::prelude::*;
use sinkhorn::cases::{bumps_grid, bumps_line};
use sinkhorn::{Ipot, Problem, Sinkhorn, SinkhornError, exact_w1};

/// `bumps_line(n)` with the target's mass moved onto every tenth point only.
fn sparse_line(n: usize) -> Result<Problem, SinkhornError> {
    let p = bumps_line(n)?;
    let mut b: Vec<f64> = p.b().to_vec();
    for (i, v) in b.iter_mut().enumerate() {
        if i % 10 != 0 {
            *v = 0.0;
        }
    }
    let s: f64 = b.iter().sum();
    let b: Vec<f64> = b.iter().map(|v| v / s).collect();
    let a: Vec<f64> = p.a().to_vec();
    Problem::new(p.geometry().clone(), a, b)
}

#[derive(Clone, Copy, Debug)]
enum Family {
    Line,
    SparseLine,
    Grid,
}

fn problem(family: Family, n: usize) -> Result<Problem, SinkhornError> {
    match family {
        Family::Line => bumps_line(n),
        Family::SparseLine => sparse_line(n),
        Family::Grid => bumps_grid((n as f64).sqrt().round() as usize),
    }
}

fn main() {
    let arg = |i: usize, default: usize| -> usize {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse::<f64>().ok())
            .map_or(default, |v| v as usize)
    };
    let max_n = arg(1, 1_000_000);
    let fs2_max_n = arg(2, 100_000);
    let sizes: Vec<usize> = [1_000, 10_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|&n| n <= max_n)
        .collect();
    let rels: [f64; 4] = [1e-1, 1e-2, 3e-3, 1e-3];
    let mut cases = Vec::new();
    for family in [Family::Line, Family::SparseLine, Family::Grid] {
        for &n in &sizes {
            for &r in &rels {
                cases.push(("FS-1", family, n, r));
            }
        }
    }
    for family in [Family::Line, Family::SparseLine] {
        for &n in sizes.iter().filter(|&&n| n <= fs2_max_n) {
            cases.push(("FS-2", family, n, 0.0_f64));
        }
    }
    // Largest first, so the long cases start early.
    cases.sort_by(|x, y| y.2.cmp(&x.2).then(x.3.total_cmp(&y.3)));
    println!(
        "| solver | family | N | eps/diameter | converged | iterations | violation | domain | seconds | cost | rel. err vs W1 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    cases.par_iter().for_each(|&(solver, family, n, r)| {
        let p = match problem(family, n) {
            Ok(p) => p,
            Err(e) => {
                println!("| {solver} | {family:?} | {n} | {r:e} | build error: {e} |");
                return;
            }
        };
        let t = Instant::now();
        let out = if solver == "FS-1" {
            Sinkhorn::with_relative_eps(r).solve(&p)
        } else {
            Ipot::default().solve(&p)
        };
        let secs = t.elapsed().as_secs_f64();
        let exact = match family {
            Family::Grid => None,
            _ => exact_w1(&p).ok(),
        };
        let row = |res: &sinkhorn::SinkhornResult, ok: bool| {
            let rel = exact.map_or("-".to_owned(), |w| format!("{:.1e}", (res.cost - w).abs() / w));
            println!(
                "| {solver} | {family:?} | {} | {r:e} | {} | {} | {:.1e} | {:?} | {secs:.1} | {:.6} | {rel} |",
                p.len(),
                if ok { "yes" } else { "NO" },
                res.iterations,
                res.violation,
                res.domain,
                res.cost
            );
        };
        match out {
            Ok(res) => row(&res, true),
            Err(SinkhornError::NotConverged { partial, .. }) => row(&partial, false),
            Err(e) => println!("| {solver} | {family:?} | {n} | {r:e} | error: {e} |"),
        }
    });
}
