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
use crate::fs1_loop::{LoopInput, run_log, run_standard};
use crate::fs1_stabilized::run_stabilized;
use crate::fs2::{Ipot, IpotParams};
use crate::kernel::GibbsKernel;
use crate::observer::NoObserver;
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
    /// iteration (its one-off `exp(-C/beta)` is included; time several iterations).
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

fn time_loop(method: Method, problem: &Problem, iterations: usize) -> Result<f64> {
    let eps = 0.05 * problem.geometry().diameter();
    let f0 = vec![0.0; problem.len()];
    let input = LoopInput {
        a: problem.a(),
        b: problem.b(),
        f0: &f0,
        termination: Termination {
            max_iter: iterations,
            tol: 0.0,
            check_every: 10,
        },
        offset: 0,
        diameter_over_eps: 20.0,
    };
    let run = |k: &dyn GibbsKernel, log: bool| -> Result<f64> {
        let t = Instant::now();
        if log {
            run_log(k, &input, &mut NoObserver)?;
        } else {
            run_standard(k, &input, &mut NoObserver)?;
        }
        Ok(t.elapsed().as_secs_f64())
    };
    match method {
        Method::Fs1Standard => run(&ColtKernel::new(problem.geometry(), eps)?, false),
        Method::Fs1Log => run(&ColtKernel::new(problem.geometry(), eps)?, true),
        Method::DenseStandard => run(&DenseKernel::new(problem.geometry(), eps)?, false),
        Method::DenseLog => run(&DenseKernel::new(problem.geometry(), eps)?, true),
        Method::Fs1Stabilized => {
            let Geometry::Line(support) = problem.geometry() else {
                return Err(SinkhornError::Unsupported {
                    operation: "timing Method::Fs1Stabilized",
                    geometry: problem.geometry().name(),
                    reason: "the stabilised kernel is 1D only; time Method::Fs1Log on grids",
                });
            };
            let eps = 1e-3 * problem.geometry().diameter();
            let k = ColtKernel::new(problem.geometry(), eps)?;
            let input = LoopInput {
                diameter_over_eps: 1e3,
                ..input
            };
            let t = Instant::now();
            run_stabilized(support, &k, &input, &mut NoObserver)?;
            Ok(t.elapsed().as_secs_f64())
        }
        Method::Fs2 | Method::Fs2Log => {
            let domain = if method == Method::Fs2 {
                Domain::Auto
            } else {
                Domain::Log
            };
            let params = IpotParams {
                domain,
                ..IpotParams::for_diameter(problem.geometry().diameter())
            };
            let t = Instant::now();
            Ipot::new(params).iterate_potentials(problem, iterations)?;
            Ok(t.elapsed().as_secs_f64())
        }
        Method::DenseIpot => {
            let p = IpotParams::for_diameter(problem.geometry().diameter());
            let t = Instant::now();
            dense_ipot(problem, p.beta, p.inner, iterations, &[])?;
            Ok(t.elapsed().as_secs_f64())
        }
    }
}

/// Time `method` per iteration on a problem of each size. Per-solve set-up (allocation,
/// the `exp`/`log` of the potentials, FS-2's first kernel) is removed by differencing:
/// `(T(2m) - T(m)) / m` with `T` the minimum over `repeats` runs and `m` chosen so that a
/// run of `m` iterations lasts about `target_seconds` (at least 4 iterations). Kernel
/// construction is excluded for FS-1; FS-2 rebuilds its kernel every outer iteration, which
/// is part of its per-iteration cost.
///
/// # Errors
/// As [`Problem::new`] and the solvers.
pub fn time_per_iteration(
    method: Method,
    problems: &[Problem],
    target_seconds: f64,
    repeats: usize,
) -> Result<Vec<TimingPoint>> {
    let mut out = Vec::with_capacity(problems.len());
    for problem in problems {
        // Guard the probe against timer noise (a tiny or negative difference would ask for
        // thousands of iterations): at least a tenth of the plain average.
        let (t4, t2) = (
            time_loop(method, problem, 4)?,
            time_loop(method, problem, 2)?,
        );
        let probe = ((t4 - t2) / 2.0).max(t4 / 40.0).max(1e-9);
        let m = ((target_seconds / probe) as usize).clamp(4, 10_000);
        let (mut t1, mut t2) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..repeats.max(1) {
            t1 = t1.min(time_loop(method, problem, m)?);
            t2 = t2.min(time_loop(method, problem, 2 * m)?);
        }
        // Timer noise can make the difference non-positive at tiny sizes: fall back to the
        // plain average of the longer run then.
        let per = if t2 > t1 {
            (t2 - t1) / m as f64
        } else {
            t2 / (2 * m) as f64
        };
        out.push(TimingPoint {
            n: problem.len(),
            seconds_per_iteration: per,
            iterations: m,
        });
    }
    Ok(out)
}

/// [`time_per_iteration`] on [`crate::cases::bumps_line`] of each size.
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

/// `<C, T_eps>` for each eps (automatic domain, eps-scaling warm starts from the previous
/// eps in the list), with the exact W1 alongside. The gap closes like `O(eps log(1/eps))`.
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
            eps,
            domain: Domain::Auto,
            termination,
            warm_start: warm.take(),
            ..Default::default()
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
            f: r.plan.f.clone(),
            g: r.plan.g.clone(),
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
/// # Errors
/// As [`Ipot::solve`] and [`exact_w1`].
pub fn fs2_vs_exact(problem: &Problem, params: IpotParams) -> Result<Fs2Point> {
    let exact = exact_w1(problem)?;
    let t = Instant::now();
    let r = Ipot::new(params).solve(problem)?;
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
