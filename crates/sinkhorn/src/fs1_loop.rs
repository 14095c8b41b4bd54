//! The FS-1 iteration itself, written once for any [`GibbsKernel`]: the standard-domain
//! scaling loop and the log-domain (log-sum-exp) loop.
//!
//! Order and initialisation follow POT's `sinkhorn_knopp` so iterates compare one to
//! one: `u = 1/n`, then per iteration `v = b / (K^T u)`, `u = a / (K v)`. Row marginals
//! are exact after each iteration; the column violation `|v ⊙ K^T u - b|_1` is measured
//! from the next iteration's `K^T u`, so checks cost no extra product. Zero masses give
//! zero scalings (standard) or `-inf` potentials (log), set explicitly (brief §6.6).
//!
//! What every FS-1 loop does the same way lives here once, so each loop body reads as its
//! algorithm: [`Checks`] (when to check, history, observer, termination) and
//! [`update_scaling`] (the `x = m / k` half-step with its breakdown flags), which the
//! stabilised loop ([`crate::fs1_stabilized`]) also uses.

use std::any::Any;
use std::ops::RangeBounds;

use colt::{Quotients, Real, UniformGibbs};

use crate::colt_kernel::{ColtKernel, sized};
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
    pub f0: &'a Start,
    pub termination: Termination,
    /// Iterations done by earlier stages (for records).
    pub offset: usize,
    /// `diameter / eps`, for the underflow message.
    pub diameter_over_eps: f64,
}

/// A loop's starting source potential `f` (cost units): one value at every point (the
/// default start, POT's `u = 1/n`) or one value per point (a warm start, a later eps stage).
/// The constant is kept without an array: at N = 10^7, writing it (80 MB, page faults
/// included) was about a third of the set-up before the first iteration.
#[derive(Clone, Debug)]
pub(crate) enum Start {
    /// The same potential at every point.
    Constant(f64),
    /// One potential per point.
    Values(Vec<f64>),
}

impl Start {
    /// The potential at each of the `n` points (`Values` holds exactly `n`).
    pub(crate) fn values(&self, n: usize) -> impl Iterator<Item = f64> + '_ {
        let (constant, repeats, values): (f64, usize, &[f64]) = match self {
            Start::Constant(c) => (*c, n, &[]),
            Start::Values(v) => {
                debug_assert_eq!(v.len(), n);
                (0.0, 0, v)
            }
        };
        std::iter::repeat_n(constant, repeats).chain(values.iter().copied())
    }
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
    /// The transport cost and the objective of the final iterate, when the loop computed
    /// them from its scalings (the one-pass loop, in O(1) extra memory); otherwise the
    /// caller computes them from `f`, `g` in the log domain.
    pub totals: Option<Totals>,
}

/// `<C, T>` and the entropic objective of an iterate (see [`crate::SinkhornResult`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Totals {
    pub cost: f64,
    pub objective: f64,
}

/// The checks of one loop run: when one is due, what it measured (kept in the history
/// and sent to the observer) and whether the loop stops, the same rule for every FS-1 loop.
pub(crate) struct Checks {
    term: Termination,
    offset: usize,
    eps: f64,
    history: Vec<(usize, f64)>,
    violation: f64,
    reason: TerminationReason,
}

impl Checks {
    /// No checks yet for a run of `input` at `eps`.
    pub(crate) fn new(input: &LoopInput<'_>, eps: f64) -> Self {
        Checks {
            term: input.termination,
            offset: input.offset,
            eps,
            history: Vec::new(),
            violation: f64::INFINITY,
            reason: TerminationReason::MaxIterations,
        }
    }

    /// After `done` iterations: if a check is due (every `check_every`, and always at
    /// `max_iter`), `measure` the violation, record and report it; then whether the loop
    /// stops here, converged or out of iterations.
    pub(crate) fn stop(
        &mut self,
        done: usize,
        observer: &mut dyn Observer,
        measure: impl FnOnce() -> f64,
    ) -> bool {
        let last = done == self.term.max_iter;
        if self.term.due(done) || last {
            let violation = measure();
            self.violation = violation;
            self.history.push((self.offset + done, violation));
            observer.observe(&Record {
                iteration: self.offset + done,
                violation,
                eps: self.eps,
            });
            if self.term.met(violation) {
                self.reason = TerminationReason::Converged;
                return true;
            }
        }
        last
    }

    /// The checks recorded so far, for a run that hands over to another loop.
    pub(crate) fn into_history(self) -> Vec<(usize, f64)> {
        self.history
    }

    /// The run's output: final potentials `f`, `g` after `iterations` iterations.
    pub(crate) fn output(self, f: Vec<f64>, g: Vec<f64>, iterations: usize) -> LoopOutput {
        LoopOutput {
            f,
            g,
            iterations,
            violation: self.violation,
            history: self.history,
            reason: self.reason,
            totals: None,
        }
    }
}

/// What one scaling update [`update_scaling`] saw; each loop decides which flags break it.
pub(crate) struct ScalingFlags {
    /// Some scaling is infinite or NaN (its kernel product underflowed).
    pub non_finite: bool,
    /// Some positive mass got a scaling that is not positive (zero or NaN).
    pub vanished: bool,
    /// Some positive mass got a scaling outside the bounds asked for.
    pub out_of_bounds: bool,
    /// Some positive mass met a kernel product below f64's normal range (zero or
    /// subnormal): its scaling has lost precision even if it is finite.
    pub underflow: bool,
}

impl ScalingFlags {
    /// Whether some scaling is unusable: not finite, or not positive for a positive mass.
    pub(crate) fn degenerate(&self) -> bool {
        self.non_finite || self.vanished
    }
}

/// One scaling half-step `x = m / k` entrywise, zero where the mass `m` is zero, with its
/// flags; pass `..` for `bounds` where `out_of_bounds` is not read.
pub(crate) fn update_scaling(
    x: &mut [f64],
    m: &[f64],
    k: &[f64],
    bounds: impl RangeBounds<f64>,
) -> ScalingFlags {
    let mut flags = ScalingFlags {
        non_finite: false,
        vanished: false,
        out_of_bounds: false,
        underflow: false,
    };
    for ((xi, &mi), &ki) in x.iter_mut().zip(m).zip(k) {
        flags.underflow |= mi > 0.0 && ki < f64::MIN_POSITIVE;
        *xi = if mi > 0.0 { mi / ki } else { 0.0 };
        flags.non_finite |= !xi.is_finite();
        flags.vanished |= !(*xi > 0.0 || mi <= 0.0);
        flags.out_of_bounds |= mi > 0.0 && !bounds.contains(xi);
    }
    flags
}

/// One log-domain half-step `x = log m - k` entrywise, `-inf` where the mass is zero
/// (`log m = -inf`: the masses are validated non-negative, so `log m` is finite exactly where
/// `m > 0`); whether some positive mass got a non-finite potential.
fn update_potential(x: &mut [f64], log_m: &[f64], k: &[f64]) -> bool {
    let mut bad = false;
    for ((xi, &li), &ki) in x.iter_mut().zip(log_m).zip(k) {
        let positive = li > f64::NEG_INFINITY;
        *xi = if positive { li - ki } else { f64::NEG_INFINITY };
        bad |= positive && !xi.is_finite();
    }
    bad
}

/// Relative L1 column violation `|v ⊙ K^T u - b|_1 / mass` from the scalings.
pub(crate) fn column_violation_std(v: &[f64], ktu: &[f64], b: &[f64], mass: f64) -> f64 {
    v.iter()
        .zip(ktu)
        .zip(b)
        .map(|((v, k), b)| (v * k - b).abs())
        .sum::<f64>()
        / mass
}

/// Relative L1 column violation `|e^{g + log K^T e^f} - b|_1 / mass` from the scaled
/// potentials.
fn column_violation_log(gs: &[f64], lktu: &[f64], b: &[f64], mass: f64) -> f64 {
    gs.iter()
        .zip(lktu)
        .zip(b)
        .map(|((g, k), b)| ((g + k).exp() - b).abs())
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
    let (a, b) = (input.a, input.b);
    let mass: f64 = a.iter().sum();
    let mut u: Vec<f64> = input.f0.values(n).map(|f| (f / eps).exp()).collect();
    let mut v = vec![0.0; n];
    let mut ktu = vec![0.0; n];
    let mut kv = vec![0.0; n];
    let mut scratch = vec![0.0; kernel.scratch_len()];
    let mut checks = Checks::new(input, eps);
    let mut done = 0;
    loop {
        kernel.apply(&u, &mut ktu, &mut scratch);
        if checks.stop(done, observer, || column_violation_std(&v, &ktu, b, mass)) {
            break;
        }
        let v_flags = update_scaling(&mut v, b, &ktu, ..);
        kernel.apply(&v, &mut kv, &mut scratch);
        let u_flags = update_scaling(&mut u, a, &kv, ..);
        done += 1;
        // `v` breaks the loop when not finite, `u` also when a scaling vanished, either when
        // its kernel product left f64's normal range (the scaling would be inaccurate).
        if v_flags.non_finite || v_flags.underflow || u_flags.degenerate() || u_flags.underflow {
            return Err(SinkhornError::KernelUnderflow {
                iteration: input.offset + done,
                diameter_over_eps: input.diameter_over_eps,
            });
        }
    }
    let f = u.iter().map(|x| eps * x.ln()).collect();
    let g = v.iter().map(|x| eps * x.ln()).collect();
    Ok(checks.output(f, g, done))
}

/// The standard-domain loop on a structured kernel: [`run_standard_one_pass`] on a
/// uniform line, [`run_standard`] elsewhere.
pub(crate) fn run_standard_colt(
    kernel: &ColtKernel,
    input: &LoopInput<'_>,
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    match kernel.uniform_line() {
        Some((line, step)) => {
            let masses = (input.a, input.b);
            run_standard_one_pass(line, step, kernel.eps(), input, masses, observer)
        }
        None => run_standard(kernel, input, observer),
    }
}

/// Standard-domain FS-1 loop on a uniform line: the iterates of [`run_standard`], each
/// half-step `v = b / (K^T u)` one sequential pass of colt's
/// [`UniformGibbs::divide_in_place`] (product, division, breakdown flags and the block
/// sums of the next input fused), and each check one pass of
/// [`UniformGibbs::visit_blocks`] (`|v ⊙ K^T u - b|_1` reduced block by block, the
/// product never written). Memory: `u`, `v` and `2 N / colt::sweep::BLOCK` block sums;
/// nothing is allocated per iteration; the final cost and objective come from the
/// scalings in O(1) extra memory ([`one_pass_totals`]). The products round differently
/// from the sweeps of [`run_standard`] within the same bound (colt's `one_pass` module).
///
/// `T` is the storage of the scalings and of `masses` (the loop's copy of `input.a`,
/// `input.b`: the same slices for f64, rounded ones for f32, `crate::precision`); the
/// products, sums and checks run in f64 on the stored values, and the violation is
/// measured against the f64 masses of `input`. A scaling below `T`'s normal range is a
/// breakdown, as a product below f64's is.
pub(crate) fn run_standard_one_pass<T: Real>(
    kernel: &UniformGibbs,
    step: f64,
    eps: f64,
    input: &LoopInput<'_>,
    masses: (&[T], &[T]),
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    let n = kernel.len();
    let (a, b) = masses;
    let exact_b = input.b;
    let mass: f64 = input.a.iter().sum();
    // exp(f0 / eps), once per run of equal values: the default start is one constant, and
    // at N = 1e7 the exponentials are most of the set-up.
    let mut last = (f64::NAN, T::ZERO);
    let mut u: Vec<T> = input
        .f0
        .values(n)
        .map(|f| {
            if f.to_bits() != last.0.to_bits() {
                last = (f, T::from_f64((f / eps).exp()));
            }
            last.1
        })
        .collect();
    let mut v = vec![T::ZERO; n];
    let mut su = vec![0.0; kernel.sums_len()];
    let mut sv = vec![0.0; kernel.sums_len()];
    sized(kernel.block_sums(&u, &mut su));
    let mut checks = Checks::new(input, eps);
    let mut done = 0;
    // Breakdown as in `run_standard`: a divisor below f64's normal range (underflow), a
    // quotient that is not finite, and for `u` also one that vanished; in f32 also a
    // scaling below f32's normal range (it would keep fewer than 24 bits).
    let tiny = if min_normal::<T>() > f64::MIN_POSITIVE {
        min_normal::<T>()
    } else {
        0.0
    };
    let underflow = |q: &Quotients| q.min_divisor < f64::MIN_POSITIVE;
    let lost = |q: &Quotients| q.min_quotient < tiny && q.min_quotient > 0.0;
    loop {
        if checks.stop(done, observer, || {
            if done == 0 {
                // `v` is still 0: `|0 (K^T u)_j - b_j| = b_j`, the same sum without the pass.
                return exact_b.iter().map(|bj| (0.0 - bj).abs()).sum::<f64>() / mass;
            }
            let mut residual = 0.0;
            sized(kernel.visit_blocks(&u, &su, &mut sv, |start, k| {
                for ((k, m), y) in k.iter().zip(&exact_b[start..]).zip(&v[start..]) {
                    residual += (y.to_f64() * k - m).abs();
                }
            }));
            residual / mass
        }) {
            break;
        }
        let qv = sized(kernel.divide_in_place(&u, &su, b, &mut v, &mut sv));
        let qu = sized(kernel.divide_in_place(&v, &sv, a, &mut u, &mut su));
        done += 1;
        let u_vanished = qu.min_quotient.is_nan() || qu.min_quotient <= 0.0;
        if !qv.finite
            || underflow(&qv)
            || lost(&qv)
            || !qu.finite
            || u_vanished
            || underflow(&qu)
            || lost(&qu)
        {
            return Err(SinkhornError::KernelUnderflow {
                iteration: input.offset + done,
                diameter_over_eps: input.diameter_over_eps,
            });
        }
    }
    let totals = one_pass_totals(kernel, step, eps, &u, &mut su, &v, &mut sv);
    let (f, g) = (potentials(u, eps), potentials(v, eps));
    let mut out = checks.output(f, g, done);
    out.totals = Some(totals);
    Ok(out)
}

/// The smallest positive normal number of `T`, as f64.
fn min_normal<T: Real>() -> f64 {
    // 2^-126 for f32, 2^-1022 for f64: the unit roundoff fixes the format.
    if T::UNIT_ROUNDOFF.to_f64() > 1e-10 {
        f64::from(f32::MIN_POSITIVE)
    } else {
        f64::MIN_POSITIVE
    }
}

/// The potentials `eps ln x` of the scalings `x`: in place for f64 (no second vector at
/// N = 1e7), converted for f32.
fn potentials<T: Real>(x: Vec<T>, eps: f64) -> Vec<f64> {
    let any: Box<dyn Any> = Box::new(x);
    match any.downcast::<Vec<f64>>() {
        Ok(mut x) => {
            for v in x.iter_mut() {
                *v = eps * v.ln();
            }
            *x
        }
        Err(any) => any
            .downcast::<Vec<T>>()
            .map(|x| x.iter().map(|v| eps * v.to_f64().ln()).collect())
            .unwrap_or_else(|_| unreachable!("the box holds a Vec<T>")),
    }
}

/// The cost `<C, T>` and objective `<f, T 1> + <g, T^T 1> - eps sum(T)` of the plan
/// `T = diag(u) K diag(v)` from the scalings, as the log-domain path computes them from the
/// potentials (`crate::plan`), in passes over `u` and `v` with O(1) extra memory: the cost
/// from colt's [`UniformGibbs::distance_form`] times the spacing, the row and column sums
/// `u ⊙ K v`, `v ⊙ K u` reduced block by block. `su`, `sv` are overwritten.
fn one_pass_totals<T: Real>(
    kernel: &UniformGibbs,
    step: f64,
    eps: f64,
    u: &[T],
    su: &mut [f64],
    v: &[T],
    sv: &mut [f64],
) -> Totals {
    let cost = step * sized(kernel.distance_form(u, v));
    // sum_i eps ln(x_i) x_i (K y)_i over the positive terms, and sum_i x_i (K y)_i.
    let side = |x: &[T], y: &[T], sy: &mut [f64], scratch: &mut [f64]| {
        sized(kernel.block_sums(y, sy));
        let (mut dot, mut mass) = (0.0, 0.0);
        sized(kernel.visit_blocks(y, sy, scratch, |start, k| {
            for (&k, &x) in k.iter().zip(&x[start..]) {
                let x = x.to_f64();
                let t = x * k;
                if t > 0.0 {
                    dot += eps * x.ln() * t;
                }
                mass += t;
            }
        }));
        (dot, mass)
    };
    let (rows, mass) = side(u, v, sv, su);
    let (cols, _) = side(v, u, su, sv);
    Totals {
        cost,
        objective: rows + cols - eps * mass,
    }
}

/// Log-domain FS-1 loop (log-sum-exp sweeps, brief §2.5 (A)).
pub(crate) fn run_log<K: GibbsKernel + ?Sized>(
    kernel: &K,
    input: &LoopInput<'_>,
    observer: &mut dyn Observer,
) -> Result<LoopOutput> {
    let n = kernel.len();
    let eps = kernel.eps();
    let (a, b) = (input.a, input.b);
    let mass: f64 = a.iter().sum();
    let la: Vec<f64> = a.iter().map(|x| x.ln()).collect();
    let lb: Vec<f64> = b.iter().map(|x| x.ln()).collect();
    // Scaled potentials f/eps, g/eps.
    let mut fs: Vec<f64> = input
        .f0
        .values(n)
        .zip(a)
        .map(|(f, &ai)| if ai > 0.0 { f / eps } else { f64::NEG_INFINITY })
        .collect();
    let mut gs = vec![f64::NEG_INFINITY; n];
    // Each log product in turn: log K^T e^f, then log K e^g.
    let mut lk = vec![0.0; n];
    let mut scratch = vec![0.0; kernel.scratch_len()];
    let mut checks = Checks::new(input, eps);
    let mut done = 0;
    loop {
        kernel.log_apply(&fs, &mut lk, &mut scratch);
        if checks.stop(done, observer, || column_violation_log(&gs, &lk, b, mass)) {
            break;
        }
        let g_bad = update_potential(&mut gs, &lb, &lk);
        kernel.log_apply(&gs, &mut lk, &mut scratch);
        let f_bad = update_potential(&mut fs, &la, &lk);
        done += 1;
        if g_bad || f_bad {
            return Err(SinkhornError::NonFinite {
                what: "log-domain potentials",
                iteration: input.offset + done,
            });
        }
    }
    let f = fs.iter().map(|x| eps * x).collect();
    let g = gs.iter().map(|x| eps * x).collect();
    Ok(checks.output(f, g, done))
}
