//! FS-1 with absorption (brief §2.5 (B), Schmitzer's stabilised scaling) on a line: the
//! potentials are absorbed into the kernel, and the stabilised kernel
//! `K~ = diag(e^{alpha}) K diag(e^{beta})` is itself a CoLT pair, applied in the standard
//! domain at the speed of plain FS-1.
//!
//! CoLT parameters of `K~` (scaled potentials `alpha = f/eps`, `beta = g/eps`, gaps `h`):
//! `d_i = e^{alpha_i + beta_i}`, `r_k = e^{alpha_{k+1} - alpha_k - h_k/eps}`,
//! `s_k = e^{beta_{k+1} - beta_k - h_k/eps}` (brief §2.5 (B), §3.2). Iterations update the
//! bounded scalings `u~ = a / (K~ v~)`, `v~ = b / (K~^T u~)`; when a scaling leaves
//! `[e^-30, e^30]` it is absorbed (`alpha += log u~`, `u~ = 1`) and the O(N) parameters are
//! rebuilt. Zero masses have no potential of their own: they get the soft c-transform of the
//! other side (one log-domain product at absorption), which keeps every ratio bounded.
//! If a product still underflows (far-apart masses before the potentials settle), the
//! iteration is redone as one log-domain step and absorbed again; after
//! [`MAX_REFRESHES_IN_A_ROW`] such steps in a row the rest of the stage runs in the log
//! domain. 2D grids are not covered: the stabilised kernel of a grid is no longer a
//! Kronecker product (2D potentials are not separable), so grids use the log-sum-exp sweeps.

use colt::ColtPair;

use crate::colt_kernel::{ColtKernel, computed};
use crate::error::Result;
use crate::fs1_loop::{
    Checks, LoopInput, LoopOutput, Start, column_violation_std, run_log, update_scaling,
};
use crate::kernel::GibbsKernel;
use crate::observer::Observer;
use crate::support::Support1d;
use crate::termination::Termination;

/// Absorb once a scaling leaves `[e^-30, e^30]` (e^30 ~ 1e13 keeps every product ~290
/// orders of magnitude away from the f64 limits).
const E_TAU: f64 = 1.068_647_458_152_446_2e13; // e^30
const E_NEG_TAU: f64 = 9.357_622_968_840_175e-14; // e^-30
/// Consecutive log-domain refreshes after which the stage finishes in the log domain.
pub const MAX_REFRESHES_IN_A_ROW: usize = 3;

/// Fill zero-mass entries of `pot` with the soft c-transform `-log(K e^{other})`.
fn fill_zero_masses(
    kernel: &ColtKernel,
    mass: &[f64],
    other: &[f64],
    pot: &mut [f64],
    tmp: &mut [f64],
) {
    if mass.iter().all(|&m| m > 0.0) {
        return;
    }
    kernel.log_apply(other, tmp, &mut []);
    for ((p, &m), &t) in pot.iter_mut().zip(mass).zip(tmp.iter()) {
        if m <= 0.0 {
            *p = -t;
        }
    }
}

/// The stabilised kernel `K~` of the scaled potentials `alpha`, `beta` (module docs), or
/// `None` when a parameter is not representable. The gaps come from the support, without
/// an array of them (a uniform grid's step, or consecutive coordinates).
fn build(support: &Support1d, eps: f64, alpha: &[f64], beta: &[f64]) -> Option<ColtPair<f64>> {
    let inv = 1.0 / eps;
    let step = support.step();
    let gap = |k: usize| step.unwrap_or_else(|| support.coord(k + 1) - support.coord(k));
    let d: Vec<f64> = alpha.iter().zip(beta).map(|(a, b)| (a + b).exp()).collect();
    let ratios = |p: &[f64]| -> Vec<f64> {
        p.windows(2)
            .enumerate()
            .map(|(k, w)| (w[1] - w[0] - gap(k) * inv).exp())
            .collect()
    };
    ColtPair::new(d, ratios(alpha), ratios(beta)).ok()
}

/// `x_i = 1` where the mass is positive, `0` where it is zero: the scalings right after an
/// absorption.
fn reset(x: &mut [f64], mass: &[f64]) {
    for (x, &m) in x.iter_mut().zip(mass) {
        *x = if m > 0.0 { 1.0 } else { 0.0 };
    }
}

/// Stabilised FS-1 loop on a line; same contract as [`crate::fs1_loop::run_log`].
///
/// Memory: the absorbed potentials `alpha`, `beta`, the kernel `K~` (three arrays), the
/// scalings `u~`, `v~` and one buffer `k` that holds each product in turn (`K~^T u~`, then
/// `K~ v~`) and serves the log-domain steps; nothing is allocated per iteration, and an
/// absorption frees the old `K~` before building the new one.
pub(crate) fn run_stabilized(
    support: &Support1d,
    kernel: &ColtKernel,
    input: &LoopInput<'_>,
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    let n = kernel.len();
    let eps = kernel.eps();
    let (a, b, term) = (input.a, input.b, input.termination);
    let mass: f64 = a.iter().sum();
    let mut k = vec![0.0; n];
    // One log-domain half-step gives a g consistent with f0 (the loops start from f).
    let mut alpha: Vec<f64> = input.f0.values(n).map(|f| f / eps).collect();
    let mut beta = vec![0.0; n];
    // `log m - log(K e^{other})`, or the soft c-transform where the mass is zero.
    let log_step = |pot: &mut [f64], m: &[f64], t: &[f64]| {
        for ((p, &m), &t) in pot.iter_mut().zip(m).zip(t) {
            *p = if m > 0.0 { m.ln() - t } else { -t };
        }
    };
    let log_refresh = |alpha: &mut [f64], beta: &mut [f64], tmp: &mut [f64]| {
        fill_zero_masses(kernel, a, beta, alpha, tmp);
        kernel.log_apply(alpha, tmp, &mut []);
        log_step(beta, b, tmp);
        kernel.log_apply(beta, tmp, &mut []);
        log_step(alpha, a, tmp);
    };
    // The first iteration is a log-domain one (it also settles the potentials' scale).
    let mut done = 0usize;
    if term.max_iter > 0 {
        log_refresh(&mut alpha, &mut beta, &mut k);
        done = 1;
    }
    let mut state = build(support, eps, &alpha, &beta);
    let mut u = vec![0.0; n];
    let mut v = vec![0.0; n];
    reset(&mut u, a);
    reset(&mut v, b);
    let mut checks = Checks::new(input, eps);
    let mut refreshes = 0usize;
    // `v` is meaningful only after the first iteration; before it the check is not due.
    loop {
        let Some(pair) = state.as_ref() else {
            // Parameters not representable: finish this stage in the log domain.
            return finish_in_log(kernel, input, &alpha, done, checks.into_history(), observer);
        };
        computed(pair.apply_transpose_in_place(&u, &mut k), &mut k);
        if checks.stop(done, observer, || column_violation_std(&v, &k, b, mass)) {
            break;
        }
        let v_flags = update_scaling(&mut v, b, &k, E_NEG_TAU..=E_TAU);
        let mut bad = v_flags.degenerate();
        let mut big = v_flags.out_of_bounds;
        if !bad {
            computed(pair.apply_in_place(&v, &mut k), &mut k);
            let u_flags = update_scaling(&mut u, a, &k, E_NEG_TAU..=E_TAU);
            bad = u_flags.degenerate();
            big |= u_flags.out_of_bounds;
        }
        done += 1;
        if bad {
            // Redo this iteration as one log-domain step from the absorbed potentials
            // (`alpha`, `beta` are those of `K~`: only an absorption changes them).
            refreshes += 1;
            drop(state.take());
            log_refresh(&mut alpha, &mut beta, &mut k);
            if refreshes > MAX_REFRESHES_IN_A_ROW {
                return finish_in_log(kernel, input, &alpha, done, checks.into_history(), observer);
            }
            state = build(support, eps, &alpha, &beta);
            reset(&mut u, a);
            reset(&mut v, b);
            continue;
        }
        refreshes = 0;
        if big {
            for ((al, &ui), &ai) in alpha.iter_mut().zip(&u).zip(a) {
                if ai > 0.0 {
                    *al += ui.ln();
                }
            }
            for ((be, &vj), &bj) in beta.iter_mut().zip(&v).zip(b) {
                if bj > 0.0 {
                    *be += vj.ln();
                }
            }
            drop(state.take());
            fill_zero_masses(kernel, b, &alpha, &mut beta, &mut k);
            fill_zero_masses(kernel, a, &beta, &mut alpha, &mut k);
            state = build(support, eps, &alpha, &beta);
            reset(&mut u, a);
            reset(&mut v, b);
        }
    }
    // The loop breaks only with a kernel built: free it and the buffer before the output.
    drop(state);
    drop(k);
    // The potentials in place of the absorbed ones (no second pair of vectors).
    let pot = |base: &mut Vec<f64>, s: &[f64], m: &[f64]| {
        for ((p, s), &m) in base.iter_mut().zip(s).zip(m) {
            *p = if m > 0.0 {
                eps * (*p + s.ln())
            } else {
                f64::NEG_INFINITY
            };
        }
    };
    pot(&mut alpha, &u, a);
    pot(&mut beta, &v, b);
    Ok(checks.output(alpha, beta, done))
}

/// Run the rest of the stage in the log domain from the scaled potential `alpha`.
fn finish_in_log(
    kernel: &ColtKernel,
    input: &LoopInput<'_>,
    alpha: &[f64],
    done: usize,
    mut history: Vec<(usize, f64)>,
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    let eps = kernel.eps();
    let f0 = Start::Values(alpha.iter().map(|x| eps * x).collect());
    let rest = LoopInput {
        f0: &f0,
        termination: Termination {
            max_iter: input.termination.max_iter.saturating_sub(done),
            ..input.termination
        },
        offset: input.offset + done,
        ..*input
    };
    let mut out = run_log(kernel, &rest, observer)?;
    history.append(&mut out.history);
    out.history = history;
    out.iterations += done;
    Ok(out)
}
