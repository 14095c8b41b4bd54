//! `cargo xtask validate` refuses bad paths before it measures anything: an `--input` that
//! is a FIFO or a device (which would be read forever) and an `--out` that cannot be
//! written (which would fail only after minutes of suites).

use std::fs;
use std::path::PathBuf;
use std::time::Instant;

use xtask::flags::{SizeFlags, ValidateArgs};

fn args(suites: &[&str], input: Option<PathBuf>, out: PathBuf) -> ValidateArgs {
    ValidateArgs {
        size: SizeFlags {
            quick: true,
            full: false,
        },
        suites: suites.iter().map(|s| (*s).to_owned()).collect(),
        out: Some(out),
        input,
        json: false,
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-bad-paths-{name}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir is writable");
    dir
}

#[cfg(unix)]
#[test]
fn a_fifo_or_device_input_is_rejected_at_once() {
    let dir = scratch("fifo");
    let fifo = dir.join("layer0_q.npy");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let start = Instant::now();
    // With a suite named too: the input is checked before the suite runs.
    let err = xtask::validate::run(&args(&["colt"], Some(fifo), dir.join("out")))
        .expect_err("a FIFO is not an input file");
    assert!(format!("{err:#}").contains("FIFO"), "{err:#}");
    let err = xtask::validate::run(&args(
        &[],
        Some(PathBuf::from("/dev/zero")),
        dir.join("out"),
    ))
    .expect_err("a device is not an input file");
    assert!(format!("{err:#}").contains("character device"), "{err:#}");
    // No suite ran (the colt suite alone takes seconds) and no report was written.
    assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
    assert!(!dir.join("out/report.md").exists());
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn an_unwritable_out_is_rejected_before_the_suites() {
    let dir = scratch("out");
    let file = dir.join("a-file");
    fs::write(&file, b"x").expect("temp file");
    let start = Instant::now();
    let err = xtask::validate::run(&args(&["colt"], None, file.join("report")))
        .expect_err("--out under a file");
    assert!(format!("{err:#}").contains("--out"), "{err:#}");
    assert!(start.elapsed().as_secs_f64() < 1.0, "{:?}", start.elapsed());
    let _ = fs::remove_dir_all(&dir);
}
