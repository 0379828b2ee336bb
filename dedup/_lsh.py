"""LSH banding: signatures -> band keys -> candidate pairs.

A signature of ``bands * rows`` MinHash values is cut into ``bands`` bands of
``rows`` values; two documents become a candidate pair when all ``rows``
values of at least one band agree. For a pair of Jaccard similarity ``s`` that
happens with probability ``1 - (1 - s**rows)**bands`` (the S-curve; Leskovec,
Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3.4).

Buckets are found by sorting each band's keys (numpy ``argsort``), never with a
Python dict per document.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._hashing import combine
from ._minhash import EMPTY
from ._shingle import sort_uniform

_BAND_SEED = np.uint64(0x62616E646B657921)  # "bandkey!"


def unique(a):
    """``np.unique(a)`` for a 1-d array: sort, then keep the first of each run.

    NumPy 2.4's ``np.unique`` takes 40x longer than this on uint64 (0.25 s
    vs 7 ms for 400k values), and candidate pairs are packed into uint64.
    """
    s = np.sort(a)
    if s.shape[0] < 2:
        return s
    keep = np.empty(s.shape[0], dtype=np.bool_)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def s_curve(similarity, bands: int, rows: int):
    """Probability that a pair of Jaccard ``similarity`` becomes a candidate.

    ``1 - (1 - s**rows)**bands``; ``similarity`` may be a float or an array.

    >>> round(float(s_curve(0.8, 21, 6)), 4)
    0.9983
    """
    s = np.asarray(similarity, dtype=np.float64)
    return 1.0 - (1.0 - s**rows) ** bands


def _false_positive_area(threshold: float, bands: int, rows: int) -> float:
    """Integral of the S-curve over [0, threshold): expected spurious candidates."""
    xs = np.linspace(0.0, threshold, 257)
    ys = s_curve(xs, bands, rows)
    return float(np.sum((ys[1:] + ys[:-1]) * 0.5) * (xs[1] - xs[0]))


def choose_bands(threshold: float, num_perm: int, min_prob: float) -> tuple[int, int]:
    """Pick ``(bands, rows)`` with ``bands * rows <= num_perm``.

    Among the choices whose candidate probability at ``threshold`` is at least
    ``min_prob``, take the one with the least false-positive area below the
    threshold (fewest spurious candidates to verify). If none reaches
    ``min_prob`` (too few permutations), take the one with the highest
    probability at the threshold.

    >>> choose_bands(0.8, 128, 0.99)
    (21, 6)
    """
    best = None
    fallback = None
    for rows in range(1, num_perm + 1):
        bands = num_perm // rows
        p = float(s_curve(threshold, bands, rows))
        if fallback is None or p > fallback[0] + 1e-12:
            fallback = (p, bands, rows)
        if p >= min_prob:
            area = _false_positive_area(threshold, bands, rows)
            if best is None or area < best[0] - 1e-15:
                best = (area, bands, rows)
    if best is not None:
        return best[1], best[2]
    return fallback[1], fallback[2]


@njit(cache=True, parallel=True)
def band_keys(sig, bands, rows):
    """Hash each band of each signature to one uint64 key.

    Parameters
    ----------
    sig : uint64 array, shape (n, num_perm)
    bands, rows : ints with ``bands * rows <= num_perm``

    Returns
    -------
    uint64 array, shape (bands, n): band-major, so each band sorts contiguously.
    """
    n = sig.shape[0]
    out = np.empty((bands, n), dtype=np.uint64)
    for d in prange(n):
        for b in range(bands):
            h = _BAND_SEED
            for r in range(b * rows, (b + 1) * rows):
                h = combine(h, sig[d, r])
            out[b, d] = h
    return out


@njit(cache=True, parallel=True)
def signature_keys(indptr, values, select, a, b, bands, rows):
    """``band_keys(signatures(...), bands, rows)`` of the CSR rows ``select``, fused.

    The MinHash signature of a row lives in a small scratch array and goes
    straight to its band keys, so the (n, num_perm) signature matrix is never
    written to memory (160 MB for 300k rows); the loops are those of
    ``_minhash.signatures`` and ``band_keys``, so the keys are identical.

    Parameters
    ----------
    indptr, values : CSR of sorted unique shingles.
    select : int64 array, shape (n,): the rows to key, in output order.
    a, b : from ``_minhash.permutations``, at least ``bands * rows`` long.

    Returns
    -------
    uint64 array, shape (bands, n).
    """
    n = select.shape[0]
    k = bands * rows
    out = np.empty((bands, n), dtype=np.uint64)
    for c in prange((n + 255) // 256):
        sig = np.empty(k, dtype=np.uint64)
        for d in range(c * 256, min(n, c * 256 + 256)):
            row = values[indptr[select[d]] : indptr[select[d] + 1]]
            for p in range(k):  # permutation-outer: see _minhash.signatures
                ap = a[p]
                bp = b[p]
                m = EMPTY
                for s in range(row.shape[0]):
                    m = min(m, ap * row[s] + bp)
                sig[p] = m
            for band in range(bands):
                h = _BAND_SEED
                for r in range(band * rows, (band + 1) * rows):
                    h = combine(h, sig[r])
                out[band, d] = h
    return out


def sort_bands(keys):
    """Per band, the order that sorts its keys and the sorted keys.

    Returns ``(order, sorted_keys)``, both shape (bands, n); ``order`` is int64.
    The order of equal keys is unspecified (but the same for the same input):
    buckets are sets, and everything built on them (candidate pairs, lookups)
    is order-free. numpy's introsort is 2.8x faster than its stable sort here.
    """
    order = np.argsort(keys, axis=1)
    return order, np.take_along_axis(keys, order, axis=1)


def merge_bands(order, sorted_keys, new_keys):
    """``sort_bands`` of old columns followed by new ones, reusing the old sort.

    Parameters
    ----------
    order, sorted_keys : shape (bands, m), from ``sort_bands`` of the old keys.
    new_keys : shape (bands, k), keys of k columns appended after the old m.

    Returns what ``sort_bands`` of all m + k columns returns, up to the
    order of equal keys (which nothing depends on). numpy's stable sort is a
    timsort, which merges the two sorted runs in linear time.
    """
    m = order.shape[1]
    new_order, new_sorted = sort_bands(new_keys)
    keys = np.concatenate([sorted_keys, new_sorted], axis=1)
    cols = np.concatenate([order, new_order + m], axis=1)
    perm = np.argsort(keys, axis=1, kind="stable")
    return np.take_along_axis(cols, perm, axis=1), np.take_along_axis(keys, perm, axis=1)


@njit(cache=True)
def _count_bucket_pairs(sorted_keys):
    total = 0
    n = sorted_keys.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and sorted_keys[j] == sorted_keys[i]:
            j += 1
        m = j - i
        total += m * (m - 1) // 2
        i = j
    return total


@njit(cache=True)
def _emit_bucket_pairs(sorted_keys, order, members, out, o):
    n = sorted_keys.shape[0]
    i = 0
    while i < n:
        j = i + 1
        while j < n and sorted_keys[j] == sorted_keys[i]:
            j += 1
        for x in range(i, j):
            for y in range(x + 1, j):
                a = members[order[x]]
                b = members[order[y]]
                if a > b:
                    a, b = b, a
                out[o] = (np.uint64(a) << np.uint64(32)) | np.uint64(b)
                o += 1
        i = j
    return o


def candidate_pairs(order, sorted_keys, members):
    """All pairs that share a bucket in at least one band.

    Parameters
    ----------
    order, sorted_keys : from ``sort_bands``, shape (bands, m).
    members : int64 array, shape (m,): the document number of each column.

    Returns
    -------
    i, j : int64 arrays of document numbers with ``i < j``, sorted by (i, j)
        and unique. Document numbers must be below 2**32.
    """
    counts = [_count_bucket_pairs(sorted_keys[b]) for b in range(sorted_keys.shape[0])]
    packed = np.empty(int(sum(counts)), dtype=np.uint64)
    o = 0
    for b in range(sorted_keys.shape[0]):
        o = _emit_bucket_pairs(sorted_keys[b], order[b], members, packed, o)
    packed = unique(packed)
    return (packed >> np.uint64(32)).astype(np.int64), (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)



@njit(cache=True, parallel=True)
def _packed_sorted(keys, bits):
    """Per band, ``(key with its low ``bits`` bits replaced by the column)``, sorted."""
    bands, n = keys.shape
    low = np.uint64((1 << bits) - 1)
    out = np.empty((bands, n), dtype=np.uint64)
    for b in prange(bands):
        row = out[b]
        for i in range(n):
            row[i] = (keys[b, i] & ~low) | np.uint64(i)
        sort_uniform(row, np.empty(n, dtype=np.uint64))
    return out


@njit(cache=True)
def _packed_runs(row, bits, members, out, o, write):
    """Pairs of columns whose packed values agree above ``bits``; count them, or write them from ``o``."""
    n = row.shape[0]
    low = np.uint64((1 << bits) - 1)
    shift = np.uint64(bits)
    total = 0
    i = 0
    while i < n:
        j = i + 1
        while j < n and (row[j] >> shift) == (row[i] >> shift):
            j += 1
        if write:
            for x in range(i, j):
                for y in range(x + 1, j):
                    a = members[np.int64(row[x] & low)]
                    b = members[np.int64(row[y] & low)]
                    if a > b:
                        a, b = b, a
                    out[o + total] = (np.uint64(a) << np.uint64(32)) | np.uint64(b)
                    total += 1
        else:
            total += (j - i) * (j - i - 1) // 2
        i = j
    return total


@njit(cache=True, parallel=True)
def _bucket_pairs(packed, bits, members):
    bands = packed.shape[0]
    counts = np.zeros(bands + 1, dtype=np.int64)
    dummy = np.empty(0, dtype=np.uint64)
    for b in prange(bands):
        counts[b + 1] = _packed_runs(packed[b], bits, members, dummy, 0, False)
    for b in range(bands):
        counts[b + 1] += counts[b]
    out = np.empty(counts[bands], dtype=np.uint64)
    for b in prange(bands):
        _packed_runs(packed[b], bits, members, out, counts[b], True)
    return out


def bucket_pairs(keys, members):
    """``candidate_pairs`` straight from band keys, without an argsort.

    Each key's low bits are replaced by its column number, so one in-place
    sort of uniform uint64 values per band (``_shingle.sort_uniform``, about
    linear) both groups the buckets and carries the columns. Two keys that
    differ only in those low bits share a bucket here: one more candidate
    than ``candidate_pairs`` gives (about ``n**2 / 2**(65 - bits)`` per band,
    ``bits`` being the bits of a column number: a fraction of one pair at a
    million columns), which exact verification then keeps only if the two
    really are that similar. Nothing is lost: equal keys always share a
    bucket.

    Parameters
    ----------
    keys : uint64 array, shape (bands, m), from ``band_keys``.
    members : int64 array, shape (m,): the number of each column (< 2**32).

    Returns
    -------
    i, j : int64 arrays with ``i < j``, sorted by (i, j) and unique.
    """
    m = keys.shape[1]
    if m < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    bits = max(1, int(m - 1).bit_length())
    packed = unique(_bucket_pairs(_packed_sorted(keys, bits), bits, members))
    return (packed >> np.uint64(32)).astype(np.int64), (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)



@njit(cache=True)
def lookup_many(sorted_keys, order, query_keys):
    """``lookup`` for many queries at once, as CSR.

    Parameters
    ----------
    sorted_keys, order : shape (bands, m), from ``sort_bands``.
    query_keys : uint64 array, shape (bands, q).

    Returns
    -------
    indptr : int64 (q + 1,); cols : int64, the columns sharing a bucket with
        query ``k`` in ``cols[indptr[k]:indptr[k+1]]``, sorted and unique.
    """
    bands = sorted_keys.shape[0]
    q = query_keys.shape[1]
    counts = np.zeros(q + 1, dtype=np.int64)
    for k in range(q):
        for b in range(bands):
            lo = np.searchsorted(sorted_keys[b], query_keys[b, k], side="left")
            hi = np.searchsorted(sorted_keys[b], query_keys[b, k], side="right")
            counts[k + 1] += hi - lo
    for k in range(q):
        counts[k + 1] += counts[k]
    cols = np.empty(counts[q], dtype=np.int64)
    indptr = np.zeros(q + 1, dtype=np.int64)
    o = 0
    for k in range(q):
        start = o
        for b in range(bands):
            lo = np.searchsorted(sorted_keys[b], query_keys[b, k], side="left")
            hi = np.searchsorted(sorted_keys[b], query_keys[b, k], side="right")
            for x in range(lo, hi):
                cols[o] = order[b, x]
                o += 1
        row = cols[start:o]
        row.sort()
        u = start
        for x in range(start, o):
            if u == start or cols[x] != cols[u - 1]:
                cols[u] = cols[x]
                u += 1
        o = u
        indptr[k + 1] = o
    return indptr, cols[:o]
