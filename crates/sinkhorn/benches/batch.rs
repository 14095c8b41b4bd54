//! Many problems at once (`sinkhorn::batch::paired`): problems per second on 1 and 2
//! rayon threads and the parallel efficiency `rate(2) / (2 rate(1))`, for exact W1 on
//! pairs of 1D histograms of 1000 bins (CDF formula) and pairs of 64 x 64 images
//! (certified min-cost flow).
//!
//! The criterion groups (`w1_pairs_1d`, `w1_pairs_64x64`) time a small batch on a pool
//! of one thread (`threads_1_baseline`, the ratio's baseline in `cargo xtask bench`) and
//! of two; then the sweep times the issue-16 sizes once each (10,000 1D pairs and 1,000
//! image pairs; `SINKHORN_BENCH_QUICK=1`: 1,000 and 8) and prints problems/s and the
//! efficiency. Every timed answer is checked: bit for bit equal across thread counts, and
//! the first pairs equal to `exact_w1` one at a time.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use sinkhorn::batch::{Histograms, PairCost, paired};
use sinkhorn::{Geometry, Grid2d, Problem, Support1d, exact_w1};

#[path = "../tests/common/mod.rs"]
mod common;
use common::{Rng, random_rows};

/// One batch: a geometry and the `a`, `b` rows of its pairs.
struct Case {
    name: &'static str,
    geometry: Geometry,
    a: Vec<f64>,
    b: Vec<f64>,
}

impl Case {
    fn line(pairs: usize) -> Self {
        let mut rng = Rng(1);
        let n = 1000;
        Case {
            name: "w1_pairs_1d",
            geometry: Geometry::Line(Support1d::linspace(0.0, 1.0, n).expect("support")),
            a: random_rows(&mut rng, pairs, n),
            b: random_rows(&mut rng, pairs, n),
        }
    }

    fn images(pairs: usize) -> Self {
        let mut rng = Rng(2);
        Case {
            name: "w1_pairs_64x64",
            geometry: Geometry::Grid(Grid2d::unit_square(64).expect("grid")),
            a: random_rows(&mut rng, pairs, 64 * 64),
            b: random_rows(&mut rng, pairs, 64 * 64),
        }
    }

    fn pairs(&self) -> usize {
        self.a.len() / self.geometry.len()
    }

    /// The batch on a pool of `threads` threads.
    fn run(&self, threads: usize) -> Vec<f64> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        let a = Histograms::new(&self.geometry, &self.a).expect("valid rows");
        let b = Histograms::new(&self.geometry, &self.b).expect("valid rows");
        pool.install(|| paired(&a, &b, PairCost::ExactW1).expect("solves"))
    }

    /// Same bits on 1 and 2 threads; the first pairs as `exact_w1` computes them alone.
    fn check(&self, one: &[f64], two: &[f64]) {
        assert!(
            one.iter().zip(two).all(|(x, y)| x.to_bits() == y.to_bits()),
            "{}: 1 and 2 threads disagree",
            self.name
        );
        let n = self.geometry.len();
        for i in 0..self.pairs().min(3) {
            let p = Problem::new(
                self.geometry.clone(),
                self.a[i * n..(i + 1) * n].to_vec(),
                self.b[i * n..(i + 1) * n].to_vec(),
            )
            .expect("valid problem");
            let want = exact_w1(&p).expect("exact W1");
            assert_eq!(one[i].to_bits(), want.to_bits(), "{} pair {i}", self.name);
        }
    }
}

fn criterion_groups(c: &mut Criterion) {
    for (case, seconds) in [(Case::line(2_000), 2), (Case::images(4), 4)] {
        let mut g = c.benchmark_group(case.name);
        g.sample_size(10)
            .warm_up_time(Duration::from_millis(300))
            .measurement_time(Duration::from_secs(seconds))
            .throughput(Throughput::Elements(case.pairs() as u64));
        let pairs = case.pairs();
        g.bench_with_input(
            BenchmarkId::new("threads_1_baseline", pairs),
            &1,
            |b, &t| {
                b.iter(|| black_box(case.run(t)));
            },
        );
        g.bench_with_input(BenchmarkId::new("threads_2", pairs), &2, |b, &t| {
            b.iter(|| black_box(case.run(t)));
        });
        g.finish();
    }
}

/// The sizes, timed once per thread count (after one untimed warm-up of the
/// small line batch): problems/s and the parallel efficiency.
fn sweep() {
    let quick = std::env::var_os("SINKHORN_BENCH_QUICK").is_some();
    let cases = if quick {
        [Case::line(1_000), Case::images(8)]
    } else {
        [Case::line(10_000), Case::images(1_000)]
    };
    black_box(Case::line(100).run(2));
    println!("batch sweep ({}):", if quick { "quick" } else { "full" });
    for case in &cases {
        let mut rates = [0.0; 2];
        let mut results = Vec::new();
        for (slot, threads) in [1usize, 2].into_iter().enumerate() {
            let start = Instant::now();
            results.push(case.run(threads));
            let secs = start.elapsed().as_secs_f64();
            #[allow(clippy::cast_precision_loss)]
            let rate = case.pairs() as f64 / secs;
            rates[slot] = rate;
            println!(
                "  {} pairs={} threads={threads}: {secs:.3} s, {rate:.0} problems/s",
                case.name,
                case.pairs()
            );
        }
        case.check(&results[0], &results[1]);
        println!(
            "  {}: speed-up 2 vs 1 thread {:.2}x, parallel efficiency {:.0}%",
            case.name,
            rates[1] / rates[0],
            50.0 * rates[1] / rates[0]
        );
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    criterion_groups(&mut c);
    c.final_summary();
    sweep();
}
