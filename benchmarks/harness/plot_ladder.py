"""Turn a ladder run (pytest-benchmark JSON of ``test_ladder.py``) into tables, a summary and a plot.

    python -m benchmarks.harness.plot_ladder ladder.json \\
        [--png benchmarks/results/ladder/ladder.png] [--summary benchmarks/results/ladder/ladder_results.json] \\
        [--scale s10m.json ...] > tables.md
    python -m benchmarks.harness.plot_ladder benchmarks/results/ladder/ladder_results.json --png ...   # redraw from the summary

* Markdown on stdout: the targets, the ladder (per contender per rung: wall
  seconds, docs/s, MB/s, peak memory, pairs, recall), dedup's stages on one
  and two threads, cold start, and where dedup's memory goes.
* ``--png``: time and peak memory against corpus size, log-log, one line per
  contender (matplotlib, Agg backend: no display needed).
* ``--summary``: the same figures as a small JSON file, for the repository
  (the raw pytest-benchmark file keeps every round and machine detail).
* ``--scale FILE...``: runs of ``benchmarks/scale/scale.py`` (one JSON object a
  line: documents, seconds, peak_rss_gib, peak_anon_rss_gib, recall, memory,
  ...), dedup over a generated *stream* with a memory budget, drawn as their
  own series beside the in-memory ladder (to 10M), each point labelled with
  its budget and its number of runs (a line of scale.py is one run), and
  listed in their own table.

Seconds are the median (and min-max) over rounds of the in-process run (``ladder e2e``: every
contender of a rung interleaved in its rounds; older files have one benchmark per contender);
peak memory is the resident-set high-water mark of the same job in a fresh
process (``ladder memory``), whole process, and what the run added to it.
MB are 10**6 bytes of UTF-8 text; memory MiB are 2**20 bytes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

#: Issue #13: >= 6x gaoya, >= 10x rensa, >= 30x datasketch end to end.
TARGET_SPEEDUP = {"gaoya": 6.0, "rensa": 10.0, "datasketch": 30.0}
TARGET_RUNG = 100_000
TARGET_RECALL = 0.99
TARGET_GROWTH = 12.0
TARGET_MEMORY_GIB = 3.0
TARGET_THREADS = 1.7
TARGET_WARM_START_S = 2.0
PARALLEL_STAGES = ("encode", "shingle", "sketch", "bucket", "verify")
STAGE_ORDER = ("encode", "shingle", "sketch", "digests", "exact", "bucket", "candidates", "verify", "expand",
               "cluster")
ORDER = ("dedup", "dedup@1thread", "gaoya", "rensa", "datasketch", "exact")
STYLE = {"dedup": ("C0", "o", "-"), "dedup@1thread": ("C0", "o", "--"), "gaoya": ("C4", "v", "-"),
         "rensa": ("C1", "s", "-"),
         "datasketch": ("C2", "^", "-"), "exact": ("C3", "D", ":")}


def _fmt(x) -> str:
    if x is None:
        return "—"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}" if x >= 0.1 else f"{x:.3f}"


def _span(r: dict) -> str:
    """``min-max`` of an e2e row's rounds, or ``one round``."""
    if r.get("rounds", 1) < 2:
        return "one round"
    if r.get("max_s") is None:  # a summary from before max_s was kept
        return "—"
    return f"{_fmt(r['min_s'])}-{_fmt(r['max_s'])}"


def _rung(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 else f"{n // 1000}k"


def collect(data: dict) -> dict:
    """The run's figures, keyed for the tables, the plot and the summary file."""
    e2e, mem, stages, cold, truth = {}, {}, {}, [], []
    loads = []
    for b in data["benchmarks"]:
        e = b["extra_info"]
        kind = e.get("ladder")
        loads += [e[k] for k in ("loadavg_before", "loadavg_after") if k in e]
        if kind == "e2e":
            cpu = e.get("cpu_s")
            e2e[(e["contender"], e["docs"])] = {
                "contender": e["contender"], "docs": e["docs"], "bytes": e["bytes"], "words": e["words"],
                "median_s": b["stats"]["median"], "min_s": b["stats"]["min"], "max_s": b["stats"]["max"],
                "rounds": b["stats"]["rounds"],
                "cpu_s": statistics.median(cpu) if cpu else None, "threads": e.get("threads"),
                "pairs": e["pairs"], "truth_pairs": e["truth_pairs"], "recall": e["recall"],
                "precision": e["precision"], "clusters_equal_truth": e["clusters_equal_truth"],
                "loadavg": [e.get("loadavg_before"), e.get("loadavg_after")],
            }
        elif kind == "e2e-interleaved":  # one benchmark per rung, every contender in its rounds
            for r in e.get("rounds", []):
                loads += [r["load_before"][0], r["load_after"][0]]
            for name, row in e["rows"].items():
                walls = row["wall_s"]
                e2e[(name, e["docs"])] = {
                    "contender": name, "docs": e["docs"], "bytes": e["bytes"], "words": e["words"],
                    "median_s": statistics.median(walls), "min_s": min(walls), "max_s": max(walls),
                    "rounds": len(walls), "cpu_s": statistics.median(row["cpu_s"]), "threads": row["threads"],
                    "pairs": row["pairs"], "truth_pairs": row["truth_pairs"], "recall": row["recall"],
                    "precision": row["precision"], "clusters_equal_truth": row["clusters_equal_truth"],
                    "loadavg": [e.get("loadavg_before"), e.get("loadavg_after")], "interleaved": True,
                }
        elif kind == "memory":
            mem[(e["contender"], e["docs"])] = {
                k: e.get(k) for k in ("contender", "docs", "peak_rss_mb", "run_peak_mb", "before_run_mb",
                                      "run_increment_mb", "run_s", "pairs", "stages", "arrays")}
        elif kind == "stage":
            cpu = e.get("cpu_s")
            stages[(e["docs"], e["stage"], e["threads"])] = {
                "docs": e["docs"], "stage": e["stage"], "threads": e["threads"], "median_s": b["stats"]["median"],
                "cpu_s": statistics.median(cpu) if cpu else None, "candidates": e.get("candidates"),
                "verified_pairs": e.get("verified_pairs"), "shingles": e.get("shingles")}
        elif kind == "cold":
            cold.append({k: e.get(k) for k in ("contender", "docs", "cache", "import_s", "gen_s", "first_call_s",
                                                "second_call_s", "start_overhead_s", "process_wall_s")})
        elif kind == "truth":
            truth.append({"docs": e["docs"], "s": b["stats"]["median"], "pairs": e["pairs"],
                          "truth_pairs": e["truth_pairs"], "equal": e["equal"]})
    m = data.get("machine_info", {})
    c = data.get("commit_info", {})
    return {
        "datetime": data.get("datetime"), "commit": c.get("id"), "dirty": c.get("dirty"),
        "cpu": m.get("cpu", {}).get("brand_raw", m.get("processor")), "cores": m.get("cpu", {}).get("count"),
        "python": m.get("python_version"), "loadavg_range": [min(loads), max(loads)] if loads else None,
        "e2e": list(e2e.values()), "memory": list(mem.values()), "stages": list(stages.values()),
        "cold_start": cold, "truth_check": truth,
    }


def _e2e(s: dict) -> dict:
    return {(r["contender"], r["docs"]): r for r in s["e2e"]}


def _mem(s: dict) -> dict:
    return {(r["contender"], r["docs"]): r for r in s["memory"]}


def targets(s: dict) -> list[str]:
    e, m = _e2e(s), _mem(s)
    out = ["### Targets", ""]
    d = e.get(("dedup", TARGET_RUNG))
    if d:
        for peer, want in TARGET_SPEEDUP.items():
            p = e.get((peer, TARGET_RUNG))
            if p:
                got = p["median_s"] / d["median_s"]
                out.append(f"- End to end, {_rung(TARGET_RUNG)} docs, dedup vs {peer}: {got:.1f}x "
                           f"({p['median_s']:.2f} s / {d['median_s']:.2f} s), target >= {want:g}x: "
                           f"**{'met' if got >= want else 'missed'}**")
        out.append(f"- Recall at {_rung(TARGET_RUNG)}: {d['recall']} ({d['pairs']} of {d['truth_pairs']} planted "
                   f"pairs), target >= {TARGET_RECALL}: **{'met' if d['recall'] >= TARGET_RECALL else 'missed'}**")
    big = e.get(("dedup", 1_000_000))
    if d and big:
        g = big["median_s"] / d["median_s"]
        out.append(f"- Growth 100k -> 1M: {g:.1f}x ({big['median_s']:.1f} s / {d['median_s']:.2f} s), target <= "
                   f"{TARGET_GROWTH:g}x: **{'met' if g <= TARGET_GROWTH else 'missed'}**")
    mb = m.get(("dedup", 1_000_000))
    if mb:
        peak, inc = mb["peak_rss_mb"] / 1024, mb["run_increment_mb"] / 1024
        out.append(f"- Peak memory at 1M: {peak:.2f} GiB whole process ({mb['before_run_mb'] / 1024:.2f} GiB "
                   f"before the call: interpreter, libraries, the texts), {inc:.2f} GiB added by the call; "
                   f"target <= {TARGET_MEMORY_GIB:g} GB: **{'met' if peak <= TARGET_MEMORY_GIB else 'missed'}** "
                   "(see where it goes, below)")
    st = {(r["docs"], r["stage"], r["threads"]): r for r in s["stages"]}
    for n in sorted({r["docs"] for r in s["stages"]}):
        one = sum(st[(n, x, 1)]["median_s"] for x in PARALLEL_STAGES if (n, x, 1) in st)
        two = sum(st[(n, x, 2)]["median_s"] for x in PARALLEL_STAGES if (n, x, 2) in st)
        if one and two:
            out.append(f"- Two threads vs one, parallel stages together ({', '.join(PARALLEL_STAGES)}), "
                       f"{_rung(n)}: {one / two:.2f}x, target >= {TARGET_THREADS}: "
                       f"**{'met' if one / two >= TARGET_THREADS else 'missed'}**")
    one, two = e.get(("dedup@1thread", TARGET_RUNG)), d
    if one and two:
        out.append(f"- Two threads vs one, end to end, {_rung(TARGET_RUNG)}: {one['median_s'] / two['median_s']:.2f}x")
    warm = [c for c in s["cold_start"] if c["cache"] == "warm-cache"]
    if warm:
        w = max(warm[0]["start_overhead_s"])
        out.append(f"- Second process (numba cache warm): import + first-call overhead {w:.2f} s at most over "
                   f"{len(warm[0]['start_overhead_s'])} processes, target < {TARGET_WARM_START_S:g} s: "
                   f"**{'met' if w < TARGET_WARM_START_S else 'missed'}**")
    return out + [""]


def ladder_table(s: dict) -> list[str]:
    e, m = _e2e(s), _mem(s)
    out = ["### End to end: raw text -> all pairs with Jaccard >= 0.8 (word 5-grams, 128 permutations)", "",
           "| rung | contender | wall s (median) | min-max | rounds | docs/s | MB/s | CPU s | x dedup | peak RSS MiB | "
           "run added MiB | pairs | recall | clusters = truth |",
           "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|:-:|"]
    for n in sorted({r["docs"] for r in s["e2e"]}):
        base = e.get(("dedup", n))
        for c in ORDER:
            r = e.get((c, n))
            if not r:
                continue
            mm = m.get((c, n), {})
            ratio = f"{r['median_s'] / base['median_s']:.1f}x" if base and c != "dedup" else ("1x" if base else "—")
            out.append(
                f"| {_rung(n)} | {c} | {_fmt(r['median_s'])} | {_span(r)} | {r['rounds']} | {_fmt(n / r['median_s'])} | "
                f"{_fmt(r['bytes'] / 1e6 / r['median_s'])} | {_fmt(r['cpu_s'])} | {ratio} | "
                f"{_fmt(mm.get('peak_rss_mb'))} | {_fmt(mm.get('run_increment_mb'))} | {r['pairs']:,} | "
                f"{r['recall']:.5f} | {'yes' if r['clusters_equal_truth'] else 'no'} |")
    out.append("")
    sizes = sorted({(r["docs"], r["bytes"], r["words"], r["truth_pairs"]) for r in s["e2e"]})
    out += ["Rungs: " + "; ".join(f"{_rung(n)} = {n:,} docs, {b / 1e6:,.1f} MB, {w / n:.0f} words/doc, "
                                  f"{t:,} planted pairs >= 0.8" for n, b, w, t in sizes), ""]
    return out


def stage_table(s: dict) -> list[str]:
    st = {(r["docs"], r["stage"], r["threads"]): r for r in s["stages"]}
    out = []
    for n in sorted({r["docs"] for r in s["stages"]}):
        any_r = next(r for r in s["stages"] if r["docs"] == n)
        out += [f"### dedup's stages, {_rung(n)} docs ({any_r['shingles']:,} shingles, "
                f"{any_r['candidates']:,} LSH candidate pairs, {any_r['verified_pairs']:,} verified pairs)", "",
                "| stage | 1 thread s | 2 threads s | speed-up | CPU s (2 threads) |", "|---|---:|---:|---:|---:|"]
        tot1 = tot2 = 0.0
        names = [x for x in STAGE_ORDER if (n, x, 1) in st]  # then any older stage names, in run order
        names += [r["stage"] for r in s["stages"] if r["docs"] == n and r["threads"] == 1 and r["stage"] not in names]
        for name in names:
            a, b = st.get((n, name, 1)), st.get((n, name, 2))
            if not (a and b):
                continue
            tot1 += a["median_s"]
            tot2 += b["median_s"]
            par = " (parallel)" if name in PARALLEL_STAGES else ""
            out.append(f"| {name}{par} | {a['median_s']:.3f} | {b['median_s']:.3f} | "
                       f"{a['median_s'] / b['median_s']:.2f}x | {_fmt(b['cpu_s'])} |")
        out += [f"| **all** | {tot1:.3f} | {tot2:.3f} | {tot1 / tot2:.2f}x | |", ""]
    return out


def cold_table(s: dict) -> list[str]:
    if not s["cold_start"]:
        return []
    out = [f"### Cold start: a fresh process, {_rung(s['cold_start'][0]['docs'])} docs (seconds, one value per "
           "process)", "",
           "| numba cache | import dedup._indexing._index | first call | second call (same process) | "
           "start overhead = import + first - second | whole process (with corpus generation) |",
           "|---|---|---|---|---|---|"]
    for c in s["cold_start"]:
        out.append(f"| {c['cache']} | {c['import_s']} | {c['first_call_s']} | {c['second_call_s']} | "
                   f"{c['start_overhead_s']} | {c['process_wall_s']} |")
    return out + [""]


def memory_breakdown(s: dict) -> list[str]:
    out = []
    for r in sorted(s["memory"], key=lambda r: r["docs"]):
        if r["contender"] != "dedup" or not r.get("stages") or r["docs"] < 100_000:
            continue
        a = r["arrays"]
        mib = lambda x: x / 2**20  # noqa: E731
        out += [f"### Where dedup's memory goes, {_rung(r['docs'])} docs (fresh process, MiB)", "",
                f"Before the call {r['before_run_mb']:,.0f} MiB resident, of which the texts as Python strings "
                f"{mib(a['texts_python_str']):,.0f} MiB. Each stage's peak (high-water mark reset before it) and "
                "what stays resident after it:", "",
                "| stage | seconds | peak MiB | resident after MiB |", "|---|---:|---:|---:|"]
        for st in r["stages"]:
            out.append(f"| {st['name']} | {st['s']:.2f} | {st['hwm_kb'] / 1024:,.0f} | "
                       f"{st['rss_kb_after'] / 1024:,.0f} |")
        kept = {k: v for k, v in a.items() if k not in ("texts_python_str", "shingles", "candidate_pairs",
                                                         "verified_pairs")}
        out += ["", f"Arrays the index keeps ({a['shingles']:,} shingles, {a['candidate_pairs']:,} candidate "
                f"pairs, {a['verified_pairs']:,} verified): "
                + ", ".join(f"{k} {mib(v):,.1f}" for k, v in sorted(kept.items(), key=lambda kv: -kv[1])
                            if mib(v) >= 0.05)
                + f"; total {mib(sum(kept.values())):,.0f} MiB.", ""]
    return out


SCALE_FIELDS = ("documents", "mb", "memory", "in_memory", "seconds", "input_seconds", "stages", "peak_rss_gib",
                "peak_anon_rss_gib", "spilled", "disk_gib", "planted_pairs", "recall", "load")


def load_scale(files: list[Path]) -> list[dict]:
    """Runs of ``scale.py``: one JSON object a line, each one run; the file's name is kept as the source.

    Lines that are not a JSON object (a shell's ``done`` after the run) are skipped with a note on stderr.
    """
    out = []
    for f in files:
        for k, line in enumerate(Path(f).read_text(encoding="utf-8").splitlines(), 1):
            if not line.lstrip().startswith("{"):
                if line.strip():
                    print(f"{f}:{k}: not a scale.py JSON line, skipped: {line.strip()[:60]!r}", file=sys.stderr)
                continue
            r = json.loads(line)
            out.append({key: r.get(key) for key in SCALE_FIELDS} | {"runs": 1, "source": Path(f).name})
    return sorted(out, key=lambda r: (r["documents"], bool(r["in_memory"])))


def _how(r: dict) -> str:
    return "a list in memory" if r["in_memory"] else f"a stream, memory={r['memory']}"


def _medians(runs: list[dict]) -> list[dict]:
    """One point per (documents, memory): the median seconds of its runs (min-max kept), the highest peaks."""
    import statistics

    groups: dict = {}
    for r in runs:
        groups.setdefault((r["documents"], r["memory"]), []).append(r)
    out = []
    for (n, mem), rs in sorted(groups.items()):
        secs = [r["seconds"] for r in rs]
        out.append({**rs[0], "seconds": statistics.median(secs), "min_s": min(secs), "max_s": max(secs),
                    "peak_rss_gib": max(r["peak_rss_gib"] for r in rs),
                    "peak_anon_rss_gib": max(r["peak_anon_rss_gib"] for r in rs),
                    "runs": sum(r.get("runs", 1) for r in rs)})
    return out


def scale_table(s: dict) -> list[str]:
    rows = s.get("scale") or []
    if not rows:
        return []
    out = ["### dedup over a generated stream with a memory budget (`scale.py`, one run per row)", "",
           "Not the ladder's harness: `python -m benchmarks.scale.scale N --memory M` generates the corpus as a stream "
           "(never held whole) and indexes it under the budget; seconds exclude generating the text; recall counts "
           "the planted pairs (Jaccard >= 0.8) that end in one cluster; peak RSS includes the resident pages of "
           "the memory-mapped work files, 'owned' is the anonymous part.", "",
           "| documents | text, M chars | how | seconds | runs | peak RSS GiB | owned GiB | spilled | disk GiB | planted "
           "pairs | recall | load | source |",
           "|---:|---:|---|---:|---:|---:|---:|:-:|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {_rung(r['documents'])} | {r['mb']:,.0f} | {_how(r)} | {_fmt(r['seconds'])} | {r['runs']} | "
                   f"{r['peak_rss_gib']:.2f} | {r['peak_anon_rss_gib']:.2f} | {'yes' if r['spilled'] else 'no'} | "
                   f"{r['disk_gib']:.1f} | {r['planted_pairs']:,} | {r['recall']:.6f} | "
                   f"{r['load']:.1f} | `{r['source']}` |")
    return out + [""]


def plot(s: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e, m = _e2e(s), _mem(s)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4))
    for c in ORDER:
        color, marker, ls = STYLE[c]
        pts = sorted((n, r["median_s"]) for (k, n), r in e.items() if k == c)
        if pts:
            ax1.plot(*zip(*pts), color=color, marker=marker, ls=ls, label=c)
        pts = sorted((n, r["peak_rss_mb"]) for (k, n), r in m.items() if k == c)
        if pts:
            ax2.plot(*zip(*pts), color=color, marker=marker, ls=ls, label=c)
    scale = s.get("scale") or []
    streamed = _medians([r for r in scale if not r["in_memory"]])
    if streamed:  # dedup over a stream with a memory budget (scale.py): its own series, each point labelled
        xs = [r["documents"] for r in streamed]
        ax1.plot(xs, [r["seconds"] for r in streamed], color="C0", marker="*", ms=11, ls="-.", lw=1,
                 label="dedup, streamed with a memory budget (scale.py)")
        ax2.plot(xs, [r["peak_rss_gib"] * 1024 for r in streamed], color="C0", marker="*", ms=11, ls="-.", lw=1,
                 label="dedup streamed: peak RSS (with mapped work files)")
        ax2.plot(xs, [r["peak_anon_rss_gib"] * 1024 for r in streamed], color="C0", marker="*", ms=11,
                 mfc="none", ls=":", lw=1, label="dedup streamed: owned (anonymous) RSS")
        for r in streamed:
            note = (f"{_rung(r['documents'])} streamed,\nmemory={r['memory']}, "
                    + (f"median of {r['runs']} runs" if r["runs"] > 1 else "one run"))
            ax1.annotate(note, (r["documents"], r["seconds"]), textcoords="offset points", xytext=(-9, -3),
                         ha="right", va="top", fontsize=7, color="C0")
            ax2.annotate(note, (r["documents"], r["peak_rss_gib"] * 1024), textcoords="offset points",
                         xytext=(-9, 3), ha="right", va="bottom", fontsize=7, color="C0")
    for r in (r for r in scale if r["in_memory"]):
        ax1.plot([r["documents"]], [r["seconds"]], color="C0", marker="P", ls="none")
        ax2.plot([r["documents"]], [r["peak_rss_gib"] * 1024], color="C0", marker="P", ls="none")
    dd = sorted((n, r["median_s"]) for (k, n), r in e.items() if k == "dedup")
    if len(dd) >= 2:  # linear growth through dedup's 100k point (or its largest), for reference
        n0, t0 = next((p for p in dd if p[0] == TARGET_RUNG), dd[-1])
        xs = [dd[0][0], max([dd[-1][0]] + [r["documents"] for r in scale])]
        ax1.plot(xs, [t0 * x / n0 for x in xs], color="grey", lw=0.8, ls=":",
                 label=f"linear through dedup {_rung(n0)}")
    for ax, title, unit in ((ax1, "Wall time, end to end", "seconds"),
                            (ax2, "Peak memory (resident set, whole process)", "MiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("documents (about 450 words each)")
        ax.set_ylabel(unit)
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
        ax.margins(y=0.12)
    ax1.legend(fontsize=7, loc="lower right")
    if streamed:
        ax2.legend(fontsize=7, loc="lower right")
    load = s.get("loadavg_range")
    sizes = [r["docs"] for r in s["e2e"]] + [r["documents"] for r in scale]
    span = f"{_rung(min(sizes))} to {_rung(max(sizes))} documents; " if sizes else ""
    when = f"ladder run {(s.get('datetime') or '?')[:10]} at {(s.get('commit') or '?')[:7]}"
    if streamed:
        when += "; streamed points: scale.py, " + ", ".join(sorted({r["source"] for r in streamed}))
    fig.suptitle(f"near-dups vs peers, {span}all pairs with Jaccard >= 0.8, word 5-grams, 128 permutations; "
                 f"{s.get('cpu')}, {s.get('cores')} cores" + (f", load {load[0]:.1f}-{load[1]:.1f}" if load else "")
                 + f"\n{when}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(s: dict) -> str:
    load = s.get("loadavg_range")
    head = [f"Run {s.get('datetime')}, commit {(s.get('commit') or '?')[:10]}"
            f"{' (dirty)' if s.get('dirty') else ''}, {s.get('cpu')}, {s.get('cores')} cores, "
            f"Python {s.get('python')}." + (f" 1-minute load average around the benchmarks: {load[0]:.2f} to "
                                            f"{load[1]:.2f}." if load else ""), ""]
    truth = [f"Truth check: on {_rung(t['docs'])} the naive all-pairs loop found {t['pairs']} pairs, the planted "
             f"truth has {t['truth_pairs']}: {'equal' if t['equal'] else 'DIFFERENT'} ({t['s']:.1f} s)."
             for t in s["truth_check"]]
    return "\n".join(head + targets(s) + ladder_table(s) + scale_table(s) + stage_table(s) + cold_table(s)
                     + memory_breakdown(s)
                     + truth + [""])


def merge(files: list[Path]) -> dict:
    """One benchmark list from several JSON files (e.g. the main run and the 1M run); later files win."""
    data = None
    seen = {}
    for f in files:
        d = json.loads(Path(f).read_text(encoding="utf-8"))
        data = data or d
        for b in d["benchmarks"]:
            seen[b["fullname"]] = b
    data = dict(data, benchmarks=list(seen.values()))
    return data


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="ladder pytest-benchmark JSON -> Markdown tables, PNG, summary JSON")
    p.add_argument("json_files", nargs="+", type=Path)
    p.add_argument("--png", type=Path)
    p.add_argument("--summary", type=Path)
    p.add_argument("--scale", type=Path, nargs="+", default=[], metavar="FILE",
                   help="JSON lines of benchmarks/scale/scale.py (one run each), drawn as dedup streamed with a budget")
    args = p.parse_args(argv)
    first = json.loads(args.json_files[0].read_text(encoding="utf-8"))
    if "e2e" in first:  # a summary written by --summary (the raw files are not kept): redraw from it
        if len(args.json_files) > 1:
            p.error("give one summary file (from --summary), or pytest-benchmark JSON files, not both")
        s = first
    else:
        s = collect(merge(args.json_files))
    s["scale"] = load_scale(args.scale) if args.scale else s.get("scale", [])
    if args.summary:
        args.summary.write_text(json.dumps(s, indent=1) + "\n", encoding="utf-8")
    if args.png:
        plot(s, args.png)
    sys.stdout.write(render(s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
