"""The passage defaults of issue 30 against the ones before: planted reuse and 20 Newsgroups, two code trees alternated.

    python -m benchmarks.passages.passages_defaults --before ../near-dups-12e4dee --after . --rounds 2 \
        --json benchmarks/results/passages/passages_defaults.json

Every measurement runs in a process of its own with ``PYTHONPATH`` set to one
tree, so each tree runs at its own defaults (``dedup.passages(texts)``, no
keyword); rounds alternate the trees (before, after, before, after, ...) so
both see the same load. Per process: one warm-up call on 200 documents (the
numba cache of each tree is compiled beforehand), then ``--repeat`` timed
calls, median. The load average and CPU are recorded with every figure.

* ``planted``: ``passages_planted.planted(10000)`` (the corpus of
  ``PASSAGES.md``), scored by ``passages_planted.score`` (recall by edit rate,
  precision, boundaries).
* ``newsgroups``: all of 20 Newsgroups; groups, occurrences, aligned
  passages, the documents of the largest group.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the checkout holding the harness


def _cpu() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    return next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), "?")


def child(kind: str, repeat: int) -> dict:
    import numpy as np

    import dedup

    if kind == "planted":
        from benchmarks.harness.passages_planted import planted, score

        c = planted(10000, seed=0, rates=(0.0, 0.05, 0.10, 0.20, 0.30, 0.40), viral=0, unique=5)
        texts = c.texts
    else:
        from benchmarks.harness.corpus import load

        texts = list(load("newsgroups").texts)
    dedup.passages(texts[:200])
    load_before = os.getloadavg()
    wall, cpu = [], []
    for _ in range(repeat):
        t, p = time.perf_counter(), time.process_time()
        res = dedup.passages(texts)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - p)
    a = res.arrays()
    out = {"kind": kind, "dedup": dedup.__file__, "config": str(res.config), "wall": statistics.median(wall),
           "cpu": statistics.median(cpu), "walls": wall, "load_before": load_before, "load_after": os.getloadavg(),
           "groups": len(res), "occurrences": int(a.group_ptr[-1]), "alignments": int(a.align_a.shape[0])}
    if kind == "planted":
        found = np.stack([a.doc[a.align_a], a.a_start, a.a_end, a.doc[a.align_b], a.b_start, a.b_end], axis=1)
        out.update(score(c, found))
    else:
        docs = np.array([np.unique(a.doc[a.group_ptr[g]:a.group_ptr[g + 1]]).shape[0] for g in range(len(res))])
        out.update(largest_docs=int(docs.max(initial=0)), groups_over_20_docs=int((docs > 20).sum()))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True, help="the code tree before (PYTHONPATH), e.g. a worktree of the previous commit")
    ap.add_argument("--after", default=str(ROOT), help="the code tree after (PYTHONPATH)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kinds", nargs="+", default=["planted", "newsgroups"])
    ap.add_argument("--json", help="write the runs here")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.repeat), default=float))
        return 0
    report = {"cpu": _cpu(), "cores": os.cpu_count(), "trees": {"before": args.before, "after": args.after}, "runs": []}
    for r in range(args.rounds):
        for name in ("before", "after"):
            tree = str(Path(getattr(args, name)).resolve())
            for kind in args.kinds:
                env = dict(os.environ, PYTHONPATH=os.pathsep.join([tree, str(ROOT)]))  # the tree's dedup, this harness
                out = subprocess.run([sys.executable, __file__, "--child", kind, "--repeat", str(args.repeat)],
                                     env=env, capture_output=True, text=True, check=True).stdout
                rec = {"round": r, "tree": name, **json.loads(out.splitlines()[-1])}
                report["runs"].append(rec)
                print(json.dumps({k: v for k, v in rec.items() if k != "cells"}, default=float), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=float) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
