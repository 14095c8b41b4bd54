//! Small eps on a long support: the raw factors `e^{x/eps}` (here up to `e^{10^4}`) overflow
//! f64, yet every operation stays finite and matches an independent evaluation (direct sums
//! over a window computed from coordinates, or closed forms).

mod common;

use colt::{Axis, ColtPair, LogColtPair};

const N: usize = 100_000;
const EPS: f64 = 1e-3;
/// Beyond this many neighbours `exp(-|x_i - x_j| / eps) = e^{-0.1 m} < 1e-26`: negligible
/// next to the diagonal term 1 at f64 precision.
const WINDOW: usize = 600;
/// Rows checked by direct summation (every `STRIDE`-th row, plus both ends).
const STRIDE: usize = 97;

fn support() -> Vec<f64> {
    (0..N).map(|i| 10.0 * i as f64 / (N - 1) as f64).collect()
}

fn rows() -> impl Iterator<Item = usize> {
    (0..N).step_by(STRIDE).chain([N - 1])
}

/// `sum_j exp(-|x_i - x_j| / eps) f(j)` over the window, from coordinates.
fn direct(x: &[f64], i: usize, f: impl Fn(usize) -> f64) -> f64 {
    let (lo, hi) = (i.saturating_sub(WINDOW), (i + WINDOW + 1).min(N));
    (lo..hi)
        .map(|j| (-(x[i] - x[j]).abs() / EPS).exp() * f(j))
        .sum()
}

/// The products here run over n_eff = 1/(1 - e^{-0.1}) ~ 10.5 effective terms; with the
/// blocked scan's bound (4 n_eff + 8) u per product plus ~WINDOW u for the direct sum,
/// 1e-12 relative is a safe bound (measured: ~1e-15).
const REL: f64 = 1e-12;
/// Sums over all N rows (plain summation, `gamma_N`), and log sweeps whose scaled chain does
/// not decay (n_eff = N): `4 N u`.
const REL_N: f64 = 4.0 * N as f64 * f64::EPSILON / 2.0;

/// `sum_{m=1}^{M} q^m` for the geometric tails of the scaled kernels.
fn geometric_tail(q: f64, m: usize) -> f64 {
    q * (1.0 - q.powi(m as i32)) / (1.0 - q)
}

#[test]
fn raw_factors_overflow() {
    let x = support();
    assert!(
        (x[N - 1] / EPS).exp().is_infinite(),
        "the test must be in the overflow regime"
    );
}

#[test]
fn linear_operations_are_finite_and_correct() {
    let x = support();
    let k = ColtPair::gibbs(&x, EPS).unwrap();
    let v: Vec<f64> = (0..N)
        .map(|i| 1.0 + (i as f64 * 0.01).sin().abs())
        .collect();
    let kv = k.apply(&v).unwrap();
    let ktv = k.apply_transpose(&v).unwrap();
    let mut rs = vec![0.0; N];
    k.row_sums_in_place(&mut rs).unwrap();
    let mut cost = vec![0.0; N];
    k.distance_apply_in_place(&x, &v, &mut cost).unwrap();
    assert!(
        kv.iter()
            .chain(&ktv)
            .chain(&rs)
            .chain(&cost)
            .all(|t| t.is_finite())
    );
    for i in rows() {
        let want = direct(&x, i, |j| v[j]);
        assert!(
            (kv[i] - want).abs() <= REL * want,
            "K v at {i}: {} vs {want}",
            kv[i]
        );
        assert!((ktv[i] - want).abs() <= REL * want, "K^T v at {i}");
        let ones = direct(&x, i, |_| 1.0);
        assert!((rs[i] - ones).abs() <= REL * ones, "row sum at {i}");
        let c = direct(&x, i, |j| (x[i] - x[j]).abs() * v[j]);
        assert!(
            (cost[i] - c).abs() <= REL * c,
            "(C.K) v at {i}: {} vs {c}",
            cost[i]
        );
    }
    // Closed forms on the uniform grid: interior row sum (1 + rho) / (1 - rho).
    let rho = (-(x[1] - x[0]) / EPS).exp();
    let interior = (1.0 + rho) / (1.0 - rho);
    assert!((rs[N / 2] - interior).abs() <= REL * interior);
    let total = k.sum().unwrap();
    let total_direct: f64 = rs.iter().sum();
    assert!(total.is_finite() && (total - total_direct).abs() <= REL_N * total_direct);
    let cost_total = k.distance_sum(&x).unwrap();
    // Closed form on the uniform grid: sum_ij |i - j| h rho^|i-j| = 2 h sum_k (N - k) k rho^k
    // (a sum of N positive terms: REL per term from the grid's last-bit gap differences, as
    // for the row sums above, plus REL_N for the summation).
    let h = x[1] - x[0];
    let closed: f64 = 2.0
        * h
        * (1..N)
            .map(|k| (N - k) as f64 * k as f64 * rho.powi(k as i32))
            .sum::<f64>();
    assert!(
        cost_total.is_finite() && (cost_total - closed).abs() <= (REL + REL_N) * closed,
        "sum C.K {cost_total:e} vs closed form {closed:e}"
    );
    // Hadamard with itself is the kernel at eps / 2; scaling by u = v = 2 multiplies by 4.
    let k2 = k.hadamard(&k).unwrap();
    let direct_half = LogColtPair::gibbs(&x, EPS / 2.0)
        .unwrap()
        .to_linear()
        .unwrap();
    let (a, b) = (k2.apply(&v).unwrap(), direct_half.apply(&v).unwrap());
    assert!(a.iter().zip(&b).all(|(p, q)| (p - q).abs() <= REL * q));
    let sc = k
        .scale(&vec![2.0; N], &vec![2.0; N])
        .unwrap()
        .apply(&v)
        .unwrap();
    assert!(
        sc.iter()
            .zip(&kv)
            .all(|(p, q)| (p - 4.0 * q).abs() <= REL * 4.0 * q)
    );
    // e^{-10^4} underflows: repeated products bottom out in the subnormal range (the
    // smallest subnormal times 0.905 rounds back to itself), never overflow or NaN.
    let far = k.entry(N - 1, 0).unwrap();
    assert!((0.0..1e-300).contains(&far), "far entry {far:e}");
    assert!((k.entry(5, 3).unwrap() - rho * rho).abs() <= REL * rho * rho);
}

#[test]
fn log_operations_are_finite_and_correct() {
    let x = support();
    let lk = LogColtPair::gibbs(&x, EPS).unwrap();
    // Potentials of the size a solver meets: f_i = +-x_i / eps, up to 10^4, far outside the
    // exponent range of f64.
    let lv: Vec<f64> = x.iter().map(|&t| -t / EPS).collect();
    let out = lk.log_apply(&lv).unwrap();
    assert!(out.iter().all(|t| t.is_finite()));
    let rho2 = (-2.0 * (x[1] - x[0]) / EPS).exp();
    for i in rows() {
        // sum_j exp(-|x_i - x_j|/eps - x_j/eps) = e^{-x_i/eps} ((i + 1) + sum_{m>=1} rho^{2m}):
        // every term left of i equals e^{-x_i/eps}. The chain does not decay: REL_N.
        let want = -x[i] / EPS + ((i + 1) as f64 + geometric_tail(rho2, N - 1 - i)).ln();
        let err = (out[i] - want).abs();
        assert!(
            err <= REL_N * want.abs().max(1.0),
            "log K exp(lv) at {i}: {} vs {want}",
            out[i]
        );
    }
    // diag(e^{x/eps}) K diag(e^{-x/eps}): lower triangle all ones, upper exp(-2 (x_j - x_i)/eps).
    let lu: Vec<f64> = x.iter().map(|&t| t / EPS).collect();
    let scaled = lk.scale(&lu, &lv).unwrap();
    let mut rs = vec![0.0; N];
    scaled.log_row_sums_in_place(&mut rs).unwrap();
    for i in rows() {
        let want = ((i + 1) as f64 + geometric_tail(rho2, N - 1 - i)).ln();
        let err = (rs[i] - want).abs();
        assert!(
            err <= REL_N * want.abs().max(1.0),
            "scaled row sum at {i}: {} vs {want}",
            rs[i]
        );
    }
    let mut cs = vec![0.0; N];
    scaled.log_col_sums_in_place(&mut cs).unwrap();
    assert!(cs.iter().all(|t| t.is_finite()));
    assert!(scaled.log_sum().unwrap().is_finite());
    let lcost = lk.log_distance_sum(&x).unwrap();
    let cost = ColtPair::gibbs(&x, EPS).unwrap().distance_sum(&x).unwrap();
    assert!((lcost - cost.ln()).abs() <= REL_N * cost.ln().abs().max(1.0));
    let mut lcv = vec![0.0; N];
    lk.log_distance_apply_in_place(&x, &lv, &mut lcv).unwrap();
    let h = x[1] - x[0];
    for i in rows() {
        // Left of i every kernel factor cancels: sum_{j<i} (x_i - x_j) = h i (i + 1) / 2;
        // right of i the terms decay like rho^{2m} and the window sum is exact.
        let right: f64 = (i + 1..(i + WINDOW).min(N))
            .map(|j| (x[j] - x[i]) * (-2.0 * (x[j] - x[i]) / EPS).exp())
            .sum();
        let want = -x[i] / EPS + (h * (i * (i + 1)) as f64 / 2.0 + right).ln();
        let err = (lcv[i] - want).abs();
        assert!(
            err <= REL_N * want.abs().max(1.0),
            "log (C.K) at {i}: {} vs {want}",
            lcv[i]
        );
    }
    // log_entry sums N - 1 log-ratios -(x_{k+1} - x_k) / eps. Each gap carries the rounding of
    // x (|x| <= 10: 10 u absolute on a gap of 1e-4, i.e. 1.1e-12 per term), plus N u 10^4 for
    // the running sum: worst case ~2e-7. The same f64 operations replayed in Python give
    // 2.2e-9; 1e-8 is that measured reference with a ~4x margin.
    assert!(
        (lk.log_entry(N - 1, 0).unwrap() + 1e4).abs() <= 1e-8,
        "log entry stays exact: -10^4"
    );
    // Axis application of the same operator on a 2-column array equals two 1D products.
    let two: Vec<f64> = lv.iter().flat_map(|&t| [t, 0.0]).collect();
    let mut out2 = vec![0.0; 2 * N];
    lk.log_apply_axis_in_place(&two, N, 2, Axis::Zero, &mut out2)
        .unwrap();
    for i in rows() {
        assert!((out2[2 * i] - out[i]).abs() <= REL_N * out[i].abs().max(1.0));
    }
}
