"""Templated pages: no quadratic cliff when one bucket holds a whole site.

    python -m benchmarks.scale.templated --pages 100000 --repeat 3 [--dask] [--against DIR]

Corpus A: ``--pages`` near-identical pages of one template (a 700-word page
whose first line differs) plus as many distinct documents (``generate``'s
planted corpus); corpus B: twice as many distinct documents. Each round
times ``dedup.index(docs).duplicates()`` and ``.clusters()`` on both, in
fresh processes, alternating A and B; prints medians (min-max), peak RSS,
the ratio A/B, the ratio of their shingles (A's pages are longer than B's
documents, so A has more text to shingle: the ratio's floor) and the load
average. With ``--dask`` the same through ``dedup.dask.find_duplicates`` on
a 2-worker LocalCluster. With ``--against DIR`` the ``dedup`` of another
checkout (``PYTHONPATH=DIR``) is timed too, in the same rounds: before,
then this checkout's, alternating.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def corpus(kind: str, pages: int) -> list[str]:
    import numpy as np

    from benchmarks.harness.generate import stream

    if kind == "distinct":
        return list(stream(2 * pages, seed=5))
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(5000)]
    template = " ".join(rng.choice(words, 700))
    site = [f"Product {k}: item {int(rng.integers(1e9))} in stock\n" + template for k in range(pages)]
    return site + list(stream(pages, seed=5))


def worker(kind: str, pages: int, dask: bool) -> dict:
    import dedup

    docs = corpus(kind, pages)
    dedup.index(docs[:300])  # warm-up: 300 templated pages make buckets past 256, so the big-bucket kernel compiles here
    t = time.perf_counter()
    if dask:
        import dask.dataframe as dd
        import distributed
        import pandas as pd

        import dedup.dask as ddk

        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            df = pd.DataFrame({"id": range(len(docs)), "text": docs})
            t = time.perf_counter()
            labels = ddk.find_duplicates(dd.from_pandas(df, npartitions=4)).compute()
            dropped = int((~labels["keep"]).sum())
    else:
        idx = dedup.index(docs)
        dropped = len(idx.duplicates())
        len(idx.clusters())
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    shingles = (idx if not dask else dedup.index(docs)).shingle_arrays()[1].shape[0]  # after the peak is read
    return {"seconds": seconds, "dropped": dropped, "shingles": int(shingles), "peak_rss_gib": peak}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dask", action="store_true")
    ap.add_argument("--worker", choices=("templated", "distinct"))
    ap.add_argument("--against", metavar="DIR", help="also time the dedup of checkout DIR, in the same rounds")
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.pages, args.dask)))
        return 0
    envs = {"": (None, None)}  # label -> (environment, folder) of the workers (None: this process's)
    if args.against:  # the worker's folder comes first on its path, so its dedup is the one imported
        against = os.path.abspath(args.against)
        envs = {f"before ({args.against})": ({**os.environ, "PYTHONPATH": against + os.pathsep + ROOT}, against),
                f"after ({ROOT})": ({**os.environ, "PYTHONPATH": ROOT}, ROOT)}
    runs = {(code, kind): [] for code in envs for kind in ("templated", "distinct")}
    loads = [os.getloadavg()[0]]
    for _ in range(args.repeat):
        for code, kind in runs:
            cmd = [sys.executable, "-m", "benchmarks.scale.templated", "--worker", kind, "--pages", str(args.pages),
                   *["--dask"] * args.dask]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True, env=envs[code][0],
                                 cwd=envs[code][1]).stdout
            runs[code, kind].append(json.loads(out.strip().splitlines()[-1]))
        loads.append(os.getloadavg()[0])
    med = {key: statistics.median(r["seconds"] for r in v) for key, v in runs.items()}
    for code in envs:
        tag = f"{code}: " if code else ""
        for kind in ("templated", "distinct"):
            rs = runs[code, kind]
            s = [r["seconds"] for r in rs]
            print(f"{tag}{kind}: {len(rs)} runs, {med[code, kind]:.2f} s ({min(s):.2f}-{max(s):.2f}), "
                  f"dropped {rs[0]['dropped']}, peak RSS {max(r['peak_rss_gib'] for r in rs):.2f} GiB")
        shingles = runs[code, "templated"][0]["shingles"] / runs[code, "distinct"][0]["shingles"]
        print(f"{tag}templated / distinct: {med[code, 'templated'] / med[code, 'distinct']:.2f}x "
              f"(shingles {shingles:.2f}x)")
    print(f"load average {min(loads):.2f}-{max(loads):.2f}; engine {'dask, 2 workers' if args.dask else 'local'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
