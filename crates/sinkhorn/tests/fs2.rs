//! FS-2 (IPOT in potential form on the O(N) sweeps) against the literal dense IPOT, and
//! its convergence to the exact W1.
//!
//! Iterates: both compute the same IPOT recursion in exact arithmetic; the dense one in
//! the standard domain, FS-2 with log-sum-exp sweeps. Rounding grows ~N u per product and
//! accumulates over `k (2L + 1)` products; after 5 outer iterations with L = 3 that is well
//! under 1e-12 (measured worst ~1e-14, printed), so the 1e-10 relative holds.
//!
//! Exact W1: IPOT converges to the unregularised optimum (Xie et al. 2019); the issue asks
//! for 1e-6 relative, asserted here with the iteration counts printed.

mod common;
use common::{Rng, random_grid_problem, random_line_problem, rel_err};
use sinkhorn::cases::{bumps_grid, bumps_line};
use sinkhorn::{
    Backend, Domain, Ipot, IpotParams, Problem, SinkhornError, Support1d, Termination, dense_ipot,
    exact_w1,
};

fn iterates_match(problem: &Problem, beta: f64, inner: usize) {
    let n = problem.len();
    let outer = 5;
    let keep: Vec<usize> = (1..=outer).collect();
    let dense = dense_ipot(problem, beta, inner, outer, &keep).unwrap();
    let ipot = Ipot::new(IpotParams {
        beta: sinkhorn::Eps::Absolute(beta),
        inner,
        ..Default::default()
    });
    let mut worst = 0.0f64;
    for it in &dense {
        let (la, lb) = ipot.iterate_potentials(problem, it.k).unwrap();
        let kb = it.k as f64 / beta;
        let got: Vec<f64> = (0..n * n)
            .map(|p| {
                let (i, j) = (p / n, p % n);
                (la[i] + lb[j] - kb * problem.geometry().cost(i, j)).exp()
            })
            .collect();
        let want: Vec<f64> = (0..n * n).map(|p| it.plan[(p / n, p % n)]).collect();
        let (e, at) = rel_err(&got, &want);
        assert!(
            e < 1e-10,
            "k = {}: plan rel err {e:e} at {at} (n = {n}, beta = {beta})",
            it.k
        );
        worst = worst.max(e);
    }
    println!("n = {n}, beta = {beta}, L = {inner}: worst rel err over k = 1..{outer}: {worst:.1e}");
}

#[test]
fn first_iterates_equal_dense_ipot() {
    let mut rng = Rng(2024);
    iterates_match(&random_line_problem(&mut rng, 60, true), 0.1, 3);
    iterates_match(&random_line_problem(&mut rng, 60, false), 0.05, 3);
    iterates_match(&random_grid_problem(&mut rng, 7, 6), 0.1, 2);
}

#[test]
fn colt_and_dense_backends_agree() {
    let mut rng = Rng(8);
    let problem = random_line_problem(&mut rng, 50, false);
    let run = |backend| {
        let p = IpotParams {
            beta: sinkhorn::Eps::Absolute(0.05),
            inner: 5,
            termination: Termination {
                max_iter: 100,
                tol: 0.0,
                check_every: 10,
                allow_partial: true,
            },
            cost_tol: 0.0,
            backend,
            domain: Domain::Auto,
        };
        Ipot::new(p).solve(&problem).unwrap()
    };
    let (a, b) = (run(Backend::Colt), run(Backend::Dense));
    let (e, _) = rel_err(&a.plan.row_sums().unwrap(), &b.plan.row_sums().unwrap());
    assert!(
        e < 1e-10 && (a.cost - b.cost).abs() < 1e-10 * b.cost,
        "rows {e:e}, cost {} vs {}",
        a.cost,
        b.cost
    );
}

fn converges(problem: &Problem, params: IpotParams) {
    for domain in [Domain::Log, Domain::Auto] {
        converges_in(problem, IpotParams { domain, ..params });
    }
}

fn converges_in(problem: &Problem, params: IpotParams) {
    let exact = exact_w1(problem).unwrap();
    let r = Ipot::new(params).solve(problem).unwrap();
    let rel = (r.cost - exact).abs() / exact;
    println!(
        "N = {} ({:?}): {} outer iterations, violation {:.1e}, cost {:.10} vs W1 {:.10}, rel {rel:.1e}",
        problem.len(),
        params.domain,
        r.iterations,
        r.violation,
        r.cost,
        exact
    );
    assert!(r.converged(), "violation {:e}", r.violation);
    assert!(rel < 1e-6, "relative error {rel:e}");
}

#[test]
fn cost_converges_to_exact_w1_on_a_line() {
    let params = IpotParams {
        beta: sinkhorn::Eps::Absolute(0.05),
        inner: 5,
        termination: Termination {
            max_iter: 3000,
            tol: 1e-8,
            check_every: 10,
            allow_partial: false,
        },
        cost_tol: 1e-10,
        backend: Backend::Colt,
        domain: Domain::Auto,
    };
    converges(&bumps_line(200).unwrap(), params);
    // Different supports (zero masses after the merge).
    let x: Vec<f64> = (0..90).map(|i| i as f64 / 89.0).collect();
    let y: Vec<f64> = (0..70)
        .map(|i| 0.2 + 0.9 * (i as f64 / 69.0).powi(2))
        .collect();
    let a = common::normalised(
        x.iter()
            .map(|v| (-((v - 0.3) / 0.2f64).powi(2)).exp() + 0.01)
            .collect(),
    );
    let b = common::normalised(
        y.iter()
            .map(|v| (-((v - 0.8) / 0.1f64).powi(2)).exp() + 0.01)
            .collect(),
    );
    converges(&Problem::on_two_supports(&x, &a, &y, &b).unwrap(), params);
}

#[test]
fn cost_converges_to_exact_w1_on_a_grid() {
    let params = IpotParams {
        beta: sinkhorn::Eps::Absolute(0.1),
        inner: 5,
        termination: Termination {
            max_iter: 3000,
            tol: 1e-8,
            check_every: 10,
            allow_partial: false,
        },
        cost_tol: 1e-10,
        backend: Backend::Colt,
        domain: Domain::Auto,
    };
    converges(&bumps_grid(12).unwrap(), params);
}

#[test]
fn dense_ipot_breaks_down_for_small_beta_where_fs2_does_not() {
    // beta = 1e-3 on [0, 1]: exp(-C/beta) underflows to 0 for |x - y| > 0.745, so the
    // standard-domain reference divides by zero once mass must cross that far; FS-2's
    // potential form does not (docs/sinkhorn.md, "Where the structure does not allow").
    let x = Support1d::linspace(0.0, 1.0, 101).unwrap();
    let mut a = vec![0.0; 101];
    let mut b = vec![0.0; 101];
    a[..5].fill(0.2);
    b[96..].fill(0.2);
    let problem = Problem::line(x, a, b).unwrap();
    let beta = 1e-3;
    assert!(matches!(
        dense_ipot(&problem, beta, 5, 3, &[3]),
        Err(SinkhornError::NonFinite { .. })
    ));
    let params = IpotParams {
        beta: sinkhorn::Eps::Absolute(beta),
        ..IpotParams::default()
    };
    let (la, lb) = Ipot::new(params).iterate_potentials(&problem, 3).unwrap();
    let finite = |l: &[f64], m: &[f64]| l.iter().zip(m).all(|(l, &m)| m <= 0.0 || l.is_finite());
    assert!(finite(&la, problem.a()) && finite(&lb, problem.b()));
}

/// Issue 16: where FS-2 stops short on a line, its error names the exact CDF shortcut for
/// the W1 value; on a grid (no such shortcut) it does not.
#[test]
fn stopping_short_on_a_line_names_the_exact_shortcut() {
    let short = |problem: &sinkhorn::Problem| {
        let params = sinkhorn::IpotParams {
            termination: sinkhorn::Termination::new(2, 1e-12),
            ..sinkhorn::IpotParams::default()
        };
        sinkhorn::Ipot::new(params)
            .solve(problem)
            .expect_err("2 outer iterations cannot reach 1e-12")
            .to_string()
    };
    let line = short(&sinkhorn::cases::bumps_line(200).expect("valid"));
    assert!(line.contains("sinkhorn::w1_line"), "{line}");
    let grid = short(&sinkhorn::cases::bumps_grid(8).expect("valid"));
    assert!(!grid.contains("w1_line"), "{grid}");
}
