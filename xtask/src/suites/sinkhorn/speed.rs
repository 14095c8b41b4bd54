//! The Sinkhorn suite's speed claims: FS-1 and FS-2 cost O(N) per iteration, FS-1 beats the
//! dense kernel by orders of magnitude, stabilisation costs a bounded factor.
//!
//! Every gated number is a ratio measured in one process: the solvers' time per iteration
//! against a streaming pass over the same N, timed round-robin in short runs with minima
//! over the runs (`crate::interleave`), so that a busy machine slows both sides alike. The
//! O(N) claims fit the log-log slope of that ratio: 0 means "grows exactly like one pass
//! over the data". A miss re-measures before it is reported, and the margin of each claim
//! comes from the noise measured with it.

use std::sync::Arc;

use sinkhorn::cases::{bumps_grid, bumps_line};
use sinkhorn::timing::{Differencing, TimingPoint, difference_timing};
use sinkhorn::{
    Backend, ColtKernel, DenseKernel, Domain, GibbsKernel, Ipot, IpotParams, Problem, Sinkhorn,
    dense_ipot,
};

use crate::claim::{Claim, Source, Threshold, fmt_num};
use crate::interleave::{self, Options, Point, Workload, ratio, remeasure, series, streaming};
use crate::plot::{LinePlot, Scale, Series};
use crate::scaling::PowerFit;
use crate::suite::{Mode, Recorder, Table};

use super::{FS1, FS2};

/// Measurements a speed claim may take: the first and, while it misses, two more.
const ATTEMPTS: usize = 3;

/// The O(N) gate on the slope of time relative to a streaming pass: issues 3 and 4 ask for
/// a log-log slope <= 1.1 and the pass is O(N), so the ratio may grow at most like N^0.1.
const RELATIVE_SLOPE: f64 = 0.1;

/// Iterations of the whole solves the log-overhead claim averages over (POT's default
/// `numItermax`, also `Termination::default().max_iter`).
const SOLVE_ITERATIONS: usize = 1000;

const STREAM: &str = "streaming pass";
const FS1_STANDARD: &str = "FS-1 standard";
const FS1_LOG: &str = "FS-1 log-sum-exp";
const FS1_STABILISED: &str = "FS-1 stabilised";
const FS2_NAME: &str = "FS-2";

/// Short runs (~2 ms, under a scheduler time slice), several rounds.
fn options(mode: Mode) -> Options {
    Options {
        sample_seconds: 2e-3,
        rounds: mode.pick(9, 13),
    }
}

/// `(slope, margin)` of `name`'s time per unit relative to the streaming pass.
fn relative_slope(points: &[Point], name: &str) -> (f64, f64) {
    let r = ratio(&series(points, name), &series(points, STREAM));
    PowerFit::fit_with_margin(&r).map_or((f64::NAN, f64::NAN), |(f, m)| (f.slope, m))
}

/// `(slope, margin)` of `name`'s own time per unit.
fn raw_slope(points: &[Point], name: &str) -> (f64, f64) {
    PowerFit::fit_with_margin(&series(points, name))
        .map_or((f64::NAN, f64::NAN), |(f, m)| (f.slope, m))
}

/// Whether every named workload's relative slope meets the gate.
fn all_linear(points: &[Point], names: &[&str]) -> bool {
    names
        .iter()
        .all(|n| relative_slope(points, n).0 <= RELATIVE_SLOPE)
}

/// `slope ± margin` as text.
fn pm((value, margin): (f64, f64)) -> String {
    format!("{} ± {}", fmt_num(value), fmt_num(margin))
}

/// An O(N) claim on `name`'s relative slope.
fn linear_claim(
    id: &str,
    statement: &str,
    source: Source,
    points: &[Point],
    name: &str,
    attempts: usize,
    note: String,
) -> Claim {
    let (slope, margin) = relative_slope(points, name);
    Claim::new(id, statement, source)
        .measured(slope, "")
        .threshold(Threshold::at_most(RELATIVE_SLOPE))
        .noise(margin, attempts)
        .note(format!(
            "log-log slope of (time per iteration / time of one streaming pass over N f64s), both the minimum of short runs timed round-robin in the same rounds, {attempts} measurement(s); 0.1 is the issues' slope <= 1.1 taken against the pass, itself O(N). Own slope {}, streaming pass {}. {note}",
            pm(raw_slope(points, name)),
            pm(raw_slope(points, STREAM)),
        ))
}

/// A whole FS-1 solve of `iterations` iterations (tolerance 0: it never stops early).
fn fs1_solve(
    problem: &Problem,
    domain: Domain,
    backend: Backend,
    eps: f64,
    iterations: usize,
) -> anyhow::Result<()> {
    Sinkhorn::new(benches::fixed_iterations(eps, domain, backend, iterations)).solve(problem)?;
    Ok(())
}

/// FS-1 in `domain` at `eps` on `problem`, differenced over whole solves (kernel set-up and
/// the final cost cancel), runs in whole checking periods.
fn fs1_workload(
    name: &'static str,
    problem: &Arc<Problem>,
    domain: Domain,
    eps: f64,
) -> Workload<'static> {
    let problem = Arc::clone(problem);
    Workload::differenced(name, 10, move |m| {
        fs1_solve(&problem, domain, Backend::Colt, eps, m)
    })
}

/// Seconds per iteration of `run(problem, iterations)` on each problem with
/// [`difference_timing`], one repeat: the dense baselines, plotted beside the O(N) solvers
/// but not gated (at N = 1e4 one dense run builds an 800 MB kernel).
fn dense_sweep(
    problems: &[Problem],
    target: f64,
    mut run: impl FnMut(&Problem, usize) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<TimingPoint>> {
    problems
        .iter()
        .map(|problem| {
            difference_timing(problem.len(), Differencing::solves(target, 1), |k| {
                run(problem, k)
            })
        })
        .collect()
}

fn dense_points(t: &[TimingPoint]) -> Vec<(f64, f64)> {
    t.iter()
        .map(|p| (p.n as f64, p.seconds_per_iteration))
        .collect()
}

/// A series (minima) and its fitted line, labelled with the slope.
fn with_fit(plot: LinePlot, label: &str, pts: Vec<(f64, f64)>) -> LinePlot {
    let index = plot.series.len();
    let fit = PowerFit::fit(&pts);
    let slope = fit.map_or(f64::NAN, |f| f.slope);
    let plot = plot.with(Series::line(
        format!("{label} (slope {})", fmt_num(slope)),
        pts.clone(),
    ));
    match fit {
        Some(fit) => {
            plot.with(Series::dashed(format!("{label}, fit"), fit.line(&pts)).colored(index))
        }
        None => plot,
    }
}

fn xy(s: &[(f64, f64, f64)]) -> Vec<(f64, f64)> {
    s.iter().map(|p| (p.0, p.1)).collect()
}

fn at(s: &[(f64, f64, f64)], n: usize) -> f64 {
    s.iter()
        .find(|p| p.0.to_bits() == (n as f64).to_bits())
        .map_or(f64::NAN, |p| p.1)
}

/// The timing table of a sweep: seconds per unit, noise and ratio to the pass.
fn sweep_table(title: &str, points: &[Point]) -> Table {
    let mut table = Table::new(
        title,
        &[
            "N",
            "workload",
            "s / iteration (min)",
            "noise",
            "ratio to streaming pass",
            "runs",
        ],
    );
    for p in points {
        let stream = p.get(STREAM).map_or(f64::NAN, interleave::Timing::seconds);
        for (name, t) in &p.timings {
            table.row(vec![
                p.n.to_string(),
                (*name).to_owned(),
                fmt_num(t.seconds()),
                format!("{} %", fmt_num(100.0 * t.noise())),
                fmt_num(t.seconds() / stream),
                (t.short.len() + t.long.len()).to_string(),
            ]);
        }
    }
    table
}

pub(super) fn fs1_scaling(rec: &mut Recorder) -> anyhow::Result<()> {
    // Quick mode stays where the working set fits in cache (N <= 1e5: a few MB); past it the
    // sweeps become memory-bound and the time per element grows with the memory level, which
    // the full sweep (to 1e7) shows.
    let line: Vec<usize> = rec.mode().pick(
        vec![1_000, 3_000, 10_000, 30_000, 100_000],
        vec![1_000, 10_000, 100_000, 1_000_000, 10_000_000],
    );
    let sides: Vec<usize> = rec.mode().pick(
        vec![32, 64, 128, 256],
        vec![32, 64, 128, 256, 512, 1024, 2048],
    );
    // Plotted, not gated: one run each (at N = 1e4 a run builds an 800 MB kernel).
    let dense_sizes: Vec<usize> = rec
        .mode()
        .pick(vec![1_000, 3_000], vec![1_000, 3_000, 10_000]);
    let opts = options(rec.mode());
    let bar = rec.bar(4, "sinkhorn FS-1 timing");
    let line_at = |n: usize| -> anyhow::Result<Vec<Workload<'static>>> {
        let problem = Arc::new(bumps_line(n)?);
        Ok(vec![
            streaming(n),
            fs1_workload(FS1_STANDARD, &problem, Domain::Standard, 0.05),
            fs1_workload(FS1_LOG, &problem, Domain::Log, 0.05),
            // eps = 1e-3 of the diameter, where the standard domain underflows.
            fs1_workload(FS1_STABILISED, &problem, Domain::Stabilized, 1e-3),
        ])
    };
    let gated_1d = [FS1_STANDARD, FS1_LOG];
    let (lines, line_attempts) = remeasure(
        ATTEMPTS,
        |prev: Option<&Vec<Point>>| {
            interleave::sweep(&line, opts, prev.map(Vec::as_slice), line_at)
        },
        |p| all_linear(p, &gated_1d),
    )?;
    bar.inc(1);
    let grid_at = |side: usize| -> anyhow::Result<Vec<Workload<'static>>> {
        let problem = Arc::new(bumps_grid(side)?);
        Ok(vec![
            streaming(side * side),
            fs1_workload(FS1_STANDARD, &problem, Domain::Standard, 0.05),
        ])
    };
    let sizes2: Vec<usize> = sides.iter().map(|s| s * s).collect();
    let (grids, grid_attempts) = remeasure(
        ATTEMPTS,
        |prev: Option<&Vec<Point>>| {
            let mut points = interleave::sweep(&sides, opts, prev.map(Vec::as_slice), grid_at)?;
            for (p, &n) in points.iter_mut().zip(&sizes2) {
                p.n = n;
            }
            Ok(points)
        },
        |p| all_linear(p, &[FS1_STANDARD]),
    )?;
    bar.inc(1);
    let dense = dense_sweep(
        &dense_sizes
            .iter()
            .map(|&n| bumps_line(n))
            .collect::<Result<Vec<_>, _>>()?,
        0.1,
        |p, k| fs1_solve(p, Domain::Standard, Backend::Dense, 0.05, k),
    )?;
    let dense_log = dense_sweep(&[bumps_line(1_000)?, bumps_line(2_000)?], 0.1, |p, k| {
        fs1_solve(p, Domain::Log, Backend::Dense, 0.05, k)
    })?;
    bar.inc(1);

    let range = |s: &[usize]| format!("N = {}..{}", s[0], s[s.len() - 1]);
    let dense_slope = PowerFit::fit(&dense_points(&dense)).map_or(f64::NAN, |f| f.slope);
    rec.claim(linear_claim(
        "sinkhorn.fs1.scaling-1d",
        "FS-1 costs O(N) per iteration (1D, standard domain): its time per iteration grows no faster than one pass over the data",
        Source::paper(FS1),
        &lines,
        FS1_STANDARD,
        line_attempts,
        format!(
            "{}; dense baseline slope {} (its own time; issue 3)",
            range(&line),
            fmt_num(dense_slope)
        ),
    ));
    rec.claim(linear_claim(
        "sinkhorn.fs1.scaling-log",
        "The log-domain FS-1 is O(N) per iteration too",
        Source::paper(FS1),
        &lines,
        FS1_LOG,
        line_attempts,
        range(&line),
    ));
    rec.claim(linear_claim(
        "sinkhorn.fs1.scaling-2d",
        "On 2D L1 grids FS-1 is O(N) per iteration (N = nx·ny)",
        Source::project("issue 3"),
        &grids,
        FS1_STANDARD,
        grid_attempts,
        format!("grids {}^2..{}^2", sides[0], sides[sides.len() - 1]),
    ));
    speedup(rec, opts, &lines, &dense)?;
    log_overhead(rec, &lines, line[line.len() - 1])?;
    bandwidth(rec, opts, &lines)?;
    bar.finish_and_clear();

    let std1 = series(&lines, FS1_STANDARD);
    let mut plot = LinePlot::new(
        "FS-1: time per iteration vs N (1D)",
        "N (support points)",
        "seconds per iteration",
        Scale::Log,
        Scale::Log,
    );
    plot = with_fit(plot, FS1_STANDARD, xy(&std1));
    plot = with_fit(plot, FS1_LOG, xy(&series(&lines, FS1_LOG)));
    plot = with_fit(plot, FS1_STABILISED, xy(&series(&lines, FS1_STABILISED)));
    plot = with_fit(plot, "dense Sinkhorn", dense_points(&dense));
    plot = with_fit(plot, "dense log-domain", dense_points(&dense_log));
    plot = with_fit(
        plot,
        "streaming pass over N f64s",
        xy(&series(&lines, STREAM)),
    );
    rec.figure("fs1-time", "Time per Sinkhorn iteration against N, log-log, with least-squares fits (dashed) and their slopes: 1 is O(N), 2 is O(N^2). The streaming pass, timed in the same rounds, is the floor the O(N) claims are measured against.", plot.svg()?);
    let mut grid_plot = LinePlot::new(
        "FS-1 on 2D L1 grids: time per iteration vs N",
        "N = nx·ny (grid cells)",
        "seconds per iteration",
        Scale::Log,
        Scale::Log,
    );
    grid_plot = with_fit(
        grid_plot,
        "FS-1 standard, 2D",
        xy(&series(&grids, FS1_STANDARD)),
    );
    grid_plot = with_fit(grid_plot, "streaming pass", xy(&series(&grids, STREAM)));
    rec.figure(
        "fs1-time-2d",
        "Time per iteration on square grids, log-log, with the fitted slope, beside a streaming pass over the same N.",
        grid_plot.svg()?,
    );
    rec.table(sweep_table(
        "FS-1 timings, 1D (minimum over the runs; noise: spread of the fastest quarter)",
        &lines,
    ));
    rec.table(sweep_table("FS-1 timings, 2D grids", &grids));
    let rows = |s: &[(f64, f64, f64)]| s.to_vec();
    rec.data("fs1_standard_1d", rows(&std1))?;
    rec.data("fs1_log_1d", rows(&series(&lines, FS1_LOG)))?;
    rec.data("fs1_stabilized_1d", rows(&series(&lines, FS1_STABILISED)))?;
    rec.data("streaming_1d", rows(&series(&lines, STREAM)))?;
    rec.data("fs1_standard_2d", rows(&series(&grids, FS1_STANDARD)))?;
    rec.data("streaming_2d", rows(&series(&grids, STREAM)))?;
    let as_rows = |t: &[TimingPoint]| {
        t.iter()
            .map(|p| (p.n, p.seconds_per_iteration, p.iterations))
            .collect::<Vec<_>>()
    };
    rec.data("dense_standard_1d", as_rows(&dense))?;
    rec.data("dense_log_1d", as_rows(&dense_log))?;
    Ok(())
}

/// The speed-up is taken on the kernel product, the O(N^2) vs O(N) part of an iteration,
/// timed without set-up, the two products round-robin (the 800 MB dense kernel's
/// construction varies by seconds, which swamps a differenced run of a few dense iterations).
fn speedup(
    rec: &mut Recorder,
    opts: Options,
    lines: &[Point],
    dense: &[TimingPoint],
) -> anyhow::Result<()> {
    let n = 10_000;
    let problem = bumps_line(n)?;
    let v: Vec<f64> = problem.a().to_vec();
    let fast = ColtKernel::new(problem.geometry(), 0.05)?;
    let slow = DenseKernel::new(problem.geometry(), 0.05)?;
    let (mut out_f, mut scratch_f) = (vec![0.0; n], vec![0.0; fast.scratch_len()]);
    let (mut out_d, mut scratch_d) = (vec![0.0; n], vec![0.0; slow.scratch_len()]);
    let settled = |p: &Point| ratio_of(p, "dense product", "CoLT product").0 >= 1000.0;
    let (point, attempts) = remeasure(
        ATTEMPTS,
        |prev: Option<&Point>| {
            let workloads = vec![
                Workload::batched("CoLT product", |k| {
                    for _ in 0..k {
                        fast.apply(&v, &mut out_f, &mut scratch_f);
                    }
                    Ok(())
                }),
                Workload::batched("dense product", |k| {
                    for _ in 0..k {
                        slow.apply(&v, &mut out_d, &mut scratch_d);
                    }
                    Ok(())
                }),
            ];
            interleave::measure(
                n,
                workloads,
                Options {
                    rounds: opts.rounds.min(5),
                    ..opts
                },
                prev,
            )
        },
        settled,
    )?;
    let (speedup, margin) = ratio_of(&point, "dense product", "CoLT product");
    let seconds = |name| {
        point
            .get(name)
            .map_or(f64::NAN, interleave::Timing::seconds)
    };
    // Whole iterations at the largest size both sweeps have.
    let whole = dense.last().map_or(0, |p| p.n);
    let dense_iter = dense.last().map_or(f64::NAN, |p| p.seconds_per_iteration);
    rec.claim(
        Claim::new(
            "sinkhorn.fs1.speedup",
            "FS-1 is orders of magnitude faster than the original (dense) Sinkhorn: speed-up of the kernel product, the work of an iteration, at N = 10^4",
            Source::project("issue 3: >= 1000x at N = 10^4 (the paper: one to three orders of magnitude)"),
        )
        .measured(speedup, "x")
        .threshold(Threshold::at_least(1000.0))
        .noise(margin, attempts)
        .note(format!(
            "dense faer product {} s vs CoLT product {} s (minima of runs timed round-robin, {attempts} measurement(s)); whole iterations at N = {whole}: dense {} s vs FS-1 {} s",
            fmt_num(seconds("dense product")),
            fmt_num(seconds("CoLT product")),
            fmt_num(dense_iter),
            fmt_num(at(&series(lines, FS1_STANDARD), whole))
        )),
    );
    Ok(())
}

/// `(a / b, margin)` of two workloads timed at one point.
fn ratio_of(p: &Point, a: &str, b: &str) -> (f64, f64) {
    match (p.get(a), p.get(b)) {
        (Some(a), Some(b)) => {
            let r = a.seconds() / b.seconds();
            (r, r * (a.noise() + b.noise()))
        }
        _ => (f64::NAN, f64::NAN),
    }
}

/// Issue 16's sizes for the standard domain's bandwidth target.
const BANDWIDTH_SIZES: [usize; 2] = [1_000_000, 10_000_000];

/// Our pinned worst ratio (per iteration / one streaming pass) at [`BANDWIDTH_SIZES`]: the
/// measured 3.0-3.5x in release (2026-12-03, `docs/sinkhorn.md`) and 5.1 ± 2.5x in
/// validate's dev profile beside a CI build, with room for a busy machine. Issue 16 asks
/// for 2x; the note of the claim says what bounds it.
const BANDWIDTH_PINNED: f64 = 8.0;

/// Issue 16: standard-domain FS-1 per iteration within 2x of a streaming pass at N = 1e6
/// and 1e7. An iteration is two one-pass half-steps (`colt::UniformGibbs::divide_in_place`),
/// each moving the bytes of one streaming pass, so 2x is the memory floor and is reached only
/// if the half-step's arithmetic hides entirely behind its memory traffic. The claim measures
/// that arithmetic alone: one half-step at N = 2048 (its arrays in L2) per element, against
/// the streaming pass per element at the large N, timed in the same rounds
/// (`colt::scaling::measure_one_pass`).
fn bandwidth(rec: &mut Recorder, opts: Options, lines: &[Point]) -> anyhow::Result<()> {
    let mut points: Vec<Point> = lines
        .iter()
        .filter(|p| BANDWIDTH_SIZES.contains(&p.n))
        .cloned()
        .collect();
    let mut attempts = 1;
    if points.is_empty() {
        // Quick mode's sweep stops short of 1e6: time 1e6 alone.
        let at = |n: usize| -> anyhow::Result<Vec<Workload<'static>>> {
            let problem = Arc::new(bumps_line(n)?);
            Ok(vec![
                streaming(n),
                fs1_workload(FS1_STANDARD, &problem, Domain::Standard, 0.05),
            ])
        };
        let (p, a) = remeasure(
            ATTEMPTS,
            |prev: Option<&Vec<Point>>| {
                interleave::sweep(&BANDWIDTH_SIZES[..1], opts, prev.map(Vec::as_slice), at)
            },
            |p| {
                p.iter()
                    .all(|p| ratio_of(p, FS1_STANDARD, STREAM).0 <= BANDWIDTH_PINNED)
            },
        )?;
        points = p;
        attempts = a;
    }
    let (mut worst, mut margin) = (0.0f64, 0.0f64);
    let mut per_size = Vec::new();
    for p in &points {
        let (r, m) = ratio_of(p, FS1_STANDARD, STREAM);
        if r > worst {
            (worst, margin) = (r, m);
        }
        let seconds = |name| p.get(name).map_or(f64::NAN, interleave::Timing::seconds);
        // The half-step's arithmetic (in cache) against this N's streaming pass.
        let split = colt::scaling::measure_one_pass(&[2048, p.n], 5);
        let compute = split.f64_seconds[0] / 2048.0;
        let memory = split.streaming_seconds[1] / p.n as f64;
        per_size.push(format!(
            "N = {}: FS-1 standard {} s per iteration vs streaming pass {} s: {}x; one half-step in cache {} ns/point vs streaming pass {} ns/point at this N, so the arithmetic alone is {}x the pass per iteration (2 half-steps), and a half-step at this N {}x",
            p.n,
            fmt_num(seconds(FS1_STANDARD)),
            fmt_num(seconds(STREAM)),
            fmt_num(r),
            fmt_num(compute * 1e9),
            fmt_num(memory * 1e9),
            fmt_num(2.0 * compute / memory),
            fmt_num(split.f64_seconds[1] / split.streaming_seconds[1]),
        ));
    }
    rec.claim(
        Claim::new(
            "sinkhorn.fs1.bandwidth",
            "Standard-domain FS-1 on a uniform line costs at most 2 streaming passes per iteration at N = 10^6 and 10^7 (the memory floor of two one-pass half-steps)",
            Source::project("issue 16"),
        )
        .measured(worst, "x")
        .threshold(Threshold::at_most(BANDWIDTH_PINNED))
        .noise(margin, attempts)
        .not_reproduced(
            "issue 16: per iteration within 2x of a streaming pass over the same data at N = 1e6 and 1e7",
            "the half-step's arithmetic (transposed 4-wide lane sweeps with AVX2, a division and four checks per point) does not hide behind its memory traffic on this 2-core VM: measured in cache it alone costs about the streaming pass per point or more (see the note), so two half-steps cannot reach 2 passes; the pinned value is our measured ratio with room for noise",
        )
        .note(format!(
            "{}; minima of short runs timed round-robin, {attempts} measurement(s)",
            per_size.join("; ")
        )),
    );
    Ok(())
}

/// Per iteration averaged over a whole solve of POT's default length (1000 iterations,
/// set-up included), not over the differenced window of the sweep: at large N that window
/// is a few early iterations, where absorptions are densest. The two solves alternate.
fn log_overhead(rec: &mut Recorder, lines: &[Point], big: usize) -> anyhow::Result<()> {
    let n = rec.mode().pick(100_000, 1_000_000);
    let problem = bumps_line(n)?;
    let (point, attempts) = remeasure(
        ATTEMPTS,
        |prev: Option<&Point>| {
            let workloads = vec![
                Workload::batched("standard", |k| {
                    for _ in 0..k {
                        fs1_solve(
                            &problem,
                            Domain::Standard,
                            Backend::Colt,
                            0.05,
                            SOLVE_ITERATIONS,
                        )?;
                    }
                    Ok(())
                }),
                Workload::batched("stabilised", |k| {
                    for _ in 0..k {
                        fs1_solve(
                            &problem,
                            Domain::Stabilized,
                            Backend::Colt,
                            1e-3,
                            SOLVE_ITERATIONS,
                        )?;
                    }
                    Ok(())
                }),
            ];
            let opts = Options {
                sample_seconds: 0.0,
                rounds: 3,
            };
            interleave::measure(n, workloads, opts, prev)
        },
        |p| ratio_of(p, "stabilised", "standard").0 <= 4.0,
    )?;
    let (overhead, margin) = ratio_of(&point, "stabilised", "standard");
    let in_window = |name| at(&series(lines, name), big) / at(&series(lines, FS1_STANDARD), big);
    rec.claim(
        Claim::new(
            "sinkhorn.fs1.log-overhead",
            "Log-domain-stabilised FS-1 costs at most 4x standard FS-1 per iteration",
            Source::project("issue 3"),
        )
        .measured(overhead, "x")
        .threshold(Threshold::at_most(4.0))
        .noise(margin, attempts)
        .note(format!(
            "N = {n}, per iteration averaged over {SOLVE_ITERATIONS}-iteration solves, the two alternating, minimum of 3 each per measurement, {attempts} measurement(s) (stabilised at eps = 1e-3, where the standard domain underflows, vs standard at eps = 0.05): stabilisation by absorbing the scalings into the potentials (the stabilised kernel is again a CoLT pair, applied in the standard domain; what Domain::Auto picks for small eps on lines). In the sweep's differenced window at N = {big}: stabilised {}x, log-sum-exp sweeps (an exp and a log per element) {}x",
            fmt_num(in_window(FS1_STABILISED)),
            fmt_num(in_window(FS1_LOG))
        )),
    );
    Ok(())
}

pub(super) fn fs2_scaling(rec: &mut Recorder) -> anyhow::Result<()> {
    let line: Vec<usize> = rec.mode().pick(
        vec![1_000, 2_000, 10_000, 100_000],
        vec![1_000, 2_000, 10_000, 100_000, 1_000_000],
    );
    let params = IpotParams::default(); // beta 0.05 (diameter 1), L = 5
    let opts = options(rec.mode());
    let at_n = |n: usize| -> anyhow::Result<Vec<Workload<'static>>> {
        let problem = bumps_line(n)?;
        Ok(vec![
            streaming(n),
            // Outer iterations 11..20 at every N (runs of 10 and 20 differenced).
            Workload::differenced(FS2_NAME, 1, move |k| {
                Ipot::new(params).iterate_potentials(&problem, k)?;
                Ok(())
            })
            .fixed(10),
        ])
    };
    let (points, attempts) = remeasure(
        ATTEMPTS,
        |prev: Option<&Vec<Point>>| interleave::sweep(&line, opts, prev.map(Vec::as_slice), at_n),
        |p| all_linear(p, &[FS2_NAME]),
    )?;
    let dense = dense_sweep(
        &[bumps_line(1_000)?, bumps_line(2_000)?],
        0.1,
        |problem, k| {
            dense_ipot(
                problem,
                params.beta_on(problem.geometry())?,
                params.inner,
                k,
                &[],
            )?;
            Ok(())
        },
    )?;
    rec.claim(linear_claim(
        "sinkhorn.fs2.scaling",
        "FS-2 costs O(N) per outer iteration: its time grows no faster than one pass over the data",
        Source::paper(FS2),
        &points,
        FS2_NAME,
        attempts,
        format!(
            "N = {}..{}, L = 5 inner steps, outer iterations 11-20 at every N (their cost changes with k through beta / k); 1.1 from issue 4",
            line[0],
            line[line.len() - 1]
        ),
    ));
    let fs2 = series(&points, FS2_NAME);
    // Issue 4's ratio at N = 10^4: dense IPOT holds two N x N matrices there (1.6 GB) and
    // an outer iteration lasts ~0.6 s (release) to ~1 s (this dev profile), so it is
    // differenced over 1 and 2 outer iterations without a probe, the faster of two runs of
    // each (its exp(-C/beta) set-up cancels). Two orders of magnitude of headroom: not
    // interleaved.
    let n = 10_000;
    let big = bumps_line(n)?;
    let dense_big = difference_timing(n, Differencing::fixed(1, 2), |k| {
        dense_ipot(&big, params.beta_on(big.geometry())?, params.inner, k, &[]).map(drop)
    })?;
    let speedup = dense_big.seconds_per_iteration / at(&fs2, n);
    rec.claim(
        Claim::new(
            "sinkhorn.fs2.speedup",
            "FS-2 is faster than dense IPOT per outer iteration at N = 10^4",
            Source::project(
                "issue 4 asks for the ratio at N = 10^4; threshold: two orders of magnitude",
            ),
        )
        .measured(speedup, "x")
        .threshold(Threshold::at_least(100.0))
        .note(format!(
            "dense IPOT {} s vs FS-2 {} s per outer iteration (L = 5), both measured in this run",
            fmt_num(dense_big.seconds_per_iteration),
            fmt_num(at(&fs2, n))
        )),
    );
    let dense: Vec<TimingPoint> = dense.into_iter().chain([dense_big]).collect();
    let mut plot = LinePlot::new(
        "FS-2 (IPOT): time per outer iteration vs N",
        "N (support points)",
        "seconds per outer iteration",
        Scale::Log,
        Scale::Log,
    );
    plot = with_fit(plot, FS2_NAME, xy(&fs2));
    plot = with_fit(plot, "dense IPOT", dense_points(&dense));
    plot = with_fit(
        plot,
        "streaming pass over N f64s",
        xy(&series(&points, STREAM)),
    );
    rec.figure(
        "fs2-time",
        "Time per IPOT outer iteration (5 inner steps), log-log, with fits, beside a streaming pass timed in the same rounds.",
        plot.svg()?,
    );
    rec.table(sweep_table("FS-2 timings (per outer iteration)", &points));
    rec.data("fs2_1d", fs2)?;
    rec.data("streaming_fs2_1d", series(&points, STREAM))?;
    rec.data(
        "dense_ipot_1d",
        dense
            .iter()
            .map(|p| (p.n, p.seconds_per_iteration))
            .collect::<Vec<_>>(),
    )?;
    Ok(())
}
