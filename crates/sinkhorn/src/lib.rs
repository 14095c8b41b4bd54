//! # sinkhorn: Fast Sinkhorn I and II for Wasserstein-1
//!
//! Entropic optimal transport for the W1 cost (`|x - y|` on a line, L1 on a 2D tensor grid)
//! with O(N) work per iteration instead of O(N^2), after Liao et al., *Fast Sinkhorn I*
//! (arXiv:2202.10042) and *Fast Sinkhorn II* (arXiv:2206.09049). The papers' method
//! sections were not available; the recurrences here are the reconstruction in the
//! project's research brief, each checked against a dense reference in the tests.
//!
//! The key fact: on sorted points the Gibbs kernel `K_ij = exp(-|x_i - x_j|/eps)` is a
//! CoLT pair (lower and upper collinear triangles sharing the diagonal), so `K v` is two
//! first-order recurrences (the `colt` crate). On an L1 grid, `K = K^x ⊗ K^y`.
//!
//! - [`Problem`]: a [`Geometry`] and marginals `a`, `b`, validated once.
//! - [`Sinkhorn`] (FS-1): standard, log or stabilised (absorption) domain ([`Domain`]),
//!   chosen automatically from `diameter / eps`; eps relative to the support's diameter by
//!   default or POT's absolute `reg` ([`Eps`]); eps-scaling, warm starts,
//!   an [`Observer`] hook and [`Sinkhorn::solve_batch`] (rayon).
//! - [`Ipot`] (FS-2): the inexact proximal point method, converging to the exact W1.
//! - [`SinkhornResult`]: potentials and the [`Plan`] in structured form, `<C, T>`, the
//!   entropic objective, iterations, violation history, [`TerminationReason`].
//! - Convergence is part of the answer: a solve that stops at its iteration cap without
//!   meeting its tolerance is [`SinkhornError::NotConverged`] (carrying the last iterate)
//!   unless [`Termination::allow_partial`] asks for it as `Ok`.
//! - Exact W1: [`wasserstein_1d`] between raw samples (SciPy's semantics), [`w1_line`] /
//!   [`exact_w1`] on a support (min-cost flow on grids).
//! - Baselines: [`DenseKernel`] (faer, same loops), [`dense_ipot`].
//! - [`batch`]: many problems on one support (paired, `pdist`, `cdist` matrices of exact
//!   W1 or Sinkhorn costs) in parallel, every row validated first, bit-identical for any
//!   thread count.
//! - [`timing`]: per-iteration timings and eps sweeps for `cargo xtask validate`.
//! - Limits ([`MAX_BUFFER_BYTES`], [`MAX_ITERATIONS`], ...): sizes and options beyond them
//!   are typed errors, not aborts or hangs.
//!
//! ```
//! use sinkhorn::{Problem, Sinkhorn, Support1d, w1_line};
//! let x = Support1d::linspace(0.0, 1.0, 200)?;
//! let bump = |c: f64| (0..200).map(move |i| (-((i as f64 / 199.0 - c) / 0.1).powi(2)).exp());
//! let (sa, sb): (f64, f64) = (bump(0.3).sum(), bump(0.6).sum());
//! let a: Vec<f64> = bump(0.3).map(|v| v / sa).collect();
//! let b: Vec<f64> = bump(0.6).map(|v| v / sb).collect();
//! let problem = Problem::line(x.clone(), a.clone(), b.clone())?;
//! let result = Sinkhorn::with_reg(1e-3).solve(&problem)?;
//! let exact = w1_line(&x, &a, &b)?;
//! assert!((result.cost - exact).abs() < 0.02 * exact);
//! # Ok::<(), sinkhorn::SinkhornError>(())
//! ```
//!
//! Entropic (FS-1) and exact (FS-2) W1 on the standard test problem:
//!
//! ```
//! use sinkhorn::{Ipot, IpotParams, Sinkhorn, cases::bumps_line, exact_w1};
//!
//! let problem = bumps_line(1000)?; // two bumps on 1000 points of [0, 1]
//! let entropic = Sinkhorn::with_reg(1e-3).solve(&problem)?; // FS-1, O(N) per iteration
//! let fs2 = Ipot::new(IpotParams::default()).solve(&problem)?; // FS-2 -> exact W1
//! let w1 = exact_w1(&problem)?; // CDF formula
//! assert!((fs2.cost - w1).abs() < 1e-6 * w1);
//! println!("entropic {:.6}, FS-2 {:.9}, exact {:.9}", entropic.cost, fs2.cost, w1);
//! # Ok::<(), sinkhorn::SinkhornError>(())
//! ```

pub mod batch;
pub mod cases;
mod colt_kernel;
mod dense;
mod dense_ipot;
mod error;
mod exact;
pub mod exact_grid;
mod fs1;
mod fs1_loop;
mod fs1_stabilized;
mod fs2;
mod kernel;
mod limits;
mod observer;
mod params;
mod plan;
mod precision;
mod problem;
mod result;
mod samples;
mod support;
mod termination;
pub mod timing;

/// The `colt` types that appear in this crate's signatures ([`Plan::to_colt`], the
/// `From<ColtError>` conversion of [`SinkhornError`]).
pub use colt::{ColtError, LogColtPair};
/// The dense matrix type of the baselines ([`DenseKernel`], [`Plan::to_dense`],
/// [`DenseIpotIterate`]).
pub use faer::Mat;

pub use colt_kernel::ColtKernel;
pub use dense::DenseKernel;
pub use dense_ipot::{DenseIpotIterate, dense_ipot};
pub use error::{Result, Side, SinkhornError};
pub use exact::{exact_w1, w1_line, w1_two_supports};
pub use fs1::{Sinkhorn, resolve_domain};
pub use fs2::{FS2_ON_A_LINE, Ipot, IpotParams};
pub use kernel::{GibbsKernel, logaddexp};
pub use limits::{
    MAX_BUFFER_BYTES, MAX_EPS_STAGES, MAX_INNER_STEPS, MAX_ITERATIONS, MIN_EPS_OVER_DIAMETER,
};
pub use observer::{NoObserver, Observer, Record};
pub use params::{
    AUTO_STANDARD_MAX_DIAMETER_OVER_EPS, Backend, DEFAULT_RELATIVE_EPS, Domain, Eps, EpsScaling,
    Potentials, SinkhornParams,
};
pub use plan::Plan;
pub use precision::{F32_COST_RTOL, F32_MAX_DIAMETER_OVER_EPS, F32_MIN_TOL};
pub use problem::{Problem, TOTAL_MASS_RTOL};
pub use result::SinkhornResult;
pub use samples::wasserstein_1d;
pub use support::{Geometry, Grid2d, Support1d, merge_supports};
pub use termination::{Termination, TerminationReason};
