"""Removing documents from a big saved index, out of core: time and peak memory.

    python -m benchmarks.index.remove_scale N DIR     # once: index generate.stream(N, 0) and save it in DIR
    python -m benchmarks.index.remove_scale N DIR     # again: load it, remove 1,000 random documents, print one JSON line

The removal runs with ``memory="2G"`` and its work files under ``DIR/wd``
(about the index's size on disk more). Peak RSS is the whole process's; the
anonymous part (sampled every 50 ms) leaves out the pages of memory-mapped
files.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time


def main(argv=None) -> int:
    import numpy as np

    import dedup
    from benchmarks.harness.generate import stream
    from benchmarks.harness.memory import Sampler

    argv = sys.argv[1:] if argv is None else argv
    n, where = int(argv[0]), argv[1]
    path, wd = os.path.join(where, f"idx{n}"), os.path.join(where, "wd")
    os.makedirs(wd, exist_ok=True)
    if not os.path.exists(path):
        t = time.perf_counter()
        dedup.index(stream(n, 0), memory="2G", workdir=wd).save(path)
        print(json.dumps({"built_s": round(time.perf_counter() - t, 1)}), flush=True)
        return 0
    idx = dedup.load(path, verify=False)
    gone = np.random.default_rng(5).choice(n, size=1000, replace=False).tolist()
    with Sampler() as s:
        t = time.perf_counter()
        idx.remove(gone, memory="2G", workdir=wd)
        took = time.perf_counter() - t
    print(json.dumps({"documents": n, "removed": len(gone), "remove_s": round(took, 1),
                      "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
                      "peak_anon_rss_gib": round(s.peak / 2**30, 3), "left": len(idx), "segments": idx.segments,
                      "contains_removed": int(idx.contains(gone).sum()), "load": os.getloadavg()[0]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
