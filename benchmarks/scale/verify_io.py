"""Where a spilled build's later stages spend their time: reading shingle rows from disk.

    python -m benchmarks.scale.verify_io IDX          # IDX: a saved index too big for the page cache (10M documents)
    python -m benchmarks.scale.verify_io IDX --reads  # random-read rate of its values.npy (20,000 reads, 1-32 threads)

The first form reruns, on the saved index's memory-mapped arrays, the exact
groups and the candidates -> verify step of ``_pipeline.build`` and prints
one JSON line: seconds of each, the candidate pairs and the distinct
shingle rows they need (and their bytes), and the ``preadv`` calls and
bytes the verification read. The sequential rate to compare with comes from
``dd if=IDX/gen-*/values.npy of=/dev/null bs=4M count=1000 skip=3000
iflag=direct``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor


def stages(path: str) -> dict:
    import numpy as np

    import dedup
    from dedup._core import _arrays
    from dedup._sketch import _lsh
    from dedup._indexing import _pipeline

    read = [0, 0]
    real = os.preadv

    def counting(fd, buffers, offset):
        n = real(fd, buffers, offset)
        read[0] += n
        read[1] += 1
        return n

    os.preadv = counting
    idx = dedup.load(path, verify=False)
    f, g, b = idx._f, idx._g, idx._b
    t = time.perf_counter()
    _pipeline.exact(f.indptr, f.values, f.digests, f.nbytes)
    exact_s = time.perf_counter() - t
    runs, cols = _lsh.bucket_runs(b.order, b.sorted_keys)
    r = runs.reshape(-1, 2)
    small = r[r[:, 1] - r[:, 0] <= _pipeline.BIG_BUCKET]
    ci, cj = _arrays.unique_pairs(*_arrays.run_pairs(small.ravel(), cols, g.reps))
    need = np.unique(np.concatenate([ci, cj]))
    sizes = np.diff(np.asarray(f.indptr))
    read[:] = [0, 0]
    t = time.perf_counter()
    _pipeline.scores(f, f, ci, cj, idx.config.threshold)
    return {"documents": len(idx), "exact_s": round(exact_s, 1), "candidates": int(ci.shape[0]),
            "rows_needed": int(need.shape[0]), "row_bytes": int(sizes[need].sum()) * 8,
            "values_file_bytes": int(f.values.nbytes), "verify_s": round(time.perf_counter() - t, 1),
            "preadv_calls": read[1], "preadv_bytes": read[0], "load": os.getloadavg()[0]}


def reads(path: str, n: int = 20_000) -> list[dict]:
    gen = os.path.join(path, open(os.path.join(path, "CURRENT")).read().strip())
    values = os.path.join(gen, "values.npy")
    size = os.path.getsize(values)
    fd = os.open(values, os.O_RDONLY)
    out = []
    for threads, seed in ((1, 1), (4, 2), (16, 3), (32, 4), (1, 5)):
        rnd = random.Random(seed)
        offsets = sorted(rnd.randrange(0, size - 8192) for _ in range(n))

        def work(chunk):
            for o in chunk:
                os.pread(fd, 6000, o)

        t = time.perf_counter()
        with ThreadPoolExecutor(threads) as ex:
            list(ex.map(work, [offsets[k::threads] for k in range(threads)]))
        took = time.perf_counter() - t
        out.append({"threads": threads, "reads": n, "seconds": round(took, 2), "reads_per_s": round(n / took)})
    os.close(fd)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("index")
    ap.add_argument("--reads", action="store_true")
    args = ap.parse_args(argv)
    for line in (reads(args.index) if args.reads else [stages(args.index)]):
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
