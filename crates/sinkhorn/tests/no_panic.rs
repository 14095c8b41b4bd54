//! Bad input returns a typed error, never a panic or a silent NaN: arbitrary supports,
//! masses (NaN, infinities, negatives, zeros, unequal totals), eps and beta (zero,
//! negative, tiny, huge, NaN) go through `Problem` and both solvers, and every `Ok` result
//! carries a finite cost.

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use sinkhorn::{
    Backend, Domain, EpsScaling, Grid2d, Ipot, IpotParams, Potentials, Problem, Sinkhorn,
    SinkhornParams, Support1d, Termination,
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

fn eps() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 1e-4..1.0f64,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(1e-300),
        1 => Just(1e300),
        1 => Just(f64::INFINITY),
    ]
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

fn termination() -> Termination {
    Termination {
        max_iter: 30,
        tol: 1e-9,
        check_every: 10,
    }
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

/// Solves with both solvers; every `Ok` must have a finite cost.
fn solve_all(problem: &Problem, eps: f64, domain: Domain, backend: Backend) {
    SOLVED.fetch_add(1, Ordering::Relaxed);
    let params = SinkhornParams {
        eps,
        domain,
        backend,
        termination: termination(),
        ..Default::default()
    };
    if let Ok(r) = Sinkhorn::new(params).solve(problem) {
        assert!(
            r.cost.is_finite(),
            "FS-1 returned cost {} at eps {eps}",
            r.cost
        );
    }
    let params = IpotParams {
        beta: eps,
        backend,
        domain,
        termination: termination(),
        ..Default::default()
    };
    if let Ok(r) = Ipot::new(params).solve(problem) {
        assert!(
            r.cost.is_finite(),
            "FS-2 returned cost {} at beta {eps}",
            r.cost
        );
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
        eps in eps(),
        domain in domain(),
        backend in backend(),
    ) {
        let mut x = points;
        if sorted {
            x.sort_by(f64::total_cmp);
        }
        let Ok(support) = Support1d::points(x) else { return Ok(()) };
        let Ok(problem) = Problem::line(support, a, b) else { return Ok(()) };
        solve_all(&problem, eps, domain, backend);
    }

    #[test]
    fn grids_never_panic(
        (rows, cols, a, b) in (1usize..5, 1usize..5).prop_flat_map(|(r, c)| {
            (Just(r), Just(c), masses(r * c), masses(r * c))
        }),
        eps in eps(),
        domain in domain(),
        backend in backend(),
    ) {
        let line = |n: usize| Support1d::linspace(0.0, 1.0, n);
        let (Ok(r), Ok(c)) = (line(rows), line(cols)) else { return Ok(()) };
        let Ok(problem) = Problem::grid(Grid2d::new(r, c), a, b) else { return Ok(()) };
        solve_all(&problem, eps, domain, backend);
    }

    #[test]
    fn two_supports_never_panic(
        (x, a) in (1usize..8).prop_flat_map(|n| (prop::collection::vec(value(), n), masses(n))),
        (y, b) in (1usize..8).prop_flat_map(|n| (prop::collection::vec(value(), n), masses(n))),
        eps in eps(),
    ) {
        let mut x = x;
        let mut y = y;
        x.sort_by(f64::total_cmp);
        y.sort_by(f64::total_cmp);
        let Ok(problem) = Problem::on_two_supports(&x, &a, &y, &b) else { return Ok(()) };
        solve_all(&problem, eps, Domain::Auto, Backend::Colt);
    }
}

/// eps-scaling stages, warm starts and batches with arbitrary values: typed error or a
/// finite cost.
fn options_never_panic_on(
    n: usize,
    (start, factor, stage_tol): (f64, f64, f64),
    warm: Option<(Vec<f64>, Vec<f64>)>,
    eps: f64,
    domain: Domain,
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
        eps,
        domain,
        termination: termination(),
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
        assert!(r.cost.is_finite(), "cost {}", r.cost);
    }
    for r in solver
        .solve_batch(problem.geometry(), &[(a.clone(), a.clone()), (a, vec![])])
        .into_iter()
        .flatten()
    {
        assert!(r.cost.is_finite(), "batch cost {}", r.cost);
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
        scaling in (eps(), value(), value()),
        eps in eps(),
        domain in domain(),
    ) {
        options_never_panic_on(n, scaling, warm, eps, domain);
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
    assert!(
        SOLVED.load(Ordering::Relaxed) >= 50,
        "only {} generated problems were valid",
        SOLVED.load(Ordering::Relaxed)
    );
}
