//! Shared test oracles: dense faer products in f64, tolerance helpers, and the seeded
//! generator of the tests that do not use proptest.
#![allow(dead_code)]

use colt::Real;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

/// Converts an f64 vector to the scalar under test (rounding once).
pub fn to_t<T: Real>(v: &[f64]) -> Vec<T> {
    v.iter().map(|&x| T::from_f64(x)).collect()
}

/// Widens a dense matrix to f64.
pub fn widen<T: Real>(m: &Mat<T>) -> Mat<f64> {
    Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)].to_f64())
}

/// `m x` by faer's dense matmul (f64).
pub fn dense_mv(m: &Mat<f64>, x: &[f64]) -> Vec<f64> {
    let n = m.nrows();
    let xc = Mat::from_fn(x.len(), 1, |i, _| x[i]);
    let mut out = Mat::<f64>::zeros(n, 1);
    matmul(&mut out, Accum::Replace, m, &xc, 1.0, Par::Seq);
    (0..n).map(|i| out[(i, 0)]).collect()
}

/// `|m| |x|`: the scale in every forward error bound of a product.
pub fn abs_mv(m: &Mat<f64>, x: &[f64]) -> Vec<f64> {
    let a = Mat::from_fn(m.nrows(), m.ncols(), |i, j| m[(i, j)].abs());
    let ax: Vec<f64> = x.iter().map(|v| v.abs()).collect();
    dense_mv(&a, &ax)
}

/// `m^T`.
pub fn transpose(m: &Mat<f64>) -> Mat<f64> {
    Mat::from_fn(m.ncols(), m.nrows(), |i, j| m[(j, i)])
}

/// Error bound of a first-order sweep over at most `n` terms followed by the comparison with a
/// dense f64 product: each term of `(T x)_i` passes through at most `2n + 2` roundings of
/// the sweep (one multiply and one add per step, plus the diagonal product and the final sum),
/// so `|err_i| <= gamma_{2n+2} (|T| |x|)_i`; the dense reference adds `n u_64`. We allow
/// `(4n + 8) u`, i.e. `gamma` with a factor 2 of slack for the `1/(1 - k u)` terms and the
/// rounding of the parameters to `T`.
pub fn sweep_tol<T: Real>(n: usize) -> f64 {
    (4.0 * n as f64 + 8.0) * T::UNIT_ROUNDOFF.to_f64()
}

/// Asserts `|got_i - want_i| <= tol * scale_i + tiny` and reports the worst index.
pub fn assert_close<T: Real>(what: &str, got: &[T], want: &[f64], scale: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for i in 0..got.len() {
        let g = got[i].to_f64();
        let bound = tol * scale[i] + f64::MIN_POSITIVE;
        assert!(
            (g - want[i]).abs() <= bound,
            "{what}[{i}]: got {g:e}, want {:e}, |err| {:e} > bound {bound:e}",
            want[i],
            (g - want[i]).abs()
        );
    }
}

/// `log(sum_j exp(a_j))` in f64, exact for all `-inf`.
pub fn lse(a: impl Iterator<Item = f64>) -> f64 {
    let v: Vec<f64> = a.collect();
    let m = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + v.iter().map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Tiny deterministic generator for the non-proptest tests (LCG, 53-bit uniforms in [0, 1)).
pub struct Lcg(pub u64);

impl Lcg {
    /// Next uniform in [0, 1).
    pub fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64) / ((1u64 << 53) as f64)
    }
}
