//! The transport plan, kept in structured (potential / CoLT) form and never densified
//! unless asked: `T_ij = exp((f_i + g_j - C_ij) / eps)`.
//!
//! On a line this is a CoLT pair in log form (`ld = (f+g)/eps`, `lr = (f_{k+1} - f_k -
//! gap_k)/eps`, `ls = (g_{k+1} - g_k - gap_k)/eps`, brief §3.2); on a grid it is the
//! Kronecker product of two such kernels scaled by the potentials. Marginals, the cost
//! `<C, T>` and the entropic objective are O(N) products of the structured kernel.

use colt::LogColtPair;
use faer::Mat;

use crate::colt_kernel::ColtKernel;
use crate::error::{Result, SinkhornError};
use crate::kernel::GibbsKernel;
use crate::limits::check_dense;
use crate::support::Geometry;

/// A plan `diag(e^{f/eps}) K diag(e^{g/eps})` on a geometry. FS-2 plans use the
/// effective `eps = beta / k` of their outer iteration `k`. Built by the solvers only.
///
/// ```
/// use sinkhorn::{Sinkhorn, cases::bumps_line};
/// let problem = bumps_line(100)?;
/// let plan = Sinkhorn::default().solve(&problem)?.plan;
/// assert_eq!(plan.f().len(), 100);
/// assert!(plan.entry(0, 0) > 0.0 && plan.transport_cost()? > 0.0);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    geometry: Geometry,
    /// Source potential (cost units; `-inf` where `a` is zero).
    f: Vec<f64>,
    /// Target potential (cost units; `-inf` where `b` is zero).
    g: Vec<f64>,
    /// The kernel's eps.
    eps: f64,
}

/// `sum_i exp(x_i + y_i)` and `sum_i w_i exp(x_i + y_i)` skipping `-inf` terms (zero
/// masses), where `w` may be `-inf` there.
fn exp_sum(x: &[f64], y: &[f64]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(a, b)| a + b)
        .filter(|s| *s > f64::NEG_INFINITY)
        .map(f64::exp)
        .sum()
}

impl Plan {
    pub(crate) fn new(geometry: Geometry, f: Vec<f64>, g: Vec<f64>, eps: f64) -> Self {
        Plan {
            geometry,
            f,
            g,
            eps,
        }
    }

    /// The geometry the plan lives on (also [`Plan::f`], [`Plan::g`], [`Plan::eps`]).
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let plan = Sinkhorn::with_reg(0.05).solve(&bumps_line(20)?)?.plan;
    /// assert_eq!((plan.geometry().len(), plan.f().len(), plan.g().len(), plan.eps()), (20, 20, 20, 0.05));
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Source potential `f` (cost units; `-inf` where `a` is zero).
    pub fn f(&self) -> &[f64] {
        &self.f
    }

    /// Target potential `g` (cost units; `-inf` where `b` is zero).
    pub fn g(&self) -> &[f64] {
        &self.g
    }

    /// The kernel's eps (absolute; FS-2: `beta / k`).
    pub fn eps(&self) -> f64 {
        self.eps
    }

    fn kernel(&self) -> Result<ColtKernel> {
        ColtKernel::new(&self.geometry, self.eps)
    }

    fn scaled(&self) -> (Vec<f64>, Vec<f64>) {
        let inv = 1.0 / self.eps;
        (
            self.f.iter().map(|x| x * inv).collect(),
            self.g.iter().map(|x| x * inv).collect(),
        )
    }

    /// Row sums `T 1` (the source marginal the plan achieves), O(N).
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let problem = bumps_line(50)?;
    /// let rows = Sinkhorn::default().solve(&problem)?.plan.row_sums()?;
    /// assert!(rows.iter().zip(problem.a()).all(|(r, a)| (r - a).abs() < 1e-12));
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtKernel::new`] (never for a plan returned by a solver).
    pub fn row_sums(&self) -> Result<Vec<f64>> {
        let k = self.kernel()?;
        let (fs, gs) = self.scaled();
        Ok(side_sums(&k, &fs, &gs))
    }

    /// Column sums `T^T 1` (the target marginal the plan achieves), O(N).
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let problem = bumps_line(50)?;
    /// let cols = Sinkhorn::default().solve(&problem)?.plan.col_sums()?;
    /// let err: f64 = cols.iter().zip(problem.b()).map(|(c, b)| (c - b).abs()).sum();
    /// assert!(err <= 1e-9);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Plan::row_sums`].
    pub fn col_sums(&self) -> Result<Vec<f64>> {
        let k = self.kernel()?;
        let (fs, gs) = self.scaled();
        Ok(side_sums(&k, &gs, &fs))
    }

    /// Transport cost `<C, T>`, O(N), by the distance-weighted sweeps (brief §2.7).
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let r = Sinkhorn::default().solve(&bumps_line(50)?)?;
    /// assert!((r.plan.transport_cost()? - r.cost).abs() < 1e-12);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Plan::row_sums`].
    pub fn transport_cost(&self) -> Result<f64> {
        let k = self.kernel()?;
        let (fs, gs) = self.scaled();
        Ok(transport_cost_with(&k, &fs, &gs))
    }

    /// Entropic objective `<C, T> + eps * sum_ij T_ij (log T_ij - 1)`, O(N), through the
    /// identity `= <f, T 1> + <g, T^T 1> - eps * sum T` (brief §2.7). POT's
    /// `entropic` value differs by the constant `eps * sum T` convention; compare plans and
    /// costs across libraries, not objectives.
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let r = Sinkhorn::default().solve(&bumps_line(50)?)?;
    /// assert!((r.plan.entropic_objective()? - r.objective).abs() < 1e-12);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Plan::row_sums`].
    pub fn entropic_objective(&self) -> Result<f64> {
        let k = self.kernel()?;
        let (fs, gs) = self.scaled();
        Ok(objective_with(&k, &fs, &gs, &self.f, &self.g))
    }

    /// Entry `T_ij` (flat indices), O(1).
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let r = Sinkhorn::default().solve(&bumps_line(20)?)?;
    /// let row0: f64 = (0..20).map(|j| r.plan.entry(0, j)).sum();
    /// assert!((row0 - bumps_line(20)?.a()[0]).abs() < 1e-12);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Panics
    /// If `i` or `j` is not below the number of points (a programming error).
    pub fn entry(&self, i: usize, j: usize) -> f64 {
        ((self.f[i] + self.g[j] - self.geometry.cost(i, j)) / self.eps).exp()
    }

    /// The dense plan, O(N^2) memory: for tests and small problems only.
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let plan = Sinkhorn::default().solve(&bumps_line(30)?)?.plan;
    /// let t = plan.to_dense()?;
    /// assert_eq!((t.nrows(), t.ncols()), (30, 30));
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::TooLarge`] when `N^2` entries exceed [`crate::MAX_BUFFER_BYTES`]
    /// (checked before allocating).
    pub fn to_dense(&self) -> Result<Mat<f64>> {
        let n = self.geometry.len();
        check_dense("dense plan (N x N f64)", n, 1)?;
        Ok(Mat::from_fn(n, n, |i, j| self.entry(i, j)))
    }

    /// The plan as a `colt` log-form CoLT pair (1D only). Zero masses (`-inf` potentials)
    /// have no finite ratio and are rejected: use [`Plan::entry`] or compress the
    /// support to the positive masses first.
    ///
    /// ```
    /// use sinkhorn::{Sinkhorn, cases::bumps_line};
    /// let pair = Sinkhorn::default().solve(&bumps_line(20)?)?.plan.to_colt()?;
    /// assert_eq!(pair.len(), 20);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::Unsupported`] on a 2D grid or with a `-inf` potential.
    pub fn to_colt(&self) -> Result<LogColtPair<f64>> {
        let Geometry::Line(s) = &self.geometry else {
            return Err(SinkhornError::Unsupported {
                operation: "Plan::to_colt",
                geometry: self.geometry.name(),
                reason: "a 2D plan is a Kronecker product of two 1D kernels scaled by 2D potentials, not one CoLT pair; use row_sums/transport_cost/entry",
            });
        };
        if self.f.iter().chain(&self.g).any(|x| !x.is_finite()) {
            return Err(SinkhornError::Unsupported {
                operation: "Plan::to_colt",
                geometry: "a support with zero masses",
                reason: "a zero mass makes the CoLT ratios 0/0; solve on the positive-mass support instead",
            });
        }
        // The Gibbs pair scaled by the potentials: colt's diagonal-scaling closure.
        let (fs, gs) = self.scaled();
        Ok(colt::LogColtPair::gibbs(&s.coords(), self.eps)?.scale(&fs, &gs)?)
    }
}

/// `exp(x) ⊙ K exp(y)`: the marginal on the `x` side.
pub(crate) fn side_sums<K: GibbsKernel + ?Sized>(k: &K, xs: &[f64], ys: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; k.len()];
    let mut scratch = vec![0.0; k.scratch_len()];
    k.log_apply(ys, &mut out, &mut scratch);
    for (o, x) in out.iter_mut().zip(xs) {
        let s = *o + x;
        *o = if s > f64::NEG_INFINITY { s.exp() } else { 0.0 };
    }
    out
}

/// `<C, T>` for scaled potentials `fs = f/eps`, `gs = g/eps`.
pub(crate) fn transport_cost_with<K: GibbsKernel + ?Sized>(k: &K, fs: &[f64], gs: &[f64]) -> f64 {
    let mut out = vec![0.0; k.len()];
    let mut scratch = vec![0.0; k.scratch_len()];
    k.log_cost_apply(gs, &mut out, &mut scratch);
    exp_sum(fs, &out)
}

/// Entropic objective for scaled potentials and the unscaled `f`, `g`.
pub(crate) fn objective_with<K: GibbsKernel + ?Sized>(
    k: &K,
    fs: &[f64],
    gs: &[f64],
    f: &[f64],
    g: &[f64],
) -> f64 {
    let rows = side_sums(k, fs, gs);
    let cols = side_sums(k, gs, fs);
    let dot = |p: &[f64], m: &[f64]| -> f64 {
        p.iter()
            .zip(m)
            .filter(|(_, m)| **m > 0.0)
            .map(|(p, m)| p * m)
            .sum()
    };
    let mass: f64 = rows.iter().sum();
    dot(f, &rows) + dot(g, &cols) - k.eps() * mass
}
