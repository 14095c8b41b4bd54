//! FS-1 on the structured kernel against the same loop on the dense faer kernel, for
//! random problems on every supported geometry, in both domains: plan marginals and
//! `<C, T>` must agree to 1e-10 relative (the bound). Both run the identical
//! recurrence of iterates; only the kernel products' rounding differs (~N u per product,
//! tests/kernels.rs), so the measured gap is ~1e-14.

mod common;
use common::{
    Rng, random_grid_problem, random_line_problem, random_masses, random_points, rel_err,
};
use sinkhorn::{Backend, Domain, Problem, Sinkhorn, SinkhornParams, Termination};

fn agree(problem: &Problem, eps: f64, domain: Domain) {
    let params = |backend| SinkhornParams {
        eps: sinkhorn::Eps::Absolute(eps),
        domain,
        backend,
        termination: Termination {
            max_iter: 300,
            tol: 1e-12,
            check_every: 10,
            allow_partial: true, // compares the two backends' iterates, converged or not
        },
        eps_scaling: None,
        ..Default::default()
    };
    let fast = Sinkhorn::new(params(Backend::Colt)).solve(problem).unwrap();
    let dense = Sinkhorn::new(params(Backend::Dense))
        .solve(problem)
        .unwrap();
    assert_eq!(
        fast.iterations, dense.iterations,
        "same loop, same stopping iteration"
    );
    let (er, i) = rel_err(
        &fast.plan.row_sums().unwrap(),
        &dense.plan.row_sums().unwrap(),
    );
    let (ec, j) = rel_err(
        &fast.plan.col_sums().unwrap(),
        &dense.plan.col_sums().unwrap(),
    );
    let ecost = (fast.cost - dense.cost).abs() / dense.cost;
    let eobj = (fast.objective - dense.objective).abs() / dense.objective.abs();
    assert!(
        er < 1e-10 && ec < 1e-10 && ecost < 1e-10 && eobj < 1e-10,
        "n = {}, eps = {eps}, {domain:?}: rows {er:e}@{i}, cols {ec:e}@{j}, cost {ecost:e}, objective {eobj:e}",
        problem.len()
    );
}

#[test]
fn structured_equals_dense_on_lines_and_grids() {
    let mut rng = Rng(42);
    for &n in &[2usize, 9, 40, 120] {
        for &eps in &[0.01, 0.1] {
            for domain in [Domain::Standard, Domain::Log, Domain::Stabilized] {
                agree(&random_line_problem(&mut rng, n, true), eps, domain);
                agree(&random_line_problem(&mut rng, n, false), eps, domain);
            }
        }
    }
    for &(nr, nc) in &[(3usize, 4usize), (9, 7)] {
        for domain in [Domain::Standard, Domain::Log, Domain::Stabilized] {
            agree(&random_grid_problem(&mut rng, nr, nc), 0.05, domain);
        }
    }
}

#[test]
fn different_supports_with_zero_masses_agree() {
    // Source and target on different sorted supports: merged, zero masses on the other
    // side's points; the log domain sets those potentials to -inf explicitly.
    let mut rng = Rng(9);
    let x = random_points(&mut rng, 15);
    let y: Vec<f64> = random_points(&mut rng, 11)
        .iter()
        .map(|v| 0.3 + 0.8 * v)
        .collect();
    let (a, b) = (random_masses(&mut rng, 15), random_masses(&mut rng, 11));
    let problem = Problem::on_two_supports(&x, &a, &y, &b).unwrap();
    for domain in [Domain::Standard, Domain::Log, Domain::Stabilized] {
        agree(&problem, 0.05, domain);
    }
    // The plan has no mass on rows/columns with zero marginal.
    let r = Sinkhorn::with_reg(0.05).solve(&problem).unwrap();
    let rows = r.plan.row_sums().unwrap();
    for (i, (&ri, &ai)) in rows.iter().zip(problem.a()).enumerate() {
        if ai == 0.0 {
            assert!(ri == 0.0, "row {i} should be empty, has {ri}");
        }
    }
}

#[test]
fn standard_and_log_domain_agree_when_both_work() {
    // Same iterates in exact arithmetic; rounding differs by ~u per operation.
    let mut rng = Rng(1);
    let problem = random_line_problem(&mut rng, 80, false);
    let run = |domain| {
        let p = SinkhornParams {
            eps: sinkhorn::Eps::Absolute(0.02),
            domain,
            termination: Termination {
                max_iter: 200,
                tol: 0.0,
                check_every: 10,
                allow_partial: true,
            },
            eps_scaling: None,
            ..Default::default()
        };
        Sinkhorn::new(p).solve(&problem).unwrap()
    };
    let (s, l) = (run(Domain::Standard), run(Domain::Log));
    let (ef, _) = rel_err(s.f(), l.f());
    assert!(
        ef < 1e-10 && (s.cost - l.cost).abs() < 1e-10 * s.cost,
        "f {ef:e}, cost {} vs {}",
        s.cost,
        l.cost
    );
}

#[test]
fn batch_equals_one_by_one() {
    let mut rng = Rng(77);
    let problem = random_line_problem(&mut rng, 50, true);
    let pairs: Vec<(Vec<f64>, Vec<f64>)> = (0..6)
        .map(|_| (random_masses(&mut rng, 50), random_masses(&mut rng, 50)))
        .collect();
    let solver = Sinkhorn::with_reg(0.05);
    let batch = solver.solve_batch(problem.geometry(), &pairs);
    for ((a, b), r) in pairs.iter().zip(batch) {
        let one = solver
            .solve(&Problem::new(problem.geometry().clone(), a.clone(), b.clone()).unwrap())
            .unwrap();
        assert_eq!(
            r.unwrap(),
            one,
            "parallel batch must be bit-identical to the serial solve"
        );
    }
}

#[test]
fn stabilized_equals_log_domain() {
    // Absorption changes only the rounding path: with no breakdown, the stabilised loop
    // computes the log loop's iterates (measured agreement ~1e-13).
    let mut rng = Rng(31);
    for uniform in [true, false] {
        let problem = random_line_problem(&mut rng, 150, uniform);
        for eps in [0.05, 2e-3] {
            let run = |domain| {
                let p = SinkhornParams {
                    eps: sinkhorn::Eps::Absolute(eps),
                    domain,
                    termination: Termination {
                        max_iter: 300,
                        tol: 0.0,
                        check_every: 10,
                        allow_partial: true,
                    },
                    eps_scaling: None,
                    ..Default::default()
                };
                Sinkhorn::new(p).solve(&problem).unwrap()
            };
            let (s, l) = (run(Domain::Stabilized), run(Domain::Log));
            assert_eq!(s.domain, Domain::Stabilized);
            let (er, _) = rel_err(&s.plan.row_sums().unwrap(), &l.plan.row_sums().unwrap());
            let (ec, _) = rel_err(&s.plan.col_sums().unwrap(), &l.plan.col_sums().unwrap());
            let ecost = (s.cost - l.cost).abs() / l.cost;
            assert!(
                er < 1e-10 && ec < 1e-10 && ecost < 1e-10,
                "eps {eps}: rows {er:e} cols {ec:e} cost {ecost:e}"
            );
        }
    }
}
