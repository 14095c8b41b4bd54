//! Attention kernels on the simulated chip: Flash Attention (any `pasa-core` precision, e.g.
//! the vendor-style fp32 softmax or naive all-fp16) and PASA, tiled from the machine's
//! buffers, for MHA/GQA/MQA shapes.
//!
//! Two entry points: [`simulate_attention`] (timing only: fast enough for a 32k-token head in
//! well under a second) and [`run_attention`] (timing and numbers, bit-identical to
//! `pasa_core::attention` with the same kernel and block sizes).
//!
//! A launch is split into work items (one query block of one head) dealt round-robin to the
//! clusters (one cube core and its vector cores). Clusters share the chip's GM bandwidth
//! statically ([`crate::Machine::gm_share_bytes_per_cycle`]), so they are independent and the
//! launch takes as long as its slowest cluster; clusters with identical work are simulated
//! once. PASA's shifted keys `K' = M K_j` come from a prepass launch, timed and added.

pub(crate) mod numerics;
pub(crate) mod plan;
pub(crate) mod prepass;
pub(crate) mod schedule;

use std::collections::BTreeMap;

use pasa_core::{AttentionInputs, AttentionShape, InputDtype, Kernel, Preset, Tensor};

use crate::error::SimError;
use crate::executor::{ExecParams, Executor};
use crate::ir::{Buffer, Path, Pipe};
use crate::machine::Machine;
use crate::report::{BufferPeak, ClusterReport, PathBytes, Report, UnitUse};
use crate::tiling::{Tiling, bytes_of, capacities};
use crate::trace::TraceEvent;
use numerics::Numerics;
use plan::{Plan, WorkItem, kernel_name};
use prepass::emit_prepass;
use schedule::Emitter;

/// An element or byte count as the IR's `u32`. Tile sizes are bounded by the buffer
/// capacities the tiling has already checked, so the saturation never binds in practice.
pub(crate) fn u(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// The simulated kernels, as `pasa-core` presets, named as `pasa-core` names them: `Pasa` is
/// the authors' algorithm, the others say what they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelKind {
    /// Flash Attention with fp32 scores and softmax (vendor-style baseline,
    /// [`Preset::Fp32Softmax`]).
    FaFp32Softmax,
    /// Flash Attention with everything in fp16 but the cube's accumulator
    /// ([`Preset::NaiveFp16`]).
    FaFp16,
    /// The authors' PASA, all fp16 ([`Preset::Pasa`], running pseudo-average recovery):
    /// row means of `S'` on the cube, running mean and correction terms on the vector unit.
    Pasa,
    /// Our key-means PASA variant, all fp16 ([`Preset::PasaKeyMeans`]): one extra score
    /// column `Q (mean K_j - mean K_0)` on the cube instead of the row means.
    PasaKeyMeans,
    /// Our absolute-recovery reconstruction, all fp16 ([`Preset::PasaAbsolute`]).
    PasaAbsolute,
}

impl KernelKind {
    /// All of them, baseline first.
    pub const ALL: [Self; 5] = [
        Self::FaFp32Softmax,
        Self::FaFp16,
        Self::Pasa,
        Self::PasaKeyMeans,
        Self::PasaAbsolute,
    ];

    /// The `pasa-core` preset.
    #[must_use]
    pub fn preset(self) -> Preset {
        match self {
            Self::FaFp32Softmax => Preset::Fp32Softmax,
            Self::FaFp16 => Preset::NaiveFp16,
            Self::Pasa => Preset::Pasa,
            Self::PasaKeyMeans => Preset::PasaKeyMeans,
            Self::PasaAbsolute => Preset::PasaAbsolute,
        }
    }

    /// The `pasa-core` kernel (algorithm and precision).
    #[must_use]
    pub fn kernel(self) -> Kernel {
        self.preset().kernel()
    }

    /// The preset's stable short name ([`Preset::name`]: `fp32-softmax`, `fp16`, `pasa`,
    /// `pasa-key-means`, `pasa-absolute`).
    #[must_use]
    pub fn name(self) -> &'static str {
        self.preset().name()
    }
}

/// Options of a launch.
#[derive(Clone, Debug, Default)]
pub struct LaunchParams {
    /// Causal mask (queries aligned to the end of the keys, as in `pasa-core`).
    pub causal: bool,
    /// Softmax scale; `None` = `1/sqrt(head_dim)`.
    pub scale: Option<f64>,
    /// Block sizes; `None` = chosen from the machine's buffers ([`crate::tiling::choose_tiling`]).
    pub tiling: Option<Tiling>,
    /// Timeline events to keep (0 = none) for the trace of cluster 0, the cluster with the
    /// most work (items are dealt round-robin from cluster 0); see [`Launch::trace`].
    pub trace_events: usize,
    /// Simulate every cluster even when several have identical work (a check of the
    /// shortcut; the result is the same).
    pub every_cluster: bool,
}

/// The outcome of a launch.
#[derive(Clone, Debug)]
pub struct Launch {
    /// Cycles, bytes, utilisation.
    pub report: Report,
    /// The block sizes used.
    pub tiling: Tiling,
    /// PASA's beta (`None` for Flash Attention).
    pub beta: Option<f64>,
    /// The output (batch, heads, seq_q, value_dim), widened exactly to f64, when numbers
    /// were on.
    pub output: Option<Tensor<f64>>,
    /// Timeline of cluster 0 only (at most [`LaunchParams::trace_events`] events; the
    /// other clusters run the same program on other heads, or a shorter one). Open it with
    /// [`Launch::chrome_trace_json`].
    pub trace: Vec<TraceEvent>,
}

impl Launch {
    /// [`Launch::trace`] as Chrome trace-event JSON for Perfetto or chrome://tracing
    /// ([`crate::chrome_trace_json`]), labelled as cluster 0 of the
    /// [`Report::clusters_used`] clusters.
    #[must_use]
    pub fn chrome_trace_json(&self, clock_ghz: f64) -> String {
        crate::trace::cluster_trace_json(&self.trace, clock_ghz, 0, self.report.clusters_used)
    }
}

/// Simulates the timing of `kernel` on `shape` (no numbers).
///
/// # Errors
/// [`SimError::InvalidMachine`] for a machine [`Machine::validate`] rejects,
/// [`SimError::BadShape`], [`SimError::ShapeTooLarge`] (FLOP or byte counts beyond `u64`),
/// [`SimError::UnsupportedPrecision`], [`SimError::NoTilingFits`],
/// [`SimError::BufferOverflow`] (an explicit tiling that does not fit), or
/// [`SimError::Numerics`] for parameters `pasa-core` rejects (beta out of range).
pub fn simulate_attention(
    machine: &Machine,
    kernel: &Kernel,
    shape: &AttentionShape,
    params: &LaunchParams,
) -> Result<Launch, SimError> {
    let plan = Plan::new(
        machine,
        kernel,
        shape,
        InputDtype::F16,
        params.causal,
        params.scale,
        params.tiling,
    )?;
    launch::<f32>(machine, &plan, None, params)
}

/// Runs `kernel` on `inputs`: the timing of [`simulate_attention`] and the output, computed
/// through `pasa-core`'s tile steps.
///
/// # Errors
/// As [`simulate_attention`].
pub fn run_attention(
    machine: &Machine,
    kernel: &Kernel,
    inputs: &AttentionInputs,
    params: &LaunchParams,
) -> Result<Launch, SimError> {
    let shape = inputs.shape();
    let plan = Plan::new(
        machine,
        kernel,
        &shape,
        inputs.dtype(),
        params.causal,
        params.scale,
        params.tiling,
    )?;
    let mut numerics = Numerics::<f32>::new(inputs, &plan)?;
    let mut out = launch(machine, &plan, Some(&mut numerics), params)?;
    out.output = Some(numerics.out);
    Ok(out)
}

/// The identity of a cluster's work for timing: (rows, key blocks, first row if causal) per
/// item. Clusters with equal keys issue identical instruction streams and take equal time.
type TimingKey = Vec<(usize, usize, usize)>;

fn timing_key(items: &[WorkItem], causal: bool) -> TimingKey {
    items
        .iter()
        .map(|it| (it.rows, it.key_blocks, if causal { it.row0 } else { 0 }))
        .collect()
}

fn launch<T: pasa_core::Real>(
    machine: &Machine,
    plan: &Plan,
    mut numerics: Option<&mut Numerics<'_, T>>,
    params: &LaunchParams,
) -> Result<Launch, SimError> {
    let trace_events = params.trace_events;
    let used: Vec<&Vec<WorkItem>> = plan.clusters.iter().filter(|c| !c.is_empty()).collect();
    let clusters_used = u32::try_from(used.len()).unwrap_or(u32::MAX);
    let exec = ExecParams {
        active_cores: clusters_used * (1 + machine.vector_cores_per_cube),
        trace_events: 0,
    };
    // Group clusters by timing key (only when numbers are off: with numbers every item
    // must be computed).
    let mut runs: Vec<(ClusterReport, u64)> = Vec::new();
    let mut trace = Vec::new();
    if numerics.is_some() || params.every_cluster {
        for (i, items) in used.iter().enumerate() {
            let ex = ExecParams {
                trace_events: if i == 0 { trace_events } else { 0 },
                ..exec.clone()
            };
            let mut executor = Executor::new(machine, &ex);
            Emitter::new(&mut executor, plan, machine).run(items, numerics.as_deref_mut())?;
            let mut r = executor.finish();
            if i == 0 {
                trace = std::mem::take(&mut r.trace);
            }
            runs.push((r, 1));
        }
    } else {
        let mut groups: BTreeMap<TimingKey, (usize, u64)> = BTreeMap::new();
        for (i, items) in used.iter().enumerate() {
            groups
                .entry(timing_key(items, plan.params.causal))
                .or_insert((i, 0))
                .1 += 1;
        }
        let mut firsts: Vec<(usize, u64)> = groups.into_values().collect();
        firsts.sort_unstable();
        for (i, count) in firsts {
            let ex = ExecParams {
                trace_events: if i == 0 { trace_events } else { 0 },
                ..exec.clone()
            };
            let mut executor = Executor::new(machine, &ex);
            Emitter::new(&mut executor, plan, machine).run::<f32>(used[i], None)?;
            let mut r = executor.finish();
            if i == 0 {
                trace = std::mem::take(&mut r.trace);
            }
            runs.push((r, count));
        }
    }
    let prepass = match plan.pasa {
        Some(_) => Some(prepass(machine, plan)?),
        None => None,
    };
    let report = assemble(machine, plan, &runs, prepass.as_ref(), clusters_used);
    Ok(Launch {
        report,
        tiling: plan.tiling,
        beta: plan.pasa.map(|(b, _)| b),
        output: None,
        trace,
    })
}

/// Times PASA's prepass launch (shift every key block once per (batch, kv head)).
fn prepass(machine: &Machine, plan: &Plan) -> Result<Vec<(ClusterReport, u64)>, SimError> {
    let s = plan.tiling.block_k;
    let blocks = plan.shape.batch * plan.shape.kv_heads * plan.shape.seq_k.div_ceil(s);
    let n = machine.cube_cores as usize;
    let (hi, lo) = (blocks.div_ceil(n), blocks / n);
    let n_hi = blocks - lo * n; // clusters with one more block
    let active = u32::try_from(n_hi.max(if lo > 0 { n } else { 0 })).unwrap_or(u32::MAX);
    let exec = ExecParams {
        active_cores: active.max(1),
        trace_events: 0,
    };
    let operand = u32::try_from(bytes_of(plan.kernel.precision.operand)).unwrap_or(2);
    let mut out = Vec::new();
    for (count, per_cluster) in [(n_hi, hi), (n - n_hi, lo)] {
        if count == 0 || per_cluster == 0 {
            continue;
        }
        let mut ex = Executor::new(machine, &exec);
        emit_prepass(
            &mut ex,
            per_cluster,
            (s, plan.tiling.sub_k, plan.shape.head_dim),
            operand,
            matches!(plan.pasa, Some((_, pasa_core::Recovery::RelativeKeyMeans))),
        )?;
        out.push((ex.finish(), count as u64));
    }
    Ok(out)
}

/// Standard attention FLOPs: `2 (d + dv)` per visible (query, key) pair.
fn useful_flops(plan: &Plan) -> u64 {
    let sh = &plan.shape;
    let pairs: u64 = if plan.params.causal {
        (0..sh.seq_q)
            .map(|i| (i + sh.seq_k - sh.seq_q + 1).min(sh.seq_k) as u64)
            .sum()
    } else {
        (sh.seq_q * sh.seq_k) as u64
    };
    2 * (sh.head_dim + sh.value_dim) as u64 * pairs * (sh.batch * sh.heads) as u64
}

fn assemble(
    machine: &Machine,
    plan: &Plan,
    runs: &[(ClusterReport, u64)],
    prepass: Option<&Vec<(ClusterReport, u64)>>,
    clusters_used: u32,
) -> Report {
    let main_cycles = runs.iter().map(|(r, _)| r.cycles).max().unwrap_or(0);
    let pre_cycles = prepass.map_or(0, |p| p.iter().map(|(r, _)| r.cycles).max().unwrap_or(0));
    // Compulsory HBM traffic and the L2 working set (K and V of the heads in flight).
    let sh = &plan.shape;
    let ob = bytes_of(plan.kernel.precision.output) as u64;
    let (b, h, hk) = (sh.batch as u64, sh.heads as u64, sh.kv_heads as u64);
    let (sq, sk, d, dv) = (
        sh.seq_q as u64,
        sh.seq_k as u64,
        sh.head_dim as u64,
        sh.value_dim as u64,
    );
    let hbm_bytes = b * h * sq * d * 2 + b * hk * sk * (d + dv) * 2 + b * h * sq * dv * ob;
    let hbm_per_cycle = machine.memory.hbm_bytes_per_s / (machine.clock_ghz * 1e9);
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let hbm_bound_cycles = (hbm_bytes as f64 / hbm_per_cycle).ceil() as u64;
    // Items are dealt round-robin in (batch, head, query block) order, so the clusters work
    // on the query blocks of about clusters / q_blocks consecutive heads at a time.
    let q_blocks = sh.seq_q.div_ceil(plan.tiling.block_q).max(1) as u64;
    let in_flight = (b * hk).min(u64::from(clusters_used).div_ceil(q_blocks) + 1);
    let l2_resident = in_flight * sk * (d + dv) * 2 <= machine.memory.l2_bytes;
    let cycles = (main_cycles + pre_cycles).max(hbm_bound_cycles);
    let all: Vec<&(ClusterReport, u64)> =
        runs.iter().chain(prepass.into_iter().flatten()).collect();
    let mut bytes = [0u64; 7];
    let mut aic_busy = [0u64; 7];
    let mut aiv_busy = [0u64; 7];
    let mut peak = [0u64; 5];
    let mut instructions = 0;
    for (r, count) in &all {
        for (b, x) in bytes.iter_mut().zip(r.bytes) {
            *b += x * count;
        }
        for c in &r.cores {
            let target = if c.core == crate::ir::Core::Aic {
                &mut aic_busy
            } else {
                &mut aiv_busy
            };
            for (t, x) in target.iter_mut().zip(c.busy) {
                *t += x * count;
            }
            for (p, x) in peak.iter_mut().zip(c.peak) {
                *p = (*p).max(x);
            }
        }
        instructions += r.instructions * count;
    }
    let clock = machine.clock_ghz * 1e9;
    #[allow(clippy::cast_precision_loss)]
    let seconds = cycles as f64 / clock;
    let flops = useful_flops(plan);
    #[allow(clippy::cast_precision_loss)]
    let rate = if seconds > 0.0 {
        flops as f64 / seconds
    } else {
        0.0
    };
    // PASA's prepass deals its key blocks over all clusters, so it may run on more clusters
    // than the main launch: count every cluster that ran (busy cycles of both phases are
    // summed, so fewer would let a utilisation exceed 1).
    let pre_clusters = prepass.map_or(0, |p| p.iter().map(|(_, count)| *count).sum::<u64>());
    #[allow(clippy::cast_precision_loss)]
    let n_aic = f64::from(clusters_used).max(pre_clusters as f64);
    let n_aiv = n_aic * f64::from(machine.vector_cores_per_cube);
    let mut units = Vec::new();
    let groups: [(&str, &[Pipe], _, f64); 2] = [
        (
            "AIC",
            &[Pipe::S, Pipe::Mte1, Pipe::Mte2, Pipe::Fix, Pipe::M],
            &aic_busy,
            n_aic,
        ),
        (
            "AIV",
            &[Pipe::S, Pipe::Mte2, Pipe::Mte3, Pipe::V],
            &aiv_busy,
            n_aiv,
        ),
    ];
    for (core, pipes, busy_of, n_cores) in groups {
        for &pipe in pipes {
            let busy = busy_of[pipe.index()];
            #[allow(clippy::cast_precision_loss)]
            units.push(UnitUse {
                unit: format!("{core}.{}", pipe.name()),
                busy_cycles: busy,
                utilisation: if cycles > 0 {
                    busy as f64 / (n_cores * cycles as f64)
                } else {
                    0.0
                },
            });
        }
    }
    let caps = capacities(machine);
    let gm_bytes = Path::ALL
        .iter()
        .filter(|p| p.touches_gm())
        .map(|p| bytes[p.index()])
        .sum();
    Report {
        kernel: kernel_name(&plan.kernel).to_owned(),
        machine: machine.name.clone(),
        cycles,
        seconds,
        flops,
        tflops: rate / 1e12,
        peak_fraction: rate / machine.peak_flops(),
        units,
        paths: Path::ALL
            .iter()
            .map(|p| PathBytes {
                path: p.name().to_owned(),
                bytes: bytes[p.index()],
            })
            .collect(),
        gm_bytes,
        buffers: Buffer::ALL
            .iter()
            .map(|b| BufferPeak {
                buffer: b.name().to_owned(),
                peak_bytes: peak[b.index()],
                capacity_bytes: caps[b.index()],
            })
            .collect(),
        instructions,
        clusters_used,
        hbm_bytes,
        hbm_bound_cycles,
        l2_resident,
    }
}
