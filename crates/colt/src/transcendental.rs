//! `exp` and `ln` over whole slices, branch-free so that the compiler vectorises them.
//!
//! The log-domain sweeps spend their time in transcendental functions: one libm call per
//! element and function, none of which the compiler can vectorise. The blocked log sweeps
//! ([`crate::log_sweep`]) instead evaluate a block's exponentials and logarithms in one
//! call of [`exp_in_place`] / [`ln_in_place`]: polynomial kernels with the range reduction
//! done in integer bit arithmetic (no table lookups, no libm calls, selects instead of
//! branches), which LLVM turns into two-lane SSE2 code on any x86_64.
//!
//! Accuracy (the module's tests check it against libm over the ranges the sweeps use):
//! `exp` is within 2 ulp of the correctly rounded result for `x` in `[-708, 709]` and returns
//! `0` below `-708` (the sweeps only form such terms where they are negligible, see
//! `log_sweep`); `ln` is within 2 ulp for positive normal inputs, the only ones the sweeps
//! pass. A NaN input gives NaN in both (and `ln` of `+inf` gives NaN), so that the products'
//! result checks see it.

/// `1.5 * 2^52`: adding and subtracting it rounds an `|v| < 2^51` to the nearest integer, and
/// the low bits of `v + ROUND` hold that integer.
const ROUND: f64 = 6_755_399_441_055_744.0;
/// `ln 2` split so that `n * LN2_HI` is exact for `|n| < 2^11` (Cody and Waite).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `e^x` (see the module docs for range and accuracy).
#[inline(always)]
pub(crate) fn exp(x: f64) -> f64 {
    // `clamp` keeps a NaN.
    let xc = x.clamp(-708.0, 709.0);
    // x = n ln 2 + r, |r| <= ln(2) / 2.
    let shifted = xc * core::f64::consts::LOG2_E + ROUND;
    let n = shifted - ROUND;
    let r = (xc - n * LN2_HI) - n * LN2_LO;
    // Taylor series to degree 13: the remainder is below 5e-18 for |r| <= 0.347.
    let mut p = 1.0 / 6_227_020_800.0;
    p = p * r + 1.0 / 479_001_600.0;
    p = p * r + 1.0 / 39_916_800.0;
    p = p * r + 1.0 / 3_628_800.0;
    p = p * r + 1.0 / 362_880.0;
    p = p * r + 1.0 / 40_320.0;
    p = p * r + 1.0 / 5_040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^n from the integer in the low bits of `shifted` (n in [-1022, 1023] after the clamp).
    let k = shifted.to_bits().wrapping_sub(ROUND.to_bits());
    let scale = f64::from_bits(k.wrapping_add(1023) << 52);
    let y = p * scale;
    if x < -708.0 { 0.0 } else { y }
}

/// `ln x` for a positive normal `x` (NaN for NaN and `+inf`; see the module docs).
#[inline(always)]
pub(crate) fn ln(x: f64) -> f64 {
    let bits = x.to_bits();
    // x = 2^e m with m in [1, 2), then m in [sqrt(1/2), sqrt(2)).
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m > core::f64::consts::SQRT_2;
    let m = if big { 0.5 * m } else { m };
    let e = if big { e + 1 } else { e };
    // e as f64 without a scalar conversion: through the same rounding constant as `exp`.
    let ef = f64::from_bits(ROUND.to_bits().wrapping_add(e as u64)) - ROUND;
    // ln m = 2 atanh(f), f = (m - 1)/(m + 1), |f| <= 0.1716: series to f^19 (remainder
    // below 1e-18).
    let f = (m - 1.0) / (m + 1.0);
    let s = f * f;
    let mut q = 1.0 / 19.0;
    q = q * s + 1.0 / 17.0;
    q = q * s + 1.0 / 15.0;
    q = q * s + 1.0 / 13.0;
    q = q * s + 1.0 / 11.0;
    q = q * s + 1.0 / 9.0;
    q = q * s + 1.0 / 7.0;
    q = q * s + 1.0 / 5.0;
    q = q * s + 1.0 / 3.0;
    let lnm = 2.0 * f + 2.0 * f * (s * q);
    // `x * 0` is NaN for NaN and infinite inputs, 0 otherwise.
    (ef * LN2_HI + (lnm + ef * LN2_LO)) + x * 0.0
}

/// `v_i <- e^{v_i}` for every entry, two lanes at a time (the compiler pairs the two
/// identical evaluations into two-lane instructions).
#[inline]
pub(crate) fn exp_in_place(v: &mut [f64]) {
    let mut pairs = v.chunks_exact_mut(2);
    for p in &mut pairs {
        let (a, b) = (exp(p[0]), exp(p[1]));
        p[0] = a;
        p[1] = b;
    }
    for t in pairs.into_remainder() {
        *t = exp(*t);
    }
}

/// `v_i <- ln v_i` for every entry, two lanes at a time.
#[inline]
pub(crate) fn ln_in_place(v: &mut [f64]) {
    let mut pairs = v.chunks_exact_mut(2);
    for p in &mut pairs {
        let (a, b) = (ln(p[0]), ln(p[1]));
        p[0] = a;
        p[1] = b;
    }
    for t in pairs.into_remainder() {
        *t = ln(*t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in ulps between two finite floats of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// Deterministic numbers in `[0, 1)`.
    fn uniform(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                (s >> 11) as f64 / (1u64 << 53) as f64
            })
            .collect()
    }

    #[test]
    fn exp_within_two_ulp_of_libm() {
        let mut worst = 0;
        let xs: Vec<f64> = uniform(1, 200_000)
            .into_iter()
            .map(|u| -708.0 + u * 1417.0)
            .chain([
                0.0,
                -0.0,
                1.0,
                -1.0,
                1e-300,
                -1e-20,
                709.0,
                -708.0,
                0.5 * LN2_HI,
            ])
            .collect();
        let mut got = xs.clone();
        exp_in_place(&mut got);
        for (&x, &y) in xs.iter().zip(&got) {
            let u = ulps(y, x.exp());
            assert!(u <= 2, "exp({x:e}) = {y:e}, libm {:e} ({u} ulp)", x.exp());
            worst = worst.max(u);
        }
        assert!(worst >= 1, "the comparison must be able to see an ulp");
    }

    #[test]
    fn exp_edges() {
        let mut v = [-708.5, -1e300, f64::NEG_INFINITY, f64::NAN, 1e300];
        exp_in_place(&mut v);
        assert_eq!(v[..3], [0.0; 3]);
        assert!(v[3].is_nan());
        assert!(v[4].is_finite(), "clamped at 709: {}", v[4]);
    }

    #[test]
    fn ln_within_two_ulp_of_libm() {
        let xs: Vec<f64> = uniform(2, 200_000)
            .into_iter()
            .map(|u| (-700.0 + 1400.0 * u).exp())
            .chain(uniform(3, 50_000).into_iter().map(|u| 0.5 + u))
            .chain([
                1.0,
                2.0,
                0.5,
                f64::MIN_POSITIVE,
                f64::MAX,
                core::f64::consts::SQRT_2,
            ])
            .collect();
        let mut got = xs.clone();
        ln_in_place(&mut got);
        for (&x, &y) in xs.iter().zip(&got) {
            let want = x.ln();
            // Near x = 1 the result is tiny and ulps of it are tiny too: compare against
            // the ulp of the argument's scale there.
            let ok = ulps(y, want) <= 2 || (y - want).abs() <= 2.0 * f64::EPSILON * x.abs();
            assert!(ok, "ln({x:e}) = {y:e}, libm {want:e}");
        }
    }

    #[test]
    fn ln_propagates_nan_and_inf() {
        let mut v = [f64::NAN, f64::INFINITY];
        ln_in_place(&mut v);
        assert!(v.iter().all(|t| t.is_nan()));
    }
}
