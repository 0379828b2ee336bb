"""Shingling kernels: normalized UTF-8 bytes -> CSR of sorted unique uint64 shingle hashes.

A text is read as a stream of *units*, then every window of ``ngram``
consecutive units is one shingle:

* ``WORDS`` mode: a unit is a token (see ``_normalize``), hashed as
  ``fmix64(fnv1a64(token bytes))``;
* ``CHARS`` mode: a unit is a code point of the folded text, where each run of
  separators between two tokens becomes one space (code point 32).

A text with fewer than ``ngram`` units (but at least one) gives one shingle
made of all its units; a text with no units gives no shingle at all. A
shingle's hash is ``fmix64(width + sum(u_j * P**(width-1-j)))`` over its unit
values ``u_j`` (a Karp-Rabin polynomial modulo 2**64, updated in O(1) per
unit), so it depends on the units and their order only.

Layout: ``segments`` are byte ranges ``[starts[i], ends[i])`` of one buffer, so
the same kernels shingle whole documents or blocks inside them.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._hashing import FNV_OFFSET, FNV_PRIME, fmix64

WORDS = 0
CHARS = 1
_POLY = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling hash
_WIDTH_TAG = np.uint64(0x6E6561722D647570)  # "near-dup", mixed with the width
_SPACE = np.uint64(32)


@njit(cache=True, inline="always")
def _decode(buf, i, end):
    """Decode one UTF-8 code point at ``buf[i]``; return (code point, next i).

    Malformed bytes decode to U+FFFD (a separator) one byte at a time, so a
    corrupt buffer can never make the kernel read past ``end``.
    """
    b0 = np.int64(buf[i])
    if b0 < 0x80:
        return b0, i + 1
    if b0 >= 0xF0 and i + 3 < end:
        return ((b0 & 0x07) << 18) | ((np.int64(buf[i + 1]) & 0x3F) << 12) | (
            (np.int64(buf[i + 2]) & 0x3F) << 6) | (np.int64(buf[i + 3]) & 0x3F), i + 4
    if b0 >= 0xE0 and b0 < 0xF0 and i + 2 < end:
        return ((b0 & 0x0F) << 12) | ((np.int64(buf[i + 1]) & 0x3F) << 6) | (
            np.int64(buf[i + 2]) & 0x3F), i + 3
    if b0 >= 0xC0 and b0 < 0xE0 and i + 1 < end:
        return ((b0 & 0x1F) << 6) | (np.int64(buf[i + 1]) & 0x3F), i + 2
    return 0xFFFD, i + 1


@njit(cache=True)
def _shingle_one(buf, start, end, ngram, mode, classes, out, o, ring):
    """Write the shingle hashes of ``buf[start:end]`` to ``out[o:]``; return how many.

    At most ``_bound(end - start, mode)`` values are written: there are no
    more shingles than units; a CHARS unit takes at least one byte (a space is
    paid for by the separator it replaces); WORDS units are tokens of at least
    one byte separated by at least one byte, or solo characters of at least
    three bytes, so there are at most ``(bytes + 1) // 2`` of them. Values are in text order and may
    repeat; ``_finish_row`` sorts and dedups them.
    """
    # ``ring`` (length >= ngram, scratch of the caller) holds the last
    # ``ngram`` unit values; a slot is read only after it was written.
    slot = 0  # == n_units % ngram, kept without a division per unit
    top = np.uint64(1)  # P**(ngram-1): weight of the unit leaving the window
    for _ in range(ngram - 1):
        top *= _POLY
    rolling = np.uint64(0)
    n_units = 0
    n_out = 0
    in_token = False
    pending_space = False
    h = FNV_OFFSET
    i = start
    while i < end or in_token:
        unit = np.uint64(0)
        have = False
        if i < end:
            j = i
            cp, i = _decode(buf, i, end)
            cls = classes[cp] if cp < classes.shape[0] else 0
        else:
            j = i
            cp = 0
            cls = 0
        if mode == WORDS:
            if cls == 1:
                if not in_token:
                    h = FNV_OFFSET
                    in_token = True
                for k in range(j, i):
                    h = (h ^ np.uint64(buf[k])) * FNV_PRIME
                continue
            if in_token:
                in_token = False
                unit = fmix64(h)
                have = True
            if cls == 2:
                if have:  # flush the word that ended right here first
                    rolling = _push(ring, slot, n_units >= ngram, rolling, unit, top)
                    n_units += 1
                    slot = 0 if slot + 1 == ngram else slot + 1
                    if n_units >= ngram:
                        out[o + n_out] = fmix64(rolling + _WIDTH_TAG * np.uint64(ngram))
                        n_out += 1
                h = FNV_OFFSET
                for k in range(j, i):
                    h = (h ^ np.uint64(buf[k])) * FNV_PRIME
                unit = fmix64(h)
                have = True
        else:
            if cls == 0:
                if n_units > 0:
                    pending_space = True
                continue
            if pending_space:
                pending_space = False
                rolling = _push(ring, slot, n_units >= ngram, rolling, _SPACE, top)
                n_units += 1
                slot = 0 if slot + 1 == ngram else slot + 1
                if n_units >= ngram:
                    out[o + n_out] = fmix64(rolling + _WIDTH_TAG * np.uint64(ngram))
                    n_out += 1
            unit = np.uint64(cp)
            have = True
        if have:
            rolling = _push(ring, slot, n_units >= ngram, rolling, unit, top)
            n_units += 1
            slot = 0 if slot + 1 == ngram else slot + 1
            if n_units >= ngram:
                out[o + n_out] = fmix64(rolling + _WIDTH_TAG * np.uint64(ngram))
                n_out += 1
    if 0 < n_units < ngram:
        out[o] = fmix64(rolling + _WIDTH_TAG * np.uint64(n_units))
        n_out = 1
    return n_out


@njit(cache=True, inline="always")
def _push(ring, slot, full, rolling, unit, top):
    """Slide the window: drop the unit ``ngram`` back (if ``full``), append ``unit``."""
    if full:
        rolling -= ring[slot] * top
    ring[slot] = unit
    return rolling * _POLY + unit


@njit(cache=True)
def sort_uniform(row, tmp):
    """Sort uniformly distributed uint64 values in place, in about linear time.

    One counting pass on the top bits into ~n/4 buckets, then insertion sort
    inside each bucket (a handful of values): 4x faster than numba's quicksort
    on shingle hashes, which are uniform by construction. ``tmp`` must hold
    ``len(row)`` values. Correct for any input; only fast for uniform ones.
    """
    n = row.shape[0]
    if n < 64:
        row.sort()
        return
    bits = 1
    while (1 << bits) < n // 4:
        bits += 1
    shift = np.uint64(64 - bits)
    start = np.zeros((1 << bits) + 1, dtype=np.int64)
    for i in range(n):
        start[(row[i] >> shift) + np.uint64(1)] += 1
    for b in range(1 << bits):
        start[b + 1] += start[b]
    fill = start[:-1].copy()
    for i in range(n):
        b = row[i] >> shift
        tmp[fill[b]] = row[i]
        fill[b] += 1
    for b in range(1 << bits):
        lo = start[b]
        for i in range(lo + 1, start[b + 1]):
            x = tmp[i]
            j = i - 1
            while j >= lo and tmp[j] > x:
                tmp[j + 1] = tmp[j]
                j -= 1
            tmp[j + 1] = x
    row[:] = tmp[:n]


@njit(cache=True)
def _finish_row(row, tmp):
    """Sort ``row`` and move its unique values to the front; return their count."""
    sort_uniform(row, tmp)
    u = 0
    for s in range(row.shape[0]):
        if u == 0 or row[s] != row[u - 1]:
            row[u] = row[s]
            u += 1
    return u


#: Segments per parallel task: scratch is allocated once per task, not per
#: segment, which matters for many small blocks (collapse shingles every line).
_CHUNK = 256


@njit(cache=True, parallel=True)
def _fill(buf, starts, ends, ngram, mode, classes, offsets, values, counts):
    n = starts.shape[0]
    for c in prange((n + _CHUNK - 1) // _CHUNK):
        lo = c * _CHUNK
        hi = min(n, lo + _CHUNK)
        longest = 0
        for d in range(lo, hi):
            longest = max(longest, offsets[d + 1] - offsets[d])
        ring = np.empty(ngram, dtype=np.uint64)
        tmp = np.empty(longest, dtype=np.uint64)
        for d in range(lo, hi):
            o = offsets[d]
            k = _shingle_one(buf, starts[d], ends[d], ngram, mode, classes, values, o, ring)
            counts[d] = _finish_row(values[o : o + k], tmp)


@njit(cache=True, parallel=True)
def _compact(offsets, values, indptr, out):
    for d in prange(indptr.shape[0] - 1):
        a = indptr[d]
        out[a : indptr[d + 1]] = values[offsets[d] : offsets[d] + indptr[d + 1] - a]


def _bound(nbytes, mode):
    """Most shingles a segment of ``nbytes`` bytes can have (see ``_shingle_one``)."""
    return nbytes if mode == CHARS else (nbytes + 1) // 2


def shingle_segments(buf, starts, ends, ngram, mode, classes, scratch=None, out=None):
    """Shingle every byte range ``buf[starts[i]:ends[i]]``.

    Parameters
    ----------
    buf : uint8 array of normalized UTF-8 text.
    starts, ends : int64 arrays, shape (n,).
    ngram : int >= 1, units per shingle.
    mode : ``WORDS`` or ``CHARS``.
    classes : uint8 array from ``_normalize.char_classes()``.

    Returns
    -------
    indptr : int64 array, shape (n + 1,).
    values : uint64 array; row ``i`` is ``values[indptr[i]:indptr[i+1]]``,
        sorted ascending and unique.

    Scratch memory is 4 bytes per input byte in WORDS mode, 8 in CHARS mode
    (the bound on shingles per segment), so callers feed bounded batches.
    ``scratch``, a uint64 array, is used for it when large enough, so that a
    caller shingling many batches pays the page faults of fresh memory once.
    ``out``, a uint64 array, receives ``values`` (as ``out[:len(values)]``)
    when large enough, so a caller can gather batches without copies.
    """
    starts = np.ascontiguousarray(starts, dtype=np.int64)
    ends = np.ascontiguousarray(ends, dtype=np.int64)
    offsets = np.zeros(starts.shape[0] + 1, dtype=np.int64)
    np.cumsum(_bound(ends - starts, mode), out=offsets[1:])
    if scratch is not None and scratch.shape[0] >= offsets[-1]:
        values = scratch
    else:
        values = np.empty(offsets[-1], dtype=np.uint64)
    counts = np.empty(starts.shape[0], dtype=np.int64)
    _fill(buf, starts, ends, ngram, mode, classes, offsets, values, counts)
    indptr = np.zeros(starts.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    if out is not None and out.shape[0] >= indptr[-1]:
        out = out[: indptr[-1]]
    else:
        out = np.empty(indptr[-1], dtype=np.uint64)
    _compact(offsets, values, indptr, out)
    return indptr, out
