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
#[must_use]
pub fn max<T: Real>(xs: &[T]) -> T {
    xs.iter().fold(T::NEG_INFINITY, |m, &x| m.max_nan(x))
}

/// `sum_i xs[i]` accumulated sequentially in `acc`, then rounded to `out`.
#[must_use]
pub fn sum<T: Real>(xs: &[T], acc: Accumulator, out: Scalar) -> T {
    let ty = acc.scalar();
    let mut s = T::ZERO;
    for &x in xs {
        s = (s + x.round_to(ty)).round_to(ty);
    }
    s.round_to(out)
}

/// `sum_i xs[i] · w` accumulated sequentially in `acc` (a matrix-unit product of the row
/// with a constant column `w`, e.g. `1/n` for a row mean), then rounded to `out`.
#[must_use]
pub fn weighted_sum<T: Real>(xs: &[T], w: T, acc: Accumulator, out: Scalar) -> T {
    let ty = acc.scalar();
    let mut s = T::ZERO;
    for &x in xs {
        s = (s + x * w).round_to(ty);
    }
    s.round_to(out)
}

/// Number of non-finite elements.
#[must_use]
pub fn count_non_finite<T: Real>(xs: &[T]) -> usize {
    xs.iter().filter(|x| !x.is_finite()).count()
}
