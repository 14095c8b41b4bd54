//! The one stopping rule every solver shares, and why a solve stopped.
//!
//! The stopping quantity is POT's: the marginal violation of the side that the last
//! half-step did not fix (columns after a `v`/`g` update in FS-1, rows in FS-2), checked
//! every `check_every` iterations, here in the L1 norm relative to the total mass (POT
//! uses an absolute L2 norm; for probability vectors the L1 violation is the larger, so
//! our stop is the stricter one).
//!
//! Convergence is part of the answer: a solve that reaches `max_iter` without meeting
//! `tol` returns [`SinkhornError::NotConverged`] carrying the last iterate, unless the
//! caller opted in to partial results with [`Termination::allow_partial`].

use crate::error::{Result, SinkhornError};
use crate::limits::MAX_ITERATIONS;

/// When to stop: POT's `numItermax`, `stopThr` and its every-10-iterations check, and
/// what to do when the cap is reached first.
///
/// ```
/// use sinkhorn::{Sinkhorn, SinkhornParams, Termination, cases::bumps_line};
/// let params = SinkhornParams {
///     termination: Termination { max_iter: 20_000, tol: 1e-10, ..Termination::default() },
///     ..SinkhornParams::with_reg(0.01)
/// };
/// let r = Sinkhorn::new(params).solve(&bumps_line(200)?)?;
/// assert!(r.converged() && r.violation <= 1e-10);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Termination {
    /// Most iterations (POT `numItermax`; default [`Termination::DEFAULT_MAX_ITER`] for FS-1,
    /// at most [`crate::MAX_ITERATIONS`]).
    pub max_iter: usize,
    /// Stop when the relative L1 marginal violation is at most this (POT `stopThr`,
    /// default 1e-9).
    pub tol: f64,
    /// Measure the violation every this many iterations (POT: 10). A check costs no extra
    /// kernel product in FS-1 (it reuses the next half-step's product).
    pub check_every: usize,
    /// Return the last iterate as `Ok` (with [`TerminationReason::MaxIterations`]) when
    /// `max_iter` is reached without meeting `tol`, as POT does after its warning. Default
    /// `false`: such a solve is a [`SinkhornError::NotConverged`] error.
    pub allow_partial: bool,
}

impl Default for Termination {
    /// `max_iter = DEFAULT_MAX_ITER`, `tol = 1e-9`, checked every 10 iterations, partial
    /// results are errors.
    fn default() -> Self {
        Termination {
            max_iter: Self::DEFAULT_MAX_ITER,
            tol: 1e-9,
            check_every: 10,
            allow_partial: false,
        }
    }
}

impl Termination {
    /// FS-1's default iteration cap. POT's 1000 stops early on about a quarter of ordinary
    /// problems at `eps / diameter` between 1e-1 and 2e-3; iterations to `tol = 1e-9` grow
    /// like `diameter / eps` (measured: ~220 at 1e-2, ~2800 at 1e-3, independent of N up to
    /// 10^6; table in `docs/sinkhorn.md`), so 20 000 lets the default call converge down to
    /// `eps / diameter ~ 1.5e-4` with margin.
    pub const DEFAULT_MAX_ITER: usize = 20_000;

    /// The default rule with `max_iter` and `tol`.
    ///
    /// ```
    /// let t = sinkhorn::Termination::new(500, 1e-6);
    /// assert_eq!((t.max_iter, t.check_every, t.allow_partial), (500, 10, false));
    /// ```
    pub fn new(max_iter: usize, tol: f64) -> Self {
        Termination {
            max_iter,
            tol,
            ..Self::default()
        }
    }

    /// This rule, but returning the last iterate as `Ok` when `max_iter` is reached (for
    /// fixed-iteration runs such as timings, or POT's warn-and-return behaviour).
    ///
    /// ```
    /// let t = sinkhorn::Termination::new(50, 0.0).allowing_partial();
    /// assert!(t.allow_partial);
    /// ```
    #[must_use]
    pub fn allowing_partial(self) -> Self {
        Termination {
            allow_partial: true,
            ..self
        }
    }

    /// Validate the options.
    ///
    /// ```
    /// use sinkhorn::{SinkhornError, Termination};
    /// assert!(Termination::new(0, 1e-9).validate().is_err());
    /// assert!(Termination::new(usize::MAX, 1e-9).validate().is_err());
    /// assert!(Termination::default().validate().is_ok());
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::InvalidOption`] for `check_every == 0`, `max_iter == 0`,
    /// `max_iter > MAX_ITERATIONS` or a negative/NaN `tol`.
    pub fn validate(&self) -> Result<()> {
        if self.max_iter == 0 || self.max_iter > MAX_ITERATIONS {
            return Err(SinkhornError::InvalidOption {
                name: "max_iter",
                value: self.max_iter.to_string(),
                reason: "the iteration cap must lie in 1..=MAX_ITERATIONS (10^7)",
            });
        }
        if self.check_every == 0 {
            return Err(SinkhornError::InvalidOption {
                name: "check_every",
                value: "0".into(),
                reason: "check at least every iteration (>= 1)",
            });
        }
        if self.tol.is_nan() || self.tol < 0.0 {
            return Err(SinkhornError::InvalidOption {
                name: "tol",
                value: format!("{}", self.tol),
                reason: "a tolerance must be >= 0 (0 runs max_iter iterations)",
            });
        }
        Ok(())
    }

    /// Whether the state after `done` iterations is due for a check (POT checks after
    /// iterations 1, 11, 21, ... for `check_every = 10`).
    ///
    /// ```
    /// let t = sinkhorn::Termination::default();
    /// assert!(t.due(1) && t.due(11) && !t.due(10));
    /// ```
    pub fn due(&self, done: usize) -> bool {
        done >= 1 && (done - 1) % self.check_every == 0
    }

    /// Whether a measured violation meets the tolerance.
    ///
    /// ```
    /// let t = sinkhorn::Termination::default();
    /// assert!(t.met(1e-10) && !t.met(1e-8) && !t.met(f64::NAN));
    /// ```
    pub fn met(&self, violation: f64) -> bool {
        violation <= self.tol
    }
}

/// Why a solve stopped.
///
/// ```
/// use sinkhorn::{Sinkhorn, TerminationReason, cases::bumps_line};
/// let r = Sinkhorn::default().solve(&bumps_line(100)?)?;
/// assert_eq!(r.termination, TerminationReason::Converged);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TerminationReason {
    /// The marginal violation fell below `tol`.
    Converged,
    /// `max_iter` iterations ran without meeting `tol`. Only seen in an `Ok` result when
    /// [`Termination::allow_partial`] was set, or inside
    /// [`SinkhornError::NotConverged`]'s partial result.
    MaxIterations,
}
