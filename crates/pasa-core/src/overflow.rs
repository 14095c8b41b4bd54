//! One call for library users: will FP16 attention overflow on my Q/K/V, how large is the
//! error of each variant, and does PASA fix it.
//!
//! [`overflow_report`] runs every [`Preset`] on the FP16 rounding of the inputs and
//! compares each output with the f64 reference computed from the source values (so an f32
//! input beyond 65504 is answered, not refused: its overflow in the FP16 cast is part of
//! what the report shows).

use serde::{Deserialize, Serialize};

use crate::diagnostics::ErrorReport;
use crate::driver::{AttentionParams, attention};
use crate::error::PasaError;
use crate::precision::Preset;
use crate::reference::reference_and_max_score;
use crate::round::count_to_f64;
use crate::source::SourceInputs;
use crate::tensor::Tensor;

/// One variant's result on the inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantRecord {
    /// [`Preset::name`]: `fp16` (naive FP16 Flash Attention), `fp32-softmax`, `pasa` (the
    /// authors' algorithm), and the others' own names.
    pub name: String,
    /// Whether the variant is the authors' PASA ([`Preset::is_authors`]).
    pub authors: bool,
    /// Whether every output is finite.
    pub finite: bool,
    /// Output elements that are NaN or infinite.
    pub non_finite: usize,
    /// Output elements.
    pub total: usize,
    /// Largest |score| the variant's matrix unit produced, overflowed ones included
    /// ([`Probe::max_abs_score`](crate::Probe::max_abs_score)); for PASA these are the
    /// shifted scores, the quantity that must fit FP16.
    pub max_abs_score: f64,
    /// Score elements that overflowed the score type.
    pub score_non_finite: usize,
    /// The beta used (PASA variants).
    pub beta: Option<f64>,
    /// Root-mean-square error against the f64 reference, over the finite outputs (NaN if
    /// none is finite).
    pub rmse: f64,
    /// `rmse / RMS(reference)`: the relative RMSE of issue 14.
    pub rel_rmse: f64,
    /// `rmse / RMS(V)`: the authors' relative RMSE (`RMSE_PASA / RMSE_ab(v)` in their
    /// script).
    pub rel_rmse_v: f64,
    /// Largest absolute error over the finite outputs.
    pub max_abs_error: f64,
}

/// Every variant's result on one set of inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverflowReport {
    /// (batch, heads, kv_heads, seq_q, seq_k, head_dim, value_dim).
    pub shape: [usize; 7],
    /// Largest |score| `scale |q . k|` over the visible keys, in f64 from the source values.
    pub max_abs_score: f64,
    /// Values of Q, K, V beyond FP16's range (infinite after the cast).
    pub inputs_beyond_f16: usize,
    /// Largest |value| of Q, K, V.
    pub max_abs_input: f64,
    /// RMS of the f64 reference output.
    pub rms_reference: f64,
    /// RMS of V (source values).
    pub rms_v: f64,
    /// One record per [`Preset::ALL`], in that order.
    pub variants: Vec<VariantRecord>,
}

impl OverflowReport {
    /// The record named `name`.
    #[must_use]
    pub fn variant(&self, name: &str) -> Option<&VariantRecord> {
        self.variants.iter().find(|v| v.name == name)
    }
}

fn rms(t: &Tensor<f64>) -> f64 {
    let n = t.data().len();
    let sq: f64 = t.data().iter().map(|x| x * x).sum();
    (sq / count_to_f64(n.max(1))).sqrt()
}

/// Run every [`Preset`] on `inputs` (rounded to FP16) and compare with the f64 reference
/// of the source values.
///
/// # Errors
/// As [`attention`] and [`reference_from_source`](crate::reference_from_source) (block
/// sizes, scale, causal layout); an overflow is a finding, reported in the records, never
/// an error.
pub fn overflow_report(
    inputs: &SourceInputs,
    params: &AttentionParams,
) -> Result<OverflowReport, PasaError> {
    let shape = inputs.shape();
    let (reference, max_abs_score) = reference_and_max_score(inputs, params)?;
    let (beyond, max_abs_input) = inputs.beyond_f16();
    let rms_reference = rms(&reference);
    let rms_v = rms(inputs.qkv()[2]);
    let fp16 = inputs.to_fp16();
    let mut variants = Vec::with_capacity(Preset::ALL.len());
    for preset in Preset::ALL {
        let out = attention(&fp16, &preset.kernel(), params)?;
        let e = ErrorReport::compare(&out.out, &reference);
        variants.push(VariantRecord {
            name: preset.name().to_owned(),
            authors: preset.is_authors(),
            finite: e.all_finite(),
            non_finite: e.non_finite,
            total: e.total,
            max_abs_score: out.probe.max_abs_score,
            score_non_finite: out.probe.score_non_finite,
            beta: out.beta,
            rmse: e.rmse,
            rel_rmse: e.rmse / rms_reference,
            rel_rmse_v: e.rmse / rms_v,
            max_abs_error: e.max_abs,
        });
    }
    Ok(OverflowReport {
        shape: [
            shape.batch,
            shape.heads,
            shape.kv_heads,
            shape.seq_q,
            shape.seq_k,
            shape.head_dim,
            shape.value_dim,
        ],
        max_abs_score,
        inputs_beyond_f16: beyond,
        max_abs_input,
        rms_reference,
        rms_v,
        variants,
    })
}
