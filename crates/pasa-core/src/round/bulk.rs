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
    portable::round_to_f16(xs);
}

/// `acc[i] <- fl16(acc[i] + a · b[i])` over the common prefix, product and sum in f32
/// (one step of a tile product with an f16 accumulator): the multiply-add and the rounding
/// in one pass over the row.
pub(super) fn add_product_round_f16(acc: &mut [f32], a: f32, b: &[f32]) {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    if has_f16c() {
        // SAFETY: the CPU has the features the function is compiled for.
        unsafe { f16c::add_product_round_f16(acc, a, b) };
        return;
    }
    portable::add_product_round_f16(acc, a, b);
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
    portable::exp_f16(xs, table);
}

/// The loops for CPUs without F16C, one element at a time through `half`'s conversion.
mod portable {
    use half::f16;

    /// See [`super::round_to_f16`].
    pub(super) fn round_to_f16(xs: &mut [f32]) {
        for x in xs {
            *x = f16::from_f32(*x).to_f32();
        }
    }

    /// See [`super::add_product_round_f16`].
    pub(super) fn add_product_round_f16(acc: &mut [f32], a: f32, b: &[f32]) {
        for (o, &x) in acc.iter_mut().zip(b) {
            *o = f16::from_f32(*o + a * x).to_f32();
        }
    }

    /// See [`super::exp_f16`].
    pub(super) fn exp_f16(xs: &mut [f32], table: &[f32; 1 << 16]) {
        for x in xs {
            *x = table[usize::from(f16::from_f32(*x).to_bits())];
        }
    }
}

/// The F16C loops. The intrinsics are `unsafe fn`s on older compilers and safe inside a
/// `#[target_feature]` function on newer ones; the blocks are kept for the former.
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[allow(unused_unsafe)]
mod f16c {
    #[cfg(target_arch = "x86")]
    use core::arch::x86::{
        __m128i, _MM_FROUND_TO_NEAREST_INT, _mm_storeu_si128, _mm256_add_ps, _mm256_cvtph_ps,
        _mm256_cvtps_ph, _mm256_loadu_ps, _mm256_mul_ps, _mm256_set1_ps, _mm256_storeu_ps,
    };
    #[cfg(target_arch = "x86_64")]
    use core::arch::x86_64::{
        __m128i, _MM_FROUND_TO_NEAREST_INT, _mm_storeu_si128, _mm256_add_ps, _mm256_cvtph_ps,
        _mm256_cvtps_ph, _mm256_loadu_ps, _mm256_mul_ps, _mm256_set1_ps, _mm256_storeu_ps,
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

    /// See [`super::add_product_round_f16`]. Multiply, then add (two f32 roundings, as the
    /// portable path; no fused multiply-add), then round to f16 and back.
    #[target_feature(enable = "avx,f16c")]
    pub(super) fn add_product_round_f16(acc: &mut [f32], a: f32, b: &[f32]) {
        let n = acc.len().min(b.len());
        let (acc, b) = (&mut acc[..n], &b[..n]);
        let av = unsafe { _mm256_set1_ps(a) };
        let mut accs = acc.chunks_exact_mut(LANES);
        let mut bs = b.chunks_exact(LANES);
        for (o, x) in (&mut accs).zip(&mut bs) {
            // SAFETY: `o` and `x` are 8 f32s each (`chunks_exact`); unaligned loads and store.
            unsafe {
                let sum = _mm256_add_ps(
                    _mm256_loadu_ps(o.as_ptr()),
                    _mm256_mul_ps(av, _mm256_loadu_ps(x.as_ptr())),
                );
                let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(sum);
                _mm256_storeu_ps(o.as_mut_ptr(), _mm256_cvtph_ps(h));
            }
        }
        let rest = accs.into_remainder();
        if !rest.is_empty() {
            let mut buf = [0.0; LANES];
            for ((d, &o), &x) in buf.iter_mut().zip(&*rest).zip(bs.remainder()) {
                *d = o + a * x;
            }
            round_to_f16(&mut buf);
            rest.copy_from_slice(&buf[..rest.len()]);
        }
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

/// Both paths against `half`'s software conversion (`from_f32_const`, no F16C), on values
/// around every f16 (each value, the ties halfway to its neighbour and one f32 ulp either
/// side of them), in slices whose lengths are not multiples of 8. On a CPU without F16C
/// only the portable path is compared.
#[cfg(test)]
mod tests {
    use half::f16;

    use super::{exp_table, portable};

    fn software(x: f32) -> f32 {
        f16::from_f32_const(x).to_f32()
    }

    fn same(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    fn around_every_f16() -> Vec<f32> {
        let mut xs = vec![
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            65520.0,
            -65520.0,
        ];
        for bits in 0..=u16::MAX {
            let (x, next) = (f16::from_bits(bits), f16::from_bits(bits.wrapping_add(1)));
            if !x.is_finite() || !next.is_finite() {
                continue;
            }
            let tie = f32::midpoint(x.to_f32(), next.to_f32());
            let step = |k: i32| f32::from_bits(tie.to_bits().wrapping_add_signed(k));
            xs.extend([x.to_f32(), tie, step(-1), step(1)]);
        }
        xs
    }

    /// The paths this CPU has, each as `(name, round, add_product, exp)`.
    type Paths = Vec<(
        &'static str,
        fn(&mut [f32]),
        fn(&mut [f32], f32, &[f32]),
        fn(&mut [f32], &[f32; 1 << 16]),
    )>;

    fn paths() -> Paths {
        let mut paths: Paths = vec![(
            "portable",
            portable::round_to_f16,
            portable::add_product_round_f16,
            portable::exp_f16,
        )];
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        if super::has_f16c() {
            // SAFETY (of the calls through these pointers): the CPU has F16C and AVX.
            paths.push((
                "f16c",
                |xs| unsafe { super::f16c::round_to_f16(xs) },
                |acc, a, b| unsafe { super::f16c::add_product_round_f16(acc, a, b) },
                |xs, t| unsafe { super::f16c::exp_f16(xs, t) },
            ));
        }
        paths
    }

    #[test]
    fn every_path_rounds_as_the_software_conversion() {
        let xs = around_every_f16();
        let table = exp_table();
        for (name, round, add_product, exp) in paths() {
            for len in [xs.len(), 13, 7] {
                for chunk in xs.chunks(len) {
                    let mut got = chunk.to_vec();
                    round(&mut got);
                    for (&x, &g) in chunk.iter().zip(&got) {
                        assert!(same(g, software(x)), "{name}: round({x:e}) = {g:e}");
                    }
                    let mut got = chunk.to_vec();
                    exp(&mut got, table);
                    for (&x, &g) in chunk.iter().zip(&got) {
                        let want = table[usize::from(f16::from_f32_const(x).to_bits())];
                        assert!(same(g, want), "{name}: exp({x:e}) = {g:e}");
                    }
                    // acc + a·b: sums that land on the ties (acc = 0, a = 1), sums
                    // between them, and sums that overflow f16.
                    for (c, a) in [(0.0, 1.0), (0.5, 0.376_953_13), (1.0, -3.0e3)] {
                        let acc: Vec<f32> = chunk.iter().map(|x| c * x).collect();
                        let mut got = acc.clone();
                        add_product(&mut got, a, chunk);
                        for ((&o, &x), &g) in acc.iter().zip(chunk).zip(&got) {
                            let want = software(o + a * x);
                            assert!(same(g, want), "{name}: {o:e} + {a:e}·{x:e} = {g:e}");
                        }
                    }
                }
            }
        }
    }
}
