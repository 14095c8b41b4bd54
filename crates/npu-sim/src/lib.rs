//! An Ascend-like AI-core simulator that runs tiled Flash Attention and PASA kernels,
//! bit-exact with `pasa-core` and cycle-accounted.
//!
//! PASA's speed claim is about memory-restricted accelerators: on split-core Ascend parts the
//! cube unit (matrix engine) and the vector unit (softmax) exchange scores and probabilities
//! through global memory, so keeping them in fp16 instead of fp32 halves that traffic and
//! doubles vector throughput. The later version of the paper reports 1.2-1.65x over the
//! vendor's Flash Attention. Nobody outside the vendor can run that hardware; this crate lets
//! a user see where the cycles and bytes go on a machine they describe.
//!
//! # Layers
//! - [`Machine`] ([`machine`]): the machine description (serde), with shipped presets in
//!   TOML whose every number carries its public source or an "assumed" mark
//!   ([`Machine::preset`]).
//! - [`ir`]: the kernel IR (copies on named paths, `Mmad`, vector ops, casts, flags,
//!   barriers, buffer reservations) and [`InstrSink`], where kernels stream instructions.
//! - [`Executor`] ([`executor`]): the timing model of one cluster (a cube core and its
//!   vector cores), one in-order queue per pipe, costs from the machine description.
//! - [`kernels`]: Flash Attention (vendor-style fp32 softmax, naive fp16) and PASA (the
//!   authors' algorithm, [`KernelKind::Pasa`], and our variants) written in the IR, tiled from the buffers ([`tiling`]); [`simulate_attention`] (timing only) and
//!   [`run_attention`] (timing and the numbers, through `pasa-core`'s tile steps).
//! - [`Report`] ([`report`]) and [`Launch::chrome_trace_json`]: cycles, time, utilisation,
//!   bytes per path, peak buffer use, TFLOP/s, and a Perfetto timeline of cluster 0 (set
//!   [`LaunchParams::trace_events`]).
//! - [`sweep`]: PASA against the fp32-softmax baseline over sequence length and head
//!   dimension, next to the paper's range, and its sensitivity to assumed machine values.
//!
//! # Example
//! ```
//! use npu_sim::{KernelKind, LaunchParams, Machine, simulate_attention};
//! use pasa_core::AttentionShape;
//!
//! let machine = Machine::ascend910b_like()?;
//! let shape = AttentionShape {
//!     batch: 1, heads: 24, kv_heads: 24, seq_q: 4096, seq_k: 4096, head_dim: 128, value_dim: 128,
//! };
//! let params = LaunchParams::default();
//! let fa = simulate_attention(&machine, &KernelKind::FaFp32Softmax.kernel(), &shape, &params)?;
//! let pasa = simulate_attention(&machine, &KernelKind::Pasa.kernel(), &shape, &params)?;
//! println!("PASA {:.1} TFLOP/s, {:.2}x", pasa.report.tflops, fa.report.seconds / pasa.report.seconds);
//! assert!(pasa.report.gm_bytes < fa.report.gm_bytes);
//! # Ok::<(), npu_sim::SimError>(())
//! ```
//!
//! # What is modelled and what is not
//! Modelled: in-order pipes ordered by flags; transfer rate and latency per path; a per-core
//! GM port shared by reads and writes, capped by the core's share of the chip's L2
//! bandwidth; cube cycles per fractal; vector cycles per 256-byte repeat by instruction
//! class; scalar issue; buffer capacities. Not modelled: bank conflicts, DMA alignment
//! penalties, L2 misses (working sets are assumed L2-resident), dynamic bandwidth sharing
//! between clusters (shares are static), instruction-queue depth. docs/npu-sim.md says how
//! these choices move the results.
#![warn(missing_docs)]

pub mod checks;
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
pub use trace::{TraceEvent, chrome_trace_json};
