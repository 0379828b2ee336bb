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

Step 1 runs in numba kernels (module ``_fold``) over UTF-8 bytes with a table of
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

from .._core import _pool
from . import _pystr, _utf8
from ._fold import (IDENTITY, NO_BOUNDARY, _add_span_sizes, _compact, _fold, _fold_own, _lower_ascii,
                    _pack_left, _pass, _pass_units, _place, _split_spans)

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


_DOCS_PER_TASK = 16  # texts per parallel task of _pass (scheduled dynamically)


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
    buf = np.empty(rawbuf.shape[0], dtype=np.uint8)
    if all(map(str.isascii, texts)) and _lower_ascii(rawbuf, buf):  # English text: one vectorized pass
        return buf, offs
    table, data = fold_table()
    room = 2 * offs  # folding rarely grows a text; one that would pass 2x takes the slow path
    wide = np.empty(room[-1], dtype=np.uint8)
    folded = _fold(rawbuf, offs, table, data, _ascii_fold(), wide, room)
    lengths = folded.copy()
    slow = np.flatnonzero(folded < 0)
    slow_bytes = [normalize(texts[k]).encode("utf-8", "surrogatepass") for k in slow.tolist()]
    lengths[slow] = [len(b) for b in slow_bytes]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    buf = np.empty(indptr[-1], dtype=np.uint8)
    _compact(wide, room, folded, buf, indptr)
    for k, b in zip(slow.tolist(), slow_bytes):
        buf[indptr[k] : indptr[k + 1]] = np.frombuffer(b, dtype=np.uint8)
    return buf, indptr


def fold_utf8_own(rawbuf: np.ndarray, offs: np.ndarray, text_at, out: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``encode_batch`` of texts given as valid UTF-8 (``rawbuf``, ``offs`` from 0): an Arrow string column.

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
