//! The NPU suite: where PASA's speed comes from on an Ascend-like chip (PASA paper, later
//! version: 1.2-1.65x over the vendor's Flash Attention). Every number comes from
//! `npu-sim`'s `ascend910b-like` preset: its sweep of sequence lengths and head dims, its
//! bit-exactness against `pasa-core`, and the wall time of the simulation itself.

use std::time::Instant;

use npu_sim::sweep::{PAPER_SPEEDUP, SweepPoint, SweepRow, default_points, sweep};
use npu_sim::{KernelKind, LaunchParams, Machine, run_attention, simulate_attention};
use pasa_core::generate::RandomCase;
use pasa_core::{AttentionParams, attention};

use crate::claim::{Claim, Source, Threshold, fmt_num};
use crate::plot::{LinePlot, Scale, Series};
use crate::suite::{Check, Recorder, Suite, Table};

const PAPER: &str =
    "PASA, later version (OpenReview mvWQYIjDsx), abstract: 1.2-1.65x on an Ascend NPU";

/// The suite.
#[must_use]
pub fn suite() -> Suite {
    Suite {
        name: "npu",
        title: "NPU simulator: where PASA's speed comes from",
        intro: "The later version of the PASA paper reports 1.2-1.65x over the vendor's Flash \
                Attention on an Ascend NPU. `npu-sim` runs the vendor-style kernel (FP32 \
                scores and softmax), naive all-FP16 FA, the authors' PASA (`pasa`) and our \
                key-means and absolute-recovery variants on the `ascend910b-like` \
                preset (24 cube cores, split cube/vector cores exchanging scores through \
                global memory; every number's source is in the preset file). The simulated \
                speed-up comes from halving the bytes of scores and probabilities that cross \
                global memory and doubling vector throughput in FP16; docs/npu-sim.md \
                explains where it agrees with the paper and where it does not.",
        checks: vec![
            Check {
                name: "bit-exact",
                about: "simulated kernels equal pasa-core bit for bit",
                timing: false,
                run: bit_exact,
            },
            Check {
                name: "sweep",
                about: "PASA speed-up and bytes moved vs sequence length",
                timing: false,
                run: speedup_sweep,
            },
            Check {
                name: "sim-speed",
                about: "one 32k head simulates in under 10 s",
                timing: true,
                run: sim_speed,
            },
        ],
        input: None,
    }
}

fn bit_exact(rec: &mut Recorder) -> anyhow::Result<()> {
    let machine = Machine::ascend910b_like()?;
    let seq = rec.mode().pick(256, 1024);
    let mut mismatches = 0usize;
    let mut compared = 0usize;
    for (bias, amp) in [(5.0, 1.0), (100.0, 4.0)] {
        let inputs = RandomCase::brief(bias, amp, 5).with_seq(seq).inputs()?;
        for kind in KernelKind::ALL {
            let kernel = kind.kernel();
            let launch = run_attention(&machine, &kernel, &inputs, &LaunchParams::default())?;
            let params = AttentionParams {
                block_q: launch.tiling.block_q,
                block_k: launch.tiling.block_k,
                ..AttentionParams::default()
            };
            let reference = attention(&inputs, &kernel, &params)?;
            let out = launch
                .output
                .as_ref()
                .ok_or_else(|| anyhow::anyhow!("run_attention returned no output"))?;
            compared += out.data().len();
            // Both sides hold FP16-rounded values widened exactly to f64: compare bits, and
            // count NaN = NaN as equal bits only when the patterns agree.
            mismatches += out
                .data()
                .iter()
                .zip(reference.out.data())
                .filter(|(a, b)| a.to_bits() != b.to_bits())
                .count();
        }
    }
    rec.claim(
        Claim::new(
            "npu.bit-exact",
            "Every simulated kernel's output equals pasa-core's with the same precision and tiling, bit for bit",
            Source::project("issue 6; npu-sim tests/bit_exact.rs"),
        )
        .measured(mismatches as f64, "differing outputs")
        .threshold(Threshold::at_most(0.0))
        .note(format!(
            "{compared} outputs compared: {} at seq {seq}, d 128, bias 5 and 100 (the latter overflows FA-FP16: its inf/NaN patterns must match too); random ragged shapes, MHA/GQA, causal and not: npu-sim tests/bit_exact.rs",
            KernelKind::ALL.map(KernelKind::name).join(", ")
        )),
    );
    Ok(())
}

fn speedup_sweep(rec: &mut Recorder) -> anyhow::Result<()> {
    let machine = Machine::ascend910b_like()?;
    // The whole default sweep (seq 1k..32k, d 64 and 128) simulates in well under a second.
    let points = default_points(&machine);
    let bar = rec.bar(points.len() as u64, "npu sweep");
    let mut rows: Vec<SweepRow> = Vec::new();
    for point in &points {
        rows.extend(sweep(&machine, std::slice::from_ref(point))?);
        bar.inc(1);
    }
    bar.finish_and_clear();

    let (lo, hi) = PAPER_SPEEDUP;
    let range = |rows: &mut dyn Iterator<Item = &SweepRow>| {
        rows.map(|r| r.speedup)
            .fold((f64::INFINITY, 0.0_f64), |(a, b), s| (a.min(s), b.max(s)))
    };
    let (all_lo, all_hi) = range(&mut rows.iter());
    let (km_lo, km_hi) = rows
        .iter()
        .map(|r| r.speedup_key_means)
        .fold((f64::INFINITY, 0.0_f64), |(a, b), s| (a.min(s), b.max(s)));
    let long_seq = 8192;
    let (long_lo, _) = range(&mut rows.iter().filter(|r| r.point.seq >= long_seq));
    rec.claim(
        Claim::new(
            "npu.speedup.long-sequences",
            "The authors' PASA (all FP16) is faster than the vendor-style FP32-softmax Flash Attention on long sequences",
            Source::paper(PAPER),
        )
        .measured(long_lo, "x")
        .threshold(Threshold::above(1.0))
        .note(format!(
            "smallest simulated speed-up of `pasa` at seq >= {long_seq}, d 64 and 128; over the whole sweep {}..{}x (below 1 at seq 1k, d 128: PASA's K' prepass is amortised over few query blocks, docs/npu-sim.md); our key-means variant {}..{}x",
            fmt_num(all_lo),
            fmt_num(all_hi),
            fmt_num(km_lo),
            fmt_num(km_hi)
        )),
    );
    rec.claim(
        Claim::new(
            "npu.speedup.paper-range",
            "The simulated speed-up of the authors' PASA reaches the paper's 1.2-1.65x range",
            Source::paper(PAPER),
        )
        .measured(all_hi, "x")
        .threshold(Threshold::between(lo, hi))
        .note(format!(
            "largest simulated speed-up of `pasa` over the sweep (long sequences, d 64). The simulator spans {}..{}x, the lower part of the paper's range and below it: on the preset the cube core's GM port binds, so PASA gains the ratio of GM bytes, and its extra vector work (row statistics, running mean, corrections) hides under the cube's; the paper's upper end appears when the baseline is vector-bound (docs/npu-sim.md, sensitivity table)",
            fmt_num(all_lo),
            fmt_num(all_hi)
        )),
    );
    rec.claim(
        Claim::new(
            "npu.speedup.short-below-paper",
            "On the shipped preset the simulated speed-up falls below the paper's range at short sequences",
            Source::reconstruction(
                "README and docs/npu-sim.md: PASA's K' prepass is amortised over few query blocks at short sequences",
            ),
        )
        .measured(all_lo, "x")
        .threshold(Threshold::below(lo))
        .note(format!(
            "smallest simulated speed-up over the sweep (seq 1k, d 128 on the shipped preset); a property of the preset, not of the paper: the threshold is the paper's lower end {lo}x"
        )),
    );
    let max_bytes_ratio = rows.iter().map(|r| r.bytes_ratio).fold(0.0, f64::max);
    rec.claim(
        Claim::new(
            "npu.bytes.fewer",
            "Keeping scores and probabilities in FP16 cuts the bytes moved through global memory",
            Source::reconstruction("PASA's speed argument on split-core NPUs (issue 6, docs/npu-sim.md)"),
        )
        .measured(max_bytes_ratio, "PASA/FA")
        .threshold(Threshold::below(1.0))
        .note("largest ratio of GM bytes, the authors' PASA over FP32-softmax FA, over the sweep; FP16 halves only the score/probability traffic, Q/K/V/O traffic is unchanged"),
    );

    let mut speed = LinePlot::new(
        "Simulated speed-up of PASA over FP32-softmax FA",
        "sequence length (tokens)",
        "speed-up (x)",
        Scale::Log,
        Scale::Linear,
    );
    let mut bytes = LinePlot::new(
        "Bytes through global memory per launch",
        "sequence length (tokens)",
        "GM bytes",
        Scale::Log,
        Scale::Log,
    );
    let seqs: Vec<f64> = rows.iter().map(|r| r.point.seq as f64).collect();
    let (smin, smax) = seqs
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(a, b), &s| (a.min(s), b.max(s)));
    for d in [64, 128] {
        let of = |f: &dyn Fn(&SweepRow) -> f64| -> Vec<(f64, f64)> {
            rows.iter()
                .filter(|r| r.point.head_dim == d)
                .map(|r| (r.point.seq as f64, f(r)))
                .collect()
        };
        speed = speed
            .with(Series::line(
                format!("pasa, head_dim {d}"),
                of(&|r| r.speedup),
            ))
            .with(Series::line(
                format!("key-means, head_dim {d}"),
                of(&|r| r.speedup_key_means),
            ));
        bytes = bytes
            .with(Series::line(
                format!("FA FP32 softmax, d {d}"),
                of(&|r| r.baseline.gm_bytes as f64),
            ))
            .with(Series::line(
                format!("pasa, d {d}"),
                of(&|r| r.pasa.gm_bytes as f64),
            ));
    }
    speed = speed
        .with(Series::dashed(
            format!("paper, low ({lo}x)"),
            vec![(smin, lo), (smax, lo)],
        ))
        .with(Series::dashed(
            format!("paper, high ({hi}x)"),
            vec![(smin, hi), (smax, hi)],
        ));
    rec.figure("speedup", "Simulated speed-up of the authors' PASA and our key-means variant against sequence length (MHA, 24 heads, one per cube core), with the paper's reported range dashed.", speed.svg()?);
    rec.figure("gm-bytes", "Bytes moved through global memory by each kernel; PASA's FP16 scores and probabilities halve that part of the traffic.", bytes.svg()?);

    let mut table = Table::new(
        "Sweep on the ascend910b-like preset (MHA, 24 heads)",
        &[
            "seq",
            "d",
            "FA FP32 TFLOP/s",
            "FA FP16 TFLOP/s",
            "pasa TFLOP/s",
            "pasa speed-up",
            "key-means speed-up",
            "GM bytes pasa/FA",
            "cube util FA/pasa",
            "vector util FA/pasa",
        ],
    );
    for r in &rows {
        table.row(vec![
            r.point.seq.to_string(),
            r.point.head_dim.to_string(),
            fmt_num(r.baseline.tflops),
            fmt_num(r.fa_fp16.tflops),
            fmt_num(r.pasa.tflops),
            format!("{}x", fmt_num(r.speedup)),
            format!("{}x", fmt_num(r.speedup_key_means)),
            fmt_num(r.bytes_ratio),
            format!(
                "{} / {}",
                fmt_num(r.baseline.cube_util),
                fmt_num(r.pasa.cube_util)
            ),
            format!(
                "{} / {}",
                fmt_num(r.baseline.vector_util),
                fmt_num(r.pasa.vector_util)
            ),
        ]);
    }
    rec.table(table);
    rec.data("sweep", &rows)?;
    Ok(())
}

fn sim_speed(rec: &mut Recorder) -> anyhow::Result<()> {
    let machine = Machine::ascend910b_like()?;
    let point = SweepPoint {
        batch: 1,
        heads: 1,
        kv_heads: 1,
        seq: 32_768,
        head_dim: 128,
    };
    let start = Instant::now();
    let launch = simulate_attention(
        &machine,
        &KernelKind::Pasa.kernel(),
        &point.shape(),
        &LaunchParams::default(),
    )?;
    let seconds = start.elapsed().as_secs_f64();
    rec.claim(
        Claim::new(
            "npu.sim-speed",
            "Simulating one head of seq 32k, head_dim 128 (the authors' PASA) takes under 10 s on a 2-core machine",
            Source::project("issue 6"),
        )
        .measured(seconds, "s")
        .threshold(Threshold::below(10.0))
        .note(format!("wall time of simulate_attention (timing only; clusters with identical work are simulated once); the launch counts {} instructions", launch.report.instructions)),
    );
    Ok(())
}
