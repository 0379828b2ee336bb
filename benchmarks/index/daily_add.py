"""A daily batch added to a big saved index: time, peak memory, what ``save`` writes, queries after.

    python -m benchmarks.index.daily_add IDX [--batch 100000] [--rounds 3]   # IDX: generate.stream(N, 0), saved

(``query_latency.build`` makes such an index: ``dedup.index(stream(N, 0),
memory="2G").save(IDX)``.) Each round runs in a fresh process on a copy of
the index made of hard links (so every round starts from the same saved
index and nothing of it is written): ``dedup.load(verify=False)``, then
``idx.add(batch)``, then ``idx.save``. The batch is half new documents
(``generate.stream(batch / 2, seed 7)``, with their own planted
near-duplicates) and half edited copies of indexed documents (one word in
75 changed, drawn from the first 200,000). Prints one JSON line per
round: seconds to load, add and save; peak RSS and its anonymous part
(sampled every 50 ms; the rest are pages of the memory-mapped index);
bytes the save wrote (files of the new generation that are not hard
links of the old one) against the index's size; recall of the planted
pairs found in one cluster (new-new with exact Jaccard >= 0.8, and
copy-source pairs with exact Jaccard >= 0.8); then the median of 200 one-text queries after a
fresh ``load`` of the saved two-segment index, and ``load`` time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

SELF = [sys.executable, "-m", "benchmarks.index.daily_add"]  # a round in a fresh process


def batch(n_old: int, size: int):
    """(texts, truth): the day's documents and their planted pairs as global positions."""
    import numpy as np

    from benchmarks.harness.peers import jaccard, shingle_set
    from benchmarks.harness.generate import stream

    fresh_truth: list = []
    fresh = list(stream(size // 2, 7, truth=fresh_truth))
    rng = np.random.default_rng(3)
    pool = min(200_000, n_old)
    picks = np.sort(rng.choice(pool, size=size - len(fresh), replace=False))
    want = set(picks.tolist())
    copies, sources = [], []
    for k, text in enumerate(stream(n_old, 0)):  # the indexed texts, regenerated (chunks depend on n)
        if k >= pool:
            break
        if k in want:
            words = text.split()
            for w in rng.choice(len(words), size=max(1, len(words) // 75), replace=False).tolist():
                words[w] = f"edit{w}"
            copies.append(" ".join(words))
            sources.append(k)
            if shingle_set(copies[-1]) and jaccard(shingle_set(text), shingle_set(copies[-1])) < 0.8:
                sources[-1] = -1  # not a planted pair at the threshold
    texts = fresh + copies
    truth = [(n_old + a, n_old + b) for a, b in fresh_truth]
    truth += [(s, n_old + len(fresh) + c) for c, s in enumerate(sources) if s >= 0]
    return texts, truth


def run_round(path: str, size: int) -> dict:

    import dedup
    from benchmarks.harness.memory import Sampler

    work = path + ".round"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(path, work, copy_function=os.link)  # the same files, hard-linked: the index is not touched
    gen = os.path.join(work, open(os.path.join(work, "CURRENT")).read().strip())
    old_inodes = {os.stat(os.path.join(gen, f)).st_ino for f in os.listdir(gen)}
    size_of_index = sum(os.path.getsize(os.path.join(gen, f)) for f in os.listdir(gen))
    with Sampler() as before:
        pass
    t = time.perf_counter()
    idx = dedup.load(work, verify=False)
    n_old = len(idx)
    loaded = time.perf_counter() - t
    texts, truth = batch(n_old, size)
    with Sampler() as s:
        t = time.perf_counter()
        idx.add(texts)
        added = time.perf_counter() - t
        t = time.perf_counter()
        idx.save(work)
        saved = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    gen = os.path.join(work, open(os.path.join(work, "CURRENT")).read().strip())
    written = sum(os.path.getsize(os.path.join(gen, f)) for f in os.listdir(gen)
                  if os.stat(os.path.join(gen, f)).st_ino not in old_inodes)
    labels = idx.labels()  # as scale.py counts recall: both ends in one cluster
    hit = sum(int(labels[a] == labels[b]) for a, b in truth)
    return {"documents": n_old, "batch": size, "load_s": round(loaded, 3), "add_s": round(added, 2),
            "save_s": round(saved, 2), "peak_rss_gib": round(peak / 2**30, 3),
            "peak_anon_rss_gib": round(s.peak / 2**30, 3), "baseline_anon_gib": round(before.peak / 2**30, 3),
            "index_bytes": size_of_index, "save_wrote_bytes": written, "segments": idx.segments,
            "planted_pairs": len(truth), "recall": round(hit / max(1, len(truth)), 6),
            "load": round(os.getloadavg()[0], 2), "work": work}


def probe(path: str, queries: int, base: int) -> dict:
    import numpy as np

    import dedup
    from benchmarks.harness.generate import stream

    t = time.perf_counter()
    idx = dedup.load(path, verify=False)
    opened = time.perf_counter() - t
    rng = np.random.default_rng(1)
    pool = min(200_000, base)
    picks = set(rng.choice(pool, size=queries // 2, replace=False).tolist())
    texts = []
    for k, text in enumerate(stream(base, 0)):  # the base's texts (the day's batch was added after them)
        if k >= pool:
            break
        if k in picks:
            words = text.split()
            words[len(words) // 2] = "changed"
            texts.append((k, " ".join(words)))
    texts += [(-1, t) for t in stream(queries // 2, 11)]
    idx.query("warm up the query path with a few words")
    ms, found = [], 0
    for k, text in texts:
        t = time.perf_counter()
        hits = idx.query(text)
        ms.append(1e3 * (time.perf_counter() - t))
        found += k >= 0 and any(i == k for i, _ in hits)
    return {"load_s": opened, "ms": ms, "found": found, "segments": idx.segments}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index")
    ap.add_argument("--batch", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--probe", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_round(args.index, args.batch)))
        return 0
    if args.probe:
        print(json.dumps(probe(args.index, args.queries, args.probe)))
        return 0
    rounds = []
    for _ in range(args.rounds):
        out = subprocess.run([*SELF, args.index, "--batch", str(args.batch), "--one"],
                             check=True, capture_output=True, text=True).stdout.splitlines()[-1]
        rounds.append(json.loads(out))
        print(json.dumps(rounds[-1]), flush=True)
    work = rounds[-1]["work"]  # the last round's saved index, two segments: queries against it
    probes = [json.loads(subprocess.run([*SELF, work, "--queries", str(args.queries), "--probe",
                                         str(rounds[-1]["documents"])],
                                        check=True, capture_output=True, text=True).stdout.splitlines()[-1])
              for _ in range(3)]
    ms = sorted(x for p in probes for x in p["ms"])
    print(json.dumps({
        "add_s_median": statistics.median(r["add_s"] for r in rounds),
        "add_s_min_max": [min(r["add_s"] for r in rounds), max(r["add_s"] for r in rounds)],
        "save_s_median": statistics.median(r["save_s"] for r in rounds),
        "peak_rss_gib_max": max(r["peak_rss_gib"] for r in rounds),
        "save_wrote_bytes": rounds[-1]["save_wrote_bytes"], "index_bytes": rounds[-1]["index_bytes"],
        "query_segments": probes[0]["segments"], "query_ms_median": round(statistics.median(ms), 3),
        "query_ms_p90": round(ms[int(0.9 * len(ms))], 3), "query_ms_max": round(ms[-1], 3),
        "query_copies_found": f"{probes[0]['found']} of {args.queries // 2}",
        "load_verify_false_s_median": round(statistics.median(p["load_s"] for p in probes), 4),
        "load": round(os.getloadavg()[0], 2)}), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
