//! Collinear triangular (CoLT) matrix algebra in O(N).
//!
//! A lower-triangular matrix is **L-CoLT** when its columns, restricted to the triangle, are
//! collinear: entry `(i, j)`, `i >= j`, is a row factor times a column factor. Its transpose is
//! **U-CoLT**. Fast Sinkhorn II (Liao et al., arXiv:2206.09049) shows that such matrices act on
//! a vector in O(N) and are closed under Hadamard products and diagonal scaling; the
//! Wasserstein-1 Gibbs kernel `exp(-|x_i - x_j| / eps)` of sorted 1D points is an L-CoLT plus a
//! U-CoLT sharing the diagonal, and so is every IPOT iterate. The paper's method section was
//! not retrievable: the parametrisation and recurrences here are a reconstruction, checked
//! against dense products (see `docs/colt.md` and the research brief).
//!
//! # Parametrisation
//!
//! The raw factors (`e^{-x_i/eps}`, `e^{+x_j/eps}`) overflow long before N = 10^6, so they are
//! never formed. A [`ColtPair`] stores the shared diagonal `d` and the ratios between
//! consecutive rows `r` (lower) and columns `s` (upper):
//!
//! ```text
//! L_ij = d_j prod_{k=j}^{i-1} r_k   (i >= j)        U_ij = d_i prod_{k=i}^{j-1} s_k   (j >= i)
//! T = L + U - diag(d)
//! ```
//!
//! [`LogColtPair`] stores `(log d, log r, log s)` for log-domain solvers; its products are
//! log-sum-exp sweeps, exact for any `eps`, with `-inf` meaning a zero.
//! [`LowerColt`] and [`UpperColt`] are the triangles on their own.
//!
//! # Operations (all O(N) unless noted)
//!
//! | operation | ratio form | log form |
//! |---|---|---|
//! | `T x`, `T^T x` | [`ColtPair::apply_in_place`], [`ColtPair::apply_transpose_in_place`] | [`LogColtPair::log_apply_in_place`], [`LogColtPair::log_apply_transpose_in_place`] |
//! | Hadamard product | [`ColtPair::hadamard`] | [`LogColtPair::hadamard`] |
//! | `diag(u) T diag(v)` | [`ColtPair::scale`] | [`LogColtPair::scale`] |
//! | row / column / full sums | [`ColtPair::row_sums_in_place`], [`ColtPair::col_sums_in_place`], [`ColtPair::sum`] | `log_row_sums_in_place`, `log_col_sums_in_place`, `log_sum` |
//! | `((C ⊙ T) x)_i`, `sum_ij C_ij T_ij` with `C_ij = abs(x_i - x_j)` | [`ColtPair::distance_apply_in_place`], [`ColtPair::distance_sum`] | [`LogColtPair::log_distance_apply_in_place`], [`LogColtPair::log_distance_sum`] |
//! | along one axis of a row-major 2D array | [`ColtPair::apply_axis_in_place`] | [`LogColtPair::log_apply_axis_in_place`] |
//! | many vectors at once (rayon) | [`ColtPair::apply_batch_in_place`] | [`LogColtPair::log_apply_batch_in_place`] |
//! | entry, dense (O(N^2), test oracle) | [`ColtPair::entry`], [`ColtPair::to_dense`] | [`LogColtPair::log_entry`], [`LogColtPair::to_dense`] |
//!
//! Construction: from parameters ([`ColtPair::new`]), a sorted support ([`ColtPair::gibbs`],
//! [`LogColtPair::gibbs`]), a validated uniform grid ([`UniformGrid`], [`ColtPair::gibbs_grid`],
//! [`LogColtPair::gibbs_grid`]), factors ([`ColtPair::from_factors`]), or a dense matrix with a
//! CoLT check ([`ColtPair::from_dense`]); conversions [`ColtPair::to_log`],
//! [`LogColtPair::to_linear`].
//!
//! # Errors, not wrong numbers
//!
//! Every type that could hold invalid data keeps its fields private and is built only through
//! a constructor that checks them (finite parameters, sorted supports, matching lengths, a
//! grid step above one ulp of its coordinates, finite non-negative tolerances). Every product
//! and sum checks its result: a NaN or infinite input entry is [`ColtError::NonFinite`]
//! naming it, and a result that leaves the float range although the inputs are finite (ratio
//! form only; values near `f64::MAX`, or ratios above 1 compounding) is
//! [`ColtError::Overflow`], never an `Ok` holding `inf` or NaN. In the log form `-inf` is a
//! zero and is a valid input and result. Buffers the crate allocates on the caller's behalf
//! are reserved fallibly ([`ColtError::TooLarge`]); the dense views ([`ColtPair::to_dense`])
//! are O(N^2) test oracles.
//!
//! The dense matrices of [`ColtPair::from_dense`] and the `to_dense` oracles are `faer`'s
//! [`Mat`] and [`MatRef`], re-exported here so that callers need not depend on `faer`.
//!
//! # Example
//!
//! ```
//! use colt::{ColtPair, LogColtPair};
//!
//! let x = [0.0, 0.1, 0.25, 0.7, 1.0]; // sorted support
//! let eps = 0.2;
//! let k = ColtPair::gibbs(&x, eps)?; // K_ij = exp(-|x_i - x_j| / eps)
//! let v = [1.0, 2.0, 0.5, 0.0, 3.0];
//! let mut kv = [0.0; 5];
//! k.apply_in_place(&v, &mut kv)?; // O(N), no allocation
//! let dense: f64 = (0..5).map(|j| (-(x[1] - x[j] as f64).abs() / eps).exp() * v[j]).sum();
//! assert!((kv[1] - dense).abs() < 1e-14);
//!
//! // The same product in the log domain: log(K exp(log v)), zero mass as -inf.
//! let lk = LogColtPair::gibbs(&x, eps)?;
//! let lv: Vec<f64> = v.iter().map(|t| t.ln()).collect();
//! let mut lkv = [0.0; 5];
//! lk.log_apply_in_place(&lv, &mut lkv)?;
//! assert!((lkv[1].exp() - kv[1]).abs() < 1e-13);
//! # Ok::<(), colt::ColtError>(())
//! ```
//!
//! # Accuracy
//!
//! A first-order sweep `P_i = r P_{i-1} + d_i x_i` has a forward error bounded by about
//! `c * n_eff * u * (|T| |x|)_i` with `n_eff = min(N, 1/(1 - rho))` and `u` the unit roundoff
//! of the accumulator. Every recurrence here accumulates in f64 ([`Real::Acc`]), so f32 results
//! are exact to their final rounding plus `n_eff * 1.1e-16`; f64 results carry the bound with
//! `u = 1.1e-16` (for the Gibbs kernel `n_eff ~ eps / h`).
//!
//! # Speed
//!
//! The sweeps have a loop-carried dependency; [`ColtPair::apply_in_place`] breaks it by
//! interleaving the independent forward and backward sweeps in one loop (the single
//! triangles use a blocked two-pass scan over [`sweep::LANES`] independent blocks; see
//! [`sweep`] for both and the measurements behind the choice), and streams only the arrays a
//! structure needs (unit diagonal, `r = s` for the Gibbs kernel, one scalar ratio for a
//! uniform grid: [`ColtPair::gibbs_uniform`]). [`UniformGibbs`] holds a uniform grid's kernel
//! in O(1) memory and fuses a scaling step `out = m ⊘ (K x)` into one sequential pass (see
//! its module for why that reaches the memory-bandwidth floor).
//! The log-domain products run in blocks, in linear form wherever a block's values stay
//! within range of one scale ([`log_sweep`]).
//! [`scaling::measure_matvec_scaling`] times them against a plain streaming pass.

pub mod axis;
mod cost;
mod error;
mod grid;
mod log_pair;
pub mod log_sweep;
mod one_pass;
mod pair;
mod real;
pub mod scaling;
mod sums;
pub mod sweep;
#[cfg(test)]
mod test_rng;
mod tile;
pub mod transcendental;
mod triangular;
mod validate;

pub use axis::{Axis, ParallelParams};
pub use error::{ColtError, Result};
pub use faer::{Mat, MatRef};
pub use grid::UniformGrid;
pub use log_pair::LogColtPair;
pub use one_pass::{Quotients, UniformGibbs};
pub use pair::ColtPair;
pub use real::Real;
pub use triangular::{LowerColt, UpperColt};
