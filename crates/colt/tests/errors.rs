//! Every way to misuse the API returns the typed error that names the problem.

use colt::{Axis, ColtError, ColtPair, LogColtPair, LowerColt, ParallelParams, UniformGrid};
use faer::Mat;

#[test]
fn length_mismatches() {
    assert!(matches!(
        ColtPair::new(vec![1.0; 3], vec![0.5; 1], vec![0.5; 2]),
        Err(ColtError::LengthMismatch {
            what: "r",
            expected: 2,
            found: 1
        })
    ));
    assert!(matches!(
        ColtPair::<f64>::new(vec![], vec![0.5], vec![]),
        Err(ColtError::LengthMismatch {
            what: "r",
            expected: 0,
            found: 1
        })
    ));
    let k = ColtPair::gibbs(&[0.0, 1.0, 2.0], 1.0).unwrap();
    let mut out = [0.0; 3];
    assert!(matches!(
        k.apply_in_place(&[1.0; 2], &mut out),
        Err(ColtError::LengthMismatch { what: "x", .. })
    ));
    assert!(matches!(
        k.apply_transpose_in_place(&[1.0; 3], &mut out[..2]),
        Err(ColtError::LengthMismatch { what: "out", .. })
    ));
    assert!(matches!(
        k.scale(&[1.0; 2], &[1.0; 3]),
        Err(ColtError::LengthMismatch { what: "u", .. })
    ));
    assert!(matches!(
        k.distance_sum(&[0.0, 1.0]),
        Err(ColtError::LengthMismatch {
            what: "support",
            ..
        })
    ));
    let other = ColtPair::gibbs(&[0.0, 1.0], 1.0).unwrap();
    assert!(matches!(
        k.hadamard(&other),
        Err(ColtError::LengthMismatch { what: "other", .. })
    ));
    assert!(matches!(
        LowerColt::new(vec![1.0; 2], vec![]),
        Err(ColtError::LengthMismatch { .. })
    ));
    let lk = k.to_log().unwrap();
    assert!(matches!(
        lk.log_apply(&[0.0; 4]),
        Err(ColtError::LengthMismatch { what: "lx", .. })
    ));
}

#[test]
fn shape_mismatches() {
    let k = ColtPair::gibbs(&[0.0, 1.0, 2.0], 1.0).unwrap();
    let a = [1.0; 6];
    let mut out = [0.0; 6];
    // 3 x 2: axis 0 has length 3 (fits), axis 1 has length 2 (does not).
    assert!(
        k.apply_axis_in_place(&a, 3, 2, Axis::Zero, &mut out)
            .is_ok()
    );
    assert!(matches!(
        k.apply_axis_in_place(&a, 3, 2, Axis::One, &mut out),
        Err(ColtError::ShapeMismatch {
            axis: 1,
            dim: 3,
            ..
        })
    ));
    assert!(matches!(
        k.apply_axis_in_place(&a, 2, 2, Axis::Zero, &mut out),
        Err(ColtError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        k.apply_batch_in_place(&a[..5], &mut out[..5], &ParallelParams::default()),
        Err(ColtError::ShapeMismatch { .. })
    ));
    let lk = k.to_log().unwrap();
    assert!(matches!(
        lk.log_apply_axis_in_place(&a, 2, 3, Axis::Zero, &mut out),
        Err(ColtError::ShapeMismatch { .. })
    ));
}

#[test]
fn non_finite_and_non_positive_parameters() {
    assert!(matches!(
        ColtPair::gibbs(&[0.0, 1.0], 0.0),
        Err(ColtError::NonPositive { what: "eps", .. })
    ));
    assert!(matches!(
        ColtPair::gibbs(&[0.0, 1.0], -1.0),
        Err(ColtError::NonPositive { .. })
    ));
    assert!(matches!(
        LogColtPair::gibbs(&[0.0, 1.0], f64::NAN),
        Err(ColtError::NonPositive { .. })
    ));
    assert!(matches!(
        ColtPair::gibbs(&[0.0, f64::NAN], 1.0),
        Err(ColtError::NonFinite {
            what: "support",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        ColtPair::new(vec![1.0, f64::INFINITY], vec![1.0], vec![1.0]),
        Err(ColtError::NonFinite {
            what: "d",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        LogColtPair::new(vec![0.0, f64::INFINITY], vec![0.0], vec![0.0]),
        Err(ColtError::NonFinite {
            what: "ld",
            index: 1,
            ..
        })
    ));
    // -inf is a zero in the log form and allowed.
    assert!(
        LogColtPair::new(
            vec![0.0, f64::NEG_INFINITY],
            vec![f64::NEG_INFINITY],
            vec![0.0]
        )
        .is_ok()
    );
    let k = ColtPair::gibbs(&[0.0, 1.0], 1.0).unwrap();
    assert!(matches!(
        k.scale(&[1.0, 0.0], &[1.0, 1.0]),
        Err(ColtError::ZeroDivisor {
            what: "u",
            index: 1
        })
    ));
    assert!(matches!(
        k.to_log()
            .unwrap()
            .scale(&[0.0, f64::NEG_INFINITY], &[0.0; 2]),
        Err(ColtError::NonFinite { what: "lu", .. })
    ));
    let neg = ColtPair::new(vec![1.0, -1.0], vec![0.5], vec![0.5]).unwrap();
    assert!(matches!(
        neg.to_log(),
        Err(ColtError::Negative {
            what: "d",
            index: 1,
            ..
        })
    ));
    let big = LogColtPair::new(vec![0.0, 800.0], vec![0.0], vec![0.0]).unwrap();
    assert!(matches!(
        big.to_linear(),
        Err(ColtError::NonFinite {
            what: "d",
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        big.powf(0.0),
        Err(ColtError::NonPositive { what: "k", .. })
    ));
}

#[test]
fn unsorted_support() {
    assert!(matches!(
        ColtPair::gibbs(&[0.0, 2.0, 1.0], 1.0),
        Err(ColtError::UnsortedSupport { index: 1, .. })
    ));
    let k = ColtPair::gibbs(&[0.0, 1.0, 2.0], 1.0).unwrap();
    assert!(matches!(
        k.distance_sum(&[0.0, 2.0, 1.0]),
        Err(ColtError::UnsortedSupport { index: 1, .. })
    ));
    // Duplicate points are a valid support (ratio 1, log gap -inf in the cost sweeps).
    assert!(ColtPair::gibbs(&[0.0, 0.0, 1.0], 1.0).is_ok());
}

#[test]
fn empty_and_invalid_dense_input() {
    // N = 0 is a valid empty matrix for products and sums.
    let e = ColtPair::<f64>::gibbs(&[], 1.0).unwrap();
    assert!(e.is_empty());
    assert!(e.apply(&[]).unwrap().is_empty());
    assert!(e.sum().unwrap().abs() < f64::MIN_POSITIVE);
    assert!(e.distance_sum(&[]).unwrap().abs() < f64::MIN_POSITIVE);
    assert!(e.to_log().unwrap().log_sum().unwrap() == f64::NEG_INFINITY);
    assert!(matches!(
        e.entry(0, 0),
        Err(ColtError::IndexOutOfBounds {
            row: 0,
            col: 0,
            dim: 0
        })
    ));
    let rect = Mat::<f64>::from_fn(2, 3, |_, _| 1.0);
    assert!(matches!(
        ColtPair::from_dense(rect.as_ref(), 1e-12),
        Err(ColtError::NotSquare { rows: 2, cols: 3 })
    ));
    let zero_diag = Mat::<f64>::from_fn(2, 2, |i, j| if i == j && i == 1 { 0.0 } else { 1.0 });
    assert!(matches!(
        ColtPair::from_dense(zero_diag.as_ref(), 1e-12),
        Err(ColtError::ZeroDiagonal { index: 1 })
    ));
    let nan = Mat::<f64>::from_fn(2, 2, |i, _| if i == 1 { f64::NAN } else { 1.0 });
    assert!(matches!(
        ColtPair::from_dense(nan.as_ref(), 1e-12),
        Err(ColtError::NonFinite {
            what: "matrix",
            index: 2,
            ..
        })
    ));
    let f = ColtPair::from_factors(&[1.0, 2.0], &[1.0, 1.0], &[1.0, 1.0], &[1.0, 1.0], 1e-12);
    assert!(matches!(f, Err(ColtError::NotColt { row: 1, col: 1, .. })));
    assert!(matches!(
        ColtPair::from_factors(&[1.0, 0.0], &[1.0, 1.0], &[1.0, 0.0], &[1.0, 1.0], 1e-12),
        Err(ColtError::ZeroDivisor {
            what: "alpha",
            index: 1
        })
    ));
    // Error messages say how to fix the call.
    let msg = ColtError::UnsortedSupport {
        index: 1,
        previous: 2.0,
        next: 1.0,
    }
    .to_string();
    assert!(msg.contains("sort"), "{msg}");
}

#[test]
fn log_apply_rejects_nan_input_instead_of_dropping_it() {
    // The log sweeps skip -inf terms (zeros); a NaN term must not be skipped with them, and
    // the NaN it makes must not come back as a result: the product names the input entry.
    let lk = LogColtPair::gibbs(&[0.0, 0.5, 1.0, 2.0, 2.5], 1.0).unwrap();
    let mut out = vec![0.0; 5];
    for bad in 0..5 {
        for value in [f64::NAN, f64::INFINITY] {
            let mut lx = vec![0.0; 5];
            lx[bad] = value;
            let err = lk.log_apply_in_place(&lx, &mut out).unwrap_err();
            assert!(
                matches!(err, ColtError::NonFinite { what: "lx", index, value: v }
                    if index == bad && v.to_bits() == value.to_bits()),
                "{value} at {bad}: {err:?}"
            );
            assert!(matches!(
                lk.log_apply_transpose(&lx),
                Err(ColtError::NonFinite { what: "lx", .. })
            ));
        }
    }
}

/// Each linear product, sum and entry names a NaN or infinite input entry
/// ([`ColtError::NonFinite`]) and reports a result beyond the float range with finite inputs as
/// [`ColtError::Overflow`], never `Ok` with `inf` or NaN inside.
#[test]
fn non_finite_inputs_and_overflowing_results() {
    let k = ColtPair::gibbs(&[0.0, 1.0, 2.5, 3.0], 1.0).unwrap();
    let lk = k.to_log().unwrap();
    let mut out = [0.0; 4];
    let x = [1.0, f64::NAN, 0.5, 0.0];
    let nan_x =
        |e: ColtError| matches!(e, ColtError::NonFinite { index: 1, value, .. } if value.is_nan());
    assert!(nan_x(k.apply_in_place(&x, &mut out).unwrap_err()));
    assert!(nan_x(k.apply_transpose(&x).unwrap_err()));
    assert!(nan_x(k.lower().apply_in_place(&x, &mut out).unwrap_err()));
    assert!(nan_x(
        k.upper()
            .apply_transpose_in_place(&x, &mut out)
            .unwrap_err()
    ));
    let sup = [0.0, 1.0, 2.5, 3.0];
    assert!(nan_x(
        k.distance_apply_in_place(&sup, &x, &mut out).unwrap_err()
    ));
    assert!(nan_x(
        lk.log_distance_apply_in_place(&sup, &x, &mut out)
            .unwrap_err()
    ));
    let mut grid = [0.0; 8];
    let mut a = [1.0; 8];
    a[5] = f64::INFINITY;
    for (axis, rows, cols) in [(Axis::Zero, 4, 2), (Axis::One, 2, 4)] {
        assert!(matches!(
            k.apply_axis_in_place(&a, rows, cols, axis, &mut grid),
            Err(ColtError::NonFinite {
                what: "a",
                index: 5,
                ..
            })
        ));
        assert!(matches!(
            lk.log_apply_axis_in_place(&a, rows, cols, axis, &mut grid),
            Err(ColtError::NonFinite {
                what: "a",
                index: 5,
                ..
            })
        ));
    }
    assert!(matches!(
        k.apply_batch_in_place(&a, &mut grid, &ParallelParams::default()),
        Err(ColtError::NonFinite {
            what: "xs",
            index: 5,
            ..
        })
    ));
    assert!(matches!(
        lk.log_apply_batch_in_place(&a, &mut grid, &ParallelParams::default()),
        Err(ColtError::NonFinite {
            what: "lxs",
            index: 5,
            ..
        })
    ));

    // Finite inputs, results beyond f64: ratios of 1e200 compound to 1e400 two rows down.
    let big = ColtPair::new(vec![1.0; 4], vec![1e200; 3], vec![1e200; 3]).unwrap();
    let overflow = |e: ColtError, what: &str| matches!(e, ColtError::Overflow { what: w, value, .. } if w == what && !value.is_finite());
    assert!(overflow(
        big.apply_in_place(&[1.0; 4], &mut out).unwrap_err(),
        "out"
    ));
    assert!(overflow(
        big.row_sums_in_place(&mut out).unwrap_err(),
        "out"
    ));
    assert!(overflow(
        big.col_sums_in_place(&mut out).unwrap_err(),
        "out"
    ));
    assert!(overflow(big.sum().unwrap_err(), "sum"));
    assert!(overflow(big.entry(3, 0).unwrap_err(), "entry"));
    assert!(overflow(
        big.lower().apply_in_place(&[1.0; 4], &mut out).unwrap_err(),
        "out"
    ));
    assert!(overflow(
        big.distance_sum(&sup).unwrap_err(),
        "distance_sum"
    ));
    assert!(overflow(
        big.distance_row_sums_in_place(&sup, &mut out).unwrap_err(),
        "out"
    ));
    assert!(overflow(
        big.apply_axis_in_place(&[1.0; 8], 4, 2, Axis::Zero, &mut grid)
            .unwrap_err(),
        "out"
    ));
    // Values near f64::MAX on a Gibbs kernel: the sum of two of them overflows.
    let near_max = [f64::MAX, f64::MAX, 0.0, 0.0];
    let unit = ColtPair::gibbs(&[0.0, 0.0, 0.0, 0.0], 1.0).unwrap();
    assert!(overflow(
        unit.apply_in_place(&near_max, &mut out).unwrap_err(),
        "out"
    ));
    // f32 results that leave the f32 range are overflows too (the sweeps run in f64).
    let k32 = ColtPair::gibbs(&[0.0f32, 0.0], 1.0).unwrap();
    let mut o32 = [0.0f32; 2];
    assert!(matches!(
        k32.apply_in_place(&[f32::MAX, f32::MAX], &mut o32),
        Err(ColtError::Overflow { what: "out", .. })
    ));
    // Log form: parameters near the top of the range make +inf, an overflow, not a result.
    let top = LogColtPair::new(vec![f64::MAX; 2], vec![0.0], vec![0.0]).unwrap();
    assert!(matches!(
        top.log_apply(&[f64::MAX, 0.0]),
        Err(ColtError::Overflow { what: "out", .. })
    ));
    let steep = LogColtPair::new(vec![0.0; 3], vec![f64::MAX; 2], vec![0.0; 2]).unwrap();
    assert!(matches!(
        steep.log_sum(),
        Err(ColtError::Overflow {
            what: "log_sum",
            ..
        })
    ));
    assert!(matches!(
        steep.log_entry(2, 0),
        Err(ColtError::Overflow {
            what: "log_entry",
            ..
        })
    ));
}

/// Tolerances are checked: a NaN tolerance would make every comparison pass and accept any
/// matrix as CoLT.
#[test]
fn invalid_tolerances() {
    let k = ColtPair::gibbs(&[0.0, 1.0, 2.0], 1.0).unwrap();
    let mut m = k.to_dense();
    m[(2, 0)] = 5.0; // not CoLT
    for tol in [f64::NAN, -1e-12, f64::INFINITY] {
        assert!(matches!(
            ColtPair::from_dense(m.as_ref(), tol),
            Err(ColtError::InvalidTolerance { what: "tol", value }) if value.to_bits() == tol.to_bits()
        ));
        assert!(matches!(
            ColtPair::from_factors(&[1.0], &[1.0], &[1.0], &[2.0], tol),
            Err(ColtError::InvalidTolerance {
                what: "rel_tol",
                ..
            })
        ));
        assert!(matches!(
            ColtPair::from_triangles(&k.lower(), &k.upper(), tol),
            Err(ColtError::InvalidTolerance {
                what: "rel_tol",
                ..
            })
        ));
    }
}

/// A uniform grid whose step is below one ulp of its coordinates is not a grid (issue: the
/// uniform support at 1e17 with step 1 gave garbage); the typed error names step and ulp.
#[test]
fn degenerate_grid_spacing() {
    assert_eq!(
        UniformGrid::new(1e17, 1.0, 100).unwrap_err(),
        ColtError::DegenerateSpacing {
            step: 1.0,
            coordinate: 1e17 + 96.0, // 1e17 + 99 rounded to a multiple of 16
            ulp: 16.0
        }
    );
    // The last point decides when it is the largest in magnitude.
    assert!(matches!(
        UniformGrid::new(0.0, 1.0, 1 << 54),
        Err(ColtError::DegenerateSpacing { ulp, .. }) if ulp.to_bits() == 4.0f64.to_bits()
    ));
    assert!(matches!(
        UniformGrid::new(-1e17, 1.0, 3),
        Err(ColtError::DegenerateSpacing { .. })
    ));
    assert!(matches!(
        UniformGrid::new(1e8f32, 1.0, 4),
        Err(ColtError::DegenerateSpacing { ulp, .. }) if ulp.to_bits() == 8.0f64.to_bits()
    ));
    // Two ulps are the smallest step allowed: one is not.
    assert!(matches!(
        UniformGrid::new(1e17, 16.0, 4),
        Err(ColtError::DegenerateSpacing { .. })
    ));
    let g = UniformGrid::new(1e17, 32.0, 4).unwrap();
    assert_eq!(
        g.points().unwrap(),
        vec![1e17, 1e17 + 32.0, 1e17 + 64.0, 1e17 + 96.0]
    );
    assert!(matches!(
        UniformGrid::new(0.0, 0.0, 3),
        Err(ColtError::NonPositive { what: "step", .. })
    ));
    assert!(matches!(
        UniformGrid::new(f64::NAN, 1.0, 3),
        Err(ColtError::NonFinite { what: "start", .. })
    ));
    assert!(matches!(
        UniformGrid::new(0.0, 1.0, 0),
        Err(ColtError::Empty { what: "grid" })
    ));
    assert!(matches!(
        UniformGrid::new(0.0, 1e304, 1 << 20),
        Err(ColtError::SpanOverflow { last_index, .. }) if last_index == (1 << 20) - 1
    ));
}

/// Sizes beyond memory are a typed error naming the bytes, not an abort (issue: a kernel of
/// N = 1e12 aborted the process).
#[test]
fn huge_sizes_are_an_error() {
    let n = usize::MAX / 4;
    for e in [
        ColtPair::<f64>::gibbs_uniform(n, 1.0, 1.0).unwrap_err(),
        LogColtPair::<f64>::gibbs_uniform(n, 1.0, 1.0).unwrap_err(),
    ] {
        assert!(
            matches!(e, ColtError::TooLarge { elements, bytes, .. }
                if elements >= n as u128 - 1 && bytes == 8 * elements),
            "{e:?}"
        );
    }
    // 2^50 points: 8 PiB, beyond any address space.
    let g = UniformGrid::new(0.0, 1.0, 1 << 50).unwrap();
    assert!(matches!(
        g.points(),
        Err(ColtError::TooLarge { what: "points", .. })
    ));
}
