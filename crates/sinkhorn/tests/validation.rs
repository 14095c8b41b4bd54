//! Issue 15's bad-input classes, each asserting its typed error: no way around validation,
//! size guards before N^2 allocations, bounded iteration caps and eps-scaling stages, eps
//! too small to mean anything, and non-convergence as an error that carries the last
//! iterate.

use sinkhorn::cases::bumps_line;
use sinkhorn::{
    Backend, DenseKernel, Eps, EpsScaling, Geometry, Grid2d, Ipot, IpotParams, MAX_BUFFER_BYTES,
    Problem, Side, Sinkhorn, SinkhornError, SinkhornParams, Support1d, Termination,
    TerminationReason, dense_ipot, w1_line,
};

fn uniform_problem(n: usize) -> Problem {
    let x = Support1d::linspace(0.0, 1.0, n).unwrap();
    Problem::line(x, vec![1.0 / n as f64; n], vec![1.0 / n as f64; n]).unwrap()
}

#[test]
fn masses_whose_sum_overflows_are_refused() {
    let x = Support1d::linspace(0.0, 1.0, 2).unwrap();
    let r = Problem::line(x.clone(), vec![1e308, 1e308], vec![1e308, 1e308]);
    assert!(matches!(
        r,
        Err(SinkhornError::MassOverflow { side: Side::Source })
    ));
    // Large but summable masses are fine, and their relative difference is exact.
    assert!(Problem::line(x, vec![8e307, 8e307], vec![1e308, 6e307]).is_ok());
}

#[test]
fn degenerate_uniform_spacing_is_refused() {
    // Spacing 1 at 1e17 is below one ulp (16): the points would not be distinct.
    assert!(matches!(
        Support1d::uniform(1e17, 1.0, 100),
        Err(SinkhornError::DegenerateSpacing { .. })
    ));
    // Timestamps in seconds (1.7e9) with a 1 s step are fine (gaps exact to 2^-20).
    assert!(Support1d::uniform(1.7e9, 1.0, 100).is_ok());
}

#[test]
fn huge_supports_and_grids_are_size_errors_not_aborts() {
    assert!(matches!(
        Support1d::uniform(0.0, 1.0, 1 << 40),
        Err(SinkhornError::TooLarge { .. })
    ));
    let axis = Support1d::uniform(0.0, 1.0, 1_000_000).unwrap();
    match Grid2d::new(axis.clone(), axis) {
        Err(SinkhornError::TooLarge { bytes, limit, .. }) => {
            assert_eq!(bytes, 8_000_000_000_000);
            assert_eq!(limit, MAX_BUFFER_BYTES);
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn dense_allocations_are_checked_before_allocating() {
    // 50_000^2 f64 = 2e10 bytes > 2^34: refused at once (would abort or swap otherwise).
    let n = 50_000;
    let problem = uniform_problem(n);
    let geometry = problem.geometry().clone();
    match DenseKernel::new(&geometry, 0.1) {
        Err(SinkhornError::TooLarge { bytes, .. }) => assert_eq!(bytes, 2 * 8 * (n as u128).pow(2)),
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
    let dense = SinkhornParams {
        backend: Backend::Dense,
        ..SinkhornParams::default()
    };
    assert!(matches!(
        Sinkhorn::new(dense).solve(&problem),
        Err(SinkhornError::TooLarge { .. })
    ));
    let dense_fs2 = IpotParams {
        backend: Backend::Dense,
        ..IpotParams::default()
    };
    assert!(matches!(
        Ipot::new(dense_fs2).solve(&problem),
        Err(SinkhornError::TooLarge { .. })
    ));
    assert!(matches!(
        dense_ipot(&problem, 0.05, 5, 1, &[]),
        Err(SinkhornError::TooLarge { .. })
    ));
    // A (partial) plan of the structured solver is O(N); densifying it is refused.
    let one_iteration = SinkhornParams {
        termination: Termination::new(1, 1e-9).allowing_partial(),
        eps_scaling: None,
        ..SinkhornParams::default()
    };
    let plan = Sinkhorn::new(one_iteration).solve(&problem).unwrap().plan;
    match plan.to_dense() {
        Err(SinkhornError::TooLarge { bytes, .. }) => assert_eq!(bytes, 8 * (n as u128).pow(2)),
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn eps_scaling_with_a_factor_near_one_is_refused_not_run() {
    let problem = bumps_line(10).unwrap();
    let params = SinkhornParams {
        eps_scaling: Some(EpsScaling {
            start: Eps::Relative(1.0),
            factor: 1.0 - 1e-12,
            stage_tol: 1e-4,
        }),
        ..SinkhornParams::with_relative_eps(1e-3)
    };
    assert!(matches!(
        Sinkhorn::new(params).solve(&problem),
        Err(SinkhornError::InvalidOption {
            name: "eps_scaling.factor",
            ..
        })
    ));
}

#[test]
fn iteration_caps_are_bounded() {
    let problem = bumps_line(10).unwrap();
    let endless = IpotParams {
        inner: usize::MAX,
        ..IpotParams::default()
    };
    assert!(matches!(
        Ipot::new(endless).solve(&problem),
        Err(SinkhornError::InvalidOption { name: "inner", .. })
    ));
    let product = IpotParams {
        inner: 1000,
        termination: Termination::new(1_000_000, 1e-9),
        ..IpotParams::default()
    };
    assert!(matches!(
        Ipot::new(product).solve(&problem),
        Err(SinkhornError::InvalidOption { .. })
    ));
    for max_iter in [0, usize::MAX] {
        let fs2 = IpotParams {
            termination: Termination::new(max_iter, 1e-9),
            ..IpotParams::default()
        };
        assert!(matches!(
            Ipot::new(fs2).solve(&problem),
            Err(SinkhornError::InvalidOption {
                name: "max_iter",
                ..
            })
        ));
        let fs1 = SinkhornParams {
            termination: Termination::new(max_iter, 1e-9),
            ..SinkhornParams::default()
        };
        assert!(matches!(
            Sinkhorn::new(fs1).solve(&problem),
            Err(SinkhornError::InvalidOption {
                name: "max_iter",
                ..
            })
        ));
    }
}

#[test]
fn an_eps_too_small_is_an_error_never_a_cost_of_zero() {
    let problem = bumps_line(50).unwrap();
    for eps in [
        Eps::Absolute(1e-300),
        Eps::Relative(1e-300),
        Eps::Absolute(1e-13),
    ] {
        let r = Sinkhorn::new(SinkhornParams {
            eps,
            ..SinkhornParams::default()
        })
        .solve(&problem);
        assert!(
            matches!(r, Err(SinkhornError::EpsTooSmall { .. })),
            "{eps:?}: {r:?}"
        );
    }
    let r = Ipot::new(IpotParams::with_beta(1e-300)).solve(&problem);
    assert!(matches!(
        r,
        Err(SinkhornError::EpsTooSmall { name: "beta", .. })
    ));
}

#[test]
fn not_converging_is_an_error_carrying_the_last_iterate() {
    let problem = bumps_line(200).unwrap();
    let short = SinkhornParams {
        termination: Termination::new(20, 1e-9),
        eps_scaling: None,
        ..SinkhornParams::with_relative_eps(1e-3)
    };
    match Sinkhorn::new(short.clone()).solve(&problem) {
        Err(SinkhornError::NotConverged {
            iterations,
            violation,
            tol,
            partial,
            ..
        }) => {
            assert_eq!(iterations, 20);
            assert!(violation > tol);
            assert_eq!(partial.termination, TerminationReason::MaxIterations);
            assert_eq!(partial.violation.to_bits(), violation.to_bits());
            assert!(partial.cost.is_finite());
        }
        other => panic!("expected NotConverged, got {other:?}"),
    }
    // Accepting the partial result is explicit, and gives the same iterate.
    let accepted = Sinkhorn::new(SinkhornParams {
        termination: short.termination.allowing_partial(),
        ..short.clone()
    })
    .solve(&problem)
    .unwrap();
    let recovered = Sinkhorn::new(short)
        .solve(&problem)
        .or_else(SinkhornError::into_partial)
        .unwrap();
    assert_eq!(accepted, recovered);
    assert!(!accepted.converged());
    // FS-2 likewise.
    let fs2 = IpotParams {
        termination: Termination::new(3, 1e-9),
        ..IpotParams::default()
    };
    assert!(matches!(
        Ipot::new(fs2).solve(&problem),
        Err(SinkhornError::NotConverged { iterations: 3, .. })
    ));
    // Batched solves report it per entry.
    let solver = Sinkhorn::new(SinkhornParams {
        termination: Termination::new(2, 1e-9),
        ..SinkhornParams::default()
    });
    let out = solver.solve_batch(
        problem.geometry(),
        &[(problem.a().to_vec(), problem.b().to_vec())],
    );
    assert!(matches!(out[0], Err(SinkhornError::NotConverged { .. })));
}

#[test]
fn w1_line_validates_its_slices() {
    let x = Support1d::linspace(0.0, 1.0, 3).unwrap();
    let ok = [0.2, 0.3, 0.5];
    assert!(matches!(
        w1_line(&x, &ok, &[0.5, 0.0, 0.0]),
        Err(SinkhornError::UnequalMass { .. })
    ));
    assert!(matches!(
        w1_line(&x, &ok, &[f64::NAN, 0.5, 0.5]),
        Err(SinkhornError::InvalidMass {
            side: Side::Target,
            index: 0,
            ..
        })
    ));
    assert!(matches!(
        w1_line(&x, &ok[..2], &ok),
        Err(SinkhornError::LengthMismatch { .. })
    ));
    assert!(matches!(
        w1_line(&x, &[-0.2, 0.7, 0.5], &ok),
        Err(SinkhornError::InvalidMass { .. })
    ));
    assert!((w1_line(&x, &ok, &ok).unwrap()).abs() < 1e-15);
}

#[test]
fn grid_axes_are_never_empty_and_diameters_never_panic() {
    // The only way to build an axis is a validating constructor: length 0 is refused there,
    // so `Grid2d::diameter` cannot underflow.
    assert!(matches!(
        Support1d::uniform(0.0, 1.0, 0),
        Err(SinkhornError::Empty { .. })
    ));
    let one = Support1d::points(vec![3.0]).unwrap();
    let g = Grid2d::new(one.clone(), one).unwrap();
    assert!(g.diameter().abs() < f64::MIN_POSITIVE);
    assert!(Geometry::Grid(g).diameter().abs() < f64::MIN_POSITIVE);
}
