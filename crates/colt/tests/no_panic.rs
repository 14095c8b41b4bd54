//! Bad input returns a typed error, never a panic or a silent NaN: arbitrary lengths
//! (0..12, mismatched), parameters and vectors that are sometimes NaN, infinite, huge or
//! tiny, unsorted supports and any `eps` go through every public constructor and product.
//!
//! What each property asserts beyond "no panic" is only what the docs promise:
//! * a `ColtPair`, `LowerColt` or `UpperColt` that is `Ok` stores only finite numbers, and a
//!   `LogColtPair` that is `Ok` stores no NaN and no `+inf` (the types' stated invariants);
//! * the Gibbs kernel's products of vectors small enough that no partial sum can overflow
//!   (`|v|, |x| <= 1e100`, N <= 12) are finite (the crate's accuracy bound is relative to
//!   `|T| |v|`, which is finite there);
//! * the log-domain products of a Gibbs kernel (any finite support, any `eps`) on log
//!   vectors that are finite or `-inf` never give NaN or `+inf` (`log_sweep`: "nothing over-
//!   or underflows whatever `eps` is"; the log of the distance-weighted sums is at most
//!   `max(lv) + ln(N · span)` and `span` is finite once the support is accepted).
//!
//! * every product, sum and entry that returns `Ok` holds only finite numbers (`-inf` allowed
//!   in the log form): linear products of arbitrary ratio-form pairs or of vectors near
//!   `f64::MAX` that overflow are [`ColtError::Overflow`], and a NaN or infinite input is
//!   [`ColtError::NonFinite`], never `Ok(inf)` or `Ok(NaN)`.
//!
//! Every case is small (N < 12) and every operation is O(N) or O(N^2), so a hang would show
//! as a test that does not finish; the bounded loops of the crate leave none.

use std::sync::atomic::{AtomicUsize, Ordering};

use colt::{
    Axis, ColtError, ColtPair, LogColtPair, LowerColt, ParallelParams, UniformGrid, UpperColt,
};
use faer::Mat;
use proptest::prelude::*;

/// A float that is sometimes special (NaN, infinities, the extremes of f64).
fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        20 => -2.0..2.0f64,
        1 => Just(0.0),
        1 => Just(f64::NAN),
        1 => Just(f64::INFINITY),
        1 => Just(f64::NEG_INFINITY),
        1 => Just(1e-300),
        1 => Just(1e300),
        1 => Just(-1e300),
        1 => Just(f64::MAX),
        1 => Just(-f64::MAX),
    ]
}

/// A finite float, sometimes at the edges of the range.
fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        20 => -2.0..2.0f64,
        1 => Just(0.0),
        1 => Just(1e-300),
        1 => Just(1e300),
        1 => Just(-1e300),
        1 => Just(f64::MAX),
        1 => Just(-f64::MAX),
    ]
}

/// A log value: finite (sometimes huge) or `-inf` (a zero).
fn log_value() -> impl Strategy<Value = f64> {
    prop_oneof![
        8 => -30.0..30.0f64,
        2 => Just(f64::NEG_INFINITY),
        1 => Just(1e300),
        1 => Just(-1e300),
        1 => Just(f64::MAX),
    ]
}

fn eps() -> impl Strategy<Value = f64> {
    prop_oneof![
        4 => 1e-3..10.0f64,
        1 => Just(0.0),
        1 => Just(-1.0),
        1 => Just(f64::NAN),
        1 => Just(1e-300),
        1 => Just(1e300),
        1 => Just(f64::INFINITY),
        1 => Just(f64::MAX),
    ]
}

/// `n` entries of `entry`, one of which is replaced by a `value()` (maybe NaN or infinite)
/// in a quarter of the cases, so most vectors are valid and still reach the products.
fn spoiled<S: Strategy<Value = f64>>(entry: S, n: usize) -> impl Strategy<Value = Vec<f64>> {
    (
        prop::collection::vec(entry, n),
        0..n.max(1),
        value(),
        prop::bool::weighted(0.25),
    )
        .prop_map(|(mut v, at, special, spoil)| {
            if spoil && at < v.len() {
                v[at] = special;
            }
            v
        })
}

/// `n` points, sorted with probability 0.8.
fn support(n: usize) -> impl Strategy<Value = Vec<f64>> {
    (
        prop::collection::vec(finite(), n),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(mut x, sorted)| {
            if sorted {
                x.sort_by(f64::total_cmp);
            }
            x
        })
}

/// A length near `n` (mostly equal, sometimes off by one).
fn near(n: usize) -> impl Strategy<Value = usize> {
    prop_oneof![6 => Just(n), 1 => Just(n + 1), 1 => Just(n.saturating_sub(1))]
}

/// Cases that reached the products with a valid operator and a vector of its length, per
/// property, so the test can check it exercised them.
static RATIO: AtomicUsize = AtomicUsize::new(0);
static LOG: AtomicUsize = AtomicUsize::new(0);
static GIBBS: AtomicUsize = AtomicUsize::new(0);

fn all_finite(v: &[f64]) -> bool {
    v.iter().all(|x| x.is_finite())
}

/// No NaN and no `+inf` (`-inf` is a zero in the log form).
fn log_ok(v: &[f64]) -> bool {
    v.iter().all(|&x| !x.is_nan() && x < f64::INFINITY)
}

fn assert_pair_invariant(p: &ColtPair<f64>) {
    assert!(
        all_finite(p.d()) && all_finite(p.r()) && all_finite(p.s()),
        "ColtPair holds a non-finite parameter: {p:?}"
    );
}

/// An `Ok` linear product holds only finite numbers.
fn fin(r: colt::Result<()>, out: &[f64], what: &str) {
    if r.is_ok() {
        assert!(
            all_finite(out),
            "{what}: Ok with a non-finite result {out:?}"
        );
    }
}

fn fin_vec(r: colt::Result<Vec<f64>>, what: &str) {
    if let Ok(v) = r {
        assert!(all_finite(&v), "{what}: Ok with a non-finite result {v:?}");
    }
}

fn fin_scalar(r: colt::Result<f64>, what: &str) {
    if let Ok(v) = r {
        assert!(v.is_finite(), "{what}: Ok({v})");
    }
}

/// An `Ok` log-domain product holds no NaN and no `+inf`.
fn log_fin(r: colt::Result<()>, out: &[f64], what: &str) {
    if r.is_ok() {
        assert!(log_ok(out), "{what}: Ok with NaN or +inf {out:?}");
    }
}

fn log_fin_vec(r: colt::Result<Vec<f64>>, what: &str) {
    if let Ok(v) = r {
        assert!(log_ok(&v), "{what}: Ok with NaN or +inf {v:?}");
    }
}

/// An entry is `Ok` and finite inside the matrix, out of bounds outside it, or an overflow.
fn check_entry(r: colt::Result<f64>, inside: bool, finite: fn(f64) -> bool) {
    match r {
        Ok(v) => assert!(inside && finite(v), "entry Ok({v}), inside {inside}"),
        Err(ColtError::IndexOutOfBounds { .. }) => assert!(!inside),
        Err(ColtError::Overflow { .. }) => assert!(inside),
        Err(e) => panic!("entry: unexpected {e:?}"),
    }
}

fn assert_log_invariant(p: &LogColtPair<f64>) {
    assert!(
        log_ok(p.ld()) && log_ok(p.lr()) && log_ok(p.ls()),
        "LogColtPair holds NaN or +inf: {p:?}"
    );
}

/// Every product of a ratio-form pair on `x` (and `y` of possibly another length), every
/// derived constructor; returns nothing, panics only through the asserts above.
fn exercise_pair(p: &ColtPair<f64>, x: &[f64], u: &[f64], support: &[f64], shape: (usize, usize)) {
    assert_pair_invariant(p);
    let n = p.len();
    fin_vec(p.apply(x), "T x");
    fin_vec(p.apply_transpose(x), "T^T x");
    let mut out = vec![0.0; x.len()];
    fin(p.apply_in_place(x, &mut out), &out, "T x in place");
    fin(
        p.apply_transpose_in_place(x, &mut out),
        &out,
        "T^T x in place",
    );
    let mut sums = vec![0.0; n];
    fin(p.row_sums_in_place(&mut sums), &sums, "T 1");
    fin(p.col_sums_in_place(&mut sums), &sums, "T^T 1");
    fin(p.row_sums_in_place(&mut out), &out, "T 1, maybe short");
    fin_scalar(p.sum(), "1^T T 1");
    for i in [0, n.saturating_sub(1), n, n + 3] {
        for j in [0, n / 2, n] {
            check_entry(p.entry(i, j), i < n && j < n, f64::is_finite);
        }
    }
    let dense = p.to_dense();
    let _ = ColtPair::from_dense(dense.as_ref(), 1e-12);
    let _ = ColtPair::from_dense(dense.as_ref(), f64::NAN);
    assert_pair_invariant(&p.transpose());
    if let Ok(h) = p.hadamard(p) {
        assert_pair_invariant(&h);
    }
    if let Ok(h) = p.hadamard(&ColtPair::gibbs_uniform(x.len(), 0.5, 1.0).unwrap()) {
        assert_pair_invariant(&h);
    }
    if let Ok(s) = p.scale(u, u) {
        assert_pair_invariant(&s);
    }
    if let Ok(s) = p.scale(u, x) {
        assert_pair_invariant(&s);
    }
    if let Ok(l) = p.to_log() {
        assert_log_invariant(&l);
        if let Ok(back) = l.to_linear() {
            assert_pair_invariant(&back);
        }
    }
    let (lower, upper) = (p.lower(), p.upper());
    fin(lower.apply_in_place(x, &mut out), &out, "L x");
    fin(upper.apply_in_place(x, &mut out), &out, "U x");
    fin(lower.apply_transpose_in_place(x, &mut out), &out, "L^T x");
    fin(upper.apply_transpose_in_place(x, &mut out), &out, "U^T x");
    let _ = (lower.to_dense(), upper.to_dense());
    if let Ok(l) = lower.scale(u, x) {
        assert!(all_finite(l.d()) && all_finite(l.r()));
    }
    if let Ok(l) = upper.hadamard(&upper) {
        assert!(all_finite(l.d()) && all_finite(l.s()));
    }
    if let Ok(q) = ColtPair::from_triangles(&lower, &upper, 1e-12) {
        assert_pair_invariant(&q);
    }
    let _ = ColtPair::from_triangles(&lower, &upper.transpose().transpose(), f64::NAN);
    fin(
        p.distance_apply_in_place(support, x, &mut out),
        &out,
        "(C . T) x",
    );
    fin(
        p.distance_row_sums_in_place(support, &mut out),
        &out,
        "(C . T) 1",
    );
    fin_scalar(p.distance_sum(support), "<C, T>");
    let (rows, cols) = shape;
    for axis in [Axis::Zero, Axis::One] {
        let a = vec![1.0; rows * cols];
        let mut o = vec![0.0; rows * cols];
        fin(
            p.apply_axis_in_place(&a, rows, cols, axis, &mut o),
            &o,
            "axis",
        );
        fin(
            p.apply_axis_in_place(x, rows, cols, axis, &mut o),
            &o,
            "axis",
        );
        let serial = ParallelParams {
            min_parallel_len: 0,
        };
        fin(
            p.apply_axis_in_place_with(&a, rows, cols, axis, &mut o, &serial),
            &o,
            "axis, parallel",
        );
    }
    for params in [
        ParallelParams::default(),
        ParallelParams {
            min_parallel_len: 0,
        },
    ] {
        let mut o = vec![0.0; x.len()];
        fin(p.apply_batch_in_place(x, &mut o, &params), &o, "batch");
        let mut short = vec![0.0; x.len().saturating_sub(1)];
        fin(
            p.apply_batch_in_place(x, &mut short, &params),
            &short,
            "batch",
        );
    }
}

/// Every product of a log pair on the log vector `lx`.
fn exercise_log(
    p: &LogColtPair<f64>,
    lx: &[f64],
    lu: &[f64],
    support: &[f64],
    shape: (usize, usize),
) {
    assert_log_invariant(p);
    let n = p.len();
    log_fin_vec(p.log_apply(lx), "log T exp(lx)");
    log_fin_vec(p.log_apply_transpose(lx), "log T^T exp(lx)");
    let mut out = vec![0.0; lx.len()];
    log_fin(p.log_apply_in_place(lx, &mut out), &out, "log T exp(lx)");
    log_fin(
        p.log_apply_transpose_in_place(lx, &mut out),
        &out,
        "log T^T exp(lx)",
    );
    let mut sums = vec![0.0; n];
    log_fin(p.log_row_sums_in_place(&mut sums), &sums, "log T 1");
    log_fin(p.log_col_sums_in_place(&mut sums), &sums, "log T^T 1");
    if let Ok(t) = p.log_sum() {
        assert!(log_ok(&[t]), "log_sum Ok({t})");
    }
    for i in [0, n.saturating_sub(1), n] {
        check_entry(p.log_entry(i, 0), i < n, |v| log_ok(&[v]));
    }
    let _ = (p.to_dense_log(), p.to_dense());
    assert_log_invariant(&p.transpose());
    for k in [0.5, 2.0, 0.0, -1.0, f64::NAN, f64::INFINITY, 1e300] {
        if let Ok(q) = p.powf(k) {
            assert_log_invariant(&q);
        }
    }
    if let Ok(h) = p.hadamard(p) {
        assert_log_invariant(&h);
    }
    if let Ok(s) = p.scale(lu, lu) {
        assert_log_invariant(&s);
    }
    if let Ok(s) = p.scale(lu, lx) {
        assert_log_invariant(&s);
    }
    if let Ok(lin) = p.to_linear() {
        assert_pair_invariant(&lin);
    }
    log_fin(
        p.log_distance_apply_in_place(support, lx, &mut out),
        &out,
        "log (C . T) exp(lx)",
    );
    if let Ok(t) = p.log_distance_sum(support) {
        assert!(log_ok(&[t]), "log <C, T> Ok({t})");
    }
    let (rows, cols) = shape;
    for axis in [Axis::Zero, Axis::One] {
        let a = vec![0.0; rows * cols];
        let mut o = vec![0.0; rows * cols];
        log_fin(
            p.log_apply_axis_in_place(&a, rows, cols, axis, &mut o),
            &o,
            "log axis",
        );
        log_fin(
            p.log_apply_axis_in_place_with(
                lx,
                rows,
                cols,
                axis,
                &mut o,
                &ParallelParams {
                    min_parallel_len: 0,
                },
            ),
            &o,
            "log axis",
        );
    }
    let mut o = vec![0.0; lx.len()];
    log_fin(
        p.log_apply_batch_in_place(lx, &mut o, &ParallelParams::default()),
        &o,
        "log batch",
    );
}

/// Shapes for the axis products: sometimes matching `n` on one axis, sometimes not.
fn shape(n: usize) -> impl Strategy<Value = (usize, usize)> {
    prop_oneof![
        (Just(n), 0usize..4),
        (0usize..4, Just(n)),
        (0usize..4, 0usize..4),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `ColtPair::new`, `LowerColt::new`, `UpperColt::new` on raw parameters, then every
    /// product and derived constructor.
    #[test]
    fn ratio_pairs_never_panic(
        tol in value(),
        (d, r, s, x, u, sup, sh) in (0usize..12).prop_flat_map(|n| {
            let m = n.saturating_sub(1);
            (
                spoiled(finite(), n),
                near(m).prop_flat_map(|k| spoiled(finite(), k)),
                near(m).prop_flat_map(|k| spoiled(finite(), k)),
                near(n).prop_flat_map(|k| spoiled(finite(), k)),
                near(n).prop_flat_map(|k| spoiled(finite(), k)),
                near(n).prop_flat_map(support),
                shape(n),
            )
        }),
    ) {
        if let Ok(l) = LowerColt::new(d.clone(), r.clone()) {
            prop_assert!(all_finite(l.d()) && all_finite(l.r()));
        }
        if let Ok(up) = UpperColt::new(d.clone(), s.clone()) {
            prop_assert!(all_finite(up.d()) && all_finite(up.s()));
        }
        let lower = LowerColt::new(d.clone(), r.clone());
        if let (Ok(l), Ok(up)) = (lower, UpperColt::new(d.clone(), s.clone())) {
            let _ = ColtPair::from_triangles(&l, &up, 0.0);
        }
        for tol in [1e-12, 0.0, tol] {
            if let Ok(p) = ColtPair::from_factors(&d, &x, &u, &x, tol) {
                assert_pair_invariant(&p);
            }
            if let Ok(p) = ColtPair::from_factors(&d, &d, &d, &d, tol) {
                assert_pair_invariant(&p);
            }
        }
        let Ok(p) = ColtPair::new(d, r, s) else { return Ok(()) };
        if x.len() == p.len() {
            RATIO.fetch_add(1, Ordering::Relaxed);
        }
        exercise_pair(&p, &x, &u, &sup, sh);
    }

    /// `LogColtPair::new` on raw log parameters, then every product.
    #[test]
    fn log_pairs_never_panic(
        (ld, lr, ls, lx, lu, sup, sh) in (0usize..12).prop_flat_map(|n| {
            let m = n.saturating_sub(1);
            let lv = prop_oneof![4 => log_value(), 1 => value()];
            (
                prop::collection::vec(lv.clone(), n),
                near(m).prop_flat_map(move |k| prop::collection::vec(log_value(), k)),
                near(m).prop_flat_map(move |k| prop::collection::vec(log_value(), k)),
                near(n).prop_flat_map(move |k| prop::collection::vec(log_value(), k)),
                near(n).prop_flat_map(|k| prop::collection::vec(value(), k)),
                near(n).prop_flat_map(support),
                shape(n),
            )
        }),
    ) {
        let Ok(p) = LogColtPair::new(ld, lr, ls) else { return Ok(()) };
        if lx.len() == p.len() {
            LOG.fetch_add(1, Ordering::Relaxed);
        }
        exercise_log(&p, &lx, &lu, &sup, sh);
    }

    /// The Gibbs constructors on arbitrary supports and `eps`, with the finiteness the docs
    /// promise for Gibbs kernels (see the module docs).
    #[test]
    fn gibbs_kernels_never_panic(
        (x, v, lv, sh) in (0usize..12).prop_flat_map(|n| (
            support(n),
            near(n).prop_flat_map(|k| spoiled(prop_oneof![3 => -2.0..2.0f64, 1 => finite()], k)),
            near(n).prop_flat_map(|k| prop::collection::vec(log_value(), k)),
            shape(n),
        )),
        eps in eps(),
        h in eps(),
    ) {
        let n = x.len();
        let _ = ColtPair::gibbs_uniform(n, h, eps).map(|k| exercise_pair(&k, &v, &v, &x, sh));
        let _ = LogColtPair::gibbs_uniform(n, h, eps).map(|k| exercise_log(&k, &lv, &v, &x, sh));
        // A grid from the first support point with step h: validated, then its kernels.
        if let Ok(grid) = UniformGrid::new(x.first().copied().unwrap_or(0.0), h, n) {
            let pts = grid.points().unwrap();
            prop_assert!(all_finite(&pts));
            prop_assert!(pts.windows(2).all(|w| w[1] > w[0]), "grid points not increasing: {pts:?}");
            let _ = ColtPair::gibbs_grid(&grid, eps).map(|k| exercise_pair(&k, &v, &v, &pts, sh));
            let _ = LogColtPair::gibbs_grid(&grid, eps).map(|k| exercise_log(&k, &lv, &v, &pts, sh));
        }
        let _ = ColtPair::gibbs(&x, eps).map(|k| exercise_pair(&k, &v, &v, &x, sh));
        let _ = LogColtPair::gibbs(&x, eps).map(|k| exercise_log(&k, &lv, &v, &x, sh));
        // f32 takes the same paths with another rounding.
        let x32: Vec<f32> = x.iter().map(|&t| t as f32).collect();
        let v32: Vec<f32> = v.iter().map(|&t| t as f32).collect();
        if let Ok(k) = ColtPair::gibbs(&x32, eps as f32) {
            let _ = k.apply(&v32);
            let _ = k.distance_sum(&x32);
        }
        if let Ok(k) = LogColtPair::gibbs(&x32, eps as f32) {
            let _ = k.log_apply(&v32);
            let _ = k.log_distance_sum(&x32);
        }

        let tame = |t: &f64| t.abs() <= 1e100;
        if let Ok(k) = ColtPair::gibbs(&x, eps) {
            if v.len() == n && v.iter().all(tame) && x.iter().all(tame) {
                GIBBS.fetch_add(1, Ordering::Relaxed);
                let kv = k.apply(&v).unwrap();
                prop_assert!(all_finite(&kv), "K v = {kv:?}");
                let ktv = k.apply_transpose(&v).unwrap();
                prop_assert!(all_finite(&ktv), "K^T v = {ktv:?}");
                let mut out = vec![0.0; n];
                k.distance_apply_in_place(&x, &v, &mut out).unwrap();
                prop_assert!(all_finite(&out), "(C . K) v = {out:?}");
                let total = k.distance_sum(&x).unwrap();
                prop_assert!(total.is_finite(), "<C, K> = {total}");
            }
        }
        if let Ok(k) = LogColtPair::gibbs(&x, eps) {
            // Any finite support: log products and log distance sums stay NaN-free and
            // below +inf.
            if lv.len() == n {
                GIBBS.fetch_add(1, Ordering::Relaxed);
                let out = k.log_apply(&lv).unwrap();
                prop_assert!(log_ok(&out), "log K exp(lv) = {out:?} for lv = {lv:?}");
                let out = k.log_apply_transpose(&lv).unwrap();
                prop_assert!(log_ok(&out), "log K^T exp(lv) = {out:?}");
                let mut o = vec![0.0; n];
                k.log_row_sums_in_place(&mut o).unwrap();
                prop_assert!(log_ok(&o), "log row sums = {o:?}");
                let t = k.log_sum().unwrap();
                prop_assert!(log_ok(&[t]), "log sum = {t}");
                if let Ok(()) = k.log_distance_apply_in_place(&x, &lv, &mut o) {
                    prop_assert!(log_ok(&o), "log (C . K) exp(lv) = {o:?} on {x:?}");
                }
                if let Ok(t) = k.log_distance_sum(&x) {
                    prop_assert!(log_ok(&[t]), "log <C, K> = {t} on {x:?} at eps {eps}");
                }
            }
        }
        if let Ok(k) = ColtPair::gibbs(&x, eps) {
            // The ratio-form distance sum has no user vector: the only input is the
            // support, so an accepted support must not give NaN.
            if let Ok(t) = k.distance_sum(&x) {
                prop_assert!(!t.is_nan(), "<C, K> = NaN on {x:?} at eps {eps}");
            }
        }
    }
}

/// A dense matrix with special entries, square or not, through `from_dense`.
#[test]
fn from_dense_never_panics() {
    let specials = [
        0.0,
        1.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        1e300,
        f64::MAX,
        1e-300,
    ];
    for rows in 0..4 {
        for cols in 0..4 {
            for (k, &s) in specials.iter().enumerate() {
                let m = Mat::from_fn(
                    rows,
                    cols,
                    |i, j| if (i + j + k) % 3 == 0 { s } else { 0.5 },
                );
                for tol in [0.0, 1e-12, f64::NAN, f64::INFINITY, -1.0] {
                    if let Ok(p) = ColtPair::from_dense(m.as_ref(), tol) {
                        assert_pair_invariant(&p);
                    }
                }
            }
        }
    }
}

#[test]
fn the_properties_reach_the_products() {
    // Re-run here so the count does not depend on test order.
    ratio_pairs_never_panic();
    log_pairs_never_panic();
    gibbs_kernels_never_panic();
    for (what, count) in [("ratio", &RATIO), ("log", &LOG), ("gibbs", &GIBBS)] {
        let count = count.load(Ordering::Relaxed);
        assert!(
            count >= 100,
            "only {count} generated {what} cases reached the products"
        );
    }
}

/// Regression (found by `gibbs_kernels_never_panic`): a finite sorted support whose extent
/// overflows f64 gave `Ok(NaN)` from every distance product, because the gap
/// `x[1] - x[0] = inf` met the ratio `exp(-inf) = 0` (`0 * inf`; `-inf + inf` in the log
/// form). It is now [`ColtError::SpanOverflow`].
#[test]
fn support_span_beyond_f64_is_an_error_not_nan() {
    let x = [-f64::MAX, f64::MAX];
    let k = ColtPair::gibbs(&x, 1e-3).unwrap();
    let lk = LogColtPair::gibbs(&x, 1e-3).unwrap();
    let span = ColtError::SpanOverflow {
        first: -f64::MAX,
        last_index: 1,
        last: f64::MAX,
    };
    let mut out = [0.0; 2];
    assert_eq!(k.distance_sum(&x).unwrap_err(), span);
    assert_eq!(
        k.distance_apply_in_place(&x, &[1.0; 2], &mut out)
            .unwrap_err(),
        span
    );
    assert_eq!(
        k.distance_row_sums_in_place(&x, &mut out).unwrap_err(),
        span
    );
    assert_eq!(lk.log_distance_sum(&x).unwrap_err(), span);
    assert_eq!(
        lk.log_distance_apply_in_place(&x, &[0.0; 2], &mut out)
            .unwrap_err(),
        span
    );
    // The kernel itself is fine (its off-diagonal entry underflows to 0, as it should), and
    // a support that reaches f64::MAX without overflowing its extent is accepted.
    assert_eq!(k.apply(&[1.0, 1.0]).unwrap(), vec![1.0, 1.0]);
    let x = [0.0, f64::MAX];
    let t = k.distance_sum(&x).unwrap();
    assert!(t.is_finite(), "{t}");
}

/// Regression (found by `gibbs_kernels_never_panic`): with the extent finite, a gap near
/// `f64::MAX` times a partial sum of 2 overflowed behind a ratio that had underflowed to 0,
/// and `0 * inf` made `<C, K>` NaN; the entries behind that ratio are 0, so the sum is 0.
#[test]
fn zero_ratio_times_overflowed_distance_is_zero() {
    let x = [0.0, 0.0, f64::MAX];
    let k = ColtPair::gibbs(&x, 1e-3).unwrap();
    assert_eq!(k.distance_sum(&x).unwrap().to_bits(), 0.0f64.to_bits());
    let mut out = [1.0; 3];
    k.distance_row_sums_in_place(&x, &mut out).unwrap();
    assert_eq!(out.map(f64::to_bits), [0.0f64.to_bits(); 3]);
    k.distance_apply_in_place(&x, &[1.0, 2.0, 3.0], &mut out)
        .unwrap();
    assert_eq!(out.map(f64::to_bits), [0.0f64.to_bits(); 3]);
    let lk = LogColtPair::gibbs(&x, 1e-3).unwrap();
    let t = lk.log_distance_sum(&x).unwrap();
    assert!(
        t.is_infinite() && t < 0.0,
        "log <C, K> = {t}, want -inf (a zero)"
    );
}
