//! The exact W1 baselines: the CDF formula on a line and the grid min-cost flow, checked
//! against each other and against closed forms. Both are exact algorithms; tolerances are
//! rounding only (1e-12 relative, ~1e4 u for sums of ~100 terms).

mod common;
use common::{Rng, random_masses, random_points};
use sinkhorn::{Grid2d, Problem, Support1d, exact_w1, w1_line, w1_two_supports};

#[test]
fn cdf_formula_matches_closed_forms() {
    // Dirac at 0 to Dirac at 1 on [0, 1]: W1 = 1.
    let x = Support1d::linspace(0.0, 1.0, 11).unwrap();
    let mut a = vec![0.0; 11];
    let mut b = vec![0.0; 11];
    a[0] = 1.0;
    b[10] = 1.0;
    assert!((w1_line(&x, &a, &b).unwrap() - 1.0).abs() < 1e-15);
    // A shift by one grid step of any histogram costs exactly one step.
    let mut rng = Rng(3);
    let mut m = random_masses(&mut rng, 10);
    m.push(0.0);
    let mut shifted = vec![0.0];
    shifted.extend_from_slice(&m[..10]);
    assert!((w1_line(&x, &m, &shifted).unwrap() - 0.1).abs() < 1e-15);
}

#[test]
fn two_supports_merge_is_the_same_problem() {
    // a on x, b on y; the merged problem's W1 equals the CDF integral over R.
    let x = [0.0, 0.5, 1.0];
    let y = [0.25, 0.5, 2.0];
    let a = [0.2, 0.3, 0.5];
    let b = [0.5, 0.25, 0.25];
    // By hand: F - G on [0,.25):.2, [.25,.5):-.3, [.5,1):-.25, [1,2):.25 -> .05+.075+.125+.25.
    let w = w1_two_supports(&x, &a, &y, &b).unwrap();
    assert!((w - 0.5).abs() < 1e-15, "{w}");
}

#[test]
fn grid_flow_equals_line_formula_on_one_row() {
    let mut rng = Rng(11);
    for n in [2usize, 5, 17] {
        let pts = random_points(&mut rng, n);
        let a = random_masses(&mut rng, n);
        let b = random_masses(&mut rng, n);
        let line = w1_line(&Support1d::points(pts.clone()).unwrap(), &a, &b).unwrap();
        let grid = Grid2d::new(
            Support1d::points(vec![0.0]).unwrap(),
            Support1d::points(pts).unwrap(),
        )
        .unwrap();
        let flow = exact_w1(&Problem::grid(grid, a, b).unwrap()).unwrap();
        assert!(
            (flow - line).abs() < 1e-12 * line,
            "n = {n}: flow {flow} vs line {line}"
        );
    }
}

#[test]
fn grid_flow_is_additive_on_product_measures() {
    // For the L1 cost and product measures p⊗q -> p'⊗q', W1 = W1(p, p') + W1(q, q'):
    // each axis' cost is at least its 1D W1 (projection), and the product of the two 1D
    // optimal couplings attains the sum.
    let mut rng = Rng(5);
    let (nr, nc) = (7, 9);
    let xs = Support1d::points(random_points(&mut rng, nr)).unwrap();
    let ys = Support1d::linspace(0.0, 2.0, nc).unwrap();
    let (p, pp) = (random_masses(&mut rng, nr), random_masses(&mut rng, nr));
    let (q, qq) = (random_masses(&mut rng, nc), random_masses(&mut rng, nc));
    let outer = |u: &[f64], v: &[f64]| -> Vec<f64> {
        u.iter()
            .flat_map(|a| v.iter().map(move |b| a * b))
            .collect()
    };
    let want = w1_line(&xs, &p, &pp).unwrap() + w1_line(&ys, &q, &qq).unwrap();
    let problem =
        Problem::grid(Grid2d::new(xs, ys).unwrap(), outer(&p, &q), outer(&pp, &qq)).unwrap();
    let got = exact_w1(&problem).unwrap();
    assert!(
        (got - want).abs() < 1e-12 * want,
        "flow {got} vs sum of 1D {want}"
    );
}
