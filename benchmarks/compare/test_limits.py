"""Where near-dups' time goes, stage by stage, on each corpus of the comparison.

The floor (read each text, encode it to UTF-8, xxh3 it) is timed inside
``test_compare.py``, interleaved with the contenders, so the limits table's
ratio near-dups / floor comes from the same rounds. This file adds the time of
each stage of ``dedup.index`` (``stages.Staged``: encode, shingle, sketch,
digests, exact groups, bucket, candidates, verify, expand, cluster) on the same
corpora, each round one pass through the stages in pipeline order, default
threads (every core), ``NEAR_DUPS_BENCH_REPS`` rounds after an untimed one.

``harness/stages.py`` calls the functions of ``dedup._indexing._pipeline`` that ``dedup.index``
calls, and checks that the staged chain gives what ``dedup.index`` gives.
"""

from __future__ import annotations

import statistics

import numba
import pytest
from benchmarks.harness.protocol import interleave, loadavg
from benchmarks.compare.test_compare import CORPORA, REPS, corpus_or_skip


@pytest.mark.parametrize("name", CORPORA)
def test_stages(benchmark, name):
    corpus = corpus_or_skip(name)
    from benchmarks.harness.stages import STAGES, Staged

    staged = Staged(list(corpus.texts)).run_all()
    staged.check()
    runs = {stage: getattr(staged, stage) for stage in STAGES}
    benchmark.group = f"stages {name}"
    res = benchmark.pedantic(_run_stages, args=(runs, REPS), rounds=1, iterations=1)
    rows = {}
    for stage in STAGES:
        walls = [c["wall_s"] for c in res["calls"][stage]]
        rows[stage] = {"wall_s": walls, "median": statistics.median(walls), "min": min(walls), "max": max(walls),
                       "cpu_median": statistics.median(c["cpu_s"] for c in res["calls"][stage])}
    benchmark.extra_info.update(
        kind="stages", corpus=name, docs=len(corpus), bytes=corpus.nbytes, reps=REPS, threads=numba.get_num_threads(),
        stages=rows, candidates=int(staged.ci.shape[0]), verified_pairs=int(staged.pairs[0].shape[0]),
        shingles=int(staged.values.shape[0]), rounds=res["rounds"], load_end=loadavg(),
    )


def _run_stages(runs: dict, reps: int) -> dict:
    """``interleave`` for methods that take no argument (each stage reads the previous one's output)."""
    def call(f):
        def run(_texts):
            f()  # the output stays on ``Staged`` for the next stage; nothing to compare across rounds

        return run

    return interleave({k: call(f) for k, f in runs.items()}, [], reps)
