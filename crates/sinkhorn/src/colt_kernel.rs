//! The O(N) structured Gibbs kernel of FS-1/FS-2, built on `colt`.
//!
//! On a line, `K = exp(-|x_i - x_j|/eps)` is one CoLT pair: [`colt::ColtPair`] (ratio
//! form) for the standard domain and [`colt::LogColtPair`] (log form) for the log domain.
//! On a 2D tensor grid with the L1 cost, `K = K^x ⊗ K^y` (brief §2.4): with `V` the
//! row-major `nr x nc` array, `K vec(V) = vec(K^x V K^yT)`: apply `K^y` to every row
//! (contiguous), then `K^x` to every column (via a transpose into scratch). The cost
//! product uses `C ⊙ K = M^x ⊗ K^y + K^x ⊗ M^y` with `M = C ⊙ K` per axis.

use colt::{ColtPair, LogColtPair};

use crate::cost_sweep::log_cost_apply_line;
use crate::error::{Result, SinkhornError};
use crate::kernel::{GibbsKernel, logaddexp};
use crate::support::{Geometry, Support1d};

/// The 1D factor of a kernel: both parametrisations and the gaps (for the cost sweep).
#[derive(Debug, Clone)]
struct Axis {
    pair: ColtPair<f64>,
    log_pair: LogColtPair<f64>,
    gaps: Vec<f64>,
    eps: f64,
}

impl Axis {
    fn new(support: &Support1d, eps: f64) -> Result<Self> {
        let x = support.coords();
        let colt_err = |e: colt::ColtError| SinkhornError::Colt(e.to_string());
        Ok(Axis {
            pair: ColtPair::gibbs(&x, eps).map_err(colt_err)?,
            log_pair: LogColtPair::gibbs(&x, eps).map_err(colt_err)?,
            gaps: support.gaps(),
            eps,
        })
    }

    fn len(&self) -> usize {
        self.pair.len()
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) {
        self.pair
            .apply_in_place(v, out)
            .expect("lengths fixed at construction");
    }

    fn log_apply(&self, g: &[f64], out: &mut [f64]) {
        self.log_pair
            .log_apply_in_place(g, out)
            .expect("lengths fixed at construction");
    }

    fn log_cost_apply(&self, g: &[f64], out: &mut [f64]) {
        log_cost_apply_line(&self.gaps, self.eps, g, out);
    }
}

#[derive(Debug, Clone)]
enum Shape {
    Line(Axis),
    Grid { rows: Axis, cols: Axis },
}

/// The structured Gibbs kernel of a [`Geometry`] at one eps: O(N) per product.
#[derive(Debug, Clone)]
pub struct ColtKernel {
    eps: f64,
    shape: Shape,
}

/// `dst[j * nr + i] = src[i * nc + j]` (row-major `nr x nc` to `nc x nr`), cache-blocked.
fn transpose(src: &[f64], dst: &mut [f64], nr: usize, nc: usize) {
    const B: usize = 32;
    for i0 in (0..nr).step_by(B) {
        for j0 in (0..nc).step_by(B) {
            for i in i0..(i0 + B).min(nr) {
                for j in j0..(j0 + B).min(nc) {
                    dst[j * nr + i] = src[i * nc + j];
                }
            }
        }
    }
}

/// Apply `op` to every row of a row-major `nr x nc` array.
fn each_row(src: &[f64], dst: &mut [f64], nc: usize, op: impl Fn(&[f64], &mut [f64])) {
    for (s, d) in src.chunks_exact(nc).zip(dst.chunks_exact_mut(nc)) {
        op(s, d);
    }
}

/// `out = (A ⊗ B) vec(V)` for row-major `V` (`nr x nc`): `B` along rows, then `A` along
/// columns. `scratch` holds `2 nr nc` entries.
fn kron_apply(
    v: &[f64],
    out: &mut [f64],
    scratch: &mut [f64],
    nr: usize,
    nc: usize,
    a: impl Fn(&[f64], &mut [f64]),
    b: impl Fn(&[f64], &mut [f64]),
) {
    let n = nr * nc;
    let (t1, t2) = scratch[..2 * n].split_at_mut(n);
    each_row(v, out, nc, &b);
    transpose(out, t1, nr, nc);
    each_row(t1, t2, nr, &a);
    transpose(t2, out, nc, nr);
}

impl ColtKernel {
    /// The kernel `exp(-C/eps)` of `geometry`.
    ///
    /// # Errors
    /// [`SinkhornError::InvalidParameter`] if `eps` is not finite and > 0;
    /// [`SinkhornError::Colt`] if `colt` rejects the support (not for a validated one).
    pub fn new(geometry: &Geometry, eps: f64) -> Result<Self> {
        if !(eps.is_finite() && eps > 0.0) {
            return Err(SinkhornError::InvalidParameter {
                name: "eps",
                value: eps,
            });
        }
        let shape = match geometry {
            Geometry::Line(s) => Shape::Line(Axis::new(s, eps)?),
            Geometry::Grid(g) => Shape::Grid {
                rows: Axis::new(&g.rows, eps)?,
                cols: Axis::new(&g.cols, eps)?,
            },
        };
        Ok(ColtKernel { eps, shape })
    }
}

impl GibbsKernel for ColtKernel {
    fn len(&self) -> usize {
        match &self.shape {
            Shape::Line(a) => a.len(),
            Shape::Grid { rows, cols } => rows.len() * cols.len(),
        }
    }

    fn eps(&self) -> f64 {
        self.eps
    }

    fn scratch_len(&self) -> usize {
        match &self.shape {
            Shape::Line(_) => 0,
            Shape::Grid { .. } => 3 * self.len(),
        }
    }

    fn apply(&self, v: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        match &self.shape {
            Shape::Line(a) => a.apply(v, out),
            Shape::Grid { rows, cols } => kron_apply(
                v,
                out,
                scratch,
                rows.len(),
                cols.len(),
                |s, d| rows.apply(s, d),
                |s, d| cols.apply(s, d),
            ),
        }
    }

    fn log_apply(&self, g: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        match &self.shape {
            Shape::Line(a) => a.log_apply(g, out),
            Shape::Grid { rows, cols } => kron_apply(
                g,
                out,
                scratch,
                rows.len(),
                cols.len(),
                |s, d| rows.log_apply(s, d),
                |s, d| cols.log_apply(s, d),
            ),
        }
    }

    fn log_cost_apply(&self, g: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        match &self.shape {
            Shape::Line(a) => a.log_cost_apply(g, out),
            Shape::Grid { rows, cols } => {
                let n = self.len();
                let (nr, nc) = (rows.len(), cols.len());
                let (part, rest) = scratch.split_at_mut(n);
                // M^x ⊗ K^y, then K^x ⊗ M^y, combined entrywise.
                kron_apply(
                    g,
                    part,
                    rest,
                    nr,
                    nc,
                    |s, d| rows.log_cost_apply(s, d),
                    |s, d| cols.log_apply(s, d),
                );
                kron_apply(
                    g,
                    out,
                    rest,
                    nr,
                    nc,
                    |s, d| rows.log_apply(s, d),
                    |s, d| cols.log_cost_apply(s, d),
                );
                for (o, p) in out.iter_mut().zip(part.iter()) {
                    *o = logaddexp(*o, *p);
                }
            }
        }
    }
}
