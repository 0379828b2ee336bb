"""The size ladder: 1k, 10k, 100k (and, when asked, 1M) generated documents.

Corpora come from ``generate.py`` (real Wikipedia sentences, about 450 words
per document, planted near-duplicate clusters with a known answer), so
recall is scored at every size. The job is the one of ``peers.py``: raw
texts -> every pair with exact Jaccard >= 0.8 over word 5-grams.

    python -m pytest benchmarks/ladder/test_ladder.py -o addopts="" --benchmark-only \\
        --benchmark-json=ladder.json
    NEAR_DUPS_BENCH_1M=1 pytest ...          # adds the 1,000,000-document rung
    python -m benchmarks.harness.plot_ladder ladder.json   # tables + ladder.png

Groups:

* ``ladder e2e n=N``: every contender of the rung interleaved in one
  benchmark (``protocol.interleave``: A B C ..., A B C ..., ``LADDER_REPS``
  rounds, 5 unless ``NEAR_DUPS_LADDER_REPS`` says otherwise, 1M included),
  after a warm-up call each on 200 documents (JIT compiled or loaded from
  numba's cache, imports done); ``extra_info["rows"]`` holds each
  contender's wall and CPU seconds of every round, pairs found, recall and
  precision against the planted truth, and whether the clusters equal the
  truth's.
* ``ladder memory n=N``: each contender once in a fresh process
  (``ladder_worker.py``), resident-set peak of the run.
* ``ladder stages n=100000``: dedup's stages (``stages.Staged``) on one and
  on two threads, so a regression points at its stage and the parallel
  stages' speed-up is measured. On 1M the memory run splits the call at its
  stage boundaries instead (``ladder_worker.py --stages``).
* ``ladder cold start``: dedup's first call in a fresh process, with an
  empty numba cache and with a warm one.
* ``ladder truth n=1000``: the naive all-pairs loop over the whole rung, to
  show that the planted truth is the complete answer (no accidental pairs);
  on 1k and 10k the exact baseline's answer must equal the truth too.

The peers are slow: rensa and datasketch run up to 100k, the pure-Python
exact join up to 10k; on 1M dedup (on two threads and on one) and gaoya
run. Every e2e row records recall and precision against the planted
truth. (The interleaved comparison on real corpora is ``test_compare.py``.)
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numba
import pytest
from benchmarks.harness.peers import brute_force, recall, shingle_set
from benchmarks.harness.protocol import interleave
from benchmarks.harness.timing import cpu_timed
from benchmarks.harness.generate import cached
from benchmarks.harness.stages import STAGES
from benchmarks.ladder.ladder_worker import contenders, run_worker

THRESHOLD = 0.8
RUNGS = [1_000, 10_000, 100_000] + ([1_000_000] if os.environ.get("NEAR_DUPS_BENCH_1M") == "1" else [])
#: Largest rung each contender runs on.
#: gaoya runs on 1M too (issue #13: "gaoya added where it fits"): its peak grows with the corpus (about 1.1 GB at
#: 100k), so about 11 GB at 1M, which fits beside the 2.6 GiB of texts on this 23.5 GiB machine when nothing else
#: big runs; rensa and datasketch would take 10+ and 20+ minutes a round there.
MAX_RUNG = {"dedup": 10**9, "dedup@1thread": 10**9, "gaoya": 1_000_000, "rensa": 100_000, "datasketch": 100_000,
            "exact": 10_000}
#: Interleaved rounds of every rung (``NEAR_DUPS_LADDER_REPS``): every contender, the 1M rung included.
LADDER_REPS = int(os.environ.get("NEAR_DUPS_LADDER_REPS", "5"))
WARMUP_DOCS = 200
#: Stages are timed on 100k only: ``Staged`` keeps every stage's input and output at once (about
#: 18 GB at 1M); the 1M run's stage split comes from the memory run in a fresh process instead.
STAGE_RUNGS = [100_000]
THREADS = [1, 2]
COLD_RUNG = 10_000


def _label(n: int) -> str:
    """Test-id label of a rung: n1k, n10k, n100k, n1M (select with ``-k n100k``)."""
    return f"n{n // 1_000_000}M" if n >= 1_000_000 else f"n{n // 1000}k"


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _info(benchmark, corpus, contender, kind, **extra):
    benchmark.extra_info.update(ladder=kind, contender=contender, corpus=f"generated seed={corpus.seed}",
                                docs=len(corpus), bytes=corpus.nbytes, words=corpus.words,
                                loadavg_before=_load(), **extra)


def _clusters(pairs, n) -> set:
    """Connected components (two or more members) of ``pairs``, as frozensets."""
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict = {}
    for x in {d for p in pairs for d in p}:
        groups.setdefault(find(x), set()).add(x)
    return {frozenset(g) for g in groups.values()}


def _eligible(n: int) -> dict:
    """The contenders of rung ``n`` (``MAX_RUNG``; one thread from 10k on), in ``contenders()``'s order."""
    return {name: c for name, c in contenders().items()
            if n <= MAX_RUNG[name] and (name != "dedup@1thread" or n >= 10_000)}


@pytest.mark.parametrize("n", RUNGS, ids=_label)
def test_ladder_e2e(benchmark, n):
    """Every contender of the rung, interleaved (A B C ..., A B C ...), ``LADDER_REPS`` rounds, after a warm-up."""
    corpus = cached(n)
    texts = corpus.texts
    runs = _eligible(n)
    benchmark.group = f"ladder e2e n={n}"
    _info(benchmark, corpus, "all", "e2e-interleaved", reps=LADDER_REPS, warmup_docs=WARMUP_DOCS)
    res = benchmark.pedantic(interleave, args=({k: r for k, (r, _) in runs.items()}, texts, LADDER_REPS,
                                               dict.fromkeys(runs, WARMUP_DOCS)), rounds=1, iterations=1)
    truth = corpus.truth(THRESHOLD)
    planted = corpus.planted_jaccard()
    rows = {}
    for name, (_, description) in runs.items():
        found = res["results"][name]
        walls = [c["wall_s"] for c in res["calls"][name]]
        rows[name] = {
            "description": description, "threads": 1 if name == "dedup@1thread" else numba.get_num_threads(),
            "wall_s": walls, "cpu_s": [c["cpu_s"] for c in res["calls"][name]], "stable": res["stable"].get(name, True),
            "pairs": len(found), "truth_pairs": len(truth),
            "recall": round(recall(found, truth), 5), "precision": round(recall(truth, found), 5),
            "missed": sorted([i, j, round(planted[(i, j)], 4)] for (i, j) in truth if (i, j) not in found)[:10],
            "extra": sorted([i, j, round(s, 4)] for (i, j), s in found.items() if (i, j) not in truth)[:10],
            "clusters_equal_truth": _clusters(found, n) == _clusters(truth, n),
            "warmup": res["warmup"][name],
        }
        assert all(s >= THRESHOLD for s in found.values()), name
        if name == "exact":  # the exact all-pairs join finds only planted pairs: no accidental ones
            assert set(found) == set(truth)
    benchmark.extra_info.update(rows=rows, rounds=res["rounds"], loadavg_after=_load())


@pytest.mark.parametrize("n", [r for r in RUNGS if r <= 1_000], ids=_label)
def test_ladder_truth(benchmark, n):
    """Naive all-pairs exact Jaccard over the whole rung equals the planted truth."""
    corpus = cached(n)
    sets = [shingle_set(t) for t in corpus.texts]
    benchmark.group = f"ladder truth n={n}"
    _info(benchmark, corpus, "naive all-pairs loop (Python sets)", "truth")
    brute = benchmark.pedantic(brute_force, args=(sets, range(n), THRESHOLD), rounds=1, iterations=1)
    truth = corpus.truth(THRESHOLD)
    benchmark.extra_info.update(pairs=len(brute), truth_pairs=len(truth), equal=set(brute) == set(truth))
    assert set(brute) == set(truth)


def _memory_cases():
    for n in RUNGS:
        for name in ("dedup", "gaoya", "rensa", "datasketch", "exact"):
            if n <= MAX_RUNG[name]:
                yield pytest.param(name, n, id=f"{name}-{_label(n)}")


@pytest.mark.parametrize(("contender", "n"), list(_memory_cases()))
def test_ladder_memory(benchmark, contender, n):
    corpus = cached(n)  # for the byte and word counts; the child builds its own copy
    runs = []
    benchmark.group = f"ladder memory n={n}"
    _info(benchmark, corpus, contender, "memory")
    args = ["--warmup", str(WARMUP_DOCS)] + (["--stages"] if contender == "dedup" else [])
    benchmark.pedantic(lambda: runs.append(run_worker(contender, n, *args)), rounds=1, iterations=1)
    r = runs[-1]
    mb = lambda kb: round(kb / 1024, 1)  # noqa: E731
    benchmark.extra_info.update(
        loadavg_after=_load(), peak_rss_mb=mb(r["hwm_kb_peak"]), run_peak_mb=mb(r["hwm_kb_run"]),
        before_run_mb=mb(r["rss_kb_before"]), run_increment_mb=mb(r["hwm_kb_run"] - r["rss_kb_before"]),
        run_s=round(r["calls_s"][0], 3), gen_s=round(r["gen_s"], 2), pairs=r["pairs"],
        stages=r["stages"], arrays=r["arrays"],
    )


@pytest.fixture(scope="module", params=STAGE_RUNGS, ids=[_label(r) for r in STAGE_RUNGS])
def ladder_staged(request):
    from benchmarks.harness.stages import Staged

    corpus = cached(request.param)
    s = Staged(list(corpus.texts)).run_all()
    s.check()
    return corpus, s


@pytest.mark.parametrize("threads", THREADS, indirect=True, ids=[f"threads{t}" for t in THREADS])
@pytest.mark.parametrize("stage", STAGES)
def test_ladder_stage(benchmark, ladder_staged, stage, threads):
    corpus, s = ladder_staged
    benchmark.group = f"ladder stages n={len(corpus)}"
    _info(benchmark, corpus, f"stage {STAGES.index(stage) + 1} {stage}", "stage", stage=stage, threads=threads,
          candidates=int(s.ci.shape[0]), verified_pairs=int(s.pairs[0].shape[0]),
          shingles=int(s.values.shape[0]))
    benchmark.pedantic(cpu_timed(benchmark, getattr(s, stage)), rounds=5, iterations=1)
    benchmark.extra_info["loadavg_after"] = _load()


@pytest.fixture(scope="module")
def cache_root():
    root = tempfile.mkdtemp(prefix="dedup-ladder-numba-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("cache", ["no-cache", "warm-cache"])
def test_ladder_cold_start(benchmark, cache_root, cache):
    """A fresh process: import, first ``dedup.index`` call (compile or cache load), second call."""
    corpus = cached(COLD_RUNG)
    warm_dir = os.path.join(cache_root, "warm")
    if cache == "warm-cache" and not os.path.isdir(warm_dir):
        run_worker("dedup", COLD_RUNG, "--warmup", "0", env=dict(os.environ, NUMBA_CACHE_DIR=warm_dir))
    runs = []

    def setup():
        d = tempfile.mkdtemp(dir=cache_root) if cache == "no-cache" else warm_dir
        return (dict(os.environ, NUMBA_CACHE_DIR=d),), {}

    def target(env):
        runs.append(run_worker("dedup", COLD_RUNG, "--warmup", "0", "--repeat", "2", env=env))

    benchmark.group = "ladder cold start"
    _info(benchmark, corpus, f"dedup ({cache}, whole process)", "cold", cache=cache)
    benchmark.pedantic(target, setup=setup, rounds=2 if cache == "no-cache" else 3, iterations=1)
    benchmark.extra_info.update(
        loadavg_after=_load(),
        import_s=[round(r["import_s"], 3) for r in runs],
        gen_s=[round(r["gen_s"], 3) for r in runs],
        first_call_s=[round(r["calls_s"][0], 3) for r in runs],
        second_call_s=[round(r["calls_s"][1], 3) for r in runs],
        # what starting costs beyond the work itself: import + (first call - second call)
        start_overhead_s=[round(r["import_s"] + r["calls_s"][0] - r["calls_s"][1], 3) for r in runs],
        process_wall_s=[round(r["wall_s"], 3) for r in runs],
        pairs=runs[-1]["pairs"],
    )
