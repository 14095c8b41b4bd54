//! Named precision configurations: which type each stage of an attention kernel rounds to.
//!
//! A kernel is an [`Algorithm`] (Flash Attention's online softmax, or PASA's shifted scores
//! with global recovering) plus a [`Precision`] (one [`Scalar`] or [`Accumulator`] per
//! stage). The presets in [`Preset`] are the configurations the paper and our reproduction
//! compare; each is a plain value, so a new hardware hypothesis is a new struct literal,
//! not a flag in a kernel.

use serde::{Deserialize, Serialize};

use crate::beta::{self, InputDtype};
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
    /// question of our first reconstruction, measured as its own configuration.
    pub const FP16_FP32_STATS: Self = Self {
        stats: Scalar::F32,
        ..Self::ALL_FP16
    };

    /// The authors' "hybrid" PASA (`vec_tp = torch.float32` in their script): fp16 matrix
    /// operands and fp16 score tiles, every vector quantity (scores after the cast, row
    /// statistics, running output) in fp32. Their script multiplies the fp32 `P` by the
    /// fp16 `V` directly, which PyTorch refuses on CPU (mismatched dtypes); here `P` is
    /// rounded to the fp16 operand type as a cube would need.
    pub const FP16_FP32_VECTOR: Self = Self {
        vector: Scalar::F32,
        stats: Scalar::F32,
        out: Scalar::F32,
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

/// How PASA recovers the true per-row maxima from the shifted scores.
///
/// Only [`Recovery::RunningAverage`] is the authors' algorithm (transcribed from their
/// verification script, docs/pasa.md); the other three are our reconstructions and
/// variants, kept under their own names for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Recovery {
    /// The authors' online pseudo-average (`pasa()` of `PASA_Verification.py`): the
    /// running mean `A_j` of the block row means is the reference, block `j` enters with
    /// `m_j + gamma (mean_j - A_j)` and the state with `m + gamma (A_{j-1} - A_j)`,
    /// `gamma = fl_stats(beta/(1-beta))`. Computed step for step as the script does: the
    /// softmax scale folded into the FP16 shifting matrix (so [`Precision::scale`] is not
    /// used), initial running max -60000, padding by [`Padding::TailRows`] masked by
    /// adding the lowest finite value of the vector type after the row mean
    /// ([`steps::running_average`](crate::steps::running_average) lists every rounding).
    RunningAverage,
    /// Absolute recovery (our first reconstruction, not the authors'):
    /// `c_j = beta/(1-beta) · mean_row(S'_j)` and `mu_j = max S'_j + c_j`. `c_j` is of the
    /// size of the unshifted scores, so with fp16 statistics it overflows exactly where
    /// naive FP16 does.
    Absolute,
    /// First-block relative recovery (ours): shifts relative to the first key block of the
    /// row, `c_j - c_0 = beta/(1-beta) · (mean_row(S'_j) - mean_row(S'_0))`. Softmax ignores
    /// the common `c_0`, so this is mathematically the same, and the statistics stay of the
    /// size of the *variation* of the bias along the sequence.
    RelativeToFirstBlock,
    /// Key-mean recovery (ours, not in the paper): shifts relative to the first key block
    /// computed from *key* means, `c_j - c_0 = beta · scale · q · (kbar_j - kbar_0)`, where
    /// the mean difference `kbar_j - kbar_0` is one matrix-unit product over both blocks
    /// with a single FP16 rounding, and `q · (kbar_j - kbar_0)` is one extra column of the
    /// score product. Mathematically the same shift; its FP16 error is that of the (small)
    /// difference instead of `beta/(1-beta)` times the rounding of a score-sized mean.
    RelativeKeyMeans,
}

impl Recovery {
    /// The default beta of this recovery for inputs of type `input` (see [`crate::beta`]):
    /// the authors' per-dtype value ([`beta::authors_beta`]) for
    /// [`Recovery::RunningAverage`], [`beta::SCORE_MEAN_BETA`] for the score-mean
    /// reconstructions, [`beta::KEY_MEAN_BETA`] for key means.
    #[must_use]
    pub fn default_beta(self, input: InputDtype) -> f64 {
        match self {
            Self::RunningAverage => beta::authors_beta(input),
            Self::Absolute | Self::RelativeToFirstBlock => beta::SCORE_MEAN_BETA,
            Self::RelativeKeyMeans => beta::KEY_MEAN_BETA,
        }
    }

    /// How this recovery pads a short last key block.
    #[must_use]
    pub fn padding(self) -> Padding {
        match self {
            Self::RunningAverage => Padding::TailRows,
            Self::Absolute | Self::RelativeToFirstBlock | Self::RelativeKeyMeans => {
                Padding::TailRowsCyclic
            }
        }
    }
}

/// What fills the rows of a short last key/value block up to the block size.
///
/// The padded columns of the score tile are always masked; what matters is PASA's block
/// statistics (row mean of `S'`, key means), which read every row of the block. Zero rows
/// dilute the block mean, so the shift no longer removes a bias shared by all keys: with
/// `q, k = 100 + 4 N(0,1)` and 1040 keys the shifted scores of the last block (16 real
/// keys) overflowed FP16 and every PASA variant returned NaN. Rows repeated from the
/// sequence keep the mean a mean of real keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Padding {
    /// Zero rows: Flash Attention, whose padded columns are masked to `-inf` and read by
    /// no statistic.
    Zeros,
    /// The authors' rule: the last `pad` rows of the sequence (`k[:, :, -pad:, :]`), or
    /// zero rows when the whole sequence is shorter than one block. A short sequence thus
    /// keeps the dilution described above (a quirk we reproduce; docs/pasa.md).
    TailRows,
    /// As [`Padding::TailRows`] for sequences of at least one block; a shorter sequence
    /// repeats its own rows cyclically, so the block mean is always a mean of real keys
    /// (our variants).
    TailRowsCyclic,
}

impl Padding {
    /// The source row of padding row `p` (`0 <= p < block - n`) of the last block of a
    /// sequence of `seq` rows, `n = seq - (blocks - 1) block` of them real; `None` for a
    /// zero row.
    #[must_use]
    pub fn source_row(self, seq: usize, block: usize, p: usize) -> Option<usize> {
        if seq == 0 {
            return None;
        }
        let pad = seq.div_ceil(block) * block - seq;
        match self {
            Self::Zeros => None,
            Self::TailRows | Self::TailRowsCyclic if seq >= block => Some(seq - pad + p),
            Self::TailRows => None,
            Self::TailRowsCyclic => Some(p % seq),
        }
    }
}

/// PASA's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PasaParams {
    /// beta in (0, 1); `None` = [`Recovery::default_beta`] for the recovery and the
    /// inputs' [`InputDtype`].
    pub beta: Option<f64>,
    /// How the shift is recovered.
    pub recovery: Recovery,
}

impl Default for PasaParams {
    /// The authors' algorithm with their beta.
    fn default() -> Self {
        Self {
            beta: None,
            recovery: Recovery::RunningAverage,
        }
    }
}

impl PasaParams {
    /// The beta used for inputs of type `input`: the explicit one, or the recovery's
    /// default.
    ///
    /// # Errors
    /// [`PasaError::BetaOutOfRange`] if an explicit beta is not in (0, 1).
    pub fn resolve_beta(&self, input: InputDtype) -> Result<f64, PasaError> {
        let beta = self
            .beta
            .unwrap_or_else(|| self.recovery.default_beta(input));
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

impl Algorithm {
    /// How this algorithm pads a short last key block ([`Padding::Zeros`] for Flash
    /// Attention, [`Recovery::padding`] for PASA).
    #[must_use]
    pub fn padding(&self) -> Padding {
        match self {
            Self::Flash => Padding::Zeros,
            Self::Pasa(p) => p.recovery.padding(),
        }
    }
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
///
/// [`Preset::name`] gives each a stable string for reports, JSON and CLI flags (the table
/// below); only `pasa`, `pasa-hybrid` and `pasa-f64` are the authors' algorithm.
///
/// | name | algorithm | precision |
/// |---|---|---|
/// | `fp32-softmax` | Flash Attention | [`Precision::FP32_SOFTMAX`] |
/// | `fp16` | Flash Attention | [`Precision::ALL_FP16`] |
/// | `fp16-hmma` | Flash Attention | [`Precision::ALL_FP16_HMMA`] |
/// | `pasa` | the authors' PASA ([`Recovery::RunningAverage`]) | [`Precision::ALL_FP16`] |
/// | `pasa-hybrid` | the authors' PASA | [`Precision::FP16_FP32_VECTOR`] |
/// | `pasa-absolute` | ours, [`Recovery::Absolute`] | [`Precision::ALL_FP16`] |
/// | `pasa-first-block` | ours, [`Recovery::RelativeToFirstBlock`] | [`Precision::ALL_FP16`] |
/// | `pasa-key-means` | ours, [`Recovery::RelativeKeyMeans`] | [`Precision::ALL_FP16`] |
/// | `pasa-absolute-fp32-stats` | ours, [`Recovery::Absolute`] | [`Precision::FP16_FP32_STATS`] |
/// | `pasa-f64` | the authors' PASA | [`Precision::EXACT`] |
/// | `fa-f64` | Flash Attention | [`Precision::EXACT`] |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Preset {
    /// Flash Attention, [`Precision::FP32_SOFTMAX`]: the high-precision baseline.
    Fp32Softmax,
    /// Flash Attention, [`Precision::ALL_FP16`]: the naive low-precision baseline.
    NaiveFp16,
    /// Flash Attention, [`Precision::ALL_FP16_HMMA`] (fp16 accumulators as well).
    NaiveFp16Hmma,
    /// The authors' PASA ([`Recovery::RunningAverage`]), [`Precision::ALL_FP16`]: their
    /// script with `mm_tp = vec_tp = float16`.
    Pasa,
    /// The authors' PASA in their hybrid mode, [`Precision::FP16_FP32_VECTOR`].
    PasaHybrid,
    /// Our absolute-recovery reconstruction ([`Recovery::Absolute`]), all fp16.
    PasaAbsolute,
    /// Our first-block relative recovery ([`Recovery::RelativeToFirstBlock`]), all fp16.
    PasaFirstBlock,
    /// Our key-mean recovery ([`Recovery::RelativeKeyMeans`]), all fp16.
    PasaKeyMeans,
    /// Our absolute recovery with fp32 row statistics, [`Precision::FP16_FP32_STATS`]: what
    /// the NumPy prototype of our first reconstruction effectively computed.
    PasaAbsoluteFp32Stats,
    /// The authors' PASA with every stage in f64: equals the f64 reference up to rounding
    /// of f64.
    PasaExact,
    /// Flash Attention with every stage in f64.
    FlashExact,
}

impl Preset {
    /// All presets, in the order tables list them.
    pub const ALL: [Self; 11] = [
        Self::Fp32Softmax,
        Self::NaiveFp16,
        Self::NaiveFp16Hmma,
        Self::Pasa,
        Self::PasaHybrid,
        Self::PasaAbsolute,
        Self::PasaFirstBlock,
        Self::PasaKeyMeans,
        Self::PasaAbsoluteFp32Stats,
        Self::PasaExact,
        Self::FlashExact,
    ];

    /// The kernel this preset names, with PASA's beta left to the recovery's default.
    #[must_use]
    pub fn kernel(self) -> Kernel {
        let pasa = |recovery| {
            Algorithm::Pasa(PasaParams {
                beta: None,
                recovery,
            })
        };
        let authors = pasa(Recovery::RunningAverage);
        let (algorithm, precision) = match self {
            Self::Fp32Softmax => (Algorithm::Flash, Precision::FP32_SOFTMAX),
            Self::NaiveFp16 => (Algorithm::Flash, Precision::ALL_FP16),
            Self::NaiveFp16Hmma => (Algorithm::Flash, Precision::ALL_FP16_HMMA),
            Self::Pasa => (authors, Precision::ALL_FP16),
            Self::PasaHybrid => (authors, Precision::FP16_FP32_VECTOR),
            Self::PasaAbsolute => (pasa(Recovery::Absolute), Precision::ALL_FP16),
            Self::PasaFirstBlock => (pasa(Recovery::RelativeToFirstBlock), Precision::ALL_FP16),
            Self::PasaKeyMeans => (pasa(Recovery::RelativeKeyMeans), Precision::ALL_FP16),
            Self::PasaAbsoluteFp32Stats => (pasa(Recovery::Absolute), Precision::FP16_FP32_STATS),
            Self::PasaExact => (authors, Precision::EXACT),
            Self::FlashExact => (Algorithm::Flash, Precision::EXACT),
        };
        Kernel {
            algorithm,
            precision,
        }
    }

    /// The stable short name used in tables, JSON reports and CLI flags (see the table on
    /// [`Preset`]).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Fp32Softmax => "fp32-softmax",
            Self::NaiveFp16 => "fp16",
            Self::NaiveFp16Hmma => "fp16-hmma",
            Self::Pasa => "pasa",
            Self::PasaHybrid => "pasa-hybrid",
            Self::PasaAbsolute => "pasa-absolute",
            Self::PasaFirstBlock => "pasa-first-block",
            Self::PasaKeyMeans => "pasa-key-means",
            Self::PasaAbsoluteFp32Stats => "pasa-absolute-fp32-stats",
            Self::PasaExact => "pasa-f64",
            Self::FlashExact => "fa-f64",
        }
    }

    /// The preset named `name` ([`Preset::name`]), if any.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether this preset is the authors' algorithm (rather than a baseline or one of our
    /// reconstructions).
    #[must_use]
    pub fn is_authors(self) -> bool {
        matches!(
            self.kernel().algorithm,
            Algorithm::Pasa(PasaParams {
                recovery: Recovery::RunningAverage,
                ..
            })
        )
    }
}
