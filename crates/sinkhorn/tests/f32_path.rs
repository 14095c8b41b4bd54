//! `Sinkhorn::solve_f32` against `Sinkhorn::solve`, and the inputs it refuses.
//!
//! Tolerances. On `bumps_line` (smooth masses, N = 10^3..10^5) the cost of the f32 path is
//! within `F32_COST_RTOL` of the f64 path's when both stop at `F32_MIN_TOL` (a measured
//! reference: at most 3.3e-9 over these cases, the constant is 30x that; each stored scaling
//! carries one relative `2^-24`, which the cost averages). Elsewhere (N = 1..1025, random,
//! sparse and tiny masses) the two costs are compared against [`stopping_bound`]:
//! `tol * diameter * mass`, the size of the stopping tolerance's own effect on the cost (see
//! there). The violation floor of the f32 path lies a decade below `F32_MIN_TOL` (the
//! margin the constant's doc claims; measured 2.8-2.9e-8, a partial solve with tol 0).

mod common;

use common::{Rng, normalised, random_masses};
use rstest::rstest;
use sinkhorn::cases::bumps_line;
use sinkhorn::{
    Backend, Domain, EpsScaling, F32_COST_RTOL, F32_MIN_TOL, Grid2d, Problem, Side, Sinkhorn,
    SinkhornError, SinkhornParams, SinkhornResult, Support1d, Termination,
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

/// How far apart the f32 and the f64 costs may lie when both stop at `tol`:
/// `tol * diameter * mass`. Why (an estimate, checked by measurement): each path stops at a
/// plan `diag(u) K diag(v)`, the entropic plan of its own marginals, whose columns are within
/// `tol * mass` of `b` in L1 (the rows exact in f64, within `2^-23 * mass` in f32: `a` and
/// `u` rounded once each); were the cost `diameter / 2`-Lipschitz in L1 as W1 is, each cost
/// would lie within `(tol + 2^-23) * diameter * mass / 2` of the plan of the exact marginals,
/// the two within about `(tol + 2^-23) * diameter * mass`. This is the stopping tolerance's
/// own effect, which the f64 path carries as well. Measured over 480 seeded random
/// histograms (N = 2..1023, eps/diameter = 0.0125 and 0.05): f64 stopped at tol 1e-6 lay up
/// to 1.5e-4 (relative) from its own tol-1e-11 cost, and the f32-f64 difference reached
/// 4.9e-7 of `diameter * mass` (seed 39, N = 2, below; the bound is twice that) against
/// relative differences up to 5.4e-6, which `F32_COST_RTOL` does not cover: with few points
/// nothing averages the roundings, a cost small against `diameter * mass` magnifies them, and
/// the two paths may stop at checks ten iterations apart. For N = 1 the bound is 0: both
/// costs must be exactly 0.
fn stopping_bound(problem: &Problem, tol: f64) -> f64 {
    tol * problem.geometry().diameter() * problem.total_mass()
}

/// Both paths at `relative` eps, stopping at `F32_MIN_TOL`: the f64 result and the f32 one.
fn both(
    problem: &Problem,
    relative: f64,
) -> (SinkhornResult, Result<SinkhornResult, SinkhornError>) {
    let p = params(relative, Termination::new(20_000, F32_MIN_TOL));
    let wide = Sinkhorn::new(p.clone()).solve(problem).expect("f64 solve");
    (wide, Sinkhorn::new(p).solve_f32(problem))
}

/// The f32 path converges and its cost lies within [`stopping_bound`] of the f64 path's,
/// with finite potentials wherever the mass is positive.
fn assert_agrees(label: &str, problem: &Problem, relative: f64) {
    let (wide, narrow) = both(problem, relative);
    let narrow = narrow.unwrap_or_else(|e| panic!("{label}: f32 solve failed: {e}"));
    assert!(
        narrow.converged() && narrow.violation <= F32_MIN_TOL,
        "{label}: violation {:e}",
        narrow.violation
    );
    let diff = (narrow.cost - wide.cost).abs();
    let bound = stopping_bound(problem, F32_MIN_TOL);
    println!(
        "{label}, eps/diameter = {relative}: cost f64 {:.12e}, f32 {:.12e}; difference {:.2e} of diameter * mass; iterations {} / {}",
        wide.cost,
        narrow.cost,
        diff / (bound / F32_MIN_TOL).max(f64::MIN_POSITIVE),
        wide.iterations,
        narrow.iterations
    );
    assert!(
        diff <= bound,
        "{label}: |{} - {}| > {bound:e}",
        narrow.cost,
        wide.cost
    );
    for (side, pot, m) in [
        ("f", narrow.f(), problem.a()),
        ("g", narrow.g(), problem.b()),
    ] {
        if let Some(i) = (0..m.len()).find(|&i| m[i] > 0.0 && !pot[i].is_finite()) {
            panic!(
                "{label}: {side}[{i}] = {} where the mass is {:e}",
                pot[i], m[i]
            );
        }
    }
}

fn line(a: Vec<f64>, b: Vec<f64>) -> Problem {
    let n = a.len();
    Problem::line(Support1d::linspace(0.0, 1.0, n).expect("valid"), a, b).expect("valid")
}

/// One and two points. N = 1: `linspace` puts the point at 0, the diameter is 0 and a
/// relative eps falls back to absolute; the plan is the one entry `a_0`, the cost 0 in both
/// paths whatever eps.
#[rstest]
#[case::one_point(vec![1.0], vec![1.0])]
#[case::one_point_mass_3(vec![3.0], vec![3.0])]
#[case::two_points_swapped(vec![1.0, 0.0], vec![0.0, 1.0])]
#[case::two_points_mixed(vec![0.3, 0.7], vec![0.6, 0.4])]
#[case::two_points_equal(vec![0.5, 0.5], vec![0.5, 0.5])]
fn one_and_two_points_agree_with_f64(
    #[case] a: Vec<f64>,
    #[case] b: Vec<f64>,
    #[values(0.0125, 0.05, 1.0)] relative: f64,
) {
    let problem = line(a, b);
    assert_agrees(&format!("N = {}", problem.len()), &problem, relative);
}

/// A single point at any eps, even far outside what `F32_MAX_DIAMETER_OVER_EPS` allows on
/// a longer line: diameter / eps is 0, the kernel the number 1.
#[rstest]
fn one_point_at_any_eps_costs_zero_in_both_paths(#[values(1e-300, 1e-10, 1e10, 1e300)] reg: f64) {
    let problem = line(vec![2.0], vec![2.0]);
    let p = SinkhornParams {
        termination: Termination::new(100, F32_MIN_TOL),
        ..SinkhornParams::with_reg(reg)
    };
    let wide = Sinkhorn::new(p.clone()).solve(&problem).expect("f64 solve");
    let narrow = Sinkhorn::new(p).solve_f32(&problem).expect("f32 solve");
    assert!(narrow.converged());
    assert!(wide.cost.abs() <= 0.0 && narrow.cost.abs() <= 0.0);
    // objective = f a + g b - eps * mass from u = 1 and v = 2, which f32 holds exactly: the
    // same sum in both paths.
    assert!(
        (narrow.objective - wide.objective).abs() <= 0.0,
        "{} vs {}",
        narrow.objective,
        wide.objective
    );
}

/// Sizes around colt's one-pass blocks (`colt::sweep::BLOCK` = 64) and tiles (16 blocks,
/// 1024 entries), and odd sizes below a block, with seeded random masses.
#[rstest]
fn sizes_around_blocks_and_tiles_agree_with_f64(
    #[values(17, 33, 63, 64, 65, 1023, 1024, 1025)] n: usize,
    #[values(0.0125, 0.05)] relative: f64,
) {
    let mut rng = Rng(n as u64);
    let problem = line(random_masses(&mut rng, n), random_masses(&mut rng, n));
    assert_agrees(&format!("N = {n}, random"), &problem, relative);
}

/// Seeded random histograms on two points: the measured worst cases of [`stopping_bound`]'s
/// survey (seed 39: 4.9e-7 of diameter * mass, the two paths stopping at checks ten
/// iterations apart; seed 2: 2.6e-6 relative, a cost 300 times below diameter * mass).
#[rstest]
fn seeded_two_point_histograms_agree_within_the_stopping_bound(
    #[values(2, 11, 17, 33, 39)] seed: u64,
    #[values(0.0125, 0.05)] relative: f64,
) {
    let mut rng = Rng(seed);
    let problem = line(random_masses(&mut rng, 2), random_masses(&mut rng, 2));
    assert_agrees(&format!("seed {seed}, N = 2"), &problem, relative);
}

/// Random masses of which a fraction `zeros` is exactly 0 (at least one kept positive).
fn sparse(rng: &mut Rng, n: usize, zeros: f64) -> Vec<f64> {
    let mut m: Vec<f64> = (0..n)
        .map(|_| {
            if rng.uniform() < zeros {
                0.0
            } else {
                0.05 + rng.uniform()
            }
        })
        .collect();
    if m.iter().all(|&v| v <= 0.0) {
        m[0] = 1.0;
    }
    normalised(m)
}

/// Many exact zeros: their scalings are set to 0, not divided (the one-pass quotient).
#[rstest]
fn many_exact_zeros_agree_with_f64(
    #[values(17, 64, 1025)] n: usize,
    #[values(0.5, 0.9, 0.99)] zeros: f64,
) {
    let mut rng = Rng(1000 + n as u64);
    let problem = line(sparse(&mut rng, n, zeros), sparse(&mut rng, n, zeros));
    assert_agrees(&format!("N = {n}, {zeros} zeros"), &problem, 0.05);
}

/// `random_masses` with `tiny` at entry 0 (and `n / 2` for `n > 2`) and the rest rescaled
/// to total 1.
fn with_tiny(rng: &mut Rng, n: usize, tiny: f64) -> Vec<f64> {
    let mut m = random_masses(rng, n);
    let spots = if n > 2 { vec![0, n / 2] } else { vec![0] };
    let rest: f64 = (0..n).filter(|i| !spots.contains(i)).map(|i| m[i]).sum();
    let keep = 1.0 - tiny * spots.len() as f64;
    for (i, v) in m.iter_mut().enumerate() {
        *v = if spots.contains(&i) {
            tiny
        } else {
            *v * keep / rest
        };
    }
    m
}

/// What the f32 path does with masses just above f32's smallest normal number (which
/// `NotRepresentable` bounds, `f32::MIN_POSITIVE` = 1.18e-38): the mass is stored to f32's
/// precision, but its scaling `u_i = a_i / (K v)_i` falls below f32's normal range as soon as
/// `(K v)_i > a_i / f32::MIN_POSITIVE`, and the solve breaks down with the documented
/// `F32ScalingOutOfRange` (the f64 path converges). Which happens depends on `(K v)_i`; each case
/// states the outcome measured (`breaks_down`), and an agreeing one must agree within
/// [`stopping_bound`].
#[rstest]
#[case::two_points_in_a(2, 2e-38, true, false, 0.05, true)]
#[case::two_points_in_b(2, 2e-38, false, true, 0.05, false)]
#[case::block_in_a(64, 2e-38, true, false, 0.2, false)]
#[case::tile_plus_one_in_a(1025, 2e-38, true, false, 0.05, false)]
#[case::tile_plus_one_in_both(1025, 2e-38, true, true, 0.05, false)]
#[case::tile_plus_one_smallest_normal_in_both(1025, 1.2e-38, true, true, 0.05, false)]
#[case::seventeen_1e30_in_a(17, 1e-30, true, false, 0.0125, true)]
fn masses_near_the_smallest_normal_agree_or_break_down_as_measured(
    #[case] n: usize,
    #[case] tiny: f64,
    #[case] in_a: bool,
    #[case] in_b: bool,
    #[case] relative: f64,
    #[case] breaks_down: bool,
) {
    let mut rng = Rng(7);
    let (a, b) = (with_tiny(&mut rng, n, tiny), with_tiny(&mut rng, n, tiny));
    let (a, b) = (
        if in_a { a } else { random_masses(&mut rng, n) },
        if in_b { b } else { random_masses(&mut rng, n) },
    );
    let problem = line(a, b);
    let label = format!("N = {n}, {tiny:e} in a: {in_a}, in b: {in_b}");
    match both(&problem, relative).1 {
        Err(SinkhornError::F32ScalingOutOfRange { iteration, .. }) if breaks_down => {
            println!("{label}: f32 broke down at iteration {iteration}")
        }
        Ok(_) if !breaks_down => assert_agrees(&label, &problem, relative),
        other => panic!(
            "{label}: expected breaks_down = {breaks_down}, got {:?}",
            other.map(|r| r.cost)
        ),
    }
}

fn four_points() -> Problem {
    line(vec![0.1, 0.2, 0.3, 0.4], vec![0.4, 0.3, 0.2, 0.1])
}

fn with(change: fn(&mut SinkhornParams)) -> SinkhornParams {
    let mut p = params(0.05, Termination::new(1_000, F32_MIN_TOL));
    change(&mut p);
    p
}

/// The refusals of `solve_f32` that `inputs_f32_cannot_hold_are_refused_with_typed_errors`
/// does not reach, each on a problem the f64 path solves: the other options its `# Errors`
/// names, a one-point support given as points (not a uniform line, though trivially
/// evenly spaced), a target mass below f32's normal range, and masses so near `f32::MAX`
/// that the scalings overflow f32 (`F32ScalingOutOfRange`, "a scaling leaves f32's normal
/// range").
#[rstest]
#[case::dense_backend(four_points(), with(|p| p.backend = Backend::Dense),
    |e: &SinkhornError| matches!(e, SinkhornError::InvalidOption { name: "backend", .. }))]
#[case::stabilized_domain(four_points(), with(|p| p.domain = Domain::Stabilized),
    |e: &SinkhornError| matches!(e, SinkhornError::InvalidOption { name: "domain", .. }))]
#[case::eps_scaling(four_points(), with(|p| p.eps_scaling = Some(EpsScaling::default())),
    |e: &SinkhornError| matches!(e, SinkhornError::InvalidOption { name: "eps_scaling", .. }))]
#[case::nan_tol(four_points(), with(|p| p.termination.tol = f64::NAN),
    |e: &SinkhornError| matches!(e, SinkhornError::InvalidOption { .. }))]
#[case::eps_just_too_small(four_points(), with(|p| *p = params(1.0 / 80.5, p.termination)),
    |e: &SinkhornError| matches!(e, SinkhornError::EpsTooSmallForF32 { .. }))]
#[case::one_point_as_points(
    Problem::line(Support1d::points(vec![0.5]).expect("valid"), vec![1.0], vec![1.0]).expect("valid"),
    with(|_| ()),
    |e: &SinkhornError| matches!(e, SinkhornError::Unsupported { .. }))]
#[case::subnormal_target_mass(line(vec![0.5, 0.5], vec![1.0 - 1e-40, 1e-40]), with(|_| ()),
    |e: &SinkhornError| matches!(e, SinkhornError::NotRepresentable { side: Side::Target, .. }))]
#[case::masses_near_f32_max(
    line(vec![1e38, 2e38], vec![2e38, 1e38]), with(|_| ()),
    |e: &SinkhornError| matches!(e, SinkhornError::F32ScalingOutOfRange { .. }))]
fn each_other_refusal_is_its_typed_error(
    #[case] problem: Problem,
    #[case] p: SinkhornParams,
    #[case] expected: fn(&SinkhornError) -> bool,
) {
    let f64_params = SinkhornParams {
        domain: Domain::Auto,
        backend: Backend::Colt,
        termination: Termination::new(1_000, F32_MIN_TOL),
        ..p.clone()
    };
    Sinkhorn::new(f64_params)
        .solve(&problem)
        .expect("the f64 path solves it");
    let got = Sinkhorn::new(p).solve_f32(&problem);
    assert!(
        got.as_ref().is_err_and(expected),
        "unexpected: {:?}",
        got.map(|r| r.cost)
    );
}

/// Below `F32_MIN_TOL` with partial results accepted is not refused: the f32 path runs
/// `max_iter` iterations and returns its last iterate, whose violation stays above its
/// floor.
#[test]
fn a_tolerance_below_the_floor_runs_when_partial_results_are_accepted() {
    let p = params(0.05, Termination::new(200, 1e-12).allowing_partial());
    let r = Sinkhorn::new(p)
        .solve_f32(&four_points())
        .expect("partial f32 solve");
    assert_eq!(r.iterations, 200);
    assert!(!r.converged() && r.violation > 1e-12 && r.violation < F32_MIN_TOL);
}
