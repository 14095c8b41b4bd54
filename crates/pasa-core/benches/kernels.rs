//! Throughput of the emulated kernels at seq 4096, head_dim 128 (one head), against a plain
//! f32 Flash Attention ([`flash_attention_f32`]) timed in the same run. Each timed result
//! is checked against the f64 reference before timing (a bench that checks its answers).
//!
//! The ratio table times every preset and the f32 kernel once per round, in turn, over
//! [`ROUNDS`] rounds, and keeps each kernel's fastest round, so a burst of load on a shared
//! machine hits all kernels alike. The FP16 emulation (every preset without an f64 stage)
//! is held to [`TARGET`] times the f32 kernel's speed; a preset below it is flagged with the
//! distance, the spread of its per-round ratios and, where the cost is structural, why
//! ([`structural_cost`]). The table is printed and written to `fp16-emulation.json` in
//! `$BENCH_OUT` (default `target/bench`), which `cargo xtask bench` shows. Criterion groups
//! of the f32 kernel and [`CRITERION_PRESETS`] follow (criterion means of sequential runs:
//! noisier than the interleaved minima on a shared machine).

use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use pasa_core::baseline::flash_attention_f32;
use pasa_core::generate::RandomCase;
use pasa_core::{
    AttentionInputs, AttentionParams, ErrorReport, Preset, attention, reference_attention,
};
use serde_json::{Value, json};

/// (seq, head_dim) of the problem timed.
const SEQ: usize = 4096;
const HEAD_DIM: usize = 128;
/// Rounds of the ratio table (fewer with `BENCH_QUICK`, `cargo xtask bench --quick`).
const ROUNDS: usize = 5;
const QUICK_ROUNDS: usize = 2;
/// The speed the FP16 emulation is held to, as a fraction of the f32 kernel's.
const TARGET: f64 = 0.8;
/// Presets also timed by criterion (the ones earlier reports compared).
const CRITERION_PRESETS: [Preset; 5] = [
    Preset::Fp32Softmax,
    Preset::NaiveFp16,
    Preset::Pasa,
    Preset::PasaAbsolute,
    Preset::PasaKeyMeans,
];

/// Whether the preset is FP16 emulation (no f64 stage), which [`TARGET`] applies to.
fn is_fp16_emulation(preset: Preset) -> bool {
    !preset.kernel().precision.needs_f64()
}

/// Work a preset does that the f32 kernel has no counterpart for, for the presets whose
/// cost is structural rather than overhead of the emulation (`None` for the others).
fn structural_cost(preset: Preset) -> Option<&'static str> {
    match preset {
        Preset::PasaExact | Preset::FlashExact => Some(
            "every stage in f64 (the exact configuration, not FP16 emulation): f64 tile \
             products move twice the bytes of f32 ones and use half the lanes",
        ),
        Preset::NaiveFp16Hmma => Some(
            "f16 accumulators: both tile products round the whole output row to f16 after \
             every multiply-add (head_dim + keys row roundings per output row and tile), work \
             the f32 kernel does not have",
        ),
        _ => None,
    }
}

fn inputs() -> AttentionInputs {
    let case = RandomCase {
        head_dim: HEAD_DIM,
        ..RandomCase::brief(5.0, 1.0, 1).with_seq(SEQ)
    };
    case.inputs().expect("generator")
}

fn seconds(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// The 1-minute load average (Linux), `None` elsewhere.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn out_dir() -> PathBuf {
    std::env::var_os("BENCH_OUT").map_or_else(
        || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/bench")),
        PathBuf::from,
    )
}

/// Checks every kernel's answer against the f64 reference: RMSE below 1e-3 for the f32
/// kernel and the exact presets (measured: ~1e-7 and ~1e-16), below 5e-2 for the FP16
/// ones with f32 tile accumulators (measured: at most ~1e-3 at bias 5), and below
/// [`F16_ACCUMULATOR_RMSE`] for `fp16-hmma`. The limits catch a broken kernel, not a
/// rounding change, which `tests/bit_pins.rs` catches.
fn check_answers(inputs: &AttentionInputs, params: &AttentionParams) {
    let reference = reference_attention(inputs, params).expect("reference");
    let base = flash_attention_f32(inputs, params).expect("baseline");
    let e = ErrorReport::compare(&base, &reference);
    assert!(e.all_finite() && e.rmse < 1e-3, "f32 baseline: {e:?}");
    for preset in Preset::ALL {
        let out = attention(inputs, &preset.kernel(), params).expect("kernel");
        let e = ErrorReport::compare(&out.out, &reference);
        let limit = if preset == Preset::NaiveFp16Hmma {
            F16_ACCUMULATOR_RMSE
        } else if is_fp16_emulation(preset) {
            5e-2
        } else {
            1e-3
        };
        assert!(e.all_finite() && e.rmse < limit, "{preset:?}: {e:?}");
    }
}

/// RMSE limit of `fp16-hmma` (f16 tile accumulators) on this bench's input, twice the
/// measured 0.127 (relative 0.31; the kernel is bit-pinned, so the number is exact for this
/// seed). Why it is that large: with `q, k = 5 + N(0, 1)` and head_dim 128 a score's
/// partial sums climb to ~3200, where f16's spacing is 2, so the f16 accumulator's roundings
/// add up to a few units of score before the 1/sqrt(128) scale, ~0.3-0.5 after it: softmax
/// weights off by a factor e^(+-0.4), an output error of order 0.3 of its size. This is
/// why FP16 hardware accumulates in f32 (`fp16`, `pasa`).
const F16_ACCUMULATOR_RMSE: f64 = 0.25;

/// The interleaved ratio table: fastest round of each kernel, and per preset the range of
/// the ratios of single rounds (f32 time of the round / the preset's).
fn ratio_table(inputs: &AttentionInputs, params: &AttentionParams, rounds: usize) -> Value {
    let load_before = load_average();
    let mut base = Vec::with_capacity(rounds);
    let mut times = vec![Vec::with_capacity(rounds); Preset::ALL.len()];
    for _ in 0..rounds {
        base.push(seconds(&mut || {
            flash_attention_f32(inputs, params).expect("baseline");
        }));
        for (t, preset) in times.iter_mut().zip(Preset::ALL) {
            t.push(seconds(&mut || {
                attention(inputs, &preset.kernel(), params).expect("kernel");
            }));
        }
    }
    let load_after = load_average();
    let fastest = |t: &[f64]| t.iter().copied().fold(f64::INFINITY, f64::min);
    let t_base = fastest(&base);
    let flops = 4.0 * (SEQ * SEQ * HEAD_DIM) as f64;
    let threads = rayon::current_num_threads();
    println!(
        "seq {SEQ}, head_dim {HEAD_DIM}, 1 head, {threads} threads, fastest of {rounds} \
         interleaved rounds, load average {load_before:?} before, {load_after:?} after"
    );
    println!("| kernel | seconds | GFLOP/s | speed vs f32 FA | per-round ratios | target |");
    println!(
        "| f32-flash (plain) | {t_base:.3} | {:.2} | 1.00 | | |",
        flops / t_base / 1e9
    );
    let mut rows = Vec::new();
    for (t, preset) in times.iter().zip(Preset::ALL) {
        let ours = fastest(t);
        let ratio = t_base / ours;
        let per_round: Vec<f64> = base.iter().zip(t).map(|(b, t)| b / t).collect();
        let (lo, hi) = (
            fastest(&per_round),
            per_round.iter().copied().fold(0.0, f64::max),
        );
        let covered = is_fp16_emulation(preset);
        let below = covered && ratio < TARGET;
        let verdict = match (covered, below) {
            (false, _) => "not FP16 emulation".to_owned(),
            (true, false) => "met".to_owned(),
            (true, true) => format!("BELOW by {:.2}", TARGET - ratio),
        };
        println!(
            "| {} | {ours:.3} | {:.2} | {ratio:.2} | {lo:.2}-{hi:.2} | {verdict} |",
            preset.name(),
            flops / ours / 1e9,
        );
        if below || !covered {
            if let Some(why) = structural_cost(preset) {
                println!("  {}: {why}", preset.name());
            }
        }
        rows.push(json!({
            "preset": preset.name(),
            "seconds": ours,
            "ratio": ratio,
            "round_ratios": per_round,
            "fp16_emulation": covered,
            "below_target": below,
            "structural_cost": structural_cost(preset),
        }));
    }
    json!({
        "seq": SEQ,
        "head_dim": HEAD_DIM,
        "threads": threads,
        "rounds": rounds,
        "target": TARGET,
        "f32_seconds": t_base,
        "f32_round_seconds": base,
        "load_average_before": load_before,
        "load_average_after": load_after,
        "rows": rows,
    })
}

fn main() {
    let params = AttentionParams::default();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    let inputs = inputs();
    check_answers(&inputs, &params);
    let rounds = if std::env::var_os("BENCH_QUICK").is_some() {
        QUICK_ROUNDS
    } else {
        ROUNDS
    };
    let table = ratio_table(&inputs, &params, rounds);
    let out = out_dir();
    std::fs::create_dir_all(&out).expect("bench output folder");
    std::fs::write(out.join("fp16-emulation.json"), table.to_string())
        .expect("fp16-emulation.json is writable");

    let mut group = c.benchmark_group(format!("attention_seq{SEQ}_d{HEAD_DIM}"));
    group.throughput(Throughput::Elements(4 * (SEQ * SEQ * HEAD_DIM) as u64));
    group.bench_function("f32-flash", |b| {
        b.iter(|| flash_attention_f32(&inputs, &params).expect("baseline"))
    });
    for preset in CRITERION_PRESETS {
        group.bench_function(preset.name(), |b| {
            b.iter(|| attention(&inputs, &preset.kernel(), &params).expect("kernel"));
        });
    }
    group.finish();
    c.final_summary();
}
