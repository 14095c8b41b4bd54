//! Ours against the tools users pick today, timed in the same run on bit-identical inputs:
//! FS-1 (O(N) per iteration) against POT's dense `ot.sinkhorn` per iteration, and the exact
//! 1D W1 against `scipy.stats.wasserstein_distance`. Both sides take the minimum of repeated
//! runs; Sinkhorn iterations are differenced (runs of k and 2k iterations) so set-up
//! cancels on both sides. Every answer is asserted: the converged transport costs agree,
//! and the W1 values agree to the rounding of a cumulative sum. Writes `peers.json` to
//! [`benches::out_dir`] for `cargo xtask bench`, with the reason when a peer was not measured.

use std::fs;
use std::time::Instant;

use benches::{dense_sizes, fixed_iterations, line_sizes, out_dir, peers};
use serde_json::{Value, json};
use sinkhorn::cases::bumps_line;
use sinkhorn::timing::{Differencing, difference_timing};
use sinkhorn::{
    Backend, Domain, Problem, Sinkhorn, SinkhornParams, Support1d, Termination, exact_w1,
};

/// eps of the Sinkhorn comparison (POT's `reg`), on [0, 1].
const REG: f64 = 0.05;
/// Stopping tolerance of the converged solves whose costs are compared (ours: relative L1
/// marginal violation; POT: `stopThr`, absolute L2).
const TOL: f64 = 1e-11;
/// Largest accepted relative difference of the converged costs: both plans meet their
/// marginals to `TOL`, and the cost moves by at most about diameter / eps times the
/// violation, 20 x 1e-11 here; 1e-8 leaves a factor of 50 for the two stopping norms.
const COST_TOL: f64 = 1e-8;

/// The transport cost of FS-1 converged to `TOL` (an error if it does not within
/// `max_iter`: a cost compared with POT's must come from a converged plan).
fn converged_cost(problem: &Problem, max_iter: usize) -> f64 {
    let params = SinkhornParams {
        eps: sinkhorn::Eps::Absolute(REG),
        domain: Domain::Standard,
        termination: Termination::new(max_iter, TOL),
        ..Default::default()
    };
    Sinkhorn::new(params)
        .solve(problem)
        .expect("FS-1 converges on the bench problem")
        .cost
}

fn main() {
    let out = out_dir();
    let data = out.join("peers-data");
    fs::create_dir_all(&data).expect("the bench output folder is writable");
    let write = |name: String, values: &[f64]| {
        peers::write_f64(&data.join(&name), values).expect("input files are writable");
        name
    };
    let mut problems = Vec::new();
    let mut ours = Vec::new();
    for &n in dense_sizes() {
        let problem = bumps_line(n).expect("valid problem");
        let x = Support1d::linspace(0.0, 1.0, n).expect("valid support");
        let per = difference_timing(n, Differencing::solves(0.2, 5), |k| {
            Sinkhorn::new(fixed_iterations(REG, Domain::Standard, Backend::Colt, k))
                .solve(&problem)
                .map(drop)
        })
        .expect("FS-1 runs a fixed number of iterations on the bench problem");
        let cost = converged_cost(&problem, 100_000);
        problems.push(json!({
            "kind": "sinkhorn", "n": n, "reg": REG, "tol": TOL, "repeats": 5,
            "iterations": [10, 60], "converged_iterations": 100_000,
            "x": write(format!("x{n}.f64"), &x.coords()),
            "a": write(format!("a{n}.f64"), problem.a()),
            "b": write(format!("b{n}.f64"), problem.b()),
        }));
        ours.push((n, per.seconds_per_iteration, cost));
    }
    let mut ours_w1 = Vec::new();
    for &n in line_sizes() {
        let problem = bumps_line(n).expect("valid problem");
        let x = Support1d::linspace(0.0, 1.0, n).expect("valid support");
        let value = exact_w1(&problem).expect("exact W1 on a line");
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let start = Instant::now();
            std::hint::black_box(exact_w1(&problem).expect("exact W1 on a line"));
            best = best.min(start.elapsed().as_secs_f64());
        }
        problems.push(json!({
            "kind": "w1", "n": n, "repeats": 5,
            "x": write(format!("wx{n}.f64"), &x.coords()),
            "a": write(format!("wa{n}.f64"), problem.a()),
            "b": write(format!("wb{n}.f64"), problem.b()),
        }));
        ours_w1.push((n, best, value));
    }
    let manifest = data.join("manifest.json");
    fs::write(&manifest, json!({ "problems": problems }).to_string())
        .expect("the manifest is writable");
    let python = peers::python();
    let measured = peers::run(&python, &peers::script(), &manifest);
    let results: Vec<Value> = measured
        .as_ref()
        .ok()
        .and_then(|v| v["results"].as_array().cloned())
        .unwrap_or_default();
    let peer = |kind: &str, n: usize| {
        results
            .iter()
            .find(|r| r["kind"] == kind && r["n"].as_u64() == Some(n as u64))
    };
    let mut rows = Vec::new();
    for &(n, seconds, cost) in &ours {
        let mut row = json!({
            "comparison": "Sinkhorn iteration, 1D, eps 0.05 (FS-1 standard domain vs POT ot.sinkhorn, dense)",
            "n": n, "ours": "FS-1", "ours_seconds": seconds, "ours_value": cost,
            "peer": "POT ot.sinkhorn",
        });
        if let Some(p) = peer("sinkhorn", n) {
            fill(
                &mut row,
                p,
                "seconds_per_iteration",
                "cost",
                seconds,
                cost,
                COST_TOL,
            );
        }
        rows.push(row);
    }
    for &(n, seconds, value) in &ours_w1 {
        let mut row = json!({
            "comparison": "exact W1, 1D (CDF formula vs scipy.stats.wasserstein_distance)",
            "n": n, "ours": "exact_w1", "ours_seconds": seconds, "ours_value": value,
            "peer": "SciPy wasserstein_distance",
        });
        if let Some(p) = peer("w1", n) {
            // Both are a cumulative sum of N terms: rounding of order N u each.
            let tol = 4.0 * n as f64 * f64::EPSILON;
            fill(&mut row, p, "seconds", "value", seconds, value, tol);
        }
        rows.push(row);
    }
    let status = match &measured {
        Ok(v) => format!(
            "measured with Python {}",
            v["python"].as_str().unwrap_or("?")
        ),
        Err(reason) => reason.clone(),
    };
    if measured.is_ok() {
        println!("peers: {status}");
    } else {
        println!("peers not measured: {status}");
    }
    for r in &rows {
        println!(
            "{} N = {}: ours {} s, peer {} ({}), speed-up {}",
            r["comparison"], r["n"], r["ours_seconds"], r["peer_seconds"], r["peer"], r["speedup"]
        );
    }
    let report = json!({ "python": python, "status": status, "rows": rows });
    fs::write(out.join("peers.json"), report.to_string()).expect("peers.json is writable");
}

/// Adds the peer's time, value, the speed-up and the agreement to `row`, asserting the
/// answers agree to `tol` (relative); a peer that could not be imported adds its reason.
fn fill(
    row: &mut Value,
    peer: &Value,
    time_key: &str,
    value_key: &str,
    ours_seconds: f64,
    ours_value: f64,
    tol: f64,
) {
    if let Some(reason) = peer["unavailable"].as_str() {
        row["unavailable"] = json!(reason);
        return;
    }
    let seconds = peer[time_key].as_f64().unwrap_or(f64::NAN);
    let value = peer[value_key].as_f64().unwrap_or(f64::NAN);
    let diff = (ours_value - value).abs() / value.abs();
    assert!(
        diff <= tol,
        "{}: ours {ours_value} vs peer {value}: relative difference {diff:e} > {tol:e}",
        row["comparison"]
    );
    row["peer_seconds"] = json!(seconds);
    row["peer_value"] = json!(value);
    row["peer_version"] = peer["version"].clone();
    row["relative_difference"] = json!(diff);
    row["tolerance"] = json!(tol);
    row["speedup"] = json!(seconds / ours_seconds);
}
