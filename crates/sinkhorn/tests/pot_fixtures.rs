//! FS-1 against POT 0.9.7 on the same inputs (fixtures from
//! `tests/fixtures/make_pot_fixtures.py`): same initialisation and update order as
//! `ot.sinkhorn` (`sinkhorn_knopp`) and `sinkhorn_log`, run for the same fixed number of
//! iterations with no early stop, so plans and potentials must agree up to rounding.
//!
//! Tolerance: both sides compute the same recurrences in f64 in different summation
//! orders; each iteration contributes ~N u relative error and Sinkhorn's contraction
//! keeps it from growing geometrically. Measured worst case (printed with --nocapture):
//! plan 9.3e-15 (log case, reg = 0.002), <= 1e-15 for the others; the bound asserted is
//! the 1e-10.
//! Exact W1 (`ot.emd2`, a network simplex) agrees with our CDF formula / min-cost flow to
//! 1e-12 relative (both exact, rounding only).

mod common;
use common::rel_err;
use serde_json::Value;
use sinkhorn::{
    Domain, Grid2d, Problem, Sinkhorn, SinkhornParams, Support1d, Termination, exact_w1,
};

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn support(v: &Value) -> Support1d {
    Support1d::points(floats(v)).unwrap()
}

#[test]
fn fs1_matches_pot_sinkhorn_and_sinkhorn_log() {
    let text = include_str!("fixtures/pot_sinkhorn.json");
    let root: Value = serde_json::from_str(text).unwrap();
    for case in root["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let geom = &case["geometry"];
        let (a, b) = (floats(&case["a"]), floats(&case["b"]));
        let problem = match geom["kind"].as_str().unwrap() {
            "line" => Problem::line(support(&geom["x"]), a, b).unwrap(),
            _ => Problem::grid(
                Grid2d::new(support(&geom["rows"]), support(&geom["cols"])).unwrap(),
                a,
                b,
            )
            .unwrap(),
        };
        let method = case["method"].as_str().unwrap();
        let params = SinkhornParams {
            eps: sinkhorn::Eps::Absolute(case["reg"].as_f64().unwrap()),
            domain: if method == "sinkhorn_log" {
                Domain::Log
            } else {
                Domain::Standard
            },
            termination: Termination {
                max_iter: case["iterations"].as_u64().unwrap() as usize,
                tol: 0.0,
                check_every: 10,
                allow_partial: true,
            },
            eps_scaling: None,
            ..Default::default()
        };
        let r = Sinkhorn::new(params).solve(&problem).unwrap();
        let dense = r.plan.to_dense().unwrap();
        let n = problem.len();
        let plan: Vec<f64> = (0..n * n).map(|k| dense[(k / n, k % n)]).collect();
        let want: Vec<f64> = case["plan"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(floats)
            .collect();
        let (e_plan, i) = rel_err(&plan, &want);
        assert!(e_plan < 1e-10, "{name}: plan rel err {e_plan:e} at {i}");
        let (e_rows, _) = rel_err(&r.plan.row_sums().unwrap(), &floats(&case["row_sums"]));
        let (e_cols, _) = rel_err(&r.plan.col_sums().unwrap(), &floats(&case["col_sums"]));
        assert!(
            e_rows < 1e-10 && e_cols < 1e-10,
            "{name}: marginals {e_rows:e} {e_cols:e}"
        );
        let cost = case["cost"].as_f64().unwrap();
        let e_cost = (r.cost - cost).abs() / cost;
        assert!(
            e_cost < 1e-10,
            "{name}: cost {} vs POT {cost} ({e_cost:e})",
            r.cost
        );
        if method == "sinkhorn" {
            let (ef, _) = rel_err(r.f(), &floats(&case["f"]));
            let (eg, _) = rel_err(r.g(), &floats(&case["g"]));
            assert!(ef < 1e-10 && eg < 1e-10, "{name}: potentials {ef:e} {eg:e}");
        }
        let emd = case["emd2"].as_f64().unwrap();
        let exact = exact_w1(&problem).unwrap();
        assert!(
            (exact - emd).abs() < 1e-12 * emd,
            "{name}: exact W1 {exact} vs ot.emd2 {emd}"
        );
        println!(
            "{name}: plan {e_plan:.1e}, cost {e_cost:.1e}, rows {e_rows:.1e}, cols {e_cols:.1e}"
        );
    }
}
