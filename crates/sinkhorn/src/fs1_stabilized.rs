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
use crate::error::{Result, SinkhornError};
use crate::fs1_loop::{
    Checks, LoopInput, LoopOutput, column_violation_std, run_log, update_scaling,
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

struct Absorbed {
    alpha: Vec<f64>,
    beta: Vec<f64>,
    pair: ColtPair<f64>,
}

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

fn build(gaps: &[f64], eps: f64, alpha: Vec<f64>, beta: Vec<f64>) -> Option<Absorbed> {
    let inv = 1.0 / eps;
    let d: Vec<f64> = alpha
        .iter()
        .zip(&beta)
        .map(|(a, b)| (a + b).exp())
        .collect();
    let r: Vec<f64> = gaps
        .iter()
        .zip(alpha.windows(2))
        .map(|(h, w)| (w[1] - w[0] - h * inv).exp())
        .collect();
    let s: Vec<f64> = gaps
        .iter()
        .zip(beta.windows(2))
        .map(|(h, w)| (w[1] - w[0] - h * inv).exp())
        .collect();
    let pair = ColtPair::new(d, r, s).ok()?;
    Some(Absorbed { alpha, beta, pair })
}

/// Stabilised FS-1 loop on a line; same contract as [`crate::fs1_loop::run_log`].
pub(crate) fn run_stabilized(
    support: &Support1d,
    kernel: &ColtKernel,
    input: &LoopInput<'_>,
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    let n = kernel.len();
    let eps = kernel.eps();
    let gaps = support.gaps();
    let (a, b, term) = (input.a, input.b, input.termination);
    let mass: f64 = a.iter().sum();
    let la: Vec<f64> = a.iter().map(|x| x.ln()).collect();
    let lb: Vec<f64> = b.iter().map(|x| x.ln()).collect();
    let mut tmp = vec![0.0; n];
    // One log-domain half-step gives a g consistent with f0 (the loops start from f).
    let mut alpha: Vec<f64> = input.f0.iter().map(|f| f / eps).collect();
    let mut beta = vec![0.0; n];
    let log_refresh = |alpha: &mut Vec<f64>, beta: &mut Vec<f64>, tmp: &mut Vec<f64>| {
        fill_zero_masses(kernel, a, beta, alpha, tmp);
        kernel.log_apply(alpha, tmp, &mut []);
        for ((bj, &l), &t) in beta.iter_mut().zip(&lb).zip(tmp.iter()) {
            *bj = if l > f64::NEG_INFINITY { l - t } else { -t };
        }
        kernel.log_apply(beta, tmp, &mut []);
        for ((ai, &l), &t) in alpha.iter_mut().zip(&la).zip(tmp.iter()) {
            *ai = if l > f64::NEG_INFINITY { l - t } else { -t };
        }
    };
    // The first iteration is a log-domain one (it also settles the potentials' scale).
    let mut done = 0usize;
    if term.max_iter > 0 {
        log_refresh(&mut alpha, &mut beta, &mut tmp);
        done = 1;
    }
    let mut state = build(&gaps, eps, alpha.clone(), beta.clone());
    let unit =
        |m: &[f64]| -> Vec<f64> { m.iter().map(|&x| if x > 0.0 { 1.0 } else { 0.0 }).collect() };
    let mut u = unit(a);
    let mut v = unit(b);
    let mut ktu = vec![0.0; n];
    let mut kv = vec![0.0; n];
    let mut checks = Checks::new(input, eps);
    let mut refreshes = 0usize;
    // `v` is meaningful only after the first iteration; before it the check is not due.
    loop {
        let Some(st) = state.as_ref() else {
            // Parameters not representable: finish this stage in the log domain.
            return finish_in_log(kernel, input, &alpha, done, checks.into_history(), observer);
        };
        computed(st.pair.apply_transpose_in_place(&u, &mut ktu), &mut ktu);
        if checks.stop(done, observer, || column_violation_std(&v, &ktu, b, mass)) {
            break;
        }
        let v_flags = update_scaling(&mut v, b, &ktu, E_NEG_TAU..=E_TAU);
        let mut bad = v_flags.degenerate();
        let mut big = v_flags.out_of_bounds;
        if !bad {
            computed(st.pair.apply_in_place(&v, &mut kv), &mut kv);
            let u_flags = update_scaling(&mut u, a, &kv, E_NEG_TAU..=E_TAU);
            bad = u_flags.degenerate();
            big |= u_flags.out_of_bounds;
        }
        done += 1;
        if bad {
            // Redo this iteration as one log-domain step from the absorbed potentials.
            refreshes += 1;
            alpha.clone_from(&st.alpha);
            beta.clone_from(&st.beta);
            log_refresh(&mut alpha, &mut beta, &mut tmp);
            if refreshes > MAX_REFRESHES_IN_A_ROW {
                return finish_in_log(kernel, input, &alpha, done, checks.into_history(), observer);
            }
            state = build(&gaps, eps, alpha.clone(), beta.clone());
            u = unit(a);
            v = unit(b);
            continue;
        }
        refreshes = 0;
        if big {
            alpha.clone_from(&st.alpha);
            beta.clone_from(&st.beta);
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
            fill_zero_masses(kernel, b, &alpha, &mut beta, &mut tmp);
            fill_zero_masses(kernel, a, &beta, &mut alpha, &mut tmp);
            state = build(&gaps, eps, alpha.clone(), beta.clone());
            u = unit(a);
            v = unit(b);
        }
    }
    let st = state.as_ref().ok_or(SinkhornError::NonFinite {
        what: "stabilised kernel",
        iteration: done,
    })?;
    let pot = |base: &[f64], s: &[f64], m: &[f64]| -> Vec<f64> {
        base.iter()
            .zip(s)
            .zip(m)
            .map(|((p, s), &m)| {
                if m > 0.0 {
                    eps * (p + s.ln())
                } else {
                    f64::NEG_INFINITY
                }
            })
            .collect()
    };
    Ok(checks.output(pot(&st.alpha, &u, a), pot(&st.beta, &v, b), done))
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
    let f0: Vec<f64> = alpha.iter().map(|x| eps * x).collect();
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
