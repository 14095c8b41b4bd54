//! PASA's beta: the default rule (reconstructed) and the quantities that bound it.
//!
//! The paper tunes beta "via a nonlinear condition" that is not retrievable here. We derive
//! a rule from two requirements of the all-FP16 algorithm (docs/pasa.md has the argument
//! and the beta sweep that supports it):
//!
//! 1. **The shifting matrix must be exact in the operand type.** `M = I - (beta/s) 1 1^T`
//!    is fed to the matrix unit in FP16. If its diagonal `1 - beta/s` rounds, then
//!    `M = (1 + delta) I - gamma 1 1^T` and the shifted scores become `(1 + delta) S - ...`:
//!    a rescaling of the *unshifted* scores, whose absolute error `delta |S|` is exactly
//!    the overflow-sized quantity PASA exists to avoid. `gamma = beta/s` and `1 - gamma`
//!    are both FP16 numbers iff `gamma` is a multiple of 2^-11 (for `gamma < 1/2`), i.e.
//!    `beta = j s / 2^11` for an integer `j`.
//! 2. **The recovery amplification `beta/(1-beta)` stays bounded.** The shift is recovered
//!    as `beta/(1-beta) · mean(S')`, which multiplies the rounding error of the mean; the
//!    residual bias left in `S'` is `(1-beta)` of the original. We cap the amplification at
//!    63 (`1 - beta >= 2^-6`), the point past which the brief's sweep stops improving.
//!
//! The rule takes the largest beta satisfying both: `j = floor(2^11 (1 - 2^-6) / s)`,
//! `beta = j s / 2^11`; for `s = 128` that is 15/16 (amplification exactly 15), for
//! `s = 64` 31/32. Block sizes above 2016 cannot satisfy (1); they get 1/2.

use crate::round::{Scalar, count_to_f64};

/// Smallest allowed `1 - beta` (caps the recovery amplification `beta/(1-beta)` at 63).
pub const MIN_ONE_MINUS_BETA: f64 = 1.0 / 64.0;

/// Fallback beta when no exact shifting matrix exists for the block size.
pub const FALLBACK_BETA: f64 = 0.5;

/// The default beta for key blocks of `block_k` keys (see the module docs).
///
/// `operand` is the matrix-unit input type; the FP16 grid (2^-11 below 1) is used for
/// every type so that exact (f64) and FP16 runs of the same configuration use the same
/// beta.
#[must_use]
pub fn beta_rule(block_k: usize, operand: Scalar) -> f64 {
    let _ = operand;
    let grid = 2048.0; // 2^11: the FP16 spacing just below 1 is 2^-11.
    let s = count_to_f64(block_k.max(1));
    let j = (grid * (1.0 - MIN_ONE_MINUS_BETA) / s).floor();
    if j < 1.0 { FALLBACK_BETA } else { j * s / grid }
}

/// The recovery amplification `beta / (1 - beta)`.
#[must_use]
pub fn recovery_factor(beta: f64) -> f64 {
    beta / (1.0 - beta)
}
