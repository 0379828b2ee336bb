"""Shingling kernels: normalized UTF-8 bytes -> CSR of sorted unique uint64 shingle hashes.

A text is read as a stream of *units*, then every window of ``ngram``
consecutive units is one shingle:

* ``WORDS`` mode: a unit is a token (see ``_normalize``; read by ``_tokenize``), hashed as
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

import numba
import numpy as np
from numba import njit, prange

from .._core import _pool
from .._core._arrays import SMALL, bucket_bits, insert_sorted, sort_large, sort_small
from .._core._hashing import FNV_OFFSET, FNV_PRIME, fmix64
from .._core._types import FILL, fixed
from ._tokenize import _ascii_kinds, _decode, _token_hashes

WORDS = 0
CHARS = 1
_POLY = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the rolling hash
_WIDTH_TAG = np.uint64(0x6E6561722D647570)  # "near-dup", mixed with the width
_SPACE = np.uint64(32)


@njit(cache=True, inline="always")
def _windows(out, o, n_units, ngram, ring, top, tag, sort):
    """Replace the token hashes ``out[o:o+n_units]`` by the row's shingles; return how many.

    Shingle ``k`` is written at ``out[o+k]`` after unit ``k+ngram-1`` was
    read, so the pass works in place; ``ring`` keeps the units still in the
    window. The shingles come in text order, or, when ``sort``, each is
    inserted into the sorted run before it (``_arrays.insert_sorted``), which saves short
    rows a second pass.
    """
    if n_units == 0:
        return 0
    rolling = np.uint64(0)
    first = min(n_units, ngram)
    for i in range(first):
        u = fmix64(out[o + i])
        ring[i] = u
        rolling = rolling * _POLY + u
    if n_units < ngram:
        out[o] = fmix64(rolling + _WIDTH_TAG * np.uint64(n_units))
        return 1
    out[o] = fmix64(rolling + tag)
    slot = 0
    for i in range(o + ngram, o + n_units):
        u = fmix64(out[np.uint64(i)])
        rolling = (rolling - ring[np.uint64(slot)] * top) * _POLY + u
        ring[np.uint64(slot)] = u
        slot += 1
        if slot == ngram:
            slot = 0
        if sort:
            insert_sorted(out, o, i - ngram + 1, fmix64(rolling + tag))
        else:
            out[np.uint64(i - ngram + 1)] = fmix64(rolling + tag)
    return n_units - ngram + 1


@njit(cache=True, nogil=True)
def _shingle_one(buf, start, end, ngram, mode, classes, out, o, ring):
    """Write the shingle hashes of ``buf[start:end]`` to ``out[o:]``; return (how many, units).

    At most ``max_shingles(end - start, mode)`` values are written: there are no
    more shingles than units; a CHARS unit takes at least one byte (a space is
    paid for by the separator it replaces); WORDS units are tokens of at least
    one byte separated by at least one byte, or solo characters of at least
    three bytes, so there are at most ``(bytes + 1) // 2`` of them. Values are in text order and may
    repeat; ``_finish_row`` sorts and dedups them. ``units`` is the number of
    units of the text (tokens, or code points and spaces).
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
                    rolling, n_units, slot, k = _add_unit(ring, slot, n_units, rolling, unit, top, ngram, out, o + n_out)
                    n_out += k
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
                rolling, n_units, slot, k = _add_unit(ring, slot, n_units, rolling, _SPACE, top, ngram, out, o + n_out)
                n_out += k
            unit = np.uint64(cp)
            have = True
        if have:
            rolling, n_units, slot, k = _add_unit(ring, slot, n_units, rolling, unit, top, ngram, out, o + n_out)
            n_out += k
    if 0 < n_units < ngram:
        out[o] = fmix64(rolling + _WIDTH_TAG * np.uint64(n_units))
        n_out = 1
    return n_out, n_units


@njit(cache=True, inline="always")
def _push(ring, slot, full, rolling, unit, top):
    """Slide the window: drop the unit ``ngram`` back (if ``full``), append ``unit``."""
    if full:
        rolling -= ring[slot] * top
    ring[slot] = unit
    return rolling * _POLY + unit


@njit(cache=True, inline="always")
def _add_unit(ring, slot, n_units, rolling, unit, top, ngram, out, at):
    """``_push`` one unit; write the n-gram it completes, if any, at ``out[at]``.

    Returns ``(rolling, n_units, slot, written)``, ``written`` 1 or 0.
    """
    rolling = _push(ring, slot, n_units >= ngram, rolling, unit, top)
    n_units += 1
    slot = 0 if slot + 1 == ngram else slot + 1
    if n_units >= ngram:
        out[at] = fmix64(rolling + _WIDTH_TAG * np.uint64(ngram))
        return rolling, n_units, slot, 1
    return rolling, n_units, slot, 0




@njit(cache=True, inline="always")
def _finish_row(values, o, k, tmp, count, is_sorted):
    """Sort ``values[o:o+k]`` (unless ``is_sorted``), move its unique values to the front; return their count."""
    if not is_sorted:
        if k < SMALL:
            sort_small(values, o, k)
        else:
            sort_large(values[o : o + k], tmp, count)
    if k == 0:
        return 0
    u = o + 1
    last = values[np.uint64(o)]
    for s in range(o + 1, o + k):
        x = values[np.uint64(s)]
        values[np.uint64(u)] = x
        u += x != last  # sorted: comparing with the previous value is enough
        last = x
    return u - o


#: A parallel task shingles at most this many segments (scratch is
#: allocated once per task, not per segment, which matters for many small
#: blocks: collapse shingles every line) and stops after this many bytes, so
#: a batch of long texts still splits into enough tasks for every thread.
_CHUNK = 256
_CHUNK_BYTES = 1 << 17


def max_shingles(nbytes, mode):
    """Most shingles a segment of ``nbytes`` bytes can have (see ``_shingle_one``)."""
    return nbytes if mode == CHARS else (nbytes + 1) // 2


_row_bound = njit(cache=True, inline="always")(max_shingles)


@njit(cache=True, nogil=True)
def _chunk_offsets(starts, ends, mode):
    """Tasks of consecutive segments (``_CHUNK``, ``_CHUNK_BYTES``): ``(first segment, scratch offset)`` of each.

    Returns an int64 array of shape (2, tasks + 1): row 0 the first segment
    of every task (and ``n`` last), row 1 where its scratch starts (the sum of
    the bounds of the segments before it).
    """
    n = starts.shape[0]
    out = np.zeros((2, n + 1), dtype=np.int64)
    c = 0
    size = 0
    total = 0
    for d in range(n):
        if d - out[0, c] == _CHUNK or size >= _CHUNK_BYTES:
            c += 1
            out[0, c] = d
            out[1, c] = total
            size = 0
        size += max(0, ends[d] - starts[d])
        total += max(0, _row_bound(ends[d] - starts[d], mode))
    c += n > 0
    out[0, c] = n
    out[1, c] = total
    return out[:, : c + 1].copy()


@njit(cache=True, parallel=True, nogil=True)  # FILL alone (``fixed``)
def _fill(buf, starts, ends, ngram, mode, classes, tasks, values, counts, units):
    """Shingle every segment; the rows of task ``c`` are packed from ``values[tasks[1, c]]`` on.

    Row ``d`` is written where the previous row of its task ended: never
    beyond the sum of the bounds of the task's rows up to ``d``, so a task
    stays inside its slice of ``values`` and touches only the memory its
    unique shingles fill. ``units`` is filled when it is not empty.
    """
    n = starts.shape[0]
    top = np.uint64(1)
    for _ in range(ngram - 1):
        top *= _POLY
    tag = _WIDTH_TAG * np.uint64(ngram)
    want_units = units.shape[0] > 0
    kinds = _ascii_kinds(classes)
    for c in prange(tasks.shape[1] - 1):
        lo = tasks[0, c]
        hi = tasks[0, c + 1]
        longest = 0
        for d in range(lo, hi):
            longest = max(longest, _row_bound(ends[d] - starts[d], mode))
        ring = np.empty(ngram, dtype=np.uint64)
        large = longest >= SMALL
        tmp = np.empty(longest if large else 0, dtype=np.uint64)
        count = np.empty((1 << bucket_bits(longest)) + 1 if large else 0, dtype=np.int64)
        p = tasks[1, c]
        for d in range(lo, hi):
            if mode == WORDS:
                n_units = _token_hashes(buf, starts[d], ends[d], kinds, classes, values, p)
                short = n_units - ngram + 1 < SMALL  # sorted as they come
                k = _windows(values, p, n_units, ngram, ring, top, tag, short)
            else:
                short = False
                k, n_units = _shingle_one(buf, starts[d], ends[d], ngram, mode, classes, values, p, ring)
            u = _finish_row(values, p, k, tmp, count, short)
            counts[d + 1] = u
            if want_units:
                units[d] = n_units
            p += u


@njit(cache=True, parallel=True, nogil=True)
def _compact(tasks, values, indptr, out, parts):
    """Prefix-sum ``indptr`` (row counts in ``indptr[1:]``), then gather every task's rows into ``out``.

    ``out`` is cut into ``parts`` equal contiguous pieces, one per thread,
    each gathering the pieces of the tasks that fall in it: ``out`` is
    usually fresh memory, and two threads faulting in pages of the same huge
    page (as tasks of 128 KB, interleaved, did) made the gather slower on
    two threads than on one (Wikipedia: 0.044 s against 0.024 s a call).
    """
    n = indptr.shape[0] - 1
    for d in range(n):
        indptr[d + 1] += indptr[d]
    total = indptr[n]
    n_tasks = tasks.shape[1] - 1
    for t in prange(parts):
        lo = total * t // parts
        hi = total * (t + 1) // parts
        if lo >= hi:
            continue
        c = 0  # the task holding out[lo]: the last whose rows start at or before it
        top = n_tasks - 1
        while c < top:
            mid = (c + top + 1) // 2
            if indptr[tasks[0, mid]] <= lo:
                c = mid
            else:
                top = mid - 1
        while c < n_tasks and indptr[tasks[0, c]] < hi:
            a = indptr[tasks[0, c]]
            b = indptr[tasks[0, c + 1]]
            x = max(a, lo)
            y = min(b, hi)
            if y > x:
                out[x:y] = values[tasks[1, c] + x - a : tasks[1, c] + y - a]
            c += 1


_NO_UNITS = np.zeros(0, dtype=np.int64)


def shingle_segments(buf, starts, ends, ngram, mode, classes, scratch=None, out=None, units=None):
    """Shingle every byte range ``buf[starts[i]:ends[i]]``.

    Parameters
    ----------
    buf : uint8 array of normalized UTF-8 text.
    starts, ends : int64 arrays, shape (n,).
    ngram : int >= 1, units per shingle.
    mode : ``WORDS`` or ``CHARS``.
    classes : uint8 array from ``_normalize.char_classes()``.
    scratch, out : optional uint64 arrays, see below.
    units : optional int64 array, shape (n,): receives the number of units of
        every segment (tokens in ``WORDS`` mode, code points and spaces in
        ``CHARS`` mode), e.g. the word counts of blocks, at no extra cost.

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
    n = starts.shape[0]
    if units is None:
        units = _NO_UNITS
    elif units.shape != (n,) or units.dtype != np.int64:
        raise ValueError(f"units must be an int64 array of shape ({n},)")
    tasks = _chunk_offsets(starts, ends, mode)
    if scratch is not None and scratch.shape[0] >= tasks[1, -1]:
        values = scratch
    else:
        values = _pool.empty(tasks[1, -1], np.uint64)  # kept memory, not fresh pages (``_pool``)
    indptr = np.zeros(n + 1, dtype=np.int64)
    with numba.parallel_chunksize(1):  # tasks differ in work: threads take the next as they finish
        fixed(_fill, FILL)(buf, starts, ends, ngram, mode, classes, tasks, values, indptr, units)
    total = int(indptr[1:].sum())
    if out is not None and out.shape[0] >= total:
        out = out[:total]
    else:
        out = _pool.empty(total, np.uint64)
    _compact(tasks, values, indptr, out, numba.get_num_threads())
    return indptr, out
