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


def json_strings(texts, cps=None):
    """``(data, offsets)``: ``json.dumps(texts[k], ensure_ascii=False)`` as UTF-8 is
    ``data[offsets[k]:offsets[k+1]]`` (``data`` a uint8 array, ``offsets`` int64); None if a text holds a lone
    surrogate. ``cps``: their ``(code points, ptr)`` when the caller has them."""
    cps, ptr = code_points(texts) if cps is None else cps
    out, at, ok = _json_strings(cps, ptr)
    return (out, at) if ok else None


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


# ------------------------------------------------------------------ records spliced a chunk at a time
#: Keys (at every depth) and nesting a record may have for ``canonical_span``; past them, the caller's own path.
_MAX_KEYS = 256
_MAX_DEPTH = 64
#: Digits of an integer ``json.loads`` reads (``sys.get_int_max_str_digits``' default).
_MAX_DIGITS = 4300


@njit(cache=True, inline="always")
def _plain_string_end(b, i, e):
    """One past the closing quote of the JSON string opening at ``b[i]`` (before ``e``), or -1."""
    i += 1
    while i < e:
        c = b[i]
        if c == 92:
            i += 2
        elif c == 34:
            return i + 1
        elif c < 0x20:
            return -1
        else:
            i += 1
    return -1


@njit(cache=True, inline="always")
def _canonical_string_end(b, i, e):
    """One past the closing quote of the JSON string opening at ``b[i]`` if ``json.dumps(json.loads(s),
    ensure_ascii=False)`` writes it byte for byte as it is (escapes only ``\\" \\\\ \\b \\f \\n \\r \\t`` and
    ``\\u00xx`` for the other control characters), else -1."""
    i += 1
    while i < e:
        c = b[i]
        if c == 34:
            return i + 1
        if c < 0x20:
            return -1
        if c != 92:
            i += 1
            continue
        if i + 1 >= e:
            return -1
        x = b[i + 1]
        if x == 34 or x == 92 or x == 98 or x == 102 or x == 110 or x == 114 or x == 116:
            i += 2
            continue
        if x != 117 or i + 5 >= e or b[i + 2] != 48 or b[i + 3] != 48:
            return -1
        h, lo = b[i + 4], b[i + 5]
        if h != 48 and h != 49:
            return -1
        if 48 <= lo <= 57:
            v = (h - 48) * 16 + lo - 48
        elif 97 <= lo <= 102:
            v = (h - 48) * 16 + lo - 87
        else:
            return -1
        if v == 8 or v == 9 or v == 10 or v == 12 or v == 13:
            return -1
        i += 6
    return -1


@njit(cache=True, inline="always")
def _same(b, a0, a1, c0, c1):
    if a1 - a0 != c1 - c0:
        return False
    for k in range(a1 - a0):
        if b[a0 + k] != b[c0 + k]:
            return False
    return True


@njit(cache=True)
def canonical_span(b, s, e, key, keys):
    """``(start, end)`` of the value of the top-level key ``key`` (its JSON, without quotes) in the line
    ``b[s:e]`` when that line is a JSON object exactly as ``json.dumps(json.loads(line), ensure_ascii=False)``
    writes it, apart from that value (any JSON string); else ``(-1, -1)``. ``keys``: scratch, int64 (2,
    ``_MAX_KEYS``). Declined: other spacing, a float, ``-0``, an escape ``json.dumps`` would not write, a key
    twice in one object (``json.loads`` keeps the last), no such key, deeper than ``_MAX_DEPTH``."""
    if s >= e or b[s] != 123:
        return -1, -1
    kind = np.zeros(_MAX_DEPTH, dtype=np.uint8)  # 0 object, 1 array
    base = np.zeros(_MAX_DEPTH, dtype=np.int64)  # first of the object's keys in ``keys``
    depth, nk, i, first = 0, 0, s + 1, True
    va, vb = -1, -1
    while True:
        if i >= e:
            return -1, -1
        close = 125 if kind[depth] == 0 else 93
        closed = False
        if b[i] == close:
            i += 1
            closed = True
        elif not first:
            if b[i] != 44 or i + 1 >= e or b[i + 1] != 32:  # ", "
                return -1, -1
            i += 2
        if closed:
            if depth == 0:
                return (va, vb) if i == e and va >= 0 else (-1, -1)
            nk = base[depth]
            depth -= 1
            first = False
            continue
        first = False
        is_key = False
        if kind[depth] == 0:
            if i >= e or b[i] != 34:
                return -1, -1
            ke = _canonical_string_end(b, i, e)
            if ke < 0 or nk >= _MAX_KEYS:
                return -1, -1
            for q in range(base[depth], nk):
                if _same(b, keys[0, q], keys[1, q], i, ke):
                    return -1, -1
            keys[0, nk], keys[1, nk] = i, ke
            nk += 1
            is_key = depth == 0 and ke - i - 2 == key.shape[0]
            if is_key:
                for q in range(key.shape[0]):
                    if b[i + 1 + q] != key[q]:
                        is_key = False
                        break
            i = ke
            if i + 1 >= e or b[i] != 58 or b[i + 1] != 32:  # ": "
                return -1, -1
            i += 2
            if i >= e:
                return -1, -1
        c = b[i]
        if is_key:
            if c != 34:
                return -1, -1
            va = i
            i = _plain_string_end(b, i, e)
            if i < 0:
                return -1, -1
            vb = i
        elif c == 34:
            i = _canonical_string_end(b, i, e)
            if i < 0:
                return -1, -1
        elif c == 123 or c == 91:
            if depth + 1 >= _MAX_DEPTH:
                return -1, -1
            depth += 1
            kind[depth] = 0 if c == 123 else 1
            base[depth] = nk
            i += 1
            first = True
        elif c == 116:  # true
            if i + 4 > e or b[i + 1] != 114 or b[i + 2] != 117 or b[i + 3] != 101:
                return -1, -1
            i += 4
        elif c == 102:  # false
            if i + 5 > e or b[i + 1] != 97 or b[i + 2] != 108 or b[i + 3] != 115 or b[i + 4] != 101:
                return -1, -1
            i += 5
        elif c == 110:  # null
            if i + 4 > e or b[i + 1] != 117 or b[i + 2] != 108 or b[i + 3] != 108:
                return -1, -1
            i += 4
        elif c == 45 or 48 <= c <= 57:  # an integer as Python writes it
            j = i + 1 if c == 45 else i
            d = j
            while j < e and 48 <= b[j] <= 57:
                j += 1
            if j == d or j - d > _MAX_DIGITS or (b[d] == 48 and (j - d > 1 or c == 45)):
                return -1, -1
            i = j
        else:
            return -1, -1


@njit(cache=True, parallel=True, nogil=True)
def _splice(buf, ls, le, slot, data, offsets, key):
    n = ls.shape[0]
    va = np.empty(n, dtype=np.int64)
    vb = np.empty(n, dtype=np.int64)
    size = np.empty(n, dtype=np.int64)
    for k in prange(n):
        va[k] = -1
        if slot[k] == -1:
            size[k] = le[k] - ls[k] + 1
            continue
        a, b = -1, -1
        if slot[k] >= 0:
            a, b = canonical_span(buf, ls[k], le[k], key, np.empty((2, _MAX_KEYS), dtype=np.int64))
        if a < 0:
            va[k] = -2  # the caller's own path
            size[k] = 0
        else:
            va[k], vb[k] = a, b
            size[k] = le[k] - ls[k] - (b - a) + offsets[slot[k] + 1] - offsets[slot[k]] + 1
    at = np.zeros(n + 1, dtype=np.int64)
    for k in range(n):
        at[k + 1] = at[k] + size[k]
    out = np.empty(at[n], dtype=np.uint8)
    for k in prange(n):
        o = at[k]
        if va[k] == -1:
            o = _put(buf, ls[k], le[k], out, o)
        elif va[k] >= 0:
            o = _put(buf, ls[k], va[k], out, o)
            o = _put(data, offsets[slot[k]], offsets[slot[k] + 1], out, o)
            o = _put(buf, vb[k], le[k], out, o)
        else:
            continue
        out[o] = 10
    return out, at, va


def splice_lines(buf, ls, le, slot, data, offsets, key):
    """JSON Lines ``buf[ls[k]:le[k]]`` (each without its newline) written again at once: line ``k`` as it is
    (``slot[k] == -1``), or with the value of the top-level key ``key`` (its JSON, without quotes) replaced by
    the JSON ``data[offsets[slot[k]] : offsets[slot[k] + 1]]``, each with a newline, where ``canonical_span``
    says that is ``json.dumps`` of the record with that new value. Returns ``(out, at, rest)``: line ``k``'s
    bytes are ``out[at[k]:at[k + 1]]``, and empty for the lines ``rest`` (ascending) the caller writes its
    own way (``slot`` -2: no JSON; or a record not written as ``json.dumps`` writes one)."""
    out, at, va = _splice(buf, ls, le, slot, data, offsets, key)
    return out, at, np.flatnonzero(va == -2)
