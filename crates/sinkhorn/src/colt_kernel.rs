//! The O(N) structured Gibbs kernel of FS-1/FS-2, built on `colt`.
//!
//! On a line, `K = exp(-|x_i - x_j|/eps)` is one CoLT pair: [`colt::ColtPair`] (ratio
//! form) for the standard domain and [`colt::LogColtPair`] (log form) for the log domain.
//! On a 2D tensor grid with the L1 cost, `K = K^x ⊗ K^y` (brief §2.4): with `V` the
//! row-major `nr x nc` array, `K vec(V) = vec(K^x V K^yT)`: apply `K^y` to every row
//! (contiguous, `colt::Axis::One`), then `K^x` down every column (`colt::Axis::Zero`).
//! The cost product uses `C ⊙ K = M^x ⊗ K^y + K^x ⊗ M^y` with `M = C ⊙ K` per axis
//! (`colt`'s distance-weighted product).

use std::sync::OnceLock;

use colt::{ColtError, ColtPair, LogColtPair, UniformGibbs};

use crate::error::{Result, SinkhornError};
use crate::kernel::{GibbsKernel, logaddexp};
use crate::support::{Geometry, Support1d};

/// The 1D factor of a kernel: the ratio form for the standard domain, and the log form
/// with the coordinates (for the log domain and the distance-weighted product), built on
/// first use: a standard-domain solve on a uniform line needs none of it until its final
/// cost, and the kernel then holds O(1) numbers instead of five arrays.
#[derive(Debug, Clone)]
struct Axis {
    linear: Linear,
    support: Support1d,
    eps: f64,
    log: OnceLock<LogAxis>,
}

/// The ratio form of an axis.
#[derive(Debug, Clone)]
enum Linear {
    /// A uniform grid: colt's O(1)-memory kernel, with the one-pass scaling step.
    Uniform(Box<UniformGibbs>),
    /// Stored ratios.
    Pair(ColtPair<f64>),
}

/// The log form of an axis and its coordinates.
#[derive(Debug, Clone)]
struct LogAxis {
    pair: LogColtPair<f64>,
    x: Vec<f64>,
}

const LENGTHS: &str = "lengths fixed at construction";

/// Accept a colt product's result inside an iteration. colt checks every product: a NaN or
/// `+inf` input entry is `NonFinite` (nothing computed), a result that leaves the float range
/// is `Overflow` (computed values left in `out`). Inside Sinkhorn both mean the iterate broke
/// down (a scaling vector divided by an underflowed product), which the solvers detect from
/// the iterate itself, so `out` is made to show it: NaN where colt computed nothing.
/// Lengths are fixed at construction, so any other error is a bug.
pub(crate) fn computed(r: colt::Result<()>, out: &mut [f64]) {
    match r {
        Ok(()) | Err(ColtError::Overflow { .. }) => {}
        Err(ColtError::NonFinite { .. }) => out.fill(f64::NAN),
        Err(e) => unreachable!("{LENGTHS}: {e}"),
    }
}

/// The value of a colt call whose only possible error is a length mismatch, which fixed
/// lengths rule out.
pub(crate) fn sized<T>(r: colt::Result<T>) -> T {
    r.unwrap_or_else(|e| unreachable!("{LENGTHS}: {e}"))
}

impl Axis {
    fn new(support: &Support1d, eps: f64) -> Result<Self> {
        // A uniform grid gets colt's one-ratio kernel: the same sums, no ratio array (the
        // coordinates' computed gaps differ in their last bits, so `gibbs` on them would not
        // detect it).
        let linear = match support.step() {
            Some(step) => Linear::Uniform(Box::new(UniformGibbs::new(support.len(), step, eps)?)),
            None => Linear::Pair(ColtPair::gibbs(&support.coords(), eps)?),
        };
        Ok(Axis {
            linear,
            support: support.clone(),
            eps,
            log: OnceLock::new(),
        })
    }

    /// A grid axis: always the ratio-form pair (the 2D products run along an axis of the
    /// array, which colt does for pairs), one ratio on a uniform axis.
    fn grid(support: &Support1d, eps: f64) -> Result<Self> {
        let pair = match support.step() {
            Some(step) => ColtPair::gibbs_uniform(support.len(), step, eps),
            None => ColtPair::gibbs(&support.coords(), eps),
        };
        Ok(Axis {
            linear: Linear::Pair(pair?),
            support: support.clone(),
            eps,
            log: OnceLock::new(),
        })
    }

    /// The log form, built on first use from the validated support (colt cannot reject it:
    /// sorted finite coordinates or a positive step, `eps > 0` checked by
    /// [`ColtKernel::new`]). A uniform grid gets the one-ratio pair, like its ratio form:
    /// colt's log sweeps then read no ratio array (the coordinates' computed gaps differ in
    /// their last bits).
    fn log(&self) -> &LogAxis {
        self.log.get_or_init(|| {
            let x = self.support.coords();
            let pair = match self.support.step() {
                Some(step) => LogColtPair::gibbs_uniform(x.len(), step, self.eps),
                None => LogColtPair::gibbs(&x, self.eps),
            };
            LogAxis {
                pair: pair.unwrap_or_else(|e| unreachable!("validated support: {e}")),
                x,
            }
        })
    }

    fn len(&self) -> usize {
        self.support.len()
    }

    /// The ratio-form pair of a grid axis (2D products along an axis need stored ratios).
    fn pair(&self) -> &ColtPair<f64> {
        match &self.linear {
            Linear::Pair(p) => p,
            Linear::Uniform(_) => unreachable!("grid axes hold their pair"),
        }
    }

    fn apply(&self, v: &[f64], out: &mut [f64]) {
        let r = match &self.linear {
            Linear::Uniform(k) => k.apply_in_place(v, out),
            Linear::Pair(p) => p.apply_in_place(v, out),
        };
        computed(r, out);
    }

    fn log_cost_apply(&self, g: &[f64], out: &mut [f64]) {
        let log = self.log();
        let r = log.pair.log_distance_apply_in_place(&log.x, g, out);
        computed(r, out);
    }
}

#[derive(Debug, Clone)]
enum Shape {
    Line(Box<Axis>),
    Grid { rows: Box<Axis>, cols: Box<Axis> },
}

/// The structured Gibbs kernel of a [`Geometry`] at one eps: O(N) per product.
///
/// ```
/// use sinkhorn::{ColtKernel, Geometry, GibbsKernel, Support1d};
/// let k = ColtKernel::new(&Geometry::Line(Support1d::linspace(0.0, 1.0, 1_000_000)?), 1e-2)?;
/// let (v, mut out) = (vec![1.0; k.len()], vec![0.0; k.len()]);
/// k.apply(&v, &mut out, &mut []); // 10^6 x 10^6 kernel times a vector, O(N)
/// assert!(out[500_000] > 1.0);
/// # Ok::<(), sinkhorn::SinkhornError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ColtKernel {
    eps: f64,
    shape: Shape,
}

/// `dst[j * nr + i] = src[i * nc + j]` (row-major `nr x nc` to `nc x nr`), cache-blocked.
/// Only the one-off cost evaluation on grids uses it (`colt` has no axis-0 distance product).
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

impl ColtKernel {
    /// The kernel `exp(-C/eps)` of `geometry`.
    ///
    /// ```
    /// use sinkhorn::{ColtKernel, Geometry, GibbsKernel, Grid2d};
    /// let k = ColtKernel::new(&Geometry::Grid(Grid2d::unit_square(4)?), 0.5)?;
    /// assert_eq!((k.len(), k.eps()), (16, 0.5));
    /// assert!(ColtKernel::new(&Geometry::Grid(Grid2d::unit_square(4)?), 0.0).is_err());
    /// # Ok::<(), sinkhorn::SinkhornError>(())
    /// ```
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
            Geometry::Line(s) => Shape::Line(Box::new(Axis::new(s, eps)?)),
            Geometry::Grid(g) => Shape::Grid {
                rows: Box::new(Axis::grid(&g.rows, eps)?),
                cols: Box::new(Axis::grid(&g.cols, eps)?),
            },
        };
        Ok(ColtKernel { eps, shape })
    }
}

impl ColtKernel {
    /// The O(1)-memory kernel of a uniform line, whose one-pass scaling step the
    /// standard-domain loop uses ([`crate::fs1_loop`]); `None` for other geometries.
    /// With the grid's spacing.
    pub(crate) fn uniform_line(&self) -> Option<(&UniformGibbs, f64)> {
        match &self.shape {
            Shape::Line(axis) => match &axis.linear {
                Linear::Uniform(k) => axis.support.step().map(|h| (k.as_ref(), h)),
                Linear::Pair(_) => None,
            },
            Shape::Grid { .. } => None,
        }
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
            Shape::Grid { rows, cols } => {
                let (nr, nc) = (rows.len(), cols.len());
                let tmp = &mut scratch[..nr * nc];
                let r = cols
                    .pair()
                    .apply_axis_in_place(v, nr, nc, colt::Axis::One, tmp);
                computed(r, tmp);
                let r = rows
                    .pair()
                    .apply_axis_in_place(tmp, nr, nc, colt::Axis::Zero, out);
                computed(r, out);
            }
        }
    }

    fn log_apply(&self, g: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        match &self.shape {
            Shape::Line(a) => computed(a.log().pair.log_apply_in_place(g, out), out),
            Shape::Grid { rows, cols } => {
                let (nr, nc) = (rows.len(), cols.len());
                let tmp = &mut scratch[..nr * nc];
                let r = cols
                    .log()
                    .pair
                    .log_apply_axis_in_place(g, nr, nc, colt::Axis::One, tmp);
                computed(r, tmp);
                let r = rows
                    .log()
                    .pair
                    .log_apply_axis_in_place(tmp, nr, nc, colt::Axis::Zero, out);
                computed(r, out);
            }
        }
    }

    fn log_cost_apply(&self, g: &[f64], out: &mut [f64], scratch: &mut [f64]) {
        match &self.shape {
            Shape::Line(a) => a.log_cost_apply(g, out),
            Shape::Grid { rows, cols } => {
                // C ⊙ K = M^x ⊗ K^y + K^x ⊗ M^y, M = C ⊙ K per axis.
                let (nr, nc) = (rows.len(), cols.len());
                let n = nr * nc;
                let (t1, rest) = scratch[..3 * n].split_at_mut(n);
                let (t2, t3) = rest.split_at_mut(n);
                // Term 1: K^y along rows, then M^x down columns (on the transpose).
                let r = cols
                    .log()
                    .pair
                    .log_apply_axis_in_place(g, nr, nc, colt::Axis::One, t1);
                computed(r, t1);
                transpose(t1, t2, nr, nc);
                for (s, d) in t2.chunks_exact(nr).zip(t3.chunks_exact_mut(nr)) {
                    rows.log_cost_apply(s, d);
                }
                transpose(t3, t1, nc, nr);
                // Term 2: M^y along rows, then K^x down columns.
                for (s, d) in g.chunks_exact(nc).zip(t2.chunks_exact_mut(nc)) {
                    cols.log_cost_apply(s, d);
                }
                let r = rows
                    .log()
                    .pair
                    .log_apply_axis_in_place(t2, nr, nc, colt::Axis::Zero, out);
                computed(r, out);
                for (o, p) in out.iter_mut().zip(t1.iter()) {
                    *o = logaddexp(*o, *p);
                }
            }
        }
    }
}
