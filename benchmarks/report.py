"""Turn a pytest-benchmark JSON file into Markdown tables.

    python benchmarks/report.py bench.json > table.md

One row per benchmark, grouped as the suite groups them: contender, corpus,
docs, seconds (median over rounds; min and rounds beside it), docs/s and MB/s
(raw UTF-8 MB, 10**6 bytes, from ``extra_info["bytes"]``), and, in groups
that have a ``dedup`` row, the ratio ``peer seconds / dedup seconds`` (how
many times faster dedup is); then the median CPU seconds of the process
(``extra_info["cpu_s"]``, see ``_timing.py``) and the same ratio over CPU time. Then the tables the timings alone do not show:
cold start, peak memory, agreement (recall), and the issue's targets.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

TARGETS = {"datasketch": 20.0, "rensa": 3.0}  # end-to-end speed-up of dedup over each peer
TARGET_MBPS_ONE_CORE = 100.0


def _fmt(x: float) -> str:
    """3 significant figures or more, thousands separated."""
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _seconds(b) -> float:
    return b["stats"]["median"]


def _cpu(b):
    cpu = b["extra_info"].get("cpu_s")
    return statistics.median(cpu) if cpu else None


def _cpu_cells(b, base) -> str:
    c = _cpu(b)
    if c is None:
        return "— | —"
    if base and b["extra_info"].get("contender") != "dedup":
        return f"{c:.3f} | {c / base:.1f}x"
    return f"{c:.3f} | {'1x' if base else '—'}"


def _group_key(name: str):
    order = ["end-to-end", "cold start", "peak memory", "throughput", "stages", "exact ground truth"]
    for k, prefix in enumerate(order):
        if name.startswith(prefix):
            return (k, name)
    return (len(order), name)


def main_table(benches: list) -> list[str]:
    out = []
    groups: dict = {}
    for b in benches:
        groups.setdefault(b.get("group") or "", []).append(b)
    for group in sorted(groups, key=_group_key):
        rows = groups[group]
        dedup = [r for r in rows if r["extra_info"].get("contender") == "dedup"]
        base = _seconds(dedup[0]) if dedup else None
        out += [f"### {group}", "",
                "| contender | corpus | docs | seconds (median) | min | rounds | docs/s | MB/s | ratio vs dedup "
                "| CPU s (median) | CPU ratio vs dedup |",
                "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        base_cpu = _cpu(dedup[0]) if dedup else None
        for r in rows:
            e = r["extra_info"]
            s = _seconds(r)
            docs, nbytes = e.get("docs"), e.get("bytes")
            ratio = f"{s / base:.1f}x" if base and e.get("contender") != "dedup" else ("1x" if base else "—")
            out.append(
                f"| {e.get('contender', r['name'])} | {e.get('corpus', '')} | {docs or ''} | {s:.3f} | "
                f"{r['stats']['min']:.3f} | {r['stats']['rounds']} | "
                f"{_fmt(docs / s) if docs else '—'} | {_fmt(nbytes / 1e6 / s) if nbytes else '—'} | {ratio} | "
                f"{_cpu_cells(r, base_cpu)} |"
            )
        out.append("")
    return out


def extra_tables(benches: list) -> list[str]:
    out = []
    cold = [b for b in benches if (b.get("group") or "").startswith("cold start")]
    if cold:
        out += ["### cold start breakdown (seconds, one value per round)", "",
                "| case | whole process | import dedup | first call | second call (same process) |",
                "|---|---|---|---|---|"]
        for b in cold:
            e = b["extra_info"]
            data = ", ".join(f"{x:.2f}" for x in b["stats"]["data"])
            out.append(f"| {e['contender']} | {data} | {e.get('import_s')} | {e.get('first_call_s')} | "
                       f"{e.get('second_call_s')} |")
        out.append("")
    mem = [b for b in benches if "peak_rss_mb" in b["extra_info"]]
    if mem:
        out += ["### peak memory (resident set of the child process, VmHWM/VmRSS, MiB)", "",
                "| contender | peak RSS, whole process | peak RSS during the run | RSS before the run | "
                "added by the run | run seconds | pairs |",
                "|---|---:|---:|---:|---:|---:|---:|"]
        for b in mem:
            e = b["extra_info"]
            out.append(f"| {e['contender']} | {e['peak_rss_mb']} | {e.get('run_peak_mb')} | {e['before_run_mb']} | "
                       f"{e['run_increment_mb']} | {e['run_s']} | {e['pairs']} |")
        out.append("")
    agree = [b for b in benches if "agreement" in b["extra_info"]]
    for b in agree:
        a = b["extra_info"]["agreement"]
        out += ["### agreement on all of newsgroups (exact all-pairs join = truth)", "",
                f"Exact pairs with J >= 0.8: {a['truth_pairs_python_tokens']} over the Python tokenization, "
                f"{a['truth_pairs_dedup_tokens']} over dedup's shingles "
                f"(pairs in one and not the other: {a['truth_python_vs_dedup_tokens_differ'] or 'none'}). "
                f"Brute-force sample: {a['sample_docs']} docs, {a['sample_brute_force_pairs']} pairs "
                "(equal to the exact join restricted to the sample).", "",
                "| contender | pairs | recall vs exact | precision | recall on brute-force sample | "
                "recall vs dedup's pairs | dedup's recall vs its pairs | missed (i, j, J), first 10 |",
                "|---|---:|---:|---:|---:|---:|---:|---|"]
        for name, v in a.items():
            if isinstance(v, dict):
                out.append(f"| {name} | {v['pairs']} | {v['recall_vs_exact']} | {v['precision_vs_exact']} | "
                           f"{v['recall_on_brute_force_sample']} | {v['recall_vs_dedup']} | "
                           f"{v['dedup_recall_vs_this']} | {v['missed_vs_exact'] or ''} |")
        out.append("")
    return out


def targets(benches: list) -> list[str]:
    out = ["### targets", ""]
    e2e = [b for b in benches if (b.get("group") or "").startswith("end-to-end")]
    if e2e:
        full = max(b["extra_info"]["docs"] for b in e2e)
        rows = {b["extra_info"]["contender"]: _seconds(b) for b in e2e if b["extra_info"]["docs"] == full}
        if "dedup" in rows:
            for peer, want in TARGETS.items():
                if peer in rows:
                    got = rows[peer] / rows["dedup"]
                    out.append(f"- end to end vs {peer} ({full} docs): {got:.1f}x, target >= {want:g}x: "
                               f"{'met' if got >= want else 'NOT met'}")
    tp = [b for b in benches if (b.get("group") or "").startswith("throughput")]
    for b in tp:
        e = b["extra_info"]
        if e.get("threads") == 1:
            mbps = e["bytes"] / 1e6 / _seconds(b)
            out.append(f"- {e['contender']}: {mbps:.1f} MB/s, target >= {TARGET_MBPS_ONE_CORE:g} MB/s on one core: "
                       f"{'met' if mbps >= TARGET_MBPS_ONE_CORE else 'NOT met'}")
    return out + [""]


def render(data: dict) -> str:
    benches = data["benchmarks"]
    m = data.get("machine_info", {})
    c = data.get("commit_info", {})
    head = [f"Run {data.get('datetime', '?')}, commit {c.get('id', '?')[:10]}{' (dirty)' if c.get('dirty') else ''}, "
            f"{m.get('cpu', {}).get('brand_raw', m.get('processor', '?'))}, "
            f"{m.get('cpu', {}).get('count', '?')} cores, Python {m.get('python_version', '?')}.", ""]
    loads = [b["extra_info"][k] for b in benches for k in ("loadavg_before", "loadavg_after") if k in b["extra_info"]]
    if loads:
        head += [f"1-minute load average seen around the timed benchmarks: {min(loads):.2f} to {max(loads):.2f} "
                 "(the suite itself accounts for up to 2 on this 2-core machine; more means other processes "
                 "competed for the cores).", ""]
    return "\n".join(head + targets(benches) + main_table(benches) + extra_tables(benches))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="pytest-benchmark JSON -> Markdown tables")
    p.add_argument("json_file")
    args = p.parse_args(argv)
    with open(args.json_file, encoding="utf-8") as f:
        sys.stdout.write(render(json.load(f)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
