//! Dense IPOT, literally as in the reference code (Xie et al., `ipot_WD` in
//! github.com/xieyujia/IPOT, `use_path = True`): the O(N^2)-per-iteration baseline that
//! FS-2's iterates are checked against and timed against.
//!
//! ```text
//! G = exp(-C/beta); T = 1 1^T; u = v = 1
//! repeat: Q = G ⊙ T; repeat L: u = a / (Q v); v = b / (Q^T u); T = diag(u) Q diag(v)
//! ```
//! Standard domain on purpose (it is the reference): it underflows for small `beta` where
//! FS-2's potential form does not. `Q` overwrites `T` in place and `C` is recomputed from
//! the geometry when a cost is asked for, so two `N x N` matrices are held (1.6 GB at
//! `N = 10^4`); the floating-point operations are the reference's, in the same order.

use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, ColRef, Mat, Par};

use crate::error::{Result, SinkhornError};
use crate::limits::{MAX_INNER_STEPS, MAX_ITERATIONS, check_dense};
use crate::problem::Problem;

/// One dense IPOT iterate (see [`dense_ipot`]).
#[derive(Debug, Clone)]
pub struct DenseIpotIterate {
    /// Outer iteration `k` (1-based).
    pub k: usize,
    /// The plan `T^(k)`.
    pub plan: Mat<f64>,
    /// `<C, T^(k)>`.
    pub cost: f64,
}

/// Run `outer` iterations of dense IPOT with proximal step `beta` and `inner` Sinkhorn
/// steps, returning the iterates whose `k` is in `keep` (1-based; pass `&[outer]` for the
/// last one only). A fixed-iteration reference, not a solver: it has no stopping test (use
/// [`crate::Ipot`] with [`crate::Backend::Dense`] for a dense solve that must converge).
///
/// ```
/// use sinkhorn::{cases::bumps_line, dense_ipot};
/// let it = dense_ipot(&bumps_line(20)?, 0.05, 5, 10, &[10])?;
/// assert_eq!((it.len(), it[0].k, it[0].plan.nrows()), (1, 10, 20));
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
///
/// # Errors
/// [`SinkhornError::InvalidParameter`] for `beta` not finite and > 0;
/// [`SinkhornError::InvalidOption`] for `inner` outside `1..=MAX_INNER_STEPS` or
/// `inner * outer > MAX_ITERATIONS`; [`SinkhornError::TooLarge`] when the two `N x N`
/// matrices exceed [`crate::MAX_BUFFER_BYTES`] (checked before allocating);
/// [`SinkhornError::NonFinite`] when the standard-domain scalings break down.
pub fn dense_ipot(
    problem: &Problem,
    beta: f64,
    inner: usize,
    outer: usize,
    keep: &[usize],
) -> Result<Vec<DenseIpotIterate>> {
    if !(beta.is_finite() && beta > 0.0) {
        return Err(SinkhornError::InvalidParameter {
            name: "beta",
            value: beta,
        });
    }
    if inner == 0 || inner > MAX_INNER_STEPS || inner.saturating_mul(outer) > MAX_ITERATIONS {
        return Err(SinkhornError::InvalidOption {
            name: "inner * outer",
            value: format!("{inner} * {outer}"),
            reason: "inner must lie in 1..=MAX_INNER_STEPS and inner * outer <= MAX_ITERATIONS",
        });
    }
    let geometry = problem.geometry();
    let n = problem.len();
    check_dense("dense IPOT kernel and plan (2 x N x N f64)", n, 2)?;
    let (a, b) = (problem.a(), problem.b());
    let g = Mat::from_fn(n, n, |i, j| (-geometry.cost(i, j) / beta).exp());
    // Holds T between outer iterations and Q = G ⊙ T during the inner steps.
    let mut q = Mat::from_fn(n, n, |_, _| 1.0);
    let mut u = vec![1.0; n];
    let mut v = vec![1.0; n];
    let mut prod = vec![0.0; n];
    let mut out = Vec::new();
    for k in 1..=outer {
        for j in 0..n {
            for (qij, gij) in q.col_as_slice_mut(j).iter_mut().zip(g.col_as_slice(j)) {
                *qij *= gij;
            }
        }
        for _ in 0..inner {
            matmul(
                ColMut::from_slice_mut(&mut prod).as_mat_mut(),
                Accum::Replace,
                q.as_ref(),
                ColRef::from_slice(&v).as_mat(),
                1.0,
                Par::Seq,
            );
            for ((ui, &ai), &p) in u.iter_mut().zip(a).zip(&prod) {
                *ui = if ai > 0.0 { ai / p } else { 0.0 };
            }
            matmul(
                ColMut::from_slice_mut(&mut prod).as_mat_mut(),
                Accum::Replace,
                q.transpose(),
                ColRef::from_slice(&u).as_mat(),
                1.0,
                Par::Seq,
            );
            for ((vj, &bj), &p) in v.iter_mut().zip(b).zip(&prod) {
                *vj = if bj > 0.0 { bj / p } else { 0.0 };
            }
        }
        if u.iter().chain(&v).any(|x| !x.is_finite()) {
            return Err(SinkhornError::NonFinite {
                what: "dense IPOT scalings",
                iteration: k,
            });
        }
        for (j, &vj) in v.iter().enumerate() {
            for (qij, ui) in q.col_as_slice_mut(j).iter_mut().zip(&u) {
                *qij = ui * *qij * vj;
            }
        }
        if keep.contains(&k) {
            let mut c = 0.0;
            for j in 0..n {
                for i in 0..n {
                    c += geometry.cost(i, j) * q[(i, j)];
                }
            }
            out.push(DenseIpotIterate {
                k,
                plan: q.clone(),
                cost: c,
            });
        }
    }
    Ok(out)
}
