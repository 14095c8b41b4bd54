//! Self-timed measurements of the O(N) claims, usable without criterion.
//!
//! `cargo xtask validate` and the criterion bench both call these: the log-log slope of the
//! matvec time against N (claim: <= 1.1) and the ratio of one f64 matvec to a plain streaming
//! pass that reads two arrays and writes one (claim: <= 2 at N = 10^6). Times are the best
//! of `reps` runs after one warm-up, on whatever machine runs them; compare only numbers taken
//! in the same run.

use std::hint::black_box;
use std::time::Instant;

use crate::pair::ColtPair;

/// Best (smallest) wall time of `reps` calls of `f` (after one warm-up call), in seconds. The
/// minimum, not the median: on a shared machine other processes only ever add time, so the
/// minimum is the stablest estimate of the code's own cost.
///
/// ```
/// let mut calls = 0;
/// let t = colt::scaling::best_seconds(3, || calls += 1);
/// assert_eq!(calls, 4); // one warm-up, three timed
/// assert!(t >= 0.0);
/// ```
pub fn best_seconds(reps: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    t.sort_by(f64::total_cmp);
    t[0]
}

/// Least-squares slope of `log(t)` against `log(n)` (the scaling exponent); NaN with fewer
/// than two points.
///
/// ```
/// let n = [10, 100, 1000];
/// let t = [1e-6, 1e-5, 1e-4];
/// assert!((colt::scaling::log_log_slope(&n, &t) - 1.0).abs() < 1e-12);
/// ```
pub fn log_log_slope(n: &[usize], seconds: &[f64]) -> f64 {
    let pts: Vec<(f64, f64)> = n
        .iter()
        .zip(seconds)
        .map(|(&n, &t)| ((n as f64).ln(), t.ln()))
        .collect();
    let m = pts.len() as f64;
    let (sx, sy) = pts
        .iter()
        .fold((0.0, 0.0), |(a, b), &(x, y)| (a + x, b + y));
    let (mx, my) = (sx / m, sy / m);
    let (sxy, sxx) = pts.iter().fold((0.0, 0.0), |(a, b), &(x, y)| {
        (a + (x - mx) * (y - my), b + (x - mx) * (x - mx))
    });
    sxy / sxx
}

/// The Gibbs kernel of a uniform grid used by the timings: `N` points with spacing
/// `h = 1 / (N - 1)` on [0, 1] built by [`ColtPair::gibbs_uniform`] (one scalar ratio, the
/// uniform-ratio path), `eps = 0.01` (so `eps / h = 0.01 N`, the regime where the carries
/// matter), and a smooth positive vector.
///
/// ```
/// let (k, v) = colt::scaling::bench_problem(1000);
/// assert_eq!((k.len(), v.len()), (1000, 1000));
/// ```
pub fn bench_problem(n: usize) -> (ColtPair<f64>, Vec<f64>) {
    let h = 1.0 / (n.max(2) - 1) as f64;
    let k = ColtPair::gibbs_uniform(n, h, 0.01)
        .unwrap_or_else(|e| unreachable!("valid bench grid: {e}"));
    (k, bench_vector(n))
}

/// The Gibbs kernel (`eps = 0.01`) of a sorted non-uniform support on about [0, 1],
/// `x_i = (i + 0.3 sin i) h` (gaps between `0.4 h` and `1.6 h`, so every ratio differs and the
/// symmetric unit-diagonal path, which streams one ratio array, is timed), with the vector of
/// [`bench_problem`].
///
/// ```
/// let (k, v) = colt::scaling::bench_problem_nonuniform(1000);
/// assert_eq!((k.len(), v.len()), (1000, 1000));
/// ```
pub fn bench_problem_nonuniform(n: usize) -> (ColtPair<f64>, Vec<f64>) {
    let h = 1.0 / (n.max(2) - 1) as f64;
    let x: Vec<f64> = (0..n)
        .map(|i| (i as f64 + 0.3 * (i as f64).sin()) * h)
        .collect();
    let k = ColtPair::gibbs(&x, 0.01).unwrap_or_else(|e| unreachable!("valid bench support: {e}"));
    (k, bench_vector(n))
}

fn bench_vector(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| 1.0 + 0.5 * (i as f64 * 0.001).sin())
        .collect()
}

/// The streaming baseline: `out_i = a_i * b_i + a_i` (reads two arrays, writes one).
///
/// ```
/// let mut out = [0.0; 2];
/// colt::scaling::streaming_pass(&[1.0, 2.0], &[3.0, 4.0], &mut out);
/// assert_eq!(out, [4.0, 10.0]);
/// ```
#[inline(never)]
pub fn streaming_pass(a: &[f64], b: &[f64], out: &mut [f64]) {
    for ((o, &p), &q) in out.iter_mut().zip(a).zip(b) {
        *o = p * q + p;
    }
}

/// Timings of the f64 matvec (and the streaming baseline) over a set of sizes.
#[derive(Clone, Debug)]
pub struct ScalingReport {
    /// Sizes N.
    pub n: Vec<usize>,
    /// Best seconds of one `ColtPair::apply_in_place` on the uniform grid
    /// ([`bench_problem`]) at each N.
    pub matvec_seconds: Vec<f64>,
    /// Best seconds of one `ColtPair::apply_in_place` on the non-uniform support
    /// ([`bench_problem_nonuniform`]) at each N.
    pub nonuniform_seconds: Vec<f64>,
    /// Best seconds of one [`streaming_pass`] at each N.
    pub streaming_seconds: Vec<f64>,
    /// Best seconds of one `LogColtPair::log_apply_in_place` (the uniform-grid kernel in log
    /// form, on the logarithm of the same vector) at each N, timed in the same rounds.
    pub log_matvec_seconds: Vec<f64>,
    /// Least-squares slope of log(uniform-grid matvec time) against log(N).
    pub slope: f64,
    /// The same slope for the non-uniform support.
    pub nonuniform_slope: f64,
    /// Slope of the streaming pass itself over the same sizes: the memory floor's own
    /// exponent, above 1 when the sizes cross cache levels.
    pub streaming_slope: f64,
}

impl ScalingReport {
    /// Uniform-grid matvec time / streaming time at each N.
    pub fn ratios(&self) -> Vec<f64> {
        self.matvec_seconds
            .iter()
            .zip(&self.streaming_seconds)
            .map(|(m, s)| m / s)
            .collect()
    }
}

/// Times the f64 Gibbs-kernel matvec on a uniform grid and on a non-uniform support, and the
/// streaming pass, at each size, and fits the scaling exponents.
///
/// The four (uniform, non-uniform, streaming, log-domain) are timed round-robin (`reps`
/// rounds, each timing one call of each) and the best (smallest) time of each is kept, so
/// that a burst of load from other processes hits all of them alike and the ratios compare
/// like with like. Per element the cost steps up where the arrays
/// leave L2 (~10^5 f64 here) and L3 (~10^6), for the streaming pass as much as for the
/// matvec, so a fit over sizes that straddle those steps measures the memory hierarchy as well:
/// compare [`ScalingReport::slope`] with [`ScalingReport::streaming_slope`]. Sizes of
/// 10^3 .. 10^7 take well under a second each.
///
/// ```
/// let report = colt::scaling::measure_matvec_scaling(&[1000, 4000], 2);
/// assert_eq!(report.n, vec![1000, 4000]);
/// assert!(report.ratios().iter().all(|r| r.is_finite() && *r > 0.0));
/// for line in report.lines() {
///     println!("{line}");
/// }
/// ```
pub fn measure_matvec_scaling(sizes: &[usize], reps: usize) -> ScalingReport {
    let mut matvec_seconds = Vec::with_capacity(sizes.len());
    let mut nonuniform_seconds = Vec::with_capacity(sizes.len());
    let mut streaming_seconds = Vec::with_capacity(sizes.len());
    let mut log_matvec_seconds = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let (k, v) = bench_problem(n);
        let (kn, _) = bench_problem_nonuniform(n);
        let b = k.d().to_vec();
        let lk = k
            .to_log()
            .unwrap_or_else(|e| unreachable!("positive kernel: {e}"));
        let lv: Vec<f64> = v.iter().map(|t| t.ln()).collect();
        let mut out = vec![0.0; n];
        let mut best = [f64::INFINITY; 4];
        for round in 0..=reps.max(1) {
            let t = [
                time_once(|| {
                    k.apply_in_place(black_box(&v), black_box(&mut out))
                        .unwrap_or_else(|e| unreachable!("{e}"));
                }),
                time_once(|| {
                    kn.apply_in_place(black_box(&v), black_box(&mut out))
                        .unwrap_or_else(|e| unreachable!("{e}"));
                }),
                time_once(|| streaming_pass(black_box(&v), black_box(&b), black_box(&mut out))),
                time_once(|| {
                    lk.log_apply_in_place(black_box(&lv), black_box(&mut out))
                        .unwrap_or_else(|e| unreachable!("{e}"));
                }),
            ];
            // Round 0 warms the caches and the page tables up.
            if round > 0 {
                for (m, t) in best.iter_mut().zip(t) {
                    *m = m.min(t);
                }
            }
        }
        matvec_seconds.push(best[0]);
        nonuniform_seconds.push(best[1]);
        streaming_seconds.push(best[2]);
        log_matvec_seconds.push(best[3]);
    }
    ScalingReport {
        n: sizes.to_vec(),
        slope: log_log_slope(sizes, &matvec_seconds),
        nonuniform_slope: log_log_slope(sizes, &nonuniform_seconds),
        streaming_slope: log_log_slope(sizes, &streaming_seconds),
        matvec_seconds,
        nonuniform_seconds,
        streaming_seconds,
        log_matvec_seconds,
    }
}

/// Wall time of one call of `f`, in seconds.
fn time_once(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    f();
    start.elapsed().as_secs_f64()
}

impl ScalingReport {
    /// Uniform-grid matvec / streaming ratio at size `n`, if it was measured.
    pub fn ratio_at(&self, n: usize) -> Option<f64> {
        self.n
            .iter()
            .position(|&m| m == n)
            .map(|k| self.matvec_seconds[k] / self.streaming_seconds[k])
    }

    /// Log-domain product / streaming ratio at size `n`, if it was measured.
    pub fn log_ratio_at(&self, n: usize) -> Option<f64> {
        self.n
            .iter()
            .position(|&m| m == n)
            .map(|k| self.log_matvec_seconds[k] / self.streaming_seconds[k])
    }

    /// Non-uniform-support matvec / streaming ratio at size `n`, if it was measured.
    pub fn nonuniform_ratio_at(&self, n: usize) -> Option<f64> {
        self.n
            .iter()
            .position(|&m| m == n)
            .map(|k| self.nonuniform_seconds[k] / self.streaming_seconds[k])
    }

    /// Human-readable table: one line per size, then the slopes and the ratios at N = 10^6.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = (0..self.n.len())
            .map(|k| {
                let n = self.n[k] as f64;
                format!(
                    "N = {:>9}: matvec uniform grid {:.2} ns/elem (ratio to streaming {:.2}), non-uniform {:.2} ns/elem (ratio {:.2}), streaming {:.2} ns/elem; log-domain {:.2} ns/elem (ratio {:.2})",
                    self.n[k],
                    self.matvec_seconds[k] * 1e9 / n,
                    self.matvec_seconds[k] / self.streaming_seconds[k],
                    self.nonuniform_seconds[k] * 1e9 / n,
                    self.nonuniform_seconds[k] / self.streaming_seconds[k],
                    self.streaming_seconds[k] * 1e9 / n,
                    self.log_matvec_seconds[k] * 1e9 / n,
                    self.log_matvec_seconds[k] / self.streaming_seconds[k]
                )
            })
            .collect();
        out.push(format!(
            "SLOPE log-log fit over N = {:?}: uniform grid {:.3}, non-uniform {:.3} (target <= 1.1); streaming pass {:.3}",
            self.n, self.slope, self.nonuniform_slope, self.streaming_slope
        ));
        if let (Some(r), Some(q)) = (
            self.ratio_at(1_000_000),
            self.nonuniform_ratio_at(1_000_000),
        ) {
            out.push(format!(
                "RATIO f64 matvec / streaming pass at N = 10^6: uniform grid {r:.2}, non-uniform {q:.2} (target <= 2)"
            ));
        }
        out
    }
}

/// Largest error of the f64 Gibbs-kernel matvec (`ColtPair::apply_in_place`, the interleaved
/// sweeps) and of the log-domain product, against dense faer products of the
/// same kernel, at size `n` with `eps`: returns `(linear, log)` where `linear` is
/// `max_i |(K v)_i - dense_i| / (|K| |v|)_i` (bound: `(4 n_eff + 8) u`,
/// `n_eff = min(n, eps / h)`) and `log` is `max_i |log(K v)_i - log(dense_i)|`. O(n^2) memory:
/// keep `n` to a few thousand.
///
/// ```
/// let (linear, log) = colt::scaling::matvec_error_vs_dense(200, 0.05);
/// assert!(linear < 1e-13 && log < 1e-13);
/// ```
///
/// # Panics
/// If `eps` is not finite and positive (the Gibbs kernel rejects it); a measurement helper
/// for `xtask validate` and the example, not an entry point for user data.
pub fn matvec_error_vs_dense(n: usize, eps: f64) -> (f64, f64) {
    use faer::linalg::matmul::matmul;
    use faer::{Accum, Mat, Par};
    let h = 1.0 / (n.max(2) - 1) as f64;
    let x: Vec<f64> = (0..n).map(|i| i as f64 * h).collect();
    let k = ColtPair::gibbs(&x, eps).unwrap_or_else(|e| unreachable!("valid support: {e}"));
    let lk =
        crate::LogColtPair::gibbs(&x, eps).unwrap_or_else(|e| unreachable!("valid support: {e}"));
    let v: Vec<f64> = (0..n)
        .map(|i| 1.0 + 0.5 * (i as f64 * 0.37).sin())
        .collect();
    let fast = k.apply(&v).unwrap_or_else(|e| unreachable!("{e}"));
    let lv: Vec<f64> = v.iter().map(|t| t.ln()).collect();
    let lfast = lk.log_apply(&lv).unwrap_or_else(|e| unreachable!("{e}"));
    let dense = k.to_dense();
    let vc = Mat::from_fn(n, 1, |i, _| v[i]);
    let mut want = Mat::<f64>::zeros(n, 1);
    matmul(&mut want, Accum::Replace, &dense, &vc, 1.0, Par::Seq);
    // v > 0 and K > 0, so |K| |v| = K v.
    let linear = (0..n)
        .map(|i| (fast[i] - want[(i, 0)]).abs() / want[(i, 0)])
        .fold(0.0, f64::max);
    let log = (0..n)
        .map(|i| (lfast[i] - want[(i, 0)].ln()).abs())
        .fold(0.0, f64::max);
    (linear, log)
}

/// Timings of one scaling half-step `out = m ⊘ (K x)` of [`crate::UniformGibbs`] (one pass,
/// `divide_in_place`) with f64 and with f32 storage, next to the streaming pass, over a set of
/// sizes. A Sinkhorn iteration is two half-steps, so its floor is two streaming passes.
#[derive(Clone, Debug)]
pub struct OnePassReport {
    /// Sizes N.
    pub n: Vec<usize>,
    /// Best seconds of one f64 half-step at each N.
    pub f64_seconds: Vec<f64>,
    /// Best seconds of one f32 half-step (scalings and masses stored in f32) at each N.
    pub f32_seconds: Vec<f64>,
    /// Best seconds of one [`streaming_pass`] at each N.
    pub streaming_seconds: Vec<f64>,
}

impl OnePassReport {
    /// One line per size: ns per element and the ratios to the streaming pass.
    pub fn lines(&self) -> Vec<String> {
        (0..self.n.len())
            .map(|k| {
                let n = self.n[k] as f64;
                let s = self.streaming_seconds[k];
                format!(
                    "N = {:>9}: half-step f64 {:.2} ns/elem (ratio to streaming {:.2}), f32 {:.2} ns/elem (ratio {:.2}), streaming {:.2} ns/elem",
                    self.n[k],
                    self.f64_seconds[k] * 1e9 / n,
                    self.f64_seconds[k] / s,
                    self.f32_seconds[k] * 1e9 / n,
                    self.f32_seconds[k] / s,
                    s * 1e9 / n,
                )
            })
            .collect()
    }
}

/// Times one half-step of [`crate::UniformGibbs::divide_in_place`] (f64 and f32 storage) and
/// the streaming pass at each size, round-robin over `reps` rounds after a warm-up round,
/// keeping the minimum of each (as [`measure_matvec_scaling`]). The grid and vector are those
/// of [`bench_problem`] (`eps / h = 0.01 N`); the masses are a second smooth positive vector.
///
/// ```
/// let report = colt::scaling::measure_one_pass(&[1000, 5000], 2);
/// assert_eq!(report.n, vec![1000, 5000]);
/// assert!(report.f64_seconds.iter().all(|t| *t > 0.0));
/// ```
pub fn measure_one_pass(sizes: &[usize], reps: usize) -> OnePassReport {
    let mut best_all = Vec::with_capacity(sizes.len());
    for &n in sizes {
        let h = 1.0 / (n.max(2) - 1) as f64;
        let k = crate::UniformGibbs::new(n, h, 0.01)
            .unwrap_or_else(|e| unreachable!("valid bench grid: {e}"));
        let x = bench_vector(n);
        let m: Vec<f64> = (0..n)
            .map(|i| 1.0 + 0.25 * (i as f64 * 0.003).cos())
            .collect();
        let x32: Vec<f32> = x
            .iter()
            .map(|&v| <f32 as crate::Real>::from_f64(v))
            .collect();
        let m32: Vec<f32> = m
            .iter()
            .map(|&v| <f32 as crate::Real>::from_f64(v))
            .collect();
        let mut sums = vec![0.0; k.sums_len()];
        let mut sums32 = vec![0.0; k.sums_len()];
        k.block_sums(&x, &mut sums)
            .unwrap_or_else(|e| unreachable!("{e}"));
        k.block_sums(&x32, &mut sums32)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let mut out_sums = vec![0.0; k.sums_len()];
        let mut out = vec![0.0; n];
        let mut out32 = vec![0.0f32; n];
        let mut best = [f64::INFINITY; 3];
        for round in 0..=reps.max(1) {
            let t = [
                time_once(|| {
                    black_box(
                        k.divide_in_place(black_box(&x), &sums, &m, &mut out, &mut out_sums)
                            .unwrap_or_else(|e| unreachable!("{e}")),
                    );
                }),
                time_once(|| {
                    black_box(
                        k.divide_in_place(
                            black_box(&x32),
                            &sums32,
                            &m32,
                            &mut out32,
                            &mut out_sums,
                        )
                        .unwrap_or_else(|e| unreachable!("{e}")),
                    );
                }),
                time_once(|| streaming_pass(black_box(&x), black_box(&m), black_box(&mut out))),
            ];
            if round > 0 {
                for (b, t) in best.iter_mut().zip(t) {
                    *b = b.min(t);
                }
            }
        }
        best_all.push(best);
    }
    OnePassReport {
        n: sizes.to_vec(),
        f64_seconds: best_all.iter().map(|b| b[0]).collect(),
        f32_seconds: best_all.iter().map(|b| b[1]).collect(),
        streaming_seconds: best_all.iter().map(|b| b[2]).collect(),
    }
}
