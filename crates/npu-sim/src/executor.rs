//! The timing executor: computes when every instruction of a cluster (one cube core and its
//! vector cores) starts and ends, and what each unit, path and buffer did.
//!
//! # Model
//! Each pipe of each core is an in-order queue, so one pass over the instruction stream in
//! program order is an exact event simulation of it: an instruction starts at the latest of
//! (its pipe is free, the scalar unit has issued it, the flags it waits on are set, the GM
//! port is free for a GM transfer) and ends `duration` cycles later. Costs:
//! - transfer: the mover is busy `ceil(bytes / rate)` cycles and the data lands `latency`
//!   cycles later (the mover streams its next transfer meanwhile, so back-to-back transfers
//!   pay the latency once); rate = the path's rate, capped for GM paths by the core's share
//!   of GM bandwidth ([`crate::Machine::gm_share_bytes_per_cycle`]); a GM transfer also holds
//!   the core's GM port for `ceil(bytes / share)` cycles, so reads and writes of one core
//!   share its port; a flag set after a transfer waits for it to land;
//! - `Mmad`: `startup + ceil(m/16) ceil(n/16) ceil(k/16)` (fractal sizes from the machine);
//! - vector: `startup + ceil(repeats * cycles_per_repeat)`, `repeats = ceil(elems * size /
//!   256)`; fp16 thus runs twice the lanes of fp32; casts count repeats on the wider type;
//! - every instruction costs the scalar unit `issue_cycles` to issue.
//!
//! Flags are FIFOs of set times; a wait on another core's flag adds the cross-core latency.
//! Per instruction the executor does a handful of integer operations and no allocation
//! (unless the trace is on), so it runs tens of millions of instructions per second.

use std::collections::VecDeque;

use crate::error::SimError;
use crate::ir::{Buffer, Core, DType, InstrSink, Op, Path, Pipe, VecClass};
use crate::machine::{Link, Machine};
use crate::report::{ClusterReport, CoreReport};
use crate::trace::TraceEvent;

/// Options of one simulation.
#[derive(Clone, Debug)]
pub struct ExecParams {
    /// Cores of the chip streaming through GM at once (for the bandwidth share).
    pub active_cores: u32,
    /// Keep at most this many timeline events for the Chrome trace (0: no trace).
    pub trace_events: usize,
}

impl ExecParams {
    /// Every core of `machine` active, no trace.
    #[must_use]
    pub fn full_chip(machine: &Machine) -> Self {
        Self {
            active_cores: machine.total_cores(),
            trace_events: 0,
        }
    }
}

#[derive(Clone, Debug, Default)]
struct CoreState {
    /// When each pipe can start its next instruction.
    pipe_free: [u64; 7],
    /// When the last instruction issued to each pipe completes (a transfer's latency runs
    /// past `pipe_free`: the mover streams the next transfer while this one lands).
    pipe_done: [u64; 7],
    busy: [u64; 7],
    issue: u64,
    port_free: u64,
    occupancy: [u64; 5],
    peak: [u64; 5],
}

/// A pending flag set: when it happens and on which core.
#[derive(Clone, Copy, Debug)]
struct FlagSet {
    time: u64,
    core: usize,
}

/// The event-driven timing simulator of one cluster; feed it instructions through
/// [`InstrSink::push`], then call [`Executor::finish`].
#[derive(Debug)]
pub struct Executor<'m> {
    machine: &'m Machine,
    gm_share: f64,
    cores: Vec<CoreState>,
    flags: Vec<VecDeque<FlagSet>>,
    bytes: [u64; 7],
    flops: u64,
    instructions: u64,
    end: u64,
    trace: Vec<TraceEvent>,
    trace_cap: usize,
}

fn ceil_div_f(bytes: u32, rate: f64) -> u64 {
    // Cycle counts stay far below 2^52, so f64 is exact for them.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let cycles = (f64::from(bytes) / rate).ceil() as u64;
    cycles
}

impl<'m> Executor<'m> {
    /// A fresh cluster of `machine` at time zero.
    #[must_use]
    pub fn new(machine: &'m Machine, params: &ExecParams) -> Self {
        let n_cores = 1 + machine.vector_cores_per_cube as usize;
        Self {
            machine,
            gm_share: machine.gm_share_bytes_per_cycle(params.active_cores),
            cores: vec![CoreState::default(); n_cores],
            flags: Vec::new(),
            bytes: [0; 7],
            flops: 0,
            instructions: 0,
            end: 0,
            trace: Vec::new(),
            trace_cap: params.trace_events,
        }
    }

    /// The GM bandwidth per core this executor uses, bytes per cycle.
    #[must_use]
    pub fn gm_share(&self) -> f64 {
        self.gm_share
    }

    fn link(&self, path: Path) -> Link {
        let p = &self.machine.paths;
        match path {
            Path::GmToL1 => p.gm_to_l1,
            Path::GmToUb => p.gm_to_ub,
            Path::L1ToL0A => p.l1_to_l0a,
            Path::L1ToL0B => p.l1_to_l0b,
            Path::L0CToGm => p.l0c_to_gm,
            Path::L0CToL1 => p.l0c_to_l1,
            Path::UbToGm => p.ub_to_gm,
        }
    }

    fn capacity(&self, buffer: Buffer) -> (u64, u64) {
        let b = &self.machine.buffers;
        match buffer {
            Buffer::L1 => (b.l1_bytes, b.l1_align),
            Buffer::L0A => (b.l0a_bytes, b.l0a_align),
            Buffer::L0B => (b.l0b_bytes, b.l0b_align),
            Buffer::L0C => (b.l0c_bytes, b.l0c_align),
            Buffer::Ub => (b.ub_bytes, b.ub_align),
        }
    }

    fn vector_cycles(&self, class: VecClass, dtype: DType, elems: u32) -> u64 {
        let v = &self.machine.vector;
        let per_repeat = match class {
            VecClass::Elementwise => v.elementwise_cycles_per_repeat,
            VecClass::Exp => v.exp_cycles_per_repeat,
            VecClass::Reduce => v.reduce_cycles_per_repeat,
        };
        self.repeat_cycles(dtype, elems, per_repeat)
    }

    fn repeat_cycles(&self, dtype: DType, elems: u32, per_repeat: f64) -> u64 {
        let v = &self.machine.vector;
        let bytes = u64::from(elems) * u64::from(dtype.size());
        let repeats = bytes.div_ceil(u64::from(v.bytes_per_repeat));
        // Repeat counts stay far below 2^52.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let cycles = (repeats as f64 * per_repeat).ceil() as u64;
        u64::from(v.startup_cycles) + cycles
    }

    fn check_unit(core: Core, pipe: Pipe) -> Result<(), SimError> {
        let (unit, expected, ok) = match pipe {
            Pipe::M | Pipe::Mte1 | Pipe::Fix => ("cube", "cube core (AIC)", core == Core::Aic),
            Pipe::V | Pipe::Mte3 => ("vector", "vector core (AIV)", core != Core::Aic),
            Pipe::S | Pipe::Mte2 => ("scalar", "any core", true),
        };
        if ok {
            Ok(())
        } else {
            Err(SimError::UnitNotOnCore {
                core: core.name(),
                unit,
                expected,
            })
        }
    }

    /// Runs `pipe` of core `ci`, starting no earlier than `earliest`: the pipe is busy for
    /// `busy` cycles and the instruction completes `latency` cycles after that; returns the
    /// start.
    fn occupy(
        &mut self,
        ci: usize,
        pipe: Pipe,
        earliest: u64,
        (busy, latency): (u64, u64),
        core: Core,
    ) -> u64 {
        let st = &mut self.cores[ci];
        let p = pipe.index();
        let start = st.pipe_free[p].max(st.issue).max(earliest);
        st.pipe_free[p] = start + busy;
        let done = start + busy + latency;
        st.pipe_done[p] = st.pipe_done[p].max(done);
        st.busy[p] += busy;
        self.end = self.end.max(done);
        if self.trace.len() < self.trace_cap && busy > 0 {
            self.trace.push(TraceEvent {
                core,
                pipe,
                start,
                duration: busy,
            });
        }
        start
    }

    fn flag_queue(&mut self, flag: u16) -> &mut VecDeque<FlagSet> {
        let i = usize::from(flag);
        if self.flags.len() <= i {
            self.flags.resize_with(i + 1, VecDeque::new);
        }
        &mut self.flags[i]
    }

    /// Ends the simulation and reports what happened.
    #[must_use]
    pub fn finish(self) -> ClusterReport {
        let cores = self
            .cores
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let core = if i == 0 {
                    Core::Aic
                } else {
                    // Vector cores per cube are validated to fit comfortably in u8.
                    #[allow(clippy::cast_possible_truncation)]
                    Core::Aiv((i - 1) as u8)
                };
                CoreReport {
                    core,
                    busy: st.busy,
                    peak: st.peak,
                }
            })
            .collect();
        ClusterReport {
            cycles: self.end,
            cores,
            bytes: self.bytes,
            flops: self.flops,
            instructions: self.instructions,
            trace: self.trace,
        }
    }
}

impl InstrSink for Executor<'_> {
    #[inline]
    fn push(&mut self, core: Core, op: Op) -> Result<(), SimError> {
        let ci = core.index();
        if ci >= self.cores.len() {
            let index = match core {
                Core::Aiv(n) => n,
                Core::Aic => 0,
            };
            return Err(SimError::NoSuchCore {
                index,
                count: self.machine.vector_cores_per_cube,
            });
        }
        self.instructions += 1;
        let issue_cycles = u64::from(self.machine.scalar.issue_cycles);
        match op {
            Op::Copy { path, bytes } => {
                if !path.on_core(core) {
                    return Err(SimError::PathNotOnCore {
                        core: core.name(),
                        path: path.name(),
                    });
                }
                let link = self.link(path);
                let pipe = path.pipe();
                let (rate, port_earliest) = if path.touches_gm() {
                    (
                        link.bytes_per_cycle.min(self.gm_share),
                        self.cores[ci].port_free,
                    )
                } else {
                    (link.bytes_per_cycle, 0)
                };
                let busy = ceil_div_f(bytes, rate);
                let latency = u64::from(link.latency_cycles);
                let start = self.occupy(ci, pipe, port_earliest, (busy, latency), core);
                if path.touches_gm() {
                    self.cores[ci].port_free = start + ceil_div_f(bytes, self.gm_share);
                }
                self.bytes[path.index()] += u64::from(bytes);
            }
            Op::Mmad { m, n, k } => {
                Self::check_unit(core, Pipe::M)?;
                let c = &self.machine.cube;
                let duration = u64::from(c.startup_cycles)
                    + u64::from(m.div_ceil(c.frac_m))
                        * u64::from(n.div_ceil(c.frac_n))
                        * u64::from(k.div_ceil(c.frac_k));
                self.occupy(ci, Pipe::M, 0, (duration, 0), core);
                self.flops += 2 * u64::from(m) * u64::from(n) * u64::from(k);
            }
            Op::Vector {
                class,
                dtype,
                elems,
            } => {
                Self::check_unit(core, Pipe::V)?;
                let duration = self.vector_cycles(class, dtype, elems);
                self.occupy(ci, Pipe::V, 0, (duration, 0), core);
            }
            Op::Cast { from, to, elems } => {
                Self::check_unit(core, Pipe::V)?;
                let wide = if from.size() >= to.size() { from } else { to };
                let duration =
                    self.repeat_cycles(wide, elems, self.machine.vector.cast_cycles_per_repeat);
                self.occupy(ci, Pipe::V, 0, (duration, 0), core);
            }
            Op::Scalar { cycles } => {
                let st = &mut self.cores[ci];
                st.issue += u64::from(cycles);
                st.busy[Pipe::S.index()] += u64::from(cycles);
                self.end = self.end.max(st.issue);
            }
            Op::SetFlag { pipe, flag } => {
                Self::check_unit(core, pipe)?;
                let st = &self.cores[ci];
                let time = st.pipe_done[pipe.index()].max(st.issue);
                self.flag_queue(flag).push_back(FlagSet { time, core: ci });
            }
            Op::WaitFlag { pipe, flag } => {
                Self::check_unit(core, pipe)?;
                let Some(set) = self.flag_queue(flag).pop_front() else {
                    return Err(SimError::WaitWithoutSet {
                        core: core.name(),
                        pipe: pipe.name(),
                        flag,
                    });
                };
                let latency = if set.core == ci {
                    0
                } else {
                    u64::from(self.machine.memory.cross_core_latency_cycles)
                };
                let st = &mut self.cores[ci];
                let p = pipe.index();
                st.pipe_free[p] = st.pipe_free[p].max(set.time + latency);
            }
            Op::Barrier => {
                let st = &mut self.cores[ci];
                let t = st.pipe_done.iter().copied().fold(st.issue, u64::max);
                st.pipe_free = [t; 7];
                st.pipe_done = [t; 7];
                st.issue = t;
            }
            Op::Alloc { buffer, bytes } => {
                let (capacity, align) = self.capacity(buffer);
                let requested = bytes.div_ceil(align) * align;
                let st = &mut self.cores[ci];
                let b = buffer.index();
                if st.occupancy[b] + requested > capacity {
                    return Err(SimError::BufferOverflow {
                        core: core.name(),
                        buffer: buffer.name(),
                        requested,
                        in_use: st.occupancy[b],
                        capacity,
                    });
                }
                st.occupancy[b] += requested;
                st.peak[b] = st.peak[b].max(st.occupancy[b]);
                return Ok(());
            }
            Op::Free { buffer, bytes } => {
                let (_, align) = self.capacity(buffer);
                let released = bytes.div_ceil(align) * align;
                let st = &mut self.cores[ci];
                let b = buffer.index();
                if released > st.occupancy[b] {
                    return Err(SimError::BufferUnderflow {
                        core: core.name(),
                        buffer: buffer.name(),
                        bytes: released,
                        in_use: st.occupancy[b],
                    });
                }
                st.occupancy[b] -= released;
                return Ok(());
            }
        }
        let st = &mut self.cores[ci];
        st.issue += issue_cycles;
        st.busy[Pipe::S.index()] += issue_cycles;
        // The cluster is not done before its scalar units have issued everything (as for
        // `Op::Scalar`); otherwise trailing flags could leave the S pipe busier than the run.
        self.end = self.end.max(st.issue);
        Ok(())
    }
}
