//! The scalar trait: the handful of float operations the recurrences need, for `f32` and `f64`.
//!
//! The crate is generic over precision so that the same sweep is written once; `Real` keeps
//! the bound list short and names the constants (unit roundoff, infinities) the error analysis
//! and the log domain rely on.

use core::fmt::{Debug, Display};
use core::iter::Sum;
use core::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real floating-point scalar (`f32` or `f64`) usable by every CoLT operation.
pub trait Real:
    Copy
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + 'static
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Negative infinity: the logarithm of a zero entry in the log parametrisation.
    const NEG_INFINITY: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Unit roundoff `u = 2^-p` (half the machine epsilon): `fl(a op b) = (a op b)(1 + δ)`, `|δ| <= u`.
    const UNIT_ROUNDOFF: Self;
    /// Name of the type, for messages and bench labels.
    const NAME: &'static str;

    /// Accumulator of the recurrences: `f64` for both precisions. An f32 sweep over
    /// `n_eff = 1/(1 - rho)` terms would otherwise lose `n_eff * 6e-8` (1e-2 at `eps/h = 10^5`);
    /// carried in f64 its error is the final rounding plus `n_eff * 1.1e-16`.
    type Acc: Real;

    /// Widens to the accumulator type.
    fn acc(self) -> Self::Acc;
    /// Rounds an accumulator back to this type.
    fn from_acc(a: Self::Acc) -> Self;

    /// Converts from `f64` (rounding to nearest).
    fn from_f64(v: f64) -> Self;
    /// Converts to `f64` (exact for `f32` and `f64`).
    fn to_f64(self) -> f64;
    /// Converts a count to the scalar type.
    fn from_usize(v: usize) -> Self;
    /// `e^self`.
    fn exp(self) -> Self;
    /// Natural logarithm (`-inf` at zero).
    fn ln(self) -> Self;
    /// `ln(1 + self)`, accurate near zero.
    fn ln_1p(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Larger of two values (ignores a NaN operand, like `f64::max`).
    fn max(self, other: Self) -> Self;
    /// Smaller of two values (ignores a NaN operand, like `f64::min`).
    fn min(self, other: Self) -> Self;
    /// Neither NaN nor infinite.
    fn is_finite(self) -> bool;
    /// NaN test.
    fn is_nan(self) -> bool;
    /// One unit in the last place of `|self|`: the distance to the next larger float
    /// (`+inf` at the largest finite value).
    fn ulp(self) -> Self;
}

macro_rules! impl_real {
    ($t:ident, $u:expr) => {
        impl Real for $t {
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            const INFINITY: Self = $t::INFINITY;
            const UNIT_ROUNDOFF: Self = $u;
            const NAME: &'static str = stringify!($t);
            type Acc = f64;

            #[inline(always)]
            fn acc(self) -> f64 {
                f64::from(self)
            }
            #[inline(always)]
            fn from_acc(a: f64) -> Self {
                a as $t
            }

            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                f64::from(self)
            }
            #[inline(always)]
            fn from_usize(v: usize) -> Self {
                v as $t
            }
            #[inline(always)]
            fn exp(self) -> Self {
                $t::exp(self)
            }
            #[inline(always)]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline(always)]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline(always)]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline(always)]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline(always)]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline(always)]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline(always)]
            fn ulp(self) -> Self {
                let a = $t::abs(self);
                a.next_up() - a
            }
        }
    };
}

impl_real!(f32, 5.960_464_5e-8);
impl_real!(f64, 1.110_223_024_625_156_5e-16);
