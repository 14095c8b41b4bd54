//! Which unit binds on the shipped preset, and what changes when the assumed values change
//! (docs/npu-sim.md, "Sensitivity to the assumed values" and "Where agreement and
//! disagreement come from" items 2 and 4).
//!
//! The simulation is deterministic, so the bounds below are not error tolerances: each sits
//! between the measured values the doc reports (quoted next to it) and the value that would
//! make the doc's sentence false.

use npu_sim::sweep::{SensitivityRow, default_points, sensitivity, sensitivity_points};
use npu_sim::{KernelKind, LaunchParams, Machine, simulate_attention};

fn rows() -> Vec<SensitivityRow> {
    let machine = Machine::ascend910b_like().unwrap();
    sensitivity(&machine, &sensitivity_points(&machine)).unwrap()
}

fn find<'a>(rows: &'a [SensitivityRow], variant: &str, seq: usize, d: usize) -> &'a SensitivityRow {
    rows.iter()
        .find(|r| r.variant == variant && r.point.seq == seq && r.point.head_dim == d)
        .unwrap_or_else(|| panic!("no row {variant} {seq} {d}"))
}

/// Item 4: the paper's upper end (>= 1.5x) appears only when the baseline is vector-bound,
/// i.e. with more GM bandwidth and a slower vector unit at d = 64 (measured 1.54 at 4k and
/// 1.67 at 32k); every other variant and point stays below 1.35 (largest measured: gm/2 at
/// 32k x 64, 1.30).
#[test]
fn only_a_vector_bound_baseline_reaches_the_papers_upper_end() {
    let rows = rows();
    assert_eq!(rows.len(), 5 * 4, "5 variants x 4 points");
    for r in &rows {
        let vector_bound = r.variant == "gm*2,vec/2" && r.point.head_dim == 64;
        if vector_bound {
            assert!(r.speedup >= 1.5, "{r:?}");
        } else {
            assert!(r.speedup < 1.35, "{r:?}");
        }
    }
}

/// Items 2 and 4 from the other side: on the preset the vector unit does not bind at
/// d = 128, so halving its throughput leaves the baseline's throughput unchanged to within
/// 1% (measured 91.5 -> 91.4 TFLOP/s at 4k, 92.0 -> 92.0 at 32k), while halving the GM
/// port slows it by more than a third (measured 91.5 -> 56.9) and raises PASA's speed-up at
/// every point (PASA moves fewer GM bytes: measured +0.03 to +0.04).
#[test]
fn the_gm_port_not_the_vector_unit_binds_the_preset() {
    let rows = rows();
    for seq in [4096, 32768] {
        let preset = find(&rows, "preset", seq, 128);
        let vec_half = find(&rows, "vec/2", seq, 128);
        let change = (vec_half.baseline_tflops / preset.baseline_tflops - 1.0).abs();
        assert!(change < 0.01, "{preset:?} vs {vec_half:?}");
        let gm_half = find(&rows, "gm/2", seq, 128);
        assert!(
            gm_half.baseline_tflops < 0.67 * preset.baseline_tflops,
            "{preset:?} vs {gm_half:?}"
        );
        for d in [64, 128] {
            let (p, g) = (find(&rows, "preset", seq, d), find(&rows, "gm/2", seq, d));
            assert!(g.speedup > p.speedup, "{p:?} vs {g:?}");
        }
    }
}

/// Item 2's busy shares: at 32k x 128 the baseline's AIC GM traffic (MTE2 in, FixPipe out,
/// one shared port) keeps those pipes busy 43% + 32% of the time, against 26% for the cube
/// and 22% for the vector units (measured). Asserted: the two port pipes together are busy
/// more than twice as long as the cube and as the vector unit, and more than 70% of the
/// launch.
#[test]
fn baseline_busy_shares_at_32k_show_the_port_binding() {
    let machine = Machine::ascend910b_like().unwrap();
    let point = default_points(&machine)
        .into_iter()
        .find(|p| p.seq == 32768 && p.head_dim == 128)
        .unwrap();
    let report = simulate_attention(
        &machine,
        &KernelKind::FaFp32Softmax.kernel(),
        &point.shape(),
        &LaunchParams::default(),
    )
    .unwrap()
    .report;
    let port = report.utilisation("AIC.MTE2") + report.utilisation("AIC.FIX");
    let cube = report.utilisation("AIC.M");
    let vector = report.utilisation("AIV.V");
    assert!(cube > 0.0 && vector > 0.0, "{:?}", report.units);
    assert!(
        port > 0.7 && port > 2.0 * cube && port > 2.0 * vector,
        "port {port}, cube {cube}, vector {vector}"
    );
}
