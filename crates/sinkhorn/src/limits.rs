//! Every bound the crate enforces on sizes and option values, in one place, so a caller
//! gets a typed error instead of an aborted process, a hang or a meaningless number.
//!
//! - Memory: no single buffer above [`MAX_BUFFER_BYTES`]; dense `N x N` matrices are
//!   checked before they are allocated ([`check_buffer`]).
//! - Iterations: caps above [`MAX_ITERATIONS`] / [`MAX_INNER_STEPS`] / [`MAX_EPS_STAGES`]
//!   are refused (a cap of `usize::MAX` is a hang, not a cap).
//! - eps: below [`MIN_EPS_OVER_DIAMETER`] times the diameter, f64 potentials cannot
//!   resolve the plan.

use crate::error::{Result, SinkhornError};

/// Largest single buffer (16 GiB) any function of this crate allocates: a dense `N x N`
/// f64 matrix reaches it at `N ~ 46_000`, a support's coordinates at `N = 2^31`.
pub const MAX_BUFFER_BYTES: u128 = 1 << 34;

/// Largest accepted `max_iter` (outer iterations for FS-2). At the O(N) cost per iteration
/// this is minutes at `N = 10^3`; larger caps behave like hangs.
pub const MAX_ITERATIONS: usize = 10_000_000;

/// Largest accepted number of inner Sinkhorn steps per IPOT outer iteration; the product
/// `inner * max_iter` is bounded by [`MAX_ITERATIONS`] as well.
pub const MAX_INNER_STEPS: usize = 1000;

/// Largest number of eps-scaling stages (a factor near 1 would otherwise schedule
/// millions of stages).
pub const MAX_EPS_STAGES: usize = 200;

/// Smallest accepted `eps / diameter`. Potentials carry the diameter's magnitude with ~16
/// significant digits; at `eps / diameter = 1e-12` a relative rounding of 1e-16 in
/// `f + g - C` still changes `exp((f + g - C)/eps)` by only ~1e-4 relative, and Sinkhorn
/// would need ~1e12 iterations to move the potentials across the support anyway.
pub const MIN_EPS_OVER_DIAMETER: f64 = 1e-12;

/// `count` elements of `elem_bytes` each for `what`, or [`SinkhornError::TooLarge`]
/// naming the bytes needed.
pub(crate) fn check_buffer(what: &'static str, count: u128, elem_bytes: u128) -> Result<()> {
    let bytes = count.saturating_mul(elem_bytes);
    if bytes > MAX_BUFFER_BYTES {
        return Err(SinkhornError::TooLarge {
            what,
            bytes,
            limit: MAX_BUFFER_BYTES,
        });
    }
    Ok(())
}

/// `matrices` dense `n x n` f64 matrices for `what`: [`check_buffer`] on their entries.
pub(crate) fn check_dense(what: &'static str, n: usize, matrices: u128) -> Result<()> {
    let n = n as u128;
    check_buffer(what, matrices * n * n, 8)
}

/// The absolute eps for `eps` on a support of `diameter`, or
/// [`SinkhornError::EpsTooSmall`] below [`MIN_EPS_OVER_DIAMETER`].
pub(crate) fn check_eps_resolution(name: &'static str, eps: f64, diameter: f64) -> Result<()> {
    if diameter > 0.0 && eps < MIN_EPS_OVER_DIAMETER * diameter {
        return Err(SinkhornError::EpsTooSmall {
            name,
            eps,
            diameter,
            ratio: eps / diameter,
            min: MIN_EPS_OVER_DIAMETER,
        });
    }
    Ok(())
}
