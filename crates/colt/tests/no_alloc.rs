//! The in-place products never allocate (docs/ARCHITECTURE.md: "`*_in_place` products never
//! allocate"; README: `apply_in_place` "no allocation"; the "Never allocates" / "without
//! allocating" lines of the item docs in `pair.rs`, `log_pair.rs`, `cost.rs`, `axis.rs`,
//! `triangular.rs`). A counting global allocator checks it: each product runs with counting
//! switched on for the calling thread only (a thread-local flag), so tests running in
//! parallel in this binary cannot add to each other's counts. Inputs and outputs are
//! allocated before counting starts, as a caller of an in-place product would.
//!
//! Covered: every in-place product of `ColtPair` and `LogColtPair` (products, transposes,
//! sums, distance-weighted products and sums, axis 0, and the sequential branch of axis 1
//! and batches), the triangles' products, in f64 on the Gibbs kernel of a non-uniform support
//! (the symmetric unit-diagonal path) and on the uniform-ratio path, and in f32 (which
//! accumulates in f64). The rayon branch of axis 1 and batches is its own
//! test: rayon allocates in its job queue, `colt` does not (see that test).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::{Mutex, PoisonError};

use colt::{Axis, ColtPair, LogColtPair, LowerColt, ParallelParams, Real, UpperColt};

struct Counting;

thread_local! {
    /// Whether allocations on this thread are counted, and how many were.
    static HERE: Cell<(bool, usize)> = const { Cell::new((false, 0)) };
}

impl Counting {
    fn note() {
        // `try_with`: the allocator can run while thread-locals are being torn down.
        let _ = HERE.try_with(|c| {
            let (on, n) = c.get();
            if on {
                c.set((on, n + 1));
            }
        });
    }
}

// SAFETY: forwards every call to `System` unchanged; counting touches only a
// const-initialised thread-local `Cell`, which does not allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::note();
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::note();
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made on this thread while `f` runs.
fn allocations_here(f: impl FnOnce()) -> usize {
    HERE.with(|c| c.set((true, 0)));
    f();
    HERE.with(|c| {
        let (_, n) = c.get();
        c.set((false, 0));
        n
    })
}

/// Asserts that every named product allocated nothing, listing those that did.
fn assert_none(counts: &[(&str, usize)]) {
    let bad: Vec<_> = counts.iter().filter(|(_, n)| *n > 0).collect();
    assert!(bad.is_empty(), "allocated (product, count): {bad:?}");
}

const N: usize = 3000;

/// Sorted non-uniform support (every ratio different: the symmetric unit-diagonal path).
fn support<T: Real>() -> Vec<T> {
    let h = 1.0 / (N - 1) as f64;
    (0..N)
        .map(|i| T::from_f64((i as f64 + 0.3 * (i as f64).sin()) * h))
        .collect()
}

fn vector<T: Real>() -> Vec<T> {
    (0..N)
        .map(|i| T::from_f64(1.0 + 0.5 * (i as f64 * 0.01).sin()))
        .collect()
}

/// Every in-place product of `ColtPair` and `LogColtPair` on a kernel built from `k`, plus
/// the triangles, with counting on for this thread only. Everything the products need
/// (outputs included) is allocated before counting starts.
fn pair_products<T: Real>(k: &ColtPair<T>, x: &[T]) -> Vec<(&'static str, usize)> {
    let lk: LogColtPair<T> = k.to_log().unwrap();
    let lower: LowerColt<T> = k.lower();
    let upper: UpperColt<T> = k.upper();
    let v = vector::<T>();
    let lv: Vec<T> = v.iter().map(|t| t.ln()).collect();
    let mut out = vec![T::ZERO; N];
    // `5 N` elements read as `N x 5` (axis 0) and as `5 x N` (axis 1, and a batch of five
    // vectors); `seq` keeps axis 1 and batches on their sequential branch, on this thread.
    let cols = 5;
    let grid: Vec<T> = (0..N * cols)
        .map(|i| T::from_f64(1.0 + (i % 7) as f64))
        .collect();
    let lgrid: Vec<T> = grid.iter().map(|t| t.ln()).collect();
    let mut grid_out = vec![T::ZERO; N * cols];
    let seq = ParallelParams {
        min_parallel_len: usize::MAX,
    };
    let counts = vec![
        (
            "ColtPair::apply_in_place",
            allocations_here(|| k.apply_in_place(&v, &mut out).unwrap()),
        ),
        (
            "ColtPair::apply_transpose_in_place",
            allocations_here(|| k.apply_transpose_in_place(&v, &mut out).unwrap()),
        ),
        (
            "ColtPair::row_sums_in_place",
            allocations_here(|| k.row_sums_in_place(&mut out).unwrap()),
        ),
        (
            "ColtPair::col_sums_in_place",
            allocations_here(|| k.col_sums_in_place(&mut out).unwrap()),
        ),
        (
            "ColtPair::sum",
            allocations_here(|| {
                black_box(k.sum().unwrap());
            }),
        ),
        (
            "ColtPair::distance_apply_in_place",
            allocations_here(|| k.distance_apply_in_place(x, &v, &mut out).unwrap()),
        ),
        (
            "ColtPair::distance_row_sums_in_place",
            allocations_here(|| k.distance_row_sums_in_place(x, &mut out).unwrap()),
        ),
        (
            "ColtPair::distance_sum",
            allocations_here(|| {
                black_box(k.distance_sum(x).unwrap());
            }),
        ),
        (
            "ColtPair::apply_axis_in_place (axis 0)",
            allocations_here(|| {
                k.apply_axis_in_place(&grid, N, cols, Axis::Zero, &mut grid_out)
                    .unwrap()
            }),
        ),
        (
            "ColtPair::apply_axis_in_place_with (axis 1, sequential)",
            allocations_here(|| {
                k.apply_axis_in_place_with(&grid, cols, N, Axis::One, &mut grid_out, &seq)
                    .unwrap();
            }),
        ),
        (
            "ColtPair::apply_batch_in_place (sequential)",
            allocations_here(|| k.apply_batch_in_place(&grid, &mut grid_out, &seq).unwrap()),
        ),
        (
            "LogColtPair::log_apply_in_place",
            allocations_here(|| lk.log_apply_in_place(&lv, &mut out).unwrap()),
        ),
        (
            "LogColtPair::log_apply_transpose_in_place",
            allocations_here(|| lk.log_apply_transpose_in_place(&lv, &mut out).unwrap()),
        ),
        (
            "LogColtPair::log_row_sums_in_place",
            allocations_here(|| lk.log_row_sums_in_place(&mut out).unwrap()),
        ),
        (
            "LogColtPair::log_col_sums_in_place",
            allocations_here(|| lk.log_col_sums_in_place(&mut out).unwrap()),
        ),
        (
            "LogColtPair::log_sum",
            allocations_here(|| {
                black_box(lk.log_sum().unwrap());
            }),
        ),
        (
            "LogColtPair::log_distance_apply_in_place",
            allocations_here(|| lk.log_distance_apply_in_place(x, &lv, &mut out).unwrap()),
        ),
        (
            "LogColtPair::log_distance_sum",
            allocations_here(|| {
                black_box(lk.log_distance_sum(x).unwrap());
            }),
        ),
        (
            "LogColtPair::log_apply_axis_in_place (axis 0)",
            allocations_here(|| {
                lk.log_apply_axis_in_place(&lgrid, N, cols, Axis::Zero, &mut grid_out)
                    .unwrap();
            }),
        ),
        (
            "LogColtPair::log_apply_axis_in_place_with (axis 1, sequential)",
            allocations_here(|| {
                lk.log_apply_axis_in_place_with(&lgrid, cols, N, Axis::One, &mut grid_out, &seq)
                    .unwrap();
            }),
        ),
        (
            "LogColtPair::log_apply_batch_in_place (sequential)",
            allocations_here(|| {
                lk.log_apply_batch_in_place(&lgrid, &mut grid_out, &seq)
                    .unwrap()
            }),
        ),
        (
            "LowerColt::apply_in_place",
            allocations_here(|| lower.apply_in_place(&v, &mut out).unwrap()),
        ),
        (
            "LowerColt::apply_transpose_in_place",
            allocations_here(|| lower.apply_transpose_in_place(&v, &mut out).unwrap()),
        ),
        (
            "UpperColt::apply_in_place",
            allocations_here(|| upper.apply_in_place(&v, &mut out).unwrap()),
        ),
        (
            "UpperColt::apply_transpose_in_place",
            allocations_here(|| upper.apply_transpose_in_place(&v, &mut out).unwrap()),
        ),
    ];
    // Keep the results observable so no call is optimised away.
    assert!(out.iter().chain(&grid_out).all(|t| !t.is_nan()));
    counts
}

#[test]
fn f64_products_on_a_non_uniform_support_do_not_allocate() {
    let x = support::<f64>();
    let k = ColtPair::gibbs(&x, 0.01).unwrap();
    assert_none(&pair_products(&k, &x));
}

#[test]
fn f64_products_on_the_uniform_ratio_path_do_not_allocate() {
    let h = 1.0 / (N - 1) as f64;
    let x: Vec<f64> = (0..N).map(|i| i as f64 * h).collect();
    let k = ColtPair::gibbs_uniform(N, h, 0.01).unwrap();
    assert_none(&pair_products(&k, &x));
}

/// `UniformGibbs`: the one-pass quotient, the block visitor, the plain product, the block
/// sums and the distance form (stack buffers only).
#[test]
fn uniform_gibbs_one_pass_products_do_not_allocate() {
    let k = colt::UniformGibbs::new(N, 1.0 / (N - 1) as f64, 0.01).unwrap();
    let (x, m) = (vector::<f64>(), vector::<f64>());
    let mut out = vec![0.0; N];
    let (mut xs, mut os) = (vec![0.0; k.sums_len()], vec![0.0; k.sums_len()]);
    assert_none(&[
        (
            "block_sums",
            allocations_here(|| k.block_sums(&x, &mut xs).unwrap()),
        ),
        (
            "divide_in_place",
            allocations_here(|| {
                black_box(k.divide_in_place(&x, &xs, &m, &mut out, &mut os).unwrap());
            }),
        ),
        (
            "visit_blocks",
            allocations_here(|| {
                k.visit_blocks(&x, &xs, &mut os, |_, b| {
                    black_box(b);
                })
                .unwrap();
            }),
        ),
        (
            "apply_in_place",
            allocations_here(|| k.apply_in_place(&x, &mut out).unwrap()),
        ),
        (
            "distance_form",
            allocations_here(|| {
                black_box(k.distance_form(&x, &m).unwrap());
            }),
        ),
    ]);
}

#[test]
fn f32_products_accumulating_in_f64_do_not_allocate() {
    let x = support::<f32>();
    let k = ColtPair::gibbs(&x, 0.01).unwrap();
    assert_none(&pair_products(&k, &x));
}

/// The counters see allocations, on this thread and on the pool threads, so the zero
/// counts here mean something.
#[test]
fn the_counters_count() {
    let v = [1.0, 2.0, 3.0];
    let k = ColtPair::gibbs(&v, 1.0).unwrap();
    assert!(allocations_here(|| drop(k.apply(&v).unwrap())) >= 1);
    let (_, pool) = allocations_here_and_in_pool(|| {
        rayon::join(
            || drop(black_box(k.apply(&v).unwrap())),
            || drop(black_box(k.apply(&v).unwrap())),
        );
    });
    assert!(pool >= 1, "the pool threads' allocations were not counted");
}

/// Allocations on this thread and, separately, on every rayon pool thread while `f` runs:
/// counting is switched on in each pool thread by a broadcast before `f` and read back by a
/// broadcast after it (the broadcasts themselves run outside the counted window). Other
/// threads are not counted.
fn allocations_here_and_in_pool(f: impl FnOnce()) -> (usize, usize) {
    // The pool is shared by the tests of this binary: one pool count at a time.
    static POOL: Mutex<()> = Mutex::new(());
    let _one_at_a_time = POOL.lock().unwrap_or_else(PoisonError::into_inner);
    rayon::broadcast(|_| HERE.with(|c| c.set((true, 0))));
    let here = allocations_here(f);
    let pool: usize = rayon::broadcast(|_| {
        HERE.with(|c| {
            let (_, n) = c.get();
            c.set((false, 0));
            n
        })
    })
    .into_iter()
    .sum();
    (here, pool)
}

/// A named product writing into the given output.
type Product<'a> = (&'static str, &'a mut dyn FnMut(&mut [f64]));

/// The rayon branch of the row-wise products (default `ParallelParams`, arrays above
/// `min_parallel_len`). The sweeps on the pool threads allocate nothing. The calling thread
/// does allocate, in rayon, not in `colt`: handing a job to the global pool from outside it
/// pushes onto rayon's injector queue, which allocates a new block every 63 jobs (measured:
/// 3 allocations in 200 calls, the same as 200 bare `rayon::join` calls). So the "never
/// allocates" of the docs holds for `colt`'s code; the test bounds the caller's count by
/// that of the same number of bare `rayon::join` calls, plus one for where the block
/// boundaries fall, so an allocation per call in `colt` would fail it.
#[test]
fn parallel_row_products_allocate_only_in_rayons_job_queue() {
    const CALLS: usize = 200;
    // 16 x 4096 = 2^16 elements: the default threshold, so the rayon branch.
    let (rows, cols) = (16, 4096);
    let h = 1.0 / (cols - 1) as f64;
    let x: Vec<f64> = (0..cols)
        .map(|i| (i as f64 + 0.3 * (i as f64).sin()) * h)
        .collect();
    let k = ColtPair::gibbs(&x, 0.01).unwrap();
    let lk = k.to_log().unwrap();
    let a: Vec<f64> = (0..rows * cols).map(|i| 1.0 + (i % 7) as f64).collect();
    let la: Vec<f64> = a.iter().map(|t| t.ln()).collect();
    let mut out = vec![0.0; rows * cols];
    let p = ParallelParams::default();
    assert!(a.len() >= p.min_parallel_len, "must take the rayon branch");
    // Starts the pool (its threads and queues are allocated once, here).
    k.apply_axis_in_place(&a, rows, cols, Axis::One, &mut out)
        .unwrap();
    let products: [Product<'_>; 4] = [
        ("ColtPair::apply_axis_in_place (axis 1)", &mut |o| {
            k.apply_axis_in_place(&a, rows, cols, Axis::One, o).unwrap();
        }),
        ("ColtPair::apply_batch_in_place", &mut |o| {
            k.apply_batch_in_place(&a, o, &p).unwrap();
        }),
        ("LogColtPair::log_apply_axis_in_place (axis 1)", &mut |o| {
            lk.log_apply_axis_in_place(&la, rows, cols, Axis::One, o)
                .unwrap();
        }),
        ("LogColtPair::log_apply_batch_in_place", &mut |o| {
            lk.log_apply_batch_in_place(&la, o, &p).unwrap();
        }),
    ];
    let (bare, _) = allocations_here_and_in_pool(|| {
        for _ in 0..CALLS {
            rayon::join(|| black_box(1), || black_box(2));
        }
    });
    let mut in_pool = Vec::new();
    let mut here = Vec::new();
    for (name, product) in products {
        let (h, w) = allocations_here_and_in_pool(|| {
            for _ in 0..CALLS {
                product(&mut out);
            }
        });
        in_pool.push((name, w));
        here.push((name, h));
    }
    assert!(out.iter().all(|t| t.is_finite()));
    assert_none(&in_pool);
    let over: Vec<_> = here.iter().filter(|(_, n)| *n > bare + 1).collect();
    assert!(
        over.is_empty(),
        "calling thread, {CALLS} calls: {over:?} against {bare} for bare rayon::join"
    );
}
