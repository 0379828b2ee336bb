"""Candidate pairs: seed hits grouped by pair of documents, kept where the seeds of a passage cluster.

    hits (doc a < doc b, position in a, position in b), from ``_seeds``
        --counting sort by doc a, then each bucket by (doc b, position in a, in b)-->
        --_support--> a hit counts when ``min_seeds`` hits of its pair (itself included) lie
                      within ``window`` words of it in a and within ``band`` of its diagonal
        --candidate_pairs--> pairs with counted hits, and those hits in order (``Hits``)

The support rule keeps the seeds of one passage and drops n-grams two
documents share by chance: on 20 Newsgroups, pairs sharing two scattered
4-grams are half of all pairs with two, and 5 % of them share a passage.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange


class Hits(NamedTuple):
    """Seed hits grouped into candidate pairs.

    ``pair_a < pair_b`` are document positions; the hits of pair ``k`` are
    ``hptr[k]:hptr[k+1]``, sorted by position in ``a`` (then in ``b``):
    ``pos_a``/``pos_b`` are token positions of the n-gram in each document.
    """

    pair_a: np.ndarray
    pair_b: np.ndarray
    hptr: np.ndarray
    pos_a: np.ndarray
    pos_b: np.ndarray



@njit(cache=True)
def _count_first(da, n_docs):
    ptr = np.zeros(n_docs + 1, dtype=np.int64)
    for i in range(da.shape[0]):
        ptr[da[i] + 1] += 1
    for d in range(n_docs):
        ptr[d + 1] += ptr[d]
    return ptr


@njit(cache=True)
def _scatter_first(da, ptr):
    pos = ptr[:-1].copy()
    order = np.empty(da.shape[0], dtype=np.int64)
    for i in range(da.shape[0]):
        order[pos[da[i]]] = i
        pos[da[i]] += 1
    return order


@njit(cache=True, parallel=True)
def _sort_within(ptr, order, db, pa, pb, bits_a, bits_b, out_b, out_pa, out_pb, n_pairs):
    """Sort the hits of each first document by (b, position in a, position in b); count pairs.

    The three values are packed into one uint64 key when they fit
    (``bits_a + bits_b`` bits for the positions), else sorted by index.
    """
    packed = bits_a + bits_b + 32 <= 64
    sa = np.uint64(bits_b)
    sd = np.uint64(bits_a + bits_b)
    ma = (np.uint64(1) << np.uint64(bits_a)) - np.uint64(1)
    mb = (np.uint64(1) << np.uint64(bits_b)) - np.uint64(1)
    for d in prange(ptr.shape[0] - 1):
        lo = ptr[d]
        hi = ptr[d + 1]
        k = hi - lo
        if k == 0:
            n_pairs[d + 1] = 0
            continue
        if packed:
            key = np.empty(k, dtype=np.uint64)
            for i in range(k):
                h = order[lo + i]
                key[i] = (np.uint64(db[h]) << sd) | (np.uint64(pa[h]) << sa) | np.uint64(pb[h])
            key.sort()
            for i in range(k):
                out_b[lo + i] = np.int32(key[i] >> sd)
                out_pa[lo + i] = np.int32((key[i] >> sa) & ma)
                out_pb[lo + i] = np.int32(key[i] & mb)
        else:
            wide = np.empty(k, dtype=np.int64)
            for i in range(k):
                h = order[lo + i]
                wide[i] = (np.int64(db[h]) << 32) | np.int64(pa[h])
            idx = np.argsort(wide, kind="mergesort")  # ties (same n-gram position in a) keep b's order
            for i in range(k):
                h = order[lo + idx[i]]
                out_b[lo + i] = db[h]
                out_pa[lo + i] = pa[h]
                out_pb[lo + i] = pb[h]
        runs = 1
        for i in range(lo + 1, hi):
            runs += out_b[i] != out_b[i - 1]
        n_pairs[d + 1] = runs


@njit(cache=True)
def _support(pa, pb, lo, hi, window, band, min_seeds, ok):
    """Mark in ``ok`` the hits ``lo:hi`` (sorted by ``pa``) with ``min_seeds`` hits of one diagonal band in a window.

    A hit is kept when it and at least ``min_seeds - 1`` others lie within
    ``window`` words of it in ``a`` and within ``band`` of its diagonal
    (``pb - pa``): the seeds of one passage, not n-grams two documents share
    by chance. Returns how many were kept.
    """
    kept = 0
    for k in range(lo, hi):
        if min_seeds <= 1:
            ok[k] = True
            kept += 1
            continue
        dk = np.int64(pb[k]) - np.int64(pa[k])
        n = 1
        j = k - 1
        while j >= lo and pa[k] - pa[j] <= window and n < min_seeds:
            if abs(np.int64(pb[j]) - np.int64(pa[j]) - dk) <= band:
                n += 1
            j -= 1
        j = k + 1
        while j < hi and pa[j] - pa[k] <= window and n < min_seeds:
            if abs(np.int64(pb[j]) - np.int64(pa[j]) - dk) <= band:
                n += 1
            j += 1
        ok[k] = n >= min_seeds
        kept += ok[k]
    return kept


@njit(cache=True, parallel=True)
def _pairs(ptr, out_b, out_pa, out_pb, pair_ptr, window, band, min_seeds, ok, pa_out, pb_out, kept_out):
    for d in prange(ptr.shape[0] - 1):
        p = pair_ptr[d]
        i = ptr[d]
        hi = ptr[d + 1]
        while i < hi:
            j = i + 1
            while j < hi and out_b[j] == out_b[i]:
                j += 1
            pa_out[p] = d
            pb_out[p] = out_b[i]
            kept_out[p] = _support(out_pa, out_pb, i, j, window, band, min_seeds, ok)
            p += 1
            i = j


def candidate_pairs(da, db, pa, pb, tptr, *, min_seeds: int, window: int, band: int) -> Hits:
    """Group hits (int32 arrays, ``da < db``) by pair of documents; keep the pairs with supported hits."""
    n_docs = tptr.shape[0] - 1
    total = da.shape[0]
    ptr = _count_first(da, n_docs)
    order = _scatter_first(da, ptr)
    sb, spa, spb = (np.empty(total, dtype=np.int32) for _ in range(3))
    n_pairs = np.zeros(n_docs + 1, dtype=np.int64)
    bits = max(1, int(np.diff(tptr).max(initial=1)).bit_length())
    _sort_within(ptr, order, db, pa, pb, bits, bits, sb, spa, spb, n_pairs)
    del order
    np.cumsum(n_pairs, out=n_pairs)
    m = int(n_pairs[-1])
    pair_a, pair_b, kept = (np.empty(m, dtype=np.int64) for _ in range(3))
    ok = np.zeros(total, dtype=np.bool_)
    _pairs(ptr, sb, spa, spb, n_pairs, window, band, min_seeds, ok, pair_a, pair_b, kept)
    cand = kept > 0
    hptr = np.zeros(int(cand.sum()) + 1, dtype=np.int64)
    np.cumsum(kept[cand], out=hptr[1:])
    return Hits(pair_a[cand], pair_b[cand], hptr, spa[ok], spb[ok])
