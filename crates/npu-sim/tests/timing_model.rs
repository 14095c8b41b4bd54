//! The timing model checked on programs whose time can be computed by hand: a single load,
//! a stream of `Mmad`s, a double-buffered pipeline (time = max(transfer, compute) plus fill
//! and drain), flag ordering across cores, and buffer capacity enforcement.
//!
//! Every expected value below is derived in the test's comment from the formulas in
//! `executor.rs`'s module doc and the machine built by `machine()`; all are exact integers,
//! so the comparisons are exact.

use npu_sim::ir::{Buffer, Core, DType, InstrSink, Op, Path, Pipe, VecClass};
use npu_sim::{ExecParams, Executor, Machine, SimError};

/// The preset with round numbers: GM 64 B/cycle with latency 100, no scalar issue cost,
/// no vector/cube startup, a GM port (and share) of 64 B/cycle.
fn machine() -> Machine {
    let mut m = Machine::ascend910b_like().expect("shipped preset parses");
    m.scalar.issue_cycles = 0;
    m.cube.startup_cycles = 0;
    m.vector.startup_cycles = 0;
    m.paths.gm_to_l1.bytes_per_cycle = 64.0;
    m.paths.gm_to_l1.latency_cycles = 100;
    m.paths.gm_to_ub.bytes_per_cycle = 64.0;
    m.paths.gm_to_ub.latency_cycles = 100;
    m.memory.core_gm_port_bytes_per_cycle = 64.0;
    m.memory.l2_bytes_per_s = 1e18; // the share never binds
    m.memory.cross_core_latency_cycles = 10;
    m
}

fn params() -> ExecParams {
    ExecParams {
        active_cores: 1,
        trace_events: 1000,
    }
}

#[test]
fn single_load_is_latency_plus_bytes_over_bandwidth() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    ex.push(
        Core::Aic,
        Op::Copy {
            path: Path::GmToL1,
            bytes: 6400,
        },
    )
    .unwrap();
    let r = ex.finish();
    // 100 + 6400 / 64 = 200; the mover itself is busy for the 100 cycles of streaming.
    assert_eq!(r.cycles, 200);
    assert_eq!(r.bytes_on(Path::GmToL1), 6400);
    assert_eq!(r.busy(Core::Aic, Pipe::Mte2), 100);
}

#[test]
fn back_to_back_loads_pay_the_latency_once() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    for _ in 0..3 {
        ex.push(
            Core::Aic,
            Op::Copy {
                path: Path::GmToL1,
                bytes: 6400,
            },
        )
        .unwrap();
    }
    // The mover streams 3 x 100 cycles; the last transfer lands 100 later: 400.
    assert_eq!(ex.finish().cycles, 400);
}

#[test]
fn partial_bandwidth_rounds_up() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    ex.push(
        Core::Aic,
        Op::Copy {
            path: Path::GmToL1,
            bytes: 65,
        },
    )
    .unwrap();
    // 100 + ceil(65 / 64) = 102.
    assert_eq!(ex.finish().cycles, 102);
}

#[test]
fn mmad_stream_costs_fractal_count_each() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    let shapes = [(128, 128, 128), (17, 16, 16), (1, 1, 1), (64, 256, 33)];
    for &(mm, n, k) in &shapes {
        ex.push(Core::Aic, Op::Mmad { m: mm, n, k }).unwrap();
    }
    let r = ex.finish();
    // 8*8*8 + 2*1*1 + 1 + 4*16*3 = 512 + 2 + 1 + 192 = 707, back to back on one pipe.
    assert_eq!(r.cycles, 707);
    assert_eq!(r.busy(Core::Aic, Pipe::M), 707);
    let flops: u64 = shapes
        .iter()
        .map(|&(a, b, c)| 2 * u64::from(a) * u64::from(b) * u64::from(c))
        .sum();
    assert_eq!(r.flops, flops);
}

/// Emits `tiles` iterations of load (MTE2) -> compute (V) with `slots` buffers, the Ascend C
/// double-buffering protocol: `full` flag MTE2 -> V, `empty` flag V -> MTE2 pre-set `slots`
/// times.
fn pipeline(m: &Machine, tiles: u32, slots: u32, load_bytes: u32, vec_elems: u32) -> u64 {
    const FULL: u16 = 0;
    const EMPTY: u16 = 1;
    let mut ex = Executor::new(m, &params());
    let c = Core::Aiv(0);
    for _ in 0..slots {
        ex.push(
            c,
            Op::SetFlag {
                pipe: Pipe::V,
                flag: EMPTY,
            },
        )
        .unwrap();
    }
    for _ in 0..tiles {
        ex.push(
            c,
            Op::WaitFlag {
                pipe: Pipe::Mte2,
                flag: EMPTY,
            },
        )
        .unwrap();
        ex.push(
            c,
            Op::Copy {
                path: Path::GmToUb,
                bytes: load_bytes,
            },
        )
        .unwrap();
        ex.push(
            c,
            Op::SetFlag {
                pipe: Pipe::Mte2,
                flag: FULL,
            },
        )
        .unwrap();
        ex.push(
            c,
            Op::WaitFlag {
                pipe: Pipe::V,
                flag: FULL,
            },
        )
        .unwrap();
        ex.push(
            c,
            Op::Vector {
                class: VecClass::Elementwise,
                dtype: DType::F32,
                elems: vec_elems,
            },
        )
        .unwrap();
        ex.push(
            c,
            Op::SetFlag {
                pipe: Pipe::V,
                flag: EMPTY,
            },
        )
        .unwrap();
    }
    ex.finish().cycles
}

#[test]
fn double_buffering_hides_the_shorter_stage() {
    let m = machine();
    // Load: streams 25600/64 = 400 cycles, lands 100 later. Compute: 64 fp32 lanes per
    // repeat, 1 cycle per repeat, so 64 * 300 elements = 300 cycles.
    let (stream, latency, compute, n): (u64, u64, u64, u32) = (400, 100, 300, 10);
    // Transfer-bound: the loads stream back to back (slot reuse never waits because compute
    // is shorter); fill = the last load's latency, drain = the last compute:
    // n * max(transfer, compute) + latency + compute.
    assert_eq!(
        pipeline(&m, n, 2, 25_600, 64 * 300),
        u64::from(n) * stream + latency + compute
    );
    // Compute-bound: swap the costs (load 12800/64 = 200 + 100 latency, compute 500). The
    // first load fills, then computes run back to back: 300 + n * max(transfer, compute).
    assert_eq!(
        pipeline(&m, n, 2, 12_800, 64 * 500),
        300 + u64::from(n) * 500
    );
    // One slot serialises: n * (load + latency + compute).
    assert_eq!(
        pipeline(&m, n, 1, 25_600, 64 * 300),
        u64::from(n) * (stream + latency + compute)
    );
}

#[test]
fn cross_core_flag_adds_latency() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    ex.push(
        Core::Aic,
        Op::Mmad {
            m: 16,
            n: 16,
            k: 160,
        },
    )
    .unwrap(); // 10 cycles
    ex.push(
        Core::Aic,
        Op::SetFlag {
            pipe: Pipe::M,
            flag: 3,
        },
    )
    .unwrap();
    ex.push(
        Core::Aiv(1),
        Op::WaitFlag {
            pipe: Pipe::V,
            flag: 3,
        },
    )
    .unwrap();
    ex.push(
        Core::Aiv(1),
        Op::Vector {
            class: VecClass::Exp,
            dtype: DType::F16,
            elems: 128 * 5,
        },
    )
    .unwrap(); // 5 repeats x 2 cycles
    // 10 (mmad) + 10 (cross-core latency) + 10 (exp) = 30.
    assert_eq!(ex.finish().cycles, 30);
}

#[test]
fn fp16_vector_runs_twice_the_lanes_of_fp32() {
    let m = machine();
    let run = |dtype| {
        let mut ex = Executor::new(&m, &params());
        ex.push(
            Core::Aiv(0),
            Op::Vector {
                class: VecClass::Reduce,
                dtype,
                elems: 128 * 64,
            },
        )
        .unwrap();
        ex.finish().cycles
    };
    // 8192 elements: fp16 64 repeats, fp32 128 repeats.
    assert_eq!(run(DType::F16), 64);
    assert_eq!(run(DType::F32), 128);
}

#[test]
fn buffer_overflow_names_the_buffer() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    ex.push(
        Core::Aic,
        Op::Alloc {
            buffer: Buffer::L0A,
            bytes: 60_000,
        },
    )
    .unwrap();
    let err = ex
        .push(
            Core::Aic,
            Op::Alloc {
                buffer: Buffer::L0A,
                bytes: 8_192,
            },
        )
        .unwrap_err();
    match err {
        SimError::BufferOverflow {
            buffer,
            requested,
            in_use,
            capacity,
            ..
        } => {
            assert_eq!(buffer, "L0A");
            assert_eq!(requested, 8_192);
            // 60000 rounded up to the 512 B alignment of L0A.
            assert_eq!(in_use, 60_416);
            assert_eq!(capacity, 65_536);
        }
        other => panic!("expected BufferOverflow, got {other:?}"),
    }
}

#[test]
fn wait_before_set_is_a_typed_error() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    let err = ex
        .push(
            Core::Aiv(0),
            Op::WaitFlag {
                pipe: Pipe::V,
                flag: 7,
            },
        )
        .unwrap_err();
    assert!(matches!(err, SimError::WaitWithoutSet { flag: 7, .. }));
}

#[test]
fn units_are_checked_against_the_core_kind() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    let err = ex
        .push(
            Core::Aiv(0),
            Op::Mmad {
                m: 16,
                n: 16,
                k: 16,
            },
        )
        .unwrap_err();
    assert!(matches!(err, SimError::UnitNotOnCore { .. }));
    let err = ex
        .push(
            Core::Aic,
            Op::Copy {
                path: Path::GmToUb,
                bytes: 32,
            },
        )
        .unwrap_err();
    assert!(matches!(err, SimError::PathNotOnCore { .. }));
    let err = ex.push(Core::Aiv(2), Op::Barrier).unwrap_err();
    assert!(matches!(err, SimError::NoSuchCore { index: 2, count: 2 }));
}

#[test]
fn gm_port_is_shared_by_reads_and_writes_of_one_core() {
    let m = machine();
    let mut ex = Executor::new(&m, &params());
    // Two GM transfers of one core on different pipes: MTE2 (read) and FIX (write).
    ex.push(
        Core::Aic,
        Op::Copy {
            path: Path::GmToL1,
            bytes: 6400,
        },
    )
    .unwrap();
    ex.push(
        Core::Aic,
        Op::Copy {
            path: Path::L0CToGm,
            bytes: 6400,
        },
    )
    .unwrap();
    // The read holds the port for 6400/64 = 100 cycles; the write starts at 100 and takes
    // 50 (FixPipe latency) + 6400/64 = 150: it ends at 250.
    assert_eq!(ex.finish().cycles, 250);
}

#[test]
fn the_published_timing_checks_hold() {
    // The same programs as above, as `cargo xtask validate` runs them.
    let checks = npu_sim::checks::timing_checks().unwrap();
    assert_eq!(checks.len(), 6);
    for c in checks {
        assert_eq!(c.simulated, c.expected, "{}", c.name);
    }
}

#[test]
fn barrier_orders_every_pipe_of_the_core() {
    let m = machine();
    let program = |barrier: bool| {
        let mut ex = Executor::new(&m, &params());
        ex.push(
            Core::Aic,
            Op::Mmad {
                m: 16,
                n: 16,
                k: 160,
            },
        )
        .unwrap(); // 10 cycles on M
        if barrier {
            ex.push(Core::Aic, Op::Barrier).unwrap();
        }
        // L1 -> L0A: 20 latency + 5120 / 512 = 10 streaming cycles, on MTE1.
        ex.push(
            Core::Aic,
            Op::Copy {
                path: Path::L1ToL0A,
                bytes: 5120,
            },
        )
        .unwrap();
        ex.finish().cycles
    };
    // Without a barrier the pipes overlap: max(10, 30) = 30; with it: 10 + 30 = 40.
    assert_eq!(program(false), 30);
    assert_eq!(program(true), 40);
}
