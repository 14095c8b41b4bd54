//! Observer hook: lets callers (tests, `xtask validate`) record every check of a solve
//! without the solvers knowing who listens.

/// What a solver reports at each marginal-violation check (see [`Observer`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// Iterations done so far (over all eps-scaling stages; outer iterations in FS-2).
    pub iteration: usize,
    /// Relative L1 marginal violation of the current iterate.
    pub violation: f64,
    /// The eps of the current stage (FS-2: the effective `beta / k`).
    pub eps: f64,
}

/// Receives a [`Record`] at every check: progress bars, logs, convergence plots. Closures
/// `FnMut(&Record)` are observers.
///
/// ```
/// use sinkhorn::{EpsScaling, Observer, Record, Sinkhorn, SinkhornParams, cases::bumps_line};
/// /// Counts the checks and keeps the eps of each stage.
/// #[derive(Default)]
/// struct Stages { checks: usize, eps: Vec<f64> }
/// impl Observer for Stages {
///     fn observe(&mut self, r: &Record) {
///         self.checks += 1;
///         if self.eps.last() != Some(&r.eps) { self.eps.push(r.eps); }
///     }
/// }
/// let mut stages = Stages::default();
/// let scaled = SinkhornParams { eps_scaling: Some(EpsScaling::default()), ..SinkhornParams::default() };
/// Sinkhorn::new(scaled).solve_observed(&bumps_line(100)?, &mut stages)?;
/// assert!(stages.eps.len() > 1 && stages.checks >= stages.eps.len()); // eps-scaling stages
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
pub trait Observer {
    /// Called at each check, in order.
    fn observe(&mut self, record: &Record);
}

/// Ignores everything (what [`crate::Sinkhorn::solve`] uses).
///
/// ```
/// use sinkhorn::{NoObserver, Sinkhorn, cases::bumps_line};
/// let r = Sinkhorn::default().solve_observed(&bumps_line(50)?, &mut NoObserver)?;
/// assert!(r.converged());
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct NoObserver;

impl Observer for NoObserver {
    fn observe(&mut self, _record: &Record) {}
}

impl<F: FnMut(&Record)> Observer for F {
    fn observe(&mut self, record: &Record) {
        self(record)
    }
}
