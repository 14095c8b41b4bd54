//! The f32 path of FS-1 ([`crate::Sinkhorn::solve_f32`]): when it is accurate enough, and
//! the checks that refuse a problem it cannot represent.
//!
//! Why f32. On a uniform line a standard-domain iteration is two passes that each read the
//! input scaling and the masses and write the other scaling (colt's
//! [`colt::UniformGibbs::divide_in_place`]); at N = 10^6..10^7 those passes are bound by
//! memory, and storing the scalings and the masses in f32 halves the bytes they move. The
//! products, sums and checks still run in f64 (colt accumulates in f64), so what f32 costs is
//! the rounding of each stored scaling and mass, one relative `2^-24 ≈ 6e-8` each. Measured
//! on the project's 2-core machine (loaded) it was not faster than the f64 path: the
//! conversions cost what the halved traffic saves (`docs/sinkhorn.md`).
//!
//! What that rounding does (measured, `docs/sinkhorn.md` "The f32 path"): the marginal
//! violation levels off where the rounding of `v` alone puts it, 2.8-2.9e-8 of the mass (a
//! sum of N relative errors of up to `2^-24 ≈ 6e-8`, half that on average), so a tolerance
//! below [`F32_MIN_TOL`] is refused unless partial results are accepted. On smooth masses
//! at N = 10^3..10^5 the transport cost of the plan converged to [`F32_MIN_TOL`] is within
//! [`F32_COST_RTOL`] of the f64 path's (it averages the entries' roundings); in general the
//! two costs differ by up to the stopping tolerance's own effect on the cost, `tol *
//! diameter * mass` (an estimate: each plan is the entropic plan of marginals within `tol *
//! mass` of the given ones, and W1 is `diameter / 2`-Lipschitz in L1): measured up to
//! 4.9e-7 of `diameter * mass`, 5.4e-6 relative, on two points, where nothing averages the
//! roundings, the cost may be small against `diameter * mass`, and the two paths may stop
//! at checks ten iterations apart. The scalings span `e^{diameter/eps}` and f32's normal
//! numbers `e^{175}`, so `diameter / eps` above [`F32_MAX_DIAMETER_OVER_EPS`] is refused; a
//! scaling that still leaves f32's normal range breaks the solve down with
//! [`SinkhornError::F32ScalingOutOfRange`].

use colt::Real;

use crate::error::{Result, Side, SinkhornError};

/// Smallest termination tolerance the f32 path accepts: over ten times the violation floor
/// that the f32 rounding of the scalings leaves (measured 2.8-2.9e-8 at N = 10^3 and 10^5,
/// `tests/f32_path.rs`).
pub const F32_MIN_TOL: f64 = 1e-6;

/// Largest `diameter / eps` the f32 path accepts. The scalings `e^{f/eps}`, `e^{g/eps}` span
/// up to `e^{diameter/eps}` each and f32's normal range spans `2^254 ≈ e^{176}`; 80 leaves
/// room for the masses' own range and the gauge of the start (POT's `u = 1/N`).
pub const F32_MAX_DIAMETER_OVER_EPS: f64 = 80.0;

/// Relative difference of the transport cost between the f32 and the f64 paths that
/// `tests/f32_path.rs` accepts on `cases::bumps_line` (smooth masses), both converged to
/// [`F32_MIN_TOL`]: measured at most 3.3e-9 over N = 10^3..10^5 and `eps / diameter` =
/// 0.02..0.2 (`docs/sinkhorn.md`), 30x that. Not a bound for every problem: on few points or
/// rough masses the costs differ by up to `tol * diameter * mass` (module docs).
pub const F32_COST_RTOL: f64 = 1e-7;

/// The masses `m` rounded to f32.
///
/// # Errors
/// [`SinkhornError::NotRepresentable`] for a mass above `f32::MAX` or a positive mass below
/// f32's smallest normal number (it would round to infinity, or lose its digits or vanish).
pub(crate) fn masses_f32(side: Side, m: &[f64]) -> Result<Vec<f32>> {
    let min = f64::from(f32::MIN_POSITIVE);
    let max = f64::from(f32::MAX);
    if let Some((index, &value)) = m
        .iter()
        .enumerate()
        .find(|&(_, &v)| v > max || (v > 0.0 && v < min))
    {
        return Err(SinkhornError::NotRepresentable {
            side,
            index,
            value,
            min,
            max,
        });
    }
    Ok(m.iter().map(|&v| <f32 as Real>::from_f64(v)).collect())
}
