"""Shared passages on a planted corpus: near-dups against its peers, in one run, scored against the truth.

    python -m benchmarks.passages.passages_report --docs 2000 --repeat 5 --json passages.json
    python -m benchmarks.passages.passages_report --docs 1000000 --peers none --repeat 1   # the million-document run
    python -m benchmarks.passages.passages_report --background --docs 2000                 # chance reuse of the base text

Contenders, on the same corpus (``passages_planted.planted``):

* **near-dups** ``dedup.passages(texts)`` with its defaults (with ``--viral``,
  ``max_docs=None``: the passage planted in that many documents is above the
  default ``max_docs``).
* **difflib**: ``difflib.SequenceMatcher(autojunk=False)`` on the word lists
  (``[^\\W_]+``, lower-cased) of every *candidate pair near-dups' seed stage
  proposes* (the brief's baseline: the alignment step done by the standard
  library), its matching blocks chained into passages across gaps of at most
  10 words in both texts, kept at 10 matched words or more.
* **text-matcher** 0.1.6 (``pip install text-matcher``), ``Matcher`` with its
  defaults (trigrams, threshold 3, cutoff 5) on the same candidate pairs;
  stop words kept (``removeStopwords=False``, its ``--stops`` flag), because
  its stop-word list is an NLTK data download this machine cannot fetch.
  Its command line compares every pair of files; the time for that is
  extrapolated from its time per pair and reported beside.
* **passim** 2.0.1 (``--passim-venv``, ``--passim-script``: a virtualenv with
  ``pyspark==4.0.1 graphframes-py==0.9.3 intervaltree``, Java 17, and
  ``passim/seriatim.py`` from its repository), run as its ``bin/passim``
  does (``--all-pairs``, every document its own series) with
  ``--pairwise``, on Spark ``local[2]``. Its last step, clustering, needs the
  GraphFrames JAR that ``spark-submit --packages`` fetches from Maven Central,
  which this machine cannot reach: the run fails there, after it has
  written the pairwise alignments, which are what is scored. Its time is
  from the start of ``spark-submit`` to the ``_SUCCESS`` marker of those
  alignments (JVM start included). ``<``, ``>`` and ``&`` are replaced by
  spaces in its input (passim reads text as XML), which keeps every offset.

Every contender's passages are scored by ``passages_planted.score``. Times are
medians of ``--repeat`` runs (near-dups after one warm-up run, so numba's
compile time is not counted; the cold first run is reported beside), CPU time
beside wall time; the load average and CPU are printed with every figure.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np


from benchmarks.harness.passages_planted import LENGTH_BINS, planted, score

_WORD = re.compile(r"[^\W_]+")


def machine() -> dict:
    cpu = "?"
    with contextlib.suppress(OSError):
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        cpu = next((line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name")), cpu)
    return {"load": os.getloadavg(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def ours(texts, **kw):
    import dedup

    res = dedup.passages(texts, **kw)
    a = res.arrays()
    da, db = a.doc[a.align_a], a.doc[a.align_b]
    found = np.stack([da, a.a_start, a.a_end, db, a.b_start, a.b_end], axis=1)
    return found, res


def candidate_pairs(texts, **kw) -> list:
    """The pairs near-dups' seed stage proposes (what the baselines align)."""
    from dedup._passages import _find as _passages
    from dedup._text import _tokens

    cfg = _passages.PassageConfig(**kw)
    hits = _passages.seed_stage(_tokens.tokenize(texts), cfg)
    return list(zip(hits.pair_a.tolist(), hits.pair_b.tolist()))


def _words(text):
    spans = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    return [text[s:e].lower() for s, e in spans], spans


def difflib_passages(texts, pairs, *, min_words=10, max_gap=10):
    cache = {}
    out = []
    for x, y in pairs:
        for d in (x, y):
            if d not in cache:
                cache[d] = _words(texts[d])
        (wa, sa), (wb, sb) = cache[x], cache[y]
        blocks = [b for b in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_matching_blocks() if b.size]
        run = None
        for b in blocks + [None]:
            if run is not None and b is not None and b.a - run[1] <= max_gap and b.b - run[3] <= max_gap \
                    and b.a >= run[1] and b.b >= run[3]:
                run = [run[0], b.a + b.size, run[2], b.b + b.size, run[4] + b.size]
                continue
            if run is not None and run[4] >= min_words:
                out.append((x, sa[run[0]][0], sa[run[1] - 1][1], y, sb[run[2]][0], sb[run[3] - 1][1]))
            run = None if b is None else [b.a, b.a + b.size, b.b, b.b + b.size, b.size]
    return out


def text_matcher_passages(texts, pairs):
    from text_matcher.matcher import Matcher, Text

    cache = {}
    out = []
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink):
        for x, y in pairs:
            for d in (x, y):
                if d not in cache:
                    cache[d] = Text(texts[d], str(d), removeStopwords=False)
            try:
                m = Matcher(cache[x], cache[y])
                _, la, lb = m.match()
            except (IndexError, ZeroDivisionError):  # its extension reads past a text's end on some inputs
                continue
            for (s0, e0), (s1, e1) in zip(la, lb):
                out.append((x, s0, e0, y, s1, e1))
            sink.seek(0)
            sink.truncate()
    return out


def passim_passages(texts, venv: str, script: str, workdir: Path, threads: int = 2):
    """Pairwise alignments of passim (see the module doc); returns (found, seconds to the alignments)."""
    import glob
    import shutil

    workdir.mkdir(parents=True, exist_ok=True)
    out = workdir / "out"
    shutil.rmtree(out, ignore_errors=True)
    with open(workdir / "in.json", "w", encoding="utf-8") as f:
        for d, t in enumerate(texts):
            t = t.replace("<", " ").replace(">", " ").replace("&", " ")
            f.write(json.dumps({"id": f"d{d}", "series": f"d{d}", "text": t}) + "\n")
    env = dict(os.environ, PATH=f"{venv}/bin:" + os.environ["PATH"], PYSPARK_PYTHON=f"{venv}/bin/python")
    cmd = ["spark-submit", "--master", f"local[{threads}]", "--driver-memory", "4G", script, "--all-pairs",
           "--fields", "xxhash64(series) as gid", "--filterpairs", "gid < gid2", "--pairwise",
           str(workdir / "in.json"), str(out)]
    t = time.time()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    done = out / "align.json" / "_SUCCESS"
    if not done.exists():
        raise RuntimeError(f"passim wrote no alignments (exit {proc.returncode}): {proc.stderr[-2000:]}")
    seconds = done.stat().st_mtime - t
    found = []
    for name in sorted(glob.glob(str(out / "align.json" / "part-*.json"))):
        with open(name, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                found.append((int(r["id"][1:]), r["begin"], r["end"], int(r["id2"][1:]), r["begin2"], r["end2"]))
    return found, seconds, proc.returncode


def _timed(fn, repeat):
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return statistics.median(wall), statistics.median(cpu), result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(args) -> dict:
    t = time.perf_counter()
    c = planted(args.docs, seed=args.seed, rates=tuple(args.rates), viral=args.viral, unique=args.unique)
    gen = time.perf_counter() - t
    mb = c.nbytes / 1e6
    print(f"corpus: {args.docs} documents, {mb:.1f} MB, {len(c.copies['passage'])} planted copies, "
          f"built in {gen:.1f} s; {machine()}", flush=True)
    report = {"docs": args.docs, "mb": mb, "copies": len(c.copies["passage"]), "machine": machine(), "runs": {}}
    kw = {"max_docs": None} if c.viral else {}  # the passage in --viral documents is above the default max_docs
    t = time.perf_counter()
    found, res = ours(c.texts, **kw)
    cold = time.perf_counter() - t
    wall, cpu, (found, res) = _timed(lambda: ours(c.texts, **kw), args.repeat)
    s = score(c, found) if not args.no_score else {}
    report["runs"]["near-dups"] = {"wall": wall, "cpu": cpu, "first_run": cold, "mb_s": mb / wall, **s,
                                   "groups": len(res), "peak_rss_mib": peak_rss_mib()}
    if c.viral:  # groups holding the viral passage: occurrences covering half of it at the start of a host
        hosts = set(c.viral["hosts"].tolist())
        arr = res.arrays()
        gid = np.repeat(np.arange(len(res)), np.diff(arr.group_ptr))
        span = c.viral["length"]
        holding = [int(g) for d, g, s0, e0 in zip(arr.doc.tolist(), gid.tolist(), arr.start.tolist(), arr.end.tolist())
                   if d in hosts and s0 < span and 2 * (min(e0, span) - s0) >= span]
        counts = np.bincount(holding) if holding else np.zeros(0, int)
        report["viral"] = {"hosts": len(hosts), "groups": len(set(holding)),
                           "hosts_in_largest": int(counts.max(initial=0)),
                           "alignments_in_largest": int(np.diff(arr.align_ptr)[int(counts.argmax())]) if holding else 0}
        print(json.dumps({"viral": report["viral"]}), flush=True)
    print(json.dumps({"near-dups": {k: v for k, v in report["runs"]["near-dups"].items() if k != "cells"}},
                     default=float), flush=True)
    peers = [p for p in args.peers if p != "none"]
    if peers:
        t = time.perf_counter()
        pairs = candidate_pairs(c.texts)
        report["candidate_pairs"] = len(pairs)
        report["candidate_s"] = time.perf_counter() - t
    n = len(c.texts)
    for name in peers:
        if name == "passim":
            if not (args.passim_venv and args.passim_script):
                raise SystemExit("passim needs --passim-venv and --passim-script")
            f, wall, rc = passim_passages(c.texts, args.passim_venv, args.passim_script, Path(args.passim_work))
            report["runs"][name] = {"wall": wall, "cpu": float("nan"), "mb_s": mb / wall, **score(c, f),
                                    "exit": rc}
            print(json.dumps({name: {k: v for k, v in report["runs"][name].items() if k != "cells"}},
                             default=float), flush=True)
            continue
        if name == "difflib":
            wall, cpu, f = _timed(lambda: difflib_passages(c.texts, pairs), 1)
        elif name == "text-matcher":
            wall, cpu, f = _timed(lambda: text_matcher_passages(c.texts, pairs), 1)
        else:
            raise SystemExit(f"unknown peer {name!r}")
        extra = {"all_pairs_s": wall / max(1, len(pairs)) * n * (n - 1) / 2} if name == "text-matcher" else {}
        report["runs"][name] = {"wall": wall, "cpu": cpu, "mb_s": mb / wall, **score(c, f), **extra}
        print(json.dumps({name: {k: v for k, v in report["runs"][name].items() if k != "cells"}}, default=float),
              flush=True)
    report["load_after"] = os.getloadavg()
    return report


def background(args) -> None:
    """Passages near-dups finds in the base text alone (no planted copies): chance reuse of the generator."""
    c = planted(args.docs, seed=args.seed, rates=(0.0,), unique=args.unique)
    keep = set(c.copies["source"].tolist()) | set(c.copies["host"].tolist())
    texts = [t for d, t in enumerate(c.texts) if d not in keep]
    found, _ = ours(texts)
    n = len(texts)
    print(f"{n} unplanted documents: {len(found)} passages of >= 10 shared words "
          f"({len(found) / (n * (n - 1) / 2):.2e} per document pair)")


def table(report: dict) -> str:
    """Markdown: recall by edit rate and length (near-dups), then every contender's figures."""
    cells = report["runs"]["near-dups"]["cells"]
    rates = sorted({k.split("|")[0] for k in cells}, key=float)
    bins = [f"{lo}-{hi - 1}" for lo, hi in LENGTH_BINS]
    lines = ["| edit rate | " + " | ".join(f"{b} words" for b in bins) + " |",
             "|---|" + "---:|" * len(bins)]
    for r in rates:
        row = []
        for b in bins:
            hit, tot = cells.get(f"{r}|{b}", (0, 0))
            row.append(f"{hit / tot:.2f} ({tot})" if tot else "")
        lines.append(f"| {float(r):.0%} | " + " | ".join(row) + " |")
    lines += ["", "| contender | wall s | CPU s | MB/s | recall >=30 words, <=10 % | recall >=30 words, 20 % | "
              "precision | median boundary error start / end (words) | passages found |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in report["runs"].items():
        lines.append(f"| {name} | {r['wall']:.2f} | {r['cpu']:.2f} | {r['mb_s']:.2f} | {r['recall_le10']:.3f} | "
                     f"{r['recall_20']:.3f} | {r['precision']:.3f} | {r['start_error_median']:g} / "
                     f"{r['end_error_median']:g} | {r['found']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rates", type=float, nargs="+", default=[0.0, 0.05, 0.10, 0.20, 0.30, 0.40])
    ap.add_argument("--peers", nargs="+", default=["difflib", "text-matcher"],
                    help="difflib, text-matcher, passim, or none")
    ap.add_argument("--passim-venv", help="virtualenv with pyspark 4.0.1, graphframes-py and intervaltree")
    ap.add_argument("--passim-script", help="passim's passim/seriatim.py")
    ap.add_argument("--passim-work", default="/tmp/passim-run", help="scratch folder for passim's input and output")
    ap.add_argument("--viral", type=int, default=0, help="also plant one passage into this many documents")
    ap.add_argument("--unique", type=int, default=5, help="no repeated word n-gram in the base text (0: skip)")
    ap.add_argument("--no-score", action="store_true", help="time only (huge corpora)")
    ap.add_argument("--background", action="store_true", help="count chance reuse of the base text and stop")
    ap.add_argument("--json", help="write the full report here")
    args = ap.parse_args(argv)
    if args.background:
        background(args)
        return 0
    report = run(args)
    if not args.no_score:  # --no-score: the timings printed above are the report
        print(table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
