"""Time every pipeline stage of two checkouts, interleaved, and compare their medians.

Used to show that a restructuring kept each stage's speed: the two checkouts
run back to back in alternating fresh processes (A B A B ...), each process
warms the JIT on a small corpus first, then times each stage once on every
corpus. Medians and min-max over the rounds, and the ratio of medians, are
printed as a Markdown table with the CPU and the load average.

    python -m benchmarks.checkouts.compare_stages OLD_CHECKOUT NEW_CHECKOUT --rounds 7

A checkout is a directory holding ``dedup/``; both run with this Python.
The stage functions of either layout (before and after ``dedup/_indexing/_pipeline.py``)
are found by ``_stages_of``.
"""

from __future__ import annotations

import argparse
import gzip
import importlib
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

DATA = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"


def _load(name: str, limit: int | None):
    rows = []
    with gzip.open(DATA / name, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.append(r["text"])
            if limit and len(rows) >= limit:
                break
    return rows


CORPORA = {"newsgroups": ("newsgroups.jsonl.gz", None), "web_pages": ("web_pages.jsonl.gz", None),
           "wikipedia": ("wikipedia.jsonl.gz", 3000)}


def _stages_of():
    """(name, callable(state) -> None) of each stage, for whichever layout is importable."""
    import numpy as np

    import dedup

    # The editable install's finder would serve a module missing from the old
    # checkout out of the new one, so look at the files, not at what imports.
    root = os.path.dirname(dedup.__file__)
    rooms = os.path.exists(os.path.join(root, "_indexing", "_pipeline.py"))  # the layout by stage

    def mod(flat: str, room: str):
        return importlib.import_module(f"dedup.{room if rooms else flat}")

    cfg = mod("_config", "_core._config").Config()
    if rooms or os.path.exists(os.path.join(root, "_pipeline.py")):
        P = mod("_pipeline", "_indexing._pipeline")

        def featurize(s):
            s["f"] = P.featurize(s["texts"], cfg)

        def exact(s):
            f = s["f"]
            s["g"] = P.exact(f.indptr, f.values, f.digests, f.nbytes)

        def bucket(s):
            s["b"] = P.bucket(s["f"].keys, s["g"].reps)

        def candidates(s):
            s["c"] = P.candidates_in(s["b"], s["g"].reps)

        def verify(s):
            s["p"] = P.verify(s["f"], s["f"], *s["c"], cfg.threshold)

        def expand(s):
            s["all"] = P.expand(s["g"].rep, s["p"])

        def components(s):
            s["labels"] = P.components(len(s["texts"]), s["p"], s["g"].rep)
    else:
        _cluster, _exact, _jaccard, _index, _lsh = (importlib.import_module(f"dedup.{m}") for m in (
            "_cluster", "_exact", "_jaccard", "_index", "_lsh"))

        def featurize(s):
            s["f"] = _index.shingle_texts(s["texts"], cfg)

        def exact(s):
            indptr, values, digests, nbytes, _ = s["f"]
            rep = _exact.exact_groups(digests, nbytes, indptr, values)
            s["g"] = (rep, np.flatnonzero(rep == np.arange(rep.shape[0])))

        def bucket(s):
            s["b"] = _lsh.sort_bands(s["f"][4][:, s["g"][1]])

        def candidates(s):
            s["c"] = _lsh.candidate_pairs(*s["b"], s["g"][1])

        def verify(s):
            indptr, values = s["f"][0], s["f"][1]
            ci, cj = s["c"]
            sc = _jaccard.jaccard_pairs(indptr, values, ci, cj, cfg.threshold)
            ok = sc >= cfg.threshold
            s["p"] = (ci[ok], cj[ok], sc[ok])

        def expand(s):
            s["all"] = _exact.expand_pairs(s["g"][0], *s["p"])

        def components(s):
            rep = s["g"][0]
            members = np.flatnonzero(rep >= 0)
            s["labels"] = _cluster.components(len(s["texts"]), np.concatenate([s["p"][0], rep[members]]),
                                              np.concatenate([s["p"][1], members]))

    def collapse_line(s):
        dedup.collapse(s["texts"], unit="line")

    def end_to_end(s):
        dedup.index(s["texts"]).pair_arrays()

    return [("featurize", featurize), ("exact", exact), ("bucket", bucket), ("candidates", candidates),
            ("verify", verify), ("expand", expand), ("components", components), ("collapse (line)", collapse_line),
            ("index end to end", end_to_end)]


def worker(corpora: list[str], threads: int | None, clock: str) -> dict:
    import numba

    if threads:
        numba.set_num_threads(threads)
    now = time.process_time if clock == "cpu" else time.perf_counter
    stages = _stages_of()
    warm = {"texts": _load("newsgroups.jsonl.gz", 300)}
    for _, fn in stages:
        fn(warm)
    out = {}
    for name in corpora:
        file, limit = CORPORA[name]
        s = {"texts": _load(file, limit)}
        for stage, fn in stages:
            t = now()
            fn(s)
            out[f"{name}: {stage}"] = now() - t
    return out


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--corpora", default="newsgroups,web_pages,wikipedia")
    ap.add_argument("--threads", type=int, help="numba threads (default: all)")
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall time, or CPU time of the process (steadier on a shared machine)")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    corpora = args.corpora.split(",")
    if args.worker:
        print(json.dumps(worker(corpora, args.threads, args.clock)))
        return 0
    runs = {"old": [], "new": []}
    loads = [os.getloadavg()]
    for r in range(args.rounds):
        for label in ("old", "new") if r % 2 == 0 else ("new", "old"):
            path = getattr(args, label)
            env = dict(os.environ, PYTHONPATH=os.path.abspath(path))
            extra = ["--clock", args.clock] + (["--threads", str(args.threads)] if args.threads else [])
            p = subprocess.run([sys.executable, os.path.abspath(__file__), args.old, args.new, "--corpora", args.corpora,
                                "--worker", *extra],
                               env=env, capture_output=True, text=True, cwd="/", check=True)
            runs[label].append(json.loads(p.stdout.strip().splitlines()[-1]))
        loads.append(os.getloadavg())
    keys = list(runs["old"][0])
    print(f"CPU: {_cpu()}; {args.clock} seconds, numba threads: {args.threads or 'all'}; {args.rounds} rounds, "
          f"A/B alternating; load average (1 min) from "
          f"{min(x[0] for x in loads):.2f} to {max(x[0] for x in loads):.2f}\n")
    print("| stage | old median (min–max) s | new median (min–max) s | new / old |")
    print("|---|---:|---:|---:|")
    for k in keys:
        o = [r[k] for r in runs["old"]]
        n = [r[k] for r in runs["new"]]
        mo, mn = statistics.median(o), statistics.median(n)
        print(f"| {k} | {mo:.4f} ({min(o):.4f}–{max(o):.4f}) | {mn:.4f} ({min(n):.4f}–{max(n):.4f}) | "
              f"{mn / mo if mo else float('nan'):.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
