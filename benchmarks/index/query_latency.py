"""Opening a saved index and querying one text at a time, against the index's size.

    python -m benchmarks.index.query_latency 100000 1000000 --memory 1.5G --workdir DIR [--queries 200]

For each size: a generated stream (``generate.stream``, seed 0) is indexed
within the memory budget and saved under the work directory; then, in a
fresh process each time, ``dedup.load(path, verify=False)`` is timed, and
``idx.query(text)`` for ``--queries`` texts: half copies of indexed
documents with a few words changed (a match to find), half new documents
(candidates only). Prints one JSON line per size: load seconds (median of 3
processes), query milliseconds (median, p90, max over all queries) and how
many queries found their source.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time


def build(n: int, path: str, memory: str, workdir: str) -> None:
    import dedup
    from benchmarks.harness.generate import stream

    idx = dedup.index(stream(n, 0), memory=memory, workdir=workdir)
    idx.save(path)


def probe(path: str, n: int, queries: int) -> dict:
    import numpy as np

    import dedup

    t0 = time.perf_counter()
    idx = dedup.load(path, verify=False)
    opened = time.perf_counter() - t0
    from benchmarks.harness.generate import stream

    rng = np.random.default_rng(1)
    fresh = list(stream(queries // 2, 7))  # another seed: documents the index does not hold
    picks = set(rng.choice(n, size=queries // 2, replace=False).tolist())
    sources = {}
    for k, text in enumerate(stream(n, 0)):  # the indexed texts, regenerated (the index keeps none)
        if k in picks:
            words = text.split()
            words[len(words) // 2] = "changed"
            sources[k] = " ".join(words)
        if len(sources) == len(picks):
            break
    idx.query("warm up the query path with a few words")
    ms, found = [], 0
    texts = [(k, t) for k, t in sources.items()] + [(-1, t) for t in fresh]
    for k, text in texts:
        t = time.perf_counter()
        hits = idx.query(text)
        ms.append(1e3 * (time.perf_counter() - t))
        found += k >= 0 and any(i == k for i, _ in hits)
    ms.sort()
    return {"load_s": opened, "ms": ms, "found": found, "copies": len(sources)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sizes", type=int, nargs="*")
    ap.add_argument("--memory", default="1.5G")
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--probe", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.probe:
        print(json.dumps(probe(args.probe[0], int(args.probe[1]), args.queries)))
        return 0
    for n in args.sizes:
        path = os.path.join(args.workdir, f"q{n}.idx")
        shutil.rmtree(path, ignore_errors=True)
        t = time.perf_counter()
        build(n, path, args.memory, args.workdir)
        built = time.perf_counter() - t
        runs = [json.loads(subprocess.run([sys.executable, "-m", "benchmarks.index.query_latency", "--probe", path,
                                           str(n), "--workdir", args.workdir, "--queries", str(args.queries)], check=True,
                                          capture_output=True, text=True).stdout.splitlines()[-1])
                for _ in range(3)]
        ms = sorted(x for r in runs for x in r["ms"])
        print(json.dumps({
            "documents": n, "build_and_save_s": round(built, 1),
            "load_verify_false_s": round(statistics.median(r["load_s"] for r in runs), 4),
            "query_ms_median": round(statistics.median(ms), 3), "query_ms_p90": round(ms[int(0.9 * len(ms))], 3),
            "query_ms_max": round(ms[-1], 3), "copies_found": f"{runs[0]['found']} of {runs[0]['copies']}",
            "load": os.getloadavg()[0]}), flush=True)
        shutil.rmtree(path, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
