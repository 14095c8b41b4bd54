//! Every subcommand and flag of `cargo xtask`, declared in one place, with the checks of
//! the paths they name, so that a bad path fails before any computing starts.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
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
    /// Run every test: `cargo test --workspace`, then the Python package's pytest suite.
    Test(TestArgs),
}

/// Flags of `cargo xtask test`.
#[derive(Debug, Args)]
pub struct TestArgs {
    /// Skip the Python package's tests (they need python3 with venv and PyPI access).
    #[arg(long)]
    pub rust_only: bool,
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

/// Checks that `path` is a regular file (a link to one is fine) before it is opened: a
/// FIFO or a device would be read forever, a folder fails obscurely later.
///
/// # Errors
/// When `path` does not exist or is not a regular file; the message names its kind.
pub fn ensure_regular_file(path: &Path) -> anyhow::Result<()> {
    let meta =
        fs::metadata(path).with_context(|| format!("cannot read --input {}", path.display()))?;
    if meta.is_file() {
        return Ok(());
    }
    bail!(
        "--input {} is {}, not a regular file: give a .safetensors or .npy file",
        path.display(),
        file_kind(&meta.file_type())
    )
}

/// "a folder", "a FIFO (named pipe)", "a character device", ...
fn file_kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Creates `dir` (with its parents) and proves it writable by creating and removing a probe
/// file in it, so that `--out` fails before minutes of measuring rather than after.
///
/// # Errors
/// When the folder cannot be created or written; the message names the flag.
pub fn ensure_writable_dir(dir: &Path) -> anyhow::Result<()> {
    let fail = || format!("--out {} is not a writable folder", dir.display());
    fs::create_dir_all(dir).with_context(fail)?;
    let probe = dir.join(format!(".xtask-write-probe-{}", std::process::id()));
    fs::write(&probe, b"").with_context(fail)?;
    fs::remove_file(&probe).with_context(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-flags-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("temp dir is writable");
        dir
    }

    #[test]
    fn only_regular_files_pass_as_input() {
        let dir = scratch("input");
        let file = dir.join("q.npy");
        fs::write(&file, b"x").expect("temp file");
        assert!(ensure_regular_file(&file).is_ok());
        let folder = ensure_regular_file(&dir).expect_err("a folder is refused");
        assert!(format!("{folder:#}").contains("a folder"), "{folder:#}");
        let missing = ensure_regular_file(&dir.join("none.npy")).expect_err("missing");
        assert!(
            format!("{missing:#}").contains("cannot read --input"),
            "{missing:#}"
        );
        #[cfg(unix)]
        {
            let fifo = dir.join("pipe.npy");
            let made = std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .expect("mkfifo runs");
            assert!(made.success());
            // Returns at once: the check never opens the FIFO (opening it would block).
            let err = ensure_regular_file(&fifo).expect_err("a FIFO is refused");
            assert!(format!("{err:#}").contains("FIFO"), "{err:#}");
            let err = ensure_regular_file(Path::new("/dev/zero")).expect_err("a device");
            assert!(format!("{err:#}").contains("character device"), "{err:#}");
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn out_must_be_a_writable_folder() {
        let dir = scratch("out");
        let nested = dir.join("a/b");
        ensure_writable_dir(&nested).expect("created with its parents");
        assert!(nested.is_dir());
        assert_eq!(
            fs::read_dir(&nested).map(Iterator::count).ok(),
            Some(0),
            "probe removed"
        );
        let file = dir.join("file");
        fs::write(&file, b"x").expect("temp file");
        let err = ensure_writable_dir(&file.join("sub")).expect_err("under a file");
        assert!(format!("{err:#}").contains("--out"), "{err:#}");
        let _ = fs::remove_dir_all(&dir);
    }

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
