//! The kernel IR: the instructions an Ascend-like core issues to its pipes.
//!
//! The IR is deliberately small and `Copy`: kernels stream instructions into an
//! [`InstrSink`] (usually the [`crate::Executor`]) one at a time, so a 32k-token attention
//! head never materialises a multi-million-element program. Ordering follows the hardware:
//! each [`Pipe`] of a core runs its instructions in issue order; different pipes and
//! different cores are ordered only by flags ([`Op::SetFlag`] / [`Op::WaitFlag`]) and
//! barriers ([`Op::Barrier`]).

use crate::error::SimError;

/// A core of a cluster: the cube core (AIC) or one of its vector cores (AIV).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Core {
    /// The cube core.
    Aic,
    /// Vector core number `n` of the cluster (0-based).
    Aiv(u8),
}

impl Core {
    /// Index into per-core tables: 0 for the AIC, 1 + n for AIV n.
    #[must_use]
    pub fn index(self) -> usize {
        match self {
            Self::Aic => 0,
            Self::Aiv(n) => 1 + usize::from(n),
        }
    }

    /// A short name for reports and traces ("aic", "aiv0", ...).
    #[must_use]
    pub fn name(self) -> String {
        match self {
            Self::Aic => "aic".to_owned(),
            Self::Aiv(n) => format!("aiv{n}"),
        }
    }
}

/// An instruction queue of a core (Ascend C: `PIPE_S`, `PIPE_MTE1`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Pipe {
    /// Scalar unit: issue and loop control.
    S,
    /// L1 -> L0A / L0B mover.
    Mte1,
    /// GM -> L1 (AIC) or GM -> UB (AIV) mover.
    Mte2,
    /// UB -> GM mover.
    Mte3,
    /// FixPipe: L0C -> GM / L1 with conversion.
    Fix,
    /// The cube (matrix) unit.
    M,
    /// The vector unit.
    V,
}

impl Pipe {
    /// All pipes, in the order used by per-pipe tables.
    pub const ALL: [Self; 7] = [
        Self::S,
        Self::Mte1,
        Self::Mte2,
        Self::Mte3,
        Self::Fix,
        Self::M,
        Self::V,
    ];

    /// Index into per-pipe tables.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The Ascend C name of the pipe.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::S => "S",
            Self::Mte1 => "MTE1",
            Self::Mte2 => "MTE2",
            Self::Mte3 => "MTE3",
            Self::Fix => "FIX",
            Self::M => "M",
            Self::V => "V",
        }
    }
}

/// An on-core buffer with a capacity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Buffer {
    /// L1 of the cube core.
    L1,
    /// Left-operand buffer of the cube.
    L0A,
    /// Right-operand buffer of the cube.
    L0B,
    /// Accumulator buffer of the cube.
    L0C,
    /// Unified buffer of a vector core.
    Ub,
}

impl Buffer {
    /// All buffers, in the order used by per-buffer tables.
    pub const ALL: [Self; 5] = [Self::L1, Self::L0A, Self::L0B, Self::L0C, Self::Ub];

    /// Index into per-buffer tables.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The buffer's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::L1 => "L1",
            Self::L0A => "L0A",
            Self::L0B => "L0B",
            Self::L0C => "L0C",
            Self::Ub => "UB",
        }
    }
}

/// A data path between two memories, each moved by one pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Path {
    /// Global memory to L1 (MTE2 on the AIC).
    GmToL1,
    /// Global memory to UB (MTE2 on an AIV).
    GmToUb,
    /// L1 to L0A (MTE1).
    L1ToL0A,
    /// L1 to L0B (MTE1).
    L1ToL0B,
    /// L0C to global memory (FixPipe).
    L0CToGm,
    /// L0C to L1 (FixPipe).
    L0CToL1,
    /// UB to global memory (MTE3).
    UbToGm,
}

impl Path {
    /// All paths, in the order used by per-path tables.
    pub const ALL: [Self; 7] = [
        Self::GmToL1,
        Self::GmToUb,
        Self::L1ToL0A,
        Self::L1ToL0B,
        Self::L0CToGm,
        Self::L0CToL1,
        Self::UbToGm,
    ];

    /// Index into per-path tables.
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The pipe that moves data on this path.
    #[must_use]
    pub fn pipe(self) -> Pipe {
        match self {
            Self::GmToL1 | Self::GmToUb => Pipe::Mte2,
            Self::L1ToL0A | Self::L1ToL0B => Pipe::Mte1,
            Self::L0CToGm | Self::L0CToL1 => Pipe::Fix,
            Self::UbToGm => Pipe::Mte3,
        }
    }

    /// Whether the path reads or writes global memory (and so uses the core's GM port).
    #[must_use]
    pub fn touches_gm(self) -> bool {
        matches!(
            self,
            Self::GmToL1 | Self::GmToUb | Self::L0CToGm | Self::UbToGm
        )
    }

    /// Whether a core of the given kind owns this path (AIC: L1/L0/FixPipe; AIV: UB).
    #[must_use]
    pub fn on_core(self, core: Core) -> bool {
        match core {
            Core::Aic => !matches!(self, Self::GmToUb | Self::UbToGm),
            Core::Aiv(_) => matches!(self, Self::GmToUb | Self::UbToGm),
        }
    }

    /// The path's name ("GM->L1", ...).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::GmToL1 => "GM->L1",
            Self::GmToUb => "GM->UB",
            Self::L1ToL0A => "L1->L0A",
            Self::L1ToL0B => "L1->L0B",
            Self::L0CToGm => "L0C->GM",
            Self::L0CToL1 => "L0C->L1",
            Self::UbToGm => "UB->GM",
        }
    }
}

/// Element type of a vector operand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    /// IEEE binary16.
    F16,
    /// IEEE binary32.
    F32,
}

impl DType {
    /// Bytes per element.
    #[must_use]
    pub fn size(self) -> u32 {
        match self {
            Self::F16 => 2,
            Self::F32 => 4,
        }
    }
}

/// Cost class of a vector instruction (its cycles per repeat come from the machine).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VecClass {
    /// add, sub, mul, max, muls, adds, axpy, division by a broadcast row value.
    Elementwise,
    /// exp.
    Exp,
    /// Row reduction (max or sum) over the operand.
    Reduce,
}

/// One flag (an Ascend event ID or a cross-core flag), scoped to a cluster.
///
/// A flag is a FIFO of "set" events: each [`Op::WaitFlag`] consumes the oldest set, so a
/// producer/consumer pair with `n` slots is a flag pre-set `n` times.
pub type Flag = u16;

/// One instruction of a core.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    /// Move `bytes` along `path`.
    Copy {
        /// The path.
        path: Path,
        /// Bytes moved.
        bytes: u32,
    },
    /// Cube multiply-accumulate of an `m x k` by `k x n` tile into L0C.
    Mmad {
        /// Output rows.
        m: u32,
        /// Output columns.
        n: u32,
        /// Reduction depth.
        k: u32,
    },
    /// A vector instruction over `elems` elements of type `dtype`.
    Vector {
        /// Cost class.
        class: VecClass,
        /// Element type.
        dtype: DType,
        /// Elements processed.
        elems: u32,
    },
    /// Vector cast of `elems` elements.
    Cast {
        /// Source type.
        from: DType,
        /// Destination type.
        to: DType,
        /// Elements converted.
        elems: u32,
    },
    /// Scalar work of `cycles` cycles.
    Scalar {
        /// Cycles.
        cycles: u32,
    },
    /// Set `flag` when every earlier instruction of `pipe` on this core has finished.
    SetFlag {
        /// The pipe whose completion the flag signals.
        pipe: Pipe,
        /// The flag.
        flag: Flag,
    },
    /// Hold `pipe` of this core until the oldest pending set of `flag`.
    WaitFlag {
        /// The pipe that waits.
        pipe: Pipe,
        /// The flag.
        flag: Flag,
    },
    /// `PipeBarrier<PIPE_ALL>`: every pipe of this core waits for every earlier instruction.
    Barrier,
    /// Reserve `bytes` of `buffer` (rounded up to the buffer's alignment).
    Alloc {
        /// The buffer.
        buffer: Buffer,
        /// Bytes requested.
        bytes: u64,
    },
    /// Release `bytes` of `buffer` reserved by an earlier [`Op::Alloc`] of the same size.
    Free {
        /// The buffer.
        buffer: Buffer,
        /// Bytes released.
        bytes: u64,
    },
}

/// Where kernels send their instructions.
pub trait InstrSink {
    /// Receives the next instruction of `core`, in that core's program order.
    ///
    /// Instructions of different cores may be interleaved in any order in which every
    /// [`Op::SetFlag`] reaches the sink before the [`Op::WaitFlag`] that consumes it.
    ///
    /// # Errors
    /// Whatever the sink rejects: a buffer overflow, a wait with no pending set, a path
    /// used on the wrong kind of core.
    fn push(&mut self, core: Core, op: Op) -> Result<(), SimError>;
}

/// A sink that records the program, for inspection and tests of small kernels.
#[derive(Clone, Debug, Default)]
pub struct Recorder {
    /// The instructions received, in order.
    pub program: Vec<(Core, Op)>,
}

impl InstrSink for Recorder {
    fn push(&mut self, core: Core, op: Op) -> Result<(), SimError> {
        self.program.push((core, op));
        Ok(())
    }
}
