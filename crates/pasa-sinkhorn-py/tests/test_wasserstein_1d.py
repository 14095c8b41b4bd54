"""wasserstein_1d: SciPy's `wasserstein_distance` semantics (raw unsorted samples,
repeats, optional unnormalised weights), against SciPy and POT.
The binding calls the Rust `sinkhorn::wasserstein_1d`; nothing is re-implemented in Python.
"""

import numpy as np
import ot
import pytest
import scipy.stats

from conftest import rel
from pasa_sinkhorn.ot import wasserstein_1d

RTOL = 1e-12  # as emd2: sums of n rounded terms, n * 2^-52 << 1e-12


@pytest.mark.parametrize("n, m", [(1, 1), (5, 3), (200, 301)])
def test_unsorted_samples_match_scipy_and_pot(rng, n, m):
    u, v = rng.normal(0, 1, n), rng.normal(0.5, 2, m)
    got = wasserstein_1d(u, v)
    assert rel(got, scipy.stats.wasserstein_distance(u, v)) < RTOL
    assert rel(got, ot.wasserstein_1d(u, v, p=1)) < RTOL


def test_repeats_and_weights_match_scipy(rng):
    u = rng.integers(0, 10, 50).astype(float)  # many repeats
    v = rng.integers(3, 12, 40).astype(float)
    uw, vw = rng.random(50) * 3, rng.random(40)  # unnormalised
    got = wasserstein_1d(u, v, uw, vw)
    assert rel(got, scipy.stats.wasserstein_distance(u, v, uw, vw)) < RTOL


def test_identical_samples_are_at_distance_zero(rng):
    u = rng.normal(size=30)
    assert wasserstein_1d(u, rng.permutation(u)) == 0.0


@pytest.mark.parametrize(
    "args",
    [
        ([], [1.0]),
        ([np.nan], [1.0]),
        ([1.0, 2.0], [1.0], [1.0, -1.0]),
        ([1.0, 2.0], [1.0], [0.0, 0.0]),
        ([1.0, 2.0], [1.0], [1.0]),
    ],
    ids=["empty", "nan", "negative weight", "zero weights", "weights length"],
)
def test_bad_samples_raise_value_error(args):
    with pytest.raises(ValueError):
        wasserstein_1d(*args)
