"""Every bad input raises before any work: ValueError (TypeError for a dtype that is not
real), with the message saying what is wrong; nothing returns NaN or a number."""

import numpy as np
import pytest

from pasa_sinkhorn.ot import emd2, sinkhorn2, wasserstein_1d

U = np.full(4, 0.25)
V = np.array([0.1, 0.2, 0.3, 0.4])
X = np.array([0.0, 1.0, 2.5, 3.0])


def both(a, b, **kw):
    """Run emd2 and sinkhorn2 on the same arguments; both must raise the same way."""
    return [lambda: emd2(a, b, **kw), lambda: sinkhorn2(a, b, 0.5, **kw)]


CASES = {
    "nan mass": (dict(a=np.array([0.5, np.nan, 0.25, 0.25]), b=V), "a`\\[1\\] = NaN"),
    "inf mass": (dict(a=U, b=np.array([np.inf, 0, 0, 0])), "target marginal"),
    "negative mass": (dict(a=np.array([0.5, -0.1, 0.3, 0.3]), b=V), "masses must be finite and >= 0"),
    "zero total": (dict(a=np.zeros(4), b=np.zeros(4)), "zero total mass"),
    "unequal totals": (dict(a=U, b=2 * V), "total masses differ"),
    "empty": (dict(a=np.array([]), b=np.array([])), "empty"),
    "a vs b length": (dict(a=U, b=np.full(5, 0.2)), "shapes \\[4\\] and \\[5\\]"),
    "3D on a line": (dict(a=np.ones((2, 2, 2)) / 8, b=np.ones((2, 2, 2)) / 8, x=X[:2]), "expected \\(n,\\)"),
    "4D without support": (dict(a=np.ones((1, 1, 1, 1)), b=np.ones((1, 1, 1, 1))), "expected \\(n0, n1\\)"),
    "x length": (dict(a=U, b=V, x=X[:3]), "x has 3 points"),
    "x unsorted": (dict(a=U, b=V, x=np.array([0.0, 2.0, 1.0, 3.0])), "strictly increasing"),
    "x duplicate": (dict(a=U, b=V, x=np.array([0.0, 1.0, 1.0, 3.0])), "strictly increasing"),
    "x nan": (dict(a=U, b=V, x=np.array([0.0, np.nan, 2.0, 3.0])), "must be finite"),
    "x 2D": (dict(a=U, b=V, x=X.reshape(2, 2)), "one-dimensional"),
    "x and grid": (dict(a=U, b=V, x=X, grid=(X, X)), "not both"),
    "grid not a pair": (dict(a=np.ones((2, 2)) / 4, b=np.ones((2, 2)) / 4, grid=[X[:2], X[:2]]), "tuple"),
    "grid axis length": (dict(a=np.ones((2, 2)) / 4, b=np.ones((2, 2)) / 4, grid=(X[:2], X[:3])), "grid\\[1\\] has 3 points"),
    "batch counts": (dict(a=np.ones((4, 2)) / 4, b=np.ones((4, 3)) / 4, x=X), "equal counts"),
    "empty batch": (dict(a=U, b=np.ones((4, 0))), "no histogram"),
    "bad column": (dict(a=U, b=np.stack([V, V[::-1] * 2], axis=1)), "histogram 1 of the batch: total masses differ"),
    "strings": (dict(a=["a", "b"], b=["c", "d"]), "could not convert"),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("which", [0, 1], ids=["emd2", "sinkhorn2"])
def test_bad_histograms_and_supports_raise_value_error(name, which):
    kw, message = CASES[name]
    with pytest.raises(ValueError, match=message):
        both(**kw)[which]()


@pytest.mark.parametrize("which", [0, 1], ids=["emd2", "sinkhorn2"])
def test_non_real_dtypes_raise_type_error(which):
    with pytest.raises(TypeError, match="complex128"):
        both(U.astype(complex), V)[which]()
    with pytest.raises(TypeError, match="object"):
        both(np.array([0.5, 0.5], dtype=object), np.array([0.5, 0.5]))[which]()


@pytest.mark.parametrize(
    "kw, message",
    [
        (dict(reg=0.0), "eps = 0"),
        (dict(reg=-1.0), "eps = -1"),
        (dict(reg=float("nan")), "eps = NaN"),
        (dict(reg=float("inf")), "eps = inf"),
        (dict(reg=0.0, method="ipot"), "beta = 0"),
        (dict(stopThr=-1e-9), "tol"),
        (dict(stopThr=float("nan")), "tol"),
        (dict(numItermax=0), "numItermax = 0"),
        (dict(numItermax=-5), "numItermax = -5"),
        (dict(method="sinkhorn_epsilon_scaling"), "unknown method"),
    ],
)
def test_bad_options_raise_value_error(kw, message):
    kw = dict(dict(reg=0.5), **kw)
    with pytest.raises(ValueError, match=message):
        sinkhorn2(U, V, kw.pop("reg"), **kw)


def test_options_are_checked_before_the_arrays():
    # A bad option with bad arrays reports the option: nothing was read or solved.
    with pytest.raises(ValueError, match="unknown method"):
        sinkhorn2(np.array([np.nan]), np.array([]), 0.5, method="nope")



def test_unaligned_arrays_are_read_as_aligned_ones():
    # NumPy arrays at an odd address (as unpickled from a message buffer on a Dask worker)
    # are copied once to aligned ones instead of panicking in the native reader; the
    # answers are those of the aligned arrays, bit for bit.
    x = np.linspace(0.0, 1.0, 7)
    a = np.array([0.1, 0.2, 0.1, 0.2, 0.1, 0.2, 0.1])
    b = a[::-1].copy()
    raw = np.zeros(1 + 3 * x.nbytes, dtype=np.uint8)
    raw[1:] = np.concatenate([x, a, b]).view(np.uint8)
    xs, as_, bs = (
        np.frombuffer(raw.data, dtype=np.float64, count=7, offset=1 + x.nbytes * k)
        for k in range(3)
    )
    assert not (xs.flags.aligned or as_.flags.aligned or bs.flags.aligned)
    assert emd2(as_, bs, x=xs) == emd2(a, b, x=x)
    assert wasserstein_1d(xs, xs, as_, bs) == wasserstein_1d(x, x, a, b)
