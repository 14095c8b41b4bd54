//! FS-1 options in one struct with POT-shaped defaults.

use crate::error::{Result, SinkhornError};
use crate::termination::Termination;

/// Below this `diameter / eps`, [`Domain::Auto`] runs the standard domain. `exp(-D/eps)`
/// underflows f64 near `D/eps = 745`; at 600 the kernel between the two farthest points
/// is still `> 1e-261`, leaving ~60 orders of magnitude for the scalings (brief §2.5:
/// 667 measured finite, 1000 not).
pub const AUTO_STANDARD_MAX_DIAMETER_OVER_EPS: f64 = 600.0;

/// How the iterates are represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Domain {
    /// Standard domain when `diameter / eps < AUTO_STANDARD_MAX_DIAMETER_OVER_EPS`, else
    /// [`Domain::Stabilized`] on a line and [`Domain::Log`] on a grid; a standard-domain
    /// breakdown falls back to the log domain.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// The O(N) structured kernel on `colt` (FS-1).
    #[default]
    Colt,
    /// The O(N^2) dense faer baseline (same loop; keep N <= ~10^4).
    Dense,
}

/// Continuation from a large eps down to the target: each stage warm-starts from the
/// previous stage's potentials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpsScaling {
    /// First eps (clamped to at least the target eps).
    pub start: f64,
    /// Multiply eps by this each stage, in (0, 1).
    pub factor: f64,
    /// Tolerance for the intermediate stages (the last stage uses the main `tol`).
    pub stage_tol: f64,
}

/// Potentials `f, g` to start from (`T_ij = exp((f_i + g_j - C_ij)/eps)`); `-inf` where
/// the mass is zero is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Potentials {
    /// Source potential.
    pub f: Vec<f64>,
    /// Target potential.
    pub g: Vec<f64>,
}

/// Options of the FS-1 solver (POT's `reg`, `method`, `numItermax`, `stopThr`,
/// `warmstart`, plus the eps-scaling and kernel backend).
#[derive(Debug, Clone, PartialEq)]
pub struct SinkhornParams {
    /// Entropic regularisation eps (POT `reg`), in cost units.
    pub eps: f64,
    /// Standard, log or automatic.
    pub domain: Domain,
    /// Stopping rule.
    pub termination: Termination,
    /// Optional eps continuation.
    pub eps_scaling: Option<EpsScaling>,
    /// Optional warm start.
    pub warm_start: Option<Potentials>,
    /// Structured (O(N)) or dense (O(N^2)) kernel.
    pub backend: Backend,
}

impl Default for SinkhornParams {
    /// eps = 0.05 (suits supports of diameter ~1), automatic domain, POT's termination.
    fn default() -> Self {
        SinkhornParams {
            eps: 0.05,
            domain: Domain::Auto,
            termination: Termination::default(),
            eps_scaling: None,
            warm_start: None,
            backend: Backend::Colt,
        }
    }
}

impl SinkhornParams {
    /// Defaults with the given eps.
    pub fn with_eps(eps: f64) -> Self {
        SinkhornParams {
            eps,
            ..Self::default()
        }
    }

    /// Validate the options.
    ///
    /// # Errors
    /// [`SinkhornError::InvalidParameter`] for eps (or a scaling start) not finite and > 0;
    /// [`SinkhornError::InvalidOption`] for a scaling factor outside (0, 1) or a bad
    /// termination.
    pub fn validate(&self) -> Result<()> {
        if !(self.eps.is_finite() && self.eps > 0.0) {
            return Err(SinkhornError::InvalidParameter {
                name: "eps",
                value: self.eps,
            });
        }
        self.termination.validate()?;
        if let Some(s) = &self.eps_scaling {
            if !(s.start.is_finite() && s.start > 0.0) {
                return Err(SinkhornError::InvalidParameter {
                    name: "eps_scaling.start",
                    value: s.start,
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

    /// The eps of every stage, last = `self.eps`.
    pub fn eps_schedule(&self) -> Vec<f64> {
        let mut out = Vec::new();
        if let Some(s) = &self.eps_scaling {
            let mut e = s.start;
            while e > self.eps {
                out.push(e);
                e *= s.factor;
            }
        }
        out.push(self.eps);
        out
    }
}
