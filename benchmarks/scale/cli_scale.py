"""A million documents through the command line within a memory budget, beside the in-memory API.

    python -m benchmarks.scale.cli_scale write 1000000 DIR      # DIR/big.jsonl (ids, texts) and DIR/truth.npy
    python -m benchmarks.scale.cli_scale run DIR --memory 1.5G --rounds 5

``write`` streams ``generate.stream`` (planted near-duplicates) to JSON
Lines, with the planted pairs of exact Jaccard >= 0.8 as truth. ``run``
alternates, in fresh processes, round after round:

- ``cli``: ``near-dups find DIR/big.jsonl --memory M --format jsonl -o ...``,
  the documents read as a stream, never all held;
- ``api``: a Python process that reads the same file into a list of
  ``(id, text)`` (``json.loads`` per line) and calls ``dedup.index(docs)``
  and ``clusters()`` with no budget, as a pipeline holding its corpus would.

Each child's wall time and peak RSS (``wait4``'s ``ru_maxrss``) are taken
from outside; the API child also says how long reading took, so the ratio
is given both against the API's whole run and against ``dedup.index``
alone. Recall of the planted pairs is computed from each one's clusters.
Prints one JSON line per run and a summary (medians, min-max, load, CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time


def cpu_name() -> str:
    """``Model name (family F, model M)`` from lscpu, as the other benchmark reports name it."""
    from benchmarks.harness.protocol import machine

    m = machine()
    cpu = m.get("lscpu") or {}
    return (f"{cpu.get('Model name', m.get('cpuinfo_model_name', '?'))} (family {cpu.get('CPU family', '?')}, "
            f"model {cpu.get('Model', '?')}), {m.get('cpu_count')} cores")


def write(n: int, folder: str, seed: int) -> None:
    import numpy as np

    from benchmarks.harness.generate import stream

    os.makedirs(folder, exist_ok=True)
    truth: list = []
    t0 = time.perf_counter()
    size = 0
    with open(os.path.join(folder, "big.jsonl"), "w", encoding="utf-8") as f:
        for i, text in enumerate(stream(n, seed, truth=truth)):
            line = json.dumps({"id": f"d{i:08d}", "text": text}, ensure_ascii=False) + "\n"
            size += len(line)
            f.write(line)
    np.save(os.path.join(folder, "truth.npy"), np.array(truth, dtype=np.int64).reshape(-1, 2))
    print(json.dumps({"documents": n, "jsonl_mb": round(size / 1e6, 1), "planted_pairs": len(truth),
                      "seconds": round(time.perf_counter() - t0, 1)}))


def _labels_from_clusters(lines, n: int):
    import numpy as np

    labels = np.arange(n, dtype=np.int64)
    for line in lines:
        rec = json.loads(line)
        pos = [int(i[1:]) for i in rec["ids"]]
        labels[pos] = min(pos)
    return labels


def recall(folder: str, labels) -> float:
    import numpy as np

    t = np.load(os.path.join(folder, "truth.npy"))
    return float((labels[t[:, 0]] == labels[t[:, 1]]).mean()) if len(t) else 1.0


def api_child(folder: str) -> None:
    """The in-memory API on the file: read it into a list, index, clusters; prints its timings as JSON."""
    t0 = time.perf_counter()
    docs = []
    with open(os.path.join(folder, "big.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            docs.append((r["id"], r["text"]))
    t1 = time.perf_counter()
    import dedup

    idx = dedup.index(docs)
    clusters = idx.clusters()
    t2 = time.perf_counter()
    out = os.path.join(folder, "api_clusters.jsonl")
    with open(out, "w", encoding="utf-8") as f:
        for c in clusters:
            f.write(json.dumps({"ids": list(c)}) + "\n")
    print(json.dumps({"read_seconds": round(t1 - t0, 2), "index_seconds": round(t2 - t1, 2)}))


def run_child(cmd: list, folder: str, kind: str):
    """Run ``cmd`` with its output in ``folder/KIND.out`` and ``.err``: ``(wall seconds, rusage, stdout,
    stderr)``; exits naming ``kind`` if it fails. The rusage is this child's own (``wait4``): its peak RSS,
    not the largest child's so far."""
    logs = [os.path.join(folder, f"{kind}.{s}") for s in ("out", "err")]
    with open(logs[0], "w") as o, open(logs[1], "w") as e:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=o, stderr=e)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
    stdout, stderr = (open(x, encoding="utf-8").read() for x in logs)
    if status:
        raise SystemExit(f"{kind} failed ({status}): {stderr[-2000:]}")
    return wall, usage, stdout, stderr


def stat(runs: list, kind: str, key: str) -> dict:
    """Median, min and max of ``key`` over the runs of ``kind``."""
    xs = [x[key] for x in runs if x["kind"] == kind]
    return {"median": round(statistics.median(xs), 2), "min": min(xs), "max": max(xs)}


def run_one(kind: str, folder: str, memory: str, workdir: str, n: int) -> dict:
    if kind == "cli":
        out = os.path.join(folder, "cli_clusters.jsonl")
        cmd = [sys.executable, "-m", "dedup.cli", "find", os.path.join(folder, "big.jsonl"), "--memory", memory,
               "--workdir", workdir, "--format", "jsonl", "-o", out]
    else:
        out = os.path.join(folder, "api_clusters.jsonl")
        cmd = [sys.executable, "-m", "benchmarks.scale.cli_scale", "_api", folder]
    wall, usage, stdout, stderr = run_child(cmd, folder, kind)
    import numpy as np

    with open(out, encoding="utf-8") as f:
        labels = _labels_from_clusters(f, n)
    rec = {"kind": kind, "seconds": round(wall, 2), "peak_rss_gib": round(usage.ru_maxrss / 2**20, 3),
           "recall": recall(folder, labels), "clusters": int((labels != np.arange(n)).sum()),
           "load": round(os.getloadavg()[0], 2)}
    if kind == "api":
        rec.update(json.loads(stdout.strip().splitlines()[-1]))
    else:
        rec["summary"] = [l for l in stderr.splitlines() if l.startswith("near-dups:")][-2:]
    return rec


def run(folder: str, memory: str, rounds: int, workdir: str | None) -> None:
    workdir = workdir or os.path.join(folder, "work")
    os.makedirs(workdir, exist_ok=True)
    subprocess.run([sys.executable, "-c", "import dedup; dedup.index(['warm up the kernels'] * 70)"], check=True)
    with open(os.path.join(folder, "big.jsonl"), "rb") as f:  # documents, counted once (not 2.8 GB per run)
        n = sum(1 for _ in f)
    runs = []
    print(json.dumps({"cpu": cpu_name(), "cores": os.cpu_count(), "load_before": os.getloadavg()}), flush=True)
    for r in range(rounds):
        for kind in (("cli", "api") if r % 2 == 0 else ("api", "cli")):  # interleaved, order alternating
            rec = run_one(kind, folder, memory, workdir, n)
            rec["round"] = r
            runs.append(rec)
            print(json.dumps(rec), flush=True)

    cli, api = stat(runs, "cli", "seconds"), stat(runs, "api", "seconds")
    index_only = stat(runs, "api", "index_seconds")
    print(json.dumps({"summary": True, "rounds": rounds, "memory": memory, "cli_seconds": cli, "api_seconds": api,
                      "api_index_seconds": index_only, "cli_peak_rss_gib": stat(runs, "cli", "peak_rss_gib"),
                      "api_peak_rss_gib": stat(runs, "api", "peak_rss_gib"),
                      "ratio_to_api": round(cli["median"] / api["median"], 3),
                      "ratio_to_api_index_only": round(cli["median"] / index_only["median"], 3),
                      "recall": {k: min(x["recall"] for x in runs if x["kind"] == k) for k in ("cli", "api")},
                      "cpu": cpu_name(), "load_after": os.getloadavg()}))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("n", type=int)
    w.add_argument("folder")
    w.add_argument("--seed", type=int, default=0)
    r = sub.add_parser("run")
    r.add_argument("folder")
    r.add_argument("--memory", default="1.5G")
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--workdir", default=None)
    a = sub.add_parser("_api")
    a.add_argument("folder")
    args = ap.parse_args(argv)
    if args.cmd == "write":
        write(args.n, args.folder, args.seed)
    elif args.cmd == "run":
        run(args.folder, args.memory, args.rounds, args.workdir)
    else:
        api_child(args.folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
