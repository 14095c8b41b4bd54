//! The machine description: what one Ascend-like chip looks like to the simulator.
//!
//! Everything the executor and the kernels' tiling need to know about the hardware lives in
//! [`Machine`], a plain serde type so that a user can describe their own part in TOML or JSON.
//! Shipped presets are TOML files under `presets/`, compiled in with `include_str!`, each number
//! carrying its public source (or an "assumed" mark) in a comment.

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// The TOML text of the shipped `ascend910b-like` preset.
pub const ASCEND_910B_LIKE_TOML: &str = include_str!("../presets/ascend910b-like.toml");

/// Names of the presets [`Machine::preset`] knows.
pub const PRESET_NAMES: &[&str] = &["ascend910b-like"];

/// Most vector cores one cube core may have (cores are numbered with a `u8`; real parts
/// have 1 or 2).
pub const MAX_VECTOR_CORES: u32 = 16;

/// Slowest transfer rate a machine may describe, in bytes per cycle (per path, per core GM
/// port, and the chip's L2 and HBM bandwidth at its clock). A transfer of up to 4 GiB then
/// costs at most 2^42 cycles, so the executor's 64-bit cycle counts cannot overflow.
pub const MIN_BYTES_PER_CYCLE: f64 = 1e-3;

/// Most cycles a vector repeat may cost (same reason as [`MIN_BYTES_PER_CYCLE`]).
pub const MAX_CYCLES_PER_REPEAT: f64 = 1e6;

/// The clock range a machine may describe, in GHz (1 MHz to 1 THz): seconds and FLOP/s
/// derived from cycle counts stay finite and non-zero.
pub const CLOCK_GHZ_RANGE: (f64, f64) = (1e-3, 1e3);

/// How the cube (matrix) and vector units of a core are put together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Arrangement {
    /// Separate cube cores (AIC) and vector cores (AIV); they exchange data only through
    /// global memory (Ascend 910B / Atlas A2).
    Split,
}

/// The cube unit: fractal matrix multiply-accumulate into L0C.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CubeUnit {
    /// Rows of the output fractal computed per cycle.
    pub frac_m: u32,
    /// Columns of the output fractal computed per cycle.
    pub frac_n: u32,
    /// Depth of the reduction per cycle.
    pub frac_k: u32,
    /// Whether L0C can accumulate in fp16 (false: fp32 only, as on 910B).
    pub l0c_f16_accumulation: bool,
    /// Fixed cycles per `Mmad` before the first fractal.
    pub startup_cycles: u32,
}

/// The vector unit: SIMD over 256-byte repeats in UB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorUnit {
    /// Bytes one repeat processes (fp16 lanes = bytes / 2, fp32 lanes = bytes / 4).
    pub bytes_per_repeat: u32,
    /// Fixed cycles per vector instruction.
    pub startup_cycles: u32,
    /// Cycles per repeat of add/sub/mul/max/fused multiply-add.
    pub elementwise_cycles_per_repeat: f64,
    /// Cycles per repeat of `exp`.
    pub exp_cycles_per_repeat: f64,
    /// Cycles per repeat of a row reduction (max or sum).
    pub reduce_cycles_per_repeat: f64,
    /// Cycles per repeat of a cast, counted on the wider type.
    pub cast_cycles_per_repeat: f64,
}

/// The scalar unit: instruction issue and loop control.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalarUnit {
    /// Cycles to issue one instruction to a pipe queue.
    pub issue_cycles: u32,
    /// Scalar cycles per tile-loop iteration.
    pub loop_overhead_cycles: u32,
}

/// Capacities and alignments of the on-core buffers, in bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // field names are the buffer names; units are bytes
pub struct Buffers {
    pub l1_bytes: u64,
    pub l0a_bytes: u64,
    pub l0b_bytes: u64,
    pub l0c_bytes: u64,
    pub ub_bytes: u64,
    pub l1_align: u64,
    pub l0a_align: u64,
    pub l0b_align: u64,
    pub l0c_align: u64,
    pub ub_align: u64,
}

/// One data path: a peak rate and a fixed latency.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// Peak bytes per cycle.
    pub bytes_per_cycle: f64,
    /// Cycles from issue to the first byte.
    pub latency_cycles: u32,
}

/// The transfer paths of a core.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)] // field names are the paths
pub struct Paths {
    pub gm_to_l1: Link,
    pub gm_to_ub: Link,
    pub l1_to_l0a: Link,
    pub l1_to_l0b: Link,
    pub l0c_to_gm: Link,
    pub l0c_to_l1: Link,
    pub ub_to_gm: Link,
}

/// Chip-level memory shared by all cores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Memory {
    /// HBM bandwidth of the whole chip, bytes per second.
    pub hbm_bytes_per_s: f64,
    /// L2 bandwidth of the whole chip, bytes per second.
    pub l2_bytes_per_s: f64,
    /// L2 capacity in bytes.
    pub l2_bytes: u64,
    /// Bytes per cycle one core's GM port sustains (reads and writes together).
    pub core_gm_port_bytes_per_cycle: f64,
    /// Cycles for a cross-core flag to reach the other core.
    pub cross_core_latency_cycles: u32,
}

/// A whole chip as the simulator sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    /// Preset or user name.
    pub name: String,
    /// Core clock in GHz.
    pub clock_ghz: f64,
    /// How cube and vector units are arranged.
    pub arrangement: Arrangement,
    /// Number of cube cores (AIC).
    pub cube_cores: u32,
    /// Vector cores (AIV) paired with each cube core.
    pub vector_cores_per_cube: u32,
    /// The cube unit.
    pub cube: CubeUnit,
    /// The vector unit.
    pub vector: VectorUnit,
    /// The scalar unit.
    pub scalar: ScalarUnit,
    /// Buffer capacities.
    pub buffers: Buffers,
    /// Transfer paths.
    pub paths: Paths,
    /// Shared memory system.
    pub memory: Memory,
}

impl Machine {
    /// Loads a shipped preset by name (see [`PRESET_NAMES`]).
    ///
    /// # Errors
    /// [`SimError::UnknownPreset`] for a name not in [`PRESET_NAMES`]; a parse or validation
    /// error if the shipped file is broken (a bug, caught by the crate's tests).
    pub fn preset(name: &str) -> Result<Self, SimError> {
        match name {
            "ascend910b-like" => Self::from_toml_str(ASCEND_910B_LIKE_TOML),
            _ => Err(SimError::UnknownPreset {
                name: name.to_owned(),
                known: PRESET_NAMES.join(", "),
            }),
        }
    }

    /// The `ascend910b-like` preset.
    ///
    /// # Errors
    /// As [`Machine::preset`].
    pub fn ascend910b_like() -> Result<Self, SimError> {
        Self::preset("ascend910b-like")
    }

    /// Parses and validates a machine description written in TOML.
    ///
    /// # Errors
    /// [`SimError::MachineParse`] when the text is not a valid description;
    /// [`SimError::InvalidMachine`] when a value is out of range.
    pub fn from_toml_str(text: &str) -> Result<Self, SimError> {
        let machine: Self = toml::from_str(text).map_err(|e| SimError::MachineParse {
            message: e.to_string(),
        })?;
        machine.validate()?;
        Ok(machine)
    }

    /// Checks that every rate, count and capacity is positive and finite, and that the
    /// values stay in the ranges the model's arithmetic needs: the clock within
    /// [`CLOCK_GHZ_RANGE`], every transfer rate (per path, per GM port, and the chip's L2 and
    /// HBM bandwidth per cycle) at least [`MIN_BYTES_PER_CYCLE`], every vector cost per
    /// repeat at most [`MAX_CYCLES_PER_REPEAT`], at most [`MAX_VECTOR_CORES`] vector cores
    /// per cube core, and [`Machine::total_cores`] within `u32`.
    ///
    /// # Errors
    /// [`SimError::InvalidMachine`] naming the first bad field.
    pub fn validate(&self) -> Result<(), SimError> {
        let positive = |field: &'static str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(SimError::InvalidMachine {
                    field,
                    value: v.to_string(),
                })
            }
        };
        let at_least = |field: &'static str, v: f64, min: f64| {
            if v >= min {
                Ok(())
            } else {
                Err(SimError::InvalidMachine {
                    field,
                    value: v.to_string(),
                })
            }
        };
        positive("clock_ghz", self.clock_ghz)?;
        let (lo, hi) = CLOCK_GHZ_RANGE;
        if !(lo..=hi).contains(&self.clock_ghz) {
            return Err(SimError::InvalidMachine {
                field: "clock_ghz (between 1e-3 and 1e3)",
                value: self.clock_ghz.to_string(),
            });
        }
        positive("cube_cores", f64::from(self.cube_cores))?;
        positive(
            "vector_cores_per_cube",
            f64::from(self.vector_cores_per_cube),
        )?;
        if self.vector_cores_per_cube > MAX_VECTOR_CORES {
            return Err(SimError::InvalidMachine {
                field: "vector_cores_per_cube (at most 16)",
                value: self.vector_cores_per_cube.to_string(),
            });
        }
        if self
            .cube_cores
            .checked_mul(1 + self.vector_cores_per_cube)
            .is_none()
        {
            return Err(SimError::InvalidMachine {
                field: "cube_cores (cube and vector cores together must fit in u32)",
                value: self.cube_cores.to_string(),
            });
        }
        positive("cube.frac_m", f64::from(self.cube.frac_m))?;
        positive("cube.frac_n", f64::from(self.cube.frac_n))?;
        positive("cube.frac_k", f64::from(self.cube.frac_k))?;
        positive(
            "vector.bytes_per_repeat",
            f64::from(self.vector.bytes_per_repeat),
        )?;
        positive(
            "vector.elementwise_cycles_per_repeat",
            self.vector.elementwise_cycles_per_repeat,
        )?;
        positive(
            "vector.exp_cycles_per_repeat",
            self.vector.exp_cycles_per_repeat,
        )?;
        positive(
            "vector.reduce_cycles_per_repeat",
            self.vector.reduce_cycles_per_repeat,
        )?;
        positive(
            "vector.cast_cycles_per_repeat",
            self.vector.cast_cycles_per_repeat,
        )?;
        for (field, v) in [
            (
                "vector.elementwise_cycles_per_repeat (at most 1e6)",
                self.vector.elementwise_cycles_per_repeat,
            ),
            (
                "vector.exp_cycles_per_repeat (at most 1e6)",
                self.vector.exp_cycles_per_repeat,
            ),
            (
                "vector.reduce_cycles_per_repeat (at most 1e6)",
                self.vector.reduce_cycles_per_repeat,
            ),
            (
                "vector.cast_cycles_per_repeat (at most 1e6)",
                self.vector.cast_cycles_per_repeat,
            ),
        ] {
            if v > MAX_CYCLES_PER_REPEAT {
                return Err(SimError::InvalidMachine {
                    field,
                    value: v.to_string(),
                });
            }
        }
        let b = &self.buffers;
        for (field, v) in [
            ("buffers.l1_bytes", b.l1_bytes),
            ("buffers.l0a_bytes", b.l0a_bytes),
            ("buffers.l0b_bytes", b.l0b_bytes),
            ("buffers.l0c_bytes", b.l0c_bytes),
            ("buffers.ub_bytes", b.ub_bytes),
            ("buffers.l1_align", b.l1_align),
            ("buffers.l0a_align", b.l0a_align),
            ("buffers.l0b_align", b.l0b_align),
            ("buffers.l0c_align", b.l0c_align),
            ("buffers.ub_align", b.ub_align),
        ] {
            // Capacities are far below 2^53, so the conversion is exact.
            #[allow(clippy::cast_precision_loss)]
            positive(field, v as f64)?;
        }
        let p = &self.paths;
        for (field, link) in [
            ("paths.gm_to_l1", p.gm_to_l1),
            ("paths.gm_to_ub", p.gm_to_ub),
            ("paths.l1_to_l0a", p.l1_to_l0a),
            ("paths.l1_to_l0b", p.l1_to_l0b),
            ("paths.l0c_to_gm", p.l0c_to_gm),
            ("paths.l0c_to_l1", p.l0c_to_l1),
            ("paths.ub_to_gm", p.ub_to_gm),
        ] {
            positive(field, link.bytes_per_cycle)?;
            at_least(field, link.bytes_per_cycle, MIN_BYTES_PER_CYCLE)?;
        }
        positive("memory.hbm_bytes_per_s", self.memory.hbm_bytes_per_s)?;
        positive("memory.l2_bytes_per_s", self.memory.l2_bytes_per_s)?;
        positive(
            "memory.core_gm_port_bytes_per_cycle",
            self.memory.core_gm_port_bytes_per_cycle,
        )?;
        at_least(
            "memory.core_gm_port_bytes_per_cycle",
            self.memory.core_gm_port_bytes_per_cycle,
            MIN_BYTES_PER_CYCLE,
        )?;
        let hz = self.clock_ghz * 1e9;
        for (field, bytes_per_s, per_cycle) in [
            (
                "memory.hbm_bytes_per_s (at least 1e-3 B per cycle)",
                self.memory.hbm_bytes_per_s,
                self.memory.hbm_bytes_per_s / hz,
            ),
            (
                "memory.l2_bytes_per_s (at least 1e-3 B per cycle per core)",
                self.memory.l2_bytes_per_s,
                self.memory.l2_bytes_per_s / hz / f64::from(self.total_cores()),
            ),
        ] {
            if per_cycle < MIN_BYTES_PER_CYCLE {
                return Err(SimError::InvalidMachine {
                    field,
                    value: bytes_per_s.to_string(),
                });
            }
        }
        Ok(())
    }

    /// Total cores that touch GM when every cluster runs: cube cores plus vector cores.
    #[must_use]
    pub fn total_cores(&self) -> u32 {
        self.cube_cores * (1 + self.vector_cores_per_cube)
    }

    /// Peak fp16 cube throughput of the chip in FLOP/s (2 FLOP per MAC).
    #[must_use]
    pub fn peak_flops(&self) -> f64 {
        // In f64: the fractal sizes are validated only as positive, so their product may
        // exceed u32 (for real parts it is exact either way).
        let macs =
            f64::from(self.cube.frac_m) * f64::from(self.cube.frac_n) * f64::from(self.cube.frac_k);
        2.0 * macs * f64::from(self.cube_cores) * self.clock_ghz * 1e9
    }

    /// The GM bandwidth one core gets, in bytes per cycle, when `active_cores` cores stream
    /// at once: the smaller of its port and its share of the chip's L2 bandwidth.
    ///
    /// Working sets of the attention kernels (K and V of a head, the score workspace) fit in
    /// L2, so L2 is the level that is shared; compulsory HBM traffic is reported separately.
    #[must_use]
    pub fn gm_share_bytes_per_cycle(&self, active_cores: u32) -> f64 {
        let l2_per_cycle = self.memory.l2_bytes_per_s / (self.clock_ghz * 1e9);
        let share = l2_per_cycle / f64::from(active_cores.max(1));
        share.min(self.memory.core_gm_port_bytes_per_cycle)
    }
}
