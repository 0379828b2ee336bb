"""End to end: raw text -> every pair with exact Jaccard >= 0.8 over word 5-grams.

All contenders run in the same pytest session on the same fixed inputs (the
first N posts of 20 Newsgroups, a ladder of sizes), each after one warm-up
call on 200 posts, so dedup's numba kernels are compiled (or loaded from the
cache) before timing. The cold first call is measured apart in
``test_cold_start.py``. ``report.py`` turns the JSON into a table with the
ratio of each peer's time to dedup's in the same group.
"""

from __future__ import annotations

import os

import pytest
from _peers import CONTENDERS
from _timing import cpu_timed

#: Ladder of corpus sizes (posts from the start of the file); None = all 18,846.
SIZES = [2000, 6000, None]
#: Rounds per contender: the peers take seconds to a minute, so fewer rounds.
ROUNDS = {"dedup": 5, "rensa": 3, "rensa@32x4": 3, "datasketch": 1, "datasketch@21x6": 1}
#: The recall-matched variants only on the full corpus (they price the extra verification).
VARIANTS_FULL_ONLY = {"datasketch@21x6", "rensa@32x4"}


def _cases():
    for size in SIZES:
        for name in CONTENDERS:
            if size is not None and name in VARIANTS_FULL_ONLY:
                continue
            yield pytest.param(name, size, id=f"{name}-{size or 'all'}")


@pytest.mark.parametrize(("contender", "size"), list(_cases()))
def test_end_to_end(benchmark, newsgroups, pair_results, contender, size):
    run, description = CONTENDERS[contender]
    corpus = newsgroups.head(size)
    texts = list(corpus.texts)
    run(texts[:200])  # warm-up: JIT compile / cache load, imports
    benchmark.group = f"end-to-end newsgroups n={len(corpus)}"
    benchmark.extra_info.update(
        contender=contender, corpus=corpus.name, docs=len(corpus), bytes=corpus.nbytes,
        description=description, loadavg_before=round(os.getloadavg()[0], 2),
    )
    pairs = benchmark.pedantic(cpu_timed(benchmark, run), args=(texts,), rounds=ROUNDS[contender], iterations=1)
    benchmark.extra_info.update(pairs=len(pairs), loadavg_after=round(os.getloadavg()[0], 2))
    assert all(s >= 0.8 for s in pairs.values())
    pair_results[(contender, len(corpus))] = pairs
