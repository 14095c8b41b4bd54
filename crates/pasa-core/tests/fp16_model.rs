//! The FP16 arithmetic model against IEEE binary16 facts: ties to even, overflow at
//! 65504 + ulp/2, subnormals, exp of large arguments, correct f64 -> f16 conversion, and
//! the accumulator semantics of the matrix unit.

use half::f16;
use pasa_core::matmul::matmul_in_place;
use pasa_core::round::{F16_MAX, f64_to_f16, scalar};
use pasa_core::vector;
use pasa_core::{Accumulator, Real, Scalar};
use proptest::prelude::*;

fn bits(x: f32) -> u16 {
    f16::from_f32(x).to_bits()
}

#[test]
fn ties_round_to_even() {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties to the even significand (1).
    let one = 1.0_f32;
    let ulp = 2.0_f32.powi(-10);
    assert_eq!(1.0_f32.round_to(Scalar::F16).to_bits(), one.to_bits());
    let tie_down = one + ulp / 2.0;
    assert_eq!(tie_down.round_to(Scalar::F16).to_bits(), one.to_bits());
    // 1 + 3·2^-11 is halfway between 1 + 2^-10 (odd) and 1 + 2^-9 (even): rounds up.
    let tie_up = one + 3.0 * ulp / 2.0;
    assert_eq!(
        tie_up.round_to(Scalar::F16).to_bits(),
        (one + 2.0 * ulp).to_bits()
    );
    // The same through the bulk (F16C) path.
    let mut xs = vec![tie_down, tie_up];
    f32::round_slice(&mut xs, Scalar::F16);
    assert_eq!(xs[0].to_bits(), one.to_bits());
    assert_eq!(xs[1].to_bits(), (one + 2.0 * ulp).to_bits());
}

#[test]
fn overflow_at_max_plus_half_ulp() {
    // The f16 ulp at 65504 is 32: values below 65520 round to 65504, 65520 (the tie, odd
    // neighbour 65504 has an odd significand 0x3ff) rounds to inf.
    assert_eq!(bits(65504.0), 0x7bff);
    assert_eq!(
        65519.0_f32.round_to(Scalar::F16).to_f64().to_bits(),
        F16_MAX.to_bits()
    );
    assert!(65520.0_f32.round_to(Scalar::F16).is_infinite());
    assert!((-65520.0_f32).round_to(Scalar::F16).to_f64() < 0.0);
    // 65504 + 32 (one ulp) overflows in an f16 addition.
    let s = scalar::add(65504.0_f32, 32.0, Scalar::F16);
    assert!(s.is_infinite());
    // ... but not in f32.
    let s32 = scalar::add(65504.0_f32, 32.0, Scalar::F32);
    assert!((s32.to_f64() - 65536.0).abs() < 1e-9);
}

#[test]
fn subnormals_are_kept() {
    let min_sub = 2.0_f64.powi(-24);
    assert_eq!(f64_to_f16(min_sub).to_bits(), 0x0001);
    // Half the smallest subnormal is a tie with 0 (even): rounds to 0.
    assert_eq!(f64_to_f16(min_sub / 2.0).to_bits(), 0x0000);
    // Slightly more than half rounds up to the smallest subnormal.
    assert_eq!(f64_to_f16(min_sub * 0.5000001).to_bits(), 0x0001);
    // A product that underflows into the subnormal range: 2^-14 · 2^-5 = 2^-19.
    let p = scalar::mul(2.0_f32.powi(-14), 2.0_f32.powi(-5), Scalar::F16);
    assert_eq!(bits(p), 0x0020);
    // Largest subnormal.
    assert_eq!(f64_to_f16(2.0_f64.powi(-14) - min_sub).to_bits(), 0x03ff);
}

#[test]
fn exp_of_large_arguments() {
    // ln(65504) = 11.0898...: exp(11.09) overflows in f16, exp(11.08) does not.
    assert!(scalar::exp(11.09_f32, Scalar::F16).is_infinite());
    assert!(scalar::exp(11.08_f32, Scalar::F16).is_finite());
    assert!(scalar::exp(11.09_f32, Scalar::F32).is_finite());
    // exp(-17.4) ~ 2.8e-8 is below half the smallest subnormal (2.98e-8): flushes to 0.
    assert_eq!(
        scalar::exp(-17.4_f32, Scalar::F16).to_bits(),
        0.0_f32.to_bits()
    );
    // exp(-16) ~ 1.1e-7 is a subnormal.
    let e = scalar::exp(-16.0_f32, Scalar::F16);
    assert!(e > 0.0 && e < 6.2e-5);
    // Subnormals are multiples of 2^-24 = 5.96e-8: 1.1254e-7 / 2^-24 = 1.89 rounds to 2.
    assert_eq!(e.to_bits(), 2.0_f32.powi(-23).to_bits());
    // exp(-inf) = 0, exp(+inf) = inf, exp(NaN) = NaN.
    assert_eq!(scalar::exp(f32::NEG_INFINITY, Scalar::F16).to_bits(), 0);
    assert!(scalar::exp(f32::INFINITY, Scalar::F16).is_infinite());
    assert!(scalar::exp(f32::NAN, Scalar::F16).is_nan());
}

#[test]
fn half_f64_conversion_double_rounds_ours_does_not() {
    // 1 + 2^-11 + 2^-40 is just above the tie between 1 and 1 + 2^-10: the correct f16 is
    // 1 + 2^-10. Rounding to f32 first loses the 2^-40 and lands on the tie (-> 1).
    let x = 1.0 + 2.0_f64.powi(-11) + 2.0_f64.powi(-40);
    assert_eq!(f64_to_f16(x).to_bits(), 0x3c01);
    assert_eq!(f16::from_f32(x as f32).to_bits(), 0x3c00);
}

proptest! {
    /// f64 -> f16 equals the correctly rounded value computed by exact comparison with the
    /// two neighbouring f16 values (source of truth: the IEEE definition of RNE).
    #[test]
    fn f64_to_f16_is_correctly_rounded(x in -70000.0_f64..70000.0) {
        let r = f64_to_f16(x);
        if r.is_finite() {
            let rv = r.to_f64();
            let up = f16::from_bits(r.to_bits() + 1).to_f64();
            let down = f16::from_bits(r.to_bits().wrapping_sub(1)).to_f64();
            // No neighbour is strictly closer.
            prop_assert!((x - rv).abs() <= (x - up).abs() || !up.is_finite());
            prop_assert!((x - rv).abs() <= (x - down).abs() || !down.is_finite());
        } else {
            prop_assert!(x.abs() >= 65520.0);
        }
    }

    /// f32 working-type arithmetic on f16 operands rounded to f16 equals the f64 result
    /// rounded once (double rounding is innocuous for + - * /: 24 >= 2·11 + 2).
    #[test]
    fn f16_ops_are_correctly_rounded(a in -300.0_f32..300.0, b in 0.01_f32..300.0) {
        let (a, b) = (a.round_to(Scalar::F16), b.round_to(Scalar::F16));
        let (a64, b64) = (a.to_f64(), b.to_f64());
        prop_assert_eq!(bits(scalar::add(a, b, Scalar::F16)), f64_to_f16(a64 + b64).to_bits());
        prop_assert_eq!(bits(scalar::mul(a, b, Scalar::F16)), f64_to_f16(a64 * b64).to_bits());
        prop_assert_eq!(bits(scalar::div(a, b, Scalar::F16)), f64_to_f16(a64 / b64).to_bits());
        // exp: f32 and f64 working types agree (both correctly round the f64 exp).
        let e32 = scalar::exp(a / 30.0, Scalar::F16);
        let e64 = scalar::exp((a / 30.0).to_f64(), Scalar::F16);
        prop_assert_eq!(e32.to_f64().to_bits(), e64.to_bits());
    }
}

#[test]
fn fp16_accumulator_rounds_after_every_add() {
    // 2048 + 1 + 1 in f16: 2049 is a tie between 2048 and 2050 (ulp 2) -> 2048 (even),
    // so an f16 accumulator never leaves 2048; an f32 accumulator reaches 2050.
    let a = [1.0_f32, 1.0, 1.0];
    let b = [2048.0_f32, 1.0, 1.0];
    let mut out = [0.0_f32];
    matmul_in_place(&mut out, &a, &b, 1, 3, 1, Accumulator::F16, Scalar::F16).unwrap();
    assert_eq!(out[0].to_bits(), 2048.0_f32.to_bits());
    matmul_in_place(&mut out, &a, &b, 1, 3, 1, Accumulator::F32, Scalar::F16).unwrap();
    assert_eq!(out[0].to_bits(), 2050.0_f32.to_bits());
    // Cube semantics: the sum exceeds 65504 inside the f32 accumulator and comes back in
    // range before the single cast: finite. An f16 accumulator overflows on the way.
    let a = [1.0_f32, 1.0];
    let b = [60000.0_f32, -30000.0];
    matmul_in_place(&mut out, &a, &b, 1, 2, 1, Accumulator::F32, Scalar::F16).unwrap();
    assert_eq!(out[0].to_bits(), 30000.0_f32.to_bits());
    let b = [60000.0_f32, 60000.0];
    matmul_in_place(&mut out, &a, &b, 1, 2, 1, Accumulator::F32, Scalar::F16).unwrap();
    assert!(out[0].is_infinite());
}

#[test]
fn vector_sum_in_fp16_loses_small_terms() {
    // 2048 + 1 (x4) in f16 sequential: each +1 is a tie back to 2048.
    let xs = [2048.0_f32, 1.0, 1.0, 1.0, 1.0];
    let s16 = vector::sum(&xs, Accumulator::F16, Scalar::F16);
    let s32 = vector::sum(&xs, Accumulator::F32, Scalar::F32);
    assert_eq!(s16.to_bits(), 2048.0_f32.to_bits());
    assert_eq!(s32.to_bits(), 2052.0_f32.to_bits());
}

/// Every f16 value, widened to f32, in bit order.
fn every_f16() -> Vec<f32> {
    (0..=u16::MAX).map(|b| f16::from_bits(b).to_f32()).collect()
}

/// Two results are the same: equal bits, or both NaN (the model says where NaN appears,
/// not its payload).
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The bulk f16 exp (a table on the f32 working type) against the f64 working type's
/// scalar exp, which rounds the f64 exp to f16 once through `f64_to_f16` instead of the
/// f32 path's round-to-odd: both are the correctly rounded f16 of libm's exp, on all
/// 65536 operands (0 mismatches is the IEEE fact; a double rounding would show at ties).
#[test]
fn bulk_exp_is_the_scalar_exp_on_every_f16_operand() {
    let mut xs = every_f16();
    vector::exp_in_place(&mut xs, Scalar::F16);
    let bad: Vec<String> = every_f16()
        .into_iter()
        .zip(&xs)
        .filter(|&(x, &e)| {
            let want = scalar::exp(x.to_f64(), Scalar::F16);
            !same(e, f16::from_f64(want).to_f32()) || !same(e, scalar::exp(x, Scalar::F16))
        })
        .map(|(x, e)| format!("exp({x}) = {e}"))
        .take(10)
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

/// f32 values around every f16 value: the value, the ties halfway to both neighbours and
/// one f32 ulp either side of each tie (where a wrong rounding mode or a carry into the
/// exponent shows), and f32 values beyond f16's range and below its subnormals.
fn around_every_f16() -> Vec<f32> {
    let mut xs = Vec::new();
    for x in every_f16().into_iter().filter(|x| x.is_finite()) {
        let up = f16::from_f32(x).to_bits().wrapping_add(1);
        let next = f16::from_bits(up).to_f32();
        let next = if next.is_finite() && next.abs() > x.abs() {
            next
        } else {
            // Past 65504 the next "value" is the f16 overflow threshold's neighbour.
            x + x.signum() * 32.0
        };
        let tie = f32::midpoint(x, next);
        let step = |v: f32, k: i32| f32::from_bits(v.to_bits().wrapping_add_signed(k));
        xs.extend([x, tie, step(tie, -1), step(tie, 1)]);
    }
    xs.extend([
        f32::MAX,
        f32::MIN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NAN,
        f32::MIN_POSITIVE,
        f32::from_bits(1),
        1e-30,
        -1e-30,
        65519.996,
        65520.0,
        -65520.0,
    ]);
    xs
}

/// Bulk f16 rounding (F16C when the CPU has it) against the IEEE-correct software
/// conversion `f64_to_f16` on every tie and boundary of f16, against `half`'s scalar
/// conversion, and against `half`'s software conversion (`from_f32_const`, what the
/// portable path computes on a CPU without F16C), in slices whose lengths are not
/// multiples of 8 (the tails take another path).
#[test]
fn bulk_rounding_is_the_scalar_rounding_at_every_tie() {
    let xs = around_every_f16();
    for len in [xs.len(), 13, 7] {
        for chunk in xs.chunks(len) {
            let mut got = chunk.to_vec();
            f32::round_slice(&mut got, Scalar::F16);
            for (&x, &g) in chunk.iter().zip(&got) {
                let want = f64_to_f16(x.to_f64()).to_f32();
                assert!(same(g, want), "round({x:e}) = {g:e}, want {want:e}");
                assert!(same(g, x.round_to(Scalar::F16)), "scalar round({x:e})");
                let software = f16::from_f32_const(x).to_f32();
                assert!(same(g, software), "software round({x:e}) = {software:e}");
            }
        }
    }
}
