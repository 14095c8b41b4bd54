//! The PASA suite (arXiv:2503.01873): naive FP16 Flash Attention overflows on biased or
//! resonant Q/K, PASA stays finite with small error, and PASA is mathematically softmax
//! attention. Every number comes from `pasa-core`'s emulated kernels against its f64
//! reference.
//!
//! The paper's statements are checked on the authors' algorithm (`pasa`, transcribed from
//! their verification script); each ends [`Outcome`](crate::claim::Outcome) reproduced, not
//! reproduced (the claim pins our number and says why it differs) or regression. The
//! claims whose thresholds come from `pasa-core`'s own tests (their measured value with a
//! factor-2 margin, at seq 512 = quick mode; where the full mode's seq 1024 measures more
//! than half that, the full run's own measurement x 2) are about our key-means variant and
//! say so. The `authors-benchmark` check runs the authors' own benchmark
//! (`authors_benchmark`).

use anyhow::Context;
use pasa_core::generate::{RandomCase, Resonance};
use pasa_core::round::F16_MAX;
use pasa_core::{
    AttentionInputs, AttentionParams, ErrorReport, Preset, Tensor, attention, reference_attention,
};
use serde::Serialize;

use crate::claim::{Claim, Source, Threshold, fmt_num};
use crate::plot::{CategoryMap, LinePlot, Scale, Series};
use crate::suite::{Check, Recorder, Suite, Table};

mod authors_benchmark;

const PAPER: &str = "arXiv:2503.01873, abstract";

/// Where the RMSE thresholds come from: `pasa-core`'s `tests/overflow.rs` asserts its
/// measured value x 2 at seq 512, seed 11, which is this suite's quick-mode problem. At the
/// full mode's seq 1024 the measured values differ; where they leave less than a factor 2
/// of margin the full-mode threshold is the full run's own measurement x 2, named in the
/// claim.
const TESTS: &str = "pasa-core tests/overflow.rs, measured at seq 512, seed 11 (x 2)";

/// The authors' PASA (their verification script's algorithm, all FP16): the paper's claims
/// are checked on it.
const AUTHORS: Preset = Preset::Pasa;

/// Our key-means variant (not the paper's): the claims whose thresholds come from
/// `pasa-core`'s tests are about it, and say so.
const OURS: Preset = Preset::PasaKeyMeans;

/// The variants the plots compare, high-precision baseline first.
const COMPARED: [(Preset, &str); 4] = [
    (Preset::Fp32Softmax, "FA, FP32 softmax"),
    (Preset::NaiveFp16, "FA, all FP16"),
    (AUTHORS, "pasa (the authors'), all FP16"),
    (OURS, "pasa-key-means (ours), all FP16"),
];

/// The suite.
#[must_use]
pub fn suite() -> Suite {
    Suite {
        name: "pasa",
        title: "PASA: FP16 attention without overflow",
        intro: "PASA (arXiv:2503.01873) computes Flash Attention entirely in FP16. Naive FP16 \
                attention overflows (scores above 65504 become inf, then NaN) when Q and K \
                carry a large bias along the sequence or resonate (their mean directions in \
                the head dimension coincide or are opposite). PASA shifts each key block by \
                a pseudo-average and recovers the shift when blocks merge, so no \
                intermediate leaves the FP16 range. Inputs are the seeded random benchmarks \
                of `pasa_core::generate` (q, k = bias·u + amp·N(0,1), v = N(0,1)); errors are \
                RMSE against `pasa_core::reference_attention` in f64. `pasa` is the authors' \
                algorithm (their verification script, transcribed step for step in the \
                emulated precisions); `pasa-key-means` is our variant, not the paper's \
                (docs/pasa.md). The paper's statements are checked on `pasa`: each is \
                reproduced, not reproduced (the claim pins our number and its notes give \
                the paper's and the reason) or a regression (fails the run). The last check \
                runs the authors' own benchmark (their shape, generators, grid, golden and \
                pass rule).",
        checks: vec![
            Check {
                name: "equivalence",
                about: "PASA in f64 equals softmax attention",
                timing: false,
                run: equivalence,
            },
            Check {
                name: "overflow",
                about: "naive FP16 overflows where PASA does not",
                timing: false,
                run: overflow,
            },
            Check {
                name: "accuracy",
                about: "PASA is accurate where FP16 is finite",
                timing: false,
                run: accuracy,
            },
            Check {
                name: "resonance",
                about: "resonant Q/K overflow FP16",
                timing: false,
                run: resonance,
            },
            Check {
                name: "grid",
                about: "RMSE and overflow over bias x amplitude",
                timing: false,
                run: grid,
            },
            Check {
                name: "authors-benchmark",
                about: "the authors' benchmark: their shape, generators, grid and pass rule",
                timing: false,
                run: authors_benchmark::run,
            },
        ],
        input: None,
    }
}

/// Sequence length of the random cases: pasa-core's tests use 512, the brief's table 1024.
fn seq(rec: &Recorder) -> usize {
    rec.mode().pick(512, 1024)
}

fn case(rec: &Recorder, bias: f64, amp: f64, resonance: Resonance) -> RandomCase {
    RandomCase {
        resonance,
        ..RandomCase::brief(bias, amp, 11).with_seq(seq(rec))
    }
}

/// One kernel's error on one input, with the largest |score| it saw.
#[derive(Debug, Clone, Copy, Serialize)]
struct Outcome {
    error: ErrorReport,
    max_abs_score: f64,
}

impl Outcome {
    fn overflowed(&self) -> bool {
        !self.error.all_finite()
    }

    /// Percentage of outputs that are inf or NaN.
    fn non_finite_percent(&self) -> f64 {
        100.0 * self.error.non_finite as f64 / self.error.total.max(1) as f64
    }
}

fn run(
    preset: Preset,
    inputs: &AttentionInputs,
    reference: &Tensor<f64>,
) -> anyhow::Result<Outcome> {
    let out = attention(inputs, &preset.kernel(), &AttentionParams::default())?;
    Ok(Outcome {
        error: ErrorReport::compare(&out.out, reference),
        max_abs_score: out.probe.max_abs_score,
    })
}

/// Inputs and reference of a case.
fn prepare(case: &RandomCase) -> anyhow::Result<(AttentionInputs, Tensor<f64>)> {
    let inputs = case.inputs()?;
    let reference = reference_attention(&inputs, &AttentionParams::default())?;
    Ok((inputs, reference))
}

fn equivalence(rec: &mut Recorder) -> anyhow::Result<()> {
    // The f64 rounding bound of pasa-core's tests (1e-12) holds while |S| is a few hundred
    // (bias 5 reaches ~300). The f64 error grows with |S| (7e-11 at bias 100, |S| ~ 1e5):
    // still rounding, but past this bound, so those cases are left to the FP16 checks.
    let mut worst = 0.0_f64;
    for (bias, resonance) in [
        (0.0, Resonance::Aligned),
        (2.0, Resonance::Opposite),
        (5.0, Resonance::Aligned),
    ] {
        let (inputs, reference) = prepare(&case(rec, bias, 1.0, resonance))?;
        for preset in [Preset::PasaExact, Preset::FlashExact] {
            let e = run(preset, &inputs, &reference)?.error;
            worst = worst.max(if e.all_finite() {
                e.max_abs
            } else {
                f64::INFINITY
            });
        }
    }
    rec.claim(
        Claim::new(
            "pasa.equivalence.f64",
            "PASA is mathematically equivalent to softmax attention: computed in f64 it equals the f64 reference",
            Source::paper(PAPER),
        )
        .measured(worst, "")
        .threshold(Threshold::below(1e-12))
        .note(format!(
            "largest |PASA_f64 - reference| (and FA_f64) over bias 0, 2 (opposite phase), 5, amp 1, seq {}; bound from f64 rounding of <= 1024-term sums (pasa-core tests/equivalence.rs)",
            seq(rec)
        )),
    );
    Ok(())
}

fn overflow(rec: &mut Recorder) -> anyhow::Result<()> {
    let (inputs, reference) = prepare(&case(rec, 100.0, 4.0, Resonance::Aligned))?;
    let naive = run(Preset::NaiveFp16, &inputs, &reference)?;
    let base = run(Preset::Fp32Softmax, &inputs, &reference)?;
    let pasa = run(AUTHORS, &inputs, &reference)?;
    let ours = run(OURS, &inputs, &reference)?;
    let at = format!("bias 100, amp 4, seq {}", seq(rec));
    rec.claim(
        Claim::new(
            "pasa.overflow.fa-fp16",
            "Naive FP16 Flash Attention overflows (inf/NaN outputs) when Q and K carry a large bias",
            Source::paper(PAPER),
        )
        .measured(naive.non_finite_percent(), "% inf/NaN")
        .threshold(Threshold::above(0.0))
        .note(format!("share of non-finite outputs at {at}; the FP32 baseline saw |S| up to {}", fmt_num(base.max_abs_score))),
    );
    rec.claim(
        Claim::new(
            "pasa.overflow.pasa-finite",
            "The authors' PASA (`pasa`) keeps its output finite on the same input",
            Source::paper(PAPER),
        )
        .measured(pasa.error.non_finite as f64, "outputs")
        .threshold(Threshold::at_most(0.0))
        .note(format!("non-finite outputs of {} at {at}", AUTHORS.name())),
    );
    rec.claim(
        Claim::new(
            "pasa.overflow.key-means-finite",
            "Our key-means variant (`pasa-key-means`, not the paper's) keeps its output finite on the same input",
            Source::project("issue 14: every variant keeps its own name; ours is checked as ours"),
        )
        .measured(ours.error.non_finite as f64, "outputs")
        .threshold(Threshold::at_most(0.0))
        .note(format!("non-finite outputs of {} at {at}", OURS.name())),
    );
    rec.claim(
        Claim::new(
            "pasa.overflow.scores-in-range",
            "The authors' PASA's shifted scores stay inside the FP16 range although the true scores exceed it",
            Source::paper(PAPER),
        )
        .measured(pasa.max_abs_score, "")
        .threshold(Threshold::below(F16_MAX))
        .note(format!(
            "largest |shifted score| at {at}; unshifted: {}",
            fmt_num(base.max_abs_score)
        )),
    );
    rec.claim(
        Claim::new(
            "pasa.overflow.rmse",
            "Where naive FP16 overflows, our key-means variant's RMSE stays at the level set by FP16 score resolution",
            Source::reconstruction(TESTS),
        )
        .measured(ours.error.rmse, "")
        .threshold(Threshold::below(2.2e-2))
        .note(format!(
            "RMSE of {} vs f64 at {at}; FP32-softmax baseline {}; the authors' pasa {}. Threshold: 2 x 1.1e-2 (tests/overflow.rs, seq 512); at seq 1024 (full mode) attention here is nearly one-hot and the variant, like the FP32 baseline, measures 8.6e-11",
            OURS.name(),
            fmt_num(base.error.rmse),
            rmse_text(&pasa)
        )),
    );
    Ok(())
}

fn accuracy(rec: &mut Recorder) -> anyhow::Result<()> {
    let (inputs, reference) = prepare(&case(rec, 5.0, 1.0, Resonance::Aligned))?;
    let naive = run(Preset::NaiveFp16, &inputs, &reference)?;
    let pasa = run(OURS, &inputs, &reference)?;
    let authors = run(AUTHORS, &inputs, &reference)?;
    rec.claim(
        Claim::new(
            "pasa.accuracy.beats-naive",
            "Where both are finite, our key-means variant is more accurate than naive FP16 attention (RMSE ratio naive / pasa-key-means)",
            Source::reconstruction(
                "pasa-core tests/overflow.rs: ratio > 4 (measured 19.9 at seq 512, 14.4 at seq 1024)",
            ),
        )
        .measured(naive.error.rmse / pasa.error.rmse, "x")
        .threshold(Threshold::above(4.0))
        .note(format!(
            "bias 5, amp 1, seq {}: naive {}, pasa-key-means {}, the authors' pasa {}",
            seq(rec),
            fmt_num(naive.error.rmse),
            fmt_num(pasa.error.rmse),
            rmse_text(&authors)
        )),
    );
    let (inputs, reference) = prepare(&case(rec, 0.0, 1.0, Resonance::Aligned))?;
    let mut worst = 0.0_f64;
    for (preset, _) in COMPARED {
        let e = run(preset, &inputs, &reference)?.error;
        worst = worst.max(if e.all_finite() {
            e.rmse
        } else {
            f64::INFINITY
        });
    }
    rec.claim(
        Claim::new(
            "pasa.accuracy.no-bias",
            "Without bias every FP16 kernel is accurate to FP16 storage level",
            Source::reconstruction(
                "pasa-core tests/overflow.rs: RMSE < 2.5e-4, 2 x the largest of five FP16 presets at seq 512, seed 11 (1.2e-4, pasa); one f16 ulp of outputs ~0.05 is 3e-5",
            ),
        )
        .measured(worst, "")
        .threshold(Threshold::below(2.5e-4))
        .note(format!(
            "largest RMSE of FA-FP32-softmax, FA-FP16, pasa and pasa-key-means at bias 0, amp 1, seq {}",
            seq(rec)
        )),
    );
    Ok(())
}

fn resonance(rec: &mut Recorder) -> anyhow::Result<()> {
    let mut table = Table::new(
        format!(
            "Resonance at bias 100, amp 4, seq {}: largest |score| and RMSE",
            seq(rec)
        ),
        &[
            "mean directions of Q, K",
            "max |S| (FP32)",
            "FA-FP16 RMSE",
            "pasa RMSE",
            "pasa-key-means RMSE",
        ],
    );
    let mut naive_opposite = f64::NAN;
    let mut pasa_opposite = f64::NAN;
    let mut orthogonal_score = f64::NAN;
    for (resonance, label) in [
        (Resonance::Aligned, "in phase"),
        (Resonance::Opposite, "180° out of phase"),
        (Resonance::Orthogonal, "orthogonal (no resonance)"),
    ] {
        let (inputs, reference) = prepare(&case(rec, 100.0, 4.0, resonance))?;
        let base = run(Preset::Fp32Softmax, &inputs, &reference)?;
        let naive = run(Preset::NaiveFp16, &inputs, &reference)?;
        let pasa = run(OURS, &inputs, &reference)?;
        let authors = run(AUTHORS, &inputs, &reference)?;
        table.row(vec![
            label.to_owned(),
            fmt_num(base.max_abs_score),
            rmse_text(&naive),
            rmse_text(&authors),
            rmse_text(&pasa),
        ]);
        match resonance {
            Resonance::Opposite => {
                naive_opposite = naive.non_finite_percent();
                pasa_opposite = pasa.error.rmse;
            }
            Resonance::Orthogonal => orthogonal_score = base.max_abs_score,
            Resonance::Aligned => {}
        }
    }
    rec.table(table);
    rec.claim(
        Claim::new(
            "pasa.resonance.opposite-overflows",
            "Q and K 180° out of phase in the head dimension overflow naive FP16 attention",
            Source::paper(PAPER),
        )
        .measured(naive_opposite, "% inf/NaN")
        .threshold(Threshold::above(0.0))
        .note("share of non-finite FA-FP16 outputs, bias 100, amp 4, opposite mean directions"),
    );
    rec.claim(
        Claim::new(
            "pasa.resonance.pasa",
            "Our key-means variant handles the 180° resonance with bounded error",
            Source::reconstruction(TESTS),
        )
        .measured(pasa_opposite, "")
        .threshold(Threshold::below(rec.mode().pick(3.4e-2, 4.5e-2)))
        .note(format!(
            "RMSE of {} vs f64, bias 100, amp 4, opposite mean directions, seq {}. Threshold: quick 2 x 1.7e-2 (tests/overflow.rs, seq 512); full 2 x 2.2e-2 (this claim's full-mode measurement at seq 1024)",
            OURS.name(),
            seq(rec)
        )),
    );
    rec.claim(
        Claim::new(
            "pasa.resonance.orthogonal-safe",
            "Without resonance the same bias does not push scores past FP16's range",
            Source::reconstruction(
                "resonance reading of docs/pasa.md: |q·k| ~ |q||k| only when phases agree",
            ),
        )
        .measured(orthogonal_score, "")
        .threshold(Threshold::below(F16_MAX))
        .note("largest |score| (FP32 baseline) with orthogonal mean directions, bias 100, amp 4"),
    );
    Ok(())
}

fn rmse_text(o: &Outcome) -> String {
    if o.overflowed() {
        format!(
            "{} of {} outputs inf/NaN",
            o.error.non_finite, o.error.total
        )
    } else {
        fmt_num(o.error.rmse)
    }
}

/// One cell of the bias x amplitude grid.
#[derive(Debug, Clone, Serialize)]
struct GridCell {
    bias: f64,
    amp: f64,
    max_abs_score: f64,
    /// (preset name, outcome) for each compared variant.
    outcomes: Vec<(&'static str, Outcome)>,
}

fn grid(rec: &mut Recorder) -> anyhow::Result<()> {
    let biases: Vec<f64> = rec.mode().pick(
        vec![0.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0],
        vec![
            0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 35.0, 50.0, 75.0, 100.0, 150.0, 200.0,
        ],
    );
    let amps: Vec<f64> = rec.mode().pick(
        vec![0.5, 1.0, 2.0, 4.0, 8.0],
        vec![0.25, 0.5, 1.0, 2.0, 4.0, 8.0],
    );
    let bar = rec.bar((biases.len() * amps.len()) as u64, "pasa grid");
    let mut cells = Vec::new();
    for &bias in &biases {
        for &amp in &amps {
            let (inputs, reference) = prepare(&case(rec, bias, amp, Resonance::Aligned))?;
            let mut outcomes = Vec::new();
            for (preset, _) in COMPARED {
                outcomes.push((preset.name(), run(preset, &inputs, &reference)?));
            }
            cells.push(GridCell {
                bias,
                amp,
                max_abs_score: outcomes[0].1.max_abs_score,
                outcomes,
            });
            bar.inc(1);
        }
    }
    bar.finish_and_clear();

    let pasa_overflows = cells
        .iter()
        .filter(|c| c.outcomes[2].1.overflowed())
        .count();
    let naive_overflows = cells
        .iter()
        .filter(|c| c.outcomes[1].1.overflowed())
        .count();
    let ours_overflows = cells
        .iter()
        .filter(|c| c.outcomes[3].1.overflowed())
        .count();
    rec.claim(
        Claim::new(
            "pasa.grid.pasa-never-overflows",
            format!("Not reproduced: the authors' PASA (`pasa`) has inf/NaN outputs on {pasa_overflows} cells of the random bias x amplitude grid; the paper says PASA never overflows"),
            Source::paper(PAPER),
        )
        .measured(pasa_overflows as f64, "cells")
        .threshold(rec.mode().pick(Threshold::within(2.0, 0.0), Threshold::at_least(1.0)))
        .not_reproduced(
            "0 cells: PASA resolves the overflow",
            "the authors' all-FP16 algorithm itself gives NaN rows at bias 100 and 200 with amp 8 (|S| ~ 1e5-5e5): pasa-core's transcription reproduces the NaN rows of the authors' own PyTorch code (docs/pasa.md); the FP16 vector statistics are the cause (the running pseudo-average times gamma = 15 in FP16), as our key-means variant, whose shift never grows with the bias, is finite on every cell",
        )
        .note(format!(
            "{} cells, seq {}; naive FP16 overflowed in {naive_overflows}. Pinned: 2 cells in quick mode (bias 100 and 200, amp 8); full mode pins at least 1 (its count was not measured when this pin was set)",
            cells.len(),
            seq(rec)
        )),
    );
    rec.claim(
        Claim::new(
            "pasa.grid.key-means-never-overflows",
            "Our key-means variant (`pasa-key-means`) never overflows on the same grid",
            Source::project("issue 14: every variant keeps its own name; ours is checked as ours"),
        )
        .measured(ours_overflows as f64, "cells")
        .threshold(Threshold::at_most(0.0))
        .note(format!("{} cells, seq {}", cells.len(), seq(rec))),
    );

    let amp_for_bias = 4.0;
    let bias_for_amp = 50.0;
    let mut by_bias = LinePlot::new(
        format!("RMSE vs bias (amp {amp_for_bias}, seq {})", seq(rec)),
        "bias of Q and K along the sequence",
        "RMSE vs f64 reference",
        Scale::Linear,
        Scale::Log,
    );
    let mut by_amp = LinePlot::new(
        format!("RMSE vs amplitude (bias {bias_for_amp}, seq {})", seq(rec)),
        "amplitude (std of Q, K noise)",
        "RMSE vs f64 reference",
        Scale::Log,
        Scale::Log,
    );
    for (k, (_, label)) in COMPARED.iter().enumerate() {
        let points = |keep: &dyn Fn(&GridCell) -> bool, x: &dyn Fn(&GridCell) -> f64| {
            cells
                .iter()
                .filter(|c| keep(c))
                .map(|c| (x(c), rmse_or_nan(&c.outcomes[k].1)))
                .collect()
        };
        let same = |a: f64, b: f64| (a - b).abs() < 1e-9;
        by_bias = by_bias.with(Series::line(
            *label,
            points(&|c| same(c.amp, amp_for_bias), &|c| c.bias),
        ));
        by_amp = by_amp.with(Series::line(
            *label,
            points(&|c| same(c.bias, bias_for_amp), &|c| c.amp),
        ));
    }
    rec.figure(
        "rmse-vs-bias",
        "RMSE against the f64 reference as the bias grows. A missing point (\"not drawn\" in the legend) is an overflow: the output had inf/NaN. At the largest biases the scores of one key exceed the others by thousands, softmax is one-hot and every finite variant returns a row of V exactly, hence the drop of the RMSE to f64 rounding.",
        by_bias.svg()?,
    );
    rec.figure(
        "rmse-vs-amplitude",
        "RMSE against the f64 reference as the noise amplitude grows, at a fixed bias.",
        by_amp.svg()?,
    );
    rec.figure("overflow-map", "Which variants produced inf/NaN on each (bias, amplitude) input. The FP32-softmax baseline never did.", overflow_map(&cells, &biases, &amps)?.svg()?);

    let mut table = Table::new(
        format!(
            "RMSE on the bias x amplitude grid (seq {}, seed 11); inf = some outputs inf/NaN",
            seq(rec)
        ),
        &[
            "bias",
            "amp",
            "max |S|",
            "FA FP32 softmax",
            "FA FP16",
            "pasa FP16",
            "pasa-key-means FP16",
        ],
    );
    for c in &cells {
        let mut row = vec![fmt_num(c.bias), fmt_num(c.amp), fmt_num(c.max_abs_score)];
        row.extend(c.outcomes.iter().map(|(_, o)| {
            if o.overflowed() {
                "inf".to_owned()
            } else {
                fmt_num(o.error.rmse)
            }
        }));
        table.row(row);
    }
    rec.table(table);
    rec.data("grid", &cells)?;
    Ok(())
}

fn rmse_or_nan(o: &Outcome) -> f64 {
    if o.overflowed() {
        f64::NAN
    } else {
        o.error.rmse
    }
}

fn overflow_map(cells: &[GridCell], biases: &[f64], amps: &[f64]) -> anyhow::Result<CategoryMap> {
    let categories = vec![
        ("no overflow".to_owned(), (225, 225, 225)),
        ("FA FP16 overflows".to_owned(), (230, 159, 0)),
        ("pasa (authors') overflows".to_owned(), (86, 180, 233)),
        ("FA FP16 and pasa overflow".to_owned(), (180, 30, 30)),
        ("FP32 baseline overflows too".to_owned(), (0, 0, 0)),
    ];
    let cells = cells
        .iter()
        .map(|c| {
            let [base, naive, pasa] = [0, 1, 2].map(|k| c.outcomes[k].1.overflowed());
            let category = match (base, naive, pasa) {
                (true, _, _) => 4,
                (false, true, true) => 3,
                (false, false, true) => 2,
                (false, true, false) => 1,
                (false, false, false) => 0,
            };
            Ok((
                grid_index(amps, c.amp)?,
                grid_index(biases, c.bias)?,
                category,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(CategoryMap {
        title: "Overflow map: which FP16 variant produced inf/NaN".to_owned(),
        x_label: "amplitude (std of Q, K noise)".to_owned(),
        y_label: "bias of Q and K".to_owned(),
        x_ticks: grid_ticks(amps),
        y_ticks: grid_ticks(biases),
        categories,
        cells,
    })
}

/// The column or row of the grid value `v` on a map's axis `values` (grid values are
/// short decimals, matched to 1e-9); an error for a value off the axis, which must not be
/// drawn in some other cell.
fn grid_index(values: &[f64], v: f64) -> anyhow::Result<usize> {
    values
        .iter()
        .position(|x| (x - v).abs() < 1e-9)
        .with_context(|| format!("{v} is not on the map's axis {values:?}"))
}

/// The tick labels of a map's axis of grid values.
fn grid_ticks(values: &[f64]) -> Vec<String> {
    values.iter().map(|v| fmt_num(*v)).collect()
}
