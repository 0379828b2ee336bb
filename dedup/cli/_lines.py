"""JSON Lines of a whole chunk at once: numba kernels writing the bytes ``json.dumps`` would write.

``collapse`` writes hundreds of thousands of removals; building each line in
Python costs more than the collapse itself. Here a chunk's removals become
one ``bytes`` of JSON Lines from arrays: each id is JSON-encoded once (in
Python, O(1) per document), each distinct similarity is ``repr``'d once, and
a kernel writes every line, the removed text escaped as
``json.dumps(text, ensure_ascii=False)`` escapes it (``"``, ``\\`` and the
control characters; everything else as UTF-8). Text holding a lone
surrogate (which UTF-8 cannot hold) is refused with None, for the caller's
own path.
"""

from __future__ import annotations

import json

import numpy as np
from numba import njit, prange

from .._blocks._decide import KINDS
from .._text._codepoints import code_points

#: The fixed pieces of a removal line, in order (``_FIELDS`` says what follows each).
_PIECES = ('{"id": ', ', "start": ', ', "end": ', ', "kind": ', ', "similarity": ', ', "source": ', "null",
           '{"id": ', ', "start": ', ', "end": ', "}", ', "text": ', "}\n")
_LIT = np.frombuffer("".join(_PIECES).encode(), dtype=np.uint8)
_LIT_PTR = np.concatenate([[0], np.cumsum([len(p) for p in _PIECES])]).astype(np.int64)
#: ``json.dumps`` of each kind, by its code in ``_decide.KINDS``.
_KIND_JSON = tuple(json.dumps(k) for k in KINDS)


@njit(cache=True, inline="always")
def _escaped_size(c):
    """Bytes of code point ``c`` in a JSON string (ensure_ascii=False); -1 for a surrogate."""
    if c < 0x20:
        if c == 8 or c == 9 or c == 10 or c == 12 or c == 13:
            return 2
        return 6
    if c < 0x80:
        return 2 if c == 34 or c == 92 else 1
    if c < 0x800:
        return 2
    if c < 0x10000:
        return -1 if 0xD800 <= c <= 0xDFFF else 3
    return 4


@njit(cache=True)
def escaped_size(cps, a, b):
    """Bytes of ``cps[a:b]`` as a JSON string without its quotes, or -1 if it holds a surrogate."""
    n = 0
    for i in range(a, b):
        k = _escaped_size(cps[i])
        if k < 0:
            return -1
        n += k
    return n


@njit(cache=True)
def write_escaped(cps, a, b, out, o):
    """Write ``cps[a:b]`` as a JSON string without its quotes at ``out[o:]``; return the end."""
    hexd = "0123456789abcdef"
    for i in range(a, b):
        c = np.int64(cps[i])
        if c < 0x20:
            out[o] = 92
            if c == 8:
                out[o + 1] = 98  # \b
            elif c == 9:
                out[o + 1] = 116  # \t
            elif c == 10:
                out[o + 1] = 110  # \n
            elif c == 12:
                out[o + 1] = 102  # \f
            elif c == 13:
                out[o + 1] = 114  # \r
            else:
                out[o + 1] = 117  # \u00XX
                out[o + 2] = 48
                out[o + 3] = 48
                out[o + 4] = ord(hexd[c >> 4])
                out[o + 5] = ord(hexd[c & 15])
                o += 6
                continue
            o += 2
        elif c < 0x80:
            if c == 34 or c == 92:
                out[o] = 92
                o += 1
            out[o] = c
            o += 1
        elif c < 0x800:
            out[o] = 0xC0 | (c >> 6)
            out[o + 1] = 0x80 | (c & 0x3F)
            o += 2
        elif c < 0x10000:
            out[o] = 0xE0 | (c >> 12)
            out[o + 1] = 0x80 | ((c >> 6) & 0x3F)
            out[o + 2] = 0x80 | (c & 0x3F)
            o += 3
        else:
            out[o] = 0xF0 | (c >> 18)
            out[o + 1] = 0x80 | ((c >> 12) & 0x3F)
            out[o + 2] = 0x80 | ((c >> 6) & 0x3F)
            out[o + 3] = 0x80 | (c & 0x3F)
            o += 4
    return o


@njit(cache=True, inline="always")
def _digits(x):
    """Characters of the decimal integer ``x`` (a sign included)."""
    n = 1
    if x < 0:
        n += 1
        x = -x
    while x >= 10:
        x //= 10
        n += 1
    return n


@njit(cache=True, inline="always")
def _write_int(x, out, o):
    n = _digits(x)
    end = o + n
    if x < 0:
        out[o] = 45
        x = -x
    p = end - 1
    while True:
        out[p] = 48 + x % 10
        x //= 10
        p -= 1
        if x == 0:
            break
    return end


@njit(cache=True, inline="always")
def _put(src, a, b, out, o):
    for i in range(a, b):
        out[o + i - a] = src[i]
    return o + b - a


@njit(cache=True, inline="always")
def _lit(lit, ptr, k, out, o):
    return _put(lit, ptr[k], ptr[k + 1], out, o)


@njit(cache=True, inline="always")
def _line_size(k, cps, tstart, tend, idptr, rid, sid, start, end, sstart, send, kptr, kind, sptr, sim, ptr):
    """Bytes of removal line ``k`` (pieces as in ``_PIECES``), or -1 if its text holds a surrogate."""
    t = escaped_size(cps, tstart[k], tend[k])
    if t < 0:
        return -1
    n = (ptr[6] - ptr[0]) + (ptr[13] - ptr[11]) + 2 + t
    n += idptr[rid[k] + 1] - idptr[rid[k]] + _digits(start[k]) + _digits(end[k])
    n += kptr[kind[k] + 1] - kptr[kind[k]] + sptr[sim[k] + 1] - sptr[sim[k]]
    if sid[k] < 0:
        return n + ptr[7] - ptr[6]
    return n + ptr[11] - ptr[7] + idptr[sid[k] + 1] - idptr[sid[k]] + _digits(sstart[k]) + _digits(send[k])


@njit(cache=True, parallel=True, nogil=True)
def _removal_lines(cps, tstart, tend, ids, idptr, rid, sid, start, end, sstart, send, kinds, kptr, kind, sims, sptr,
                   sim, lit, ptr):
    m = rid.shape[0]
    size = np.empty(m, dtype=np.int64)
    bad = 0
    for k in prange(m):
        size[k] = _line_size(k, cps, tstart, tend, idptr, rid, sid, start, end, sstart, send, kptr, kind, sptr,
                             sim, ptr)
        if size[k] < 0:
            bad += 1
    if bad:
        return np.zeros(0, dtype=np.uint8), False
    at = np.zeros(m + 1, dtype=np.int64)
    for k in range(m):
        at[k + 1] = at[k] + size[k]
    out = np.empty(at[m], dtype=np.uint8)
    for k in prange(m):
        o = at[k]
        o = _lit(lit, ptr, 0, out, o)
        o = _put(ids, idptr[rid[k]], idptr[rid[k] + 1], out, o)
        o = _lit(lit, ptr, 1, out, o)
        o = _write_int(start[k], out, o)
        o = _lit(lit, ptr, 2, out, o)
        o = _write_int(end[k], out, o)
        o = _lit(lit, ptr, 3, out, o)
        o = _put(kinds, kptr[kind[k]], kptr[kind[k] + 1], out, o)
        o = _lit(lit, ptr, 4, out, o)
        o = _put(sims, sptr[sim[k]], sptr[sim[k] + 1], out, o)
        o = _lit(lit, ptr, 5, out, o)
        if sid[k] < 0:
            o = _lit(lit, ptr, 6, out, o)
        else:
            o = _lit(lit, ptr, 7, out, o)
            o = _put(ids, idptr[sid[k]], idptr[sid[k] + 1], out, o)
            o = _lit(lit, ptr, 8, out, o)
            o = _write_int(sstart[k], out, o)
            o = _lit(lit, ptr, 9, out, o)
            o = _write_int(send[k], out, o)
            o = _lit(lit, ptr, 10, out, o)
        o = _lit(lit, ptr, 11, out, o)
        out[o] = 34
        o = write_escaped(cps, tstart[k], tend[k], out, o + 1)
        out[o] = 34
        _lit(lit, ptr, 12, out, o + 1)
    return out, True


def _table(strings) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 of ``strings`` concatenated, and their offsets."""
    parts = [s.encode("utf-8") for s in strings]
    ptr = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, parts), dtype=np.int64, count=len(parts)), out=ptr[1:])
    return np.frombuffer(b"".join(parts), dtype=np.uint8), ptr


_KINDS_TABLE = _table(_KIND_JSON)


def removal_lines(texts, d0: int, rows, json_of):
    """The JSON Lines of the removals of documents ``d0 : d0 + len(texts)`` (``texts`` their original text).

    ``rows``: ``(counts, ints, sim)`` of ``_records.removal_rows``, the removals of these documents (source
    documents numbered in the corpus); ``json_of(position)``: the JSON of a document's id. Returns ``bytes``,
    or None if a removed text holds a lone surrogate (not writable as UTF-8: the caller's own path says so).
    """
    counts, ints, sim = rows
    m = ints.shape[0]
    if m == 0:
        return b""
    rdoc = np.repeat(np.arange(len(texts), dtype=np.int64), counts)
    sdoc = ints[:, 3]
    # Every id written once: the chunk's documents with removals and the distinct sources.
    who, slot = np.unique(np.concatenate([rdoc + d0, sdoc[sdoc >= 0]]), return_inverse=True)
    ids, idptr = _table(map(json_of, who.tolist()))
    rid = slot[:m]
    sid = np.full(m, -1, dtype=np.int64)
    sid[sdoc >= 0] = slot[m:]
    uniq, simk = np.unique(sim, return_inverse=True)
    sims, sptr = _table(repr(float(round(x, 6))) for x in uniq.tolist())
    cps, doc_ptr = code_points(texts)
    base = doc_ptr[rdoc]
    out, ok = _removal_lines(cps, ints[:, 0] + base, ints[:, 1] + base, ids, idptr, rid, sid,
                             np.ascontiguousarray(ints[:, 0]), np.ascontiguousarray(ints[:, 1]),
                             np.ascontiguousarray(ints[:, 4]), np.ascontiguousarray(ints[:, 5]),
                             *_KINDS_TABLE, np.ascontiguousarray(ints[:, 2]), sims, sptr, simk.astype(np.int64),
                             _LIT, _LIT_PTR)
    return out if ok else None


# ------------------------------------------------------------------ records with a new text
@njit(cache=True, parallel=True, nogil=True)
def _json_strings(cps, ptr):
    n = ptr.shape[0] - 1
    size = np.empty(n, dtype=np.int64)
    bad = 0
    for k in prange(n):
        size[k] = escaped_size(cps, ptr[k], ptr[k + 1])
        if size[k] < 0:
            bad += 1
    at = np.zeros(n + 1, dtype=np.int64)
    if bad:
        return np.zeros(0, dtype=np.uint8), at, False
    for k in range(n):
        at[k + 1] = at[k] + size[k] + 2
    out = np.empty(at[n], dtype=np.uint8)
    for k in prange(n):
        out[at[k]] = 34
        write_escaped(cps, ptr[k], ptr[k + 1], out, at[k] + 1)
        out[at[k + 1] - 1] = 34
    return out, at, True


def json_strings(texts):
    """``(data, offsets)``: ``json.dumps(texts[k], ensure_ascii=False)`` as UTF-8 is
    ``data[offsets[k]:offsets[k+1]]`` (``data`` a uint8 array); None if a text holds a lone surrogate."""
    cps, ptr = code_points(texts)
    out, at, ok = _json_strings(cps, ptr)
    return (out, at.tolist()) if ok else None


@njit(cache=True, inline="always")
def _skip_space(b, i):
    while i < b.shape[0] and (b[i] == 32 or b[i] == 9 or b[i] == 10 or b[i] == 13):
        i += 1
    return i


@njit(cache=True, inline="always")
def _string_end(b, i):
    """One past the closing quote of the JSON string opening at ``b[i]``, or -1."""
    i += 1
    while i < b.shape[0]:
        c = b[i]
        if c == 92:
            i += 2
        elif c == 34:
            return i + 1
        else:
            i += 1
    return -1


@njit(cache=True)
def _value_end(b, i):
    """One past the JSON value starting at ``b[i]`` (checked only as far as finding its end), or -1."""
    c = b[i]
    if c == 34:
        return _string_end(b, i)
    if c == 123 or c == 91:  # { [
        depth = 0
        while i < b.shape[0]:
            c = b[i]
            if c == 34:
                i = _string_end(b, i)
                if i < 0:
                    return -1
                continue
            if c == 123 or c == 91:
                depth += 1
            elif c == 125 or c == 93:
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
        return -1
    while i < b.shape[0] and not (b[i] == 44 or b[i] == 125 or b[i] == 93 or b[i] == 32 or b[i] == 9
                                  or b[i] == 10 or b[i] == 13):
        i += 1
    return i


@njit(cache=True)
def value_span(b, key):
    """``(start, end)`` of the value of the key ``key`` (UTF-8) of the JSON object ``b``, found once among its
    own keys; ``(-1, -1)`` if it is not found exactly once, or a key is written with an escape."""
    i = _skip_space(b, 0)
    if i >= b.shape[0] or b[i] != 123:
        return -1, -1
    i = _skip_space(b, i + 1)
    start, end, found = -1, -1, 0
    while i < b.shape[0] and b[i] == 34:
        e = _string_end(b, i)
        if e < 0:
            return -1, -1
        same = e - i - 2 == key.shape[0]
        for j in range(i + 1, e - 1):
            if b[j] == 92:
                return -1, -1
            if same and b[j] != key[j - i - 1]:
                same = False
        i = _skip_space(b, e)
        if i >= b.shape[0] or b[i] != 58:  # :
            return -1, -1
        i = _skip_space(b, i + 1)
        if i >= b.shape[0]:
            return -1, -1
        e = _value_end(b, i)
        if e < 0:
            return -1, -1
        if same:
            start, end, found = i, e, found + 1
        i = _skip_space(b, e)
        if i < b.shape[0] and b[i] == 44:  # ,
            i = _skip_space(b, i + 1)
        elif i < b.shape[0] and b[i] == 125:  # }
            return (start, end) if found == 1 else (-1, -1)
        else:
            return -1, -1
    return -1, -1


_SENTINEL = "\x00near-dups: the new text\x00"
_SENTINEL_JSON = json.dumps(_SENTINEL, ensure_ascii=False)


def with_text(line: bytes, key: bytes, field: str, new) -> bytes | None:
    """``json.dumps(record, ensure_ascii=False)`` of the JSON object ``line`` with ``record[field]`` replaced
    by the string whose JSON is ``new`` (``json_strings``), plus a newline, without decoding or encoding the
    texts: only the rest of the record goes through ``json`` (``key``: ``field`` as UTF-8). None when the line
    is not one this can do (the field twice, a key with an escape, invalid JSON): the caller's round trip."""
    a, b = value_span(np.frombuffer(line, dtype=np.uint8), np.frombuffer(key, dtype=np.uint8))
    if a < 0:
        return None
    try:
        rec = json.loads(line[:a] + b"null" + line[b:])
    except ValueError:
        return None
    if not isinstance(rec, dict) or rec.get(field, 0) is not None:
        return None
    rec[field] = _SENTINEL
    parts = json.dumps(rec, ensure_ascii=False).split(_SENTINEL_JSON)
    if len(parts) != 2:
        return None
    return b"".join((parts[0].encode("utf-8"), new, parts[1].encode("utf-8"), b"\n"))
