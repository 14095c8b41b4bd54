//! The linear-domain recurrences behind every O(N) product, written once.
//!
//! A CoLT pair `T = L + U - diag(d)` with `L_ij = d_j prod_{k=j}^{i-1} r_k` (i >= j) and
//! `U_ij = d_i prod_{k=i}^{j-1} s_k` (j >= i) is applied by two first-order recurrences
//! (research brief §3.2, reconstructed, not the paper's notation):
//!
//! ```text
//! forward  P_0 = d_0 x_0,            P_i = r_{i-1} P_{i-1} + d_i x_i
//! backward Y_{n-1} = x_{n-1},        Y_i = x_i + s_i Y_{i+1},   W_i = s_i Y_{i+1} (W_{n-1} = 0)
//! (T x)_i = P_i + d_i W_i
//! ```
//!
//! Each step depends on the previous one (a loop-carried chain of one multiply and one add),
//! which caps a single sweep at one element per add+multiply latency (~6 cycles). Two ways
//! around it are implemented:
//!
//! * **Interleaved sweeps** (the whole pair, `Part::Both`, every N): the forward and the
//!   backward sweep are independent, so one loop advances both, from the two ends towards
//!   the middle (see `interleaved_apply`). Two chains overlap, and memory is read in four
//!   sequential streams that the hardware prefetchers follow at any N. With one scalar ratio
//!   (`Uniform`, a uniform grid) the ratio streams disappear: at N = 10^6 that cuts the
//!   memory traffic from 8 to 6 array transfers (a streaming pass needs 4) and the time from
//!   ~1.6 to ~1.0 ns/element here (`docs/colt.md`). With a unit diagonal and stored ratios
//!   (the Gibbs kernel of a non-uniform support: `d = 1`, `r = s`, one ratio array) the two
//!   sweeps advance as the two lanes of one step (`unit_interleaved_apply`): the same
//!   operations, bit-identical, but paired into two-lane instructions and walked with chunk
//!   iterators (no bounds checks), ~25 % faster in cache and ~7 % at N = 10^6.
//! * **Blocked two-pass scan** (one triangle alone, `N >= 2 * TILE`; brief §6.4):
//!   1. a backward pre-pass computes, block by block, the local backward sum at the block
//!      start (zero carry) and the product of the block's ratios, all [`LANES`] blocks of a
//!      tile in lock-step, then chains those summaries right to left to get the exact `Y` at
//!      every block start (stored in `out`, which is free then);
//!   2. a main pass over tiles runs the forward sweeps of all lanes in lock-step with zero
//!      carry (independent chains the CPU overlaps) while recording the weights
//!      `w_i = prod_{k=start}^{i-1} r_k`, propagates the forward carries `c` across the lanes,
//!      and runs the backward sweeps seeded with the exact carries, fused with the forward
//!      fix-up `out_i = P_loc_i + w_i c + d_i W_i`.
//!
//!   Measured on a 2-vCPU EPYC VM (f64 Gibbs kernel, `crates/colt/examples/matvec_scaling.rs`):
//!   the blocked scan ran at ~2.4 ns/element for the pair in cache but 6-8 ns/element from
//!   N = 5 10^5 on (eight strided streams per array defeat the prefetchers), the plain
//!   two-pass sweep at ~3.4 ns/element, the interleaved sweeps at ~1.8-2.2 ns/element at every
//!   N, hence the choice above.
//!
//! Rounding. With stored ratios the weight of a term `j` in row `i` is a product of `|i - j|`
//! rounded ratios whichever way it is evaluated, so blocking does not change the worst-case
//! bound `|err_i| <= c n_eff u (|T| |x|)_i`, `n_eff = min(N, 1/(1 - rho))`; measured, the
//! blocked and plain sweeps have errors of the same order. What bounds the error is the
//! accumulator: every recurrence runs in `T::Acc` = f64, so an f32 product is exact to its
//! final rounding plus `n_eff * 1.1e-16` (the brief measured 7.5e-3 for an f32 sweep at
//! N = 10^6, `eps/h = 10^6`; `tests/blocked_scan.rs` checks the bound at `eps/h = 2 10^5`).
//! The interleaved sweeps have the plain sweeps' rounding: each output is the same sum of
//! the same products.

use crate::real::Real;

/// Number of blocks advanced in lock-step (independent recurrence chains per loop).
pub const LANES: usize = 8;
/// Length of one block of the blocked scan.
pub const BLOCK: usize = 64;
/// Elements per tile (`LANES` blocks, 4 KiB of f64 per array): a tile's arrays stay in L1/L2
/// and each array is read front to back, which the hardware prefetchers follow.
pub const TILE: usize = LANES * BLOCK;

/// Elements of `T` per 64-byte cache line.
#[inline(always)]
const fn line<T>() -> usize {
    let size = core::mem::size_of::<T>();
    if size == 0 || size >= 64 {
        1
    } else {
        64 / size
    }
}

/// Asks the cache for the line holding `v[i]` (nothing when `i` is out of bounds). The lanes of
/// a tile walk 8 interleaved streams, which the hardware prefetchers do not follow on their
/// own; the sweeps fetch the next tile one line per step, spread over the current tile.
#[inline(always)]
pub(crate) fn prefetch_line<T>(v: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(p) = v.get(i) {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        // SAFETY: `_mm_prefetch` only needs SSE, which every x86_64 target has; a prefetch is a
        // hint that never faults, and the pointer is in bounds anyway.
        unsafe { _mm_prefetch::<_MM_HINT_T0>((p as *const T).cast::<i8>()) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (v, i);
    }
}

/// A read-only input vector of the sweeps: a slice, or the all-ones vector (row sums, unit
/// diagonal).
pub(crate) trait Source<T>: Copy {
    /// Entry `i`.
    fn at(self, i: usize) -> T;
    /// The entries `[start, start + len)` (bounds-checked once, so that `at` in a loop over
    /// `0..len` needs no further checks).
    fn sub(self, start: usize, len: usize) -> Self;
    /// Prefetches the cache line holding entry `i` (no-op for computed sources).
    #[inline(always)]
    fn prefetch(self, i: usize) {
        let _ = i;
    }
}

impl<T: Copy> Source<T> for &[T] {
    #[inline(always)]
    fn at(self, i: usize) -> T {
        self[i]
    }
    #[inline(always)]
    fn sub(self, start: usize, len: usize) -> Self {
        &self[start..start + len]
    }
    #[inline(always)]
    fn prefetch(self, i: usize) {
        prefetch_line(self, i);
    }
}

/// The all-ones vector.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ones;

impl<T: Real> Source<T> for Ones {
    #[inline(always)]
    fn at(self, _: usize) -> T {
        T::ONE
    }
    #[inline(always)]
    fn sub(self, _: usize, _: usize) -> Self {
        self
    }
}

/// A constant ratio (uniform grid): entry `k` is the same scalar for every `k`, so a sweep
/// streams one array fewer from memory and the two-step ratio products are loop invariants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Uniform<T>(pub(crate) T);

impl<T: Copy> Source<T> for Uniform<T> {
    #[inline(always)]
    fn at(self, _: usize) -> T {
        self.0
    }
    #[inline(always)]
    fn sub(self, _: usize, _: usize) -> Self {
        self
    }
}

/// Which triangles of the pair a sweep applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Part {
    /// `L` (diagonal included).
    Lower,
    /// `U` (diagonal included).
    Upper,
    /// `L + U - diag(d)`.
    Both,
}

impl Part {
    #[inline(always)]
    fn lower(self) -> bool {
        !matches!(self, Part::Upper)
    }
    #[inline(always)]
    fn upper(self) -> bool {
        !matches!(self, Part::Lower)
    }
}

/// `out = T x` for the part `part` of the CoLT pair `(d, r, s)`.
///
/// Lengths are checked by the caller: `out` has length `n`, `d` and `x` provide `n` entries,
/// `r` and `s` have length `n - 1` (or 0 when `n == 0`). For `Part::Lower` `s` is not read, for
/// `Part::Upper` `r` is not. `d` may be [`Ones`] (unit diagonal: one array less to stream) and
/// `r`, `s` may be the same slice (symmetric kernel). The recurrences run in `T::Acc` (f64).
/// Never allocates. Returns `true` when every entry of `out` is known to be finite (see
/// [`interleaved_apply`]); `false` means "not tracked", and the caller checks `out`.
pub(crate) fn pair_apply<T: Real, D: Source<T>, X: Source<T>>(
    part: Part,
    d: D,
    r: &[T],
    s: &[T],
    x: X,
    out: &mut [T],
) -> bool {
    let n = out.len();
    if matches!(part, Part::Both) {
        return interleaved_apply(d, r, s, x, out);
    }
    if n < 2 * TILE {
        plain_apply(part, d, r, s, x, out, <T::Acc as Real>::ZERO);
        return false;
    }
    let full = n / TILE * TILE;
    if part.upper() {
        backward_prepass(s, x, out, full);
    }
    // r_{start-1} * P_{start-1}: the forward carry into the next tile.
    let mut carry = <T::Acc as Real>::ZERO;
    for start in (0..full).step_by(TILE) {
        carry = tile_apply(part, d, r, s, x, out, start, carry);
    }
    // The tail is applied by the plain sweep; its backward part ends at `n`, so it needs no
    // carry from the right.
    plain_apply(
        part,
        d.sub(full, n - full),
        &r[full.min(r.len())..],
        &s[full.min(s.len())..],
        x.sub(full, n - full),
        &mut out[full..],
        carry,
    );
    false
}

/// Plain sequential sweeps (used below `2 * TILE` and for the tail), with a forward carry-in
/// `carry = r_{-1} P_{-1}` from a preceding segment.
fn plain_apply<T: Real, D: Source<T>, R: Source<T>, X: Source<T>>(
    part: Part,
    d: D,
    r: R,
    s: R,
    x: X,
    out: &mut [T],
    carry: T::Acc,
) {
    let n = out.len();
    if n == 0 {
        return;
    }
    let zero = <T::Acc as Real>::ZERO;
    // Backward first: out_i = d_i W_i (or d_i (x_i + W_i) for the upper triangle alone).
    if part.upper() {
        let mut y = zero; // Y_{i+1}
        for i in (0..n).rev() {
            let w = if i + 1 < n { s.at(i).acc() * y } else { zero };
            y = x.at(i).acc() + w;
            out[i] = T::from_acc(d.at(i).acc() * if part.lower() { w } else { y });
        }
    }
    if part.lower() {
        let mut p = carry;
        for i in 0..n {
            if i > 0 {
                p = r.at(i - 1).acc() * p;
            }
            p += d.at(i).acc() * x.at(i).acc();
            out[i] = if part.upper() {
                T::from_acc(out[i].acc() + p)
            } else {
                T::from_acc(p)
            };
        }
    }
}

/// `out = T x` for the whole pair with the forward and the backward sweep interleaved in one
/// loop: two independent chains (the CPU overlaps their latencies) and sequential memory
/// streams (ascending and descending), which the hardware prefetchers follow at any N.
///
/// Each chain also advances two elements per step (`P_{i+1} = (r_i r_{i-1}) P_{i-1} +
/// (r_i a_i + a_{i+1})`, `Y_{j-1} = (s_{j-1} s_j) Y_{j+1} + (x_{j-1} + s_{j-1} x_j)`), so its
/// critical path is one multiply-add per two elements; the in-between values are computed off
/// that path. The sweeps start at the two ends and write fresh values until they meet in the
/// middle (phases 1-3), then each adds to the values the other one wrote (phase 4).
///
/// Every entry's final value is written once (phases 3 and 4); those writes also accumulate
/// `v * 0` (0 for a finite `v`, NaN otherwise) into one flag, so the result check costs no
/// second pass over `out`: returns `true` when every entry is finite (`false` for `n < 8`,
/// where nothing is tracked).
pub(crate) fn interleaved_apply<T: Real, D: Source<T>, R: Source<T>, X: Source<T>>(
    d: D,
    r: R,
    s: R,
    x: X,
    out: &mut [T],
) -> bool {
    let n = out.len();
    if n < 8 {
        plain_apply(Part::Both, d, r, s, x, out, <T::Acc as Real>::ZERO);
        return false;
    }
    let mut flag = T::ZERO;
    let a = |i: usize| d.at(i).acc() * x.at(i).acc();
    let xa = |i: usize| x.at(i).acc();
    let ra = |k: usize| r.at(k).acc();
    let sa = |k: usize| s.at(k).acc();
    // Phase 1: the two end elements. P = P_{fi - 1}, Y = Y_{bj + 1}.
    let mut p = a(0);
    out[0] = T::from_acc(p);
    let mut y = xa(n - 1);
    out[n - 1] = T::ZERO; // d_{n-1} W_{n-1} = 0
    let (mut fi, mut bj) = (1usize, n - 2);
    // Phase 2: pairs from both ends while they stay apart; fresh writes.
    while fi + 1 < bj - 1 {
        let (ai, ai1) = (a(fi), a(fi + 1));
        let (r0, r1) = (ra(fi - 1), ra(fi));
        let pi = r0 * p + ai;
        p = (r1 * r0) * p + (r1 * ai + ai1);
        out[fi] = T::from_acc(pi);
        out[fi + 1] = T::from_acc(p);
        let (s1, s0) = (sa(bj), sa(bj - 1));
        let xj = xa(bj);
        let wj = s1 * y;
        let sx = s0 * xj;
        let t = (s0 * s1) * y;
        y = t + (xa(bj - 1) + sx);
        out[bj] = T::from_acc(d.at(bj).acc() * wj);
        out[bj - 1] = T::from_acc(d.at(bj - 1).acc() * (t + sx));
        fi += 2;
        bj -= 2;
    }
    // Phase 3: the (at most three) middle elements, one at a time: forward writes, then the
    // backward sweep adds.
    for i in fi..=bj {
        p = ra(i - 1) * p + a(i);
        out[i] = T::from_acc(p);
    }
    for j in (fi..=bj).rev() {
        let w = sa(j) * y;
        y = xa(j) + w;
        let v = T::from_acc(out[j].acc() + d.at(j).acc() * w);
        out[j] = v;
        flag += finite_flag(v);
    }
    // Phase 4: forward over (bj, n), backward over [0, fi), the same number of elements; each
    // adds to the values the other sweep wrote in phase 2.
    let (mut f, mut b) = (bj + 1, fi - 1);
    while f + 1 < n {
        let (ai, ai1) = (a(f), a(f + 1));
        let (r0, r1) = (ra(f - 1), ra(f));
        let pi = r0 * p + ai;
        p = (r1 * r0) * p + (r1 * ai + ai1);
        let (s1, s0) = (sa(b), sa(b - 1));
        let wj = s1 * y;
        let sx = s0 * xa(b);
        let t = (s0 * s1) * y;
        y = t + (xa(b - 1) + sx);
        let v = [
            T::from_acc(out[f].acc() + pi),
            T::from_acc(out[f + 1].acc() + p),
            T::from_acc(out[b].acc() + d.at(b).acc() * wj),
            T::from_acc(out[b - 1].acc() + d.at(b - 1).acc() * (t + sx)),
        ];
        [out[f], out[f + 1], out[b], out[b - 1]] = v;
        flag += (finite_flag(v[0]) + finite_flag(v[1])) + (finite_flag(v[2]) + finite_flag(v[3]));
        f += 2;
        b -= 2;
    }
    if f < n {
        // One element left at each end (f = n - 1, b = 0).
        p = ra(f - 1) * p + a(f);
        out[f] = T::from_acc(out[f].acc() + p);
        let w = sa(b) * y;
        out[b] = T::from_acc(out[b].acc() + d.at(b).acc() * w);
        flag += finite_flag(out[f]) + finite_flag(out[b]);
    }
    !flag.is_nan()
}

/// `0` for a finite `v`, NaN for an infinite or NaN one: summed over the written values, a
/// flag that is NaN exactly when one of them is not finite.
#[inline(always)]
fn finite_flag<T: Real>(v: T) -> T {
    v * T::ZERO
}

/// One two-element step of both sweeps of [`interleaved_apply`] with a unit diagonal, the
/// forward sweep in lane 0 and the backward sweep in lane 1 (the same operations on the same
/// operands, so the results are bit-identical; the lanes let the compiler pair most of them
/// into two-lane SIMD instructions).
///
/// `old = [P_{i-1}, Y_{j+1}]`, `near = [r_{i-1}, s_j]`, `far = [r_i, s_{j-1}]`,
/// `a = [x_i, x_j]`, `b = [x_{i+1}, x_{j-1}]`. Returns the new carries
/// `[P_{i+1}, Y_{j-1}]`, the values of the elements next to the old carries
/// `[P_i, W_j]` and of the far elements `[P_{i+1}, W_{j-1}]`.
#[inline(always)]
fn lane_step<A: Real>(
    old: [A; 2],
    near: [A; 2],
    far: [A; 2],
    a: [A; 2],
    b: [A; 2],
) -> ([A; 2], [A; 2], [A; 2]) {
    let m = [near[0] * old[0], near[1] * old[1]];
    let pair = [far[0] * near[0], far[1] * near[1]];
    let t = [pair[0] * old[0], pair[1] * old[1]];
    let fa = [far[0] * a[0], far[1] * a[1]];
    let c = [fa[0] + b[0], b[1] + fa[1]];
    let new = [t[0] + c[0], t[1] + c[1]];
    // Forward: P_i = r_{i-1} P_{i-1} + x_i; backward: W_j = s_j Y_{j+1} (nothing added).
    let first = [m[0] + a[0], m[1]];
    // Forward: P_{i+1} = new; backward: W_{j-1} = (s_{j-1} s_j) Y_{j+1} + s_{j-1} x_j.
    let second = [new[0], t[1] + fa[1]];
    (new, first, second)
}

/// [`interleaved_apply`] for a unit diagonal (`d = 1`) and stored ratios, with each two-element
/// step of the forward and the backward sweep written as one two-lane step ([`lane_step`]):
/// the same operations in the same order, so the output is bit-identical to
/// `interleaved_apply(Ones, r, s, x, out)`, with most of the arithmetic in two-lane
/// instructions and the phases walked by chunk iterators (no bounds checks in the loops).
/// With `r` and `s` the same slice (a symmetric kernel such as the Gibbs kernel) only `x`
/// and one ratio array are read (each twice, once per sweep, as in `interleaved_apply`).
///
/// Returns `true` when every entry of `out` is finite, tracked as in [`interleaved_apply`].
pub(crate) fn unit_interleaved_apply<T: Real>(r: &[T], s: &[T], x: &[T], out: &mut [T]) -> bool {
    let n = out.len();
    if n < 8 {
        plain_apply(Part::Both, Ones, r, s, x, out, <T::Acc as Real>::ZERO);
        return false;
    }
    let mut flag = T::ZERO;
    let (r, s, x) = (&r[..n - 1], &s[..n - 1], &x[..n]);
    let two = |c: &[T]| [c[0].acc(), c[1].acc()];
    // Phase 1: the two end elements.
    let mut p = x[0].acc();
    out[0] = T::from_acc(p);
    let mut y = x[n - 1].acc();
    out[n - 1] = T::ZERO;
    // Phase 2: `steps` pairs from both ends while they stay apart (forward i = 1, 3, ...,
    // backward j = n - 2, n - 4, ...); fresh writes. Chunk iterators, so no bounds checks.
    let steps = (n - 2) / 4;
    let (fi, bj) = (1 + 2 * steps, n - 2 - 2 * steps);
    {
        let (lo, hi) = out.split_at_mut(fi);
        let hi_len = hi.len();
        let fwd = r
            .chunks_exact(2)
            .zip(x[1..].chunks_exact(2))
            .zip(lo[1..].chunks_exact_mut(2));
        let bwd = s
            .rchunks_exact(2)
            .zip(x[..n - 1].rchunks_exact(2))
            .zip(hi[..hi_len - 1].rchunks_exact_mut(2));
        for (((rf, xf), of), ((sb, xb), ob)) in fwd.zip(bwd).take(steps) {
            let (rf, xf, sb, xb) = (two(rf), two(xf), two(sb), two(xb));
            let (new, first, second) = lane_step(
                [p, y],
                [rf[0], sb[1]],
                [rf[1], sb[0]],
                [xf[0], xb[1]],
                [xf[1], xb[0]],
            );
            [p, y] = new;
            of[0] = T::from_acc(first[0]);
            of[1] = T::from_acc(second[0]);
            ob[1] = T::from_acc(first[1]);
            ob[0] = T::from_acc(second[1]);
        }
    }
    // Phase 3: the (at most three) middle elements, one at a time.
    for i in fi..=bj {
        p = r[i - 1].acc() * p + x[i].acc();
        out[i] = T::from_acc(p);
    }
    for j in (fi..=bj).rev() {
        let w = s[j].acc() * y;
        y = x[j].acc() + w;
        let v = T::from_acc(out[j].acc() + w);
        out[j] = v;
        flag += finite_flag(v);
    }
    // Phase 4: forward over (bj, n), backward over [0, fi), `tail` pairs each; each adds to
    // the values the other sweep wrote in phase 2.
    let tail = (n - 1 - bj) / 2;
    debug_assert_eq!(tail, fi / 2);
    {
        let (lo, hi) = out.split_at_mut(fi);
        let fwd = r[bj..]
            .chunks_exact(2)
            .zip(x[bj + 1..].chunks_exact(2))
            .zip(hi[bj + 1 - fi..].chunks_exact_mut(2));
        let bwd = s[..fi]
            .rchunks_exact(2)
            .zip(x[..fi].rchunks_exact(2))
            .zip(lo.rchunks_exact_mut(2));
        for (((rf, xf), of), ((sb, xb), ob)) in fwd.zip(bwd).take(tail) {
            let (rf, xf, sb, xb) = (two(rf), two(xf), two(sb), two(xb));
            let (new, first, second) = lane_step(
                [p, y],
                [rf[0], sb[1]],
                [rf[1], sb[0]],
                [xf[0], xb[1]],
                [xf[1], xb[0]],
            );
            [p, y] = new;
            let v = [
                T::from_acc(of[0].acc() + first[0]),
                T::from_acc(of[1].acc() + second[0]),
                T::from_acc(ob[1].acc() + first[1]),
                T::from_acc(ob[0].acc() + second[1]),
            ];
            [of[0], of[1], ob[1], ob[0]] = v;
            flag +=
                (finite_flag(v[0]) + finite_flag(v[1])) + (finite_flag(v[2]) + finite_flag(v[3]));
        }
    }
    let (f, b) = (bj + 1 + 2 * tail, fi - 1 - 2 * tail);
    if f < n {
        // One element left at each end (f = n - 1, b = 0).
        p = r[f - 1].acc() * p + x[f].acc();
        out[f] = T::from_acc(out[f].acc() + p);
        let w = s[b].acc() * y;
        out[b] = T::from_acc(out[b].acc() + w);
        flag += finite_flag(out[f]) + finite_flag(out[b]);
    }
    !flag.is_nan()
}

/// Backward pre-pass: writes the exact `Y` (inclusive backward sum) at every block start
/// `k * BLOCK < full` and at `full` (when `full < n`) into `out`.
fn backward_prepass<T: Real, X: Source<T>>(s: &[T], x: X, out: &mut [T], full: usize) {
    let n = out.len();
    let (zero, one) = (<T::Acc as Real>::ZERO, <T::Acc as Real>::ONE);
    // Tail: plain backward sweep, exact (nothing to its right).
    let mut y_next = zero; // exact Y at the start of the segment to the right
    if full < n {
        let mut y = zero;
        for i in (full..n).rev() {
            let w = if i + 1 < n { s[i].acc() * y } else { zero };
            y = x.at(i).acc() + w;
        }
        out[full] = T::from_acc(y);
        y_next = y;
    }
    for tile in (0..full).step_by(TILE).rev() {
        let xt = x.sub(tile, TILE);
        let st = &s[tile..tile + TILE - 1];
        // Local backward sums (zero carry) and ratio products of all lanes, in lock-step.
        let mut y = [zero; LANES];
        let mut nu = [one; LANES];
        for l in 0..LANES {
            y[l] = xt.at(l * BLOCK + BLOCK - 1).acc();
        }
        for t in (0..BLOCK - 1).rev() {
            if let Some(ahead) = (tile + t * line::<T>()).checked_sub(TILE) {
                x.prefetch(ahead);
                prefetch_line(s, ahead);
            }
            for l in 0..LANES {
                let i = l * BLOCK + t;
                let si = st[i].acc();
                y[l] = xt.at(i).acc() + si * y[l];
                nu[l] *= si;
            }
        }
        // Chain the block summaries right to left: Y(start) = Y_loc(start) + nu s_{end-1} Y(end).
        for l in (0..LANES).rev() {
            let start = tile + l * BLOCK;
            let end = start + BLOCK;
            let link = if end < n {
                s[end - 1].acc() * y_next
            } else {
                zero
            };
            y_next = y[l] + nu[l] * link;
            out[start] = T::from_acc(y_next);
        }
    }
}

/// One full tile `[start, start + TILE)` of the main pass, for one triangle (`Part::Lower` or
/// `Part::Upper`). `carry` is `r_{start-1} P_{start-1}`;
/// returns the carry into the next tile. Reads the exact backward `Y` at the block starts from
/// `out` (left there by [`backward_prepass`]) before overwriting them.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn tile_apply<T: Real, D: Source<T>, X: Source<T>>(
    part: Part,
    d: D,
    r: &[T],
    s: &[T],
    x: X,
    out: &mut [T],
    start: usize,
    carry: T::Acc,
) -> T::Acc {
    // The whole pair takes `interleaved_apply`; one triangle at a time comes here.
    debug_assert!(part != Part::Both);
    let n = out.len();
    let (zero, one) = (<T::Acc as Real>::ZERO, <T::Acc as Real>::ONE);
    let end = start + TILE;
    // Backward carries into every block: s_{end-1} * Y(end).
    let mut cb = [zero; LANES];
    if part.upper() {
        for l in 0..LANES {
            let e = start + (l + 1) * BLOCK;
            if e < n {
                cb[l] = s[e - 1].acc() * out[e].acc();
            }
        }
    }
    // The next tile, one cache line per step of the backward loop (all of it: 64 steps).
    let (head, next_out) = out.split_at_mut(end);
    let fetch_ahead = |t: usize| {
        let k = t * line::<T>();
        x.prefetch(end + k);
        d.prefetch(end + k);
        prefetch_line(r, end + k);
        if !core::ptr::eq(r, s) {
            prefetch_line(s, end + k);
        }
        prefetch_line(next_out, k);
    };
    // Carry ratio into the next tile (absent at the end of the array).
    let r_link = if part.lower() && end < n {
        r[end - 1].acc()
    } else {
        zero
    };
    let d = d.sub(start, TILE);
    let x = x.sub(start, TILE);
    let out = &mut head[start..];
    let rt: &[T] = if part.lower() {
        &r[start..end - 1]
    } else {
        &[]
    };
    let st: &[T] = if part.upper() {
        &s[start..end - 1]
    } else {
        &[]
    };

    // 1. forward local sweeps (zero carry) and the weights w_i = prod_{k=start_l}^{i-1} r_k,
    //    all lanes in lock-step; P_loc goes to `out`, w to a stack buffer.
    let mut wbuf = [zero; TILE];
    let mut c = [zero; LANES];
    let mut next = zero;
    if part.lower() {
        let mut p = [zero; LANES];
        let mut w = [one; LANES];
        for l in 0..LANES {
            let i = l * BLOCK;
            p[l] = d.at(i).acc() * x.at(i).acc();
            out[i] = T::from_acc(p[l]);
            wbuf[i] = one;
        }
        for t in 1..BLOCK {
            if matches!(part, Part::Lower) {
                fetch_ahead(t);
            }
            for l in 0..LANES {
                let i = l * BLOCK + t;
                let ri = rt[i - 1].acc();
                p[l] = ri * p[l] + d.at(i).acc() * x.at(i).acc();
                w[l] *= ri;
                out[i] = T::from_acc(p[l]);
                wbuf[i] = w[l];
            }
        }
        // 2. forward carries across the lanes: c_{l+1} = r_{end_l - 1} (P_loc(end_l - 1) + w c_l).
        let mut cl = carry;
        for l in 0..LANES {
            c[l] = cl;
            let p_true = p[l] + w[l] * cl;
            cl = if l + 1 < LANES {
                rt[(l + 1) * BLOCK - 1].acc() * p_true
            } else {
                r_link * p_true
            };
        }
        next = cl;
    }

    // 3. the other half of the work: the forward fix-up `out_i += w_i c_l` (L), or the
    //    backward sweeps seeded with the exact carries, `out_i = d_i (x_i + W_i)` (U).
    match part {
        Part::Lower => {
            for l in 0..LANES {
                let b = l * BLOCK;
                for (o, &wv) in out[b..b + BLOCK].iter_mut().zip(&wbuf[b..b + BLOCK]) {
                    *o = T::from_acc(o.acc() + wv * c[l]);
                }
            }
        }
        Part::Upper | Part::Both => {
            let mut y = [zero; LANES];
            for l in 0..LANES {
                let i = l * BLOCK + BLOCK - 1;
                y[l] = x.at(i).acc() + cb[l];
                out[i] = T::from_acc(d.at(i).acc() * y[l]);
            }
            for t in (0..BLOCK - 1).rev() {
                fetch_ahead(t);
                for l in 0..LANES {
                    let i = l * BLOCK + t;
                    y[l] = x.at(i).acc() + st[i].acc() * y[l];
                    out[i] = T::from_acc(d.at(i).acc() * y[l]);
                }
            }
        }
    }
    next
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    /// `unit_interleaved_apply` against `interleaved_apply` with the unit diagonal given as
    /// [`Ones`] and as a stored slice of ones: the same bits, symmetric or not.
    fn check_bitwise<T: Real>(n: usize, g: &mut Lcg) {
        let m = n.saturating_sub(1);
        let r: Vec<T> = (0..m)
            .map(|_| T::from_f64(0.05 + 1.45 * g.next()))
            .collect();
        let s: Vec<T> = (0..m)
            .map(|_| T::from_f64(0.05 + 1.45 * g.next()))
            .collect();
        let mut x: Vec<T> = (0..n).map(|_| T::from_f64(2.0 * g.next() - 1.0)).collect();
        if n > 3 {
            x[n / 2] = T::ZERO;
            x[1] = T::from_f64(-0.0);
        }
        let ones = vec![T::ONE; n];
        for (r, s) in [(&r, &r), (&r, &s)] {
            let mut want = vec![T::ZERO; n];
            interleaved_apply(Ones, &r[..], &s[..], &x[..], &mut want);
            let mut stored = vec![T::ZERO; n];
            interleaved_apply(&ones[..], &r[..], &s[..], &x[..], &mut stored);
            let mut got = vec![T::ONE; n];
            unit_interleaved_apply(r, s, &x, &mut got);
            for i in 0..n {
                let (a, b, c) = (got[i].to_f64(), want[i].to_f64(), stored[i].to_f64());
                assert!(
                    a.to_bits() == b.to_bits() && b.to_bits() == c.to_bits(),
                    "{} n {n} i {i}: {a:e} {b:e} {c:e}",
                    T::NAME
                );
            }
        }
    }

    #[test]
    fn unit_interleaved_is_bitwise_the_interleaved_sweep() {
        let mut g = Lcg(11);
        for n in (0..=40).chain([101, 1000, 3 * TILE + 77]) {
            check_bitwise::<f64>(n, &mut g);
            check_bitwise::<f32>(n, &mut g);
        }
    }
}
