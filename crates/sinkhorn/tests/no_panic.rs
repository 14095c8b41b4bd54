//! Bad input returns a typed error, never a panic, a hang or a silent NaN: arbitrary
//! supports (uniform grids with any start, step and length, points, 2D grids), masses (NaN,
//! infinities, negatives, zeros, unequal totals, totals that overflow), eps and beta
//! (absolute or relative; zero, negative, tiny, huge, NaN), iteration caps (0, 1, 30,
//! `usize::MAX`), IPOT inner steps (up to `usize::MAX`), eps-scaling factors (including
//! 1 - 1e-12), raw samples and weights go through every public constructor and entry point;
//! every `Ok` result carries a finite cost and objective, and is converged unless partial
//! results were asked for.

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use sinkhorn::{
    Backend, Domain, Eps, EpsScaling, Geometry, Grid2d, Ipot, IpotParams, Potentials, Problem,
    Sinkhorn, SinkhornParams, SinkhornResult, Support1d, Termination, w1_line, wasserstein_1d,
};

/// A float that is sometimes special.
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        24 => 0.0..1.0f64,
        1 => Just(0.0),
        1 => Just(-0.5),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(1e-300),
        1 => Just(1e300),
    ]
}

fn eps_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 1e-4..1.0f64,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(1e-300),
        1 => Just(1e-13),
        1 => Just(1e300),
        1 => Just(f64::INFINITY),
    ]
}

fn eps() -> impl Strategy<Value = Eps> {
    (eps_value(), prop::bool::ANY).prop_map(|(v, relative)| {
        if relative {
            Eps::Relative(v)
        } else {
            Eps::Absolute(v)
        }
    })
}

fn domain() -> impl Strategy<Value = Domain> {
    prop_oneof![
        Just(Domain::Auto),
        Just(Domain::Standard),
        Just(Domain::Log),
        Just(Domain::Stabilized),
    ]
}

fn backend() -> impl Strategy<Value = Backend> {
    prop_oneof![Just(Backend::Colt), Just(Backend::Dense)]
}

fn termination() -> impl Strategy<Value = Termination> {
    (
        prop_oneof![1 => Just(0usize), 1 => Just(1), 8 => Just(30), 1 => Just(usize::MAX)],
        prop_oneof![8 => Just(1e-9), 1 => Just(0.0), 1 => Just(f64::NAN), 1 => Just(-1.0)],
        prop::bool::ANY,
    )
        .prop_map(|(max_iter, tol, allow_partial)| Termination {
            max_iter,
            tol,
            check_every: 10,
            allow_partial,
        })
}

fn inner() -> impl Strategy<Value = usize> {
    prop_oneof![1 => Just(0usize), 8 => Just(5), 1 => Just(1), 1 => Just(usize::MAX)]
}

/// What every `Ok` must satisfy: finite numbers, and converged unless partial results were
/// asked for.
fn check_ok(what: &str, r: &SinkhornResult, termination: &Termination) {
    assert!(
        r.cost.is_finite() && r.objective.is_finite(),
        "{what} returned cost {} objective {}",
        r.cost,
        r.objective
    );
    assert!(
        r.converged() || termination.allow_partial,
        "{what} returned an unconverged Ok without allow_partial"
    );
}

/// Normalised masses on `n` points (zeros allowed), or spoiled: one entry replaced by a
/// special value, unequal totals, or a length off by one.
fn masses(n: usize) -> impl Strategy<Value = Vec<f64>> {
    let weights = prop::collection::vec(prop_oneof![5 => 0.0..1.0f64, 1 => Just(0.0)], n);
    (weights, 0usize..n, value(), 0u8..8).prop_map(|(w, at, special, how)| {
        let total: f64 = w.iter().sum();
        let mut m: Vec<f64> = w.iter().map(|x| x / total).collect();
        match how {
            0 => m[at] = special,
            1 => m[at] *= 2.0,
            2 => m.push(0.1),
            _ => {}
        }
        m
    })
}

/// Problems that reached the solvers, so the test can check it exercised them.
static SOLVED: AtomicUsize = AtomicUsize::new(0);

/// The options a solve gets.
#[derive(Debug, Clone, Copy)]
struct Opts {
    eps: Eps,
    domain: Domain,
    backend: Backend,
    termination: Termination,
    inner: usize,
}

fn opts() -> impl Strategy<Value = Opts> {
    (eps(), domain(), backend(), termination(), inner()).prop_map(
        |(eps, domain, backend, termination, inner)| Opts {
            eps,
            domain,
            backend,
            termination,
            inner,
        },
    )
}

/// Solves with both solvers and the exact W1; every `Ok` must pass [`check_ok`].
fn solve_all(problem: &Problem, o: Opts) {
    SOLVED.fetch_add(1, Ordering::Relaxed);
    let params = SinkhornParams {
        eps: o.eps,
        domain: o.domain,
        backend: o.backend,
        termination: o.termination,
        eps_scaling: None,
        ..Default::default()
    };
    if let Ok(r) = Sinkhorn::new(params).solve(problem) {
        check_ok(&format!("FS-1 at {:?}", o.eps), &r, &o.termination);
    }
    let params = IpotParams {
        beta: o.eps,
        backend: o.backend,
        domain: o.domain,
        termination: o.termination,
        inner: o.inner,
        ..Default::default()
    };
    if let Ok(r) = Ipot::new(params).solve(problem) {
        check_ok(&format!("FS-2 at {:?}", o.eps), &r, &o.termination);
    }
    if let Ok(w) = sinkhorn::exact_w1(problem) {
        assert!(w.is_finite() && w >= 0.0, "exact W1 {w}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lines_never_panic(
        (points, a, b) in (1usize..12).prop_flat_map(|n| {
            (prop::collection::vec(value(), n), masses(n), masses(n))
        }),
        sorted in prop::bool::weighted(0.9),
        o in opts(),
    ) {
        let mut x = points;
        if sorted {
            x.sort_by(f64::total_cmp);
        }
        let Ok(support) = Support1d::points(x) else { return Ok(()) };
        if let Ok(w) = w1_line(&support, &a, &b) {
            prop_assert!(w.is_finite() && w >= 0.0, "w1_line {}", w);
        }
        let Ok(problem) = Problem::line(support, a, b) else { return Ok(()) };
        solve_all(&problem, o);
    }

    #[test]
    fn grids_never_panic(
        (rows, cols, a, b) in (1usize..5, 1usize..5).prop_flat_map(|(r, c)| {
            (Just(r), Just(c), masses(r * c), masses(r * c))
        }),
        o in opts(),
    ) {
        let line = |n: usize| Support1d::linspace(0.0, 1.0, n);
        let (Ok(r), Ok(c)) = (line(rows), line(cols)) else { return Ok(()) };
        let Ok(grid) = Grid2d::new(r, c) else { return Ok(()) };
        let Ok(problem) = Problem::grid(grid, a, b) else { return Ok(()) };
        solve_all(&problem, o);
    }

    #[test]
    fn two_supports_never_panic(
        (x, a) in (1usize..8).prop_flat_map(|n| (prop::collection::vec(value(), n), masses(n))),
        (y, b) in (1usize..8).prop_flat_map(|n| (prop::collection::vec(value(), n), masses(n))),
        o in opts(),
    ) {
        let mut x = x;
        let mut y = y;
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        let Ok(problem) = Problem::on_two_supports(&x, &a, &y, &b) else { return Ok(()) };
        solve_all(&problem, Opts { domain: Domain::Auto, backend: Backend::Colt, ..o });
    }

    #[test]
    fn raw_samples_never_panic(
        (u, uw) in (0usize..10).prop_flat_map(|n| (prop::collection::vec(value(), n), prop::option::of(masses(n.max(1))))),
        (v, vw) in (0usize..10).prop_flat_map(|n| (prop::collection::vec(value(), n), prop::option::of(masses(n.max(1))))),
    ) {
        if let Ok(w) = wasserstein_1d(&u, &v, uw.as_deref(), vw.as_deref()) {
            prop_assert!(w.is_finite() && w >= 0.0, "wasserstein_1d {}", w);
        }
    }

    #[test]
    fn supports_never_panic(
        start in prop_oneof![value(), Just(1e17), Just(-1e308)],
        step in prop_oneof![value(), Just(1.0), Just(1e-300), Just(1e308)],
        len in prop_oneof![0usize..20, Just(1usize << 40), Just(usize::MAX)],
        other in 0usize..5,
    ) {
        if let Ok(s) = Support1d::uniform(start, step, len) {
            prop_assert!(s.diameter().is_finite() && s.diameter() >= 0.0);
            prop_assert!(s.min_gap() > 0.0);
            if s.len() < 100 {
                let x = s.coords();
                prop_assert!(x.windows(2).all(|w| w[0] < w[1]), "coords not increasing: {:?}", x);
            }
            if let Ok(axis) = Support1d::linspace(0.0, 1.0, other) {
                if let Ok(g) = Grid2d::new(s, axis) {
                    let geometry = Geometry::Grid(g);
                    prop_assert!(geometry.diameter().is_finite());
                    let _ = Eps::Relative(1e-2).resolve(&geometry);
                }
            }
        }
        let _ = Support1d::linspace(start, step, len);
    }
}

/// eps-scaling stages, warm starts and batches with arbitrary values: typed error or a
/// finite cost.
fn options_never_panic_on(
    n: usize,
    (start, factor, stage_tol): (Eps, f64, f64),
    warm: Option<(Vec<f64>, Vec<f64>)>,
    o: Opts,
) {
    let Ok(support) = Support1d::linspace(0.0, 1.0, n) else {
        return;
    };
    let a = vec![1.0 / n as f64; n];
    let Ok(problem) = Problem::line(support, a.clone(), a.clone()) else {
        return;
    };
    SOLVED.fetch_add(1, Ordering::Relaxed);
    let params = SinkhornParams {
        eps: o.eps,
        domain: o.domain,
        termination: o.termination,
        eps_scaling: Some(EpsScaling {
            start,
            factor,
            stage_tol,
        }),
        warm_start: warm.map(|(f, g)| Potentials { f, g }),
        ..Default::default()
    };
    let solver = Sinkhorn::new(params);
    if let Ok(r) = solver.solve(&problem) {
        check_ok("FS-1 with options", &r, &o.termination);
    }
    for r in solver
        .solve_batch(problem.geometry(), &[(a.clone(), a.clone()), (a, vec![])])
        .into_iter()
        .flatten()
    {
        check_ok("batch", &r, &o.termination);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn options_never_panic(
        (n, warm) in (1usize..8).prop_flat_map(|n| {
            (
                Just(n),
                prop::option::of((
                    prop::collection::vec(value(), n),
                    prop::collection::vec(value(), 1..9),
                )),
            )
        }),
        scaling in (eps(), prop_oneof![4 => value(), 1 => Just(1.0 - 1e-12)], value()),
        o in opts(),
    ) {
        options_never_panic_on(n, scaling, warm, o);
    }
}

#[test]
fn the_properties_reach_the_solvers() {
    // Runs after (or beside) the properties in the same binary; re-run them here so the
    // count does not depend on test order.
    lines_never_panic();
    grids_never_panic();
    two_supports_never_panic();
    options_never_panic();
    raw_samples_never_panic();
    supports_never_panic();
    assert!(
        SOLVED.load(Ordering::Relaxed) >= 50,
        "only {} generated problems were valid",
        SOLVED.load(Ordering::Relaxed)
    );
}
