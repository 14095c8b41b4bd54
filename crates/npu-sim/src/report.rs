//! What a simulation reports: cycles, time, per-unit busy cycles and utilisation, bytes per
//! path, peak buffer occupancy and achieved throughput.
//!
//! [`ClusterReport`] is the raw outcome of one [`crate::Executor`]; [`Report`] is the chip-level
//! summary of a kernel launch (many clusters), the type users read.

use serde::Serialize;

use crate::ir::{Buffer, Core, Path, Pipe};
use crate::trace::TraceEvent;

/// Busy cycles and peak buffer use of one core.
#[derive(Clone, Debug, Serialize)]
pub struct CoreReport {
    /// The core.
    #[serde(skip)]
    pub core: Core,
    /// Busy cycles per pipe, indexed by [`Pipe::index`].
    pub busy: [u64; 7],
    /// Peak bytes reserved per buffer, indexed by [`Buffer::index`].
    pub peak: [u64; 5],
}

/// The raw outcome of simulating one cluster.
#[derive(Clone, Debug)]
pub struct ClusterReport {
    /// Cycle at which the last instruction ended.
    pub cycles: u64,
    /// Per-core statistics (AIC first, then the AIVs).
    pub cores: Vec<CoreReport>,
    /// Bytes moved per path, indexed by [`Path::index`].
    pub bytes: [u64; 7],
    /// Floating-point operations of the cube (2 per MAC).
    pub flops: u64,
    /// Instructions executed.
    pub instructions: u64,
    /// Timeline events kept for the trace.
    pub trace: Vec<TraceEvent>,
}

impl ClusterReport {
    /// Busy cycles of `pipe` on `core`, 0 for a core the cluster does not have.
    #[must_use]
    pub fn busy(&self, core: Core, pipe: Pipe) -> u64 {
        self.cores
            .get(core.index())
            .map_or(0, |c| c.busy[pipe.index()])
    }

    /// Bytes moved on `path`.
    #[must_use]
    pub fn bytes_on(&self, path: Path) -> u64 {
        self.bytes[path.index()]
    }
}

/// Utilisation of one unit kind over the whole launch.
#[derive(Clone, Debug, Serialize)]
pub struct UnitUse {
    /// "AIC.M", "AIV.V", ...
    pub unit: String,
    /// Busy cycles summed over all cores of that kind.
    pub busy_cycles: u64,
    /// Busy cycles / (cores of that kind x total cycles).
    pub utilisation: f64,
}

/// Bytes moved on one path over the whole launch.
#[derive(Clone, Debug, Serialize)]
pub struct PathBytes {
    /// "GM->L1", ...
    pub path: String,
    /// Bytes moved.
    pub bytes: u64,
}

/// Peak occupancy of one buffer kind (the largest over all cores of the kind).
#[derive(Clone, Debug, Serialize)]
pub struct BufferPeak {
    /// "L1", "UB", ...
    pub buffer: String,
    /// Peak bytes reserved.
    pub peak_bytes: u64,
    /// The buffer's capacity.
    pub capacity_bytes: u64,
}

/// The chip-level report of one kernel launch.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// Kernel name.
    pub kernel: String,
    /// Machine name.
    pub machine: String,
    /// Cycles from launch to the end of the slowest cluster.
    pub cycles: u64,
    /// `cycles` at the machine's clock, in seconds.
    pub seconds: f64,
    /// Useful cube FLOPs (2 per MAC of the attention products, not of PASA's shift).
    pub flops: u64,
    /// `flops / seconds` in TFLOP/s.
    pub tflops: f64,
    /// Fraction of the chip's fp16 peak.
    pub peak_fraction: f64,
    /// Per unit kind.
    pub units: Vec<UnitUse>,
    /// Per path, summed over all cores.
    pub paths: Vec<PathBytes>,
    /// Bytes moved through GM (all GM paths).
    pub gm_bytes: u64,
    /// Peak buffer occupancy.
    pub buffers: Vec<BufferPeak>,
    /// Instructions simulated.
    pub instructions: u64,
    /// Clusters (cube cores) that received work.
    pub clusters_used: u32,
    /// Compulsory HBM traffic: Q, K, V read once and O written once (re-reads of K and V
    /// are served by L2).
    pub hbm_bytes: u64,
    /// `hbm_bytes` at the chip's HBM bandwidth, in cycles: a lower bound included in
    /// `cycles` (it binds only for very short sequences).
    pub hbm_bound_cycles: u64,
    /// Whether the K/V of the heads in flight fit in L2, as the model assumes; when false the
    /// simulated time is optimistic.
    pub l2_resident: bool,
}

impl Report {
    /// Busy fraction of `unit` ("AIC.M", "AIV.V", ...), 0 if absent.
    #[must_use]
    pub fn utilisation(&self, unit: &str) -> f64 {
        self.units
            .iter()
            .find(|u| u.unit == unit)
            .map_or(0.0, |u| u.utilisation)
    }

    /// Bytes moved on `path` over the launch.
    #[must_use]
    pub fn bytes_on(&self, path: Path) -> u64 {
        self.paths
            .iter()
            .find(|p| p.path == path.name())
            .map_or(0, |p| p.bytes)
    }

    /// Peak bytes used of `buffer`.
    #[must_use]
    pub fn peak_of(&self, buffer: Buffer) -> u64 {
        self.buffers
            .iter()
            .find(|b| b.buffer == buffer.name())
            .map_or(0, |b| b.peak_bytes)
    }
}
