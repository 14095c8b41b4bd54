//! The simulated kernels' outputs equal `pasa_core::attention` bit for bit, with the same
//! kernel (algorithm + precision) and the same block sizes, over random shapes (MHA, GQA,
//! MQA, short last blocks, causal and not, rows split unevenly over the vector cores), for
//! every preset a simulated core can run: the authors' PASA and our key-means included.
//!
//! No tolerance: the comparison is of the f16 bit patterns (both sides hold fp16-rounded
//! values widened exactly to f64), because the simulator computes every value through
//! `pasa-core`'s tile steps. A failure lists the first differing indices.

use npu_sim::{LaunchParams, Machine, Tiling, run_attention};
use pasa_core::round::f64_to_f16;
use pasa_core::{AttentionInputs, AttentionParams, Preset, Tensor, attention};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

/// Q, K, V with a per-head bias along the sequence (the overflow-prone shape of the paper),
/// rounded to fp16.
fn inputs(
    rng: &mut StdRng,
    (b, h, hk, sq, sk, d, dv): (usize, usize, usize, usize, usize, usize, usize),
    bias: f64,
) -> AttentionInputs {
    let mut draw = |shape: [usize; 4], bias: f64| {
        let n: usize = shape.iter().product();
        let data = (0..n).map(|_| bias + rng.random_range(-1.0..1.0)).collect();
        Tensor::new("x", shape, data).expect("shape matches data")
    };
    let q = draw([b, h, sq, d], bias);
    let k = draw([b, hk, sk, d], bias);
    let v = draw([b, hk, sk, dv], 0.0);
    AttentionInputs::from_f64(&q, &k, &v).expect("finite inputs")
}

fn assert_bits_equal(sim: &Tensor<f64>, reference: &Tensor<f64>, what: &str) {
    assert_eq!(sim.shape(), reference.shape(), "{what}: shapes differ");
    let diffs: Vec<(usize, u16, u16)> = sim
        .data()
        .iter()
        .zip(reference.data())
        .enumerate()
        .filter_map(|(i, (&a, &b))| {
            let (x, y) = (f64_to_f16(a).to_bits(), f64_to_f16(b).to_bits());
            // Also the widened f64 bits: the outputs must be identical, not just equal
            // after rounding.
            (x != y || a.to_bits() != b.to_bits()).then_some((i, x, y))
        })
        .take(8)
        .collect();
    assert!(
        diffs.is_empty(),
        "{what}: first differing (index, sim bits, pasa-core bits): {diffs:?}"
    );
}

fn check(
    machine: &Machine,
    preset: Preset,
    ins: &AttentionInputs,
    params: &LaunchParams,
    what: &str,
) {
    let kernel = preset.kernel();
    let launch = run_attention(machine, &kernel, ins, params).expect("simulated kernel runs");
    let reference = attention(
        ins,
        &kernel,
        &AttentionParams {
            block_q: launch.tiling.block_q,
            block_k: launch.tiling.block_k,
            causal: params.causal,
            scale: params.scale,
        },
    )
    .expect("pasa-core runs");
    let out = launch.output.as_ref().expect("numbers were on");
    assert_bits_equal(out, &reference.out, &format!("{what} {}", preset.name()));
    assert_eq!(launch.beta, reference.beta, "{what}: beta differs");
}

/// Every `pasa-core` preset a simulated core can run (all but the f64 ones; the fp16
/// accumulators of `NaiveFp16Hmma` need a machine with `l0c_f16_accumulation`), so a preset
/// added to `pasa-core` is covered automatically. The authors' `Pasa` and `PasaHybrid` are
/// among them.
fn presets() -> Vec<Preset> {
    Preset::ALL
        .into_iter()
        .filter(|p| !p.kernel().precision.needs_f64())
        .collect()
}

/// The preset machine, with fp16 accumulation in L0C allowed.
fn machine() -> Machine {
    let mut m = Machine::ascend910b_like().unwrap();
    m.cube.l0c_f16_accumulation = true;
    m
}
#[test]
fn random_shapes_with_explicit_small_tiles() {
    let machine = machine();
    let mut rng = StdRng::seed_from_u64(6);
    for case in 0..12 {
        let hk = [1, 2][case % 2];
        let h = hk * [1, 2, 3][case % 3];
        let sk = rng.random_range(1..200);
        let causal = case % 4 == 3;
        let sq = if causal {
            rng.random_range(1..=sk)
        } else {
            rng.random_range(1..150)
        };
        let d = [16, 32, 48, 64][case % 4];
        let dv = if case % 5 == 0 { 32 } else { d };
        let shape = (1 + case % 2, h, hk, sq, sk, d, dv);
        let bias = [0.0, 3.0, 20.0][case % 3];
        let ins = inputs(&mut rng, shape, bias);
        let block_k = [16, 32, 64][rng.random_range(0..3)];
        // Cube pieces and vector chunks: automatic, or explicit and small so a block is
        // computed in several pieces (values must not change).
        let (sub_k, vec_rows) = if case % 2 == 0 {
            (0, 0)
        } else {
            (16, [1, 3, 8][rng.random_range(0..3)])
        };
        let tiling = Tiling {
            block_q: [16, 32, 48, 64][rng.random_range(0..4)],
            block_k,
            sub_k,
            vec_rows,
        };
        let params = LaunchParams {
            causal,
            tiling: Some(tiling),
            ..LaunchParams::default()
        };
        for preset in presets() {
            check(
                &machine,
                preset,
                &ins,
                &params,
                &format!("case {case} {shape:?} {tiling:?}"),
            );
        }
    }
}

/// The two PASA kernels the issue asks the simulator to run, the authors' and our
/// key-means, on random ragged shapes: lengths that are not multiples of the key block
/// (query and key lengths drawn independently), MHA and GQA, causal and not, biases up to
/// 100 (where the authors' padding and running mean matter), blocks of 32, 64 and 128.
#[test]
fn authors_pasa_and_key_means_on_random_ragged_shapes() {
    let machine = machine();
    let mut rng = StdRng::seed_from_u64(14);
    let mut ragged = 0;
    for case in 0..16 {
        let hk = [1, 2][case % 2];
        let h = hk * [1, 4][(case / 2) % 2]; // MHA, GQA (and MQA when hk = 1)
        let causal = (case / 4) % 2 == 1;
        let block_k = [32, 64, 128][case % 3];
        let sk = rng.random_range(1..300);
        let sq = if causal {
            rng.random_range(1..=sk)
        } else {
            rng.random_range(1..300)
        };
        ragged += usize::from(sk % block_k != 0);
        let d = [16, 64][case % 2];
        let bias = [0.0, 20.0, 100.0][case % 3];
        let ins = inputs(&mut rng, (1, h, hk, sq, sk, d, d), bias);
        let tiling = Tiling {
            block_q: [16, 48, 128][rng.random_range(0..3)],
            block_k,
            sub_k: 0,
            vec_rows: [0, 5][case % 2],
        };
        let params = LaunchParams {
            causal,
            tiling: Some(tiling),
            ..LaunchParams::default()
        };
        for preset in [Preset::Pasa, Preset::PasaKeyMeans] {
            check(
                &machine,
                preset,
                &ins,
                &params,
                &format!("case {case} h {h}/{hk} sq {sq} sk {sk} causal {causal} {tiling:?}"),
            );
        }
    }
    // Almost every draw is ragged; the test is about those.
    assert!(ragged >= 12, "only {ragged} ragged key lengths");
}

#[test]
fn tiling_chosen_from_the_machine_and_odd_rows() {
    let machine = machine();
    let mut rng = StdRng::seed_from_u64(60);
    // 131 query rows: one full 128-row block and a 3-row block split 2 + 1 over the AIVs.
    let ins = inputs(&mut rng, (1, 2, 1, 131, 200, 64, 64), 5.0);
    for preset in presets() {
        check(
            &machine,
            preset,
            &ins,
            &LaunchParams::default(),
            "chosen tiling",
        );
    }
}

#[test]
fn three_vector_cores_split_rows_unevenly() {
    let mut machine = machine();
    machine.vector_cores_per_cube = 3;
    machine.cube_cores = 5;
    let mut rng = StdRng::seed_from_u64(61);
    let ins = inputs(&mut rng, (2, 2, 2, 70, 90, 32, 32), 10.0);
    let params = LaunchParams {
        tiling: Some(Tiling::blocks(32, 32)),
        scale: Some(0.3),
        ..LaunchParams::default()
    };
    for preset in presets() {
        check(&machine, preset, &ins, &params, "3 AIVs");
    }
}

#[test]
fn overflowing_inputs_give_the_same_non_finite_bits() {
    // Naive fp16 overflows at a large bias (scores > 65504): the simulator reproduces the
    // same inf/NaN pattern, PASA the same finite result.
    let machine = Machine::ascend910b_like().unwrap();
    let mut rng = StdRng::seed_from_u64(62);
    let ins = inputs(&mut rng, (1, 1, 1, 64, 128, 64, 64), 40.0);
    let params = LaunchParams {
        tiling: Some(Tiling::blocks(32, 64)),
        ..LaunchParams::default()
    };
    for preset in [
        Preset::NaiveFp16,
        Preset::Pasa,
        Preset::PasaKeyMeans,
        Preset::PasaAbsolute,
    ] {
        check(&machine, preset, &ins, &params, "bias 40");
    }
}

#[test]
fn the_published_bit_exact_check_finds_no_mismatch() {
    // The check `cargo xtask validate` runs, on a few cases.
    let summary = npu_sim::checks::bit_exact_check(6, 2026).unwrap();
    assert_eq!(summary.runs, 6 * presets().len());
    assert!(summary.elements > 0);
    assert_eq!(summary.mismatches, 0, "{:?}", summary.first_mismatch);
}

#[test]
fn numbers_do_not_change_the_timing() {
    // run_attention (numbers on, every cluster simulated) and simulate_attention (timing
    // only, identical clusters once) report the same cycles and bytes.
    let machine = Machine::ascend910b_like().unwrap();
    let mut rng = StdRng::seed_from_u64(63);
    let ins = inputs(&mut rng, (1, 4, 2, 260, 300, 64, 64), 2.0);
    for causal in [false, true] {
        let params = LaunchParams {
            causal,
            ..LaunchParams::default()
        };
        for preset in [Preset::Fp32Softmax, Preset::Pasa, Preset::PasaKeyMeans] {
            let kernel = preset.kernel();
            let with = run_attention(&machine, &kernel, &ins, &params).unwrap();
            let without =
                npu_sim::simulate_attention(&machine, &kernel, &ins.shape(), &params).unwrap();
            assert_eq!(
                with.report.cycles, without.report.cycles,
                "{causal} {preset:?}"
            );
            assert_eq!(with.report.gm_bytes, without.report.gm_bytes);
            assert!(without.output.is_none());
        }
    }
}
