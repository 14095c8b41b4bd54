//! Bad input returns a typed error, never a panic or a silent NaN: machine descriptions
//! mutated from the shipped preset (zero, negative, NaN, tiny and huge rates, counts and
//! buffer sizes, missing or duplicated keys, truncated or garbage text), machines whose
//! public fields were set without validation, launch parameters (block sizes 0, 1, odd,
//! huge; special scales), attention shapes (zeros, heads not divisible by kv_heads, huge
//! dimensions) go through `Machine`, `simulate_attention`, `run_attention`, the sweep and its
//! tables, for every kernel (the authors' PASA and key-means included); every `Ok` report has finite time, throughput and bytes that add up, and
//! utilisations in [0, 1].

use std::sync::atomic::{AtomicUsize, Ordering};

use npu_sim::ir::Path;
use npu_sim::machine::ASCEND_910B_LIKE_TOML;
use npu_sim::sweep::{
    SweepPoint, default_points, markdown_table, sensitivity, sensitivity_points, sensitivity_table,
    sweep,
};
use npu_sim::trace::chrome_trace_json;
use npu_sim::{
    ExecParams, KernelKind, Launch, LaunchParams, Machine, Report, SimError, Tiling, run_attention,
    simulate_attention,
};
use pasa_core::{AttentionInputs, AttentionShape, Preset, Tensor};
use proptest::prelude::*;

/// Launches that returned `Ok`, so the test can check it exercised the simulator.
static SIMULATED: AtomicUsize = AtomicUsize::new(0);

/// Values written into the TOML text in place of a preset float.
const FLOAT_TEXT: &[&str] = &[
    "0.0",
    "-0.0",
    "-1.5",
    "nan",
    "inf",
    "-inf",
    "1e-300",
    "5e-324",
    "1e-4",
    "1e4",
    "1e300",
    "1.7976931348623157e308",
];

/// Values written into the TOML text in place of a preset integer.
const INT_TEXT: &[&str] = &[
    "0",
    "1",
    "3",
    "7",
    "17",
    "65535",
    "4294967295",
    "18446744073709551615",
];

/// Values of the wrong type (or no value): parse errors.
const BAD_TEXT: &[&str] = &["-1", "4294967296", "\"text\"", "true", "[]", ""];

/// Every `key = value` line of the preset (the keys a mutation may touch).
fn value_lines() -> Vec<usize> {
    ASCEND_910B_LIKE_TOML
        .lines()
        .enumerate()
        .filter(|(_, l)| {
            let t = l.trim();
            !t.starts_with('#') && !t.starts_with('[') && t.contains('=')
        })
        .map(|(i, _)| i)
        .collect()
}

/// One edit of the preset text.
#[derive(Clone, Debug)]
enum Edit {
    /// Replace the value after the `which`-th `=` of a key line (inline tables have two):
    /// with `float` or `int` (whichever type the value has), or with `bad` if `use_bad`.
    Value {
        line: usize,
        which: usize,
        float: &'static str,
        int: &'static str,
        bad: Option<&'static str>,
    },
    /// Delete a key line (a missing key).
    Delete { line: usize },
    /// Duplicate a key line.
    Duplicate { line: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    let n = value_lines().len();
    prop_oneof![
        8 => (
            (0..n, 0usize..2),
            prop::sample::select(FLOAT_TEXT),
            prop::sample::select(INT_TEXT),
            prop::option::weighted(0.1, prop::sample::select(BAD_TEXT)),
        )
            .prop_map(|((line, which), float, int, bad)| Edit::Value {
                line,
                which,
                float,
                int,
                bad,
            }),
        1 => (0..n).prop_map(|line| Edit::Delete { line }),
        1 => (0..n).prop_map(|line| Edit::Duplicate { line }),
    ]
}

/// Replaces the value after the `which`-th `=` (mod the count) of `line` with `float` if it
/// is a float, `int` if not, or `bad`.
fn replace_value(
    line: &str,
    which: usize,
    (float, int, bad): (&str, &str, Option<&str>),
) -> String {
    // In an inline table (`path = { bytes_per_cycle = .., latency_cycles = .. }`), the
    // values are the ones inside the braces.
    let open = line.find('{').unwrap_or(0);
    let eqs: Vec<usize> = line
        .match_indices('=')
        .map(|(i, _)| i)
        .filter(|&i| i > open)
        .collect();
    let at = eqs[which % eqs.len()] + 1;
    let rest = &line[at..];
    let end = rest.find([',', '}']).map_or(line.len(), |e| at + e);
    let old = &line[at..end];
    let text = bad.unwrap_or(if old.contains('.') || old.contains('e') {
        float
    } else {
        int
    });
    format!("{} {} {}", &line[..at], text, &line[end..])
}

fn apply(edits: &[Edit]) -> String {
    let keys = value_lines();
    let mut lines: Vec<Option<String>> = ASCEND_910B_LIKE_TOML
        .lines()
        .map(|l| Some(l.to_owned()))
        .collect();
    let mut extra = Vec::new();
    for e in edits {
        match *e {
            Edit::Value {
                line,
                which,
                float,
                int,
                bad,
            } => {
                if let Some(l) = &mut lines[keys[line]] {
                    *l = replace_value(l, which, (float, int, bad));
                }
            }
            Edit::Delete { line } => lines[keys[line]] = None,
            Edit::Duplicate { line } => extra.push(keys[line]),
        }
    }
    for i in extra {
        if let Some(l) = lines[i].clone() {
            lines[i] = Some(format!("{l}\n{l}"));
        }
    }
    lines.into_iter().flatten().collect::<Vec<_>>().join("\n")
}

/// A machine description: the preset edited, truncated, or replaced by garbage.
fn machine_text() -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::collection::vec(edit(), 0..3).prop_map(|e| apply(&e)),
        1 => (0..ASCEND_910B_LIKE_TOML.len()).prop_map(|n| {
            let mut cut = n;
            while !ASCEND_910B_LIKE_TOML.is_char_boundary(cut) {
                cut -= 1;
            }
            ASCEND_910B_LIKE_TOML[..cut].to_owned()
        }),
        1 => ".{0,80}",
    ]
}

/// A float that is sometimes special.
fn float() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 0.25..512.0f64,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(1e-300),
        1 => Just(1e300),
    ]
}

/// A count that is sometimes special.
fn count() -> impl Strategy<Value = u64> {
    prop_oneof![
        4 => 1u64..300,
        1 => Just(0),
        1 => Just(u64::from(u32::MAX)),
        1 => Just(u64::MAX),
        1 => Just(1 << 40),
    ]
}

/// Sets field number `field` of `m` (float fields to `x`, integer fields to `n`, saturated
/// to the field's type), without validation.
fn poke(m: &mut Machine, field: usize, x: f64, n: u64) {
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    let p = &mut m.paths;
    let links = [
        &mut p.gm_to_l1,
        &mut p.gm_to_ub,
        &mut p.l1_to_l0a,
        &mut p.l1_to_l0b,
        &mut p.l0c_to_gm,
        &mut p.l0c_to_l1,
        &mut p.ub_to_gm,
    ];
    match field {
        0..=6 => links.into_iter().nth(field).unwrap().bytes_per_cycle = x,
        7..=13 => links.into_iter().nth(field - 7).unwrap().latency_cycles = n32,
        14 => m.clock_ghz = x,
        15 => m.cube_cores = n32,
        16 => m.vector_cores_per_cube = n32,
        17 => m.cube.frac_m = n32,
        18 => m.cube.frac_n = n32,
        19 => m.cube.frac_k = n32,
        20 => m.cube.startup_cycles = n32,
        21 => m.vector.bytes_per_repeat = n32,
        22 => m.vector.startup_cycles = n32,
        23 => m.vector.elementwise_cycles_per_repeat = x,
        24 => m.vector.exp_cycles_per_repeat = x,
        25 => m.vector.reduce_cycles_per_repeat = x,
        26 => m.vector.cast_cycles_per_repeat = x,
        27 => m.scalar.issue_cycles = n32,
        28 => m.scalar.loop_overhead_cycles = n32,
        29 => m.buffers.l1_bytes = n,
        30 => m.buffers.l0a_bytes = n,
        31 => m.buffers.l0b_bytes = n,
        32 => m.buffers.l0c_bytes = n,
        33 => m.buffers.ub_bytes = n,
        34 => m.buffers.l1_align = n,
        35 => m.buffers.l0a_align = n,
        36 => m.buffers.l0b_align = n,
        37 => m.buffers.l0c_align = n,
        38 => m.buffers.ub_align = n,
        39 => m.memory.hbm_bytes_per_s = x,
        40 => m.memory.l2_bytes_per_s = x,
        41 => m.memory.l2_bytes = n,
        42 => m.memory.core_gm_port_bytes_per_cycle = x,
        _ => m.memory.cross_core_latency_cycles = n32,
    }
}

const FIELDS: usize = 44;

/// The preset with up to three fields set directly (bypassing `from_toml_str`).
fn poked_machine() -> impl Strategy<Value = Machine> {
    prop::collection::vec((0..FIELDS, float(), count()), 0..4).prop_map(|pokes| {
        let mut m = Machine::ascend910b_like().unwrap();
        for (field, x, n) in pokes {
            poke(&mut m, field, x, n);
        }
        m
    })
}

/// A dimension that is sometimes 0 or `huge`.
///
/// A shape that is valid but merely huge (2^40 heads of one query each) is a legitimate
/// launch that would run for hours, so huge values are drawn where they make the shape's
/// FLOP or byte count overflow (`usize::MAX` in a count) or no tile fit (a head dimension).
fn dim(small: std::ops::Range<usize>, huge: &'static [usize]) -> impl Strategy<Value = usize> {
    prop_oneof![
        12 => small,
        1 => Just(0),
        1 => prop::sample::select(huge),
    ]
}

const COUNT_HUGE: &[usize] = &[usize::MAX, usize::MAX / 2 + 1];
const DIM_HUGE: &[usize] = &[1 << 20, 1 << 40, usize::MAX];

/// Small shapes (so a case simulates in milliseconds), sometimes empty, inconsistent or huge.
fn shape() -> impl Strategy<Value = AttentionShape> {
    (
        dim(1..3, COUNT_HUGE),
        (
            dim(1..4, COUNT_HUGE),
            prop_oneof![4 => Just(None), 1 => dim(1..4, COUNT_HUGE).prop_map(Some)],
        ),
        dim(1..70, COUNT_HUGE),
        prop_oneof![4 => Just(None), 1 => dim(1..70, COUNT_HUGE).prop_map(Some)],
        dim(1..40, DIM_HUGE),
        prop_oneof![4 => Just(None), 1 => dim(1..40, DIM_HUGE).prop_map(Some)],
    )
        .prop_map(
            |(batch, (heads, kv), seq_q, seq_k, head_dim, value_dim)| AttentionShape {
                batch,
                heads,
                kv_heads: kv.unwrap_or(heads),
                seq_q,
                seq_k: seq_k.unwrap_or(seq_q),
                head_dim,
                value_dim: value_dim.unwrap_or(head_dim),
            },
        )
}

/// A block size: 0, 1, odd, a power of two, or huge.
fn block() -> impl Strategy<Value = usize> {
    prop::sample::select(vec![
        0,
        1,
        2,
        3,
        7,
        15,
        16,
        17,
        31,
        32,
        48,
        64,
        100,
        128,
        256,
        1024,
        1 << 20,
        1 << 40,
        usize::MAX / 2,
        usize::MAX,
    ])
}

fn launch_params() -> impl Strategy<Value = LaunchParams> {
    (
        prop::bool::weighted(0.3),
        prop_oneof![
            6 => Just(None),
            1 => Just(Some(0.125)),
            1 => Just(Some(0.0)),
            1 => Just(Some(-1.0)),
            1 => Just(Some(f64::NAN)),
            1 => Just(Some(f64::INFINITY)),
        ],
        prop_oneof![
            1 => Just(None),
            2 => (block(), block(), block(), block()).prop_map(|(bq, bk, sub, vr)| Some(Tiling {
                block_q: bq,
                block_k: bk,
                sub_k: if sub > 64 { 0 } else { sub },
                vec_rows: vr,
            })),
        ],
        prop::sample::select(vec![0usize, 1, 64]),
        prop::bool::weighted(0.2),
    )
        .prop_map(
            |(causal, scale, tiling, trace_events, every_cluster)| LaunchParams {
                causal,
                scale,
                tiling,
                trace_events,
                every_cluster,
            },
        )
}

fn kernel() -> impl Strategy<Value = pasa_core::Kernel> {
    prop::sample::select(Preset::ALL.to_vec()).prop_map(Preset::kernel)
}

/// What a report promises: finite, non-negative time and rate, bytes that add up, and
/// utilisations in [0, 1].
fn check_report(r: &Report, machine: &Machine, what: &str) {
    let at = || format!("{what} on {machine:?}:\n{r:#?}");
    assert!(
        r.seconds.is_finite() && r.seconds >= 0.0,
        "seconds: {}",
        at()
    );
    assert!(r.tflops.is_finite() && r.tflops >= 0.0, "tflops: {}", at());
    assert!(
        r.peak_fraction.is_finite() && (0.0..=1.0).contains(&r.peak_fraction),
        "peak_fraction: {}",
        at()
    );
    assert!(r.hbm_bound_cycles <= r.cycles, "hbm bound: {}", at());
    for u in &r.units {
        assert!(
            u.utilisation.is_finite() && (0.0..=1.0).contains(&u.utilisation),
            "{} utilisation: {}",
            u.unit,
            at()
        );
    }
    let gm: u64 = Path::ALL
        .iter()
        .filter(|p| p.touches_gm())
        .map(|&p| r.bytes_on(p))
        .sum();
    assert_eq!(gm, r.gm_bytes, "gm bytes: {}", at());
    for b in &r.buffers {
        assert!(
            b.peak_bytes <= b.capacity_bytes,
            "{} peak: {}",
            b.buffer,
            at()
        );
    }
}

fn check_launch(launch: &Launch, machine: &Machine, what: &str) {
    SIMULATED.fetch_add(1, Ordering::Relaxed);
    check_report(&launch.report, machine, what);
    if let Some(beta) = launch.beta {
        assert!(beta.is_finite(), "{what}: beta {beta}");
    }
    for json in [
        chrome_trace_json(&launch.trace, machine.clock_ghz),
        launch.chrome_trace_json(machine.clock_ghz),
    ] {
        assert!(
            !json.contains("NaN") && !json.contains("inf"),
            "{what}: {json}"
        );
    }
}

/// Machine-level public functions and a small launch of each kernel.
fn exercise_machine(m: &Machine) {
    let what = "machine";
    let _ = m.total_cores();
    let peak = m.peak_flops();
    assert!(peak.is_finite() && peak > 0.0, "peak_flops {peak} of {m:?}");
    let share = m.gm_share_bytes_per_cycle(ExecParams::full_chip(m).active_cores);
    assert!(
        share.is_finite() && share > 0.0,
        "gm share {share} of {m:?}"
    );
    let shape = AttentionShape {
        batch: 1,
        heads: 2,
        kv_heads: 1,
        seq_q: 40,
        seq_k: 40,
        head_dim: 16,
        value_dim: 16,
    };
    for kind in KernelKind::ALL {
        if let Ok(l) = simulate_attention(m, &kind.kernel(), &shape, &LaunchParams::default()) {
            check_launch(&l, m, what);
        }
    }
}

/// Seeded inputs in [-2, 2] for a (valid) shape.
fn inputs(shape: &AttentionShape, seed: u64) -> AttentionInputs {
    let mut state = seed | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
    };
    let mut tensor = |dims: [usize; 4]| {
        let data = (0..dims.iter().product()).map(|_| next()).collect();
        Tensor::new("x", dims, data).unwrap()
    };
    let s = shape;
    let q = tensor([s.batch, s.heads, s.seq_q, s.head_dim]);
    let k = tensor([s.batch, s.kv_heads, s.seq_k, s.head_dim]);
    let v = tensor([s.batch, s.kv_heads, s.seq_k, s.value_dim]);
    AttentionInputs::from_f64(&q, &k, &v).unwrap()
}

/// A sweep point: small and valid, or with one dimension 0, huge or inconsistent.
fn sweep_point() -> impl Strategy<Value = SweepPoint> {
    let valid = (1usize..3, 1usize..3, 1usize..50, 1usize..40);
    (valid, 0u8..12, prop::sample::select(COUNT_HUGE)).prop_map(
        |((batch, heads, seq, head_dim), spoil, huge)| {
            let mut p = SweepPoint {
                batch,
                heads,
                kv_heads: heads,
                seq,
                head_dim,
            };
            match spoil {
                0 => p.batch = 0,
                1 => p.seq = huge,
                2 => p.head_dim = 1 << 40,
                3 => p.kv_heads = heads + 1,
                4 => p.heads = huge,
                _ => {}
            }
            p
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn machine_text_never_panics(text in machine_text()) {
        if let Ok(m) = Machine::from_toml_str(&text) {
            m.validate().unwrap();
            exercise_machine(&m);
        }
    }

    #[test]
    fn unvalidated_machines_never_panic(m in poked_machine()) {
        let valid = m.validate().is_ok();
        let shape = AttentionShape {
            batch: 1, heads: 2, kv_heads: 2, seq_q: 33, seq_k: 33, head_dim: 16, value_dim: 16,
        };
        for kind in KernelKind::ALL {
            if let Ok(l) = simulate_attention(&m, &kind.kernel(), &shape, &LaunchParams::default()) {
                check_launch(&l, &m, &format!("{kind:?} (valid machine: {valid})"));
            }
        }
    }

    #[test]
    fn launches_never_panic(
        shape in shape(),
        params in launch_params(),
        kernel in kernel(),
    ) {
        let m = Machine::ascend910b_like().unwrap();
        if let Ok(l) = simulate_attention(&m, &kernel, &shape, &params) {
            check_launch(&l, &m, &format!("{kernel:?} {shape:?} {params:?}"));
        }
    }

    #[test]
    fn runs_never_panic(
        (batch, kv_heads, group, seq_q, seq_k, head_dim, value_dim) in
            (1usize..3, 1usize..3, 1usize..3, 1usize..40, 1usize..40, 1usize..20, 1usize..20),
        params in launch_params(),
        kernel in kernel(),
        seed in any::<u64>(),
    ) {
        let shape = AttentionShape {
            batch, heads: kv_heads * group, kv_heads, seq_q, seq_k, head_dim, value_dim,
        };
        let m = Machine::ascend910b_like().unwrap();
        let x = inputs(&shape, seed);
        if let Ok(l) = run_attention(&m, &kernel, &x, &params) {
            check_launch(&l, &m, &format!("{kernel:?} {shape:?} {params:?}"));
            let out = l.output.expect("run_attention returns the output");
            prop_assert_eq!(out.shape(), shape.output_shape());
        }
    }

    #[test]
    fn sweeps_never_panic(
        m in poked_machine(),
        points in prop::collection::vec(sweep_point(), 1..3),
    ) {
        let _ = default_points(&m);
        let _ = sensitivity_points(&m);
        if let Ok(rows) = sweep(&m, &points) {
            SIMULATED.fetch_add(1, Ordering::Relaxed);
            for r in &rows {
                for k in [&r.baseline, &r.fa_fp16, &r.pasa, &r.pasa_key_means] {
                    prop_assert!(k.seconds.is_finite() && k.tflops.is_finite(), "{:?}", r);
                    prop_assert!((0.0..=1.0).contains(&k.cube_util), "{:?}", r);
                    prop_assert!((0.0..=1.0).contains(&k.vector_util), "{:?}", r);
                }
                prop_assert!(r.speedup.is_finite() && r.speedup > 0.0, "{:?}", r);
                prop_assert!(r.speedup_key_means.is_finite() && r.speedup_key_means > 0.0, "{:?}", r);
                prop_assert!(r.bytes_ratio.is_finite() && r.bytes_ratio > 0.0, "{:?}", r);
            }
            let table = markdown_table(&rows);
            prop_assert!(!table.contains("NaN") && !table.contains("inf"), "{}", table);
        }
        if let Ok(rows) = sensitivity(&m, &points) {
            for r in &rows {
                prop_assert!(r.speedup.is_finite() && r.speedup > 0.0, "{:?}", r);
                prop_assert!(r.baseline_tflops.is_finite() && r.pasa_tflops.is_finite(), "{:?}", r);
            }
            let table = sensitivity_table(&rows);
            prop_assert!(!table.contains("NaN") && !table.contains("inf"), "{}", table);
        }
    }
}

#[test]
fn the_properties_reach_the_simulator() {
    // Re-run the properties here so the count does not depend on test order.
    machine_text_never_panics();
    unvalidated_machines_never_panic();
    launches_never_panic();
    runs_never_panic();
    sweeps_never_panic();
    assert!(
        SIMULATED.load(Ordering::Relaxed) >= 500,
        "only {} generated launches were valid",
        SIMULATED.load(Ordering::Relaxed)
    );
}

// Regressions: each input below was found by the properties above (minimal after shrinking
// or reduced by hand) and panicked or broke a report's promise before the fix named.

fn preset_with(from: &str, to: &str) -> Result<Machine, SimError> {
    assert!(ASCEND_910B_LIKE_TOML.contains(from), "{from}");
    Machine::from_toml_str(&ASCEND_910B_LIKE_TOML.replacen(from, to, 1))
}

/// `kind` on `small_shape(heads, seq)` with the default launch parameters.
fn launch_small(
    m: &Machine,
    kind: KernelKind,
    heads: usize,
    seq: usize,
) -> Result<Launch, SimError> {
    simulate_attention(
        m,
        &kind.kernel(),
        &small_shape(heads, seq),
        &LaunchParams::default(),
    )
}

fn small_shape(heads: usize, seq: usize) -> AttentionShape {
    AttentionShape {
        batch: 1,
        heads,
        kv_heads: heads,
        seq_q: seq,
        seq_k: seq,
        head_dim: 16,
        value_dim: 16,
    }
}

fn field_of(err: &SimError) -> &'static str {
    match err {
        SimError::InvalidMachine { field, .. } => field,
        other => panic!("expected InvalidMachine, got {other:?}"),
    }
}

/// `clock_ghz = 5e-324` passed validation (positive, finite) and every launch reported
/// `seconds = inf`; `1e300` made the per-cycle bandwidths 0 and the transfers overflow.
#[test]
fn clocks_outside_the_range_are_invalid() {
    for clock in ["5e-324", "1e-4", "1e4", "1e300"] {
        let err = preset_with("clock_ghz = 1.8", &format!("clock_ghz = {clock}")).unwrap_err();
        assert!(field_of(&err).starts_with("clock_ghz"), "{clock}: {err}");
    }
    assert!(preset_with("clock_ghz = 1.8", "clock_ghz = 1e-3").is_ok());
    assert!(preset_with("clock_ghz = 1.8", "clock_ghz = 1e3").is_ok());
}

/// `bytes_per_cycle = 1e-300` (or a GM port, L2 or HBM bandwidth that slow) made a
/// transfer cost `u64::MAX` cycles, and the executor's next addition overflowed (a panic in
/// debug builds, a wrapped cycle count in release); `cycles_per_repeat = 1e300` likewise.
#[test]
fn rates_too_slow_for_the_cycle_counter_are_invalid() {
    let cases = [
        (
            "gm_to_l1 = { bytes_per_cycle = 128.0",
            "gm_to_l1 = { bytes_per_cycle = 1e-300",
            "paths.gm_to_l1",
        ),
        (
            "core_gm_port_bytes_per_cycle = 64.0",
            "core_gm_port_bytes_per_cycle = 1e-300",
            "memory.core_gm_port_bytes_per_cycle",
        ),
        (
            "l2_bytes_per_s = 7.5e12",
            "l2_bytes_per_s = 1.0",
            "memory.l2_bytes_per_s",
        ),
        (
            "hbm_bytes_per_s = 1.5e12",
            "hbm_bytes_per_s = 1.0",
            "memory.hbm_bytes_per_s",
        ),
        (
            "exp_cycles_per_repeat = 2.0",
            "exp_cycles_per_repeat = 1e300",
            "vector.exp_cycles_per_repeat",
        ),
    ];
    for (from, to, field) in cases {
        let err = preset_with(from, to).unwrap_err();
        assert!(field_of(&err).starts_with(field), "{to}: {err}");
    }
}

/// `cube_cores = 4294967295` passed validation; `total_cores` (cube + vector cores)
/// overflowed `u32` and a launch allocated one work list per core. Fractal sizes of 65536
/// overflowed `u32` in `peak_flops` and in the tiling's estimate.
#[test]
fn core_counts_and_fractals_beyond_u32_do_not_overflow() {
    let err = preset_with("cube_cores = 24", "cube_cores = 4294967295").unwrap_err();
    assert!(field_of(&err).starts_with("cube_cores"), "{err}");
    let mut m = preset_with("cube_cores = 24", "cube_cores = 1000000").unwrap();
    let launch = launch_small(&m, KernelKind::Pasa, 2, 33).unwrap();
    check_report(&launch.report, &m, "a million cores");
    m.cube.frac_m = 1 << 16;
    m.cube.frac_n = 1 << 16;
    m.cube.frac_k = 1 << 16;
    m.validate().unwrap();
    assert!(m.peak_flops().is_finite());
    let launch = launch_small(&m, KernelKind::FaFp32Softmax, 2, 33).unwrap();
    check_report(&launch.report, &m, "huge fractals");
}

/// A machine whose public fields were set without `validate` (here `frac_m = 0`, a NaN
/// clock) reached the executor: a division by zero, or NaN seconds in an `Ok` report.
#[test]
fn launches_validate_the_machine() {
    let preset = Machine::ascend910b_like().unwrap();
    let mut zero_frac = preset.clone();
    zero_frac.cube.frac_m = 0;
    let mut nan_clock = preset;
    nan_clock.clock_ghz = f64::NAN;
    for m in [zero_frac, nan_clock] {
        let err = launch_small(&m, KernelKind::FaFp16, 1, 16).unwrap_err();
        field_of(&err);
    }
}

/// `Tiling::blocks(usize::MAX, ..)` (or a huge `block_k`) overflowed `usize` in
/// `tiling::footprint`; it now saturates and the launch reports the buffer overflow.
#[test]
fn huge_block_sizes_overflow_a_buffer() {
    let m = Machine::ascend910b_like().unwrap();
    for (bq, bk) in [(usize::MAX, 16), (16, usize::MAX), (1 << 40, 1 << 40)] {
        let params = LaunchParams {
            tiling: Some(Tiling::blocks(bq, bk)),
            ..LaunchParams::default()
        };
        let err = simulate_attention(&m, &KernelKind::Pasa.kernel(), &small_shape(1, 1), &params)
            .unwrap_err();
        assert!(
            matches!(err, SimError::BufferOverflow { .. }),
            "{bq}x{bk}: {err:?}"
        );
    }
}

/// A dimension of `usize::MAX` overflowed the tiling's padded sequence and the report's
/// FLOP and byte counts; such shapes are now `ShapeTooLarge`.
#[test]
fn shapes_beyond_u64_counts_are_too_large() {
    let m = Machine::ascend910b_like().unwrap();
    let base = small_shape(1, 16);
    let shapes = [
        AttentionShape {
            seq_q: usize::MAX,
            ..base
        },
        AttentionShape {
            seq_k: usize::MAX,
            ..base
        },
        AttentionShape {
            batch: usize::MAX,
            ..base
        },
        AttentionShape {
            heads: usize::MAX,
            kv_heads: usize::MAX,
            ..base
        },
    ];
    for shape in shapes {
        let err = simulate_attention(
            &m,
            &KernelKind::FaFp16.kernel(),
            &shape,
            &LaunchParams::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, SimError::ShapeTooLarge { .. }),
            "{shape:?}: {err:?}"
        );
    }
}

/// PASA's prepass dealt its key blocks to more clusters than the main launch used (4 key
/// blocks, 2 query blocks), but utilisation divided the busy cycles of both phases by the
/// main launch's clusters: with `issue_cycles = 17`, `AIC.S` reported 1.009.
#[test]
fn pasa_utilisation_counts_the_prepass_clusters() {
    let m = preset_with("issue_cycles = 1", "issue_cycles = 17").unwrap();
    let launch = launch_small(&m, KernelKind::Pasa, 2, 33).unwrap();
    check_report(&launch.report, &m, "pasa, issue 17");
}

/// The scalar unit's issue time of trailing flag instructions ran past the cluster's last
/// cycle, so `AIC.S` could be busy longer than the launch (with `issue_cycles = 4294967295`,
/// utilisation above 1); the cluster now ends when its scalar units have issued everything.
#[test]
fn cycles_include_the_scalar_issue_time() {
    let m = preset_with("issue_cycles = 1", "issue_cycles = 4294967295").unwrap();
    let launch = launch_small(&m, KernelKind::FaFp32Softmax, 2, 33).unwrap();
    check_report(&launch.report, &m, "issue 2^32 - 1");
}

/// The authors' PASA and key-means (the kernels issue 14 added to the simulator) on bad
/// input: a beta outside (0, 1), a causal launch with more queries than keys, zero lengths,
/// head counts that do not divide, a zero block and an unaligned `sub_k` are each a typed
/// error from both entry points; ragged lengths of 1 and 2 tokens run.
#[test]
fn pasa_kernels_reject_bad_input_with_typed_errors() {
    let m = Machine::ascend910b_like().unwrap();
    let ok = small_shape(2, 37);
    let x = inputs(&ok, 3);
    for kind in [KernelKind::Pasa, KernelKind::PasaKeyMeans] {
        let mut kernel = kind.kernel();
        if let pasa_core::Algorithm::Pasa(ref mut p) = kernel.algorithm {
            p.beta = Some(1.0);
        }
        let p = LaunchParams::default();
        let err = simulate_attention(&m, &kernel, &ok, &p).unwrap_err();
        assert!(
            matches!(err, SimError::Numerics { .. }),
            "{kind:?}: {err:?}"
        );
        let err = run_attention(&m, &kernel, &x, &p).unwrap_err();
        assert!(
            matches!(err, SimError::Numerics { .. }),
            "{kind:?}: {err:?}"
        );

        let kernel = kind.kernel();
        let causal = LaunchParams {
            causal: true,
            ..LaunchParams::default()
        };
        let more_queries = AttentionShape {
            seq_q: 40,
            seq_k: 20,
            ..ok
        };
        let err = simulate_attention(&m, &kernel, &more_queries, &causal).unwrap_err();
        assert!(
            matches!(err, SimError::Numerics { .. }),
            "{kind:?}: {err:?}"
        );
        let err = run_attention(&m, &kernel, &inputs(&more_queries, 4), &causal).unwrap_err();
        assert!(
            matches!(err, SimError::Numerics { .. }),
            "{kind:?}: {err:?}"
        );

        for bad in [
            AttentionShape { seq_k: 0, ..ok },
            AttentionShape { seq_q: 0, ..ok },
            AttentionShape {
                heads: 3,
                kv_heads: 2,
                ..ok
            },
        ] {
            let err = simulate_attention(&m, &kernel, &bad, &p).unwrap_err();
            assert!(
                matches!(err, SimError::BadShape { .. }),
                "{kind:?} {bad:?}: {err:?}"
            );
        }
        for tiling in [
            Tiling::blocks(0, 32),
            Tiling {
                sub_k: 7,
                ..Tiling::blocks(16, 32)
            },
        ] {
            let params = LaunchParams {
                tiling: Some(tiling),
                ..LaunchParams::default()
            };
            let err = run_attention(&m, &kernel, &x, &params).unwrap_err();
            assert!(
                matches!(err, SimError::BadShape { .. }),
                "{kind:?} {tiling:?}: {err:?}"
            );
        }
        for seq in [1, 2] {
            let tiny = small_shape(1, seq);
            let l = run_attention(&m, &kernel, &inputs(&tiny, 5), &causal).unwrap();
            check_launch(&l, &m, &format!("{kind:?} seq {seq}"));
            let out = l.output.unwrap();
            assert!(
                out.data().iter().all(|v| v.is_finite()),
                "{kind:?} seq {seq}"
            );
        }
    }
}
