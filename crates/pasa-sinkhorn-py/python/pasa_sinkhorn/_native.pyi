"""Type stubs of the compiled module (crate ``pasa-sinkhorn-py``); the public API, with
its documentation, is :mod:`pasa_sinkhorn.ot` and :mod:`pasa_sinkhorn.attention`."""

import os
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

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

def pairwise_check(
    histograms: ArrayLike,
    other: Optional[ArrayLike] = None,
    x: Optional[ArrayLike] = None,
    grid: Optional[Tuple[ArrayLike, ArrayLike]] = None,
    method: str = "emd",
    reg: Optional[float] = None,
) -> None: ...
def pairwise_pdist(
    histograms: ArrayLike,
    x: Optional[ArrayLike] = None,
    grid: Optional[Tuple[ArrayLike, ArrayLike]] = None,
    method: str = "emd",
    reg: Optional[float] = None,
    threads: Optional[int] = None,
) -> NDArray[np.float64]: ...
def pairwise_cdist(
    a: ArrayLike,
    b: ArrayLike,
    x: Optional[ArrayLike] = None,
    grid: Optional[Tuple[ArrayLike, ArrayLike]] = None,
    method: str = "emd",
    reg: Optional[float] = None,
    threads: Optional[int] = None,
) -> NDArray[np.float64]: ...
