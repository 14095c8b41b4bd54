"""Distance matrices over many histograms: W1 or Sinkhorn costs between every pair,
on all local cores or on a Dask cluster, with the same numbers either way.

The workload that outgrows one machine is not one big transport problem but all
pairwise distances over a collection (10^4 histograms is 5 x 10^7 problems). This module
computes them as SciPy's ``pdist``/``cdist`` would, with histograms in rows:

- ``pairwise(H)``: the ``(k, k)`` symmetric matrix (zero diagonal) of costs between the
  rows of ``H``, or SciPy's condensed vector with ``condensed=True``;
- ``pairwise(A, B)``: the ``(len(A), len(B))`` matrix, as ``cdist``.

``H`` has shape ``(k, n)`` for histograms on a sorted 1D support ``x`` (default
``0, 1, ..., n-1``) or ``(k, n0, n1)`` on a grid ``grid = (rows, cols)`` (default unit
spacing), the L1 ground cost. ``method="emd"`` is the exact W1 (the CDF formula on a
line, a certified min-cost flow on a grid); ``"sinkhorn"``, ``"sinkhorn_log"`` and
``"sinkhorn_stabilized"`` are :func:`pasa_sinkhorn.ot.sinkhorn2`'s transport costs with
POT's absolute ``reg``.

Each pair ``(i, j)`` is one independent problem, solved with ``a = H[i]``, ``b = H[j]``
(``i < j`` for a single collection) by the same code on every path, so the matrix is bit
for bit the same on one core, on all cores, or on a cluster. Every histogram is
validated before any work: a bad one raises :class:`ValueError` naming its row
(``histograms[17] is not a valid histogram: ...``).

With ``client`` (a ``dask.distributed.Client``; install with
``pip install pasa-sinkhorn[dask]``), the matrix is split into square blocks of about
``TARGET_SECONDS`` of one core's work each (from a timed probe of a few problems, or
``block`` rows per side; smaller when needed to make at least about four blocks per
worker thread), the histograms are scattered to every worker once, and one
task per block runs on one core of a worker (give workers as many threads as cores).
A worker that dies mid-run has its blocks recomputed by Dask on another; the result is
unchanged. Without ``client``, everything runs in this process on all cores (rayon,
GIL released).

>>> import numpy as np
>>> from pasa_sinkhorn.distributed import pairwise
>>> H = np.eye(3)
>>> pairwise(H)
array([[0., 1., 2.],
       [1., 0., 1.],
       [2., 1., 0.]])
>>> pairwise(H, condensed=True)
array([1., 2., 1.])
"""

from __future__ import annotations

import math
import time
from typing import Any, List, Optional, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _native

__all__ = ["pairwise", "TARGET_SECONDS"]

#: Seconds of one core's work a Dask task aims at: long enough that the scheduler's
#: per-task overhead (about a millisecond) is negligible, short enough that a lost
#: worker costs little to redo and that blocks balance over the workers.
TARGET_SECONDS = 2.0

#: How many times the client asks for a batch of finished blocks when the transfer fails
#: (see ``_gather``).
GATHER_ATTEMPTS = 3

_Range = Tuple[int, int]


def pairwise(
    histograms: ArrayLike,
    other: Optional[ArrayLike] = None,
    *,
    x: Optional[ArrayLike] = None,
    grid: Optional[Tuple[ArrayLike, ArrayLike]] = None,
    method: str = "emd",
    reg: Optional[float] = None,
    client: Any = None,
    block: Optional[int] = None,
    condensed: bool = False,
) -> NDArray[np.float64]:
    """Costs between every pair of rows: ``pdist``/``squareform`` or ``cdist``-shaped.

    Parameters
    ----------
    histograms : array ``(k, n)`` or ``(k, n0, n1)``
        One histogram per row (non-negative, finite, equal totals within 1e-6).
    other : array of the same histogram shape, optional
        A second collection: the result is ``(len(histograms), len(other))``.
    x, grid : the support (as :func:`pasa_sinkhorn.ot.emd2`).
    method : ``"emd"`` (exact W1), ``"sinkhorn"``, ``"sinkhorn_log"`` or
        ``"sinkhorn_stabilized"`` (Sinkhorn transport cost, needs ``reg``).
    reg : float, POT's absolute entropic regularisation for the Sinkhorn methods.
    client : ``dask.distributed.Client``, optional
        Run the blocks on this cluster; ``None`` runs on all local cores.
    block : int, optional
        Rows (and columns) per block on a cluster; default from a timed probe so that a
        block takes about :data:`TARGET_SECONDS` on one core.
    condensed : bool
        Return SciPy's condensed vector (``i < j`` in row order) instead of the square
        matrix; only without ``other``.

    Returns
    -------
    The square symmetric matrix with a zero diagonal (one collection; for the Sinkhorn
    methods, whose cost of a histogram with itself is positive, use
    ``pairwise(H, H)`` to get that diagonal), the condensed vector, or the
    ``(len(histograms), len(other))`` matrix.

    Raises
    ------
    ValueError
        A bad histogram (its row named), a shape, an option; raised before any cluster
        work.
    pasa_sinkhorn.ConvergenceError
        A Sinkhorn solve that did not converge (the pair named).
    """
    h = _real(histograms, "histograms")
    o = None if other is None else _real(other, "other")
    if condensed and o is not None:
        raise ValueError("condensed=True is for one collection; leave out other")
    if block is not None and (int(block) != block or block < 1):
        raise ValueError(f"block = {block!r}; give a positive number of rows")
    _native.pairwise_check(h, o, x=x, grid=grid, method=method, reg=reg)
    if x is not None:
        x = _real(x, "x")
    if grid is not None:
        grid = tuple(_real(axis, "grid axis") for axis in grid)
    solve = dict(x=x, grid=grid, method=method, reg=reg)
    if client is None:
        if o is not None:
            return _native.pairwise_cdist(h, o, **solve)
        d = _native.pairwise_pdist(h, **solve)
        return d if condensed else _square(d, len(h))
    return _on_cluster(client, h, o, solve, block, condensed)


def _real(values: ArrayLike, name: str) -> NDArray[np.float64]:
    """``values`` as a C-contiguous float64 array (the copy scattered to workers);
    complex, string and object data are a :class:`TypeError`, never a silent cast."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{name} has dtype {array.dtype}; give an array of real numbers")
    return np.ascontiguousarray(array, dtype=np.float64)


def _square(d: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """SciPy's ``squareform`` of a condensed vector: symmetric, zero diagonal."""
    full = np.zeros((k, k))
    iu = np.triu_indices(k, 1)
    full[iu] = d
    full.T[iu] = d
    return full


def _condense(full: NDArray[np.float64]) -> NDArray[np.float64]:
    return full[np.triu_indices(len(full), 1)]


def _ranges(k: int, side: int) -> List[_Range]:
    return [(s, min(s + side, k)) for s in range(0, k, side)]


def _block_side(h, o, solve, block) -> int:
    """Rows per block side: ``block``, or ``sqrt(TARGET_SECONDS / seconds per problem)``
    from a timed probe on one core (doubling the probe until it takes 50 ms)."""
    if block is not None:
        return int(block)
    b = h if o is None else o
    if len(h) == 0 or len(b) == 0:
        return 1
    count, elapsed = 1, 0.0
    while True:
        cols = b[np.arange(count) % len(b)]
        start = time.perf_counter()
        _native.pairwise_cdist(h[:1], cols, threads=1, **solve)
        elapsed = time.perf_counter() - start
        if elapsed >= 0.05 or count >= 4096:
            break
        count *= 2
    per_problem = max(elapsed / count, 1e-9)
    return max(1, int(math.sqrt(TARGET_SECONDS / per_problem)))


def _pdist_block(h, rows: _Range, cols: _Range, solve) -> NDArray[np.float64]:
    """One block of the square matrix of a single collection (a Dask task, one core):
    a diagonal block by ``pdist`` (each pair once, ``i < j``), others by ``cdist``."""
    a = h[rows[0] : rows[1]]
    if rows == cols:
        return _square(_native.pairwise_pdist(a, threads=1, **solve), len(a))
    b = h[cols[0] : cols[1]]
    return _native.pairwise_cdist(a, b, threads=1, **solve)


def _cdist_block(h, o, rows: _Range, cols: _Range, solve) -> NDArray[np.float64]:
    """One block of ``cdist(h, o)`` (a Dask task, one core)."""
    a, b = h[rows[0] : rows[1]], o[cols[0] : cols[1]]
    return _native.pairwise_cdist(a, b, threads=1, **solve)


def _gather(client, futures):
    """``client.gather(futures)``, asked again when the transfer itself fails.

    Results are not taken from ``as_completed(..., with_results=True)``: when the
    transfer of one result fails inside the client's event loop, that future never
    reaches the iterator and the loop waits forever (dask/distributed#7331; seen here as
    an ``AssertionError`` in tornado's ``IOStream`` after 15 minutes of 64 x 64 images
    on two cores). A direct gather raises instead, and since the workers still hold the
    results, a failed transfer is retried up to ``GATHER_ATTEMPTS`` times before the
    error reaches the caller. A task's own error is raised at once.
    """
    for _ in range(GATHER_ATTEMPTS - 1):
        try:
            return client.gather(futures)
        except (AssertionError, OSError):
            pass
    return client.gather(futures)


def _on_cluster(client, h, o, solve, block, condensed) -> NDArray[np.float64]:
    side = _block_side(h, o, solve, block)
    if block is None:
        # At least ~4 blocks per worker thread, so that the unequal blocks of a triangle
        # (diagonal ones hold half the pairs) balance over the cluster.
        threads = max(1, sum(client.nthreads().values()))
        per_side = math.ceil(math.sqrt(8 * threads))
        side = min(side, max(1, math.ceil(len(h) / per_side)))
    rows = _ranges(len(h), side)
    out = np.zeros((len(h), len(h) if o is None else len(o)))
    if out.size == 0:
        return _condense(out) if condensed else out
    # Scatter once: every task refers to the same copy on its worker.
    # hash=False: a unique key per call (a hashed key shared with a previous call on the
    # same data can be released by that call while this one still needs it).
    hf = client.scatter(h, broadcast=True, hash=False)
    if o is None:
        tasks = [(r, c) for i, r in enumerate(rows) for c in rows[i:]]
        futures = [
            client.submit(_pdist_block, hf, r, c, solve, pure=False) for r, c in tasks
        ]
    else:
        of = client.scatter(o, broadcast=True, hash=False)
        tasks = [(r, c) for r in rows for c in _ranges(len(o), side)]
        futures = [
            client.submit(_cdist_block, hf, of, r, c, solve, pure=False)
            for r, c in tasks
        ]
    # Assemble the blocks as they arrive and release them, so that the client holds the
    # matrix once rather than the matrix and every block.
    from distributed import as_completed

    where = {f.key: task for f, task in zip(futures, tasks)}
    for batch in as_completed(futures).batches():
        for future, values in zip(batch, _gather(client, batch)):
            r, c = where[future.key]
            out[r[0] : r[1], c[0] : c[1]] = values
            if o is None and r != c:
                out[c[0] : c[1], r[0] : r[1]] = values.T
            future.release()
    if o is None and condensed:
        return _condense(out)
    return out
