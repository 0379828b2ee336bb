"""Throughput of shingling + signatures, on one core and on two, and each stage's time.

MB/s is UTF-8 megabytes (10**6 bytes) of *raw* input text per second
(``Corpus.nbytes``: about 127 MB for the 8,000 Wikipedia articles).

* ``featurize``: ``dedup._indexing._pipeline.featurize``, the first stage of
  ``dedup.index`` (and of each Dask partition): Python strings to normalized
  UTF-8, shingles, xxh3 digests and LSH band keys. This is what a user's
  throughput is.
* ``kernels``: only the shingling and sketch kernels (``shingle_segments`` +
  band keys) on text already encoded, in the same batches: the numba part
  alone.

Threads are set with ``numba.set_num_threads`` (1, then 2 = every core here).
Stage times (``test_stage``) run with the default thread count on Wikipedia
(throughput, few duplicates) and 20 Newsgroups (many candidates), so a
regression points at its stage. Every benchmark is timed after the same code
ran once on the same data (kernels compiled, tables built).
"""

from __future__ import annotations

import os

import numba
import pytest
from benchmarks.harness.stages import STAGES, Staged
from benchmarks.harness.timing import cpu_timed

import dedup
from dedup._indexing import _pipeline

THREADS = [1, 2]
ROUNDS = 5


@pytest.fixture(scope="module")
def wiki_staged(wikipedia):
    return Staged(list(wikipedia.texts)).run_all()


def _info(benchmark, corpus, contender, **extra):
    benchmark.extra_info.update(contender=contender, corpus=corpus.name, docs=len(corpus), bytes=corpus.nbytes,
                                loadavg_before=round(os.getloadavg()[0], 2), **extra)


@pytest.mark.parametrize("threads", THREADS, indirect=True, ids=[f"threads{t}" for t in THREADS])
def test_featurize(benchmark, wikipedia, wiki_staged, threads):
    texts = list(wikipedia.texts)
    config = dedup.Config(threshold=0.8, ngram=5)
    benchmark.group = f"throughput wikipedia n={len(wikipedia)}"
    _info(benchmark, wikipedia, f"dedup featurize, {threads} thread(s)", threads=threads)
    benchmark.pedantic(cpu_timed(benchmark, _pipeline.featurize), args=(texts, config), rounds=ROUNDS, iterations=1, warmup_rounds=0)


@pytest.mark.parametrize("threads", THREADS, indirect=True, ids=[f"threads{t}" for t in THREADS])
def test_kernels(benchmark, wikipedia, wiki_staged, threads):
    def kernels():
        wiki_staged.shingle()
        wiki_staged.sketch()

    benchmark.group = f"throughput wikipedia n={len(wikipedia)}"
    _info(benchmark, wikipedia, f"dedup kernels (shingle + sketch), {threads} thread(s)", threads=threads)
    benchmark.pedantic(cpu_timed(benchmark, kernels), rounds=ROUNDS, iterations=1)


@pytest.fixture(scope="module")
def staged(request):
    corpus = request.getfixturevalue(request.param)
    if request.param == "wikipedia":
        s = request.getfixturevalue("wiki_staged")
    else:
        s = Staged(list(corpus.texts)).run_all()
    s.check()
    return corpus, s


@pytest.mark.parametrize("staged", ["wikipedia", "newsgroups"], indirect=True)
@pytest.mark.parametrize("stage", STAGES)
def test_stage(benchmark, staged, stage):
    corpus, s = staged
    benchmark.group = f"stages {corpus.name} n={len(corpus)}"
    _info(benchmark, corpus, f"stage {STAGES.index(stage) + 1} {stage}", threads=numba.get_num_threads(),
          candidates=int(s.ci.shape[0]), verified_pairs=int(s.pairs[0].shape[0]))
    benchmark.pedantic(cpu_timed(benchmark, getattr(s, stage)), rounds=ROUNDS, iterations=1)
