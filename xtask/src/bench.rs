//! `cargo xtask bench`: runs the criterion benches of every crate that has them (the
//! per-crate micro-benches and the top-level `benches` package, whose `peers` bench times
//! POT and SciPy in the same run when a Python with them is importable), then the suites'
//! timing checks (scaling sweeps), and writes one report: `bench.md` / `bench.html` opening
//! with the project's targets as this run measured them ([`crate::targets`]), then
//! log-log scaling plots of every sized criterion group, ratio tables against the baselines
//! timed in the same run, the peer comparison (or why it was not measured), the FP16
//! emulation against the f32 kernel ([`crate::fp16_bench`]), the Python package against POT
//! and SciPy ([`crate::python_bench`]), and `bench.json` with every number.
//!
//! A baseline is recognised by its criterion function id: within one group and parameter
//! value, the function whose id contains one of [`BASELINE_MARKERS`] is the baseline of
//! the others (e.g. `dense` next to `fs1`, `stream` next to `matvec`).

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};
use serde::Serialize;
use serde_json::Value;

use crate::claim::fmt_num;
use crate::flags::{BenchArgs, ensure_writable_dir};
use crate::machine::Machine;
use crate::plot::{LinePlot, Scale, Series};
use crate::progress::Progress;
use crate::report::{html, table_markdown};
use crate::scaling::PowerFit;
use crate::suite::{Figure, Mode, Suite, Table};
use crate::validate::run_suites;
use crate::{project_root, suites};

/// Substrings of a criterion function id that mark it as the baseline of its group.
pub const BASELINE_MARKERS: [&str; 5] = ["dense", "baseline", "stream", "f32", "reference"];

/// One criterion measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// Criterion group.
    pub group: String,
    /// Function within the group (empty when the bench has none).
    pub function: String,
    /// Parameter value (e.g. the size), empty when none.
    pub value: String,
    /// Mean time per iteration, nanoseconds.
    pub mean_ns: f64,
    /// Half-width of criterion's 95% confidence interval of the mean, nanoseconds.
    pub ci_half_ns: f64,
    /// Elements or bytes per iteration, when the bench declared a throughput.
    pub throughput: Option<String>,
    /// Speed-up against each baseline function of the same group and value: baseline
    /// time / this time (> 1: faster than the baseline).
    pub speedups: Vec<(String, f64)>,
}

/// Runs the whole command.
///
/// # Errors
/// When `cargo metadata` or a `cargo bench` fails, or the output cannot be written.
pub fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let mode = args.size.mode();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| project_root().join("target/bench"));
    ensure_writable_dir(&out)?;
    let crates = select_crates(crates_with_benches()?, &args.packages)?;
    let started = SystemTime::now();
    let mut walls: Vec<(String, Duration)> = Vec::new();
    let mut failed: Vec<String> = Vec::new();
    // One `cargo bench` for every crate: separate ones would each resolve features for
    // their crate alone and rebuild the dependencies they share (measured: colt's rebuilt
    // gemm and regex after the `benches` package). Built first, so that the build time is
    // reported apart from the benches' own; `--no-fail-fast`: one failed assertion should
    // not cost the other crates' numbers.
    let log = out.join("cargo-bench.log");
    // The Python environment first: the `benches` package's POT/SciPy peers run with it.
    let venv = if args.packages.is_empty() || args.packages.iter().any(|p| p == "benches") {
        crate::python_bench::venv(&out)
    } else {
        Err("the Python section runs only without -p".to_owned())
    };
    for (step, no_run) in [
        ("build (bench profile)", true),
        ("criterion benches", false),
    ] {
        let step_started = Instant::now();
        println!(
            "cargo bench{} ({} mode) for {}; output in {}",
            if no_run { " --no-run" } else { "" },
            mode.name(),
            crates
                .iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            log.display()
        );
        let mut cmd = bench_command(&crates, mode, &out, no_run);
        if let Some(v) = venv.as_ref().ok().filter(|v| v.peers_installed) {
            cmd.env("PYTHON", &v.python);
        }
        let status = run_teed(&mut cmd, &log, !no_run).context("running cargo bench")?;
        walls.push((step.to_owned(), step_started.elapsed()));
        if !status.success() {
            let text = fs::read_to_string(&log).unwrap_or_default();
            let targets: Vec<&str> = text
                .lines()
                .filter(|l| l.trim_start().starts_with("`-p "))
                .map(str::trim)
                .collect();
            failed.push(if targets.is_empty() {
                format!("{step} ({status}; see cargo-bench.log)")
            } else {
                format!("{} ({status}; see cargo-bench.log)", targets.join(", "))
            });
            if no_run {
                break;
            }
        }
    }
    let measurements = read_criterion(&target_dir().join("criterion"), started)?;
    let timing: Vec<Suite> = suites::all()
        .into_iter()
        .map(|mut s| {
            s.checks.retain(|c| c.timing);
            s
        })
        .filter(|s| !s.checks.is_empty())
        .collect();
    let progress = Progress::new();
    let sweeps_started = Instant::now();
    let sweeps = run_suites(
        &timing,
        mode,
        format!("cargo xtask bench --{}", mode.name()),
        &progress,
    );
    walls.push(("scaling sweeps".to_owned(), sweeps_started.elapsed()));
    let machine = Machine::detect();
    let crate_names: Vec<String> = crates.into_iter().map(|(c, _)| c).collect();
    let peers = read_peers(&out.join("peers.json"), started, &crate_names).map(|mut v| {
        // The bench's own environment named relative to the workspace (reports get shared);
        // an interpreter elsewhere is the user's, shown as given.
        let root = format!("{}/", project_root().display());
        if let Some(relative) = v["python"]
            .as_str()
            .and_then(|p| p.strip_prefix(root.as_str()))
        {
            v["python"] = Value::String(relative.to_owned());
        }
        v
    });
    let fp16 = crate::fp16_bench::read(&out, started, &crate_names);
    let memory = read_sinkhorn(&out, "sinkhorn_memory.json", started, &crate_names);
    let exact_grid = read_sinkhorn(&out, "exact_grid.json", started, &crate_names);
    let python = if args.packages.is_empty() {
        crate::python_bench::run(&out, mode, &venv)
    } else {
        Err("the Python section runs only without -p".to_owned())
    };
    let targets = crate::targets::evaluate(&crate::targets::Inputs {
        criterion: &measurements,
        memory: &memory,
        exact_grid: &exact_grid,
        peers: &peers,
        python: &python,
        fp16: &fp16,
    });
    let plots = scaling_plots(&measurements)?;
    let mut md = markdown(
        &machine,
        mode,
        &crate_names,
        &measurements,
        &Extras {
            targets: &targets,
            plots: &plots,
            peers: &peers,
            walls: &walls,
            failed: &failed,
        },
        &sweeps,
    );
    for fig in sweeps
        .suites
        .iter()
        .flat_map(|s| s.figures.iter())
        .chain(&plots)
    {
        fs::write(out.join(&fig.file), &fig.svg)?;
    }
    crate::fp16_bench::markdown(&mut md, &fp16);
    crate::python_bench::markdown(&mut md, &python);
    fs::write(out.join("bench.md"), &md)?;
    fs::write(out.join("bench.html"), html(&md, "Benchmarks"))?;
    let json = serde_json::json!({
        "mode": mode,
        "machine": machine,
        "crates": crate_names,
        "wall_seconds": walls.iter().map(|(k, d)| (k.clone(), d.as_secs_f64())).collect::<Vec<_>>(),
        "criterion": measurements,
        "peers": match &peers {
            Ok(v) => v.clone(),
            Err(reason) => serde_json::json!({ "status": reason }),
        },
        "targets": targets,
        "memory": memory.unwrap_or_else(|reason| serde_json::json!({ "status": reason })),
        "exact_grid": exact_grid.unwrap_or_else(|reason| serde_json::json!({ "status": reason })),
        "fp16_emulation": fp16.unwrap_or_else(|reason| serde_json::json!({ "status": reason })),
        "sweeps": crate::report::json(&sweeps),
        "python": python.unwrap_or_else(|reason| serde_json::json!({ "status": reason })),
    });
    fs::write(out.join("bench.json"), serde_json::to_string_pretty(&json)?)?;
    println!("{}", out.join("bench.md").display());
    if !failed.is_empty() {
        bail!(
            "cargo bench failed for {}; see {}",
            failed.join(", "),
            out.join("bench.md").display()
        );
    }
    if sweeps.exit_code() != 0 {
        bail!(
            "a scaling claim failed; see {}",
            out.join("bench.md").display()
        );
    }
    Ok(())
}

/// `cargo bench [--no-run] --no-fail-fast -p <crate>... --bench <target>... [-- --quick]`.
fn bench_command(
    crates: &[(String, Vec<String>)],
    mode: Mode,
    out: &Path,
    no_run: bool,
) -> Command {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(project_root())
        .args(["bench", "--no-fail-fast"]);
    if no_run {
        cmd.arg("--no-run");
    }
    for (krate, _) in crates {
        cmd.args(["-p", krate]);
    }
    // Only the bench targets: libtest's harness rejects criterion's flags.
    let mut targets: Vec<&str> = crates
        .iter()
        .flat_map(|(_, b)| b.iter().map(String::as_str))
        .collect();
    targets.sort_unstable();
    targets.dedup();
    for bench in targets {
        cmd.args(["--bench", bench]);
    }
    cmd.env("BENCH_OUT", out);
    if mode == Mode::Quick {
        // criterion's quick mode; the sinkhorn benches' own sweeps stop at 1e6 / 512^2,
        // the `benches` package takes its quick sizes.
        cmd.args(["--", "--quick"])
            .env("SINKHORN_BENCH_QUICK", "1")
            .env("BENCH_QUICK", "1");
    } else {
        // The sinkhorn benches' full sizes (exact W1 to 512^2 under criterion).
        cmd.env("SINKHORN_BENCH_FULL", "1");
    }
    cmd
}

/// Runs `cmd` with its stdout and stderr (cargo's build progress, a bench's panic message)
/// shown live and both copied to `log` (appended to it with `append`).
fn run_teed(
    cmd: &mut Command,
    log: &Path,
    append: bool,
) -> anyhow::Result<std::process::ExitStatus> {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::sync::{Arc, Mutex};
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let file = fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(append)
        .truncate(!append)
        .open(log)?;
    let file = Arc::new(Mutex::new(file));
    let stderr = child.stderr.take().map(|stderr| {
        let file = Arc::clone(&file);
        std::thread::spawn(move || -> std::io::Result<()> {
            for line in BufReader::new(stderr).lines() {
                let line = line?;
                eprintln!("{line}");
                let mut f = file
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                writeln!(f, "{line}")?;
            }
            Ok(())
        })
    });
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            let mut f = file
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            writeln!(f, "{line}")?;
        }
    }
    if let Some(handle) = stderr {
        handle
            .join()
            .map_err(|_| anyhow::anyhow!("the stderr reader panicked"))??;
    }
    Ok(child.wait()?)
}

/// Cargo's target folder: `CARGO_TARGET_DIR` when set, else `<root>/target`.
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| project_root().join("target"), PathBuf::from)
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

/// The crates of `all` named in `requested` (every one when it is empty).
///
/// # Errors
/// When a requested name is not among them; the message lists them.
pub fn select_crates(
    all: Vec<(String, Vec<String>)>,
    requested: &[String],
) -> anyhow::Result<Vec<(String, Vec<String>)>> {
    if let Some(unknown) = requested
        .iter()
        .find(|r| !all.iter().any(|(name, _)| name == *r))
    {
        let names: Vec<&str> = all.iter().map(|(name, _)| name.as_str()).collect();
        bail!(
            "unknown crate '{unknown}' for -p; the crates with benches are: {}",
            names.join(", ")
        );
    }
    if requested.is_empty() {
        return Ok(all);
    }
    Ok(all
        .into_iter()
        .filter(|(name, _)| requested.contains(name))
        .collect())
}

/// Workspace packages with their bench targets, from `cargo metadata`, sorted by name.
///
/// # Errors
/// When `cargo metadata` fails or prints something unexpected.
pub fn crates_with_benches() -> anyhow::Result<Vec<(String, Vec<String>)>> {
    let meta = cargo_metadata(false)?;
    let packages = meta["packages"]
        .as_array()
        .context("cargo metadata without packages")?;
    let mut out: Vec<(String, Vec<String>)> = packages
        .iter()
        .filter_map(|p| {
            let benches: Vec<String> = p["targets"]
                .as_array()?
                .iter()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == "bench"))
                })
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect();
            let name = p["name"].as_str()?.to_owned();
            (!benches.is_empty()).then_some((name, benches))
        })
        .collect();
    out.sort();
    Ok(out)
}

/// `cargo metadata` of the workspace, parsed: its own packages only, or with every
/// dependency (`with_deps`, resolved from `Cargo.lock`).
///
/// # Errors
/// When cargo cannot run or its output is not JSON.
pub fn cargo_metadata(with_deps: bool) -> anyhow::Result<Value> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(project_root())
        .args(["metadata", "--format-version", "1"]);
    if !with_deps {
        cmd.arg("--no-deps");
    }
    let output = cmd.output().context("running cargo metadata")?;
    if !output.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("parsing cargo metadata")
}

/// Reads every `new/estimates.json` under `root` written after `since`, and fills in
/// the baseline ratios.
///
/// # Errors
/// When a criterion file cannot be read or parsed.
pub fn read_criterion(root: &Path, since: SystemTime) -> anyhow::Result<Vec<Measurement>> {
    let mut dirs = Vec::new();
    collect_new_dirs(root, &mut dirs)?;
    let mut out = Vec::new();
    for dir in dirs {
        let estimates = dir.join("estimates.json");
        let fresh = fs::metadata(&estimates)
            .and_then(|m| m.modified())
            .is_ok_and(|t| t >= since);
        if !fresh {
            continue;
        }
        let bench: Value = serde_json::from_str(&fs::read_to_string(dir.join("benchmark.json"))?)?;
        let est: Value = serde_json::from_str(&fs::read_to_string(&estimates)?)?;
        let mean = &est["mean"];
        let ci = &mean["confidence_interval"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        out.push(Measurement {
            group: text(&bench["group_id"]),
            function: text(&bench["function_id"]),
            value: text(&bench["value_str"]),
            mean_ns: mean["point_estimate"].as_f64().unwrap_or(f64::NAN),
            ci_half_ns: (ci["upper_bound"].as_f64().unwrap_or(f64::NAN)
                - ci["lower_bound"].as_f64().unwrap_or(f64::NAN))
                / 2.0,
            throughput: bench["throughput"].as_object().and_then(|o| {
                o.iter()
                    .next()
                    .map(|(k, v)| format!("{} {k}", v.as_u64().unwrap_or(0)))
            }),
            speedups: Vec::new(),
        });
    }
    out.sort_by(|a, b| {
        (&a.group, size_key(&a.value), &a.function).cmp(&(
            &b.group,
            size_key(&b.value),
            &b.function,
        ))
    });
    add_baselines(&mut out);
    Ok(out)
}

/// Sorts parameter values numerically when they are numbers ("1000" < "20000").
fn size_key(value: &str) -> (u64, String) {
    let digits: String = value.chars().filter(char::is_ascii_digit).collect();
    (digits.parse().unwrap_or(u64::MAX), value.to_owned())
}

fn collect_new_dirs(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") && path.join("benchmark.json").exists()
            {
                out.push(path);
            } else if path.file_name().is_none_or(|n| n != "report") {
                collect_new_dirs(&path, out)?;
            }
        }
    }
    Ok(())
}

/// Whether a function id names a baseline.
#[must_use]
pub fn is_baseline(function: &str) -> bool {
    let f = function.to_ascii_lowercase();
    BASELINE_MARKERS.iter().any(|m| f.contains(m))
}

fn add_baselines(ms: &mut [Measurement]) {
    let snapshot = ms.to_vec();
    for m in ms.iter_mut() {
        if is_baseline(&m.function) {
            continue;
        }
        m.speedups = snapshot
            .iter()
            .filter(|b| b.group == m.group && b.value == m.value && is_baseline(&b.function))
            .map(|b| (b.function.clone(), b.mean_ns / m.mean_ns))
            .collect();
    }
}

/// The peer comparison written by the `benches` package's `peers` bench in this run, or why
/// there is none.
fn read_peers(path: &Path, since: SystemTime, crates: &[String]) -> Result<Value, String> {
    if !crates.iter().any(|c| c == "benches") {
        return Err(
            "the `benches` package, which times POT and SciPy, was not run (-p)".to_owned(),
        );
    }
    read_fresh(path, since)
}

/// The JSON a bench wrote at `path` during this run (modified at or after `since`), or
/// why there is none: a file left by an earlier run is not this run's number.
///
/// # Errors
/// A sentence: the file is missing, older than `since`, unreadable or not JSON.
pub fn read_fresh(path: &Path, since: SystemTime) -> Result<Value, String> {
    let fresh = fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    if !fresh {
        return Err(format!("{} was not written in this run", path.display()));
    }
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))
}

/// A sinkhorn bench's JSON of this run, or why there is none.
fn read_sinkhorn(
    out: &Path,
    file: &str,
    since: SystemTime,
    crates: &[String],
) -> Result<Value, String> {
    if !crates.iter().any(|c| c == "sinkhorn") {
        return Err(format!(
            "`sinkhorn`, whose benches write {file}, was not run (-p)"
        ));
    }
    read_fresh(&out.join(file), since)
}

/// Log-log plots (time against size, one series per function) of every criterion group
/// measured at three or more numeric sizes.
fn scaling_plots(ms: &[Measurement]) -> anyhow::Result<Vec<Figure>> {
    let mut groups: Vec<&str> = ms.iter().map(|m| m.group.as_str()).collect();
    groups.dedup();
    let mut figures = Vec::new();
    for group in groups {
        let rows: Vec<&Measurement> = ms.iter().filter(|m| m.group == group).collect();
        let mut functions: Vec<&str> = rows.iter().map(|m| m.function.as_str()).collect();
        functions.sort_unstable();
        functions.dedup();
        let mut plot = LinePlot::new(
            format!("{group}: time against size"),
            "size (parameter of the bench)",
            "mean time per iteration, s",
            Scale::Log,
            Scale::Log,
        );
        let mut widest = 0;
        for f in functions {
            let points: Vec<(f64, f64)> = rows
                .iter()
                .filter(|m| m.function == f)
                .filter_map(|m| Some((m.value.parse::<f64>().ok()?, m.mean_ns * 1e-9)))
                .collect();
            widest = widest.max(points.len());
            let label = match PowerFit::fit(&points) {
                Some(fit) if points.len() >= 3 => format!("{f} (slope {})", fmt_num(fit.slope)),
                _ => f.to_owned(),
            };
            if !points.is_empty() {
                plot = plot.with(Series::line(label, points));
            }
        }
        if widest >= 3 {
            figures.push(Figure {
                file: format!("bench-{}.svg", group.replace(['/', ' '], "_")),
                caption: format!(
                    "{group}: criterion mean time against size, log-log, with the fitted slope of each function (1 is O(N), 2 is O(N^2))."
                ),
                svg: plot.svg()?,
            });
        }
    }
    Ok(figures)
}

/// What the report adds to the criterion table: plots and the peer comparison.
struct Extras<'a> {
    /// The targets section ([`crate::targets`]), shown first.
    targets: &'a [crate::targets::Target],
    plots: &'a [Figure],
    peers: &'a Result<Value, String>,
    /// Wall time of each step (the build, the criterion benches, the sweeps).
    walls: &'a [(String, Duration)],
    /// The bench targets that failed (a bench's assertion on its answer) or the build.
    failed: &'a [String],
}

/// The peer comparison as a Markdown section.
fn peers_markdown(md: &mut String, peers: &Result<Value, String>) {
    let _ = writeln!(md, "\n## Against the tools users pick today (POT, SciPy)\n");
    let v = match peers {
        Ok(v) => v,
        Err(reason) => {
            let _ = writeln!(md, "**Not measured**: {reason}.");
            return;
        }
    };
    let rows: Vec<&Value> = v["rows"].as_array().into_iter().flatten().collect();
    let unmeasured: Vec<String> = rows
        .iter()
        .filter(|r| r["peer_seconds"].as_f64().is_none())
        .map(|r| format!("{} at N = {}", r["peer"].as_str().unwrap_or("?"), r["n"]))
        .collect();
    let status = v["status"].as_str().unwrap_or("?");
    let python = v["python"].as_str().unwrap_or("?");
    if unmeasured.len() == rows.len() {
        let _ = writeln!(
            md,
            "**Not measured**: {status} (interpreter `{python}`). Only our side was timed; the table \
             lists it without a comparison.\n"
        );
    } else {
        let _ = writeln!(
            md,
            "Interpreter `{python}`: {status}. Both sides time the same inputs in the same run, on one \
             thread each (minimum of repeats; Sinkhorn iterations differenced so set-up cancels); each \
             measured row's answers were asserted to agree before it was written.\n"
        );
        if !unmeasured.is_empty() {
            let _ = writeln!(
                md,
                "**Not measured** (the row says why): {}.\n",
                unmeasured.join(", ")
            );
        }
    }
    let mut table = Table::new(
        "Ours against the peers",
        &[
            "comparison",
            "N",
            "ours",
            "peer",
            "speed-up (peer time / ours)",
            "relative difference of the answers (tolerance)",
        ],
    );
    let secs = |x: &Value| {
        x.as_f64()
            .map_or_else(|| "n/a".to_owned(), |s| fmt_time(s * 1e9))
    };
    for r in rows {
        let name = r["peer"].as_str().unwrap_or("");
        let peer = match (r["unavailable"].as_str(), r["peer_seconds"].as_f64()) {
            (Some(reason), _) => format!("{name}: not measured ({reason})"),
            (None, Some(_)) => format!("{name} {}", secs(&r["peer_seconds"])),
            (None, None) => format!("{name}: not measured"),
        };
        table.row(vec![
            r["comparison"].as_str().unwrap_or("").to_owned(),
            r["n"].to_string(),
            format!(
                "{} {}",
                r["ours"].as_str().unwrap_or(""),
                secs(&r["ours_seconds"])
            ),
            peer,
            r["speedup"]
                .as_f64()
                .map_or_else(|| "n/a".to_owned(), |s| format!("{}x", fmt_num(s))),
            match (r["relative_difference"].as_f64(), r["tolerance"].as_f64()) {
                (Some(d), Some(t)) => format!("{} (<= {})", fmt_num(d), fmt_num(t)),
                _ => "n/a".to_owned(),
            },
        ]);
    }
    table_markdown(md, &table);
}

/// Each measurement as a multiple of its group's baselines at the same size (the form
/// "3.2x a streaming pass"): this time / the baseline's.
fn ratio_table(ms: &[Measurement]) -> Table {
    let mut table = Table::new(
        "Ratios to the same-run baselines (this time / baseline time; < 1 is faster)",
        &["group", "size", "function", "ratio", "baseline"],
    );
    for m in ms {
        for (baseline, speedup) in &m.speedups {
            table.row(vec![
                m.group.clone(),
                m.value.clone(),
                m.function.clone(),
                format!("{}x", fmt_num(1.0 / speedup)),
                baseline.clone(),
            ]);
        }
    }
    table
}

fn markdown(
    machine: &Machine,
    mode: Mode,
    crates: &[String],
    ms: &[Measurement],
    extras: &Extras<'_>,
    sweeps: &crate::validate::Validation,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "`cargo xtask bench --{}` at {} on commit `{}`.  \nMachine: {}.  \nCrates benched: {} (every bench's printed output, with its self-timed summaries, and cargo's is in `cargo-bench.log` beside this file).\n",
        mode.name(),
        machine.time_utc,
        machine.commit,
        machine.summary(),
        if crates.is_empty() {
            "none".to_owned()
        } else {
            crates.join(", ")
        }
    );
    let _ = writeln!(
        md,
        "Times are criterion means with the half-width of their 95% interval. *Speed-up* is \
         the baseline's time over this row's, both measured in this run (a baseline is the \
         function of the same group and size whose name contains one of: {}). This machine \
         is shared; compare only numbers of one run.\n",
        BASELINE_MARKERS.join(", ")
    );
    if !extras.failed.is_empty() {
        let _ = writeln!(
            md,
            "**FAILED**: {}. Their numbers below are missing or partial.\n",
            extras.failed.join(", ")
        );
    }
    let total: Duration = extras.walls.iter().map(|(_, d)| *d).sum();
    let _ = writeln!(
        md,
        "Wall time {} in all: {}.\n",
        fmt_time(total.as_secs_f64() * 1e9),
        extras
            .walls
            .iter()
            .map(|(k, d)| format!("{k} {}", fmt_time(d.as_secs_f64() * 1e9)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    crate::targets::markdown(&mut md, extras.targets);
    let _ = writeln!(md, "\n## Criterion benches\n");
    let mut table = Table::new(
        "Criterion benches",
        &[
            "group",
            "function",
            "size",
            "mean",
            "± 95%",
            "throughput",
            "speed-up vs same-run baselines",
        ],
    );
    for m in ms {
        table.row(vec![
            m.group.clone(),
            m.function.clone(),
            m.value.clone(),
            fmt_time(m.mean_ns),
            fmt_time(m.ci_half_ns),
            m.throughput.clone().unwrap_or_default(),
            m.speedups
                .iter()
                .map(|(b, s)| format!("{}x vs {b}", fmt_num(*s)))
                .collect::<Vec<_>>()
                .join("; "),
        ]);
    }
    table_markdown(&mut md, &table);
    let ratios = ratio_table(ms);
    if !ratios.rows.is_empty() {
        table_markdown(&mut md, &ratios);
    }
    for fig in extras.plots {
        let _ = writeln!(
            md,
            "\n![{}]({})\n\n*{}*",
            fig.caption, fig.file, fig.caption
        );
    }
    peers_markdown(&mut md, extras.peers);
    for suite in &sweeps.suites {
        let _ = writeln!(md, "\n## Scaling sweeps: {}\n", suite.title);
        for c in &suite.claims {
            let verdict = c.verdict().label();
            let _ = writeln!(
                md,
                "- {verdict} `{}`: {} measured {}, threshold {}",
                c.id,
                c.statement,
                c.measured_text(),
                c.threshold_text()
            );
        }
        for fig in &suite.figures {
            let _ = writeln!(md, "\n![{}]({})\n", fig.caption, fig.file);
        }
        for t in &suite.tables {
            table_markdown(&mut md, t);
        }
    }
    md
}

/// Nanoseconds as a readable duration.
#[must_use]
pub fn fmt_time(ns: f64) -> String {
    if !ns.is_finite() {
        return "n/a".to_owned();
    }
    let (v, unit) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {unit}", fmt_num(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, group: &str, function: &str, value: &str, mean: f64) {
        let new = dir.join(group).join(function).join(value).join("new");
        fs::create_dir_all(&new).expect("temp dir is writable");
        let bench = serde_json::json!({
            "group_id": group, "function_id": function, "value_str": value,
            "throughput": {"Elements": 1000}, "full_id": "", "directory_name": "", "title": ""
        });
        let est = serde_json::json!({"mean": {"point_estimate": mean,
            "confidence_interval": {"lower_bound": mean - 1.0, "upper_bound": mean + 1.0,
                                    "confidence_level": 0.95}}});
        fs::write(new.join("benchmark.json"), bench.to_string()).expect("write benchmark.json");
        fs::write(new.join("estimates.json"), est.to_string()).expect("write estimates.json");
    }

    #[test]
    fn criterion_output_is_read_and_ratioed_against_same_size_baselines() {
        let dir = std::env::temp_dir().join(format!("xtask-bench-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        write(&dir, "matvec", "colt", "1000", 100.0);
        write(&dir, "matvec", "dense", "1000", 5000.0);
        write(&dir, "matvec", "colt", "10000", 1000.0);
        let ms = read_criterion(&dir, SystemTime::UNIX_EPOCH).expect("fixture reads");
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(ms.len(), 3);
        let small = ms
            .iter()
            .find(|m| m.function == "colt" && m.value == "1000")
            .expect("row");
        assert_eq!(small.speedups.len(), 1, "one baseline at that size");
        let (baseline, speedup) = &small.speedups[0];
        assert_eq!(baseline, "dense");
        assert!(
            (speedup - 50.0).abs() < 1e-12,
            "5000 ns / 100 ns = 50, got {speedup}"
        );
        let large = ms.iter().find(|m| m.value == "10000").expect("row");
        assert!(large.speedups.is_empty(), "no baseline at that size");
        assert_eq!(ms[0].value, "1000", "sizes sort numerically");
    }

    #[test]
    fn unknown_crates_are_refused_with_the_list() {
        let all = || {
            vec![
                ("colt".to_owned(), vec!["matvec".to_owned()]),
                ("sinkhorn".to_owned(), vec!["iteration".to_owned()]),
            ]
        };
        let err = select_crates(all(), &["sinkhorm".to_owned()]).expect_err("a typo");
        assert_eq!(
            err.to_string(),
            "unknown crate 'sinkhorm' for -p; the crates with benches are: colt, sinkhorn"
        );
        let picked = select_crates(all(), &["sinkhorn".to_owned()]).expect("known");
        assert_eq!(picked.len(), 1);
        assert_eq!(select_crates(all(), &[]).expect("all").len(), 2);
    }

    #[test]
    fn bad_flags_fail_before_anything_runs() {
        let args = |packages: &[&str], out: PathBuf| BenchArgs {
            size: crate::flags::SizeFlags {
                quick: true,
                full: false,
            },
            out: Some(out),
            packages: packages.iter().map(|p| (*p).to_owned()).collect(),
        };
        let dir = std::env::temp_dir().join(format!("xtask-bench-flags-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("file");
        fs::write(&file, b"x").expect("temp file");
        let start = std::time::Instant::now();
        let err = run(&args(&[], file.join("out"))).expect_err("--out under a file");
        assert!(format!("{err:#}").contains("--out"), "{err:#}");
        let err = run(&args(&["nope"], dir.join("out"))).expect_err("unknown crate");
        assert!(err.to_string().contains("unknown crate 'nope'"), "{err:#}");
        // Neither ran a bench: a `cargo metadata` at most.
        assert!(start.elapsed().as_secs() < 60);
        assert!(!dir.join("out/bench.md").exists());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_report_says_when_peers_were_not_measured() {
        let row = |peer_seconds: Option<f64>| {
            let mut r = serde_json::json!({
                "comparison": "exact W1, 1D", "n": 1000, "ours": "exact_w1",
                "ours_seconds": 1e-5, "peer": "SciPy wasserstein_distance",
            });
            if let Some(s) = peer_seconds {
                r["peer_seconds"] = serde_json::json!(s);
                r["speedup"] = serde_json::json!(s / 1e-5);
                r["relative_difference"] = serde_json::json!(1e-15);
                r["tolerance"] = serde_json::json!(1e-12);
            }
            r
        };
        let render = |v: Result<Value, String>| {
            let mut md = String::new();
            peers_markdown(&mut md, &v);
            md
        };
        let none = render(Ok(serde_json::json!({
            "python": "python3", "status": "no Python interpreter 'python3'",
            "rows": [row(None)],
        })));
        assert!(none.contains("**Not measured**: no Python"), "{none}");
        assert!(!none.contains("asserted to agree"), "{none}");
        assert!(
            none.contains("SciPy wasserstein_distance: not measured"),
            "{none}"
        );
        let some = render(Ok(serde_json::json!({
            "python": "python3", "status": "measured with Python 3.12",
            "rows": [row(Some(2e-5)), row(None)],
        })));
        assert!(some.contains("asserted to agree"), "{some}");
        assert!(
            some.contains(
                "**Not measured** (the row says why): SciPy wasserstein_distance at N = 1000"
            ),
            "{some}"
        );
        assert!(some.contains("2x"), "speed-up column: {some}");
        let skipped = render(Err("the `benches` package was not run (-p)".to_owned()));
        assert!(
            skipped.contains("**Not measured**: the `benches`"),
            "{skipped}"
        );
    }

    #[test]
    fn durations_pick_a_unit() {
        assert_eq!(fmt_time(1500.0), "1.5 µs");
        assert_eq!(fmt_time(2.5e9), "2.5 s");
    }
}
