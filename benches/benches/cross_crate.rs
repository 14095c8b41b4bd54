//! Across crates, at the same N and in the same run: sinkhorn's FS-1 kernel product (a
//! `ColtKernel` on a line), colt's bare CoLT matvec it is built on, and a streaming pass
//! over N f64s (the memory-bandwidth floor, the baseline of the ratios); then whole FS-1
//! iterations against the dense backend where that fits in memory. The answers are
//! asserted before anything is timed: sinkhorn's product equals colt's, and FS-1's cost
//! equals the dense backend's.

use std::hint::black_box;
use std::time::Duration;

use benches::{dense_sizes, fixed_iterations, line_sizes};
use colt::ColtPair;
use colt::scaling::streaming_pass;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use sinkhorn::cases::bumps_line;
use sinkhorn::{Backend, ColtKernel, Domain, GibbsKernel, Sinkhorn, Support1d};

const EPS: f64 = 0.05;

/// f64 unit roundoff.
const U: f64 = f64::EPSILON / 2.0;

fn products(c: &mut Criterion) {
    let mut g = c.benchmark_group("line_products");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    for &n in line_sizes() {
        let problem = bumps_line(n).expect("valid problem");
        let x = Support1d::linspace(0.0, 1.0, n).expect("valid support");
        let kernel = ColtKernel::new(problem.geometry(), EPS).expect("kernel");
        let pair = ColtPair::gibbs(&x.coords(), EPS).expect("pair");
        let v = problem.a().to_vec();
        let mut out = vec![0.0; n];
        let mut scratch = vec![0.0; kernel.scratch_len()];
        let mut bare = vec![0.0; n];
        kernel.apply(&v, &mut out, &mut scratch);
        pair.apply_in_place(&v, &mut bare).expect("lengths match");
        // docs/colt.md: each sweep is within (4 n_eff + 8) u of the exact product, with
        // n_eff = eps / h effective terms; two sweeps of the same kernel differ by twice that.
        let n_eff = (EPS * (n - 1) as f64).min(n as f64);
        let bound = 2.0 * (4.0 * n_eff + 8.0) * U;
        for (i, (s, c)) in out.iter().zip(&bare).enumerate() {
            assert!(
                (s - c).abs() <= bound * c.abs(),
                "N = {n}, row {i}: sinkhorn {s} vs colt {c}"
            );
        }
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("sinkhorn_kernel", n), &n, |b, _| {
            b.iter(|| kernel.apply(black_box(&v), &mut out, &mut scratch));
        });
        g.bench_with_input(BenchmarkId::new("colt_matvec", n), &n, |b, _| {
            b.iter(|| pair.apply_in_place(black_box(&v), &mut bare));
        });
        let w = problem.b().to_vec();
        g.bench_with_input(BenchmarkId::new("streaming", n), &n, |b, _| {
            b.iter(|| streaming_pass(black_box(&v), black_box(&w), &mut bare));
        });
    }
    g.finish();
}

fn iterations(c: &mut Criterion) {
    let mut g = c.benchmark_group("fs1_solve_100_iterations");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    for &n in line_sizes() {
        let problem = bumps_line(n).expect("valid problem");
        let fast = Sinkhorn::new(fixed_iterations(EPS, Domain::Standard, Backend::Colt, 100));
        let dense = Sinkhorn::new(fixed_iterations(EPS, Domain::Standard, Backend::Dense, 100));
        let cost = fast.solve(&problem).expect("FS-1 solves").cost;
        assert!(cost.is_finite() && cost > 0.0, "N = {n}: cost {cost}");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("fs1_standard", n), &n, |b, _| {
            b.iter(|| fast.solve(black_box(&problem)));
        });
        if dense_sizes().contains(&n) {
            // The same loop on a dense kernel: equal to the structured one to rounding
            // (sinkhorn's tests: 1e-10 relative, issue 3).
            let reference = dense.solve(&problem).expect("dense solves").cost;
            assert!(
                (cost - reference).abs() <= 1e-10 * reference,
                "N = {n}: FS-1 {cost} vs dense {reference}"
            );
            g.bench_with_input(BenchmarkId::new("dense_standard", n), &n, |b, _| {
                b.iter(|| dense.solve(black_box(&problem)));
            });
        }
    }
    g.finish();
}

criterion_group!(cross_crate, products, iterations);
criterion_main!(cross_crate);
