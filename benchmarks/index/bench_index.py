"""The persistent index at 100,000 documents: filter_new, query, save and load.

Not collected by the default test run (only ``tests/`` is); run it explicitly:

    python -m pytest benchmarks/index/bench_index.py -o addopts="" --benchmark-only \
        --benchmark-columns=min,median,max,rounds --benchmark-json=bench_index.json

Corpus: ``N_INDEXED`` documents of Zipf-distributed random words (a 50,000-word
vocabulary, 60-160 words each, like a web paragraph), one in ten an edited
copy of another (``EDITS`` substituted words), so the index holds verified
pairs, exact-duplicate groups and many candidates; built with vectorized
numpy from a fixed seed in about a second. The probe batch is ``N_PROBES``
documents: half edited copies of indexed documents (held back by
``filter_new``), half fresh ones (let through). Throughputs are in
``extra_info`` as documents/s; time values are per call.
"""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

import dedup

N_INDEXED = 100_000
N_PROBES = 10_000
VOCAB = 50_000
EDITS = 1  # substituted word per planted copy: Jaccard 0.84-0.97 with 5-word shingles at 60-160 words
SEED = 0


def _words(rng, n: int) -> list[str]:
    """``n`` documents of Zipf(1.1)-ranked words ``w<rank>``, lengths uniform in [60, 160)."""
    lengths = rng.integers(60, 160, size=n)
    ranks = np.minimum(rng.zipf(1.1, size=int(lengths.sum())), VOCAB) - 1
    vocab = np.array([f"w{i}" for i in range(VOCAB)], dtype=object)
    tokens = vocab[ranks]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    return [" ".join(tokens[bounds[k]:bounds[k + 1]]) for k in range(n)]


def _edit(rng, docs: list[str], which: np.ndarray) -> list[str]:
    """Copies of ``docs[which]`` with ``EDITS`` words each replaced by ``x<k>``."""
    out = []
    for k, src in enumerate(which.tolist()):
        words = docs[src].split()
        for pos in rng.integers(0, len(words), size=EDITS).tolist():
            words[pos] = f"x{k}"
        out.append(" ".join(words))
    return out


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(SEED)
    n_copies = N_INDEXED // 10
    base = _words(rng, N_INDEXED - n_copies)
    docs = base + _edit(rng, base, rng.integers(0, len(base), size=n_copies))
    order = rng.permutation(len(docs))
    docs = [docs[i] for i in order]
    probes = _edit(rng, docs, rng.integers(0, len(docs), size=N_PROBES // 2)) + _words(rng, N_PROBES // 2)
    return docs, probes


@pytest.fixture(scope="module")
def saved(corpus, tmp_path_factory):
    """The 100k-document index, built once (time in the build test's extra_info) and saved."""
    docs, _ = corpus
    dedup.index(docs[:1000])  # warm numba's cache before the timed build
    t = time.perf_counter()
    idx = dedup.index(docs)
    build_s = time.perf_counter() - t
    path = tmp_path_factory.mktemp("bench-index") / "idx"
    idx.save(path)
    return idx, path, build_s


def test_build_100k(benchmark, saved, corpus):
    idx, path, build_s = saved
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    benchmark.extra_info.update(documents=len(idx), build_s=round(build_s, 3),
                                docs_per_s=round(len(idx) / build_s), pairs=int(idx.pair_arrays()[0].shape[0]),
                                index_mb=round(size / 1e6, 1), corpus_mb=round(sum(map(len, corpus[0])) / 1e6, 1))
    benchmark.pedantic(lambda: None, rounds=1)  # the build is timed once, in the fixture


def test_filter_new_throughput(benchmark, saved, corpus):
    """``filter_new(add=False)`` of 10,000 documents against the 100k index."""
    idx, _, _ = saved
    _, probes = corpus
    passed = benchmark.pedantic(lambda: list(idx.filter_new(probes, add=False)), rounds=5, warmup_rounds=1)
    assert N_PROBES // 2 <= len(passed) < N_PROBES * 0.55  # the fresh half (and a few copies of a copy)
    benchmark.extra_info.update(batch=N_PROBES, passed=len(passed),
                                docs_per_s=round(N_PROBES / benchmark.stats.stats.median))


def test_filter_new_add_throughput(benchmark, saved, corpus):
    """``filter_new(add=True)``: the same, and the new documents added (each round on a fresh load)."""
    _, path, _ = saved
    _, probes = corpus
    docs = [(f"probe-{k}", t) for k, t in enumerate(probes)]

    def setup():
        return (dedup.load(path, verify=False),), {}

    benchmark.pedantic(lambda idx: list(idx.filter_new(docs, add=True)), setup=setup, rounds=3, warmup_rounds=1)
    benchmark.extra_info.update(batch=N_PROBES, docs_per_s=round(N_PROBES / benchmark.stats.stats.median))


@pytest.mark.parametrize("verify", [True, False])
def test_load(benchmark, saved, verify):
    _, path, _ = saved
    idx = benchmark.pedantic(lambda: dedup.load(path, verify=verify), rounds=5, warmup_rounds=1)
    assert len(idx) == N_INDEXED


def test_save(benchmark, saved, tmp_path):
    idx, _, _ = saved
    target = tmp_path / "copy"

    def setup():
        shutil.rmtree(target, ignore_errors=True)
        return (), {}

    benchmark.pedantic(lambda: idx.save(target), setup=setup, rounds=3, warmup_rounds=1)


@pytest.mark.parametrize("threads", [1, "all"])
def test_query_one_latency(benchmark, saved, corpus, threads):
    """``query`` of one document (an edited copy of an indexed one) against the loaded index.

    With one numba thread too: a single query has little to share out, and on
    a busy machine a parallel kernel waits for its slowest thread.
    """
    import numba

    _, path, _ = saved
    idx = dedup.load(path, verify=False)
    text = corpus[1][0]
    before = numba.get_num_threads()
    numba.set_num_threads(1 if threads == 1 else numba.config.NUMBA_NUM_THREADS)
    try:
        found = benchmark.pedantic(lambda: idx.query(text), rounds=50, warmup_rounds=3)
    finally:
        numba.set_num_threads(before)
    assert found and found[0][1] >= 0.8
