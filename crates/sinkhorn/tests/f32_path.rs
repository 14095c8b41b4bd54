//! `Sinkhorn::solve_f32` against `Sinkhorn::solve`, and the inputs it refuses.
//!
//! Tolerances: the cost of the f32 path is within `F32_COST_RTOL` of the f64 path's when
//! both stop at `F32_MIN_TOL` (a measured reference: at most 3.3e-9 over these cases, the
//! constant is 30x that; each stored scaling carries one relative `2^-24`, which the cost
//! averages); the violation floor of the f32 path lies a decade below `F32_MIN_TOL` (the
//! margin the constant's doc claims; measured 2.8-2.9e-8, a partial solve with tol 0).

use sinkhorn::cases::bumps_line;
use sinkhorn::{
    Domain, F32_COST_RTOL, F32_MIN_TOL, Grid2d, Problem, Side, Sinkhorn, SinkhornError,
    SinkhornParams, Support1d, Termination,
};

fn params(relative: f64, termination: Termination) -> SinkhornParams {
    SinkhornParams {
        termination,
        eps_scaling: None,
        ..SinkhornParams::with_relative_eps(relative)
    }
}

#[test]
fn f32_cost_matches_f64_within_the_documented_tolerance() {
    let mut worst: f64 = 0.0;
    for &n in &[1_000usize, 10_000, 100_000] {
        let problem = bumps_line(n).expect("valid problem");
        for &relative in &[0.02, 0.05, 0.2] {
            let p = params(relative, Termination::new(20_000, F32_MIN_TOL));
            let wide = Sinkhorn::new(p.clone()).solve(&problem).expect("f64 solve");
            let narrow = Sinkhorn::new(p).solve_f32(&problem).expect("f32 solve");
            assert!(narrow.converged() && narrow.violation <= F32_MIN_TOL);
            let rel = (narrow.cost - wide.cost).abs() / wide.cost;
            println!(
                "N = {n}, eps/diameter = {relative}: cost f64 {:.12e}, f32 {:.12e}, relative difference {rel:.2e}; iterations {} / {}",
                wide.cost, narrow.cost, wide.iterations, narrow.iterations
            );
            worst = worst.max(rel);
            assert!(
                rel <= F32_COST_RTOL,
                "N = {n}, eps/diameter = {relative}: {rel:e}"
            );
        }
    }
    println!("largest relative cost difference f32 vs f64: {worst:.2e}");
}

#[test]
fn f32_violation_floor_is_a_decade_below_the_smallest_tolerance() {
    for &n in &[1_000usize, 100_000] {
        let problem = bumps_line(n).expect("valid problem");
        let p = params(
            0.05,
            Termination {
                check_every: 10,
                ..Termination::new(3_000, 0.0).allowing_partial()
            },
        );
        let r = Sinkhorn::new(p).solve_f32(&problem).expect("f32 solve");
        let floor = r.history.iter().map(|h| h.1).fold(f64::INFINITY, f64::min);
        println!("N = {n}: smallest violation of the f32 path over 3000 iterations {floor:.2e}");
        assert!(floor <= F32_MIN_TOL / 10.0, "N = {n}: floor {floor:e}");
    }
}

#[test]
fn inputs_f32_cannot_hold_are_refused_with_typed_errors() {
    let x = Support1d::linspace(0.0, 1.0, 4).expect("valid support");
    let solver = Sinkhorn::new(params(0.05, Termination::new(100, 1e-6)));
    let tiny = Problem::line(x.clone(), vec![0.5, 0.5 - 1e-45, 1e-45, 0.0], vec![0.25; 4])
        .expect("a valid f64 problem");
    assert!(matches!(
        solver.solve_f32(&tiny),
        Err(SinkhornError::NotRepresentable {
            side: Side::Source,
            index: 2,
            ..
        })
    ));
    let huge = Problem::line(x.clone(), vec![1e39, 1e39, 0.0, 0.0], vec![5e38; 4]).expect("valid");
    assert!(matches!(
        solver.solve_f32(&huge),
        Err(SinkhornError::NotRepresentable { index: 0, .. })
    ));
    let fine = Problem::line(x, vec![0.25; 4], vec![0.25; 4]).expect("valid");
    let small_eps = Sinkhorn::new(params(1e-3, Termination::new(100, 1e-6)));
    assert!(matches!(
        small_eps.solve_f32(&fine),
        Err(SinkhornError::EpsTooSmallForF32 { .. })
    ));
    let strict = Sinkhorn::new(params(0.05, Termination::new(100, 1e-9)));
    assert!(matches!(
        strict.solve_f32(&fine),
        Err(SinkhornError::InvalidOption {
            name: "termination.tol",
            ..
        })
    ));
    let log = Sinkhorn::new(SinkhornParams {
        domain: Domain::Log,
        ..params(0.05, Termination::new(100, 1e-6))
    });
    assert!(matches!(
        log.solve_f32(&fine),
        Err(SinkhornError::InvalidOption { name: "domain", .. })
    ));
    let points = Support1d::points(vec![0.0, 0.1, 0.7, 1.0]).expect("valid");
    let uneven = Problem::line(points, vec![0.25; 4], vec![0.25; 4]).expect("valid");
    assert!(matches!(
        solver.solve_f32(&uneven),
        Err(SinkhornError::Unsupported { .. })
    ));
    let grid = Problem::grid(
        Grid2d::unit_square(2).expect("valid"),
        vec![0.25; 4],
        vec![0.25; 4],
    )
    .expect("valid");
    assert!(matches!(
        solver.solve_f32(&grid),
        Err(SinkhornError::Unsupported { .. })
    ));
}
