//! The crate's one error type: every way a user's input or a solve can fail, as data.
//!
//! Variants carry the offending value (index, value, iteration) and their messages say
//! how to fix the input, so a caller can both report and react (for instance retry in
//! the log domain after [`SinkhornError::KernelUnderflow`]).

use thiserror::Error;

use crate::result::SinkhornResult;

/// Which marginal an error refers to.
///
/// ```
/// use sinkhorn::{Problem, Side, SinkhornError, Support1d};
/// let x = Support1d::linspace(0.0, 1.0, 2)?;
/// let err = Problem::line(x, vec![0.5, 0.5], vec![-1.0, 2.0]).unwrap_err();
/// assert!(matches!(err, SinkhornError::InvalidMass { side: Side::Target, index: 0, .. }));
/// # Ok::<(), SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The source marginal `a` (rows of the plan).
    Source,
    /// The target marginal `b` (columns of the plan).
    Target,
}

impl core::fmt::Display for Side {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Side::Source => f.write_str("source marginal `a`"),
            Side::Target => f.write_str("target marginal `b`"),
        }
    }
}

/// Everything that can go wrong in this crate.
///
/// ```
/// use sinkhorn::{Problem, SinkhornError, Support1d};
/// let x = Support1d::linspace(0.0, 1.0, 2)?;
/// let err = Problem::line(x, vec![0.5, 0.5], vec![1.0, 1.0]).unwrap_err();
/// assert!(matches!(err, SinkhornError::UnequalMass { .. }));
/// # Ok::<(), SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SinkhornError {
    /// A support, marginal or batch was empty.
    #[error("{what} is empty; give at least one point with positive mass")]
    Empty {
        /// What was empty.
        what: &'static str,
    },
    /// Two lengths that must agree do not.
    #[error("length mismatch for {what}: expected {expected}, got {got}")]
    LengthMismatch {
        /// What was measured.
        what: &'static str,
        /// The length the support or the other argument implies.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A support coordinate is NaN or infinite.
    #[error("support coordinate {index} is {value}; coordinates must be finite")]
    NonFiniteCoordinate {
        /// Position in the support.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// Support points are not strictly increasing.
    #[error(
        "support points must be strictly increasing: x[{index}] = {previous} is followed by \
         x[{}] = {value}; sort the points and merge duplicates (adding their masses)",
        index + 1
    )]
    UnsortedSupport {
        /// Index of the earlier point.
        index: usize,
        /// The earlier point.
        previous: f64,
        /// The later point, which is not larger.
        value: f64,
    },
    /// A uniform grid step is not positive and finite.
    #[error("grid step is {step}; a uniform grid needs a finite step > 0")]
    InvalidStep {
        /// The offending step.
        step: f64,
    },
    /// A mass is negative, NaN or infinite.
    #[error("{side}[{index}] = {value}; masses must be finite and >= 0")]
    InvalidMass {
        /// Which marginal.
        side: Side,
        /// Position in the marginal.
        index: usize,
        /// The offending value.
        value: f64,
    },
    /// A marginal has zero total mass.
    #[error("{side} has zero total mass; give at least one positive mass")]
    ZeroMass {
        /// Which marginal.
        side: Side,
    },
    /// The marginals' totals differ by more than the stated relative tolerance.
    #[error(
        "total masses differ: sum(a) = {source_total}, sum(b) = {target_total}, relative \
         difference {relative:e} > {tolerance:e}; normalise both marginals (unbalanced \
         transport is not supported)"
    )]
    UnequalMass {
        /// Sum of `a`.
        source_total: f64,
        /// Sum of `b`.
        target_total: f64,
        /// |sum(a) - sum(b)| / max(sum(a), sum(b)).
        relative: f64,
        /// The tolerance, [`crate::TOTAL_MASS_RTOL`].
        tolerance: f64,
    },
    /// A regularisation or proximal parameter is not positive and finite.
    #[error("{name} = {value}; it must be finite and > 0")]
    InvalidParameter {
        /// The parameter's name.
        name: &'static str,
        /// The offending value.
        value: f64,
    },
    /// An option is out of range (e.g. zero iterations to check).
    #[error("option {name} = {value} is invalid: {reason}")]
    InvalidOption {
        /// The option's name.
        name: &'static str,
        /// The offending value, as text.
        value: String,
        /// What is expected.
        reason: &'static str,
    },
    /// The standard-domain kernel product underflowed to zero (or a scaling overflowed):
    /// the masses are farther apart than `eps` can represent in `exp(-C/eps)`.
    #[error(
        "standard-domain Sinkhorn broke down at iteration {iteration}: exp(-C/eps) underflows \
         (diameter/eps = {diameter_over_eps:.1} > ~700 for f64), giving a zero or non-finite \
         scaling; use Domain::Log (or Domain::Auto), or a larger eps"
    )]
    KernelUnderflow {
        /// The iteration at which the scaling became zero or non-finite.
        iteration: usize,
        /// Diameter of the support divided by eps.
        diameter_over_eps: f64,
    },
    /// A solve produced NaN or infinite values in a domain that should not (a bug or
    /// extreme input); the last finite iterate is lost.
    #[error(
        "non-finite value in {what} at iteration {iteration}; check the input scale \
         (coordinates, masses) or report a bug"
    )]
    NonFinite {
        /// What became non-finite.
        what: &'static str,
        /// The iteration.
        iteration: usize,
    },
    /// An exact solver's primal and dual bounds disagree by more than rounding, so its
    /// value is not returned (a bug in the solver; please report it with the input).
    #[error(
        "{what} is not certified: upper - lower bound = {gap:e} > {tolerance:e} (the \
         rounding bound); the value is withheld, please report this with the input"
    )]
    Uncertified {
        /// Which solver.
        what: &'static str,
        /// Upper minus lower bound on the value.
        gap: f64,
        /// The largest gap rounding explains.
        tolerance: f64,
    },
    /// A warm start has the wrong length or a non-finite value where the mass is positive.
    #[error("warm start {what}: {reason}")]
    InvalidWarmStart {
        /// Which potential.
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The requested operation does not exist for this geometry (e.g. a 1D CoLT plan of
    /// a 2D grid).
    #[error("{operation} is not available for {geometry}: {reason}")]
    Unsupported {
        /// The operation.
        operation: &'static str,
        /// The geometry.
        geometry: &'static str,
        /// Why, and what to use instead.
        reason: &'static str,
    },
    /// An error from the `colt` crate while building or applying a structured operator.
    #[error("colt: {0}")]
    Colt(String),
    /// A solve stopped at its iteration cap without meeting its stopping criterion (POT
    /// warns and returns the last iterate here). The last iterate is in `partial`; accept
    /// it explicitly with [`crate::Termination::allow_partial`] or
    /// [`SinkhornError::into_partial`].
    #[error(
        "{solver} did not converge: after {iterations} iterations the marginal violation is \
         {violation:e} > tol {tol:e}; raise termination.max_iter, use a larger eps (or \
         eps-scaling), or set termination.allow_partial to accept the last iterate"
    )]
    NotConverged {
        /// Which solver (`"FS-1"`, `"FS-2 (IPOT)"`; on a line FS-2 is
        /// [`crate::FS2_ON_A_LINE`], which names the exact CDF shortcut).
        solver: &'static str,
        /// Iterations done (FS-2: outer iterations), over all eps-scaling stages.
        iterations: usize,
        /// The relative L1 marginal violation reached.
        violation: f64,
        /// The tolerance it had to meet.
        tol: f64,
        /// The last iterate, with `termination == MaxIterations`.
        partial: Box<SinkhornResult>,
    },
    /// An `eps` (or IPOT `beta`) so small relative to the support's diameter that f64
    /// cannot resolve the plan `exp((f + g - C)/eps)`: the potentials carry ~16 digits of
    /// the diameter, so `eps` must be at least [`crate::MIN_EPS_OVER_DIAMETER`] times it.
    #[error(
        "{name} = {eps:e} is too small for a support of diameter {diameter:e}: eps/diameter \
         = {ratio:e} < {min:e}, below what f64 potentials can resolve (the result would be \
         meaningless, e.g. a cost of 0); use eps >= {min:e} * diameter"
    )]
    EpsTooSmall {
        /// `"eps"` or `"beta"`.
        name: &'static str,
        /// The offending value (absolute, cost units).
        eps: f64,
        /// The support's diameter.
        diameter: f64,
        /// `eps / diameter`.
        ratio: f64,
        /// [`crate::MIN_EPS_OVER_DIAMETER`].
        min: f64,
    },
    /// A buffer would exceed [`crate::MAX_BUFFER_BYTES`] (dense `N x N` matrices above all):
    /// refused before allocating instead of aborting the process.
    #[error(
        "{what} would need {bytes} bytes (> the limit of {limit} bytes); use the structured \
         (O(N)) solvers or a smaller problem"
    )]
    TooLarge {
        /// What would be allocated.
        what: &'static str,
        /// The bytes it would need (saturating).
        bytes: u128,
        /// [`crate::MAX_BUFFER_BYTES`].
        limit: u128,
    },
    /// The f32 path ([`crate::Sinkhorn::solve_f32`]) broke down: a scaling left f32's
    /// normal range during the solve (a mass or a kernel product too small or too large for
    /// f32 beside the others), where the f64 path would go on. Its own variant, not
    /// [`SinkhornError::KernelUnderflow`], whose advice (the log domain) the f32 path does
    /// not take.
    #[error(
        "the f32 path broke down at iteration {iteration}: a scaling left f32's normal range \
         (the masses and exp(-C/eps) at diameter/eps = {diameter_over_eps:.1} span more than \
         f32 holds); use Sinkhorn::solve (f64)"
    )]
    F32ScalingOutOfRange {
        /// The iteration at which a scaling became zero, subnormal or non-finite in f32.
        iteration: usize,
        /// Diameter of the support divided by eps.
        diameter_over_eps: f64,
    },
    /// An eps too small for the f32 path ([`crate::Sinkhorn::solve_f32`]): its scalings
    /// span `e^{diameter/eps}`, beyond f32's range above
    /// [`crate::F32_MAX_DIAMETER_OVER_EPS`].
    #[error(
        "eps = {eps:e} gives diameter/eps = {diameter_over_eps:.1} > {max} for the f32 path \
         (its scalings would leave f32's range); use a larger eps or Sinkhorn::solve"
    )]
    EpsTooSmallForF32 {
        /// The eps (cost units).
        eps: f64,
        /// The support's diameter divided by eps.
        diameter_over_eps: f64,
        /// [`crate::F32_MAX_DIAMETER_OVER_EPS`].
        max: f64,
    },
    /// A mass that the f32 path ([`crate::Sinkhorn::solve_f32`]) cannot store: above
    /// `f32::MAX`, or positive and below f32's smallest normal number.
    #[error(
        "{side}[{index}] = {value:e} cannot be stored in f32 (positive masses must lie in \
         [{min:e}, {max:e}]); rescale the masses (e.g. normalise them) or use Sinkhorn::solve"
    )]
    NotRepresentable {
        /// Which marginal.
        side: Side,
        /// Index of the mass.
        index: usize,
        /// The mass.
        value: f64,
        /// f32's smallest positive normal number.
        min: f64,
        /// `f32::MAX`.
        max: f64,
    },
    /// Masses that are each finite but whose total is not (e.g. two masses of 1e308).
    #[error("{side} sums to more than f64 can hold; rescale the masses (e.g. normalise them)")]
    MassOverflow {
        /// Which marginal.
        side: Side,
    },
    /// A uniform grid whose step is too small against the magnitude of its coordinates:
    /// `start + i * step` cannot represent the gaps (e.g. `uniform(1e17, 1.0, 100)`).
    #[error(
        "grid step {step:e} is too small for coordinates of magnitude {magnitude:e}: f64 \
         rounding would change the gaps by more than 2^-19 of the step; shift the \
         coordinates towards 0 or use a larger step"
    )]
    DegenerateSpacing {
        /// The step.
        step: f64,
        /// Largest absolute coordinate.
        magnitude: f64,
    },
    /// A histogram of a batch ([`crate::batch::Histograms`]) is invalid; nothing was
    /// solved.
    #[error("histogram {row} is invalid: {error}")]
    InvalidHistogram {
        /// Its row index in the set.
        row: usize,
        /// Why (a mass, zero or overflowing total, or a total unequal to row 0's).
        error: Box<SinkhornError>,
    },
    /// A problem of a batch failed to solve (the lowest-index failure of the batch).
    #[error("the problem between histograms {row} and {col} failed: {error}")]
    PairFailed {
        /// Row index of the source histogram.
        row: usize,
        /// Row index of the target histogram (in the second set for `cdist`).
        col: usize,
        /// The solver's error.
        error: Box<SinkhornError>,
    },
}

impl SinkhornError {
    /// The last iterate of a solve that did not converge ([`SinkhornError::NotConverged`]),
    /// or the error itself for every other variant: the explicit way to accept a partial
    /// result after the fact.
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, SinkhornParams, Termination, cases::bumps_line};
    /// let problem = bumps_line(100)?;
    /// let params = SinkhornParams {
    ///     termination: Termination { max_iter: 3, ..Termination::default() },
    ///     eps_scaling: None,
    ///     ..SinkhornParams::with_reg(0.01)
    /// };
    /// let partial = Sinkhorn::new(params).solve(&problem).or_else(|e| e.into_partial())?;
    /// assert!(!partial.converged());
    /// assert_eq!(partial.iterations, 3);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// `self` unless it is [`SinkhornError::NotConverged`].
    pub fn into_partial(self) -> Result<SinkhornResult> {
        match self {
            SinkhornError::NotConverged { partial, .. } => Ok(*partial),
            e => Err(e),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = core::result::Result<T, SinkhornError>;

impl From<colt::ColtError> for SinkhornError {
    fn from(e: colt::ColtError) -> Self {
        SinkhornError::Colt(e.to_string())
    }
}
