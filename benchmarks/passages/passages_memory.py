"""``dedup.passages`` of a JSON Lines crawl in RAM against within a memory budget: time, groups, the arrays.

    /usr/bin/time -v python -m benchmarks.passages.passages_memory /tmp/crawl100k.jsonl ram --save ram.npz
    /usr/bin/time -v python -m benchmarks.passages.passages_memory /tmp/crawl100k.jsonl 1G --save 1g.npz
    python -m benchmarks.passages.passages_memory --same ram.npz 1g.npz

Each run is a process of its own, so ``/usr/bin/time -v`` gives its peak
RSS. ``ram`` reads the file into a list and calls ``dedup.passages(docs)``;
a size reads it as a generator and calls ``dedup.passages(gen,
memory=SIZE)``. One JSON line per run: the budget, seconds (reading
included), groups and occurrences, the load average at the start and end.
``--save`` keeps the result's arrays; ``--same`` says whether two saved
results are equal, array by array.
"""

from __future__ import annotations

import argparse
import json
import os
import time


def documents(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            yield r["id"], r["text"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("path", nargs="?")
    p.add_argument("memory", nargs="?", help="ram, or a budget such as 1G")
    p.add_argument("--workdir", default=None)
    p.add_argument("--save", metavar="NPZ")
    p.add_argument("--same", nargs=2, metavar="NPZ")
    args = p.parse_args(argv)
    import numpy as np

    if args.same:
        a, b = (np.load(x) for x in args.same)
        same = sorted(a.files) == sorted(b.files) and all(np.array_equal(a[k], b[k]) for k in a.files)
        print(json.dumps({"same": bool(same), "arrays": len(a.files)}))
        return 0 if same else 1
    import dedup

    load = os.getloadavg()[0]
    t = time.perf_counter()
    if args.memory == "ram":
        res = dedup.passages(list(documents(args.path)))
    else:
        res = dedup.passages(documents(args.path), memory=args.memory, workdir=args.workdir)
    seconds = time.perf_counter() - t
    a = res.arrays()
    print(json.dumps({"path": args.path, "memory": args.memory, "seconds": round(seconds, 1), "groups": len(res),
                      "occurrences": int(a.group_ptr[-1]), "load": [round(load, 2), round(os.getloadavg()[0], 2)],
                      "cpus": os.cpu_count()}), flush=True)
    if args.save:
        np.savez(args.save, **a._asdict())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
