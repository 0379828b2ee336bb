"""Peak memory of each contender's end-to-end run on all of 20 Newsgroups.

Each contender runs in its own child process (``_worker.py``): import, read
the corpus, one warm-up call on 200 posts (dedup loads its kernels from the
numba cache), then one full run. Memory is the child's resident set from
``/proc/self/status`` (see ``_worker.py``; it counts numpy, numba and Rust
allocations, which tracemalloc would miss, and it is not ``ru_maxrss``, which
Linux floors at the parent's size): ``peak_rss_mb`` is the high-water mark of
the whole child, ``run_peak_mb`` the high-water mark during the full run
alone (reset just before it), ``before_run_mb`` the resident size just before
it (interpreter + library + corpus + warm-up), and ``run_increment_mb`` =
``run_peak_mb - before_run_mb``, what the run itself added. The timed value is
the whole child.
"""

from __future__ import annotations

import os

import pytest
from _worker import run_worker

MEMORY_CONTENDERS = ["dedup", "datasketch", "rensa"]


@pytest.mark.parametrize("contender", MEMORY_CONTENDERS)
def test_peak_memory(benchmark, newsgroups, contender):
    runs = []
    benchmark.group = f"peak memory newsgroups n={len(newsgroups)}"
    benchmark.extra_info.update(contender=f"{contender} (whole process)", corpus=newsgroups.name,
                                docs=len(newsgroups), bytes=newsgroups.nbytes)
    benchmark.pedantic(lambda: runs.append(run_worker(contender, "--warmup", "200")), rounds=1, iterations=1)
    r = runs[-1]
    benchmark.extra_info.update(
        peak_rss_mb=round(r["hwm_kb_peak"] / 1024, 1),
        run_peak_mb=round(r["hwm_kb_run"] / 1024, 1) if r["hwm_kb_run"] else None,
        before_run_mb=round(r["rss_kb_before"] / 1024, 1),
        run_increment_mb=round((r["hwm_kb_run"] - r["rss_kb_before"]) / 1024, 1) if r["hwm_kb_run"] else None,
        ru_maxrss_wait4_mb=round(r["ru_maxrss_kb_wait4"] / 1024, 1),
        run_s=round(r["calls_s"][0], 3),
        pairs=r["pairs"],
    )
