//! `sinkhorn::batch`: every entry of `paired`, `cdist` and `pdist` is bit for bit the
//! one-at-a-time answer (`exact_w1` / `Sinkhorn::solve` on `Problem::new(geometry, a, b)`),
//! whatever rayon's thread count; bad rows fail before any solve with their index; empty,
//! one- and two-row sets have the right shapes. Equality is exact (`to_bits`): the batch
//! runs the same arithmetic per problem, so no tolerance applies.

mod common;
use common::{Rng, random_points, random_rows};
use sinkhorn::batch::{Histograms, PairCost, cdist, condensed_len, paired, pdist};
use sinkhorn::{
    Geometry, Grid2d, Problem, Side, Sinkhorn, SinkhornError, SinkhornParams, Support1d,
    Termination, exact_w1,
};

fn line(rng: &mut Rng, n: usize) -> Geometry {
    Geometry::Line(Support1d::points(random_points(rng, n)).unwrap())
}

fn grid(rng: &mut Rng, nr: usize, nc: usize) -> Geometry {
    Geometry::Grid(
        Grid2d::new(
            Support1d::points(random_points(rng, nr)).unwrap(),
            Support1d::points(random_points(rng, nc)).unwrap(),
        )
        .unwrap(),
    )
}

/// The one-at-a-time path.
fn single(geometry: &Geometry, cost: PairCost<'_>, a: &[f64], b: &[f64]) -> f64 {
    let p = Problem::new(geometry.clone(), a.to_vec(), b.to_vec()).unwrap();
    match cost {
        PairCost::ExactW1 => exact_w1(&p).unwrap(),
        PairCost::Sinkhorn(s) => s.solve(&p).unwrap().cost,
    }
}

fn assert_bits(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.to_bits(), w.to_bits(), "{what}: entry {k}: {g} vs {w}");
    }
}

/// `paired`, `cdist` and `pdist` against the one-at-a-time loop, bit for bit.
fn check_all(geometry: &Geometry, data_a: &[f64], data_b: &[f64], cost: PairCost<'_>) {
    let n = geometry.len();
    let a = Histograms::new(geometry, data_a).unwrap();
    let b = Histograms::new(geometry, data_b).unwrap();
    let (na, nb) = (a.rows(), b.rows());
    let want_cdist: Vec<f64> = (0..na)
        .flat_map(|i| (0..nb).map(move |j| (i, j)))
        .map(|(i, j)| single(geometry, cost, a.row(i), b.row(j)))
        .collect();
    assert_bits(&cdist(&a, &b, cost).unwrap(), &want_cdist, "cdist");
    let want_pdist: Vec<f64> = (0..na)
        .flat_map(|i| (i + 1..na).map(move |j| (i, j)))
        .map(|(i, j)| single(geometry, cost, a.row(i), a.row(j)))
        .collect();
    let got = pdist(&a, cost).unwrap();
    assert_eq!(got.len(), condensed_len(na));
    assert_bits(&got, &want_pdist, "pdist");
    let m = na.min(nb);
    let (pa, pb) = (&data_a[..m * n], &data_b[..m * n]);
    let (ha, hb) = (
        Histograms::new(geometry, pa).unwrap(),
        Histograms::new(geometry, pb).unwrap(),
    );
    let want_paired: Vec<f64> = (0..m)
        .map(|i| single(geometry, cost, ha.row(i), hb.row(i)))
        .collect();
    assert_bits(&paired(&ha, &hb, cost).unwrap(), &want_paired, "paired");
}

#[test]
fn exact_w1_on_lines_matches_one_at_a_time() {
    let mut rng = Rng(11);
    for n in [1, 2, 37] {
        let g = line(&mut rng, n);
        let (a, b) = (random_rows(&mut rng, 9, n), random_rows(&mut rng, 4, n));
        check_all(&g, &a, &b, PairCost::ExactW1);
    }
    let uniform = Geometry::Line(Support1d::linspace(0.0, 1.0, 50).unwrap());
    let (a, b) = (random_rows(&mut rng, 5, 50), random_rows(&mut rng, 6, 50));
    check_all(&uniform, &a, &b, PairCost::ExactW1);
}

#[test]
fn exact_w1_on_grids_matches_one_at_a_time() {
    let mut rng = Rng(12);
    let g = grid(&mut rng, 5, 4);
    let (a, b) = (random_rows(&mut rng, 6, 20), random_rows(&mut rng, 3, 20));
    check_all(&g, &a, &b, PairCost::ExactW1);
}

#[test]
fn sinkhorn_costs_match_one_at_a_time() {
    let mut rng = Rng(13);
    let solver = Sinkhorn::with_reg(0.05);
    let g = line(&mut rng, 30);
    let (a, b) = (random_rows(&mut rng, 5, 30), random_rows(&mut rng, 3, 30));
    check_all(&g, &a, &b, PairCost::Sinkhorn(&solver));
    let g = grid(&mut rng, 4, 6);
    let (a, b) = (random_rows(&mut rng, 4, 24), random_rows(&mut rng, 2, 24));
    check_all(&g, &a, &b, PairCost::Sinkhorn(&solver));
}

#[test]
fn pdist_is_the_upper_triangle_of_cdist_in_scipy_order() {
    let mut rng = Rng(14);
    let g = line(&mut rng, 16);
    let data = random_rows(&mut rng, 7, 16);
    let h = Histograms::new(&g, &data).unwrap();
    let full = cdist(&h, &h, PairCost::ExactW1).unwrap();
    let upper: Vec<f64> = (0..7)
        .flat_map(|i| (i + 1..7).map(move |j| (i, j)))
        .map(|(i, j)| full[i * 7 + j])
        .collect();
    assert_bits(
        &pdist(&h, PairCost::ExactW1).unwrap(),
        &upper,
        "pdist vs cdist",
    );
    // The diagonal of W1 is exactly zero (the CDF gaps are all 0).
    assert!((0..7).all(|i| full[i * 8] == 0.0));
}

#[test]
fn empty_one_and_two_row_sets() {
    let mut rng = Rng(15);
    let g = line(&mut rng, 8);
    let one = random_rows(&mut rng, 1, 8);
    let two = random_rows(&mut rng, 2, 8);
    let empty = Histograms::new(&g, &[]).unwrap();
    let h1 = Histograms::new(&g, &one).unwrap();
    let h2 = Histograms::new(&g, &two).unwrap();
    assert_eq!(empty.rows(), 0);
    assert!(pdist(&empty, PairCost::ExactW1).unwrap().is_empty());
    assert!(pdist(&h1, PairCost::ExactW1).unwrap().is_empty());
    let d2 = pdist(&h2, PairCost::ExactW1).unwrap();
    assert_bits(
        &d2,
        &[single(&g, PairCost::ExactW1, h2.row(0), h2.row(1))],
        "pdist of two rows",
    );
    assert!(cdist(&empty, &h2, PairCost::ExactW1).unwrap().is_empty());
    assert!(cdist(&h2, &empty, PairCost::ExactW1).unwrap().is_empty());
    assert_eq!(cdist(&h1, &h2, PairCost::ExactW1).unwrap().len(), 2);
    assert!(
        paired(&empty, &empty, PairCost::ExactW1)
            .unwrap()
            .is_empty()
    );
}

/// The `InvalidHistogram` row and inner error of `r`.
fn bad_row<T: std::fmt::Debug>(r: Result<T, SinkhornError>) -> (usize, SinkhornError) {
    match r.unwrap_err() {
        SinkhornError::InvalidHistogram { row, error } => (row, *error),
        e => panic!("expected InvalidHistogram, got {e:?}"),
    }
}

#[test]
fn bad_rows_are_named_by_index_before_any_solve() {
    let g = Geometry::Line(Support1d::linspace(0.0, 1.0, 3).unwrap());
    let ok = [0.2, 0.3, 0.5];
    let with_row = |k: usize, bad: [f64; 3]| -> Vec<f64> {
        (0..4).flat_map(|i| if i == k { bad } else { ok }).collect()
    };
    let nan = with_row(2, [0.5, f64::NAN, 0.5]);
    let (row, e) = bad_row(Histograms::new(&g, &nan));
    assert_eq!(row, 2);
    assert!(matches!(
        e,
        SinkhornError::InvalidMass {
            index: 1,
            side: Side::Source,
            ..
        }
    ));
    let neg = with_row(3, [1.5, -0.5, 0.0]);
    assert_eq!(bad_row(Histograms::new(&g, &neg)).0, 3);
    let inf = with_row(1, [f64::INFINITY, 0.0, 0.0]);
    assert_eq!(bad_row(Histograms::new(&g, &inf)).0, 1);
    let zero = with_row(0, [0.0; 3]);
    let (row, e) = bad_row(Histograms::new(&g, &zero));
    assert_eq!(row, 0);
    assert!(matches!(e, SinkhornError::ZeroMass { .. }));
    let heavy = with_row(1, [0.4, 0.6, 1.0]);
    let (row, e) = bad_row(Histograms::new(&g, &heavy));
    assert_eq!(row, 1);
    assert!(matches!(e, SinkhornError::UnequalMass { .. }));
    // Not a whole number of rows.
    assert!(matches!(
        Histograms::new(&g, &[0.2, 0.3, 0.5, 1.0]),
        Err(SinkhornError::LengthMismatch { got: 4, .. })
    ));
    // A second set whose mass differs from the first's: its row, before any solve.
    let a = Histograms::new(&g, &ok).unwrap();
    let doubled: Vec<f64> = with_row(9, ok).iter().map(|v| 2.0 * v).collect();
    let b = Histograms::new(&g, &doubled).unwrap();
    assert_eq!(bad_row(cdist(&a, &b, PairCost::ExactW1)).0, 0);
    // Geometries and row counts that do not match.
    let other = Geometry::Line(Support1d::linspace(0.0, 2.0, 3).unwrap());
    let c = Histograms::new(&other, &ok).unwrap();
    assert!(matches!(
        cdist(&a, &c, PairCost::ExactW1),
        Err(SinkhornError::LengthMismatch { .. })
    ));
    let four = with_row(9, ok);
    let d = Histograms::new(&g, &four).unwrap();
    assert!(matches!(
        paired(&a, &d, PairCost::ExactW1),
        Err(SinkhornError::LengthMismatch {
            expected: 1,
            got: 4,
            ..
        })
    ));
}

#[test]
fn a_failing_solve_reports_its_pair_the_same_for_any_thread_count() {
    let mut rng = Rng(16);
    let g = line(&mut rng, 40);
    let data = random_rows(&mut rng, 6, 40);
    let h = Histograms::new(&g, &data).unwrap();
    // Two iterations at a small eps cannot meet the default tolerance.
    let solver = Sinkhorn::new(SinkhornParams {
        termination: Termination {
            max_iter: 2,
            ..Termination::default()
        },
        eps_scaling: None,
        ..SinkhornParams::with_reg(1e-3)
    });
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| pdist(&h, PairCost::Sinkhorn(&solver)).unwrap_err())
    };
    for threads in [1, 2] {
        match run(threads) {
            SinkhornError::PairFailed { row, col, error } => {
                assert_eq!((row, col), (0, 1), "{threads} threads");
                assert!(matches!(*error, SinkhornError::NotConverged { .. }));
            }
            e => panic!("expected PairFailed, got {e:?}"),
        }
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let mut rng = Rng(17);
    let lg = line(&mut rng, 200);
    let ld = random_rows(&mut rng, 41, 200);
    let gg = grid(&mut rng, 6, 5);
    let gd = random_rows(&mut rng, 9, 30);
    let solver = Sinkhorn::with_reg(0.05);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let lh = Histograms::new(&lg, &ld).unwrap();
            let gh = Histograms::new(&gg, &gd).unwrap();
            [
                pdist(&lh, PairCost::ExactW1).unwrap(),
                cdist(&lh, &lh, PairCost::ExactW1).unwrap(),
                pdist(&gh, PairCost::ExactW1).unwrap(),
                pdist(&gh, PairCost::Sinkhorn(&solver)).unwrap(),
            ]
        })
    };
    let (one, two) = (run(1), run(2));
    for (k, (x, y)) in one.iter().zip(&two).enumerate() {
        assert_bits(x, y, &format!("case {k}, 1 vs 2 threads"));
    }
}
