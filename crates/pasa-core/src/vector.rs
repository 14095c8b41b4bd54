//! The vector unit: element-wise and reduction operations in a named type.
//!
//! Each operation first casts its operands to the instruction's type `ty` (a hardware
//! vector instruction takes operands of its own type), computes in the working type and
//! rounds the result once to `ty`. With operands representable in `ty`, the result is the
//! correctly rounded `ty` result (see `round.rs`).

use crate::round::{Accumulator, Real, Scalar};

/// Elements per stack chunk where an operand is rounded without being written (a multiple
/// of the 8 lanes of a bulk f16 conversion).
const CHUNK: usize = 64;

/// Independent lanes of the reductions ([`max`], the row sums): as many as one bulk f16
/// conversion rounds at once. Tile steps that sum rows work in groups of this many rows.
pub(crate) const LANES: usize = 8;

/// Round every element to `ty` (a `Cast` instruction, round to nearest even).
pub fn cast_in_place<T: Real>(xs: &mut [T], ty: Scalar) {
    T::round_slice(xs, ty);
}

/// `x <- x + s` in `ty`.
pub fn add_scalar_in_place<T: Real>(xs: &mut [T], s: T, ty: Scalar) {
    T::round_slice(xs, ty);
    let s = s.round_to(ty);
    for x in xs.iter_mut() {
        *x += s;
    }
    T::round_slice(xs, ty);
}

/// `x <- x - s` in `ty`.
pub fn sub_scalar_in_place<T: Real>(xs: &mut [T], s: T, ty: Scalar) {
    T::round_slice(xs, ty);
    let s = s.round_to(ty);
    for x in xs.iter_mut() {
        *x = *x - s;
    }
    T::round_slice(xs, ty);
}

/// `x <- x * s` in `ty`.
pub fn mul_scalar_in_place<T: Real>(xs: &mut [T], s: T, ty: Scalar) {
    T::round_slice(xs, ty);
    let s = s.round_to(ty);
    for x in xs.iter_mut() {
        *x = *x * s;
    }
    T::round_slice(xs, ty);
}

/// `x <- x / s` in `ty`.
pub fn div_scalar_in_place<T: Real>(xs: &mut [T], s: T, ty: Scalar) {
    T::round_slice(xs, ty);
    let s = s.round_to(ty);
    for x in xs.iter_mut() {
        *x = *x / s;
    }
    T::round_slice(xs, ty);
}

/// `x <- exp(x)` in `ty` (each result correctly rounded from the f64 exp).
pub fn exp_in_place<T: Real>(xs: &mut [T], ty: Scalar) {
    T::exp_slice(xs, ty);
}

/// `y <- y + x` element-wise in `ty`, over the common prefix of `y` and `x` (the tile
/// steps that call it check both lengths first).
pub fn add_in_place<T: Real>(y: &mut [T], x: &[T], ty: Scalar) {
    add_prepared(y, x, ty, |b| T::round_slice(b, ty));
}

/// `y <- y + x · s` element-wise in `ty` (a multiply by a scalar, then an add, each an
/// instruction of its own: `y <- fl(y + fl(x · s))`), over the common prefix of `y` and
/// `x`.
pub fn add_scaled_in_place<T: Real>(y: &mut [T], x: &[T], s: T, ty: Scalar) {
    add_prepared(y, x, ty, |b| mul_scalar_in_place(b, s, ty));
}

/// `y <- fl(fl(y) + prepare(x))`, where `prepare` leaves a chunk of `x` rounded to `ty`:
/// `x` is read-only, so it is prepared in a stack chunk, in bulk.
fn add_prepared<T: Real>(y: &mut [T], x: &[T], ty: Scalar, prepare: impl Fn(&mut [T])) {
    T::round_slice(y, ty);
    let mut buf = [T::ZERO; CHUNK];
    for (ys, xs) in y.chunks_mut(CHUNK).zip(x.chunks(CHUNK)) {
        let b = &mut buf[..xs.len()];
        b.copy_from_slice(xs);
        prepare(b);
        for (a, &b) in ys.iter_mut().zip(b.iter()) {
            *a += b;
        }
    }
    T::round_slice(y, ty);
}

/// Maximum of `xs` (exact; NaN propagates; `-inf` for an empty or fully masked row).
///
/// The maximum of exact comparisons does not depend on their order, so it is taken over
/// `LANES` independent lanes (a loop that vectorises) and the lanes are combined. The one
/// exception is a zero maximum: `-0` and `+0` compare equal and the sequential fold keeps
/// the first it meets, so then the row is folded again in order, and the sign of the zero
/// is the sequential one. (A NaN gives the canonical NaN either way.)
#[must_use]
pub fn max<T: Real>(xs: &[T]) -> T {
    let mut lanes = [T::NEG_INFINITY; LANES];
    let mut chunks = xs.chunks_exact(LANES);
    for chunk in &mut chunks {
        for (m, &x) in lanes.iter_mut().zip(chunk) {
            *m = m.max_nan(x);
        }
    }
    let m = lanes
        .into_iter()
        .chain(chunks.remainder().iter().copied())
        .fold(T::NEG_INFINITY, T::max_nan);
    if m == T::ZERO {
        return xs.iter().fold(T::NEG_INFINITY, |m, &x| m.max_nan(x));
    }
    m
}

/// `sum_i xs[i]` accumulated sequentially in `acc`, then rounded to `out`.
#[must_use]
pub fn sum<T: Real>(xs: &[T], acc: Accumulator, out: Scalar) -> T {
    let mut s = [T::ZERO];
    row_sums_in_place(&mut s, xs, xs.len(), acc, out);
    s[0]
}

/// `out[i] = sum_j tile[i][j]` for each row of a `cols`-wide tile (`out.len()` rows), each
/// row accumulated sequentially in `acc` (every term and partial sum rounded to it), then
/// rounded to `out_ty`: [`sum`] of every row.
pub fn row_sums_in_place<T: Real>(
    out: &mut [T],
    tile: &[T],
    cols: usize,
    acc: Accumulator,
    out_ty: Scalar,
) {
    let ty = acc.scalar();
    row_sums_with(out, tile, cols, acc, out_ty, |x| T::round_slice(x, ty));
}

/// `out[i] = sum_j tile[i][j] · w` for each row of a `cols`-wide tile, accumulated
/// sequentially in `acc` (a matrix-unit product of the tile with a constant column `w`,
/// e.g. `1/n` for row means), then rounded to `out_ty`.
pub fn weighted_row_sums_in_place<T: Real>(
    out: &mut [T],
    tile: &[T],
    cols: usize,
    w: T,
    acc: Accumulator,
    out_ty: Scalar,
) {
    row_sums_with(out, tile, cols, acc, out_ty, |x| {
        for x in x.iter_mut() {
            *x = *x * w;
        }
    });
}

/// The row sums of [`row_sums_in_place`] and [`weighted_row_sums_in_place`]: `term` turns
/// one column of `LANES` rows into the terms added (in the working type), and each
/// partial sum is rounded to `acc` after its add. Rows are summed `LANES` at a time: each
/// row keeps its own sequential order (so its bits), but the chains of different rows are
/// independent, so their adds overlap instead of waiting for each other, and an f16
/// accumulator is rounded 8 lanes at a time.
fn row_sums_with<T: Real>(
    out: &mut [T],
    tile: &[T],
    cols: usize,
    acc: Accumulator,
    out_ty: Scalar,
    term: impl Fn(&mut [T; LANES]),
) {
    let ty = acc.scalar();
    if cols == 0 {
        out.fill(T::ZERO);
        return;
    }
    for (outs, rows) in out.chunks_mut(LANES).zip(tile.chunks(LANES * cols)) {
        let mut s = [T::ZERO; LANES];
        let mut x = [T::ZERO; LANES];
        for c in 0..cols {
            for (x, row) in x.iter_mut().zip(rows.chunks_exact(cols)) {
                *x = row[c];
            }
            term(&mut x);
            for (s, &x) in s.iter_mut().zip(&x) {
                *s += x;
            }
            T::round_slice(&mut s, ty);
        }
        T::round_slice(&mut s, out_ty);
        outs.copy_from_slice(&s[..outs.len()]);
    }
}

/// Number of non-finite elements.
#[must_use]
pub fn count_non_finite<T: Real>(xs: &[T]) -> usize {
    xs.iter().filter(|x| !x.is_finite()).count()
}
