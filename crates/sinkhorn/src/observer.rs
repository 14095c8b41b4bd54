//! Observer hook: lets callers (tests, `xtask validate`) record every check of a solve
//! without the solvers knowing who listens.

/// What a solver reports at each marginal-violation check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Record {
    /// Iterations done so far (over all eps-scaling stages; outer iterations in FS-2).
    pub iteration: usize,
    /// Relative L1 marginal violation of the current iterate.
    pub violation: f64,
    /// The eps of the current stage (FS-2: the effective `beta / k`).
    pub eps: f64,
}

/// Receives a [`Record`] at every check.
pub trait Observer {
    /// Called at each check, in order.
    fn observe(&mut self, record: &Record);
}

/// Ignores everything.
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
