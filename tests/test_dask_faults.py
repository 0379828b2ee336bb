"""The Dask engine survives a lost worker: one of 2 workers SIGKILLed mid-run, the answer unchanged.

A cluster of its own (the shared one of ``test_dask.py`` must not lose a
worker). Dask recomputes what the lost worker held from the graph (every
stage is pure and keyed), and the nanny starts a new worker process, which
loads the kernels from numba's cache. Skipped without the ``dask`` extra.
"""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")
pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")

import dedup  # noqa: E402
import dedup.dask as ddk  # noqa: E402
from tests.support.planted import planted_corpus  # noqa: E402
from tests.test_dask import _warm  # noqa: E402


def _frame():
    docs = planted_corpus(n_base=4000, n_copies=3000, words=120, seed=17)
    docs = docs + docs[10:200]  # exact copies too
    return pd.DataFrame({"id": [f"d{k:05d}" for k in range(len(docs))], "text": docs})


def _busy(client) -> bool:
    return any(client.processing().values())


def _kill_a_worker_during(run) -> dict:
    """Run ``run()`` (returns a dict of results) in a thread on a cluster of 2 workers of its own, SIGKILL one
    worker once the cluster is busy, and return the results: the run must end without error after the kill,
    the nanny having replaced the victim."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            before = client.run(os.getpid)  # worker address -> process id
            result: dict = {}

            def job():
                try:
                    result.update(run())
                    result["done"] = time.time()
                except BaseException as e:  # noqa: BLE001 - reported below
                    result["error"] = e

            runner = threading.Thread(target=job)
            runner.start()
            deadline = time.time() + 120
            while not _busy(client) and runner.is_alive() and time.time() < deadline:
                time.sleep(0.01)
            time.sleep(0.3)  # well inside the run: its first stage takes seconds
            assert runner.is_alive(), "the run ended before the worker could be killed: make the corpus larger"
            victim = sorted(before.items())[0][1]
            os.kill(victim, signal.SIGKILL)
            killed_at = time.time()
            runner.join(timeout=600)
            assert not runner.is_alive()
            assert "error" not in result, repr(result.get("error"))
            # the kill hit a running job, which finished after it; the nanny replaced the victim
            assert result["done"] > killed_at
            after = client.run(os.getpid)
            assert len(after) == 2 and victim not in after.values()
    finally:
        cluster.close()
    return result


@pytest.mark.slow
def test_killing_a_worker_mid_run_changes_no_answer():
    _warm()  # compiled and cached here, so the workers (and the one that replaces the victim) load the cache
    df = _frame()
    idx = dedup.index(zip(df["id"], df["text"]), threshold=0.7)
    ids = np.array(idx.ids, dtype=object)
    want_labels, want_keep, want_pairs = ids[idx.labels()].tolist(), idx.keep_mask().tolist(), idx.pairs()

    def run():
        ddf = dd.from_pandas(df, npartitions=6, sort=False)
        labels, pairs = ddk.find_duplicates(ddf, threshold=0.7, pairs=True)
        return {"labels": labels.compute(), "pairs": pairs.compute()}

    result = _kill_a_worker_during(run)
    got = result["labels"]
    assert got["id"].tolist() == df["id"].tolist()
    assert got["cluster"].tolist() == want_labels
    assert got["keep"].tolist() == want_keep
    p = result["pairs"]
    assert list(zip(p["id_a"], p["id_b"], p["score"])) == want_pairs
    assert len(want_pairs) > 1000  # a corpus with work in every stage


@pytest.mark.slow
def test_killing_a_worker_mid_collapse_changes_no_answer():
    """Features gathered, then partitions cut: a worker lost in either step, and the answer is the same."""
    from benchmarks.harness import crawl
    from tests.test_dask_collapse import _warm as warm_collapse
    from tests.test_dask_collapse import rows

    warm_collapse()
    pages = list(crawl.pages(6000, 11))
    df = pd.DataFrame({"id": [p.id for p in pages], "text": [p.text for p in pages]})
    ddf = dd.from_pandas(df, npartitions=8, sort=False)
    want = dedup.collapse(ddf.compute())

    def run():
        out = ddk.collapse(ddf)
        docs, removals = dask.compute(out.docs, out.removals)
        return {"docs": docs, "removals": removals}

    result = _kill_a_worker_during(run)
    pd.testing.assert_frame_equal(result["docs"], want.docs)
    assert rows(result["removals"]) == rows(want.removals)
    assert len(want.removals) > 10_000  # a corpus with work in every step
