//! The structured kernel (colt, O(N)) against the dense faer kernel for every geometry:
//! `K v`, `log K e^g` (with `-inf` entries) and `log (C ⊙ K) e^g`.
//!
//! Tolerances: the sweeps' relative rounding error is bounded by ~c · n_eff · u with
//! n_eff <= N (brief §6.3); for N <= 60 and u = 1.1e-16 that is < 1e-13. Log-domain values
//! get the same bound as an absolute error.

mod common;
use common::{Rng, abs_err, random_grid_problem, random_line_problem, rel_err};
use sinkhorn::{ColtKernel, DenseKernel, GibbsKernel, Problem};

const TOL: f64 = 1e-13;

fn check(problem: &Problem, eps: f64, rng: &mut Rng) {
    let n = problem.len();
    let fast = ColtKernel::new(problem.geometry(), eps).unwrap();
    let dense = DenseKernel::new(problem.geometry(), eps).unwrap();
    let mut s1 = vec![0.0; fast.scratch_len()];
    let mut s2 = vec![0.0; dense.scratch_len()];
    let v: Vec<f64> = (0..n).map(|_| rng.uniform()).collect();
    let (mut o1, mut o2) = (vec![0.0; n], vec![0.0; n]);
    fast.apply(&v, &mut o1, &mut s1);
    dense.apply(&v, &mut o2, &mut s2);
    let (e, i) = rel_err(&o1, &o2);
    assert!(e < TOL, "K v: rel err {e:e} at {i} (n = {n}, eps = {eps})");

    // Log domain with a wide range and some -inf (zero masses).
    let g: Vec<f64> = (0..n)
        .map(|i| {
            if i % 7 == 3 {
                f64::NEG_INFINITY
            } else {
                30.0 * (rng.uniform() - 0.5)
            }
        })
        .collect();
    fast.log_apply(&g, &mut o1, &mut s1);
    dense.log_apply(&g, &mut o2, &mut s2);
    let (e, i) = abs_err(&o1, &o2);
    assert!(e < TOL * 30.0, "log K e^g: abs err {e:e} at {i}");

    fast.log_cost_apply(&g, &mut o1, &mut s1);
    dense.log_cost_apply(&g, &mut o2, &mut s2);
    let (e, i) = abs_err(&o1, &o2);
    assert!(e < TOL * 30.0, "log (C⊙K) e^g: abs err {e:e} at {i}");
}

#[test]
fn line_uniform_nonuniform_and_grid_match_dense() {
    let mut rng = Rng(7);
    for &n in &[1usize, 2, 3, 17, 60] {
        for &eps in &[1e-3, 0.05, 2.0] {
            check(&random_line_problem(&mut rng, n, true), eps, &mut rng);
            check(&random_line_problem(&mut rng, n, false), eps, &mut rng);
        }
    }
    for &(nr, nc) in &[(1usize, 5usize), (4, 1), (5, 7), (8, 6)] {
        for &eps in &[1e-2, 0.1, 3.0] {
            check(&random_grid_problem(&mut rng, nr, nc), eps, &mut rng);
        }
    }
}
