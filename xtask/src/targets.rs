//! `cargo xtask bench`'s first section: the project's speed and memory targets, each with
//! the number this run measured for it, whether it is met, and, where it is not, the
//! distance and why it stops there.
//!
//! Why a section of its own: the targets (FS-1 within 2x of a streaming pass, the log
//! domain within 10x, 3000x POT's dense iteration, 48 bytes per point, 0.3 s of set-up,
//! exact 2D W1 in seconds, the FP16 emulation at 0.8x the f32 kernel) are spread over
//! criterion groups, bench JSON files and the Python step; a reader should not have to
//! divide two rows of a long table to learn whether one is met. Every number here is taken
//! from this run's own measurements (the same ones the later sections show in full), so a
//! target and its baseline are always from the same run. A missed target says why in terms
//! this run measured where it can (the in-cache ratio of the standard domain, the share of
//! `exp`/`ln` in the log domain); a target whose data this run did not produce says which
//! bench or mode would.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::bench::{Measurement, fmt_time};
use crate::claim::fmt_num;
use crate::report::table_markdown;
use crate::suite::Table;

/// The criterion group that times FS-1 per iteration beside a streaming pass
/// (`crates/sinkhorn/benches/iteration.rs`).
const PER_ITERATION: &str = "fs1_per_iteration";

/// What this run produced that the targets read; each JSON is `Err(why not)` when the run
/// did not write it.
pub struct Inputs<'a> {
    /// Criterion's measurements of this run.
    pub criterion: &'a [Measurement],
    /// `sinkhorn_memory.json` (`crates/sinkhorn/benches/memory.rs`).
    pub memory: &'a Result<Value, String>,
    /// `exact_grid.json` (`crates/sinkhorn/benches/exact_grid.rs`).
    pub exact_grid: &'a Result<Value, String>,
    /// `peers.json` (the `benches` package's POT/SciPy comparison).
    pub peers: &'a Result<Value, String>,
    /// The Python step's JSON (`benches/python/bench_python.py`).
    pub python: &'a Result<Value, String>,
    /// `fp16-emulation.json` (`crates/pasa-core/benches/kernels.rs`).
    pub fp16: &'a Result<Value, String>,
}

/// Whether a target is met.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Measured and within the goal.
    Met,
    /// Measured and outside it.
    Missed,
    /// This run did not measure it; the text says what would.
    NotMeasured(String),
}

/// One target as this run found it.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    /// What is measured, e.g. "FS-1 standard per iteration / streaming pass, N = 1e7".
    pub what: String,
    /// The goal as text, e.g. "<= 2x".
    pub goal: String,
    /// The measured value in the goal's unit.
    pub measured: Option<f64>,
    /// The unit of `measured` as the report writes it after the number ("x", " s", " B/pt").
    pub unit: &'static str,
    /// Met, missed or not measured.
    pub status: Status,
    /// How far from the goal, in the goal's unit, when missed.
    pub distance: Option<f64>,
    /// Why it stops there (missed targets; empty otherwise), or where the number comes from.
    pub why: String,
}

/// Direction of a goal.
#[derive(Clone, Copy)]
enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn text(self, unit: &str) -> String {
        match self {
            Self::AtMost(x) => format!("<= {}{unit}", fmt_num(x)),
            Self::AtLeast(x) => format!(">= {}{unit}", fmt_num(x)),
        }
    }
}

/// Builds a target from a measurement (or why there is none) and the reason to give when
/// it is missed.
fn target(
    what: String,
    goal: Goal,
    unit: &'static str,
    measured: Result<f64, String>,
    why_missed: impl FnOnce(f64) -> String,
) -> Target {
    let mut t = Target {
        what,
        goal: goal.text(unit),
        measured: None,
        unit,
        status: Status::Met,
        distance: None,
        why: String::new(),
    };
    match measured {
        Err(why) => t.status = Status::NotMeasured(why),
        Ok(x) => {
            t.measured = Some(x);
            let distance = match goal {
                Goal::AtMost(limit) => x - limit,
                Goal::AtLeast(limit) => limit - x,
            };
            if distance > 0.0 || x.is_nan() {
                t.status = Status::Missed;
                t.distance = Some(distance);
                t.why = if x.is_nan() {
                    "the measurement is not a number: a failed or empty bench row".to_owned()
                } else {
                    why_missed(x)
                };
            }
        }
    }
    t
}

/// Criterion's mean of `function` at size `n` in the per-iteration group, in seconds.
fn per_iteration(ms: &[Measurement], function: &str, n: usize) -> Option<f64> {
    let value = n.to_string();
    ms.iter()
        .find(|m| m.group == PER_ITERATION && m.function == function && m.value == value)
        .map(|m| m.mean_ns * 1e-9)
}

/// `function` over the streaming pass at size `n`, both from this run.
fn over_stream(ms: &[Measurement], function: &str, n: usize) -> Result<f64, String> {
    match (
        per_iteration(ms, function, n),
        per_iteration(ms, "stream", n),
    ) {
        (Some(ours), Some(stream)) => Ok(ours / stream),
        _ => Err(format!(
            "criterion group `{PER_ITERATION}` has no `{function}` and `stream` at {n} in this \
             run (`cargo bench -p sinkhorn --bench iteration -- {PER_ITERATION}`)"
        )),
    }
}

/// The row of the memory bench for `case` at `n`: `key`'s value.
fn memory_row(
    memory: &Result<Value, String>,
    case: &str,
    n: usize,
    key: &str,
) -> Result<f64, String> {
    let rows = memory.as_ref().map_err(Clone::clone)?;
    rows.as_array()
        .into_iter()
        .flatten()
        .find(|r| r["case"] == case && r["n"].as_u64() == Some(n as u64))
        .and_then(|r| r[key].as_f64())
        .ok_or_else(|| format!("the memory bench wrote no `{key}` for {case} at N = {n}"))
}

/// FS-1 against POT's dense iteration at N = 1e4: the `benches` package's one-core
/// differenced timing when this run has it (its POT row at 1e4: POT could be imported),
/// else the Python step's whole solves divided by their iteration counts.
fn pot_ratio(
    peers: &Result<Value, String>,
    python: &Result<Value, String>,
) -> Result<(f64, String), String> {
    let from_peers = peers.as_ref().ok().and_then(|v| {
        v["rows"].as_array()?.iter().find_map(|r| {
            let sinkhorn = r["comparison"]
                .as_str()
                .is_some_and(|c| c.starts_with("Sinkhorn iteration"));
            (sinkhorn && r["n"].as_u64() == Some(10_000))
                .then(|| r["speedup"].as_f64())
                .flatten()
        })
    });
    if let Some(x) = from_peers {
        return Ok((
            x,
            "the `benches` package: both per iteration by differenced loops, one core each"
                .to_owned(),
        ));
    }
    let from_python = python.as_ref().ok().and_then(|v| {
        v["rows"].as_array()?.iter().find_map(|r| {
            (r["case"] == "sinkhorn" && r["n"].as_u64() == Some(10_000))
                .then(|| r["per_iteration_ratio"].as_f64())
                .flatten()
        })
    });
    from_python
        .map(|x| {
            (
                x,
                "the Python step: each library's whole solve (set-up included) over its own \
                 iteration count, called from Python (the `benches` package's one-core \
                 row at 1e4 has no POT time in this run: see its section)"
                    .to_owned(),
            )
        })
        .ok_or_else(|| {
            "neither the `benches` package nor the Python step timed POT at N = 1e4 in this \
             run (POT not importable, or those steps not run: see their sections)"
                .to_owned()
        })
}

/// Every target, evaluated on this run's numbers.
#[must_use]
pub fn evaluate(inputs: &Inputs<'_>) -> Vec<Target> {
    let ms = inputs.criterion;
    let mut out = Vec::new();
    let in_cache = over_stream(ms, "fs1_standard", 100_000).ok();
    for n in [1_000_000usize, 10_000_000] {
        let size = if n == 1_000_000 { "1e6" } else { "1e7" };
        // One FS-1 domain per iteration against the stream at this size.
        let domain = |label: &str, function: &str, limit: f64, why: &dyn Fn(f64) -> String| {
            target(
                format!("FS-1 {label} domain per iteration / streaming pass, N = {size}"),
                Goal::AtMost(limit),
                "x",
                over_stream(ms, function, n),
                why,
            )
        };
        out.push(domain("standard", "fs1_standard", 2.0, &|_| {
            let cached = in_cache.map_or_else(String::new, |r| {
                format!(
                    " (at N = 1e5, where the arrays stay in cache, {}x in this run)",
                    fmt_num(r)
                )
            });
            format!(
                "arithmetic, not memory: a half-step moves the bytes of one streaming pass, \
                 but its lane sweeps, transposes and division take longer than that \
                 pass{cached}; docs/sinkhorn.md, one-pass loop"
            )
        }));
        out.push(domain("stabilised", "fs1_stabilized", 2.0, &|_| {
            "the absorbed kernel changes with the potentials, so a half-step applies a \
             general CoLT pair with its diagonal and both ratio arrays stored, twice, and \
             divides: several array transfers for each of the stream's; no one-pass form \
             exists for it (docs/sinkhorn.md)"
                .to_owned()
        }));
        let floor = over_stream(ms, "log_floor", n).ok();
        out.push(domain("log", "fs1_log", 10.0, &|ratio| match floor {
            Some(f) => format!(
                "the one `exp` and one `ln` per element and half-step alone (row `log_floor`) \
                 are {}x the stream in this run; the other {}x is the blocked sweeps' serial \
                 recurrences and per-block rescaling",
                fmt_num(f),
                fmt_num(ratio - f)
            ),
            None => "this run has no `log_floor` row to split the exp/ln work from the sweeps"
                .to_owned(),
        }));
    }
    let pot = pot_ratio(inputs.peers, inputs.python);
    let pot_source = pot.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
    let mut row = target(
        "FS-1 speed-up over POT's dense `ot.sinkhorn` per iteration, N = 1e4".to_owned(),
        Goal::AtLeast(3000.0),
        "x",
        pot.map(|(x, _)| x),
        |_| {
            "POT's dense iteration is an N x N product whose time depends on this machine's \
             memory bandwidth and load; compare with the rows at 1e3 and 4e3"
                .to_owned()
        },
    );
    if row.status == Status::Met {
        row.why = pot_source;
    }
    out.push(row);
    for (case, label, why_memory) in [
        (
            "fs1_standard",
            "standard",
            "the standard loop holds the masses, the two scalings and their block sums; \
             more than that is a regression (docs/sinkhorn.md measures 32.3)",
        ),
        (
            "fs1_stabilized",
            "stabilised",
            "the stabilised loop holds the absorbed kernel (three arrays) and its log form \
             beside the standard loop's arrays; 48 bytes per point would need the \
             absorption at block, not point, granularity (docs/sinkhorn.md)",
        ),
    ] {
        out.push(target(
            format!("FS-1 {label} domain peak memory, inputs included, N = 1e7"),
            Goal::AtMost(48.0),
            " B/pt",
            memory_row(inputs.memory, case, 10_000_000, "bytes_per_point"),
            |_| why_memory.to_owned(),
        ));
        out.push(target(
            format!("FS-1 {label} domain set-up before the first iteration, N = 1e7"),
            Goal::AtMost(0.3),
            " s",
            memory_row(inputs.memory, case, 10_000_000, "setup_seconds"),
            |_| {
                "allocation and first touch (page faults) of the scalings and starting \
                 potentials, the first block sums, and for the stabilised domain the absorbed \
                 kernel and its log form"
                    .to_owned()
            },
        ));
    }
    for (side, limit) in [(256usize, 10.0), (512, 60.0)] {
        let seconds = inputs
            .exact_grid
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|v| {
                v["targets"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|t| t["side"].as_u64() == Some(side as u64))
                    .and_then(|t| t["seconds"].as_f64())
                    .ok_or_else(|| format!("the exact-grid bench wrote no {side}^2 solve"))
            });
        out.push(target(
            format!("exact W1 on a {side} x {side} grid (first, checked solve)"),
            Goal::AtMost(limit),
            " s",
            seconds,
            |_| "one solve on a shared machine; the criterion rows show the spread".to_owned(),
        ));
    }
    let fp16 = inputs.fp16.as_ref().map_err(Clone::clone).and_then(|v| {
        v["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["fp16_emulation"].as_bool() == Some(true))
            .filter_map(|r| r["ratio"].as_f64())
            .reduce(f64::min)
            .ok_or_else(|| "the FP16 bench wrote no emulated preset".to_owned())
    });
    out.push(target(
        "slowest FP16-emulated preset / f32 Flash Attention speed, seq 4096, d 128".to_owned(),
        Goal::AtLeast(0.8),
        "x",
        fp16,
        |_| "per preset, with its rounds and reason, in the FP16 section below".to_owned(),
    ));
    out
}

/// The section, as Markdown.
pub fn markdown(md: &mut String, targets: &[Target]) {
    let _ = writeln!(md, "\n## Targets\n");
    let _ = writeln!(
        md,
        "Each of the project's speed and memory targets with the number this run measured \
         (ratios from one run: ours and the baseline timed side by side). A missed target \
         gives its distance and why it stops there; one this run did not measure says what \
         would.\n"
    );
    let mut table = Table::new(
        "Targets (this run)",
        &["target", "goal", "measured", "status", "why / source"],
    );
    for t in targets {
        let measured = t.measured.map_or_else(
            || "not measured".to_owned(),
            |x| {
                if t.unit == " s" {
                    fmt_time(x * 1e9)
                } else {
                    format!("{}{}", fmt_num(x), t.unit)
                }
            },
        );
        let (status, why) = match &t.status {
            Status::Met => ("met".to_owned(), t.why.clone()),
            Status::Missed => (
                format!(
                    "**MISSED** by {}{}",
                    fmt_num(t.distance.unwrap_or(f64::NAN)),
                    t.unit
                ),
                t.why.clone(),
            ),
            Status::NotMeasured(why) => ("not measured".to_owned(), why.clone()),
        };
        table.row(vec![t.what.clone(), t.goal.clone(), measured, status, why]);
    }
    table_markdown(md, &table);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(function: &str, n: usize, seconds: f64) -> Measurement {
        Measurement {
            group: PER_ITERATION.to_owned(),
            function: function.to_owned(),
            value: n.to_string(),
            mean_ns: seconds * 1e9,
            ci_half_ns: 0.0,
            throughput: None,
            speedups: Vec::new(),
        }
    }

    fn find<'a>(ts: &'a [Target], what: &str) -> &'a Target {
        ts.iter().find(|t| t.what.contains(what)).expect(what)
    }

    #[test]
    fn ratios_come_from_the_same_run_and_missed_ones_say_how_far_and_why() {
        let ms = vec![
            m("stream", 100_000, 1e-5),
            m("fs1_standard", 100_000, 7e-5),
            m("stream", 10_000_000, 0.01),
            m("fs1_standard", 10_000_000, 0.045),
            m("fs1_log", 10_000_000, 0.42),
            m("log_floor", 10_000_000, 0.13),
            m("fs1_stabilized", 10_000_000, 0.015),
        ];
        let memory = Ok(serde_json::json!([
            {"case": "fs1_standard", "n": 10_000_000, "bytes_per_point": 40.3, "setup_seconds": 0.24},
        ]));
        let missing = Err("not in this run".to_owned());
        let fp16 = Ok(serde_json::json!({"rows": [
            {"preset": "pasa", "ratio": 0.9, "fp16_emulation": true},
            {"preset": "fp16", "ratio": 0.7, "fp16_emulation": true},
            {"preset": "pasa-f64", "ratio": 0.1, "fp16_emulation": false},
        ]}));
        let ts = evaluate(&Inputs {
            criterion: &ms,
            memory: &memory,
            exact_grid: &missing,
            peers: &missing,
            python: &missing,
            fp16: &fp16,
        });
        let standard = find(
            &ts,
            "standard domain per iteration / streaming pass, N = 1e7",
        );
        assert_eq!(standard.status, Status::Missed);
        assert!((standard.measured.unwrap() - 4.5).abs() < 1e-12);
        assert!((standard.distance.unwrap() - 2.5).abs() < 1e-12);
        assert!(standard.why.contains("7x in this run"), "{}", standard.why);
        let stabilised = find(
            &ts,
            "stabilised domain per iteration / streaming pass, N = 1e7",
        );
        assert_eq!(stabilised.status, Status::Met);
        let log = find(&ts, "log domain per iteration / streaming pass, N = 1e7");
        assert_eq!(log.status, Status::Missed);
        assert!(
            log.why.contains("13x the stream") && log.why.contains("other 29x"),
            "{}",
            log.why
        );
        let at_1e6 = find(
            &ts,
            "standard domain per iteration / streaming pass, N = 1e6",
        );
        assert!(matches!(&at_1e6.status, Status::NotMeasured(w) if w.contains("1000000")));
        assert_eq!(find(&ts, "standard domain peak memory").status, Status::Met);
        assert_eq!(find(&ts, "standard domain set-up").status, Status::Met);
        assert!(matches!(
            find(&ts, "stabilised domain peak memory").status,
            Status::NotMeasured(_)
        ));
        assert!(matches!(
            find(&ts, "256 x 256").status,
            Status::NotMeasured(_)
        ));
        assert!(matches!(find(&ts, "POT").status, Status::NotMeasured(_)));
        // The FP16 target is the slowest emulated preset; f64 presets do not count.
        let fp16 = find(&ts, "FP16");
        assert_eq!(fp16.status, Status::Missed);
        assert!((fp16.measured.unwrap() - 0.7).abs() < 1e-12);
        let mut md = String::new();
        markdown(&mut md, &ts);
        assert!(md.contains("**MISSED** by 2.5x"), "{md}");
        assert!(md.contains("not measured"));
    }

    #[test]
    fn the_pot_target_prefers_the_one_core_bench_and_falls_back_to_python() {
        let peers = Ok(serde_json::json!({"rows": [
            {"comparison": "Sinkhorn iteration, 1D, eps 0.05", "n": 10_000, "speedup": 3500.0},
        ]}));
        let python = Ok(serde_json::json!({"rows": [
            {"case": "sinkhorn", "n": 10_000, "per_iteration_ratio": 2500.0},
        ]}));
        let missing = Err("no".to_owned());
        let run = |peers: &Result<Value, String>| {
            let ts = evaluate(&Inputs {
                criterion: &[],
                memory: &missing,
                exact_grid: &missing,
                peers,
                python: &python,
                fp16: &missing,
            });
            find(&ts, "POT").clone()
        };
        let one_core = run(&peers);
        assert_eq!(one_core.status, Status::Met);
        assert!(one_core.why.contains("one core each"));
        let fallback = run(&missing);
        assert_eq!(fallback.status, Status::Missed);
        assert!((fallback.distance.unwrap() - 500.0).abs() < 1e-9);
    }
}
