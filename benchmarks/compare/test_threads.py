"""near-dups end to end on one thread and on two, interleaved, for the issue's parallel targets.

``dedup.index(texts, threshold=0.8, ngram=5)`` with ``numba.set_num_threads(1)``
and ``(2)`` (every core here), alternating 1, 2, 1, 2, ... for
``THREAD_REPS`` rounds (``NEAR_DUPS_BENCH_REPS``, at least 9) after one untimed call each, each call made
twice back to back (``protocol``: the second is the figure, the first, after
the other thread count ran, is kept beside it).
Corpora: 20 Newsgroups, the web pages, Wikipedia and a 100,000-document
planted corpus (``generate.py``, seed 0). MB are 10**6 bytes of raw UTF-8
input. The targets of issue #13 read from these figures: two threads >= 1.8x
one thread (100k, Wikipedia), and web pages >= 0.9x the MB/s of Newsgroups on
two threads. gaoya and rensa are not run here: they keep rayon's default (one
worker per core), as the warm-up records in ``test_compare.py`` show.

A reference for the machine is measured in the same rounds: ``ceiling``'s
control kernels (``alu``: independent integer chains; ``latency``: one
dependent chain per task) on one and two threads, after near-dups in every
round. Their speed-ups say what two threads could give at that moment (a
reference, not a bound); each
round's ratio is kept too, so a slow round of near-dups can be set beside the
machine's.
"""

from __future__ import annotations

import os
import statistics

import numba
import pytest
from benchmarks.harness.ceiling import KERNELS, control
from benchmarks.harness.peers import run_dedup
from benchmarks.harness.protocol import interleave, loadavg, on_threads
from benchmarks.compare.test_compare import BACK_TO_BACK, LIMIT, REPS, corpus_or_skip

THREAD_CORPORA = ("newsgroups", "web_pages", "wikipedia", "planted-100k")
THREADS = (1, 2)
#: Rounds here: at least 9. The target is a ratio of two medians, each of
#: calls that vary up to 2x on this shared machine; with 5 rounds two slow
#: calls of one side moved the ratio from 1.8 to 1.1.
THREAD_REPS = max(REPS, 9)


def _n(k: int) -> str:
    return f"{k} thread{'s' if k > 1 else ''}"


def _texts(name: str):
    if name.startswith("planted-"):
        from benchmarks.harness.generate import cached

        n = 100_000 if LIMIT is None else LIMIT
        c = cached(n)
        return list(c.texts), c.nbytes, f"generated n={n} seed=0"
    corpus = corpus_or_skip(name)
    return list(corpus.texts), corpus.nbytes, name


@pytest.mark.parametrize("name", THREAD_CORPORA)
def test_threads(benchmark, name):
    texts, nbytes, label = _texts(name)
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("needs 2 cores")
    runs = {f"near-dups, {_n(k)}": on_threads(k, run_dedup) for k in THREADS}
    controls = {f"control {kind}, {_n(k)}": control(kind, k) for kind in KERNELS for k in THREADS}
    benchmark.group = f"threads {name}"
    res = benchmark.pedantic(interleave, args=({**runs, **controls}, texts, THREAD_REPS, None, BACK_TO_BACK),
                             rounds=1, iterations=1)
    rows = {}
    for k, threads in zip(runs, THREADS):
        walls = [c["wall_s"] for c in res["calls"][k]]
        med = statistics.median(walls)
        rows[k] = {"threads": threads, "wall_s": walls, "cpu_s": [c["cpu_s"] for c in res["calls"][k]],
                   "median": med, "min": min(walls), "max": max(walls), "mb_per_s": nbytes / 1e6 / med,
                   "first_wall_s": [c["wall_s"] for c in res["first_calls"][k]],
                   "first_median": statistics.median(c["wall_s"] for c in res["first_calls"][k]),
                   "pairs": len(res["results"][k]), "stable": res["stable"].get(k, True)}
    one, two = (rows[k]["median"] for k in runs)
    ceiling = {}
    for kind in KERNELS:
        a, b = ([c["wall_s"] for c in res["calls"][f"control {kind}, {_n(k)}"]] for k in THREADS)
        ceiling[kind] = {"one_s": a, "two_s": b, "speedup": statistics.median(a) / statistics.median(b),
                         "per_round": [round(x / y, 3) for x, y in zip(a, b)]}
        assert all(res["stable"][f"control {kind}, {_n(k)}"] for k in THREADS), "a control kernel's output changed"
    per_round = [round(x / y, 3) for x, y in zip(*(rows[k]["wall_s"] for k in runs))]
    benchmark.extra_info.update(kind="threads", corpus=name, source=label, docs=len(texts), bytes=nbytes, reps=THREAD_REPS,
                                back_to_back=BACK_TO_BACK,
                                rows=rows, speedup=one / two, per_round=per_round, ceiling=ceiling,
                                rounds=res["rounds"], load_end=loadavg(),
                                cpu_count=os.cpu_count())
    a, b = (rows[k]["pairs"] for k in runs)
    assert a == b, "one and two threads found different pairs"
