//! `cargo xtask validate`: pick suites, run them, print the table, write the report, and
//! turn any failed claim into a non-zero exit status.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use serde::Serialize;

use crate::claim::Claim;
use crate::flags::{ValidateArgs, ensure_regular_file, ensure_writable_dir};
use crate::machine::Machine;
use crate::progress::Progress;
use crate::suite::{Mode, Suite, SuiteResult, run_suite};
use crate::{input, project_root, report, suites};

/// The outcome of a validation run.
#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    /// Quick or full.
    pub mode: Mode,
    /// The command line that regenerates it.
    pub command: String,
    /// Where it ran.
    pub machine: Machine,
    /// Each suite's results, in the order run.
    pub suites: Vec<SuiteResult>,
    /// Wall time of all suites.
    pub seconds: f64,
}

impl Validation {
    /// Every claim of every suite.
    pub fn claims(&self) -> impl Iterator<Item = &Claim> {
        self.suites.iter().flat_map(|s| s.claims.iter())
    }

    /// The claims that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Claim> {
        self.suites.iter().flat_map(SuiteResult::failures)
    }

    /// The timing claims too noisy to decide (reported, not failed).
    pub fn noisy(&self) -> impl Iterator<Item = &Claim> {
        self.suites.iter().flat_map(SuiteResult::noisy)
    }

    /// The process exit status: 0 when no claim fails (every claim passes or is a noisy
    /// timing), 1 otherwise.
    #[must_use]
    pub fn exit_code(&self) -> i32 {
        i32::from(self.failures().next().is_some())
    }
}

/// Runs `suites` one after the other.
#[must_use]
pub fn run_suites(
    suites: &[Suite],
    mode: Mode,
    command: String,
    progress: &Progress,
) -> Validation {
    let start = Instant::now();
    let results = suites
        .iter()
        .map(|suite| {
            let result = run_suite(suite, mode, progress);
            let failed = result.failures().count();
            let noisy = result.noisy().count();
            progress.println(&format!(
                "{:<10} {} claims, {failed} failed, {noisy} noisy, {:.1} s",
                suite.name,
                result.claims.len(),
                result.seconds
            ));
            result
        })
        .collect();
    Validation {
        mode,
        command,
        machine: Machine::detect(),
        suites: results,
        seconds: start.elapsed().as_secs_f64(),
    }
}

/// The suites named in `names` (all registered ones when empty).
///
/// # Errors
/// When a name is not a registered suite; the message lists the registered ones.
pub fn select(names: &[String]) -> anyhow::Result<Vec<Suite>> {
    let all = suites::all();
    if names.is_empty() {
        return Ok(all);
    }
    let known: Vec<&str> = all.iter().map(|s| s.name).collect();
    for name in names {
        if !known.contains(&name.as_str()) {
            bail!(
                "unknown suite '{name}'; the suites are: {}",
                known.join(", ")
            );
        }
    }
    Ok(all
        .into_iter()
        .filter(|s| names.iter().any(|n| n == s.name))
        .collect())
}

/// The whole command: returns the run so that `main` can exit with its status.
///
/// # Errors
/// On an unknown suite, an `--input` that is not a regular file, an `--out` that cannot be
/// written (all three before any suite runs), an unreadable `--input`, or a report that
/// cannot be written. A failed claim is not an error: it is in the returned run's exit
/// code.
pub fn run(args: &ValidateArgs) -> anyhow::Result<Validation> {
    let mode = args.size.mode();
    let out = args.out.clone().unwrap_or_else(default_out);
    if let Some(file) = &args.input {
        ensure_regular_file(file)?;
    }
    ensure_writable_dir(&out)?;
    if let Some(file) = args.input.as_ref().filter(|_| args.suites.is_empty()) {
        return input::run(file, args.json, &out, mode);
    }
    let mut suites = if args.input.is_some() && args.suites.is_empty() {
        Vec::new()
    } else {
        select(&args.suites)?
    };
    if let Some(file) = &args.input {
        suites.push(input::suite(file.clone()));
    }
    if suites.is_empty() {
        bail!("no suite is registered yet: nothing to validate");
    }
    let command = command_line(args, mode);
    let progress = Progress::new();
    progress.println(&format!(
        "validating {} suite(s) in {} mode",
        suites.len(),
        mode.name()
    ));
    let validation = run_suites(&suites, mode, command, &progress);
    print!("{}", report::console(&validation));
    report::write_all(&validation, &out)?;
    println!("report: {}", display(&out.join("report.md")));
    println!("        {}", display(&out.join("report.html")));
    Ok(validation)
}

fn command_line(args: &ValidateArgs, mode: Mode) -> String {
    let mut cmd = format!("cargo xtask validate --{}", mode.name());
    for s in &args.suites {
        cmd.push_str(&format!(" --suite {s}"));
    }
    if let Some(input) = &args.input {
        cmd.push_str(&format!(" --input {}", input.display()));
    }
    cmd
}

fn display(path: &std::path::Path) -> String {
    let root = project_root();
    path.strip_prefix(&root)
        .map_or_else(|_| path.display().to_string(), |p| p.display().to_string())
}

/// Where `--out` defaults to.
#[must_use]
pub fn default_out() -> PathBuf {
    project_root().join("target/validation")
}
