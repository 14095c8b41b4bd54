//! `cargo xtask bench`'s Python section: the package `pasa_sinkhorn` against POT and SciPy,
//! timed in one process by `benches/python/bench_python.py` (1D exact W1 at N = 1e6,
//! Sinkhorn at N = 1e4 in total and per iteration, exact W1 on 32 x 32 and 128 x 128
//! grids, a batch of 1,000 histograms, and the fixed cost of a call), then the pairwise
//! distance matrices of `pasa_sinkhorn.distributed` by `benches/python/bench_pairwise.py`
//! (local cores, one thread, Dask clusters of one and two workers: problems/s and parallel
//! efficiency; Dask installed there by pip, the subsection says when it could not be).
//!
//! Why a separate step: the criterion benches time Rust; a Python user pays the binding
//! too (argument checks, copies, the GIL), and compares with POT and SciPy called the
//! same way. The step keeps a virtual environment in `target/bench-python-venv`, installs
//! maturin, POT and SciPy there with pip, builds the package's wheel with
//! `maturin build --release` (the profile of the criterion benches; `pip install` of the
//! folder builds pyproject's dev profile, meant for the tests) and installs it. Each step
//! that can fail on a machine (no Python, no network, a build error) is reported in the
//! section instead of failing the whole bench: the section then says what was not
//! measured and why, and a peer that could not be installed is named in its rows.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::bench::fmt_time;
use crate::claim::fmt_num;
use crate::project_root;
use crate::report::table_markdown;
use crate::suite::{Mode, Table};

/// The section's data: the script's JSON, or why it was not measured.
pub type PythonBench = Result<Value, String>;

/// The interpreter that creates the virtual environment: `$PYTHON`, else `python3`.
fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Runs `cmd` with its output appended to `log`; `Err` names `what` failed and where to
/// read why.
fn step(cmd: &mut Command, log: &Path, what: &str) -> Result<(), String> {
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let err = file
        .try_clone()
        .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    let status = cmd
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .status()
        .map_err(|e| format!("{what}: cannot start {:?}: {e}", cmd.get_program()))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what} failed ({status}); see {}", log.display()))
    }
}

/// The bench's virtual environment (`target/bench-python-venv`, made with `$PYTHON`,
/// default `python3`) with maturin, POT and SciPy installed, its interpreter's path, or why
/// there is none; every command's output is appended to `out/python.log`. `cargo xtask bench` makes it before the
/// criterion benches, whose POT/SciPy peers (`benches/peers`) then run with it, and the
/// Python section reuses it.
///
/// # Errors
/// A sentence saying which step failed. POT or SciPy failing to install (offline) is not an
/// error: the peers' rows then say that they could not be imported.
pub fn venv(out: &Path) -> Result<Venv, String> {
    let log = out.join("python.log");
    let _ = fs::remove_file(&log);
    let venv = project_root().join("target/bench-python-venv");
    let venv_python: PathBuf = venv.join("bin/python");
    if !venv_python.exists() {
        step(
            Command::new(python()).args(["-m", "venv"]).arg(&venv),
            &log,
            &format!("creating a virtual environment with {}", python()),
        )
        .map_err(|e| format!("Python not available: {e}"))?;
    }
    step(
        &mut pip(&venv_python, &["maturin>=1.9.4,<2"]),
        &log,
        "pip install maturin",
    )?;
    // The peers; when they cannot be installed (offline) our side is still measured and
    // the rows say which peer is missing.
    let peers_installed = step(
        &mut pip(&venv_python, &["POT>=0.9.5", "scipy>=1.10"]),
        &log,
        "pip install POT SciPy",
    )
    .is_ok();
    Ok(Venv {
        python: venv_python,
        peers_installed,
    })
}

/// The bench's virtual environment, made by [`venv`].
#[derive(Debug, Clone)]
pub struct Venv {
    /// Its interpreter.
    pub python: PathBuf,
    /// Whether POT and SciPy were installed in it (offline they may not be: the peers
    /// bench then keeps the user's `$PYTHON`, which may have them).
    pub peers_installed: bool,
}

/// `python -m pip install --quiet args`.
fn pip(venv_python: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(venv_python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--quiet",
    ])
    .args(args);
    cmd
}

/// Builds and installs the package in the environment `venv` made, then runs the script;
/// its JSON lands in `out/python.json` and every command's output in `out/python.log`.
///
/// # Errors
/// A sentence saying which step failed (the bench report shows it as the section).
pub fn run(out: &Path, mode: Mode, venv: &Result<Venv, String>) -> PythonBench {
    let root = project_root();
    let log = out.join("python.log");
    let venv_python = venv.as_ref().map_err(Clone::clone)?.python.clone();
    let pip = |args: &[&str]| pip(&venv_python, args);
    // `maturin build --release` (pyproject's `profile = "dev"` is the test build's).
    let wheels = root.join("target/bench-python-wheels");
    let _ = fs::remove_dir_all(&wheels);
    step(
        Command::new(venv_python.with_file_name("maturin"))
            .args(["build", "--release", "--manifest-path"])
            .arg(root.join("crates/pasa-sinkhorn-py/Cargo.toml"))
            .arg("--out")
            .arg(&wheels)
            .arg("--interpreter")
            .arg(&venv_python),
        &log,
        "maturin build --release of crates/pasa-sinkhorn-py",
    )?;
    let wheel = fs::read_dir(&wheels)
        .map_err(|e| format!("no wheel in {}: {e}", wheels.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("maturin wrote no wheel in {}", wheels.display()))?;
    step(
        &mut pip(&[
            "--force-reinstall",
            "--no-deps",
            &wheel.display().to_string(),
        ]),
        &log,
        "pip install of the wheel",
    )?;
    let json = out.join("python.json");
    let mut bench = Command::new(&venv_python);
    bench
        .current_dir(&root)
        .arg(root.join("benches/python/bench_python.py"))
        .arg("--out")
        .arg(&json);
    if mode == Mode::Quick {
        bench.arg("--quick");
    }
    step(&mut bench, &log, "benches/python/bench_python.py")?;
    let mut value = read_json(&json)?;
    let pairwise = step(
        &mut pip(&["dask[distributed]"]),
        &log,
        "pip install dask[distributed]",
    )
    .and_then(|()| {
        let json = out.join("pairwise.json");
        let mut cmd = Command::new(&venv_python);
        cmd.current_dir(&root)
            .arg(root.join("benches/python/bench_pairwise.py"))
            .arg("--out")
            .arg(&json);
        if mode == Mode::Quick {
            cmd.arg("--quick");
        }
        step(&mut cmd, &log, "benches/python/bench_pairwise.py")?;
        read_json(&json)
    });
    value["pairwise"] = pairwise.unwrap_or_else(Value::String);
    Ok(value)
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// Seconds (a JSON number) as a readable duration, `n/a` when absent.
fn secs(x: &Value) -> String {
    x.as_f64()
        .map_or_else(|| "n/a".to_owned(), |s| fmt_time(s * 1e9))
}

fn text(x: &Value) -> String {
    match x {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The section of `bench.md`.
pub fn markdown(md: &mut String, bench: &PythonBench) {
    let _ = writeln!(md, "\n## Python: `pasa_sinkhorn` against POT and SciPy\n");
    let v = match bench {
        Ok(v) => v,
        Err(reason) => {
            let _ = writeln!(md, "**Not measured**: {reason}.");
            return;
        }
    };
    let ver = &v["versions"];
    let _ = writeln!(
        md,
        "`benches/python/bench_python.py` ({} mode, {}), Python {}, NumPy {}, SciPy {}, POT \
         {}, {} CPUs; the package built with `--release`. Both sides are called from Python \
         in the same process and run, each the minimum of its repeats; *ratio* is the peer's \
         time over ours (> 1: ours is faster). A peer that is missing, cannot allocate or \
         does not finish in time is listed with the reason.\n",
        text(&v["mode"]),
        text(&v["status"]),
        text(&ver["python"]),
        text(&ver["numpy"]),
        text(&ver["scipy"]),
        text(&ver["ot"]),
        text(&v["cpus"]),
    );
    let mut table = Table::new(
        "Python calls, ours against the peers",
        &[
            "case",
            "size",
            "ours",
            "ours time",
            "peer",
            "peer time",
            "ratio (peer / ours)",
            "max relative difference of the answers",
            "note",
        ],
    );
    for r in v["rows"].as_array().into_iter().flatten() {
        table.row(vec![
            text(&r["case"]),
            text(&r["n"]),
            text(&r["ours"]),
            secs(&r["ours_s"]),
            text(&r["peer"]),
            secs(&r["peer_s"]),
            r["ratio"]
                .as_f64()
                .map_or_else(|| "n/a".to_owned(), |s| format!("{}x", fmt_num(s))),
            r["rel_diff"]
                .as_f64()
                .map_or_else(|| "n/a".to_owned(), fmt_num),
            text(&r["note"]),
        ]);
        if let Some(ratio) = r["per_iteration_ratio"].as_f64() {
            table.row(vec![
                format!("{} per iteration", text(&r["case"])),
                text(&r["n"]),
                format!("{} iterations", text(&r["ours_niter"])),
                secs(&r["ours_per_iteration_s"]),
                format!("{} iterations", text(&r["peer_niter"])),
                secs(&r["peer_per_iteration_s"]),
                format!("{}x", fmt_num(ratio)),
                String::new(),
                "total time / niter of each solver's log".to_owned(),
            ]);
        }
    }
    table_markdown(md, &table);
    pairwise_markdown(md, &v["pairwise"]);
}

/// The subsection of `pasa_sinkhorn.distributed.pairwise`'s timings (or why there are none).
fn pairwise_markdown(md: &mut String, v: &Value) {
    let _ = writeln!(
        md,
        "\n### Pairwise matrices: `pasa_sinkhorn.distributed.pairwise`\n"
    );
    if let Value::String(reason) = v {
        let _ = writeln!(md, "**Not measured**: {reason}.");
        return;
    }
    let _ = writeln!(
        md,
        "`benches/python/bench_pairwise.py` on {}: the all-pairs exact W1 matrix; every \
         cluster matrix is checked bit for bit against the local one. Efficiency is \
         problems/s per core over the one-thread rate of the same run.\n",
        text(&v["machine"]),
    );
    let mut table = Table::new(
        "Pairwise exact W1",
        &[
            "case",
            "problems",
            "path",
            "time",
            "problems/s",
            "efficiency",
        ],
    );
    for c in v["cases"].as_array().into_iter().flatten() {
        for r in c["runs"].as_array().into_iter().flatten() {
            table.row(vec![
                text(&c["case"]),
                text(&c["problems"]),
                text(&r["path"]),
                secs(&r["seconds"]),
                r["problems_per_s"]
                    .as_f64()
                    .map_or_else(String::new, fmt_num),
                r["efficiency_vs_1_thread"]
                    .as_f64()
                    .map_or_else(String::new, |e| format!("{:.0}%", 100.0 * e)),
            ]);
        }
        if let Some(rate) = c["scipy_loop_problems_per_s"].as_f64() {
            table.row(vec![
                text(&c["case"]),
                String::new(),
                "scipy.stats.wasserstein_distance loop".to_owned(),
                String::new(),
                fmt_num(rate),
                String::new(),
            ]);
        }
        if let Some(p) = c["projection_300_images"].as_object() {
            table.row(vec![
                text(&c["case"]),
                text(&p["problems"]),
                "300 images, one core: a projection, not a measurement".to_owned(),
                secs(&p["seconds_1_core"]),
                String::new(),
                String::new(),
            ]);
        }
    }
    table_markdown(md, &table);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_step_is_a_section_that_says_why() {
        let mut md = String::new();
        markdown(&mut md, &Err("Python not available: no python3".to_owned()));
        assert!(md.contains("**Not measured**: Python not available: no python3."));
    }

    #[test]
    fn rows_show_ratio_agreement_and_the_missing_peer() {
        let v = serde_json::json!({
            "mode": "quick", "status": "measured", "cpus": 2,
            "versions": {"python": "3.11", "numpy": "2", "scipy": "1.17", "ot": "unavailable (no module)"},
            "rows": [
                {"case": "w1_1d", "n": 1_000_000, "ours": "wasserstein_1d(u, v)", "ours_s": 0.1,
                 "peer": "scipy", "peer_s": 0.3, "ratio": 3.0, "rel_diff": 1e-13, "note": null},
                {"case": "sinkhorn", "n": 10_000, "ours": "sinkhorn2", "ours_s": 0.02,
                 "peer": "ot.sinkhorn2", "peer_s": null, "ratio": null, "rel_diff": null,
                 "note": "import failed: no module named ot"},
            ]
        });
        let mut md = String::new();
        markdown(&mut md, &Ok(v));
        assert!(md.contains("| 3x |"), "{md}");
        assert!(md.contains("import failed: no module named ot"), "{md}");
        assert!(md.contains("| n/a |"), "{md}");
    }

    #[test]
    fn the_pairwise_subsection_shows_rates_efficiency_and_projection_or_why_not() {
        let mut md = String::new();
        pairwise_markdown(
            &mut md,
            &Value::String("pip install dask[distributed] failed".into()),
        );
        assert!(
            md.contains("**Not measured**: pip install dask[distributed] failed."),
            "{md}"
        );
        let v = serde_json::json!({
            "machine": "x86_64, 2 logical CPUs",
            "cases": [{
                "case": "10 images 64x64", "rows": 10, "problems": 45,
                "runs": [
                    {"path": "local, 1 thread", "cores": 1, "seconds": 0.9,
                     "problems_per_s": 50.0, "efficiency_vs_1_thread": 1.0},
                    {"path": "dask, 2 worker(s) x 1 thread", "cores": 2, "seconds": 0.5,
                     "problems_per_s": 90.0, "efficiency_vs_1_thread": 0.9},
                ],
                "projection_300_images": {"note": "projection", "problems": 44850, "seconds_1_core": 897.0},
            }]
        });
        let mut md = String::new();
        pairwise_markdown(&mut md, &v);
        assert!(md.contains("| 90% |"), "{md}");
        assert!(md.contains("a projection, not a measurement"), "{md}");
        assert!(md.contains("| 44850 |"), "{md}");
    }
}
