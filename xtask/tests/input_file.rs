//! `validate --input`: small safetensors and `.npy` files written here (formats by hand:
//! safetensors is an 8-byte header length, a JSON header, little-endian f32 data) are found,
//! diagnosed and reported: prefixed triples, a bare `q`/`k`/`v` triple whose captured `out`
//! is compared with the reference, a Q `.npy` with its K and V siblings; a file without
//! q/k/v tensors, or a Q without its V, fails the run with a message that says why.

use std::fs;
use std::path::PathBuf;

use pasa_core::{AttentionInputs, AttentionParams, Tensor, reference_attention};
use xtask::input;
use xtask::progress::Progress;
use xtask::suite::Mode;
use xtask::validate::{Validation, run_suites};

/// Writes a safetensors file of f32 tensors `(name, shape, values)`.
fn write_safetensors(path: &PathBuf, tensors: &[(&str, Vec<usize>, Vec<f32>)]) {
    let mut header = serde_json::Map::new();
    let mut data = Vec::new();
    for (name, shape, values) in tensors {
        let start = data.len();
        for v in values {
            data.extend_from_slice(&v.to_le_bytes());
        }
        header.insert(
            (*name).to_owned(),
            serde_json::json!({"dtype": "F32", "shape": shape, "data_offsets": [start, data.len()]}),
        );
    }
    let header = serde_json::Value::Object(header).to_string();
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&data);
    fs::write(path, bytes).expect("temp file is writable");
}

/// `validate --input path`, quick mode, without progress output.
fn diagnose(path: PathBuf) -> Validation {
    run_suites(
        &[input::suite(path)],
        Mode::Quick,
        "t".to_owned(),
        &Progress::hidden(),
    )
}

fn values(n: usize, seed: f32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32 + seed) * 0.37).sin()).collect()
}

#[test]
fn triples_are_found_and_diagnosed() {
    let path = std::env::temp_dir().join(format!("xtask-input-{}.safetensors", std::process::id()));
    let shape = vec![2, 8, 4]; // heads, seq, head_dim
    let n = 2 * 8 * 4;
    write_safetensors(
        &path,
        &[
            ("layer0.q", shape.clone(), values(n, 0.0)),
            ("layer0.k", shape.clone(), values(n, 1.0)),
            ("layer0.v", shape.clone(), values(n, 2.0)),
            ("layer1.q", shape.clone(), values(n, 3.0)),
            ("layer1.k", shape.clone(), values(n, 4.0)),
            ("layer1.v", shape.clone(), values(n, 5.0)),
        ],
    );
    let run = diagnose(path.clone());
    fs::remove_file(&path).expect("temp file removable");
    assert_eq!(run.exit_code(), 0, "{}", xtask::report::console(&run));
    let suite = &run.suites[0];
    assert_eq!(
        suite.claims.len(),
        1,
        "no `out` tensor, so only the finiteness claim"
    );
    let table = &suite.tables[0];
    let names: Vec<&str> = table.rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["layer0", "layer1"]);
    assert_eq!(table.rows[0][1], "1 x 2 x 8 x 4");
    assert_eq!(suite.figures.len(), 2);
}

#[test]
fn a_file_without_qkv_fails_and_says_what_it_found() {
    let path = std::env::temp_dir().join(format!(
        "xtask-input-bad-{}.safetensors",
        std::process::id()
    ));
    write_safetensors(&path, &[("weights", vec![2, 2], vec![1.0; 4])]);
    let run = diagnose(path.clone());
    fs::remove_file(&path).expect("temp file removable");
    assert_eq!(run.exit_code(), 1);
    let error = run.suites[0].claims[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("no tensors named q/k/v") && error.contains("weights"),
        "{error}"
    );
}

/// pasa-core's f64 reference attention of one head stored `(seq, d)` row-major, on the
/// inputs rounded to f16 as the loader rounds them.
fn reference(q: &[f32], k: &[f32], v: &[f32], seq: usize, d: usize) -> Vec<f32> {
    let tensor = |name, x: &[f32]| {
        let t = Tensor::new(
            name,
            [1, 1, seq, d],
            x.iter().map(|&v| f64::from(v)).collect(),
        );
        Tensor::from_f64(&t.expect("shape matches"))
    };
    let inputs =
        AttentionInputs::new(tensor("q", q), tensor("k", k), tensor("v", v)).expect("valid inputs");
    let out = reference_attention(&inputs, &AttentionParams::default()).expect("reference");
    out.data().iter().map(|&x| x as f32).collect()
}

#[test]
fn a_bare_triple_is_checked_against_its_captured_output() {
    let (seq, d) = (8, 4);
    let (q, k, v) = (
        values(seq * d, 0.0),
        values(seq * d, 1.0),
        values(seq * d, 2.0),
    );
    let out = reference(&q, &k, &v, seq, d);
    let run_with = |out: Vec<f32>, tag: &str| {
        let path = std::env::temp_dir().join(format!(
            "xtask-input-out-{tag}-{}.safetensors",
            std::process::id()
        ));
        let shape = vec![seq, d];
        write_safetensors(
            &path,
            &[
                ("q", shape.clone(), q.clone()),
                ("k", shape.clone(), k.clone()),
                ("v", shape.clone(), v.clone()),
                ("out", shape, out),
            ],
        );
        let run = diagnose(path.clone());
        fs::remove_file(&path).expect("temp file removable");
        run
    };
    // The captured output is the reference in f32, then rounded to f16 by the loader: within
    // 5e-4 (half an f16 ulp at |out| < 1) of the reference, inside the claim's 1e-2.
    let run = run_with(out.clone(), "good");
    assert_eq!(run.exit_code(), 0, "{}", xtask::report::console(&run));
    assert_eq!(run.suites[0].claims.len(), 2, "finiteness and captured out");
    assert_eq!(run.suites[0].tables[0].rows[0][0], "qkv");
    // An output that is off by 0.1 everywhere fails the comparison.
    let run = run_with(out.iter().map(|x| x + 0.1).collect(), "bad");
    assert_eq!(run.exit_code(), 1);
    let failed: Vec<&str> = run.suites[0]
        .claims
        .iter()
        .filter(|c| !c.verdict().passed())
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(failed, ["input.reference-matches-out"]);
}

/// Writes a little-endian f32 `.npy` (format 1.0) of a 2D array.
fn write_npy(path: &PathBuf, shape: [usize; 2], values: &[f32]) {
    let mut header = format!(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}",
        shape[0], shape[1]
    );
    // Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in values {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    fs::write(path, bytes).expect("temp file is writable");
}

#[test]
fn an_npy_q_finds_its_k_and_v_siblings() {
    let dir = std::env::temp_dir().join(format!("xtask-input-npy-{}", std::process::id()));
    fs::create_dir_all(&dir).expect("temp dir");
    let (seq, d) = (8, 4);
    for (c, seed) in [('q', 0.0), ('k', 1.0), ('v', 2.0)] {
        write_npy(
            &dir.join(format!("head0_{c}.npy")),
            [seq, d],
            &values(seq * d, seed),
        );
    }
    let run = diagnose(dir.join("head0_q.npy"));
    assert_eq!(run.exit_code(), 0, "{}", xtask::report::console(&run));
    assert_eq!(run.suites[0].tables[0].rows[0][0], "head0_q");
    // Without its V sibling the run fails and names the missing file.
    fs::remove_file(dir.join("head0_v.npy")).expect("removable");
    let run = diagnose(dir.join("head0_q.npy"));
    fs::remove_dir_all(&dir).expect("temp dir removable");
    assert_eq!(run.exit_code(), 1);
    let error = run.suites[0].claims[0].error.clone().unwrap_or_default();
    assert!(error.contains("head0_v.npy"), "{error}");
}
