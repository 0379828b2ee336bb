"""LSH banding: band keys -> buckets -> candidate pairs.

A signature of ``bands * rows`` MinHash values is cut into ``bands`` bands of
``rows`` values; two documents become a candidate pair when all ``rows``
values of at least one band agree. For a pair of Jaccard similarity ``s`` that
happens with probability ``1 - (1 - s**rows)**bands`` (the S-curve; Leskovec,
Rajaraman & Ullman, *Mining of Massive Datasets*, ch. 3.4).

The band keys themselves come from ``_minhash.band_keys``. Buckets are found
by sorting each band's keys, never with a Python dict per document; pairs are
enumerated from runs of equal keys by ``_arrays.run_pairs``.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._core import _pool
from .._core._arrays import band_runs, run_pairs, sort_uniform, unique_pairs
from .._core._config import Config


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
def _sort_bands(keys, select, bits, order, sorted_keys):
    """Per band (in parallel): the columns ``select`` ordered by key, ties by column, and their keys."""
    m = select.shape[0]
    low = np.uint64((1 << bits) - 1)
    for b in prange(keys.shape[0]):
        row = keys[b]
        packed = np.empty(m, dtype=np.uint64)
        for c in range(m):  # the key's top bits, the column in the low bits: one uniform sort
            packed[c] = (row[select[c]] & ~low) | np.uint64(c)
        sort_uniform(packed, np.empty(m, dtype=np.uint64))
        o = order[b]
        sk = sorted_keys[b]
        for x in range(m):
            c = np.int64(packed[x] & low)
            o[x] = c
            sk[x] = row[select[c]]
        for x in range(1, m):  # keys equal in their top bits only: an insertion pass puts them in order
            k = sk[x]
            c = o[x]
            y = x - 1
            while y >= 0 and sk[y] > k:
                sk[y + 1] = sk[y]
                o[y + 1] = o[y]
                y -= 1
            sk[y + 1] = k
            o[y + 1] = c


def sort_bands(keys, select=None, out=None):
    """Per band, the order that sorts the keys of columns ``select`` (default: all), and the sorted keys.

    Returns ``(order, sorted_keys)``, both shape (bands, m); ``order`` is
    int64 and indexes ``select``. Equal keys come in column order. Bands sort
    in parallel, each by one about linear sort of uniform values
    (``_arrays.sort_uniform``); ``keys`` may be memory-mapped, and ``out``, a
    pair of writable (bands, m) arrays (such as memory-mapped files),
    receives the result.
    """
    bands, n = keys.shape
    select = np.arange(n, dtype=np.int64) if select is None else np.ascontiguousarray(select, dtype=np.int64)
    m = select.shape[0]
    if out is None:
        out = (_pool.empty((bands, m), np.int64), _pool.empty((bands, m), np.uint64))  # kept memory: ``_pool``
    if m:
        _sort_bands(np.asarray(keys), select, max(1, int(m - 1).bit_length()), np.asarray(out[0]), np.asarray(out[1]))
    return out


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


def key_runs(keys):
    """Buckets straight from band keys: ``(runs, cols)`` as ``_arrays.run_pairs`` takes them.

    Each key's low bits are replaced by its column number, so one in-place
    sort of uniform uint64 values per band (``_arrays.sort_uniform``, about
    linear, no argsort) both groups the buckets and carries the columns. Two
    keys that differ only in those low bits share a bucket here: one more
    candidate than ``bucket_runs`` gives (about ``n**2 / 2**(65 - bits)`` per
    band, ``bits`` being the bits of a column number: a fraction of one pair
    at a million columns), which exact verification then keeps only if the
    two really are that similar. Nothing is lost: equal keys always share a
    bucket.

    Parameters
    ----------
    keys : uint64 array, shape (bands, m), from ``_minhash.band_keys``.
    """
    m = keys.shape[1]
    if m < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    bits = max(1, int(m - 1).bit_length())
    packed = _packed_sorted(keys, bits)
    return band_runs(packed, bits), (packed & np.uint64((1 << bits) - 1)).astype(np.int64).ravel()


def bucket_runs(order, sorted_keys):
    """Buckets of keys sorted by ``sort_bands``: ``(runs, cols)`` as ``_arrays.run_pairs`` takes them."""
    if sorted_keys.shape[1] < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if isinstance(sorted_keys, np.memmap):  # a band at a time, its pages unmapped after: resident memory a band's
        from .._core._spill import advise

        n = sorted_keys.shape[1]
        runs = []
        for b in range(sorted_keys.shape[0]):
            runs.append(band_runs(np.ascontiguousarray(sorted_keys[b : b + 1]), 0) + b * n)
            advise(sorted_keys, "done")
        return np.concatenate(runs), np.ascontiguousarray(order).ravel()
    return band_runs(np.ascontiguousarray(sorted_keys), 0), np.ascontiguousarray(order).ravel()


def bucket_pairs(keys, members):
    """Every pair of ``members`` (one per key column) sharing a bucket in a band: ``i < j``, sorted, unique."""
    return unique_pairs(*run_pairs(*key_runs(keys), members))


def pairs_in_buckets(order, sorted_keys, members):
    """``bucket_pairs`` of keys sorted by ``sort_bands``."""
    return unique_pairs(*run_pairs(*bucket_runs(order, sorted_keys), members))


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


def lsh_shape(config: Config) -> tuple[int, int]:
    """``(bands, rows)`` of ``config``: given, or chosen from its threshold (``choose_bands``)."""
    if config.bands is not None:
        return config.bands, config.rows
    return choose_bands(config.threshold, config.num_perm, config.min_prob)
