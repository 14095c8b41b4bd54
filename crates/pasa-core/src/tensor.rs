//! Dense (batch, heads, seq, dim) tensors and validated attention inputs.
//!
//! Q, K and V are stored as IEEE binary16 (`half::f16`), as an FP16 kernel reads them from
//! memory; the f64 reference widens the same bits, so every error measured is the
//! kernel's own and not an input rounding.

use half::{bf16, f16};

use crate::beta::InputDtype;
use crate::error::PasaError;
use crate::round::{bf16_slice_to_f16, f16_slice_to_f64, f64_slice_to_f16};

/// A row-major tensor of shape (batch, heads, seq, dim).
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor<T> {
    shape: [usize; 4],
    data: Vec<T>,
}

impl<T: Copy> Tensor<T> {
    /// Wrap `data` of shape `shape`.
    ///
    /// # Errors
    /// [`PasaError::DataLength`] if `data.len()` is not the product of `shape` (reported as
    /// `usize::MAX` when that product overflows).
    pub fn new(name: &'static str, shape: [usize; 4], data: Vec<T>) -> Result<Self, PasaError> {
        // A zero dimension makes the product 0 even where the others would overflow.
        let expected = if shape.contains(&0) {
            0
        } else {
            shape
                .iter()
                .try_fold(1_usize, |n, &d| n.checked_mul(d))
                .unwrap_or(usize::MAX)
        };
        if data.len() == expected {
            Ok(Self { shape, data })
        } else {
            Err(PasaError::DataLength {
                name,
                len: data.len(),
                shape,
                expected,
            })
        }
    }

    /// A tensor filled with `value`.
    ///
    /// # Panics
    /// If the element count overflows `usize` (as `vec!` does); shapes of validated inputs
    /// never do.
    #[must_use]
    pub fn filled(shape: [usize; 4], value: T) -> Self {
        Self {
            shape,
            data: vec![value; shape.iter().product()],
        }
    }

    /// (batch, heads, seq, dim).
    #[must_use]
    pub fn shape(&self) -> [usize; 4] {
        self.shape
    }

    /// All elements, row-major.
    #[must_use]
    pub fn data(&self) -> &[T] {
        &self.data
    }

    /// All elements, row-major, mutable.
    pub fn data_mut(&mut self) -> &mut [T] {
        &mut self.data
    }

    /// Consume into the data vector.
    #[must_use]
    pub fn into_data(self) -> Vec<T> {
        self.data
    }

    /// The (seq, dim) matrix of one (batch, head), row-major.
    ///
    /// # Panics
    /// If `batch` or `head` is out of range (an indexing error of the caller).
    #[must_use]
    pub fn head(&self, batch: usize, head: usize) -> &[T] {
        let [_, h, s, d] = self.shape;
        let start = (batch * h + head) * s * d;
        &self.data[start..start + s * d]
    }

    /// Mutable (seq, dim) matrix of one (batch, head).
    ///
    /// # Panics
    /// If `batch` or `head` is out of range (an indexing error of the caller).
    pub fn head_mut(&mut self, batch: usize, head: usize) -> &mut [T] {
        let [_, h, s, d] = self.shape;
        let start = (batch * h + head) * s * d;
        &mut self.data[start..start + s * d]
    }
}

impl Tensor<f16> {
    /// Round an f64 tensor to f16 storage (each element correctly rounded once; values
    /// above 65504 become infinite and are then rejected by [`AttentionInputs::new`]).
    #[must_use]
    pub fn from_f64(src: &Tensor<f64>) -> Self {
        let mut data = vec![f16::ZERO; src.data.len()];
        f64_slice_to_f16(&mut data, &src.data);
        Self {
            shape: src.shape,
            data,
        }
    }

    /// Exact widening to f64.
    #[must_use]
    pub fn to_f64(&self) -> Tensor<f64> {
        let mut data = vec![0.0; self.data.len()];
        f16_slice_to_f64(&mut data, &self.data);
        Tensor {
            shape: self.shape,
            data,
        }
    }

    /// Count of NaN/inf values and the first one (index, value).
    #[must_use]
    pub fn non_finite(&self) -> (usize, Option<(usize, f64)>) {
        let mut count = 0;
        let mut first = None;
        for (i, x) in self.data.iter().enumerate() {
            if !x.is_finite() {
                count += 1;
                first.get_or_insert((i, x.to_f64()));
            }
        }
        (count, first)
    }
}

/// The dimensions of an attention problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttentionShape {
    /// Batch size.
    pub batch: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (= heads for MHA, 1 for MQA, a divisor for GQA).
    pub kv_heads: usize,
    /// Query length.
    pub seq_q: usize,
    /// Key/value length.
    pub seq_k: usize,
    /// Query/key head dimension.
    pub head_dim: usize,
    /// Value head dimension.
    pub value_dim: usize,
}

impl AttentionShape {
    /// Query heads per key/value head.
    #[must_use]
    pub fn group(&self) -> usize {
        self.heads / self.kv_heads
    }

    /// The key/value head read by query head `head`.
    #[must_use]
    pub fn kv_head_of(&self, head: usize) -> usize {
        head / self.group()
    }

    /// Shape of the output (batch, heads, seq_q, value_dim).
    #[must_use]
    pub fn output_shape(&self) -> [usize; 4] {
        [self.batch, self.heads, self.seq_q, self.value_dim]
    }
}

/// Validated Q, K, V in FP16 storage, with the type they had before (see [`InputDtype`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AttentionInputs {
    q: Tensor<f16>,
    k: Tensor<f16>,
    v: Tensor<f16>,
    shape: AttentionShape,
    dtype: InputDtype,
}

fn check_finite(name: &'static str, t: &Tensor<f16>) -> Result<(), PasaError> {
    match t.non_finite() {
        (0, _) | (_, None) => Ok(()),
        (count, Some((index, value))) => Err(PasaError::NonFiniteInput {
            name,
            index,
            value,
            count,
        }),
    }
}

/// Check Q (batch, heads, seq_q, d), K (batch, kv_heads, seq_k, d),
/// V (batch, kv_heads, seq_k, dv) shapes against each other and return the dimensions.
pub(crate) fn validate_shapes(
    q: [usize; 4],
    k: [usize; 4],
    v: [usize; 4],
) -> Result<AttentionShape, PasaError> {
    let [b, h, sq, d] = q;
    let [bk, hk, sk, dk] = k;
    let [bv, hv, sv, dv] = v;
    let mismatch = |what| PasaError::ShapeMismatch { what, q, k, v };
    if b != bk || b != bv {
        return Err(mismatch("batch"));
    }
    if hk != hv {
        return Err(mismatch("kv heads"));
    }
    if sk != sv {
        return Err(mismatch("seq_k"));
    }
    if d != dk {
        return Err(mismatch("head_dim"));
    }
    for (what, n) in [
        ("batch", b),
        ("heads", h),
        ("kv_heads", hk),
        ("seq_q", sq),
        ("seq_k", sk),
        ("head_dim", d),
        ("value_dim", dv),
    ] {
        if n == 0 {
            return Err(PasaError::EmptyDimension { what });
        }
    }
    if h % hk != 0 {
        return Err(PasaError::HeadsDoNotDivide {
            heads: h,
            kv_heads: hk,
        });
    }
    Ok(AttentionShape {
        batch: b,
        heads: h,
        kv_heads: hk,
        seq_q: sq,
        seq_k: sk,
        head_dim: d,
        value_dim: dv,
    })
}

impl AttentionInputs {
    /// Validate Q (batch, heads, seq_q, d), K (batch, kv_heads, seq_k, d),
    /// V (batch, kv_heads, seq_k, dv).
    ///
    /// # Errors
    /// [`PasaError::ShapeMismatch`], [`PasaError::HeadsDoNotDivide`],
    /// [`PasaError::EmptyDimension`], [`PasaError::NonFiniteInput`].
    pub fn new(q: Tensor<f16>, k: Tensor<f16>, v: Tensor<f16>) -> Result<Self, PasaError> {
        let shape = validate_shapes(q.shape, k.shape, v.shape)?;
        check_finite("q", &q)?;
        check_finite("k", &k)?;
        check_finite("v", &v)?;
        Ok(Self {
            q,
            k,
            v,
            shape,
            dtype: InputDtype::F16,
        })
    }

    /// Convert bf16 tensors to FP16 storage (exactly through f32, then one rounding to
    /// binary16, as the authors' script does with `.to(float32).to(float16)`) and validate
    /// them; the inputs remember [`InputDtype::Bf16`], which selects the authors' BF16 beta.
    ///
    /// # Errors
    /// As [`AttentionInputs::new`]; bf16 values beyond 65504 become infinite in FP16 and
    /// are reported as [`PasaError::NonFiniteInput`].
    pub fn from_bf16(
        q: &Tensor<bf16>,
        k: &Tensor<bf16>,
        v: &Tensor<bf16>,
    ) -> Result<Self, PasaError> {
        let convert = |t: &Tensor<bf16>| {
            let mut data = vec![f16::ZERO; t.data.len()];
            bf16_slice_to_f16(&mut data, &t.data);
            Tensor {
                shape: t.shape,
                data,
            }
        };
        let mut inputs = Self::new(convert(q), convert(k), convert(v))?;
        inputs.dtype = InputDtype::Bf16;
        Ok(inputs)
    }

    /// Inputs whose shapes [`validate_shapes`] accepted, without the finiteness check: for
    /// [`SourceInputs::to_fp16`](crate::source::SourceInputs::to_fp16), whose values beyond
    /// FP16's range become infinite on purpose.
    pub(crate) fn from_validated(
        [q, k, v]: [Vec<f16>; 3],
        [qs, ks, vs]: [[usize; 4]; 3],
        shape: AttentionShape,
        dtype: InputDtype,
    ) -> Self {
        Self {
            q: Tensor { shape: qs, data: q },
            k: Tensor { shape: ks, data: k },
            v: Tensor { shape: vs, data: v },
            shape,
            dtype,
        }
    }

    /// The same inputs, labelled as having been stored in `dtype` before the conversion to
    /// FP16 (this selects the authors' default beta).
    #[must_use]
    pub fn with_dtype(mut self, dtype: InputDtype) -> Self {
        self.dtype = dtype;
        self
    }

    /// The type Q, K and V had before their conversion to FP16.
    #[must_use]
    pub fn dtype(&self) -> InputDtype {
        self.dtype
    }

    /// Round f64 tensors to f16 storage and validate them.
    ///
    /// # Errors
    /// As [`AttentionInputs::new`]; values beyond the f16 range are reported as
    /// [`PasaError::NonFiniteInput`].
    pub fn from_f64(q: &Tensor<f64>, k: &Tensor<f64>, v: &Tensor<f64>) -> Result<Self, PasaError> {
        Self::new(
            Tensor::from_f64(q),
            Tensor::from_f64(k),
            Tensor::from_f64(v),
        )
    }

    /// The dimensions.
    #[must_use]
    pub fn shape(&self) -> AttentionShape {
        self.shape
    }
    /// Queries.
    #[must_use]
    pub fn q(&self) -> &Tensor<f16> {
        &self.q
    }
    /// Keys.
    #[must_use]
    pub fn k(&self) -> &Tensor<f16> {
        &self.k
    }
    /// Values.
    #[must_use]
    pub fn v(&self) -> &Tensor<f16> {
        &self.v
    }
}
