//! Timings that survive a busy machine, for the suites' speed claims.
//!
//! On a shared 2-core machine another process can take a core at any moment, so a single
//! long timed run measures the load as much as the code. Here:
//!
//! - runs are timed by the CPU clock of the thread that runs them
//!   (`CLOCK_THREAD_CPUTIME_ID`; wall time where there is none), inside a one-thread rayon
//!   pool so that any parallel section of a solver runs on that thread too: the time a
//!   thread spends waiting for a core is not its cost, and parallel speed-up (which depends
//!   on how many cores are free) stays out of O(N) claims;
//! - every quantity is timed in many short runs (about [`Options::sample_seconds`] each),
//!   the workloads of one size round-robin with a baseline of the same size (a streaming
//!   pass over N f64s), so a burst of cache or memory-bandwidth pressure from other
//!   processes hits them alike;
//! - interference only ever adds time, so each quantity is the minimum over its runs; its
//!   noise is how far the fastest quarter of the runs spreads above that minimum
//!   ([`Samples::noise`]), and a claim's margin follows from it;
//! - a check that misses its threshold measures again ([`remeasure`]), pooling the runs,
//!   before it reports.

use std::hint::black_box;
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::Context;

use serde::Serialize;

/// How long and how often to time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// Target length of one timed run, seconds (runs of a single unit may be longer).
    pub sample_seconds: f64,
    /// Round-robin rounds per measurement: each workload runs this many times (twice as
    /// many runs when differenced).
    pub rounds: usize,
}

/// The wall times of the repeated runs of one quantity, seconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Samples(Vec<f64>);

impl Samples {
    /// The fastest run (infinite when there is none).
    #[must_use]
    pub fn min(&self) -> f64 {
        self.0.iter().copied().fold(f64::INFINITY, f64::min)
    }

    /// Relative noise of [`Samples::min`]: the slowest of the fastest quarter of the runs,
    /// minus the fastest, over the fastest. Near 0 when many runs land on the minimum (a quiet
    /// machine, a trustworthy minimum); large when even the best runs scatter. With fewer
    /// than two runs nothing is known: infinite.
    #[must_use]
    pub fn noise(&self) -> f64 {
        if self.0.len() < 2 {
            return f64::INFINITY;
        }
        let mut sorted = self.0.clone();
        sorted.sort_by(f64::total_cmp);
        // The fastest quarter is the first len / 4 runs (at least two).
        let k = (sorted.len() / 4).max(2) - 1;
        (sorted[k] - sorted[0]) / sorted[0]
    }

    /// Number of runs.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no run.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn push(&mut self, seconds: f64) {
        self.0.push(seconds);
    }

    fn extend(&mut self, other: &Self) {
        self.0.extend_from_slice(&other.0);
    }
}

/// One workload's runs at one size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timing {
    /// Units of work (iterations, calls) in the shorter run.
    pub m: usize,
    /// Runs of `m` units.
    pub short: Samples,
    /// Runs of `2 m` units, for a differenced workload; empty otherwise.
    pub long: Samples,
}

impl Timing {
    /// Seconds per unit: `(min T(2m) - min T(m)) / m` for a differenced workload (per-run
    /// set-up cancels), `min T(m) / m` otherwise. When noise makes the difference
    /// non-positive, the plain average of the longer run (an overestimate).
    #[must_use]
    pub fn seconds(&self) -> f64 {
        let m = self.m as f64;
        if self.long.is_empty() {
            return self.short.min() / m;
        }
        let (t1, t2) = (self.short.min(), self.long.min());
        if t2 > t1 {
            (t2 - t1) / m
        } else {
            t2 / (2.0 * m)
        }
    }

    /// Relative noise of [`Timing::seconds`]: each minimum may be high by its noise, and a
    /// difference carries both errors.
    #[must_use]
    pub fn noise(&self) -> f64 {
        if self.long.is_empty() {
            return self.short.noise();
        }
        let (t1, t2) = (self.short.min(), self.long.min());
        if t2 > t1 {
            (t1 * self.short.noise() + t2 * self.long.noise()) / (t2 - t1)
        } else {
            self.long.noise()
        }
    }

    fn absorb(&mut self, other: &Self) {
        self.short.extend(&other.short);
        self.long.extend(&other.long);
    }
}

/// Seconds on the calling thread's CPU clock (`CLOCK_THREAD_CPUTIME_ID`), or of wall time
/// on a platform without one.
fn now() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec through a pointer to a live local.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &raw mut ts) } == 0 {
            return ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9;
        }
    }
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_secs_f64()
}

/// A timed piece of work: `run(k)` does `k` units (iterations of a solve, calls).
pub struct Workload<'a> {
    name: &'static str,
    step: usize,
    fixed: Option<usize>,
    differenced: bool,
    run: Box<dyn FnMut(usize) -> anyhow::Result<()> + Send + 'a>,
}

impl<'a> Workload<'a> {
    /// Work with a one-off set-up per run (a whole solve): timed over `m` and `2 m` units and
    /// differenced. Run lengths are multiples of `step` (FS-1 checks its marginals every 10
    /// iterations, so every run pays the same share of checks).
    pub fn differenced(
        name: &'static str,
        step: usize,
        run: impl FnMut(usize) -> anyhow::Result<()> + Send + 'a,
    ) -> Self {
        Self {
            name,
            step: step.max(1),
            fixed: None,
            differenced: true,
            run: Box::new(run),
        }
    }

    /// Runs of exactly `m` (and `2 m`) units at every size, not sized by a probe: for work
    /// whose cost per unit depends on which units run (FS-2's outer iterations change
    /// with k through eps = beta / k), so every size is differenced over the same window.
    #[must_use]
    pub fn fixed(mut self, m: usize) -> Self {
        self.fixed = Some(m.max(1));
        self
    }

    /// Work without set-up (repeated calls of a product): timed over `m` units.
    pub fn batched(
        name: &'static str,
        run: impl FnMut(usize) -> anyhow::Result<()> + Send + 'a,
    ) -> Self {
        Self {
            name,
            step: 1,
            fixed: None,
            differenced: false,
            run: Box::new(run),
        }
    }

    /// The name it is reported under.
    #[must_use]
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn time(&mut self, units: usize) -> anyhow::Result<f64> {
        let start = now();
        (self.run)(units)?;
        Ok(now() - start)
    }

    /// Units per run so that a run lasts about `target` seconds, from one warm-up run and
    /// probe runs of `step` (and `2 step`) units.
    fn units_for(&mut self, target: f64) -> anyhow::Result<usize> {
        if let Some(m) = self.fixed {
            self.time(m)?; // warm-up
            return Ok(m);
        }
        let step = self.step;
        self.time(step)?;
        let one = self.time(step)?;
        let per = if self.differenced {
            let two = self.time(2 * step)?;
            // Floor at a tenth of the plain average: a noisy, tiny difference must not ask
            // for a run far longer than the target.
            ((two - one) / step as f64).max(0.1 * two / (2 * step) as f64)
        } else {
            one / step as f64
        };
        let units = (target / per.max(1e-9)).clamp(1.0, 1e8) as usize;
        Ok(units.div_ceil(step) * step)
    }
}

/// A streaming pass over `n` f64s (`out_i = a_i b_i + a_i`: two reads, one write;
/// `colt::scaling::streaming_pass`), the memory-bandwidth floor every O(N) claim is
/// compared with; one unit is one pass.
#[must_use]
pub fn streaming(n: usize) -> Workload<'static> {
    let a: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64 * 0.25).collect();
    let b: Vec<f64> = (0..n).map(|i| 0.5 + (i % 5) as f64 * 0.125).collect();
    let mut out = vec![0.0; n];
    Workload::batched("streaming pass", move |k| {
        for _ in 0..k {
            colt::scaling::streaming_pass(black_box(&a), black_box(&b), black_box(&mut out));
        }
        Ok(())
    })
}

/// Every workload's timing at one size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Problem size.
    pub n: usize,
    /// Timings by workload name, in the order the workloads were given.
    pub timings: Vec<(&'static str, Timing)>,
}

impl Point {
    /// The timing of the workload `name`, if it ran at this size.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&Timing> {
        self.timings
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| t)
    }
}

/// Times `workloads` at size `n` round-robin, `options.rounds` rounds, on one thread of a
/// one-thread rayon pool (see the module docs). With `previous` (an earlier measurement of
/// the same workloads), reuses its run lengths and pools its runs.
///
/// # Errors
/// The first error of a workload, or no thread for the pool.
pub fn measure(
    n: usize,
    workloads: Vec<Workload<'_>>,
    options: Options,
    previous: Option<&Point>,
) -> anyhow::Result<Point> {
    let previous = previous.map(std::slice::from_ref);
    let mut points = measure_all(vec![(n, workloads)], options, previous)?;
    points.pop().context("one size in, one point out")
}

/// [`measure`] at each size, the workloads built by `at(n)`. Every round visits every size,
/// so a burst of load lasting seconds hits all sizes alike rather than one end of the fit
/// (the data of all sizes is in memory at once).
///
/// # Errors
/// The first error of `at` or of a workload.
pub fn sweep<'a>(
    sizes: &[usize],
    options: Options,
    previous: Option<&[Point]>,
    mut at: impl FnMut(usize) -> anyhow::Result<Vec<Workload<'a>>>,
) -> anyhow::Result<Vec<Point>> {
    let all = sizes
        .iter()
        .map(|&n| Ok((n, at(n)?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    measure_all(all, options, previous)
}

/// The round-robin over `(size, workloads)` pairs, in a one-thread pool.
fn measure_all(
    mut all: Vec<(usize, Vec<Workload<'_>>)>,
    options: Options,
    previous: Option<&[Point]>,
) -> anyhow::Result<Vec<Point>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .context("starting the one-thread timing pool")?;
    pool.install(|| {
        let mut points = Vec::with_capacity(all.len());
        for (k, (n, workloads)) in all.iter_mut().enumerate() {
            let before = previous.and_then(|p| p.get(k));
            let mut timings = Vec::with_capacity(workloads.len());
            for w in workloads.iter_mut() {
                let m = match before.and_then(|p| p.get(w.name)) {
                    Some(t) => t.m,
                    None => w.units_for(options.sample_seconds)?,
                };
                timings.push((
                    w.name,
                    Timing {
                        m,
                        short: Samples::default(),
                        long: Samples::default(),
                    },
                ));
            }
            points.push(Point { n: *n, timings });
        }
        for _ in 0..options.rounds.max(2) {
            for ((_, workloads), point) in all.iter_mut().zip(points.iter_mut()) {
                for (w, (_, t)) in workloads.iter_mut().zip(point.timings.iter_mut()) {
                    t.short.push(w.time(t.m)?);
                    if w.differenced {
                        t.long.push(w.time(2 * t.m)?);
                    }
                }
            }
        }
        for (k, point) in points.iter_mut().enumerate() {
            if let Some(before) = previous.and_then(|p| p.get(k)) {
                for (name, t) in &mut point.timings {
                    if let Some(old) = before.get(name) {
                        t.absorb(old);
                    }
                }
            }
        }
        Ok(points)
    })
}

/// A series over a sweep: `(n, seconds per unit, relative noise)` of workload `name` at
/// every size where it ran.
#[must_use]
pub fn series(points: &[Point], name: &str) -> Vec<(f64, f64, f64)> {
    points
        .iter()
        .filter_map(|p| p.get(name).map(|t| (p.n as f64, t.seconds(), t.noise())))
        .collect()
}

/// The ratio of two series at the sizes both have: `(n, a / b, noise_a + noise_b)`.
#[must_use]
pub fn ratio(a: &[(f64, f64, f64)], b: &[(f64, f64, f64)]) -> Vec<(f64, f64, f64)> {
    a.iter()
        .filter_map(|&(n, t, e)| {
            b.iter()
                .find(|p| p.0.to_bits() == n.to_bits())
                .map(|&(_, s, f)| (n, t / s, e + f))
        })
        .collect()
}

/// Measures with `measure(previous)`, then, while `settled` says the result does not yet
/// meet its thresholds, measures again with the previous result passed back (so runs pool
/// and minima only fall), at most `attempts` times in all. Returns the last result and how
/// many measurements it took.
///
/// # Errors
/// The first error of `measure`.
pub fn remeasure<T>(
    attempts: usize,
    mut measure: impl FnMut(Option<&T>) -> anyhow::Result<T>,
    settled: impl Fn(&T) -> bool,
) -> anyhow::Result<(T, usize)> {
    let mut result = measure(None)?;
    let mut done = 1;
    while done < attempts && !settled(&result) {
        result = measure(Some(&result))?;
        done += 1;
    }
    Ok((result, done))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(v: &[f64]) -> Samples {
        Samples(v.to_vec())
    }

    #[test]
    fn noise_is_the_spread_of_the_fastest_quarter() {
        // Eight runs: the fastest quarter is the two fastest, 1.0 and 1.1.
        let s = samples(&[1.3, 1.0, 5.0, 1.1, 1.2, 9.0, 1.25, 1.4]);
        assert_eq!(s.min().to_bits(), 1.0f64.to_bits());
        assert!((s.noise() - 0.1).abs() < 1e-12, "{}", s.noise());
        assert!(samples(&[2.0]).noise().is_infinite());
    }

    #[test]
    fn differencing_cancels_set_up_and_carries_both_noises() {
        // Set-up 5 s, 1 s per unit, m = 10: T(10) = 15, T(20) = 25.
        let t = Timing {
            m: 10,
            short: samples(&[15.0, 15.0, 16.5, 18.0]),
            long: samples(&[25.0, 25.0, 26.0, 30.0]),
        };
        assert!((t.seconds() - 1.0).abs() < 1e-12);
        // Both minima are exact (noise 0): the difference is too.
        assert!(t.noise().abs() < 1e-12);
        let noisy = Timing {
            long: samples(&[25.0, 27.5, 30.0, 30.0]),
            ..t
        };
        // (15 * 0 + 25 * 0.1) / 10.
        assert!((noisy.noise() - 0.25).abs() < 1e-12, "{}", noisy.noise());
    }

    #[test]
    fn measuring_interleaves_and_pools_runs() {
        let mut order = Vec::new();
        {
            let log = std::sync::Mutex::new(&mut order);
            let workloads = || {
                vec![
                    Workload::differenced("a", 10, |k| {
                        log.lock().expect("not poisoned").push(('a', k));
                        Ok(())
                    }),
                    Workload::batched("b", |k| {
                        log.lock().expect("not poisoned").push(('b', k));
                        Ok(())
                    }),
                ]
            };
            let options = Options {
                sample_seconds: 0.0,
                rounds: 2,
            };
            let first = measure(7, workloads(), options, None).expect("no workload fails");
            log.lock().expect("not poisoned").clear();
            let second = measure(7, workloads(), options, Some(&first)).expect("no workload fails");
            assert_eq!(second.get("a").map(|t| t.short.0.len()), Some(4));
            assert_eq!(second.get("b").map(|t| t.short.0.len()), Some(4));
            assert!(second.get("b").is_some_and(|t| t.long.0.is_empty()));
        }
        // A zero target asks for one step; the second measurement reuses the run lengths
        // and alternates the workloads within each round.
        assert_eq!(
            order,
            [
                ('a', 10),
                ('a', 20),
                ('b', 1),
                ('a', 10),
                ('a', 20),
                ('b', 1)
            ]
        );
    }

    #[test]
    fn remeasuring_stops_once_settled_or_out_of_attempts() {
        let (last, used) = remeasure(
            5,
            |prev: Option<&u32>| Ok(prev.map_or(1, |p| p + 1)),
            |v| *v >= 3,
        )
        .expect("no error");
        assert_eq!((last, used), (3, 3));
        let (last, used) = remeasure(
            2,
            |prev: Option<&u32>| Ok(prev.map_or(1, |p| p + 1)),
            |_| false,
        )
        .expect("no error");
        assert_eq!((last, used), (2, 2));
    }

    #[test]
    fn ratios_pair_equal_sizes_and_add_noises() {
        let a = [(10.0, 4.0, 0.1), (100.0, 40.0, 0.25)];
        let b = [(100.0, 8.0, 0.5)];
        let r = ratio(&a, &b);
        assert_eq!(r.len(), 1);
        // 40 / 8 and 0.25 + 0.5 are exact in binary.
        assert_eq!(
            (r[0].0.to_bits(), r[0].1.to_bits(), r[0].2.to_bits()),
            (100f64.to_bits(), 5f64.to_bits(), 0.75f64.to_bits())
        );
    }
}
