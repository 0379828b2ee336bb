"""pytest-benchmark: ``dedup.collapse`` on a ladder of 20 Newsgroups sizes, one thread.

Run: ``python -m pytest benchmarks/collapse/bench_collapse.py --benchmark-only``. Skips without
``../shared/data/newsgroups.jsonl.gz``. MB/s is in ``extra_info``; the
first case is a cold start (kernels loaded from numba's cache, not warmed).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numba
import pytest

import dedup

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "newsgroups.jsonl.gz"


@pytest.fixture(scope="module")
def posts():
    if not DATA.exists():
        pytest.skip(f"{DATA} not present")
    with gzip.open(DATA, "rt", encoding="utf-8") as f:
        return [(r["id"], r["text"]) for r in map(json.loads, f)]


@pytest.fixture(autouse=True)
def one_thread():
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(before)


def test_cold_start(benchmark, posts):
    docs = posts[:100]
    benchmark.pedantic(dedup.collapse, args=(docs,), rounds=1, iterations=1)


@pytest.mark.parametrize("n", [1000, 5000, 18846])
@pytest.mark.parametrize("unit", ["line", "paragraph"])
def test_collapse_newsgroups(benchmark, posts, n, unit):
    docs = posts[:n]
    mb = sum(len(t.encode("utf-8")) for _, t in docs) / 1e6
    dedup.collapse(docs[:50], unit=unit)  # warm-up
    benchmark.pedantic(dedup.collapse, args=(docs,), kwargs={"unit": unit}, rounds=3, iterations=1)
    benchmark.extra_info["MB"] = mb
    benchmark.extra_info["MB_per_s"] = mb / benchmark.stats.stats.min


def _collapse_and_read(docs, unit):
    """Collapse, then build every ``Removal`` record (they are built lazily, when read)."""
    return sum(len(tuple(d.removed)) for d in dedup.collapse(docs, unit=unit))


@pytest.mark.parametrize("unit", ["line", "paragraph"])
def test_collapse_and_read_every_removal(benchmark, posts, unit):
    mb = sum(len(t.encode("utf-8")) for _, t in posts) / 1e6
    _collapse_and_read(posts[:50], unit)  # warm-up
    benchmark.pedantic(_collapse_and_read, args=(posts, unit), rounds=3, iterations=1)
    benchmark.extra_info["MB"] = mb
    benchmark.extra_info["MB_per_s"] = mb / benchmark.stats.stats.min
