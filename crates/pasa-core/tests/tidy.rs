//! Architecture invariant checked by code: every rounding of the crate is a named call in
//! `round.rs`, so no other source file contains a float `as` cast.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

#[test]
fn no_float_as_casts_outside_round_rs() {
    let src = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
    let mut offenders = Vec::new();
    let files = rust_files(src);
    assert!(
        files
            .iter()
            .any(|p| p.ends_with("steps/running_average.rs"))
    );
    for path in files {
        if path.file_name().is_some_and(|n| n == "round.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if code.contains(" as f32") || code.contains(" as f64") || code.contains(" as f16") {
                offenders.push(format!("{}:{}: {line}", path.display(), i + 1));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "float casts outside round.rs:\n{}",
        offenders.join("\n")
    );
}
