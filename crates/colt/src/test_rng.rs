//! The unit tests' deterministic numbers: one 64-bit LCG (Knuth's MMIX constants), so that
//! the tests need no random-number dependency and every module draws the same way (the
//! integration tests' `tests/common` holds the same generator for the same reason).

/// Deterministic numbers in `[0, 1)`: the top 53 bits of each LCG state.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` numbers of [`Lcg`] from `seed`.
pub(crate) fn uniform(seed: u64, n: usize) -> Vec<f64> {
    let mut g = Lcg(seed);
    (0..n).map(|_| g.next()).collect()
}
