//! `UniformGibbs`'s one-pass quotient and residual against the interleaved sweeps of
//! `ColtPair::gibbs_uniform` followed by the division done entry by entry.
//!
//! Tolerance: each product is within `(4 n_eff + 8) u` (relative, positive terms) of the
//! exact one (`docs/colt.md`, `n_eff = min(N, 1 / (1 - rho))`), so the two products differ by
//! at most twice that, and a quotient (one more rounding) by that plus `u`.

mod common;
use colt::{ColtPair, UniformGibbs};
use common::Lcg;

const U: f64 = f64::EPSILON / 2.0;

/// `n` deterministic numbers in `[0, 1)`.
fn uniform(seed: u64, n: usize) -> Vec<f64> {
    let mut g = Lcg(seed);
    (0..n).map(|_| g.next()).collect()
}

fn bound(n: usize, rho: f64) -> f64 {
    let n_eff = (1.0 / (1.0 - rho)).min(n as f64);
    2.0 * (4.0 * n_eff + 8.0) * U + U
}

/// Sizes around the tile (512) and block (64) boundaries, tiny and odd ones, and eps/h
/// from below one spacing to far beyond it.
const SIZES: [usize; 11] = [1, 2, 3, 63, 64, 65, 511, 512, 513, 1537, 20_011];
const EPS_OVER_H: [f64; 4] = [0.3, 4.0, 100.0, 1e5];

#[test]
fn quotient_matches_sweep_then_divide() {
    for &n in &SIZES {
        for &e in &EPS_OVER_H {
            let h = 0.01;
            let k = UniformGibbs::new(n, h, e * h).expect("valid");
            let pair = ColtPair::gibbs_uniform(n, h, e * h).expect("valid");
            // Positive inputs with a few zeros, masses with zeros.
            let x: Vec<f64> = uniform(1, n)
                .iter()
                .enumerate()
                .map(|(i, u)| if i % 17 == 5 { 0.0 } else { 0.1 + u })
                .collect();
            let m: Vec<f64> = uniform(2, n)
                .iter()
                .enumerate()
                .map(|(i, u)| if i % 13 == 3 { 0.0 } else { u + 1e-3 })
                .collect();
            let mut kx = vec![0.0; n];
            pair.apply_in_place(&x, &mut kx).expect("finite");
            let mut plain = vec![0.0; n];
            k.apply_in_place(&x, &mut plain).expect("finite");
            assert!(
                plain
                    .iter()
                    .zip(&kx)
                    .all(|(a, b)| a.to_bits() == b.to_bits()),
                "apply_in_place is the pair's product"
            );
            let mut sums = vec![0.0; k.sums_len()];
            k.block_sums(&x, &mut sums).expect("lengths");
            let mut out = vec![f64::NAN; n];
            let mut out_sums = vec![0.0; k.sums_len()];
            let q = k
                .divide_in_place(&x, &sums, &m, &mut out, &mut out_sums)
                .expect("lengths");
            let tol = bound(n, k.ratio());
            let mut min_k = f64::INFINITY;
            for i in 0..n {
                let want = if m[i] > 0.0 { m[i] / kx[i] } else { 0.0 };
                if m[i] > 0.0 {
                    min_k = min_k.min(kx[i]);
                }
                assert!(
                    (out[i] - want).abs() <= tol * want,
                    "n {n} eps/h {e} i {i}: {} vs {want}",
                    out[i]
                );
            }
            assert!(q.finite);
            assert!((q.min_divisor - min_k).abs() <= tol * min_k);
            // The block sums written for `out` are those block_sums computes from it.
            let mut again = vec![0.0; k.sums_len()];
            k.block_sums(&out, &mut again).expect("lengths");
            for (a, b) in out_sums.iter().zip(&again) {
                assert!((a - b).abs() <= 1e-14 * b.abs(), "{a} vs {b}");
            }
            // The next product from the carried sums: the same as from fresh ones.
            let mut out2 = vec![0.0; n];
            let mut s2 = vec![0.0; k.sums_len()];
            k.divide_in_place(&out, &out_sums, &m, &mut out2, &mut s2)
                .expect("lengths");
            let mut kv = vec![0.0; n];
            pair.apply_in_place(&out, &mut kv).expect("finite");
            for i in 0..n {
                let want = if m[i] > 0.0 { m[i] / kv[i] } else { 0.0 };
                assert!(
                    (out2[i] - want).abs() <= tol * want,
                    "second step n {n} eps/h {e} i {i}: {} vs {want}",
                    out2[i]
                );
            }
            // Residual sum |y (K x) - m| against the sweep's product.
            let mut r = 0.0;
            k.visit_blocks(&x, &sums, &mut out_sums, |start, kb| {
                for (t, &kv) in kb.iter().enumerate() {
                    r += (out[start + t] * kv - m[start + t]).abs();
                }
            })
            .expect("lengths");
            let want: f64 = (0..n).map(|i| (out[i] * kx[i] - m[i]).abs()).sum();
            let scale: f64 = m.iter().sum::<f64>();
            assert!(
                (r - want).abs() <= 4.0 * tol * scale + 1e-300,
                "n {n} eps/h {e}: residual {r} vs {want}"
            );
        }
    }
}

#[test]
fn breakdowns_show_in_the_report() {
    let k = UniformGibbs::new(700, 1.0, 1e-3).expect("valid"); // rho = e^-1000 = 0
    let x: Vec<f64> = (0..700).map(|i| if i == 3 { 1.0 } else { 0.0 }).collect();
    let mut sums = vec![0.0; k.sums_len()];
    k.block_sums(&x, &mut sums).expect("lengths");
    let m = vec![1.0; 700];
    let (mut out, mut s) = (vec![0.0; 700], vec![0.0; k.sums_len()]);
    let q = k
        .divide_in_place(&x, &sums, &m, &mut out, &mut s)
        .expect("lengths");
    // K x vanishes away from entry 3: the quotients there are infinite.
    assert!(!q.finite && q.min_divisor <= 0.0);
    let x = vec![f64::NAN; 700];
    k.block_sums(&x, &mut sums).expect("lengths");
    let q = k
        .divide_in_place(&x, &sums, &m, &mut out, &mut s)
        .expect("lengths");
    assert!(!q.finite);
    assert!(
        k.divide_in_place(&x[..5], &sums, &m, &mut out, &mut s)
            .is_err()
    );
    assert!(UniformGibbs::new(10, 0.0, 1.0).is_err());
    assert!(k.distance_form(&m[..3], &m).is_err());
    assert!(UniformGibbs::new(10, 1.0, f64::NAN).is_err());
}

/// `distance_form` against the pair's distance-weighted product on the grid points: the
/// same positive sums, the pair's from the computed coordinates' gaps (within an ulp of
/// `h` each), so they agree to the sweeps' bound plus those gaps' rounding.
#[test]
fn distance_form_matches_the_pair() {
    for &n in &[1usize, 2, 7, 100, 4097] {
        for &e in &[0.5, 20.0, 3000.0] {
            let h = 0.25;
            let k = UniformGibbs::new(n, h, e * h).expect("valid");
            let x: Vec<f64> = (0..n).map(|i| i as f64 * h).collect();
            let pair = ColtPair::gibbs_uniform(n, h, e * h).expect("valid");
            let u = uniform(3, n);
            let v = uniform(4, n);
            let mut cv = vec![0.0; n];
            pair.distance_apply_in_place(&x, &v, &mut cv)
                .expect("finite");
            let want: f64 = u.iter().zip(&cv).map(|(a, b)| a * b).sum::<f64>() / h;
            let got = k.distance_form(&u, &v).expect("lengths");
            let tol = 4.0 * bound(n, k.ratio()) * want.abs().max(1e-300);
            assert!(
                (got - want).abs() <= tol,
                "n {n} eps/h {e}: {got} vs {want}"
            );
        }
    }
}
