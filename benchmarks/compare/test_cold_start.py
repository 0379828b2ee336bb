"""Cold start of dedup: the first ``dedup.index`` call in a fresh process.

A CLI pays this on every run, so it is kept apart from the warm numbers
(STYLE.md, numba 9). Each round is a fresh ``python -m benchmarks.harness.worker dedup`` on all
of 20 Newsgroups with two calls: ``calls_s[0]`` is the cold first call,
``calls_s[1]`` the same call again in the same process (warm).

* ``no-cache``: ``NUMBA_CACHE_DIR`` is a new empty directory, so every kernel
  is compiled by numba/LLVM (the first run after install or upgrade).
* ``warm-cache``: the same directory, already filled by an earlier process,
  so kernels are loaded from the on-disk cache (every later run).

The timed value is the whole child process (interpreter start, imports, corpus
load, both calls); the breakdown is in ``extra_info``. The package's own
``__pycache__`` is never touched. numba keys its cache on each source file's
timestamp, so editing ``dedup/`` while this runs makes a warm-cache round
compile again (a first call near the no-cache one).
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from benchmarks.harness.worker import run_worker


@pytest.fixture(scope="module")
def cache_root():
    root = tempfile.mkdtemp(prefix="dedup-bench-numba-")
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("cache", ["no-cache", "warm-cache"])
def test_cold_start(benchmark, newsgroups, cache_root, cache):
    warm_dir = os.path.join(cache_root, "warm")
    if cache == "warm-cache" and not os.path.isdir(warm_dir):  # fill it with the very same run
        run_worker("dedup", env=dict(os.environ, NUMBA_CACHE_DIR=warm_dir))
    runs = []

    def setup():
        if cache == "no-cache":
            d = tempfile.mkdtemp(dir=cache_root)
        else:
            d = warm_dir
        return (dict(os.environ, NUMBA_CACHE_DIR=d),), {}

    def target(env):
        runs.append(run_worker("dedup", "--repeat", "2", env=env))

    benchmark.group = f"cold start newsgroups n={len(newsgroups)}"
    benchmark.extra_info.update(contender=f"dedup ({cache}, whole process)", corpus=newsgroups.name,
                                docs=len(newsgroups), bytes=newsgroups.nbytes, loadavg_before=round(os.getloadavg()[0], 2))
    benchmark.pedantic(target, setup=setup, rounds=2 if cache == "no-cache" else 3, iterations=1)
    benchmark.extra_info.update(
        first_call_s=[round(r["calls_s"][0], 3) for r in runs],
        second_call_s=[round(r["calls_s"][1], 3) for r in runs],
        import_s=[round(r["import_s"], 3) for r in runs],
        pairs=runs[-1]["pairs"],
        loadavg_after=round(os.getloadavg()[0], 2),
    )
