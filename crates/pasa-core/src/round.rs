//! The FP16 arithmetic model: every rounding point of the crate is a call into this file.
//!
//! Hardware gives IEEE binary16 results: each operation's exact result rounded to nearest,
//! ties to even, overflowing to ±inf, with gradual underflow (subnormals). We emulate that by
//! computing in a wider *working type* (`f32`, or `f64` when a configuration keeps some
//! stage in f64) and rounding to the stage's [`Scalar`] at each operation boundary:
//!
//! * `+ - * /` on operands already representable in the result type, computed in f32 and
//!   rounded to f16, give the correctly rounded f16 result: f32 has 24 >= 2·11 + 2
//!   significand bits, so the double rounding is innocuous (Figueroa, "When is double
//!   rounding innocuous?", SIGNUM 1995). The same holds for f64 -> f32.
//! * `exp` is evaluated in f64 (libm) and rounded *once* to the target type, through
//!   round-to-odd to f32 then round-to-nearest-even to f16 (Boldo & Melquiond 2008), so it
//!   is the correctly rounded f16 value of the f64 exp.
//! * `half`'s own `f16::from_f64` and `convert_from_f64_slice` go through `f64 as f32`
//!   first on F16C machines, a double rounding that can be off by one ulp at ties; this
//!   module never uses them ([`f64_to_f16`] is the correct conversion, tested against the
//!   software path).
//!
//! Bulk rounding of whole f32 tiles to f16 runs 8 lanes at a time with F16C when the CPU
//! has it (`round/bulk.rs`), and an f16 `exp` is a lookup in a table of the 65536 correctly
//! rounded results; both give the bits of the scalar definitions above. No other module
//! contains `as f32` or `as f64`: rounding is always one named call here.

mod bulk;

use half::f16;
use half::slice::HalfFloatSliceExt;
use serde::{Deserialize, Serialize};

/// A storage/arithmetic type of one stage of a kernel: results of the stage's operations
/// are rounded to it (round to nearest, ties to even, overflow to ±inf, subnormals kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Scalar {
    /// IEEE binary16: 11-bit significand, max 65504, min subnormal 2^-24.
    F16,
    /// IEEE binary32.
    F32,
    /// IEEE binary64: used by the exact configurations (mathematical-equivalence checks).
    F64,
}

/// The accumulator of a matrix product: where partial sums live between multiply-adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Accumulator {
    /// FP16 accumulation as in GPU HMMA with f16 accumulators: after every multiply-add
    /// `acc <- fl16(fl_w(acc + fl_w(a·b)))` with `w` the working type (products of f16
    /// operands are exact in f32).
    F16,
    /// FP32 accumulation as in an Ascend cube unit's L0C (and HMMA with f32 accumulators):
    /// sequential in the reduction index, rounded to f32 after each add; the caller's output
    /// type is applied once at the end (FixPipe F322F16 for an f16 output).
    F32,
    /// f64 accumulation: for the exact configurations.
    F64,
}

impl Accumulator {
    /// The scalar type partial sums are rounded to.
    #[must_use]
    pub fn scalar(self) -> Scalar {
        match self {
            Self::F16 => Scalar::F16,
            Self::F32 => Scalar::F32,
            Self::F64 => Scalar::F64,
        }
    }
}

/// Largest finite f16, 65504.
pub const F16_MAX: f64 = 65504.0;

impl Scalar {
    /// The most negative finite value of the type (`-65504` for f16): what PyTorch's
    /// `nan_to_num` puts in place of `-inf`.
    #[must_use]
    pub fn lowest_finite(self) -> f64 {
        match self {
            Self::F16 => -F16_MAX,
            Self::F32 => f64::from(f32::MIN),
            Self::F64 => f64::MIN,
        }
    }
}

/// The working type kernels compute in; implemented for `f32` and `f64`.
///
/// All conversions between working types and storage types go through this trait, which
/// is implemented only in this file.
pub trait Real:
    Copy
    + Send
    + Sync
    + PartialOrd
    + core::fmt::Debug
    + Default
    + core::ops::Add<Output = Self>
    + core::ops::Sub<Output = Self>
    + core::ops::Mul<Output = Self>
    + core::ops::Div<Output = Self>
    + core::ops::AddAssign
    + 'static
{
    /// 0.
    const ZERO: Self;
    /// 1.
    const ONE: Self;
    /// -inf (masked score).
    const NEG_INFINITY: Self;
    /// Whether this working type can carry results of `ty` exactly.
    fn holds(ty: Scalar) -> bool;
    /// `x` rounded (once) to `ty`, carried in the working type.
    fn from_f64_rounded(x: f64, ty: Scalar) -> Self;
    /// Exact widening to f64.
    fn to_f64(self) -> f64;
    /// `self` rounded to `ty` (a scalar rounding point).
    fn round_to(self, ty: Scalar) -> Self;
    /// Round every element of `xs` to `ty` in place (a bulk rounding point).
    fn round_slice(xs: &mut [Self], ty: Scalar);
    /// `acc[i] <- fl_ty(acc[i] + a · b[i])` over the common prefix, the product and the sum
    /// each computed in the working type (one multiply-add step of a tile product, then
    /// [`Real::round_slice`] of the row to its accumulator).
    fn add_product_rounded(acc: &mut [Self], a: Self, b: &[Self], ty: Scalar);
    /// `exp(self)` correctly rounded to `ty` (evaluated in f64).
    fn exp_to(self, ty: Scalar) -> Self;
    /// `exp` of every element rounded to `ty` (a vector unit's operands are of its type),
    /// each result correctly rounded to `ty`: element-wise `x.round_to(ty).exp_to(ty)`.
    fn exp_slice(xs: &mut [Self], ty: Scalar);
    /// Bulk widening of f16 storage into working-type tile `dst` (exact).
    fn load_f16(dst: &mut [Self], src: &[f16]);
    /// Bulk widening of a working-type tile into f64 (exact).
    fn widen_to_f64(dst: &mut [f64], src: &[Self]);
    /// Whether the value is finite.
    fn is_finite(self) -> bool;
    /// IEEE maximum that ignores NaN only when the other operand is not NaN (NaN wins, as
    /// in hardware max that propagates NaN).
    fn max_nan(self, other: Self) -> Self;
}

/// f64 -> f32 with round-to-odd: truncate toward zero and set the last bit if inexact.
/// Followed by a round-to-nearest-even to f16 it gives the correctly rounded f16 of `x`.
fn f64_to_f32_odd(x: f64) -> f32 {
    let r = x as f32;
    let back = f64::from(r);
    if back.to_bits() == x.to_bits() || !x.is_finite() || r.is_infinite() {
        // Exact, NaN/inf, or beyond f32 range (then far beyond f16 range: inf either way).
        return r;
    }
    // Truncate toward zero: if RNE rounded away from zero, step back one ulp.
    let mut bits = r.to_bits();
    if back.abs() > x.abs() {
        bits -= 1;
    }
    f32::from_bits(bits | 1)
}

/// Correct (single) round-to-nearest-even conversion of an f64 to f16.
#[must_use]
pub fn f64_to_f16(x: f64) -> f16 {
    f16::from_f32(f64_to_f32_odd(x))
}

/// Bits of the smallest normal f16, 2^-14, and of the largest finite one, 65504, as f32.
const F16_MIN_NORMAL_BITS: u32 = 0x3880_0000;
const F16_MAX_BITS: u32 = 0x477F_E000;

/// `x` rounded to f16, kept as f32 (a scalar rounding point of the per-row statistics).
///
/// In f16's normal range the rounding is done on the f32 bits: add half an f16 ulp (less
/// one, plus the kept last bit for ties to even) and clear the 13 bits f16 lacks; a carry
/// into the exponent is the correct round-up. Inputs in `[2^-14, 65504]` round into the
/// same range, so no overflow or subnormal case arises there. Zero is itself; subnormals,
/// values beyond 65504, inf and NaN take `half`'s conversion. Same bits as `half`'s for
/// every input (`tests/fp16_model.rs` checks every f16 tie), without its run-time dispatch
/// and two calls per value.
#[inline]
fn f32_to_f16_precision(x: f32) -> f32 {
    let bits = x.to_bits();
    let abs = bits & 0x7FFF_FFFF;
    if (F16_MIN_NORMAL_BITS..=F16_MAX_BITS).contains(&abs) {
        let rounded = (abs + 0x0FFF + ((abs >> 13) & 1)) & !0x1FFF;
        return f32::from_bits((bits & 0x8000_0000) | rounded);
    }
    if abs == 0 {
        return x;
    }
    f16::from_f32(x).to_f32()
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INFINITY: Self = f32::NEG_INFINITY;

    fn holds(ty: Scalar) -> bool {
        ty != Scalar::F64
    }

    fn from_f64_rounded(x: f64, ty: Scalar) -> Self {
        match ty {
            Scalar::F16 => f64_to_f16(x).to_f32(),
            Scalar::F32 | Scalar::F64 => x as f32,
        }
    }

    #[inline]
    fn to_f64(self) -> f64 {
        f64::from(self)
    }

    #[inline]
    fn round_to(self, ty: Scalar) -> Self {
        match ty {
            Scalar::F16 => f32_to_f16_precision(self),
            Scalar::F32 | Scalar::F64 => self,
        }
    }

    #[inline]
    fn round_slice(xs: &mut [Self], ty: Scalar) {
        if ty == Scalar::F16 {
            bulk::round_to_f16(xs);
        }
    }

    #[inline]
    fn add_product_rounded(acc: &mut [Self], a: Self, b: &[Self], ty: Scalar) {
        if ty == Scalar::F16 {
            bulk::add_product_round_f16(acc, a, b);
        } else {
            for (o, &x) in acc.iter_mut().zip(b) {
                *o += a * x;
            }
        }
    }

    fn exp_to(self, ty: Scalar) -> Self {
        let e = f64::from(self).exp();
        match ty {
            Scalar::F16 => f16::from_f32(f64_to_f32_odd(e)).to_f32(),
            Scalar::F32 | Scalar::F64 => e as f32,
        }
    }

    fn exp_slice(xs: &mut [Self], ty: Scalar) {
        match ty {
            Scalar::F16 => bulk::exp_f16(xs),
            Scalar::F32 | Scalar::F64 => {
                for x in xs.iter_mut() {
                    *x = f64::from(*x).exp() as f32;
                }
            }
        }
    }

    fn load_f16(dst: &mut [Self], src: &[f16]) {
        src.convert_to_f32_slice(dst);
    }

    fn widen_to_f64(dst: &mut [f64], src: &[Self]) {
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = f64::from(s);
        }
    }

    #[inline]
    fn is_finite(self) -> bool {
        f32::is_finite(self)
    }

    #[inline]
    fn max_nan(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f32::NAN
        } else if other > self {
            other
        } else {
            self
        }
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const NEG_INFINITY: Self = f64::NEG_INFINITY;

    fn holds(_ty: Scalar) -> bool {
        true
    }

    fn from_f64_rounded(x: f64, ty: Scalar) -> Self {
        x.round_to(ty)
    }

    #[inline]
    fn to_f64(self) -> f64 {
        self
    }

    #[inline]
    fn round_to(self, ty: Scalar) -> Self {
        match ty {
            Scalar::F16 => f64_to_f16(self).to_f64(),
            Scalar::F32 => f64::from(self as f32),
            Scalar::F64 => self,
        }
    }

    #[inline]
    fn round_slice(xs: &mut [Self], ty: Scalar) {
        if ty != Scalar::F64 {
            for x in xs.iter_mut() {
                *x = x.round_to(ty);
            }
        }
    }

    #[inline]
    fn add_product_rounded(acc: &mut [Self], a: Self, b: &[Self], ty: Scalar) {
        let n = acc.len().min(b.len());
        for (o, &x) in acc[..n].iter_mut().zip(b) {
            *o += a * x;
        }
        Self::round_slice(&mut acc[..n], ty);
    }

    fn exp_to(self, ty: Scalar) -> Self {
        self.exp().round_to(ty)
    }

    fn exp_slice(xs: &mut [Self], ty: Scalar) {
        for x in xs.iter_mut() {
            *x = x.round_to(ty).exp().round_to(ty);
        }
    }

    fn load_f16(dst: &mut [Self], src: &[f16]) {
        src.convert_to_f64_slice(dst);
    }

    fn widen_to_f64(dst: &mut [f64], src: &[Self]) {
        dst.copy_from_slice(src);
    }

    #[inline]
    fn is_finite(self) -> bool {
        f64::is_finite(self)
    }

    #[inline]
    fn max_nan(self, other: Self) -> Self {
        if self.is_nan() || other.is_nan() {
            f64::NAN
        } else if other > self {
            other
        } else {
            self
        }
    }
}

/// Round an f64 slice to f16 storage (each element correctly rounded once). Converts the
/// first `min(dst.len(), src.len())` elements; callers pass equal lengths.
pub fn f64_slice_to_f16(dst: &mut [f16], src: &[f64]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = f64_to_f16(s);
    }
}

/// Round an f32 slice to f16 storage in bulk (F16C when available).
///
/// # Panics
/// If `dst.len() != src.len()` (`half`'s bulk conversion requires equal lengths).
pub fn f32_slice_to_f16(dst: &mut [f16], src: &[f32]) {
    dst.convert_from_f32_slice(src);
}

/// Widen an f16 slice to f64 in bulk (exact).
///
/// # Panics
/// If `dst.len() != src.len()` (`half`'s bulk conversion requires equal lengths).
pub fn f16_slice_to_f64(dst: &mut [f64], src: &[f16]) {
    src.convert_to_f64_slice(dst);
}

/// Widen an f32 value to f64 (exact); the named conversion for loaders and reports.
#[must_use]
pub fn f32_to_f64(x: f32) -> f64 {
    f64::from(x)
}

/// Convert a count or index to f64 for statistics (exact below 2^53).
#[must_use]
pub fn count_to_f64(n: usize) -> f64 {
    n as f64
}

/// Round a bf16 value to f16 storage, correctly (bf16 -> f32 is exact).
#[must_use]
pub fn bf16_to_f16(x: half::bf16) -> f16 {
    f16::from_f32(x.to_f32())
}

/// Round bf16 values to f16 storage, each correctly (bf16 -> f32 is exact). Converts the
/// first `min(dst.len(), src.len())` elements; callers pass equal lengths.
pub fn bf16_slice_to_f16(dst: &mut [f16], src: &[half::bf16]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = bf16_to_f16(s);
    }
}

/// Round an f16 value to bf16 (f16 -> f32 is exact, then one rounding to nearest even):
/// the authors' `.to(torch.bfloat16)` of an fp16 result.
#[must_use]
pub fn f16_to_bf16(x: f16) -> half::bf16 {
    half::bf16::from_f32(x.to_f32())
}

/// Scalar arithmetic in a named type: each function computes in the working type and
/// rounds the result once to `ty`, after rounding the operands to `ty` (hardware vector
/// units take operands of the instruction's type, so a wider operand is cast first).
pub mod scalar {
    use super::{Real, Scalar};

    /// `a + b` in `ty`.
    #[must_use]
    pub fn add<T: Real>(a: T, b: T, ty: Scalar) -> T {
        (a.round_to(ty) + b.round_to(ty)).round_to(ty)
    }
    /// `a - b` in `ty`.
    #[must_use]
    pub fn sub<T: Real>(a: T, b: T, ty: Scalar) -> T {
        (a.round_to(ty) - b.round_to(ty)).round_to(ty)
    }
    /// `a * b` in `ty`.
    #[must_use]
    pub fn mul<T: Real>(a: T, b: T, ty: Scalar) -> T {
        (a.round_to(ty) * b.round_to(ty)).round_to(ty)
    }
    /// `a / b` in `ty`.
    #[must_use]
    pub fn div<T: Real>(a: T, b: T, ty: Scalar) -> T {
        (a.round_to(ty) / b.round_to(ty)).round_to(ty)
    }
    /// `exp(a)` in `ty`.
    #[must_use]
    pub fn exp<T: Real>(a: T, ty: Scalar) -> T {
        a.round_to(ty).exp_to(ty)
    }
    /// `max(a, b)` in `ty` (NaN propagates).
    #[must_use]
    pub fn max<T: Real>(a: T, b: T, ty: Scalar) -> T {
        a.round_to(ty).max_nan(b.round_to(ty))
    }
}
