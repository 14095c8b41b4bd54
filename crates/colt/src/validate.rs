//! Input checks shared by the constructors and the products, each returning a typed error.

use crate::error::{ColtError, Result};
use crate::real::Real;

/// Ratio-vector length for a dimension `n`: `n - 1`, or 0 for the empty matrix.
#[inline]
pub(crate) fn ratio_len(n: usize) -> usize {
    n.saturating_sub(1)
}

/// `found == expected`, or [`ColtError::LengthMismatch`].
#[inline]
pub(crate) fn check_len(what: &'static str, expected: usize, found: usize) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(ColtError::LengthMismatch {
            what,
            expected,
            found,
        })
    }
}

/// Every entry finite, or [`ColtError::NonFinite`] naming the first offender.
pub(crate) fn check_finite<T: Real>(what: &'static str, v: &[T]) -> Result<()> {
    match v.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(index) => Err(ColtError::NonFinite {
            what,
            index,
            value: v[index].to_f64(),
        }),
    }
}

/// Every entry finite or `-inf` (a log of zero), or [`ColtError::NonFinite`].
pub(crate) fn check_log<T: Real>(what: &'static str, v: &[T]) -> Result<()> {
    match v.iter().position(|&x| x.is_nan() || x >= T::INFINITY) {
        None => Ok(()),
        Some(index) => Err(ColtError::NonFinite {
            what,
            index,
            value: v[index].to_f64(),
        }),
    }
}

/// Every entry `>= 0`, or [`ColtError::Negative`].
pub(crate) fn check_non_negative<T: Real>(what: &'static str, v: &[T]) -> Result<()> {
    match v.iter().position(|&x| x < T::ZERO) {
        None => Ok(()),
        Some(index) => Err(ColtError::Negative {
            what,
            index,
            value: v[index].to_f64(),
        }),
    }
}

/// No zero entry (the ratio form divides by these), or [`ColtError::ZeroDivisor`].
pub(crate) fn check_nonzero<T: Real>(what: &'static str, v: &[T]) -> Result<()> {
    match v.iter().position(|&x| x == T::ZERO) {
        None => Ok(()),
        Some(index) => Err(ColtError::ZeroDivisor { what, index }),
    }
}

/// `eps` finite and `> 0`, or [`ColtError::NonPositive`].
pub(crate) fn check_positive<T: Real>(what: &'static str, eps: T) -> Result<()> {
    if eps.is_finite() && eps > T::ZERO {
        Ok(())
    } else {
        Err(ColtError::NonPositive {
            what,
            value: eps.to_f64(),
        })
    }
}

/// A finite support sorted in non-decreasing order.
pub(crate) fn check_support<T: Real>(x: &[T]) -> Result<()> {
    check_finite("support", x)?;
    match x.windows(2).position(|w| w[1] < w[0]) {
        None => Ok(()),
        Some(index) => Err(ColtError::UnsortedSupport {
            index,
            previous: x[index].to_f64(),
            next: x[index + 1].to_f64(),
        }),
    }
}

/// A finite, non-decreasing support whose extent `x[last] - x[0]` (in the accumulator type,
/// where the distance recurrences take their gaps) is finite, or
/// [`ColtError::SpanOverflow`]: every gap and distance is then representable.
pub(crate) fn check_distance_support<T: Real>(x: &[T]) -> Result<()> {
    check_support(x)?;
    match (x.first(), x.last()) {
        (Some(&first), Some(&last)) if !(last.acc() - first.acc()).is_finite() => {
            Err(ColtError::SpanOverflow {
                first: first.to_f64(),
                last_index: x.len() - 1,
                last: last.to_f64(),
            })
        }
        _ => Ok(()),
    }
}

/// A tolerance finite and `>= 0`, or [`ColtError::InvalidTolerance`] (a NaN tolerance would
/// let every comparison pass).
pub(crate) fn check_tolerance<T: Real>(what: &'static str, tol: T) -> Result<()> {
    if tol.is_finite() && tol >= T::ZERO {
        Ok(())
    } else {
        Err(ColtError::InvalidTolerance {
            what,
            value: tol.to_f64(),
        })
    }
}

/// The result of a linear product: every entry of `out` finite, or the reason it is not:
/// [`ColtError::NonFinite`] naming the first non-finite entry of the first input that has
/// one, else [`ColtError::Overflow`] (finite inputs, a result beyond the float range).
/// Reads the inputs only when the result is bad.
pub(crate) fn check_result<T: Real>(inputs: &[(&'static str, &[T])], out: &[T]) -> Result<()> {
    match out.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(index) => Err(blame(inputs, check_finite, "out", index, out[index])),
    }
}

/// [`check_result`] for a log-domain result: `-inf` (a zero) is a valid entry, NaN and
/// `+inf` are not; inputs may hold `-inf`.
pub(crate) fn check_log_result<T: Real>(inputs: &[(&'static str, &[T])], out: &[T]) -> Result<()> {
    match out.iter().position(|&v| v.is_nan() || v >= T::INFINITY) {
        None => Ok(()),
        Some(index) => Err(blame(inputs, check_log, "out", index, out[index])),
    }
}

/// A scalar result (`what` names it): finite, or as [`check_result`].
pub(crate) fn check_scalar<T: Real>(
    inputs: &[(&'static str, &[T])],
    what: &'static str,
    v: T,
) -> Result<T> {
    if v.is_finite() {
        Ok(v)
    } else {
        Err(blame(inputs, check_finite, what, 0, v))
    }
}

/// A scalar log-domain result: not NaN and not `+inf`, or as [`check_log_result`].
pub(crate) fn check_log_scalar<T: Real>(
    inputs: &[(&'static str, &[T])],
    what: &'static str,
    v: T,
) -> Result<T> {
    if v.is_nan() || v >= T::INFINITY {
        Err(blame(inputs, check_log, what, 0, v))
    } else {
        Ok(v)
    }
}

/// The error for a bad result entry: the first input that fails `valid`, else an overflow.
fn blame<T: Real>(
    inputs: &[(&'static str, &[T])],
    valid: fn(&'static str, &[T]) -> Result<()>,
    what: &'static str,
    index: usize,
    value: T,
) -> ColtError {
    inputs
        .iter()
        .find_map(|&(name, v)| valid(name, v).err())
        .unwrap_or(ColtError::Overflow {
            what,
            index,
            value: value.to_f64(),
        })
}

/// `n` copies of `value`, or [`ColtError::TooLarge`] when the allocation fails (instead of
/// aborting the process).
pub(crate) fn filled<T: Real>(what: &'static str, n: usize, value: T) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| too_large::<T>(what, n))?;
    v.resize(n, value);
    Ok(v)
}

/// [`ColtError::TooLarge`] for `n` elements of `T`.
pub(crate) fn too_large<T>(what: &'static str, n: usize) -> ColtError {
    let elements = n as u128;
    ColtError::TooLarge {
        what,
        elements,
        bytes: elements * core::mem::size_of::<T>() as u128,
    }
}
