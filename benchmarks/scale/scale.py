"""Corpus size as a matter of disk, not RAM: one run of ``dedup.index`` over a generated stream.

    python -m benchmarks.scale.scale 1000000 --memory 1.5G [--workdir DIR]
    python -m benchmarks.scale.scale 1000000 --in-memory           # the same corpus as a list, no budget
    python -m benchmarks.scale.scale 1000000 --memory 1.5G --keep-memory none   # nothing kept between calls

Texts come from ``generate.stream`` (planted near-duplicates, truth computed
chunk by chunk), so with a budget the corpus is never held in memory. Prints
one JSON line: documents, MB of text, wall seconds (without the time the
stream spent generating text), seconds per stage, peak
RSS and its anonymous part (memory the process owns, without the pages of
memory-mapped work files, which the kernel reclaims at will), disk used by
the work directory, and recall of the planted pairs with Jaccard >= 0.8.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time

from benchmarks.harness.memory import Sampler


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--memory", default=None)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--in-memory", action="store_true", help="generate the corpus as a list first")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep-memory", choices=("default", "none"), default="default",
                    help="memory kept between calls (dedup.keep_memory): the default limit, or none")
    args = ap.parse_args(argv)

    import numpy as np

    import dedup
    from benchmarks.harness.generate import stream

    if args.keep_memory == "none":
        dedup.keep_memory(0)
    dedup.index(["warm up the kernels with a few words"] * 70)
    truth: list = []
    chars = [0]
    making = [0.0]  # seconds spent generating the input, inside the stream

    def texts():
        it = stream(args.n, args.seed, truth=truth)
        while True:
            t0 = time.perf_counter()
            t = next(it, None)
            making[0] += time.perf_counter() - t0
            if t is None:
                return
            chars[0] += len(t)
            yield t

    docs = list(texts()) if args.in_memory else texts()
    with Sampler() as s:
        t0 = time.perf_counter()
        idx = dedup.index(docs, memory=args.memory, workdir=args.workdir)
        labels = idx.labels()
        wall = time.perf_counter() - t0
    found = 0
    if truth:
        t = np.array(truth, dtype=np.int64)
        found = int((labels[t[:, 0]] == labels[t[:, 1]]).sum())
    out = {"documents": len(idx), "mb": chars[0] / 1e6, "memory": args.memory, "in_memory": args.in_memory,
           "seconds": round(wall - (0 if args.in_memory else making[0]), 2),
           "input_seconds": round(making[0], 2), "stages": {k: round(v, 2) for k, v in idx.stats["seconds"].items()},
           "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3),
           "peak_anon_rss_gib": round(s.peak / 2**30, 3), "spilled": bool(idx.stats.get("spilled")),
           "disk_gib": round(idx.stats.get("disk", 0) / 2**30, 3), "planted_pairs": len(truth),
           "recall": found / len(truth) if truth else None, "load": os.getloadavg()[0],
           "keep_memory": dedup.keep_memory()}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
