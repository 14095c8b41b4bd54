//! Scratch check of the blocked scan against a direct O(N^2) sum (replaced by the proptests).
use colt::ColtPair;

fn lcg(state: &mut u64) -> f64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    ((*state >> 11) as f64) / ((1u64 << 53) as f64)
}

#[test]
fn blocked_matches_direct() {
    let mut st = 7u64;
    for &n in &[
        0usize,
        1,
        2,
        3,
        5,
        4095,
        4096,
        4097,
        2 * 2048 * 2,
        4 * 2048 + 13,
        5 * 2048,
    ] {
        let d: Vec<f64> = (0..n).map(|_| 0.5 + lcg(&mut st)).collect();
        let r: Vec<f64> = (0..n.saturating_sub(1))
            .map(|_| 0.9 + 0.1 * lcg(&mut st))
            .collect();
        let s: Vec<f64> = (0..n.saturating_sub(1))
            .map(|_| 0.9 + 0.1 * lcg(&mut st))
            .collect();
        let x: Vec<f64> = (0..n).map(|_| lcg(&mut st)).collect();
        let t = ColtPair::new(d, r, s).unwrap();
        let y = t.apply(&x).unwrap();
        let yt = t.apply_transpose(&x).unwrap();
        let m = t.to_dense();
        let mut worst = 0.0f64;
        for i in 0..n {
            let (mut a, mut b, mut aa) = (0.0, 0.0, 0.0);
            for j in 0..n {
                a += m[(i, j)] * x[j];
                b += m[(j, i)] * x[j];
                aa += (m[(i, j)] * x[j]).abs();
            }
            worst = worst.max((a - y[i]).abs() / aa).max((b - yt[i]).abs() / aa);
        }
        eprintln!("n={n} worst rel {worst:e}");
        assert!(worst < 1e-12, "n={n} worst={worst}");
    }
}
