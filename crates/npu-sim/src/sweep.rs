//! The sequence-length sweep of PASA against the vendor-style fp32-softmax Flash Attention:
//! the rows `cargo xtask validate` checks and plots next to the paper's 1.2-1.65x.

use pasa_core::AttentionShape;
use serde::Serialize;

use crate::error::SimError;
use crate::kernels::{KernelKind, Launch, LaunchParams, simulate_attention};
use crate::machine::Machine;

/// The speed-up range the later version of the PASA paper reports over the vendor's Flash
/// Attention on an Ascend NPU (OpenReview mvWQYIjDsx, abstract).
pub const PAPER_SPEEDUP: (f64, f64) = (1.2, 1.65);

/// The workload of one sweep point.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SweepPoint {
    /// Batch size.
    pub batch: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Sequence length (queries = keys).
    pub seq: usize,
    /// Head dimension (= value dimension).
    pub head_dim: usize,
}

impl SweepPoint {
    /// The attention shape.
    #[must_use]
    pub fn shape(&self) -> AttentionShape {
        AttentionShape {
            batch: self.batch,
            heads: self.heads,
            kv_heads: self.kv_heads,
            seq_q: self.seq,
            seq_k: self.seq,
            head_dim: self.head_dim,
            value_dim: self.head_dim,
        }
    }
}

/// One kernel's result at a sweep point.
#[derive(Clone, Debug, Serialize)]
pub struct KernelResult {
    /// Simulated time in seconds.
    pub seconds: f64,
    /// Achieved TFLOP/s (standard attention FLOPs).
    pub tflops: f64,
    /// Bytes through GM (all GM paths).
    pub gm_bytes: u64,
    /// Cube busy fraction.
    pub cube_util: f64,
    /// Vector busy fraction.
    pub vector_util: f64,
    /// Block sizes chosen (query rows, keys).
    pub tiling: (usize, usize),
}

impl KernelResult {
    fn of(launch: &Launch) -> Self {
        let r = &launch.report;
        Self {
            seconds: r.seconds,
            tflops: r.tflops,
            gm_bytes: r.gm_bytes,
            cube_util: r.utilisation("AIC.M"),
            vector_util: r.utilisation("AIV.V"),
            tiling: (launch.tiling.block_q, launch.tiling.block_k),
        }
    }
}

/// One row of the sweep: PASA and naive fp16 FA against the fp32-softmax baseline.
#[derive(Clone, Debug, Serialize)]
pub struct SweepRow {
    /// The workload.
    pub point: SweepPoint,
    /// Vendor-style Flash Attention (fp32 softmax).
    pub baseline: KernelResult,
    /// Naive all-fp16 Flash Attention.
    pub fa_fp16: KernelResult,
    /// The authors' PASA ([`KernelKind::Pasa`]).
    pub pasa: KernelResult,
    /// Our key-means variant ([`KernelKind::PasaKeyMeans`]: one extra score column on the
    /// cube instead of the row means of S').
    pub pasa_key_means: KernelResult,
    /// `baseline.seconds / pasa.seconds` (the authors' PASA).
    pub speedup: f64,
    /// `baseline.seconds / pasa_key_means.seconds`.
    pub speedup_key_means: f64,
    /// `pasa.gm_bytes / baseline.gm_bytes`.
    pub bytes_ratio: f64,
    /// Whether the K/V working set fits in L2 (the model's assumption).
    pub l2_resident: bool,
}

/// The default sweep: sequence 1k..32k, head_dim 64 and 128, one batch of enough heads to
/// occupy every cluster (`heads = cube cores`), MHA.
#[must_use]
pub fn default_points(machine: &Machine) -> Vec<SweepPoint> {
    let heads = machine.cube_cores as usize;
    let mut points = Vec::new();
    for head_dim in [64, 128] {
        for seq in [1024, 2048, 4096, 8192, 16384, 32768] {
            points.push(SweepPoint {
                batch: 1,
                heads,
                kv_heads: heads,
                seq,
                head_dim,
            });
        }
    }
    points
}

/// Simulates the fp32-softmax baseline, naive fp16 FA, the authors' PASA and our key-means
/// variant at every point (timing only).
///
/// # Errors
/// Whatever [`simulate_attention`] rejects.
pub fn sweep(machine: &Machine, points: &[SweepPoint]) -> Result<Vec<SweepRow>, SimError> {
    let params = LaunchParams::default();
    points
        .iter()
        .map(|point| {
            let shape = point.shape();
            let run =
                |kind: KernelKind| simulate_attention(machine, &kind.kernel(), &shape, &params);
            let baseline = KernelResult::of(&run(KernelKind::FaFp32Softmax)?);
            let fa_fp16 = KernelResult::of(&run(KernelKind::FaFp16)?);
            let pasa_launch = run(KernelKind::Pasa)?;
            let l2_resident = pasa_launch.report.l2_resident;
            let pasa = KernelResult::of(&pasa_launch);
            let pasa_key_means = KernelResult::of(&run(KernelKind::PasaKeyMeans)?);
            #[allow(clippy::cast_precision_loss)]
            let bytes_ratio = pasa.gm_bytes as f64 / baseline.gm_bytes as f64;
            Ok(SweepRow {
                point: point.clone(),
                speedup: baseline.seconds / pasa.seconds,
                speedup_key_means: baseline.seconds / pasa_key_means.seconds,
                bytes_ratio,
                l2_resident,
                baseline,
                fa_fp16,
                pasa,
                pasa_key_means,
            })
        })
        .collect()
}

/// The sweep as a Markdown table (the one in docs/npu-sim.md).
#[must_use]
pub fn markdown_table(rows: &[SweepRow]) -> String {
    let mut s = String::from(
        "| seq | d | FA fp32 TFLOP/s | FA fp16 TFLOP/s | pasa TFLOP/s | pasa speed-up | key-means TFLOP/s | key-means speed-up | GM bytes pasa/FA | cube util FA / pasa | vector util FA / pasa | tiles |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.2} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {}x{} |\n",
            r.point.seq,
            r.point.head_dim,
            r.baseline.tflops,
            r.fa_fp16.tflops,
            r.pasa.tflops,
            r.speedup,
            r.pasa_key_means.tflops,
            r.speedup_key_means,
            r.bytes_ratio,
            r.baseline.cube_util,
            r.pasa.cube_util,
            r.baseline.vector_util,
            r.pasa.vector_util,
            r.pasa.tiling.0,
            r.pasa.tiling.1,
        ));
    }
    s
}

/// A change to the machine description, for the sensitivity of the speed-up to the values
/// the preset marks as assumed.
#[derive(Clone, Copy, Debug)]
pub struct Variant {
    /// Short name for tables.
    pub name: &'static str,
    /// What it changes.
    pub change: &'static str,
    apply: fn(&mut Machine),
}

impl Variant {
    /// The machine with this change applied.
    #[must_use]
    pub fn apply(&self, machine: &Machine) -> Machine {
        let mut m = machine.clone();
        (self.apply)(&mut m);
        m
    }
}

fn slower_vector(m: &mut Machine) {
    let v = &mut m.vector;
    v.elementwise_cycles_per_repeat *= 2.0;
    v.exp_cycles_per_repeat *= 2.0;
    v.reduce_cycles_per_repeat *= 2.0;
    v.cast_cycles_per_repeat *= 2.0;
}

fn wider_gm(m: &mut Machine) {
    m.memory.core_gm_port_bytes_per_cycle *= 2.0;
    m.memory.l2_bytes_per_s *= 2.0;
}

/// The variants of [`sensitivity`]: the preset, GM per core halved (the HBM-only share of
/// ascend.md), GM doubled, the vector unit half as fast, and GM doubled with the vector unit
/// half as fast.
#[must_use]
pub fn variants() -> Vec<Variant> {
    vec![
        Variant {
            name: "preset",
            change: "as shipped",
            apply: |_| {},
        },
        Variant {
            name: "gm/2",
            change: "GM port 32 B/cycle per core (the HBM-only share)",
            apply: |m| m.memory.core_gm_port_bytes_per_cycle = 32.0,
        },
        Variant {
            name: "gm*2",
            change: "GM port and L2 bandwidth doubled",
            apply: wider_gm,
        },
        Variant {
            name: "vec/2",
            change: "every vector instruction class at half the throughput",
            apply: slower_vector,
        },
        Variant {
            name: "gm*2,vec/2",
            change: "both of the above",
            apply: |m| {
                wider_gm(m);
                slower_vector(m);
            },
        },
    ]
}

/// The speed-up of PASA over the fp32-softmax baseline at one point under one variant.
#[derive(Clone, Debug, Serialize)]
pub struct SensitivityRow {
    /// The variant's name.
    pub variant: &'static str,
    /// The workload.
    pub point: SweepPoint,
    /// Baseline TFLOP/s.
    pub baseline_tflops: f64,
    /// PASA TFLOP/s.
    pub pasa_tflops: f64,
    /// Baseline time / PASA time.
    pub speedup: f64,
}

/// The default sensitivity points: seq 4k and 32k, head_dim 64 and 128, all clusters busy.
#[must_use]
pub fn sensitivity_points(machine: &Machine) -> Vec<SweepPoint> {
    default_points(machine)
        .into_iter()
        .filter(|p| p.seq == 4096 || p.seq == 32768)
        .collect()
}

/// [`sweep`] under every [`variants`] entry, reduced to the speed-up.
///
/// # Errors
/// Whatever [`simulate_attention`] rejects.
pub fn sensitivity(
    machine: &Machine,
    points: &[SweepPoint],
) -> Result<Vec<SensitivityRow>, SimError> {
    let params = LaunchParams::default();
    let mut rows = Vec::new();
    for variant in variants() {
        let m = variant.apply(machine);
        for point in points {
            let shape = point.shape();
            let fa = simulate_attention(&m, &KernelKind::FaFp32Softmax.kernel(), &shape, &params)?;
            let pasa = simulate_attention(&m, &KernelKind::Pasa.kernel(), &shape, &params)?;
            rows.push(SensitivityRow {
                variant: variant.name,
                point: point.clone(),
                baseline_tflops: fa.report.tflops,
                pasa_tflops: pasa.report.tflops,
                speedup: fa.report.seconds / pasa.report.seconds,
            });
        }
    }
    Ok(rows)
}

/// The sensitivity rows as a Markdown table.
#[must_use]
pub fn sensitivity_table(rows: &[SensitivityRow]) -> String {
    let mut s = String::from(
        "| variant | seq | d | FA fp32 TFLOP/s | PASA TFLOP/s | speed-up |\n|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.2} |\n",
            r.variant, r.point.seq, r.point.head_dim, r.baseline_tflops, r.pasa_tflops, r.speedup
        ));
    }
    s
}
