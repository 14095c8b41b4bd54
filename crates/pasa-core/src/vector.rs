//! The vector unit: element-wise and reduction operations in a named type.
//!
//! Each operation first casts its operands to the instruction's type `ty` (a hardware
//! vector instruction takes operands of its own type), computes in the working type and
//! rounds the result once to `ty`. With operands representable in `ty`, the result is the
//! correctly rounded `ty` result (see `round.rs`).

use crate::round::{Accumulator, Real, Scalar};

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
    T::round_slice(xs, ty);
    T::exp_slice(xs, ty);
}

/// `y <- y + x` element-wise in `ty`, over the common prefix of `y` and `x` (the tile
/// steps that call it check both lengths first).
pub fn add_in_place<T: Real>(y: &mut [T], x: &[T], ty: Scalar) {
    T::round_slice(y, ty);
    for (a, &b) in y.iter_mut().zip(x) {
        *a += b.round_to(ty);
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
