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
    /// PASA.
    pub pasa: KernelResult,
    /// `baseline.seconds / pasa.seconds`.
    pub speedup: f64,
    /// `pasa.gm_bytes / baseline.gm_bytes`.
    pub bytes_ratio: f64,
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

/// Simulates the three kernels at every point (timing only).
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
            let pasa = KernelResult::of(&run(KernelKind::Pasa)?);
            #[allow(clippy::cast_precision_loss)]
            let bytes_ratio = pasa.gm_bytes as f64 / baseline.gm_bytes as f64;
            Ok(SweepRow {
                point: point.clone(),
                speedup: baseline.seconds / pasa.seconds,
                bytes_ratio,
                baseline,
                fa_fp16,
                pasa,
            })
        })
        .collect()
}

/// The sweep as a Markdown table (the one in docs/npu-sim.md).
#[must_use]
pub fn markdown_table(rows: &[SweepRow]) -> String {
    let mut s = String::from(
        "| seq | d | FA fp32 TFLOP/s | FA fp16 TFLOP/s | PASA TFLOP/s | speed-up | GM bytes PASA/FA | cube util FA / PASA | vector util FA / PASA | tiles |\n|---|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.2} | {:.2} | {:.2} / {:.2} | {:.2} / {:.2} | {}x{} |\n",
            r.point.seq,
            r.point.head_dim,
            r.baseline.tflops,
            r.fa_fp16.tflops,
            r.pasa.tflops,
            r.speedup,
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
