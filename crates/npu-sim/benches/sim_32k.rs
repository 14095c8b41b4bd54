//! Wall time of simulating one attention head of 32k tokens with head_dim 128 (timing only),
//! the "< 10 s on this 2-core machine" target, for the fp32-softmax baseline and
//! PASA, with and without the identical-cluster shortcut. Each timed run's result is
//! checked (PASA faster than the baseline, every query block simulated).
//!
//! `cargo bench -p npu-sim --bench sim_32k`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use npu_sim::{KernelKind, LaunchParams, Machine, simulate_attention};
use pasa_core::AttentionShape;

/// (name, seq, head_dim): sizes in one table.
const SIZES: [(&str, usize, usize); 1] = [("1head_32k_d128", 32_768, 128)];

fn bench(c: &mut Criterion) {
    let machine = Machine::ascend910b_like().expect("preset parses");
    let mut group = c.benchmark_group("sim");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for (name, seq, d) in SIZES {
        let shape = AttentionShape {
            batch: 1,
            heads: 1,
            kv_heads: 1,
            seq_q: seq,
            seq_k: seq,
            head_dim: d,
            value_dim: d,
        };
        for every_cluster in [false, true] {
            let params = LaunchParams {
                every_cluster,
                ..LaunchParams::default()
            };
            let run = |kind: KernelKind| {
                simulate_attention(&machine, &kind.kernel(), &shape, &params)
                    .expect("simulation runs")
            };
            // Check the answers once, outside the timing.
            let fa = run(KernelKind::FaFp32Softmax);
            let pasa = run(KernelKind::Pasa);
            assert!(pasa.report.cycles < fa.report.cycles, "PASA not faster");
            assert_eq!(fa.report.flops, 4 * (seq * seq * d) as u64);
            let label = if every_cluster {
                "every_cluster"
            } else {
                "shortcut"
            };
            eprintln!(
                "{name} {label}: FA {} instructions, PASA {} instructions simulated",
                fa.report.instructions, pasa.report.instructions
            );
            for kind in [KernelKind::FaFp32Softmax, KernelKind::Pasa] {
                group.bench_function(format!("{name}/{kind:?}/{label}"), |b| {
                    b.iter(|| black_box(run(kind)).report.cycles);
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
