"""emd2 (exact W1) against POT's network simplex (`ot.emd2` on the dense |x - y| or L1
cost matrix), `ot.wasserstein_1d` and `scipy.stats.wasserstein_distance`.

Tolerance 1e-12 relative (issue 17): the line formula sums n terms
|A_i - B_i| (x_{i+1} - x_i), each within a few ulps, so its rounding error is at most
~n * 2^-52 relative = 2e-13 for n <= 1000; POT's simplex cost is a sum of n^2 products
with the same bound. On grids our min-cost flow accumulates one rounding per
augmentation (< n) and per edge.
"""

import numpy as np
import ot
import pytest
import scipy.stats

from conftest import grid_cost, histogram, line_cost, rel, sorted_support
from pasa_sinkhorn.ot import emd2, sinkhorn2

RTOL = 1e-12


@pytest.mark.parametrize("n", [1, 2, 7, 100, 1001])
def test_uniform_line_matches_pot(rng, n):
    a, b = histogram(rng, n), histogram(rng, n)
    x = np.arange(n, dtype=float)
    expected = ot.emd2(a, b, line_cost(x))
    got = emd2(a, b)  # default support 0, 1, ..., n - 1
    assert isinstance(got, float)
    if n == 1:
        assert got == 0.0
    else:
        assert rel(got, expected) < RTOL


@pytest.mark.parametrize("n", [3, 50, 400])
@pytest.mark.parametrize("zeros", [0.0, 0.5])
def test_non_uniform_line_matches_pot_and_scipy(rng, n, zeros):
    a, b = histogram(rng, n, zeros), histogram(rng, n, zeros)
    x = sorted_support(rng, n)
    got = emd2(a, b, x=x)
    assert rel(got, ot.emd2(a, b, line_cost(x))) < RTOL
    assert rel(got, ot.wasserstein_1d(x, x, a, b, p=1)) < RTOL
    assert rel(got, scipy.stats.wasserstein_distance(x, x, a, b)) < RTOL


@pytest.mark.parametrize("shape", [(1, 5), (5, 7), (8, 8), (13, 9)])
def test_grid_matches_pot(rng, shape):
    a, b = histogram(rng, shape, 0.3), histogram(rng, shape, 0.3)
    rows, cols = sorted_support(rng, shape[0]), sorted_support(rng, shape[1])
    expected = ot.emd2(a.ravel(), b.ravel(), grid_cost(rows, cols))
    assert rel(emd2(a, b, grid=(rows, cols)), expected) < RTOL


def test_grid_default_spacing_is_unit(rng):
    a, b = histogram(rng, (6, 4)), histogram(rng, (6, 4))
    expected = ot.emd2(a.ravel(), b.ravel(), grid_cost(np.arange(6.0), np.arange(4.0)))
    assert rel(emd2(a, b), expected) < RTOL


def test_batch_of_targets_matches_one_solve_per_column(rng):
    n, k = 40, 9
    a, bs = histogram(rng, n), np.stack([histogram(rng, n) for _ in range(k)], axis=1)
    x = sorted_support(rng, n)
    got = emd2(a, bs, x=x)
    assert got.shape == (k,) and got.dtype == np.float64
    for j in range(k):
        assert rel(got[j], ot.emd2(a, bs[:, j].copy(), line_cost(x))) < RTOL


def test_fortran_ordered_batch_gives_the_values_of_a_c_ordered_one(rng):
    # Columns of a Fortran-ordered batch are contiguous and read in place (no copy); a
    # C-ordered batch's columns are gathered: both paths give the same bits.
    n, k = 31, 6
    a, bs = histogram(rng, n), np.stack([histogram(rng, n) for _ in range(k)], axis=1)
    x = sorted_support(rng, n)
    want = emd2(a, bs, x=x)
    np.testing.assert_array_equal(emd2(a, np.asfortranarray(bs), x=x), want)
    np.testing.assert_array_equal(emd2(np.asfortranarray(np.stack([a] * k, axis=1)), bs, x=x), want)
    np.testing.assert_array_equal(
        sinkhorn2(a, np.asfortranarray(bs), 0.1, x=x), sinkhorn2(a, bs, 0.1, x=x)
    )


def test_batch_of_pairs_and_batch_on_a_grid(rng):
    n, k = 30, 4
    a_s = np.stack([histogram(rng, n) for _ in range(k)], axis=1)
    b_s = np.stack([histogram(rng, n) for _ in range(k)], axis=1)
    x = np.arange(n, dtype=float)
    got = emd2(a_s, b_s, x=x)
    want = [ot.emd2(a_s[:, j].copy(), b_s[:, j].copy(), line_cost(x)) for j in range(k)]
    np.testing.assert_allclose(got, want, rtol=RTOL)
    ga = histogram(rng, (5, 6))
    gb = np.stack([histogram(rng, (5, 6)) for _ in range(k)], axis=2)
    got = emd2(ga, gb)
    cost = grid_cost(np.arange(5.0), np.arange(6.0))
    want = [ot.emd2(ga.ravel(), gb[:, :, j].ravel(), cost) for j in range(k)]
    np.testing.assert_allclose(got, want, rtol=RTOL)


def test_inputs_are_converted_once_and_left_untouched(rng):
    n = 25
    a, b = histogram(rng, n), histogram(rng, n)
    want = emd2(a, b)
    # Lists, float32, integer counts, strided and read-only arrays give the same value as
    # the float64 arrays they convert to.
    assert emd2(list(a), list(b)) == want
    counts_a, counts_b = rng.integers(0, 5, n), rng.integers(0, 5, n)
    counts_b[0] += counts_a.sum() - counts_b.sum()
    if counts_b[0] < 0:
        counts_a[0] -= counts_b[0]
        counts_b[0] = 0
    assert emd2(counts_a, counts_b) == emd2(counts_a.astype(float), counts_b.astype(float))
    wide = np.stack([a, b], axis=1)  # columns are strided views
    assert emd2(wide[:, 0], wide[:, 1]) == want
    frozen = a.copy()
    frozen.flags.writeable = False
    assert emd2(frozen, b) == want
    f32a, f32b = a.astype(np.float32), b.astype(np.float32)
    assert emd2(f32a, f32b) == emd2(f32a.astype(np.float64), f32b.astype(np.float64))
    before = a.copy()
    emd2(a, b)
    np.testing.assert_array_equal(a, before)


def test_large_line_is_exact_against_scipy(rng):
    n = 1_000_000
    x = np.sort(rng.uniform(-1e3, 1e3, n))
    x = x[np.concatenate([[True], np.diff(x) > 0])]
    a, b = histogram(rng, len(x)), histogram(rng, len(x))
    # SciPy sorts and sums in its own order: agreement to 1e-9 (n * 2^-52 = 2e-10).
    assert rel(emd2(a, b, x=x), scipy.stats.wasserstein_distance(x, x, a, b)) < 1e-9
