//! The one seam between the solvers and the kernel: applying `K = exp(-C/eps)`.
//!
//! Every solver loop (FS-1 standard and log domain, FS-2) is written once against
//! [`GibbsKernel`]; the O(N) structured kernel ([`crate::ColtKernel`], built on `colt`) and
//! the O(N^2) dense baseline ([`crate::DenseKernel`], faer) both implement it, so a speed-up
//! is always measured on the same loop. On one support with a symmetric cost, `K` is
//! symmetric, so `K^T u` is the same product as `K u`.

/// Apply the Gibbs kernel `K_ij = exp(-C_ij / eps)` of one geometry and one `eps`.
///
/// Inputs in the log domain may hold `-inf` (zero masses); outputs are then `-inf` only
/// where every contributing term is `-inf`. `scratch` has at least
/// [`GibbsKernel::scratch_len`] entries; implementations never allocate.
///
/// ```
/// use sinkhorn::{ColtKernel, Geometry, GibbsKernel, Grid2d};
/// let k = ColtKernel::new(&Geometry::Grid(Grid2d::unit_square(8)?), 0.1)?;
/// let mut scratch = vec![0.0; k.scratch_len()];
/// let (g, mut out) = (vec![0.0; k.len()], vec![0.0; k.len()]);
/// k.log_apply(&g, &mut out, &mut scratch); // log of the row sums of K
/// assert!(out.iter().all(|x| *x > 0.0)); // every row sum exceeds the diagonal 1
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
pub trait GibbsKernel: Sync {
    /// Number of points (the kernel is `len x len`).
    fn len(&self) -> usize;

    /// Whether the kernel has no points (never for a validated geometry).
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The regularisation `eps`.
    fn eps(&self) -> f64;

    /// Scratch length the products need.
    fn scratch_len(&self) -> usize;

    /// `out = K v` (standard domain).
    fn apply(&self, v: &[f64], out: &mut [f64], scratch: &mut [f64]);

    /// `out = log(K exp(g))` (log domain, log-sum-exp sweeps).
    fn log_apply(&self, g: &[f64], out: &mut [f64], scratch: &mut [f64]);

    /// `out = log((C ⊙ K) exp(g))`: the distance-weighted product the transport cost
    /// `<C, T>` needs, in the log domain (entries with no positive term are `-inf`).
    fn log_cost_apply(&self, g: &[f64], out: &mut [f64], scratch: &mut [f64]);
}

/// `log(exp(x) + exp(y))`, exact at `-inf` (no `-inf - -inf = NaN`).
///
/// ```
/// use sinkhorn::logaddexp;
/// assert!((logaddexp(0.0, 0.0) - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(logaddexp(f64::NEG_INFINITY, f64::NEG_INFINITY), f64::NEG_INFINITY);
/// assert_eq!(logaddexp(1000.0, 0.0), 1000.0);
/// ```
#[inline(always)]
pub fn logaddexp(x: f64, y: f64) -> f64 {
    let (hi, lo) = if x > y { (x, y) } else { (y, x) };
    if hi == f64::NEG_INFINITY {
        return f64::NEG_INFINITY;
    }
    hi + (lo - hi).exp().ln_1p()
}
