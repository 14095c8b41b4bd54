//! Resonance of Q and K (the paper's phase coincidence in the head dimension).
//!
//! Reconstructed measure (brief): treat each query and key row as a signal over the head
//! dimension; when they are in phase (or 180° out of phase) across many dimensions,
//! `|q·k|` approaches `|q||k|` and scores are amplified. We report the distribution of
//! `cos∠(q_i, k_j)` over all pairs of a head and `cos∠(mean q, mean k)`.

use serde::{Deserialize, Serialize};

use crate::round::count_to_f64;
use crate::tensor::AttentionInputs;

/// Resonance statistics of one (batch, query head) against its key head.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Resonance {
    /// Batch index.
    pub batch: usize,
    /// Query head.
    pub head: usize,
    /// `cos∠(mean_i q_i, mean_j k_j)`: +1 in phase, -1 opposite, 0 no resonance.
    pub cos_means: f64,
    /// Mean of `cos∠(q_i, k_j)` over all pairs.
    pub cos_mean: f64,
    /// Mean of `|cos∠(q_i, k_j)|` over all pairs.
    pub abs_cos_mean: f64,
    /// Largest `|cos∠(q_i, k_j)|`.
    pub abs_cos_max: f64,
    /// Fraction of pairs with `|cos| > 0.9` (strongly resonant).
    pub frac_abs_cos_above_0_9: f64,
    /// `|mean q| · |mean k| · scale`: the size of the bias part of the scores.
    pub bias_score: f64,
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn cos(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (norm(a), norm(b));
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>() / (na * nb)
    }
}

fn mean_row(m: &[f64], d: usize) -> Vec<f64> {
    let mut mean = vec![0.0; d];
    let rows = m.len() / d.max(1);
    for row in m.chunks_exact(d.max(1)) {
        for (a, &x) in mean.iter_mut().zip(row) {
            *a += x;
        }
    }
    for a in &mut mean {
        *a /= count_to_f64(rows.max(1));
    }
    mean
}

/// Resonance of every (batch, query head) of `inputs`; `scale` is the softmax scale.
#[must_use]
pub fn resonance(inputs: &AttentionInputs, scale: f64) -> Vec<Resonance> {
    let shape = inputs.shape();
    let d = shape.head_dim;
    let (q, k) = (inputs.q().to_f64(), inputs.k().to_f64());
    let mut out = Vec::with_capacity(shape.batch * shape.heads);
    for b in 0..shape.batch {
        for h in 0..shape.heads {
            let qh = q.head(b, h);
            let kh = k.head(b, shape.kv_head_of(h));
            let (mq, mk) = (mean_row(qh, d), mean_row(kh, d));
            let (mut sum, mut abs_sum, mut abs_max, mut strong) = (0.0, 0.0, 0.0_f64, 0_usize);
            for qi in qh.chunks_exact(d) {
                for kj in kh.chunks_exact(d) {
                    let c = cos(qi, kj);
                    sum += c;
                    abs_sum += c.abs();
                    abs_max = abs_max.max(c.abs());
                    strong += usize::from(c.abs() > 0.9);
                }
            }
            let pairs = count_to_f64(shape.seq_q * shape.seq_k);
            out.push(Resonance {
                batch: b,
                head: h,
                cos_means: cos(&mq, &mk),
                cos_mean: sum / pairs,
                abs_cos_mean: abs_sum / pairs,
                abs_cos_max: abs_max,
                frac_abs_cos_above_0_9: count_to_f64(strong) / pairs,
                bias_score: norm(&mq) * norm(&mk) * scale,
            });
        }
    }
    out
}
