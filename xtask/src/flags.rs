//! Every subcommand and flag of `cargo xtask`, declared in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::suite::Mode;

/// `cargo xtask`: reproduce the papers' claims and benchmark the workspace.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, about, long_about = None)]
pub struct Xtask {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every claim of the papers; write a report with plots and the numbers as JSON.
    Validate(ValidateArgs),
    /// Run the criterion benches; write a table of ratios against same-run baselines.
    Bench(BenchArgs),
}

/// Problem sizes: `--quick` (the default) or `--full`.
#[derive(Debug, Clone, Copy, Args)]
#[group(multiple = false)]
pub struct SizeFlags {
    /// Small sizes, finishes in a few minutes on a 2-core machine (the default).
    #[arg(long)]
    pub quick: bool,
    /// The papers' sizes; takes much longer.
    #[arg(long)]
    pub full: bool,
}

impl SizeFlags {
    /// The mode these flags select.
    #[must_use]
    pub fn mode(self) -> Mode {
        if self.full { Mode::Full } else { Mode::Quick }
    }
}

/// Flags of `cargo xtask validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Problem sizes.
    #[command(flatten)]
    pub size: SizeFlags,
    /// Run only these suites (repeat the flag or separate with commas); default: all.
    #[arg(long = "suite", value_name = "SUITE", value_delimiter = ',')]
    pub suites: Vec<String>,
    /// Folder for report.md, report.html, results.json and the SVG plots.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Diagnose your own captured Q/K/V (.safetensors with q/k/v, query/key/value or
    /// Hugging Face q_proj/k_proj/v_proj tensors, any layer prefix; or a Q .npy with K and
    /// V beside it) instead of running the suites; add --suite to run both.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// With --input alone: print the analysis as one JSON object on stdout.
    #[arg(long, requires = "input", conflicts_with = "suites")]
    pub json: bool,
}

/// Flags of `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Problem sizes and criterion's measurement effort.
    #[command(flatten)]
    pub size: SizeFlags,
    /// Folder for bench.md and bench.json.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Bench only these crates (repeat or separate with commas); default: every crate
    /// with benches.
    #[arg(
        long = "package",
        short = 'p',
        value_name = "CRATE",
        value_delimiter = ','
    )]
    pub packages: Vec<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn flags_are_consistent() {
        Xtask::command().debug_assert();
    }

    #[test]
    fn quick_is_the_default_and_full_excludes_it() {
        let parsed = Xtask::try_parse_from(["xtask", "validate"]).expect("plain validate parses");
        let Command::Validate(args) = parsed.command else {
            panic!("parsed as the wrong subcommand")
        };
        assert_eq!(args.size.mode(), Mode::Quick);
        assert!(Xtask::try_parse_from(["xtask", "validate", "--quick", "--full"]).is_err());
    }

    #[test]
    fn suites_accept_commas_and_repeats() {
        let parsed = Xtask::try_parse_from([
            "xtask",
            "validate",
            "--suite",
            "pasa,colt",
            "--suite",
            "npu",
        ])
        .expect("suite list parses");
        let Command::Validate(args) = parsed.command else {
            panic!("parsed as the wrong subcommand")
        };
        assert_eq!(args.suites, ["pasa", "colt", "npu"]);
    }
}
