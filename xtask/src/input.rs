//! `cargo xtask validate --input FILE`: will FP16 attention overflow on my model's Q/K/V,
//! how large is each variant's error, and does PASA fix it? The answer is printed on the
//! console (one table per layer and one verdict line) or, with `--json`, as one JSON object
//! on stdout; the report folder gets the same tables and plots.
//!
//! Everything is computed by `pasa-core`: the loaders find the Q/K/V triples
//! ([`pasa_core::io::qkv_groups`]: `q`/`k`/`v`, `query`/`key`/`value`,
//! `query_states`/..., Hugging Face `q_proj`/`k_proj`/`v_proj`, each with any layer
//! prefix), and [`pasa_core::overflow_report`] runs every variant on the FP16 rounding of
//! the source values against the f64 reference of those values. Values beyond FP16's
//! range in an f32 file are reported (they overflow in the cast), not refused.
//!
//! The exit status says whether the analysis ran: 0 even when FP16 overflows (that is a
//! finding), non-zero when the input cannot be read (the reason is printed). One check
//! can fail on readable input: a captured attention output `<prefix>out` that does not
//! match the f64 reference of the file's own Q/K/V (the dump is not what it claims).
//!
//! File conventions:
//! - `.safetensors`: tensors `(seq, dim)`, `(heads, seq, dim)` or `(batch, heads, seq,
//!   dim)`, f16/bf16/f32/f64; Hugging Face projection outputs `(batch, seq, heads · dim)`
//!   need the head dimension, read from a `head_dim` entry of the file's metadata
//!   (`save_file(tensors, path, metadata={"head_dim": "64"})` in Python).
//! - `.npy`: the file is Q; K and V are the sibling files whose stem ends in `k` and `v`
//!   instead of `q` (`layer0_q.npy`, `layer0_k.npy`, `layer0_v.npy`).
//!
//! The softmax scale is `1/sqrt(head_dim)` (Q not pre-scaled), no mask.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use pasa_core::io::{SafetensorsFile, load_npy_f64};
use pasa_core::resonance::resonance;
use pasa_core::round::F16_MAX;
use pasa_core::{
    AttentionParams, ErrorReport, InputDtype, OverflowReport, SourceInputs, Tensor,
    overflow_report, reference_from_source,
};
use serde::Serialize;

use crate::claim::{Claim, Source, Threshold, fmt_num};
use crate::flags::ensure_regular_file;
use crate::machine::Machine;
use crate::plot::{LinePlot, Scale, Series};
use crate::progress::Progress;
use crate::suite::{Check, Mode, Recorder, Suite, Table, run_suite};
use crate::validate::Validation;

/// The suite for `--input FILE`.
#[must_use]
pub fn suite(file: PathBuf) -> Suite {
    Suite {
        name: "input",
        title: "Your Q/K/V: FP16 overflow, error of every variant, and PASA",
        intro: "Every attention variant of `pasa-core` on the tensors of `--input`, per Q/K/V \
                triple (layer): outputs that are inf/NaN, the largest |score| each variant's \
                matrix unit produced (for PASA: the shifted scores; above 65504 FP16 \
                overflows), and RMSE and relative RMSE (RMSE / RMS(reference)) against \
                attention computed in f64 from the file's own values. `fp16` is naive FP16 \
                Flash Attention, `fp32-softmax` the vendor-style FP32-softmax baseline, \
                `pasa` the PASA authors' algorithm; the other names are our variants \
                (docs/pasa.md).",
        checks: vec![Check {
            name: "diagnose",
            about: "read and analyse the input file",
            timing: false,
            run: diagnose,
        }],
        input: Some(file),
    }
}

/// One Q/K/V triple of the file and every variant's result on it.
#[derive(Debug, Clone, Serialize)]
pub struct Layer {
    /// The triple's label: the tensors' shared prefix (`model.layers.3.self_attn`), `qkv`
    /// for bare names, or the `.npy` stem.
    pub name: String,
    /// The tensor names (q, k, v).
    pub tensors: [String; 3],
    /// `cos(mean q, mean k)` of the head that resonates most (+1 in phase, -1 opposite).
    pub cos_means: f64,
    /// Largest |captured out - f64 reference|, when the file has an `out` tensor.
    pub captured_out_error: Option<f64>,
    /// `pasa-core`'s report: shape, largest |score| in f64, inputs beyond FP16, and one
    /// record per variant (`name`, `finite`, `non_finite`, `max_abs_score`, `rmse`,
    /// `rel_rmse`, ...).
    #[serde(flatten)]
    pub report: OverflowReport,
}

/// The whole answer for one file.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    /// The file read.
    pub file: String,
    /// One entry per Q/K/V triple, in layer order.
    pub layers: Vec<Layer>,
    /// One line: which variants overflow on how many layers.
    pub verdict: String,
}

/// `head_dim` for projection outputs: the file's `head_dim` metadata, if any.
fn head_dim_of(file: &SafetensorsFile) -> anyhow::Result<Option<usize>> {
    let meta = file.metadata()?;
    meta.get("head_dim")
        .map(|v| {
            v.trim()
                .parse::<usize>()
                .with_context(|| format!("metadata head_dim = {v:?} is not a whole number"))
        })
        .transpose()
}

/// Read every Q/K/V triple of `path` and run [`overflow_report`] on each.
///
/// # Errors
/// When the file cannot be read or holds no recognisable triple (the message lists the
/// names found), or a triple has inconsistent shapes or NaN/inf values.
pub fn analyse(path: &Path) -> anyhow::Result<Analysis> {
    let params = AttentionParams::default();
    let mut layers = Vec::new();
    for (name, tensors, inputs, out) in load(path)? {
        let report =
            overflow_report(&inputs, &params).with_context(|| format!("analysing {name}"))?;
        let captured_out_error = match out {
            Some(out) => {
                let reference = reference_from_source(&inputs, &params)?;
                (out.shape() == reference.shape())
                    .then(|| ErrorReport::compare(&out, &reference).max_abs)
            }
            None => None,
        };
        let shape = inputs.shape();
        let fp16 = inputs.to_fp16();
        let cos_means = resonance(&fp16, params.scale_for(&shape))
            .iter()
            .map(|r| r.cos_means)
            .fold(0.0_f64, |m, x| if x.abs() > m.abs() { x } else { m });
        layers.push(Layer {
            name,
            tensors,
            cos_means,
            captured_out_error,
            report,
        });
    }
    let verdict = verdict(&layers);
    Ok(Analysis {
        file: path.display().to_string(),
        layers,
        verdict,
    })
}

type Loaded = (String, [String; 3], SourceInputs, Option<Tensor<f64>>);

fn load(path: &Path) -> anyhow::Result<Vec<Loaded>> {
    ensure_regular_file(path)?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors") => {
            let file = SafetensorsFile::open(path)?;
            let head_dim = head_dim_of(&file)?;
            let mut loaded = Vec::new();
            for group in file.qkv_groups()? {
                let inputs = file
                    .source_inputs(&group, head_dim)
                    .with_context(|| format!("tensors {}, {}, {}", group.q, group.k, group.v))?;
                let out = group
                    .out
                    .as_deref()
                    .map(|name| file.tensor_f64(name))
                    .transpose()?;
                loaded.push((
                    group.label.clone(),
                    [group.q, group.k, group.v],
                    inputs,
                    out,
                ));
            }
            Ok(loaded)
        }
        Some("npy") => {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            let Some(base) = stem.strip_suffix('q') else {
                bail!(
                    "{}: an .npy input is Q and its stem must end in 'q' (K and V beside it end in 'k' and 'v')",
                    path.display()
                );
            };
            let sibling = |c: char| path.with_file_name(format!("{base}{c}.npy"));
            let names = [path.to_path_buf(), sibling('k'), sibling('v')];
            for name in &names[1..] {
                ensure_regular_file(name)?;
            }
            let [q, k, v] = [&names[0], &names[1], &names[2]].map(load_npy_f64);
            let inputs = SourceInputs::new(q?, k?, v?, InputDtype::F16)?;
            let names = names.map(|p| p.display().to_string());
            Ok(vec![(stem.to_owned(), names, inputs, None)])
        }
        _ => bail!("{}: expected a .safetensors or .npy file", path.display()),
    }
}

/// "naive FP16 overflows on 3 of 6 layers; pasa finite on all; ...".
fn verdict(layers: &[Layer]) -> String {
    let n = layers.len();
    let Some(first) = layers.first() else {
        return "no layers".to_owned();
    };
    let overflowing = |name: &str| {
        layers
            .iter()
            .filter(|l| l.report.variant(name).is_some_and(|v| !v.finite))
            .count()
    };
    let mut parts = Vec::new();
    let naive = overflowing("fp16");
    parts.push(if naive == 0 {
        format!("naive FP16 (fp16) finite on all {n} layer(s)")
    } else {
        format!("naive FP16 (fp16) overflows on {naive} of {n} layer(s)")
    });
    for v in &first.report.variants {
        if v.name == "fp16" {
            continue;
        }
        let k = overflowing(&v.name);
        parts.push(if k == 0 {
            format!("{} finite on all", v.name)
        } else {
            format!("{} non-finite on {k}", v.name)
        });
    }
    // Exact attention on the FP16-rounded inputs: what the FP16 cast of the inputs alone
    // costs against the reference of the source values, before any kernel rounds.
    let cast = layers
        .iter()
        .filter_map(|l| l.report.variant("fa-f64"))
        .map(|v| v.rel_rmse)
        .fold(0.0_f64, f64::max);
    parts.push(format!(
        "the FP16 cast of the inputs alone (fa-f64: exact attention on them) costs a relative RMSE of up to {}",
        fmt_num(cast)
    ));
    let beyond: usize = layers.iter().map(|l| l.report.inputs_beyond_f16).sum();
    if beyond > 0 {
        parts.push(format!(
            "{beyond} input values beyond FP16's range (infinite after the FP16 cast)"
        ));
    }
    parts.join("; ")
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The console answer: one table per layer, then the verdict line.
#[must_use]
pub fn console(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", a.file);
    for l in &a.layers {
        let [b, h, kvh, sq, sk, d, _] = l.report.shape;
        let _ = writeln!(
            out,
            "\n{}: batch {b}, {h} query / {kvh} KV heads, {sq} queries x {sk} keys, d = {d}; largest |score| (f64) {} = {} % of FP16's 65504{}",
            l.name,
            fmt_num(l.report.max_abs_score),
            fmt_num(100.0 * l.report.max_abs_score / F16_MAX),
            if l.report.inputs_beyond_f16 > 0 {
                format!(
                    "; {} input values beyond FP16 (max |x| {})",
                    l.report.inputs_beyond_f16,
                    fmt_num(l.report.max_abs_input)
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            out,
            "  {:<26} {:>6} {:>10} {:>12} {:>10} {:>10}",
            "variant", "finite", "non-finite", "max |score|", "RMSE", "rel RMSE"
        );
        for v in &l.report.variants {
            let _ = writeln!(
                out,
                "  {:<26} {:>6} {:>10} {:>12} {:>10} {:>10}",
                v.name,
                yes_no(v.finite),
                v.non_finite,
                fmt_num(v.max_abs_score),
                fmt_num(v.rmse),
                fmt_num(v.rel_rmse)
            );
        }
        if let Some(e) = l.captured_out_error {
            let _ = writeln!(
                out,
                "  captured out vs f64 reference: max |difference| {}",
                fmt_num(e)
            );
        }
    }
    let _ = writeln!(out, "\nverdict: {}", a.verdict);
    out
}

fn diagnose(rec: &mut Recorder) -> anyhow::Result<()> {
    let path = rec
        .input()
        .context("the input suite needs --input")?
        .to_path_buf();
    let analysis = analyse(&path)?;
    rec.data("analysis", &analysis)?;
    rec.data("console", console(&analysis))?;
    rec.note(format!("Verdict: {}.", analysis.verdict));
    report(rec, &analysis)
}

fn report(rec: &mut Recorder, a: &Analysis) -> anyhow::Result<()> {
    for l in &a.layers {
        let [b, h, kvh, sq, sk, d, _] = l.report.shape;
        let mut table = Table::new(
            format!(
                "{} ({b} x {h} / {kvh} heads x {sq} x {sk} x {d}): largest |score| {} ({} % of 65504), cos(mean q, mean k) {}",
                l.name,
                fmt_num(l.report.max_abs_score),
                fmt_num(100.0 * l.report.max_abs_score / F16_MAX),
                fmt_num(l.cos_means)
            ),
            &[
                "variant",
                "finite",
                "non-finite outputs",
                "max |score|",
                "RMSE",
                "rel RMSE",
            ],
        );
        for v in &l.report.variants {
            table.row(vec![
                v.name.clone(),
                yes_no(v.finite).to_owned(),
                v.non_finite.to_string(),
                fmt_num(v.max_abs_score),
                fmt_num(v.rmse),
                fmt_num(v.rel_rmse),
            ]);
        }
        rec.table(table);
    }
    let captured: Vec<f64> = a
        .layers
        .iter()
        .filter_map(|l| l.captured_out_error)
        .collect();
    if !captured.is_empty() {
        let worst = captured.iter().copied().fold(0.0_f64, f64::max);
        rec.claim(
            Claim::new(
                "input.reference-matches-out",
                "The f64 reference of the file's Q/K/V matches the model's own captured attention output",
                Source::reconstruction(
                    "pasa-core tests/real_data.rs: max abs < 1e-2 (an FP16 model's output is rounded, and its scores come from FP16 inputs)",
                ),
            )
            .measured(worst, "max abs")
            .threshold(Threshold::below(1e-2))
            .note(format!("{} triples with an `out` tensor", captured.len())),
        );
    }
    let x = |k: usize| k as f64;
    let mut rmse = LinePlot::new(
        "Error of each variant per Q/K/V triple",
        "triple (file order)",
        "RMSE vs f64 reference",
        Scale::Linear,
        Scale::Log,
    );
    let Some(first) = a.layers.first() else {
        return Ok(());
    };
    for (k, v) in first.report.variants.iter().enumerate() {
        if v.name.ends_with("f64") {
            continue;
        }
        let pts = a
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let r = &l.report.variants[k];
                (x(i), if r.finite { r.rmse } else { f64::NAN })
            })
            .collect();
        rmse = rmse.with(Series::line(v.name.clone(), pts));
    }
    let any_finite = a
        .layers
        .iter()
        .flat_map(|l| &l.report.variants)
        .any(|v| v.finite && !v.name.ends_with("f64"));
    let names = a
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| format!("{i}: {}", l.name))
        .collect::<Vec<_>>()
        .join(", ");
    // Where every output of every variant is inf/NaN (an input beyond FP16) there is no
    // point to draw; the tables say so.
    if any_finite {
        rec.figure(
            "rmse",
            format!("RMSE per triple ({names}); a missing point had inf/NaN outputs."),
            rmse.svg()?,
        );
    }
    let last = x(a.layers.len().saturating_sub(1));
    let scores = LinePlot::new(
        "Largest |score| per Q/K/V triple",
        "triple (file order)",
        "max |S| (scaled, f64)",
        Scale::Linear,
        Scale::Log,
    )
    .with(Series::line(
        "max |S|",
        a.layers
            .iter()
            .enumerate()
            .map(|(i, l)| (x(i), l.report.max_abs_score))
            .collect(),
    ))
    .with(Series::dashed(
        "FP16 max 65504",
        vec![(0.0, F16_MAX), (last, F16_MAX)],
    ));
    rec.figure(
        "scores",
        format!("Headroom to FP16 overflow per triple ({names})."),
        scores.svg()?,
    );
    Ok(())
}

/// `validate --input FILE` alone: analyse the file, print the answer (or the JSON object
/// when `json`), and write the report into `out`. Returns the run, whose exit code is 0
/// when the analysis ran.
///
/// # Errors
/// When the report cannot be written (an unreadable input is a failed run, not an error,
/// so that its reason is printed the same way in both output forms).
pub fn run(file: &Path, json: bool, out: &Path, mode: Mode) -> anyhow::Result<Validation> {
    let start = Instant::now();
    let suite = suite(file.to_path_buf());
    // No progress lines: with --json, stdout holds the JSON object alone.
    let result = run_suite(&suite, mode, &Progress::hidden());
    let validation = Validation {
        mode,
        command: format!("cargo xtask validate --input {}", file.display()),
        machine: Machine::detect(),
        suites: vec![result],
        seconds: start.elapsed().as_secs_f64(),
    };
    // What the check recorded (NaN, e.g. the RMSE of an all-NaN output, is JSON null).
    let data = &validation.suites[0].data;
    let analysis = if json {
        data.get("analysis")
            .map(serde_json::to_string_pretty)
            .transpose()?
    } else {
        data.get("console")
            .and_then(|v| v.as_str())
            .map(ToOwned::to_owned)
    };
    let errors: Vec<String> = validation
        .failures()
        .map(|c| match c.verdict() {
            crate::claim::Verdict::Fail(reason) | crate::claim::Verdict::Noisy(reason) => {
                format!("{}: {reason}", c.id)
            }
            crate::claim::Verdict::Pass => String::new(),
        })
        .collect();
    if let Some(text) = analysis {
        println!("{}", text.trim_end());
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    crate::report::write_all(&validation, out)?;
    if !json {
        println!("report: {}", out.join("report.md").display());
    }
    Ok(validation)
}
