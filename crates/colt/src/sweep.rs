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
//! which caps a plain sweep at one element per add+multiply latency, and whose rounding error
//! grows with the effective number of terms `n_eff = min(N, 1/(1 - rho))` (brief §6.3).
//! The product (`ColtPair::apply_in_place`) therefore runs a *blocked two-pass scan* (brief §6.4):
//!
//! 1. a backward pre-pass computes, block by block, the local backward sum at the block start
//!    (zero carry) and the product of the block's ratios, then chains those summaries right to
//!    left to get the exact `Y` at every block start (stored in `out`, which is free then);
//! 2. a main pass over tiles of [`LANES`] blocks runs the forward sweep of all lanes in
//!    lock-step with zero carry (independent chains: the CPU overlaps them), propagates the
//!    forward carries across the lanes, runs the backward sweep seeded with the exact carries
//!    from step 1, and fixes the forward part up with `out_i += w_i c` (`w_i` the product of
//!    ratios since the block start).
//!
//! Rounding: inside a block at most `BLOCK` steps, across blocks one step per block, so the
//! error bound's `n_eff` drops from `min(N, 1/(1-rho))` to about `BLOCK + N/BLOCK`.

use crate::real::Real;

/// A read-only input vector of the sweeps: a slice, or the all-ones vector (row sums).
pub(crate) trait Source<T>: Copy {
    /// Entry `i`.
    fn at(self, i: usize) -> T;
}

impl<T: Copy> Source<T> for &[T] {
    #[inline(always)]
    fn at(self, i: usize) -> T {
        self[i]
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
}

/// A source viewed from an offset (the tail segment of a longer vector).
#[derive(Clone, Copy, Debug)]
struct Offset<X> {
    x: X,
    start: usize,
}

impl<T, X: Source<T>> Source<T> for Offset<X> {
    #[inline(always)]
    fn at(self, i: usize) -> T {
        self.x.at(self.start + i)
    }
}

/// Number of blocks advanced in lock-step (independent recurrence chains per loop).
pub const LANES: usize = 8;
/// Length of one block of the blocked scan.
pub const BLOCK: usize = 256;
/// Elements per tile (`LANES` blocks); a tile's five arrays stay in the L2 cache.
pub const TILE: usize = LANES * BLOCK;

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
/// Lengths are checked by the caller: `d` and `out` have length `n` (and `x` provides `n`
/// entries), `r` and `s` have length `n - 1` (or 0 when `n == 0`). For `Part::Lower` `s` is
/// not read, for `Part::Upper` `r` is not. The recurrences run in `T::Acc` (f64). Never
/// allocates.
pub(crate) fn pair_apply<T: Real, X: Source<T>>(
    part: Part,
    d: &[T],
    r: &[T],
    s: &[T],
    x: X,
    out: &mut [T],
) {
    let n = d.len();
    debug_assert_eq!(out.len(), n);
    if n < 2 * TILE {
        plain_apply(part, d, r, s, x, out, <T::Acc as Real>::ZERO);
        return;
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
        &d[full..],
        &r[full.min(r.len())..],
        &s[full.min(s.len())..],
        Offset { x, start: full },
        &mut out[full..],
        carry,
    );
}

/// Plain sequential sweeps (used below `2 * TILE` and for the tail), with a forward carry-in
/// `carry = r_{-1} P_{-1}` from a preceding segment.
fn plain_apply<T: Real, X: Source<T>>(
    part: Part,
    d: &[T],
    r: &[T],
    s: &[T],
    x: X,
    out: &mut [T],
    carry: T::Acc,
) {
    let n = d.len();
    if n == 0 {
        return;
    }
    let zero = <T::Acc as Real>::ZERO;
    // Backward first: out_i = d_i W_i (or d_i (x_i + W_i) for the upper triangle alone).
    if part.upper() {
        let mut y = zero; // Y_{i+1}
        for i in (0..n).rev() {
            let w = if i + 1 < n { s[i].acc() * y } else { zero };
            y = x.at(i).acc() + w;
            out[i] = T::from_acc(d[i].acc() * if part.lower() { w } else { y });
        }
    }
    if part.lower() {
        let mut p = carry;
        for i in 0..n {
            if i > 0 {
                p = r[i - 1].acc() * p;
            }
            p += d[i].acc() * x.at(i).acc();
            out[i] = if part.upper() {
                T::from_acc(out[i].acc() + p)
            } else {
                T::from_acc(p)
            };
        }
    }
}

/// Backward pre-pass: writes the exact `Y` (inclusive backward sum) at every block start
/// `k * BLOCK < full` and at `full` (when `full < n`) into `out`.
fn backward_prepass<T: Real, X: Source<T>>(s: &[T], x: X, out: &mut [T], full: usize) {
    let n = out.len();
    let zero = <T::Acc as Real>::ZERO;
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
        // Local backward sums (zero carry) of all lanes, in lock-step.
        let mut y = [zero; LANES];
        for l in 0..LANES {
            y[l] = x.at(tile + l * BLOCK + BLOCK - 1).acc();
        }
        for t in (0..BLOCK - 1).rev() {
            for l in 0..LANES {
                let i = tile + l * BLOCK + t;
                y[l] = x.at(i).acc() + s[i].acc() * y[l];
            }
        }
        // Chain the block summaries right to left: Y(start) = Y_loc(start) + nu * s_{end-1} Y(end).
        for l in (0..LANES).rev() {
            let start = tile + l * BLOCK;
            let end = start + BLOCK;
            let link = if end < n {
                s[end - 1].acc() * y_next
            } else {
                zero
            };
            let nu = product(&s[start..end - 1]);
            y_next = y[l] + nu * link;
            out[start] = T::from_acc(y_next);
        }
    }
}

/// Product of a short slice, in `T::Acc`, with four independent partial products (no
/// loop-carried chain longer than a quarter of the slice).
#[inline]
fn product<T: Real>(v: &[T]) -> T::Acc {
    let one = <T::Acc as Real>::ONE;
    let mut acc = [one; 4];
    let mut chunks = v.chunks_exact(4);
    for c in &mut chunks {
        for k in 0..4 {
            acc[k] *= c[k].acc();
        }
    }
    let mut p = (acc[0] * acc[1]) * (acc[2] * acc[3]);
    for &v in chunks.remainder() {
        p *= v.acc();
    }
    p
}

/// One full tile `[start, start + TILE)` of the main pass. `carry` is `r_{start-1} P_{start-1}`;
/// returns the carry into the next tile. Reads the exact backward `Y` at the block starts from
/// `out` (left there by [`backward_prepass`]) before overwriting them.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn tile_apply<T: Real, X: Source<T>>(
    part: Part,
    d: &[T],
    r: &[T],
    s: &[T],
    x: X,
    out: &mut [T],
    start: usize,
    carry: T::Acc,
) -> T::Acc {
    let n = out.len();
    let zero = <T::Acc as Real>::ZERO;
    let d = &d[start..start + TILE];
    let x = Offset { x, start };
    // Backward carries into every block: s_{end-1} * Y(end).
    let mut cb = [zero; LANES];
    if part.upper() {
        for l in 0..LANES {
            let end = start + (l + 1) * BLOCK;
            if end < n {
                cb[l] = s[end - 1].acc() * out[end].acc();
            }
        }
    }
    let out = &mut out[start..start + TILE];
    // Ratios r_i for i in the tile: the last one (r_{start+TILE-1}) links to the next tile and
    // does not exist at the end of the array.
    let rt = &r[start.min(r.len())..(start + TILE).min(r.len())];
    let st = &s[start.min(s.len())..(start + TILE).min(s.len())];

    // 1. forward local sweeps (zero carry), all lanes in lock-step; P_loc kept in `out`.
    let mut p_end = [zero; LANES];
    if part.lower() {
        let mut p = [zero; LANES];
        for l in 0..LANES {
            let i = l * BLOCK;
            p[l] = d[i].acc() * x.at(i).acc();
            out[i] = T::from_acc(p[l]);
        }
        for t in 1..BLOCK {
            for l in 0..LANES {
                let i = l * BLOCK + t;
                p[l] = rt[i - 1].acc() * p[l] + d[i].acc() * x.at(i).acc();
                out[i] = T::from_acc(p[l]);
            }
        }
        p_end = p;
    } else {
        for (i, (o, &di)) in out.iter_mut().zip(d).enumerate() {
            *o = T::from_acc(di.acc() * x.at(i).acc());
        }
    }

    // 2. forward carries across the lanes: c_{l+1} = r_{end_l - 1} (P_loc(end_l - 1) + w_end c_l).
    let mut c = [zero; LANES];
    let mut next = zero;
    if part.lower() {
        let mut cl = carry;
        for l in 0..LANES {
            c[l] = cl;
            let b = l * BLOCK;
            let w_end = product(&rt[b..b + BLOCK - 1]);
            let p_true = p_end[l] + w_end * cl;
            let link = b + BLOCK - 1;
            cl = if link < rt.len() {
                rt[link].acc() * p_true
            } else {
                zero
            };
        }
        next = cl;
    }

    // 3. backward sweeps seeded with the exact carries: out_i += d_i W_i.
    if part.upper() {
        let mut y = [zero; LANES];
        for l in 0..LANES {
            let i = l * BLOCK + BLOCK - 1;
            let w = cb[l];
            y[l] = x.at(i).acc() + w;
            out[i] = T::from_acc(out[i].acc() + d[i].acc() * w);
        }
        for t in (0..BLOCK - 1).rev() {
            for l in 0..LANES {
                let i = l * BLOCK + t;
                let w = st[i].acc() * y[l];
                y[l] = x.at(i).acc() + w;
                out[i] = T::from_acc(out[i].acc() + d[i].acc() * w);
            }
        }
    }

    // 4. forward fix-up: out_i += w_i c_l with w_i = prod_{k=start_l}^{i-1} r_k.
    if part.lower() {
        let mut e = c;
        for t in 0..BLOCK {
            for l in 0..LANES {
                let i = l * BLOCK + t;
                out[i] = T::from_acc(out[i].acc() + e[l]);
                if t + 1 < BLOCK {
                    e[l] *= rt[i].acc();
                }
            }
        }
    }
    next
}
