"""The run protocol of the comparison: interleaved rounds, load, CPU, threads.

``interleave(contenders, texts, reps)`` runs every contender once per round,
in a fixed order (A B C D, A B C D, ...), ``reps`` rounds, after one untimed
warm-up call each, and records for every call its wall seconds
(``time.perf_counter``), its CPU seconds (``time.process_time``, all threads
of this process), and the load averages before and after each round. Garbage
is collected (untimed) before every call, so no contender pays for another's
objects. What each call returns is kept from the last round (and compared
across rounds: a contender whose answer changes between rounds is flagged).

``back_to_back=2`` calls each contender twice in a row per round (A A B B
...) and keeps both timings apart: the first call follows another contender,
the second follows itself. On this KVM guest the two differ, most for
work on both cores (``idle_penalty.py``: near-dups on 20 Newsgroups + web
pages, two threads 0.18-0.19 s back to back, 0.33-0.51 s after a 2 s pause;
one thread 0.30-0.32 s and 0.40-0.47 s), and every contender's first call
follows a different one. Reports give both.

``machine()`` names the CPU (``lscpu``, ``/proc/cpuinfo``), memory, kernel and
the versions of every library that runs.
"""

from __future__ import annotations

import gc
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence


def loadavg() -> list[float]:
    """1-, 5- and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


def os_threads() -> int:
    """Threads of this process now (``/proc/self/task``); -1 where /proc is missing."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return -1


def machine() -> dict:
    """CPU model and count, memory, OS, Python and library versions."""
    info: dict = {"python": sys.version.split()[0], "platform": platform.platform(),
                  "cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0))
                  if hasattr(os, "sched_getaffinity") else None}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
        fields = dict(line.split(":", 1) for line in out.splitlines() if ":" in line)
        fields = {k.strip(): v.strip() for k, v in fields.items()}
        keep = ("Architecture", "Model name", "Vendor ID", "CPU family", "Model", "Stepping", "CPU(s)",
                "Thread(s) per core", "Core(s) per socket", "Socket(s)", "Hypervisor vendor", "L1d cache",
                "L2 cache", "L3 cache", "CPU max MHz", "BogoMIPS")
        info["lscpu"] = {k: fields[k] for k in keep if k in fields}
        flags = fields.get("Flags", "").split()
        info["simd"] = [f for f in ("sse4_2", "avx", "avx2", "avx512f", "avx512bw", "avx512vl") if f in flags]
    except (OSError, subprocess.SubprocessError, ValueError):
        info["lscpu"] = None
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith(("model name", "cpu MHz"))]
        info["cpuinfo_model_name"] = names[0] if names else None
        info["cpuinfo_mhz"] = names[1] if len(names) > 1 else None
    except OSError:
        pass
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            info["mem_total_kb"] = int(next(line for line in f if line.startswith("MemTotal")).split()[1])
    except (OSError, StopIteration):
        pass
    info["versions"] = versions()
    info["threads"] = {"numba_default": _numba_threads(), "RAYON_NUM_THREADS": os.environ.get("RAYON_NUM_THREADS"),
                       "NUMBA_NUM_THREADS": os.environ.get("NUMBA_NUM_THREADS"),
                       "rayon_default": "one worker per CPU (std::thread::available_parallelism)"}
    return info


def _numba_threads():
    try:
        import numba

        return numba.config.NUMBA_NUM_THREADS
    except ImportError:
        return None


def versions() -> dict:
    from importlib import metadata

    out = {}
    for dist in ("near-dups", "gaoya", "rensa", "datasketch", "numba", "numpy", "xxhash", "pytest-benchmark"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    try:
        root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        rev = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=root, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "dedup"], capture_output=True, text=True,
                               cwd=root, timeout=10)
        out["near-dups commit"] = rev.stdout.strip()[:12] + (" (dedup/ dirty)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def on_threads(k: int, fn: Callable) -> Callable:
    """``fn`` run on ``k`` numba threads (at most every core), the previous count given back after."""
    def run(*args):
        from dedup._core._threads import numba_threads  # the package's one thread-count context manager

        with numba_threads(k):
            return fn(*args)

    return run


def interleave(contenders: dict[str, Callable], texts: Sequence[str], reps: int,
               warmup: dict[str, int | None] | None = None, back_to_back: int = 1) -> dict:
    """Run each contender ``back_to_back`` times per round, ``reps`` rounds, interleaved; see the module docstring.

    ``warmup``: documents of the untimed warm-up call per contender (None = all).
    Returns ``{"rounds": [...], "calls": {name: [...]}, "first_calls": {name: [...]},
    "results": {name: last result}, "stable": {name: bool}, "warmup": {name: {...}}}``:
    ``calls`` holds the last of each round's back-to-back calls, ``first_calls``
    the first (the same when ``back_to_back`` is 1).
    """
    warmup = warmup or {}
    out: dict = {"rounds": [], "calls": {k: [] for k in contenders}, "first_calls": {k: [] for k in contenders},
                 "results": {}, "stable": {}, "warmup": {}, "back_to_back": back_to_back}
    for name, run in contenders.items():
        n = warmup.get(name)
        gc.collect()
        before = os_threads()
        t = time.perf_counter()
        run(list(texts[:n]) if n else texts)
        out["warmup"][name] = {"docs": n or len(texts), "s": round(time.perf_counter() - t, 4),
                               "os_threads_before": before, "os_threads_after": os_threads()}
    for r in range(reps):
        rnd = {"round": r, "load_before": loadavg()}
        for name, run in contenders.items():
            for call in range(back_to_back):
                gc.collect()
                t, c = time.perf_counter(), time.process_time()
                res = run(texts)
                wall, cpu = time.perf_counter() - t, time.process_time() - c
                timing = {"wall_s": round(wall, 5), "cpu_s": round(cpu, 5)}
                if call == 0:
                    out["first_calls"][name].append(timing)
                if call == back_to_back - 1:
                    out["calls"][name].append(timing)
                prev = out["results"].get(name)
                if prev is not None:
                    out["stable"][name] = out["stable"].get(name, True) and _same(prev, res)
                out["results"][name] = res
        rnd["load_after"] = loadavg()
        out["rounds"].append(rnd)
    return out


def _same(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys()
    return a == b
