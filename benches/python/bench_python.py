"""Times the Python package `pasa_sinkhorn` against POT and SciPy, in one process and run.

Usage: python bench_python.py [--quick] [--out FILE.json]

Writes one JSON object (stdout, or FILE): the interpreter and library versions, and one
row per comparison with `ours_s` and `peer_s` (seconds, the minimum of `repeats` calls:
interference on a shared machine only adds time), `ratio` = peer_s / ours_s (> 1: ours is
faster), both values and their relative difference. A peer that cannot be imported, or
that cannot allocate or finish within the time limit, gets `peer_s: null` and a `note`
saying why; the row stays, so the report says what was not measured.

Comparisons (the sizes of issue 17, the same in --quick, which only repeats less):

- `w1_1d`: exact W1 between two samples of N = 1e6 values: `wasserstein_1d` against
  `scipy.stats.wasserstein_distance` and `ot.wasserstein_1d` (p = 1).
- `sinkhorn`: entropic W1 on a line of N = 1e4 points (|x - y| cost, `reg` = 0.02 of
  the unit diameter, `stopThr` = 1e-8 for both): `sinkhorn2(a, b, reg, x=x)` against
  `ot.sinkhorn2(a, b, M, reg)` with the dense M (800 MB); total and per iteration
  (seconds / `niter` of each solver's log, set-up included).
- `grid_exact`: exact W1 on 32 x 32, 64 x 64 and 128 x 128 grids with the L1 cost:
  `emd2(A, B)` against `ot.emd2(a, b, M)` (M has (n0 n1)^2 entries: 2.1 GB at 128 x 128,
  and POT's network simplex adds its arcs). POT is not started when its estimated memory
  exceeds half of what is available, and runs in a child process with a time limit (60 s
  quick, 300 s full), so that a peer that cannot allocate or finish is reported, not
  waited for.
- `batch`: 1,000 histograms of 1,000 points on a line: `sinkhorn2(a, B, reg, x=x)`
  batched against a Python loop of single calls and POT's batched `ot.sinkhorn2(a, B,
  M, reg)` (columns of B; child process, time limit as above); exact `emd2(a, B, x=x)`
  against a loop of SciPy calls.
- `copy_into_problem`: the copy that `sinkhorn::Problem` (which owns its masses) costs,
  as NumPy copies of the same bytes, against the solve it precedes (N = 1e4, the batch).
- `overhead`: one call on 4 points (`emd2`, `wasserstein_1d`), the fixed cost of a call.
"""

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time
import timeit
import warnings

import numpy as np


def best(repeats, f):
    """Minimum wall time of `repeats` calls of f, and f's last result."""
    t, value = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        value = f()
        t = min(t, time.perf_counter() - start)
    return t, value


def rel(x, y):
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    return float(np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-300)))


def row(case, n, ours, peer, ours_s, peer_s, ours_value, peer_value, **extra):
    out = {
        "case": case,
        "n": n,
        "ours": ours,
        "peer": peer,
        "ours_s": ours_s,
        "peer_s": peer_s,
        "ratio": peer_s / ours_s if peer_s is not None and ours_s > 0 else None,
        "ours_value": ours_value,
        "peer_value": peer_value,
        "rel_diff": rel(ours_value, peer_value) if peer_value is not None else None,
    }
    out.update(extra)
    return out


def unavailable(case, n, ours, peer, ours_s, ours_value, why, **extra):
    return row(case, n, ours, peer, ours_s, None, ours_value, None, note=why, **extra)


def bumps(x, centre, width):
    h = np.exp(-(((x - centre) / width) ** 2)) + 1e-3
    return h / h.sum()


def bench_w1_1d(repeats):
    from pasa_sinkhorn.ot import wasserstein_1d

    n = 1_000_000
    rng = np.random.default_rng(1)
    u, v = rng.standard_normal(n), 0.5 + 1.5 * rng.standard_normal(n)
    ours_s, ours = best(repeats, lambda: wasserstein_1d(u, v))
    name = "wasserstein_1d(u, v)"
    rows = []
    try:
        from scipy.stats import wasserstein_distance

        s, value = best(repeats, lambda: wasserstein_distance(u, v))
        rows.append(row("w1_1d", n, name, "scipy.stats.wasserstein_distance", ours_s, s, ours, value))
    except ImportError as e:
        rows.append(unavailable("w1_1d", n, name, "scipy.stats.wasserstein_distance", ours_s, ours, f"import failed: {e}"))
    try:
        import ot

        s, value = best(repeats, lambda: float(ot.wasserstein_1d(u, v, p=1)))
        rows.append(row("w1_1d", n, name, "ot.wasserstein_1d(p=1)", ours_s, s, ours, value))
    except ImportError as e:
        rows.append(unavailable("w1_1d", n, name, "ot.wasserstein_1d(p=1)", ours_s, ours, f"import failed: {e}"))
    return rows


def bench_sinkhorn(repeats):
    from pasa_sinkhorn.ot import sinkhorn2

    n, reg, thr = 10_000, 0.02, 1e-8
    x = np.linspace(0.0, 1.0, n)
    a, b = bumps(x, 0.3, 0.1), bumps(x, 0.65, 0.08)
    ours_s, (ours, log) = best(
        repeats, lambda: sinkhorn2(a, b, reg, x=x, stopThr=thr, numItermax=10_000, log=True)
    )
    name = f"sinkhorn2(a, b, reg={reg}, x=x, stopThr={thr})"
    extra = {"ours_niter": log["niter"], "ours_per_iteration_s": ours_s / log["niter"]}
    copy_s, _ = best(20, lambda: (a.copy(), b.copy()))
    copy_row = row("copy_into_problem", n, "copies of a and b (np.copy)", "the sinkhorn2 solve",
                   copy_s, ours_s, None, None, note="ratio = how many times the solve exceeds the copy")
    try:
        import ot

        m = np.abs(x[:, None] - x[None, :])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            s, (value, plog) = best(
                max(1, repeats // 2),
                lambda: ot.sinkhorn2(a, b, m, reg, stopThr=thr, numItermax=10_000, log=True),
            )
        del m
        niter = int(plog["niter"])
        extra.update(peer_niter=niter, peer_per_iteration_s=s / max(niter, 1))
        extra["per_iteration_ratio"] = extra["peer_per_iteration_s"] / extra["ours_per_iteration_s"]
        return [row("sinkhorn", n, name, "ot.sinkhorn2(a, b, M, reg) dense M", ours_s, s, ours, float(value), **extra),
                copy_row]
    except ImportError as e:
        return [unavailable("sinkhorn", n, name, "ot.sinkhorn2", ours_s, ours, f"import failed: {e}", **extra),
                copy_row]


def available_bytes():
    """MemAvailable of /proc/meminfo (free plus reclaimable cache), else free pages."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def _child(target, args, queue):
    try:
        queue.put(target(*args))
    except ImportError as e:
        queue.put({"error": f"import failed: {e}"})
    except MemoryError as e:
        queue.put({"error": f"could not allocate: {e}"})


def in_child(target, args, limit_s):
    """target(*args) in a forked process: its dict, or {"error": why} when it failed or
    did not finish within limit_s (then it is killed)."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child, args=(target, args, queue))
    child.start()
    child.join(limit_s)
    if child.is_alive():
        child.kill()
        child.join()
        return {"error": f"did not finish within the {limit_s:.0f} s limit (killed)"}
    if queue.empty():
        return {"error": f"its process exited with {child.exitcode}"}
    return queue.get()


def pot_grid(side):
    """POT's exact W1 on the side x side grid (the masses of `grid_masses`)."""
    import ot

    a, b = grid_masses(side)
    rows, cols = np.meshgrid(np.arange(side, dtype=float), np.arange(side, dtype=float), indexing="ij")
    pts = np.stack([rows.ravel(), cols.ravel()], axis=1)
    m = ot.dist(pts, pts, metric="cityblock")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        value = float(ot.emd2(a.ravel(), b.ravel(), m, numItermax=10**9))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "value": value, "warnings": [str(w.message) for w in caught]}


def grid_masses(side):
    t = np.linspace(0.0, 1.0, side)
    r, c = np.meshgrid(t, t, indexing="ij")
    a = np.exp(-(((r - 0.3) / 0.15) ** 2 + ((c - 0.4) / 0.2) ** 2)) + 1e-3
    b = np.exp(-(((r - 0.7) / 0.1) ** 2 + ((c - 0.6) / 0.15) ** 2)) + 1e-3
    return a / a.sum(), b / b.sum()


# Bytes per entry of POT's dense exact problem: the cost matrix (8) and the network
# simplex's arc arrays (source, target, cost, flow, state: about 29, POT's
# network_simplex_simple.h).
POT_EMD_BYTES_PER_ENTRY = 37


def bench_grid(repeats, limit_s):
    from pasa_sinkhorn.ot import emd2

    rows = []
    for side in (32, 64, 128):
        a, b = grid_masses(side)
        ours_s, ours = best(repeats if side <= 64 else 1, lambda: emd2(a, b))
        name, peer = "emd2(A, B) on the grid", "ot.emd2(a, b, M) L1 cost"
        size = f"{side}x{side}"
        need, avail = POT_EMD_BYTES_PER_ENTRY * (side * side) ** 2, available_bytes()
        if need > avail / 2:
            rows.append(unavailable("grid_exact", size, name, peer, ours_s, ours,
                                    f"not run: POT's dense problem needs about {need / 1e9:.1f} GB "
                                    f"(cost matrix and simplex arcs), more than half of the "
                                    f"{avail / 1e9:.1f} GB available"))
            continue
        result = in_child(pot_grid, (side,), limit_s)
        if "error" in result:
            rows.append(unavailable("grid_exact", size, name, peer, ours_s, ours, "POT " + result["error"]))
        else:
            note = "; ".join(result["warnings"]) or None
            rows.append(row("grid_exact", size, name, peer, ours_s, result["seconds"], ours, result["value"],
                            note=note, peer_repeats=1))
    return rows


def pot_batch(a, big_b, x, reg, thr):
    import ot

    m = np.abs(x[:, None] - x[None, :])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        value = np.asarray(ot.sinkhorn2(a, big_b, m, reg, stopThr=thr, numItermax=10_000))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "value": value.tolist()}


def bench_batch(repeats, limit_s):
    from pasa_sinkhorn.ot import emd2, sinkhorn2

    n, k, reg, thr = 1000, 1000, 0.02, 1e-8
    x = np.linspace(0.0, 1.0, n)
    a = bumps(x, 0.5, 0.2)
    rng = np.random.default_rng(3)
    centres, widths = rng.uniform(0.2, 0.8, k), rng.uniform(0.05, 0.2, k)
    big_b = np.stack([bumps(x, c, w) for c, w in zip(centres, widths)], axis=1)
    cols = [np.ascontiguousarray(big_b[:, j]) for j in range(k)]
    rows = []
    name = f"sinkhorn2(a, B, reg={reg}, x=x) batched"
    ours_s, ours = best(repeats, lambda: sinkhorn2(a, big_b, reg, x=x, stopThr=thr))
    loop_s, loop = best(max(1, repeats // 2), lambda: np.array([sinkhorn2(a, c, reg, x=x, stopThr=thr) for c in cols]))
    rows.append(row("batch", f"{k} x {n}", name, "our sinkhorn2 in a Python loop", ours_s, loop_s, ours.tolist(), loop.tolist()))
    result = in_child(pot_batch, (a, big_b, x, reg, thr), limit_s)
    peer = "ot.sinkhorn2(a, B, M, reg) batched columns"
    if "error" in result:
        rows.append(unavailable("batch", f"{k} x {n}", name, peer, ours_s, ours.tolist(), "POT " + result["error"]))
    else:
        rows.append(row("batch", f"{k} x {n}", name, peer, ours_s, result["seconds"], ours.tolist(), result["value"],
                        peer_repeats=1))
    # What a batch copies into each sinkhorn::Problem (its column of B and a), against
    # the solve: NumPy copies of the same bytes.
    copy_s, _ = best(repeats, lambda: (big_b.copy(order="F"), [a.copy() for _ in range(k)]))
    rows.append(row("copy_into_problem", f"{k} x {n}", "copies of B's columns and a (np.copy)",
                    "the batched sinkhorn2 solve", copy_s, ours_s, None, None,
                    note="ratio = how many times the solve exceeds the copy"))
    name = "emd2(a, B, x=x) batched"
    ours_s, ours = best(repeats, lambda: emd2(a, big_b, x=x))
    try:
        from scipy.stats import wasserstein_distance

        s, value = best(max(1, repeats // 2), lambda: np.array([wasserstein_distance(x, x, a, c) for c in cols]))
        rows.append(row("batch", f"{k} x {n}", name, "scipy.stats.wasserstein_distance in a loop", ours_s, s, ours.tolist(), value.tolist()))
    except ImportError as e:
        rows.append(unavailable("batch", f"{k} x {n}", name, "scipy loop", ours_s, ours.tolist(), f"import failed: {e}"))
    for r in rows:  # 1,000 values each: keep the agreement, drop the lists
        r["ours_value"] = r["peer_value"] = None
    return rows


def bench_overhead():
    from pasa_sinkhorn.ot import emd2, wasserstein_1d

    a, b = np.array([0.25, 0.25, 0.25, 0.25]), np.array([0.1, 0.2, 0.3, 0.4])
    u, v = np.array([0.0, 1.0, 3.0, 2.0]), np.array([5.0, 6.0, 8.0, 1.0])
    x = np.arange(4.0)

    def per_call(f, number=20_000):
        return min(timeit.repeat(f, number=number, repeat=5)) / number

    rows = []
    ours_s = per_call(lambda: emd2(a, b, x=x))
    try:
        import ot

        m = np.abs(x[:, None] - x[None, :])
        s = per_call(lambda: ot.emd2(a, b, m), 2_000)
        rows.append(row("overhead", 4, "emd2(a, b, x=x)", "ot.emd2(a, b, M)", ours_s, s, emd2(a, b, x=x), float(ot.emd2(a, b, m))))
    except ImportError as e:
        rows.append(unavailable("overhead", 4, "emd2(a, b, x=x)", "ot.emd2", ours_s, emd2(a, b, x=x), f"import failed: {e}"))
    ours_s = per_call(lambda: wasserstein_1d(u, v))
    try:
        from scipy.stats import wasserstein_distance

        s = per_call(lambda: wasserstein_distance(u, v), 2_000)
        rows.append(row("overhead", 4, "wasserstein_1d(u, v)", "scipy.stats.wasserstein_distance", ours_s, s,
                        wasserstein_1d(u, v), float(wasserstein_distance(u, v))))
    except ImportError as e:
        rows.append(unavailable("overhead", 4, "wasserstein_1d(u, v)", "scipy", ours_s, wasserstein_1d(u, v), f"import failed: {e}"))
    return rows


def versions():
    out = {"python": sys.version.split()[0], "numpy": np.__version__, "platform": platform.platform()}
    for mod in ("scipy", "ot"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError as e:
            out[mod] = f"unavailable ({e})"
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="fewer repeats, a 60 s limit for POT's grid")
    p.add_argument("--out", help="write the JSON here instead of stdout")
    args = p.parse_args()
    repeats = 2 if args.quick else 5
    limit = 60.0 if args.quick else 300.0
    out = {"mode": "quick" if args.quick else "full", "versions": versions(), "cpus": os.cpu_count(), "rows": []}
    try:
        import pasa_sinkhorn  # noqa: F401
    except ImportError as e:
        out["status"] = f"pasa_sinkhorn is not importable: {e}"
    else:
        out["status"] = "measured"
        for bench in (bench_overhead, lambda: bench_w1_1d(repeats), lambda: bench_sinkhorn(repeats),
                      lambda: bench_batch(repeats, limit), lambda: bench_grid(repeats, limit)):
            out["rows"].extend(bench())
            print(f"bench_python: {out['rows'][-1]['case']} done", file=sys.stderr)
    text = json.dumps(out, indent=1)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
