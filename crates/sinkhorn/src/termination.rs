//! The one stopping rule every solver shares, and why a solve stopped.
//!
//! The stopping quantity is POT's: the marginal violation of the side that the last
//! half-step did not fix (columns after a `v`/`g` update in FS-1, rows in FS-2), checked
//! every `check_every` iterations, here in the L1 norm relative to the total mass (POT
//! uses an absolute L2 norm; for probability vectors the L1 violation is the larger, so
//! our stop is the stricter one).

use crate::error::{Result, SinkhornError};

/// When to stop: POT's `numItermax`, `stopThr` and its every-10-iterations check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Termination {
    /// Most iterations (POT `numItermax`, default 1000).
    pub max_iter: usize,
    /// Stop when the relative L1 marginal violation is below this (POT `stopThr`,
    /// default 1e-9).
    pub tol: f64,
    /// Measure the violation every this many iterations (POT: 10). A check costs no extra
    /// kernel product in FS-1 (it reuses the next half-step's product).
    pub check_every: usize,
}

impl Default for Termination {
    fn default() -> Self {
        Termination {
            max_iter: 1000,
            tol: 1e-9,
            check_every: 10,
        }
    }
}

impl Termination {
    /// Validate the options.
    ///
    /// # Errors
    /// [`SinkhornError::InvalidOption`] for `check_every == 0` or a negative/NaN `tol`.
    pub fn validate(&self) -> Result<()> {
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
    pub fn due(&self, done: usize) -> bool {
        done >= 1 && (done - 1) % self.check_every == 0
    }

    /// Whether a measured violation meets the tolerance.
    pub fn met(&self, violation: f64) -> bool {
        violation < self.tol
    }
}

/// Why a solve stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TerminationReason {
    /// The marginal violation fell below `tol`.
    Converged,
    /// `max_iter` iterations ran without meeting `tol` (POT warns here; the result is
    /// still the last iterate, with its violation reported).
    MaxIterations,
}
