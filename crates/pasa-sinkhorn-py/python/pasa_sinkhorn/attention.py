"""Will FP16 attention overflow on these Q, K, V, and how wrong is each kernel?

Bit-faithful emulation of FP16 Flash Attention and PASA (online pseudo-average shifting
attention, arXiv:2503.01873) from crate ``pasa-core``, on NumPy arrays of shape
``(heads, seq, dim)`` or ``(batch, heads, seq, dim)``. Inputs are float16 (read as they
are) or float32/float64 (rounded once to float16, as an FP16 kernel would read them);
K and V may have fewer heads than Q (grouped-query attention). The softmax scale
defaults to ``1 / sqrt(dim)``.

Variants (``VARIANTS``, pasa-core's preset names): ``"fp32-softmax"``, ``"fp16"`` (naive
FP16 Flash Attention), ``"fp16-hmma"``, ``"pasa"`` (the PASA authors' algorithm),
``"pasa-hybrid"`` (theirs with FP32 vector stages), our variants ``"pasa-absolute"``,
``"pasa-first-block"``, ``"pasa-key-means"``, ``"pasa-absolute-fp32-stats"``, and
``"pasa-f64"``, ``"fa-f64"``; :func:`attention` also takes ``"reference"`` (f64).
"""

from __future__ import annotations

import os
from typing import Any, Dict, Optional, Union

import numpy as np
from numpy.typing import NDArray

from . import _native

__all__ = ["VARIANTS", "attention", "load", "overflow_report"]

#: Every kernel variant, by name (the order of :func:`overflow_report`'s ``variants``).
VARIANTS: tuple = tuple(_native.ATTENTION_VARIANTS)

Array = NDArray[Union[np.float16, np.float32, np.float64]]


def attention(
    q: Array,
    k: Array,
    v: Array,
    variant: str = "pasa",
    *,
    causal: bool = False,
    scale: Optional[float] = None,
    block_q: int = 128,
    block_k: int = 128,
) -> NDArray[np.float64]:
    """Output of the emulated kernel ``variant`` (or the f64 ``"reference"``).

    Returns an array of the shape of ``q`` with ``v``'s last dimension, in float64
    (the kernel's output values widened exactly). Overflowed outputs are ``inf`` or
    ``nan``, as on the hardware.

    ``causal`` aligns queries to the end of the keys (query ``i`` sees keys
    ``j <= i + seq_k - seq_q``); ``block_q`` and ``block_k`` are the tile sizes (PASA's
    shifting matrix is ``block_k x block_k``).

    Raises
    ------
    ValueError
        Shapes that do not match, an empty dimension, non-finite inputs (also values
        beyond float16's 65504), an unknown variant, a zero block size.
    TypeError
        An array that is not float16, float32 or float64.
    SizeLimitError
        A ``block_k`` whose tiles would exceed 2^30 elements.

    Examples
    --------
    >>> import numpy as np
    >>> from pasa_sinkhorn.attention import attention
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = (rng.standard_normal((2, 64, 16)).astype(np.float16) for _ in range(3))
    >>> out = attention(q, k, v, "pasa")
    >>> ref = attention(q, k, v, "reference")
    >>> out.shape, bool(np.abs(out - ref).max() < 1e-2)
    ((2, 64, 16), True)
    """
    return _native.attention(q, k, v, variant, causal, scale, block_q, block_k)


def overflow_report(
    q: Array,
    k: Array,
    v: Array,
    *,
    causal: bool = False,
    scale: Optional[float] = None,
    block_q: int = 128,
    block_k: int = 128,
) -> Dict[str, Any]:
    """Every variant's FP16 overflows and error against f64: ``cargo xtask validate --input``.

    The same computation as that command (``pasa_core::overflow_report``, one call): the
    f64 reference attention is computed from the values of ``q``, ``k``, ``v`` as given
    (float32 values beyond float16's 65504 are allowed: their overflow in the cast is part
    of the answer), and every variant runs on their float16 rounding. The dict has the
    field names of the command's ``--json`` answer for one layer:

    - ``shape``: (batch, heads, kv_heads, seq_q, seq_k, head_dim, value_dim);
    - ``max_abs_score``: largest |scale q . k| in f64 (above 65504 naive FP16 overflows);
    - ``inputs_beyond_f16`` (values that round to inf in float16), ``max_abs_input``,
      ``rms_reference`` (RMS of the f64 output), ``rms_v``;
    - ``variants``: a dict by name, in the order of ``VARIANTS``, of ``authors`` (the PASA
      authors' algorithm), ``finite``, ``non_finite`` of ``total`` outputs,
      ``max_abs_score`` (largest |score| the variant's matrix unit wrote; for PASA the
      shifted scores), ``score_non_finite``, ``beta`` (PASA's, else ``None``), ``rmse``,
      ``rel_rmse`` (RMSE / RMS(reference)), ``rel_rmse_v`` (RMSE / RMS(V)) and
      ``max_abs_error``, errors over the finite outputs (``nan`` when none is finite).

    NumPy has no bfloat16: a bf16 file analysed by the command selects the authors' bf16
    beta, which this function (given float32 values) does not.

    Raises
    ------
    ValueError
        Shapes that do not match, an empty dimension, NaN or infinite values, a zero
        block size, a causal layout with query rows that see no key.
    TypeError
        An array that is not float16, float32 or float64.
    SizeLimitError
        A ``block_k`` whose tiles would exceed 2^30 elements.

    Examples
    --------
    >>> import numpy as np
    >>> from pasa_sinkhorn.attention import overflow_report
    >>> rng = np.random.default_rng(7)
    >>> q = (100 + 4 * rng.standard_normal((1, 256, 64))).astype(np.float16)
    >>> k = (100 + 4 * rng.standard_normal((1, 256, 64))).astype(np.float16)
    >>> v = rng.standard_normal((1, 256, 64)).astype(np.float16)
    >>> report = overflow_report(q, k, v)
    >>> report["max_abs_score"] > 65504  # scores ~8e4 overflow FP16
    True
    >>> report["variants"]["fp16"]["finite"], report["variants"]["fp16"]["score_non_finite"] > 0
    (False, True)
    >>> pasa = report["variants"]["pasa"]  # the authors' PASA: no overflow
    >>> pasa["authors"], pasa["finite"], pasa["score_non_finite"]
    (True, True, 0)
    >>> report["variants"]["pasa-key-means"]["rel_rmse"] < 1e-3
    True
    """
    return _native.overflow_report(q, k, v, causal, scale, block_q, block_k)


def load(path: Union[str, os.PathLike]) -> Union[Dict[str, NDArray[np.float64]], NDArray[np.float64]]:
    """Tensors of a ``.safetensors`` file (a dict by name) or the array of a ``.npy`` file.

    Values are the file's own (f16, bf16, f32 or f64) widened exactly to float64, of shape
    ``(batch, heads, seq, dim)`` (a file's ``(seq, dim)`` and ``(heads, seq, dim)`` get
    leading 1s): what ``cargo xtask validate --input`` reads, so that
    :func:`overflow_report` gives its answer (the kernels of :func:`attention` round them
    to float16 once). For a safetensors file holding just ``q``, ``k`` and ``v`` the
    report is one line, ``overflow_report(**load(path))``; otherwise pick them by name.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Not a ``.safetensors`` or ``.npy`` file, unreadable, or an unsupported dtype or
        rank.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from pasa_sinkhorn.attention import load
    >>> path = os.path.join(tempfile.mkdtemp(), "q.npy")
    >>> np.save(path, np.ones((2, 8, 4), dtype=np.float32))
    >>> q = load(path)
    >>> q.shape, q.dtype
    ((1, 2, 8, 4), dtype('float64'))
    """
    return _native.load(os.fspath(path))
