//! Peak memory and set-up time of FS-1 solves at N = 1e6 and 1e7 (issue 16: under 48
//! bytes per point including the inputs, set-up under 0.3 s at N = 1e7).
//!
//! Each case runs in a child process of this bench (Linux's peak resident set, `VmHWM` in
//! `/proc/self/status`, only grows within a process). The child resets the peak
//! (`/proc/self/clear_refs`), builds the problem (`bumps_line`, its two marginals are the
//! inputs), times solves of 1 and 11 iterations: `T(1) - (T(11) - T(1)) / 10` is the
//! one-off work of a solve (kernel, starting scalings, the final cost and objective), an
//! upper bound on the set-up before the first iteration. Then it reads the peak. Bytes per point are `(peak - resident set
//! before the problem) / N`. The table is printed (`cargo xtask bench` keeps it in
//! `sinkhorn.log`) and written to `$BENCH_OUT/sinkhorn_memory.json` when `BENCH_OUT` is set.
//! Timing-free on other systems: without `/proc` the bench says so and exits.

use std::process::Command;
use std::time::Instant;

use sinkhorn::cases::bumps_line;
use sinkhorn::{Domain, Eps, Record, Sinkhorn, SinkhornParams, Termination};

/// Sizes (issue 16's targets are at 1e7).
const SIZES: [usize; 2] = [1_000_000, 10_000_000];

/// The cases: a name, the domain and eps relative to the diameter.
const CASES: [(&str, Domain, f64); 2] = [
    ("fs1_standard", Domain::Standard, 0.05),
    ("fs1_stabilized", Domain::Stabilized, 1e-3),
];

/// `key` of `/proc/self/status` in bytes.
fn status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn params(domain: Domain, relative: f64, iterations: usize) -> SinkhornParams {
    SinkhornParams {
        eps: Eps::Relative(relative),
        domain,
        termination: Termination::new(iterations, 0.0).allowing_partial(),
        eps_scaling: None,
        ..SinkhornParams::default()
    }
}

/// One case in this process: prints `name n bytes_per_point setup_seconds`.
fn child(name: &str, n: usize) {
    let (_, domain, relative) = CASES
        .iter()
        .find(|c| c.0 == name)
        .copied()
        .expect("known case");
    // Peak := current resident set (Linux >= 4.0).
    std::fs::write("/proc/self/clear_refs", "5").expect("reset the peak resident set");
    let base = status_bytes("VmRSS:").expect("VmRSS");
    let problem = bumps_line(n).expect("valid problem");
    let time = |iterations: usize| {
        let start = Instant::now();
        let r = Sinkhorn::new(params(domain, relative, iterations))
            .solve(&problem)
            .expect("solve");
        (start.elapsed().as_secs_f64(), r)
    };
    // Set-up before the first iteration: the solver reports its first check (after 0
    // iterations: one pass for the violation) to the observer.
    let start = Instant::now();
    let mut first = None;
    Sinkhorn::new(params(domain, relative, 1))
        .solve_observed(&problem, &mut |_: &Record| {
            first.get_or_insert(start.elapsed().as_secs_f64());
        })
        .expect("solve");
    let setup = first.expect("a check after 0 iterations");
    let (t1, _) = time(1);
    let (t11, r) = time(11);
    let one_off = t1 - (t11 - t1) / 10.0;
    assert!(r.cost.is_finite() && r.cost > 0.0, "cost {}", r.cost);
    let peak = status_bytes("VmHWM:").expect("VmHWM");
    let per_point = peak.saturating_sub(base) as f64 / n as f64;
    println!("{name} {n} {per_point:.1} {one_off:.4} {setup:.4}");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], args[i + 2].parse().expect("size"));
        return;
    }
    if status_bytes("VmHWM:").is_none() {
        println!("memory bench: no /proc/self/status on this system; nothing measured");
        return;
    }
    let exe = std::env::current_exe().expect("own path");
    let mut rows = Vec::new();
    println!(
        "FS-1 peak memory (inputs included) and one-off work of a solve (set-up + final sums), one process per case"
    );
    println!(
        "{:>16} {:>10} {:>14} {:>16} {:>16}",
        "case", "N", "bytes/point", "one-off work s", "set-up s"
    );
    for &n in &SIZES {
        for (name, _, _) in CASES {
            let out = Command::new(&exe)
                .args(["--child", name, &n.to_string()])
                .output()
                .expect("run the child");
            assert!(
                out.status.success(),
                "{name} at N = {n}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = line.split_whitespace().collect();
            let parse = |i: usize| -> f64 { f[i].parse().expect("a number") };
            let (bpp, one_off, setup) = (parse(2), parse(3), parse(4));
            println!("{name:>16} {n:>10} {bpp:>14.1} {one_off:>16.3} {setup:>16.3}");
            rows.push(serde_json::json!({
                "case": name, "n": n, "bytes_per_point": bpp, "one_off_seconds": one_off,
                "setup_seconds": setup,
            }));
        }
    }
    if let Some(dir) = std::env::var_os("BENCH_OUT") {
        let path = std::path::Path::new(&dir).join("sinkhorn_memory.json");
        std::fs::create_dir_all(&dir).expect("BENCH_OUT");
        std::fs::write(&path, serde_json::to_string_pretty(&rows).expect("json"))
            .expect("write the memory table");
    }
}
