//! The O(N^2) dense baseline kernel (faer), the reference every speed-up is measured
//! against and every structured product is tested against.
//!
//! It implements [`GibbsKernel`] so the very same solver loops run on it: the standard
//! domain is one faer matrix-vector product per application, the log domain a row-wise
//! log-sum-exp over the stored cost (what POT's `sinkhorn_log` does).

use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, ColRef, Mat, Par};

use crate::error::{Result, SinkhornError};
use crate::kernel::GibbsKernel;
use crate::limits::check_dense;
use crate::support::Geometry;

/// Dense `K = exp(-C/eps)` and `C`, `n x n` each (16 n^2 bytes: keep n <= ~10^4).
///
/// ```
/// use sinkhorn::{ColtKernel, DenseKernel, Geometry, GibbsKernel, Support1d};
/// let line = Geometry::Line(Support1d::linspace(0.0, 1.0, 64)?);
/// let (dense, fast) = (DenseKernel::new(&line, 0.1)?, ColtKernel::new(&line, 0.1)?);
/// let v = vec![1.0; 64];
/// let (mut a, mut b) = (vec![0.0; 64], vec![0.0; 64]);
/// dense.apply(&v, &mut a, &mut []);
/// fast.apply(&v, &mut b, &mut vec![0.0; fast.scratch_len()]);
/// assert!(a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-12 * x));
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone)]
pub struct DenseKernel {
    eps: f64,
    cost: Mat<f64>,
    kernel: Mat<f64>,
}

impl DenseKernel {
    /// Build the dense cost and kernel of `geometry` at `eps`.
    ///
    /// ```
    /// use sinkhorn::{DenseKernel, Geometry, GibbsKernel, Support1d};
    /// let k = DenseKernel::new(&Geometry::Line(Support1d::linspace(0.0, 1.0, 10)?), 0.1)?;
    /// assert_eq!(k.len(), 10);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    ///
    /// # Errors
    /// [`SinkhornError::InvalidParameter`] if `eps` is not finite and > 0;
    /// [`SinkhornError::TooLarge`] if the two `N x N` matrices would exceed
    /// [`crate::MAX_BUFFER_BYTES`] (checked before allocating).
    pub fn new(geometry: &Geometry, eps: f64) -> Result<Self> {
        if !(eps.is_finite() && eps > 0.0) {
            return Err(SinkhornError::InvalidParameter {
                name: "eps",
                value: eps,
            });
        }
        let n = geometry.len();
        check_dense("dense cost and kernel (2 x N x N f64)", n, 2)?;
        let cost = Mat::from_fn(n, n, |i, j| geometry.cost(i, j));
        let kernel = Mat::from_fn(n, n, |i, j| (-cost[(i, j)] / eps).exp());
        Ok(DenseKernel { eps, cost, kernel })
    }

    /// The dense cost matrix.
    ///
    /// ```
    /// use sinkhorn::{DenseKernel, Geometry, Support1d};
    /// let k = DenseKernel::new(&Geometry::Line(Support1d::linspace(0.0, 1.0, 3)?), 0.1)?;
    /// assert_eq!(k.cost()[(0, 2)], 1.0);
    /// assert!((k.kernel()[(0, 2)] - (-10.0f64).exp()).abs() < 1e-18);
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
    pub fn cost(&self) -> &Mat<f64> {
        &self.cost
    }

    /// The dense kernel matrix.
    pub fn kernel(&self) -> &Mat<f64> {
        &self.kernel
    }
}

impl GibbsKernel for DenseKernel {
    fn len(&self) -> usize {
        self.cost.nrows()
    }

    fn eps(&self) -> f64 {
        self.eps
    }

    fn scratch_len(&self) -> usize {
        0
    }

    fn apply(&self, v: &[f64], out: &mut [f64], _scratch: &mut [f64]) {
        let rhs = ColRef::from_slice(v);
        let dst = ColMut::from_slice_mut(out);
        matmul(
            dst.as_mat_mut(),
            Accum::Replace,
            self.kernel.as_ref(),
            rhs.as_mat(),
            1.0,
            Par::Seq,
        );
    }

    fn log_apply(&self, g: &[f64], out: &mut [f64], _scratch: &mut [f64]) {
        let inv = 1.0 / self.eps;
        // Column-major storage and a symmetric cost: column i holds row i.
        for (i, o) in out.iter_mut().enumerate() {
            let col = self.cost.col(i);
            let col = col.try_as_col_major().map(|c| c.as_slice());
            let mut m = f64::NEG_INFINITY;
            let terms = |f: &mut dyn FnMut(f64)| {
                if let Some(c) = col {
                    for (cj, gj) in c.iter().zip(g) {
                        f(gj - cj * inv);
                    }
                } else {
                    for (j, gj) in g.iter().enumerate() {
                        f(gj - self.cost[(j, i)] * inv);
                    }
                }
            };
            terms(&mut |t| m = m.max(t));
            if m == f64::NEG_INFINITY {
                *o = f64::NEG_INFINITY;
                continue;
            }
            let mut s = 0.0;
            terms(&mut |t| s += (t - m).exp());
            *o = m + s.ln();
        }
    }

    fn log_cost_apply(&self, g: &[f64], out: &mut [f64], _scratch: &mut [f64]) {
        let inv = 1.0 / self.eps;
        let n = self.len();
        for (i, o) in out.iter_mut().enumerate() {
            let term = |j: usize| {
                let c = self.cost[(j, i)];
                if c > 0.0 {
                    c.ln() + g[j] - c * inv
                } else {
                    f64::NEG_INFINITY
                }
            };
            let m = (0..n).map(term).fold(f64::NEG_INFINITY, f64::max);
            if m == f64::NEG_INFINITY {
                *o = f64::NEG_INFINITY;
                continue;
            }
            let s: f64 = (0..n).map(|j| (term(j) - m).exp()).sum();
            *o = m + s.ln();
        }
    }
}
