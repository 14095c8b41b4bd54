//! FS-2: IPOT (Xie et al., UAI 2019) with O(N) iterations, converging to the exact W1
//! (Fast Sinkhorn II, arXiv:2206.09049; reconstruction, brief §3.4).
//!
//! IPOT's iterate `T^(k+1) = argmin_{T in Pi(a,b)} <C,T> + beta KL(T | T^(k))` is a Sinkhorn
//! problem with kernel `G ⊙ T^(k)`, `G = exp(-C/beta)`, solved inexactly by `L` scaling
//! steps. From `T^(0) = 1 1^T`, every iterate is `T^(k) = diag(A_k) G^{⊙k} diag(B_k)`
//! because `G ⊙ diag(A) M diag(B) = diag(A) (G ⊙ M) diag(B)`; and `G^{⊙k}` is the W1 Gibbs
//! kernel at `eps_k = beta / k` (CoLT ratios `rho^k`). So FS-2 runs in *potential form*:
//! `lA = log A_k`, `lB = log B_k` with the FS-1 log-sum-exp sweeps at `eps_k`. This is the
//! CoLT-closure argument of the paper made concrete, and it stays finite when the plan's
//! entries span thousands of orders of magnitude (the linear ratio form underflows within a
//! few hundred iterations, brief §3.5). It works unchanged on 1D uniform, 1D non-uniform and
//! 2D L1 grids, since all three kernels' powers are kernels of the same geometry.
//!
//! On a line, each outer iteration's proximal kernel `Q_k = diag(A_k) G^{⊙k} diag(B_k)` is
//! built with `colt`'s closure operations on the log-form Gibbs pair (`LogColtPair::powf`
//! for the Hadamard power, `LogColtPair::scale` for the diagonal scaling, `to_linear` for
//! ratio form), and the inner steps run the fast standard-domain CoLT products on it.

use crate::colt_kernel::{ColtKernel, computed};
use crate::dense::DenseKernel;
use crate::error::{Result, SinkhornError};
use crate::kernel::GibbsKernel;
use crate::limits::{MAX_INNER_STEPS, MAX_ITERATIONS, check_eps_resolution};
use crate::observer::{NoObserver, Observer, Record};
use crate::params::{Backend, Domain, Eps};
use crate::plan::{Plan, objective_with, transport_cost_with};
use crate::problem::Problem;
use crate::result::SinkhornResult;
use crate::support::Geometry;
use crate::termination::{Termination, TerminationReason};
use colt::LogColtPair;

/// Options of FS-2 / IPOT.
///
/// ```
/// use sinkhorn::{Eps, IpotParams};
/// let p = IpotParams::default();
/// assert_eq!((p.beta, p.inner), (Eps::Relative(0.05), 5));
/// assert!(IpotParams { inner: usize::MAX, ..p }.validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IpotParams {
    /// Proximal step `beta`, relative to the diameter (default `Relative(0.05)`) or in cost
    /// units (`Absolute`). Smaller converges in fewer outer iterations but needs more inner
    /// steps (brief §3.5: `beta = 0.01`, `L = 1` stalls at 1e-3 on `[0, 1]`).
    pub beta: Eps,
    /// Inner Sinkhorn steps `L` per outer iteration (default 5, at most
    /// [`crate::MAX_INNER_STEPS`], and `inner * max_iter <= MAX_ITERATIONS`).
    pub inner: usize,
    /// Outer iterations cap, tolerance on the relative L1 row violation of `T^(k)` (columns
    /// are exact after the inner `v` step), check frequency (default 2000, 1e-9, 10).
    pub termination: Termination,
    /// Also require `|<C,T^(k)> - <C,T^(k - check_every)>| <= cost_tol <C,T^(k)>` before
    /// stopping (default 1e-10). IPOT's iterates are feasible long before they are optimal
    /// (measured: violation 3e-10 after 11 iterations with the cost still 1e-5 off), so the
    /// violation alone is not an outer stopping rule (brief §3.6).
    pub cost_tol: f64,
    /// Structured (O(N)) or dense (O(N^2)) kernel for the same loop.
    pub backend: Backend,
    /// Inner steps' domain. `Log`: log-sum-exp sweeps on `G^k` with the potentials.
    /// Anything else (default `Auto`): on a line with the structured backend, the proximal
    /// kernel `Q_k = diag(A) G^{⊙k} diag(B)` is rebuilt each outer iteration as a CoLT pair
    /// in ratio form from the log potentials (the FS-2 CoLT iterate) and the inner steps run
    /// the fast standard sweeps; an outer iteration whose products under/overflow is redone
    /// in the log domain. Grids and the dense backend always use `Log`.
    pub domain: Domain,
}

impl Default for IpotParams {
    fn default() -> Self {
        IpotParams {
            beta: Eps::Relative(0.05),
            inner: 5,
            termination: Termination::new(Self::DEFAULT_MAX_ITER, 1e-9),
            cost_tol: 1e-10,
            backend: Backend::Colt,
            domain: Domain::Auto,
        }
    }
}

impl IpotParams {
    /// FS-2's default outer-iteration cap (measured, see `docs/sinkhorn.md`).
    pub const DEFAULT_MAX_ITER: usize = 20_000;

    /// Defaults with an absolute `beta` (cost units).
    ///
    /// ```
    /// use sinkhorn::{Eps, IpotParams};
    /// assert_eq!(IpotParams::with_beta(0.1).beta, Eps::Absolute(0.1));
    /// ```
    pub fn with_beta(beta: f64) -> Self {
        IpotParams {
            beta: Eps::Absolute(beta),
            ..Self::default()
        }
    }

    /// The absolute `beta` on `geometry`.
    ///
    /// ```
    /// use sinkhorn::{Geometry, IpotParams, Support1d};
    /// let line = Geometry::Line(Support1d::linspace(0.0, 10.0, 11)?);
    /// assert_eq!(IpotParams::default().beta_on(&line)?, 0.5);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Eps::resolve`] (named `beta`).
    pub fn beta_on(&self, geometry: &Geometry) -> Result<f64> {
        self.beta.resolve_named("beta", geometry)
    }

    /// Validate the options that do not depend on the problem.
    ///
    /// ```
    /// use sinkhorn::IpotParams;
    /// assert!(IpotParams::default().validate().is_ok());
    /// assert!(IpotParams { inner: 0, ..IpotParams::default() }.validate().is_err());
    /// assert!(IpotParams::with_beta(f64::NAN).validate().is_err());
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::InvalidParameter`] for a `beta` value not finite and > 0;
    /// [`SinkhornError::InvalidOption`] for `inner` outside `1..=MAX_INNER_STEPS`,
    /// `inner * max_iter > MAX_ITERATIONS` or a bad termination (including `max_iter == 0`).
    pub fn validate(&self) -> Result<()> {
        let beta = self.beta.value();
        if !(beta.is_finite() && beta > 0.0) {
            return Err(SinkhornError::InvalidParameter {
                name: "beta",
                value: beta,
            });
        }
        if self.cost_tol.is_nan() || self.cost_tol < 0.0 {
            return Err(SinkhornError::InvalidOption {
                name: "cost_tol",
                value: format!("{}", self.cost_tol),
                reason: "a tolerance must be >= 0",
            });
        }
        if self.inner == 0 || self.inner > MAX_INNER_STEPS {
            return Err(SinkhornError::InvalidOption {
                name: "inner",
                value: self.inner.to_string(),
                reason: "IPOT needs between 1 and MAX_INNER_STEPS (1000) inner Sinkhorn steps",
            });
        }
        self.termination.validate()?;
        if self.inner.saturating_mul(self.termination.max_iter) > MAX_ITERATIONS {
            return Err(SinkhornError::InvalidOption {
                name: "inner * max_iter",
                value: format!("{} * {}", self.inner, self.termination.max_iter),
                reason: "at most MAX_ITERATIONS (10^7) inner steps in all",
            });
        }
        Ok(())
    }
}

/// How FS-2 names itself in errors on a line: with the exact O(N) shortcut for the W1 value.
pub const FS2_ON_A_LINE: &str =
    "FS-2 (IPOT; for the W1 value alone on a line, sinkhorn::w1_line is exact in O(N) by the CDF)";

/// The FS-2 solver: IPOT with O(N) iterations, converging to the exact W1.
///
/// On a line the exact W1 is also available in O(N) by the CDF formula ([`crate::w1_line`],
/// [`crate::exact_w1`], [`crate::wasserstein_1d`]): prefer it there; FS-2 is for plans and
/// potentials, and for 2D grids.
///
/// ```
/// use sinkhorn::{Ipot, cases::bumps_line, exact_w1};
/// let problem = bumps_line(400)?;
/// let r = Ipot::default().solve(&problem)?;
/// let w1 = exact_w1(&problem)?;
/// assert!(r.converged() && (r.cost - w1).abs() < 1e-6 * w1);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ipot {
    /// Options.
    pub params: IpotParams,
}

fn build_kernel(backend: Backend, problem: &Problem, eps: f64) -> Result<Box<dyn GibbsKernel>> {
    Ok(match backend {
        Backend::Colt => Box::new(ColtKernel::new(problem.geometry(), eps)?),
        Backend::Dense => Box::new(DenseKernel::new(problem.geometry(), eps)?),
    })
}

/// The potential-form IPOT state after `k` outer iterations.
pub(crate) struct IpotState {
    pub la_acc: Vec<f64>,
    pub lb_acc: Vec<f64>,
    pub k: usize,
}

impl Ipot {
    /// A solver with these options.
    ///
    /// ```
    /// use sinkhorn::{Ipot, IpotParams};
    /// let solver = Ipot::new(IpotParams { inner: 10, ..IpotParams::with_beta(0.02) });
    /// assert_eq!(solver.params.inner, 10);
    /// ```
    pub fn new(params: IpotParams) -> Self {
        Ipot { params }
    }

    /// Solve `problem` to the exact W1 (up to the tolerance).
    ///
    /// ```
    /// use sinkhorn::{Ipot, IpotParams, SinkhornError, Termination, cases::bumps_line};
    /// let zero = IpotParams { termination: Termination::new(0, 1e-9), ..IpotParams::default() };
    /// assert!(matches!(Ipot::new(zero).solve(&bumps_line(10)?), Err(SinkhornError::InvalidOption { .. })));
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::NotConverged`] (with the last iterate) when `max_iter` outer
    /// iterations do not meet the tolerances, unless
    /// [`crate::Termination::allow_partial`]; invalid options (as
    /// [`IpotParams::validate`], [`SinkhornError::EpsTooSmall`] for `beta`);
    /// [`SinkhornError::TooLarge`] for the dense backend on a large problem;
    /// [`SinkhornError::NonFinite`] if a potential becomes non-finite where the mass is
    /// positive, or the cost or objective leaves f64's range.
    pub fn solve(&self, problem: &Problem) -> Result<SinkhornResult> {
        self.solve_observed(problem, &mut NoObserver)
    }

    /// Run exactly `outer` outer iterations (no stopping test) and return the potentials
    /// `(log A_k, log B_k)`: `T^(k)_ij = exp(lA_i - k C_ij / beta + lB_j)`. For comparing
    /// iterates with [`crate::dense_ipot`].
    ///
    /// ```
    /// use sinkhorn::{Ipot, cases::bumps_line};
    /// let (la, lb) = Ipot::default().iterate_potentials(&bumps_line(20)?, 3)?;
    /// assert_eq!((la.len(), lb.len()), (20, 20));
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ipot::solve`], except that there is no convergence test (`outer == 0` is
    /// [`SinkhornError::InvalidOption`]).
    pub fn iterate_potentials(
        &self,
        problem: &Problem,
        outer: usize,
    ) -> Result<(Vec<f64>, Vec<f64>)> {
        let params = IpotParams {
            termination: Termination {
                max_iter: outer,
                tol: 0.0,
                check_every: outer.max(1),
                allow_partial: true,
            },
            ..self.params
        };
        let (state, ..) = Ipot::new(params).run(problem, &mut NoObserver)?;
        Ok((state.la_acc, state.lb_acc))
    }

    /// Solve, reporting each check (`eps` in the record is `beta / k`).
    ///
    /// ```
    /// use sinkhorn::{Ipot, Record, cases::bumps_line};
    /// let mut last = f64::INFINITY;
    /// Ipot::default().solve_observed(&bumps_line(100)?, &mut |r: &Record| last = r.violation)?;
    /// assert!(last <= 1e-9);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Ipot::solve`].
    pub fn solve_observed(
        &self,
        problem: &Problem,
        observer: &mut dyn Observer,
    ) -> Result<SinkhornResult> {
        let (state, violation, history, reason) = self.run(problem, observer)?;
        let beta = self.params.beta_on(problem.geometry())?;
        let k = state.k.max(1);
        let eps = beta / k as f64;
        let kernel = build_kernel(self.params.backend, problem, eps)?;
        let f: Vec<f64> = state.la_acc.iter().map(|x| x * eps).collect();
        let g: Vec<f64> = state.lb_acc.iter().map(|x| x * eps).collect();
        let cost = transport_cost_with(kernel.as_ref(), &state.la_acc, &state.lb_acc);
        let objective = objective_with(kernel.as_ref(), &state.la_acc, &state.lb_acc, &f, &g);
        SinkhornResult {
            plan: Plan::new(problem.geometry().clone(), f, g, eps),
            cost,
            objective,
            iterations: state.k,
            violation,
            history,
            termination: reason,
            domain: Domain::Log,
        }
        .finish(
            match problem.geometry() {
                // The error names the shortcut where one exists (issue 16).
                Geometry::Line(_) => FS2_ON_A_LINE,
                Geometry::Grid(_) => "FS-2 (IPOT)",
            },
            &self.params.termination,
        )
    }

    #[allow(clippy::type_complexity)]
    fn run(
        &self,
        problem: &Problem,
        observer: &mut dyn Observer,
    ) -> Result<(IpotState, f64, Vec<(usize, f64)>, TerminationReason)> {
        let p = &self.params;
        p.validate()?;
        let beta = p.beta_on(problem.geometry())?;
        let n = problem.len();
        let (a, b) = (problem.a(), problem.b());
        let mass: f64 = a.iter().sum();
        let la: Vec<f64> = a.iter().map(|x| x.ln()).collect();
        let lb: Vec<f64> = b.iter().map(|x| x.ln()).collect();
        // T^(0) = 1 1^T restricted to the positive masses; inner scalings start at 1.
        let mut la_acc: Vec<f64> = a
            .iter()
            .map(|&x| if x > 0.0 { 0.0 } else { f64::NEG_INFINITY })
            .collect();
        let mut lb_acc: Vec<f64> = b
            .iter()
            .map(|&x| if x > 0.0 { 0.0 } else { f64::NEG_INFINITY })
            .collect();
        let mut lu = vec![0.0; n];
        let mut lv = vec![0.0; n];
        let mut tmp = vec![0.0; n];
        let mut prod = vec![0.0; n];
        let mut history = Vec::new();
        let mut violation = f64::INFINITY;
        let mut reason = TerminationReason::MaxIterations;
        // The proximal kernel's Gibbs factor G = exp(-C/beta) as a CoLT pair in log form.
        let line_gibbs = match (problem.geometry(), p.backend) {
            (Geometry::Line(s), Backend::Colt) => Some(LogColtPair::gibbs(&s.coords(), beta)?),
            _ => None,
        };
        let zero_masses = a.iter().chain(b).any(|&x| x <= 0.0);
        let mut scratch = vec![0.0; 3 * n];
        let mut k = 0usize;
        let mut last_cost = f64::INFINITY;
        let term = p.termination;
        while k < term.max_iter {
            k += 1;
            let eps_k = beta / k as f64;
            // Past this the proximal kernel G^k can no longer be resolved in f64.
            check_eps_resolution("beta / k", eps_k, problem.geometry().diameter())?;
            // The log-domain kernel at eps_k is built only when needed: log inner steps,
            // zero-mass fill-in, or a check.
            let mut kernel_slot: Option<Box<dyn GibbsKernel>> = None;
            macro_rules! kernel {
                () => {{
                    if kernel_slot.is_none() {
                        kernel_slot = Some(build_kernel(p.backend, problem, eps_k)?);
                    }
                    kernel_slot.as_deref().expect("built above")
                }};
            }
            let linear = match (&line_gibbs, p.domain) {
                (Some(gibbs), d) if d != Domain::Log => {
                    let filled = if zero_masses {
                        Some(kernel_log_fill(
                            kernel!(),
                            a,
                            b,
                            &la_acc,
                            &lb_acc,
                            &lv,
                            &mut tmp,
                            &mut prod,
                        ))
                    } else {
                        None
                    };
                    let (fa, fb) = match &filled {
                        Some(f) => f.split_at(n),
                        None => (la_acc.as_slice(), lb_acc.as_slice()),
                    };
                    linear_inner(gibbs, k, fa, fb, a, b, p.inner, &mut lu, &mut lv)
                }
                _ => false,
            };
            if !linear {
                for _ in 0..p.inner {
                    // u = a / (Q v), Q = diag(A) G^k diag(B).
                    for ((t, &lbj), &lvj) in tmp.iter_mut().zip(&lb_acc).zip(&lv) {
                        *t = lbj + lvj;
                    }
                    kernel!().log_apply(&tmp, &mut prod, &mut scratch);
                    for (((u, &lai), &lacc), &q) in lu.iter_mut().zip(&la).zip(&la_acc).zip(&prod) {
                        if lacc > f64::NEG_INFINITY {
                            *u = lai - lacc - q;
                        }
                    }
                    // v = b / (Q^T u).
                    for ((t, &lacc), &lui) in tmp.iter_mut().zip(&la_acc).zip(&lu) {
                        *t = lacc + lui;
                    }
                    kernel!().log_apply(&tmp, &mut prod, &mut scratch);
                    for (((v, &lbj), &lacc), &q) in lv.iter_mut().zip(&lb).zip(&lb_acc).zip(&prod) {
                        if lacc > f64::NEG_INFINITY {
                            *v = lbj - lacc - q;
                        }
                    }
                }
            }
            // T^(k) = diag(u) Q diag(v): accumulate the scalings into the potentials.
            let mut bad = false;
            for ((acc, &u), &ai) in la_acc.iter_mut().zip(&lu).zip(a) {
                if ai > 0.0 {
                    *acc += u;
                    bad |= !acc.is_finite();
                }
            }
            for ((acc, &v), &bj) in lb_acc.iter_mut().zip(&lv).zip(b) {
                if bj > 0.0 {
                    *acc += v;
                    bad |= !acc.is_finite();
                }
            }
            if bad {
                return Err(SinkhornError::NonFinite {
                    what: "IPOT potentials",
                    iteration: k,
                });
            }
            if term.due(k) || k == term.max_iter {
                kernel!().log_apply(&lb_acc, &mut prod, &mut scratch);
                violation = prod
                    .iter()
                    .zip(&la_acc)
                    .zip(a)
                    .map(|((q, l), ai)| {
                        let s = q + l;
                        let r = if s > f64::NEG_INFINITY { s.exp() } else { 0.0 };
                        (r - ai).abs()
                    })
                    .sum::<f64>()
                    / mass;
                history.push((k, violation));
                observer.observe(&Record {
                    iteration: k,
                    violation,
                    eps: eps_k,
                });
                let cost = transport_cost_with(kernel!(), &la_acc, &lb_acc);
                let stalled = (cost - last_cost).abs() <= p.cost_tol * cost;
                last_cost = cost;
                if term.met(violation) && stalled {
                    reason = TerminationReason::Converged;
                    break;
                }
            }
        }
        Ok((IpotState { la_acc, lb_acc, k }, violation, history, reason))
    }
}

/// Finite log potentials for the CoLT form of `Q_k`: zero masses (potential `-inf`) get the
/// soft c-transform of the other side at `eps_k`, which keeps every ratio bounded (their
/// scalings are zero, so the value only conditions the sweeps). Returns `(fa, fb)` packed
/// back to back.
#[allow(clippy::too_many_arguments)]
fn kernel_log_fill(
    kernel: &dyn GibbsKernel,
    a: &[f64],
    b: &[f64],
    la_acc: &[f64],
    lb_acc: &[f64],
    lv: &[f64],
    tmp: &mut [f64],
    prod: &mut [f64],
) -> Vec<f64> {
    let n = a.len();
    let mut out = Vec::with_capacity(2 * n);
    out.extend_from_slice(la_acc);
    out.extend_from_slice(lb_acc);
    let zeros_a = a.iter().any(|&x| x <= 0.0);
    let zeros_b = b.iter().any(|&x| x <= 0.0);
    if zeros_a {
        for ((t, &l), &v) in tmp.iter_mut().zip(lb_acc).zip(lv) {
            *t = l + v;
        }
        kernel.log_apply(tmp, prod, &mut []);
        for ((o, &m), &q) in out[..n].iter_mut().zip(a).zip(prod.iter()) {
            if m <= 0.0 {
                *o = -q;
            }
        }
    }
    if zeros_b {
        kernel.log_apply(&out[..n], prod, &mut []);
        for ((o, &m), &q) in out[n..].iter_mut().zip(b).zip(prod.iter()) {
            if m <= 0.0 {
                *o = -q;
            }
        }
    }
    out
}

/// `L` inner Sinkhorn steps on `Q_k` in the standard domain, with `Q_k` built by `colt`'s
/// closure operations: the Hadamard power `G^{⊙k}` (`LogColtPair::powf`), the diagonal
/// scaling by the potentials (`LogColtPair::scale`), then ratio form
/// (`LogColtPair::to_linear`): `d_i = e^{lA_i + lB_i}`, `r_i = rho_i^k e^{lA_{i+1} - lA_i}`,
/// `s_i = rho_i^k e^{lB_{i+1} - lB_i}` (brief §3.2). On success writes `lu = log u`,
/// `lv = log v` and returns true; returns false (leaving `lu`, `lv` untouched) if a parameter
/// or scaling is not finite.
#[allow(clippy::too_many_arguments)]
fn linear_inner(
    gibbs: &LogColtPair<f64>,
    k: usize,
    fa: &[f64],
    fb: &[f64],
    a: &[f64],
    b: &[f64],
    inner: usize,
    lu: &mut [f64],
    lv: &mut [f64],
) -> bool {
    let n = a.len();
    let Ok(q) = gibbs
        .powf(k as f64)
        .and_then(|g| g.scale(fa, fb))
        .and_then(|q| q.to_linear())
    else {
        return false;
    };
    let mut v: Vec<f64> = lv
        .iter()
        .zip(b)
        .map(|(l, &m)| if m > 0.0 { l.exp() } else { 0.0 })
        .collect();
    let mut u = vec![0.0; n];
    let mut prod = vec![0.0; n];
    for _ in 0..inner {
        computed(q.apply_in_place(&v, &mut prod), &mut prod);
        for ((ui, &ai), &p) in u.iter_mut().zip(a).zip(&prod) {
            *ui = if ai > 0.0 { ai / p } else { 0.0 };
        }
        computed(q.apply_transpose_in_place(&u, &mut prod), &mut prod);
        for ((vj, &bj), &p) in v.iter_mut().zip(b).zip(&prod) {
            *vj = if bj > 0.0 { bj / p } else { 0.0 };
        }
    }
    let ok = |x: &[f64], m: &[f64]| {
        x.iter()
            .zip(m)
            .all(|(x, &m)| m <= 0.0 || (x.is_finite() && *x > 0.0))
    };
    if !(ok(&u, a) && ok(&v, b)) {
        return false;
    }
    for ((l, x), &m) in lu.iter_mut().zip(&u).zip(a) {
        if m > 0.0 {
            *l = x.ln();
        }
    }
    for ((l, x), &m) in lv.iter_mut().zip(&v).zip(b) {
        if m > 0.0 {
            *l = x.ln();
        }
    }
    true
}
