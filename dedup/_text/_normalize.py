"""Text normalization: the exact rules that decide what counts as "the same text".

1. Unicode NFKC (compatibility composition: ``ﬁ`` -> ``fi``, full-width ->
   ASCII, ``½`` -> ``1⁄2``), then ``str.casefold`` (``Straße`` -> ``strasse``).
2. Tokens are maximal runs of *word characters*: letters and digits
   (``str.isalnum``) and combining marks (Unicode category ``M*``, so Indic and
   other scripts whose vowels are marks stay whole words). Everything else,
   punctuation, symbols, whitespace, ``_``, separates tokens and is dropped, so
   ``"Korea's"``, ``"Korea’s"`` and ``"KOREA S"`` all give ``korea s``.
3. Scripts written without spaces (Han, Hiragana, Katakana, Thai, Lao, Khmer,
   Myanmar) make one token per character, as is usual for shingling them.

Step 1 runs in a numba kernel (``_fold``) over UTF-8 bytes with a table of
``casefold(NFKC(c))`` for every code point ``c``. That is exact whenever every
character of a text has a *normalization boundary* before it (its full
decomposition starts with a starter that cannot compose with what precedes it;
Unicode UAX #15, "Detecting normalization forms"), since NFKC then acts on each
character alone. A text holding a character without that boundary (a
combining mark, a Hangul jamo vowel, ...) is normalized by CPython instead, so
the result always equals ``unicodedata.normalize("NFKC", text).casefold()``.
Steps 2-3 are done by the kernels in ``_shingle``. The tables are derived from
the running Python's Unicode database (``unicodedata.unidata_version``),
computed once per process and never modified.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import numba
import numpy as np
from numba import njit, prange

from .._core import _pool
from . import _pystr, _utf8

SEPARATOR = 0
WORD = 1
SOLO = 2

MAX_CODEPOINT = 0x110000

# Blocks of scripts written without spaces between words: each character there
# is a token of its own (as in CJK n-gram indexing).
_SOLO_RANGES = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0x20000, 0x3FFFF),  # CJK Extensions B..H (planes 2 and 3)
)

# Combining marks (category M*) exist only below U+20000 and in the Variation
# Selectors Supplement; tests check this against a scan of every code point.
_MARK_RANGES = ((0, 0x20000), (0xE0100, 0xE01F0))


def _all_code_points() -> str:
    """Every code point 0..0x10FFFF, in order, as one str (surrogates included).

    Decoding UTF-32 in C is ~3x faster than ``"".join(map(chr, ...))``.
    """
    return np.arange(MAX_CODEPOINT, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")


@functools.cache
def char_classes() -> np.ndarray:
    """Class of every code point: 0 separator, 1 word character, 2 solo token.

    Returns
    -------
    numpy.ndarray of uint8, shape (0x110000,), read-only.
    """
    table = np.zeros(MAX_CODEPOINT, dtype=np.uint8)
    everything = _all_code_points()
    for m in re.finditer(r"[^\W_]+", everything):  # str.isalnum, in C
        table[m.start() : m.end()] = WORD
    category = unicodedata.category
    for lo, hi in _MARK_RANGES:
        for cp in range(lo, hi):
            if not table[cp] and category(everything[cp])[0] == "M":
                table[cp] = WORD
    for lo, hi in _SOLO_RANGES:
        block = table[lo : hi + 1]
        block[block == WORD] = SOLO
    table.setflags(write=False)
    return table


def normalize(text: str) -> str:
    """NFKC, then case-fold (rule 1 above). Punctuation is folded later."""
    return unicodedata.normalize("NFKC", text).casefold()


IDENTITY = -1  # fold table: the code point maps to itself
NO_BOUNDARY = -2  # fold table: the text must be normalized by CPython
_MIN_NO_BOUNDARY = 0x300  # the first NO_BOUNDARY code point (a test checks it), U+0300 COMBINING GRAVE ACCENT


def _composition_seconds() -> set[int]:
    """Code points that can compose with a preceding starter (NFC_QC=Maybe, or more)."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T jamo
    for cp in range(0x20000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                seconds.add(int(parts[1], 16))
    return seconds


@functools.cache
def fold_table() -> tuple[np.ndarray, np.ndarray]:
    """``casefold(NFKC(c))`` of every code point, as UTF-8, for the ``_fold`` kernel.

    Returns
    -------
    table : int32 array, shape (0x110000,): ``IDENTITY``, ``NO_BOUNDARY``, or
        ``offset << 8 | length`` of the mapping's UTF-8 bytes in ``data``.
    data : uint8 array of the concatenated mappings.
    """
    table = np.full(MAX_CODEPOINT, IDENTITY, dtype=np.int32)
    seconds = _composition_seconds()
    nfkd, nfkc, combining = (functools.partial(unicodedata.normalize, "NFKD"),
                             functools.partial(unicodedata.normalize, "NFKC"), unicodedata.combining)
    everything = _all_code_points()
    chunks = []
    size = 0
    step = 64
    for lo in range(0, MAX_CODEPOINT, step):
        chunk = everything[lo : lo + step]
        if unicodedata.is_normalized("NFKD", chunk) and chunk.casefold() == chunk:
            continue  # every character maps to itself and decomposes to itself
        for cp in range(lo, min(lo + step, MAX_CODEPOINT)):
            c = everything[cp]
            first = nfkd(c)[:1]
            if first and (combining(first) or ord(first) in seconds):
                table[cp] = NO_BOUNDARY
                continue
            folded = nfkc(c).casefold()
            if folded != c:
                b = folded.encode("utf-8", "surrogatepass")
                table[cp] = (size << 8) | len(b)
                chunks.append(b)
                size += len(b)
    for cp in seconds:  # a starter that composes backwards has no boundary before it
        table[cp] = NO_BOUNDARY
    for lo, hi in _MARK_RANGES:  # a combining mark in a skipped chunk is its own
        for cp in range(lo, hi):  # decomposition, but NFKC may reorder it before
            if combining(everything[cp]):  # a preceding mark of higher class
                table[cp] = NO_BOUNDARY  # ("\u00af\u0e48": U+0304 then U+0E48)
    data = np.frombuffer(b"".join(chunks), dtype=np.uint8).copy()
    table.setflags(write=False)
    data.setflags(write=False)
    return table, data


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


def encode_batch(texts: Sequence[str], out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Normalize and UTF-8 encode many texts into one byte buffer.

    Parameters
    ----------
    texts : sequence of str
    out : optional uint8 array: ``buf`` is ``out[:size]`` when it is large
        enough, so a caller encoding many batches reuses memory it has
        already touched instead of faulting in fresh pages each time.

    Returns
    -------
    buf : uint8 array, the concatenated normalized UTF-8 bytes: text ``i``
        is ``normalize(texts[i]).encode("utf-8", "surrogatepass")``.
    indptr : int64 array, shape (len(texts) + 1,); text ``i`` is
        ``buf[indptr[i]:indptr[i+1]]``.

    Lone surrogates (invalid in UTF-8) are kept with ``surrogatepass`` and act
    as separators, so no input text raises here. On CPython the texts are
    read in place (``_pystr``) by parallel kernels: Python-level work is one
    ``id`` per text. The few characters the table cannot fold alone (a
    combining mark after its base, ...) are normalized by CPython, all of a
    batch's in one call (``_span_bytes``). Anything the kernels cannot read
    (a ``str`` subclass, another interpreter) goes through ``_encode_utf8``.
    """
    if isinstance(texts, _utf8.Utf8Texts):  # an Arrow string column: its UTF-8 buffer, read in place
        return fold_utf8_own(texts.data, texts.offsets, texts.__getitem__, out)
    layout = _pystr.layout()
    if layout is None:
        return _encode_utf8(texts)
    items = texts if type(texts) is tuple else list(texts)  # our references keep every object alive
    addrs = _pystr.addresses(items)
    table, data = fold_table()
    ascii_fold = _ascii_fold()

    def run(mode, *arrays):
        _pass(mode, addrs, layout.str_type, layout.ascii, layout.compact, table, data, ascii_fold, *arrays)

    return _fold_batch(len(items), run, lambda rows: _encode_utf8([items[k] for k in rows]), out)


def _fold_batch(n, run, fallback, out=None):
    """The folding of ``encode_batch`` and ``fold_code_points``, whatever holds the code points.

    ``run(mode, sizes, spans, span_units, indptr, out, joined, folded,
    bounds)`` runs one parallel pass (``_pass`` on texts in place,
    ``_pass_units`` on an array of code points); ``fallback(rows)`` encodes
    the texts no pass may fold (not readable in place, or a span holding
    U+FFFF) as ``_encode_utf8`` does: ``(buf, offs)``.
    """
    sizes = np.empty(n, dtype=np.int64)
    spans = np.zeros(n + 1, dtype=np.int64)
    span_units = np.zeros(n + 1, dtype=np.int64)
    none_u8, none_u32, none_i64 = np.empty(0, np.uint8), np.empty(0, np.uint32), np.empty(0, np.int64)
    with numba.parallel_chunksize(_DOCS_PER_TASK):  # texts differ in size: threads take tasks as they finish
        run(0, sizes, spans, span_units, none_i64, none_u8, none_u32, none_u8, none_i64)
        np.cumsum(spans, out=spans)  # document d's spans are spans[d]:spans[d + 1] of the batch's
        folded, bounds = _span_bytes(run, spans, span_units, sizes)
        other = np.flatnonzero(sizes < 0)
        if other.size:
            other_buf, other_offs = fallback(other.tolist())
            sizes[other] = np.diff(other_offs)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        size = indptr[-1]
        buf = out[:size] if out is not None and out.shape[0] >= size else _pool.empty(size, np.uint8)
        if other.size:
            sizes[other] = -1  # placed below, not written by the pass
        run(2, sizes, spans, span_units, indptr, buf, none_u32, folded, bounds)
        if other.size:
            _place(other_buf, other_offs, other, indptr, buf)
    return buf, indptr


def _span_bytes(run, spans, span_units, sizes):
    """``casefold(NFKC(span))`` of every span of the batch, as UTF-8: ``(bytes, starts and ends)``.

    A span is a run of characters without a normalization boundary before
    them, with the character before the run; it is normalized apart from the
    rest of its text (both ends are boundaries), all the batch's spans in one
    CPython call, joined by U+FFFF, which has boundaries on both sides, is
    left alone by NFKC and casefold, and is never produced by them (a text
    whose spans hold U+FFFF is not folded by the pass: ``_doc`` mode 0).
    ``sizes`` grows by each text's normalized span bytes.
    """
    total = int(spans[-1])
    if total == 0:
        return np.empty(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)
    np.cumsum(span_units, out=span_units)
    joined = np.empty(int(span_units[-1]) + total, dtype=np.uint32)
    run(1, sizes, spans, span_units, np.empty(0, np.int64), np.empty(0, np.uint8), joined, np.empty(0, np.uint8),
        np.empty(0, np.int64))
    text = joined.tobytes().decode("utf-32-le", "surrogatepass")
    # a writable copy (small): every call of _pass then has one signature, compiled once
    folded = np.frombuffer(normalize(text).encode("utf-8", "surrogatepass"), dtype=np.uint8).copy()
    bounds = _split_spans(folded, total)
    _add_span_sizes(bounds, spans, sizes)
    return folded, bounds


_SEP = 0xFFFF
_DOCS_PER_TASK = 16  # texts per parallel task of _pass (scheduled dynamically)
_BLOCK = 32  # code units checked at once for plain ASCII by _walk


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
    i = 0
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


@njit(cache=True, nogil=True)
def _doc(mode, d, units, table, data, ascii_fold, sizes, spans, span_units, indptr, out, joined, folded, bounds):
    """One pass's work on text ``d``, whose code units are ``units``; see ``_pass`` for the modes."""
    if mode == 0:
        length, n_spans, n_units, bad = _walk(units, table, data, ascii_fold, 0, out, 0, joined, 0, folded, bounds, 0)
        if bad:  # U+FFFF would be taken for the separator of the spans' CPython call
            length, n_spans, n_units = -1, 0, 0
        sizes[d] = length
        spans[d + 1] = n_spans
        span_units[d + 1] = n_units
    elif mode == 1:
        if spans[d + 1] > spans[d] and sizes[d] >= 0:
            _walk(units, table, data, ascii_fold, 1, out, 0, joined, span_units[d] + spans[d], folded, bounds, 0)
    elif sizes[d] >= 0:
        _walk(units, table, data, ascii_fold, 2, out, indptr[d], joined, 0, folded, bounds, spans[d])


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
    for d in prange(addrs.shape[0]):
        _text(mode, d, addrs[d], str_type, ascii_offset, compact_offset, table, data, ascii_fold, sizes, spans,
              span_units, indptr, out, joined, folded, bounds)


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
            _lower_ascii_run(_pystr.units(at, n, np.uint8), 0, n, out, indptr[d])
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
        _doc(mode, d, cps[doc_ptr[d] : doc_ptr[d + 1]], table, data, ascii_fold, sizes, spans, span_units, indptr,
             out, joined, folded, bounds)


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


def _encode_utf8(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``encode_batch`` through ``str.encode``: one ``encode`` per text, then the ``_fold`` kernel.

    For interpreters whose ``str`` objects ``_pystr`` cannot read, and for
    objects that are not exactly ``str``. CPython's NFKC normalizes the rare
    text the table cannot fold exactly or that more than doubles in size.
    """
    n = len(texts)
    raw = [t.encode("utf-8", "surrogatepass") for t in texts]
    offs = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, raw), dtype=np.int64, count=n), out=offs[1:])
    rawbuf = np.frombuffer(b"".join(raw), dtype=np.uint8)
    del raw
    return fold_utf8(rawbuf, offs, texts.__getitem__, ascii_only=all(map(str.isascii, texts)))


def fold_utf8_own(rawbuf: np.ndarray, offs: np.ndarray, text_at, out: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``encode_batch`` of texts given as valid UTF-8 (``rawbuf``, ``offs`` from 0), as ``fold_utf8``.

    One parallel pass (``_fold_own``) folds each text over its own span of
    a buffer the size of the input: ASCII texts and texts whose folding
    keeps their length (most Latin text) need nothing more; texts that
    shrank are packed leftwards in place. Otherwise the texts are packed
    into a new buffer (``_compact``) and the rare text that CPython must
    normalize (one that grows, or holds a combining mark after its base,
    ...) is folded from its code points as ``fold_code_points`` does, its
    spans alone by CPython; ``text_at(d)`` only if a span holds U+FFFF.
    This is how an Arrow string column is normalized (``_utf8``).
    """
    n = offs.shape[0] - 1
    size = rawbuf.shape[0]
    buf = out[:size] if out is not None and out.shape[0] >= size else _pool.empty(size, np.uint8)
    table, data = fold_table()
    with numba.parallel_chunksize(_DOCS_PER_TASK):
        folded = _fold_own(rawbuf, offs, table, data, _ascii_fold(), buf)
    raw_lengths = np.diff(offs)
    if (folded == raw_lengths).all():
        return buf, offs
    slow = np.flatnonzero(folded < 0)
    if not slow.size:  # every text shrank or kept its length: pack them leftwards in place
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(folded, out=indptr[1:])
        _pack_left(buf, offs, indptr)
        return buf[: indptr[-1]], indptr
    # as texts read in place do: only their spans go to CPython, all of them in one call (``_fold_batch``)
    cps, ptr = _utf8.code_points(rawbuf, offs, slow)
    slow_buf, slow_offs = fold_code_points(cps, ptr, _Rows(text_at, slow.tolist()))
    lengths = folded.copy()
    lengths[slow] = np.diff(slow_offs)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    packed = _pool.empty(indptr[-1], np.uint8)
    _compact(buf, offs, folded, packed, indptr)
    _place(slow_buf, slow_offs, slow, indptr, packed)
    return packed, indptr


class _Rows:
    """``text_at(rows[k])`` as item ``k``: the texts ``fold_code_points`` may ask for."""

    def __init__(self, text_at, rows: list):
        self.text_at, self.rows = text_at, rows

    def __getitem__(self, k):
        return self.text_at(self.rows[k])


def fold_utf8(rawbuf: np.ndarray, offs: np.ndarray, text_at, out: np.ndarray | None = None,
              ascii_only: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """``encode_batch`` of texts given as valid UTF-8: text ``d`` is ``rawbuf[offs[d]:offs[d+1]]``.

    ``offs`` starts at 0. ``text_at(d)``, the ``str`` of text ``d``, is
    called only for the rare text the ``_fold`` kernel cannot fold alone
    (CPython normalizes it). ``ascii_only=False`` skips the all-ASCII pass
    when the caller knows a text is not. ``out`` as for ``encode_batch``.
    """
    n = offs.shape[0] - 1
    size = rawbuf.shape[0]
    buf = out[:size] if out is not None and out.shape[0] >= size else np.empty(size, dtype=np.uint8)
    if ascii_only and _lower_ascii(rawbuf, buf):  # English text: one vectorized pass
        return buf, offs
    table, data = fold_table()
    room = 2 * offs  # folding rarely grows a text; one that would pass 2x takes the slow path
    wide = np.empty(room[-1], dtype=np.uint8)
    folded = _fold(rawbuf, offs, table, data, _ascii_fold(), wide, room)
    lengths = folded.copy()
    slow = np.flatnonzero(folded < 0)
    slow_bytes = [normalize(text_at(k)).encode("utf-8", "surrogatepass") for k in slow.tolist()]
    lengths[slow] = [len(b) for b in slow_bytes]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    size = indptr[-1]
    buf = out[:size] if out is not None and out.shape[0] >= size else np.empty(size, dtype=np.uint8)
    _compact(wide, room, folded, buf, indptr)
    for k, b in zip(slow.tolist(), slow_bytes):
        buf[indptr[k] : indptr[k + 1]] = np.frombuffer(b, dtype=np.uint8)
    return buf, indptr


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


@functools.cache
def _ascii_fold() -> np.ndarray:
    """``casefold(NFKC(c))`` of every ASCII character, which is one ASCII byte."""
    out = np.array([ord(normalize(chr(c))) for c in range(128)], dtype=np.uint8)
    out.setflags(write=False)
    return out


def fold_code_points(cps, doc_ptr, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """``encode_batch(texts)`` computed from the texts' code points (``_codepoints.code_points``).

    Reads the code points the caller already holds instead of encoding every
    text to UTF-8 first, by the same passes as ``encode_batch`` reads texts in
    place (``_fold_batch``); the result is the same buffer and offsets.
    ``texts`` is read only for a text whose spans hold U+FFFF.
    """
    table, data = fold_table()
    ascii_fold = _ascii_fold()

    def run(mode, *arrays):
        _pass_units(mode, cps, doc_ptr, table, data, ascii_fold, *arrays)

    return _fold_batch(doc_ptr.shape[0] - 1, run, lambda rows: _encode_utf8([texts[k] for k in rows]))
