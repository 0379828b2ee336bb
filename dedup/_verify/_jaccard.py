"""Exact Jaccard of CSR rows by sorted merge: the verification step.

Every score near-dups reports comes from here: ``|A & B| / |A | B|`` over the
sorted unique shingle hashes of the two rows, counted in int64 (pynndescent's
narrower counters overflow on long documents).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._core._types import JACCARD_CROSS, fixed


@njit(cache=True, inline="always")
def _intersection(values, a0, a1, other, b0, b1):
    n = 0
    while a0 < a1 and b0 < b1:
        x = values[a0]
        y = other[b0]
        if x == y:
            n += 1
            a0 += 1
            b0 += 1
        elif x < y:
            a0 += 1
        else:
            b0 += 1
    return n


@njit(cache=True, inline="always")
def _score(inter, na, nb):
    union = na + nb - inter
    if union == 0:
        return 0.0
    return inter / union


@njit(cache=True, inline="always")
def pair_score(indptr, values, x, y, threshold):
    """Exact Jaccard of rows ``x`` and ``y`` of one CSR; -1.0 when their sizes alone put it below ``threshold``."""
    a0 = indptr[x]
    a1 = indptr[x + 1]
    b0 = indptr[y]
    b1 = indptr[y + 1]
    na = a1 - a0
    nb = b1 - b0
    if min(na, nb) < threshold * max(na, nb):
        return -1.0
    return _score(_intersection(values, a0, a1, values, b0, b1), na, nb)


def jaccard_cross(qindptr, qvalues, qi, indptr, values, j, threshold):
    """Exact Jaccard of row ``qi[p]`` of one CSR with row ``j[p]`` of another, for every ``p``.

    Parameters
    ----------
    qindptr, qvalues : CSR of the left rows (sorted unique uint64 per row).
    qi : int64 array, shape (m,), left row numbers.
    indptr, values : CSR of the right rows.
    j : int64 array, shape (m,), right row numbers.
    threshold : float; a pair whose size ratio ``min/max`` is below it cannot
        reach it (``J <= min/max``) and gets ``-1.0`` without a merge.
        Pass 0.0 to score every pair.

    Returns
    -------
    float64 array, shape (m,). Two empty rows score 0.0.
    """
    return fixed(_jaccard_cross, JACCARD_CROSS)(qindptr, qvalues, qi, indptr, values, j, threshold)


@njit(cache=True, parallel=True)  # JACCARD_CROSS alone (``fixed``)
def _jaccard_cross(qindptr, qvalues, qi, indptr, values, j, threshold):
    """``jaccard_cross``'s kernel."""
    m = qi.shape[0]
    out = np.empty(m, dtype=np.float64)
    for p in prange(m):
        a0 = qindptr[qi[p]]
        a1 = qindptr[qi[p] + 1]
        b0 = indptr[j[p]]
        b1 = indptr[j[p] + 1]
        na = a1 - a0
        nb = b1 - b0
        if min(na, nb) < threshold * max(na, nb):
            out[p] = -1.0
            continue
        out[p] = _score(_intersection(qvalues, a0, a1, values, b0, b1), na, nb)
    return out


def jaccard_pairs(indptr, values, i, j, threshold):
    """``jaccard_cross`` of rows ``i[p]`` and ``j[p]`` of the same CSR: the verification step."""
    return jaccard_cross(indptr, values, i, indptr, values, j, threshold)
