"""Shared inputs of the pytest suite: seeded random histograms, supports and cost
matrices for the dense POT/SciPy references; and the GIL-release probe."""

import threading
import time

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261203)


def histogram(rng, shape, zeros=0.0):
    """A random histogram summing to 1; a fraction `zeros` of its entries are 0."""
    h = rng.random(shape) + 0.01
    if zeros:
        h[rng.random(shape) < zeros] = 0.0
        h.flat[0] += 0.5  # at least one positive mass
    return h / h.sum()


def sorted_support(rng, n, spread=10.0):
    """n strictly increasing points with random (non-uniform) gaps, starting anywhere."""
    return rng.uniform(-5, 5) + np.cumsum(rng.uniform(0.01, 1.0, n)) * spread / n


def line_cost(x):
    """POT's cost matrix for W1 on a line: |x_i - x_j|."""
    return np.abs(x[:, None] - x[None, :])


def grid_cost(rows, cols):
    """L1 cost between cells (i, j) of the tensor grid, row-major like the histograms."""
    r = np.repeat(rows, len(cols))
    c = np.tile(cols, len(rows))
    return np.abs(r[:, None] - r[None, :]) + np.abs(c[:, None] - c[None, :])


def rel(x, y):
    return abs(x - y) / abs(y)


def count_while(work):
    """Runs ``work()`` in a thread while this thread counts loop turns; returns (seconds
    ``work`` took, the count). Were the GIL held through ``work``'s native call, the count
    could only advance in the moments before and after it; a counting loop runs > 1e6
    times a second, so with the GIL free a call of > 50 ms lets it pass 10,000."""
    seconds = []

    def timed():
        start = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - start)

    thread = threading.Thread(target=timed)
    count = 0
    thread.start()
    while thread.is_alive():
        count += 1
    thread.join()
    return seconds[0], count
