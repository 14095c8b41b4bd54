//! Criterion benches for the O(N) claims: CoLT matvec for N = 10^3 .. 10^7 next to a dense
//! faer matvec (N <= 10^4) and a streaming pass (read two arrays, write one) timed in the same
//! run; prints the matvec/streaming ratio at N = 10^6 and the log-log scaling exponent. The
//! `log_matvec_f64` group times the log-domain product the same way, beside the work no log
//! product can skip (one `exp` and one `ln` per element, `colt::transcendental`).

use std::hint::black_box;
use std::time::Duration;

use colt::scaling::{
    bench_problem, bench_problem_nonuniform, log_log_slope, measure_matvec_scaling, streaming_pass,
};
use colt::transcendental::{exp_in_place, ln_in_place};
use criterion::{BenchmarkId, Criterion, Throughput};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

/// Sizes of the matvec bench (one table, style guide §15).
const SIZES: [usize; 5] = [1_000, 10_000, 100_000, 1_000_000, 10_000_000];
/// Largest size for the dense faer baseline (N^2 memory).
const DENSE_MAX: usize = 10_000;

/// Sizes of the log-domain group.
const LOG_SIZES: [usize; 3] = [10_000, 1_000_000, 10_000_000];

/// Checks the timed answer on a small case against the dense product.
fn assert_matches_dense() {
    let (k, v) = bench_problem(300);
    let fast = k.apply(&v).expect("lengths match");
    let dense = k.to_dense();
    let vc = Mat::from_fn(300, 1, |i, _| v[i]);
    let mut want = Mat::<f64>::zeros(300, 1);
    matmul(&mut want, Accum::Replace, &dense, &vc, 1.0, Par::Seq);
    for i in 0..300 {
        // Error bound of the sweep: c * n_eff * u * (|K| |v|)_i with n_eff <= 300; 1e-12 relative is ample.
        assert!(
            (fast[i] - want[(i, 0)]).abs() <= 1e-12 * want[(i, 0)].abs(),
            "row {i}"
        );
    }
}

fn bench(c: &mut Criterion) {
    assert_matches_dense();
    let mut g = c.benchmark_group("matvec_f64");
    // Short windows: the machines are shared, and the self-timed summary below is the record.
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    for &n in &SIZES {
        let (k, v) = bench_problem(n);
        let mut out = vec![0.0; n];
        g.throughput(Throughput::Elements(n as u64));
        if n >= 1_000_000 {
            g.sample_size(10);
        }
        g.bench_with_input(BenchmarkId::new("colt", n), &n, |b, _| {
            b.iter(|| {
                k.apply_in_place(black_box(&v), black_box(&mut out))
                    .expect("lengths match")
            })
        });
        let (kn, _) = bench_problem_nonuniform(n);
        g.bench_with_input(BenchmarkId::new("colt_nonuniform", n), &n, |b, _| {
            b.iter(|| {
                kn.apply_in_place(black_box(&v), black_box(&mut out))
                    .expect("lengths match")
            })
        });
        let d = k.d().to_vec();
        g.bench_with_input(BenchmarkId::new("streaming", n), &n, |b, _| {
            b.iter(|| streaming_pass(black_box(&v), black_box(&d), black_box(&mut out)))
        });
        if n <= DENSE_MAX {
            let dense = k.to_dense();
            let vc = Mat::from_fn(n, 1, |i, _| v[i]);
            let mut res = Mat::<f64>::zeros(n, 1);
            g.bench_with_input(BenchmarkId::new("dense_faer", n), &n, |b, _| {
                b.iter(|| {
                    matmul(
                        &mut res,
                        Accum::Replace,
                        black_box(&dense),
                        black_box(&vc),
                        1.0,
                        Par::Seq,
                    )
                })
            });
        }
    }
    g.finish();
}

/// Checks the timed log products on a small case against the log of the linear product,
/// whose values stay in range here: the log sweeps' absolute error is about `c n_eff u`
/// (`colt::log_sweep`), `n_eff <= 300`, so `1e-12` is ample and still sees a wrong sum.
fn assert_log_matches_linear() {
    for (k, v) in [bench_problem(300), bench_problem_nonuniform(300)] {
        let want = k.apply(&v).expect("lengths match");
        let lv: Vec<f64> = v.iter().map(|x| x.ln()).collect();
        let got = k
            .to_log()
            .expect("positive parameters")
            .log_apply(&lv)
            .expect("lengths match");
        for i in 0..300 {
            assert!((got[i] - want[i].ln()).abs() <= 1e-12, "row {i}");
        }
    }
}

/// `out = ln(exp(x))` in chunks that stay in L1: one `exp` and one `ln` per element, the
/// transcendental work of one blocked log product, with one read and one write.
fn exp_ln(x: &[f64], out: &mut [f64]) {
    for (o, c) in out.chunks_mut(512).zip(x.chunks(512)) {
        o.copy_from_slice(c);
        exp_in_place(o);
        ln_in_place(o);
    }
}

/// The log-domain product (uniform grid: one ratio; non-uniform: a stored ratio array)
/// against the streaming pass and against [`exp_ln`], all in the same run.
fn bench_log(c: &mut Criterion) {
    assert_log_matches_linear();
    let mut g = c.benchmark_group("log_matvec_f64");
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    g.sample_size(10);
    for &n in &LOG_SIZES {
        let (k, v) = bench_problem(n);
        let lk = k.to_log().expect("positive parameters");
        let lkn = bench_problem_nonuniform(n)
            .0
            .to_log()
            .expect("positive parameters");
        let lv: Vec<f64> = v.iter().map(|x| x.ln()).collect();
        let mut out = vec![0.0; n];
        g.throughput(Throughput::Elements(n as u64));
        for (id, pair) in [("log_colt", &lk), ("log_colt_nonuniform", &lkn)] {
            g.bench_with_input(BenchmarkId::new(id, n), &n, |b, _| {
                b.iter(|| {
                    pair.log_apply_in_place(black_box(&lv), black_box(&mut out))
                        .expect("in range")
                })
            });
        }
        g.bench_with_input(BenchmarkId::new("exp_ln", n), &n, |b, _| {
            b.iter(|| exp_ln(black_box(&lv), black_box(&mut out)))
        });
        let d = k.d().to_vec();
        g.bench_with_input(BenchmarkId::new("streaming", n), &n, |b, _| {
            b.iter(|| streaming_pass(black_box(&v), black_box(&d), black_box(&mut out)))
        });
    }
    g.finish();
}

/// Self-timed summary (best of repeats): ratio to the streaming pass and scaling exponent.
fn summary() {
    let report = measure_matvec_scaling(&SIZES, 15);
    println!(
        "colt matvec summary (best of 15 round-robin rounds, same run, f64 Gibbs kernel eps = 0.01 on [0, 1]):"
    );
    for line in report.lines() {
        println!("  {line}");
    }
    let big: Vec<usize> = SIZES.iter().copied().filter(|&n| n >= 100_000).collect();
    let tail = &report.matvec_seconds[SIZES.len() - big.len()..];
    let tail_n = &report.nonuniform_seconds[SIZES.len() - big.len()..];
    println!(
        "  scaling exponent over N >= 10^5: uniform grid {:.3}, non-uniform {:.3}",
        log_log_slope(&big, tail),
        log_log_slope(&big, tail_n)
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    bench_log(&mut c);
    c.final_summary();
    summary();
}
