//! The PASA authors' own random benchmark, as their verification script runs it
//! (`PASA_Verification.py` at commit 14f5c6f of `chenglong92/PASA`): its shape, its two
//! generators, its grid, its golden output, its metrics and its pass rule. The kernels are
//! this crate's; this module draws the inputs and scores the outputs the way the script
//! does, so that a caller (`cargo xtask validate`'s `pasa` suite) can say how the authors'
//! algorithm fares on the authors' test.
//!
//! What is the same as the script, and what is not:
//! * Shape: batch 1, 28 query heads over 4 KV heads (GQA), 1407 = 1280 + 127 queries and
//!   keys (ragged: 10 full blocks of 128 and one of 127), head dimension 128.
//! * Generators, drawn in f32 and cast to FP16: "uniform" `q, k, v = mean + Am U(-1, 1)`
//!   (V carries the mean too) and "hybrid" (after FlashAttention-3's test)
//!   `N(mean, 1) + N(0, Am) Bernoulli(0.001)`; grid mean {0, 10, 20, 30} x Am
//!   {0.5, 5, 10, 20}; seed 2024724 for every cell, as the script reseeds per call.
//!   **Our PRNG is not PyTorch's**: we draw from Xoshiro256++ (one stream per tensor and
//!   head, seeded from 2024724, so that the heads of quick mode are exactly the first heads
//!   of full mode), so our numbers are the same *distribution*, not the same samples.
//! * Golden: attention from the FP16 inputs in high precision, rounded to the output type
//!   FP16. The script computes it in f32 with NumPy; we take the f64 reference
//!   and round it once to FP16 (the two differ by f32 rounding, ~1e-7 relative, far below
//!   the FP16 rounding of the golden).
//! * Metrics: RMSE against the golden; relative RMSE as the script computes it,
//!   `RMSE / RMS(V)`, and also `RMSE / RMS(golden)`; the "double thousandth" pass rule
//!   (`DoublePassRatio = 0.005`): the share of outputs whose relative error is not below
//!   0.005 must itself be at most 0.005. The script's `compare.dataCompare` is not
//!   published; we use the relative error of the Ascend operator tests' comparison helper
//!   of that name, `|o - g| / max(|o|, |g|, 2^-14 / 0.005)`, whose floor keeps outputs near
//!   zero from counting as relative failures. An inf or NaN output always counts as
//!   failing.

use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

use crate::diagnostics::ErrorReport;
use crate::driver::{AttentionParams, attention};
use crate::error::PasaError;
use crate::precision::Preset;
use crate::reference::reference_attention;
use crate::round::{Real, Scalar, count_to_f64, f32_to_f64};
use crate::tensor::{AttentionInputs, Tensor};

/// The script's seed (`gendata(..., seed = 2024724)`).
pub const SEED: u64 = 2_024_724;

/// The grid of means of the paper (the README of commit 14f5c6f).
pub const MEANS: [f64; 4] = [0.0, 10.0, 20.0, 30.0];

/// The grid of amplitudes of the paper.
pub const AMPLITUDES: [f64; 4] = [0.5, 5.0, 10.0, 20.0];

/// The script's `DoublePassRatio`: both the relative-error threshold and the largest
/// share of outputs allowed to exceed it.
pub const DOUBLE_PASS_RATIO: f64 = 0.005;

/// The floor of the relative error's denominator: `2^-14 / DOUBLE_PASS_RATIO`.
const RELATIVE_FLOOR: f64 = 1.0 / 16384.0 / DOUBLE_PASS_RATIO;

/// Probability of an outlier in the hybrid generator.
const OUTLIER_PROBABILITY: f64 = 0.001;

/// The two input distributions of the script (`distype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Generator {
    /// `distype = 0`: `mean + Am U(-1, 1)`.
    Uniform,
    /// `distype = 1`: `N(mean, 1) + N(0, Am) Bernoulli(0.001)`.
    Hybrid,
}

impl Generator {
    /// Both, in the script's order.
    pub const ALL: [Self; 2] = [Self::Uniform, Self::Hybrid];

    /// "uniform" or "hybrid".
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Uniform => "uniform",
            Self::Hybrid => "hybrid",
        }
    }
}

/// Heads and lengths of a benchmark run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BenchmarkShape {
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (divides `heads`).
    pub kv_heads: usize,
    /// Query and key length.
    pub seq: usize,
    /// Head dimension.
    pub head_dim: usize,
}

impl BenchmarkShape {
    /// The script's shape: 28 query heads over 4 KV heads, 1407 tokens, d = 128.
    pub const AUTHORS: Self = Self {
        heads: 28,
        kv_heads: 4,
        seq: 1407,
        head_dim: 128,
    };

    /// The same with `heads` query heads over `kv_heads` KV heads (the first heads of
    /// [`BenchmarkShape::AUTHORS`]' draws, as the streams are per head).
    #[must_use]
    pub fn with_heads(self, heads: usize, kv_heads: usize) -> Self {
        Self {
            heads,
            kv_heads,
            ..self
        }
    }
}

/// One stream per (tensor, head), so that a run with fewer heads draws exactly the first
/// heads of a larger one.
fn stream(tensor: u64, head: usize) -> Xoshiro256PlusPlus {
    let head = u64::try_from(head).unwrap_or(u64::MAX);
    Xoshiro256PlusPlus::seed_from_u64(SEED ^ (tensor << 48) ^ (head << 32))
}

/// Draw one tensor of `heads` heads in f32 (widened exactly to f64; the FP16 cast of
/// [`draw`] rounds each value once, as a cast from f32 would).
fn draw_tensor(
    generator: Generator,
    mean: f32,
    amp: f32,
    tensor: u64,
    heads: usize,
    shape: BenchmarkShape,
) -> Result<Tensor<f64>, PasaError> {
    let per_head = shape.seq * shape.head_dim;
    let mut values = Vec::with_capacity(heads * per_head);
    for head in 0..heads {
        let mut rng = stream(tensor, head);
        for _ in 0..per_head {
            let x = match generator {
                Generator::Uniform => (rng.random::<f32>() - 0.5) * 2.0 * amp + mean,
                Generator::Hybrid => {
                    let base: f32 = StandardNormal.sample(&mut rng);
                    let outlier: f32 = StandardNormal.sample(&mut rng);
                    let hit = rng.random_bool(OUTLIER_PROBABILITY);
                    mean + base + if hit { amp * outlier } else { 0.0 }
                }
            };
            values.push(f32_to_f64(x));
        }
    }
    Tensor::new("benchmark", [1, heads, shape.seq, shape.head_dim], values)
}

/// The FP16 inputs of one grid cell.
///
/// # Errors
/// Shape errors ([`PasaError::HeadsDoNotDivide`], [`PasaError::EmptyDimension`]) and
/// [`PasaError::NonFiniteInput`] for values beyond FP16 (none at the grid's means and
/// amplitudes).
pub fn draw(
    generator: Generator,
    mean: f64,
    amp: f64,
    shape: BenchmarkShape,
) -> Result<AttentionInputs, PasaError> {
    // The grid's values are exact in f32.
    let (mean, amp) = (f32_of(mean), f32_of(amp));
    let q = draw_tensor(generator, mean, amp, 0, shape.heads, shape)?;
    let k = draw_tensor(generator, mean, amp, 1, shape.kv_heads, shape)?;
    let v = draw_tensor(generator, mean, amp, 2, shape.kv_heads, shape)?;
    AttentionInputs::from_f64(&q, &k, &v)
}

/// A grid value as f32 (they are small integers and halves, exact in f32).
fn f32_of(x: f64) -> f32 {
    f32::from_f64_rounded(x, Scalar::F32)
}

/// One variant's score on one cell, as the script scores it.
#[derive(Debug, Clone, Serialize)]
pub struct Score {
    /// [`Preset::name`].
    pub variant: &'static str,
    /// Outputs that are inf or NaN.
    pub non_finite: usize,
    /// RMSE against the golden over the finite outputs (NaN if none).
    pub rmse: f64,
    /// `rmse / RMS(V)`: the script's relative RMSE.
    pub rel_rmse_v: f64,
    /// `rmse / RMS(golden)`.
    pub rel_rmse_golden: f64,
    /// Share of outputs whose relative error is not below 0.005 (inf/NaN included).
    pub exceed_share: f64,
    /// The double-thousandth verdict: finite and `exceed_share <= 0.005`.
    pub passed: bool,
}

impl Score {
    /// Whether some output was inf or NaN.
    #[must_use]
    pub fn overflowed(&self) -> bool {
        self.non_finite > 0
    }
}

/// Every variant's score on one cell.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The generator.
    pub generator: Generator,
    /// The mean.
    pub mean: f64,
    /// The amplitude.
    pub amp: f64,
    /// Largest |score| of the FP32-softmax baseline (the unshifted scores).
    pub max_abs_score: f64,
    /// One score per variant over every head, in the order of the presets run.
    pub scores: Vec<Score>,
    /// The same over the first [`run_cell`]'s `pinned_heads` query heads only (and the KV
    /// head they read): what the claims pin, identical in every run that draws those heads.
    pub pinned: Vec<Score>,
}

impl Cell {
    /// The score of `variant` over every head.
    #[must_use]
    pub fn score(&self, variant: Preset) -> Option<&Score> {
        self.scores.iter().find(|s| s.variant == variant.name())
    }

    /// The score of `variant` over the pinned heads.
    #[must_use]
    pub fn pinned(&self, variant: Preset) -> Option<&Score> {
        self.pinned.iter().find(|s| s.variant == variant.name())
    }
}

/// The variants scored: every preset that runs in FP16 (the f64 ones equal the reference
/// by construction).
#[must_use]
pub fn variants() -> Vec<Preset> {
    Preset::ALL
        .into_iter()
        .filter(|p| !p.kernel().precision.needs_f64())
        .collect()
}

fn rms(xs: &[f64]) -> f64 {
    let n = xs.len().max(1);
    (xs.iter().map(|x| x * x).sum::<f64>() / count_to_f64(n)).sqrt()
}

/// The script's relative error of one output against its golden value (module docs).
fn relative_error(out: f64, golden: f64) -> f64 {
    (out - golden).abs() / out.abs().max(golden.abs()).max(RELATIVE_FLOOR)
}

/// Score `out` against `golden`, both FP16 values widened to f64.
#[must_use]
pub fn score(variant: &'static str, out: &Tensor<f64>, golden: &Tensor<f64>, rms_v: f64) -> Score {
    let e = ErrorReport::compare(out, golden);
    let exceeding = out
        .data()
        .iter()
        .zip(golden.data())
        .filter(|&(&o, &g)| !(o.is_finite() && relative_error(o, g) < DOUBLE_PASS_RATIO))
        .count();
    let exceed_share = count_to_f64(exceeding) / count_to_f64(e.total.max(1));
    Score {
        variant,
        non_finite: e.non_finite,
        rmse: e.rmse,
        rel_rmse_v: e.rmse / rms_v,
        rel_rmse_golden: e.rmse / rms(golden.data()),
        exceed_share,
        passed: e.all_finite() && exceed_share <= DOUBLE_PASS_RATIO,
    }
}

/// The first `heads` heads of every batch of a (B, H, seq, d) tensor.
fn first_heads(t: &Tensor<f64>, heads: usize) -> Result<Tensor<f64>, PasaError> {
    let [b, h, s, d] = t.shape();
    if heads > h {
        return Err(PasaError::IndexOutOfRange {
            what: "head",
            index: heads - 1,
            len: h,
        });
    }
    let mut data = Vec::with_capacity(b * heads * s * d);
    for batch in 0..b {
        for head in 0..heads {
            data.extend_from_slice(t.head(batch, head));
        }
    }
    Tensor::new("heads", [b, heads, s, d], data)
}

/// Run `presets` on one cell and score each, over every head and over the first
/// `pinned_heads` query heads (which must read the first KV head).
///
/// # Errors
/// From [`draw`], [`attention`] and [`reference_attention`];
/// [`PasaError::PinnedHeadsOutsideGroup`] for `pinned_heads` not in `1..=` the query heads
/// per KV head.
pub fn run_cell(
    generator: Generator,
    mean: f64,
    amp: f64,
    shape: BenchmarkShape,
    pinned_heads: usize,
    presets: &[Preset],
) -> Result<Cell, PasaError> {
    let group = shape.heads / shape.kv_heads.max(1);
    if !(1..=group).contains(&pinned_heads) {
        return Err(PasaError::PinnedHeadsOutsideGroup {
            pinned: pinned_heads,
            group,
        });
    }
    let inputs = draw(generator, mean, amp, shape)?;
    let params = AttentionParams::default();
    // The golden: high-precision attention from the FP16 inputs, rounded to FP16.
    let golden = Tensor::from_f64(&reference_attention(&inputs, &params)?).to_f64();
    let golden_pinned = first_heads(&golden, pinned_heads)?;
    let v = inputs.v().to_f64();
    let (rms_v, rms_v_pinned) = (rms(v.data()), rms(first_heads(&v, 1)?.data()));
    let mut max_abs_score = f64::NAN;
    let mut scores = Vec::with_capacity(presets.len());
    let mut pinned = Vec::with_capacity(presets.len());
    for &preset in presets {
        let out = attention(&inputs, &preset.kernel(), &params)?;
        if preset == Preset::Fp32Softmax {
            max_abs_score = out.probe.max_abs_score;
        }
        scores.push(score(preset.name(), &out.out, &golden, rms_v));
        let out_pinned = first_heads(&out.out, pinned_heads)?;
        pinned.push(score(
            preset.name(),
            &out_pinned,
            &golden_pinned,
            rms_v_pinned,
        ));
    }
    Ok(Cell {
        generator,
        mean,
        amp,
        max_abs_score,
        scores,
        pinned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_error_has_the_floor_of_the_ascend_helper() {
        // Above the floor (2^-14 / 0.005 = 0.0122): plain relative error.
        assert!((relative_error(1.01, 1.0) - 0.01 / 1.01).abs() < 1e-15);
        // Below it: the difference over the floor, so 1e-5 vs 2e-5 is no failure.
        assert!(relative_error(2e-5, 1e-5) < DOUBLE_PASS_RATIO);
        assert!(relative_error(f64::NAN, 1.0).is_nan());
    }

    #[test]
    fn fewer_heads_are_the_first_heads_of_more() {
        let full = BenchmarkShape::AUTHORS.with_heads(4, 2);
        let small = BenchmarkShape {
            seq: 3,
            head_dim: 4,
            ..full
        };
        let one = small.with_heads(2, 1);
        for generator in Generator::ALL {
            let a = draw(generator, 10.0, 5.0, small).expect("draws");
            let b = draw(generator, 10.0, 5.0, one).expect("draws");
            assert_eq!(a.q().head(0, 1), b.q().head(0, 1));
            assert_eq!(a.k().head(0, 0), b.k().head(0, 0));
            assert_eq!(a.v().head(0, 0), b.v().head(0, 0));
        }
    }

    #[test]
    fn uniform_draws_stay_in_their_interval_and_hybrid_has_rare_outliers() {
        let shape = BenchmarkShape {
            heads: 1,
            kv_heads: 1,
            seq: 200,
            head_dim: 128,
        };
        let u = draw(Generator::Uniform, 30.0, 0.5, shape).expect("draws");
        let values = u.q().to_f64();
        // 30 +- 0.5, widened by the FP16 rounding of 30.5 (half an ulp, 2^-6).
        assert!(values.data().iter().all(|x| (29.49..=30.51).contains(x)));
        let h = draw(Generator::Hybrid, 0.0, 20.0, shape).expect("draws");
        let far = h
            .q()
            .to_f64()
            .data()
            .iter()
            .filter(|x| x.abs() > 6.0)
            .count();
        // 25600 values, p = 0.001 outliers of std 20 (|x| > 6 for ~77 % of them): ~20;
        // N(0, 1) alone exceeds 6 with probability 2e-9. 5 sigma of Poisson(20) either side.
        assert!((1..=45).contains(&far), "{far} outliers");
    }
}
