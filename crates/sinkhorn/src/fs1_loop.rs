//! The FS-1 iteration itself, written once for any [`GibbsKernel`]: the standard-domain
//! scaling loop and the log-domain (log-sum-exp) loop.
//!
//! Order and initialisation follow POT's `sinkhorn_knopp` so iterates compare one to
//! one: `u = 1/n`, then per iteration `v = b / (K^T u)`, `u = a / (K v)`. Row marginals
//! are exact after each iteration; the column violation `|v ⊙ K^T u - b|_1` is measured
//! from the next iteration's `K^T u`, so checks cost no extra product. Zero masses give
//! zero scalings (standard) or `-inf` potentials (log), set explicitly (brief §6.6).

use crate::error::{Result, SinkhornError};
use crate::kernel::GibbsKernel;
use crate::observer::{Observer, Record};
use crate::termination::{Termination, TerminationReason};

/// Inputs to one loop run (one eps stage).
#[derive(Clone, Copy)]
pub(crate) struct LoopInput<'a> {
    pub a: &'a [f64],
    pub b: &'a [f64],
    /// Starting source potential `f` (cost units).
    pub f0: &'a [f64],
    pub termination: Termination,
    /// Iterations done by earlier stages (for records).
    pub offset: usize,
    /// `diameter / eps`, for the underflow message.
    pub diameter_over_eps: f64,
}

/// What a loop run returns.
#[derive(Debug, Clone)]
pub(crate) struct LoopOutput {
    pub f: Vec<f64>,
    pub g: Vec<f64>,
    pub iterations: usize,
    pub violation: f64,
    pub history: Vec<(usize, f64)>,
    pub reason: TerminationReason,
}

fn column_violation_std(v: &[f64], ktu: &[f64], b: &[f64], mass: f64) -> f64 {
    v.iter()
        .zip(ktu)
        .zip(b)
        .map(|((v, k), b)| (v * k - b).abs())
        .sum::<f64>()
        / mass
}

/// Standard-domain FS-1 loop.
pub(crate) fn run_standard<K: GibbsKernel + ?Sized>(
    kernel: &K,
    input: &LoopInput<'_>,
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    let n = kernel.len();
    let eps = kernel.eps();
    let (a, b, term) = (input.a, input.b, input.termination);
    let mass: f64 = a.iter().sum();
    let mut u: Vec<f64> = input.f0.iter().map(|f| (f / eps).exp()).collect();
    let mut v = vec![0.0; n];
    let mut ktu = vec![0.0; n];
    let mut kv = vec![0.0; n];
    let mut scratch = vec![0.0; kernel.scratch_len()];
    let mut history = Vec::new();
    let mut reason = TerminationReason::MaxIterations;
    let mut violation = f64::INFINITY;
    let mut done = 0;
    let underflow = |iteration| SinkhornError::KernelUnderflow {
        iteration,
        diameter_over_eps: input.diameter_over_eps,
    };
    loop {
        kernel.apply(&u, &mut ktu, &mut scratch);
        if term.due(done) || done == term.max_iter {
            violation = column_violation_std(&v, &ktu, b, mass);
            history.push((input.offset + done, violation));
            observer.observe(&Record {
                iteration: input.offset + done,
                violation,
                eps,
            });
            if term.met(violation) {
                reason = TerminationReason::Converged;
                break;
            }
        }
        if done == term.max_iter {
            break;
        }
        let mut bad = false;
        for ((vj, &bj), &kj) in v.iter_mut().zip(b).zip(&ktu) {
            *vj = if bj > 0.0 { bj / kj } else { 0.0 };
            bad |= !(vj.is_finite());
        }
        kernel.apply(&v, &mut kv, &mut scratch);
        for ((ui, &ai), &ki) in u.iter_mut().zip(a).zip(&kv) {
            *ui = if ai > 0.0 { ai / ki } else { 0.0 };
            bad |= !(ui.is_finite() && (*ui > 0.0 || ai <= 0.0));
        }
        done += 1;
        if bad {
            return Err(underflow(input.offset + done));
        }
    }
    let f = u.iter().map(|x| eps * x.ln()).collect();
    let g = v.iter().map(|x| eps * x.ln()).collect();
    Ok(LoopOutput {
        f,
        g,
        iterations: done,
        violation,
        history,
        reason,
    })
}

/// Log-domain FS-1 loop (log-sum-exp sweeps, brief §2.5 (A)).
pub(crate) fn run_log<K: GibbsKernel + ?Sized>(
    kernel: &K,
    input: &LoopInput<'_>,
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    let n = kernel.len();
    let eps = kernel.eps();
    let (a, b, term) = (input.a, input.b, input.termination);
    let mass: f64 = a.iter().sum();
    let la: Vec<f64> = a.iter().map(|x| x.ln()).collect();
    let lb: Vec<f64> = b.iter().map(|x| x.ln()).collect();
    // Scaled potentials f/eps, g/eps.
    let mut fs: Vec<f64> = input
        .f0
        .iter()
        .zip(a)
        .map(|(f, &ai)| if ai > 0.0 { f / eps } else { f64::NEG_INFINITY })
        .collect();
    let mut gs = vec![f64::NEG_INFINITY; n];
    let mut lktu = vec![0.0; n];
    let mut lkv = vec![0.0; n];
    let mut scratch = vec![0.0; kernel.scratch_len()];
    let mut history = Vec::new();
    let mut reason = TerminationReason::MaxIterations;
    let mut violation = f64::INFINITY;
    let mut done = 0;
    loop {
        kernel.log_apply(&fs, &mut lktu, &mut scratch);
        if term.due(done) || done == term.max_iter {
            violation = gs
                .iter()
                .zip(&lktu)
                .zip(b)
                .map(|((g, k), b)| ((g + k).exp() - b).abs())
                .sum::<f64>()
                / mass;
            history.push((input.offset + done, violation));
            observer.observe(&Record {
                iteration: input.offset + done,
                violation,
                eps,
            });
            if term.met(violation) {
                reason = TerminationReason::Converged;
                break;
            }
        }
        if done == term.max_iter {
            break;
        }
        let mut bad = false;
        for (((gj, &lbj), &kj), &bj) in gs.iter_mut().zip(&lb).zip(&lktu).zip(b) {
            *gj = if bj > 0.0 {
                lbj - kj
            } else {
                f64::NEG_INFINITY
            };
            bad |= bj > 0.0 && !gj.is_finite();
        }
        kernel.log_apply(&gs, &mut lkv, &mut scratch);
        for (((fi, &lai), &ki), &ai) in fs.iter_mut().zip(&la).zip(&lkv).zip(a) {
            *fi = if ai > 0.0 {
                lai - ki
            } else {
                f64::NEG_INFINITY
            };
            bad |= ai > 0.0 && !fi.is_finite();
        }
        done += 1;
        if bad {
            return Err(SinkhornError::NonFinite {
                what: "log-domain potentials",
                iteration: input.offset + done,
            });
        }
    }
    let f = fs.iter().map(|x| eps * x).collect();
    let g = gs.iter().map(|x| eps * x).collect();
    Ok(LoopOutput {
        f,
        g,
        iterations: done,
        violation,
        history,
        reason,
    })
}
