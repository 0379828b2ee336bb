"""Progress and a summary of a long run: time per stage, peak memory, disk used.

``Stats(progress=True)`` draws a tqdm bar per stage on standard error, with
its rate and, when the total is known, its ETA; ``summary()`` returns the
figures as a dict (``Index.stats``) and prints them in one line when
progress is shown.
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time


def peak_rss() -> int:
    """Peak resident memory of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class Stats:
    def __init__(self, progress: bool = False):
        self.progress = progress
        self.times: dict[str, float] = {}
        self.start = time.perf_counter()

    @contextlib.contextmanager
    def stage(self, name: str, total: int | None = None):
        """Time the block as stage ``name``; yields ``advance(docs, chars)`` for its progress bar."""
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=total, desc=name, unit="char", unit_scale=True, file=sys.stderr, leave=False,
                       dynamic_ncols=True)
        t = time.perf_counter()

        def advance(docs: int, chars: int) -> None:
            if bar is not None:
                bar.update(chars)

        try:
            yield advance
        finally:
            self.times[name] = self.times.get(name, 0.0) + time.perf_counter() - t
            if bar is not None:
                bar.close()

    def summary(self, **extra) -> dict:
        out = {"seconds": dict(self.times), "total_seconds": time.perf_counter() - self.start,
               "peak_rss": peak_rss(), **{k: v for k, v in extra.items() if v is not None}}
        if self.progress:
            parts = ", ".join(f"{k} {v:.2f} s" for k, v in self.times.items())
            disk = out.get("disk", 0)
            print(f"near-dups: {parts}; peak memory {out['peak_rss'] / 2**30:.2f} GiB"
                  + (f", disk {disk / 2**30:.2f} GiB" if disk else ""), file=sys.stderr)
        return out
