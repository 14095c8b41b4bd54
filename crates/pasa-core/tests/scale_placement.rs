//! Where the softmax scale goes is a named precision choice because it costs accuracy
//! (docs/pasa.md section 1): folding `1/sqrt(d)` into Q in FP16 (`ScalePlacement::Query`)
//! rounds every query element once more, and the score error grows with `|q|` (the bias),
//! even when the softmax itself is FP32.
//!
//! Measured RMSE ratio query-scaled / score-scaled, FP32-softmax Flash Attention, seq 512,
//! seed 11: 1.36 at bias 0, 3.60 at bias 5, 5.99 at bias 20 (n = 1024, seed 7, the doc's
//! table: 1.37, 3.51, 5.95).

use pasa_core::generate::RandomCase;
use pasa_core::{
    Algorithm, AttentionParams, ErrorReport, Kernel, Precision, ScalePlacement, attention,
    reference_attention,
};
use rstest::rstest;

fn rmse(inputs: &pasa_core::AttentionInputs, scale: ScalePlacement) -> f64 {
    let reference = reference_attention(inputs, &AttentionParams::default()).unwrap();
    let kernel = Kernel {
        algorithm: Algorithm::Flash,
        precision: Precision {
            scale,
            ..Precision::FP32_SOFTMAX
        },
    };
    let out = attention(inputs, &kernel, &AttentionParams::default()).unwrap();
    let e = ErrorReport::compare(&out.out, &reference);
    assert!(e.all_finite(), "{scale:?}: {e:?}");
    e.rmse
}

/// The doc's "a factor 3-6 at bias 5-20": asserted > 3 at both biases (measured 3.6 and
/// 6.0); the upper end is the measured value, not a bound anyone relies on.
#[rstest]
#[case::bias5(5.0, 1.0)]
#[case::bias20(20.0, 2.0)]
fn scale_in_query_costs_a_factor_3_at_bias(#[case] bias: f64, #[case] amp: f64) {
    let inputs = RandomCase::brief(bias, amp, 11)
        .with_seq(512)
        .inputs()
        .unwrap();
    let scores = rmse(&inputs, ScalePlacement::Scores);
    let query = rmse(&inputs, ScalePlacement::Query);
    assert!(query > 3.0 * scores, "query {query} vs scores {scores}");
}
