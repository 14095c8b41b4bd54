//! `validate --input`: a small safetensors file written here (format by hand: an 8-byte
//! header length, a JSON header, little-endian f32 data) with two Q/K/V triples and a
//! captured `out` is found, diagnosed and reported; a file without q/k/v tensors fails the
//! run with a message that lists what it found.

use std::fs;
use std::path::PathBuf;

use xtask::input;
use xtask::progress::Progress;
use xtask::suite::Mode;
use xtask::validate::run_suites;

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
    let run = run_suites(
        &[input::suite(path.clone())],
        Mode::Quick,
        "t".to_owned(),
        &Progress::hidden(),
    );
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
    let run = run_suites(
        &[input::suite(path.clone())],
        Mode::Quick,
        "t".to_owned(),
        &Progress::hidden(),
    );
    fs::remove_file(&path).expect("temp file removable");
    assert_eq!(run.exit_code(), 1);
    let error = run.suites[0].claims[0].error.clone().unwrap_or_default();
    assert!(
        error.contains("no tensors named q/k/v") && error.contains("weights"),
        "{error}"
    );
}
