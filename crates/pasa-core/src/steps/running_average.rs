//! The tile-level steps of the authors' PASA (`pasa()` in `PASA_Verification.py`, commit
//! 14f5c6f of `chenglong92/PASA`), one function per stage of their loop, with every
//! rounding point of the script as one named rounding call.
//!
//! The script is PyTorch; on its CPU path every element-wise fp16 operation is computed in
//! f32 and rounded to fp16, and fp16 matrix products accumulate in f32. In our model:
//! matrix products accumulate in [`Precision::score_acc`] / [`Precision::pv_acc`] (f32)
//! and round to their output type; each vector operation rounds to `vec_tp`, which is
//! [`Precision::vector`] for score-sized tiles and [`Precision::stats`] for per-row values
//! (both fp16 in `pasa`, both f32 in `pasa-hybrid`). Host-side constants (the shifting
//! matrix before its cast, `beta/(1-beta)`) are computed in f32, the script's default
//! tensor type, or f64 in exact configurations ([`host_type`]).
//!
//! For one query block `Q_i` and key blocks `j = 0, 1, ...` (script names in brackets):
//!
//! | step | script |
//! |---|---|
//! | [`scaled_shifting_matrix_in_place`] `M = fl_op(scale (I - beta/s 1 1^T))` | `M = Tiling_Para.M * scalar` |
//! | [`super::shift_keys_in_place`] `K'_j = M K_j` (once per key block) | `temp_K.permute(0,1,3,2) @ M` |
//! | [`cast_query_in_place`] | `q_npu.to(float32).to(mm_tp)` |
//! | [`shifted_score_tile_in_place`] `S = Q_i K'^T` | `torch.matmul(q0, k0^T)` |
//! | [`super::row_mean_in_place`] (before masking, padding included) | `S_ave = torch.mean(S)` |
//! | [`mask_padding_in_place`] | `S += local_attention_mask` |
//! | [`running_average_softmax_in_place`] | `softmax_npu`, running mean, `m`, `l` |
//! | [`super::pv_tile_in_place`] `P V_j` | `torch.matmul(p, temp_v)` |
//! | [`merge_output_in_place`] | `O0 = exp(..) O0 + exp(..) temp_O` |
//! | [`super::finalize_in_place`] `O / l` | `O0 / l_j_1` |
//!
//! Quirks reproduced (docs/pasa.md lists them with their consequences): the row mean
//! includes the padded keys; padded columns are masked by *adding* the lowest finite
//! value of `vec_tp` (the script multiplies its mask by `-inf` and `nan_to_num` turns the
//! `-inf` into `-65504` in fp16); the running max starts at -60000; at `j = 0` the merge
//! uses `m_j` where later blocks use the old max. Our causal mask (key `c` visible to
//! query `r` when `c <= r + seq_k - seq_q`) sets the masked scores to `-inf` after the row
//! mean instead (the script's own causal path would mask with `triu` including the
//! diagonal); a row with no visible key in a block takes nothing from it.

use crate::error::{PasaError, check_tile_len as check};
use crate::matmul::matmul_in_place;
use crate::precision::Precision;
use crate::round::{Real, Scalar, count_to_f64, scalar};
use crate::steps::TileDims;
use crate::vector;

/// The script's initial running maximum (`m_j_1 = zeros - 60000`): an fp16 stand-in for
/// `-inf`, exactly representable in fp16.
pub const INITIAL_MAX: f64 = -60000.0;

/// The type host-side constants are computed in: f32 (PyTorch's default, in which the
/// script builds `M` and `beta/(1-beta)`), or f64 when the configuration has an f64 stage.
#[must_use]
pub fn host_type(prec: &Precision) -> Scalar {
    if prec.needs_f64() {
        Scalar::F64
    } else {
        Scalar::F32
    }
}

/// Fill `m` (`keys × keys`) with the authors' shifting matrix with the softmax scale
/// folded in, `M = fl_op(fl_h(fl_h(I - fl_h(fl_h(beta)/keys)) · fl_h(scale)))` in the host
/// type `h` ([`host_type`]), each entry rounded once to the operand type at the end
/// (`constructM`, then `M * scalar`, then `.to(mm_tp)`).
///
/// # Errors
/// [`PasaError::TileLength`] if `m.len() != keys²`.
pub fn scaled_shifting_matrix_in_place<T: Real>(
    m: &mut [T],
    keys: usize,
    beta: f64,
    scale: f64,
    prec: &Precision,
) -> Result<(), PasaError> {
    check("scaled_shifting_matrix", "m", m.len(), keys * keys)?;
    let host = host_type(prec);
    let beta = T::from_f64_rounded(beta, host);
    let keys_h = T::from_f64_rounded(count_to_f64(keys), host);
    let scale = T::from_f64_rounded(scale, host);
    let w = scalar::div(beta, keys_h, host);
    let diag = scalar::mul(scalar::sub(T::ONE, w, host), scale, host).round_to(prec.operand);
    let off = scalar::mul(scalar::sub(T::ZERO, w, host), scale, host).round_to(prec.operand);
    for (r, row) in m.chunks_exact_mut(keys.max(1)).enumerate() {
        row.fill(off);
        row[r] = diag;
    }
    Ok(())
}

/// `gamma = fl_stats(fl_h(fl_h(beta) / fl_h(1 - fl_h(beta))))`: the script's `Inv_Pam`,
/// computed in the host type and cast to `vec_tp`.
#[must_use]
pub fn recovery_factor<T: Real>(beta: f64, prec: &Precision) -> T {
    let host = host_type(prec);
    let beta = T::from_f64_rounded(beta, host);
    scalar::div(beta, scalar::sub(T::ONE, beta, host), host).round_to(prec.stats)
}

/// Cast the loaded query tile to the operand type (`q.to(float32).to(mm_tp)`); the scale
/// lives in the shifting matrix, so unlike [`super::scale_query_in_place`] nothing is
/// multiplied.
pub fn cast_query_in_place<T: Real>(q: &mut [T], prec: &Precision) {
    vector::cast_in_place(q, prec.operand);
}

/// `S = Q_i K'^T` on the matrix unit, accumulated in `score_acc` and written out in
/// `score`, with no scale (it is folded into `K'`).
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn shifted_score_tile_in_place<T: Real>(
    scores: &mut [T],
    q: &[T],
    k_t: &[T],
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    matmul_in_place(
        scores,
        q,
        k_t,
        dims.rows,
        dims.head_dim,
        dims.keys,
        prec.score_acc,
        prec.score,
    )
}

/// Cast the score tile to the vector type (`S.float()` in the hybrid mode), then mask:
/// padding columns `c >= real` get `fl_vec(S + lowest_finite(vec))` (the script's additive
/// mask), causally masked columns `visible[r] <= c < real` get `-inf`.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn mask_padding_in_place<T: Real>(
    scores: &mut [T],
    visible: &[usize],
    real: usize,
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    check("mask_padding", "visible", visible.len(), dims.rows)?;
    check(
        "mask_padding",
        "scores",
        scores.len(),
        dims.rows * dims.keys,
    )?;
    vector::cast_in_place(scores, prec.vector);
    let lowest = T::from_f64_rounded(prec.vector.lowest_finite(), prec.vector);
    let real = real.min(dims.keys);
    for (row, &v) in scores.chunks_exact_mut(dims.keys.max(1)).zip(visible) {
        vector::add_scalar_in_place(&mut row[real..], lowest, prec.vector);
        row[v.min(real)..real].fill(T::NEG_INFINITY);
    }
    Ok(())
}

/// The per-row running state of the authors' PASA for one query block.
#[derive(Debug)]
pub struct RunningRows<'a, T> {
    /// Running maximum (`m_j_1`), relative to `gamma` times the running average; starts at
    /// [`INITIAL_MAX`].
    pub m: &'a mut [T],
    /// Running sum (`l_j_1`); starts at 0.
    pub l: &'a mut [T],
    /// Running average of the block row means (`S_ave_0`).
    pub average: &'a mut [T],
    /// Factor of the old state in this block's merge, `exp(m_old - m_new + b_j)`.
    pub keep: &'a mut [T],
    /// Factor of this block in the merge, `exp(m_j - m_new + a_j)`.
    pub take: &'a mut [T],
}

/// One block of the authors' online softmax, in place on the masked score tile (which
/// becomes `P`, cast to the operand type for the `P V` product), for key block number
/// `block` (`j`, counted from 0 for this query block), given the block's row `means`
/// (from [`super::row_mean_in_place`]) and `gamma` ([`recovery_factor`]). Per row, in
/// `vec_tp` with every operation rounded (`x_max` exact):
///
/// * `softmax_npu`: `m_j = max S`, `P = exp(S - m_j)`, `l_j = sum P` (f32 accumulation
///   in `row_sum`);
/// * running average: `A_prev = A`, `A = mean fl(1/(j+1)) + A_prev fl(j/(j+1))` (the two
///   weights rounded once from f64 to `vec_tp`; `A = mean` before block 0);
/// * `a_j = (mean - A) gamma`, `b_j = gamma (A_prev - A)`,
///   `m_new = max(m_j + a_j, m + b_j)`;
/// * `j = 0`: `take = exp(m_j - m_new + b_j)`, `l = take l_j`;
///   `j > 0`: `keep = exp(m - m_new + b_j)`, `take = exp(m_j - m_new + a_j)`,
///   `l = keep l + take l_j`; then `m = m_new`.
///
/// A row with no visible key (`visible[r] == 0`, causal) gets `P = 0`, `l_j = 0` and
/// `m_j = -inf`, so it takes nothing from this block.
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
#[allow(clippy::too_many_arguments)]
pub fn running_average_softmax_in_place<T: Real>(
    scores: &mut [T],
    means: &[T],
    visible: &[usize],
    rows: RunningRows<'_, T>,
    block: usize,
    gamma: T,
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    let n = dims.rows;
    check(
        "running_average_softmax",
        "scores",
        scores.len(),
        n * dims.keys,
    )?;
    for (slice, len) in [
        ("means", means.len()),
        ("m", rows.m.len()),
        ("l", rows.l.len()),
        ("average", rows.average.len()),
        ("keep", rows.keep.len()),
        ("take", rows.take.len()),
    ] {
        check("running_average_softmax", slice, len, n)?;
    }
    check("running_average_softmax", "visible", visible.len(), n)?;
    const G: usize = vector::LANES;
    let (vec, st) = (prec.vector, prec.stats);
    let j = count_to_f64(block);
    let w_new = T::from_f64_rounded(1.0 / (j + 1.0), st);
    let w_old = T::from_f64_rounded(j / (j + 1.0), st);
    let keys = dims.keys.max(1);
    // Rows in groups of `G`: `softmax_npu` of each row, then the group's row sums formed
    // together (`vector::row_sums_in_place`, each row in its own order), then each row's
    // state. Every row sees the operations of the per-row loop in the same order.
    let states = rows
        .m
        .chunks_mut(G)
        .zip(rows.l.chunks_mut(G))
        .zip(rows.average.chunks_mut(G))
        .zip(rows.keep.chunks_mut(G).zip(rows.take.chunks_mut(G)));
    let groups = scores
        .chunks_mut(G * keys)
        .zip(means.chunks(G))
        .zip(visible.chunks(G))
        .zip(states);
    for (((tile, means), visible), (((m, l), avg), (keep, take))) in groups {
        let mut maxima = [T::NEG_INFINITY; G];
        for ((p, m_j), &vis) in tile.chunks_exact_mut(keys).zip(&mut maxima).zip(visible) {
            if vis == 0 {
                p.fill(T::ZERO);
            } else {
                *m_j = vector::max(p);
                vector::sub_scalar_in_place(p, *m_j, vec);
                vector::exp_in_place(p, vec);
            }
        }
        let mut sums = [T::ZERO; G];
        let sums = &mut sums[..means.len()];
        vector::row_sums_in_place(sums, tile, keys, prec.row_sum, st);
        let rows = tile
            .chunks_exact_mut(keys)
            .zip(means.iter().zip(visible))
            .zip(maxima.iter().zip(&*sums));
        let state = m
            .iter_mut()
            .zip(l.iter_mut())
            .zip(avg.iter_mut())
            .zip(keep.iter_mut().zip(take.iter_mut()));
        for (((p, (&mean, &vis)), (&m_j, &l_j)), (((m, l), avg), (keep, take))) in rows.zip(state) {
            // A row with no visible key: `P = 0`, `l_j = 0`, `m_j = -inf`.
            let l_j = if vis == 0 { T::ZERO } else { l_j };
            vector::cast_in_place(p, prec.operand);
            if block == 0 {
                *avg = mean;
            }
            let prev = *avg;
            *avg = scalar::add(
                scalar::mul(mean, w_new, st),
                scalar::mul(prev, w_old, st),
                st,
            );
            let a_j = scalar::mul(scalar::sub(mean, *avg, st), gamma, st);
            let b_j = scalar::mul(gamma, scalar::sub(prev, *avg, st), st);
            let m_new = scalar::max(scalar::add(m_j, a_j, st), scalar::add(*m, b_j, st), st);
            let exp_of =
                |x: T, y: T| scalar::exp(scalar::add(scalar::sub(x, m_new, st), y, st), st);
            if block == 0 {
                *keep = T::ZERO;
                *take = exp_of(m_j, b_j);
                *l = scalar::mul(*take, l_j, st);
            } else {
                *keep = exp_of(*m, b_j);
                *take = exp_of(m_j, a_j);
                *l = scalar::add(scalar::mul(*keep, *l, st), scalar::mul(*take, l_j, st), st);
            }
            *m = m_new;
        }
    }
    Ok(())
}

/// `O <- fl_out(take · PV)` for block 0, `O <- fl_out(fl_out(keep · O) + fl_out(take · PV))`
/// after (the script's two branches of `O0 = ...`).
///
/// # Errors
/// [`PasaError::TileLength`] on inconsistent lengths.
pub fn merge_output_in_place<T: Real>(
    o: &mut [T],
    keep: &[T],
    take: &[T],
    pv: &[T],
    block: usize,
    dims: TileDims,
    prec: &Precision,
) -> Result<(), PasaError> {
    let len = dims.rows * dims.value_dim;
    check("merge_output", "o", o.len(), len)?;
    check("merge_output", "pv", pv.len(), len)?;
    check("merge_output", "keep", keep.len(), dims.rows)?;
    check("merge_output", "take", take.len(), dims.rows)?;
    let dv = dims.value_dim.max(1);
    let ty = prec.out;
    for (((orow, pvrow), &k), &t) in o
        .chunks_exact_mut(dv)
        .zip(pv.chunks_exact(dv))
        .zip(keep)
        .zip(take)
    {
        if block == 0 {
            orow.copy_from_slice(pvrow);
            vector::mul_scalar_in_place(orow, t, ty);
        } else {
            vector::mul_scalar_in_place(orow, k, ty);
            vector::add_scaled_in_place(orow, pvrow, t, ty);
        }
    }
    Ok(())
}
