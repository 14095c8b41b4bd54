"""Type stubs of the compiled module (crate ``pasa-sinkhorn-py``); the public API, with
its documentation, is :mod:`pasa_sinkhorn.ot` and :mod:`pasa_sinkhorn.attention`."""

import os
from typing import Any, Dict, List, Optional, Tuple, Union, type_check_only

import numpy as np
from numpy.typing import ArrayLike, NDArray
from typing_extensions import TypedDict, Unpack

class ConvergenceError(RuntimeError): ...
class SizeLimitError(ValueError): ...

SINKHORN_METHODS: List[str]
ATTENTION_VARIANTS: List[str]

def emd2(
    a: ArrayLike,
    b: ArrayLike,
    x: Optional[ArrayLike] = None,
    grid: Optional[Tuple[ArrayLike, ArrayLike]] = None,
) -> Union[float, NDArray[np.float64]]: ...
def sinkhorn2(
    a: ArrayLike,
    b: ArrayLike,
    reg: float,
    x: Optional[ArrayLike] = None,
    grid: Optional[Tuple[ArrayLike, ArrayLike]] = None,
    method: str = "sinkhorn",
    num_iter_max: Optional[int] = None,
    stop_thr: float = 1e-9,
    log: bool = False,
) -> Any: ...
def wasserstein_1d(
    u_values: ArrayLike,
    v_values: ArrayLike,
    u_weights: Optional[ArrayLike] = None,
    v_weights: Optional[ArrayLike] = None,
) -> float: ...
def attention(
    q: NDArray[Any],
    k: NDArray[Any],
    v: NDArray[Any],
    variant: str = "pasa",
    causal: bool = False,
    scale: Optional[float] = None,
    block_q: int = 128,
    block_k: int = 128,
) -> NDArray[np.float64]: ...
def overflow_report(
    q: NDArray[Any],
    k: NDArray[Any],
    v: NDArray[Any],
    causal: bool = False,
    scale: Optional[float] = None,
    block_q: int = 128,
    block_k: int = 128,
) -> Dict[str, Any]: ...
def load(
    path: Union[str, os.PathLike[str]],
) -> Union[Dict[str, NDArray[np.float64]], NDArray[np.float64]]: ...

PAIRWISE_METHODS: List[str]

# The pairwise functions take their options by keyword only, as
# `distributed.pairwise`; the defaults are method="emd" and None for the others.
@type_check_only
class _PairwiseOptions(TypedDict, total=False):
    x: Optional[ArrayLike]
    grid: Optional[Tuple[ArrayLike, ArrayLike]]
    method: str
    reg: Optional[float]

@type_check_only
class _PairwiseSolveOptions(_PairwiseOptions, total=False):
    threads: Optional[int]

def pairwise_check(
    histograms: ArrayLike,
    other: Optional[ArrayLike] = None,
    **options: Unpack[_PairwiseOptions],
) -> None: ...
def pairwise_pdist(
    histograms: ArrayLike, **options: Unpack[_PairwiseSolveOptions]
) -> NDArray[np.float64]: ...
def pairwise_cdist(
    a: ArrayLike, b: ArrayLike, **options: Unpack[_PairwiseSolveOptions]
) -> NDArray[np.float64]: ...
