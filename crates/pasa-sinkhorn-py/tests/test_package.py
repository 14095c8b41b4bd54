"""The package as installed: docstring examples run (doctest), the type stubs name
exactly what the compiled module exports with its functions' parameters, and solves
release the GIL."""

import ast
import doctest
import inspect
from pathlib import Path

import numpy as np
import pytest

import pasa_sinkhorn
from conftest import count_while
from pasa_sinkhorn import _native, attention, ot


@pytest.mark.parametrize("module", [pasa_sinkhorn, ot, attention], ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= 5


def stub_only(node):
    """Whether a stub class is marked ``@type_check_only`` (a type for the stubs, such as
    a TypedDict of keyword options, that the module does not export)."""
    return any(isinstance(d, ast.Name) and d.id == "type_check_only" for d in node.decorator_list)


def test_stubs_and_markers_are_installed_and_match_the_module():
    root = Path(pasa_sinkhorn.__file__).parent
    assert (root / "py.typed").is_file()
    stub = ast.parse((root / "_native.pyi").read_text())
    declared = set()
    for node in stub.body:
        if isinstance(node, ast.ClassDef) and stub_only(node):
            continue
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            declared.add(node.name)
        elif isinstance(node, ast.AnnAssign):
            declared.add(node.target.id)
    exported = {name for name in dir(_native) if not name.startswith("__")}
    assert declared == exported


def stub_parameters(function, classes):
    """(name, kind, has a default) of each parameter of a stub function, a
    ``**options: Unpack[T]`` read as T's keys: keyword-only, each optional (a TypedDict
    with ``total=False``), T's bases' keys first."""

    def keys(name):
        node = classes[name]
        bases = [b.id for b in node.bases if isinstance(b, ast.Name) and b.id in classes]
        own = [item.target.id for item in node.body if isinstance(item, ast.AnnAssign)]
        return [k for base in bases for k in keys(base)] + own

    args = function.args
    first_default = len(args.args) - len(args.defaults)
    params = [
        (a.arg, "POSITIONAL_OR_KEYWORD", i >= first_default) for i, a in enumerate(args.args)
    ]
    params += [
        (a.arg, "KEYWORD_ONLY", d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults)
    ]
    if args.kwarg is not None:
        params += [(k, "KEYWORD_ONLY", True) for k in keys(args.kwarg.annotation.slice.id)]
    return params


def test_stub_signatures_match_the_module():
    root = Path(pasa_sinkhorn.__file__).parent
    stub = ast.parse((root / "_native.pyi").read_text())
    classes = {node.name: node for node in stub.body if isinstance(node, ast.ClassDef)}
    functions = [node for node in stub.body if isinstance(node, ast.FunctionDef)]
    assert len(functions) >= 9
    for function in functions:
        native = inspect.signature(getattr(_native, function.name)).parameters.values()
        want = [(p.name, p.kind.name, p.default is not p.empty) for p in native]
        assert stub_parameters(function, classes) == want, function.name


def test_exceptions_are_named_and_classified():
    assert issubclass(pasa_sinkhorn.ConvergenceError, RuntimeError)
    assert issubclass(pasa_sinkhorn.SizeLimitError, ValueError)
    assert pasa_sinkhorn.ConvergenceError.__module__ == "pasa_sinkhorn"


def test_batch_solves_release_the_gil():
    # A batch of Sinkhorn solves runs in a thread while this thread counts (count_while).
    n, k = 2000, 64
    x = np.linspace(0.0, 1.0, n)
    a = np.exp(-((x - 0.3) / 0.1) ** 2); a /= a.sum()
    b = np.exp(-((x[:, None] - np.linspace(0.4, 0.8, k)[None, :]) / 0.1) ** 2)
    b /= b.sum(axis=0)
    seconds, count = count_while(lambda: ot.sinkhorn2(a, b, 1e-2, x=x, method="sinkhorn_log"))
    # The solve takes > 50 ms (measured ~0.3 s on 2 cores), so with the GIL free the count
    # is in the tens of thousands at least.
    assert seconds > 0.05
    assert count > 10_000, (count, seconds)


REPO = Path(__file__).resolve().parents[3]


def python_blocks(markdown):
    """The ```python fenced blocks of a Markdown file."""
    blocks, current = [], None
    for line in markdown.splitlines():
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_python_examples_of_the_docs_run(monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    blocks = python_blocks((REPO / "docs" / "python.md").read_text())
    assert len(blocks) >= 2
    blocks += python_blocks((REPO / "README.md").read_text())
    for block in blocks:
        exec(compile(block, "<docs example>", "exec"), {})
    assert capsys.readouterr().out.count("\n") >= 2  # the examples print their results


def test_float64_is_read_without_a_numpy_copy():
    # NumPy reports its array allocations to tracemalloc: a float64 input passes with no
    # new NumPy array, a float32 one is converted once (8 bytes per element per array).
    import tracemalloc

    n = 1_000_000
    x = np.linspace(0.0, 1.0, n)
    a = np.full(n, 1.0 / n)
    b = np.exp(-x); b /= b.sum()
    peaks = {}
    for dtype in (np.float64, np.float32):
        aa, bb = a.astype(dtype), b.astype(dtype)
        if dtype is np.float32:
            bb = (bb / bb.sum(dtype=np.float64)).astype(dtype)
        tracemalloc.start()
        ot.emd2(aa, bb, x=x)
        peaks[dtype] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[np.float64] < 100_000, peaks
    assert 2 * 8 * n <= peaks[np.float32] < 3 * 8 * n, peaks
