//! The per-query-block scratch tiles of the attention loop, allocated once and reused.
//!
//! The driver keeps one per rayon worker and `npu-sim` one per simulated launch; both size
//! the same tiles from the same block sizes, so the set is defined here once.

use crate::round::Real;

/// Scratch tiles for one query block of `rows` queries against key blocks of `keys`:
/// every slice the [`steps`](crate::steps) functions write, at the largest block size.
/// Callers take `[..rows * ...]` prefixes for a short last query block.
#[derive(Debug, Clone)]
pub struct TileWorkspace<T> {
    /// Scaled query block, `rows × head_dim`.
    pub q: Vec<T>,
    /// Scores, then probabilities, `rows × keys`.
    pub scores: Vec<T>,
    /// `P V` of one key block, `rows × value_dim`.
    pub pv: Vec<T>,
    /// Running output, `rows × value_dim`.
    pub o: Vec<T>,
    /// Running row maxima.
    pub m: Vec<T>,
    /// Running row sums.
    pub l: Vec<T>,
    /// Per-row rescale factors of the last tile.
    pub alpha: Vec<T>,
    /// PASA's score row means.
    pub means: Vec<T>,
    /// PASA's first-block row means (relative recovery).
    pub reference: Vec<T>,
    /// PASA's recovered per-row shift.
    pub shift: Vec<T>,
    /// Visible keys per row in the current key block.
    pub visible: Vec<usize>,
}

impl<T: Real> TileWorkspace<T> {
    /// Zeroed tiles for `rows` queries, `keys` keys per block, head dims `head_dim`,
    /// `value_dim`.
    #[must_use]
    pub fn new(rows: usize, keys: usize, head_dim: usize, value_dim: usize) -> Self {
        Self {
            q: vec![T::ZERO; rows * head_dim],
            scores: vec![T::ZERO; rows * keys],
            pv: vec![T::ZERO; rows * value_dim],
            o: vec![T::ZERO; rows * value_dim],
            m: vec![T::ZERO; rows],
            l: vec![T::ZERO; rows],
            alpha: vec![T::ZERO; rows],
            means: vec![T::ZERO; rows],
            reference: vec![T::ZERO; rows],
            shift: vec![T::ZERO; rows],
            visible: vec![0; rows],
        }
    }
}
