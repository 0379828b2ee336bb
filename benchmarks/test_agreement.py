"""Do all contenders find the same pairs? Recall against an exact all-pairs join.

Ground truth is ``_peers.exact_join`` (all-pairs prefix filtering, no
sketching) over the whole of 20 Newsgroups, twice: over the Python shingle
sets the peers use, and over dedup's own shingle sets (its CSR from
``shingle_texts``), so a tokenization difference is told apart from a missed
pair. ``exact_join`` itself is checked against the naive all-pairs loop on a
1,000-post sample (every post in a true pair among the first 150 such posts,
plus random ones, seed 0).

The timed part is the exact Python join (the price of not sketching); the
recalls go to ``extra_info`` and into the report. The only assertions are
that the exact join equals brute force on the sample and dedup's recall
floor: >= 0.99 of the exact pairs of its own shingle sets (the S-curve gives
0.998 per pair at J = 0.8 and more above).
"""

from __future__ import annotations

import random

import numpy as np
from _peers import CONTENDERS, THRESHOLD, brute_force, exact_join, recall, shingle_set

import dedup
from dedup import _index

SAMPLE = 1000
SAMPLE_FROM_PAIRS = 150
DEDUP_RECALL_FLOOR = 0.99


def _dedup_sets(texts) -> list[set]:
    indptr, values, *_ = _index.shingle_texts(list(texts), dedup.Config(threshold=THRESHOLD))
    return [set(values[indptr[d] : indptr[d + 1]].tolist()) for d in range(len(texts))]


def _missing(found: dict, truth: dict, limit: int = 10) -> list:
    return [[i, j, round(s, 4)] for (i, j), s in sorted(truth.items()) if (i, j) not in found][:limit]


def test_agreement(benchmark, newsgroups, pair_results):
    texts = list(newsgroups.texts)
    n = len(texts)
    py_sets = [shingle_set(t) for t in texts]
    benchmark.group = f"exact ground truth newsgroups n={n}"
    benchmark.extra_info.update(contender="exact join (Python sets)", corpus=newsgroups.name, docs=n,
                                bytes=newsgroups.nbytes)
    truth_py = benchmark.pedantic(exact_join, args=(py_sets,), rounds=1, iterations=1)
    truth_dd = exact_join(_dedup_sets(texts))

    found = {}
    for name, (run, _) in CONTENDERS.items():
        found[name] = pair_results.get((name, n)) or run(texts)

    rng = random.Random(0)
    in_pairs = sorted({d for p in truth_py for d in p})[:SAMPLE_FROM_PAIRS]
    sample = set(in_pairs) | set(rng.sample(range(n), SAMPLE - len(in_pairs)))
    brute = brute_force(py_sets, sample)
    on_sample = {p: s for p, s in truth_py.items() if p[0] in sample and p[1] in sample}
    assert set(on_sample) == set(brute), "exact_join disagrees with brute force on the sample"

    info = {
        "truth_pairs_python_tokens": len(truth_py),
        "truth_pairs_dedup_tokens": len(truth_dd),
        "truth_python_vs_dedup_tokens_differ": sorted(set(truth_py) ^ set(truth_dd))[:10],
        "sample_docs": len(sample),
        "sample_brute_force_pairs": len(brute),
    }
    dd = found["dedup"]
    for name, pairs in found.items():
        truth = truth_dd if name == "dedup" else truth_py
        info[name] = {
            "pairs": len(pairs),
            "recall_vs_exact": round(recall(pairs, truth), 4),
            "precision_vs_exact": round(recall(truth, pairs), 4),
            "recall_on_brute_force_sample": round(recall(pairs, brute), 4),
            "recall_vs_dedup": round(recall(pairs, dd), 4),
            "dedup_recall_vs_this": round(recall(dd, pairs), 4),
            "missed_vs_exact": _missing(pairs, truth),
            "max_score_diff_vs_dedup": float(np.max(np.abs([pairs[p] - dd[p] for p in pairs if p in dd] or [0.0]))),
        }
    benchmark.extra_info["agreement"] = info
    assert info["dedup"]["recall_vs_exact"] >= DEDUP_RECALL_FLOOR, info["dedup"]
    assert info["dedup"]["precision_vs_exact"] == 1.0, info["dedup"]
