//! The stopping rule and domain choices that docs/sinkhorn.md and docs/for-pot-users.md
//! promise: POT's check schedule (after iterations 1, 11, 21, ...), the relative L1 column
//! violation it reports, the defaults, `MaxIterations` returning the last iterate when
//! partial results are allowed, and `Domain::Auto` picking the log domain on grids below
//! the standard-domain threshold.

use sinkhorn::cases::{bumps_grid, bumps_line};
use sinkhorn::{
    Domain, Observer, Record, Sinkhorn, SinkhornParams, Termination, TerminationReason,
};

/// Keeps every check.
#[derive(Default)]
struct Checks(Vec<Record>);

impl Observer for Checks {
    fn observe(&mut self, record: &Record) {
        self.0.push(*record);
    }
}

#[test]
fn defaults_are_pots_except_the_cap() {
    let t = Termination::default();
    // POT's stopThr and check schedule; the cap is raised from POT's 1000 so that the
    // default call converges (docs/sinkhorn.md, "Defaults that converge").
    assert_eq!(
        (t.max_iter, t.check_every),
        (Termination::DEFAULT_MAX_ITER, 10)
    );
    assert_eq!(t.tol.to_bits(), 1e-9f64.to_bits());
    assert!(!t.allow_partial);
    let p = SinkhornParams::default();
    assert_eq!(p.domain, Domain::Auto);
    assert_eq!(
        p.eps,
        sinkhorn::Eps::Relative(sinkhorn::DEFAULT_RELATIVE_EPS)
    );
}

#[test]
fn checks_after_iterations_1_11_21_and_stops_at_the_first_check_below_tol() {
    let problem = bumps_line(300).unwrap();
    let mut checks = Checks::default();
    let single_eps = SinkhornParams {
        eps_scaling: None,
        ..SinkhornParams::default()
    };
    let r = Sinkhorn::new(single_eps)
        .solve_observed(&problem, &mut checks)
        .unwrap();
    let its: Vec<usize> = checks.0.iter().map(|c| c.iteration).collect();
    let expected: Vec<usize> = (0..its.len()).map(|i| 1 + 10 * i).collect();
    assert_eq!(its, expected, "check schedule");
    assert!(r.converged());
    let last = checks.0.last().unwrap();
    assert_eq!(r.iterations, last.iteration);
    assert_eq!(r.violation.to_bits(), last.violation.to_bits());
    assert!(r.violation <= 1e-9);
    assert!(
        checks.0[..checks.0.len() - 1]
            .iter()
            .all(|c| c.violation > 1e-9),
        "stopped at the first check below tol"
    );
}

#[test]
fn the_reported_violation_is_the_relative_l1_column_violation() {
    let problem = bumps_line(300).unwrap();
    // Stop early (MaxIterations) so the violation is far from round-off.
    let params = SinkhornParams {
        termination: Termination {
            max_iter: 3,
            tol: 0.0,
            check_every: 10,
            allow_partial: true,
        },
        eps_scaling: None,
        ..Default::default()
    };
    let r = Sinkhorn::new(params).solve(&problem).unwrap();
    assert_eq!(r.termination, TerminationReason::MaxIterations);
    assert_eq!(r.iterations, 3);
    let cols = r.plan.col_sums().unwrap();
    let mass: f64 = problem.a().iter().sum();
    let l1: f64 = cols
        .iter()
        .zip(problem.b())
        .map(|(c, b)| (c - b).abs())
        .sum();
    // The last iterate is checked too, so `violation` describes what is returned.
    assert_eq!(r.history.last().map(|h| h.0), Some(3));
    // Recomputed in O(N) from the plan: N = 300 sums of terms <= 1, a few ulps each, so
    // 1e-12 relative.
    assert!(
        (r.violation - l1 / mass).abs() <= 1e-12 * (l1 / mass).max(1e-300),
        "reported {} vs recomputed {}",
        r.violation,
        l1 / mass
    );
}

#[test]
fn auto_picks_the_log_domain_on_grids_below_the_threshold() {
    // Diameter 2 (L1 on the unit square): 2 / eps = 2000 > 1200 leaves the standard domain.
    let problem = bumps_grid(16).unwrap();
    let r = Sinkhorn::new(SinkhornParams::with_reg(1e-3))
        .solve(&problem)
        .unwrap();
    assert_eq!(r.domain, Domain::Log);
    assert!(r.cost.is_finite());
    // Above the threshold the standard domain is kept.
    let r = Sinkhorn::new(SinkhornParams::with_reg(0.05))
        .solve(&problem)
        .unwrap();
    assert_eq!(r.domain, Domain::Standard);
}
