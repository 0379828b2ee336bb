"""Collapse of a web-crawl-like corpus through the command line within a memory budget, beside the API.

    python -m benchmarks.collapse.collapse_scale write 1000000 DIR     # DIR/crawl.jsonl (harness/crawl.py)
    python -m benchmarks.collapse.collapse_scale run DIR --memory 2G --rounds 5 [--same-as-ram]

``write`` streams ``crawl.pages(n, seed)`` to JSON Lines. ``run`` alternates,
in fresh processes, round after round:

- ``cli``: ``near-dups collapse DIR/crawl.jsonl -o OUT --memory M``: the
  documents read as a stream for the blocks' features, read again to write
  each one as it is cut, with its removals (JSON Lines);
- ``api``: a Python process that gives ``dedup.collapse`` a generator over
  the same file (``json.loads`` per line) with ``memory=M`` and iterates the
  result (counting removals), as a pipeline that does not hold its corpus would.

Each child's wall time and peak RSS (``wait4``'s ``ru_maxrss``) are taken
from outside, with the load average and the CPU. ``--same-as-ram`` first
runs the command once with a budget that holds everything (no spill) and
checks that every budgeted run wrote the same bytes (documents and removals).
Prints one JSON line per run and a summary (medians, min-max, MB/s).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

from benchmarks.scale.cli_scale import cpu_name, run_child, stat


def write(n: int, folder: str, seed: int) -> None:
    from benchmarks.harness import crawl

    os.makedirs(folder, exist_ok=True)
    t0 = time.perf_counter()
    size = 0
    with open(os.path.join(folder, "crawl.jsonl"), "w", encoding="utf-8") as f:
        for p in crawl.pages(n, seed):
            line = json.dumps({"id": p.id, "text": p.text}, ensure_ascii=False) + "\n"
            size += len(line)
            f.write(line)
    print(json.dumps({"pages": n, "jsonl_mb": round(size / 1e6, 1), "seconds": round(time.perf_counter() - t0, 1)}))


def api_child(path: str, memory: str) -> None:
    """``dedup.collapse`` of a generator over the file within ``memory``; prints removals and documents."""
    import dedup

    def docs():
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                yield r["id"], r["text"]

    n = removals = 0
    with dedup.collapse(docs(), memory=memory) as out:
        for d in out:
            n += 1
            removals += len(d.removed)
    print(json.dumps({"documents": n, "removals": removals}))


def _digest(*paths) -> str:
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            while chunk := f.read(1 << 24):
                h.update(chunk)
    return h.hexdigest()[:16]


def run_one(kind: str, folder: str, memory: str, workdir: str) -> dict:
    src = os.path.join(folder, "crawl.jsonl")
    out = os.path.join(folder, f"{kind}-out.jsonl")
    for p in (out, out.replace(".jsonl", ".removals.jsonl")):
        if os.path.exists(p):
            os.unlink(p)
    if kind.startswith("cli"):
        cmd = [sys.executable, "-m", "dedup.cli", "collapse", src, "-o", out, "--memory", memory, "--workdir",
               workdir, "-v"]
    else:
        cmd = [sys.executable, "-m", "benchmarks.collapse.collapse_scale", "_api", src, memory]
    wall, usage, stdout, stderr = run_child(cmd, folder, kind)
    mb = os.path.getsize(src) / 1e6
    rec = {"kind": kind, "memory": memory, "seconds": round(wall, 2), "mb_per_s": round(mb / wall, 2),
           "peak_rss_gib": round(usage.ru_maxrss / 2**20, 3), "load": round(os.getloadavg()[0], 2)}
    if kind.startswith("cli"):
        rec["output_sha256"] = _digest(out, out.replace(".jsonl", ".removals.jsonl"))
        rec["summary"] = [x for x in stderr.splitlines() if x.startswith("near-dups:")][-2:]
    else:
        rec.update(json.loads(stdout.strip().splitlines()[-1]))
    return rec


def run(folder: str, memory: str, rounds: int, workdir: str | None, same_as_ram: bool) -> dict:
    workdir = workdir or os.path.join(folder, "work")
    os.makedirs(workdir, exist_ok=True)
    subprocess.run([sys.executable, "-c", "import dedup; dedup.collapse(['warm up\\nthe kernels'] * 5)"], check=True)
    mb = os.path.getsize(os.path.join(folder, "crawl.jsonl")) / 1e6
    print(json.dumps({"cpu": cpu_name(), "cores": os.cpu_count(), "load_before": os.getloadavg(),
                      "jsonl_mb": round(mb, 1)}), flush=True)
    ram = None
    if same_as_ram:
        ram = run_one("cli-ram", folder, "64G", workdir)
        print(json.dumps(ram), flush=True)
    runs = []
    for r in range(rounds):
        for kind in (("cli", "api") if r % 2 == 0 else ("api", "cli")):  # interleaved, order alternating
            rec = run_one(kind, folder, memory, workdir)
            rec["round"] = r
            runs.append(rec)
            print(json.dumps(rec), flush=True)

    cli, api = stat(runs, "cli", "seconds"), stat(runs, "api", "seconds")
    summary = {"summary": True, "rounds": rounds, "memory": memory, "jsonl_mb": round(mb, 1),
               "cli_seconds": cli, "api_seconds": api, "cli_mb_per_s": round(mb / cli["median"], 2),
               "cli_peak_rss_gib": stat(runs, "cli", "peak_rss_gib"),
               "api_peak_rss_gib": stat(runs, "api", "peak_rss_gib"),
               "cli_to_api": round(cli["median"] / api["median"], 3),
               "outputs": sorted({x["output_sha256"] for x in runs if x["kind"] == "cli"}),
               "cpu": cpu_name(), "load_after": os.getloadavg()}
    if ram is not None:
        summary["same_as_ram"] = summary["outputs"] == [ram["output_sha256"]]
        summary["ram_run"] = {k: ram[k] for k in ("seconds", "peak_rss_gib")}
    print(json.dumps(summary), flush=True)
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("n", type=int)
    w.add_argument("folder")
    w.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("run")
    r.add_argument("folder")
    r.add_argument("--memory", default="2G")
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--workdir", default=None)
    r.add_argument("--same-as-ram", action="store_true")
    a = sub.add_parser("_api")
    a.add_argument("path")
    a.add_argument("memory")
    args = ap.parse_args(argv)
    if args.cmd == "write":
        write(args.n, args.folder, args.seed)
    elif args.cmd == "run":
        run(args.folder, args.memory, args.rounds, args.workdir, args.same_as_ram)
    else:
        api_child(args.path, args.memory)
    return 0


if __name__ == "__main__":
    sys.exit(main())
