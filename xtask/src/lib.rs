//! The project's task runner, as a library so that its pieces can be tested.
//!
//! `cargo xtask` (an alias in `.cargo/config.toml`) runs the binary in `main.rs`, which
//! parses [`flags`] and calls one of three commands:
//!
//! - [`validate`]: runs the [`suites`] of [`claim::Claim`]s that reproduce the papers'
//!   statements, prints a console table and writes `report.md`, `report.html`,
//!   `results.json` and SVG plots under `--out` (default `target/validation/`). Any failed
//!   claim makes the command exit non-zero.
//! - [`bench`](mod@bench): runs the criterion benches of the crates that have them and writes
//!   `target/bench/bench.md` and `bench.json`, with ratios against the baselines timed in
//!   the same run and the machine's details, the FP16 emulation against the f32 kernel
//!   ([`fp16_bench`]), and the Python package against POT and SciPy ([`python_bench`]).
//! - [`all_tests`]: `cargo xtask test`, the Rust test suite and then the Python package's
//!   pytest suite, the one test command of README and CI.
//!
//! xtask owns no algorithm: every solver, kernel and simulator it reports on is a call into
//! one of the four domain crates; it computes only closed-form oracles to compare against,
//! fits and plots. It is the only crate that uses `anyhow`.

pub mod all_tests;
pub mod bench;
pub mod claim;
pub mod flags;
pub mod fp16_bench;
pub mod input;
pub mod interleave;
pub mod machine;
pub mod plot;
pub mod progress;
pub mod python_bench;
pub mod report;
pub mod scaling;
pub mod suite;
pub mod suites;
pub mod targets;
pub mod validate;

#[cfg(test)]
mod tidy;

/// The workspace README and the guides in `docs/`, so that `cargo test -p xtask --doc`
/// compiles and runs their ```` ```rust ```` examples (blocks marked `sh`, `text`, ... are
/// not compiled; a bare ```` ``` ```` block is Rust to rustdoc, so the guides mark theirs).
mod guides {
    #[doc = include_str!("../../README.md")]
    mod readme {}
    #[doc = include_str!("../../docs/ARCHITECTURE.md")]
    mod architecture {}
    #[doc = include_str!("../../docs/colt.md")]
    mod colt {}
    #[doc = include_str!("../../docs/sinkhorn.md")]
    mod sinkhorn {}
    #[doc = include_str!("../../docs/pasa.md")]
    mod pasa {}
    #[doc = include_str!("../../docs/npu-sim.md")]
    mod npu_sim {}
    #[doc = include_str!("../../docs/validation.md")]
    mod validation {}
    #[doc = include_str!("../../docs/for-pot-users.md")]
    mod for_pot_users {}
}

use std::path::{Path, PathBuf};

/// The workspace root: the folder above this crate's manifest.
#[must_use]
pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
