"""How much slower a two-thread call is right after a pause: the reason ``_protocol`` calls twice back to back.

    python benchmarks/idle_penalty.py [--corpus newsgroups+web_pages] [--rounds 3] [--pause 2]

For one and then two threads: per round, two calls back to back, a pause,
then a call and the next one; prints one JSON line per thread count with
every call's seconds, ``os.getloadavg()`` and the CPU (``/proc/cpuinfo``).
The README's protocol paragraph quotes it.
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numba
from _corpus import load
from _peers import run_dedup


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return "?"


def _call(texts) -> float:
    t = time.perf_counter()
    run_dedup(texts)
    return round(time.perf_counter() - t, 3)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--corpus", default="newsgroups+web_pages")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--pause", type=float, default=2.0)
    a = p.parse_args()
    texts = list(load(a.corpus).texts)
    for threads in (1, 2):
        numba.set_num_threads(threads)
        run_dedup(texts)  # compile or load the kernels
        rows = []
        for _ in range(a.rounds):
            back_to_back = [_call(texts), _call(texts)]
            time.sleep(a.pause)
            after_pause = [_call(texts), _call(texts)]
            rows.append({"back_to_back": back_to_back, "after_pause_then_next": after_pause})
        print(json.dumps({"corpus": a.corpus, "threads": threads, "pause_s": a.pause, "rounds": rows,
                          "load": [round(x, 2) for x in os.getloadavg()], "cpu": _cpu()}))


if __name__ == "__main__":
    main()
