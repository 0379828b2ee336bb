"""Block segmentation: documents -> blocks with offsets into the original and the normalized text.

A *block* is the unit that repeats: a line, a paragraph or a sentence. Every
kernel here reads the original text as an array of code points
(``code_points``: uint8 for Latin-1 text, else uint32), so block offsets are
Python ``str`` indices, and maps each block to a byte range of the normalized
UTF-8 buffer (``_normalize.fold_code_points``), which is what
``_shingle.shingle_segments`` reads.

Segmentation rules (all decided on the original text):

* Lines end at ``"\\n"`` only; a line is *blank* when it holds only
  whitespace (``str.isspace``). Blank lines never form blocks.
* ``line``: every non-blank line is a block.
* ``paragraph``: blank lines separate paragraphs. Inside a run of non-blank
  lines, a document is treated as *hard-wrapped* when at least 90 % of its
  non-blank characters sit in lines no longer than 100 columns (mail, Usenet,
  Gutenberg are wrapped at 64-80 columns; web-extracted text, one paragraph per
  line, keeps most characters in longer lines). In a wrapped document a line
  continues the previous one exactly when the previous line was *full*: its
  length plus a space plus the first word of the next line exceeds the widest
  line of the document (the width a greedy wrapper would break at), and the
  two lines have the same quote depth (count of leading ``>``) and the next
  line does not start a list item. Everywhere else a line break ends a
  paragraph, so one-paragraph-per-line text and short header or signature
  lines come out one paragraph per line.
* ``sentence``: paragraphs, cut after ``.``, ``!`` or ``?`` (and any closing
  quotes or brackets) followed by whitespace and a character that is not a
  lowercase ASCII letter. Abbreviations followed by a capital ("Mr. Biden")
  are cut too; the unit is meant for finding repeated sentences, not for
  linguistics.

Block spans are trimmed of surrounding whitespace.

Mapping to the normalized text relies on NFKC and case folding never creating
or removing ``"\\n"``: line ``k`` of the normalized text is line ``k`` of the
original. An ASCII document normalizes to its lowercase, so its offsets map
one to one. Otherwise a block boundary at the start or end of a line's content maps to the
start or end of the normalized line; a boundary inside a line (sentences only)
maps by code-point column when normalization kept the line's length, and
proportionally otherwise (a rare line with ligatures or expanding case folds,
whose sentence shingles may then gain or lose one character at the cut).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from .._core._hashing import combine, fmix64

LINE = 0
PARAGRAPH = 1
SENTENCE = 2

#: ``unit=`` option -> segmentation kernel code.
UNITS = {"line": LINE, "paragraph": PARAGRAPH, "sentence": SENTENCE}

#: Longest line (columns) of a hard-wrapped document; RFC 5322 asks for 78.
WRAP_CAP = 100
#: Share of non-blank characters in lines <= WRAP_CAP that marks a wrapped document.
WRAPPED_SHARE = 0.9

_NL = 10
_GT = 62
_DIGEST_SEED = np.uint64(0x626C6F636B736574)  # "blockset"


@njit(cache=True, inline="always")
def is_space(c):
    """``chr(c).isspace()`` for a code point ``c`` (the 29 whitespace characters of Python 3)."""
    if 32 < c < 0x85:
        return False
    return ((9 <= c <= 13) or (28 <= c <= 32) or c == 0x85 or c == 0xA0 or c == 0x1680
            or (0x2000 <= c <= 0x200A) or c == 0x2028 or c == 0x2029 or c == 0x202F
            or c == 0x205F or c == 0x3000)


@njit(cache=True, inline="always")
def _is_closer(c):
    # " ' ) ] } » ’ ” and the CJK closing brackets 」 』
    return (c == 34 or c == 39 or c == 41 or c == 93 or c == 125 or c == 0xBB or c == 0x2019
            or c == 0x201D or c == 0x300D or c == 0x300F)


@njit(cache=True, inline="always")
def _is_stop(c):
    # . ! ? and the ideographic full stop, the full-width ! and ?
    return c == 46 or c == 33 or c == 63 or c == 0x3002 or c == 0xFF01 or c == 0xFF1F


@njit(cache=True)
def doc_lines(cps, a, b):
    """Lines of the text ``cps[a:b]``.

    Returns
    -------
    ls, le, cs, ce : int64 arrays, shape (n_lines,), absolute indices into
        ``cps``: line start, line end (the ``"\\n"`` excluded), content start
        and content end (first non-space, one past the last non-space;
        ``cs == ce`` for a blank line). A text of length 0 has one blank line.
    """
    n = 1
    for i in range(a, b):  # a branch-free count, which LLVM vectorizes
        n += cps[i] == _NL
    ls = np.empty(n, dtype=np.int64)
    le = np.empty(n, dtype=np.int64)
    cs = np.empty(n, dtype=np.int64)
    ce = np.empty(n, dtype=np.int64)
    start = a
    for k in range(n):
        end = start
        while end < b and cps[end] != _NL:
            end += 1
        first = start
        while first < end and is_space(cps[first]):
            first += 1
        last = end
        if first < end:
            while is_space(cps[last - 1]):
                last -= 1
        else:
            first = end
        ls[k] = start
        le[k] = end
        cs[k] = first
        ce[k] = last
        start = end + 1
    return ls, le, cs, ce


@njit(cache=True)
def _wrap_width(ls, cs, ce):
    """Width of a hard-wrapped text, or 0 if the text is not wrapped (see module doc)."""
    total = 0
    short = 0
    width = 0
    for k in range(ls.shape[0]):
        if ce[k] > cs[k]:
            cols = ce[k] - ls[k]
            total += ce[k] - cs[k]
            if cols <= WRAP_CAP:
                short += ce[k] - cs[k]
                width = max(width, cols)
    if total == 0 or short < WRAPPED_SHARE * total:
        return 0
    return width


@njit(cache=True, inline="always")
def _quote_depth(cps, s, e):
    depth = 0
    for i in range(s, e):
        c = cps[i]
        if c == _GT:
            depth += 1
        elif not is_space(c):
            break
    return depth


@njit(cache=True, inline="always")
def _starts_item(cps, s, e):
    """A list item: ``-``, ``*``, ``•`` or digits then ``.``/``)``, then a space."""
    c = cps[s]
    if (c == 45 or c == 42 or c == 0x2022) and s + 1 < e and is_space(cps[s + 1]):
        return True
    i = s
    while i < e and 48 <= cps[i] <= 57:
        i += 1
    return i > s and i + 1 < e and (cps[i] == 46 or cps[i] == 41) and is_space(cps[i + 1])


@njit(cache=True)
def _continues(cps, ls, cs, ce, k, width):
    """Does line ``k`` continue the paragraph of line ``k - 1`` in a wrapped text?"""
    word = cs[k]
    while word < ce[k] and (cps[word] == _GT or is_space(cps[word])):
        word += 1  # the first word after the quote marks
    first = word
    while first < ce[k] and not is_space(cps[first]):
        first += 1
    if (ce[k - 1] - ls[k - 1]) + 1 + (first - word) <= width:
        return False  # the next word would have fitted: a real break
    if _quote_depth(cps, ls[k - 1], ce[k - 1]) != _quote_depth(cps, ls[k], ce[k]):
        return False
    return not _starts_item(cps, cs[k], ce[k])


@njit(cache=True)
def _sentences(cps, s, e, out_s, out_e, o):
    """Cut ``cps[s:e]`` (a trimmed paragraph) into sentences, written from ``out_*[o]``; return how many."""
    n = 0
    start = s
    p = s
    while p < e:
        if _is_stop(cps[p]):
            q = p + 1
            while q < e and (_is_stop(cps[q]) or _is_closer(cps[q])):
                q += 1
            if q < e and is_space(cps[q]):
                r = q
                while r < e and is_space(cps[r]):
                    r += 1
                if r < e and not (97 <= cps[r] <= 122):
                    out_s[o + n] = start
                    out_e[o + n] = q
                    n += 1
                    start = r
                    p = r
                    continue
            p = q
            continue
        p += 1
    out_s[o + n] = start
    out_e[o + n] = e
    return n + 1


@njit(cache=True)
def _segment_doc(cps, a, b, unit, out_s, out_e, o):
    """Blocks of document ``cps[a:b]``, written as absolute spans from ``out_*[o]``; return how many.

    ``out_*`` must have room for ``_bound(cps, a, b, unit)`` blocks from ``o``.
    """
    ls, le, cs, ce = doc_lines(cps, a, b)
    width = 0 if unit == LINE else _wrap_width(ls, cs, ce)
    n = 0
    k = 0
    nlines = ls.shape[0]
    while k < nlines:
        if ce[k] == cs[k]:
            k += 1
            continue
        last = k
        if width > 0:
            while last + 1 < nlines and ce[last + 1] > cs[last + 1] and _continues(cps, ls, cs, ce, last + 1, width):
                last += 1
        if unit == SENTENCE:
            n += _sentences(cps, cs[k], ce[last], out_s, out_e, o + n)
        else:
            out_s[o + n] = cs[k]
            out_e[o + n] = ce[last]
            n += 1
        k = last + 1
    return n


@njit(cache=True, inline="always")
def _advance(buf, i, cols):
    """Byte offset ``cols`` code points after byte offset ``i`` of UTF-8 ``buf``."""
    while cols > 0:
        i += 1
        while i < buf.shape[0] and (buf[i] & 0xC0) == 0x80:
            i += 1
        cols -= 1
    return i


@njit(cache=True)
def _norm_lines(buf, a, b, n):
    """Byte start, byte end and code-point length of the first ``n`` lines of ``buf[a:b]``.

    Lines past the end of the normalized text (impossible when NFKC keeps the
    line count, as it does) are empty at ``b``.
    """
    ns = np.full(n, b, dtype=np.int64)
    ne = np.full(n, b, dtype=np.int64)
    nc = np.zeros(n, dtype=np.int64)
    k = 0
    ns[0] = a
    for i in range(a, b):
        c = buf[i]
        if c == _NL:
            ne[k] = i
            k += 1
            if k == n:
                return ns, ne, nc
            ns[k] = i + 1
        elif (c & 0xC0) != 0x80:
            nc[k] += 1
    ne[k] = b
    return ns, ne, nc


@njit(cache=True, inline="always")
def _map_point(buf, p, is_end, ls, le, cs, ce, ns, ne, nc, k):
    if not is_end and p <= cs[k]:
        return ns[k]
    if is_end and p >= ce[k]:
        return ne[k]
    col = p - ls[k]
    olen = le[k] - ls[k]
    if olen != nc[k]:
        col = (col * nc[k] + olen // 2) // olen
    return min(_advance(buf, ns[k], col), ne[k])


@njit(cache=True)
def _bound(cps, a, b, unit):
    """At least the number of blocks of ``cps[a:b]``: its lines, plus its sentence stops for sentences."""
    n = 1
    if unit == SENTENCE:
        for i in range(a, b):
            c = cps[i]
            n += c == _NL or _is_stop(c)
    else:
        for i in range(a, b):
            n += cps[i] == _NL
    return n


@njit(cache=True, parallel=True, nogil=True)
def _bounds(cps, doc_ptr, unit, out):
    for d in prange(doc_ptr.shape[0] - 1):
        out[d] = _bound(cps, doc_ptr[d], doc_ptr[d + 1], unit)


@njit(cache=True)
def _is_ascii(cps, a, b):
    bits = 0
    for i in range(a, b):  # no early exit: a vectorized OR beats a branch per character
        bits |= cps[i]
    return bits < 128


@njit(cache=True)
def _map_doc(cps, a, b, buf, na, nb, starts, ends, nstart, nend, lo, hi):
    """Byte ranges in ``buf[na:nb]`` (the normalized document) of the blocks ``lo:hi`` of ``cps[a:b]``."""
    if nb - na == b - a and _is_ascii(cps, a, b):
        # NFKC + casefold of ASCII is its lowercase: same length, same offsets.
        for x in range(lo, hi):
            nstart[x] = starts[x] - a + na
            nend[x] = ends[x] - a + na
        return
    ls, le, cs, ce = doc_lines(cps, a, b)
    ns, ne, nc = _norm_lines(buf, na, nb, ls.shape[0])
    k = 0
    for x in range(lo, hi):
        while le[k] < starts[x]:
            k += 1
        nstart[x] = _map_point(buf, starts[x], False, ls, le, cs, ce, ns, ne, nc, k)
        while le[k] < ends[x]:
            k += 1
        nend[x] = max(nstart[x], _map_point(buf, ends[x], True, ls, le, cs, ce, ns, ne, nc, k))


@njit(cache=True, parallel=True, nogil=True)
def _segment_fill(cps, doc_ptr, buf, norm_ptr, unit, slots, starts, ends, nstart, nend, counts):
    for d in prange(doc_ptr.shape[0] - 1):
        o = slots[d]
        k = _segment_doc(cps, doc_ptr[d], doc_ptr[d + 1], unit, starts, ends, o)
        counts[d] = k
        _map_doc(cps, doc_ptr[d], doc_ptr[d + 1], buf, norm_ptr[d], norm_ptr[d + 1],
                 starts, ends, nstart, nend, o, o + k)


@njit(cache=True, parallel=True, nogil=True)
def _pack(slots, bptr, src, dst):
    for d in prange(bptr.shape[0] - 1):
        a = slots[d]
        m = bptr[d + 1] - bptr[d]
        dst[bptr[d] : bptr[d] + m] = src[a : a + m]


def segment(cps, doc_ptr, buf, norm_ptr, unit):
    """Cut every document into blocks, with their spans in the original and the normalized text.

    Parameters
    ----------
    cps : uint8 or uint32 array, the code points of all documents,
        concatenated (``code_points``).
    doc_ptr : int64 array, shape (n_docs + 1,); document ``d`` is
        ``cps[doc_ptr[d]:doc_ptr[d+1]]``.
    buf, norm_ptr : the normalized UTF-8 text of the same documents
        (``_normalize.fold_code_points``).
    unit : ``LINE``, ``PARAGRAPH`` or ``SENTENCE``.

    Returns
    -------
    bptr : int64 array, shape (n_docs + 1,); the blocks of document ``d`` are
        ``bptr[d]:bptr[d+1]``, in text order.
    starts, ends : int64 arrays, shape (n_blocks,): absolute spans into ``cps``
        (subtract ``doc_ptr[d]`` for ``str`` offsets), trimmed, non-empty.
    nstart, nend : int64 arrays, shape (n_blocks,): the block's byte range in
        ``buf`` (see the module doc for how it is mapped).

    One pass finds an upper bound of each document's blocks, one cuts and maps
    them into those slots, one packs the slots.
    """
    n = doc_ptr.shape[0] - 1
    bound = np.empty(n, dtype=np.int64)
    _bounds(cps, doc_ptr, unit, bound)
    slots = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(bound, out=slots[1:])
    arrays = tuple(np.empty(slots[-1], dtype=np.int64) for _ in range(4))
    counts = np.empty(n, dtype=np.int64)
    _segment_fill(cps, doc_ptr, buf, norm_ptr, unit, slots, *arrays, counts)
    bptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=bptr[1:])
    out = (bptr,)
    for a in arrays:
        dense = np.empty(bptr[-1], dtype=np.int64)
        _pack(slots, bptr, a, dense)
        out += (dense,)
    return out


@njit(cache=True, parallel=True, nogil=True)
def set_digests(indptr, values):
    """A 64-bit digest of each CSR row's shingle set (equal sets, equal digests).

    Rows are sorted and unique, so the digest depends on the set only; it is a
    grouping key, and ``_exact.exact_groups`` verifies every group by exact
    Jaccard, so a digest collision cannot merge different blocks.
    """
    n = indptr.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    for r in prange(n):
        h = _DIGEST_SEED
        for s in range(indptr[r], indptr[r + 1]):
            h = combine(h, values[s])
        out[r] = fmix64(h ^ np.uint64(indptr[r + 1] - indptr[r]))
    return out
