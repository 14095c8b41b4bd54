"""Fast W1 optimal transport and FP16 attention diagnostics from NumPy.

Two submodules, each a thin layer over a Rust crate of this repository:

- :mod:`pasa_sinkhorn.ot` -- ``emd2``, ``sinkhorn2`` and ``wasserstein_1d``, named and
  shaped like POT's and SciPy's, with O(N)-per-iteration Sinkhorn solvers for the W1
  cost on sorted 1D supports and 2D L1 grids (crate ``sinkhorn``).
- :mod:`pasa_sinkhorn.attention` -- emulated FP16 Flash Attention and PASA, and a report
  of overflows and errors against an f64 reference (crate ``pasa-core``).
- :mod:`pasa_sinkhorn.distributed` -- ``pairwise``: W1 or Sinkhorn distance matrices
  over many histograms, on all local cores or a Dask cluster (optional extra ``dask``).

Errors: bad input raises :class:`ValueError` (:class:`TypeError` for a dtype that is
not real), a solve that does not converge raises :class:`ConvergenceError` (a
:class:`RuntimeError`), a problem too large for the kernels raises
:class:`SizeLimitError` (a :class:`ValueError`). No function returns a number it did
not converge to.

>>> import numpy as np
>>> import pasa_sinkhorn as ps
>>> a = np.array([0.5, 0.5, 0.0])
>>> b = np.array([0.0, 0.5, 0.5])
>>> ps.ot.emd2(a, b)
1.0
"""

from . import attention, distributed, ot
from ._native import ConvergenceError, SizeLimitError

__all__ = ["ConvergenceError", "SizeLimitError", "attention", "distributed", "ot"]
