//! The tile-level steps of Flash Attention and PASA: the contract with `npu-sim`.
//!
//! The whole-attention driver ([`attention`](crate::attention()), `driver.rs`) is a loop over
//! blocks that call exactly these functions, in this order, for one query block `Q_i`
//! (`rows × head_dim`) and one key/value block `K_j, V_j` (`keys × head_dim`,
//! `keys × value_dim`):
//!
//! | step | unit | Flash | PASA |
//! |---|---|---|---|
//! | [`scale_query_in_place`] | vector | once per `Q_i` | once per `Q_i` |
//! | [`shifting_matrix_in_place`] | (constant) | — | once |
//! | [`shift_keys_in_place`] `K' = M K_j` | matrix | — | once per `K_j` |
//! | [`score_tile_in_place`] `S = Q_i K^T` | matrix | yes (K) | yes (K') |
//! | [`row_mean_in_place`] `mean_row(S')` | matrix | — | yes |
//! | [`mask_in_place`] (causal, padding) | vector | yes | yes |
//! | [`key_mean_difference_in_place`] (key-means recovery) | matrix | — | once per `K_j` |
//! | [`recover_shift_in_place`] or [`recover_shift_from_keys_in_place`] `c_j` | scalar / matrix | — | yes |
//! | [`flash_softmax_in_place`] / [`pasa_softmax_in_place`] | vector | yes | yes |
//! | [`pv_tile_in_place`] `P V_j` | matrix | yes | yes |
//! | [`rescale_accumulate_in_place`] `O = alpha O + P V` | vector | yes | yes |
//! | [`finalize_in_place`] `O / l` | vector | once per `Q_i` | once per `Q_i` |
//!
//! The authors' PASA ([`Recovery::RunningAverage`](crate::Recovery::RunningAverage)) has
//! its own steps in [`running_average`], which reuse the shared ones listed there.
//!
//! A simulator that issues the same steps on the same tiles with the same [`Precision`]
//! produces the same bits, by construction. Key and value blocks are always `keys` rows:
//! a short last block is padded as the kernel's [`Padding`](crate::Padding) says (rows
//! repeated from the sequence for PASA, zeros for Flash Attention) and its padding
//! columns are masked. The padded keys take part in PASA's block means (see
//! [`row_mean_in_place`]), which keeps the recovery exact: the shift and its recovery
//! use the same mean.

pub mod running_average;

use half::f16;

use crate::error::{PasaError, check_tile_len as check};
use crate::matmul::{matmul_in_place, matmul_scaled_in_place};
use crate::precision::{Precision, ScalePlacement};
use crate::round::{Real, scalar};
use crate::vector;

/// Dimensions of one (query block, key block) tile pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TileDims {
    /// Query rows in the block.
    pub rows: usize,
    /// Keys in the block (the nominal block size; short blocks are padded).
    pub keys: usize,
    /// Query/key head dimension.
    pub head_dim: usize,
    /// Value head dimension.
    pub value_dim: usize,
}

/// Widen f16 storage into a working tile (a DMA copy-in: exact, no rounding).
///
/// # Errors
/// [`PasaError::TileLength`] if the lengths differ.
pub fn load_tile_in_place<T: Real>(dst: &mut [T], src: &[f16]) -> Result<(), PasaError> {
    check("load_tile", "dst", dst.len(), src.len())?;
    T::load_f16(dst, src);
    Ok(())
}

/// With [`ScalePlacement::Query`]: `Q <- fl_op(Q · fl_op(scale))`, the softmax scale
/// folded into the query tile in the operand type. With [`ScalePlacement::Scores`]: only
/// casts `Q` to the operand type (the scale is applied by [`score_tile_in_place`]).
pub fn scale_query_in_place<T: Real>(q: &mut [T], scale: f64, prec: &Precision) {
    match prec.scale {
        ScalePlacement::Query => {
            let s = T::from_f64_rounded(scale, prec.operand);
            vector::mul_scalar_in_place(q, s, prec.operand);
        }
        ScalePlacement::Scores => vector::cast_in_place(q, prec.operand),
    }
}

/// Fill `m` (`keys × keys`) with PASA's shifting matrix `M = I - (beta/keys) 1 1^T`
/// as our variants build it (from f64, scale not folded in; the authors' matrix is
/// [`running_average::scaled_shifting_matrix_in_place`]), each entry rounded once to the
/// operand type.
///
/// # Errors
/// [`PasaError::TileLength`] if `m.len() != keys²`.
pub fn shifting_matrix_in_place<T: Real>(
    m: &mut [T],
    keys: usize,
    beta: f64,
    prec: &Precision,
) -> Result<(), PasaError> {
    check("shifting_matrix", "m", m.len(), keys * keys)?;
    let gamma = beta / crate::round::count_to_f64(keys);
    let off = T::from_f64_rounded(-gamma, prec.operand);
    let diag = T::from_f64_rounded(1.0 - gamma, prec.operand);
    for (r, row) in m.chunks_exact_mut(keys.max(1)).enumerate() {
        row.fill(off);
        row[r] = diag;
    }
    Ok(())
}

/// `K' = M K_j` on the matrix unit (accumulator `score_acc`), rounded to the operand type
/// because `K'` is the next product's input: each key minus beta times the block's mean key.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn shift_keys_in_place<T: Real>(
    k_shifted: &mut [T],
    m: &[T],
    k: &[T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    matmul_in_place(
        k_shifted,
        m,
        k,
        dims.keys,
        dims.keys,
        dims.head_dim,
        prec.score_acc,
        prec.operand,
    )
}

/// `S = Q_i K^T` on the matrix unit: `k_t` is the key block transposed (`head_dim × keys`);
/// accumulated in `score_acc`, multiplied by `scale` in the accumulator when the precision
/// says [`ScalePlacement::Scores`], written out in `score`.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn score_tile_in_place<T: Real>(
    scores: &mut [T],
    q: &[T],
    k_t: &[T],
    scale: f64,
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    let scale = match prec.scale {
        ScalePlacement::Query => None,
        ScalePlacement::Scores => Some(T::from_f64_rounded(scale, prec.score_acc.scalar())),
    };
    matmul_scaled_in_place(
        scores,
        q,
        k_t,
        dims.rows,
        dims.head_dim,
        dims.keys,
        prec.score_acc,
        scale,
        prec.score,
    )
}

/// `means[i] = mean_row(S'_i)` over all `keys` columns (padding included, before
/// masking), as a matrix-unit product of the score tile with the column `fl_op(1/keys)`,
/// accumulated in `row_sum`, rounded to `stats`.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn row_mean_in_place<T: Real>(
    means: &mut [T],
    scores: &[T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    check("row_mean", "means", means.len(), dims.rows)?;
    check("row_mean", "scores", scores.len(), dims.rows * dims.keys)?;
    let w = T::from_f64_rounded(1.0 / crate::round::count_to_f64(dims.keys), prec.operand);
    vector::weighted_row_sums_in_place(means, scores, dims.keys, w, prec.row_sum, prec.stats);
    Ok(())
}

/// Set `scores[i][j] = -inf` for `j >= visible[i]` (causal mask and block padding).
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn mask_in_place<T: Real>(
    scores: &mut [T],
    visible: &[usize],
    dims: TileDims,
) -> Result<(), PasaError> {
    check("mask", "visible", visible.len(), dims.rows)?;
    check("mask", "scores", scores.len(), dims.rows * dims.keys)?;
    for (row, &v) in scores.chunks_exact_mut(dims.keys.max(1)).zip(visible) {
        if v < row.len() {
            row[v..].fill(T::NEG_INFINITY);
        }
    }
    Ok(())
}

/// Our score-mean recoveries (not the authors'): `shift[i] = factor · means[i]`
/// ([`Recovery::Absolute`](crate::Recovery::Absolute)) or
/// `factor · (means[i] - reference[i])` (relative), in the stats type, where
/// `factor = fl_stats(beta/(1-beta))`. Then `S = S' + shift` row-wise.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn recover_shift_in_place<T: Real>(
    shift: &mut [T],
    means: &[T],
    reference: Option<&[T]>,
    beta: f64,
    prec: &Precision,
) -> Result<(), PasaError> {
    check("recover_shift", "means", means.len(), shift.len())?;
    let factor = T::from_f64_rounded(crate::beta::recovery_factor(beta), prec.stats);
    match reference {
        None => {
            for (c, &mean) in shift.iter_mut().zip(means) {
                *c = scalar::mul(factor, mean, prec.stats);
            }
        }
        Some(reference) => {
            check("recover_shift", "reference", reference.len(), shift.len())?;
            for ((c, &mean), &r) in shift.iter_mut().zip(means).zip(reference) {
                *c = scalar::mul(factor, scalar::sub(mean, r, prec.stats), prec.stats);
            }
        }
    }
    Ok(())
}

/// `diff = fl_op(mean(K_j) - mean(K_0))` (each mean over all `keys` rows, padding
/// included), as one matrix-unit product of the row `[w 1^T, -w 1^T]`, `w = fl_op(1/keys)`,
/// with the stacked blocks `[K_j; K_0]`, accumulated in `score_acc` and rounded once to the
/// operand type ([`Recovery::RelativeKeyMeans`](crate::Recovery::RelativeKeyMeans)).
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn key_mean_difference_in_place<T: Real>(
    diff: &mut [T],
    k_j: &[T],
    k_0: &[T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    let d = dims.head_dim;
    check("key_mean_difference", "diff", diff.len(), d)?;
    check("key_mean_difference", "k_j", k_j.len(), dims.keys * d)?;
    check("key_mean_difference", "k_0", k_0.len(), dims.keys * d)?;
    let acc = prec.score_acc.scalar();
    let w = T::from_f64_rounded(1.0 / crate::round::count_to_f64(dims.keys), prec.operand);
    let neg_w = T::from_f64_rounded(-1.0 / crate::round::count_to_f64(dims.keys), prec.operand);
    diff.fill(T::ZERO);
    if d == 0 {
        return Ok(());
    }
    for (block, weight) in [(k_j, w), (k_0, neg_w)] {
        for row in block.chunks_exact(d) {
            for (o, &x) in diff.iter_mut().zip(row) {
                *o += weight * x;
            }
            T::round_slice(diff, acc);
        }
    }
    T::round_slice(diff, prec.operand);
    Ok(())
}

/// Key-mean recovery: `shift[i] = fl_stats(fl_stats(beta) · t_i)` where
/// `t = fl_score(scale · Q_i diff)` is the score product with `diff` as one extra key
/// column (see [`key_mean_difference_in_place`]). The result is `c_j - c_0`.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
#[allow(clippy::too_many_arguments)]
pub fn recover_shift_from_keys_in_place<T: Real>(
    shift: &mut [T],
    q: &[T],
    diff: &[T],
    scale: f64,
    beta: f64,
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    let column = TileDims { keys: 1, ..dims };
    score_tile_in_place(shift, q, diff, scale, column, prec)?;
    vector::mul_scalar_in_place(shift, T::from_f64_rounded(beta, prec.stats), prec.stats);
    Ok(())
}

/// The row loop both online softmaxes share, in place on a `rows × keys` score tile (rows
/// become `P`). Each row is cast to `vector`; then `exponent(i, row, m_i)` either returns
/// `None`, a row that gets nothing from this tile (no visible key: `P = 0`, state kept,
/// `alpha = 1`), or leaves the row's exponent arguments in place and returns `m_new`. The
/// common end follows: `alpha = exp(m - m_new)`, `P = exp(row)` in `vector`, cast to the
/// operand type, summed (`row_sum`, into `stats`), `l <- alpha l + rowsum(P)`,
/// `m <- m_new`. Rows go in groups of [`vector::LANES`] so that their sums are formed
/// together ([`vector::row_sums_in_place`]); every row sees the same operations in the same
/// order as alone. Lengths are the caller's to check ([`check_softmax`]).
fn online_softmax_rows<T: Real>(
    scores: &mut [T],
    m: &mut [T],
    l: &mut [T],
    alpha: &mut [T],
    dims: TileDims,
    prec: &Precision,
    mut exponent: impl FnMut(usize, &mut [T], T) -> Option<T>,
) {
    const G: usize = vector::LANES;
    let (keys, st) = (dims.keys.max(1), prec.stats);
    let groups = scores
        .chunks_mut(G * keys)
        .zip(m.chunks_mut(G))
        .zip(l.chunks_mut(G))
        .zip(alpha.chunks_mut(G));
    for (g, (((tile, m), l), alpha)) in groups.enumerate() {
        let mut taken = [false; G];
        let rows = tile.chunks_exact_mut(keys).zip(m.iter_mut());
        for (r, ((p, m), (a, taken))) in rows.zip(alpha.iter_mut().zip(&mut taken)).enumerate() {
            vector::cast_in_place(p, prec.vector);
            let Some(m_new) = exponent(g * G + r, p, *m) else {
                p.fill(T::ZERO);
                *a = T::ONE;
                continue;
            };
            *a = scalar::exp(scalar::sub(*m, m_new, st), st);
            vector::exp_in_place(p, prec.vector);
            vector::cast_in_place(p, prec.operand);
            *m = m_new;
            *taken = true;
        }
        let mut sums = [T::ZERO; G];
        let sums = &mut sums[..l.len()];
        vector::row_sums_in_place(sums, tile, keys, prec.row_sum, st);
        for (((l, &a), &rs), &taken) in l.iter_mut().zip(&*alpha).zip(&*sums).zip(&taken) {
            if taken {
                *l = scalar::add(scalar::mul(a, *l, st), rs, st);
            }
        }
    }
}

/// The length checks both online softmaxes share: a `rows × keys` score tile and the
/// per-row `m`, `l`, `alpha`.
fn check_softmax<T>(
    step: &'static str,
    scores: &[T],
    m: &[T],
    l: &[T],
    alpha: &[T],
    dims: TileDims,
) -> Result<(), PasaError> {
    check(step, "scores", scores.len(), dims.rows * dims.keys)?;
    check(step, "m", m.len(), dims.rows)?;
    check(step, "l", l.len(), dims.rows)?;
    check(step, "alpha", alpha.len(), dims.rows)
}

/// Flash Attention's online softmax on one score tile, in place (scores become `P`):
/// `m_new = max(m, max_row S)`, `alpha = exp(m - m_new)`, `P = exp(S - m_new)`,
/// `l = alpha l + rowsum(P)`. Element-wise work in `vector`, row statistics in `stats`,
/// `P` left in the operand type for the `P V` product.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn flash_softmax_in_place<T: Real>(
    scores: &mut [T],
    m: &mut [T],
    l: &mut [T],
    alpha: &mut [T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    check_softmax("flash_softmax", scores, m, l, alpha, dims)?;
    online_softmax_rows(scores, m, l, alpha, dims, prec, |_, row, m| {
        let m_new = scalar::max(m, vector::max(row), prec.stats);
        if m_new == T::NEG_INFINITY {
            // No visible key yet: nothing to add.
            return None;
        }
        vector::sub_scalar_in_place(row, m_new, prec.vector);
        Some(m_new)
    });
    Ok(())
}

/// Our variants' online softmax with recovered maxima (not the authors'), in place on the
/// shifted scores `S'` (which become `P`), given the recovered per-row `shift` `c`:
/// `mu = max_row S' + c`, `m_new = max(m, mu)`, `alpha = exp(m - m_new)`,
/// `P = exp((S' - max_row S') + (mu - m_new))`: the tile part lies in `[-range, 0]` and the
/// offset is a per-row scalar, so no matrix-sized value carries the bias.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
#[allow(clippy::too_many_arguments)]
pub fn pasa_softmax_in_place<T: Real>(
    scores: &mut [T],
    shift: &[T],
    m: &mut [T],
    l: &mut [T],
    alpha: &mut [T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    check_softmax("pasa_softmax", scores, m, l, alpha, dims)?;
    check("pasa_softmax", "shift", shift.len(), dims.rows)?;
    online_softmax_rows(scores, m, l, alpha, dims, prec, |i, row, m| {
        let smax = vector::max(row);
        if smax == T::NEG_INFINITY {
            // Every key of this block is masked for this row.
            return None;
        }
        let mu = scalar::add(smax, shift[i], prec.stats);
        let m_new = scalar::max(m, mu, prec.stats);
        let offset = scalar::sub(mu, m_new, prec.stats);
        vector::sub_scalar_in_place(row, smax, prec.vector);
        vector::add_scalar_in_place(row, offset, prec.vector);
        Some(m_new)
    });
    Ok(())
}

/// `PV = P V_j` on the matrix unit, accumulated in `pv_acc`, written out in `out`.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn pv_tile_in_place<T: Real>(
    pv: &mut [T],
    p: &[T],
    v: &[T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    matmul_in_place(
        pv,
        p,
        v,
        dims.rows,
        dims.keys,
        dims.value_dim,
        prec.pv_acc,
        prec.out,
    )
}

/// `O <- fl_out(fl_out(alpha O) + PV)` row-wise.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn rescale_accumulate_in_place<T: Real>(
    o: &mut [T],
    alpha: &[T],
    pv: &[T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    check(
        "rescale_accumulate",
        "o",
        o.len(),
        dims.rows * dims.value_dim,
    )?;
    check(
        "rescale_accumulate",
        "pv",
        pv.len(),
        dims.rows * dims.value_dim,
    )?;
    check("rescale_accumulate", "alpha", alpha.len(), dims.rows)?;
    let dv = dims.value_dim.max(1);
    for ((orow, pvrow), &a) in o.chunks_exact_mut(dv).zip(pv.chunks_exact(dv)).zip(alpha) {
        vector::mul_scalar_in_place(orow, a, prec.out);
        vector::add_in_place(orow, pvrow, prec.out);
    }
    Ok(())
}

/// `O <- fl_output(fl_out(O / l))` row-wise: the final normalisation.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn finalize_in_place<T: Real>(
    o: &mut [T],
    l: &[T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    check("finalize", "o", o.len(), dims.rows * dims.value_dim)?;
    check("finalize", "l", l.len(), dims.rows)?;
    for (orow, &li) in o.chunks_exact_mut(dims.value_dim.max(1)).zip(l) {
        vector::div_scalar_in_place(orow, li, prec.out);
        vector::cast_in_place(orow, prec.output);
    }
    Ok(())
}
