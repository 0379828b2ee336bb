"""Kernels of the Dask engine: plain arrays in, plain arrays out.

Positions here are *global positions* packed in an int64:
``partition << 32 | row``, so they sort in input order without knowing how
long the earlier partitions are.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def bucket_pairs(band, key, pos):
    """Every pair of positions that share a ``(band, key)`` bucket.

    Parameters
    ----------
    band : int64 (m,); key : uint64 (m,); pos : int64 (m,)
        Sorted by ``(band, key, pos)``.

    Returns
    -------
    a, b : int64 arrays with ``a < b`` (a pair repeats if it shares several
        buckets; the verification stage drops repeats).
    """
    m = pos.shape[0]
    total = 0
    x = 0
    while x < m:
        y = x + 1
        while y < m and key[y] == key[x] and band[y] == band[x]:
            y += 1
        total += (y - x) * (y - x - 1) // 2
        x = y
    a = np.empty(total, dtype=np.int64)
    b = np.empty(total, dtype=np.int64)
    o = 0
    x = 0
    while x < m:
        y = x + 1
        while y < m and key[y] == key[x] and band[y] == band[x]:
            y += 1
        for p in range(x, y):
            for q in range(p + 1, y):
                a[o] = pos[p]
                b[o] = pos[q]
                o += 1
        x = y
    return a, b


@njit(cache=True)
def group_first(group, pos):
    """For rows sorted by ``(group, pos)``: the first ``pos`` of each row's group."""
    m = pos.shape[0]
    out = np.empty(m, dtype=np.int64)
    first = 0
    for x in range(m):
        if x == 0 or group[x] != group[x - 1]:
            first = pos[x]
        out[x] = first
    return out
