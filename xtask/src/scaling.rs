//! Timing and scaling fits for the suites' "O(N)" claims: time a call at several sizes,
//! fit log(time) = slope · log(N) + c by least squares, and compare the slope with 1.

use std::hint::black_box;
use std::time::Instant;

use serde::Serialize;

/// Seconds per call of `f`: the fastest of several batches, each long enough (>= 2 ms) for
/// the clock to resolve, run until `budget_s` seconds are spent (at least three batches).
///
/// The minimum, not the mean, because these machines are shared: interference only ever
/// adds time, so the fastest batch is the best estimate of the code's own cost (the
/// convention of Python's `timeit`). Criterion benches (`cargo xtask bench`) report means.
pub fn seconds_per_call<R>(budget_s: f64, mut f: impl FnMut() -> R) -> f64 {
    let start = Instant::now();
    black_box(f());
    let first = start.elapsed().as_secs_f64().max(1e-9);
    let batch = (2e-3 / first).ceil().clamp(1.0, 1e7) as u64;
    let mut best = first;
    let mut batches = 0;
    while batches < 3 || start.elapsed().as_secs_f64() < budget_s {
        let t = Instant::now();
        for _ in 0..batch {
            black_box(f());
        }
        best = best.min(t.elapsed().as_secs_f64() / batch as f64);
        batches += 1;
        if batches >= 1000 {
            break;
        }
    }
    best
}

/// A least-squares fit log10 y = slope · log10 x + intercept.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PowerFit {
    /// The exponent: 1 for linear scaling, 2 for quadratic.
    pub slope: f64,
    /// log10 of the prefactor.
    pub intercept: f64,
}

impl PowerFit {
    /// Fits the points with positive, finite coordinates; `None` with fewer than two
    /// distinct x.
    #[must_use]
    pub fn fit(points: &[(f64, f64)]) -> Option<Self> {
        let logs: Vec<(f64, f64)> = points
            .iter()
            .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
            .map(|(x, y)| (x.log10(), y.log10()))
            .collect();
        let n = logs.len() as f64;
        if logs.len() < 2 {
            return None;
        }
        let mx = logs.iter().map(|p| p.0).sum::<f64>() / n;
        let my = logs.iter().map(|p| p.1).sum::<f64>() / n;
        let sxx: f64 = logs.iter().map(|p| (p.0 - mx).powi(2)).sum();
        let sxy: f64 = logs.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
        if sxx <= 0.0 {
            return None;
        }
        let slope = sxy / sxx;
        Some(Self {
            slope,
            intercept: my - slope * mx,
        })
    }

    /// The fit of `(x, y, noise)` points, and the most its slope can move when each y is off
    /// by up to its relative noise: `sum_i |w_i| log10(1 + noise_i)`, with `w_i` the
    /// least-squares weights `(log10 x_i - mean) / Sxx` (every error lined up against the
    /// slope: a worst case, not a standard error). `None` as for [`PowerFit::fit`].
    #[must_use]
    pub fn fit_with_margin(points: &[(f64, f64, f64)]) -> Option<(Self, f64)> {
        let kept: Vec<(f64, f64, f64)> = points
            .iter()
            .copied()
            .filter(|p| p.0 > 0.0 && p.1 > 0.0 && p.0.is_finite() && p.1.is_finite())
            .collect();
        let fit = Self::fit(&kept.iter().map(|p| (p.0, p.1)).collect::<Vec<_>>())?;
        let n = kept.len() as f64;
        let mx = kept.iter().map(|p| p.0.log10()).sum::<f64>() / n;
        let sxx: f64 = kept.iter().map(|p| (p.0.log10() - mx).powi(2)).sum();
        let margin = kept
            .iter()
            .map(|p| (p.0.log10() - mx).abs() / sxx * p.2.ln_1p() / std::f64::consts::LN_10)
            .sum();
        Some((fit, margin))
    }

    /// The fitted y at `x`.
    #[must_use]
    pub fn at(&self, x: f64) -> f64 {
        10f64.powf(self.intercept + self.slope * x.log10())
    }

    /// The fitted line at the smallest and largest x of `points`, for plotting.
    #[must_use]
    pub fn line(&self, points: &[(f64, f64)]) -> Vec<(f64, f64)> {
        let xs = points
            .iter()
            .map(|p| p.0)
            .filter(|x| *x > 0.0 && x.is_finite());
        let (lo, hi) = xs.fold((f64::INFINITY, 0.0_f64), |(lo, hi), x| {
            (lo.min(x), hi.max(x))
        });
        if lo > hi {
            return Vec::new();
        }
        vec![(lo, self.at(lo)), (hi, self.at(hi))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_an_exact_power_law() {
        let points: Vec<(f64, f64)> = [1e3, 1e4, 1e5, 1e6]
            .iter()
            .map(|&n| (n, 3e-9 * f64::powf(n, 1.5)))
            .collect();
        let fit = PowerFit::fit(&points).expect("four points fit");
        // Exact data: only rounding in log10 and the sums, a few ulps of the values.
        assert!((fit.slope - 1.5).abs() < 1e-12, "slope {}", fit.slope);
        assert!((fit.at(1e5) / 3e-9 / 1e5f64.powf(1.5) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn slope_margin_is_the_worst_case_of_the_point_noises() {
        // Two points a decade apart, each 10 % noisy: the slope can move by 2 log10(1.1).
        let (fit, margin) =
            PowerFit::fit_with_margin(&[(1e3, 1e-6, 0.1), (1e4, 1e-5, 0.1)]).expect("fits");
        assert!((fit.slope - 1.0).abs() < 1e-12);
        assert!((margin - 2.0 * 1.1f64.log10()).abs() < 1e-12, "{margin}");
        // Noise-free points leave no margin.
        let (_, zero) =
            PowerFit::fit_with_margin(&[(1e3, 1.0, 0.0), (1e4, 3.0, 0.0), (1e5, 7.0, 0.0)])
                .expect("fits");
        assert!(zero.abs() < 1e-15);
    }

    #[test]
    fn fit_needs_two_distinct_positive_points() {
        assert!(PowerFit::fit(&[(1.0, 1.0)]).is_none());
        assert!(PowerFit::fit(&[(2.0, 1.0), (2.0, 3.0)]).is_none());
        assert!(PowerFit::fit(&[(2.0, 1.0), (-3.0, 3.0), (4.0, 0.0)]).is_none());
    }

    #[test]
    fn timing_is_positive_and_respects_work() {
        let small = seconds_per_call(0.01, || (0..100u64).sum::<u64>());
        let large = seconds_per_call(0.01, || (0..100_000u64).map(black_box).sum::<u64>());
        assert!(small > 0.0 && large > small, "small {small}, large {large}");
    }
}
