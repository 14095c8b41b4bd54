//! The workspace's benchmark package: comparisons that no single crate can hold, across
//! crates (`benches/cross_crate.rs`: sinkhorn's kernel product against colt's bare matvec and
//! a streaming pass) and against the tools users pick today (`benches/peers.rs`: POT's
//! dense Sinkhorn and SciPy's exact W1, timed in the same run by a Python subprocess).
//! Per-crate micro-benches stay in each crate; `cargo xtask bench` drives all of them and
//! writes one report under `target/bench/`.
//!
//! This library holds what the benches share: the sizes in one table, where results go,
//! the fixed-iteration solver options every FS-1 timing uses (here and in `cargo xtask
//! validate`'s speed claims), and the runner of the Python peers ([`peers`]).

pub mod peers;

use std::path::{Path, PathBuf};

use sinkhorn::{Backend, Domain, Eps, SinkhornParams, Termination};

/// Options of a Sinkhorn solve that runs exactly `iterations` iterations, for timing: `eps`
/// absolute, tolerance 0 (it never stops early), the marginals checked every 10
/// iterations as by default (the check is part of what is timed), and the last iterate
/// returned as `Ok` at the cap.
#[must_use]
pub fn fixed_iterations(
    eps: f64,
    domain: Domain,
    backend: Backend,
    iterations: usize,
) -> SinkhornParams {
    SinkhornParams {
        eps: Eps::Absolute(eps),
        domain,
        backend,
        termination: Termination::new(iterations, 0.0).allowing_partial(),
        ..Default::default()
    }
}

/// Sizes N of the 1D problems, all benches: the quick set (`BENCH_QUICK` set, as
/// `cargo xtask bench` does by default) or the full one.
#[must_use]
pub fn line_sizes() -> &'static [usize] {
    if quick() {
        &[1_000, 10_000, 100_000]
    } else {
        &[1_000, 10_000, 100_000, 1_000_000]
    }
}

/// Sizes N at which the dense O(N^2) peers (POT's `ot.sinkhorn`, our dense backend) run:
/// an N x N f64 kernel is 8 N^2 bytes, 800 MB at 10^4. The same in quick mode: 10^4 is the
/// size of the POT target in `cargo xtask bench`'s targets section, and POT's side of it
/// took about a minute on the 2-core machine.
#[must_use]
pub fn dense_sizes() -> &'static [usize] {
    &[1_000, 4_000, 10_000]
}

/// Whether the quick sizes were asked for (`BENCH_QUICK` set).
#[must_use]
pub fn quick() -> bool {
    std::env::var_os("BENCH_QUICK").is_some()
}

/// Where benches write their results: `BENCH_OUT` (set by `cargo xtask bench`), else
/// `target/bench` of the workspace.
#[must_use]
pub fn out_dir() -> PathBuf {
    std::env::var_os("BENCH_OUT").map_or_else(
        || {
            Path::new(env!("CARGO_MANIFEST_DIR")).parent().map_or_else(
                || PathBuf::from("target/bench"),
                |root| root.join("target/bench"),
            )
        },
        PathBuf::from,
    )
}
