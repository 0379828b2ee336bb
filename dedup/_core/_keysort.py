"""A parallel sort of uniformly distributed 64-bit keys (n-gram keys: hash prefixes in the high bits).

A counting sort on the top bits into about 256 keys per bucket, in
parallel over chunks, then every bucket sorted by ``_arrays.sort_uniform``
(itself a counting sort and an insertion pass): linear time, no comparison
sort of the whole array.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from ._arrays import sort_uniform


@njit(cache=True)
def _bucket_counts(keys, lo, hi, top, counts):
    shift = np.uint64(64 - top)
    for i in range(lo, hi):
        counts[keys[i] >> shift] += 1


@njit(cache=True, parallel=True)
def partition(keys, top, n_chunks, out):
    """Counting sort of ``keys`` on their ``top`` high bits, in parallel; return bucket starts."""
    n = keys.shape[0]
    m = 1 << top
    counts = np.zeros((n_chunks, m), dtype=np.int64)
    for c in prange(n_chunks):
        _bucket_counts(keys, c * n // n_chunks, (c + 1) * n // n_chunks, top, counts[c])
    starts = np.zeros(m + 1, dtype=np.int64)
    pos = np.empty((n_chunks, m), dtype=np.int64)
    total = 0
    for b in range(m):
        starts[b] = total
        for c in range(n_chunks):
            pos[c, b] = total
            total += counts[c, b]
    starts[m] = total
    shift = np.uint64(64 - top)
    for c in prange(n_chunks):
        p = pos[c]
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            b = keys[i] >> shift
            out[p[b]] = keys[i]
            p[b] += 1
    return starts


@njit(cache=True, parallel=True)
def _sort_buckets(keys, starts, top, n_tasks):
    """Sort every bucket: its keys share their ``top`` high bits, so they are sorted shifted left by them."""
    m = starts.shape[0] - 1
    up = np.uint64(top)
    down = np.uint64(64 - top)
    for t in prange(n_tasks):
        lo = t * m // n_tasks
        hi = (t + 1) * m // n_tasks
        longest = 0
        for b in range(lo, hi):
            longest = max(longest, starts[b + 1] - starts[b])
        tmp = np.empty(longest, dtype=np.uint64)
        for b in range(lo, hi):
            row = keys[starts[b] : starts[b + 1]]
            prefix = np.uint64(b) << down
            for i in range(row.shape[0]):
                row[i] <<= up
            sort_uniform(row, tmp)
            for i in range(row.shape[0]):
                row[i] = (row[i] >> up) | prefix


def sort_keys(keys: np.ndarray) -> np.ndarray:
    """``keys`` sorted ascending: a parallel counting sort on the top bits, then each bucket sorted.

    Keys are hash prefixes in their high bits, so buckets are even and a
    bucket's keys are uniform in their remaining bits, which
    ``_arrays.sort_uniform`` sorts in about linear time.
    """
    n = keys.shape[0]
    out = np.empty_like(keys)
    if n == 0:
        return out
    top = max(1, min(24, (n >> 8).bit_length()))  # ~256 keys per bucket
    n_chunks = max(1, min(numba.get_num_threads() * 4, n // 65536 + 1))
    starts = partition(keys, top, n_chunks, out)
    _sort_buckets(out, starts, top, max(1, min(starts.shape[0] - 1, numba.get_num_threads() * 16)))
    return out
