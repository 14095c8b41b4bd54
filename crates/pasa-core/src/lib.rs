//! Bit-faithful FP16 Flash Attention and PASA (Online Pseudo-average Shifting Attention,
//! arXiv:2503.01873), with an f64 reference and overflow diagnostics.
//!
//! Users of this crate are inference engineers who need to know, before shipping FP16
//! attention: will it overflow on my model, how large is the error, and does PASA fix it.
//!
//! # Layers
//! * [`round`]: the FP16 arithmetic model. Values live in binary16 storage (`half::f16`)
//!   or in a working type ([`Real`]: f32, or f64 for exact configurations) that carries
//!   values already rounded to a stage's [`Scalar`]. Every rounding point of the crate is
//!   one named call there: round to nearest even, overflow to ±inf, subnormals kept.
//! * [`matmul`] (matrix unit, with an [`Accumulator`]) and [`vector`] (element-wise ops
//!   and reductions in a [`Scalar`]).
//! * [`steps`]: the public tile-level steps of Flash Attention and PASA;
//!   [`key_blocks`] (the key/value prepass built from them) and [`workspace`] (the scratch
//!   tiles of one query block), shared by the driver and `npu-sim`.
//! * [`precision`]: per-stage types ([`Precision`]) and named configurations ([`Preset`]).
//!
//! # Contract with `npu-sim`
//! The drivers in this crate are loops over blocks that call the [`steps`] functions and
//! nothing else that rounds. A simulator that issues the same steps, in the order the
//! [`steps`] module documents, on the same tiles with the same [`Precision`], produces the
//! same bits as this crate by construction; it must not re-implement any arithmetic.
//!
//! # Example
//! ```
//! use pasa_core::generate::RandomCase;
//! use pasa_core::{AttentionParams, ErrorReport, Preset, attention, reference_attention};
//!
//! // q, k = 100 + 4 N(0,1), 1040 tokens (ragged: 8 blocks of 128 and 16 keys):
//! // scaled scores ~1.2e5 overflow FP16.
//! let inputs = RandomCase::brief(100.0, 4.0, 7).with_seq(1040).inputs()?;
//! let params = AttentionParams::default();
//! let reference = reference_attention(&inputs, &params)?;
//! let naive = attention(&inputs, &Preset::NaiveFp16.kernel(), &params)?;
//! assert!(naive.probe.score_non_finite > 0); // inf scores, NaN output
//! assert!(naive.probe.max_abs_score > 1e5); // the overflowed magnitude, recomputed
//! // The authors' PASA: shifted scores <= 8.5e3, finite, but its FP16 row statistics
//! // leave a large error (measured RMSE 0.195; naive FP16 at bias 20 is 0.24).
//! let pasa = attention(&inputs, &Preset::Pasa.kernel(), &params)?;
//! let e = ErrorReport::compare(&pasa.out, &reference);
//! assert!(e.all_finite() && e.rmse < 0.25);
//! // Our key-means variant: measured RMSE 1.4e-2.
//! let ours = attention(&inputs, &Preset::PasaKeyMeans.kernel(), &params)?;
//! assert!(ErrorReport::compare(&ours.out, &reference).rmse < 2e-2);
//! # Ok::<(), pasa_core::PasaError>(())
//! ```
//!
//! # Where to start
//! [`attention`] runs a [`Kernel`] (usually `Preset::X.kernel()`, [`Preset::ALL`] with
//! [`Preset::name`] to iterate) on [`AttentionInputs`]; [`reference_attention`] is the
//! oracle; [`ErrorReport::compare`] and the [`Probe`] in the output are the diagnostics;
//! [`generate::RandomCase`] draws random benchmarks, [`authors_benchmark`] the authors'
//! own benchmark with its double-thousandth scoring; [`io`] loads real dumps;
//! [`resonance::resonance`] measures phase coincidence of Q and K. Numbers and their
//! explanation: `docs/pasa.md`.
//!
//! # What is the authors' and what is ours
//! [`Preset::Pasa`] ([`Recovery::RunningAverage`]) is the authors' algorithm, transcribed
//! step for step from their verification script (`PASA_Verification.py` at commit 14f5c6f
//! of `chenglong92/PASA`), quirks included ([`steps::running_average`] lists them), with
//! their beta ([`beta`]). [`Recovery::Absolute`] and [`Recovery::RelativeToFirstBlock`] are
//! our reconstructions from before the script was found; [`Recovery::RelativeKeyMeans`] is
//! our own variant. All are kept under their own names ([`Preset`]).

pub mod authors_benchmark;
pub mod baseline;
pub mod beta;
pub mod diagnostics;
pub mod driver;
pub mod error;
pub mod generate;
pub mod io;
pub mod key_blocks;
pub mod matmul;
pub mod overflow;
pub mod precision;
pub mod reference;
pub mod resonance;
pub mod round;
pub mod source;
pub mod steps;
pub mod tensor;
pub mod vector;
pub mod workspace;

pub use beta::InputDtype;
pub use diagnostics::{ErrorReport, Probe};
pub use driver::{AttentionOutput, AttentionParams, attention};
pub use error::PasaError;
pub use overflow::{OverflowReport, VariantRecord, overflow_report};
pub use precision::{
    Algorithm, Kernel, Padding, PasaParams, Precision, Preset, Recovery, ScalePlacement,
};
pub use reference::{reference_attention, reference_from_source};
pub use round::{Accumulator, Real, Scalar};
pub use source::SourceInputs;
pub use tensor::{AttentionInputs, AttentionShape, Tensor};
