//! Q, K and V as the user's data holds them, before the cast to FP16 storage.
//!
//! An f32 activation dump can hold values beyond FP16's 65504: the cast makes them
//! infinite, and an FP16 kernel then returns NaN. That is a finding about the model, not a
//! load error, so the original magnitudes are kept here (in f64, exactly) for the report
//! ([`overflow_report`](crate::overflow_report())): the f64 reference is computed from them,
//! and the FP16 kernels run on their rounding.

use half::f16;

use crate::beta::InputDtype;
use crate::error::PasaError;
use crate::round::{F16_MAX, f64_slice_to_f16};
use crate::tensor::{AttentionInputs, AttentionShape, Tensor, validate_shapes};

/// Validated Q (batch, heads, seq_q, d), K (batch, kv_heads, seq_k, d) and
/// V (batch, kv_heads, seq_k, dv) in f64, with the storage type they came in.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceInputs {
    q: Tensor<f64>,
    k: Tensor<f64>,
    v: Tensor<f64>,
    shape: AttentionShape,
    dtype: InputDtype,
}

fn check_finite(name: &'static str, t: &Tensor<f64>) -> Result<(), PasaError> {
    let mut bad = t.data().iter().enumerate().filter(|(_, x)| !x.is_finite());
    match bad.next() {
        None => Ok(()),
        Some((index, &value)) => Err(PasaError::NonFiniteInput {
            name,
            index,
            value,
            count: 1 + bad.count(),
        }),
    }
}

impl SourceInputs {
    /// Validate the shapes (as [`AttentionInputs::new`]) and that every value is finite;
    /// values beyond the FP16 range are allowed (see [`SourceInputs::beyond_f16`]).
    ///
    /// # Errors
    /// [`PasaError::ShapeMismatch`], [`PasaError::HeadsDoNotDivide`],
    /// [`PasaError::EmptyDimension`], [`PasaError::NonFiniteInput`] for a NaN or infinity in
    /// the data itself.
    pub fn new(
        q: Tensor<f64>,
        k: Tensor<f64>,
        v: Tensor<f64>,
        dtype: InputDtype,
    ) -> Result<Self, PasaError> {
        let shape = validate_shapes(q.shape(), k.shape(), v.shape())?;
        check_finite("q", &q)?;
        check_finite("k", &k)?;
        check_finite("v", &v)?;
        Ok(Self {
            q,
            k,
            v,
            shape,
            dtype,
        })
    }

    /// The dimensions.
    #[must_use]
    pub fn shape(&self) -> AttentionShape {
        self.shape
    }

    /// The storage type of the source data (selects the authors' default beta).
    #[must_use]
    pub fn dtype(&self) -> InputDtype {
        self.dtype
    }

    /// Queries, keys, values, in f64.
    #[must_use]
    pub fn qkv(&self) -> [&Tensor<f64>; 3] {
        [&self.q, &self.k, &self.v]
    }

    /// How many values of Q, K and V lie beyond FP16's range (they round to infinity:
    /// `|x| >= 65520`), and the largest |value|.
    #[must_use]
    pub fn beyond_f16(&self) -> (usize, f64) {
        let mut count = 0;
        let mut max = 0.0_f64;
        for &x in self.qkv().iter().flat_map(|t| t.data()) {
            // The f16 rounding boundary: 65504 + half an ulp (16).
            if x.abs() >= F16_MAX + 16.0 {
                count += 1;
            }
            max = max.max(x.abs());
        }
        (count, max)
    }

    /// The FP16 storage an FP16 kernel reads: each value correctly rounded once, values
    /// beyond the range infinite (which the kernels propagate as the overflow it is).
    #[must_use]
    pub fn to_fp16(&self) -> AttentionInputs {
        let round = |t: &Tensor<f64>| {
            let mut data = vec![f16::ZERO; t.data().len()];
            f64_slice_to_f16(&mut data, t.data());
            data
        };
        AttentionInputs::from_validated(
            [round(&self.q), round(&self.k), round(&self.v)],
            [self.q.shape(), self.k.shape(), self.v.shape()],
            self.shape,
            self.dtype,
        )
    }
}

impl From<&AttentionInputs> for SourceInputs {
    /// The FP16 inputs widened exactly.
    fn from(inputs: &AttentionInputs) -> Self {
        Self {
            q: inputs.q().to_f64(),
            k: inputs.k().to_f64(),
            v: inputs.v().to_f64(),
            shape: inputs.shape(),
            dtype: inputs.dtype(),
        }
    }
}
