//! The `authors-benchmark` check of the PASA suite: every FP16 variant on the authors'
//! own benchmark ([`pasa_core::authors_benchmark`]), with a map of its relative RMSE and pass/fail per
//! cell, and the verdicts on what the paper and the authors' script claim for it.
//!
//! Quick mode runs [`QUICK_HEADS`] query head(s) over one KV head (the first heads of the
//! full run's draws, bit for bit) and the variants of [`QUICK_VARIANTS`]; full mode the
//! authors' 28 over 4 and every FP16 variant. The claims' pinned numbers are counted on
//! the first [`QUICK_HEADS`] heads in both modes, so one pin serves both; full mode adds
//! the 28-head counts in the notes.

use pasa_core::Preset;

use crate::claim::{Claim, Source, Threshold, fmt_num};
use crate::plot::CategoryMap;
use crate::suite::{Recorder, Table};
use crate::suites::pasa::{grid_index, grid_ticks};
use pasa_core::authors_benchmark::{
    AMPLITUDES, BenchmarkShape, Cell, DOUBLE_PASS_RATIO, Generator, MEANS, SEED, run_cell, variants,
};

/// Query heads of quick mode (over one KV head, so they are the first heads of the first
/// GQA group of the full shape).
pub const QUICK_HEADS: usize = 1;

const SCRIPT: &str = "PASA_Verification.py, chenglong92/PASA at commit 14f5c6f";

/// The variants of quick mode: the baselines, the authors' PASA in both of their modes,
/// and our key-means variant.
pub const QUICK_VARIANTS: [Preset; 5] = [
    Preset::Fp32Softmax,
    Preset::NaiveFp16,
    Preset::Pasa,
    Preset::PasaHybrid,
    Preset::PasaKeyMeans,
];

pub fn run(rec: &mut Recorder) -> anyhow::Result<()> {
    let presets = rec.mode().pick(QUICK_VARIANTS.to_vec(), variants());
    let shape = rec.mode().pick(
        BenchmarkShape::AUTHORS.with_heads(QUICK_HEADS, 1),
        BenchmarkShape::AUTHORS,
    );
    let cells_per_generator = MEANS.len() * AMPLITUDES.len();
    let bar = rec.bar(
        (Generator::ALL.len() * cells_per_generator) as u64,
        "authors' benchmark",
    );
    let mut cells = Vec::new();
    for generator in Generator::ALL {
        for mean in MEANS {
            for amp in AMPLITUDES {
                cells.push(run_cell(
                    generator,
                    mean,
                    amp,
                    shape,
                    QUICK_HEADS,
                    &presets,
                )?);
                bar.inc(1);
            }
        }
    }
    bar.finish_and_clear();
    let shown: Vec<&Cell> = cells.iter().collect();
    let shown_shape = shape;
    for &preset in &presets {
        rec.figure(
            &format!("authors-{}", preset.name()),
            format!(
                "{}: relative RMSE (RMSE / RMS(V), the authors' definition) and the double-thousandth verdict on each cell of the authors' benchmark ({} query heads / {} KV heads x {} x {}, seed {} on our Xoshiro256++ streams, not PyTorch's). Green cells pass, orange fail, black had inf/NaN outputs.",
                preset.name(),
                shown_shape.heads,
                shown_shape.kv_heads,
                shown_shape.seq,
                shown_shape.head_dim,
                SEED,
            ),
            map(preset, &shown)?.svg()?,
        );
    }
    for generator in Generator::ALL {
        rec.table(grid_table(generator, &presets, &shown, shown_shape));
    }
    claims(rec, &cells);
    rec.data("authors_benchmark", &cells)?;
    Ok(())
}

/// Cells of `preset` that failed the rule and that had inf/NaN outputs, over the pinned
/// heads or over all.
fn failures(cells: &[Cell], preset: Preset, pinned: bool) -> (Vec<String>, usize) {
    let mut failed = Vec::new();
    let mut overflowed = 0;
    for c in cells {
        let score = if pinned {
            c.pinned(preset)
        } else {
            c.score(preset)
        };
        let Some(s) = score else { continue };
        if !s.passed {
            failed.push(format!(
                "{} mean {} Am {}",
                c.generator.name(),
                fmt_num(c.mean),
                fmt_num(c.amp)
            ));
        }
        if s.overflowed() {
            overflowed += 1;
        }
    }
    (failed, overflowed)
}

fn claims(rec: &mut Recorder, cells: &[Cell]) {
    let total = cells.len();
    let full = rec.mode() == crate::suite::Mode::Full;
    let heads_note = |preset: Preset| {
        let (failed, overflowed) = failures(cells, preset, false);
        if full {
            format!(
                "all 28 query heads (full mode): {} of {total} cells fail, {overflowed} with inf/NaN",
                failed.len()
            )
        } else {
            format!(
                "counted on the first {QUICK_HEADS} query head(s), the same in quick and full mode"
            )
        }
    };

    let (_, pasa_overflowed) = failures(cells, Preset::Pasa, true);
    rec.claim(
        Claim::new(
            "pasa.authors.finite",
            "The authors' PASA (`pasa`) stays finite on every cell of their benchmark (both generators)",
            Source::paper(
                "arXiv:2503.01873, abstract; the authors' README: PASA 'will not suffer from ... overflow'",
            ),
        )
        .measured(pasa_overflowed as f64, "cells with inf/NaN")
        .threshold(Threshold::at_most(0.0))
        .note(format!("{total} cells (mean x Am x generator); {}", heads_note(Preset::Pasa))),
    );

    for (preset, id, pin, reason) in PINS {
        let (failed, _) = failures(cells, preset, true);
        rec.claim(
            Claim::new(
                format!("pasa.authors.double-thousandth.{id}"),
                format!(
                    "Not reproduced: `{}` fails the authors' double-thousandth rule (<= {} of outputs off by >= {} relative) on {} of {total} cells of their benchmark; the authors' script applies the rule to PASA and the paper reports no failing cell",
                    preset.name(),
                    fmt_num(DOUBLE_PASS_RATIO),
                    fmt_num(DOUBLE_PASS_RATIO),
                    failed.len()
                ),
                Source::paper(format!(
                    "{SCRIPT}: the pass rule (DoublePassRatio = 0.005) it applies to PASA; README: PASA 'will not suffer from ... large numerical error'"
                )),
            )
            .measured(failed.len() as f64, "failing cells")
            .threshold(Threshold::within(pin, 0.0))
            .not_reproduced("0 failing cells (the rule the authors' script applies to PASA)", reason)
            .note(format!("pinned: {} failing cells (xtask/tests/authors_benchmark.rs pins cells of it); {total} cells; {}", fmt_num(pin), heads_note(preset)))
            .note(format!("reason ({}): {reason}", preset.name()))
            .note(if failed.is_empty() {
                "no cell fails".to_owned()
            } else {
                format!("failing: {}", failed.join("; "))
            }),
        );
    }
    let (failed, _) = failures(cells, Preset::Fp32Softmax, true);
    rec.claim(
        Claim::new(
            "pasa.authors.double-thousandth.fp32-softmax",
            "Control: the FP32-softmax Flash Attention baseline passes the authors' rule on every cell, so the golden, the generators and the rule admit a passing kernel",
            Source::project("control of the authors' benchmark as transcribed here"),
        )
        .measured(failed.len() as f64, "failing cells")
        .threshold(Threshold::at_most(0.0))
        .note(format!("{total} cells; {}", heads_note(Preset::Fp32Softmax))),
    );
}

/// Why FP16 variants fail the rule on this benchmark (measured: the FP32-softmax baseline
/// passes every cell; every variant with FP16 score tiles fails the cells with a large
/// score spread or outputs near zero, naive FP16 Flash Attention included).
const SCORE_TILE_REASON: &str = "investigated: the score tile S = Q K'^T is written in FP16 (the script's `mm_tp`), so a score of magnitude |S| carries an absolute rounding error up to |S| 2^-11 into exp(S - m), and P is an FP16 operand (2^-11 relative); where the scores within a row spread by tens (uniform Am >= 10, or Am 5 at mean 0 and 10; hybrid mean >= 10 with Am <= 5, where beta = 0.9375 leaves 6 % of the bias, ~600 at mean 30, in PASA's shifted scores) or the outputs are averages near zero (mean 0: the rule then asks for an absolute error below 0.005 x 2^-14 / 0.005 = 6e-5), more than 0.5 % of outputs move by 0.005 relative or more. Naive FP16 Flash Attention fails the same cells and the FP32-softmax baseline passes all 32 (same golden, same rule), so the rule, the golden and the generators are not the cause";

/// The variants whose double-thousandth count is a claim of the authors' script, with our
/// pinned count of failing cells (of 32, on the first [`QUICK_HEADS`] head(s)) and the
/// investigated reason it is not 0.
const PINS: [(Preset, &str, f64, &str); 2] = [
    (
        Preset::Pasa,
        "pasa",
        25.0,
        "FP16 score tiles (see the pasa-hybrid claim) on 20 cells; on 5 more (uniform Am 0.5 at mean 10, 20, 30, uniform mean 20 Am 5, hybrid mean 10 Am 10: mean-dominated cells) the all-FP16 row statistics: the running pseudo-average is multiplied by gamma = beta/(1-beta) = 15 in FP16, and pasa-hybrid (the same algorithm with FP32 vector statistics) passes those cells",
    ),
    (Preset::PasaHybrid, "pasa-hybrid", 20.0, SCORE_TILE_REASON),
];

/// Colour bins of the authors' relative RMSE.
const BINS: [(f64, &str); 3] = [
    (1e-3, "< 1e-3"),
    (1e-2, "1e-3 to 1e-2"),
    (f64::INFINITY, ">= 1e-2"),
];

fn map(preset: Preset, cells: &[&Cell]) -> anyhow::Result<CategoryMap> {
    let pass = [(199, 233, 192), (116, 196, 118), (35, 139, 69)];
    let fail = [(253, 208, 162), (253, 141, 60), (217, 72, 1)];
    let mut categories = Vec::new();
    for (verdict, colours) in [("pass", pass), ("fail", fail)] {
        for ((_, label), colour) in BINS.iter().zip(colours) {
            categories.push((format!("{verdict}, rel. RMSE {label}"), colour));
        }
    }
    categories.push(("inf/NaN outputs".to_owned(), (0, 0, 0)));
    let mut x_ticks = Vec::new();
    for generator in Generator::ALL {
        for amp in grid_ticks(&AMPLITUDES) {
            x_ticks.push(format!("{} {amp}", &generator.name()[..1]));
        }
    }
    let mut placed = Vec::new();
    for c in cells {
        let Some(s) = c.score(preset) else { continue };
        let g = usize::from(c.generator == Generator::Hybrid);
        let column = g * AMPLITUDES.len() + grid_index(&AMPLITUDES, c.amp)?;
        let category = if s.overflowed() {
            2 * BINS.len()
        } else {
            let bin = BINS
                .iter()
                .position(|(upper, _)| s.rel_rmse_v < *upper)
                .unwrap_or(BINS.len() - 1);
            bin + if s.passed { 0 } else { BINS.len() }
        };
        placed.push((column, grid_index(&MEANS, c.mean)?, category));
    }
    Ok(CategoryMap {
        title: format!("{} on the authors' benchmark", preset.name()),
        x_label: "generator (u = uniform, h = hybrid) and amplitude Am".to_owned(),
        y_label: "mean".to_owned(),
        x_ticks,
        y_ticks: grid_ticks(&MEANS),
        categories,
        cells: placed,
    })
}

fn grid_table(
    generator: Generator,
    presets: &[Preset],
    cells: &[&Cell],
    shape: BenchmarkShape,
) -> Table {
    let mut header = vec!["mean", "Am", "max |S|"];
    header.extend(presets.iter().map(|p| p.name()));
    let mut table = Table::new(
        format!(
            "The authors' benchmark, {} generator ({} / {} heads x {} x {}): relative RMSE (RMSE / RMS(V); RMSE / RMS(golden) in brackets), share of outputs off by >= 0.5 %, and the double-thousandth verdict",
            generator.name(),
            shape.heads,
            shape.kv_heads,
            shape.seq,
            shape.head_dim
        ),
        &header,
    );
    for c in cells.iter().filter(|c| c.generator == generator) {
        let mut row = vec![fmt_num(c.mean), fmt_num(c.amp), fmt_num(c.max_abs_score)];
        for &p in presets {
            row.push(c.score(p).map_or_else(String::new, |s| {
                if s.overflowed() {
                    format!("{} inf/NaN, FAIL", s.non_finite)
                } else {
                    format!(
                        "{} ({}), {} %, {}",
                        fmt_num(s.rel_rmse_v),
                        fmt_num(s.rel_rmse_golden),
                        fmt_num(100.0 * s.exceed_share),
                        if s.passed { "pass" } else { "FAIL" }
                    )
                }
            }));
        }
        table.row(row);
    }
    table
}
