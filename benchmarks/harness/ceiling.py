"""What two threads can give on this machine at the moment: control kernels run in the same rounds.

Two numba kernels with no memory traffic beyond a few registers, split in
64 equal tasks that threads take as they finish (``parallel_chunksize(1)``,
as near-dups' own kernels do):

* ``alu``: eight independent shift-xor-add chains per task, the kind of
  work that keeps a core's integer units busy (near-dups' shingle kernel is
  such work: table lookups, hashes and sorts);
* ``latency``: one multiply-xor chain per task, each step waiting on the
  last, which leaves a core's units mostly idle.

On one core of its own, each runs twice as fast on two threads as on one.
When the two vCPUs of a guest share physical cores with each other or with
other guests' work (SMT siblings on the host, which the guest's ``lscpu``
does not show), ``alu`` loses more than ``latency``: the units it needs are
the ones a sibling takes. Run beside near-dups in ``test_threads.py``, their
speed-ups are a reference for what the machine offered in the same rounds
(not a strict bound: a round whose one-thread call was itself slowed gives
more than 2x); a target such as "two threads >= 1.8x one" is read beside it.
"""

from __future__ import annotations

import numba
import numpy as np
from benchmarks.harness.protocol import on_threads
from numba import njit, prange

TASKS = 64


@njit(cache=True, parallel=True, nogil=True)
def _alu(tasks, steps):
    out = np.zeros(tasks, dtype=np.uint64)
    for t in prange(tasks):
        a = np.uint64(t) + np.uint64(1)
        b, c, d = a + np.uint64(3), a + np.uint64(5), a + np.uint64(7)
        e, f, g, h = a + np.uint64(9), a + np.uint64(11), a + np.uint64(13), a + np.uint64(15)
        for i in range(steps):
            u = np.uint64(i)
            a = (a ^ (a >> np.uint64(7))) + u
            b = (b ^ (b >> np.uint64(9))) + u
            c = (c ^ (c >> np.uint64(11))) + u
            d = (d ^ (d >> np.uint64(13))) + u
            e = (e ^ (e << np.uint64(7))) + u
            f = (f ^ (f << np.uint64(9))) + u
            g = (g ^ (g << np.uint64(11))) + u
            h = (h ^ (h << np.uint64(13))) + u
        out[t] = a ^ b ^ c ^ d ^ e ^ f ^ g ^ h
    return out


@njit(cache=True, parallel=True, nogil=True)
def _latency(tasks, steps):
    out = np.zeros(tasks, dtype=np.uint64)
    for t in prange(tasks):
        x = np.uint64(t) + np.uint64(1)
        for i in range(steps):
            x = x * np.uint64(0x9E3779B97F4A7C15) + np.uint64(i)
            x ^= x >> np.uint64(29)
        out[t] = x
    return out


KERNELS = {"alu": _alu, "latency": _latency}
#: Steps per task: about 0.25 s a call on one thread of this machine's EPYC.
STEPS = {"alu": 1_600_000, "latency": 2_400_000}


def control(kind: str, threads: int):
    """A contender for ``protocol.interleave``: ``kind``'s kernel on ``threads`` threads (the texts are ignored).

    Returns a digest of the kernel's output, so ``interleave`` can check that
    every round computed the same thing.
    """
    kernel, steps = KERNELS[kind], STEPS[kind]

    def run(_texts):
        with numba.parallel_chunksize(1):
            return int(np.bitwise_xor.reduce(kernel(TASKS, steps)))

    return on_threads(threads, run)
