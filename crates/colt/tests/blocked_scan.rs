//! Large sizes (the blocked scan of the triangles above `2 * TILE`, the interleaved sweeps of
//! the pair) against direct O(N^2) sums, and the f32 rounding error when `eps >> h`.

mod common;

use colt::sweep::TILE;
use colt::{ColtPair, LowerColt, ParallelParams, UpperColt};
use common::Lcg;

/// Row i of `T x` by direct summation, entries from running products (no dense matrix).
fn direct_row(t: &ColtPair<f64>, x: &[f64], i: usize) -> (f64, f64) {
    let (d, r, s) = (t.d(), t.r(), t.s());
    let (mut sum, mut abs) = (d[i] * x[i], (d[i] * x[i]).abs());
    let mut w = 1.0;
    for j in (0..i).rev() {
        w *= r[j];
        let term = d[j] * w * x[j];
        sum += term;
        abs += term.abs();
    }
    let mut w = d[i];
    for j in i + 1..x.len() {
        w *= s[j - 1];
        let term = w * x[j];
        sum += term;
        abs += term.abs();
    }
    (sum, abs)
}

fn plain_forward_f32(r: &[f32], x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    let mut p = 0.0f32;
    for i in 0..x.len() {
        p = if i > 0 { r[i - 1] * p + x[i] } else { x[i] };
        out[i] = p;
    }
    out
}

#[test]
fn blocked_path_matches_direct_sums() {
    let mut g = Lcg(7);
    for n in [2 * TILE, 2 * TILE + 1, 3 * TILE + 77, 4 * TILE - 1] {
        let d: Vec<f64> = (0..n).map(|_| 0.5 + g.next()).collect();
        let r: Vec<f64> = (1..n).map(|_| 0.9 + 0.1 * g.next()).collect();
        let s: Vec<f64> = (1..n).map(|_| 0.9 + 0.1 * g.next()).collect();
        let x: Vec<f64> = (0..n).map(|_| g.next() - 0.3).collect();
        let t = ColtPair::new(d.clone(), r.clone(), s.clone()).unwrap();
        let y = t.apply(&x).unwrap();
        let yt = t.apply_transpose(&x).unwrap();
        let tt = t.transpose();

        let up = UpperColt::new(d.clone(), s.clone()).unwrap();
        let mut yu = vec![0.0; n];
        up.apply_in_place(&x, &mut yu).unwrap();
        let mut yl = vec![0.0; n];
        LowerColt::new(up.d().to_vec(), t.r().to_vec())
            .unwrap()
            .apply_in_place(&x, &mut yl)
            .unwrap();
        let lower_only = ColtPair::new(up.d().to_vec(), t.r().to_vec(), vec![0.0; n - 1]).unwrap();
        let mut lt = vec![0.0; n];
        LowerColt::new(d, r)
            .unwrap()
            .apply_transpose_in_place(&x, &mut lt)
            .unwrap();
        let two: Vec<f64> = x.iter().chain(&x).copied().collect();
        let mut batch = vec![0.0; 2 * n];
        t.apply_batch_in_place(
            &two,
            &mut batch,
            &ParallelParams {
                min_parallel_len: 1,
            },
        )
        .unwrap();
        // Bound: n_eff <= 1/(1 - 0.95) = 20 on average here; (4 * 64 + 8) u is generous and
        // still 5 orders of magnitude below any indexing or carry mistake.
        let tol = (4.0 * 64.0 + 8.0) * f64::EPSILON / 2.0;
        let upper_only = ColtPair::new(up.d().to_vec(), vec![0.0; n - 1], up.s().to_vec()).unwrap();
        for i in (0..n).step_by(7).chain([n - 1]) {
            let (want, abs) = direct_row(&t, &x, i);
            assert!(
                (y[i] - want).abs() <= tol * abs,
                "n={n} T x at {i}: {} vs {want}",
                y[i]
            );
            assert!(
                (batch[i] - want).abs() <= tol * abs && (batch[n + i] - want).abs() <= tol * abs
            );
            let (want_t, abs_t) = direct_row(&tt, &x, i);
            assert!((yt[i] - want_t).abs() <= tol * abs_t, "n={n} T^T x at {i}");
            let (want_l, abs_l) = direct_row(&lower_only, &x, i);
            assert!((yl[i] - want_l).abs() <= tol * abs_l, "n={n} L x at {i}");
            let (want_u, abs_u) = direct_row(&upper_only, &x, i);
            assert!((yu[i] - want_u).abs() <= tol * abs_u, "n={n} U x at {i}");
            let lower_t = ColtPair::new(up.d().to_vec(), vec![0.0; n - 1], t.r().to_vec()).unwrap();
            let (want_l, abs_l) = direct_row(&lower_t, &x, i);
            assert!((lt[i] - want_l).abs() <= tol * abs_l, "n={n} L^T x at {i}");
        }
    }
}

#[test]
fn blocked_scan_error_when_eps_much_larger_than_h() {
    let n = 200_000;
    let eps = 1.0f32;
    let xs: Vec<f32> = (0..n).map(|i| i as f32 / (n - 1) as f32).collect();
    let k = ColtPair::<f32>::gibbs(&xs, eps).unwrap();
    let v: Vec<f32> = (0..n)
        .map(|i| 1.0 + 0.5 * ((i as f32) * 0.37).sin())
        .collect();
    let got = k.apply(&v).unwrap();
    // Reference: the same (f32-rounded) ratios, widened, swept in f64.
    let k64 = ColtPair::new(
        vec![1.0; n],
        k.r().iter().map(|&a| a as f64).collect(),
        k.s().iter().map(|&a| a as f64).collect(),
    )
    .unwrap();
    let want = k64
        .apply(&v.iter().map(|&a| a as f64).collect::<Vec<_>>())
        .unwrap();
    let plain = plain_forward_f32(k.r(), &v);
    let plain_ref = {
        let r64: Vec<f64> = k.r().iter().map(|&a| a as f64).collect();
        let mut p = 0.0f64;
        (0..n)
            .map(|i| {
                p = if i > 0 {
                    r64[i - 1] * p + v[i] as f64
                } else {
                    v[i] as f64
                };
                p
            })
            .collect::<Vec<f64>>()
    };
    let rel = |a: &[f32], b: &[f64]| {
        a.iter()
            .zip(b)
            .map(|(&p, &q)| ((p as f64 - q) / q).abs())
            .fold(0.0f64, f64::max)
    };
    let (e_blocked, e_plain) = (rel(&got, &want), rel(&plain, &plain_ref));
    eprintln!(
        "f32 N={n} eps/h={}: blocked (f64 carries) {e_blocked:e}, plain f32 forward sweep {e_plain:e}",
        n - 1
    );
    // Bound: the recurrences run in f64 (n_eff <= N terms: (4N + 8) u_64 ~ 1e-10), then at
    // most three roundings to f32 (local sum, backward add, fix-up): 3 u_32 + 1e-10.
    let bound = 3.0 * f32::EPSILON as f64 / 2.0 + (4.0 * n as f64 + 8.0) * f64::EPSILON / 2.0;
    assert!(
        e_blocked <= bound,
        "f32 blocked error {e_blocked:e} > {bound:e}"
    );
    // ...while a sweep carried in f32 loses orders of magnitude more here (measured ~2e-5).
    assert!(
        e_plain > 10.0 * bound,
        "plain f32 sweep unexpectedly accurate: {e_plain:e}"
    );
}

#[test]
fn unit_diagonal_and_symmetric_paths_match_direct_sums() {
    let mut g = Lcg(11);
    let n = 3 * TILE + 77;
    let r: Vec<f64> = (1..n).map(|_| 0.9 + 0.1 * g.next()).collect();
    let s: Vec<f64> = (1..n).map(|_| 0.9 + 0.1 * g.next()).collect();
    let x: Vec<f64> = (0..n).map(|_| g.next()).collect();
    // Same bound as above (n_eff ~ 20, generous 64).
    let tol = (4.0 * 64.0 + 8.0) * f64::EPSILON / 2.0;
    for (rr, ss) in [(r.clone(), s.clone()), (r.clone(), r.clone())] {
        let t = ColtPair::new(vec![1.0; n], rr, ss).unwrap();
        let y = t.apply(&x).unwrap();
        let yt = t.apply_transpose(&x).unwrap();
        let tt = t.transpose();
        for i in (0..n).step_by(5).chain([n - 1]) {
            let (want, abs) = direct_row(&t, &x, i);
            assert!((y[i] - want).abs() <= tol * abs, "T x at {i}");
            let (want_t, abs_t) = direct_row(&tt, &x, i);
            assert!((yt[i] - want_t).abs() <= tol * abs_t, "T^T x at {i}");
        }
    }
}

#[test]
fn gibbs_matvec_agrees_with_dense_faer() {
    // The xtask claim: blocked path (n >= 2 * TILE) against faer's dense product. Bound
    // (4 n_eff + 8) u with n_eff = min(n, eps / h) plus n u for the dense product.
    let n = 2 * TILE + 301;
    for eps in [1.0, 0.01] {
        let (lin, log) = colt::scaling::matvec_error_vs_dense(n, eps);
        let n_eff = (n as f64).min(eps * (n - 1) as f64);
        let bound = (4.0 * n_eff + 8.0 + n as f64) * f64::EPSILON / 2.0;
        assert!(lin <= bound, "eps {eps}: linear error {lin:e} > {bound:e}");
        // Log form: relative error of the sum becomes absolute error of its log.
        assert!(log <= bound, "eps {eps}: log error {log:e} > {bound:e}");
    }
}

#[test]
fn uniform_ratio_path_matches_direct_sums_and_general_path() {
    // `gibbs_uniform` takes the one-scalar-ratio path (all r_k = s_k equal); it must give the
    // same products as the direct sums, and as the general path on the same kernel (entered by
    // a diagonal that is 1 but for one entry, then scaled back).
    let mut g = Lcg(5);
    for n in (0..12).chain([101, 3 * TILE + 77]) {
        let t = ColtPair::gibbs_uniform(n, 0.5, 4.0).unwrap();
        assert!(
            t.r()
                .iter()
                .all(|&v| (v - (-0.125f64).exp()).abs() <= f64::EPSILON)
        );
        let x: Vec<f64> = (0..n).map(|_| g.next() - 0.3).collect();
        let y = t.apply(&x).unwrap();
        let yt = t.apply_transpose(&x).unwrap();
        // n_eff = 1/(1 - rho) ~ 8.5 here; (4 * 16 + 8) u is the sweep bound with slack.
        let tol = (4.0 * 16.0 + 8.0) * f64::EPSILON / 2.0;
        for i in 0..n {
            let (want, abs) = direct_row(&t, &x, i);
            assert!((y[i] - want).abs() <= tol * abs, "n {n}: T x at {i}");
            assert!((yt[i] - want).abs() <= tol * abs, "n {n}: T^T x at {i}");
        }
        if n > 0 {
            let mut d = vec![1.0; n];
            d[0] = 2.0;
            let general = ColtPair::new(d, t.r().to_vec(), t.s().to_vec()).unwrap();
            let mut x2 = x.clone();
            x2[0] *= 0.5; // column 0 of `general` is twice that of `t` on and below the diagonal
            let yg = general.apply(&x2).unwrap();
            for i in 1..n {
                let (_, abs) = direct_row(&t, &x, i);
                assert!(
                    (yg[i] - y[i]).abs() <= 2.0 * tol * abs,
                    "n {n}: paths differ at {i}"
                );
            }
        }
    }
    assert!(ColtPair::gibbs_uniform(3, 0.0, 1.0).is_err());
    assert!(ColtPair::gibbs_uniform(3, 1.0, f64::NAN).is_err());
}
