"""The folding kernels of ``_normalize``: ``casefold(NFKC(c))`` of each code point through the fold table.

Two readers: ``_fold``/``_fold_own`` fold texts given as UTF-8 bytes
(``_normalize._encode_utf8``, ``fold_utf8_own``); ``_pass``/``_pass_units`` fold
texts given as code units (``str`` objects read in place, ``_pystr``, or an
array of code points), leaving the runs without a normalization boundary
("spans") to CPython (``_normalize.encode_batch``, ``fold_code_points``).
The table (``_normalize.fold_table``) holds, for every code point,
``IDENTITY``, ``NO_BOUNDARY`` or where its folded UTF-8 bytes are.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from . import _pystr

IDENTITY = -1  # fold table: the code point maps to itself
NO_BOUNDARY = -2  # fold table: the text must be normalized by CPython
_MIN_NO_BOUNDARY = 0x300  # the first NO_BOUNDARY code point (a test checks it), U+0300 COMBINING GRAVE ACCENT
_SEP = 0xFFFF  # joins the spans of a batch for their one CPython call
_BLOCK = 32  # code units checked at once for plain ASCII by _walk


@njit(cache=True, nogil=True)
def _fold_text(buf, i, end, table, data, ascii_fold, out, o, limit):
    """Map the code points of the valid UTF-8 ``buf[i:end]`` through ``table`` into ``out[o:limit]``.

    Returns the folded byte length, or -1 for a text that holds a code point
    without a normalization boundary before it, or that would not fit.
    """
    start = o
    while i < end:
        b0 = buf[i]
        if b0 < 0x80:  # ASCII folds to one ASCII byte
            if o >= limit:
                return -1
            out[o] = ascii_fold[b0]
            o += 1
            i += 1
            continue
        if b0 >= 0xF0:
            cp = ((np.int64(b0) & 0x07) << 18) | ((np.int64(buf[i + 1]) & 0x3F) << 12) | (
                (np.int64(buf[i + 2]) & 0x3F) << 6) | (np.int64(buf[i + 3]) & 0x3F)
            w = 4
        elif b0 >= 0xE0:
            cp = ((np.int64(b0) & 0x0F) << 12) | ((np.int64(buf[i + 1]) & 0x3F) << 6) | (
                np.int64(buf[i + 2]) & 0x3F)
            w = 3
        else:
            cp = ((np.int64(b0) & 0x1F) << 6) | (np.int64(buf[i + 1]) & 0x3F)
            w = 2
        t = table[cp]
        if t == -1:
            if o + w > limit:
                return -1
            for k in range(w):
                out[o + k] = buf[i + k]
            o += w
        elif t == -2:
            return -1
        else:
            m = t & 0xFF
            if o + m > limit:
                return -1
            start_data = t >> 8
            for k in range(m):
                out[o + k] = data[start_data + k]
            o += m
        i += w
    return o - start


@njit(cache=True, parallel=True, nogil=True)
def _fold(buf, offs, table, data, ascii_fold, out, out_offs):
    """Map every code point of each text through ``table`` into ``out`` (``_fold_text``).

    Text ``d`` is written from ``out_offs[d]`` and may not pass
    ``out_offs[d + 1]``. Returns each text's folded byte length, or -1 for a
    text that holds a code point without a normalization boundary before it,
    or that would not fit (it then goes through CPython).
    """
    n = offs.shape[0] - 1
    lengths = np.empty(n, dtype=np.int64)
    for d in prange(n):
        lengths[d] = _fold_text(buf, offs[d], offs[d + 1], table, data, ascii_fold, out, out_offs[d], out_offs[d + 1])
    return lengths


@njit(cache=True, nogil=True)
def _pack_left(buf, offs, indptr):
    """Move text ``d`` from ``buf[offs[d]:]`` to ``buf[indptr[d]:indptr[d+1]]``; ``indptr[d] <= offs[d]``, in order."""
    for d in range(offs.shape[0] - 1):
        a = offs[d]
        o = indptr[d]
        if a != o:
            for k in range(indptr[d + 1] - o):  # forward: a leftward move never reads what it wrote
                buf[o + k] = buf[a + k]


@njit(cache=True, nogil=True)
def _lower_ascii_span(src, dst):
    """``dst = src`` lowered and True if every byte is ASCII, else False (one flat loop LLVM vectorizes)."""
    acc = np.uint8(0)
    for x in range(src.shape[0]):
        v = src[x]
        acc = np.uint8(acc | v)
        dst[x] = v | (np.uint8(np.uint8(v - np.uint8(65)) < np.uint8(26)) << np.uint8(5))
    return acc < 0x80


@njit(cache=True, parallel=True, nogil=True)
def _fold_own(buf, offs, table, data, ascii_fold, out):
    """``_fold`` with each text written over its own span ``out[offs[d]:offs[d+1]]``.

    Each text is first lowered as if ASCII, in a loop LLVM vectorizes; one
    that is not ASCII is then folded by ``_fold_text``, and
    one that would grow past its span gets -1 (CPython folds it).
    """
    n = offs.shape[0] - 1
    lengths = np.empty(n, dtype=np.int64)
    for d in prange(n):
        a = offs[d]
        b = offs[d + 1]
        if _lower_ascii_span(buf[a:b], out[a:b]):
            lengths[d] = b - a
        else:
            lengths[d] = _fold_text(buf, a, b, table, data, ascii_fold, out, a, b)
    return lengths


@njit(cache=True, parallel=True, nogil=True)
def _lower_ascii(buf, out):
    """``out = buf`` with A-Z lowered, if every byte is ASCII; else False (and ``out`` is garbage).

    ``casefold(NFKC(c))`` of an ASCII character is its lower case (a test
    checks it against ``_ascii_fold``), so an all-ASCII batch folds in one
    branch-free pass that LLVM vectorizes, without the per-code-point path.
    """
    n = buf.shape[0]
    chunks = (n + 65535) >> 16
    high = np.zeros(chunks, dtype=np.uint8)
    for c in prange(chunks):
        acc = np.uint8(0)
        for i in range(c << 16, min(n, (c + 1) << 16)):
            b = buf[i]
            acc |= b
            out[i] = b | (np.uint8(np.uint8(b - np.uint8(65)) < np.uint8(26)) << np.uint8(5))
        high[c] = acc & np.uint8(0x80)
    for c in range(chunks):
        if high[c]:
            return False
    return True


@njit(cache=True, parallel=True, nogil=True)
def _compact(src, src_offs, folded, dst, dst_offs):
    """Copy each folded text (``folded[d] >= 0``) from ``src`` to its place in ``dst``."""
    for d in prange(dst_offs.shape[0] - 1):
        if folded[d] >= 0:
            a = src_offs[d]
            dst[dst_offs[d] : dst_offs[d + 1]] = src[a : a + folded[d]]


@njit(cache=True, nogil=True)
def _lower_ascii_run(units, a, b, out, o):
    """``out[o:] = units[a:b]`` lowered, for ASCII code units (one flat loop, which LLVM vectorizes)."""
    src = units[a:b]  # slices: indices from 0, so no negative-index check blocks vectorizing
    dst = out[o : o + b - a]
    for x in range(b - a):
        v = np.uint8(src[x])
        dst[x] = v | (np.uint8(np.uint8(v - np.uint8(65)) < np.uint8(26)) << np.uint8(5))


@njit(cache=True, nogil=True)
def _walk(units, table, data, ascii_fold, mode, out, o, joined, q, folded, bounds, s):
    """Fold one text's code units (``units``); what is done depends on ``mode``.

    0: measure: returns (bytes of the characters outside spans, spans, code
    points in spans, whether a span holds U+FFFF); 1: copy every span's
    code points to ``joined[q:]``, each followed by U+FFFF; 2: write the
    folded text to ``out[o:]``, span ``s`` onwards taken from ``folded``
    (``bounds[2 * s]:bounds[2 * s + 1]``). A span starts at a character followed by
    one without a boundary, or at a text's first character if it has none.
    """
    n = units.shape[0]
    length = 0
    n_spans = 0
    n_units = 0
    bad = False
    i = np.int64(0)  # not the literal 0: numba would compile _lower_ascii_run for it too
    while i < n:
        j = i  # a run of ASCII blocks, each followed by a character with a boundary: no lookup
        while j + _BLOCK < n:
            block = units[j : j + _BLOCK]
            acc = 0
            for x in range(_BLOCK):
                acc |= block[x]
            if acc >= 0x80 or units[j + _BLOCK] >= _MIN_NO_BOUNDARY:
                # the block's ASCII characters up to the one before the first that is not: the same
                # run (text with a curly quote every 100 characters took a third of them one by one)
                while units[j] < 0x80 and units[j + 1] < _MIN_NO_BOUNDARY:
                    j += 1
                break
            j += _BLOCK
        if j > i:
            if mode == 2:
                _lower_ascii_run(units, i, j, out, o + length)
            length += j - i
            i = j
            continue
        cp = np.int64(units[i])
        j = i + 1
        span = cp >= _MIN_NO_BOUNDARY and table[cp] == NO_BOUNDARY
        if not span and j < n:
            nxt = np.int64(units[j])
            span = nxt >= _MIN_NO_BOUNDARY and table[nxt] == NO_BOUNDARY
        if not span:
            if cp < 0x80:
                if mode == 2:
                    out[o + length] = ascii_fold[cp]
                length += 1
            else:
                length += _fold_cp(cp, table, data, out, o + length, mode == 2)
            i = j
            continue
        k = j
        while k < n:
            c = np.int64(units[k])
            if c < _MIN_NO_BOUNDARY or table[c] != NO_BOUNDARY:
                break
            k += 1
        n_spans += 1
        n_units += k - i
        if mode == 0:
            for x in range(i, k):
                bad |= units[x] == _SEP
        elif mode == 1:
            for x in range(i, k):
                joined[q] = units[x]
                q += 1
            joined[q] = _SEP
            q += 1
        else:
            a = bounds[2 * s]
            b = bounds[2 * s + 1]
            s += 1
            for x in range(a, b):
                out[o + length] = folded[x]
                length += 1
        i = k
    return length, n_spans, n_units, bad


@njit(cache=True, nogil=True, inline="always")  # inlined: one compiled level less (numba re-optimizes each)
def _doc(mode, d, units, table, data, ascii_fold, sizes, spans, span_units, indptr, out, joined, folded, bounds):
    """One pass's work on text ``d``, whose code units are ``units``; see ``_pass`` for the modes.

    Every argument of ``_walk`` is a run-time int64 (``np.int64``): a literal
    constant would make numba compile ``_walk`` once per value (9 versions
    instead of 3, a second each).
    """
    zero = np.int64(0)
    if mode == 0:
        length, n_spans, n_units, bad = _walk(units, table, data, ascii_fold, zero, out, zero, joined, zero, folded,
                                              bounds, zero)
        if bad:  # U+FFFF would be taken for the separator of the spans' CPython call
            length, n_spans, n_units = -1, 0, 0
        sizes[d] = length
        spans[d + 1] = n_spans
        span_units[d + 1] = n_units
    elif mode == 1:
        if spans[d + 1] > spans[d] and sizes[d] >= 0:
            _walk(units, table, data, ascii_fold, np.int64(1), out, zero, joined, span_units[d] + spans[d], folded,
                  bounds, zero)
    elif sizes[d] >= 0:
        _walk(units, table, data, ascii_fold, np.int64(2), out, indptr[d], joined, zero, folded, bounds, spans[d])


@njit(cache=True, parallel=True, nogil=True)
def _pass(mode, addrs, str_type, ascii_offset, compact_offset, table, data, ascii_fold, sizes, spans, span_units,
          indptr, out, joined, folded, bounds):
    """One parallel pass over the ``str`` objects at ``addrs``, read in place (``_pystr``).

    0: ``sizes[d]`` = text ``d``'s folded bytes outside spans (-1: not folded
    here), ``spans[d + 1]`` its spans, ``span_units[d + 1]`` their code
    points; 1: copy the spans of every text that has some to ``joined`` from
    ``span_units[d] + spans[d]`` (the prefix sums); 2: write every text with
    ``sizes[d] >= 0`` at ``out[indptr[d]:]``. One kernel for the three
    modes: one compilation.
    """
    for d in prange(addrs.shape[0]):  # d as int64: the parallel body's uint64 index would compile _text twice
        _text(mode, np.int64(d), addrs[d], str_type, ascii_offset, compact_offset, table, data, ascii_fold, sizes,
              spans, span_units, indptr, out, joined, folded, bounds)


@njit(cache=True, nogil=True)
def _text(mode, d, address, str_type, ascii_offset, compact_offset, table, data, ascii_fold, sizes, spans,
          span_units, indptr, out, joined, folded, bounds):
    """``_doc`` on the ``str`` at ``address``, by its kind (kept out of ``_pass``'s parallel body: faster to compile)."""
    kind, is_ascii, n, at = _pystr.header(address, str_type, ascii_offset, compact_offset)
    if kind == 1 and is_ascii:  # every ASCII character folds to one byte and has boundaries
        if mode == 0:
            sizes[d] = n
            spans[d + 1] = 0
            span_units[d + 1] = 0
        elif mode == 2 and sizes[d] >= 0:
            _lower_ascii_run(_pystr.units(at, n, np.uint8), np.int64(0), n, out, indptr[d])
    elif kind == 1:
        _doc(mode, d, _pystr.units(at, n, np.uint8), table, data, ascii_fold, sizes, spans, span_units, indptr,
             out, joined, folded, bounds)
    elif kind == 2:
        _doc(mode, d, _pystr.units(at, n, np.uint16), table, data, ascii_fold, sizes, spans, span_units, indptr,
             out, joined, folded, bounds)
    elif kind == 4:
        _doc(mode, d, _pystr.units(at, n, np.uint32), table, data, ascii_fold, sizes, spans, span_units, indptr,
             out, joined, folded, bounds)
    elif mode == 0:  # not readable in place
        sizes[d] = -1
        spans[d + 1] = 0
        span_units[d + 1] = 0


@njit(cache=True, parallel=True, nogil=True)
def _pass_units(mode, cps, doc_ptr, table, data, ascii_fold, sizes, spans, span_units, indptr, out, joined, folded,
                bounds):
    """``_pass`` over texts given as code points: text ``d`` is ``cps[doc_ptr[d]:doc_ptr[d + 1]]``."""
    for d in prange(doc_ptr.shape[0] - 1):
        _doc(mode, np.int64(d), cps[doc_ptr[d] : doc_ptr[d + 1]], table, data, ascii_fold, sizes, spans, span_units,
             indptr, out, joined, folded, bounds)


@njit(cache=True, nogil=True)
def _split_spans(folded, total):
    """``[start, end)`` of each of the ``total`` spans in ``folded`` (UTF-8, U+FFFF = EF BF BF after each)."""
    bounds = np.empty(2 * total, dtype=np.int64)
    s = 0
    start = 0
    i = 0
    n = folded.shape[0]
    while i + 2 < n:
        if folded[i] == 0xEF and folded[i + 1] == 0xBF and folded[i + 2] == 0xBF:
            if s == total:
                raise ValueError("more spans than gathered")
            bounds[2 * s] = start
            bounds[2 * s + 1] = i
            s += 1
            i += 3
            start = i
        else:
            i += 1
    if s != total:
        raise ValueError("fewer spans than gathered")
    return bounds


@njit(cache=True, nogil=True)
def _add_span_sizes(bounds, spans, sizes):
    for d in range(sizes.shape[0]):
        if sizes[d] >= 0:
            for s in range(spans[d], spans[d + 1]):
                sizes[d] += bounds[2 * s + 1] - bounds[2 * s]


@njit(cache=True, parallel=True, nogil=True)
def _place(src, src_offs, rows, indptr, out):
    """Copy text ``k`` of ``src`` to text ``rows[k]`` of ``out``."""
    for k in prange(rows.shape[0]):
        d = rows[k]
        out[indptr[d] : indptr[d + 1]] = src[src_offs[k] : src_offs[k + 1]]


@njit(cache=True, nogil=True)
def _fold_cp(cp, table, data, out, o, write):
    """Write ``casefold(NFKC(cp))`` as UTF-8 at ``out[o]`` (if ``write``); return its length, or -1."""
    t = table[cp]
    if t == NO_BOUNDARY:
        return -1
    if t != IDENTITY:
        m = t & 0xFF
        if write:
            start = t >> 8
            for k in range(m):
                out[o + k] = data[start + k]
        return m
    if cp < 0x80:
        if write:
            out[o] = cp
        return 1
    if cp < 0x800:
        if write:
            out[o] = 0xC0 | (cp >> 6)
            out[o + 1] = 0x80 | (cp & 0x3F)
        return 2
    if cp < 0x10000:  # lone surrogates too, as "surrogatepass" encodes them
        if write:
            out[o] = 0xE0 | (cp >> 12)
            out[o + 1] = 0x80 | ((cp >> 6) & 0x3F)
            out[o + 2] = 0x80 | (cp & 0x3F)
        return 3
    if write:
        out[o] = 0xF0 | (cp >> 18)
        out[o + 1] = 0x80 | ((cp >> 12) & 0x3F)
        out[o + 2] = 0x80 | ((cp >> 6) & 0x3F)
        out[o + 3] = 0x80 | (cp & 0x3F)
    return 4
