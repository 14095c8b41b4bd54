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
