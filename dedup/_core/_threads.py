"""How many threads numba's parallel kernels use, set for a block and given back after."""

from __future__ import annotations

import contextlib

import numba

__all__ = ["numba_threads"]


@contextlib.contextmanager
def numba_threads(n: int | None):
    """Run the enclosed numba kernels on at most ``n`` threads (at most every core); None changes nothing.

    ``numba.set_num_threads`` applies to the calling thread only, so this
    does not affect other threads of the process (a Dask worker's other
    tasks, a reader thread); the previous count is given back on exit.
    """
    if n is None:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
    try:
        yield
    finally:
        numba.set_num_threads(before)
