//! Kernel-level properties of the simulated launches: tiling adapts to the machine and
//! overflows are typed errors naming the buffer; byte counts follow from the precisions;
//! the identical-cluster shortcut changes nothing; the trace has one track per unit and says
//! which cluster it shows.
//!
//! Expected byte counts are derived in the comments from the shapes; they are exact.

use npu_sim::ir::{Buffer, Path};
use npu_sim::tiling::{capacities, footprint};
use npu_sim::{KernelKind, LaunchParams, Machine, SimError, Tiling, simulate_attention};
use pasa_core::AttentionShape;

fn shape(heads: usize, kv_heads: usize, seq: usize, d: usize) -> AttentionShape {
    AttentionShape {
        batch: 1,
        heads,
        kv_heads,
        seq_q: seq,
        seq_k: seq,
        head_dim: d,
        value_dim: d,
    }
}

#[test]
fn chosen_tiling_fits_every_buffer_and_peaks_match_the_footprint() {
    let machine = Machine::ascend910b_like().unwrap();
    for kind in KernelKind::ALL {
        for d in [64, 128, 256] {
            let launch = simulate_attention(
                &machine,
                &kind.kernel(),
                &shape(4, 4, 4096, d),
                &LaunchParams::default(),
            )
            .unwrap();
            let caps = capacities(&machine);
            for b in Buffer::ALL {
                let peak = launch.report.peak_of(b);
                assert!(peak > 0, "{kind:?} d={d}: {b:?} unused");
                assert!(
                    peak <= caps[b.index()],
                    "{kind:?} d={d}: {b:?} {peak} > capacity"
                );
            }
        }
    }
}

#[test]
fn smaller_buffers_give_smaller_tiles_not_errors() {
    let big = Machine::ascend910b_like().unwrap();
    let mut small = big.clone();
    small.buffers.l0a_bytes /= 4;
    small.buffers.l0b_bytes /= 4;
    small.buffers.l0c_bytes /= 4;
    small.buffers.ub_bytes /= 4;
    let s = shape(2, 2, 2048, 128);
    let k = KernelKind::Pasa.kernel();
    let t_big = simulate_attention(&big, &k, &s, &LaunchParams::default())
        .unwrap()
        .tiling;
    let t_small = simulate_attention(&small, &k, &s, &LaunchParams::default())
        .unwrap()
        .tiling;
    let area = |t: Tiling| t.block_q * t.sub_k;
    assert!(area(t_small) < area(t_big), "{t_small:?} vs {t_big:?}");
}

#[test]
fn no_tiling_fits_names_the_buffer() {
    let mut m = Machine::ascend910b_like().unwrap();
    m.buffers.ub_bytes = 1024;
    let err = simulate_attention(
        &m,
        &KernelKind::FaFp32Softmax.kernel(),
        &shape(1, 1, 256, 128),
        &LaunchParams::default(),
    )
    .unwrap_err();
    match err {
        SimError::NoTilingFits { buffer, .. } => assert_eq!(buffer, "UB"),
        other => panic!("expected NoTilingFits, got {other:?}"),
    }
}

#[test]
fn an_explicit_tiling_that_overflows_names_the_buffer() {
    let m = Machine::ascend910b_like().unwrap();
    let params = LaunchParams {
        tiling: Some(Tiling {
            block_q: 512,
            block_k: 512,
            sub_k: 512,
            vec_rows: 0,
        }),
        ..LaunchParams::default()
    };
    let err = simulate_attention(
        &m,
        &KernelKind::FaFp16.kernel(),
        &shape(1, 1, 1024, 128),
        &params,
    )
    .unwrap_err();
    // L1 needs 2*512*128*2 (Q) + 2*512*128*2 (K/V) + 2*512*512*2 (P) > 512 KiB.
    assert!(
        matches!(err, SimError::BufferOverflow { buffer: "L1", .. }),
        "{err:?}"
    );
}

#[test]
fn scores_cross_gm_in_the_score_type() {
    // Same tiling for both kernels, one head, 1024 x 1024, d = 64: the cube writes every
    // score once, so L0C->GM carries seq^2 * 4 B (fp32) vs seq^2 * 2 B (fp16) of scores,
    // plus the P V partials (block_q x 64 per key block, in the output type).
    let m = Machine::ascend910b_like().unwrap();
    let t = Tiling {
        block_q: 128,
        block_k: 256,
        sub_k: 128,
        vec_rows: 0,
    };
    let params = LaunchParams {
        tiling: Some(t),
        ..LaunchParams::default()
    };
    let s = shape(1, 1, 1024, 64);
    let fp32 = simulate_attention(&m, &KernelKind::FaFp32Softmax.kernel(), &s, &params).unwrap();
    let fp16 = simulate_attention(&m, &KernelKind::FaFp16.kernel(), &s, &params).unwrap();
    let pv_partials = |bytes: u64| 1024 * (1024 / 256) * 64 * bytes; // rows * key blocks * d
    assert_eq!(
        fp32.report.bytes_on(Path::L0CToGm),
        1024 * 1024 * 4 + pv_partials(4)
    );
    assert_eq!(
        fp16.report.bytes_on(Path::L0CToGm),
        1024 * 1024 * 2 + pv_partials(2)
    );
    // P goes back in fp16 in both: UB->GM = seq^2 * 2 plus the output and scaled Q.
    assert_eq!(
        fp32.report.bytes_on(Path::UbToGm),
        fp16.report.bytes_on(Path::UbToGm)
    );
    assert!(fp16.report.cycles < fp32.report.cycles);
}

#[test]
fn pasa_moves_fewer_gm_bytes_than_the_fp32_baseline() {
    let m = Machine::ascend910b_like().unwrap();
    let s = shape(24, 24, 8192, 128);
    let p = LaunchParams::default();
    let fa = simulate_attention(&m, &KernelKind::FaFp32Softmax.kernel(), &s, &p).unwrap();
    let pasa = simulate_attention(&m, &KernelKind::Pasa.kernel(), &s, &p).unwrap();
    assert!(pasa.report.gm_bytes < fa.report.gm_bytes);
    assert!(pasa.report.cycles < fa.report.cycles);
    // Useful FLOPs are the same count for both: 4 * heads * seq^2 * d.
    assert_eq!(fa.report.flops, 4 * 24 * 8192 * 8192 * 128);
    assert_eq!(pasa.report.flops, fa.report.flops);
}

#[test]
fn identical_clusters_shortcut_changes_nothing() {
    let m = Machine::ascend910b_like().unwrap();
    for (s, causal) in [
        (shape(4, 2, 3000, 64), false),
        (shape(2, 1, 1500, 128), true),
    ] {
        for kind in KernelKind::ALL {
            let fast = LaunchParams {
                causal,
                ..LaunchParams::default()
            };
            let full = LaunchParams {
                every_cluster: true,
                ..fast.clone()
            };
            let a = simulate_attention(&m, &kind.kernel(), &s, &fast).unwrap();
            let b = simulate_attention(&m, &kind.kernel(), &s, &full).unwrap();
            assert_eq!(a.report.cycles, b.report.cycles, "{kind:?} causal={causal}");
            assert_eq!(
                a.report.gm_bytes, b.report.gm_bytes,
                "{kind:?} causal={causal}"
            );
            assert_eq!(a.report.instructions, b.report.instructions);
        }
    }
}

#[test]
fn causal_masking_skips_blocks() {
    let m = Machine::ascend910b_like().unwrap();
    let s = shape(24, 24, 4096, 128);
    let k = KernelKind::Pasa.kernel();
    let full = simulate_attention(&m, &k, &s, &LaunchParams::default()).unwrap();
    let causal = simulate_attention(
        &m,
        &k,
        &s,
        &LaunchParams {
            causal: true,
            ..LaunchParams::default()
        },
    )
    .unwrap();
    // Half the (query, key) pairs, plus the diagonal: seq (seq + 1) / 2.
    assert_eq!(causal.report.flops, 2 * 256 * 24 * 4096 * 4097 / 2);
    assert!(causal.report.cycles < full.report.cycles);
}

#[test]
fn gqa_reads_the_same_kv_bytes_per_query_head() {
    // K/V are streamed per query block regardless of sharing (as the vendor kernel does),
    // so MHA and GQA move the same bytes and take the same time.
    let m = Machine::ascend910b_like().unwrap();
    let k = KernelKind::FaFp32Softmax.kernel();
    let p = LaunchParams::default();
    let mha = simulate_attention(&m, &k, &shape(8, 8, 2048, 128), &p).unwrap();
    let gqa = simulate_attention(&m, &k, &shape(8, 2, 2048, 128), &p).unwrap();
    assert_eq!(mha.report.gm_bytes, gqa.report.gm_bytes);
    assert_eq!(mha.report.cycles, gqa.report.cycles);
}

#[test]
fn bad_shapes_are_typed_errors() {
    let m = Machine::ascend910b_like().unwrap();
    let k = KernelKind::Pasa.kernel();
    let p = LaunchParams::default();
    let err = simulate_attention(&m, &k, &shape(3, 2, 128, 64), &p).unwrap_err();
    assert!(
        matches!(err, SimError::BadShape { what: "heads", .. }),
        "{err:?}"
    );
    let err = simulate_attention(&m, &k, &shape(1, 1, 0, 64), &p).unwrap_err();
    assert!(matches!(err, SimError::BadShape { .. }), "{err:?}");
    let exact = pasa_core::Preset::PasaExact.kernel();
    let err = simulate_attention(&m, &exact, &shape(1, 1, 128, 64), &p).unwrap_err();
    assert!(
        matches!(err, SimError::UnsupportedPrecision { .. }),
        "{err:?}"
    );
}

#[test]
fn trace_has_one_track_per_unit_and_parses() {
    let m = Machine::ascend910b_like().unwrap();
    let p = LaunchParams {
        trace_events: 5_000,
        ..LaunchParams::default()
    };
    let launch =
        simulate_attention(&m, &KernelKind::Pasa.kernel(), &shape(1, 1, 2048, 128), &p).unwrap();
    assert!(!launch.trace.is_empty() && launch.trace.len() <= 5_000);
    let json = launch.chrome_trace_json(m.clock_ghz);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    // The file says which cluster it shows, and the process names carry it.
    assert_eq!(v["otherData"]["cluster"], 0);
    assert_eq!(v["otherData"]["clusters"], launch.report.clusters_used);
    let processes: Vec<String> = v["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        processes.iter().any(|p| p == "cluster 0 aic"),
        "{processes:?}"
    );
    assert!(processes.iter().all(|p| p.starts_with("cluster 0 ")));
    // The crate-root function gives the same events without the cluster label.
    let plain = npu_sim::chrome_trace_json(&launch.trace, m.clock_ghz);
    let p: serde_json::Value = serde_json::from_str(&plain).unwrap();
    assert_eq!(
        p["traceEvents"].as_array().unwrap().len(),
        v["traceEvents"].as_array().unwrap().len()
    );
    let events = v["traceEvents"].as_array().unwrap();
    let threads: Vec<String> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| format!("{}/{}", e["pid"], e["args"]["name"]))
        .collect();
    // AIC: MTE1, MTE2, FIX, M; each AIV: MTE2, MTE3, V (S does not appear: issue is
    // accounted as busy time, not as intervals).
    for unit in ["M", "FIX", "MTE1", "MTE2", "V", "MTE3"] {
        assert!(
            threads.iter().any(|t| t.ends_with(&format!("\"{unit}\""))),
            "no track for {unit}: {threads:?}"
        );
    }
    let mut unique = threads.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), threads.len(), "duplicate tracks");
}

#[test]
fn footprint_is_what_the_kernel_reserves() {
    // The buffers a launch reserves are exactly the tiling's footprint (one source of
    // truth for the chooser and the kernel).
    let m = Machine::ascend910b_like().unwrap();
    let s = shape(1, 1, 4096, 128);
    let kernel = KernelKind::FaFp32Softmax.kernel();
    let launch = simulate_attention(&m, &kernel, &s, &LaunchParams::default()).unwrap();
    let ty = npu_sim::tiling::TileTypes {
        head_dim: 128,
        value_dim: 128,
        vector: pasa_core::Scalar::F32,
        out: pasa_core::Scalar::F32,
        pasa: false,
        vector_cores: 2,
    };
    let need = footprint(launch.tiling, &ty);
    for b in Buffer::ALL {
        let align = 512; // the largest alignment; footprints here are multiples of it
        assert_eq!(
            launch.report.peak_of(b).div_ceil(align),
            need[b.index()].div_ceil(align),
            "{b:?}"
        );
    }
}

#[test]
fn compulsory_hbm_traffic_and_l2_residency_are_reported() {
    let m = Machine::ascend910b_like().unwrap();
    let k = KernelKind::Pasa.kernel();
    let p = LaunchParams::default();
    let r = simulate_attention(&m, &k, &shape(24, 24, 8192, 128), &p)
        .unwrap()
        .report;
    // Q, K, V, O of 24 heads, 8192 x 128 fp16 each: 4 * 24 * 8192 * 128 * 2 B.
    assert_eq!(r.hbm_bytes, 4 * 24 * 8192 * 128 * 2);
    assert!(r.hbm_bound_cycles < r.cycles);
    // The clusters work on the query blocks of about 2 heads at a time (items are dealt
    // round-robin by head): 2 * 8192 * 256 * 2 B = 8 MiB of K/V in L2.
    assert!(r.l2_resident);
    // Two heads of 256k tokens, both in flight: 2 * 262144 * 256 * 2 B = 256 MiB > 192 MiB
    // of L2, so the L2-resident assumption fails and the report says so.
    let r = simulate_attention(&m, &k, &shape(2, 2, 262_144, 128), &p)
        .unwrap()
        .report;
    assert!(!r.l2_resident);
}

#[test]
fn one_head_of_32k_simulates_well_under_the_issue_target() {
    // The issue's target: one head of 32k x 128 in under 10 s on this 2-core machine. The
    // measured time is ~0.1 s simulating every cluster; 10 s leaves room for a loaded CI.
    let w = npu_sim::checks::sim_wall_time_32k().unwrap();
    assert!(w.shortcut_s < 10.0 && w.every_cluster_s < 10.0, "{w:?}");
    assert!(w.instructions > 1_000_000);
}
