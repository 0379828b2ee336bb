"""CPU time beside wall time: a contention-robust second opinion.

On a shared machine other processes take cores away and wall time grows; the
CPU seconds a process spends (``time.process_time``, all its threads) grow
far less. ``cpu_timed`` wraps a benchmark target so each round's CPU seconds
land in ``benchmark.extra_info["cpu_s"]``; ``plot_ladder.py`` shows their median.
For multi-threaded dedup the CPU time sums both threads (and any spin-wait of
idle worker threads), so its CPU ratio against a single-threaded peer is a
conservative one.
"""

from __future__ import annotations

import time


def cpu_timed(benchmark, fn):
    """``fn`` wrapped to append its CPU seconds to ``benchmark.extra_info["cpu_s"]``."""
    rounds = benchmark.extra_info.setdefault("cpu_s", [])

    def wrapped(*args, **kwargs):
        t = time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            rounds.append(round(time.process_time() - t, 4))

    return wrapped
