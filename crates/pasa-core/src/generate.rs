//! Seeded generators for the paper's random benchmarks (as reconstructed in the brief).
//!
//! The paper attributes FP16 overflow to (1) a large bias of Q and K along the sequence
//! and (2) *resonance*: Q and K means in phase (or 180° out of phase) in the head
//! dimension. A [`RandomCase`] draws `q = bias_q · u_q(t) + amp · N(0,1)`,
//! `k = bias_k · u_k(t) + amp · N(0,1)`, `v = N(0,1)`, where `u_q, u_k` are mean directions
//! chosen by [`Resonance`] and `t` scales the bias along the sequence by [`BiasProfile`].
//! The brief's prototype table is `Resonance::Aligned`, `BiasProfile::Constant`,
//! `bias_q = bias_k = bias`.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::error::PasaError;
use crate::round::count_to_f64;
use crate::tensor::{AttentionInputs, Tensor};

/// Relative direction of the mean query and the mean key in the head dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resonance {
    /// In phase: both means along the all-ones direction (the brief's `bias + amp·N`).
    Aligned,
    /// 180° out of phase: the mean query is minus the mean key direction, so scores are
    /// large and negative.
    Opposite,
    /// No resonance: the mean key alternates sign over the head dimension, orthogonal to
    /// the all-ones mean query for an even head dimension.
    Orthogonal,
}

/// How the bias varies along the sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BiasProfile {
    /// The same bias at every position.
    Constant,
    /// Bias growing linearly from 0 at the first position to the full bias at the last.
    Ramp,
}

/// One random benchmark case.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RandomCase {
    /// Batch size.
    pub batch: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (divides `heads`).
    pub kv_heads: usize,
    /// Query length.
    pub seq_q: usize,
    /// Key length.
    pub seq_k: usize,
    /// Head dimension (also the value dimension).
    pub head_dim: usize,
    /// Bias magnitude of Q.
    pub bias_q: f64,
    /// Bias magnitude of K.
    pub bias_k: f64,
    /// Standard deviation of the noise of Q and K.
    pub amp: f64,
    /// Mean directions.
    pub resonance: Resonance,
    /// Bias along the sequence.
    pub profile: BiasProfile,
    /// RNG seed (Xoshiro256++).
    pub seed: u64,
}

impl RandomCase {
    /// The brief's benchmark: n = 1024, d = 128, one head, `q, k = bias + amp·N(0,1)`.
    #[must_use]
    pub fn brief(bias: f64, amp: f64, seed: u64) -> Self {
        Self {
            batch: 1,
            heads: 1,
            kv_heads: 1,
            seq_q: 1024,
            seq_k: 1024,
            head_dim: 128,
            bias_q: bias,
            bias_k: bias,
            amp,
            resonance: Resonance::Aligned,
            profile: BiasProfile::Constant,
            seed,
        }
    }

    /// Same case with another sequence length (queries and keys).
    #[must_use]
    pub fn with_seq(self, seq: usize) -> Self {
        Self {
            seq_q: seq,
            seq_k: seq,
            ..self
        }
    }

    /// Draw Q, K, V in f64 (before rounding to FP16 storage).
    ///
    /// # Errors
    /// [`PasaError::InvalidGenerator`] for a negative or non-finite amplitude or bias.
    pub fn draw_f64(&self) -> Result<[Tensor<f64>; 3], PasaError> {
        for (what, value) in [
            ("amp", self.amp),
            ("bias_q", self.bias_q),
            ("bias_k", self.bias_k),
        ] {
            if !value.is_finite() || (what == "amp" && value < 0.0) {
                return Err(PasaError::InvalidGenerator {
                    what,
                    value,
                    hint: "use a finite value (amp >= 0)",
                });
            }
        }
        let d = self.head_dim;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let ones = vec![1.0; d];
        let alternating: Vec<f64> = (0..d)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let (u_q, u_k): (Vec<f64>, &[f64]) = match self.resonance {
            Resonance::Aligned => (ones.clone(), &ones),
            Resonance::Opposite => (ones.iter().map(|x| -x).collect(), &ones),
            Resonance::Orthogonal => (ones.clone(), &alternating),
        };
        let profile = |pos: usize, len: usize| match self.profile {
            BiasProfile::Constant => 1.0,
            BiasProfile::Ramp => count_to_f64(pos) / count_to_f64(len.saturating_sub(1).max(1)),
        };
        let mut draw = |heads: usize, seq: usize, bias: f64, u: &[f64], noise: f64| {
            let mut data = Vec::with_capacity(self.batch * heads * seq * d);
            for _ in 0..self.batch * heads {
                for pos in 0..seq {
                    let t = bias * profile(pos, seq);
                    for &ui in u {
                        let z: f64 = StandardNormal.sample(&mut rng);
                        data.push(t * ui + noise * z);
                    }
                }
            }
            Tensor::new("generated", [self.batch, heads, seq, d], data)
        };
        let q = draw(self.heads, self.seq_q, self.bias_q, &u_q, self.amp)?;
        let k = draw(self.kv_heads, self.seq_k, self.bias_k, u_k, self.amp)?;
        let v = draw(self.kv_heads, self.seq_k, 0.0, &ones, 1.0)?;
        Ok([q, k, v])
    }

    /// Draw and round to validated FP16 inputs.
    ///
    /// # Errors
    /// [`PasaError::InvalidGenerator`]; shape errors (`kv_heads` not dividing `heads`,
    /// zero sizes); [`PasaError::NonFiniteInput`] if a drawn value exceeds the f16 range.
    pub fn inputs(&self) -> Result<AttentionInputs, PasaError> {
        let [q, k, v] = self.draw_f64()?;
        AttentionInputs::from_f64(&q, &k, &v)
    }
}
