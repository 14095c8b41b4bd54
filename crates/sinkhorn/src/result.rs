//! What every solver returns (FS-1, FS-2 and the dense baselines alike), shaped like POT's
//! `OTResult`: potentials and the structured plan, value, marginal error, status, history.

use crate::error::{Result, SinkhornError};
use crate::params::Domain;
use crate::plan::Plan;
use crate::termination::{Termination, TerminationReason};

/// The outcome of a solve.
///
/// ```
/// use sinkhorn::{Domain, Sinkhorn, cases::bumps_line};
/// let r = Sinkhorn::default().solve(&bumps_line(300)?)?;
/// assert!(r.converged() && r.violation <= 1e-9);
/// assert_eq!(r.f().len(), 300);
/// assert_ne!(r.domain, Domain::Auto);
/// println!("cost {} after {} iterations", r.cost, r.iterations);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct SinkhornResult {
    /// The plan in structured form (holds the potentials `f`, `g` and its eps).
    pub plan: Plan,
    /// Transport cost `<C, T>` (POT `sinkhorn2` value), computed in O(N).
    pub cost: f64,
    /// Entropic objective `<C, T> + eps sum T (log T - 1)` (FS-1; for FS-2 the objective
    /// of the last proximal subproblem's kernel).
    pub objective: f64,
    /// Iterations done (FS-2: outer iterations), over all eps-scaling stages.
    pub iterations: usize,
    /// Last measured relative L1 marginal violation.
    pub violation: f64,
    /// `(iteration, violation)` at every check.
    pub history: Vec<(usize, f64)>,
    /// Why the solve stopped.
    pub termination: TerminationReason,
    /// The domain the final stage ran in (never `Auto`).
    pub domain: Domain,
}

impl SinkhornResult {
    /// The result, or [`SinkhornError::NonFinite`] when its cost or objective left f64's
    /// range (inputs at the edge of it, e.g. coordinates near 1e300): solvers return this
    /// instead of a silent infinity or NaN.
    ///
    /// # Errors
    /// [`SinkhornError::NonFinite`] as above.
    pub(crate) fn finite(self) -> Result<Self> {
        for (what, value) in [("transport cost", self.cost), ("objective", self.objective)] {
            if !value.is_finite() {
                return Err(SinkhornError::NonFinite {
                    what,
                    iteration: self.iterations,
                });
            }
        }
        Ok(self)
    }

    /// The result if it converged or `termination` accepts partial results, else
    /// [`SinkhornError::NotConverged`] carrying it; after [`SinkhornResult::finite`].
    pub(crate) fn finish(self, solver: &'static str, termination: &Termination) -> Result<Self> {
        let r = self.finite()?;
        if r.converged() || termination.allow_partial {
            return Ok(r);
        }
        Err(SinkhornError::NotConverged {
            solver,
            iterations: r.iterations,
            violation: r.violation,
            tol: termination.tol,
            partial: Box::new(r),
        })
    }

    /// Whether the tolerance was met (also [`SinkhornResult::f`], [`SinkhornResult::g`]).
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let r = Sinkhorn::default().solve(&bumps_line(50)?)?;
    /// assert!(r.converged() && r.f().len() == 50 && r.g().len() == 50);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn converged(&self) -> bool {
        self.termination == TerminationReason::Converged
    }

    /// Source potential `f`.
    pub fn f(&self) -> &[f64] {
        self.plan.f()
    }

    /// Target potential `g`.
    pub fn g(&self) -> &[f64] {
        self.plan.g()
    }
}
