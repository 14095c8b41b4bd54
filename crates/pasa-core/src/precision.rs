//! Named precision configurations: which type each stage of an attention kernel rounds to.
//!
//! A kernel is an [`Algorithm`] (Flash Attention's online softmax, or PASA's shifted scores
//! with global recovering) plus a [`Precision`] (one [`Scalar`] or [`Accumulator`] per
//! stage). The presets in [`Preset`] are the configurations the paper and our reproduction
//! compare; each is a plain value, so a new hardware hypothesis is a new struct literal,
//! not a flag in a kernel.

use serde::{Deserialize, Serialize};

use crate::beta::beta_for;
use crate::error::PasaError;
use crate::round::{Accumulator, Scalar};

/// Where the softmax scale `1/sqrt(d)` is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScalePlacement {
    /// Folded into the query tile before the score product: `Q <- fl_op(Q · fl_op(scale))`
    /// (common in GPU kernels with FP16 accumulators; the scaled Q is rounded to FP16).
    Query,
    /// Applied to the accumulated scores before they are written out:
    /// `S <- fl_score(fl_acc(fl_acc(Q K^T) · fl_acc(scale)))` (the cube's fp32 result scaled
    /// on its way out of L0C, so the FP16 score already is scaled).
    Scores,
}

/// The type of every rounding stage of a (Flash or PASA) attention kernel.
///
/// Stage order for one (query block, key block) pair:
/// `Q·scale` (operand) -> `S = Q K^T` (score_acc, then score) -> row mean (PASA; row_sum,
/// then stats) -> max / subtract / exp (vector) -> `m, l, c, alpha` (stats) -> `P` as matrix
/// operand (operand) -> `P V` (pv_acc, then out) -> `O = alpha O + P V` (out) ->
/// `O / l` (out) -> stored result (output).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Precision {
    /// Where the softmax scale is applied.
    pub scale: ScalePlacement,
    /// Inputs of the matrix unit: scaled Q, K (or PASA's shifted K'), V, the shifting
    /// matrix M and the probabilities P.
    pub operand: Scalar,
    /// Accumulator of `Q K^T` and of PASA's `M K`.
    pub score_acc: Accumulator,
    /// Type the score tile is written out in (FixPipe cast on Ascend).
    pub score: Scalar,
    /// Type of the vector unit's element-wise softmax work on score-sized tiles.
    pub vector: Scalar,
    /// Accumulator of row sums of P and of PASA's row means of S' (done on the matrix
    /// unit as a product with a ones/mean column, or a vector reduction).
    pub row_sum: Accumulator,
    /// Type of the per-row statistics: running max m, sum l, PASA shift c, rescale alpha.
    pub stats: Scalar,
    /// Accumulator of `P V`.
    pub pv_acc: Accumulator,
    /// Type of the running output `O` and of the final division.
    pub out: Scalar,
    /// Type the result is stored in.
    pub output: Scalar,
}

impl Precision {
    /// Flash Attention as vendor kernels run it on Ascend (FlashAttentionScore): fp16
    /// operands, fp32 cube accumulation, softmax and statistics in fp32, fp16 result.
    /// The high-precision baseline.
    pub const FP32_SOFTMAX: Self = Self {
        scale: ScalePlacement::Scores,
        operand: Scalar::F16,
        score_acc: Accumulator::F32,
        score: Scalar::F32,
        vector: Scalar::F32,
        row_sum: Accumulator::F32,
        stats: Scalar::F32,
        pv_acc: Accumulator::F32,
        out: Scalar::F32,
        output: Scalar::F16,
    };

    /// Everything stored and computed in fp16 except the cube's internal fp32 accumulator
    /// (an Ascend cube unit writes L0C through FixPipe as fp16): the naive low-precision
    /// baseline, and the precision of PASA.
    pub const ALL_FP16: Self = Self {
        scale: ScalePlacement::Scores,
        operand: Scalar::F16,
        score_acc: Accumulator::F32,
        score: Scalar::F16,
        vector: Scalar::F16,
        row_sum: Accumulator::F32,
        stats: Scalar::F16,
        pv_acc: Accumulator::F32,
        out: Scalar::F16,
        output: Scalar::F16,
    };

    /// All fp16 with fp16 accumulators too (GPU HMMA `f16 += f16 * f16`), the scale folded
    /// into Q as such kernels do.
    pub const ALL_FP16_HMMA: Self = Self {
        scale: ScalePlacement::Query,
        score_acc: Accumulator::F16,
        row_sum: Accumulator::F16,
        pv_acc: Accumulator::F16,
        ..Self::ALL_FP16
    };

    /// All fp16 matrix-sized data, fp32 per-row statistics (m, l, c, alpha): the open
    /// question of the brief, measured as its own configuration.
    pub const FP16_FP32_STATS: Self = Self {
        stats: Scalar::F32,
        ..Self::ALL_FP16
    };

    /// Every stage in f64: the mathematical algorithm, for equivalence checks.
    pub const EXACT: Self = Self {
        scale: ScalePlacement::Scores,
        operand: Scalar::F64,
        score_acc: Accumulator::F64,
        score: Scalar::F64,
        vector: Scalar::F64,
        row_sum: Accumulator::F64,
        stats: Scalar::F64,
        pv_acc: Accumulator::F64,
        out: Scalar::F64,
        output: Scalar::F64,
    };

    /// Whether any stage is f64 (then kernels run in an f64 working type).
    #[must_use]
    pub fn needs_f64(&self) -> bool {
        [
            self.operand,
            self.score_acc.scalar(),
            self.score,
            self.vector,
            self.row_sum.scalar(),
            self.stats,
            self.pv_acc.scalar(),
            self.out,
            self.output,
        ]
        .contains(&Scalar::F64)
    }
}

/// How PASA recovers the true per-row maxima from the shifted scores (reconstructed; see
/// docs/pasa.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Recovery {
    /// The brief's reconstruction: `c_j = beta/(1-beta) · mean_row(S'_j)` and
    /// `mu_j = max S'_j + c_j`. `c_j` is of the size of the unshifted scores, so with fp16 statistics it
    /// overflows exactly where naive FP16 does.
    Absolute,
    /// Shifts relative to the first key block of the row:
    /// `c_j - c_0 = beta/(1-beta) · (mean_row(S'_j) - mean_row(S'_0))`. Softmax ignores the
    /// common `c_0`, so this is mathematically the same, and the statistics stay of the
    /// size of the *variation* of the bias along the sequence.
    RelativeToFirstBlock,
    /// Our improvement (not in the paper): shifts relative to the first key block computed
    /// from *key* means, `c_j - c_0 = beta · scale · q · (kbar_j - kbar_0)`, where the mean
    /// difference `kbar_j - kbar_0` is one matrix-unit product over both blocks with a
    /// single FP16 rounding, and `q · (kbar_j - kbar_0)` is one extra column of the score
    /// product. Mathematically the same shift; its FP16 error is that of the (small)
    /// difference instead of `beta/(1-beta)` times the rounding of a score-sized mean.
    RelativeKeyMeans,
}

/// PASA's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PasaParams {
    /// beta in (0, 1); `None` = [`beta_for`] the recovery (31/32 for score-mean recovery,
    /// `1 - 2^-11` for key-mean recovery).
    pub beta: Option<f64>,
    /// How the shift is recovered.
    pub recovery: Recovery,
}

impl Default for PasaParams {
    fn default() -> Self {
        Self {
            beta: None,
            recovery: Recovery::Absolute,
        }
    }
}

impl PasaParams {
    /// The beta used for key blocks of `block_k` keys with matrix operands of type `operand`.
    ///
    /// # Errors
    /// [`PasaError::BetaOutOfRange`] if an explicit beta is not in (0, 1).
    pub fn resolve_beta(&self, block_k: usize, operand: Scalar) -> Result<f64, PasaError> {
        let beta = self
            .beta
            .unwrap_or_else(|| beta_for(self.recovery, block_k, operand));
        if beta > 0.0 && beta < 1.0 {
            Ok(beta)
        } else {
            Err(PasaError::BetaOutOfRange { beta })
        }
    }
}

/// The attention algorithm a kernel runs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Algorithm {
    /// Flash Attention (online softmax with running max and sum).
    Flash,
    /// PASA: online pseudo-average shifting with global recovering.
    Pasa(PasaParams),
}

/// An algorithm with a precision: everything a kernel needs besides block sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Kernel {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The per-stage types.
    pub precision: Precision,
}

/// The named configurations compared in the docs and in `xtask validate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Preset {
    /// Flash Attention, [`Precision::FP32_SOFTMAX`]: the high-precision baseline.
    Fp32Softmax,
    /// Flash Attention, [`Precision::ALL_FP16`]: the naive low-precision baseline.
    NaiveFp16,
    /// Flash Attention, [`Precision::ALL_FP16_HMMA`] (fp16 accumulators as well).
    NaiveFp16Hmma,
    /// PASA as reconstructed in the brief ([`Recovery::Absolute`]), [`Precision::ALL_FP16`].
    Pasa,
    /// PASA with relative recovery ([`Recovery::RelativeToFirstBlock`]), all fp16.
    PasaRelative,
    /// PASA with key-mean recovery ([`Recovery::RelativeKeyMeans`]), all fp16.
    PasaKeyMeans,
    /// PASA (absolute recovery) with fp32 row statistics, [`Precision::FP16_FP32_STATS`]:
    /// what the NumPy prototype of the brief effectively computed.
    PasaFp32Stats,
    /// PASA with every stage in f64: equals the f64 reference up to rounding of f64.
    PasaExact,
    /// Flash Attention with every stage in f64.
    FlashExact,
}

impl Preset {
    /// All presets, in the order tables list them.
    pub const ALL: [Self; 9] = [
        Self::Fp32Softmax,
        Self::NaiveFp16,
        Self::NaiveFp16Hmma,
        Self::Pasa,
        Self::PasaRelative,
        Self::PasaKeyMeans,
        Self::PasaFp32Stats,
        Self::PasaExact,
        Self::FlashExact,
    ];

    /// The kernel this preset names, with PASA's beta left to the rule.
    #[must_use]
    pub fn kernel(self) -> Kernel {
        let pasa = |recovery| {
            Algorithm::Pasa(PasaParams {
                beta: None,
                recovery,
            })
        };
        let (algorithm, precision) = match self {
            Self::Fp32Softmax => (Algorithm::Flash, Precision::FP32_SOFTMAX),
            Self::NaiveFp16 => (Algorithm::Flash, Precision::ALL_FP16),
            Self::NaiveFp16Hmma => (Algorithm::Flash, Precision::ALL_FP16_HMMA),
            Self::Pasa => (pasa(Recovery::Absolute), Precision::ALL_FP16),
            Self::PasaRelative => (pasa(Recovery::RelativeToFirstBlock), Precision::ALL_FP16),
            Self::PasaKeyMeans => (pasa(Recovery::RelativeKeyMeans), Precision::ALL_FP16),
            Self::PasaFp32Stats => (pasa(Recovery::Absolute), Precision::FP16_FP32_STATS),
            Self::PasaExact => (pasa(Recovery::Absolute), Precision::EXACT),
            Self::FlashExact => (Algorithm::Flash, Precision::EXACT),
        };
        Kernel {
            algorithm,
            precision,
        }
    }

    /// Short name for tables and CLI flags.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Fp32Softmax => "fa-fp32-softmax",
            Self::NaiveFp16 => "fa-fp16",
            Self::NaiveFp16Hmma => "fa-fp16-hmma",
            Self::Pasa => "pasa",
            Self::PasaRelative => "pasa-relative",
            Self::PasaKeyMeans => "pasa-key-means",
            Self::PasaFp32Stats => "pasa-fp32-stats",
            Self::PasaExact => "pasa-f64",
            Self::FlashExact => "fa-f64",
        }
    }
}
