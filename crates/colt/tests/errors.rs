//! Every way to misuse the API returns the typed error that names the problem.

use colt::{Axis, ColtError, ColtPair, LogColtPair, LowerColt, ParallelParams};
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
    assert!(e.sum().abs() < f64::MIN_POSITIVE);
    assert!(e.distance_sum(&[]).unwrap().abs() < f64::MIN_POSITIVE);
    assert!(e.to_log().unwrap().log_sum() == f64::NEG_INFINITY);
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
fn log_apply_propagates_nan_input_instead_of_dropping_it() {
    // The log sweeps skip -inf terms (zeros); a NaN term must not be skipped with them.
    let lk = LogColtPair::gibbs(&[0.0, 0.5, 1.0, 2.0, 2.5], 1.0).unwrap();
    for bad in 0..5 {
        let mut lx = vec![0.0; 5];
        lx[bad] = f64::NAN;
        let out = lk.log_apply(&lx).unwrap();
        // Every entry of the Gibbs kernel is positive, so every output depends on lx[bad].
        assert!(out.iter().all(|v| v.is_nan()), "NaN at {bad}: {out:?}");
    }
}
