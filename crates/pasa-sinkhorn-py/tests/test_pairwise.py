"""pasa_sinkhorn.distributed.pairwise on the local path (no Dask needed): every entry is
bit for bit the one-at-a-time answer of ``ot.emd2`` / ``ot.sinkhorn2`` (the same Rust
code per problem, so equality is exact), agrees with SciPy's W1 to rounding, and bad
input fails before any work with the row named."""

import doctest
import subprocess
import sys

import numpy as np
import pytest
import scipy.stats

from conftest import count_while, histogram, sorted_support
from pasa_sinkhorn import ConvergenceError, distributed, ot
from pasa_sinkhorn.distributed import pairwise


def rows(rng, k, shape):
    return np.stack([histogram(rng, shape) for _ in range(k)])


def test_line_matches_emd2_bit_for_bit_and_scipy(rng):
    x = sorted_support(rng, 33)
    h = rows(rng, 7, 33)
    full = pairwise(h, x=x)
    want = np.array([[ot.emd2(h[i], h[j], x=x) for j in range(7)] for i in range(7)])
    upper = np.triu_indices(7, 1)
    assert np.array_equal(full[upper], want[upper])
    assert np.array_equal(full, full.T)
    assert np.all(np.diag(full) == 0.0)
    assert np.array_equal(pairwise(h, x=x, condensed=True), full[upper])
    # SciPy's W1 sums the CDF gaps in another order: rounding only (1e-12 relative is
    # ~1e4 ulps for 33-term sums of values below 1).
    scipy_w1 = [scipy.stats.wasserstein_distance(x, x, h[i], h[j]) for i, j in zip(*upper)]
    np.testing.assert_allclose(full[upper], scipy_w1, rtol=1e-12)


def test_cdist_matches_emd2_bit_for_bit_on_a_grid(rng):
    grid = (sorted_support(rng, 5), sorted_support(rng, 4))
    a, b = rows(rng, 3, (5, 4)), rows(rng, 4, (5, 4))
    got = pairwise(a, b, grid=grid)
    want = np.array([[ot.emd2(ai, bj, grid=grid) for bj in b] for ai in a])
    assert got.shape == (3, 4)
    assert np.array_equal(got, want)


@pytest.mark.parametrize("method", ["sinkhorn", "sinkhorn_log", "sinkhorn_stabilized"])
def test_sinkhorn_matches_sinkhorn2_bit_for_bit(rng, method):
    x = sorted_support(rng, 20)
    h = rows(rng, 4, 20)
    got = pairwise(h, h, x=x, method=method, reg=0.5)
    want = np.array(
        [[ot.sinkhorn2(hi, hj, 0.5, x=x, method=method) for hj in h] for hi in h]
    )
    assert np.array_equal(got, want)
    # The entropic cost of a histogram with itself is positive (pairwise(h) puts 0 there).
    assert np.all(np.diag(got) > 0.0)


def test_empty_and_single_row_collections(rng):
    assert pairwise(np.empty((0, 5))).shape == (0, 0)
    assert pairwise(np.empty((0, 5)), condensed=True).shape == (0,)
    one = rows(rng, 1, 5)
    assert np.array_equal(pairwise(one), np.zeros((1, 1)))
    assert pairwise(one, condensed=True).shape == (0,)
    assert pairwise(one, np.empty((0, 5))).shape == (1, 0)
    assert pairwise(np.empty((0, 3, 2)), rows(rng, 2, (3, 2))).shape == (0, 2)


def bad(rng, k, n, row, value):
    h = rows(rng, k, n)
    h[row, 1] = value
    return h


@pytest.mark.parametrize("value", [np.nan, np.inf, -0.1])
def test_a_bad_row_is_named(rng, value):
    with pytest.raises(ValueError, match=r"histograms\[3\] is not a valid histogram"):
        pairwise(bad(rng, 6, 8, 3, value))
    with pytest.raises(ValueError, match=r"other\[2\] is not a valid histogram"):
        pairwise(rows(rng, 2, 8), bad(rng, 4, 8, 2, value))


def test_unequal_mass_zero_mass_and_shapes(rng):
    h = rows(rng, 5, 6)
    h[4] *= 2.0
    with pytest.raises(ValueError, match=r"histograms\[4\].*total masses differ"):
        pairwise(h)
    h = rows(rng, 3, 6)
    h[1] = 0.0
    with pytest.raises(ValueError, match=r"histograms\[1\].*zero total mass"):
        pairwise(h)
    with pytest.raises(ValueError, match="expected"):
        pairwise(np.ones(5) / 5)
    with pytest.raises(ValueError, match="shapes"):
        pairwise(rows(rng, 2, 5), rows(rng, 2, 6))
    with pytest.raises(ValueError, match="condensed"):
        pairwise(rows(rng, 2, 5), rows(rng, 2, 5), condensed=True)
    with pytest.raises(ValueError, match="unknown method"):
        pairwise(rows(rng, 2, 5), method="emd3")
    with pytest.raises(ValueError, match="needs reg"):
        pairwise(rows(rng, 2, 5), method="sinkhorn")
    with pytest.raises(ValueError, match="only used by the Sinkhorn"):
        pairwise(rows(rng, 2, 5), reg=0.1)
    with pytest.raises(ValueError, match="block"):
        pairwise(rows(rng, 2, 5), block=0)
    with pytest.raises(ValueError, match="x has 4 points"):
        pairwise(rows(rng, 2, 5), x=np.arange(4.0))
    with pytest.raises(TypeError):
        pairwise(np.ones((2, 3), dtype=complex))


def test_a_failed_solve_names_its_pair(rng):
    h = rows(rng, 3, 50)
    # reg 1e-3 of a diameter-49 support in the standard domain: exp(-C/reg) underflows.
    with pytest.raises(ConvergenceError, match=r"histograms\[0\] and histograms\[1\]"):
        pairwise(h, method="sinkhorn", reg=1e-3)


class NoCluster:
    """A stand-in client that fails the test on any use: bad input must be refused
    before any cluster work."""

    def __getattr__(self, name):
        raise AssertionError(f"client.{name} used before the input was validated")


def test_bad_input_fails_before_any_cluster_work(rng):
    with pytest.raises(ValueError, match=r"histograms\[2\]"):
        pairwise(bad(rng, 5, 8, 2, np.nan), client=NoCluster())
    with pytest.raises(ValueError, match=r"other\[0\]"):
        pairwise(rows(rng, 3, 8), bad(rng, 2, 8, 0, -1.0), client=NoCluster())


def test_the_package_imports_and_runs_without_dask():
    code = (
        "import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None\n"
        "import numpy as np\n"
        "from pasa_sinkhorn.distributed import pairwise\n"
        "print(pairwise(np.eye(3), condensed=True).tolist())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[1.0, 2.0, 1.0]"


def test_docstring_examples_run():
    result = doctest.testmod(distributed, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= 3


def test_pairwise_releases_the_gil(rng):
    # The matrix is computed in a thread while this thread counts (count_while).
    h = rows(rng, 600, 1000)
    seconds, count = count_while(lambda: pairwise(h, condensed=True))
    # 179,700 problems at ~5 us each on one core: > 50 ms even on all cores, so with the
    # GIL free the count reaches 10,000.
    assert seconds > 0.05
    assert count > 10_000, (count, seconds)
