"""What the HTML report costs: generation time beside the run itself, file size, time to interactive.

    python -m benchmarks.report_page.report_bench                       # corpus/, news+web (~21k), planted 100k
    python -m benchmarks.report_page.report_bench corpus news+web --repeat 5 --json out.json

For each corpus, after one warm-up run (numba compiled or loaded from its cache):

- **run**: ``dedup.index`` + ``dedup.collapse`` + ``dedup.blocks``, the work
  the report shows (median of ``--repeat`` runs, each stage timed);
- **report**: building the page's data from those results, rendering the
  HTML and writing it (``dedup._report``), i.e. what a report adds to the run;
- **size** of the file, and how much of it is embedded text;
- **time to interactive** in headless Chromium (Debian's package, as in the
  browser test): the report's own ``report-ready`` performance mark, set when
  its script has parsed the data and rendered the summary and the first page
  of the first list, in ms from navigation start (Performance API), median of
  ``--repeat`` loads after a first one (a cold renderer, shown apart);
  DOMContentLoaded and load beside it.

The machine is shared: every figure is a median, printed with the load
average (``os.getloadavg``) before and after the corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import dedup
from dedup._blocks._collapse import CollapseConfig
from dedup._report import _page as _report

ROOT = Path(__file__).resolve().parents[2]


def corpus_docs(name: str) -> list[tuple[str, str]]:
    if name == "corpus":
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "corpus").glob("*.txt"))]
    if name == "news+web":
        from benchmarks.harness.corpus import load

        ng, web = load("newsgroups"), load("web_pages")
        return ([(f"ng/{i}", t) for i, t in zip(ng.ids, ng.texts)]
                + [(f"web/{i}", t) for i, t in zip(web.ids, web.texts)])
    if name == "planted100k":
        from benchmarks.harness.generate import generate

        return [(f"doc{k:06d}", t) for k, t in enumerate(generate(100_000, seed=0).texts)]
    raise SystemExit(f"unknown corpus {name!r}; choose from corpus, news+web, planted100k")


def run_once(docs, path):
    ids = [i for i, _ in docs]
    texts = [t for _, t in docs]
    times = {}
    t = time.perf_counter()
    idx = dedup.index(docs)
    times["index"] = time.perf_counter() - t
    t = time.perf_counter()
    out = dedup.collapse(docs)
    times["collapse"] = time.perf_counter() - t
    t = time.perf_counter()
    groups = dedup.blocks(docs)
    times["blocks"] = time.perf_counter() - t
    run = sum(times.values())
    t = time.perf_counter()
    data, hist = _report.build(ids, texts, index=idx, collapsed=out, groups=groups, times=times,
                               collapse_config=CollapseConfig())
    built = time.perf_counter()
    html = _report.render(data, hist)
    rendered = time.perf_counter()
    _report.write(html, path)
    written = time.perf_counter()
    return {**times, "run": run, "build": built - t, "render": rendered - built, "write": written - rendered,
            "report": written - t, "bytes": os.path.getsize(path),
            "text_bytes": sum(len(x.encode()) for x in data["docs"]["text"].values()),
            "embedded": data["counts"]["embedded"], "clusters": data["counts"]["clusters"],
            "removals": data["counts"]["removals"], "groups_shown": len(data["groups"] or ())}


def tti(path, repeat: int) -> list[dict]:
    from tests.support.browser import chromium, console_errors, open_page, time_to_interactive  # the browser tests' helpers

    out = []
    with chromium() as driver:
        for _ in range(repeat + 1):  # the first load (a cold renderer) is kept apart: out[0]
            driver.get("about:blank")
            open_page(driver, path, timeout=120)
            out.append(time_to_interactive(driver))
            errors = console_errors(driver)
            if errors:
                raise SystemExit(f"console errors in {path}: {errors[:3]}")
    return out


def median(rows, key):
    return statistics.median(r[key] for r in rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpora", nargs="*", default=["corpus", "news+web", "planted100k"])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", help="write every measurement here")
    ap.add_argument("--keep", help="folder to keep the reports in")
    ap.add_argument("--plots", help="write the two plots of the news+web report (else the last) here, as SVG files")
    args = ap.parse_args(argv)
    folder = Path(args.keep or tempfile.mkdtemp(prefix="report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    run_once(corpus_docs("corpus"), folder / "warmup.html")  # compile or load the numba cache
    results = {}
    for name in args.corpora:
        docs = corpus_docs(name)
        load0 = os.getloadavg()[0]
        path = folder / f"{name}.html"
        runs = [run_once(docs, path) for _ in range(args.repeat)]
        first, *loads = tti(path, args.repeat)
        load1 = os.getloadavg()[0]
        mb = sum(len(t.encode()) for _, t in docs) / 1e6
        results[name] = {"documents": len(docs), "mb": mb, "runs": runs, "tti_first": first, "tti": loads,
                         "load": [load0, load1]}
        r = {k: median(runs, k) for k in ("index", "collapse", "blocks", "run", "build", "render", "write", "report")}
        print(f"{name}: {len(docs):,} documents, {mb:.1f} MB; load average {load0:.2f} -> {load1:.2f}", flush=True)
        print(f"  run {r['run']:.3f} s (index {r['index']:.3f}, collapse {r['collapse']:.3f}, blocks {r['blocks']:.3f}); "
              f"report +{r['report']:.3f} s (data {r['build']:.3f}, html {r['render']:.3f}, write {r['write']:.3f}) "
              f"= {100 * r['report'] / r['run']:.0f} % of the run", flush=True)
        last = runs[-1]
        print(f"  file {last['bytes'] / 1e6:.2f} MB ({last['text_bytes'] / 1e6:.2f} MB of text from "
              f"{last['embedded']:,} documents; {last['clusters']:,} clusters, {last['removals']:,} removals, "
              f"{last['groups_shown']:,} block groups shown)", flush=True)
        print(f"  time to interactive {median(loads, 'ready'):.0f} ms (DOMContentLoaded "
              f"{median(loads, 'dom_content_loaded'):.0f} ms, load {median(loads, 'load'):.0f} ms; "
              f"loads {', '.join(format(x['ready'], '.0f') for x in loads)}; first load {first['ready']:.0f} ms)",
              flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    if args.plots:
        name = "news+web" if "news+web" in results else list(results)[-1]
        html = (folder / f"{name}.html").read_text(encoding="utf-8")
        for file, svg in zip(("report_similarity.svg", "report_s_curve.svg"), re.findall(r"<svg .*?</svg>", html, re.S)):
            (Path(args.plots) / file).write_text(svg + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
