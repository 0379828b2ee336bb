"""Array primitives every step shares: sorting uniform hashes, unique, pairs, runs, groups.

Each exists once here so that a fix reaches every caller:

* ``sort_uniform``: an in-place, about linear sort of uniformly distributed
  uint64 values (shingle hashes, band keys, digests), a counting sort on the
  top bits finished by one insertion pass;
* ``unique``: sorted unique values of a 1-d array (NumPy 2.4's ``np.unique``
  takes 40x longer on uint64: 0.25 s against 7 ms for 400k values);
* ``pack_pairs``/``unpack_pairs``: a pair of positions ``i < j < 2**32`` as one
  uint64 ``i << 32 | j``, so pairs sort and deduplicate as plain numbers;
* ``band_runs``/``run_pairs``: runs of equal keys, and every pair of members
  inside a run (the LSH bucket -> candidate pairs step, local and on Dask
  alike); ``runs_of_subset``: the runs of some of the columns, from those
  of all;
* ``group_by_label``: members of each label, in input order.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

_LOW32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


# ------------------------------------------------------------------ sorting
@njit(cache=True, inline="always")
def bucket_bits(n):
    """Bits of ``sort_large``'s bucket index: at least ``n`` buckets, at most 2**20."""
    bits = 1
    while (1 << bits) < n and bits < 20:
        bits += 1
    return bits


@njit(cache=True)
def sort_large(row, tmp, count):
    """Sort uniformly distributed uint64 values in place, in about linear time.

    A counting sort on the top bits into about one bucket per value leaves
    every value within its bucket (one value or a few) of its place; one
    insertion pass then finishes. ``tmp`` must hold ``len(row)`` values and
    ``count`` ``2**bucket_bits(len(row)) + 1``. Correct for any input; only
    fast for uniform ones, such as shingle hashes.
    """
    n = row.shape[0]
    if n == 0:
        return
    bits = bucket_bits(n)
    shift = np.uint64(64 - bits)
    start = count[: (1 << bits) + 1]
    start[:] = 0
    for i in range(n):
        start[(row[i] >> shift) + np.uint64(1)] += 1
    for b in range(1 << bits):
        start[b + 1] += start[b]
    for i in range(n):
        b = row[i] >> shift
        tmp[start[b]] = row[i]
        start[b] += 1
    row[0] = tmp[0]
    for i in range(1, n):
        x = tmp[i]
        j = i - 1
        while j >= 0 and row[j] > x:
            row[j + 1] = row[j]
            j -= 1
        row[j + 1] = x


@njit(cache=True, inline="always")
def insert_sorted(a, o, i, x):
    """Insert ``x`` into the sorted ``a[o:i]`` (``i > o``), making ``a[o:i+1]`` sorted, without branching on values.

    The new ``a[j]`` is ``min(a[j], max(a[j-1], x))`` for ``j`` from ``i``
    down (``a[o-1]`` read as -inf, the old ``a[i]`` as +inf): quadratic work
    over a row, but no branch misprediction per value, which is what a short
    row's sort costs.
    """
    a[np.uint64(i)] = max(a[np.uint64(i - 1)], x)
    for j in range(i - 1, o, -1):
        a[j] = min(a[j], max(a[j - 1], x))
    a[o] = min(a[o], x)


@njit(cache=True, inline="always")
def sort_small(a, o, k):
    """Insertion sort of ``a[o:o+k]`` by ``insert_sorted``."""
    for i in range(o + 1, o + k):
        insert_sorted(a, o, i, a[i])


#: Rows shorter than this are sorted by ``insert_sorted`` (most blocks' rows),
#: longer ones by ``sort_large``; both are about as fast from 12 to 24 values.
SMALL = 16


@njit(cache=True)
def sort_uniform(row, tmp):
    """Sort ``row`` in place, fast for uniformly distributed values (see ``sort_large``).

    ``tmp`` must hold ``len(row)`` values.
    """
    if row.shape[0] < SMALL:
        sort_small(row, 0, row.shape[0])
    else:
        sort_large(row, tmp, np.empty((1 << bucket_bits(row.shape[0])) + 1, dtype=np.int64))


def unique(a: np.ndarray) -> np.ndarray:
    """``np.unique(a)`` for a 1-d array: sort, then keep the first of each run."""
    s = np.sort(a)
    if s.shape[0] < 2:
        return s
    keep = np.empty(s.shape[0], dtype=np.bool_)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


# -------------------------------------------------------------------- pairs
def pack_pairs(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Pairs ``(i, j)`` of positions below 2**32 as uint64 ``i << 32 | j``."""
    return (i.astype(np.uint64) << _S32) | j.astype(np.uint64)


def unpack_pairs(packed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``(i, j)`` int64 arrays of ``pack_pairs`` values."""
    return (packed >> _S32).astype(np.int64), (packed & _LOW32).astype(np.int64)


def unique_pairs(i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs without repeats, sorted by ``(i, j)`` (positions below 2**32)."""
    return unpack_pairs(unique(pack_pairs(i, j)))


@njit(cache=True)
def _runs_of(keys, shift, base, out, o, write):
    """Runs of two or more equal ``keys >> shift`` in the sorted ``keys``; count them, or write
    ``base + start, base + end`` of each from ``out[o]`` on."""
    n = keys.shape[0]
    s = np.uint64(shift)
    found = 0
    i = 0
    while i < n:
        j = i + 1
        while j < n and (keys[j] >> s) == (keys[i] >> s):
            j += 1
        if j - i > 1:
            if write:
                out[o + 2 * found] = base + i
                out[o + 2 * found + 1] = base + j
            found += 1
        i = j
    return found


@njit(cache=True, parallel=True, nogil=True)
def band_runs(sorted_keys, shift):
    """Runs of equal keys in every row of ``sorted_keys`` (shape (bands, n), each row sorted).

    Keys compare on their bits above ``shift`` (``_lsh.bucket_pairs`` keeps a
    column number in the low bits). Returns an int64 array ``runs`` of even
    length: run ``r`` covers ``flat[runs[2r]:runs[2r+1]]`` of the row-major
    flattened array. Only runs of two or more are listed. Bands are counted,
    then written, in parallel (at 100,000 documents the serial pass took
    5 ms a call, all of it on one core).
    """
    bands, n = sorted_keys.shape
    start = np.zeros(bands + 1, dtype=np.int64)
    dummy = np.empty(0, dtype=np.int64)
    for b in prange(bands):
        # run-time values, not literals: numba compiles _runs_of once for both calls
        start[b + 1] = _runs_of(sorted_keys[b], shift, np.int64(0), dummy, np.int64(0), np.bool_(False))
    for b in range(bands):
        start[b + 1] += start[b]
    runs = np.empty(2 * start[bands], dtype=np.int64)
    for b in prange(bands):
        _runs_of(sorted_keys[b], shift, np.int64(b) * n, runs, 2 * start[b], np.bool_(True))
    return runs


@njit(cache=True, nogil=True)
def runs_of_subset(runs, cols, keep):
    """The runs of ``band_runs`` (with ``cols``, the column at each place) of the columns ``keep`` alone.

    ``keep`` is bool per column. Returns ``(runs, cols)`` as bucketing only
    the kept columns would give them, in the same order, run for run:
    each run's kept columns (at least two), numbered among the kept ones
    (``cumsum(keep) - 1``); the places are those of the new ``cols``, which
    holds only the runs' columns. Equal keys of the kept columns are the
    kept columns of a run of all the columns, so no sort is done again.
    """
    rank = np.cumsum(keep.astype(np.int64)) - 1
    r = runs.shape[0] // 2
    total = 0
    nruns = 0
    for k in range(r):
        c = 0
        for x in range(runs[2 * k], runs[2 * k + 1]):
            if keep[cols[x]]:
                c += 1
        if c >= 2:
            total += c
            nruns += 1
    out_runs = np.empty(2 * nruns, dtype=np.int64)
    out_cols = np.empty(total, dtype=np.int64)
    o = 0
    q = 0
    for k in range(r):
        a = o
        for x in range(runs[2 * k], runs[2 * k + 1]):
            if keep[cols[x]]:
                out_cols[o] = rank[cols[x]]
                o += 1
        if o - a >= 2:
            out_runs[2 * q] = a
            out_runs[2 * q + 1] = o
            q += 1
        else:
            o = a
    return out_runs, out_cols


@njit(cache=True)
def _run_starts(runs):
    r = runs.shape[0] // 2
    start = np.zeros(r + 1, dtype=np.int64)
    for k in range(r):
        m = runs[2 * k + 1] - runs[2 * k]
        start[k + 1] = start[k] + m * (m - 1) // 2
    return start


def _fill_run_pairs(runs, cols, members, start, a, b):
    for k in prange(runs.shape[0] // 2):
        o = start[k]
        for x in range(runs[2 * k], runs[2 * k + 1]):
            p0 = members[cols[x]]
            for y in range(x + 1, runs[2 * k + 1]):
                p = p0
                q = members[cols[y]]
                if p > q:
                    p, q = q, p
                a[o] = p
                b[o] = q
                o += 1


#: The same loop compiled twice: threads pay only for a large output.
_fill_serial = njit(cache=True)(_fill_run_pairs)
_fill_parallel = njit(cache=True, parallel=True)(_fill_run_pairs)
#: Pairs from which ``run_pairs`` fills in parallel.
PARALLEL_PAIRS = 1 << 20


def run_pairs(runs: np.ndarray, cols: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of members that share a run: the bucket -> candidate pairs step.

    Parameters
    ----------
    runs : int64 array of even length; run ``r`` is ``cols[runs[2r]:runs[2r+1]]``.
    cols : int64 array, the column at each place.
    members : int64 array, the number of each column.

    Returns
    -------
    a, b : int64 arrays with ``a < b`` for distinct members; a pair repeats
        once per run it shares (``unique_pairs`` drops repeats).
    """
    start = _run_starts(runs)
    total = int(start[-1])
    a = np.empty(total, dtype=np.int64)
    b = np.empty(total, dtype=np.int64)
    (_fill_parallel if total >= PARALLEL_PAIRS else _fill_serial)(runs, cols, members, start, a, b)
    return a, b


@njit(cache=True)
def first_of_runs(group, pos):
    """For rows sorted by ``(group, pos)``: the first ``pos`` of each row's group."""
    m = pos.shape[0]
    out = np.empty(m, dtype=np.int64)
    first = 0
    for x in range(m):
        if x == 0 or group[x] != group[x - 1]:
            first = pos[x]
        out[x] = first
    return out


def equal_runs(*cols) -> np.ndarray:
    """``runs`` (as ``band_runs`` gives them) of rows equal in every column of a lexicographically sorted table."""
    m = cols[0].shape[0]
    if m < 2:
        return np.zeros(0, np.int64)
    new = np.zeros(m, dtype=np.bool_)
    new[0] = True
    for c in cols:
        new[1:] |= c[1:] != c[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], m)
    long = ends - starts > 1
    return np.stack([starts[long], ends[long]], axis=1).ravel().astype(np.int64)


# ------------------------------------------------------------------- groups
def group_by_label(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Members of every label, each group in input order, groups ordered by label.

    Returns ``(order, bounds)``: group ``g`` is ``order[bounds[g]:bounds[g+1]]``.
    """
    order = np.argsort(labels, kind="stable")
    if labels.shape[0] == 0:
        return order, np.zeros(1, np.int64)
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(labels[order])) + 1, [labels.shape[0]]])
    return order, bounds.astype(np.int64)


@njit(cache=True, nogil=True)
def take_rows(indptr, values, rows):
    """The CSR ``(ptr, vals)`` of rows ``rows`` of ``(indptr, values)``, in the order given (one pass, no index
    array: the numpy way builds an int64 index per value)."""
    m = rows.shape[0]
    ptr = np.zeros(m + 1, dtype=np.int64)
    for k in range(m):
        r = rows[k]
        ptr[k + 1] = ptr[k] + indptr[r + 1] - indptr[r]
    out = np.empty(ptr[m], dtype=values.dtype)
    for k in range(m):
        a = indptr[rows[k]]
        n = ptr[k + 1] - ptr[k]
        out[ptr[k] : ptr[k] + n] = values[a : a + n]
    return ptr, out
