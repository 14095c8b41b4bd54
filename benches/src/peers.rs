//! The Python side of the peer comparisons: the inputs are written as raw little-endian f64
//! files with a JSON manifest, `peers/peers.py` (committed beside this crate) times POT and
//! SciPy on them and prints JSON. No Python, or a peer that cannot be imported, is a
//! reason recorded in the report, never a failure of the bench.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Thread-count variables of the BLAS and OpenMP libraries NumPy may load, all set to 1
/// for the peers: the comparison is one core against one core (FS-1 on a line is serial).
pub const SINGLE_THREAD: [&str; 4] = [
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
];

/// The committed timing script.
#[must_use]
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("peers/peers.py")
}

/// The interpreter: `PYTHON` when set, else `python3` on the path.
#[must_use]
pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Writes `values` as raw little-endian f64 (NumPy: `np.fromfile(path, dtype="<f8")`).
///
/// # Errors
/// When the file cannot be written.
pub fn write_f64(path: &Path, values: &[f64]) -> io::Result<()> {
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    fs::write(path, bytes)
}

/// Runs `python script manifest` and parses its stdout.
///
/// # Errors
/// Why the peers could not be measured, as a sentence for the report: the interpreter is
/// missing, the script failed (its stderr), or it printed something other than JSON.
pub fn run(python: &str, script: &Path, manifest: &Path) -> Result<Value, String> {
    let output = Command::new(python)
        .arg(script)
        .arg(manifest)
        // One thread, as ours: NumPy's BLAS would otherwise start a thread per core, and on
        // a shared machine those spin against the load (measured: POT at N = 1000 took
        // 0.19 s per iteration, longer than at N = 4000).
        .envs(SINGLE_THREAD.map(|var| (var, "1")))
        .output()
        .map_err(|e| format!("no Python interpreter '{python}' ({e}); set PYTHON"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.lines().last().unwrap_or("no message");
        return Err(format!("'{python}' failed ({}): {last}", output.status));
    }
    serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("'{python}' printed something other than JSON ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f64_files_are_raw_little_endian() {
        let dir = std::env::temp_dir().join(format!("benches-peers-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("v.f64");
        write_f64(&path, &[1.0, -0.5]).expect("written");
        let bytes = fs::read(&path).expect("read back");
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(bytes.len(), 16);
        assert_eq!(bytes[..8], 1.0f64.to_le_bytes());
        assert_eq!(bytes[8..], (-0.5f64).to_le_bytes());
    }

    #[test]
    fn a_missing_interpreter_is_a_reason_not_a_panic() {
        let reason = run("no-such-python-here", &script(), Path::new("m.json"))
            .expect_err("no such interpreter");
        assert!(reason.starts_with("no Python interpreter"), "{reason}");
    }

    #[test]
    fn the_script_is_committed() {
        let text = fs::read_to_string(script()).expect("peers.py is in the repository");
        assert!(text.contains("def pot_sinkhorn") && text.contains("def scipy_w1"));
    }
}
