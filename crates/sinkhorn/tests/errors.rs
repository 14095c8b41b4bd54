//! Every bad input returns its typed error (never a panic), carrying the offending value.

use sinkhorn::{
    EpsScaling, Grid2d, Ipot, IpotParams, Potentials, Problem, Side, Sinkhorn, SinkhornError,
    SinkhornParams, Support1d, TOTAL_MASS_RTOL, Termination,
};

fn line(n: usize) -> Support1d {
    Support1d::linspace(0.0, 1.0, n).unwrap()
}

#[test]
fn support_errors() {
    assert!(matches!(
        Support1d::points(vec![]),
        Err(SinkhornError::Empty { .. })
    ));
    assert!(matches!(
        Support1d::uniform(0.0, 0.1, 0),
        Err(SinkhornError::Empty { .. })
    ));
    assert!(matches!(
        Support1d::points(vec![0.0, 0.5, 0.5]),
        Err(SinkhornError::UnsortedSupport { index: 1, .. })
    ));
    assert!(matches!(
        Support1d::points(vec![0.0, 0.7, 0.2]),
        Err(SinkhornError::UnsortedSupport { index: 1, .. })
    ));
    assert!(matches!(
        Support1d::points(vec![0.0, f64::NAN]),
        Err(SinkhornError::NonFiniteCoordinate { index: 1, .. })
    ));
    assert!(matches!(
        Support1d::uniform(0.0, -1.0, 3),
        Err(SinkhornError::InvalidStep { .. })
    ));
    assert!(matches!(
        Support1d::uniform(0.0, f64::INFINITY, 3),
        Err(SinkhornError::InvalidStep { .. })
    ));
}

#[test]
fn mass_errors() {
    let ok = vec![0.5, 0.5];
    let p = |a: Vec<f64>, b: Vec<f64>| Problem::line(line(2), a, b);
    assert!(matches!(
        p(vec![1.5, -0.5], ok.clone()),
        Err(SinkhornError::InvalidMass {
            side: Side::Source,
            index: 1,
            ..
        })
    ));
    assert!(matches!(
        p(ok.clone(), vec![f64::NAN, 1.0]),
        Err(SinkhornError::InvalidMass {
            side: Side::Target,
            index: 0,
            ..
        })
    ));
    assert!(matches!(
        p(ok.clone(), vec![f64::INFINITY, 1.0]),
        Err(SinkhornError::InvalidMass { .. })
    ));
    assert!(matches!(
        p(vec![0.0, 0.0], ok.clone()),
        Err(SinkhornError::ZeroMass { side: Side::Source })
    ));
    assert!(matches!(
        p(vec![0.5], ok.clone()),
        Err(SinkhornError::LengthMismatch {
            expected: 2,
            got: 1,
            ..
        })
    ));
    assert!(matches!(
        p(vec![], ok.clone()),
        Err(SinkhornError::Empty { .. })
    ));
    match p(ok.clone(), vec![0.5, 0.6]) {
        Err(SinkhornError::UnequalMass { tolerance, .. }) => {
            assert_eq!(tolerance.to_bits(), TOTAL_MASS_RTOL.to_bits());
        }
        other => panic!("expected UnequalMass, got {other:?}"),
    }
    // The documented 1e-6 boundary (docs/for-pot-users.md): 2e-6 apart is an error,
    // 5e-7 apart is accepted and rescaled.
    assert_eq!(TOTAL_MASS_RTOL.to_bits(), 1e-6f64.to_bits());
    assert!(matches!(
        p(ok.clone(), vec![0.5, 0.5 + 2e-6]),
        Err(SinkhornError::UnequalMass { .. })
    ));
    assert!(p(ok.clone(), vec![0.5, 0.5 + 5e-7]).is_ok());
    // Within TOTAL_MASS_RTOL the target is rescaled to the source total.
    let q = p(ok.clone(), vec![0.5, 0.5 + 1e-9]).unwrap();
    assert!((q.b().iter().sum::<f64>() - 1.0).abs() < 1e-15);
    let grid = Grid2d::new(line(2), line(3)).unwrap();
    assert!(matches!(
        Problem::grid(grid, vec![1.0 / 6.0; 6], vec![0.25; 4]),
        Err(SinkhornError::LengthMismatch {
            expected: 6,
            got: 4,
            ..
        })
    ));
    assert!(matches!(
        Problem::on_two_supports(&[0.0, 1.0], &[0.5, 0.5], &[1.0, 0.5], &[0.5, 0.5]),
        Err(SinkhornError::UnsortedSupport { .. })
    ));
}

#[test]
fn option_errors() {
    let problem = Problem::line(line(3), vec![0.2, 0.3, 0.5], vec![0.5, 0.3, 0.2]).unwrap();
    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let r = Sinkhorn::with_reg(eps).solve(&problem);
        assert!(
            matches!(r, Err(SinkhornError::InvalidParameter { name: "eps", .. })),
            "eps = {eps}: {r:?}"
        );
    }
    let bad_check = SinkhornParams {
        termination: Termination {
            check_every: 0,
            ..Default::default()
        },
        eps_scaling: None,
        ..Default::default()
    };
    assert!(matches!(
        Sinkhorn::new(bad_check).solve(&problem),
        Err(SinkhornError::InvalidOption {
            name: "check_every",
            ..
        })
    ));
    let bad_scaling = SinkhornParams {
        eps_scaling: Some(EpsScaling {
            start: sinkhorn::Eps::Absolute(1.0),
            factor: 1.5,
            stage_tol: 1e-6,
        }),
        ..Default::default()
    };
    assert!(matches!(
        Sinkhorn::new(bad_scaling).solve(&problem),
        Err(SinkhornError::InvalidOption { .. })
    ));
    let bad_warm = SinkhornParams {
        warm_start: Some(Potentials {
            f: vec![0.0; 2],
            g: vec![0.0; 3],
        }),
        eps_scaling: None,
        ..Default::default()
    };
    assert!(matches!(
        Sinkhorn::new(bad_warm).solve(&problem),
        Err(SinkhornError::InvalidWarmStart { .. })
    ));
    let inf_warm = SinkhornParams {
        warm_start: Some(Potentials {
            f: vec![0.0, f64::NEG_INFINITY, 0.0],
            g: vec![0.0; 3],
        }),
        eps_scaling: None,
        ..Default::default()
    };
    assert!(matches!(
        Sinkhorn::new(inf_warm).solve(&problem),
        Err(SinkhornError::InvalidWarmStart { .. })
    ));
    let bad_beta = IpotParams {
        beta: sinkhorn::Eps::Absolute(0.0),
        ..Default::default()
    };
    assert!(matches!(
        Ipot::new(bad_beta).solve(&problem),
        Err(SinkhornError::InvalidParameter { name: "beta", .. })
    ));
    let bad_inner = IpotParams {
        inner: 0,
        ..Default::default()
    };
    assert!(matches!(
        Ipot::new(bad_inner).solve(&problem),
        Err(SinkhornError::InvalidOption { name: "inner", .. })
    ));
}

#[test]
fn two_d_plans_are_not_one_colt_pair() {
    let grid = Grid2d::unit_square(3).unwrap();
    let problem = Problem::grid(grid, vec![1.0 / 9.0; 9], vec![1.0 / 9.0; 9]).unwrap();
    let r = Sinkhorn::with_reg(0.1).solve(&problem).unwrap();
    assert!(matches!(
        r.plan.to_colt(),
        Err(SinkhornError::Unsupported { .. })
    ));
    let line_problem = Problem::line(line(4), vec![0.25; 4], vec![0.1, 0.2, 0.3, 0.4]).unwrap();
    let r = Sinkhorn::with_reg(0.1).solve(&line_problem).unwrap();
    let pair = r.plan.to_colt().unwrap();
    let dense = r.plan.to_dense().unwrap();
    for i in 0..4 {
        for j in 0..4 {
            let e = pair.log_entry(i, j).unwrap().exp();
            assert!(
                (e - dense[(i, j)]).abs() < 1e-14 * dense[(i, j)],
                "({i},{j})"
            );
        }
    }
}

#[test]
fn a_cost_past_f64_range_is_a_typed_error_not_an_infinity() {
    // Found by tests/no_panic.rs: mass 1 at 1e300 moved to 0 (W1 = 1e300, finite) drives the
    // potentials past f64's range; the solve says so instead of returning cost = inf.
    let problem = Problem::on_two_supports(&[1e300], &[1.0], &[0.0], &[1.0]).unwrap();
    // An absolute eps of 0.38 is far below what potentials of size 1e300 resolve.
    assert!(matches!(
        Sinkhorn::new(SinkhornParams::with_reg(0.38)).solve(&problem),
        Err(SinkhornError::EpsTooSmall { .. })
    ));
    // A relative eps is resolvable; the cost then leaves f64's range or is finite.
    match Sinkhorn::new(SinkhornParams::with_relative_eps(0.38)).solve(&problem) {
        Err(SinkhornError::NonFinite { .. }) => {}
        Ok(r) => assert!(r.cost.is_finite(), "cost {}", r.cost),
        Err(e) => panic!("expected NonFinite, got {e}"),
    }
}
