"""Peak memory of a run: the anonymous resident set, sampled on a thread."""

from __future__ import annotations

import threading

__all__ = ["Sampler"]


class Sampler:
    """Peak anonymous RSS (``RssAnon`` of /proc/self/status), sampled every 50 ms on a thread."""

    def __init__(self):
        self.peak = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def read(self) -> int:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1]) * 1024
        return 0

    def run(self):
        while not self.stop.wait(0.05):
            self.peak = max(self.peak, self.read())

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()
        self.peak = max(self.peak, self.read())
