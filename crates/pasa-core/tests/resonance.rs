//! The resonance measure on generated inputs: aligned means give cos(mean q, mean k) = +1,
//! opposite -1, orthogonal 0 (up to the noise: with n = 256 rows of amplitude 1 and bias
//! 10, the mean's noise is 1/sqrt(256) per component, so |cos - target| < 0.01).

use pasa_core::generate::{BiasProfile, RandomCase, Resonance};
use pasa_core::resonance::resonance;
use rstest::rstest;

#[rstest]
#[case(Resonance::Aligned, 1.0)]
#[case(Resonance::Opposite, -1.0)]
#[case(Resonance::Orthogonal, 0.0)]
fn mean_direction_cosine(#[case] kind: Resonance, #[case] expected: f64) {
    let case = RandomCase {
        resonance: kind,
        profile: BiasProfile::Constant,
        ..RandomCase::brief(10.0, 1.0, 4).with_seq(256)
    };
    let inputs = case.inputs().unwrap();
    let r = resonance(&inputs, 1.0 / 128.0_f64.sqrt());
    assert_eq!(r.len(), 1);
    assert!(
        (r[0].cos_means - expected).abs() < 1e-2,
        "{kind:?}: {:?}",
        r[0]
    );
    // Individual pairs are strongly (anti-)aligned only when the means are. Per pair,
    // q.k = 10^2 u_q.u_k + noise with |q|^2 ~ |k|^2 ~ 10^2 d + d = 12928 and noise std
    // ~ 10 sqrt(2 d) = 160: aligned |cos| ~ 0.99 +- 0.013, orthogonal (u_q.u_k = 0)
    // |cos| ~ 0.01; the thresholds 0.9 and 0.2 sit more than 7 std away from both.
    if expected.abs() > 0.5 {
        assert!(r[0].abs_cos_mean > 0.9, "{:?}", r[0]);
    } else {
        assert!(r[0].abs_cos_mean < 0.2, "{:?}", r[0]);
    }
}
