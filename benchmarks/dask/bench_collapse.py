"""Collapse: the local engine vs 2 local Dask workers on the same crawl-like pages (issue 27).

Run (from the repo root; needs ``pip install "near-dups[dask]"``):

    python -m benchmarks.dask.bench_collapse --pages 20000 --partitions 8 --memory-limit 3GB

It writes ``benchmarks.harness.crawl.pages(--pages, --seed)`` as Parquet
files to a temporary folder, then, each in a fresh subprocess so that peak
memory is the run's own (both warm the kernels on 200 pages first):

- ``local``: ``pandas.read_parquet`` + ``dedup.collapse(frame)``;
- ``dask``: a ``LocalCluster`` of ``--workers`` processes (1 thread each,
  ``--memory-limit`` each), ``dask.dataframe.read_parquet`` +
  ``dedup.dask.collapse``, then both frames' partitions taken to the
  client in order, a few at a time, and digested (``dask.compute`` of
  both frames would gather the whole corpus in one worker first, and
  then in the client), or with ``--write`` written to Parquet by the
  workers.

Reports wall time, peak RSS (the client process, which also runs the
scheduler and nannies, plus each worker), whether the client's budget
spilled (``info["spilled"]``) and the bytes the workers' spilling wrote, and
checks the Dask result equal to the local one (a digest of the cleaned texts
and of the removal rows).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.dask.bench_dask import _peak_mb, _read_probe, _start_probe, _worker_peak_mb


def write_corpus(folder: Path, pages: int, seed: int, partitions: int) -> None:
    import numpy as np
    import pandas as pd

    from benchmarks.harness import crawl

    rows = [(p.id, p.text) for p in crawl.pages(pages, seed)]
    folder.mkdir(parents=True, exist_ok=True)
    for k, part in enumerate(np.array_split(np.arange(pages), partitions)):
        frame = pd.DataFrame({"id": [rows[x][0] for x in part.tolist()], "text": [rows[x][1] for x in part.tolist()]})
        frame.to_parquet(folder / f"part.{k:04d}.parquet", index=False)


def _digest(parts, spent: dict | None = None) -> str:
    """One digest of the cleaned texts and of the removal rows (nulls as None; dtypes aside), from
    ``(docs, removals)`` frames of consecutive parts of the corpus, in order; ``spent["digest"]``: the
    seconds spent hashing."""
    texts, rows = hashlib.sha256(), hashlib.sha256()
    cols = ["id", "start", "end", "kind", "source_id", "source_start", "source_end", "similarity"]
    spent = {} if spent is None else spent
    spent["digest"] = 0.0
    for docs, removals in parts:
        t = time.perf_counter()
        for x in docs["text"].tolist():
            texts.update(x.encode("utf-8", "surrogatepass") + b"\0")
        frame = removals[cols].astype(object)
        for row in frame.where(frame.notna(), None).values.tolist():
            rows.update(repr([None if v is None else (float(v) if k == 7 else str(v))
                              for k, v in enumerate(row)]).encode())
        spent["digest"] += time.perf_counter() - t
    return hashlib.sha256(texts.digest() + rows.digest()).hexdigest()


def _warm_frame():
    import pandas as pd

    from benchmarks.harness import crawl

    pages = list(crawl.pages(200, 99))
    return pd.DataFrame({"id": [p.id for p in pages], "text": [p.text for p in pages]})


def run_local(folder: Path) -> dict:
    import pandas as pd

    import dedup

    dedup.collapse(_warm_frame())
    t = time.perf_counter()
    frame = pd.read_parquet(folder)
    out = dedup.collapse(frame)
    wall = time.perf_counter() - t
    return dict(engine="local", wall=wall, peak_mb=_peak_mb(), documents=len(frame),
                removals=len(out.removals), digest=_digest([(out.docs, out.removals)]))


def run_dask(folder: Path, workers: int, memory_limit: str | None, memory: str | None, write: bool = False) -> dict:
    import dask
    import dask.dataframe as dd
    import distributed

    import dedup.dask
    from dedup._dask._collapse import _in_order

    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None,
                                       memory_limit=memory_limit or "auto")
    client = distributed.Client(cluster)
    w = dedup.dask.collapse(dd.from_pandas(_warm_frame(), npartitions=workers))
    dask.compute(w.docs, w.removals)
    client.run(_start_probe)  # after the warm-up
    peaks, stop = {}, threading.Event()
    threading.Thread(target=_sample_client, args=(peaks, stop), daemon=True).start()
    t = time.perf_counter()
    out, info = dedup.dask.collapse(dd.read_parquet(folder), memory=memory, return_info=True)
    planned = time.perf_counter() - t
    client_mb = {"planned": _peak_mb()}  # the client's peak so far, after each step
    spilled_in_plan = sum(client.run(_disk_written).values())
    if write:  # each worker writes its partitions' two frames: nothing of the corpus comes back to the client
        dask.compute(out.docs.to_parquet(folder.parent / "out-docs", compute=False),
                     out.removals.to_parquet(folder.parent / "out-removals", compute=False))
        digest = None
    else:  # both frames' partitions to the client a window at a time, in order, each digested and dropped
        pair = dask.delayed(lambda docs, removals: (docs, removals), pure=True)
        digest = _digest(_in_order([pair(d, r) for d, r in zip(out.docs.to_delayed(), out.removals.to_delayed())]),
                         info["times"])
    wall = time.perf_counter() - t
    client_mb["cut"] = _peak_mb()
    workers_mb = client.run(_worker_peak_mb)
    stop.set()
    probes = sorted(client.run(_read_probe).values(), key=lambda d: d["peak_rss"])
    client.close()
    cluster.close()
    return dict(engine="dask", workers=workers, memory_limit=memory_limit, client_memory=memory, wall=wall,
                plan_wall=planned, times={k: round(v, 3) for k, v in info["times"].items()},
                partitions=info["partitions"], blocks=info["blocks"], removals=info["removals"],
                client_spilled=info["spilled"], client_disk=info["disk"],
                worker_disk_written=sum(d["disk_written"] for d in probes),
                worker_peak_managed_mb=sorted(d["peak_managed"] / 2**20 for d in probes), worker_disk_written_plan=spilled_in_plan,
                worker_start_mb=sorted(d["start_rss"] / 2**20 for d in probes), slices_bytes=info["slices"],
                peak_mb=_peak_mb() + sum(workers_mb.values()), client_peak_mb=_peak_mb(),
                client_peak_mb_after=dict(client_mb, closed=_peak_mb()),
                client_peak_anon_mb=peaks.get("RssAnon"), client_peak_file_mb=peaks.get("RssFile"),
                worker_peak_mb=sorted(workers_mb.values()), written=write,
                digest=digest)


def _sample_client(peaks: dict, stop: threading.Event, every: float = 0.2) -> None:
    """Peaks of this process's anonymous and file-backed resident memory (``RssAnon``, ``RssFile``: the
    client's spill files are memory-mapped, and their pages count in its RSS while the kernel keeps them)."""
    while not stop.is_set():
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(("RssAnon:", "RssFile:")):
                    key, kb = line.split()[:2]
                    peaks[key[:-1]] = max(peaks.get(key[:-1], 0), int(kb) / 1024)
        stop.wait(every)


def _disk_written(dask_worker=None) -> int:
    """Bytes this worker's spilling has written to disk so far."""
    return int(getattr(dask_worker.data, "cumulative_metrics", {}).get(("disk-write", "bytes"), 0))


def _subprocess(args, engine: str, folder: Path) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.dask.bench_collapse", "--run", engine, "--folder", str(folder),
           "--workers", str(args.workers)] + (["--write"] if args.write else [])
    if args.memory_limit:
        cmd += ["--memory-limit", args.memory_limit]
    if args.memory:
        cmd += ["--memory", args.memory]
    load = os.getloadavg()
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if r.returncode:
        sys.stderr.write(r.stderr)
        raise SystemExit(r.returncode)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res["load_before"] = load
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--partitions", type=int, default=8, help="Parquet files, so Dask partitions")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--memory-limit", help="each worker's memory_limit, e.g. 3GB (default: Dask's automatic one)")
    p.add_argument("--memory", help="dedup.dask.collapse(memory=...): the client's budget (default: half the RAM)")
    p.add_argument("--write", action="store_true",
                   help="Dask writes both frames to Parquet on the workers instead of computing them to the client "
                        "(no digest: equality is what the tests check at 1, 3 and 7 partitions)")
    p.add_argument("--skip-local", action="store_true", help="run only the Dask side")
    p.add_argument("--run", choices=("local", "dask"), help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run:  # one measured run, in its own process
        folder = Path(args.folder)
        res = run_local(folder) if args.run == "local" else run_dask(folder, args.workers, args.memory_limit,
                                                                      args.memory, args.write)
        print(json.dumps(res))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        write_corpus(folder, args.pages, args.seed, args.partitions)
        size = sum(f.stat().st_size for f in folder.glob("*.parquet")) / 1e6
        loc = None if args.skip_local else _subprocess(args, "local", folder)
        print("local", json.dumps(loc), flush=True)
        dsk = _subprocess(args, "dask", folder)
        print("dask", json.dumps(dsk), flush=True)
    if loc is None:
        return 0
    print(f"\n{args.pages} crawl pages (seed {args.seed}), {args.partitions} Parquet files, {size:.1f} MB; "
          f"{dsk['blocks']} blocks, {loc['removals']} removals")
    print(f"local : {loc['wall']:.2f} s, peak {loc['peak_mb']:.0f} MB (load before {loc['load_before'][0]:.2f})")
    print(f"dask  : {dsk['wall']:.2f} s on {dsk['workers']} workers x 1 thread (memory_limit "
          f"{dsk['memory_limit'] or 'auto'}), features + plan {dsk['plan_wall']:.2f} s ("
          f"{', '.join(f'{k} {v:.2f} s' for k, v in dsk['times'].items())}); client budget spilled: "
          f"{dsk['client_spilled']}; workers' spill written {dsk['worker_disk_written'] / 1e6:.1f} MB; "
          f"peak {dsk['peak_mb']:.0f} MB (client {dsk['client_peak_mb']:.0f}, workers "
          f"{', '.join(f'{x:.0f}' for x in dsk['worker_peak_mb'])}) (load before {dsk['load_before'][0]:.2f})")
    print(f"equal to local: {dsk['digest'] == loc['digest']}; dask / local = {dsk['wall'] / loc['wall']:.2f}x")
    return 0 if dsk["digest"] == loc["digest"] else 1


if __name__ == "__main__":  # a process-based LocalCluster needs this guard
    sys.exit(main())
