//! `cargo xtask bench`'s FP16 emulation section: how fast `pasa-core`'s emulated kernels
//! are against a plain f32 Flash Attention.
//!
//! `pasa-core`'s `kernels` bench times every preset and the f32 kernel in interleaved
//! rounds of one run (seq 4096, head_dim 128) and writes `fp16-emulation.json`; this section
//! shows each preset's fastest round against the f32 kernel's, their ratio, the spread of
//! the per-round ratios and the load average around the rounds. Every FP16 preset below the
//! target the bench holds it to is flagged with the distance and why: the structural cost
//! the bench names, or else what the rounds say (one round at the target: the load; every
//! round below it: the emulation's own overhead).

use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use serde_json::Value;

use crate::claim::fmt_num;
use crate::report::table_markdown;
use crate::suite::Table;

/// The file the bench writes into the bench output folder.
pub const FILE: &str = "fp16-emulation.json";

/// The section's data: the bench's JSON, or why it was not measured.
pub type Fp16Bench = Result<Value, String>;

/// Reads the table `pasa-core`'s bench wrote in this run (`since`), or says why there is
/// none.
pub fn read(out: &Path, since: SystemTime, crates: &[String]) -> Fp16Bench {
    if !crates.iter().any(|c| c == "pasa-core") {
        return Err("`pasa-core`, whose `kernels` bench writes it, was not run (-p)".to_owned());
    }
    crate::bench::read_fresh(&out.join(FILE), since)
}

/// Why a row is below the target: the bench's structural cost, or what its rounds say.
fn why(row: &Value, target: f64) -> String {
    if let Some(cost) = row["structural_cost"].as_str() {
        return cost.to_owned();
    }
    let best = row["round_ratios"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .fold(0.0, f64::max);
    if best >= target {
        format!(
            "load: its best round reached {}x, so the fastest-round ratio is not a steady \
             shortfall; rerun on a quieter machine",
            fmt_num(best)
        )
    } else {
        format!(
            "the emulation's own overhead: no round reached the target (best {}x)",
            fmt_num(best)
        )
    }
}

/// The section, as Markdown.
pub fn markdown(md: &mut String, bench: &Fp16Bench) {
    let _ = writeln!(
        md,
        "\n## FP16 emulation against the f32 kernel (`pasa-core`)\n"
    );
    let v = match bench {
        Ok(v) => v,
        Err(reason) => {
            let _ = writeln!(md, "**Not measured**: {reason}.");
            return;
        }
    };
    let target = v["target"].as_f64().unwrap_or(f64::NAN);
    let load = |k: &str| v[k].as_f64().map_or_else(|| "unknown".to_owned(), fmt_num);
    let _ = writeln!(
        md,
        "`cargo bench -p pasa-core --bench kernels`: seq {}, head_dim {}, one head, {} rayon \
         threads; each kernel and the plain f32 Flash Attention (`baseline::flash_attention_f32`) \
         timed once per round over {} interleaved rounds of this run, fastest round kept; load \
         average {} before the rounds, {} after. *Speed* is the f32 kernel's fastest round over \
         the preset's (> 1: faster); *per-round* is the same ratio within each round. The FP16 \
         presets are held to {}x.\n",
        v["seq"],
        v["head_dim"],
        v["threads"],
        v["rounds"],
        load("load_average_before"),
        load("load_average_after"),
        fmt_num(target),
    );
    let mut table = Table::new(
        "Emulated kernels against the f32 kernel (same run)",
        &[
            "preset",
            "ours, s",
            "f32 kernel, s",
            "speed vs f32",
            "per-round",
            "target",
        ],
    );
    let f32_seconds = v["f32_seconds"].as_f64().unwrap_or(f64::NAN);
    let mut flagged = Vec::new();
    for r in v["rows"].as_array().into_iter().flatten() {
        let name = r["preset"].as_str().unwrap_or("?");
        let ratio = r["ratio"].as_f64().unwrap_or(f64::NAN);
        let rounds: Vec<f64> = r["round_ratios"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .collect();
        let (lo, hi) = rounds
            .iter()
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &x| {
                (lo.min(x), hi.max(x))
            });
        let verdict = if r["fp16_emulation"].as_bool() != Some(true) {
            "none (f64 stages)".to_owned()
        } else if r["below_target"].as_bool() == Some(true) {
            flagged.push(format!(
                "`{name}` at {}x, {} below {}x: {}",
                fmt_num(ratio),
                fmt_num(target - ratio),
                fmt_num(target),
                why(r, target)
            ));
            format!("**BELOW** by {}", fmt_num(target - ratio))
        } else {
            "met".to_owned()
        };
        table.row(vec![
            name.to_owned(),
            r["seconds"]
                .as_f64()
                .map_or_else(|| "n/a".to_owned(), fmt_num),
            fmt_num(f32_seconds),
            format!("{}x", fmt_num(ratio)),
            format!("{}-{}", fmt_num(lo), fmt_num(hi)),
            verdict,
        ]);
    }
    table_markdown(md, &table);
    if flagged.is_empty() {
        let _ = writeln!(md, "\nEvery FP16 preset met {}x.", fmt_num(target));
    } else {
        let _ = writeln!(md, "\nBelow the target:\n");
        for f in flagged {
            let _ = writeln!(md, "- {f}");
        }
    }
    for r in v["rows"].as_array().into_iter().flatten() {
        if r["fp16_emulation"].as_bool() != Some(true) {
            if let Some(cost) = r["structural_cost"].as_str() {
                let _ = writeln!(
                    md,
                    "\n`{}` (no target): {cost}.",
                    r["preset"].as_str().unwrap_or("?")
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bench() -> Value {
        json!({
            "seq": 4096, "head_dim": 128, "threads": 2, "rounds": 3, "target": 0.8,
            "f32_seconds": 1.0, "load_average_before": 2.0, "load_average_after": null,
            "rows": [
                { "preset": "fp16", "seconds": 1.0, "ratio": 1.0,
                  "round_ratios": [0.9, 1.0, 1.1], "fp16_emulation": true,
                  "below_target": false, "structural_cost": null },
                { "preset": "pasa", "seconds": 1.4, "ratio": 0.7,
                  "round_ratios": [0.6, 0.7, 0.85], "fp16_emulation": true,
                  "below_target": true, "structural_cost": null },
                { "preset": "pasa-absolute", "seconds": 1.6, "ratio": 0.6,
                  "round_ratios": [0.5, 0.6, 0.7], "fp16_emulation": true,
                  "below_target": true, "structural_cost": null },
                { "preset": "fa-f64", "seconds": 2.0, "ratio": 0.5,
                  "round_ratios": [0.5], "fp16_emulation": false,
                  "below_target": false, "structural_cost": "f64 stages" },
            ]
        })
    }

    #[test]
    fn presets_below_the_target_are_flagged_with_distance_and_reason() {
        let mut md = String::new();
        markdown(&mut md, &Ok(bench()));
        assert!(md.contains("| fp16 | 1 | 1 | 1x | 0.9-1.1 | met |"), "{md}");
        assert!(md.contains("`pasa` at 0.7x, 0.1 below 0.8x: load"), "{md}");
        assert!(
            md.contains("`pasa-absolute` at 0.6x, 0.2 below 0.8x: the emulation's own overhead"),
            "{md}"
        );
        assert!(
            md.contains("| fa-f64 |") && md.contains("none (f64 stages)"),
            "{md}"
        );
        assert!(md.contains("`fa-f64` (no target): f64 stages."), "{md}");
        assert!(
            md.contains("load average 2 before the rounds, unknown after"),
            "{md}"
        );
    }

    #[test]
    fn a_missing_table_says_why() {
        let mut md = String::new();
        markdown(&mut md, &Err("not run".to_owned()));
        assert!(md.contains("**Not measured**: not run."));
        let none = read(Path::new("target"), SystemTime::now(), &[]);
        assert!(none.unwrap_err().contains("was not run"));
    }
}
