"""pasa_sinkhorn.distributed.pairwise on a Dask LocalCluster of two worker processes:
the same matrix bit for bit as the local path (each block runs the same Rust code per
problem), with odd and automatic block sizes, empty and single-row collections, and a
worker killed while its blocks are running. Skipped when Dask is not installed
(scripts/pytest.sh installs it)."""

import os
import signal
import threading
import time

import numpy as np
import pytest

from conftest import histogram, sorted_support
from pasa_sinkhorn.distributed import pairwise

distributed = pytest.importorskip("distributed")


def rows(rng, k, shape):
    return np.stack([histogram(rng, shape) for _ in range(k)])


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=40,
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.mark.parametrize("block", [None, 1, 3, 100])
def test_cluster_matches_local_bit_for_bit(rng, client, block):
    x = sorted_support(rng, 40)
    h = rows(rng, 11, 40)
    local = pairwise(h, x=x)
    assert np.array_equal(pairwise(h, x=x, client=client, block=block), local)
    assert np.array_equal(
        pairwise(h, x=x, client=client, block=block, condensed=True),
        pairwise(h, x=x, condensed=True),
    )
    other = rows(rng, 4, 40)
    assert np.array_equal(
        pairwise(h, other, x=x, client=client, block=block), pairwise(h, other, x=x)
    )


def test_cluster_matches_local_on_grids_and_for_sinkhorn(rng, client):
    g = rows(rng, 7, (6, 5))
    assert np.array_equal(pairwise(g, client=client, block=2), pairwise(g))
    h = rows(rng, 5, 30)
    kw = dict(method="sinkhorn_log", reg=0.5)
    assert np.array_equal(pairwise(h, h, client=client, block=2, **kw), pairwise(h, h, **kw))


def test_empty_and_single_row_on_the_cluster(rng, client):
    assert pairwise(np.empty((0, 5)), client=client).shape == (0, 0)
    assert pairwise(np.empty((0, 5)), client=client, condensed=True).shape == (0,)
    one = rows(rng, 1, 5)
    assert np.array_equal(pairwise(one, client=client), np.zeros((1, 1)))
    assert pairwise(one, np.empty((0, 5)), client=client).shape == (1, 0)


def test_bad_histogram_fails_fast_on_the_cluster(rng, client):
    h = rows(rng, 6, 9)
    h[4, 2] = np.nan
    with pytest.raises(ValueError, match=r"histograms\[4\] is not a valid histogram"):
        pairwise(h, client=client)


def test_a_worker_killed_mid_run_gives_the_complete_identical_result(rng, client):
    # 100 images of 16 x 16 (~0.4 ms per exact W1, ~2 s of one core's work), in 55
    # blocks of 10 rows: long enough to kill a worker while blocks are running.
    h = rows(rng, 100, (16, 16))
    local = pairwise(h)
    result = {}

    def run():
        result["matrix"] = pairwise(h, client=client, block=10)

    pids = client.run(os.getpid)
    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 60
    victim = None
    while victim is None and time.monotonic() < deadline:
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            victim = busy[0]
        else:
            time.sleep(0.02)
    assert victim is not None, "no block started within 60 s"
    time.sleep(0.2)
    assert worker.is_alive(), "the run finished before the kill; enlarge the workload"
    os.kill(pids[victim], signal.SIGKILL)
    killed = time.monotonic()
    worker.join(timeout=120)
    assert not worker.is_alive()
    print(f"killed worker: the run finished {time.monotonic() - killed:.1f} s after the kill")
    assert np.array_equal(result["matrix"], local)
    # The killed worker is gone: the nanny started a replacement with a new address.
    assert victim not in client.scheduler_info()["workers"]


class FailingTransfers:
    """A client whose first ``failures`` gathers fail as tornado's IOStream did (an
    AssertionError in the client's event loop, dask/distributed#7331); everything else
    is the real client."""

    def __init__(self, client, failures):
        self._client, self.failures, self.gathers = client, failures, 0

    def gather(self, futures):
        self.gathers += 1
        if self.failures > 0:
            self.failures -= 1
            raise AssertionError("assert 0 < size <= self._size")
        return self._client.gather(futures)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_failed_transfer_is_asked_again_and_the_matrix_is_identical(rng, client):
    h = rows(rng, 12, (40,))
    flaky = FailingTransfers(client, failures=2)
    assert np.array_equal(pairwise(h, client=flaky, block=4), pairwise(h))
    assert flaky.gathers >= 3  # two failed, then the batches that arrived


def test_a_transfer_that_keeps_failing_raises_instead_of_waiting(rng, client):
    from pasa_sinkhorn.distributed import GATHER_ATTEMPTS

    h = rows(rng, 6, (40,))
    broken = FailingTransfers(client, failures=10**9)
    with pytest.raises(AssertionError, match="size"):
        pairwise(h, client=broken, block=3)
    assert broken.gathers == GATHER_ATTEMPTS
