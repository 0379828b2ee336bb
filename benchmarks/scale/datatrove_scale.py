"""datatrove's MinHash pipeline beside near-dups on one JSON Lines corpus (issue #14, "Beside the peer that can do it").

    python -m benchmarks.scale.datatrove_scale prepare DIR            # DIR/dt_input/0000{0,1}.jsonl: big.jsonl in 2 shards
    python -m benchmarks.scale.datatrove_scale run DIR --rounds 3 [--dt-python /work/dt-venv/bin/python]

``DIR`` holds ``big.jsonl`` (``{"id": "d00000123", "text": ...}``, id = line
position) and ``truth.npy`` (planted pairs of exact Jaccard >= 0.8), as
written by ``cli_scale.py write``. ``run`` alternates, round after round and
in fresh processes, the order swapped each round:

- ``datatrove``: its four MinHash stages, each a ``LocalPipelineExecutor``
  (as in its ``examples/minhash_deduplication.py``, local instead of Slurm):
  ``JsonlReader`` -> ``MinhashDedupSignature`` (2 tasks, 2 workers),
  ``MinhashDedupBuckets`` (one task per bucket, 2 workers),
  ``MinhashDedupCluster`` (1 task), ``JsonlReader`` -> ``MinhashDedupFilter``
  (with its exclusion writer) -> ``JsonlWriter`` (2 tasks, 2 workers). Its
  default ``MinhashConfig()`` (5-grams, 14 buckets x 8 hashes, 64-bit
  xxhash). It runs in its own virtualenv (``--dt-python``), and reads the two
  shards made by ``prepare``: its readers give each task whole files, so one
  file would leave the second task idle.
- ``datatrove+check``: the exact check its clusters lack, a separate timed
  process: every pair inside each of its clusters (the clusters its stage 3
  builds, rebuilt here from the same ``.dups`` files by the same union-find)
  gets the exact Jaccard of its word 5-gram sets (``peers.shingle_set``, the
  definition of the truth), the pairs >= 0.8 are kept and clustered again.
- ``near-dups``: ``python -m dedup.cli find DIR/big.jsonl --format jsonl -o ...``
  (every candidate verified by exact Jaccard inside).

Measured for each from outside: wall time; memory of the whole process tree
(datatrove forks a forkserver and pool workers), sampled every 0.2 s from
/proc: the peak of the summed PSS (shared pages counted once), the peak of
the summed RSS, and the largest single process (also ``wait4``'s
``ru_maxrss`` of the top process); disk of the working folder, sampled every
second (peak) and at the end; recall of the planted pairs (a pair is found
when both documents are in one cluster) and, for datatrove, precision of its
candidate pairs before and after the exact check. One JSON line per run, then
a summary with medians and min-max, the load average before and after each
run, and the CPU name.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

SHARDS = 2  # = the cores: datatrove's tasks and workers


# ---------------------------------------------------------------- preparing the shards
def prepare(folder: str) -> None:
    """Split DIR/big.jsonl into SHARDS consecutive files of (almost) equal line counts."""
    src = os.path.join(folder, "big.jsonl")
    out = os.path.join(folder, "dt_input")
    os.makedirs(out, exist_ok=True)
    t0 = time.perf_counter()
    n = sum(1 for _ in open(src, "rb"))
    per = -(-n // SHARDS)
    starts = []
    with open(src, "rb") as f:
        for s in range(SHARDS):
            starts.append(s * per)
            with open(os.path.join(out, f"{s:05d}.jsonl"), "wb") as o:
                for _ in range(min(per, n - s * per)):
                    o.write(f.readline())
    with open(os.path.join(out, "shards.json"), "w") as f:
        json.dump({"documents": n, "starts": starts}, f)
    print(json.dumps({"prepared": out, "documents": n, "starts": starts,
                      "seconds": round(time.perf_counter() - t0, 1)}))


# ---------------------------------------------------------------- the datatrove child (runs in its own venv)
def dt_child(folder: str, work: str) -> None:
    """datatrove's four stages, one LocalPipelineExecutor each, run one after the other; prints stage timings."""
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import (MinhashConfig, MinhashDedupBuckets, MinhashDedupCluster,
                                                   MinhashDedupFilter)
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    config = MinhashConfig()  # its defaults
    inp = os.path.join(folder, "dt_input")
    reader = lambda: JsonlReader(inp, glob_pattern="*.jsonl")  # noqa: E731
    logs = os.path.join(work, "logs")
    stages = [
        ("signatures", LocalPipelineExecutor(
            pipeline=[reader(), MinhashDedupSignature(output_folder=f"{work}/signatures", config=config)],
            tasks=SHARDS, workers=SHARDS, logging_dir=f"{logs}/signatures")),
        ("buckets", LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=f"{work}/signatures", output_folder=f"{work}/buckets",
                                          config=config)],
            tasks=config.num_buckets, workers=SHARDS, logging_dir=f"{logs}/buckets")),
        ("clusters", LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/remove_ids",
                                          config=config)],
            tasks=1, logging_dir=f"{logs}/clusters")),
        ("filter", LocalPipelineExecutor(
            pipeline=[reader(),
                      MinhashDedupFilter(input_folder=f"{work}/remove_ids",
                                         exclusion_writer=JsonlWriter(f"{work}/removed")),
                      JsonlWriter(output_folder=f"{work}/deduplicated_output")],
            tasks=SHARDS, workers=SHARDS, logging_dir=f"{logs}/filter")),
    ]
    times = {}
    for name, ex in stages:
        t0 = time.perf_counter()
        ex.run()
        times[name] = round(time.perf_counter() - t0, 2)
    import importlib.metadata

    print(json.dumps({"datatrove": importlib.metadata.version("datatrove"),
                      "config": str(config), "norm": repr(config.norm_config), "stage_seconds": times}))


# ---------------------------------------------------------------- reading datatrove's answers
def _shard_starts(folder: str) -> list[int]:
    with open(os.path.join(folder, "dt_input", "shards.json")) as f:
        return json.load(f)["starts"]


def dt_edges(folder: str, work: str):
    """Its candidate pairs (the ``.dups`` files of the buckets stage) as document positions, (m, 2) int64."""
    import numpy as np

    starts = np.array(_shard_starts(folder), dtype=np.int64)
    parts = []
    bdir = os.path.join(work, "buckets")
    for name in sorted(os.listdir(bdir)):
        if name.endswith(".dups"):
            a = np.fromfile(os.path.join(bdir, name), dtype="<u4").reshape(-1, 4).astype(np.int64)
            parts.append(np.stack([starts[a[:, 0]] + a[:, 1], starts[a[:, 2]] + a[:, 3]], axis=1))
    e = np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    e.sort(axis=1)
    return np.unique(e, axis=0)


def dt_removed(folder: str, work: str):
    """Positions its stage 3 tells stage 4 to remove (the ``.remove`` files)."""
    import numpy as np

    starts = _shard_starts(folder)
    out = []
    rdir = os.path.join(work, "remove_ids")
    for name in sorted(os.listdir(rdir)):
        if name.endswith(".remove"):
            out.append(starts[int(name.split(".")[0])] + np.fromfile(os.path.join(rdir, name), dtype="<u4").astype(
                np.int64))
    return np.concatenate(out) if out else np.zeros(0, np.int64)


def labels_from_edges(n: int, edges):
    """Connected components (smallest member as label) of ``edges`` over ``n`` documents."""
    import numpy as np

    parent = np.arange(n, dtype=np.int64)

    def find(x):
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in edges.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.array([find(i) for i in range(n)], dtype=np.int64) if n else parent


def labels_from_clusters(path: str, n: int):
    import numpy as np

    labels = np.arange(n, dtype=np.int64)
    with open(path, encoding="utf-8") as f:
        for line in f:
            pos = [int(i[1:]) for i in json.loads(line)["ids"]]
            labels[pos] = min(pos)
    return labels


def truth_recall(folder: str, labels) -> float:
    import numpy as np

    t = np.load(os.path.join(folder, "truth.npy"))
    return float((labels[t[:, 0]] == labels[t[:, 1]]).mean()) if len(t) else 1.0


def cluster_pairs(labels):
    """Every pair inside each cluster of ``labels``, (m, 2) int64, i < j."""
    import numpy as np

    order = np.argsort(labels, kind="stable")
    lab = labels[order]
    cuts = np.flatnonzero(np.diff(lab)) + 1
    out = []
    for g in np.split(order, cuts):
        if len(g) > 1:
            i, j = np.triu_indices(len(g), 1)
            out.append(np.stack([g[i], g[j]], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 2), np.int64)


# ---------------------------------------------------------------- the exact check of datatrove's candidates
def check_child(folder: str, work: str, out: str) -> None:
    """Exact Jaccard of every pair inside datatrove's clusters; writes the verified pairs (npy); prints counts."""
    import numpy as np

    from benchmarks.harness.peers import jaccard, shingle_set

    t0 = time.perf_counter()
    n = json.load(open(os.path.join(folder, "dt_input", "shards.json")))["documents"]
    labels = labels_from_edges(n, dt_edges(folder, work))
    pairs = cluster_pairs(labels)
    need = np.zeros(n, dtype=bool)
    need[pairs.ravel()] = True
    t1 = time.perf_counter()
    sets = {}
    with open(os.path.join(folder, "big.jsonl"), "rb") as f:
        for i, line in enumerate(f):
            if need[i]:
                sets[i] = shingle_set(json.loads(line)["text"])
    t2 = time.perf_counter()
    keep = np.array([jaccard(sets[a], sets[b]) >= 0.8 for a, b in pairs.tolist()], dtype=bool)
    np.save(out, pairs[keep])
    print(json.dumps({"cluster_pairs": int(len(pairs)), "verified_pairs": int(keep.sum()),
                      "documents_read": int(need.sum()), "components_seconds": round(t1 - t0, 2),
                      "shingle_seconds": round(t2 - t1, 2), "jaccard_seconds": round(time.perf_counter() - t2, 2)}))


# ---------------------------------------------------------------- measuring a process tree from outside
def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    s = f.read()
                ppid = int(s[s.rindex(b")") + 2:].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError):
                pass
    return kids


def _tree(pid: int) -> list[int]:
    kids = _children_map()
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, ()))
    return out


def _mem_kib(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB, from smaps_rollup; (0, 0) once it is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith(b"Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def du_bytes(path: str) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


class Monitor(threading.Thread):
    """Samples the tree of ``pid`` (summed PSS and RSS, largest process, process count) and ``disk_path``."""

    def __init__(self, pid: int, disk_paths: list[str]):
        super().__init__(daemon=True)
        self.pid, self.disk_paths = pid, disk_paths
        self.stop = threading.Event()
        self.pss = self.rss = self.one = self.procs = self.disk = 0

    def run(self) -> None:
        last_disk = 0.0
        while not self.stop.is_set():
            mems = [_mem_kib(p) for p in _tree(self.pid)]
            self.rss = max(self.rss, sum(m[0] for m in mems))
            self.pss = max(self.pss, sum(m[1] for m in mems))
            self.one = max(self.one, max((m[0] for m in mems), default=0))
            self.procs = max(self.procs, sum(1 for m in mems if m[0]))
            if time.monotonic() - last_disk >= 1.0:
                self.disk = max(self.disk, sum(du_bytes(p) for p in self.disk_paths))
                last_disk = time.monotonic()
            self.stop.wait(0.2)


def measured(cmd: list[str], logs: str, disk_paths: list[str]) -> dict:
    """Run ``cmd``; wall time, memory of its process tree, peak disk of ``disk_paths``; its stdout's last JSON line."""
    load0 = os.getloadavg()
    with open(logs + ".out", "w") as o, open(logs + ".err", "w") as e:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=o, stderr=e)
        mon = Monitor(p.pid, disk_paths)
        mon.start()
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        mon.stop.set()
        mon.join()
    if status:
        raise SystemExit(f"{cmd} failed ({status}): {open(logs + '.err').read()[-3000:]}")
    gib = 2**20
    rec = {"seconds": round(wall, 2), "peak_pss_gib": round(mon.pss / gib, 3), "peak_rss_sum_gib": round(mon.rss / gib, 3),
           "largest_process_gib": round(max(mon.one, usage.ru_maxrss) / gib, 3), "processes": mon.procs,
           "disk_peak_gib": round(max(mon.disk, sum(du_bytes(x) for x in disk_paths)) / 2**30, 3),
           "disk_end_gib": round(sum(du_bytes(x) for x in disk_paths) / 2**30, 3),
           "load_before": [round(x, 2) for x in load0], "load_after": [round(x, 2) for x in os.getloadavg()]}
    lines = [l for l in open(logs + ".out").read().splitlines() if l.startswith("{")]
    if lines:
        rec["child"] = json.loads(lines[-1])
    return rec


# ---------------------------------------------------------------- one run of each side
def run_datatrove(folder: str, dt_python: str, n: int) -> list[dict]:
    import numpy as np

    work = os.path.join(folder, "dt_work")
    shutil.rmtree(work, ignore_errors=True)  # LocalPipelineExecutor skips completed tasks: start empty
    os.makedirs(work)
    rec = measured([dt_python, os.path.abspath(__file__), "_dt", folder, work], os.path.join(folder, "dt"), [work])
    rec["kind"] = "datatrove"
    rec["disk_end_by_folder_gib"] = {d: round(du_bytes(os.path.join(work, d)) / 2**30, 3) for d in sorted(os.listdir(work))}
    edges = dt_edges(folder, work)
    labels = labels_from_edges(n, edges)
    removed = dt_removed(folder, work)
    rec["recall"] = truth_recall(folder, labels)
    rec["candidate_pairs"] = int(len(edges))
    rec["documents_removed"] = int(len(removed))
    rec["removed_match_clusters"] = bool(len(removed) == int((labels != np.arange(n)).sum()))
    out = os.path.join(folder, "dt_verified.npy")
    chk = measured([sys.executable, "-m", "benchmarks.scale.datatrove_scale", "_check", folder, work, out],
                   os.path.join(folder, "dt_check"), [])
    chk["kind"] = "datatrove_exact_check"
    verified = np.load(out)
    vlabels = labels_from_edges(n, verified)
    chk["recall"] = truth_recall(folder, vlabels)
    c = chk["child"]
    chk["precision_before"] = round(c["verified_pairs"] / c["cluster_pairs"], 4) if c["cluster_pairs"] else 1.0
    chk["documents_removed"] = int((vlabels != np.arange(n)).sum())
    rec["precision"] = chk["precision_before"]
    return [rec, chk]


def run_neardups(folder: str, n: int) -> list[dict]:
    out = os.path.join(folder, "nd_clusters.jsonl")
    if os.path.exists(out):
        os.remove(out)
    cmd = ["/work/main/.venv/bin/python", "-m", "dedup.cli", "find", os.path.join(folder, "big.jsonl"),
           "--format", "jsonl", "-o", out]
    rec = measured(cmd, os.path.join(folder, "nd"), [out])
    rec["kind"] = "near-dups"
    labels = labels_from_clusters(out, n)
    rec["recall"] = truth_recall(folder, labels)
    rec["documents_removed"] = int((labels != __import__("numpy").arange(n)).sum())
    rec["summary"] = [l for l in open(os.path.join(folder, "nd.err")).read().splitlines()
                      if l.startswith("near-dups:")][-2:]
    return [rec]


def cpu_name() -> str:
    out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    f = {k.strip(): v.strip() for k, v in (l.split(":", 1) for l in out.splitlines() if ":" in l)}
    return f"{f.get('Model name', '?')} (family {f.get('CPU family', '?')}, model {f.get('Model', '?')}), {os.cpu_count()} cores"


def run(folder: str, rounds: int, dt_python: str, sides: list[str]) -> None:
    n = json.load(open(os.path.join(folder, "dt_input", "shards.json")))["documents"]
    ver = subprocess.run([dt_python, "-c", "import importlib.metadata as m; print(m.version('datatrove'))"],
                         capture_output=True, text=True).stdout.strip()
    print(json.dumps({"cpu": cpu_name(), "documents": n, "datatrove": ver, "load": os.getloadavg()}), flush=True)
    subprocess.run(["/work/main/.venv/bin/python", "-c", "import dedup; dedup.index(['warm up the kernels'] * 70)"],
                   check=True)
    runs = []
    for r in range(rounds):
        for side in (sides if r % 2 == 0 else sides[::-1]):  # interleaved, order alternating
            for rec in (run_datatrove(folder, dt_python, n) if side == "datatrove" else run_neardups(folder, n)):
                rec["round"] = r
                runs.append(rec)
                print(json.dumps(rec), flush=True)

    def stat(kind, key):
        v = [x[key] for x in runs if x["kind"] == kind]
        return f"{statistics.median(v):.3f} ({min(v):.3f}-{max(v):.3f})" if v else "-"

    for kind in ("datatrove", "datatrove_exact_check", "near-dups"):
        print(json.dumps({"summary": kind, "runs": sum(x["kind"] == kind for x in runs),
                          **{k: stat(kind, k) for k in ("seconds", "peak_pss_gib", "peak_rss_sum_gib",
                                                        "largest_process_gib", "disk_peak_gib", "disk_end_gib",
                                                        "recall")}}), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_dt":
        return dt_child(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "_check":
        return check_child(sys.argv[2], sys.argv[3], sys.argv[4])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("folder")
    r = sub.add_parser("run")
    r.add_argument("folder")
    r.add_argument("--rounds", type=int, default=3)
    r.add_argument("--dt-python", default="/work/dt-venv/bin/python")
    r.add_argument("--sides", default="datatrove,near-dups")
    a = ap.parse_args()
    if a.cmd == "prepare":
        prepare(a.folder)
    else:
        run(a.folder, a.rounds, a.dt_python, a.sides.split(","))


if __name__ == "__main__":
    main()
