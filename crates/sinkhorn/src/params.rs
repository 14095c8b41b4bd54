//! FS-1 options in one struct with POT-shaped defaults, and eps as a quantity that means
//! something: relative to the support's diameter by default, POT's absolute `reg` on request.

use crate::error::{Result, SinkhornError};
use crate::limits::{MAX_EPS_STAGES, check_eps_resolution};
use crate::support::Geometry;
use crate::termination::Termination;

/// Below this `diameter / eps`, [`Domain::Auto`] runs the standard domain. The scalings
/// `u = e^{f/eps}`, `v = e^{g/eps}` span at most `e^{diameter/eps}` each (W1 potentials are
/// 1-Lipschitz in the cost, so their range is at most the diameter), and f64's normal range
/// spans `e^{1418}`; 1200 leaves a margin for the masses' own range. A breakdown at run
/// time (a product that underflows to zero or to a subnormal, or a scaling that overflows)
/// still falls back to [`Domain::Stabilized`] (lines) or [`Domain::Log`] (grids).
pub const AUTO_STANDARD_MAX_DIAMETER_OVER_EPS: f64 = 1200.0;

/// The default `eps / diameter` of [`Eps::default`]: see `docs/sinkhorn.md` for the
/// accuracy it gives (entropic cost within a few percent of the exact W1 on smooth
/// marginals) and the iterations it needs.
pub const DEFAULT_RELATIVE_EPS: f64 = 1e-2;

/// The entropic regularisation: relative to the support's diameter (the default), or in
/// cost units like POT's `reg`.
///
/// ```
/// use sinkhorn::{Eps, Geometry, Support1d};
/// let line = Geometry::Line(Support1d::linspace(0.0, 250.0, 101)?); // metres
/// assert!((Eps::Relative(1e-2).resolve(&line)? - 2.5).abs() < 1e-15);
/// assert_eq!(Eps::Absolute(0.1).resolve(&line)?, 0.1);
/// assert!(Eps::Absolute(1e-300).resolve(&line).is_err()); // too small to mean anything
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Eps {
    /// `eps = value * diameter` (the largest ground cost on the support; 1 for a single
    /// point), so the same value means the same blur in pixels, metres or seconds.
    Relative(f64),
    /// `eps = value` in cost units (POT's `reg`).
    Absolute(f64),
}

impl Default for Eps {
    /// `Eps::Relative(DEFAULT_RELATIVE_EPS)`.
    fn default() -> Self {
        Eps::Relative(DEFAULT_RELATIVE_EPS)
    }
}

impl Eps {
    /// The value as given (relative or absolute).
    ///
    /// ```
    /// assert_eq!(sinkhorn::Eps::Relative(0.01).value(), 0.01);
    /// ```
    pub fn value(self) -> f64 {
        match self {
            Eps::Relative(v) | Eps::Absolute(v) => v,
        }
    }

    /// The absolute eps on `geometry`.
    ///
    /// ```
    /// use sinkhorn::{Eps, Geometry, Grid2d};
    /// let grid = Geometry::Grid(Grid2d::unit_square(10)?); // L1 diameter 2
    /// assert!((Eps::Relative(0.01).resolve(&grid)? - 0.02).abs() < 1e-17);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::InvalidParameter`] if the value (or the absolute eps) is not finite
    /// and > 0; [`SinkhornError::EpsTooSmall`] below [`crate::MIN_EPS_OVER_DIAMETER`] times
    /// the diameter.
    pub fn resolve(self, geometry: &Geometry) -> Result<f64> {
        self.resolve_named("eps", geometry)
    }

    pub(crate) fn resolve_named(self, name: &'static str, geometry: &Geometry) -> Result<f64> {
        let v = self.value();
        if !(v.is_finite() && v > 0.0) {
            return Err(SinkhornError::InvalidParameter { name, value: v });
        }
        let diameter = geometry.diameter();
        let eps = match self {
            Eps::Relative(r) if diameter > 0.0 => r * diameter,
            Eps::Relative(r) => r,
            Eps::Absolute(e) => e,
        };
        if !(eps.is_finite() && eps > 0.0) {
            return Err(SinkhornError::InvalidParameter { name, value: eps });
        }
        check_eps_resolution(name, eps, diameter)?;
        Ok(eps)
    }
}

/// How the iterates are represented.
///
/// ```
/// use sinkhorn::{Domain, Geometry, Support1d, resolve_domain};
/// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 100)?);
/// assert_eq!(resolve_domain(Domain::Auto, &line, 0.01), Domain::Standard);
/// assert_eq!(resolve_domain(Domain::Auto, &line, 1e-4), Domain::Stabilized);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Domain {
    /// Standard domain when `diameter / eps <= AUTO_STANDARD_MAX_DIAMETER_OVER_EPS`, else
    /// [`Domain::Stabilized`] on a line and [`Domain::Log`] on a grid; a standard-domain
    /// breakdown falls back to those.
    #[default]
    Auto,
    /// Scalings `u, v` and plain kernel products (fastest; breaks down at small eps with
    /// [`SinkhornError::KernelUnderflow`]).
    Standard,
    /// Potentials `f, g` and log-sum-exp sweeps (finite for any eps).
    Log,
    /// Potentials absorbed into a stabilised CoLT kernel applied in the standard domain
    /// (brief §2.5 (B)): log-domain robustness at near standard-domain speed. Lines only
    /// and structured backend only; grids and the dense backend run [`Domain::Log`].
    Stabilized,
}

/// Which kernel implementation the loop runs on.
///
/// ```
/// use sinkhorn::{Backend, Sinkhorn, SinkhornParams, cases::bumps_line};
/// let problem = bumps_line(50)?;
/// let dense = SinkhornParams { backend: Backend::Dense, ..SinkhornParams::default() };
/// let (fast, slow) = (Sinkhorn::default().solve(&problem)?, Sinkhorn::new(dense).solve(&problem)?);
/// assert!((fast.cost - slow.cost).abs() < 1e-8 * fast.cost);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The O(N) structured kernel on `colt` (FS-1).
    #[default]
    Colt,
    /// The O(N^2) dense faer baseline (same loop; two `N x N` matrices, refused with
    /// [`SinkhornError::TooLarge`] above [`crate::MAX_BUFFER_BYTES`]).
    Dense,
}

/// Continuation from a large eps down to the target: each stage warm-starts from the
/// previous stage's potentials. Worth it when eps is far below the grid spacing (plain
/// Sinkhorn then moves the potentials by about eps per iteration); not on by default.
///
/// ```
/// use sinkhorn::{Eps, EpsScaling, Sinkhorn, SinkhornParams, cases::bumps_line};
/// let params = SinkhornParams {
///     eps_scaling: Some(EpsScaling::default()),
///     ..SinkhornParams::with_relative_eps(1e-3)
/// };
/// assert_eq!(params.eps_schedule(bumps_line(10)?.geometry())?.len(), 11);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpsScaling {
    /// First eps (clamped to at least the target eps).
    pub start: Eps,
    /// Multiply eps by this each stage, in (0, 1); at most [`crate::MAX_EPS_STAGES`]
    /// stages.
    pub factor: f64,
    /// Tolerance for the intermediate stages (the last stage uses the main `tol`).
    pub stage_tol: f64,
}

impl Default for EpsScaling {
    /// From `eps = diameter` down by halves, intermediate stages to a violation of 1e-4.
    fn default() -> Self {
        EpsScaling {
            start: Eps::Relative(1.0),
            factor: 0.5,
            stage_tol: 1e-4,
        }
    }
}

/// Potentials `f, g` to start from (`T_ij = exp((f_i + g_j - C_ij)/eps)`); `-inf` where
/// the mass is zero is allowed.
///
/// ```
/// use sinkhorn::{Potentials, Sinkhorn, SinkhornParams, cases::bumps_line};
/// let problem = bumps_line(100)?;
/// let first = Sinkhorn::default().solve(&problem)?;
/// let warm = Potentials { f: first.f().to_vec(), g: first.g().to_vec() };
/// let params = SinkhornParams {
///     warm_start: Some(warm),
///     eps_scaling: None, // start at the target eps, from the warm potentials
///     ..SinkhornParams::default()
/// };
/// let again = Sinkhorn::new(params).solve(&problem)?;
/// assert!(again.iterations < first.iterations);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Potentials {
    /// Source potential.
    pub f: Vec<f64>,
    /// Target potential.
    pub g: Vec<f64>,
}

/// Options of the FS-1 solver (POT's `reg`, `method`, `numItermax`, `stopThr`,
/// `warmstart`, plus the eps-scaling and kernel backend).
///
/// ```
/// use sinkhorn::{Domain, Eps, SinkhornParams};
/// let pot_like = SinkhornParams { domain: Domain::Log, ..SinkhornParams::with_reg(0.05) };
/// assert_eq!(pot_like.eps, Eps::Absolute(0.05));
/// assert!(pot_like.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SinkhornParams {
    /// Entropic regularisation eps: relative to the diameter (default
    /// [`DEFAULT_RELATIVE_EPS`]) or absolute (POT `reg`).
    pub eps: Eps,
    /// Standard, log or automatic.
    pub domain: Domain,
    /// Stopping rule (and whether a partial result is acceptable).
    pub termination: Termination,
    /// Optional eps continuation (default off: measured, it saves at most ~20% of the
    /// iterations at `eps / diameter >= 1e-3` and costs more above 1e-2; see
    /// [`EpsScaling::default`] for when it helps).
    pub eps_scaling: Option<EpsScaling>,
    /// Optional warm start.
    pub warm_start: Option<Potentials>,
    /// Structured (O(N)) or dense (O(N^2)) kernel.
    pub backend: Backend,
}

impl Default for SinkhornParams {
    /// eps = 1e-2 of the diameter, automatic domain, no eps-scaling, POT's tolerance (1e-9,
    /// checked every 10 iterations) with a cap measured to converge.
    fn default() -> Self {
        SinkhornParams {
            eps: Eps::default(),
            domain: Domain::Auto,
            termination: Termination::default(),
            eps_scaling: None,
            warm_start: None,
            backend: Backend::Colt,
        }
    }
}

impl SinkhornParams {
    /// Defaults with POT's absolute `reg` (eps in cost units).
    ///
    /// ```
    /// use sinkhorn::{Eps, SinkhornParams};
    /// assert_eq!(SinkhornParams::with_reg(0.1).eps, Eps::Absolute(0.1));
    /// ```
    pub fn with_reg(reg: f64) -> Self {
        SinkhornParams {
            eps: Eps::Absolute(reg),
            ..Self::default()
        }
    }

    /// Defaults with `eps = relative * diameter`.
    ///
    /// ```
    /// use sinkhorn::{Eps, SinkhornParams};
    /// assert_eq!(SinkhornParams::with_relative_eps(1e-3).eps, Eps::Relative(1e-3));
    /// ```
    pub fn with_relative_eps(relative: f64) -> Self {
        SinkhornParams {
            eps: Eps::Relative(relative),
            ..Self::default()
        }
    }

    /// Validate the options that do not depend on the problem (eps is checked against the
    /// support's diameter by [`SinkhornParams::eps_schedule`] at solve time).
    ///
    /// ```
    /// use sinkhorn::SinkhornParams;
    /// assert!(SinkhornParams::default().validate().is_ok());
    /// assert!(SinkhornParams::with_reg(-1.0).validate().is_err());
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::InvalidParameter`] for an eps value (or a scaling start) not finite
    /// and > 0; [`SinkhornError::InvalidOption`] for a scaling factor outside (0, 1) or a
    /// bad termination.
    pub fn validate(&self) -> Result<()> {
        let e = self.eps.value();
        if !(e.is_finite() && e > 0.0) {
            return Err(SinkhornError::InvalidParameter {
                name: "eps",
                value: e,
            });
        }
        self.termination.validate()?;
        if let Some(s) = &self.eps_scaling {
            let start = s.start.value();
            if !(start.is_finite() && start > 0.0) {
                return Err(SinkhornError::InvalidParameter {
                    name: "eps_scaling.start",
                    value: start,
                });
            }
            if !(s.factor > 0.0 && s.factor < 1.0) {
                return Err(SinkhornError::InvalidOption {
                    name: "eps_scaling.factor",
                    value: format!("{}", s.factor),
                    reason: "the factor must lie in (0, 1)",
                });
            }
            if s.stage_tol.is_nan() || s.stage_tol < 0.0 {
                return Err(SinkhornError::InvalidOption {
                    name: "eps_scaling.stage_tol",
                    value: format!("{}", s.stage_tol),
                    reason: "a tolerance must be >= 0",
                });
            }
        }
        Ok(())
    }

    /// The absolute eps of every stage on `geometry`, last = the target eps.
    ///
    /// ```
    /// use sinkhorn::{Geometry, SinkhornParams, Support1d};
    /// let line = Geometry::Line(Support1d::linspace(0.0, 2.0, 10)?);
    /// assert_eq!(SinkhornParams::with_relative_eps(0.01).eps_schedule(&line)?, vec![0.02]);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`SinkhornParams::validate`] and [`Eps::resolve`];
    /// [`SinkhornError::InvalidOption`] when the scaling would take more than
    /// [`crate::MAX_EPS_STAGES`] stages.
    pub fn eps_schedule(&self, geometry: &Geometry) -> Result<Vec<f64>> {
        self.validate()?;
        let eps = self.eps.resolve(geometry)?;
        let mut out = Vec::new();
        if let Some(s) = &self.eps_scaling {
            let start = s.start.resolve_named("eps_scaling.start", geometry)?;
            // Stages strictly above the target: ceil(log(start/eps) / log(1/factor)).
            let stages = ((start / eps).ln() / (1.0 / s.factor).ln()).ceil();
            if stages > MAX_EPS_STAGES as f64 {
                return Err(SinkhornError::InvalidOption {
                    name: "eps_scaling.factor",
                    value: format!("{}", s.factor),
                    reason: "the scaling would take more than MAX_EPS_STAGES (200) stages; \
                             use a smaller factor or a smaller start",
                });
            }
            let mut e = start;
            while e > eps && out.len() < MAX_EPS_STAGES {
                out.push(e);
                e *= s.factor;
            }
        }
        out.push(eps);
        Ok(out)
    }
}
