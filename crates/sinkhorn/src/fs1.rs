//! FS-1: the Sinkhorn solver for W1 with O(N) iterations on CoLT kernels (arXiv:2202.10042),
//! with domain choice, eps-scaling, warm starts, observers and a rayon batch API.
//!
//! The solver is a value ([`Sinkhorn`]) holding its options; the problem is data
//! ([`Problem`]); the loop ([`crate::fs1_loop`]) is shared with the dense baseline.

use rayon::prelude::*;

use crate::colt_kernel::ColtKernel;
use crate::dense::DenseKernel;
use crate::error::Side;
use crate::error::{Result, SinkhornError};
use crate::fs1_loop::{
    LoopInput, LoopOutput, Start, run_log, run_standard, run_standard_colt, run_standard_one_pass,
};
use crate::fs1_stabilized::run_stabilized;
use crate::kernel::GibbsKernel;
use crate::observer::{NoObserver, Observer};
use crate::params::{AUTO_STANDARD_MAX_DIAMETER_OVER_EPS, Backend, Domain, SinkhornParams};
use crate::plan::{Plan, objective_with, transport_cost_with};
use crate::precision::{F32_MAX_DIAMETER_OVER_EPS, F32_MIN_TOL, masses_f32};
use crate::problem::Problem;
use crate::result::SinkhornResult;
use crate::support::Geometry;
use crate::termination::Termination;

/// The FS-1 solver with its options.
///
/// ```
/// use sinkhorn::{Sinkhorn, cases::bumps_line, exact_w1};
/// let problem = bumps_line(500)?;
/// let r = Sinkhorn::default().solve(&problem)?; // eps = 1e-2 of the diameter
/// let w1 = exact_w1(&problem)?;
/// assert!(r.converged() && (r.cost - w1).abs() < 0.05 * w1);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sinkhorn {
    /// Options.
    pub params: SinkhornParams,
}

/// The kernel a stage runs on.
enum StageKernel {
    Colt(Box<ColtKernel>),
    Dense(DenseKernel),
}

impl StageKernel {
    fn build(backend: Backend, geometry: &Geometry, eps: f64) -> Result<Self> {
        Ok(match backend {
            Backend::Colt => StageKernel::Colt(Box::new(ColtKernel::new(geometry, eps)?)),
            Backend::Dense => StageKernel::Dense(DenseKernel::new(geometry, eps)?),
        })
    }

    /// The standard-domain loop on this kernel: one pass per half-step on a uniform line,
    /// the product-then-divide loop elsewhere.
    fn run_standard(
        &self,
        input: &LoopInput<'_>,
        observer: &mut dyn Observer,
    ) -> Result<LoopOutput> {
        match self {
            StageKernel::Colt(k) => run_standard_colt(k, input, observer),
            StageKernel::Dense(k) => run_standard(k, input, observer),
        }
    }

    fn as_dyn(&self) -> &dyn GibbsKernel {
        match self {
            StageKernel::Colt(k) => k.as_ref(),
            StageKernel::Dense(k) => k,
        }
    }
}

/// The domain a stage at `eps` runs in under `domain` (never [`Domain::Auto`]).
///
/// ```
/// use sinkhorn::{Domain, Geometry, Grid2d, resolve_domain};
/// let grid = Geometry::Grid(Grid2d::unit_square(48)?);
/// let h = 1.0 / 47.0;
/// assert_eq!(resolve_domain(Domain::Auto, &grid, h / 8.0), Domain::Standard);
/// assert_eq!(resolve_domain(Domain::Auto, &grid, 1e-4), Domain::Log);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
pub fn resolve_domain(domain: Domain, geometry: &Geometry, eps: f64) -> Domain {
    let line = matches!(geometry, Geometry::Line(_));
    match domain {
        Domain::Auto if geometry.diameter() / eps <= AUTO_STANDARD_MAX_DIAMETER_OVER_EPS => {
            Domain::Standard
        }
        Domain::Auto | Domain::Stabilized if line => Domain::Stabilized,
        Domain::Auto | Domain::Stabilized => Domain::Log,
        d => d,
    }
}

/// Half the difference of the means of the finite entries of `g` and `f`: adding it to `f`
/// and subtracting it from `g` leaves the plan unchanged and makes the two means equal.
fn gauge_shift(f: &[f64], g: &[f64]) -> f64 {
    let mean = |x: &[f64]| {
        let (sum, count) = x
            .iter()
            .filter(|v| v.is_finite())
            .fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
        if count == 0 { 0.0 } else { sum / count as f64 }
    };
    0.5 * (mean(g) - mean(f))
}

impl Sinkhorn {
    /// A solver with these options.
    ///
    /// ```
    /// use sinkhorn::{Domain, Sinkhorn, SinkhornParams};
    /// let solver = Sinkhorn::new(SinkhornParams { domain: Domain::Log, ..SinkhornParams::with_reg(0.01) });
    /// assert_eq!(solver.params.domain, Domain::Log);
    /// ```
    pub fn new(params: SinkhornParams) -> Self {
        Sinkhorn { params }
    }

    /// A solver with default options and POT's absolute `reg` (eps in cost units).
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let r = Sinkhorn::with_reg(0.02).solve(&bumps_line(200)?)?;
    /// assert!((r.plan.eps() - 0.02).abs() < 1e-15);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn with_reg(reg: f64) -> Self {
        Sinkhorn {
            params: SinkhornParams::with_reg(reg),
        }
    }

    /// A solver with default options and `eps = relative * diameter`.
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, Support1d, Problem};
    /// // The same shapes in metres and in kilometres give the same relative blur.
    /// let m = Problem::line(Support1d::linspace(0.0, 2000.0, 3)?, vec![1.0, 0.0, 0.0], vec![0.0, 0.0, 1.0])?;
    /// let km = Problem::line(Support1d::linspace(0.0, 2.0, 3)?, vec![1.0, 0.0, 0.0], vec![0.0, 0.0, 1.0])?;
    /// let s = Sinkhorn::with_relative_eps(0.01);
    /// let (a, b) = (s.solve(&m)?.cost, s.solve(&km)?.cost);
    /// assert!((a / 1000.0 - b).abs() < 1e-9 * b);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn with_relative_eps(relative: f64) -> Self {
        Sinkhorn {
            params: SinkhornParams::with_relative_eps(relative),
        }
    }

    /// Solve `problem`.
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, SinkhornError, SinkhornParams, Termination, cases::bumps_line};
    /// let problem = bumps_line(200)?;
    /// let short = SinkhornParams { termination: Termination::new(5, 1e-9), ..SinkhornParams::default() };
    /// // Not converging is an error that carries the last iterate...
    /// let err = Sinkhorn::new(short.clone()).solve(&problem).unwrap_err();
    /// assert!(matches!(err, SinkhornError::NotConverged { .. }));
    /// // ...unless partial results were asked for.
    /// let partial = SinkhornParams { termination: short.termination.allowing_partial(), ..short };
    /// assert!(!Sinkhorn::new(partial).solve(&problem)?.converged());
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::NotConverged`] (with the last iterate) when `max_iter` is reached
    /// without meeting `tol`, unless [`crate::Termination::allow_partial`]; invalid options
    /// ([`SinkhornError::InvalidParameter`], [`SinkhornError::InvalidOption`],
    /// [`SinkhornError::InvalidWarmStart`], [`SinkhornError::EpsTooSmall`]);
    /// [`SinkhornError::KernelUnderflow`] when [`Domain::Standard`] was forced and
    /// `exp(-C/eps)` underflows (use the log domain); [`SinkhornError::TooLarge`] for the
    /// dense backend on a large problem; [`SinkhornError::NonFinite`] if the log domain
    /// meets a non-finite value, or the cost or objective leaves f64's range (coordinates
    /// near 1e300).
    pub fn solve(&self, problem: &Problem) -> Result<SinkhornResult> {
        self.solve_observed(problem, &mut NoObserver)
    }

    /// Solve `problem`, reporting every violation check to `observer`.
    ///
    /// ```
    /// use sinkhorn::{Record, Sinkhorn, cases::bumps_line};
    /// let mut seen = Vec::new();
    /// let r = Sinkhorn::default().solve_observed(&bumps_line(100)?, &mut |rec: &Record| seen.push(rec.violation))?;
    /// assert_eq!(seen.len(), r.history.len());
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Sinkhorn::solve`].
    pub fn solve_observed(
        &self,
        problem: &Problem,
        observer: &mut dyn Observer,
    ) -> Result<SinkhornResult> {
        let p = &self.params;
        let n = problem.len();
        let geometry = problem.geometry();
        let diameter = geometry.diameter();
        let schedule = p.eps_schedule(geometry)?;
        let mut f0 = self.initial_f(problem, schedule[0])?;
        let mut done = 0usize;
        let mut history = Vec::new();
        let mut last: Option<(LoopOutput, Domain, StageKernel)> = None;
        for (stage, &eps) in schedule.iter().enumerate() {
            let is_last = stage + 1 == schedule.len();
            let termination = Termination {
                tol: if is_last {
                    p.termination.tol
                } else {
                    p.eps_scaling.map_or(p.termination.tol, |s| s.stage_tol)
                },
                ..p.termination
            };
            let kernel = StageKernel::build(p.backend, geometry, eps)?;
            let input = LoopInput {
                a: problem.a(),
                b: problem.b(),
                f0: &f0,
                termination,
                offset: done,
                diameter_over_eps: diameter / eps,
            };
            let domain = resolve_domain(p.domain, geometry, eps);
            let (out, used) = match domain {
                Domain::Standard => match kernel.run_standard(&input, observer) {
                    Ok(o) => (o, Domain::Standard),
                    Err(SinkhornError::KernelUnderflow { .. }) if p.domain == Domain::Auto => {
                        match (&kernel, geometry) {
                            (StageKernel::Colt(k), Geometry::Line(s)) => {
                                (run_stabilized(s, k, &input, observer)?, Domain::Stabilized)
                            }
                            _ => (run_log(kernel.as_dyn(), &input, observer)?, Domain::Log),
                        }
                    }
                    Err(e) => return Err(e),
                },
                Domain::Stabilized => match (&kernel, geometry) {
                    (StageKernel::Colt(k), Geometry::Line(s)) => {
                        (run_stabilized(s, k, &input, observer)?, Domain::Stabilized)
                    }
                    _ => (run_log(kernel.as_dyn(), &input, observer)?, Domain::Log),
                },
                _ => (run_log(kernel.as_dyn(), &input, observer)?, Domain::Log),
            };
            done += out.iterations;
            history.extend_from_slice(&out.history);
            // Warm start the next stage from f shifted by the gauge constant c (the plan
            // depends on f + g only): c balances the means of f and g, so that the scalings
            // e^{f/eps}, e^{g/eps} stay near 1 at the next, smaller eps. Without it the
            // first stage's gauge (POT's u = 1/n at eps = diameter puts f near
            // -diameter * ln n) would carry e^{-diameter ln(n) / eps} into later stages and
            // underflow the standard domain. Zero masses keep -inf, which the loops expect.
            f0 = if is_last {
                Start::Constant(0.0) // not needed any more: free it before the final sums
            } else {
                let c = gauge_shift(&out.f, &out.g);
                Start::Values(
                    out.f
                        .iter()
                        .map(|x| if x.is_finite() { x + c } else { 0.0 })
                        .collect(),
                )
            };
            last = Some((out, used, kernel));
        }
        let (out, domain, kernel) = last.expect("the eps schedule always has a last stage");
        debug_assert_eq!(out.f.len(), n);
        let eps = *schedule
            .last()
            .expect("the eps schedule always has a last stage");
        let (cost, objective) = match out.totals {
            Some(t) => (t.cost, t.objective),
            None => {
                let inv = 1.0 / eps;
                let fs: Vec<f64> = out.f.iter().map(|x| x * inv).collect();
                let gs: Vec<f64> = out.g.iter().map(|x| x * inv).collect();
                let k = kernel.as_dyn();
                let cost = transport_cost_with(k, &fs, &gs);
                (cost, objective_with(k, &fs, &gs, &out.f, &out.g))
            }
        };
        SinkhornResult {
            plan: Plan::new(geometry.clone(), out.f, out.g, eps),
            cost,
            objective,
            iterations: done,
            violation: out.violation,
            history,
            termination: out.reason,
            domain,
        }
        .finish("FS-1", &p.termination)
    }

    /// Solve `problem` with the scalings and the masses stored in f32: half the memory
    /// traffic of [`Sinkhorn::solve`] per iteration, for an accuracy that
    /// `docs/sinkhorn.md` ("The f32 path") measures: the violation levels off near 3e-8 of
    /// the mass; converged to [`crate::F32_MIN_TOL`], the transport cost stays within
    /// [`crate::F32_COST_RTOL`] of the f64 path's on smooth masses at N >= 10^3, and within
    /// `tol * diameter * mass` (the stopping tolerance's own effect) in general.
    /// The products, sums, checks and the result are f64.
    ///
    /// Requirements: a uniform line ([`crate::Support1d::uniform`] or `linspace`), the
    /// structured backend, [`Domain::Auto`] or [`Domain::Standard`] (the standard domain
    /// is what runs), no eps-scaling, `termination.tol >= `[`crate::F32_MIN_TOL`] (unless
    /// partial results are accepted, [`crate::Termination::allow_partial`]),
    /// `diameter / eps <= `[`crate::F32_MAX_DIAMETER_OVER_EPS`], masses that f32 can hold.
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, SinkhornParams, Termination, cases::bumps_line};
    /// let problem = bumps_line(2000)?;
    /// let params = SinkhornParams { termination: Termination::new(1000, 1e-6), ..SinkhornParams::with_relative_eps(0.05) };
    /// let (wide, narrow) = (Sinkhorn::new(params.clone()).solve(&problem)?, Sinkhorn::new(params).solve_f32(&problem)?);
    /// assert!((wide.cost - narrow.cost).abs() < sinkhorn::F32_COST_RTOL * wide.cost);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Sinkhorn::solve`]; [`SinkhornError::Unsupported`] off a uniform line;
    /// [`SinkhornError::InvalidOption`] for another domain or backend, eps-scaling, or a
    /// tolerance below [`crate::F32_MIN_TOL`] without `allow_partial`;
    /// [`SinkhornError::EpsTooSmallForF32`] above
    /// [`crate::F32_MAX_DIAMETER_OVER_EPS`]; [`SinkhornError::NotRepresentable`] for a mass
    /// f32 cannot store; [`SinkhornError::F32ScalingOutOfRange`] when a scaling leaves f32's
    /// normal range during the solve (use [`Sinkhorn::solve`]).
    pub fn solve_f32(&self, problem: &Problem) -> Result<SinkhornResult> {
        self.solve_f32_observed(problem, &mut NoObserver)
    }

    /// [`Sinkhorn::solve_f32`], reporting every violation check to `observer`.
    ///
    /// # Errors
    /// As [`Sinkhorn::solve_f32`].
    pub fn solve_f32_observed(
        &self,
        problem: &Problem,
        observer: &mut dyn Observer,
    ) -> Result<SinkhornResult> {
        let p = &self.params;
        let geometry = problem.geometry();
        let option = |name, value: String, reason| {
            Err(SinkhornError::InvalidOption {
                name,
                value,
                reason,
            })
        };
        if !matches!(p.domain, Domain::Auto | Domain::Standard) {
            return option(
                "domain",
                format!("{:?}", p.domain),
                "the f32 path runs the standard domain (Domain::Auto or Domain::Standard)",
            );
        }
        if p.backend != Backend::Colt {
            return option(
                "backend",
                format!("{:?}", p.backend),
                "the f32 path runs on the structured kernel (Backend::Colt)",
            );
        }
        if p.eps_scaling.is_some() {
            return option(
                "eps_scaling",
                "Some(..)".to_owned(),
                "the f32 path runs one eps stage; warm-start it from an f64 solve instead",
            );
        }
        let tol = p.termination.tol;
        if !p.termination.allow_partial && (tol.is_nan() || tol < F32_MIN_TOL) {
            return option(
                "termination.tol",
                format!("{tol:e}"),
                "below F32_MIN_TOL (1e-6), the f32 rounding of the scalings keeps the violation above it; use Sinkhorn::solve",
            );
        }
        let schedule = p.eps_schedule(geometry)?;
        let eps = schedule[schedule.len() - 1];
        let diameter_over_eps = geometry.diameter() / eps;
        if diameter_over_eps > F32_MAX_DIAMETER_OVER_EPS {
            return Err(SinkhornError::EpsTooSmallForF32 {
                eps,
                diameter_over_eps,
                max: F32_MAX_DIAMETER_OVER_EPS,
            });
        }
        let kernel = ColtKernel::new(geometry, eps)?;
        let Some((line, step)) = kernel.uniform_line() else {
            return Err(SinkhornError::Unsupported {
                operation: "Sinkhorn::solve_f32",
                geometry: geometry.name(),
                reason: "the f32 path runs on uniform lines (Support1d::uniform or linspace); use Sinkhorn::solve",
            });
        };
        let a = masses_f32(Side::Source, problem.a())?;
        let b = masses_f32(Side::Target, problem.b())?;
        let f0 = self.initial_f(problem, eps)?;
        let input = LoopInput {
            a: problem.a(),
            b: problem.b(),
            f0: &f0,
            termination: p.termination,
            offset: 0,
            diameter_over_eps,
        };
        let out = run_standard_one_pass(line, step, eps, &input, (&a[..], &b[..]), observer)
            .map_err(|e| match e {
                SinkhornError::KernelUnderflow {
                    iteration,
                    diameter_over_eps,
                } => SinkhornError::F32ScalingOutOfRange {
                    iteration,
                    diameter_over_eps,
                },
                other => other,
            })?;
        let totals = out.totals.expect("the one-pass loop computes its totals");
        SinkhornResult {
            plan: Plan::new(geometry.clone(), out.f, out.g, eps),
            cost: totals.cost,
            objective: totals.objective,
            iterations: out.iterations,
            violation: out.violation,
            history: out.history,
            termination: out.reason,
            domain: Domain::Standard,
        }
        .finish("FS-1 (f32)", &p.termination)
    }

    /// Solve many `(a, b)` pairs on one geometry in parallel (rayon), one result per pair
    /// in input order.
    ///
    /// ```
    /// use sinkhorn::{Geometry, Sinkhorn, Support1d};
    /// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 3)?);
    /// let pairs = vec![
    ///     (vec![1.0, 0.0, 0.0], vec![0.0, 0.0, 1.0]),
    ///     (vec![0.5, 0.5, 0.0], vec![f64::NAN, 0.5, 0.5]),
    /// ];
    /// let out = Sinkhorn::default().solve_batch(&line, &pairs);
    /// assert!(out[0].is_ok() && out[1].is_err());
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// Each entry fails independently as [`Problem::new`] and [`Sinkhorn::solve`]
    /// (including [`SinkhornError::NotConverged`]).
    pub fn solve_batch(
        &self,
        geometry: &Geometry,
        pairs: &[(Vec<f64>, Vec<f64>)],
    ) -> Vec<Result<SinkhornResult>> {
        pairs
            .par_iter()
            .map(|(a, b)| {
                let problem = Problem::new(geometry.clone(), a.clone(), b.clone())?;
                self.solve(&problem)
            })
            .collect()
    }

    /// The starting source potential: the warm start, or POT's `u = 1/n` at the first
    /// stage's `eps`.
    fn initial_f(&self, problem: &Problem, eps: f64) -> Result<Start> {
        let n = problem.len();
        match &self.params.warm_start {
            None => Ok(Start::Constant(eps * (1.0 / n as f64).ln())),
            Some(w) => {
                if w.f.len() != n || w.g.len() != n {
                    return Err(SinkhornError::InvalidWarmStart {
                        what: "f/g",
                        reason: format!(
                            "lengths {}/{} differ from the support's {n}",
                            w.f.len(),
                            w.g.len()
                        ),
                    });
                }
                for (i, (&f, &a)) in w.f.iter().zip(problem.a()).enumerate() {
                    if a > 0.0 && !f.is_finite() {
                        return Err(SinkhornError::InvalidWarmStart {
                            what: "f",
                            reason: format!("f[{i}] = {f} is not finite where a[{i}] = {a} > 0"),
                        });
                    }
                }
                Ok(Start::Values(
                    w.f.iter()
                        .map(|x| if x.is_finite() { *x } else { 0.0 })
                        .collect(),
                ))
            }
        }
    }
}
