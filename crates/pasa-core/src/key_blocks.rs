//! The key/value prepass: key and value blocks of one (batch, key/value head), prepared once
//! and shared by every query block and every query head of its group.
//!
//! Both the driver ([`attention`](crate::attention())) and `npu-sim`'s prepass launch need
//! exactly these tiles (PASA's shifted keys `K' = M K_j`, transposed for the score product;
//! padded value blocks; the key-means differences), so they are built here once, from
//! the [`steps`] functions only, and neither caller repeats the loop.

use crate::error::PasaError;
use crate::matmul::transpose_in_place;
use crate::precision::{Padding, Precision};
use crate::round::Real;
use crate::steps::{self, TileDims};
use crate::tensor::AttentionInputs;

/// What the prepass does to every key/value block.
#[derive(Debug, Clone, Copy)]
pub struct Prepass<'a, T> {
    /// Keys per block.
    pub block_k: usize,
    /// PASA's `block_k × block_k` shifting matrix ([`steps::shifting_matrix_in_place`] or
    /// [`steps::running_average::scaled_shifting_matrix_in_place`]); `None` for Flash
    /// Attention.
    pub shifting: Option<&'a [T]>,
    /// Compute [`steps::key_mean_difference_in_place`] of every block against block 0
    /// (key-mean recovery).
    pub key_means: bool,
    /// What fills a short last block ([`Algorithm::padding`](crate::Algorithm::padding)).
    pub padding: Padding,
}

/// Prepared key/value blocks of one (batch, key/value head), each block `block_k` keys
/// (a short last block padded as the [`Prepass`] says).
#[derive(Debug, Clone)]
pub struct KeyBlocks<T> {
    /// Per block: keys (shifted for PASA) transposed, `head_dim × block_k`.
    k_t: Vec<T>,
    /// Per block: values, `block_k × value_dim`, zero-padded.
    v: Vec<T>,
    /// Per block: `mean(K_j) - mean(K_0)` (key-means recovery only, else empty).
    mean_diff: Vec<T>,
    head_dim: usize,
    block_k: usize,
    value_dim: usize,
    blocks: usize,
}

impl<T: Real> KeyBlocks<T> {
    /// Loads every key/value block of `(batch, kv_head)`, pads the last one, shifts the
    /// keys by the prepass's shifting matrix, transposes them, and with `key_means`
    /// computes [`steps::key_mean_difference_in_place`] of every block against block 0.
    ///
    /// # Errors
    /// [`PasaError::ZeroBlockSize`] for `block_k == 0`; [`PasaError::BlockTooLarge`] for a
    /// key tile of more than 2^30 elements; [`PasaError::IndexOutOfRange`] for
    /// a `batch` or `kv_head` outside the inputs; [`PasaError::TileLength`] for a
    /// `shifting` matrix that is not `block_k × block_k`.
    pub fn prepare(
        inputs: &AttentionInputs,
        batch: usize,
        kv_head: usize,
        prepass: &Prepass<'_, T>,
        prec: &Precision,
    ) -> Result<Self, PasaError> {
        let shape = inputs.shape();
        let Prepass {
            block_k,
            shifting,
            key_means,
            padding,
        } = *prepass;
        if block_k == 0 {
            return Err(PasaError::ZeroBlockSize { what: "block_k" });
        }
        let widest = inputs.shape().head_dim.max(inputs.shape().value_dim);
        crate::error::check_tile_size("block_k", block_k, widest)?;
        if batch >= shape.batch {
            return Err(PasaError::IndexOutOfRange {
                what: "batch",
                index: batch,
                len: shape.batch,
            });
        }
        if kv_head >= shape.kv_heads {
            return Err(PasaError::IndexOutOfRange {
                what: "kv_head",
                index: kv_head,
                len: shape.kv_heads,
            });
        }
        let (s, d, dv) = (block_k, shape.head_dim, shape.value_dim);
        let blocks = shape.seq_k.div_ceil(s);
        let k_all = inputs.k().head(batch, kv_head);
        let v_all = inputs.v().head(batch, kv_head);
        let mut k_t = vec![T::ZERO; blocks * d * s];
        let mut v = vec![T::ZERO; blocks * s * dv];
        let mut k_tile = vec![T::ZERO; s * d];
        let mut k_shifted = vec![T::ZERO; s * d];
        let mut k_first = vec![T::ZERO; if key_means { s * d } else { 0 }];
        let mut mean_diff = vec![T::ZERO; if key_means { blocks * d } else { 0 }];
        let dims = TileDims {
            rows: s,
            keys: s,
            head_dim: d,
            value_dim: dv,
        };
        for j in 0..blocks {
            let n = (shape.seq_k - j * s).min(s);
            k_tile.fill(T::ZERO);
            steps::load_tile_in_place(&mut k_tile[..n * d], &k_all[j * s * d..(j * s + n) * d])?;
            let v_tile = &mut v[j * s * dv..(j + 1) * s * dv];
            steps::load_tile_in_place(&mut v_tile[..n * dv], &v_all[j * s * dv..(j * s + n) * dv])?;
            for p in 0..s - n {
                if let Some(src) = padding.source_row(shape.seq_k, s, p) {
                    let (kr, vr) = ((n + p) * d, (n + p) * dv);
                    steps::load_tile_in_place(
                        &mut k_tile[kr..kr + d],
                        &k_all[src * d..(src + 1) * d],
                    )?;
                    steps::load_tile_in_place(
                        &mut v_tile[vr..vr + dv],
                        &v_all[src * dv..(src + 1) * dv],
                    )?;
                }
            }
            if key_means {
                if j == 0 {
                    k_first.copy_from_slice(&k_tile);
                }
                let diff = &mut mean_diff[j * d..(j + 1) * d];
                steps::key_mean_difference_in_place(diff, &k_tile, &k_first, dims, prec)?;
            }
            let keys = match shifting {
                Some(m) => {
                    steps::shift_keys_in_place(&mut k_shifted, m, &k_tile, dims, prec)?;
                    &k_shifted
                }
                None => &k_tile,
            };
            transpose_in_place(&mut k_t[j * d * s..(j + 1) * d * s], keys, s, d)?;
        }
        Ok(Self {
            k_t,
            v,
            mean_diff,
            head_dim: d,
            block_k: s,
            value_dim: dv,
            blocks,
        })
    }

    /// Number of key blocks (`ceil(seq_k / block_k)`).
    #[must_use]
    pub fn len(&self) -> usize {
        self.blocks
    }

    /// `true` when there are no key blocks (`seq_k == 0`).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.blocks == 0
    }

    /// Block `j`'s keys (shifted for PASA), transposed: `head_dim × block_k`.
    ///
    /// # Panics
    /// If `j >= self.len()` (as slice indexing does).
    #[must_use]
    pub fn keys_t(&self, j: usize) -> &[T] {
        let n = self.head_dim * self.block_k;
        &self.k_t[j * n..(j + 1) * n]
    }

    /// Block `j`'s values, padded: `block_k × value_dim`.
    ///
    /// # Panics
    /// If `j >= self.len()` (as slice indexing does).
    #[must_use]
    pub fn values(&self, j: usize) -> &[T] {
        let n = self.block_k * self.value_dim;
        &self.v[j * n..(j + 1) * n]
    }

    /// Block `j`'s `mean(K_j) - mean(K_0)` (`head_dim` values), or `None` when the blocks
    /// were prepared without `key_means` or `j >= self.len()`.
    #[must_use]
    pub fn mean_diff(&self, j: usize) -> Option<&[T]> {
        let d = self.head_dim;
        self.mean_diff.get(j * d..(j + 1) * d)
    }
}
