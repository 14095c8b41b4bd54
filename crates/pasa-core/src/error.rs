//! The crate's one error type: every way user input can be rejected, as data.
//!
//! Variants carry the offending values and their messages say how to fix the input, so a
//! caller (or `xtask validate`) can report them without reading this crate's source.

use thiserror::Error;

/// Everything `pasa-core` can reject.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum PasaError {
    /// A tensor's element count does not match the shape it claims.
    #[error(
        "tensor `{name}` has {len} elements but shape {shape:?} needs {expected}; pass data of length = product of the shape"
    )]
    DataLength {
        /// Which tensor.
        name: &'static str,
        /// The data length given.
        len: usize,
        /// The shape given.
        shape: [usize; 4],
        /// The product of the shape (`usize::MAX` if it overflows).
        expected: usize,
    },
    /// Q, K and V shapes are inconsistent.
    #[error(
        "shape mismatch on {what}: q {q:?}, k {k:?}, v {v:?}; q, k, v must share batch, k and v must share heads and seq_k, q and k must share head_dim"
    )]
    ShapeMismatch {
        /// Which dimension disagrees.
        what: &'static str,
        /// Shape of Q (batch, heads, seq_q, head_dim).
        q: [usize; 4],
        /// Shape of K (batch, kv_heads, seq_k, head_dim).
        k: [usize; 4],
        /// Shape of V (batch, kv_heads, seq_k, value_dim).
        v: [usize; 4],
    },
    /// The number of query heads is not a multiple of the number of key/value heads (GQA).
    #[error(
        "{heads} query heads cannot be grouped over {kv_heads} key/value heads; use kv_heads that divides heads (1 = MQA, heads = MHA)"
    )]
    HeadsDoNotDivide {
        /// Query heads.
        heads: usize,
        /// Key/value heads.
        kv_heads: usize,
    },
    /// A dimension is zero.
    #[error("dimension `{what}` is zero; attention needs at least one {what}")]
    EmptyDimension {
        /// Which dimension.
        what: &'static str,
    },
    /// An input contains NaN or infinity (after conversion to the storage type, so an f32
    /// value above 65504 shows up here as infinity).
    #[error(
        "tensor `{name}` has a non-finite value {value} at flat index {index} ({count} non-finite in all); clean or rescale the input, FP16 storage holds |x| <= 65504"
    )]
    NonFiniteInput {
        /// Which tensor.
        name: &'static str,
        /// First offending flat index.
        index: usize,
        /// The value found there (as f64).
        value: f64,
        /// How many non-finite values the tensor holds.
        count: usize,
    },
    /// A block size is zero.
    #[error("block size `{what}` is zero; use a positive block size (128 is the Ascend cube tile)")]
    ZeroBlockSize {
        /// Which block size.
        what: &'static str,
    },
    /// A block size needs a tile of more elements than the kernels allocate (the block is a
    /// hardware tile, a few hundred rows; an absurd size would otherwise abort the process
    /// when its tiles are allocated).
    #[error(
        "block size `{what}` = {block} needs a tile of more than {limit} elements; use a block size of at most a few thousand (128 is the Ascend cube tile)"
    )]
    BlockTooLarge {
        /// Which block size.
        what: &'static str,
        /// The block size given.
        block: usize,
        /// The largest number of elements one tile may hold.
        limit: usize,
    },
    /// The softmax scale given is NaN or infinite.
    #[error(
        "softmax scale = {scale} is not finite; pass a finite scale or `None` for 1/sqrt(head_dim)"
    )]
    NonFiniteScale {
        /// The scale given.
        scale: f64,
    },
    /// PASA's beta is outside (0, 1): the shifting matrix is singular at 1 and recovery
    /// divides by 1 - beta.
    #[error(
        "beta = {beta} is outside (0, 1); PASA needs 0 < beta < 1 (see `beta::beta_for` for the defaults)"
    )]
    BetaOutOfRange {
        /// The beta given.
        beta: f64,
    },
    /// The rounding-aware beta iteration ([`crate::beta::rounding_aware_beta`]) did not
    /// settle.
    #[error(
        "the rounding-aware beta iteration from {start} for blocks of {block} keys did not converge (last iterate {last}); start nearer 1 - 2^-k or pass beta explicitly"
    )]
    BetaNoFixedPoint {
        /// The start given.
        start: f64,
        /// The block size.
        block: usize,
        /// The last iterate.
        last: f64,
    },
    /// A causal mask with more queries than keys would leave query rows with no key.
    #[error(
        "causal attention with seq_q = {seq_q} > seq_k = {seq_k} leaves rows without keys; use seq_q <= seq_k (queries are aligned to the end of the keys)"
    )]
    CausalRowsWithoutKeys {
        /// Query length.
        seq_q: usize,
        /// Key length.
        seq_k: usize,
    },
    /// An index (batch, head, ...) passed to a per-head function lies outside the inputs.
    #[error(
        "{what} index {index} is out of range (the inputs have {len}); pass an index below {len}"
    )]
    IndexOutOfRange {
        /// Which index.
        what: &'static str,
        /// The index given.
        index: usize,
        /// The number of valid indices.
        len: usize,
    },
    /// A tile-level step got slices whose lengths disagree with the dimensions given.
    #[error(
        "tile step `{step}`: slice `{slice}` has length {len}, expected {expected}; size tile buffers from the dimensions passed"
    )]
    TileLength {
        /// The step.
        step: &'static str,
        /// The slice.
        slice: &'static str,
        /// Its length.
        len: usize,
        /// The length the dimensions imply.
        expected: usize,
    },
    /// A file could not be read or parsed.
    #[error("cannot load `{path}`: {reason}")]
    Load {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A tensor in a file has an element type the loaders do not read.
    #[error(
        "tensor `{name}` has dtype {dtype}; the loaders read f16, bf16, f32 (and f64 for .npy)"
    )]
    UnsupportedDtype {
        /// Tensor name.
        name: String,
        /// Its dtype as the file names it.
        dtype: String,
    },
    /// A tensor in a file has a rank the loaders cannot map to (batch, heads, seq, dim).
    #[error(
        "tensor `{name}` has shape {shape:?}; expected rank 2 (seq, dim), 3 (heads, seq, dim) or 4 (batch, heads, seq, dim)"
    )]
    UnsupportedRank {
        /// Tensor name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// No Q/K/V triple was recognised among a file's tensor names.
    #[error(
        "no Q/K/V tensors found among {found:?}; name them q/k/v, query/key/value, query_states/key_states/value_states or q_proj/k_proj/v_proj, optionally behind a prefix such as `model.layers.3.self_attn.`"
    )]
    NoAttentionTensors {
        /// The tensor names the file holds.
        found: Vec<String>,
    },
    /// A Hugging Face projection output `(batch, seq, heads · head_dim)` was given without
    /// the head dimension needed to split it into heads.
    #[error(
        "tensor `{name}` of shape {shape:?} is a projection output (batch, seq, heads * head_dim); pass the model's head_dim to split it into heads"
    )]
    HeadDimRequired {
        /// Tensor name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A projection output's hidden size is not a multiple of the head dimension given.
    #[error(
        "tensor `{name}` has hidden size {hidden}, not a multiple of head_dim = {head_dim}; pass the model's head_dim"
    )]
    HiddenNotDivisible {
        /// Tensor name.
        name: String,
        /// The last dimension.
        hidden: usize,
        /// The head dimension given.
        head_dim: usize,
    },
    /// A benchmark's pinned query heads must all read the first key/value head.
    #[error(
        "{pinned} pinned query heads do not all read the first key/value head (each reads a group of {group}); pin between 1 and {group} heads"
    )]
    PinnedHeadsOutsideGroup {
        /// The number of heads asked for.
        pinned: usize,
        /// Query heads per key/value head.
        group: usize,
    },
    /// A generator parameter is invalid (negative amplitude, empty sizes, ...).
    #[error("generator parameter `{what}` = {value} is invalid: {hint}")]
    InvalidGenerator {
        /// Which parameter.
        what: &'static str,
        /// Its value.
        value: f64,
        /// How to fix it.
        hint: &'static str,
    },
}

/// The most elements one tile may hold (2^30: 4 GiB of f32, 8 GiB of f64). The largest
/// tiles a block size implies are PASA's `block_k × block_k` shifting matrix, the
/// `rows × block_k` score tile and the `block_k × head_dim` key tile; past this, their
/// allocation would fail and abort the process instead of returning an error.
pub(crate) const MAX_TILE_ELEMENTS: usize = 1 << 30;

/// `Ok` unless `block` times `other` exceeds [`MAX_TILE_ELEMENTS`] (or overflows), else
/// [`PasaError::BlockTooLarge`].
pub(crate) fn check_tile_size(
    what: &'static str,
    block: usize,
    other: usize,
) -> Result<(), PasaError> {
    match block.checked_mul(other) {
        Some(n) if n <= MAX_TILE_ELEMENTS => Ok(()),
        _ => Err(PasaError::BlockTooLarge {
            what,
            block,
            limit: MAX_TILE_ELEMENTS,
        }),
    }
}

/// `Ok` when a tile step's slice has the length its dimensions imply, else
/// [`PasaError::TileLength`] naming the step and the slice.
pub(crate) fn check_tile_len(
    step: &'static str,
    slice: &'static str,
    len: usize,
    expected: usize,
) -> Result<(), PasaError> {
    if len == expected {
        Ok(())
    } else {
        Err(PasaError::TileLength {
            step,
            slice,
            len,
            expected,
        })
    }
}
