//! Self-checks that `cargo xtask validate` runs as claims: the timing model on programs whose
//! time is known by hand, and the bit-exactness of the simulated kernels against
//! `pasa_core::attention` over random shapes.
//!
//! The crate's tests assert the same properties; these functions return the measured and
//! expected values so a report can show them.

use pasa_core::generate::{BiasProfile, RandomCase, Resonance};
use pasa_core::round::f64_to_f16;
use pasa_core::{AttentionParams, Preset, attention};
use serde::Serialize;

use crate::error::SimError;
use crate::executor::{ExecParams, Executor};
use crate::ir::{Core, DType, InstrSink, Op, Path, Pipe, VecClass};
use crate::kernels::{LaunchParams, run_attention};
use crate::machine::Machine;
use crate::tiling::Tiling;

/// One timing-model check: simulated cycles next to the hand-computed value.
#[derive(Clone, Debug, Serialize)]
pub struct TimingCheck {
    /// What the program is.
    pub name: &'static str,
    /// Cycles the executor computed.
    pub simulated: u64,
    /// Cycles derived by hand (formula in `name`).
    pub expected: u64,
}

/// The preset with round numbers: GM 64 B/cycle, latency 100, no issue or startup costs.
fn round_machine() -> Result<Machine, SimError> {
    let mut m = Machine::ascend910b_like()?;
    m.scalar.issue_cycles = 0;
    m.cube.startup_cycles = 0;
    m.vector.startup_cycles = 0;
    for link in [&mut m.paths.gm_to_l1, &mut m.paths.gm_to_ub] {
        link.bytes_per_cycle = 64.0;
        link.latency_cycles = 100;
    }
    m.memory.core_gm_port_bytes_per_cycle = 64.0;
    m.memory.l2_bytes_per_s = 1e18;
    m.memory.cross_core_latency_cycles = 10;
    Ok(m)
}

fn run(m: &Machine, program: &[(Core, Op)]) -> Result<u64, SimError> {
    let mut ex = Executor::new(
        m,
        &ExecParams {
            active_cores: 1,
            trace_events: 0,
        },
    );
    for &(core, op) in program {
        ex.push(core, op)?;
    }
    Ok(ex.finish().cycles)
}

/// A double-buffered load -> compute pipeline on one vector core, `slots` buffers.
fn pipeline(tiles: usize, slots: usize, bytes: u32, elems: u32) -> Vec<(Core, Op)> {
    let c = Core::Aiv(0);
    let (full, empty) = (0, 1);
    let mut p = vec![
        (
            c,
            Op::SetFlag {
                pipe: Pipe::V,
                flag: empty
            }
        );
        slots
    ];
    for _ in 0..tiles {
        p.extend([
            (
                c,
                Op::WaitFlag {
                    pipe: Pipe::Mte2,
                    flag: empty,
                },
            ),
            (
                c,
                Op::Copy {
                    path: Path::GmToUb,
                    bytes,
                },
            ),
            (
                c,
                Op::SetFlag {
                    pipe: Pipe::Mte2,
                    flag: full,
                },
            ),
            (
                c,
                Op::WaitFlag {
                    pipe: Pipe::V,
                    flag: full,
                },
            ),
            (
                c,
                Op::Vector {
                    class: VecClass::Elementwise,
                    dtype: DType::F32,
                    elems,
                },
            ),
            (
                c,
                Op::SetFlag {
                    pipe: Pipe::V,
                    flag: empty,
                },
            ),
        ]);
    }
    p
}

/// Runs the hand-computable programs (GM 64 B/cycle with latency 100; fp32 vector 64
/// lanes per cycle).
///
/// # Errors
/// Only if the shipped preset is broken.
pub fn timing_checks() -> Result<Vec<TimingCheck>, SimError> {
    let m = round_machine()?;
    let load = |bytes| {
        (
            Core::Aic,
            Op::Copy {
                path: Path::GmToL1,
                bytes,
            },
        )
    };
    let mmad = |m, n, k| (Core::Aic, Op::Mmad { m, n, k });
    Ok(vec![
        TimingCheck {
            name: "single load: latency + bytes/bw = 100 + 6400/64",
            simulated: run(&m, &[load(6400)])?,
            expected: 200,
        },
        TimingCheck {
            name: "3 back-to-back loads: latency once = 100 + 3 * 100",
            simulated: run(&m, &[load(6400), load(6400), load(6400)])?,
            expected: 400,
        },
        TimingCheck {
            name: "mmad stream: sum of ceil(m/16) ceil(n/16) ceil(k/16) = 512 + 2 + 1 + 192",
            simulated: run(
                &m,
                &[
                    mmad(128, 128, 128),
                    mmad(17, 16, 16),
                    mmad(1, 1, 1),
                    mmad(64, 256, 33),
                ],
            )?,
            expected: 707,
        },
        TimingCheck {
            name: "double buffer, transfer-bound: 10 * 400 + 100 (fill) + 300 (drain)",
            simulated: run(&m, &pipeline(10, 2, 25_600, 64 * 300))?,
            expected: 4400,
        },
        TimingCheck {
            name: "double buffer, compute-bound: 300 (fill) + 10 * 500",
            simulated: run(&m, &pipeline(10, 2, 12_800, 64 * 500))?,
            expected: 5300,
        },
        TimingCheck {
            name: "single buffer: 10 * (400 + 100 + 300)",
            simulated: run(&m, &pipeline(10, 1, 25_600, 64 * 300))?,
            expected: 8000,
        },
    ])
}

/// Outcome of [`bit_exact_check`].
#[derive(Clone, Debug, Serialize)]
pub struct BitExactSummary {
    /// (case, preset) pairs run.
    pub runs: usize,
    /// Output elements compared.
    pub elements: usize,
    /// Elements whose f16 bits differ.
    pub mismatches: usize,
    /// The first mismatch, described.
    pub first_mismatch: Option<String>,
}

/// A small deterministic generator (SplitMix64) for the shapes of the check.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn pick<T: Copy>(state: &mut u64, xs: &[T]) -> T {
    let n = xs.len() as u64;
    // n is a tiny table length, so the index fits.
    #[allow(clippy::cast_possible_truncation)]
    let i = (splitmix(state) % n) as usize;
    xs[i]
}

/// Simulates `cases` random shapes (MHA/GQA/MQA, causal or not, biased and resonant inputs,
/// small explicit tilings) under every `pasa-core` preset without an f64 stage, with numbers on,
/// and compares the output bits with `pasa_core::attention` using the same block sizes.
///
/// # Errors
/// Whatever the simulator or `pasa-core` rejects (a bug: the shapes are valid).
pub fn bit_exact_check(cases: usize, seed: u64) -> Result<BitExactSummary, SimError> {
    let mut machine = Machine::ascend910b_like()?;
    // Allow fp16 accumulation so that the HMMA-style preset runs too.
    machine.cube.l0c_f16_accumulation = true;
    let presets: Vec<Preset> = Preset::ALL
        .into_iter()
        .filter(|p| !p.kernel().precision.needs_f64())
        .collect();
    let mut st = seed;
    let mut summary = BitExactSummary {
        runs: 0,
        elements: 0,
        mismatches: 0,
        first_mismatch: None,
    };
    let err = |e: pasa_core::PasaError| SimError::Numerics {
        message: e.to_string(),
    };
    for case in 0..cases {
        let kv_heads = pick(&mut st, &[1, 2]);
        let heads = kv_heads * pick(&mut st, &[1, 2, 3]);
        let seq_k = pick(&mut st, &[17, 64, 100, 130, 200]);
        let causal = pick(&mut st, &[false, true]);
        let seq_q = if causal {
            seq_k - pick(&mut st, &[0, 5, 16])
        } else {
            pick(&mut st, &[1, 33, 96, 129])
        };
        let rc = RandomCase {
            batch: pick(&mut st, &[1, 2]),
            heads,
            kv_heads,
            seq_q,
            seq_k,
            head_dim: pick(&mut st, &[16, 32, 64]),
            bias_q: pick(&mut st, &[0.0, 5.0, 20.0]),
            bias_k: pick(&mut st, &[0.0, 5.0, 20.0]),
            amp: 1.0,
            resonance: pick(
                &mut st,
                &[
                    Resonance::Aligned,
                    Resonance::Opposite,
                    Resonance::Orthogonal,
                ],
            ),
            profile: pick(&mut st, &[BiasProfile::Constant, BiasProfile::Ramp]),
            seed: splitmix(&mut st),
        };
        let inputs = rc.inputs().map_err(err)?;
        let tiling = Tiling {
            block_q: pick(&mut st, &[16, 32, 64]),
            block_k: pick(&mut st, &[16, 32, 64]),
            sub_k: 16,
            vec_rows: pick(&mut st, &[0, 1, 5]),
        };
        let params = LaunchParams {
            causal,
            tiling: Some(tiling),
            ..LaunchParams::default()
        };
        for &preset in &presets {
            let kernel = preset.kernel();
            let launch = run_attention(&machine, &kernel, &inputs, &params)?;
            let reference = attention(
                &inputs,
                &kernel,
                &AttentionParams {
                    block_q: launch.tiling.block_q,
                    block_k: launch.tiling.block_k,
                    causal,
                    scale: None,
                },
            )
            .map_err(err)?;
            let Some(out) = launch.output else {
                continue;
            };
            summary.runs += 1;
            for (i, (&a, &b)) in out.data().iter().zip(reference.out.data()).enumerate() {
                summary.elements += 1;
                let (x, y) = (f64_to_f16(a).to_bits(), f64_to_f16(b).to_bits());
                if x != y {
                    summary.mismatches += 1;
                    if summary.first_mismatch.is_none() {
                        summary.first_mismatch = Some(format!(
                            "case {case} {} {rc:?} index {i}: sim {x:#06x} pasa-core {y:#06x}",
                            preset.name()
                        ));
                    }
                }
            }
        }
    }
    Ok(summary)
}

/// Wall time of simulating one head of 32k tokens, head_dim 128 (timing only, PASA).
#[derive(Clone, Debug, Serialize)]
pub struct SimWallTime {
    /// Seconds with the identical-cluster shortcut (the default).
    pub shortcut_s: f64,
    /// Seconds simulating every cluster.
    pub every_cluster_s: f64,
    /// Instructions the launch comprises (all clusters).
    pub instructions: u64,
}

/// Times the issue's benchmark, one head of 32k x 128 (target: under 10 s), in whatever
/// profile the caller was built with.
///
/// # Errors
/// Only if the shipped preset is broken.
pub fn sim_wall_time_32k() -> Result<SimWallTime, SimError> {
    use crate::kernels::{KernelKind, simulate_attention};
    let machine = Machine::ascend910b_like()?;
    let shape = pasa_core::AttentionShape {
        batch: 1,
        heads: 1,
        kv_heads: 1,
        seq_q: 32_768,
        seq_k: 32_768,
        head_dim: 128,
        value_dim: 128,
    };
    let kernel = KernelKind::Pasa.kernel();
    let time = |every_cluster| -> Result<(f64, u64), SimError> {
        let params = LaunchParams {
            every_cluster,
            ..LaunchParams::default()
        };
        let start = std::time::Instant::now();
        let launch = simulate_attention(&machine, &kernel, &shape, &params)?;
        Ok((start.elapsed().as_secs_f64(), launch.report.instructions))
    };
    let (shortcut_s, instructions) = time(false)?;
    let (every_cluster_s, _) = time(true)?;
    Ok(SimWallTime {
        shortcut_s,
        every_cluster_s,
        instructions,
    })
}
