"""Cold start: how long numba compiles each module's kernels on the first run, and the first run's wall time.

Runs the README's main job (``near-dups corpus/``) and the block command in a
fresh process with an empty numba cache (``NUMBA_CACHE_DIR`` pointed at a new
folder), recording numba's own ``numba:compile`` events, and then the same
run again with the cache warm. With two checkouts, they alternate, so the
figures compare on the same machine state::

    python -m benchmarks.checkouts.compile_times NEW_CHECKOUT [OLD_CHECKOUT] --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]


def worker(job: str) -> dict:
    from collections import defaultdict

    from numba.core import event

    per_module: dict = defaultdict(float)
    count: dict = defaultdict(int)

    start = time.perf_counter()
    with event.install_recorder("numba:compile") as rec:
        from dedup import cli

        # the README's main job (the overview), or `near-dups find corpus/`
        cli.main([str(ROOT / "corpus"), "-q"] if job == "overview" else ["find", str(ROOT / "corpus"), "-q"])
        main_job = time.perf_counter() - start
        if job == "overview":
            with tempfile.TemporaryDirectory() as tmp:
                cli.main(["blocks", str(ROOT / "corpus"), "-q", "--format", "jsonl", "-o", os.path.join(tmp, "b.jsonl")])
    total = time.perf_counter() - start
    # A kernel's compile includes its callees' (nested events): each module is
    # charged its own time only, the callees' subtracted.
    stack = []  # [start time, time spent in nested compiles]
    for ts, ev in rec.buffer:
        if ev.is_start:
            stack.append([ts, 0.0])
            continue
        start_ts, inner = stack.pop()
        spent = ts - start_ts
        if stack:
            stack[-1][1] += spent
        mod = ev.data["dispatcher"].py_func.__module__
        per_module[mod] += spent - inner
        count[mod] += 1
    return {"main_job": main_job, "total": total, "modules": dict(per_module), "kernels": dict(count)}


def run(checkout: str, cache: str, job: str) -> dict:
    env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout), NUMBA_CACHE_DIR=cache)
    p = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", "--job", job], env=env, capture_output=True,
                       text=True, cwd="/", check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkouts", nargs="*", default=[str(ROOT)])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--job", choices=("overview", "find"), default="overview",
                    help="the first run timed: the overview (`near-dups corpus/`, then `blocks`) or `near-dups find corpus/`")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.job)))
        return 0
    cold = {c: [] for c in args.checkouts}
    warm = {c: [] for c in args.checkouts}
    loads = [os.getloadavg()[0]]
    for _ in range(args.rounds):
        for c in args.checkouts:
            with tempfile.TemporaryDirectory() as cache:
                cold[c].append(run(c, cache, args.job))
                warm[c].append(run(c, cache, args.job))
        loads.append(os.getloadavg()[0])
    print(f"{args.rounds} rounds, load average (1 min) {min(loads):.2f}-{max(loads):.2f}\n")
    for c in args.checkouts:
        med = lambda xs: statistics.median(xs)  # noqa: E731
        print(f"## {c}")
        what = "near-dups corpus/" if args.job == "overview" else "near-dups find corpus/"
        print(f"first run of `{what}` with an empty numba cache: {med([r['main_job'] for r in cold[c]]):.1f} s "
              f"(min {min(r['main_job'] for r in cold[c]):.1f}, max {max(r['main_job'] for r in cold[c]):.1f}); "
              f"with the cache warm: {med([r['main_job'] for r in warm[c]]):.2f} s")
        if args.job == "overview":
            print(f"main job + blocks, cold: {med([r['total'] for r in cold[c]]):.1f} s\n")
        mods = sorted({m for r in cold[c] for m in r["modules"]})
        print("| module | kernels compiled | compile seconds (median) |")
        print("|---|---:|---:|")
        for m in sorted(mods, key=lambda m: -med([r["modules"].get(m, 0.0) for r in cold[c]])):
            print(f"| {m} | {cold[c][0]['kernels'].get(m, 0)} | {med([r['modules'].get(m, 0.0) for r in cold[c]]):.2f} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
