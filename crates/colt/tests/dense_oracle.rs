//! Property tests: every CoLT operation against dense faer products, f32 and f64, random sizes
//! including N = 0, 1, 2 and odd sizes. Tolerances come from the sweep error bound in
//! `common::sweep_tol` (`|err_i| <= (4n + 8) u (|T| |x|)_i`).

mod common;

use colt::{Axis, ColtError, ColtPair, LogColtPair, LowerColt, ParallelParams, Real, UpperColt};
use common::{abs_mv, assert_close, dense_mv, lse, sweep_tol, to_t, transpose, widen};
use faer::Mat;
use proptest::collection::vec;
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Case {
    d: Vec<f64>,
    r: Vec<f64>,
    s: Vec<f64>,
    x: Vec<f64>,
    u: Vec<f64>,
    v: Vec<f64>,
    lx: Vec<f64>,
    support: Vec<f64>,
    batch: usize,
    a: Vec<f64>,
}

fn case() -> impl Strategy<Value = Case> {
    (0usize..34, 0usize..4).prop_flat_map(|(n, batch)| {
        let m = n.saturating_sub(1);
        (
            (
                vec(0.5f64..2.0, n),
                vec(0.05f64..1.5, m),
                vec(0.05f64..1.5, m),
                vec(-1.0f64..1.0, n),
            ),
            (
                vec(0.2f64..3.0, n),
                vec(0.2f64..3.0, n),
                vec(-40.0f64..30.0, n),
                vec(0.0f64..0.3, n),
            ),
            vec(-1.0f64..1.0, n * batch),
        )
            .prop_map(move |((d, r, s, x), (u, v, lx, gaps), a)| {
                // Entries below -30 become -inf: zero mass in the log domain.
                let lx = lx
                    .into_iter()
                    .map(|t| if t < -30.0 { f64::NEG_INFINITY } else { t })
                    .collect();
                let support = gaps
                    .iter()
                    .scan(-1.0, |acc, g| {
                        *acc += g;
                        Some(*acc)
                    })
                    .collect();
                Case {
                    d,
                    r,
                    s,
                    x,
                    u,
                    v,
                    lx,
                    support,
                    batch,
                    a,
                }
            })
    })
}

fn pair<T: Real>(c: &Case) -> ColtPair<T> {
    ColtPair::new(to_t(&c.d), to_t(&c.r), to_t(&c.s)).expect("valid parameters")
}

/// Dense `log(T) exp(lx)` rows by log-sum-exp in f64, and the magnitude scale of the terms.
fn dense_log_mv(lt: &Mat<f64>, lx: &[f64]) -> (Vec<f64>, f64) {
    let n = lx.len();
    let mut scale: f64 = 1.0;
    let out = (0..n)
        .map(|i| {
            for j in 0..n {
                let t = lt[(i, j)] + lx[j];
                if t.is_finite() {
                    scale = scale.max(t.abs()).max(lt[(i, j)].abs());
                }
            }
            lse((0..n).map(|j| lt[(i, j)] + lx[j]))
        })
        .collect();
    (out, scale)
}

/// Log outputs: the absolute error in `log y` is the relative error of `y` (bounded by
/// `sweep_tol`) plus the absolute rounding of additions of magnitude at most `scale`.
fn assert_log_close<T: Real>(what: &str, got: &[T], want: &[f64], scale: f64, n: usize) {
    let tol = sweep_tol::<T>(n) * (1.0 + scale);
    for i in 0..got.len() {
        let g = got[i].to_f64();
        if want[i] == f64::NEG_INFINITY {
            assert!(g == f64::NEG_INFINITY, "{what}[{i}]: got {g}, want -inf");
        } else {
            assert!(
                (g - want[i]).abs() <= tol,
                "{what}[{i}]: got {g}, want {}, tol {tol:e}",
                want[i]
            );
        }
    }
}

fn check_products<T: Real>(c: &Case) {
    let n = c.d.len();
    let t = pair::<T>(c);
    let m = widen(&t.to_dense());
    let x: Vec<T> = to_t(&c.x);
    let xw: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
    let tol = sweep_tol::<T>(n);
    let mut out = vec![T::ZERO; n];
    t.apply_in_place(&x, &mut out).unwrap();
    assert_close("T x", &out, &dense_mv(&m, &xw), &abs_mv(&m, &xw), tol);
    let mt = transpose(&m);
    t.apply_transpose_in_place(&x, &mut out).unwrap();
    assert_close("T^T x", &out, &dense_mv(&mt, &xw), &abs_mv(&mt, &xw), tol);
    assert_eq!(t.transpose().to_dense().nrows(), n);
    assert_close(
        "transpose",
        &t.transpose().apply(&x).unwrap(),
        &dense_mv(&mt, &xw),
        &abs_mv(&mt, &xw),
        tol,
    );

    // Row, column and full sums.
    let ones = vec![1.0; n];
    t.row_sums_in_place(&mut out).unwrap();
    assert_close("T 1", &out, &dense_mv(&m, &ones), &abs_mv(&m, &ones), tol);
    t.col_sums_in_place(&mut out).unwrap();
    assert_close(
        "T^T 1",
        &out,
        &dense_mv(&mt, &ones),
        &abs_mv(&mt, &ones),
        tol,
    );
    let total: f64 = dense_mv(&m, &ones).iter().sum();
    let abs_total: f64 = abs_mv(&m, &ones).iter().sum();
    // The full sum adds n more roundings to the row sums.
    assert_close(
        "1^T T 1",
        &[t.sum().unwrap()],
        &[total],
        &[abs_total],
        2.0 * tol,
    );

    // Entries: a product of at most n factors, (n + 1) u relative.
    for i in 0..n {
        for j in 0..n {
            let e = t.entry(i, j).unwrap().to_f64();
            assert!(
                (e - m[(i, j)]).abs() <= tol * m[(i, j)].abs(),
                "entry ({i},{j})"
            );
        }
    }
    assert!(matches!(
        t.entry(n, 0),
        Err(ColtError::IndexOutOfBounds { .. })
    ));

    // Triangles.
    let lo = LowerColt::new(to_t::<T>(&c.d), to_t(&c.r)).unwrap();
    let up = UpperColt::new(to_t::<T>(&c.d), to_t(&c.s)).unwrap();
    let (ml, mu) = (widen(&lo.to_dense()), widen(&up.to_dense()));
    lo.apply_in_place(&x, &mut out).unwrap();
    assert_close("L x", &out, &dense_mv(&ml, &xw), &abs_mv(&ml, &xw), tol);
    lo.apply_transpose_in_place(&x, &mut out).unwrap();
    assert_close(
        "L^T x",
        &out,
        &dense_mv(&transpose(&ml), &xw),
        &abs_mv(&transpose(&ml), &xw),
        tol,
    );
    up.apply_in_place(&x, &mut out).unwrap();
    assert_close("U x", &out, &dense_mv(&mu, &xw), &abs_mv(&mu, &xw), tol);
    up.apply_transpose_in_place(&x, &mut out).unwrap();
    assert_close(
        "U^T x",
        &out,
        &dense_mv(&transpose(&mu), &xw),
        &abs_mv(&transpose(&mu), &xw),
        tol,
    );
    lo.transpose().apply_in_place(&x, &mut out).unwrap();
    assert_close(
        "transpose(L) x",
        &out,
        &dense_mv(&transpose(&ml), &xw),
        &abs_mv(&transpose(&ml), &xw),
        tol,
    );
    let rebuilt = ColtPair::from_triangles(&lo, &up, T::ZERO).unwrap();
    assert_eq!(rebuilt, t);
    for i in 0..n {
        for j in 0..n {
            let want = if i >= j { ml[(i, j)] } else { mu[(i, j)] };
            assert!(
                (want - m[(i, j)]).abs() <= tol * want.abs(),
                "L + U - diag(d) at ({i},{j})"
            );
        }
    }
}

fn check_algebra<T: Real>(c: &Case) {
    let n = c.d.len();
    let t = pair::<T>(c);
    let m = widen(&t.to_dense());
    let tol = sweep_tol::<T>(n);
    let (u, v): (Vec<T>, Vec<T>) = (to_t(&c.u), to_t(&c.v));
    let (uw, vw): (Vec<f64>, Vec<f64>) = (
        u.iter().map(|a| a.to_f64()).collect(),
        v.iter().map(|a| a.to_f64()).collect(),
    );
    // Entries of products/scalings: at most 3n + 3 roundings each, relative.
    // Through the log form, an absolute error u |log w| in the exponent becomes a relative
    // error of that size: the tolerance grows with |log w| there.
    let entries_close = |what: &str, got: &Mat<f64>, want: &dyn Fn(usize, usize) -> f64| {
        let via_log = what.starts_with("log") || what.starts_with("to_log");
        for i in 0..n {
            for j in 0..n {
                let w = want(i, j);
                let t = if via_log {
                    tol * (1.0 + w.ln().abs())
                } else {
                    tol
                };
                assert!(
                    (got[(i, j)] - w).abs() <= t * w.abs(),
                    "{what} ({i},{j}): {} vs {w}",
                    got[(i, j)]
                );
            }
        }
    };
    let other = ColtPair::new(u.clone(), to_t(&c.s), to_t(&c.r)).unwrap();
    let mo = widen(&other.to_dense());
    let h = widen(&t.hadamard(&other).unwrap().to_dense());
    entries_close("hadamard", &h, &|i, j| m[(i, j)] * mo[(i, j)]);
    let sc = widen(&t.scale(&u, &v).unwrap().to_dense());
    entries_close("scale", &sc, &|i, j| uw[i] * m[(i, j)] * vw[j]);
    let lsc = widen(&t.lower().scale(&u, &v).unwrap().to_dense());
    entries_close("lower scale", &lsc, &|i, j| {
        if i >= j {
            uw[i] * m[(i, j)] * vw[j]
        } else {
            0.0
        }
    });
    let usc = widen(&t.upper().scale(&u, &v).unwrap().to_dense());
    entries_close("upper scale", &usc, &|i, j| {
        if i <= j {
            uw[i] * m[(i, j)] * vw[j]
        } else {
            0.0
        }
    });
    let lh = widen(&t.lower().hadamard(&other.lower()).unwrap().to_dense());
    entries_close("lower hadamard", &lh, &|i, j| {
        if i >= j { m[(i, j)] * mo[(i, j)] } else { 0.0 }
    });

    // Log form: conversions, scaling and Hadamard as additions.
    let lt = t.to_log().unwrap();
    let back = widen(&lt.to_linear().unwrap().to_dense());
    entries_close("to_log/to_linear", &back, &|i, j| m[(i, j)]);
    let (lu, lv): (Vec<T>, Vec<T>) = (
        u.iter().map(|a| a.ln()).collect(),
        v.iter().map(|a| a.ln()).collect(),
    );
    let lsc = widen(&lt.scale(&lu, &lv).unwrap().to_dense());
    entries_close("log scale", &lsc, &|i, j| uw[i] * m[(i, j)] * vw[j]);
    let lh = widen(&lt.hadamard(&other.to_log().unwrap()).unwrap().to_dense());
    entries_close("log hadamard", &lh, &|i, j| m[(i, j)] * mo[(i, j)]);
    let lp = widen(&lt.powf(T::from_f64(2.0)).unwrap().to_dense());
    entries_close("log powf", &lp, &|i, j| m[(i, j)] * m[(i, j)]);
    for i in 0..n {
        for j in 0..n {
            let le = lt.log_entry(i, j).unwrap().to_f64();
            assert!(
                (le.exp() - m[(i, j)]).abs() <= tol * m[(i, j)] * (1.0 + le.abs()),
                "log_entry ({i},{j})"
            );
        }
    }
}

fn check_log_products<T: Real>(c: &Case) {
    let n = c.d.len();
    let lt = pair::<T>(c).to_log().unwrap();
    let dl = widen(&lt.to_dense_log());
    let lx: Vec<T> = to_t(&c.lx);
    let lxw: Vec<f64> = lx.iter().map(|v| v.to_f64()).collect();
    let mut out = vec![T::ZERO; n];
    lt.log_apply_in_place(&lx, &mut out).unwrap();
    let (want, scale) = dense_log_mv(&dl, &lxw);
    assert_log_close("log T exp(lx)", &out, &want, scale, n);
    lt.log_apply_transpose_in_place(&lx, &mut out).unwrap();
    let (want, scale) = dense_log_mv(&transpose(&dl), &lxw);
    assert_log_close("log T^T exp(lx)", &out, &want, scale, n);
    let owned = lt.log_apply_transpose(&lx).unwrap();
    assert_log_close("log T^T exp(lx), owning", &owned, &want, scale, n);
    let zeros = vec![0.0; n];
    lt.log_row_sums_in_place(&mut out).unwrap();
    let (want, scale) = dense_log_mv(&dl, &zeros);
    assert_log_close("log T 1", &out, &want, scale, n);
    lt.log_col_sums_in_place(&mut out).unwrap();
    let (want_c, scale_c) = dense_log_mv(&transpose(&dl), &zeros);
    assert_log_close("log T^T 1", &out, &want_c, scale_c, n);
    let total = lse(want.iter().copied());
    assert_log_close(
        "log 1^T T 1",
        &[lt.log_sum().unwrap()],
        &[total],
        scale,
        2 * n,
    );
}

fn check_distance<T: Real>(c: &Case) {
    let n = c.d.len();
    let t = pair::<T>(c);
    let m = widen(&t.to_dense());
    let x: Vec<T> = to_t(&c.support);
    let xw: Vec<f64> = x.iter().map(|v| v.to_f64()).collect();
    let cm = Mat::from_fn(n, n, |i, j| (xw[i] - xw[j]).abs() * m[(i, j)]);
    let v: Vec<T> = to_t(&c.v);
    let vw: Vec<f64> = v.iter().map(|a| a.to_f64()).collect();
    // The B/E recurrences do two multiplies and two adds per step, plus the gap subtraction:
    // twice the sweep bound.
    let tol = 2.0 * sweep_tol::<T>(n);
    let mut out = vec![T::ZERO; n];
    t.distance_apply_in_place(&x, &v, &mut out).unwrap();
    assert_close("(C.T) v", &out, &dense_mv(&cm, &vw), &abs_mv(&cm, &vw), tol);
    t.distance_row_sums_in_place(&x, &mut out).unwrap();
    let ones = vec![1.0; n];
    assert_close(
        "(C.T) 1",
        &out,
        &dense_mv(&cm, &ones),
        &abs_mv(&cm, &ones),
        tol,
    );
    let total: f64 = dense_mv(&cm, &ones).iter().sum();
    let abs_total: f64 = abs_mv(&cm, &ones).iter().sum();
    assert_close(
        "<C, T>",
        &[t.distance_sum(&x).unwrap()],
        &[total],
        &[abs_total],
        2.0 * tol,
    );

    let lt = t.to_log().unwrap();
    let lv: Vec<T> = to_t(&c.lx);
    let lvw: Vec<f64> = lv.iter().map(|a| a.to_f64()).collect();
    lt.log_distance_apply_in_place(&x, &lv, &mut out).unwrap();
    let lcm = Mat::from_fn(n, n, |i, j| cm[(i, j)].ln());
    let (want, scale) = dense_log_mv(&lcm, &lvw);
    assert_log_close("log (C.T) exp(lv)", &out, &want, scale, 2 * n);
    let (rows, scale) = dense_log_mv(&lcm, &vec![0.0; n]);
    assert_log_close(
        "log <C, T>",
        &[lt.log_distance_sum(&x).unwrap()],
        &[lse(rows.into_iter())],
        scale,
        4 * n,
    );
}

fn check_axes<T: Real>(c: &Case) {
    let (n, b) = (c.d.len(), c.batch);
    let t = pair::<T>(c);
    let lt = t.to_log().unwrap();
    let m = widen(&t.to_dense());
    let dl = widen(&lt.to_dense_log());
    let a: Vec<T> = to_t(&c.a);
    let aw: Vec<f64> = a.iter().map(|v| v.to_f64()).collect();
    let tol = sweep_tol::<T>(n);
    let params = ParallelParams {
        min_parallel_len: 8,
    }; // exercise the rayon path on small arrays
    let mut out = vec![T::ZERO; n * b];
    // Axis 1 / batch: the array is b x n, every row gets T.
    for mode in 0..3 {
        match mode {
            0 => t
                .apply_axis_in_place(&a, b, n, Axis::One, &mut out)
                .unwrap(),
            1 => t
                .apply_axis_in_place_with(&a, b, n, Axis::One, &mut out, &params)
                .unwrap(),
            _ => t.apply_batch_in_place(&a, &mut out, &params).unwrap(),
        }
        for row in 0..b {
            let xr = &aw[row * n..(row + 1) * n];
            assert_close(
                "axis 1",
                &out[row * n..(row + 1) * n],
                &dense_mv(&m, xr),
                &abs_mv(&m, xr),
                tol,
            );
        }
    }
    // Axis 0: the array is n x b, every column gets T.
    t.apply_axis_in_place(&a, n, b, Axis::Zero, &mut out)
        .unwrap();
    let lx: Vec<T> = a.iter().map(|&v| v * T::from_f64(20.0)).collect();
    let lxw: Vec<f64> = lx.iter().map(|v| v.to_f64()).collect();
    let mut lout = vec![T::ZERO; n * b];
    lt.log_apply_axis_in_place(&lx, n, b, Axis::Zero, &mut lout)
        .unwrap();
    for col in 0..b {
        let xc: Vec<f64> = (0..n).map(|i| aw[i * b + col]).collect();
        let got: Vec<T> = (0..n).map(|i| out[i * b + col]).collect();
        assert_close("axis 0", &got, &dense_mv(&m, &xc), &abs_mv(&m, &xc), tol);
        let lxc: Vec<f64> = (0..n).map(|i| lxw[i * b + col]).collect();
        let lgot: Vec<T> = (0..n).map(|i| lout[i * b + col]).collect();
        let (want, scale) = dense_log_mv(&dl, &lxc);
        assert_log_close("log axis 0", &lgot, &want, scale, n);
    }
    for mode in 0..2 {
        match mode {
            0 => lt
                .log_apply_axis_in_place_with(&lx, b, n, Axis::One, &mut lout, &params)
                .unwrap(),
            _ => lt
                .log_apply_batch_in_place(&lx, &mut lout, &ParallelParams::default())
                .unwrap(),
        }
        for row in 0..b {
            let (want, scale) = dense_log_mv(&dl, &lxw[row * n..(row + 1) * n]);
            assert_log_close("log axis 1", &lout[row * n..(row + 1) * n], &want, scale, n);
        }
    }
}

fn check_construction<T: Real>(c: &Case) {
    let n = c.d.len();
    let t = pair::<T>(c);
    let tol = T::from_f64(sweep_tol::<T>(n));
    let dense = t.to_dense();
    let back = ColtPair::from_dense(dense.as_ref(), tol).unwrap();
    let (m, mb) = (widen(&dense), widen(&back.to_dense()));
    for i in 0..n {
        for j in 0..n {
            // Ratios recovered by one division each, entries rebuilt by at most n products.
            assert!((m[(i, j)] - mb[(i, j)]).abs() <= 2.0 * sweep_tol::<T>(n) * m[(i, j)].abs());
        }
    }
    if n >= 3 {
        let mut bad = dense.clone();
        bad[(n - 1, 0)] += T::ONE;
        assert!(
            matches!(ColtPair::from_dense(bad.as_ref(), tol), Err(ColtError::NotColt { row, col: 0, .. }) if row == n - 1)
        );
    }
    // Factors: alpha = u, beta = v, delta = u reversed-ish, gamma chosen so the diagonals agree.
    let alpha: Vec<T> = to_t(&c.u);
    let beta: Vec<T> = to_t(&c.v);
    let delta: Vec<T> = to_t(&c.d);
    let gamma: Vec<T> = (0..n).map(|i| alpha[i] * beta[i] / delta[i]).collect();
    let f = ColtPair::from_factors(&alpha, &beta, &gamma, &delta, tol).unwrap();
    let mf = widen(&f.to_dense());
    for i in 0..n {
        for j in 0..n {
            let want = if i >= j {
                alpha[i].to_f64() * beta[j].to_f64()
            } else {
                gamma[i].to_f64() * delta[j].to_f64()
            };
            assert!(
                (mf[(i, j)] - want).abs() <= 2.0 * sweep_tol::<T>(n) * want.abs(),
                "factors ({i},{j})"
            );
        }
    }
}

fn check_gibbs<T: Real>(c: &Case) {
    let n = c.support.len();
    let x: Vec<T> = to_t(&c.support);
    let eps = T::from_f64(0.2);
    let pair = ColtPair::gibbs(&x, eps).unwrap();
    let k = widen(&pair.to_dense());
    let lk = widen(&LogColtPair::gibbs(&x, eps).unwrap().to_dense());
    // Products on the symmetric unit-diagonal path (`d = 1`, `r = s`) against the dense kernel
    // it stores, and against the general path on the same kernel scaled by a diagonal.
    let v: Vec<T> = to_t(&c.x);
    let vw: Vec<f64> = v.iter().map(|a| a.to_f64()).collect();
    let (want, abs) = (dense_mv(&k, &vw), abs_mv(&k, &vw));
    assert_close(
        "gibbs K x",
        &pair.apply(&v).unwrap(),
        &want,
        &abs,
        sweep_tol::<T>(n),
    );
    assert_close(
        "gibbs K^T x",
        &pair.apply_transpose(&v).unwrap(),
        &want,
        &abs,
        sweep_tol::<T>(n),
    );
    if n > 0 {
        let mut d = vec![T::ONE; n];
        d[0] = T::from_f64(2.0);
        let general = ColtPair::new(d, pair.r().to_vec(), pair.s().to_vec()).unwrap();
        let mut v2 = v.clone();
        v2[0] *= T::from_f64(0.5); // column 0 of `general` is twice that of `pair` from row 0 on
        let mut got = general.apply(&v2).unwrap();
        got[0] = pair.apply(&v).unwrap()[0]; // row 0 of `general` is also twice as large
        assert_close(
            "gibbs K x, general path",
            &got,
            &want,
            &abs,
            2.0 * sweep_tol::<T>(n),
        );
    }
    for i in 0..n {
        for j in 0..n {
            let want = (-(x[i].to_f64() - x[j].to_f64()).abs() / eps.to_f64()).exp();
            // exp of a sum of n rounded gaps: relative (n + 2) u times the exponent magnitude.
            let tol = sweep_tol::<T>(n) * (1.0 + want.ln().abs());
            assert!((k[(i, j)] - want).abs() <= tol * want, "gibbs ({i},{j})");
            assert!(
                (lk[(i, j)] - want).abs() <= tol * want,
                "log gibbs ({i},{j})"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn products_match_dense(c in case()) {
        check_products::<f64>(&c);
        check_products::<f32>(&c);
    }

    #[test]
    fn algebra_matches_dense(c in case()) {
        check_algebra::<f64>(&c);
        check_algebra::<f32>(&c);
    }

    #[test]
    fn log_products_match_dense(c in case()) {
        check_log_products::<f64>(&c);
        check_log_products::<f32>(&c);
    }

    #[test]
    fn distance_products_match_dense(c in case()) {
        check_distance::<f64>(&c);
        check_distance::<f32>(&c);
    }

    #[test]
    fn axes_and_batches_match_dense(c in case()) {
        check_axes::<f64>(&c);
        check_axes::<f32>(&c);
    }

    #[test]
    fn constructions_match_dense(c in case()) {
        check_construction::<f64>(&c);
        check_construction::<f32>(&c);
        check_gibbs::<f64>(&c);
        check_gibbs::<f32>(&c);
    }
}

/// The edge sizes are always covered, whatever proptest draws.
#[test]
fn edge_sizes() {
    for n in [0usize, 1, 2, 3] {
        let m = n.saturating_sub(1);
        let c = Case {
            d: vec![1.5; n],
            r: vec![0.5; m],
            s: vec![1.25; m],
            x: (0..n).map(|i| i as f64 - 1.0).collect(),
            u: vec![2.0; n],
            v: vec![0.5; n],
            lx: vec![f64::NEG_INFINITY; n],
            support: (0..n).map(|i| i as f64 * 0.1).collect(),
            batch: 2,
            a: (0..2 * n).map(|i| i as f64).collect(),
        };
        check_products::<f64>(&c);
        check_algebra::<f32>(&c);
        check_log_products::<f64>(&c);
        check_distance::<f64>(&c);
        check_axes::<f32>(&c);
        check_construction::<f64>(&c);
    }
}

/// Every size up to 40 once (the interleaved sweeps meet in the middle differently for each
/// parity and remainder), with non-uniform parameters.
#[test]
fn every_small_size() {
    for n in 0usize..=40 {
        let m = n.saturating_sub(1);
        let wave = |k: usize, a: f64, b: f64| a + b * ((k as f64) * 0.7).sin().abs();
        let c = Case {
            d: (0..n).map(|k| wave(k, 0.5, 1.5)).collect(),
            r: (0..m).map(|k| wave(k + 3, 0.1, 1.2)).collect(),
            s: (0..m).map(|k| wave(k + 7, 0.1, 1.2)).collect(),
            x: (0..n).map(|k| ((k as f64) * 1.3).cos()).collect(),
            u: (0..n).map(|k| wave(k, 0.2, 2.0)).collect(),
            v: (0..n).map(|k| wave(k + 1, 0.2, 2.0)).collect(),
            lx: (0..n)
                .map(|k| {
                    if k % 5 == 2 {
                        f64::NEG_INFINITY
                    } else {
                        (k as f64) - 20.0
                    }
                })
                .collect(),
            support: (0..n)
                .map(|k| (k as f64) * 0.05 + 0.01 * ((k * k) as f64).sqrt())
                .collect(),
            batch: 1,
            a: (0..n).map(|k| (k as f64) * 0.1).collect(),
        };
        check_products::<f64>(&c);
        check_products::<f32>(&c);
        check_log_products::<f64>(&c);
        check_distance::<f32>(&c);
    }
}

/// The log-domain Gibbs products across many blocks of the blocked log sweep (32 elements):
/// tame blocks (moderate `eps`, smooth log inputs) evaluated in linear form, blocks holding a
/// zero mass or a small `eps` by the per-element steps, and every mix of the two, against
/// dense log-sum-exp in f64 with the crate's log tolerance.
#[test]
fn log_gibbs_products_across_blocks_match_dense() {
    let mut g = common::Lcg(5);
    for n in [33usize, 64, 65, 200, 333] {
        let x: Vec<f64> = (0..n)
            .map(|i| (i as f64 + 0.3 * (i as f64).sin()) / n as f64)
            .collect();
        for eps in [1.0, 0.05, 2e-3, 1e-4] {
            let lk = LogColtPair::gibbs(&x, eps).unwrap();
            let dl = lk.to_dense_log();
            for zeros in [false, true] {
                let lx: Vec<f64> = (0..n)
                    .map(|i| {
                        if zeros && i % 37 == 5 {
                            f64::NEG_INFINITY
                        } else {
                            -0.5 * x[i] / eps + 3.0 * g.next()
                        }
                    })
                    .collect();
                let mut out = vec![0.0; n];
                lk.log_apply_in_place(&lx, &mut out).unwrap();
                let (want, scale) = dense_log_mv(&dl, &lx);
                assert_log_close("log K exp(lx), blocks", &out, &want, scale, n);
                lk.log_apply_transpose_in_place(&lx, &mut out).unwrap();
                let (want, scale) = dense_log_mv(&transpose(&dl), &lx);
                assert_log_close("log K^T exp(lx), blocks", &out, &want, scale, n);
            }
        }
    }
}
