//! Throughput of the emulated FP16 kernels at seq 4096, head_dim 128 (one head), with the
//! ratio against a plain f32 Flash Attention timed in the same run. Each timed result is
//! checked against the f64 reference before timing (a bench that checks its answers).

use std::time::Instant;

use criterion::{Criterion, Throughput};
use pasa_core::baseline::flash_attention_f32;
use pasa_core::generate::RandomCase;
use pasa_core::{
    AttentionInputs, AttentionParams, ErrorReport, Preset, attention, reference_attention,
};

/// (seq, head_dim) sizes timed.
const SIZES: [(usize, usize); 1] = [(4096, 128)];
/// Emulated kernels timed against the plain f32 baseline.
const PRESETS: [Preset; 5] = [
    Preset::Fp32Softmax,
    Preset::NaiveFp16,
    Preset::Pasa,
    Preset::PasaAbsolute,
    Preset::PasaKeyMeans,
];

fn inputs(seq: usize, d: usize) -> AttentionInputs {
    let case = RandomCase {
        head_dim: d,
        ..RandomCase::brief(5.0, 1.0, 1).with_seq(seq)
    };
    case.inputs().expect("generator")
}

/// Rounds of the ratio table: every kernel is timed once per round, in turn, and keeps its
/// fastest round, so a burst of load on a shared machine hits all kernels alike.
const ROUNDS: usize = 5;

fn seconds(f: &mut dyn FnMut()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

fn main() {
    let params = AttentionParams::default();
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(3))
        .configure_from_args();
    for (seq, d) in SIZES {
        let inputs = inputs(seq, d);
        let flops = 4.0 * (seq * seq * d) as f64;
        // Check answers first.
        let reference = reference_attention(&inputs, &params).expect("reference");
        let base = flash_attention_f32(&inputs, &params).expect("baseline");
        let e = ErrorReport::compare(&base, &reference);
        assert!(e.all_finite() && e.rmse < 1e-3, "f32 baseline: {e:?}");
        for preset in PRESETS {
            let out = attention(&inputs, &preset.kernel(), &params).expect("kernel");
            let e = ErrorReport::compare(&out.out, &reference);
            assert!(e.all_finite() && e.rmse < 5e-2, "{preset:?}: {e:?}");
        }
        // Ratio table, timed in this run: rounds interleaved, the minimum of each kernel.
        let mut t_base = f64::INFINITY;
        let mut t = [f64::INFINITY; PRESETS.len()];
        for _ in 0..ROUNDS {
            t_base = t_base.min(seconds(&mut || {
                flash_attention_f32(&inputs, &params).expect("baseline");
            }));
            for (t, preset) in t.iter_mut().zip(PRESETS) {
                *t = t.min(seconds(&mut || {
                    attention(&inputs, &preset.kernel(), &params).expect("kernel");
                }));
            }
        }
        println!(
            "seq {seq}, head_dim {d}, 1 head, {} threads, fastest of {ROUNDS} interleaved rounds",
            rayon::current_num_threads()
        );
        println!("| kernel | seconds | GFLOP/s | speed vs f32 FA |");
        println!(
            "| f32-flash (plain) | {t_base:.3} | {:.2} | 1.00 |",
            flops / t_base / 1e9
        );
        for (t, preset) in t.into_iter().zip(PRESETS) {
            println!(
                "| {} | {t:.3} | {:.2} | {:.2} |",
                preset.name(),
                flops / t / 1e9,
                t_base / t
            );
        }
        let mut group = c.benchmark_group(format!("attention_seq{seq}_d{d}"));
        group.throughput(Throughput::Elements(4 * (seq * seq * d) as u64));
        group.bench_function("f32-flash", |b| {
            b.iter(|| flash_attention_f32(&inputs, &params).expect("baseline"))
        });
        for preset in PRESETS {
            group.bench_function(preset.name(), |b| {
                b.iter(|| attention(&inputs, &preset.kernel(), &params).expect("kernel"));
            });
        }
        group.finish();
    }
    c.final_summary();
}
