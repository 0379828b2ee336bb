"""Local engine vs 2 local Dask workers on the same planted corpus.

Run (from the repo root; needs ``pip install "near-dups[dask]"``):

    python -m benchmarks.dask.bench_dask --docs 100000 --workers 2 --partitions 8

It writes a planted corpus (random-word documents, a third of them edited or
exact copies) as Parquet to a temporary folder, then, each in a fresh
subprocess so that peak memory is the run's own:

- ``local``: ``pandas.read_parquet`` + ``dedup.index`` + ``labels()``/``keep_mask()``;
- ``dask``: a ``LocalCluster`` of ``--workers`` processes (1 thread each),
  ``dask.dataframe.read_parquet`` + ``dedup.dask.find_duplicates``.

Both runs warm the numba kernels on a small corpus first (compile time is
reported apart: ``numba cold/cached`` is the first call on a fresh worker with
an empty numba cache and with the project's cache). Wall times are the best
of ``--repeat`` runs; peak memory is the sum of every process's peak RSS
(the client process, which also runs a LocalCluster's scheduler and
nannies, plus each worker). The Dask result is checked equal to
the local one.

Worker memory (issue #14): ``--memory-limit 3GB --memory-limit 6GB --rounds 3``
runs the Dask engine ``--rounds`` times per limit, interleaved (the order
alternates round by round), each in a fresh cluster, and reports per run
the bytes each worker's spilling wrote to disk (distributed's
``disk-write`` metric, summed over workers), the peak of its spill
directory, its peak managed memory (what Dask's ``sizeof`` counts in RAM,
sampled every 0.2 s) and its peak RSS, with the load average before each
run; ``--corpus DIR`` keeps the Parquet corpus between invocations and
``--json FILE`` writes every run's record.

    python -m benchmarks.dask.bench_dask --docs 1000000 --partitions 8 --repeat 1 --skip-numba \
        --memory-limit 3GB --memory-limit 6GB --rounds 3 --corpus /tmp/c1m --json dask_memory.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def planted(n: int, seed: int = 0, vocab_size: int = 20_000, copy_share: float = 0.3):
    """``n`` documents: random-word originals, then edited copies (some exact), shuffled.

    Vectorized over one flat token array (``tests/planted.py`` builds one
    document at a time). Copies substitute 0 to 3% of their words; one copy
    in ten is exact.
    """
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(vocab_size)], dtype=object)
    n_copy = int(n * copy_share)
    n_base = n - n_copy
    lengths = rng.integers(50, 250, n_base)
    tokens = rng.integers(0, vocab_size, int(lengths.sum()))
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    src = rng.integers(0, n_base, n_copy)
    clen = lengths[src]
    # gather each copy's tokens: start of its source + 0..len-1
    cstart = np.concatenate([[0], np.cumsum(clen)[:-1]])
    idx = np.repeat(starts[src] - cstart, clen) + np.arange(int(clen.sum()))
    ctokens = tokens[idx]
    rate = rng.uniform(0.0, 0.03, n_copy) * (rng.random(n_copy) >= 0.1)
    edit = rng.random(ctokens.shape[0]) < np.repeat(rate, clen)
    ctokens[edit] = rng.integers(0, vocab_size, int(edit.sum()))
    all_tokens = np.concatenate([tokens, ctokens])
    all_len = np.concatenate([lengths, clen])
    words = vocab[all_tokens]
    bounds = np.concatenate([[0], np.cumsum(all_len)]).tolist()
    docs = [" ".join(words[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
    order = rng.permutation(n)
    return [docs[k] for k in order]


def write_corpus(folder: Path, n: int, partitions: int) -> None:
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs = planted(n)
    folder.mkdir(parents=True, exist_ok=True)
    for k, part in enumerate(np.array_split(np.arange(n), partitions)):
        frame = pd.DataFrame({"id": [f"doc{x:07d}" for x in part.tolist()], "text": [docs[x] for x in part.tolist()]})
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / f"part.{k:04d}.parquet")


def _peak_mb() -> float:
    """This process's peak RSS since its exec (``VmHWM``), in MiB. Not ``ru_maxrss``: a child started by a
    harness that held a corpus carries the harness's peak over its fork and exec (a 1M-page run's client
    read 4.0 GB, its own peak being 2.5)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _warm_corpus():
    return planted(2000, seed=1)


def run_local(folder: Path, threshold: float, repeat: int) -> dict:
    import pandas as pd

    import dedup

    warm = _warm_corpus()
    t = time.perf_counter()
    dedup.index(warm, threshold=threshold).keep_mask()
    warmup = time.perf_counter() - t
    best, out = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        frame = pd.read_parquet(folder)
        t_read = time.perf_counter() - t
        idx = dedup.index(zip(frame["id"].tolist(), frame["text"].tolist()), threshold=threshold)
        labels, keep = idx.labels(), idx.keep_mask()
        wall = time.perf_counter() - t
        if best is None or wall < best["wall"]:
            best = dict(wall=wall, read=t_read)
            out = (np.asarray(idx.ids, dtype=object)[labels], keep)
    np.save(folder.parent / f"{folder.name}_local_cluster.npy", out[0].astype(str))
    np.save(folder.parent / f"{folder.name}_local_keep.npy", out[1])
    return dict(engine="local", warmup=warmup, peak_mb=_peak_mb(), documents=len(out[1]),
                duplicates=int((~out[1]).sum()), **best)


def _worker_peak_mb(dask_worker=None) -> float:
    return _peak_mb()


def _start_probe(dask_worker=None, every: float = 0.2) -> bool:
    """Sample, in a thread of the worker, the peaks of its managed memory (what Dask's ``sizeof``
    says its keys hold, in RAM), its RSS and the bytes its spill directory holds."""
    import threading

    import psutil

    proc = psutil.Process()
    # kept on the worker: this function and _read_probe reach the worker pickled by value, each with
    # its own copy of any module global
    _PROBE = dask_worker.bench_probe = dict(managed=0, rss=0, spilled=0, stop=False,
                                            start_rss=proc.memory_info().rss)

    def loop():
        while not _PROBE["stop"]:
            data = dask_worker.data
            fast = getattr(data, "fast", None)
            managed = getattr(fast, "total_weight", None)
            if managed is None:
                managed = dask_worker.state.nbytes
            spilled = data.spilled_total.disk if hasattr(data, "spilled_total") else 0
            _PROBE["managed"] = max(_PROBE["managed"], int(managed))
            _PROBE["rss"] = max(_PROBE["rss"], proc.memory_info().rss)
            _PROBE["spilled"] = max(_PROBE["spilled"], int(spilled))
            time.sleep(every)

    threading.Thread(target=loop, daemon=True, name="bench-probe").start()
    return True


def _read_probe(dask_worker=None) -> dict:
    """The probe's peaks, and the bytes this worker's spilling wrote to and read from disk in all."""
    _PROBE = getattr(dask_worker, "bench_probe", {})
    _PROBE["stop"] = True
    metrics = getattr(dask_worker.data, "cumulative_metrics", {})
    return dict(start_rss=_PROBE.get("start_rss", 0), peak_managed=_PROBE.get("managed", 0),
                peak_rss_sampled=_PROBE.get("rss", 0),
                peak_spill_dir=_PROBE.get("spilled", 0),
                disk_written=int(metrics.get(("disk-write", "bytes"), 0)),
                disk_read=int(metrics.get(("disk-read", "bytes"), 0)),
                peak_rss=int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024))


def _first_call_seconds() -> float:
    """Time the first pipeline call in this process: numba compile or cache load."""
    t = time.perf_counter()
    import dedup
    from dedup._core import _arrays
    from dedup._indexing import _pipeline

    f = _pipeline.featurize(["a b c d e f g h", "a b c d e f g x"], dedup.Config())
    rows = np.arange(2, dtype=np.int64)
    _pipeline.verify(f, f, rows, rows, 0.5)
    _arrays.run_pairs(np.array([0, 2], np.int64), rows, rows)
    _arrays.first_of_runs(np.zeros(2, np.int64), rows)
    return time.perf_counter() - t


def numba_first_call(workers: int) -> dict:
    """First-call time on fresh workers: empty numba cache, then the cache it wrote."""
    import distributed

    out = {}
    with tempfile.TemporaryDirectory() as cache:
        for label in ("cold", "cached"):
            with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None,
                                          env={"NUMBA_CACHE_DIR": cache}) as cluster, \
                    distributed.Client(cluster) as client:
                out[label] = max(client.run(_first_call_seconds).values())
    return out


def run_dask(folder: Path, threshold: float, repeat: int, workers: int, shuffle_method: str,
             numba_threads: int = 1, memory_limit: str | None = None) -> dict:
    import dask.dataframe as dd
    import distributed

    import dedup.dask

    t = time.perf_counter()
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None,
                                       memory_limit=memory_limit or "auto")
    client = distributed.Client(cluster)
    start = time.perf_counter() - t
    t = time.perf_counter()
    warm = _warm_corpus()
    import pandas as pd

    wdf = dd.from_pandas(pd.DataFrame({"id": range(len(warm)), "text": warm}), npartitions=workers)
    dedup.dask.find_duplicates(wdf, threshold=threshold).compute()
    warmup = time.perf_counter() - t
    best = None
    client.run(_start_probe)  # after the warm-up: its keys are released, its compile is not measured
    for _ in range(repeat):
        t = time.perf_counter()
        ddf = dd.read_parquet(folder)
        labels, info = dedup.dask.find_duplicates(ddf, threshold=threshold, return_info=True,
                                                  shuffle_method=shuffle_method, numba_threads=numba_threads or None)
        got = labels.compute()
        wall = time.perf_counter() - t
        if best is None or wall < best["wall"]:
            best = dict(wall=wall, stages={k: round(v, 3) for k, v in info["times"].items()},
                        exact_edges=info["exact_edges"], near_edges=info["near_edges"],
                        band_rows=info["band_rows"], candidate_rows=info["candidate_rows"],
                        partitions=info["partitions"])
            final = got
    workers_mb = client.run(_worker_peak_mb)
    probes = sorted(client.run(_read_probe).values(), key=lambda d: d["peak_rss"])
    client.close()
    cluster.close()
    same = (np.array_equal(final["cluster"].astype(str).to_numpy(), np.load(folder.parent / f"{folder.name}_local_cluster.npy"))
            and np.array_equal(final["keep"].to_numpy(), np.load(folder.parent / f"{folder.name}_local_keep.npy")))
    peak = _peak_mb() + sum(workers_mb.values())  # a LocalCluster's scheduler and nannies run in this process
    return dict(engine="dask", workers=workers, memory_limit=memory_limit, cluster_start=start, warmup=warmup,
                peak_mb=peak, client_peak_mb=_peak_mb(), worker_peak_mb=sorted(workers_mb.values()),
                worker_probes=probes, disk_written=sum(d["disk_written"] for d in probes),
                load_after=os.getloadavg(),
                equal_to_local=bool(same), shuffle_method=shuffle_method, numba_threads=numba_threads, **best)


def _subprocess(args, engine: str, folder: Path, memory_limit: str | None = None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.dask.bench_dask", "--run", engine, "--folder", str(folder), "--threshold",
           str(args.threshold), "--repeat", str(args.repeat), "--workers", str(args.workers),
           "--shuffle-method", args.shuffle_method, "--numba-threads", str(args.numba_threads)]
    if memory_limit:
        cmd += ["--memory-limit", memory_limit]
    load = os.getloadavg()
    r = subprocess.run(cmd, capture_output=True, text=True, env=dict(os.environ))
    if r.returncode:
        sys.stderr.write(r.stderr)
        raise SystemExit(r.returncode)
    res = json.loads(r.stdout.strip().splitlines()[-1])
    res["load_before"] = load
    return res


def _corpus(args, tmp: Path) -> Path:
    """The Parquet corpus: in ``--corpus`` (written there once, then reused) or in ``tmp``."""
    folder = Path(args.corpus) if args.corpus else tmp / "corpus"
    stamp = folder.parent / f"{folder.name}.json"  # beside the folder: Dask reads every file in it
    want = dict(docs=args.docs, partitions=args.partitions)
    if stamp.exists() and json.loads(stamp.read_text()) == want:
        return folder
    t = time.perf_counter()
    write_corpus(folder, args.docs, args.partitions)
    stamp.write_text(json.dumps(want))
    print(f"corpus: {args.docs} planted docs in {args.partitions} Parquet files, "
          f"{sum(f.stat().st_size for f in folder.glob('*.parquet')) / 1e6:.1f} MB, built in "
          f"{time.perf_counter() - t:.1f} s", flush=True)
    return folder


def _spread(values) -> str:
    v = sorted(values)
    return f"{float(np.median(v)):.2f} ({v[0]:.2f}-{v[-1]:.2f})"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=100_000)
    p.add_argument("--partitions", type=int, default=8, help="Parquet files, so Dask partitions")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threshold", type=float, default=0.8)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--shuffle-method", default="tasks")
    p.add_argument("--numba-threads", type=int, default=1,
                   help="find_duplicates(numba_threads=...); 0 leaves numba's default, all cores (default 1)")
    p.add_argument("--memory-limit", action="append", default=None,
                   help="each worker's memory_limit (e.g. 3GB); give it more than once to compare limits, "
                        "interleaved round by round (default: Dask's automatic limit)")
    p.add_argument("--rounds", type=int, default=1, help="Dask runs per memory limit, interleaved")
    p.add_argument("--corpus", help="folder for the Parquet corpus, written once and reused (default: temporary)")
    p.add_argument("--json", help="write every run's record to this file")
    p.add_argument("--skip-numba", action="store_true", help="skip the cold/cached compile measurement")
    p.add_argument("--run", choices=("local", "dask"), help=argparse.SUPPRESS)
    p.add_argument("--folder", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.run:  # one measured run, in its own process
        folder = Path(args.folder)
        if args.run == "local":
            res = run_local(folder, args.threshold, args.repeat)
        else:
            res = run_dask(folder, args.threshold, args.repeat, args.workers, args.shuffle_method,
                           args.numba_threads, (args.memory_limit or [None])[-1])
        print(json.dumps(res))
        return 0
    limits = args.memory_limit or [None]
    with tempfile.TemporaryDirectory() as tmp:
        folder = _corpus(args, Path(tmp))
        loc = _subprocess(args, "local", folder)
        print("local", json.dumps(loc), flush=True)
        runs = []
        for r in range(args.rounds):
            order = limits if r % 2 == 0 else limits[::-1]  # alternate which limit runs first
            for limit in order:
                res = _subprocess(args, "dask", folder, limit)
                res["round"] = r
                runs.append(res)
                print("dask", json.dumps(res), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(dict(args=vars(args), local=loc, dask=runs), indent=1) + "\n")
    n = loc["documents"]
    print(f"\nlocal engine : {loc['wall']:.2f} s (read {loc['read']:.2f} s), peak {loc['peak_mb']:.0f} MB, "
          f"{loc['duplicates']} duplicates of {n}")
    for limit in limits:
        mine = [d for d in runs if d["memory_limit"] == limit]
        dsk = min(mine, key=lambda d: d["wall"])
        rss = [w["peak_rss"] / 1e9 for d in mine for w in d["worker_probes"]]
        grew = [(w["peak_rss_sampled"] - w["start_rss"]) / 1e9 for d in mine for w in d["worker_probes"]]
        print(f"dask {limit or 'auto'}: {len(mine)} runs, wall median (min-max) {_spread([d['wall'] for d in mine])} s "
              f"on {dsk['workers']} workers x 1 thread, {dsk['partitions']} partitions; "
              f"spill written {_spread([d['disk_written'] / 1e9 for d in mine])} GB; "
              f"peak worker RSS {_spread(rss)} GB (above the warm idle worker: {_spread(grew)} GB); "
              f"peak managed {max(w['peak_managed'] for d in mine for w in d['worker_probes']) / 1e9:.2f} GB; "
              f"load before {_spread([d['load_before'][0] for d in mine])}; "
              f"equal to local: {all(d['equal_to_local'] for d in mine)}")
        print("    stages (fastest run): " + ", ".join(f"{k} {v:.2f} s" for k, v in dsk["stages"].items()))
    if len(limits) == 2:
        a = float(np.median([d["wall"] for d in runs if d["memory_limit"] == limits[0]]))
        b = float(np.median([d["wall"] for d in runs if d["memory_limit"] == limits[1]]))
        print(f"time {limits[0]} / {limits[1]} (medians): {a / b:.2f}x")
    dsk = runs[-1]
    print(f"overhead     : dask / local = {min(d['wall'] for d in runs) / loc['wall']:.2f}x")
    print(f"edges        : {dsk['exact_edges']} exact + {dsk['near_edges']} near, gathered to the client")
    print(f"shuffled     : {dsk['band_rows']} band rows ({dsk['band_rows'] / n:.1f} per document, 18 bytes each), "
          f"{dsk['candidate_rows']} candidate rows ({dsk['candidate_rows'] / n:.3f} per document)")
    if not args.skip_numba:
        nb = numba_first_call(args.workers)
        print(f"numba        : first call per fresh worker {nb['cold']:.2f} s with an empty cache, "
              f"{nb['cached']:.2f} s from the cache")
    return 0


if __name__ == "__main__":  # a process-based LocalCluster needs this guard
    sys.exit(main())
