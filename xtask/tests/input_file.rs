//! `validate --input`, run as a user runs it (the `xtask` binary) on small files written
//! here (safetensors by hand: an 8-byte header length, a JSON header, little-endian data):
//! a ragged 290-token layer with a large shared Q/K bias (naive FP16 overflows, the
//! authors' PASA does not, exit 0, the JSON answer has every field), an f32 file with
//! values beyond 65504 (reported, not refused), Hugging Face projection names, a captured
//! output checked against the reference, `.npy` siblings, and the inputs that cannot be
//! read (no Q/K/V names: the error lists the names found; a missing or garbage file):
//! non-zero exit with the reason.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pasa_core::{AttentionInputs, AttentionParams, Tensor, reference_attention};

/// A tensor to write: name, shape, f32 values.
type Named<'a> = (&'a str, Vec<usize>, Vec<f32>);

/// Writes a safetensors file of f32 tensors, with optional `__metadata__`.
fn write_safetensors(path: &Path, tensors: &[Named<'_>], metadata: Option<(&str, &str)>) {
    let mut header = serde_json::Map::new();
    if let Some((key, value)) = metadata {
        header.insert("__metadata__".to_owned(), serde_json::json!({ key: value }));
    }
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

/// A fresh temporary folder for one test.
fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("xtask-input-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// `cargo xtask validate --input FILE [--json]`, report into `dir/report`.
fn validate(file: &Path, json: bool, dir: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["validate", "--input"])
        .arg(file)
        .arg("--out")
        .arg(dir.join("report"));
    if json {
        cmd.arg("--json");
    }
    cmd.output().expect("xtask runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Deterministic values in [-1, 1].
fn values(n: usize, seed: f32) -> Vec<f32> {
    (0..n).map(|i| ((i as f32 + seed) * 0.37).sin()).collect()
}

/// The JSON answer's record of `variant` in layer `layer`.
fn record<'a>(json: &'a serde_json::Value, layer: usize, variant: &str) -> &'a serde_json::Value {
    json["layers"][layer]["variants"]
        .as_array()
        .expect("variants is a list")
        .iter()
        .find(|v| v["name"] == variant)
        .unwrap_or_else(|| panic!("no record {variant} in {json}"))
}

/// A ragged 290-token layer (two key blocks of 128 and one of 34) of 2 heads, d = 64,
/// Q and K sharing a bias of 100 along the sequence: scores ~ 64 · 100² / 8 = 8e4 > 65504.
fn biased_layer(prefix: &str) -> Vec<(String, Vec<usize>, Vec<f32>)> {
    let (h, s, d) = (2, 290, 64);
    let n = h * s * d;
    let biased = |seed| {
        values(n, seed)
            .into_iter()
            .map(|x| 100.0 + 4.0 * x)
            .collect()
    };
    vec![
        (format!("{prefix}q"), vec![h, s, d], biased(0.0)),
        (format!("{prefix}k"), vec![h, s, d], biased(1.0)),
        (format!("{prefix}v"), vec![h, s, d], values(n, 2.0)),
    ]
}

fn named(t: &[(String, Vec<usize>, Vec<f32>)]) -> Vec<Named<'_>> {
    t.iter()
        .map(|(n, s, v)| (n.as_str(), s.clone(), v.clone()))
        .collect()
}

#[test]
fn a_ragged_biased_layer_overflows_naive_fp16_not_pasa_and_exits_zero() {
    let dir = temp_dir("ragged");
    let file = dir.join("ragged.safetensors");
    let mut tensors = biased_layer("layers.0.");
    let (h, s, d) = (2, 290, 64);
    for (c, seed) in [("q", 3.0), ("k", 4.0), ("v", 5.0)] {
        tensors.push((
            format!("layers.1.{c}"),
            vec![h, s, d],
            values(h * s * d, seed),
        ));
    }
    write_safetensors(&file, &named(&tensors), None);

    let console = validate(&file, false, &dir);
    let stdout = text(&console.stdout);
    assert_eq!(
        console.status.code(),
        Some(0),
        "{stdout}{}",
        text(&console.stderr)
    );
    assert!(
        stdout.contains("verdict: naive FP16 (fp16) overflows on 1 of 2 layer(s)")
            && stdout.contains("pasa finite on all"),
        "{stdout}"
    );
    assert!(dir.join("report/report.md").is_file());

    let out = validate(&file, true, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
    let layers = json["layers"].as_array().expect("layers is a list");
    assert_eq!(layers.len(), 2);
    assert_eq!(json["layers"][0]["name"], "layers.0");
    assert_eq!(json["layers"][0]["shape"][3], 290);
    for field in [
        "name",
        "finite",
        "non_finite",
        "max_abs_score",
        "rmse",
        "rel_rmse",
    ] {
        assert!(
            record(&json, 0, "pasa").get(field).is_some(),
            "pasa record lacks {field}"
        );
    }
    let naive = record(&json, 0, "fp16");
    assert_eq!(naive["finite"], false);
    assert!(naive["non_finite"].as_u64().expect("count") > 0);
    // The overflowed scores keep their magnitude: 64 · (100 ± 4)² / 8 > 65504.
    assert!(naive["max_abs_score"].as_f64().expect("number") > 65504.0);
    let pasa = record(&json, 0, "pasa");
    assert_eq!(pasa["finite"], true, "{pasa}");
    assert!(pasa["max_abs_score"].as_f64().expect("number") < 65504.0);
    let base = record(&json, 0, "fp32-softmax");
    assert_eq!(base["finite"], true);
    // The unbiased layer: every variant finite.
    assert_eq!(record(&json, 1, "fp16")["finite"], true);
    fs::remove_dir_all(&dir).expect("temp dir removable");
}

#[test]
fn f32_values_beyond_fp16_are_reported_not_refused() {
    let dir = temp_dir("beyond");
    let file = dir.join("beyond.safetensors");
    let (s, d) = (40, 8);
    let mut q = values(s * d, 0.0);
    q[5] = 70_000.0; // beyond 65504: infinite after the FP16 cast
    write_safetensors(
        &file,
        &[
            ("q", vec![s, d], q),
            ("k", vec![s, d], values(s * d, 1.0)),
            ("v", vec![s, d], values(s * d, 2.0)),
        ],
        None,
    );
    let out = validate(&file, true, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["layers"][0]["inputs_beyond_f16"], 1);
    assert_eq!(json["layers"][0]["max_abs_input"], 70_000.0);
    // Every FP16 variant reads an infinite query: its row is lost, the others are not.
    assert_eq!(record(&json, 0, "fp16")["finite"], false);
    assert!(
        json["verdict"]
            .as_str()
            .expect("text")
            .contains("1 input values beyond FP16")
    );
    fs::remove_dir_all(&dir).expect("temp dir removable");
}

#[test]
fn hugging_face_projection_names_are_found_in_layer_order() {
    let dir = temp_dir("hf");
    let file = dir.join("hf.safetensors");
    // (batch 1, seq 9, 2 heads x head_dim 4), layers 10 and 2: reported 2 first.
    let shape = vec![1, 9, 8];
    let mut tensors = Vec::new();
    for layer in [10, 2] {
        for (p, seed) in [("q_proj", 0.0), ("k_proj", 1.0), ("v_proj", 2.0)] {
            tensors.push((
                format!("model.layers.{layer}.self_attn.{p}"),
                shape.clone(),
                values(72, seed + f32::from(layer as u8)),
            ));
        }
    }
    write_safetensors(&file, &named(&tensors), Some(("head_dim", "4")));
    let out = validate(&file, true, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["layers"][0]["name"], "model.layers.2.self_attn");
    assert_eq!(json["layers"][1]["name"], "model.layers.10.self_attn");
    // (batch, heads, kv_heads, seq_q, seq_k, head_dim, value_dim)
    assert_eq!(
        json["layers"][0]["shape"],
        serde_json::json!([1, 2, 2, 9, 9, 4, 4])
    );
    // Without head_dim the projections cannot be split: the run says so.
    write_safetensors(&file, &named(&tensors), None);
    let out = validate(&file, false, &dir);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out.stderr).contains("head"), "{}", text(&out.stderr));
    fs::remove_dir_all(&dir).expect("temp dir removable");
}

#[test]
fn unknown_names_fail_and_list_the_names_found() {
    let dir = temp_dir("names");
    let file = dir.join("weights.safetensors");
    write_safetensors(
        &file,
        &[
            ("weights", vec![2, 2], vec![1.0; 4]),
            ("bias", vec![2], vec![0.0; 2]),
        ],
        None,
    );
    let out = validate(&file, true, &dir);
    assert_ne!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "no JSON for an unreadable input");
    let err = text(&out.stderr);
    assert!(err.contains("weights") && err.contains("bias"), "{err}");
    fs::remove_dir_all(&dir).expect("temp dir removable");
}

#[test]
fn missing_or_garbage_files_fail_with_the_reason() {
    let dir = temp_dir("garbage");
    let missing = dir.join("missing.safetensors");
    let out = validate(&missing, false, &dir);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("missing.safetensors"),
        "{}",
        text(&out.stderr)
    );
    let garbage = dir.join("garbage.safetensors");
    fs::write(&garbage, b"not a safetensors file").expect("writable");
    let out = validate(&garbage, true, &dir);
    assert_ne!(out.status.code(), Some(0));
    assert!(!text(&out.stderr).is_empty());
    fs::remove_dir_all(&dir).expect("temp dir removable");
}

/// pasa-core's f64 reference attention of one head stored `(seq, d)` row-major.
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
fn a_captured_output_is_checked_against_the_reference() {
    let dir = temp_dir("out");
    let file = dir.join("qkv.safetensors");
    let (seq, d) = (8, 4);
    let (q, k, v) = (
        values(seq * d, 0.0),
        values(seq * d, 1.0),
        values(seq * d, 2.0),
    );
    let out = reference(&q, &k, &v, seq, d);
    let write = |out: Vec<f32>| {
        let shape = vec![seq, d];
        write_safetensors(
            &file,
            &[
                ("q", shape.clone(), q.clone()),
                ("k", shape.clone(), k.clone()),
                ("v", shape.clone(), v.clone()),
                ("out", shape, out),
            ],
            None,
        );
    };
    // The reference of the f16-rounded inputs, stored in f32: within 1e-2 of the
    // reference of the f32 values (input rounding of 2^-12 relative moves scores ~1e-3).
    write(out.clone());
    let run = validate(&file, false, &dir);
    let stdout = text(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}{}", text(&run.stderr));
    assert!(stdout.contains("captured out vs f64 reference"), "{stdout}");
    // An output off by 0.1 everywhere is not this file's attention: the run fails.
    write(out.iter().map(|x| x + 0.1).collect());
    let run = validate(&file, false, &dir);
    assert_eq!(run.status.code(), Some(1));
    assert!(
        text(&run.stderr).contains("input.reference-matches-out"),
        "{}",
        text(&run.stderr)
    );
    fs::remove_dir_all(&dir).expect("temp dir removable");
}

/// Writes a little-endian f32 `.npy` (format 1.0) of a 2D array.
fn write_npy(path: &Path, shape: [usize; 2], values: &[f32]) {
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
    let dir = temp_dir("npy");
    let (seq, d) = (8, 4);
    for (c, seed) in [('q', 0.0), ('k', 1.0), ('v', 2.0)] {
        write_npy(
            &dir.join(format!("head0_{c}.npy")),
            [seq, d],
            &values(seq * d, seed),
        );
    }
    let out = validate(&dir.join("head0_q.npy"), true, &dir);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["layers"][0]["name"], "head0_q");
    // Without its V sibling the run fails and names the missing file.
    fs::remove_file(dir.join("head0_v.npy")).expect("removable");
    let out = validate(&dir.join("head0_q.npy"), false, &dir);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        text(&out.stderr).contains("head0_v.npy"),
        "{}",
        text(&out.stderr)
    );
    fs::remove_dir_all(&dir).expect("temp dir removable");
}
