//! The matrix unit: tile products with a named accumulator and one output rounding.
//!
//! `out = round_out(A · B)` where the partial sums of each output element are formed in
//! the reduction order `k = 0, 1, ...` and rounded to the [`Accumulator`] after every
//! multiply-add. This is the order a systolic cube or an HMMA chain applies within one
//! fragment; hardware may split the reduction into fragments in a different order, which
//! is a model choice documented here, not a bug (bit-equality is only claimed against
//! `npu-sim`, which calls these functions).
//!
//! Loops are written so each output row is updated as a whole (`row += a_ik * B_k`): the
//! per-element order is still sequential in `k`, and the inner loop vectorises.

use crate::error::{PasaError, check_tile_len as check};
use crate::round::{Accumulator, Real, Scalar};

/// `out[m×n] = round_out(A[m×k] · B[k×n])`, all row-major, accumulated in `acc`.
///
/// # Errors
/// [`PasaError::TileLength`] if a slice length disagrees with `m, k, n`.
#[allow(clippy::too_many_arguments)]
pub fn matmul_in_place<T: Real>(
    out: &mut [T],
    a: &[T],
    b: &[T],
    m: usize,
    k: usize,
    n: usize,
    acc: Accumulator,
    out_ty: Scalar,
) -> Result<(), PasaError> {
    matmul_scaled_in_place(out, a, b, m, k, n, acc, None, out_ty)
}

/// `out = round_out(fl_acc(fl_acc(A · B) · scale))`: as [`matmul_in_place`], with the
/// accumulated result multiplied by `scale` in the accumulator type before the output
/// rounding (a scale applied to L0C on its way out, before the FP16 cast).
///
/// # Errors
/// [`PasaError::TileLength`] if a slice length disagrees with `m, k, n`.
#[allow(clippy::too_many_arguments)]
pub fn matmul_scaled_in_place<T: Real>(
    out: &mut [T],
    a: &[T],
    b: &[T],
    m: usize,
    k: usize,
    n: usize,
    acc: Accumulator,
    scale: Option<T>,
    out_ty: Scalar,
) -> Result<(), PasaError> {
    check("matmul", "out", out.len(), m * n)?;
    check("matmul", "a", a.len(), m * k)?;
    check("matmul", "b", b.len(), k * n)?;
    let acc_ty = acc.scalar();
    if n == 0 {
        return Ok(());
    }
    if k == 0 {
        // An empty reduction is exactly zero.
        out.fill(T::ZERO);
        return Ok(());
    }
    for (orow, arow) in out.chunks_exact_mut(n).zip(a.chunks_exact(k)) {
        orow.fill(T::ZERO);
        for (&av, brow) in arow.iter().zip(b.chunks_exact(n)) {
            // `orow += av · brow`, the partial sums rounded to the accumulator (nothing to
            // round when the working type already is the accumulator type).
            T::add_product_rounded(orow, av, brow, acc_ty);
        }
        if let Some(scale) = scale {
            let scale = scale.round_to(acc_ty);
            for o in orow.iter_mut() {
                *o = *o * scale;
            }
            T::round_slice(orow, acc_ty);
        }
        T::round_slice(orow, out_ty);
    }
    Ok(())
}

/// Transpose `src[rows×cols]` into `dst[cols×rows]` (data movement, no rounding).
///
/// # Errors
/// [`PasaError::TileLength`] if a slice length disagrees with `rows × cols`.
pub fn transpose_in_place<T: Copy>(
    dst: &mut [T],
    src: &[T],
    rows: usize,
    cols: usize,
) -> Result<(), PasaError> {
    check("transpose", "src", src.len(), rows * cols)?;
    check("transpose", "dst", dst.len(), rows * cols)?;
    for (r, srow) in src.chunks_exact(cols.max(1)).enumerate() {
        for (c, &x) in srow.iter().enumerate() {
            dst[c * rows + r] = x;
        }
    }
    Ok(())
}
