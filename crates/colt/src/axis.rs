//! Applying a 1D CoLT operator along one axis of a row-major 2D array, and to batches.
//!
//! On a tensor grid the L1 Gibbs kernel is a Kronecker product `K^x ⊗ K^y`, so one 2D product
//! is a 1D product down every column (axis 0) followed by one along every row (axis 1)
//! (brief §2.4). Axis 0 advances all columns' recurrences in lock-step over contiguous rows,
//! in strips of [`STRIP`] columns held in stack buffers, so the inner loop is a vectorisable
//! row operation and nothing is allocated. Axis 1 and batches apply the blocked 1D product to
//! each contiguous row, in parallel with rayon once the array is large enough
//! ([`ParallelParams`]).
//!
//! Rounding along axis 0 is that of the plain sweep (`n_eff = min(rows, 1/(1 - rho))`); grids
//! have at most a few thousand rows.

use rayon::prelude::*;

use crate::error::{ColtError, Result};
use crate::log_sweep::{LinearView, log_add_exp, log_pair_apply};
use crate::real::Real;
use crate::sweep::{Part, pair_apply};
use crate::validate::{check_log_result, check_result};

/// Columns advanced together along axis 0 (stack buffers of this many scalars).
pub const STRIP: usize = 64;

/// Which axis of a row-major `rows x cols` array (`a[i * cols + j]`) the operator acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    /// Axis 0: mixes rows, acts on every column `a[., j]`; the operator has dimension `rows`.
    Zero,
    /// Axis 1: mixes columns, acts on every row `a[i, .]`; the operator has dimension `cols`.
    One,
}

/// When the row-wise operations (axis 1, batches) go parallel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParallelParams {
    /// Minimum number of array elements before rayon is used (below it, thread hand-off costs
    /// more than the sweeps).
    pub min_parallel_len: usize,
}

impl Default for ParallelParams {
    fn default() -> Self {
        Self {
            min_parallel_len: 1 << 16,
        }
    }
}

/// Checks the 2D shape against the operator dimension `dim`.
pub(crate) fn check_shape(
    len: usize,
    out_len: usize,
    rows: usize,
    cols: usize,
    axis: Axis,
    dim: usize,
) -> Result<()> {
    let axis_dim = match axis {
        Axis::Zero => rows,
        Axis::One => cols,
    };
    let fits = rows.checked_mul(cols) == Some(len) && out_len == len && axis_dim == dim;
    if fits {
        Ok(())
    } else {
        Err(ColtError::ShapeMismatch {
            rows,
            cols,
            len: if out_len == len { len } else { out_len },
            axis: matches!(axis, Axis::One) as usize,
            dim,
        })
    }
}

/// The two semirings the axis-0 sweeps run in: `(+, ×)` on values, `(logaddexp, +)` on logs.
trait Semiring<T: Real> {
    /// The additive identity (`0`, or `-inf` for logs).
    const ZERO: T;
    /// `a + b` (or `log(e^a + e^b)`).
    fn plus(a: T, b: T) -> T;
    /// `a × b` (or `a + b` for logs).
    fn times(a: T, b: T) -> T;
}

struct Linear;
struct Log;

impl<T: Real> Semiring<T> for Linear {
    const ZERO: T = T::ZERO;
    #[inline(always)]
    fn plus(a: T, b: T) -> T {
        a + b
    }
    #[inline(always)]
    fn times(a: T, b: T) -> T {
        a * b
    }
}

impl<T: Real> Semiring<T> for Log {
    const ZERO: T = T::NEG_INFINITY;
    #[inline(always)]
    fn plus(a: T, b: T) -> T {
        log_add_exp(a, b)
    }
    #[inline(always)]
    fn times(a: T, b: T) -> T {
        a + b
    }
}

/// Axis 0 in semiring `S`: `out[., j] = T a[., j]` for every column `j`, the diagonal `d`
/// and ratios `r`, `s` given in `S`'s representation. Both sweeps advance a strip of
/// [`STRIP`] columns in lock-step over contiguous rows.
#[allow(clippy::too_many_arguments)]
fn apply_axis0_in<T: Real, S: Semiring<T>>(
    d: &[T],
    r: &[T],
    s: &[T],
    a: &[T],
    out: &mut [T],
    rows: usize,
    cols: usize,
) {
    for c0 in (0..cols).step_by(STRIP) {
        let w = STRIP.min(cols - c0);
        let mut y = [S::ZERO; STRIP];
        let y = &mut y[..w];
        // Backward: out_i = d_i W_i with W_i = s_i Y_{i+1}, Y_i = a_i + W_i.
        for i in (0..rows).rev() {
            let ai = &a[i * cols + c0..i * cols + c0 + w];
            let oi = &mut out[i * cols + c0..i * cols + c0 + w];
            let si = if i + 1 < rows { s[i] } else { S::ZERO };
            for ((o, yv), &av) in oi.iter_mut().zip(y.iter_mut()).zip(ai) {
                let wv = S::times(si, *yv);
                *yv = S::plus(av, wv);
                *o = S::times(d[i], wv);
            }
        }
        // Forward: out_i += P_i with P_i = r_{i-1} P_{i-1} + d_i a_i.
        let mut p = [S::ZERO; STRIP];
        let p = &mut p[..w];
        for i in 0..rows {
            let ai = &a[i * cols + c0..i * cols + c0 + w];
            let oi = &mut out[i * cols + c0..i * cols + c0 + w];
            let ri = if i > 0 { r[i - 1] } else { S::ZERO };
            for ((o, pv), &av) in oi.iter_mut().zip(p.iter_mut()).zip(ai) {
                *pv = S::plus(S::times(ri, *pv), S::times(d[i], av));
                *o = S::plus(*o, *pv);
            }
        }
    }
}

/// Linear domain, axis 0: `out[., j] = T a[., j]` for every column `j`.
pub(crate) fn apply_axis0<T: Real>(
    d: &[T],
    r: &[T],
    s: &[T],
    a: &[T],
    out: &mut [T],
    rows: usize,
    cols: usize,
) {
    apply_axis0_in::<T, Linear>(d, r, s, a, out, rows, cols);
}

/// Log domain, axis 0: `out[., j] = log(T exp(a[., j]))` for every column `j`.
pub(crate) fn log_apply_axis0<T: Real>(
    ld: &[T],
    lr: &[T],
    ls: &[T],
    a: &[T],
    out: &mut [T],
    rows: usize,
    cols: usize,
) {
    apply_axis0_in::<T, Log>(ld, lr, ls, a, out, rows, cols);
}

/// Runs `one` on every (row of `a`, row of `out`) pair of `cols` elements, with rayon when
/// `parallel`. The row-wise drivers of both domains share this dispatch.
fn for_each_row<T: Real>(
    a: &[T],
    out: &mut [T],
    cols: usize,
    parallel: bool,
    one: impl Fn((&[T], &mut [T])) + Send + Sync,
) {
    if cols == 0 {
        return;
    }
    if parallel {
        a.par_chunks_exact(cols)
            .zip(out.par_chunks_exact_mut(cols))
            .for_each(one);
    } else {
        a.chunks_exact(cols)
            .zip(out.chunks_exact_mut(cols))
            .for_each(one);
    }
}

/// Linear domain, rows: `out[i, .] = T a[i, .]` for every row, parallel when large.
pub(crate) fn apply_rows<T: Real>(
    d: &[T],
    r: &[T],
    s: &[T],
    a: &[T],
    out: &mut [T],
    cols: usize,
    params: &ParallelParams,
) {
    let parallel = a.len() >= params.min_parallel_len;
    for_each_row(a, out, cols, parallel, |(ai, oi)| {
        pair_apply(Part::Both, d, r, s, ai, oi);
    });
}

/// Log domain, rows: `out[i, .] = log(T exp(a[i, .]))` for every row, parallel when large.
#[allow(clippy::too_many_arguments)]
pub(crate) fn log_apply_rows<T: Real>(
    ld: &[T],
    lr: &[T],
    ls: &[T],
    lin: LinearView<'_>,
    a: &[T],
    out: &mut [T],
    cols: usize,
    params: &ParallelParams,
) {
    // The log sweeps cost tens of ns per element, so parallelism pays 16x earlier.
    let parallel = a.len().saturating_mul(16) >= params.min_parallel_len;
    for_each_row(a, out, cols, parallel, |(ai, oi)| {
        log_pair_apply(Part::Both, ld, lr, ls, lin, ai, oi);
    });
}

use crate::log_pair::LogColtPair;
use crate::pair::ColtPair;

impl<T: Real> ColtPair<T> {
    /// Applies `T` along `axis` of the row-major `rows x cols` array `a` into `out`
    /// (default [`ParallelParams`]). Never allocates.
    ///
    /// ```
    /// use colt::{Axis, ColtPair};
    ///
    /// // A 2 x 3 row-major array; K acts down each column (axis 0 has length 2).
    /// let k = ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let a = [1.0, 2.0, 3.0, 0.0, 0.0, 0.0];
    /// let mut out = [0.0; 6];
    /// k.apply_axis_in_place(&a, 2, 3, Axis::Zero, &mut out)?;
    /// let e = (-1.0f64).exp();
    /// assert!((out[4] - 2.0 * e).abs() < 1e-15); // row 1, column 1: K_10 a_01
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::ShapeMismatch`] unless `a.len() == out.len() == rows * cols` and the axis
    /// has length N; [`ColtError::NonFinite`] naming the first NaN or infinite entry of `a`
    /// (for the log form: NaN or `+inf`; `-inf` is a zero); [`ColtError::Overflow`] when a
    /// result leaves the float range with valid inputs.
    pub fn apply_axis_in_place(
        &self,
        a: &[T],
        rows: usize,
        cols: usize,
        axis: Axis,
        out: &mut [T],
    ) -> Result<()> {
        self.apply_axis_in_place_with(a, rows, cols, axis, out, &ParallelParams::default())
    }

    /// [`ColtPair::apply_axis_in_place`] with explicit parallelism settings.
    ///
    /// ```
    /// use colt::{Axis, ColtPair, ParallelParams};
    ///
    /// let k = ColtPair::gibbs(&[0.0, 1.0, 2.0], 1.0)?;
    /// let a = vec![1.0; 4 * 3];
    /// let mut out = vec![0.0; 4 * 3];
    /// // Stay sequential (and allocation-free) whatever the size.
    /// let serial = ParallelParams { min_parallel_len: usize::MAX };
    /// k.apply_axis_in_place_with(&a, 4, 3, Axis::One, &mut out, &serial)?;
    /// assert_eq!(&out[..3], &k.apply(&[1.0; 3])?[..]);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::apply_axis_in_place`].
    pub fn apply_axis_in_place_with(
        &self,
        a: &[T],
        rows: usize,
        cols: usize,
        axis: Axis,
        out: &mut [T],
        params: &ParallelParams,
    ) -> Result<()> {
        check_shape(a.len(), out.len(), rows, cols, axis, self.len())?;
        match axis {
            Axis::Zero => apply_axis0(&self.d, &self.r, &self.s, a, out, rows, cols),
            Axis::One => apply_rows(&self.d, &self.r, &self.s, a, out, cols, params),
        }
        check_result(&[("a", a)], out)
    }

    /// `out[b] = T xs[b]` for a batch of vectors stored back to back (`xs.len()` a multiple
    /// of N), in parallel once the batch holds `params.min_parallel_len` elements.
    ///
    /// ```
    /// use colt::{ColtPair, ParallelParams};
    ///
    /// let k = ColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let xs = [1.0, 0.0, 0.0, 1.0]; // two vectors of length 2, back to back
    /// let mut out = [0.0; 4];
    /// k.apply_batch_in_place(&xs, &mut out, &ParallelParams::default())?;
    /// assert_eq!(&out[2..], &k.apply(&[0.0, 1.0])?[..]);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// [`ColtError::ShapeMismatch`] unless `xs.len() == out.len()` is a multiple of N;
    /// [`ColtError::NonFinite`] and [`ColtError::Overflow`] as for
    /// [`ColtPair::apply_axis_in_place`].
    pub fn apply_batch_in_place(
        &self,
        xs: &[T],
        out: &mut [T],
        params: &ParallelParams,
    ) -> Result<()> {
        let n = self.len();
        let batch = xs.len().checked_div(n).unwrap_or(0);
        check_shape(xs.len(), out.len(), batch, n, Axis::One, n)?;
        apply_rows(&self.d, &self.r, &self.s, xs, out, n, params);
        check_result(&[("xs", xs)], out)
    }
}

impl<T: Real> LogColtPair<T> {
    /// `out = log(T exp(a))` along `axis` of the row-major `rows x cols` array `a`
    /// (default [`ParallelParams`]); `-inf` entries are zeros. Never allocates.
    ///
    /// ```
    /// use colt::{Axis, LogColtPair};
    ///
    /// let lk = LogColtPair::gibbs(&[0.0, 1.0], 1e-3)?;
    /// let la = [0.0, 0.0, f64::NEG_INFINITY, f64::NEG_INFINITY]; // 2 x 2, mass in row 0
    /// let mut out = [0.0; 4];
    /// lk.log_apply_axis_in_place(&la, 2, 2, Axis::Zero, &mut out)?;
    /// assert!((out[2] + 1000.0).abs() < 1e-9); // log(e^-1000 * 1)
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::apply_axis_in_place`].
    pub fn log_apply_axis_in_place(
        &self,
        a: &[T],
        rows: usize,
        cols: usize,
        axis: Axis,
        out: &mut [T],
    ) -> Result<()> {
        self.log_apply_axis_in_place_with(a, rows, cols, axis, out, &ParallelParams::default())
    }

    /// [`LogColtPair::log_apply_axis_in_place`] with explicit parallelism settings.
    ///
    /// ```
    /// use colt::{Axis, LogColtPair, ParallelParams};
    ///
    /// let lk = LogColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let mut out = [0.0; 4];
    /// let serial = ParallelParams { min_parallel_len: usize::MAX };
    /// lk.log_apply_axis_in_place_with(&[0.0; 4], 2, 2, Axis::One, &mut out, &serial)?;
    /// assert!((out[0] - (1.0 + (-1.0f64).exp()).ln()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::apply_axis_in_place`].
    pub fn log_apply_axis_in_place_with(
        &self,
        a: &[T],
        rows: usize,
        cols: usize,
        axis: Axis,
        out: &mut [T],
        params: &ParallelParams,
    ) -> Result<()> {
        check_shape(a.len(), out.len(), rows, cols, axis, self.len())?;
        match axis {
            Axis::Zero => log_apply_axis0(&self.ld, &self.lr, &self.ls, a, out, rows, cols),
            Axis::One => log_apply_rows(
                &self.ld,
                &self.lr,
                &self.ls,
                self.linear(),
                a,
                out,
                cols,
                params,
            ),
        }
        check_log_result(&[("a", a)], out)
    }

    /// `out[b] = log(T exp(lxs[b]))` for a batch of vectors stored back to back.
    ///
    /// ```
    /// use colt::{LogColtPair, ParallelParams};
    ///
    /// let lk = LogColtPair::gibbs(&[0.0, 1.0], 1.0)?;
    /// let mut out = [0.0; 4];
    /// lk.log_apply_batch_in_place(&[0.0; 4], &mut out, &ParallelParams::default())?;
    /// assert!((out[3] - (1.0 + (-1.0f64).exp()).ln()).abs() < 1e-15);
    /// # Ok::<(), colt::ColtError>(())
    /// ```
    ///
    /// # Errors
    /// As [`ColtPair::apply_batch_in_place`].
    pub fn log_apply_batch_in_place(
        &self,
        lxs: &[T],
        out: &mut [T],
        params: &ParallelParams,
    ) -> Result<()> {
        let n = self.len();
        let batch = lxs.len().checked_div(n).unwrap_or(0);
        check_shape(lxs.len(), out.len(), batch, n, Axis::One, n)?;
        log_apply_rows(
            &self.ld,
            &self.lr,
            &self.ls,
            self.linear(),
            lxs,
            out,
            n,
            params,
        );
        check_log_result(&[("lxs", lxs)], out)
    }
}
