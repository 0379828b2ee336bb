"""One contender on one generated rung, in a fresh process: time and peak memory.

    python -m benchmarks.ladder.ladder_worker CONTENDER N [--seed 0] [--warmup 200]
                                       [--repeat 1] [--stages]

Like ``worker.py`` (whose ``/proc`` memory helpers it uses, see there for
why not ``ru_maxrss``), but the corpus is ``generate.generate(N, seed)``,
built in the child. Prints one JSON object: ``gen_s`` (building the corpus),
``import_s``, ``warmup_s``, ``calls_s``, ``pairs``, and memory in KiB:
``rss_kb_before`` (interpreter + libraries + corpus + warm-up),
``hwm_kb_run`` (peak resident set during the timed calls alone) and
``hwm_kb_peak`` (the whole process).

With ``--stages`` (dedup only) the timed call is ``dedup.index`` cut at its
stage boundaries, the resident high-water mark reset before each, so each
stage's peak and the arrays it leaves behind are reported apart:
``stages = [{name, s, hwm_kb, rss_kb_after}]`` and ``arrays`` (bytes of each
of the index's arrays, of the texts as Python strings, and the number of
LSH candidate pairs).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

_LIBRARY = {"dedup": "dedup._indexing._index",  # dedup itself imports lazily; this pulls in numba and the kernels
             "datasketch": "datasketch", "rensa": "rensa", "gaoya": "gaoya.minhash", "exact": "numpy"}


def run_exact(texts):
    """The pure-Python exact baseline: Python shingle sets, exact all-pairs join (no sketch)."""
    from benchmarks.harness.peers import exact_join, shingle_set

    return exact_join([shingle_set(t) for t in texts])


def run_dedup_one_thread(texts):
    """dedup with numba's thread pool set to one thread."""
    import numba
    from benchmarks.harness.peers import run_dedup

    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return run_dedup(texts)
    finally:
        numba.set_num_threads(before)


def contenders() -> dict:
    """name -> (function, description): ``peers.CONTENDERS`` plus the exact baseline and dedup on one thread."""
    from benchmarks.harness.peers import CONTENDERS

    out = {k: CONTENDERS[k] for k in ("dedup", "gaoya", "rensa", "datasketch")}
    out["dedup@1thread"] = (run_dedup_one_thread, "dedup.index with numba.set_num_threads(1)")
    out["exact"] = (run_exact, "pure Python: shingle sets + exact all-pairs prefix-filter join (Bayardo 2007)")
    return out


def _staged_run(texts) -> tuple[dict, list, dict]:
    """``dedup.index(texts)`` stage by stage: (pairs, per-stage time and memory, array sizes).

    The stages are the steps ``dedup.index`` runs on a list that fits its memory budget
    (``_build.index``): ``_pipeline.featurize``, then ``_pipeline.build``; then the two queries.
    """
    import numpy as np

    import dedup
    from benchmarks.harness.worker import _memory_kb, _reset_hwm
    from dedup._indexing import _pipeline
    from dedup._indexing._index import Index

    config = dedup.Config(threshold=0.8, ngram=5, num_perm=128, seed=0)
    stages = []

    def step(name, fn):
        _reset_hwm()
        t = time.perf_counter()
        out = fn()
        dt = time.perf_counter() - t
        hwm, rss = _memory_kb()
        stages.append({"name": name, "s": round(dt, 3), "hwm_kb": hwm, "rss_kb_after": rss})
        return out

    def featurize():
        with _pipeline.threads_for(len(texts)):
            return _pipeline.featurize(texts, config)

    def build():
        with _pipeline.threads_for(len(texts)):
            return _pipeline.build(features, config)

    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    features = step("featurize (normalize, shingle, sketch + band keys, digests)", featurize)
    built = step("build (exact groups, buckets, candidates, verify)", build)
    idx = Index._from_parts(config, list(range(len(texts))), "first", lengths, np.zeros(len(texts)), features,
                            *built)
    i, j, s = step("pair_arrays (expand exact groups)", idx.pair_arrays)
    step("labels (connected components)", idx.labels)
    groups, buckets, pairs = built
    ci, _ = _pipeline.candidates_in(buckets, groups.reps)  # recount candidates, outside the timed stages
    arrays = {k: int(v.nbytes) for k, v in idx.arrays().items()}
    arrays["texts_python_str"] = int(sum(map(sys.getsizeof, texts)) + sys.getsizeof(texts))
    arrays["shingles"] = int(features.values.shape[0])
    arrays["candidate_pairs"] = int(ci.shape[0])
    arrays["verified_pairs"] = int(pairs.i.shape[0])
    return dict(zip(zip(i.tolist(), j.tolist()), s.tolist())), stages, arrays


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("contender")
    p.add_argument("n", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--stages", action="store_true")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    __import__(_LIBRARY[args.contender.split("@")[0]])
    t1 = time.perf_counter()
    from benchmarks.harness.worker import _memory_kb, _reset_hwm
    from benchmarks.harness.generate import generate

    texts = generate(args.n, args.seed).texts
    t2 = time.perf_counter()
    run = contenders()[args.contender][0]
    warmup_s = None
    if args.warmup:  # with --stages, the staged calls themselves (``labels`` is not in ``run``)
        (_staged_run if args.stages else run)(texts[: args.warmup])
        warmup_s = time.perf_counter() - t2
    hwm_before, rss_before = _memory_kb()
    reset = _reset_hwm()
    calls, stages, arrays, pairs = [], None, None, {}
    for _ in range(args.repeat):
        t = time.perf_counter()
        if args.stages:
            pairs, stages, arrays = _staged_run(texts)
        else:
            pairs = run(texts)
        calls.append(time.perf_counter() - t)
    hwm_run, rss_after = _memory_kb()
    if args.stages:
        hwm_run = max(s["hwm_kb"] for s in stages)
    print(json.dumps({
        "contender": args.contender, "docs": len(texts), "gen_s": t2 - t1, "import_s": t1 - t0,
        "warmup_s": warmup_s, "calls_s": calls, "pairs": len(pairs),
        "hwm_kb_before": hwm_before, "rss_kb_before": rss_before, "rss_kb_after": rss_after,
        "hwm_kb_run": hwm_run if reset else None, "hwm_kb_peak": max(hwm_before, hwm_run),
        "stages": stages, "arrays": arrays,
    }))
    return 0


def run_worker(contender: str, n: int, *args: str, env: dict | None = None) -> dict:
    """Run this script in a child process; return its JSON plus ``wall_s`` (the whole child)."""
    import subprocess

    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "benchmarks.ladder.ladder_worker", contender, str(n), *args],
                          capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t
    if proc.returncode:
        raise RuntimeError(f"ladder worker {contender} {n} {args} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_s"] = wall
    return result


if __name__ == "__main__":
    sys.exit(main())
