//! An Ascend-like AI-core simulator that runs tiled Flash Attention and PASA kernels.
//!
//! PASA's speed claim is about memory-restricted accelerators: on split-core Ascend parts the
//! cube unit (matrix engine) and the vector unit (softmax) exchange scores and probabilities
//! through global memory, so keeping them in fp16 instead of fp32 halves that traffic and
//! doubles vector throughput. This crate lets a user see where cycles and bytes go on a
//! machine they describe.
//!
//! - [`Machine`]: the machine description (serde), with shipped presets ([`Machine::preset`]).
//! - [`ir`]: the kernel IR (copies, `Mmad`, vector ops, casts, flags, barriers, buffer
//!   reservations) and [`InstrSink`], where kernels stream instructions.
//! - [`Executor`]: the event-driven timing model of one cluster (a cube core and its vector
//!   cores), one in-order queue per pipe.
//! - [`Report`] and [`trace::chrome_trace_json`]: what a run reports.
#![warn(missing_docs)]

pub mod error;
pub mod executor;
pub mod ir;
pub mod kernels;
pub mod machine;
pub mod report;
pub mod sweep;
pub mod tiling;
pub mod trace;

pub use error::SimError;
pub use executor::{ExecParams, Executor};
pub use ir::{Buffer, Core, DType, InstrSink, Op, Path, Pipe, VecClass};
pub use kernels::{KernelKind, Launch, LaunchParams, run_attention, simulate_attention};
pub use machine::Machine;
pub use report::{ClusterReport, Report};
pub use tiling::Tiling;
