"""How much slower a call is right after a pause, with and without the memory kept between calls.

    python -m benchmarks.compare.idle_penalty [--corpus newsgroups+web_pages] [--rounds 3] [--pause 2] [--keep-memory both]

For one and then two threads: per round, two calls back to back, a pause,
then a call and the next one; with ``--keep-memory both`` each round does
that with ``dedup.keep_memory(0)`` (every large array fresh from the
kernel) and then with the default limit (``_pool``), interleaved. Prints one
JSON line per thread count and setting with every call's seconds, system
CPU seconds and page faults (``resource.getrusage``), ``os.getloadavg()``
and the CPU (``/proc/cpuinfo``). The README's protocol paragraph and its
memory paragraph quote it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time

import numba
from benchmarks.harness.corpus import load
from benchmarks.harness.peers import run_dedup


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "?"


def _call(texts, costs: list) -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    t = time.perf_counter()
    run_dedup(texts)
    wall = round(time.perf_counter() - t, 3)
    after = resource.getrusage(resource.RUSAGE_SELF)
    costs.append({"sys_s": round(after.ru_stime - r.ru_stime, 3), "faults": after.ru_minflt - r.ru_minflt})
    return wall


def main() -> None:
    import dedup

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default="newsgroups+web_pages")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pause", type=float, default=2.0)
    p.add_argument("--keep-memory", choices=("default", "none", "both"), default="default",
                   help="memory kept between calls: the default limit, none (keep_memory(0)), or both interleaved")
    a = p.parse_args()
    texts = list(load(a.corpus).texts)
    default = dedup.keep_memory()
    limits = {"default": [default], "none": [0], "both": [0, default]}[a.keep_memory]
    for threads in (1, 2):
        numba.set_num_threads(threads)
        run_dedup(texts)  # compile or load the kernels
        rows: dict[int, list] = {k: [] for k in limits}
        for _ in range(a.rounds):
            for limit in limits:
                dedup.keep_memory(limit)
                dedup.release_memory()
                costs: list = []
                back_to_back = [_call(texts, costs), _call(texts, costs)]
                time.sleep(a.pause)
                after_pause = [_call(texts, costs), _call(texts, costs)]
                rows[limit].append({"back_to_back": back_to_back, "after_pause_then_next": after_pause,
                                    "costs": costs})
        for limit in limits:
            print(json.dumps({"corpus": a.corpus, "threads": threads, "pause_s": a.pause, "keep_memory": limit,
                              "rounds": rows[limit], "load": [round(x, 2) for x in os.getloadavg()],
                              "cpu": _cpu()}), flush=True)
        dedup.keep_memory(default)


if __name__ == "__main__":
    main()
