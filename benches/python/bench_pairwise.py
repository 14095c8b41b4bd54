"""Measure pasa_sinkhorn.distributed.pairwise (issue 18): time and problems/s of the
all-pairs exact W1 matrix on the local path (rayon, all cores; and one thread as the
per-core baseline), on a Dask LocalCluster of one worker and of two (one thread per
worker, processes), with the parallel efficiency, and a SciPy loop for reference.

Cases: 2,000 1D histograms of 1,000 bins (~2e6 problems) and 64 x 64 images. The
images' exact W1 costs about 9 ms per problem on one core, so 300 images (44,850
problems) are about 400 s of one core's work per path (four paths): by default the image
case runs the first ``--image-rows`` images (24: 276 problems) and reports the
projection to 300 from the measured cost per problem, marked as a projection.
``--image-rows 300`` measures it (about 25 minutes on two idle cores).

Every cluster matrix is checked to be bit for bit the local one.

Usage: python benches/python/bench_pairwise.py [--quick] [--out FILE.json]
(needs the package built, and dask[distributed] and scipy installed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import scipy.stats

from pasa_sinkhorn import _native
from pasa_sinkhorn.distributed import pairwise


def histograms(rng, k, shape):
    h = rng.random((k,) + shape) + 0.05
    return h / h.sum(axis=tuple(range(1, h.ndim)), keepdims=True)


def timed(f):
    start = time.perf_counter()
    value = f()
    return value, time.perf_counter() - start


def case(name, h, problems, clusters, scipy_rate=None):
    """Local (all cores, one thread) and cluster timings of pairwise(h)."""
    out = {"case": name, "rows": len(h), "problems": problems, "runs": []}
    local, secs = timed(lambda: pairwise(h))
    out["runs"].append({"path": "local (rayon, all cores)", "cores": os.cpu_count(), "seconds": secs})
    one, secs = timed(lambda: _native.pairwise_pdist(h, threads=1))
    out["runs"].append({"path": "local, 1 thread", "cores": 1, "seconds": secs})
    assert np.array_equal(one, local[np.triu_indices(len(h), 1)])
    for workers, client in clusters:
        matrix, secs = timed(lambda: pairwise(h, client=client))
        assert np.array_equal(matrix, local), f"{name}: cluster and local differ"
        out["runs"].append({"path": f"dask, {workers} worker(s) x 1 thread", "cores": workers, "seconds": secs})
    for run in out["runs"]:
        run["problems_per_s"] = problems / run["seconds"]
    base = out["runs"][1]["problems_per_s"]
    for run in out["runs"]:
        run["efficiency_vs_1_thread"] = run["problems_per_s"] / (base * run["cores"])
    dask_runs = [r for r in out["runs"] if r["path"].startswith("dask")]
    if len(dask_runs) == 2:
        out["dask_efficiency_2_vs_1_worker"] = dask_runs[1]["problems_per_s"] / (2 * dask_runs[0]["problems_per_s"])
    out["seconds_per_problem_1_core"] = 1.0 / base
    if scipy_rate is not None:
        out["scipy_loop_problems_per_s"] = scipy_rate
    return out


def scipy_rate(h, pairs):
    """Problems/s of scipy.stats.wasserstein_distance in a Python loop (1D only)."""
    x = np.arange(h.shape[1], dtype=float)
    idx = [(i % len(h), (i + 1) % len(h)) for i in range(pairs)]
    _, secs = timed(lambda: [scipy.stats.wasserstein_distance(x, x, h[i], h[j]) for i, j in idx])
    return pairs / secs


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="500 1D histograms, 10 images")
    parser.add_argument("--image-rows", type=int, default=24)
    parser.add_argument("--out", default="target/bench/pairwise.json")
    args = parser.parse_args()
    import distributed

    rng = np.random.default_rng(18)
    line_rows = 500 if args.quick else 2000
    image_rows = 10 if args.quick else args.image_rows
    line = histograms(rng, line_rows, (1000,))
    images = histograms(rng, image_rows, (64, 64))
    report = {
        "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs (shared: other jobs may run)",
        "cases": [],
    }
    clusters = []
    try:
        for workers in (1, 2):
            cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True,
                dashboard_address=None, silence_logs=40,
            )
            clusters.append((workers, distributed.Client(cluster)))
        n = len(line)
        report["cases"].append(
            case(f"{n} 1D histograms x 1000 bins", line, n * (n - 1) // 2, clusters,
                 scipy_rate(line, 2000))
        )
        n = len(images)
        img = case(f"{n} images 64x64", images, n * (n - 1) // 2, clusters)
        if n < 300:
            full = 300 * 299 // 2
            img["projection_300_images"] = {
                "note": "projection from the measured cost per problem, not a measurement",
                "problems": full,
                "seconds_1_core": full * img["seconds_per_problem_1_core"],
            }
        report["cases"].append(img)
    finally:
        for _, client in clusters:
            cluster = client.cluster
            client.close()
            cluster.close()
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=2)
    for c in report["cases"]:
        print(f"{c['case']}: {c['problems']} problems")
        for r in c["runs"]:
            print(f"  {r['path']:<32} {r['seconds']:9.2f} s {r['problems_per_s']:12.0f} problems/s"
                  f"  efficiency vs 1 thread {100 * r['efficiency_vs_1_thread']:.0f}%")
        if "dask_efficiency_2_vs_1_worker" in c:
            print(f"  dask 2 vs 1 worker efficiency: {100 * c['dask_efficiency_2_vs_1_worker']:.0f}%")
        if "scipy_loop_problems_per_s" in c:
            print(f"  scipy.stats.wasserstein_distance loop: {c['scipy_loop_problems_per_s']:.0f} problems/s")
        if "projection_300_images" in c:
            p = c["projection_300_images"]
            print(f"  projection (not measured): 300 images = {p['problems']} problems, "
                  f"{p['seconds_1_core']:.0f} s on one core")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
