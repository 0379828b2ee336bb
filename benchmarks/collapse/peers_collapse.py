"""near-dups' collapse beside dolma's paragraph dedup and datatrove's line dedup on the labelled crawl (issue 27).

    python -m benchmarks.collapse.peers_collapse --pages 100000 --rounds 5
    python -m benchmarks.collapse.peers_collapse --pages 2000 --rounds 1 --out /tmp/peers_smoke   # smoke

The corpus is ``harness.crawl.pages(N, seed)`` (every line labelled), written
once, untimed, as ``crawl.jsonl`` (near-dups) and as two consecutive shards
``documents/part-0000{0,1}.jsonl`` (the peers: their readers give a process
whole files, so one file would leave the second core idle). Contenders, each
in fresh processes, interleaved: every round runs each once, the order
rotated by one from round to round, after one untimed warm-up each on 300
pages:

- ``near-dups CLI``: ``near-dups collapse crawl.jsonl -o OUT --removals R
  --unit line`` (``python -m dedup.cli``), plus ``--memory M`` when this
  version's ``collapse`` uses it (asked of the CLI itself in the warm-up: an
  option it ignores is not passed);
- ``near-dups API``: a Python process that reads ``crawl.jsonl`` into a list,
  calls ``dedup.collapse(docs, unit="line")`` and writes the cleaned texts as
  JSON Lines (its own timings say how much is the call);
- ``dolma``: ``dolma -c dedupe.json dedupe`` (a paragraph Bloom filter, the
  documented ``dedupe.paragraphs`` config: paragraphs are lines; 2 processes;
  sized for the corpus' line count at a false-positive rate of 0.001, as the
  docs' example), then ``dolma -c mix.json mix`` (2 processes), which removes
  the marked spans (``span_replacement`` with ``replacement: ""``,
  ``min_score: 0.5``), the documented way to apply its dedup attributes;
- ``datatrove``: its sentence dedup pipeline on lines
  (``SentDedupConfig(n_sentences=1, split_sentences=False, min_doc_words=0,
  min_num_sentences=0)``, every other setting its default, its text
  normalization included): ``SentenceDedupSignature`` ->
  ``SentenceFindDedups`` -> ``SentenceDedupFilter`` + ``JsonlWriter``, each
  stage a ``LocalPipelineExecutor`` with 2 tasks and 2 workers. The two
  zeros turn off its C4-style page filter (a page left with fewer than 50
  words or 3 sentences is dropped whole), which is not line dedup, drops
  pages the others keep, and costs a spaCy tokenization of every changed
  page (at 2,000 pages, load 10: the filter stage 66 s with it).

Every timed run starts on a settled machine: ``sync`` (the previous tool's
writes flushed to disk, so that their writeback does not land in the next
tool's time), then a pause of ``SETTLE`` seconds, both untimed. The order is reversed every other round and rotates by one tool
every two, so that no tool always follows the same one (in a fixed cycle
the command followed datatrove in three rounds of five, and took 7.2-7.9 s
there against 6.1 s elsewhere; ``peers_100000_fixed_order.json``).

Measured from outside: wall time, and the memory of the whole process tree
(every descendant, sampled from /proc every 0.1 s: the peak of the summed
RSS, or the largest process's own ``VmHWM`` when higher; and the peak of the
summed PSS, which counts shared pages once); for the two stages of dolma the
times add and the peaks are the larger. Load averages
before and after each run, and the CPU (lscpu), are recorded.

Scored the same way for all four: each tool's cleaned text is matched line by
line, in order, to its page's input lines (a kept line is the next input line
with the same text, whitespace stripped); input lines left unmatched are
removed, a page missing from the output is removed whole, and
``crawl.score`` gives the share of each label's lines removed. Output lines
that match no input line are counted (``unmatched``; 0 means the matching
explains the whole output). For the CLI the removals file is scored with
``crawl.score`` as well, as a check of the matching.

Writes ``OUT/peers_<pages>.json`` (every run, the summary) after each round,
and the tables of every ``peers_*.json`` in ``OUT`` into ``OUT/PEERS.md``
between its ``<!-- tables -->`` markers (the text around them is kept).

The peers run in their own virtualenvs (dolma pins old boto3 and numpy 1.x):
``--dolma`` (default: ``dolma`` on PATH, else /work/dolma-venv/bin/dolma) and
``--datatrove-python`` (default: this Python if it imports datatrove and
spaCy, else /work/dt-venv/bin/python). A peer that cannot be found or does
not start is skipped, with the reason printed and recorded.

Only the standard library is imported at module level: datatrove's workers
import this file as ``__main__`` in its own virtualenv.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TOOLS = ("near-dups CLI", "near-dups API", "dolma", "datatrove")
SETTLE = 2.0  # seconds of pause before each timed run, after ``sync``
WORKERS = 2  # the cores: dolma's processes, datatrove's tasks and workers, the shards
WARMUP_PAGES = 300
DOLMA_INSTALL = ("python -m venv /work/dolma-venv && /work/dolma-venv/bin/pip install dolma boto3==1.26.161 "
                 "aiobotocore==2.5.2")
DATATROVE_INSTALL = ('python -m venv /work/dt-venv && /work/dt-venv/bin/pip install "datatrove[processing,io]" '
                     "spacy")
MARK_START, MARK_END = "<!-- tables -->", "<!-- /tables -->"


# ---------------------------------------------------------------- the corpus on disk
def write_corpus(base: str, pages: list) -> dict:
    """``base/crawl.jsonl`` and ``base/documents/part-0000{0,1}.jsonl`` (consecutive halves) of ``pages``."""
    os.makedirs(os.path.join(base, "documents"), exist_ok=True)
    half = -(-len(pages) // WORKERS)
    lines = 0
    with open(os.path.join(base, "crawl.jsonl"), "w", encoding="utf-8") as one:
        for s in range(WORKERS):
            with open(os.path.join(base, "documents", f"part-{s:05d}.jsonl"), "w", encoding="utf-8") as f:
                for p in pages[s * half:(s + 1) * half]:
                    one.write(json.dumps({"id": p.id, "text": p.text}) + "\n")
                    f.write(json.dumps({"id": p.id, "text": p.text, "source": "crawl"}) + "\n")
                    lines += sum(1 for x in p.text.split("\n") if x.strip())
    size = sum(os.path.getsize(os.path.join(base, "documents", n)) for n in os.listdir(os.path.join(base, "documents")))
    return {"lines": lines, "shard_bytes": size}


# ---------------------------------------------------------------- scoring any tool's cleaned text
def removed_lines(text: str, kept: str | None) -> tuple[list, int]:
    """Spans ``(start, end)`` of the lines of ``text`` that ``kept`` no longer holds, and ``kept``'s unmatched lines.

    ``kept`` is a tool's cleaned text of the page (``None``: the page was
    dropped). Its non-blank lines are matched in order: each to the next line
    of ``text`` with the same text (whitespace stripped at both ends). Lines
    of ``text`` matched by none are removed; blank lines of ``text`` are
    never counted. A line of ``kept`` that matches no line of ``text`` after
    the previous match is counted as unmatched and skipped.
    """
    spans, norm, pos = [], [], 0
    for line in text.split("\n"):
        if line.strip():
            spans.append((pos, pos + len(line)))
            norm.append(line.strip())
        pos += len(line) + 1
    if kept is None:
        return spans, 0
    keep = [False] * len(spans)
    nxt = unmatched = 0
    for line in kept.split("\n"):
        w = line.strip()
        if not w:
            continue
        k = nxt
        while k < len(norm) and norm[k] != w:
            k += 1
        if k == len(norm):
            unmatched += 1
            continue
        keep[k] = True
        nxt = k + 1
    return [s for s, kp in zip(spans, keep) if not kp], unmatched


def score_outputs(pages: list, outputs: dict) -> dict:
    """``crawl.score`` of the pages' cleaned texts ``outputs`` (``{id: text}``; a missing id: dropped)."""
    from benchmarks.harness import crawl

    removed, unmatched, digest = [], 0, hashlib.sha1()
    for p in pages:
        rm, u = removed_lines(p.text, outputs.get(p.id))
        removed.append(rm)
        unmatched += u
        digest.update(repr((p.id, rm)).encode())
    res = crawl.score(pages, removed)
    dropped = sum(1 for p in pages if p.id not in outputs)
    return {"labels": {k: list(v) for k, v in res["labels"].items()}, "precision": res["precision"],
            "recall": res["recall"], "unmatched_lines": unmatched, "dropped_pages": dropped,
            "removed_digest": digest.hexdigest()[:16]}


def read_jsonl(paths: list) -> dict:
    """``{id: text}`` of JSON Lines files, gzipped or not."""
    out = {}
    for path in paths:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    out[r["id"]] = r["text"]
    return out


def files(folder: str, suffixes: tuple) -> list:
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if n.endswith(suffixes)) \
        if os.path.isdir(folder) else []


# ---------------------------------------------------------------- measuring a process tree
def _status_kib(pid: int, field: bytes) -> int:
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(field):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


class TreeMonitor(threading.Thread):
    """Every 0.1 s, the process tree of ``pid``: peaks of its summed RSS, the largest ``VmHWM``, the count; its
    summed PSS every second.

    ``VmHWM`` (a process's own peak RSS since its exec) catches a spike
    between two samples. ``wait4``'s ``ru_maxrss`` would not do: a child
    forked from this harness carries the harness' own peak over its exec.
    RSS and ``VmHWM`` come from ``/proc/PID/status`` (counters); PSS needs
    ``smaps_rollup``, which walks the process's page tables holding its
    ``mmap_lock``: read every 0.1 s, it cost a process of 1 GB resident
    (and its allocations, which wait for that lock) more than one of 0.1 GB,
    so it is read every tenth sample.
    """

    PSS_EVERY = 10

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.stop = pid, threading.Event()
        self.rss = self.pss = self.hwm = self.procs = 0

    def run(self) -> None:
        from benchmarks.scale.datatrove_scale import _mem_kib, _tree

        tick = 0
        while not self.stop.is_set():
            pids = _tree(self.pid)
            rss = [_status_kib(p, b"VmRSS:") for p in pids]
            self.rss = max(self.rss, sum(rss))
            self.hwm = max([self.hwm] + [_status_kib(p, b"VmHWM:") for p in pids])
            self.procs = max(self.procs, sum(1 for r in rss if r))
            if tick % self.PSS_EVERY == 0:
                self.pss = max(self.pss, sum(_mem_kib(p)[1] for p in pids))
            tick += 1
            self.stop.wait(0.1)


def round_order(names: list, r: int) -> list:
    """Round ``r``'s order: the tools rotated by ``r // 2``, reversed in odd rounds (two tools alternate)."""
    if not names:
        return []
    k = (r // 2) % len(names)
    order = names[k:] + names[:k]
    return order[::-1] if r % 2 else order


def settle() -> None:
    """Flush the previous run's writes to disk (``sync``), then pause ``SETTLE`` seconds: untimed."""
    os.sync()
    time.sleep(SETTLE)


def measure(cmds: list, log: str) -> dict:
    """Run ``cmds`` one after the other; wall seconds (summed), tree peaks (the larger), each child's JSON line."""
    rec = {"seconds": 0.0, "peak_rss_gib": 0.0, "peak_pss_gib": 0.0, "largest_process_gib": 0.0, "processes": 0,
           "stage_seconds": [], "load_before": [round(x, 2) for x in os.getloadavg()]}
    for k, cmd in enumerate(cmds):
        with open(f"{log}.{k}.out", "w") as o, open(f"{log}.{k}.err", "w") as e:
            t0 = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=o, stderr=e)
            mon = TreeMonitor(p.pid)
            mon.start()
            _, status, _ = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            mon.stop.set()
            mon.join()
        if status:
            err = open(f"{log}.{k}.err", encoding="utf-8", errors="replace").read()[-2500:]
            raise RuntimeError(f"{' '.join(cmd)} exited with status {status}:\n{err}")
        gib = 2**20
        rec["seconds"] += wall
        rec["stage_seconds"].append(round(wall, 3))
        # the tree's summed RSS, or its largest process's own peak when higher (a spike between two samples)
        rec["peak_rss_gib"] = max(rec["peak_rss_gib"], mon.rss / gib, mon.hwm / gib)
        rec["peak_pss_gib"] = max(rec["peak_pss_gib"], mon.pss / gib)
        rec["largest_process_gib"] = max(rec["largest_process_gib"], mon.hwm / gib)
        rec["processes"] = max(rec["processes"], mon.procs)
        child = [x for x in open(f"{log}.{k}.out", encoding="utf-8").read().splitlines() if x.startswith("{")]
        if child:
            rec.setdefault("child", []).append(json.loads(child[-1]))
    rec["load_after"] = [round(x, 2) for x in os.getloadavg()]
    for key in ("seconds", "peak_rss_gib", "peak_pss_gib", "largest_process_gib"):
        rec[key] = round(rec[key], 3)
    return rec


# ---------------------------------------------------------------- the contenders
class Contender:
    """One tool: its commands on a corpus folder, where its cleaned texts land, what to clear before a run."""

    name = ""

    def commands(self, base: str, out: str) -> list:
        raise NotImplementedError

    def outputs(self, base: str, out: str) -> list:
        raise NotImplementedError

    def clear(self, base: str, out: str) -> None:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)


class NearDupsCli(Contender):
    name = "near-dups CLI"

    def __init__(self, memory: str | None):
        self.memory = memory
        self.memory_used = None  # set by the warm-up: does this version's collapse use --memory?

    def commands(self, base, out):
        cmd = [sys.executable, "-m", "dedup.cli", "collapse", os.path.join(base, "crawl.jsonl"), "-o",
               os.path.join(out, "collapsed.jsonl"), "--removals", os.path.join(out, "removals.jsonl"),
               "--unit", "line"]
        if self.memory and self.memory_used is not False:
            cmd += ["--memory", self.memory]
        return [cmd]

    def outputs(self, base, out):
        return [os.path.join(out, "collapsed.jsonl")]

    def describe(self):
        mem = (f"--memory {self.memory}" if self.memory_used else
               f"no --memory (this version's collapse ignores it)" if self.memory else "no --memory")
        return f"`near-dups collapse crawl.jsonl -o OUT --removals R --unit line`, {mem}"


class NearDupsApi(Contender):
    name = "near-dups API"

    def commands(self, base, out):
        return [[sys.executable, "-m", "benchmarks.collapse.peers_collapse", "_api", os.path.join(base, "crawl.jsonl"),
                 os.path.join(out, "collapsed.jsonl")]]

    def outputs(self, base, out):
        return [os.path.join(out, "collapsed.jsonl")]

    def describe(self):
        return "read `crawl.jsonl` into a list, `dedup.collapse(docs, unit=\"line\")`, write the texts (JSON Lines)"


def api_child(src: str, dst: str) -> None:
    t0 = time.perf_counter()
    with open(src, encoding="utf-8") as f:
        docs = [(r["id"], r["text"]) for r in map(json.loads, f)]
    t1 = time.perf_counter()
    import dedup

    t2 = time.perf_counter()
    out = dedup.collapse(docs, unit="line")
    t3 = time.perf_counter()
    with open(dst, "w", encoding="utf-8") as f:
        for d in out:
            f.write(json.dumps({"id": d.id, "text": d.text}) + "\n")
    print(json.dumps({"read_seconds": round(t1 - t0, 3), "import_seconds": round(t2 - t1, 3),
                      "collapse_seconds": round(t3 - t2, 3), "write_seconds": round(time.perf_counter() - t3, 3)}))


class Dolma(Contender):
    name = "dolma"

    def __init__(self, exe: str, fpr: float):
        self.exe, self.fpr = exe, fpr

    def commands(self, base, out):
        meta = json.load(open(os.path.join(base, "corpus.json")))
        docs = os.path.join(base, "documents", "*.jsonl")
        dedupe = {"documents": [docs],
                  "dedupe": {"name": "dedupe_paragraphs",
                             "paragraphs": {"attribute_name": "bff_duplicate_paragraph_spans"}},
                  "bloom_filter": {"file": os.path.join(out, "bloom_filter.bin"), "read_only": False,
                                   "estimated_doc_count": meta["lines"], "desired_false_positive_rate": self.fpr},
                  "processes": WORKERS}
        # one output shard per input shard: a shard is at most max_size_in_bytes of input
        mix = {"streams": [{"name": "crawl", "documents": [docs], "attributes": ["dedupe_paragraphs"],
                            "output": {"path": os.path.join(out, "mixed"),
                                       "max_size_in_bytes": math.ceil(meta["shard_bytes"] / WORKERS) + 1},
                            "span_replacement": [{"span": "$.attributes.bff_duplicate_paragraph_spans",
                                                  "min_score": 0.5, "replacement": ""}]}],
               "processes": WORKERS}
        for name, cfg in (("dedupe", dedupe), ("mix", mix)):
            with open(os.path.join(out, f"{name}.json"), "w") as f:
                json.dump(cfg, f, indent=1)
        return [[self.exe, "-c", os.path.join(out, "dedupe.json"), "dedupe"],
                [self.exe, "-c", os.path.join(out, "mix.json"), "mix"]]

    def outputs(self, base, out):
        return files(os.path.join(out, "mixed"), (".gz", ".jsonl", ".json", ".zst"))

    def clear(self, base, out):
        super().clear(base, out)
        shutil.rmtree(os.path.join(base, "attributes"), ignore_errors=True)  # its attributes sit beside documents/

    def describe(self):
        return (f"`dolma dedupe` (paragraph Bloom filter, {WORKERS} processes, false-positive rate {self.fpr}) then "
                f"`dolma mix` (span_replacement \"\", {WORKERS} processes)")


class Datatrove(Contender):
    name = "datatrove"

    def __init__(self, python: str):
        self.python = python

    def commands(self, base, out):
        return [[self.python, os.path.abspath(__file__), "_datatrove", os.path.join(base, "documents"), out]]

    def outputs(self, base, out):
        return files(os.path.join(out, "output"), (".gz", ".jsonl"))

    def describe(self):
        return (f"`SentDedupConfig(n_sentences=1, split_sentences=False, min_doc_words=0, min_num_sentences=0)`: signature -> find dups -> filter, "
                f"`LocalPipelineExecutor` {WORKERS} tasks x {WORKERS} workers each")


def datatrove_child(docs: str, work: str) -> None:
    """datatrove's three sentence-dedup stages on lines, one LocalPipelineExecutor each (runs in its virtualenv)."""
    import importlib.metadata

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import SentenceDedupFilter, SentenceDedupSignature, SentenceFindDedups
    from datatrove.pipeline.dedup.sentence_dedup import SentDedupConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter

    config = SentDedupConfig(n_sentences=1, split_sentences=False, min_doc_words=0, min_num_sentences=0)
    logs = os.path.join(work, "logs")
    stages = [
        ("signature", LocalPipelineExecutor(
            pipeline=[JsonlReader(docs, glob_pattern="*.jsonl"),
                      SentenceDedupSignature(output_folder=f"{work}/sigs", config=config, finder_workers=WORKERS)],
            tasks=WORKERS, workers=WORKERS, logging_dir=f"{logs}/signature")),
        ("find_dups", LocalPipelineExecutor(
            pipeline=[SentenceFindDedups(data_folder=f"{work}/sigs", output_folder=f"{work}/dups", config=config)],
            tasks=WORKERS, workers=WORKERS, logging_dir=f"{logs}/find_dups")),
        ("filter", LocalPipelineExecutor(
            pipeline=[JsonlReader(docs, glob_pattern="*.jsonl"),
                      SentenceDedupFilter(data_folder=f"{work}/dups", config=config),
                      JsonlWriter(f"{work}/output")],
            tasks=WORKERS, workers=WORKERS, logging_dir=f"{logs}/filter")),
    ]
    times = {}
    for name, ex in stages:
        t0 = time.perf_counter()
        ex.run()
        times[name] = round(time.perf_counter() - t0, 3)
    print(json.dumps({"datatrove": importlib.metadata.version("datatrove"), "config": repr(config),
                      "stage_seconds": times}))


# ---------------------------------------------------------------- finding the peers
def _probe(cmd: list) -> tuple[bool, str]:
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        return False, str(e)
    return p.returncode == 0, (p.stdout.strip().splitlines() or [""])[-1] if p.returncode == 0 else p.stderr[-600:]


def find_dolma(exe: str | None) -> tuple[str | None, str]:
    """``(dolma executable, version)``, or ``(None, why not)``."""
    cands = [exe] if exe else [shutil.which("dolma"), "/work/dolma-venv/bin/dolma"]
    for c in filter(None, cands):
        if os.path.exists(c):
            py = os.path.join(os.path.dirname(c), "python")
            ok, v = _probe([py if os.path.exists(py) else sys.executable, "-c",
                            "import importlib.metadata as m; print(m.version('dolma'))"])
            if ok:
                return c, v
            return None, f"{c} is there but dolma does not import beside it: {v}"
    return None, f"dolma not found ({exe or 'dolma on PATH, /work/dolma-venv/bin/dolma'}); install: {DOLMA_INSTALL}"


def find_datatrove(python: str | None) -> tuple[str | None, str]:
    """``(python that runs datatrove and spaCy, version)``, or ``(None, why not)``."""
    cands = [python] if python else [sys.executable, "/work/dt-venv/bin/python"]
    why = []
    for c in cands:
        if not os.path.exists(c):
            why.append(f"{c}: missing")
            continue
        ok, v = _probe([c, "-c", "import importlib.metadata as m, datatrove.utils.text, spacy; "
                                 "print(m.version('datatrove'))"])
        if ok:
            return c, v
        why.append(f"{c}: {v.strip().splitlines()[-1] if v.strip() else 'failed'}")
    return None, f"datatrove with spaCy not found ({'; '.join(why)}); install: {DATATROVE_INSTALL}"


def collapse_uses_memory(log: str) -> bool:
    """Whether this version's ``near-dups collapse`` used ``--memory`` (it warns when it ignores an option)."""
    err = open(log, encoding="utf-8", errors="replace").read()
    return not any("--memory" in line and ("ignored" in line or "not used" in line) for line in err.splitlines())


# ---------------------------------------------------------------- summary and tables
def summarize(runs: list, tools: list) -> dict:
    out = {}
    for t in tools:
        ok = [r for r in runs if r["tool"] == t and "error" not in r]
        if not ok:
            continue
        secs = [r["seconds"] for r in ok]
        labels = {}
        for label, (_, n) in ok[0]["labels"].items():
            shares = [r["labels"][label][0] / n for r in ok] if n else [None]
            labels[label] = {"lines": n, "removed_min": min(shares) if n else None,
                             "removed_max": max(shares) if n else None}
        out[t] = {"rounds": len(ok), "seconds_median": round(statistics.median(secs), 3),
                  "seconds_min": min(secs), "seconds_max": max(secs),
                  "peak_rss_gib_median": round(statistics.median(r["peak_rss_gib"] for r in ok), 3),
                  "peak_rss_gib_max": max(r["peak_rss_gib"] for r in ok),
                  "peak_pss_gib_max": max(r["peak_pss_gib"] for r in ok),
                  "labels": labels, "precision": [min(r["precision"] for r in ok), max(r["precision"] for r in ok)],
                  "recall": [min(r["recall"] for r in ok), max(r["recall"] for r in ok)],
                  "unmatched_lines": max(r["unmatched_lines"] for r in ok),
                  "dropped_pages": max(r["dropped_pages"] for r in ok),
                  "same_removals_every_round": len({r["removed_digest"] for r in ok}) == 1}
        if any("removals_file_agrees" in r for r in ok):
            out[t]["removals_file_agrees"] = all(r.get("removals_file_agrees") for r in ok)
    return out


_NAMES = {"frame": "frame", "title": "title", "unique": "unique", "syndicated": "first copies",
          "copy": "later copies", "edited": "edited later copies", "repeat": "repeats"}


def _pct(lo, hi) -> str:
    if lo is None:
        return "-"
    return f"{lo:.2%}" if abs(hi - lo) < 5e-5 else f"{lo:.2%}-{hi:.2%}"


def table(rec: dict) -> str:
    """The Markdown section of one record."""
    s = rec["summary"]
    labels = list(next(iter(s.values()))["labels"]) if s else []
    lines = [f"### {rec['pages']:,} pages ({rec['mb']:.1f} MB of text, {rec['lines']:,} lines), "
             f"{rec['rounds']} rounds",
             "",
             f"{rec['started']} to {rec['finished']} UTC; CPU: {rec['cpu']}; load average (1 min) "
             f"{rec['load_min']:.2f}-{rec['load_max']:.2f} over the runs (before and after each). Seed {rec['seed']}.",
             "",
             "| tool | seconds, median (min-max) | peak RSS of the tree, GiB (max) | "
             + " | ".join(f"{_NAMES.get(k, k)} removed" for k in labels) + " | precision | recall |",
             "|---|---:|---:|" + "---:|" * len(labels) + "---:|---:|"]
    for t, v in s.items():
        cells = [_pct(v["labels"][k]["removed_min"], v["labels"][k]["removed_max"]) for k in labels]
        p, r = v["precision"], v["recall"]
        lines.append(f"| {t} | {v['seconds_median']:.2f} ({v['seconds_min']:.2f}-{v['seconds_max']:.2f}) | "
                     f"{v['peak_rss_gib_max']:.2f} | " + " | ".join(cells)
                     + f" | {p[0]:.4f}{'' if p[0] == p[1] else f'-{p[1]:.4f}'}"
                     f" | {r[0]:.4f}{'' if r[0] == r[1] else f'-{r[1]:.4f}'} |")
    lines.append("")
    lines.append("Lines per label: " + ", ".join(f"{_NAMES.get(k, k)} {v['lines']:,}" for k, v in
                                                 next(iter(s.values()))["labels"].items()) + "." if s else "")
    notes = []
    for t, v in s.items():
        extra = []
        if not v["same_removals_every_round"]:
            extra.append("removes different lines from round to round")
        if v["unmatched_lines"]:
            extra.append(f"{v['unmatched_lines']} output lines matched no input line")
        if v.get("removals_file_agrees") is False:
            extra.append("its removals file, scored directly, disagrees with its cleaned text")
        if v["dropped_pages"]:
            extra.append(f"writes no page for {v['dropped_pages']} input page(s), every line of which it removed")
        if extra:
            notes.append(f"{t}: " + "; ".join(extra) + ".")
    for t, why in rec.get("skipped", {}).items():
        notes.append(f"{t}: skipped: {why}")
    for t, why in rec.get("failed", {}).items():
        notes.append(f"{t}: failed: {why}")
    if notes:
        lines += [""] + [f"- {n}" for n in notes]
    lines += ["", "How each ran: " + "; ".join(f"{t}: {d}" for t, d in rec["described"].items()) + ".",
              "Versions: " + ", ".join(f"{k} {v}" for k, v in rec["versions"].items()) + "."]
    return "\n".join(lines) + "\n"


_HEADER = """# Collapse beside dolma and datatrove on the labelled crawl (issue 27, peers side by side)

Made by `python -m benchmarks.collapse.peers_collapse --pages N --rounds 5`
(its docstring says how each tool is driven and scored). The tables between
the markers are rewritten from `peers_*.json` at every run.

"""


def write_markdown(out: str) -> str:
    recs = []
    for name in os.listdir(out):
        if name.startswith("peers_") and name.endswith(".json"):
            with open(os.path.join(out, name)) as f:
                rec = json.load(f)
            rec["summary"] = summarize(rec["runs"], list(rec["summary"]))  # from the runs, whichever version wrote it
            recs.append(rec)
    recs.sort(key=lambda r: r["pages"])
    body = MARK_START + "\n\n" + "\n".join(table(r) for r in recs) + "\n" + MARK_END
    path = os.path.join(out, "PEERS.md")
    old = open(path, encoding="utf-8").read() if os.path.exists(path) else _HEADER + MARK_START + MARK_END + "\n"
    if MARK_START in old and MARK_END in old:
        new = old[:old.index(MARK_START)] + body + old[old.index(MARK_END) + len(MARK_END):]
    else:
        new = old.rstrip("\n") + "\n\n" + body + "\n"
    with open(path, "w", encoding="utf-8") as f:
        f.write(new)
    return path


# ---------------------------------------------------------------- the run
def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_api"]:
        api_child(*argv[1:3])
        return 0
    if argv[:1] == ["_datatrove"]:
        datatrove_child(*argv[1:3])
        return 0
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tools", default=",".join(TOOLS), help=f"comma-separated, from: {', '.join(TOOLS)}")
    ap.add_argument("--memory", default="1G", help="--memory for near-dups collapse, when it uses it ('' for none)")
    ap.add_argument("--dolma", help="the dolma executable (default: on PATH, else /work/dolma-venv/bin/dolma)")
    ap.add_argument("--dolma-fpr", type=float, default=0.001, help="dolma's Bloom filter false-positive rate")
    ap.add_argument("--datatrove-python", help="a Python with datatrove and spaCy (default: this one, else "
                                               "/work/dt-venv/bin/python)")
    ap.add_argument("--workdir", help="where the corpus and outputs go (default: a temporary folder, removed)")
    ap.add_argument("--out", default=os.path.join("benchmarks", "results", "collapse"),
                    help="folder of the record and PEERS.md")
    a = ap.parse_args(argv)
    tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    bad = [t for t in tools if t not in TOOLS]
    if bad or not tools:
        ap.error(f"--tools: unknown {bad or 'empty list'}; choose from {', '.join(TOOLS)}")
    if a.pages < 10 or a.rounds < 1:
        ap.error("--pages must be >= 10 and --rounds >= 1")
    os.makedirs(a.out, exist_ok=True)

    from benchmarks.harness import crawl
    from benchmarks.scale.cli_scale import cpu_name

    import dedup

    versions = {"near-dups": dedup.__version__}
    skipped, contenders = {}, {}
    if "near-dups CLI" in tools:
        contenders["near-dups CLI"] = NearDupsCli(a.memory or None)
    if "near-dups API" in tools:
        contenders["near-dups API"] = NearDupsApi()
    if "dolma" in tools:
        exe, v = find_dolma(a.dolma)
        if exe:
            contenders["dolma"], versions["dolma"] = Dolma(exe, a.dolma_fpr), v
        else:
            skipped["dolma"] = v
    if "datatrove" in tools:
        py, v = find_datatrove(a.datatrove_python)
        if py:
            contenders["datatrove"], versions["datatrove"] = Datatrove(py), v
        else:
            skipped["datatrove"] = v
    for t, why in skipped.items():
        print(f"skipping {t}: {why}", file=sys.stderr, flush=True)
    if not contenders:
        print("peers_collapse: nothing to run (every tool asked for is skipped); no record written", file=sys.stderr)
        return 2

    work = a.workdir or tempfile.mkdtemp(prefix="peers_collapse_")
    os.makedirs(work, exist_ok=True)
    try:
        return _run(a, crawl, cpu_name, contenders, versions, skipped, work)
    finally:
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)


def _run(a, crawl, cpu_name, contenders, versions, skipped, work) -> int:
    t0 = time.perf_counter()
    pages = list(crawl.pages(a.pages, seed=a.seed))
    bases = {"warm": os.path.join(work, "warm"), "main": os.path.join(work, "main")}
    for key, ps in (("warm", pages[:WARMUP_PAGES]), ("main", pages)):
        meta = write_corpus(bases[key], ps)
        with open(os.path.join(bases[key], "corpus.json"), "w") as f:
            json.dump(meta, f)
    meta = json.load(open(os.path.join(bases["main"], "corpus.json")))
    print(json.dumps({"pages": a.pages, "lines": meta["lines"], "prepare_seconds": round(time.perf_counter() - t0, 1)}),
          flush=True)

    failed = {}
    for name, c in list(contenders.items()):  # untimed warm-up: numba's cache, imports, the file cache
        out = os.path.join(work, "out", "warm", name.replace(" ", "_"))
        c.clear(bases["warm"], out)
        log = os.path.join(out, "..", name.replace(" ", "_") + ".log")
        try:
            try:
                measure(c.commands(bases["warm"], out), log)
            except RuntimeError:
                if not (isinstance(c, NearDupsCli) and c.memory):
                    raise
                c.memory_used = False  # a version that refuses --memory for collapse: run without it
                c.clear(bases["warm"], out)
                measure(c.commands(bases["warm"], out), log)
        except RuntimeError as e:
            failed[name] = str(e).splitlines()[0] + " (warm-up; see its log)"
            print(f"{name} failed in the warm-up, left out: {e}", file=sys.stderr, flush=True)
            del contenders[name]
            continue
        if isinstance(c, NearDupsCli) and c.memory and c.memory_used is None:
            c.memory_used = collapse_uses_memory(log + ".0.err")

    names = list(contenders)
    record = {"pages": a.pages, "seed": a.seed, "rounds": a.rounds, "mb": sum(len(p.text) for p in pages) / 1e6,
              "lines": meta["lines"], "cpu": cpu_name(), "versions": versions, "skipped": skipped, "failed": failed,
              "described": {n: c.describe() for n, c in contenders.items()},
              "started": time.strftime("%Y-%m-%d %H:%M", time.gmtime()), "runs": []}
    path = os.path.join(a.out, f"peers_{a.pages}.json")
    for r in range(a.rounds):
        order = round_order(names, r)
        for pos, name in enumerate(order):
            c = contenders[name]
            out = os.path.join(work, "out", "main", name.replace(" ", "_"))
            c.clear(bases["main"], out)
            run = {"tool": name, "round": r, "position": pos}
            settle()
            try:
                run.update(measure(c.commands(bases["main"], out), os.path.join(work, "out", f"{name}.{r}".replace(
                    " ", "_"))))
            except RuntimeError as e:
                run["error"] = str(e)[-2500:]
                failed[name] = str(e).splitlines()[0]
                print(f"{name} failed in round {r}: {e}", file=sys.stderr, flush=True)
            else:
                run.update(score_outputs(pages, read_jsonl(c.outputs(bases["main"], out))))
                if isinstance(c, NearDupsCli):  # its removals file, scored directly: a check of the line matching
                    rm: dict = {}
                    with open(os.path.join(out, "removals.jsonl"), encoding="utf-8") as f:
                        for x in map(json.loads, f):
                            rm.setdefault(x["id"], []).append((x["start"], x["end"]))
                    direct = crawl.score(pages, [rm.get(p.id, []) for p in pages])
                    run["removals_file_agrees"] = {k: list(v) for k, v in direct["labels"].items()} == run["labels"]
            record["runs"].append(run)
            print(json.dumps({k: v for k, v in run.items() if k not in ("labels", "error")}), flush=True)
        loads = [x for r_ in record["runs"] if "load_before" in r_ for x in (r_["load_before"][0], r_["load_after"][0])]
        record.update({"finished": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
                       "load_min": min(loads, default=0.0), "load_max": max(loads, default=0.0),
                       "summary": summarize(record["runs"], names)})
        with open(path, "w") as f:
            json.dump(record, f, indent=1)
        write_markdown(a.out)
    print(table(record))
    print(f"wrote {path} and {os.path.join(a.out, 'PEERS.md')}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
