//! `exp` and `ln` over whole slices, branch-free so that the compiler vectorises them: what
//! the blocked log sweeps spend their time in, public so that benches can time that floor.
//!
//! The log-domain sweeps spend their time in transcendental functions: one libm call per
//! element and function, none of which the compiler can vectorise. The blocked log sweeps
//! ([`crate::log_sweep`]) instead evaluate a block's exponentials and logarithms in one
//! call of [`exp_in_place`] / [`ln_in_place`]: polynomial kernels with the range reduction
//! done in integer bit arithmetic (no table lookups, no libm calls, selects instead of
//! branches), which LLVM turns into two-lane SSE2 code on any x86_64, and into four-lane AVX2
//! code in a second copy of the slice loops chosen at run time where the CPU has AVX2.
//!
//! Bits. Every path (scalar, SSE2, AVX2, and other targets) performs the same IEEE-754
//! operations in the same order: Rust never contracts `a * b + c` into a fused multiply-add,
//! and the AVX2 copies do not enable FMA. So the results are the same bits on every path and
//! every machine; the module's tests check the two x86_64 paths against each other and
//! against the scalar functions bit for bit.
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

/// `v_i <- e^{v_i}` for every entry: four lanes per instruction where the CPU has AVX2
/// (detected at run time), two (SSE2) otherwise. Both paths evaluate the same IEEE
/// operations in the same order (Rust never contracts a multiply and an add into an FMA), so
/// they give the same bits. Within 2 ulp of the correctly rounded `e^x` for `x` in
/// `[-708, 709]`, `0` below `-708`, clamped at `e^709` above; NaN stays NaN.
///
/// ```
/// let mut v = [0.0, 1.0, -1000.0];
/// colt::transcendental::exp_in_place(&mut v);
/// assert_eq!(v[0], 1.0);
/// assert!((v[1] - std::f64::consts::E).abs() <= 2.0 * f64::EPSILON * v[1]);
/// assert_eq!(v[2], 0.0);
/// ```
#[inline]
pub fn exp_in_place(v: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { exp_in_place_avx2(v) };
        return;
    }
    map_lanes::<2>(v, exp);
}

/// `v_i <- ln v_i` for every entry, lanes as in [`exp_in_place`] (the same bits on both
/// paths). Within 2 ulp of the correctly rounded `ln x` for positive normal `x`; NaN for NaN
/// and `+inf`; other inputs (zero, negative, subnormal, `-inf`) give unspecified values: the
/// log sweeps never pass them.
///
/// ```
/// let mut v = [1.0, std::f64::consts::E, 0.5];
/// colt::transcendental::ln_in_place(&mut v);
/// assert_eq!(v[0], 0.0);
/// assert!((v[1] - 1.0).abs() <= 2.0 * f64::EPSILON);
/// assert!((v[2] + std::f64::consts::LN_2).abs() <= 2.0 * f64::EPSILON * v[2].abs());
/// ```
#[inline]
pub fn ln_in_place(v: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { ln_in_place_avx2(v) };
        return;
    }
    map_lanes::<2>(v, ln);
}

/// Whether the running CPU has AVX2 (std caches the answer after the first call).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

/// [`exp_in_place`] compiled for AVX2 (four f64 lanes); FMA is deliberately not enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn exp_in_place_avx2(v: &mut [f64]) {
    map_lanes::<4>(v, exp);
}

/// [`ln_in_place`] compiled for AVX2 (four f64 lanes); FMA is deliberately not enabled.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn ln_in_place_avx2(v: &mut [f64]) {
    map_lanes::<4>(v, ln);
}

/// `v_i <- f(v_i)`, `L` entries per step: the `L` identical branch-free evaluations are
/// what the compiler packs into `L`-lane instructions.
#[inline(always)]
fn map_lanes<const L: usize>(v: &mut [f64], f: impl Fn(f64) -> f64 + Copy) {
    let mut chunks = v.chunks_exact_mut(L);
    for c in &mut chunks {
        let r: [f64; L] = core::array::from_fn(|l| f(c[l]));
        c.copy_from_slice(&r);
    }
    for t in chunks.into_remainder() {
        *t = f(*t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::uniform;

    /// Distance in ulps between two finite floats of the same sign.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    /// Same bits, or both NaN.
    fn same(a: f64, b: f64) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// Every slice path against the scalar function `f`, bit for bit; `four` is the AVX2
    /// copy, run only where this CPU has AVX2. Returns how many paths it compared.
    fn check_paths(
        xs: &[f64],
        f: fn(f64) -> f64,
        sliced: fn(&mut [f64]),
        four: fn(&mut [f64]),
    ) -> usize {
        let want: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
        let mut two = xs.to_vec();
        map_lanes::<2>(&mut two, f);
        let mut dispatched = xs.to_vec();
        sliced(&mut dispatched);
        let mut got = vec![two, dispatched];
        #[cfg(target_arch = "x86_64")]
        if avx2() {
            let mut wide = xs.to_vec();
            four(&mut wide);
            got.push(wide);
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = four;
        for path in &got {
            for (i, (&w, &g)) in want.iter().zip(path).enumerate() {
                assert!(
                    same(w, g),
                    "x = {:e}: scalar {w:e}, slice path {g:e}",
                    xs[i]
                );
            }
        }
        got.len()
    }

    /// The AVX2 copies behind a safe signature, for CPUs that have AVX2.
    fn exp_four(v: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        {
            assert!(avx2());
            // SAFETY: asserted just above.
            unsafe { exp_in_place_avx2(v) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        map_lanes::<4>(v, exp);
    }

    fn ln_four(v: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        {
            assert!(avx2());
            // SAFETY: asserted just above.
            unsafe { ln_in_place_avx2(v) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        map_lanes::<4>(v, ln);
    }

    #[test]
    fn every_path_gives_the_same_bits() {
        let edges = [
            0.0,
            -0.0,
            1.0,
            709.0,
            -708.0,
            -745.0,
            f64::NAN,
            f64::INFINITY,
        ];
        // Odd lengths, so that the remainder loops run too.
        let xs: Vec<f64> = uniform(5, 100_003)
            .into_iter()
            .map(|u| -750.0 + u * 1500.0)
            .chain(edges)
            .collect();
        let paths = check_paths(&xs, exp, exp_in_place, exp_four);
        let ys: Vec<f64> = uniform(6, 100_001)
            .into_iter()
            .map(|u| (-700.0 + 1400.0 * u).exp())
            .chain(edges)
            .collect();
        assert_eq!(check_paths(&ys, ln, ln_in_place, ln_four), paths);
        #[cfg(target_arch = "x86_64")]
        assert_eq!(paths, if avx2() { 3 } else { 2 });
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
