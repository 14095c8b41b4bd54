"""Times the peers of `benches/benches/peers.rs` on the inputs it wrote, in the same run.

Usage: python peers.py MANIFEST.json  ->  prints one JSON object on stdout.

The manifest lists problems whose arrays are raw little-endian f64 files beside it
(written by the Rust bench, so both sides solve bit-identical inputs). For each problem:

- "sinkhorn": POT's dense `ot.sinkhorn` (the Sinkhorn-Knopp loop users call today), time
  per iteration by differencing runs of `iterations[0]` and `iterations[1]` iterations
  (stopThr = 0, so the kernel's one-off exp cancels), the minimum of `repeats` runs each
  (interference on a shared machine only adds time), on one thread (the Rust side sets
  the BLAS thread variables to 1, as FS-1 on a line is serial); then a converged solve whose
  transport cost <C, T> the Rust side compares with its own.
- "w1": SciPy's `scipy.stats.wasserstein_distance(x, x, a, b)` (exact W1 on a line), the
  minimum of `repeats` calls, and its value.

A peer that cannot be imported is reported with the import error instead of numbers.
"""

import json
import os
import sys
import time
import warnings


def load(folder, name):
    import numpy as np

    return np.fromfile(os.path.join(folder, name), dtype="<f8")


def best(repeats, f):
    t = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        f()
        t = min(t, time.perf_counter() - start)
    return t


def pot_sinkhorn(folder, p):
    import numpy as np
    import ot

    x, a, b = (load(folder, p[k]) for k in ("x", "a", "b"))
    m = np.abs(x[:, None] - x[None, :])
    reg = p["reg"]
    k1, k2 = p["iterations"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t1 = best(p["repeats"], lambda: ot.sinkhorn(a, b, m, reg, numItermax=k1, stopThr=0.0))
        t2 = best(p["repeats"], lambda: ot.sinkhorn(a, b, m, reg, numItermax=k2, stopThr=0.0))
        plan, log = ot.sinkhorn(
            a, b, m, reg, numItermax=p["converged_iterations"], stopThr=p["tol"], log=True
        )
    return {
        "seconds_per_iteration": (t2 - t1) / (k2 - k1) if t2 > t1 else t2 / k2,
        "cost": float(np.sum(plan * m)),
        "iterations": int(log.get("niter", -1)),
        "version": ot.__version__,
    }


def scipy_w1(folder, p):
    import scipy
    from scipy.stats import wasserstein_distance

    x, a, b = (load(folder, p[k]) for k in ("x", "a", "b"))
    value = wasserstein_distance(x, x, a, b)
    seconds = best(p["repeats"], lambda: wasserstein_distance(x, x, a, b))
    return {"seconds": seconds, "value": float(value), "version": scipy.__version__}


PEERS = {"sinkhorn": pot_sinkhorn, "w1": scipy_w1}


def main():
    manifest = sys.argv[1]
    folder = os.path.dirname(os.path.abspath(manifest))
    with open(manifest) as f:
        problems = json.load(f)["problems"]
    out = {"python": sys.version.split()[0], "results": []}
    for p in problems:
        row = {"kind": p["kind"], "n": p["n"]}
        try:
            row.update(PEERS[p["kind"]](folder, p))
        except ImportError as e:
            row["unavailable"] = f"import failed: {e}"
        out["results"].append(row)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
