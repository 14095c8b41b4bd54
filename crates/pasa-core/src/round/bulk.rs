//! Bulk f16 rounding of f32 tiles, 8 lanes at a time with F16C when the CPU has it.
//!
//! Why a module of its own: the kernels round every score-sized tile several times per
//! key block, and `half`'s slice conversions go through a stack buffer and one call per 8
//! elements. Here the whole loop is compiled for F16C (`vcvtps2ph` with round to nearest
//! even, then `vcvtph2ps`), selected once per call by `is_x86_feature_detected!`; the
//! portable path is `half`'s scalar conversion, which rounds the same way (round to
//! nearest, ties to even, overflow to ±inf, subnormals kept), so both give the same bits
//! (tests/fp16_model.rs compares them on every f16 boundary).
//!
//! The f16 `exp` is a table: an f16 operand has 65536 possible values, so `exp` of each,
//! correctly rounded to f16 by [`Real::exp_to`](super::Real::exp_to), is computed once and
//! looked up, which is the same function by construction.

use std::sync::OnceLock;

use half::f16;

use super::{Real, Scalar};

/// `exp_to(x, F16)` for every f16 bit pattern `x`, indexed by the bits.
fn exp_table() -> &'static [f32; 1 << 16] {
    static TABLE: OnceLock<Box<[f32; 1 << 16]>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Box::new([0.0_f32; 1 << 16]);
        for (bits, e) in (0..=u16::MAX).zip(table.iter_mut()) {
            *e = f16::from_bits(bits).to_f32().exp_to(Scalar::F16);
        }
        table
    })
}

/// Whether this CPU has F16C (and the AVX it is encoded with).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn has_f16c() -> bool {
    std::arch::is_x86_feature_detected!("f16c") && std::arch::is_x86_feature_detected!("avx")
}

/// Round every element to f16 precision in place.
pub(super) fn round_to_f16(xs: &mut [f32]) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if has_f16c() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { f16c::round_to_f16(xs) };
        return;
    }
    for x in xs {
        *x = f16::from_f32(*x).to_f32();
    }
}

/// Round every element to f16, then replace it by its `exp` correctly rounded to f16.
pub(super) fn exp_f16(xs: &mut [f32]) {
    let table = exp_table();
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if has_f16c() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { f16c::exp_f16(xs, table) };
        return;
    }
    for x in xs {
        *x = table[usize::from(f16::from_f32(*x).to_bits())];
    }
}

/// The F16C loops. The intrinsics are `unsafe fn`s on older compilers and safe inside a
/// `#[target_feature]` function on newer ones; the blocks are kept for the former.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[allow(unused_unsafe)]
mod f16c {
    #[cfg(target_arch = "x86")]
    use core::arch::x86::{
        __m128i, _MM_FROUND_TO_NEAREST_INT, _mm_storeu_si128, _mm256_cvtph_ps, _mm256_cvtps_ph,
        _mm256_loadu_ps, _mm256_storeu_ps,
    };
    #[cfg(target_arch = "x86_64")]
    use core::arch::x86_64::{
        __m128i, _MM_FROUND_TO_NEAREST_INT, _mm_storeu_si128, _mm256_cvtph_ps, _mm256_cvtps_ph,
        _mm256_loadu_ps, _mm256_storeu_ps,
    };

    /// Lanes per F16C conversion.
    const LANES: usize = 8;

    /// 8 values rounded to f16 (round to nearest even), as f16 bits.
    #[target_feature(enable = "avx,f16c")]
    fn to_bits(x: &[f32; LANES]) -> __m128i {
        // SAFETY: `x` is 8 readable f32s; unaligned load.
        let v = unsafe { _mm256_loadu_ps(x.as_ptr()) };
        unsafe { _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v) }
    }

    /// Apply `f` to `xs` in chunks of 8, the tail through a zero-padded chunk.
    #[target_feature(enable = "avx,f16c")]
    fn chunks(xs: &mut [f32], mut f: impl FnMut(&mut [f32; LANES])) {
        let mut exact = xs.chunks_exact_mut(LANES);
        for c in &mut exact {
            f(c.try_into().expect("chunks_exact"));
        }
        let rest = exact.into_remainder();
        if !rest.is_empty() {
            let mut buf = [0.0; LANES];
            buf[..rest.len()].copy_from_slice(rest);
            f(&mut buf);
            rest.copy_from_slice(&buf[..rest.len()]);
        }
    }

    /// See [`super::round_to_f16`].
    #[target_feature(enable = "avx,f16c")]
    pub(super) fn round_to_f16(xs: &mut [f32]) {
        chunks(xs, |c| {
            let h = to_bits(c);
            // SAFETY: `c` is 8 writable f32s; unaligned store.
            unsafe { _mm256_storeu_ps(c.as_mut_ptr(), _mm256_cvtph_ps(h)) };
        });
    }

    /// See [`super::exp_f16`].
    #[target_feature(enable = "avx,f16c")]
    pub(super) fn exp_f16(xs: &mut [f32], table: &[f32; 1 << 16]) {
        chunks(xs, |c| {
            let mut bits = [0_u16; LANES];
            // SAFETY: `bits` is 16 writable bytes; unaligned store.
            unsafe { _mm_storeu_si128(bits.as_mut_ptr().cast(), to_bits(c)) };
            for (x, &b) in c.iter_mut().zip(&bits) {
                *x = table[usize::from(b)];
            }
        });
    }
}
