//! `cargo xtask validate --input FILE`: PASA's diagnostics on a user's own captured Q/K/V.
//! Will FP16 attention overflow on my model, is there resonance, how large is each
//! variant's error? Everything is computed by `pasa-core` (loaders, kernels, reference,
//! resonance measure); this module only finds the Q/K/V triples in the file.
//!
//! File conventions:
//! - `.safetensors`: every triple of tensors named `q`, `k`, `v` or `<prefix>.q`, `<prefix>.k`,
//!   `<prefix>.v` (e.g. `layer0.q`), each `(seq, dim)`, `(heads, seq, dim)` or
//!   `(batch, heads, seq, dim)`, f16/bf16/f32. A `<prefix>.out` tensor, if present, is taken
//!   as the model's own attention output and compared with the f64 reference.
//! - `.npy`: the file is Q; K and V are the sibling files whose stem ends in `k` and `v`
//!   instead of `q` (`layer0_q.npy`, `layer0_k.npy`, `layer0_v.npy`).
//!
//! The softmax scale is `1/sqrt(head_dim)` (Q not pre-scaled).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use pasa_core::io::{SafetensorsFile, load_npy_f16};
use pasa_core::resonance::resonance;
use pasa_core::round::F16_MAX;
use pasa_core::{
    AttentionInputs, AttentionParams, ErrorReport, Preset, Tensor, attention, reference_attention,
};
use serde::Serialize;

use crate::claim::{Claim, Source, Threshold, fmt_num};
use crate::flags::ensure_regular_file;
use crate::plot::{LinePlot, Scale, Series};
use crate::suite::{Check, Recorder, Suite, Table};

/// The variants compared on the user's data.
const VARIANTS: [(Preset, &str); 3] = [
    (Preset::Fp32Softmax, "FA, FP32 softmax"),
    (Preset::NaiveFp16, "FA, all FP16"),
    (Preset::PasaKeyMeans, "PASA, all FP16"),
];

/// The suite for `--input FILE`.
#[must_use]
pub fn suite(file: PathBuf) -> Suite {
    Suite {
        name: "input",
        title: "Your Q/K/V: FP16 overflow risk, resonance and error of each variant",
        intro: "Diagnostics of `pasa-core` on the tensors of `--input`: for each Q/K/V triple, the \
                largest |score| (FP16 overflows above 65504), the resonance of Q and K \
                (cosine of their mean directions in the head dimension: +1 in phase, -1 opposite), \
                and the RMSE against an f64 reference of FP32-softmax Flash Attention, naive \
                all-FP16 Flash Attention and PASA (all FP16, key-means recovery).",
        checks: vec![Check {
            name: "diagnose",
            about: "diagnose the input file",
            timing: false,
            run: diagnose,
        }],
        input: Some(file),
    }
}

/// One Q/K/V triple found in the file.
struct Case {
    name: String,
    inputs: AttentionInputs,
    captured_out: Option<Tensor<f64>>,
}

fn load_cases(path: &Path) -> anyhow::Result<Vec<Case>> {
    ensure_regular_file(path)?;
    match path.extension().and_then(|e| e.to_str()) {
        Some("safetensors") => load_safetensors(path),
        Some("npy") => load_npy(path),
        _ => bail!("{}: expected a .safetensors or .npy file", path.display()),
    }
}

fn load_safetensors(path: &Path) -> anyhow::Result<Vec<Case>> {
    let file = SafetensorsFile::open(path)?;
    let names = file.names()?;
    let prefixes: Vec<String> = names
        .iter()
        .filter_map(|n| {
            if n == "q" {
                Some(String::new())
            } else {
                n.strip_suffix(".q").map(|p| format!("{p}."))
            }
        })
        .filter(|p| names.contains(&format!("{p}k")) && names.contains(&format!("{p}v")))
        .collect();
    if prefixes.is_empty() {
        bail!(
            "{}: no tensors named q/k/v or <prefix>.q/.k/.v (found: {})",
            path.display(),
            names.join(", ")
        );
    }
    let mut cases = Vec::new();
    for p in prefixes {
        let t = |s: &str| file.tensor_f16(&format!("{p}{s}"));
        let inputs = AttentionInputs::new(t("q")?, t("k")?, t("v")?)
            .with_context(|| format!("tensors {p}q, {p}k, {p}v"))?;
        let out_name = format!("{p}out");
        let captured_out = if names.contains(&out_name) {
            Some(file.tensor_f16(&out_name)?.to_f64())
        } else {
            None
        };
        let name = if p.is_empty() {
            "qkv".to_owned()
        } else {
            p.trim_end_matches('.').to_owned()
        };
        cases.push(Case {
            name,
            inputs,
            captured_out,
        });
    }
    // layer2 before layer10.
    cases.sort_by_key(|c| {
        let digits: String = c.name.chars().filter(char::is_ascii_digit).collect();
        (digits.parse::<u64>().unwrap_or(u64::MAX), c.name.clone())
    });
    Ok(cases)
}

fn load_npy(path: &Path) -> anyhow::Result<Vec<Case>> {
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
    let sibling = |c: char| {
        let p = path.with_file_name(format!("{base}{c}.npy"));
        ensure_regular_file(&p).map(|()| p)
    };
    let inputs = AttentionInputs::new(
        load_npy_f16(path)?,
        load_npy_f16(sibling('k')?)?,
        load_npy_f16(sibling('v')?)?,
    )?;
    Ok(vec![Case {
        name: stem.to_owned(),
        inputs,
        captured_out: None,
    }])
}

/// What the report keeps of one case.
#[derive(Debug, Serialize)]
struct Diagnosis {
    name: String,
    shape: [usize; 4],
    max_abs_score: f64,
    max_cos_means: f64,
    max_abs_cos_max: f64,
    bias_score: f64,
    errors: Vec<(&'static str, ErrorReport)>,
    reference_vs_captured: Option<f64>,
}

fn diagnose(rec: &mut Recorder) -> anyhow::Result<()> {
    let path = rec
        .input()
        .context("the input suite needs --input")?
        .to_path_buf();
    let cases = load_cases(&path)?;
    let bar = rec.bar(cases.len() as u64, "diagnosing input");
    let mut diagnoses = Vec::new();
    for case in &cases {
        let params = AttentionParams::default();
        let shape = case.inputs.shape();
        let reference = reference_attention(&case.inputs, &params)?;
        let mut errors = Vec::new();
        let mut max_abs_score = 0.0_f64;
        for (preset, label) in VARIANTS {
            let out = attention(&case.inputs, &preset.kernel(), &params)?;
            if preset == Preset::Fp32Softmax {
                max_abs_score = out.probe.max_abs_score;
            }
            errors.push((label, ErrorReport::compare(&out.out, &reference)));
        }
        let res = resonance(&case.inputs, params.scale_for(&shape));
        let pick = |f: &dyn Fn(&pasa_core::resonance::Resonance) -> f64| {
            res.iter()
                .map(f)
                .fold(0.0_f64, |m, x| if x.abs() > m.abs() { x } else { m })
        };
        let reference_vs_captured = case
            .captured_out
            .as_ref()
            .filter(|c| c.shape() == reference.shape())
            .map(|c| ErrorReport::compare(&reference, c).max_abs);
        diagnoses.push(Diagnosis {
            name: case.name.clone(),
            shape: [shape.batch, shape.heads, shape.seq_q, shape.head_dim],
            max_abs_score,
            max_cos_means: pick(&|r| r.cos_means),
            max_abs_cos_max: pick(&|r| r.abs_cos_max),
            bias_score: pick(&|r| r.bias_score),
            errors,
            reference_vs_captured,
        });
        bar.inc(1);
    }
    bar.finish_and_clear();
    report(rec, &path, &diagnoses)
}

fn report(rec: &mut Recorder, path: &Path, diagnoses: &[Diagnosis]) -> anyhow::Result<()> {
    let mut table = Table::new(
        format!(
            "{}: per Q/K/V triple (scale 1/sqrt(head_dim))",
            path.display()
        ),
        &[
            "tensors",
            "batch x heads x seq x dim",
            "max |S|",
            "of 65504",
            "cos(mean q, mean k)",
            "max |cos(q_i, k_j)|",
            "FA FP32 RMSE",
            "FA FP16 RMSE",
            "PASA RMSE",
        ],
    );
    for d in diagnoses {
        let mut row = vec![
            d.name.clone(),
            d.shape
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" x "),
            fmt_num(d.max_abs_score),
            format!("{}%", fmt_num(100.0 * d.max_abs_score / F16_MAX)),
            fmt_num(d.max_cos_means),
            fmt_num(d.max_abs_cos_max),
        ];
        row.extend(d.errors.iter().map(|(_, e)| {
            if e.all_finite() {
                fmt_num(e.rmse)
            } else {
                format!("{} inf/NaN", e.non_finite)
            }
        }));
        table.row(row);
    }
    rec.table(table);

    let overflowing: Vec<&str> = diagnoses
        .iter()
        .filter(|d| !d.errors[1].1.all_finite())
        .map(|d| d.name.as_str())
        .collect();
    let worst = diagnoses
        .iter()
        .max_by(|a, b| a.max_abs_score.total_cmp(&b.max_abs_score));
    if let Some(w) = worst {
        rec.note(format!(
            "Overflow risk: the largest |score| is {} in {} ({}% of FP16's 65504); naive FP16 attention overflowed in {} of {} triples{}.",
            fmt_num(w.max_abs_score),
            w.name,
            fmt_num(100.0 * w.max_abs_score / F16_MAX),
            overflowing.len(),
            diagnoses.len(),
            if overflowing.is_empty() { String::new() } else { format!(" ({})", overflowing.join(", ")) }
        ));
    }
    let pasa_non_finite: usize = diagnoses.iter().map(|d| d.errors[2].1.non_finite).sum();
    rec.claim(
        Claim::new(
            "input.pasa-finite",
            "PASA's output is finite on every Q/K/V triple of the input",
            Source::paper("arXiv:2503.01873, abstract"),
        )
        .measured(pasa_non_finite as f64, "inf/NaN outputs")
        .threshold(Threshold::at_most(0.0)),
    );
    let captured: Vec<f64> = diagnoses
        .iter()
        .filter_map(|d| d.reference_vs_captured)
        .collect();
    if !captured.is_empty() {
        let worst = captured.iter().copied().fold(0.0_f64, f64::max);
        rec.claim(
            Claim::new(
                "input.reference-matches-out",
                "The f64 reference on the FP16-rounded inputs matches the model's own captured attention output",
                Source::reconstruction("pasa-core tests/real_data.rs: max abs < 1e-2 (input rounding to f16 moves scores)"),
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
    for (k, (_, label)) in VARIANTS.iter().enumerate() {
        let pts = diagnoses
            .iter()
            .enumerate()
            .map(|(i, d)| {
                (
                    x(i),
                    if d.errors[k].1.all_finite() {
                        d.errors[k].1.rmse
                    } else {
                        f64::NAN
                    },
                )
            })
            .collect();
        rmse = rmse.with(Series::line(*label, pts));
    }
    rec.figure(
        "rmse",
        format!(
            "RMSE per triple ({}); missing points overflowed.",
            names(diagnoses)
        ),
        rmse.svg()?,
    );
    let scores = LinePlot::new(
        "Largest |score| per Q/K/V triple",
        "triple (file order)",
        "max |S| (scaled)",
        Scale::Linear,
        Scale::Log,
    )
    .with(Series::line(
        "max |S|",
        diagnoses
            .iter()
            .enumerate()
            .map(|(i, d)| (x(i), d.max_abs_score))
            .collect(),
    ))
    .with(Series::dashed(
        "FP16 max 65504",
        vec![
            (0.0, F16_MAX),
            (x(diagnoses.len().saturating_sub(1)), F16_MAX),
        ],
    ));
    rec.figure(
        "scores",
        format!(
            "Headroom to FP16 overflow per triple ({}).",
            names(diagnoses)
        ),
        scores.svg()?,
    );
    rec.data("diagnoses", diagnoses)?;
    Ok(())
}

fn names(d: &[Diagnosis]) -> String {
    d.iter()
        .enumerate()
        .map(|(i, d)| format!("{i}: {}", d.name))
        .collect::<Vec<_>>()
        .join(", ")
}
