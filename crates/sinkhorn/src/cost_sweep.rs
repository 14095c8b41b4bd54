//! The distance-weighted Gibbs product `log((C ⊙ K) e^g)` on a sorted 1D support, O(N),
//! in the log domain: what the transport cost `<C, T>` needs when `T` is given by
//! potentials that may be `-inf` (zero masses), which a CoLT pair cannot hold.
//!
//! `colt` offers `sum_ij C_ij T_ij` for a finite CoLT pair; a plan with zero masses has
//! `-inf` potentials and no finite ratios, so this sweep works on `g` directly. It belongs
//! with the other recurrences and can move to `colt` as a log-domain weighted product.
//!
//! Recurrences (brief §2.7, reconstructed; all terms positive, no cancellation), with
//! `P` the forward and `Q` the strict backward sum of `K v`, `v = e^g`, `h_k` the gaps:
//!
//! ```text
//! B_0 = 0;      B_i = rho_{i-1} (B_{i-1} + h_{i-1} P_{i-1})
//! D_{n-1} = 0;  D_i = rho_i (D_{i+1} + h_i (v_{i+1} + Q_{i+1}))
//! ((C ⊙ K) v)_i = B_i + D_i
//! ```
//! run here with `logaddexp` on logarithms.

use crate::kernel::logaddexp;

/// `out_i = log(sum_j |x_i - x_j| exp(-|x_i - x_j|/eps) exp(g_j))` for a support with the
/// given gaps (`gaps.len() == g.len() - 1`). Entries with no positive term are `-inf`.
/// Never allocates.
pub fn log_cost_apply_line(gaps: &[f64], eps: f64, g: &[f64], out: &mut [f64]) {
    let n = g.len();
    debug_assert_eq!(out.len(), n);
    debug_assert_eq!(gaps.len(), n.saturating_sub(1));
    if n == 0 {
        return;
    }
    let inv = 1.0 / eps;
    // Forward: lp = log P_{i}, lb = log B_i.
    let mut lp = g[0];
    let mut lb = f64::NEG_INFINITY;
    out[0] = f64::NEG_INFINITY;
    for i in 1..n {
        let h = gaps[i - 1];
        let lr = -h * inv;
        lb = lr + logaddexp(lb, h.ln() + lp);
        lp = logaddexp(lr + lp, g[i]);
        out[i] = lb;
    }
    // Backward: lq = log Q_{i+1}, ld = log D_{i+1}.
    let mut lq = f64::NEG_INFINITY;
    let mut ld = f64::NEG_INFINITY;
    for i in (0..n - 1).rev() {
        let h = gaps[i];
        let lr = -h * inv;
        let t = logaddexp(g[i + 1], lq);
        ld = lr + logaddexp(ld, h.ln() + t);
        lq = lr + t;
        out[i] = logaddexp(out[i], ld);
    }
}
