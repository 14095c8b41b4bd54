//! Tidy checks of the whole workspace, run as plain `#[test]`s (as rust-analyzer does):
//! the dependency arrows between our crates are the drawn ones, every `.rs` file opens with
//! a `//!` module doc saying why it exists, no file is a grab-bag `utils.rs`, only xtask
//! uses `anyhow`, the declared minimum Rust version (README's "1.86 or newer") is at
//! least every dependency's, and no source or doc names a path outside the repository.

use std::fs;
use std::path::{Path, PathBuf};

use crate::bench::cargo_metadata;
use crate::project_root;

/// The only arrows allowed between workspace crates (any dependency kind), besides
/// `xtask -> anything` and `benches -> anything`. The Python bindings sit on top of the two crates they expose.
/// See docs/ARCHITECTURE.md.
const ALLOWED_ARROWS: [(&str, &str); 4] = [
    ("sinkhorn", "colt"),
    ("npu-sim", "pasa-core"),
    ("pasa-sinkhorn-py", "sinkhorn"),
    ("pasa-sinkhorn-py", "pasa-core"),
];

/// The crate that may depend on every other one.
const TOP: &str = "xtask";

/// The benchmark package, on top like xtask: it compares the crates with each other.
const BENCHES: &str = "benches";

/// File names that say nothing about what the file holds.
const GRAB_BAG_NAMES: [&str; 4] = ["utils", "helpers", "util", "helper"];

/// Arrows `from -> to` between the workspace's own packages that are not allowed.
fn forbidden_arrows(metadata: &serde_json::Value) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    let members: Vec<&str> = packages.iter().filter_map(|p| p["name"].as_str()).collect();
    let mut bad = Vec::new();
    for package in &packages {
        let from = package["name"].as_str().unwrap_or_default();
        let deps = package["dependencies"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        for dep in &deps {
            let to = dep["name"].as_str().unwrap_or_default();
            // Only path dependencies are workspace crates; a registry crate may share a name.
            let is_member = members.contains(&to) && dep["path"].is_string();
            if !is_member || from == TOP || from == BENCHES || ALLOWED_ARROWS.contains(&(from, to))
            {
                continue;
            }
            let kind = dep["kind"].as_str().unwrap_or("normal");
            bad.push(format!("{from} -> {to} ({kind} dependency)"));
        }
    }
    bad
}

/// Every `.rs` file under `root`, skipping `target/` and hidden folders.
fn rust_files(root: &Path) -> Vec<PathBuf> {
    files_with(root, &["rs"])
}

/// Every file under `root` whose extension is one of `extensions`, skipping `target/` and
/// hidden folders.
fn files_with(root: &Path, extensions: &[&str]) -> Vec<PathBuf> {
    let mut stack = vec![root.to_path_buf()];
    let mut files = Vec::new();
    while let Some(dir) = stack.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if path.is_dir() {
                if !name.starts_with('.') && name != "target" {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| extensions.iter().any(|x| e == *x))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Whether the first non-blank line of `text` is a `//!` inner doc comment.
fn opens_with_module_doc(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.trim_start().starts_with("//!"))
}

fn is_grab_bag(path: &Path) -> bool {
    let stem_bad = path
        .file_stem()
        .is_some_and(|s| GRAB_BAG_NAMES.iter().any(|g| s == *g));
    let dir_bad = path.file_name().is_some_and(|n| n == "mod.rs")
        && path
            .parent()
            .and_then(Path::file_name)
            .is_some_and(|d| GRAB_BAG_NAMES.iter().any(|g| d == *g));
    stem_bad || dir_bad
}

fn relative(path: &Path) -> String {
    path.strip_prefix(project_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

#[test]
fn dependency_arrows_are_the_drawn_ones() {
    let metadata = cargo_metadata(false).expect("cargo metadata runs on the workspace");
    let bad = forbidden_arrows(&metadata);
    assert!(
        bad.is_empty(),
        "dependency arrows outside {ALLOWED_ARROWS:?} (and {TOP}, {BENCHES} -> any):\n  {}",
        bad.join("\n  ")
    );
}

#[test]
fn forbidden_arrows_are_caught() {
    let metadata = serde_json::json!({"packages": [
        {"name": "colt", "dependencies": [
            {"name": "sinkhorn", "kind": "dev", "path": "/w/crates/sinkhorn"}]},
        {"name": "sinkhorn", "dependencies": [
            {"name": "colt", "kind": null, "path": "/w/crates/colt"},
            {"name": "rayon", "kind": null}]},
        {"name": "npu-sim", "dependencies": [
            {"name": "pasa-core", "kind": null, "path": "/w/crates/pasa-core"}]},
        {"name": "pasa-core", "dependencies": [
            {"name": "npu-sim", "kind": null, "path": "/w/crates/npu-sim"}]},
        {"name": "xtask", "dependencies": [
            {"name": "colt", "kind": null, "path": "/w/crates/colt"}]},
    ]});
    assert_eq!(
        forbidden_arrows(&metadata),
        [
            "colt -> sinkhorn (dev dependency)",
            "pasa-core -> npu-sim (normal dependency)"
        ]
    );
}

#[test]
fn every_rust_file_opens_with_a_module_doc() {
    let missing: Vec<String> = rust_files(&project_root())
        .into_iter()
        .filter(|p| !fs::read_to_string(p).is_ok_and(|t| opens_with_module_doc(&t)))
        .map(|p| relative(&p))
        .collect();
    assert!(
        missing.is_empty(),
        "these files do not start with a `//!` line saying why the module exists:\n  {}",
        missing.join("\n  ")
    );
}

/// Text that names a place outside the repository: the developers' machine paths and the
/// sibling workspace folder (split so that this file does not match itself).
fn outside_paths() -> [String; 3] {
    [
        ["/wo", "rk/"].concat(),
        ["../sha", "red"].concat(),
        ["`sha", "red/"].concat(),
    ]
}

#[test]
fn no_path_outside_the_repository() {
    // A user's clone has only this repository: code, tests, docs, scripts and presets must
    // not point at files beside it.
    let needles = outside_paths();
    let bad: Vec<String> = files_with(&project_root(), &["rs", "md", "toml", "py", "sh", "pyi"])
        .into_iter()
        .filter_map(|path| {
            let text = fs::read_to_string(&path).ok()?;
            let hit = needles.iter().find(|n| text.contains(n.as_str()))?;
            Some(format!("{} names {hit:?}", relative(&path)))
        })
        .collect();
    assert!(bad.is_empty(), "paths outside the repository: {bad:?}");
}

#[test]
fn module_doc_detection() {
    assert!(opens_with_module_doc("\n//! Why this exists.\nfn f() {}"));
    assert!(!opens_with_module_doc("// plain comment\n//! late"));
    assert!(!opens_with_module_doc("#![allow(x)]\n//! late"));
    assert!(!opens_with_module_doc(""));
}

#[test]
fn no_grab_bag_file_names() {
    let bad: Vec<String> = rust_files(&project_root())
        .into_iter()
        .filter(|p| is_grab_bag(p))
        .map(|p| relative(&p))
        .collect();
    assert!(
        bad.is_empty(),
        "name these files for what they hold:\n  {}",
        bad.join("\n  ")
    );
    assert!(is_grab_bag(Path::new("crates/x/src/utils.rs")));
    assert!(is_grab_bag(Path::new("crates/x/src/helpers/mod.rs")));
    assert!(!is_grab_bag(Path::new("crates/x/src/recurrence.rs")));
}

/// Workspace packages other than [`TOP`] that depend on `anyhow` (any kind): libraries
/// return typed errors.
fn anyhow_users(metadata: &serde_json::Value) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    packages
        .iter()
        .filter(|p| p["name"] != TOP)
        .filter(|p| {
            p["dependencies"]
                .as_array()
                .is_some_and(|deps| deps.iter().any(|d| d["name"] == "anyhow"))
        })
        .filter_map(|p| p["name"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn only_xtask_uses_anyhow() {
    let metadata = cargo_metadata(false).expect("cargo metadata runs on the workspace");
    let users = anyhow_users(&metadata);
    assert!(users.is_empty(), "libraries depending on anyhow: {users:?}");
    let planted = serde_json::json!({"packages": [
        {"name": "colt", "dependencies": [{"name": "anyhow"}]},
        {"name": TOP, "dependencies": [{"name": "anyhow"}]},
    ]});
    assert_eq!(anyhow_users(&planted), ["colt"]);
}

/// `"1.86"` or `"1.85.0"` as `(1, 86, 0)`; `None` when absent or malformed.
fn parse_version(v: &serde_json::Value) -> Option<(u64, u64, u64)> {
    let mut parts = v.as_str()?.split('.').map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

/// Packages (dependencies included) whose declared `rust-version` exceeds `ours`.
fn newer_than(metadata: &serde_json::Value, ours: (u64, u64, u64)) -> Vec<String> {
    let packages = metadata["packages"].as_array().cloned().unwrap_or_default();
    packages
        .iter()
        .filter_map(|p| {
            let theirs = parse_version(&p["rust_version"])?;
            (theirs > ours).then(|| format!("{} {}", p["name"], p["rust_version"]))
        })
        .collect()
}

#[test]
fn declared_rust_version_covers_every_dependency() {
    let metadata = cargo_metadata(true).expect("cargo metadata resolves the lock file");
    let packages = metadata["packages"].as_array().expect("a package list");
    let ours = packages
        .iter()
        .find(|p| p["name"] == TOP)
        .and_then(|p| parse_version(&p["rust_version"]))
        .expect("the workspace declares rust-version");
    let readme = fs::read_to_string(project_root().join("README.md")).expect("README.md");
    let stated = format!("{}.{} or newer", ours.0, ours.1);
    assert!(
        readme.contains(&stated),
        "README should state the declared minimum Rust, \"{stated}\""
    );
    let newer = newer_than(&metadata, ours);
    assert!(
        newer.is_empty(),
        "dependencies need a newer Rust than the workspace's rust-version {ours:?}: {newer:?}"
    );
}

#[test]
fn newer_rust_versions_are_caught() {
    let metadata = serde_json::json!({"packages": [
        {"name": "a", "rust_version": "1.86"},
        {"name": "b", "rust_version": "1.85.0"},
        {"name": "c", "rust_version": null},
    ]});
    assert_eq!(newer_than(&metadata, (1, 85, 0)), ["\"a\" \"1.86\""]);
    assert!(newer_than(&metadata, (1, 86, 0)).is_empty());
}
