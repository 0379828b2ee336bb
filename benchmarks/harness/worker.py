"""One contender's end-to-end run in a fresh process, for cold start and peak memory.

    python -m benchmarks.harness.worker CONTENDER [--corpus newsgroups] [--limit N]
                                 [--warmup N] [--repeat K]

Prints one JSON object on stdout:

* ``import_s``: importing the contender's library (dedup: numba, numpy, ...);
* ``load_s``: reading the corpus;
* ``warmup_s``: the optional warm-up call on the first ``--warmup`` docs;
* ``calls_s``: each of ``--repeat`` end-to-end calls on the corpus, in order,
  so ``calls_s[0]`` of a run without warm-up is the cold first call;
* ``pairs``: pairs found by the last call;
* memory, in KiB, from ``/proc/self/status`` (Linux): ``hwm_kb_before`` is
  the resident high-water mark (VmHWM) after imports, corpus and warm-up,
  ``rss_kb_before`` the resident size (VmRSS) then; the high-water mark is
  then reset (``echo 5 > /proc/self/clear_refs``) so ``hwm_kb_run`` is the
  peak during the timed calls alone, and ``hwm_kb_peak`` the peak of the
  whole process.

Why not ``ru_maxrss``: Linux keeps a process's ``ru_maxrss`` across
``fork``+``exec`` at no less than the parent's resident size at the fork
(``signal->maxrss`` is set from the forked copy of the parent's memory), so a
child of a pytest process holding the corpora reports the parent's size, not
its own. VmHWM belongs to the child's own address space, created at ``exec``.

Numba's cache directory is whatever ``NUMBA_CACHE_DIR`` says in the
environment the parent gives; the cold-start benchmark points it at an empty
directory so every kernel compiles, without touching the package's own cache.
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

_LIBRARY = {"dedup": "dedup", "near-dups": "dedup", "datasketch": "datasketch", "rensa": "rensa",
            "gaoya": "gaoya.minhash"}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("contender")
    p.add_argument("--corpus", default="newsgroups")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1)
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    __import__(_LIBRARY[args.contender.split("@")[0]])
    from benchmarks.harness.peers import CONTENDERS

    t1 = time.perf_counter()
    from benchmarks.harness.corpus import load

    texts = list(load(args.corpus, limit=args.limit).texts)
    t2 = time.perf_counter()
    run = CONTENDERS[args.contender][0]
    warmup_s = None
    if args.warmup:
        run(texts[: args.warmup])
        warmup_s = time.perf_counter() - t2
    hwm_before, rss_before = _memory_kb()
    reset = _reset_hwm()
    calls = []
    pairs = {}
    cpu = []
    for _ in range(args.repeat):
        t, c = time.perf_counter(), time.process_time()
        pairs = run(texts)
        calls.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    hwm_run, _ = _memory_kb()
    print(json.dumps({
        "contender": args.contender, "docs": len(texts), "import_s": t1 - t0, "load_s": t2 - t1,
        "warmup_s": warmup_s, "calls_s": calls, "cpu_s": cpu, "pairs": pairs if isinstance(pairs, int) else len(pairs),
        "hwm_kb_before": hwm_before, "rss_kb_before": rss_before,
        "hwm_kb_run": hwm_run if reset else None, "hwm_kb_peak": max(hwm_before, hwm_run),
    }))
    return 0


def _memory_kb() -> tuple[int, int]:
    """(VmHWM, VmRSS) of this process in KiB; ``ru_maxrss`` twice where /proc is missing."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            fields = dict(line.split(":", 1) for line in f if line.startswith(("VmHWM", "VmRSS")))
        return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak, peak


def _reset_hwm() -> bool:
    """Reset VmHWM to the current resident size (Linux >= 4.0); False if not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def run_worker(contender: str, *args: str, env: dict | None = None) -> dict:
    """Run this script in a child process; return its JSON plus ``wall_s``.

    Also ``ru_maxrss_kb_wait4``, the child's ``ru_maxrss`` from ``os.wait4``,
    kept only to show the fork inheritance described above (it is never less
    than this process's resident size).
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "benchmarks.harness.worker", contender, *args],
                                stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)  # reap it ourselves to get its own rusage
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode:
        raise RuntimeError(f"worker {contender} {args} failed ({proc.returncode}):\n{stderr[-3000:]}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result.update(wall_s=wall, ru_maxrss_kb_wait4=usage.ru_maxrss)
    return result


if __name__ == "__main__":
    sys.exit(main())
