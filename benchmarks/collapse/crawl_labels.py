"""What ``dedup.collapse`` removes from a labelled web-crawl-like corpus (``harness.crawl``), and at what cost.

    python -m benchmarks.collapse.crawl_labels --pages 20000 [--seed 0] [--threshold T] [--long-threshold L]
        [--memory M] [--json FILE]

One process: the pages generated, then one timed ``dedup.collapse(pages,
unit="line")`` (with ``threshold=T``, ``long_threshold=L`` when given) after
a warm-up on 200 pages. Prints the seconds, the peak RSS of the process,
and the share of each label's lines removed with precision and recall (a
line is removed when removals cover more than half of it; see
``harness.crawl``), with the load average and the CPU.

With ``--memory M`` (e.g. ``2G``, for 1M pages) nothing is held: the pages
are generated as collapse reads them, collapse streams within ``M``
(``memory=M``), and the pages are generated again, in step with its results,
to score them. The seconds then include generating the pages (about 78 s of
CPU per million).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time

import dedup
from benchmarks.harness import crawl


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threshold", type=float, help="collapse's near-copy threshold (default: collapse's)")
    ap.add_argument("--long-threshold", type=float,
                    help="collapse's threshold for long blocks of two documents (default: collapse's; 1 turns it off)")
    ap.add_argument("--memory", help="stream within this budget (memory=M), holding no page")
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    options = {k: v for k, v in (("threshold", args.threshold), ("long_threshold", args.long_threshold))
               if v is not None}
    dedup.collapse([(p.id, p.text) for p in crawl.pages(200, seed=args.seed)], unit="line")
    load = os.getloadavg()[0]
    t = time.perf_counter()
    if args.memory:
        options["memory"] = args.memory
        chars = [0]

        def docs():
            for p in crawl.pages(args.pages, seed=args.seed):
                chars[0] += len(p.text)
                yield p.id, p.text

        with dedup.collapse(docs(), unit="line", **options) as out:
            figures = crawl.score(crawl.pages(args.pages, seed=args.seed), (o.removed for o in out))
        seconds, mb = time.perf_counter() - t, chars[0] / 1e6
    else:
        corpus = list(crawl.pages(args.pages, seed=args.seed))
        docs = [(p.id, p.text) for p in corpus]
        t = time.perf_counter()
        out = dedup.collapse(docs, unit="line", **options)
        seconds = time.perf_counter() - t
        figures = crawl.score(corpus, [o.removed for o in out])
        mb = sum(len(p.text) for p in corpus) / 1e6
    res = {"pages": args.pages, **options, "mb": mb, "seconds": seconds,
           "peak_rss_gib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20,
           "load_before": load, "load_after": os.getloadavg()[0], "cpu": platform.processor() or platform.machine(),
           **figures}
    print(f"{args.pages:,} pages ({res['mb']:.1f} MB): collapse {seconds:.2f} s, peak RSS {res['peak_rss_gib']:.2f} GiB, "
          f"load {load:.2f}-{res['load_after']:.2f}")
    print("| label | lines | removed |\n|---|---:|---:|")
    for label, (gone, n) in figures["labels"].items():
        print(f"| {label} | {n:,} | {gone / n:.2%} |" if n else f"| {label} | 0 | - |")
    print(f"precision {figures['precision']:.4f}, recall {figures['recall']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
