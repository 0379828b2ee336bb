"""Turn the pytest-benchmark JSON of the comparison into the README's Markdown tables.

    python -m benchmarks.harness.report benchmarks/results/compare/results.json > table.md

Every figure comes from that one file (one run):

* **comparison** (``test_compare.py``): per corpus, each contender's median
  seconds over the interleaved rounds with min–max, docs/s, MB/s (10**6 bytes
  of raw UTF-8), ratio to near-dups (peer median / near-dups median), recall
  against the exact truth and pairs found, and peak RSS (the contender alone in
  a fresh process: the resident-set peak during its run, and what the run
  added to the process);
* **targets** of issue #13, each with the figure it reads;
* **limits**: the floor (encode + xxh3 every text) beside near-dups, and
  near-dups' stages (``test_limits.py``);
* **threads**: near-dups on one and two threads (``test_threads.py``);
* **truth**: pairs under each tokenization and how far they agree;
* cold start and any other group in the file, generically;
* a first line naming the CPU, the load averages, the repetitions and the
  command.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

#: Issue #13, end to end on Newsgroups + web pages: near-dups at least this many times faster.
TARGET_SPEEDUP = {"gaoya": 6.0, "rensa": 10.0, "datasketch": 30.0}
TARGET_CORPUS = "newsgroups+web_pages"
TARGET_THREADS = 1.8  # two threads / one, end to end, on 100k and Wikipedia
TARGET_WEB_VS_NEWS = 0.9  # web pages MB/s / Newsgroups MB/s, two threads
TARGET_FLOOR_RATIO = 8.0  # near-dups / floor, the aim
CORPUS_LABEL = {"newsgroups": "20 Newsgroups", "web_pages": "web pages", "newsgroups+web_pages":
                "Newsgroups + web pages", "wikipedia": "Wikipedia", "planted-100k": "planted 100k"}


def _f(x: float | None, unit: str = "") -> str:
    """3 significant figures (more above 100), thousands separated."""
    if x is None:
        return "—"
    if x >= 100:
        s = f"{x:,.0f}"
    elif x >= 10:
        s = f"{x:.1f}"
    elif x >= 1:
        s = f"{x:.2f}"
    else:
        s = f"{x:.3f}"
    return s + unit


def _secs(row: dict) -> str:
    return f"{_f(row['median'])} ({_f(row['min'])}–{_f(row['max'])})"


def _by_kind(benches: list, kind: str) -> dict:
    return {b["extra_info"]["corpus"]: b["extra_info"] for b in benches if b["extra_info"].get("kind") == kind}


def _memory(benches: list) -> dict:
    return {(b["extra_info"]["corpus"], b["extra_info"]["contender"]): b["extra_info"]
            for b in benches if b["extra_info"].get("kind") == "memory"}


def _first(row: dict) -> float:
    """Median of a row's first calls (its figure's median when the run made one call per round)."""
    return row.get("first_median", row["median"])


def header(data: dict) -> list[str]:
    m = data.get("machine_info", {})
    nd = m.get("near_dups", {})
    cpu = nd.get("lscpu") or {}
    benches = data["benchmarks"]
    loads = []
    reps, calls = set(), set()
    for b in benches:
        e = b["extra_info"]
        for r in e.get("rounds", []):
            loads += [r["load_before"][0], r["load_after"][0]]
        for k in ("load_before", "load_after"):
            if isinstance(e.get(k), list):
                loads.append(e[k][0])
        if "reps" in e:
            reps.add(e["reps"])
        if "back_to_back" in e:
            calls.add(e["back_to_back"])
    v = nd.get("versions", {})
    cpu_name = (f"{cpu.get('Model name', nd.get('cpuinfo_model_name', '?'))} (family {cpu.get('CPU family', '?')}, "
                f"model {cpu.get('Model', '?')}, {cpu.get('CPU(s)', nd.get('cpu_count', '?'))} cores, "
                f"{cpu.get('Thread(s) per core', '?')} thread per core, {cpu.get('Hypervisor vendor', 'no')} guest, "
                f"L2 {cpu.get('L2 cache', '?')}, L3 {cpu.get('L3 cache', '?')}, "
                f"{'/'.join(nd.get('simd', []))}), {round(nd.get('mem_total_kb', 0) / 2**20, 1)} GiB RAM")
    lines = [
        f"Run {data.get('datetime', '?')}, near-dups {v.get('near-dups commit', '?')}; CPU: {cpu_name}; "
        f"Python {nd.get('python', '?')}, numba {v.get('numba')}, numpy {v.get('numpy')}, gaoya {v.get('gaoya')}, "
        f"rensa {v.get('rensa')}, datasketch {v.get('datasketch')}.",
        "",
        f"1-minute load average read before and after every interleaved round: {min(loads):.2f} to {max(loads):.2f} "
        f"(median {statistics.median(loads):.2f}; this machine has {nd.get('cpu_count', '?')} cores, and a "
        "contender using both accounts for up to 2 by itself)." if loads else "Load average: not recorded.",
        "",
        f"Repetitions: {', '.join(map(str, sorted(reps))) or '?'} interleaved rounds per corpus, after one untimed "
        "warm-up call per contender" + ("; in each round every contender is called twice back to back and the "
                                        "second call is the figure (the first, which follows another contender, is "
                                        "in the 'first call' columns)." if calls == {2} else
                                        f"; calls per contender per round: {sorted(calls) or '?'} (the last is the "
                                        "figure, the first in the 'first call' columns)."),
        "",
        f"Command: `{data.get('command', '?')}` (in `{data.get('cwd', '?')}`"
        + (f", env {data['env']}" if data.get("env") else "") + ").",
        "",
    ]
    return lines


def comparison(benches: list) -> list[str]:
    out = []
    mem = _memory(benches)
    for corpus, e in _by_kind(benches, "compare").items():
        c = e["contenders"]
        base = c["near-dups"]["median"]
        t = e["truth"]
        mb = e["bytes"] / 1e6
        out += [f"### {CORPUS_LABEL.get(corpus, corpus)}: {e['docs']:,} documents, {_f(mb)} MB, "
                f"{t['pairs_python']} exact pairs (Python shingles) / {t['pairs_dedup']} (near-dups' shingles)", "",
                "| contender | seconds, median (min–max) | docs/s | MB/s | time vs near-dups | recall | pairs found "
                "| peak RSS during run | RSS added by run | CPU s (median) | first call s | first call vs near-dups |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        first_base = _first(c["near-dups"])
        for name, row in c.items():
            if name == "floor":
                continue
            ratio = "1x" if name == "near-dups" else f"{row['median'] / base:.1f}x"
            truth_n = t["pairs_dedup"] if row.get("truth") == "dedup" else t["pairs_python"]
            rec = "— (no pair)" if truth_n == 0 else f"{row['recall']:.4f}"
            m = mem.get((corpus, name), {})
            first = _first(row)
            first_ratio = "1x" if name == "near-dups" else f"{first / first_base:.1f}x"
            out.append(f"| {name} | {_secs(row)} | {_f(e['docs'] / row['median'])} | {_f(mb / row['median'])} | "
                       f"{ratio} | {rec} | {row['pairs']} of {truth_n} | {_f(m.get('run_peak_mib'), ' MiB')} | "
                       f"{_f(m.get('added_mib'), ' MiB')} | {_f(row['cpu_median'])} | {_f(first)} | {first_ratio} |")
        out.append("")
    return out


def targets(data: dict) -> list[str]:
    benches = data["benchmarks"]
    out = ["### Targets of issue #13", ""]
    cmp = _by_kind(benches, "compare")
    if TARGET_CORPUS in cmp:
        c = cmp[TARGET_CORPUS]["contenders"]
        for peer, want in TARGET_SPEEDUP.items():
            if peer in c:
                got = c[peer]["median"] / c["near-dups"]["median"]
                first = _first(c[peer]) / _first(c["near-dups"])
                out.append(f"- End to end on Newsgroups + web pages, near-dups vs {peer}: {got:.1f}x "
                           f"(target >= {want:g}x): {'met' if got >= want else 'NOT met'}; first calls: {first:.1f}x.")
    thr = _by_kind(benches, "threads")
    for corpus in ("planted-100k", "wikipedia"):
        if corpus in thr:
            s = thr[corpus]["speedup"]
            one, two = (next(r for r in thr[corpus]["rows"].values() if r["threads"] == k) for k in (1, 2))
            f = _first(one) / _first(two)
            out.append(f"- Two threads vs one, end to end, {CORPUS_LABEL[corpus]}: {s:.2f}x (target >= "
                       f"{TARGET_THREADS:g}x): {'met' if s >= TARGET_THREADS else 'NOT met'}; first calls: {f:.2f}x."
                       + _ceiling_note(thr[corpus]))
    if "web_pages" in thr and "newsgroups" in thr:
        two = lambda e: next(r for r in e["rows"].values() if r["threads"] == 2)["mb_per_s"]  # noqa: E731
        w, n = two(thr["web_pages"]), two(thr["newsgroups"])
        out.append(f"- Web pages vs Newsgroups MB/s on two threads: {w:.1f} / {n:.1f} = {w / n:.2f} (target >= "
                   f"{TARGET_WEB_VS_NEWS:g}): {'met' if w / n >= TARGET_WEB_VS_NEWS else 'NOT met'}.")
    for corpus, e in cmp.items():
        c = e["contenders"]
        r = c["near-dups"]["median"] / c["floor"]["median"]
        out.append(f"- near-dups / floor, {CORPUS_LABEL.get(corpus, corpus)}: {r:.0f}x (aim <= {TARGET_FLOOR_RATIO:g}x).")
    return out + [""]


def _ceiling_note(e: dict) -> str:
    c = e.get("ceiling")
    if not c:
        return ""
    return (" Reference kernels in the same rounds (`ceiling.py`): " + ", ".join(
        f"{k} kernel {v['speedup']:.2f}x" for k, v in c.items()) + ".")


def limits(benches: list) -> list[str]:
    cmp = _by_kind(benches, "compare")
    stages = _by_kind(benches, "stages")
    if not cmp:
        return []
    out = ["### Limits: the floor beside near-dups", "",
           "Floor = touch every text, encode it to UTF-8 (`str.encode`) and hash it with xxh3 (`xxh3_64_intdigest`), "
           "one Python call per text; timed in the same interleaved rounds as the contenders.", "",
           "| corpus | MB | floor s (min–max) | floor MB/s | near-dups s (min–max) | near-dups MB/s | near-dups / floor |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for corpus, e in cmp.items():
        f, n = e["contenders"]["floor"], e["contenders"]["near-dups"]
        mb = e["bytes"] / 1e6
        out.append(f"| {CORPUS_LABEL.get(corpus, corpus)} | {_f(mb)} | {_secs(f)} | {_f(mb / f['median'])} | "
                   f"{_secs(n)} | {_f(mb / n['median'])} | {n['median'] / f['median']:.0f}x |")
    out.append("")
    if stages:
        names = list(next(iter(stages.values()))["stages"])
        out += ["near-dups stage by stage (`stages.Staged`, default threads; median seconds of the rounds, "
                "share of their sum):", "",
                "| stage | " + " | ".join(CORPUS_LABEL.get(c, c) for c in stages) + " |",
                "|---|" + "---:|" * len(stages)]
        totals = {c: sum(s["stages"][k]["median"] for k in names) for c, s in stages.items()}
        for k in names:
            cells = [f"{_f(s['stages'][k]['median'])} ({100 * s['stages'][k]['median'] / totals[c]:.0f} %)"
                     for c, s in stages.items()]
            out.append(f"| {k} | " + " | ".join(cells) + " |")
        out.append("| sum | " + " | ".join(_f(totals[c]) for c in stages) + " |")
        out.append("| candidates / verified pairs | " + " | ".join(
            f"{s['candidates']:,} / {s['verified_pairs']:,}" for s in stages.values()) + " |")
        out.append("")
    return out


def threads(benches: list) -> list[str]:
    thr = _by_kind(benches, "threads")
    if not thr:
        return []
    out = ["### near-dups on one and two threads (end to end, interleaved 1, 2, 1, 2, ...)", "",
           "| corpus | docs | MB | 1 thread s (min–max) | MB/s | 2 threads s (min–max) | MB/s | speed-up "
           "| first calls: 1 thread s | 2 threads s | speed-up | reference kernels: alu / latency |",
           "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for corpus, e in thr.items():
        one, two = (next(r for r in e["rows"].values() if r["threads"] == k) for k in (1, 2))
        mb = e["bytes"] / 1e6
        f1, f2 = _first(one), _first(two)
        out.append(f"| {CORPUS_LABEL.get(corpus, corpus)} | {e['docs']:,} | {_f(mb)} | {_secs(one)} | "
                   f"{_f(one['mb_per_s'])} | {_secs(two)} | {_f(two['mb_per_s'])} | {e['speedup']:.2f}x | "
                   f"{_f(f1)} | {_f(f2)} | {f1 / f2:.2f}x | {_ceiling_cell(e)} |")
    out.append("")
    if any(e.get("ceiling") for e in thr.values()):
        out += ["Reference: `ceiling.py`'s control kernels on one and two threads in the same rounds, after "
                "near-dups (speed-up of medians; a reference, not a bound): `alu` keeps a core's integer units busy, "
                "`latency` waits on one dependent chain. Speed-up of each round (two-thread call against the one-thread call of the same "
                "round):", ""]
        for corpus, e in thr.items():
            if e.get("ceiling"):
                out.append(f"- {CORPUS_LABEL.get(corpus, corpus)}: near-dups " + _rounds(e["per_round"]) + "; alu "
                           + _rounds(e["ceiling"]["alu"]["per_round"]) + "; latency "
                           + _rounds(e["ceiling"]["latency"]["per_round"]) + ".")
        out.append("")
    return out


def _ceiling_cell(e: dict) -> str:
    c = e.get("ceiling")
    return f"{c['alu']['speedup']:.2f}x / {c['latency']['speedup']:.2f}x" if c else "—"


def _rounds(xs: list) -> str:
    return " ".join(f"{x:.2f}" for x in xs)


def truth(benches: list) -> list[str]:
    cmp = _by_kind(benches, "compare")
    if not cmp:
        return []
    out = ["### The truth and the tokenizations", "",
           "Exact all-pairs join (`truth.py`) under each tokenization: the peers' Python rule (what their exact "
           "check uses), near-dups' own shingles, and gaoya's word splitter (ASCII punctuation and whitespace).", "",
           "| corpus | pairs: Python / near-dups / gaoya words | Python ∩ near-dups | Python ∩ gaoya words | "
           "docs with gaoya's set = Python's | mean J(gaoya set, Python set) | docs with near-dups' set size = Python's |",
           "|---|---:|---:|---:|---:|---:|---:|"]
    for corpus, e in cmp.items():
        t, a = e["truth"], e["agreement"]
        out.append(f"| {CORPUS_LABEL.get(corpus, corpus)} | {t['pairs_python']} / {t['pairs_dedup']} / "
                   f"{t['pairs_gaoya_tokens']} | {t['python_and_dedup']} | {t['python_and_gaoya_tokens']} | "
                   f"{100 * a['gaoya_same_set_docs'] / a['docs']:.1f} % | {a['gaoya_mean_jaccard_vs_python']:.4f} | "
                   f"{100 * a['dedup_same_size_docs'] / a['docs']:.1f} % |")
    out.append("")
    miss = [(corpus, k, r["missed"]) for corpus, e in cmp.items() for k, r in e["contenders"].items() if r.get("missed")]
    if miss:
        out += ["Missed pairs (i, j, exact J), first 10 per contender:", ""]
        out += [f"- {CORPUS_LABEL.get(c, c)}, {k}: {m}" for c, k, m in miss]
        out.append("")
    warm = next(iter(cmp.values()))["contenders"]
    out += ["Threads: OS threads of the process before/after each contender's first call: " + ", ".join(
        f"{k} {r['warmup']['os_threads_before']}->{r['warmup']['os_threads_after']}" for k, r in warm.items()) + ".", ""]
    return out


def others(benches: list) -> list[str]:
    """Any other group (cold start, ladder, truth checks): one row per benchmark."""
    rest = [b for b in benches if b["extra_info"].get("kind") not in ("compare", "memory", "threads", "stages")]
    if not rest:
        return []
    out = ["### Other benchmarks in this run", "", "| group | name | seconds, median (min–max) | rounds | notes |",
           "|---|---|---:|---:|---|"]
    for b in rest:
        s = b["stats"]
        e = b["extra_info"]
        notes = {k: e[k] for k in ("first_call_s", "second_call_s", "import_s", "mismatches", "pieces", "sample_pairs",
                                   "corpus_pairs") if k in e}
        out.append(f"| {b.get('group')} | {b['name']} | {_f(s['median'])} ({_f(s['min'])}–{_f(s['max'])}) | "
                   f"{s['rounds']} | {notes or ''} |")
    return out + [""]


def render(data: dict) -> str:
    b = data["benchmarks"]
    return "\n".join(header(data) + targets(data) + comparison(b) + limits(b) + threads(b) + truth(b) + others(b))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="pytest-benchmark JSON of the comparison -> Markdown tables")
    p.add_argument("json_file")
    args = p.parse_args(argv)
    with open(args.json_file, encoding="utf-8") as f:
        sys.stdout.write(render(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
