"""near-dups against gaoya, rensa and datasketch: interleaved, repeated, checked against the exact truth.

The job (every contender, ``peers.py``): raw texts -> every pair with exact
Jaccard >= 0.8 over word 5-grams, verified. Corpora: all of 20 Newsgroups,
the web pages, both together (the issue's headline), Wikipedia.

Protocol (``protocol.interleave``), one process for everything:

* each contender is called once untimed (JIT compiled or loaded from numba's
  cache, rayon pools started, first-touch memory), on the whole corpus
  (datasketch, which has nothing to warm, on its first 1,000 documents);
* then ``NEAR_DUPS_BENCH_REPS`` rounds (default 5) of floor, near-dups, gaoya,
  rensa, datasketch, in that order, each called twice back to back
  (``NEAR_DUPS_BENCH_BACK_TO_BACK``) and each call timed alone (wall and
  CPU): the second call is the figure, the first (which follows another
  contender) is reported beside it;
  the load averages are read before and after each round;
* pytest-benchmark cannot interleave tests, so each corpus is one benchmark
  whose timed value is the whole interleaved loop; every call's seconds go to
  ``extra_info["contenders"][name]["wall_s"]`` and ``report.py`` reads them;
* the last round's pairs of each contender are checked against the exact
  truth (``truth.truth``, cached in ``benchmarks/.cache``): recall and
  precision. near-dups is scored against the truth over its own shingles, the
  peers against the truth over the Python shingles their exact check uses; the
  truth over gaoya's own tokenization and the agreement of the three
  tokenizations are recorded beside them.

``floor`` is the limit of any tool: touch each text, encode it to UTF-8, xxh3
it. ``test_peak_memory`` runs each contender again in a fresh process per
corpus (``worker.py``) for its resident-set peak, and its first call there
(after a 200-document warm-up) is kept as ``run_s``.

    python -m pytest benchmarks/compare/test_compare.py benchmarks/compare/test_threads.py benchmarks/compare/test_limits.py \\
        -o addopts="" --benchmark-only --benchmark-json=benchmarks/results/compare/results.json
    python -m benchmarks.harness.report benchmarks/results/compare/results.json

``NEAR_DUPS_BENCH_LIMIT=N`` keeps the first N documents of each corpus (each
part of a ``+`` corpus): for trying the harness, never for results.
"""

from __future__ import annotations

import json
import os
import statistics

import pytest
from benchmarks.harness.corpus import exists, load
from benchmarks.harness.peers import CONTENDERS, recall, run_floor
from benchmarks.harness.protocol import interleave, loadavg, os_threads
from benchmarks.harness.truth import CACHE_DIR, texts_digest, tokenizer_agreement, truth
from benchmarks.harness.worker import run_worker

CORPORA = ("newsgroups", "web_pages", "newsgroups+web_pages", "wikipedia")
CONTENDER_ORDER = ("near-dups", "gaoya", "rensa", "datasketch")
REPS = int(os.environ.get("NEAR_DUPS_BENCH_REPS", "5"))
LIMIT = int(os.environ["NEAR_DUPS_BENCH_LIMIT"]) if os.environ.get("NEAR_DUPS_BENCH_LIMIT") else None
#: Untimed warm-up call, documents per contender (missing = the whole corpus).
WARMUP = {"datasketch": 1000}
#: Calls per contender per round, back to back: the last is the timed figure, the first is kept beside it
#: (``protocol``: on this VM a two-core run that follows other work is up to 2.7x slower: ``idle_penalty.py``).
BACK_TO_BACK = int(os.environ.get("NEAR_DUPS_BENCH_BACK_TO_BACK", "2"))
#: near-dups must find this share of the exact pairs of its own shingle sets (S-curve: 0.998 per pair at 0.8).
RECALL_FLOOR = 0.99


def corpus_or_skip(name: str):
    if not exists(name):
        pytest.skip(f"corpus {name} not found in ../shared/data (benchmarks need it next to the repo)")
    return load(name, limit=LIMIT)


def _stats(xs: list[float]) -> dict:
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs)}


def _agreement(name: str, texts) -> dict:
    """``truth.tokenizer_agreement``, cached like the truth (it shingles the corpus three times)."""
    path = CACHE_DIR / f"agreement-{name}-{texts_digest(texts)[:16]}.json"
    if path.exists():
        return json.loads(path.read_text())
    out = tokenizer_agreement(texts)
    CACHE_DIR.mkdir(exist_ok=True)
    path.write_text(json.dumps(out))
    return out


@pytest.mark.parametrize("name", CORPORA)
def test_compare(benchmark, name):
    corpus = corpus_or_skip(name)
    texts = list(corpus.texts)
    runs = {"floor": run_floor, **{k: CONTENDERS[k][0] for k in CONTENDER_ORDER}}
    benchmark.group = f"compare {name}"
    load_start = loadavg()
    res = benchmark.pedantic(interleave, args=(runs, texts, REPS, WARMUP, BACK_TO_BACK), rounds=1, iterations=1)

    truths = {rule: truth(name, texts, rule) for rule in ("python", "dedup", "gaoya")}
    py, dd = set(truths["python"]), set(truths["dedup"])
    contenders = {}
    for k in runs:
        walls = [c["wall_s"] for c in res["calls"][k]]
        cpus = [c["cpu_s"] for c in res["calls"][k]]
        firsts = [c["wall_s"] for c in res["first_calls"][k]]
        row = {"wall_s": walls, "cpu_s": cpus, **_stats(walls), "cpu_median": statistics.median(cpus),
               "first_wall_s": firsts, "first_median": statistics.median(firsts),
               "warmup": res["warmup"][k], "stable": res["stable"].get(k, True)}
        if k != "floor":
            found = res["results"][k]
            own = truths["dedup"] if k == "near-dups" else truths["python"]
            row.update(description=CONTENDERS[k][1], pairs=len(found), truth="dedup" if k == "near-dups" else "python",
                       recall=round(recall(found, own), 5), precision=round(recall(own, found), 5),
                       recall_vs_python_truth=round(recall(found, truths["python"]), 5),
                       recall_vs_dedup_truth=round(recall(found, truths["dedup"]), 5),
                       missed=[[i, j, round(s, 4)] for (i, j), s in sorted(own.items()) if (i, j) not in found][:10],
                       extra=[[i, j, round(s, 4)] for (i, j), s in sorted(found.items()) if (i, j) not in own][:10])
        contenders[k] = row
    benchmark.extra_info.update(
        kind="compare", corpus=name, docs=len(texts), bytes=corpus.nbytes, reps=REPS, limit=LIMIT,
        back_to_back=BACK_TO_BACK,
        order=list(runs), contenders=contenders, rounds=res["rounds"], load_start=load_start, load_end=loadavg(),
        os_threads_end=os_threads(),
        truth={"pairs_python": len(py), "pairs_dedup": len(dd), "pairs_gaoya_tokens": len(truths["gaoya"]),
               "python_and_dedup": len(py & dd), "python_and_gaoya_tokens": len(py & set(truths["gaoya"]))},
        agreement=_agreement(name, texts),
    )
    for k, row in contenders.items():
        assert row["stable"], f"{k} gave different pairs in different rounds"
    nd = contenders["near-dups"]
    assert nd["recall"] >= RECALL_FLOOR and nd["precision"] == 1.0, nd
    for k in CONTENDER_ORDER[1:]:  # the peers' exact check can only keep true pairs
        assert contenders[k]["precision"] == 1.0, (k, contenders[k]["extra"])


@pytest.mark.parametrize("contender", CONTENDER_ORDER)
@pytest.mark.parametrize("name", CORPORA)
def test_peak_memory(benchmark, name, contender):
    corpus = corpus_or_skip(name)
    runs = []
    args = ["--corpus", name, "--warmup", "200"] + (["--limit", str(LIMIT)] if LIMIT else [])
    benchmark.group = f"memory {name}"
    load_before = loadavg()
    benchmark.pedantic(lambda: runs.append(run_worker(contender, *args)), rounds=1, iterations=1)
    r = runs[-1]
    mib = lambda kb: round(kb / 1024, 1)  # noqa: E731
    benchmark.extra_info.update(
        kind="memory", corpus=name, contender=contender, docs=len(corpus), bytes=corpus.nbytes,
        peak_rss_mib=mib(r["hwm_kb_peak"]), run_peak_mib=mib(r["hwm_kb_run"]) if r["hwm_kb_run"] else None,
        before_run_mib=mib(r["rss_kb_before"]),
        added_mib=mib(r["hwm_kb_run"] - r["rss_kb_before"]) if r["hwm_kb_run"] else None,
        run_s=round(r["calls_s"][0], 4), run_cpu_s=round(r["cpu_s"][0], 4), import_s=round(r["import_s"], 4),
        warmup_s=r["warmup_s"], pairs=r["pairs"], load_before=load_before, load_after=loadavg(),
    )
