//! `cargo xtask test`: every test of the project in one command, the one README gives and
//! `.ci/run` calls: the Rust suite (`cargo test --workspace`: unit, integration and doc
//! tests, README and `docs/*.md` included) and then the Python package's pytest suite
//! against POT and SciPy (`scripts/pytest.sh`: a fresh virtual environment, `pip install`
//! of `crates/pasa-sinkhorn-py`, pytest). Both always run; the command fails if either does.

use std::process::Command;

use anyhow::{Context, bail};

use crate::flags::TestArgs;
use crate::project_root;

/// Run the Rust tests, then the Python tests (unless `--rust-only`).
///
/// # Errors
/// When a test run cannot start or any test fails; the message names which suite failed.
pub fn run(args: &TestArgs) -> anyhow::Result<()> {
    let root = project_root();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let rust = Command::new(cargo)
        .args(["test", "--workspace"])
        .current_dir(&root)
        .status()
        .context("starting cargo test")?;
    let python = if args.rust_only {
        None
    } else {
        let status = Command::new("bash")
            .arg(root.join("scripts/pytest.sh"))
            .current_dir(&root)
            .status()
            .context("starting scripts/pytest.sh (needs bash and python3 with venv)")?;
        Some(status)
    };
    let mut failed = Vec::new();
    if !rust.success() {
        failed.push("the Rust tests (cargo test --workspace)");
    }
    if python.is_some_and(|s| !s.success()) {
        failed.push("the Python tests (scripts/pytest.sh)");
    }
    if !failed.is_empty() {
        bail!("{} failed", failed.join(" and "));
    }
    println!(
        "cargo xtask test: all passed ({})",
        if args.rust_only {
            "Rust only"
        } else {
            "Rust and Python"
        }
    );
    Ok(())
}
