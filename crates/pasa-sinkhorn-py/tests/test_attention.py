"""pasa_sinkhorn.attention: the f64 reference against an independent NumPy softmax, the
FP16 kernels against pasa-core's own test fixture (a real MiniLM layer with its captured
output) with the Rust suite's bounds, overflow_report against the committed answer of
``cargo xtask validate --input`` (tests/fixtures/make_report_fixture.py), the overflow
case of the paper, input conversion and loading, and every bad input."""

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

import pasa_sinkhorn
from pasa_sinkhorn.attention import VARIANTS, attention, load, overflow_report

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "pasa-core"
    / "tests"
    / "fixtures"
    / "minilm_layer0_2heads.safetensors"
)
REPORT_FIXTURE = Path(__file__).resolve().parent / "fixtures" / "report_layers"


def numpy_attention(q, k, v, causal=False):
    """Softmax(q k^T / sqrt(d)) v in float64, grouped-query heads, causal end-aligned."""
    q, k, v = (t.astype(np.float64) for t in (q, k, v))
    group = q.shape[-3] // k.shape[-3]
    k, v = np.repeat(k, group, axis=-3), np.repeat(v, group, axis=-3)
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if causal:
        sq, sk = s.shape[-2:]
        s = np.where(np.arange(sk)[None, :] <= np.arange(sq)[:, None] + sk - sq, s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def f16(rng, shape, bias=0.0, amp=1.0):
    return (bias + amp * rng.standard_normal(shape)).astype(np.float16)


@pytest.mark.parametrize(
    "qs, ks, causal",
    [
        ((2, 33, 16), (2, 33, 16), False),
        ((1, 4, 70, 8), (1, 2, 70, 8), False),  # grouped-query: 2 kv heads for 4 heads
        ((3, 50, 8), (3, 65, 8), True),  # causal, queries aligned to the last keys
    ],
)
def test_reference_matches_numpy_softmax(rng, qs, ks, causal):
    q, k, v = f16(rng, qs), f16(rng, ks), f16(rng, ks)
    out = attention(q, k, v, "reference", causal=causal, block_q=16, block_k=32)
    # Both in f64 from the same float16 values, different summation orders: ~1e-15.
    np.testing.assert_allclose(out, numpy_attention(q, k, v, causal), rtol=0, atol=1e-12)
    assert out.dtype == np.float64 and out.shape == qs


def test_fixture_report_matches_the_rust_suite():
    tensors = load(FIXTURE)
    assert sorted(tensors) == ["k", "out", "q", "v"]
    q, k, v, captured = (tensors[n] for n in ("q", "k", "v", "out"))
    # The file's float32 values, widened exactly (what validate --input reads).
    assert q.dtype == np.float64 and q.ndim == 4
    # crates/pasa-core/tests/real_data.rs: the reference of the float16 inputs is within
    # 1e-2 of the captured f32 output (input rounding to f16), and with 64-blocks each
    # kernel's RMSE against it is below twice its measured value (fp32-softmax 1.4e-4,
    # fp16 1.1e-3, pasa-key-means 1.1e-3) with |scores| < 100.
    reference = attention(q, k, v, "reference")
    assert np.abs(reference - captured).max() < 1e-2
    source_reference = numpy_attention(q, k, v)
    report = overflow_report(q, k, v, block_q=64, block_k=64)
    assert list(report["variants"]) == list(VARIANTS)
    assert report["inputs_beyond_f16"] == 0 and report["max_abs_score"] < 100
    for name, bound in zip(["fp32-softmax", "fp16", "pasa-key-means"], [1.4e-4, 1.1e-3, 1.1e-3]):
        row = report["variants"][name]
        assert row["non_finite"] == 0 and row["score_non_finite"] == 0, row
        assert row["max_abs_score"] < 100, row
        out = attention(q, k, v, name, block_q=64, block_k=64)
        assert np.sqrt(np.mean((out - reference) ** 2)) < bound
        # The report's error is that of attention() against f64 attention of the file's
        # own values (here by NumPy: a different summation order, ~1e-16 relative).
        rmse = np.sqrt(np.mean((out - source_reference) ** 2))
        assert row["rmse"] == pytest.approx(rmse, rel=1e-9)
        assert row["rel_rmse"] == pytest.approx(rmse / np.sqrt(np.mean(source_reference**2)), rel=1e-9)


def same(ours, committed):
    """A report value equals the JSON one (NaN is written as null there)."""
    if committed is None:
        return ours is None or (isinstance(ours, float) and math.isnan(ours))
    if isinstance(committed, list):
        return tuple(committed) == ours
    return ours == committed


def test_report_is_the_answer_of_validate_input():
    committed = json.loads(REPORT_FIXTURE.with_suffix(".json").read_text())
    tensors = load(REPORT_FIXTURE.with_suffix(".safetensors"))
    assert sorted(layer["name"] for layer in committed["layers"]) == ["beyond", "biased"]
    for layer in committed["layers"]:
        q, k, v = (tensors[f"{layer['name']}.{t}"] for t in "qkv")
        report = overflow_report(q, k, v)
        keys = set(report) - {"variants"}
        assert keys == set(layer) - {"variants", "name", "tensors", "cos_means", "captured_out_error"}
        for key in keys:
            assert same(report[key], layer[key]), (layer["name"], key, report[key], layer[key])
        assert list(report["variants"]) == [r["name"] for r in layer["variants"]]
        for row in layer["variants"]:
            ours = report["variants"][row["name"]]
            assert set(ours) == set(row) - {"name"}
            # The same function on the same f64 values: equal to the last bit.
            for key, value in ours.items():
                assert same(value, row[key]), (layer["name"], row["name"], key, value, row[key])
    # The cases the fixture holds: naive FP16 overflows on `biased` and the authors' PASA
    # does not; `beyond`'s value past 65504 is reported, not refused.
    biased = overflow_report(*(tensors[f"biased.{t}"] for t in "qkv"))
    assert not biased["variants"]["fp16"]["finite"] and biased["variants"]["pasa"]["finite"]
    beyond = overflow_report(*(tensors[f"beyond.{t}"] for t in "qkv"))
    assert beyond["inputs_beyond_f16"] == 1 and beyond["max_abs_input"] == 1e5
    assert not beyond["variants"]["fp16"]["finite"]


def test_report_reads_float16_and_float32_values_exactly(rng):
    # Widening is exact: float16/float32 arrays give the report of their float64 copies.
    q, k, v = (f16(rng, (2, 30, 8)) for _ in range(3))
    assert overflow_report(q, k, v) == overflow_report(*(t.astype(np.float64) for t in (q, k, v)))
    q32, k32, v32 = (rng.standard_normal((1, 2, 19, 8)).astype(np.float32) for _ in range(3))
    assert overflow_report(q32, k32, v32) == overflow_report(
        *(t.astype(np.float64) for t in (q32, k32, v32))
    )


def test_biased_inputs_overflow_fp16_and_pasa_fixes_them(rng):
    # pasa-core's crate example: q, k = 100 + 4 N(0, 1), scaled scores ~ 8e4 > 65504.
    q, k = f16(rng, (1, 256, 64), 100, 4), f16(rng, (1, 256, 64), 100, 4)
    v = f16(rng, (1, 256, 64))
    report = overflow_report(q, k, v)
    assert report["max_abs_score"] > 65504
    fp16 = report["variants"]["fp16"]
    assert fp16["score_non_finite"] > 0 and fp16["non_finite"] > 0 and not fp16["finite"]
    assert report["variants"]["fa-f64"]["max_abs_score"] > 65504
    pasa = report["variants"]["pasa-key-means"]
    assert pasa["non_finite"] == 0 and pasa["score_non_finite"] == 0
    assert pasa["rmse"] < 5e-2 and 0 < pasa["beta"] < 1
    assert fp16["beta"] is None


def test_every_variant_runs_and_float32_is_rounded_once(rng):
    q32 = rng.standard_normal((2, 40, 8)).astype(np.float32)
    k32 = rng.standard_normal((2, 40, 8)).astype(np.float32)
    v32 = rng.standard_normal((2, 40, 8)).astype(np.float32)
    for name in VARIANTS:
        out = attention(q32, k32, v32, name, block_q=16, block_k=16)
        same = attention(*(t.astype(np.float16) for t in (q32, k32, v32)), name, block_q=16, block_k=16)
        np.testing.assert_array_equal(out, same)
    # Non-contiguous views read like their contiguous copies.
    qt = np.swapaxes(q32.astype(np.float16).reshape(2, 8, 40), 1, 2)
    np.testing.assert_array_equal(
        attention(qt, k32, v32), attention(np.ascontiguousarray(qt), k32, v32)
    )


def test_load_npy_and_safetensors(tmp_path, rng):
    q = rng.standard_normal((3, 9, 4)).astype(np.float32)
    np.save(tmp_path / "q.npy", q)
    q_loaded = load(tmp_path / "q.npy")
    assert q_loaded.dtype == np.float64
    np.testing.assert_array_equal(q_loaded, q[None])
    tensors = {n: f16(rng, (2, 10, 8)) for n in ("q", "k", "v")}
    save_file(tensors, str(tmp_path / "qkv.safetensors"))
    loaded = load(str(tmp_path / "qkv.safetensors"))
    for n, t in tensors.items():
        np.testing.assert_array_equal(loaded[n], t[None])
    report = overflow_report(**loaded)  # the one-line check of a q/k/v file
    assert report["variants"]["fp16"]["non_finite"] == 0


BAD = {
    "rank 2": (dict(q=np.zeros((4, 8), np.float16)), ValueError, "expected \\(heads, seq, dim\\)"),
    "ranks differ": (dict(k=np.zeros((1, 2, 16, 8), np.float16)), ValueError, "dimensions"),
    "head_dim": (dict(k=np.zeros((2, 16, 4), np.float16)), ValueError, "head_dim"),
    "seq_k of v": (dict(v=np.zeros((2, 15, 8), np.float16)), ValueError, "seq_k"),
    "heads": (dict(k=np.zeros((3, 16, 8), np.float16), v=np.zeros((3, 16, 8), np.float16)), ValueError, "heads"),
    "empty": (dict(q=np.zeros((2, 0, 8), np.float16)), ValueError, "seq_q"),
    "nan": (dict(q=np.full((2, 16, 8), np.nan, np.float16)), ValueError, "q"),
    "beyond f16": (dict(v=np.full((2, 16, 8), 1e5, np.float32)), ValueError, "v"),
    "int dtype": (dict(q=np.zeros((2, 16, 8), np.int32)), TypeError, "int32"),
    "a list": (dict(q=[[[0.0]]]), TypeError, "list"),
    "variant": (dict(variant="flash"), ValueError, "unknown variant"),
    "zero block": (dict(block_k=0), ValueError, "block_k"),
    "negative block": (dict(block_q=-1), ValueError, "block_q"),
    "causal": (dict(q=np.zeros((2, 20, 8), np.float16), causal=True), ValueError, "causal"),
    "scale": (dict(scale=float("inf")), ValueError, "scale"),
    "huge block": (dict(block_k=1 << 16), pasa_sinkhorn.SizeLimitError, "block_k"),
}


# overflow_report runs every variant, and reports (does not refuse) values beyond 65504.
ATTENTION_ONLY = {"variant", "beyond f16"}


@pytest.mark.parametrize(
    "fn, name",
    [("attention", name) for name in BAD]
    + [("overflow_report", name) for name in BAD if name not in ATTENTION_ONLY],
)
def test_bad_inputs_raise(fn, name):
    z = np.zeros((2, 16, 8), np.float16)
    kw, error, message = BAD[name]
    args = dict(dict(q=z, k=z, v=z), **kw)
    if fn == "overflow_report":
        with pytest.raises(error, match=message):
            overflow_report(**args)
    else:
        with pytest.raises(error, match=message):
            attention(**args)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "missing.npy")
    (tmp_path / "x.txt").write_text("q")
    with pytest.raises(ValueError, match="safetensors or .npy"):
        load(tmp_path / "x.txt")
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json}")
    with pytest.raises(ValueError, match="bad.safetensors"):
        load(tmp_path / "bad.safetensors")
    np.save(tmp_path / "i.npy", np.zeros((2, 2), np.int64))
    with pytest.raises(ValueError):
        load(tmp_path / "i.npy")
