//! Wall-clock measurements without criterion, for `cargo xtask validate`: time per
//! iteration against N (to fit the log-log slope), and the cost against eps (to check
//! convergence to the exact W1). Criterion benches in `benches/` time the same loops.

use std::time::Instant;

use crate::cases::{bumps_grid, bumps_line};
use crate::colt_kernel::ColtKernel;
use crate::dense::DenseKernel;
use crate::dense_ipot::dense_ipot;
use crate::error::Result;
use crate::error::SinkhornError;
use crate::exact::exact_w1;
use crate::fs1::Sinkhorn;
use crate::fs1_loop::{LoopInput, Start, run_log, run_standard, run_standard_colt};
use crate::fs1_stabilized::run_stabilized;
use crate::fs2::{Ipot, IpotParams};
use crate::kernel::GibbsKernel;
use crate::observer::{NoObserver, Observer};
use crate::params::{Domain, SinkhornParams};
use crate::problem::Problem;
use crate::support::Geometry;
use crate::termination::Termination;

/// What to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// FS-1, standard domain, structured kernel.
    Fs1Standard,
    /// FS-1, log domain (log-sum-exp sweeps), structured kernel.
    Fs1Log,
    /// FS-1 with absorption (stabilised CoLT kernel, standard-domain sweeps), timed at
    /// `eps = 1e-3 x diameter` where the standard domain underflows (lines only).
    Fs1Stabilized,
    /// Same loop, dense faer kernel, standard domain.
    DenseStandard,
    /// Same loop, dense kernel, log domain.
    DenseLog,
    /// FS-2 outer iteration (`inner` = 5 steps; default `Domain::Auto`: standard-domain
    /// sweeps on the CoLT iterate rebuilt from the log potentials on lines).
    Fs2,
    /// FS-2 outer iteration with log-sum-exp inner steps (`Domain::Log`).
    Fs2Log,
    /// The literal dense IPOT ([`crate::dense_ipot`], `inner` = 5): the baseline per outer
    /// iteration (its one-off `exp(-C/beta)` cancels in the differencing).
    DenseIpot,
}

/// One timing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimingPoint {
    /// Problem size (points or grid cells).
    pub n: usize,
    /// Seconds per iteration (FS-2: per outer iteration), the minimum over repeats.
    pub seconds_per_iteration: f64,
    /// Iterations per timed run.
    pub iterations: usize,
}

fn loop_input<'a>(problem: &'a Problem, f0: &'a Start, iterations: usize) -> LoopInput<'a> {
    LoopInput {
        a: problem.a(),
        b: problem.b(),
        f0,
        termination: Termination::new(iterations, 0.0).allowing_partial(),
        offset: 0,
        diameter_over_eps: 20.0,
    }
}

/// Seconds per iteration of `method` on `problem`; FS-1 kernels are built once, outside
/// the clock.
fn time_method(method: Method, problem: &Problem, how: Differencing) -> Result<TimingPoint> {
    let (n, geometry) = (problem.len(), problem.geometry());
    let eps = 0.05 * geometry.diameter();
    let f0 = Start::Constant(0.0);
    let fs1 = |k: &dyn GibbsKernel, log: bool| {
        difference_timing(n, how, |m| {
            let input = loop_input(problem, &f0, m);
            if log {
                run_log(k, &input, &mut NoObserver).map(drop)
            } else {
                run_standard(k, &input, &mut NoObserver).map(drop)
            }
        })
    };
    let ipot = |domain| IpotParams {
        domain,
        ..IpotParams::default()
    };
    match method {
        Method::Fs1Standard => {
            // The solver's own dispatch (one pass per half-step on a uniform line).
            let k = ColtKernel::new(geometry, eps)?;
            difference_timing(n, how, |m| {
                run_standard_colt(&k, &loop_input(problem, &f0, m), &mut NoObserver).map(drop)
            })
        }
        Method::Fs1Log => fs1(&ColtKernel::new(geometry, eps)?, true),
        Method::DenseStandard => fs1(&DenseKernel::new(geometry, eps)?, false),
        Method::DenseLog => fs1(&DenseKernel::new(geometry, eps)?, true),
        Method::Fs1Stabilized => {
            let Geometry::Line(support) = geometry else {
                return Err(SinkhornError::Unsupported {
                    operation: "timing Method::Fs1Stabilized",
                    geometry: geometry.name(),
                    reason: "the stabilised kernel is 1D only; time Method::Fs1Log on grids",
                });
            };
            let eps = 1e-3 * geometry.diameter();
            let k = ColtKernel::new(geometry, eps)?;
            difference_timing(n, how, |m| {
                let input = LoopInput {
                    diameter_over_eps: 1e3,
                    ..loop_input(problem, &f0, m)
                };
                run_stabilized(support, &k, &input, &mut NoObserver).map(drop)
            })
        }
        Method::Fs2 | Method::Fs2Log => {
            let domain = if method == Method::Fs2 {
                Domain::Auto
            } else {
                Domain::Log
            };
            let solver = Ipot::new(ipot(domain));
            difference_timing(n, how, |m| solver.iterate_potentials(problem, m).map(drop))
        }
        Method::DenseIpot => {
            let p = ipot(Domain::Standard);
            let beta = p.beta_on(geometry)?;
            difference_timing(n, how, |m| {
                dense_ipot(problem, beta, p.inner, m, &[]).map(drop)
            })
        }
    }
}

/// How [`difference_timing`] sizes its runs: probe runs of `probe` and `2 probe`
/// iterations estimate the seconds per iteration, then runs of `m` and `2m` iterations,
/// `m` chosen so a run lasts about `target_seconds`, are timed `repeats` times each.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Differencing {
    /// Seconds one timed run should last.
    pub target_seconds: f64,
    /// Runs of each length; the minimum time is kept (interference only adds time).
    pub repeats: usize,
    /// Iterations of the shorter probe run; 0 skips the probe and times runs of
    /// `min_iterations` and twice as many (for baselines too slow to probe).
    pub probe: usize,
    /// Floor on the probed seconds per iteration, as a fraction of the longer probe's plain
    /// average (set-up included): a noisy, tiny difference cannot then ask for a run more
    /// than `1 / floor` times longer than `target_seconds`.
    pub floor: f64,
    /// Fewest iterations of the shorter timed run.
    pub min_iterations: usize,
}

impl Differencing {
    /// For iteration loops whose set-up is small next to one iteration (the FS-1 loops
    /// with their kernel built outside the clock): probes of 2 and 4 iterations, floor a
    /// tenth of the plain average.
    ///
    /// ```
    /// assert_eq!(sinkhorn::timing::Differencing::loops(0.1, 3).probe, 2);
    /// ```
    pub fn loops(target_seconds: f64, repeats: usize) -> Self {
        Differencing {
            target_seconds,
            repeats,
            probe: 2,
            floor: 0.1,
            min_iterations: 4,
        }
    }

    /// For whole solves whose set-up (kernels, allocation, a final cost) can dominate a
    /// short run: probes of 4 and 8 iterations, floor a hundredth of the plain average, so
    /// the set-up does not cap the run length at a few iterations.
    ///
    /// ```
    /// assert_eq!(sinkhorn::timing::Differencing::solves(0.1, 3).probe, 4);
    /// ```
    pub fn solves(target_seconds: f64, repeats: usize) -> Self {
        Differencing {
            target_seconds,
            repeats,
            probe: 4,
            floor: 0.01,
            min_iterations: 4,
        }
    }

    /// No probe: runs of `iterations` and `2 iterations`, `repeats` times each. For a
    /// baseline whose iteration lasts seconds (dense IPOT at `N = 10^4`).
    ///
    /// ```
    /// assert_eq!(sinkhorn::timing::Differencing::fixed(5, 1).min_iterations, 5);
    /// ```
    pub fn fixed(iterations: usize, repeats: usize) -> Self {
        Differencing {
            target_seconds: 0.0,
            repeats,
            probe: 0,
            floor: 0.0,
            min_iterations: iterations,
        }
    }
}

/// Seconds per iteration of `run(iterations)` on a problem of size `n`, by differencing:
/// `(min T(2m) - min T(m)) / m`, so one-off work (set-up, a final cost) cancels. When timer
/// noise makes the difference non-positive (tiny sizes), the plain average of the longer
/// run is reported instead (an overestimate).
///
/// ```
/// use sinkhorn::timing::{Differencing, difference_timing};
/// let p = difference_timing(1000, Differencing::fixed(3, 1), |m| {
///     let mut x = 0.0f64;
///     for i in 0..m * 1000 { x += (i as f64).sqrt(); }
///     std::hint::black_box(x);
///     Ok::<(), ()>(())
/// })?;
/// assert!(p.seconds_per_iteration > 0.0 && p.iterations == 3);
/// # Ok::<(), ()>(())
/// ```
///
/// # Errors
/// The first error of `run`.
pub fn difference_timing<E>(
    n: usize,
    how: Differencing,
    mut run: impl FnMut(usize) -> std::result::Result<(), E>,
) -> std::result::Result<TimingPoint, E> {
    let mut time = |k: usize| -> std::result::Result<f64, E> {
        let start = Instant::now();
        run(k)?;
        Ok(start.elapsed().as_secs_f64())
    };
    let least = how.min_iterations.max(1);
    let m = if how.probe == 0 {
        least
    } else {
        let probe = how.probe;
        let (short, long) = (time(probe)?, time(2 * probe)?);
        let per = ((long - short) / probe as f64)
            .max(how.floor * long / (2 * probe) as f64)
            .max(1e-9);
        ((how.target_seconds / per) as usize).clamp(least, 10_000.max(least))
    };
    let (mut t1, mut t2) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..how.repeats.max(1) {
        t1 = t1.min(time(m)?);
        t2 = t2.min(time(2 * m)?);
    }
    let seconds_per_iteration = if t2 > t1 {
        (t2 - t1) / m as f64
    } else {
        t2 / (2 * m) as f64
    };
    Ok(TimingPoint {
        n,
        seconds_per_iteration,
        iterations: m,
    })
}

/// Time `method` per iteration on a problem of each size with [`difference_timing`]
/// ([`Differencing::loops`]): per-solve set-up (allocation, the `exp`/`log` of the
/// potentials, dense IPOT's `exp(-C/beta)`) cancels. FS-1 kernels are built once per
/// problem, outside the clock; FS-2 rebuilds its kernel every outer iteration, which is
/// part of its per-iteration cost.
///
/// ```
/// use sinkhorn::{cases::bumps_line, timing::{Method, time_per_iteration}};
/// let pts = time_per_iteration(Method::Fs1Standard, &[bumps_line(200)?], 1e-3, 1)?;
/// assert!(pts[0].seconds_per_iteration > 0.0);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`Problem::new`] and the solvers.
pub fn time_per_iteration(
    method: Method,
    problems: &[Problem],
    target_seconds: f64,
    repeats: usize,
) -> Result<Vec<TimingPoint>> {
    problems
        .iter()
        .map(|problem| {
            time_method(
                method,
                problem,
                Differencing::loops(target_seconds, repeats),
            )
        })
        .collect()
}

/// [`time_per_iteration`] on [`crate::cases::bumps_line`] of each size.
///
/// ```
/// use sinkhorn::timing::{Method, time_line};
/// let pts = time_line(Method::Fs1Log, &[100, 200], 1e-3, 1)?;
/// assert_eq!(pts.len(), 2);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`time_per_iteration`].
pub fn time_line(
    method: Method,
    sizes: &[usize],
    target_seconds: f64,
    repeats: usize,
) -> Result<Vec<TimingPoint>> {
    let problems = sizes
        .iter()
        .map(|&n| bumps_line(n))
        .collect::<Result<Vec<_>>>()?;
    time_per_iteration(method, &problems, target_seconds, repeats)
}

/// [`time_per_iteration`] on [`crate::cases::bumps_grid`] of each side (N = side^2).
///
/// ```
/// use sinkhorn::timing::{Method, time_grid};
/// let pts = time_grid(Method::Fs1Standard, &[8], 1e-3, 1)?;
/// assert_eq!(pts[0].n, 64);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`time_per_iteration`].
pub fn time_grid(
    method: Method,
    sides: &[usize],
    target_seconds: f64,
    repeats: usize,
) -> Result<Vec<TimingPoint>> {
    let problems = sides
        .iter()
        .map(|&n| bumps_grid(n))
        .collect::<Result<Vec<_>>>()?;
    time_per_iteration(method, &problems, target_seconds, repeats)
}

/// Least-squares slope of `log(seconds)` against `log(n)`: the empirical complexity
/// exponent (1 for O(N), 2 for O(N^2)). NaN for fewer than two points.
///
/// ```
/// use sinkhorn::timing::{TimingPoint, loglog_slope};
/// let pt = |n: usize| TimingPoint { n, seconds_per_iteration: 1e-9 * (n * n) as f64, iterations: 1 };
/// assert!((loglog_slope(&[pt(10), pt(100), pt(1000)]) - 2.0).abs() < 1e-12);
/// ```
pub fn loglog_slope(points: &[TimingPoint]) -> f64 {
    let m = points.len() as f64;
    if points.len() < 2 {
        return f64::NAN;
    }
    let xs: Vec<f64> = points.iter().map(|p| (p.n as f64).ln()).collect();
    let ys: Vec<f64> = points
        .iter()
        .map(|p| p.seconds_per_iteration.ln())
        .collect();
    let (mx, my) = (xs.iter().sum::<f64>() / m, ys.iter().sum::<f64>() / m);
    let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
    sxy / sxx
}

/// One point of the cost-versus-eps curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpsPoint {
    /// Regularisation.
    pub eps: f64,
    /// Entropic transport cost `<C, T_eps>`.
    pub cost: f64,
    /// Exact W1.
    pub exact: f64,
    /// Iterations used.
    pub iterations: usize,
    /// Whether FS-1 met its tolerance.
    pub converged: bool,
}

/// `<C, T_eps>` for each absolute eps (automatic domain, each solve warm-started from the
/// previous eps in the list), with the exact W1 alongside. The gap closes like
/// `O(eps log(1/eps))`. With `termination.allow_partial`, points that hit the cap are
/// reported with `converged == false` instead of failing the sweep.
///
/// ```
/// use sinkhorn::{Termination, cases::bumps_line, timing::cost_vs_eps};
/// let pts = cost_vs_eps(&bumps_line(200)?, &[0.1, 0.05], Termination::default())?;
/// assert!(pts[1].cost < pts[0].cost && pts[1].cost > pts[1].exact);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`Sinkhorn::solve`] and [`exact_w1`].
pub fn cost_vs_eps(
    problem: &Problem,
    eps_list: &[f64],
    termination: Termination,
) -> Result<Vec<EpsPoint>> {
    let exact = exact_w1(problem)?;
    let mut warm = None;
    let mut out = Vec::with_capacity(eps_list.len());
    for &eps in eps_list {
        let params = SinkhornParams {
            domain: Domain::Auto,
            termination,
            warm_start: warm.take(),
            eps_scaling: None,
            ..SinkhornParams::with_reg(eps)
        };
        let r = Sinkhorn::new(params).solve(problem)?;
        out.push(EpsPoint {
            eps,
            cost: r.cost,
            exact,
            iterations: r.iterations,
            converged: r.converged(),
        });
        warm = Some(crate::params::Potentials {
            f: r.plan.f().to_vec(),
            g: r.plan.g().to_vec(),
        });
    }
    Ok(out)
}

/// FS-2 run to convergence against the exact W1, with its cost in time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fs2Point {
    /// Problem size.
    pub n: usize,
    /// Outer iterations used.
    pub iterations: usize,
    /// Whether the outer stopping rule was met.
    pub converged: bool,
    /// Last relative L1 row violation.
    pub violation: f64,
    /// FS-2 `<C, T>`.
    pub cost: f64,
    /// Exact W1.
    pub exact: f64,
    /// `|cost - exact| / exact`.
    pub rel_err: f64,
    /// Wall-clock seconds of the FS-2 solve.
    pub seconds: f64,
}

/// Solve `problem` with FS-2 and compare with the exact W1 (`exact_w1`).
///
/// ```
/// use sinkhorn::{IpotParams, cases::bumps_line, timing::fs2_vs_exact};
/// let p = fs2_vs_exact(&bumps_line(100)?, IpotParams::default())?;
/// assert!(p.converged && p.rel_err < 1e-6);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`Ipot::solve`] and [`exact_w1`].
pub fn fs2_vs_exact(problem: &Problem, params: IpotParams) -> Result<Fs2Point> {
    fs2_vs_exact_observed(problem, params, &mut NoObserver)
}

/// [`fs2_vs_exact`], reporting every check of the FS-2 solve to `observer` (a progress
/// bar for solves that take minutes).
///
/// ```
/// use sinkhorn::{IpotParams, Record, cases::bumps_line, timing::fs2_vs_exact_observed};
/// let mut checks = 0;
/// fs2_vs_exact_observed(&bumps_line(100)?, IpotParams::default(), &mut |_: &Record| checks += 1)?;
/// assert!(checks > 0);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// As [`fs2_vs_exact`].
pub fn fs2_vs_exact_observed(
    problem: &Problem,
    params: IpotParams,
    observer: &mut dyn Observer,
) -> Result<Fs2Point> {
    let exact = exact_w1(problem)?;
    let t = Instant::now();
    let r = Ipot::new(params).solve_observed(problem, observer)?;
    let seconds = t.elapsed().as_secs_f64();
    Ok(Fs2Point {
        n: problem.len(),
        iterations: r.iterations,
        converged: r.converged(),
        violation: r.violation,
        cost: r.cost,
        exact,
        rel_err: (r.cost - exact).abs() / exact,
        seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_differencing_runs_m_and_2m_without_a_probe() {
        let mut calls = Vec::new();
        let p = difference_timing(7, Differencing::fixed(3, 2), |k| {
            calls.push(k);
            Ok::<(), ()>(())
        })
        .expect("the closure does not fail");
        assert_eq!(calls, [3, 6, 3, 6]);
        assert_eq!((p.n, p.iterations), (7, 3));
    }

    #[test]
    fn probed_differencing_starts_with_the_probe_runs() {
        let mut calls = Vec::new();
        let how = Differencing::solves(0.0, 1);
        difference_timing(1, how, |k| {
            calls.push(k);
            Ok::<(), ()>(())
        })
        .expect("the closure does not fail");
        // A zero target asks for the fewest iterations after the probes of 4 and 8.
        assert_eq!(calls, [4, 8, 4, 8]);
    }

    #[test]
    fn the_first_error_of_the_run_is_returned() {
        let mut calls = 0;
        let r = difference_timing(1, Differencing::loops(0.1, 1), |k| {
            calls += 1;
            if k == 4 { Err(k) } else { Ok(()) }
        });
        assert_eq!(r, Err(4));
        assert_eq!(calls, 2);
    }
}
