"""Tokens with their spans in the original text: the one tokenization of passages and ``explain``.

For every document this gives the tokens exactly as the shingling kernel
(``_tokenize._token_hashes``) sees them, as unit values (``fmix64`` of the
FNV-1a hash of the token's normalized UTF-8 bytes, the ``u_j`` of the
shingle polynomial), and each token's ``[start, end)`` in the *original*
text, as Python ``str`` indices. ``shingle_windows`` turns the units into the
word n-gram hashes ``dedup.shingles`` returns, in text order (tested equal).

How a token is mapped back. Normalization (``_normalize``: NFKC, then
casefold) is applied to *segments* of the original text: a character with a
normalization boundary before it (every character the fold table maps
alone), followed by the characters without one (combining marks, Hangul
vowel and final jamo, ...). NFKC never looks across such a boundary (Unicode
UAX #15, "Detecting normalization forms"; casefold is per character), so the
normalized text is the concatenation of the segments' normalized texts and
each normalized character comes from one known segment. A token starts at
the start of the segment of its first character and ends at the end of the
segment of its last one. In text where every character has a boundary (most
text), a segment is one character and the kernel folds it through the table
itself, reading the original code points once. A document holding a
character without a boundary is normalized by CPython in one call for all
such documents, with a NUL between segments (a NUL starts and ends a
segment of its own, so inserting it changes no segment; a NUL of the text is
read as U+0001, another separator), and the kernel advances one segment per
NUL. A character that normalizes to several tokens (``"½"`` -> ``1 2``) gives
them all its span.

Layout: CSR over documents, ``tptr`` (n + 1,), ``units`` (uint64),
``starts``/``ends`` (int64, offsets into the document's own ``str``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numba import njit, prange

from . import _codepoints, _normalize
from .._core._hashing import FNV_OFFSET, FNV_PRIME, fmix64
from ._shingle import _POLY, _WIDTH_TAG
from ._tokenize import _decode

_NUL = 0
_SUBST_NUL = 1  # a NUL of the text is read as U+0001 in the CPython path: both separators


@functools.cache
def joiners() -> np.ndarray:
    """1 for every code point *without* a normalization boundary before it, else 0.

    A code point has no boundary before it when its full decomposition starts
    with a combining character (canonical combining class > 0) or with a
    character that composes with a preceding starter (the second of a
    canonical pair, Hangul V and T jamo): exactly the code points
    ``_normalize.fold_table`` marks ``NO_BOUNDARY`` (a test checks every code
    point against the rule).

    Returns
    -------
    numpy.ndarray of uint8, shape (0x110000,), read-only.
    """
    table, _ = _normalize.fold_table()
    out = (table == _normalize.NO_BOUNDARY).astype(np.uint8)
    out.setflags(write=False)
    return out


class Tokens(NamedTuple):
    """Tokens of many documents as CSR arrays.

    Attributes
    ----------
    tptr : int64 (n_docs + 1,); the tokens of document ``d`` are ``tptr[d]:tptr[d+1]``.
    units : uint64 (n_tokens,); ``fmix64(fnv1a64(normalized token bytes))``.
    starts, ends : int64 (n_tokens,); the token's ``[start, end)`` in its
        document's original ``str``.
    """

    tptr: np.ndarray
    units: np.ndarray
    starts: np.ndarray
    ends: np.ndarray


@njit(cache=True, inline="always")
def _utf8_hash(h, cp):
    """FNV-1a of the UTF-8 bytes of ``cp`` (surrogates as ``surrogatepass`` writes them), onto ``h``."""
    if cp < 0x80:
        return (h ^ np.uint64(cp)) * FNV_PRIME
    if cp < 0x800:
        h = (h ^ np.uint64(0xC0 | (cp >> 6))) * FNV_PRIME
        return (h ^ np.uint64(0x80 | (cp & 0x3F))) * FNV_PRIME
    if cp < 0x10000:
        h = (h ^ np.uint64(0xE0 | (cp >> 12))) * FNV_PRIME
        h = (h ^ np.uint64(0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME
        return (h ^ np.uint64(0x80 | (cp & 0x3F))) * FNV_PRIME
    h = (h ^ np.uint64(0xF0 | (cp >> 18))) * FNV_PRIME
    h = (h ^ np.uint64(0x80 | ((cp >> 12) & 0x3F))) * FNV_PRIME
    h = (h ^ np.uint64(0x80 | ((cp >> 6) & 0x3F))) * FNV_PRIME
    return (h ^ np.uint64(0x80 | (cp & 0x3F))) * FNV_PRIME


# The tokenizer's state travels as a tuple (in_token, start, end, hash, count)
# through inlined helpers, so it stays in registers.


@njit(cache=True, inline="always")
def _put(k, h, s, e, units, starts, ends, write):
    if write:
        units[k] = fmix64(h)
        starts[k] = s
        ends[k] = e
    return k + 1


@njit(cache=True, inline="always")
def _feed(cls, cp, lo, hi, in_tok, ts, te, h, k, units, starts, ends, write):
    """One normalized code point of class ``cls`` coming from original ``[lo, hi)``."""
    if cls == 1:
        if not in_tok:
            return True, lo, hi, _utf8_hash(FNV_OFFSET, cp), k
        return True, ts, hi, _utf8_hash(h, cp), k
    if in_tok:
        k = _put(k, h, ts, te, units, starts, ends, write)
    if cls == 2:
        k = _put(k, _utf8_hash(FNV_OFFSET, cp), lo, hi, units, starts, ends, write)
    return False, ts, te, h, k


@njit(cache=True)
def _walk_table(cps, a, b, table, data, ascii_fold, classes, units, starts, ends, o, write):
    """Tokens of ``cps[a:b]`` (every character with a boundary), folding each character by the table."""
    in_tok = False
    ts = 0
    te = 0
    h = FNV_OFFSET
    k = o
    for i in range(a, b):
        cp = np.int64(cps[i])
        lo = i - a
        if cp < 0x80:
            c = np.int64(ascii_fold[cp])
            if classes[c] == 1:  # the common case, kept short
                if not in_tok:
                    in_tok = True
                    ts = lo
                    h = FNV_OFFSET
                h = (h ^ np.uint64(c)) * FNV_PRIME
                te = lo + 1
            elif in_tok:
                k = _put(k, h, ts, te, units, starts, ends, write)
                in_tok = False
            continue
        t = table[cp]
        if t == _normalize.IDENTITY:
            in_tok, ts, te, h, k = _feed(classes[cp], cp, lo, lo + 1, in_tok, ts, te, h, k,
                                         units, starts, ends, write)
            continue
        j = np.int64(t >> 8)
        stop = j + (t & 0xFF)
        while j < stop:
            c, j = _decode(data, j, stop)
            in_tok, ts, te, h, k = _feed(classes[c], c, lo, lo + 1, in_tok, ts, te, h, k,
                                         units, starts, ends, write)
    if in_tok:
        k = _put(k, h, ts, te, units, starts, ends, write)
    return k - o


@njit(cache=True, inline="always")
def _segment_end(cps, i, b, joins):
    """End of the segment starting at ``cps[i]``: the next character with a boundary before it."""
    i += 1
    while i < b and joins[np.int64(cps[i])]:
        i += 1
    return i


@njit(cache=True)
def _walk_segments(cps, a, b, nbuf, na, nb, joins, classes, units, starts, ends, o, write):
    """Tokens of ``cps[a:b]`` from its normalized segments ``nbuf[na:nb]``, separated by NULs."""
    seg_s = a
    seg_e = _segment_end(cps, a, b, joins) if a < b else b
    in_tok = False
    ts = 0
    te = 0
    h = FNV_OFFSET
    k = o
    j = na
    while j < nb:
        if nbuf[j] == _NUL:
            seg_s = seg_e
            seg_e = _segment_end(cps, seg_s, b, joins)
            j += 1
            continue
        c, j = _decode(nbuf, j, nb)
        in_tok, ts, te, h, k = _feed(classes[c], c, seg_s - a, seg_e - a, in_tok, ts, te, h, k,
                                     units, starts, ends, write)
    if in_tok:
        k = _put(k, h, ts, te, units, starts, ends, write)
    return k - o


@njit(cache=True)
def _doc_tokens(cps, a, b, slow_at, nbuf, nptr, joins, table, data, ascii_fold, classes, units, starts, ends, o, write):
    if slow_at < 0:
        return _walk_table(cps, a, b, table, data, ascii_fold, classes, units, starts, ends, o, write)
    return _walk_segments(cps, a, b, nbuf, nptr[slow_at], nptr[slow_at + 1], joins, classes,
                          units, starts, ends, o, write)


@njit(cache=True, parallel=True)
def _count(cps, doc_ptr, slow_at, nbuf, nptr, joins, table, data, ascii_fold, classes, counts):
    dummy_u = np.empty(0, dtype=np.uint64)
    dummy_i = np.empty(0, dtype=np.int64)
    for d in prange(doc_ptr.shape[0] - 1):
        counts[d + 1] = _doc_tokens(cps, doc_ptr[d], doc_ptr[d + 1], slow_at[d], nbuf, nptr, joins, table, data,
                                    ascii_fold, classes, dummy_u, dummy_i, dummy_i, 0, False)


@njit(cache=True, parallel=True)
def _fill(cps, doc_ptr, slow_at, nbuf, nptr, joins, table, data, ascii_fold, classes, tptr, units, starts, ends):
    for d in prange(doc_ptr.shape[0] - 1):
        _doc_tokens(cps, doc_ptr[d], doc_ptr[d + 1], slow_at[d], nbuf, nptr, joins, table, data, ascii_fold, classes,
                    units, starts, ends, tptr[d], True)


@njit(cache=True, parallel=True)
def _slow_docs(cps, doc_ptr, joins, out):
    """``out[d]``: does document ``d`` hold a character without a normalization boundary before it?"""
    for d in prange(doc_ptr.shape[0] - 1):
        slow = False
        for i in range(doc_ptr[d], doc_ptr[d + 1]):
            if joins[np.int64(cps[i])]:
                slow = True
                break
        out[d] = slow


@njit(cache=True)
def _with_nuls(cps, doc_ptr, docs, joins):
    """The code points of ``docs`` with a NUL before every segment but a document's first.

    Documents are separated by one NUL too (their first segment starts after
    it); a NUL of the text becomes U+0001.
    """
    total = 0
    for d in docs:
        total += 2 * (doc_ptr[d + 1] - doc_ptr[d]) + 1
    out = np.empty(total, dtype=np.uint32)
    o = 0
    for x in range(docs.shape[0]):
        d = docs[x]
        a = doc_ptr[d]
        b = doc_ptr[d + 1]
        if x > 0:
            out[o] = _NUL
            o += 1
        i = a
        while i < b:
            e = _segment_end(cps, i, b, joins)
            if i > a:
                out[o] = _NUL
                o += 1
            for k in range(i, e):
                c = np.uint32(cps[k])
                out[o] = _SUBST_NUL if c == _NUL else c
                o += 1
            i = e
    return out[:o]


@njit(cache=True)
def _split_docs(nbuf, cps, doc_ptr, docs, joins, nptr):
    """Byte range of each of ``docs`` in ``nbuf`` (made by ``_with_nuls``): count its segments' NULs."""
    k = 0
    n = nbuf.shape[0]
    for x in range(docs.shape[0]):
        d = docs[x]
        a = doc_ptr[d]
        b = doc_ptr[d + 1]
        segments = 0
        i = a
        while i < b:
            i = _segment_end(cps, i, b, joins)
            segments += 1
        nptr[x] = k
        inner = segments - 1
        while k < n and (inner > 0 or nbuf[k] != _NUL):
            if nbuf[k] == _NUL:
                inner -= 1
            k += 1
        nptr[x + 1] = k
        k += 1  # the NUL between documents


_EMPTY_U8 = np.zeros(0, dtype=np.uint8)


def tokenize(texts: Sequence[str]) -> Tokens:
    """Tokens, unit values and original spans of every text (see the module doc).

    Parameters
    ----------
    texts : sequence of str

    Returns
    -------
    Tokens

    Python work is a constant number of calls: one ``encode`` of all texts
    (``_codepoints.code_points``), and for the texts holding characters without
    a normalization boundary one decode, one NFKC, one casefold and one
    encode of all of them together.
    """
    cps, doc_ptr = _codepoints.code_points(texts)
    return tokenize_code_points(cps, doc_ptr)


def tokenize_code_points(cps: np.ndarray, doc_ptr: np.ndarray) -> Tokens:
    """``tokenize`` of texts already read as code points (``_codepoints.code_points``)."""
    n = doc_ptr.shape[0] - 1
    table, data = _normalize.fold_table()
    ascii_fold = _normalize._ascii_fold()
    classes = _normalize.char_classes()
    joins = joiners()
    slow = np.empty(n, dtype=np.bool_)
    _slow_docs(cps, doc_ptr, joins, slow)
    slow_docs = np.flatnonzero(slow)
    slow_at = np.full(n, -1, dtype=np.int64)
    nbuf, nptr = _EMPTY_U8, np.zeros(1, dtype=np.int64)
    if slow_docs.size:
        slow_at[slow_docs] = np.arange(slow_docs.size)
        marked = _with_nuls(cps, doc_ptr, slow_docs, joins)
        text = marked.tobytes().decode("utf-32-le", "surrogatepass")
        nbuf = np.frombuffer(_normalize.normalize(text).encode("utf-8", "surrogatepass"), dtype=np.uint8)
        nptr = np.zeros(slow_docs.size + 1, dtype=np.int64)
        _split_docs(nbuf, cps, doc_ptr, slow_docs, joins, nptr)
    tptr = np.zeros(n + 1, dtype=np.int64)
    _count(cps, doc_ptr, slow_at, nbuf, nptr, joins, table, data, ascii_fold, classes, tptr)
    np.cumsum(tptr, out=tptr)
    total = int(tptr[-1])
    units = np.empty(total, dtype=np.uint64)
    starts = np.empty(total, dtype=np.int64)
    ends = np.empty(total, dtype=np.int64)
    _fill(cps, doc_ptr, slow_at, nbuf, nptr, joins, table, data, ascii_fold, classes, tptr, units, starts, ends)
    return Tokens(tptr, units, starts, ends)


@njit(cache=True)
def window_hashes(units, a, b, ngram, out, o):
    """Hashes of the word n-grams of ``units[a:b]`` in text order, from ``out[o]``; return how many.

    The same values as ``_shingle._windows`` (``fmix64(width tag + sum u_j
    P^(n-1-j))``): a row shorter than ``ngram`` gives one shingle of all its
    units, an empty row none.
    """
    n_units = b - a
    if n_units == 0:
        return 0
    if n_units < ngram:
        rolling = np.uint64(0)
        for i in range(a, b):
            rolling = rolling * _POLY + units[i]
        out[o] = fmix64(rolling + _WIDTH_TAG * np.uint64(n_units))
        return 1
    top = np.uint64(1)
    for _ in range(ngram - 1):
        top *= _POLY
    tag = _WIDTH_TAG * np.uint64(ngram)
    rolling = np.uint64(0)
    for i in range(a, a + ngram):
        rolling = rolling * _POLY + units[i]
    out[o] = fmix64(rolling + tag)
    for i in range(a + ngram, b):
        rolling = (rolling - units[i - ngram] * top) * _POLY + units[i]
        out[o + i - a - ngram + 1] = fmix64(rolling + tag)
    return n_units - ngram + 1


def shingle_windows(units: np.ndarray, ngram: int) -> np.ndarray:
    """Word n-gram hashes of one document's units, in text order (``dedup.shingles`` holds them sorted, unique)."""
    units = np.ascontiguousarray(units, dtype=np.uint64)
    out = np.empty(max(1, units.shape[0]), dtype=np.uint64)
    k = window_hashes(units, 0, units.shape[0], ngram, out, 0)
    return out[:k]
