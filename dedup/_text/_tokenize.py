"""Tokenizing kernels: the ``WORDS`` units of ``_shingle``, read from normalized UTF-8 bytes.

A token is a maximal run of word characters (``classes`` from
``_normalize.char_classes``: 1) or one solo character (2); its unit value
before ``fmix64`` is the FNV-1a hash of its bytes. ``_decode`` reads one code
point as every kernel over the normalized buffer does.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .._core._hashing import FNV_OFFSET, FNV_PRIME


@njit(cache=True, inline="always")
def _decode(buf, i, end):
    """Decode one UTF-8 code point at ``buf[i]``; return (code point, next i).

    The buffer comes from ``_normalize`` (valid UTF-8, lone surrogates
    included), so a lead byte is trusted and continuation bytes are not
    checked: corrupt input may decode to wrong code points (``b"\\xc3 "``
    swallows the space), but a sequence that would pass ``end``, or a stray
    continuation byte, decodes to U+FFFD (a separator) one byte at a time, so
    the kernel can never read past ``end``. Kept as is: shingle values, and so
    saved indexes, depend on it.
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


@njit(cache=True, nogil=True)
def _ascii_kinds(classes):
    """Byte -> 0 (ASCII separator), 1 (ASCII word character) or 2 (anything else: decode it)."""
    kinds = np.full(256, 2, dtype=np.uint8)
    for b in range(128):
        if classes[b] <= 1:
            kinds[b] = classes[b]
    return kinds


@njit(cache=True, inline="always")
def _ascii_step(b, w, out, t, h, in_token):
    """An ASCII byte ``b`` of kind ``w`` (0 separator, 1 word): ``(t, h)`` after it, with no branch on the text."""
    out[np.uint64(t)] = h
    t += in_token > w
    g = (h ^ np.uint64(b)) * FNV_PRIME
    h = g if w else FNV_OFFSET
    return t, h


@njit(cache=True, nogil=True)
def _step(buf, i, end, kinds, classes, out, t, h, in_token):
    """Read one character of a token stream at ``buf[i]``; return the stream's new ``(i, t, h, in_token)``.

    ``t`` is where the next token's FNV-1a hash (before ``fmix64``) goes and
    ``h`` the running hash of the token being read (``FNV_OFFSET`` whenever
    ``in_token`` is 0). An ASCII byte (``kinds`` from ``_ascii_kinds``) takes
    no branch on the text: it stores the running hash at ``out[t]`` and
    advances ``t`` when a token ended there, so the unpredictable token ends
    cost no branch misprediction. That store stays inside the row's bound
    (``count <= bytes seen // 2 < (bytes + 1) // 2``: every unit counted so
    far took two bytes or more). Any other byte goes through ``_decode``, as
    in ``_shingle._shingle_one``, so the values are the same for every input,
    malformed UTF-8 included. Indices are cast to unsigned, which spares
    numba's negative-index wraparound in the loop.
    """
    b = buf[np.uint64(i)]
    w = np.int64(kinds[b])
    if w <= 1:
        t, h = _ascii_step(b, w, out, t, h, in_token)
        return i + 1, t, h, w
    j = i
    cp, i = _decode(buf, i, end)
    cls = classes[cp] if cp < classes.shape[0] else 0
    if cls == 1:
        for k in range(j, i):
            h = (h ^ np.uint64(buf[k])) * FNV_PRIME
        return i, t, h, 1
    if in_token:
        out[t] = h
        t += 1
        h = FNV_OFFSET
        in_token = 0
    if cls == 2:
        s = FNV_OFFSET
        for k in range(j, i):
            s = (s ^ np.uint64(buf[k])) * FNV_PRIME
        out[t] = s
        t += 1
    return i, t, h, in_token


@njit(cache=True, inline="always")
def _stream(buf, i, end, kinds, classes, out, t, h, in_token):
    """``_step`` from ``buf[i]`` to ``end``, its ASCII path (``_ascii_step``) inlined in the loop (so the chain stays in registers)."""
    while i < end:
        b = buf[np.uint64(i)]
        w = np.int64(kinds[b])
        if w <= 1:
            t, h = _ascii_step(b, w, out, t, h, in_token)
            in_token = w
            i += 1
            continue
        i, t, h, in_token = _step(buf, i, end, kinds, classes, out, t, h, in_token)
    return t, h, in_token


#: Texts of at least this many bytes are read as two token streams at once.
_TWO_STREAMS = 256


@njit(cache=True, inline="always")  # out of line: _fill compiled in half the time, but collapse 3-4% slower
def _token_hashes(buf, start, end, kinds, classes, out, o):
    """Write the FNV-1a hash (before ``fmix64``) of every token of ``buf[start:end]`` to ``out[o:]``.

    Returns how many (the ``WORDS`` units). A token's hash is a chain of
    dependent multiplies, one per byte (``_step``), so one stream runs at the
    multiply's latency. A long text is cut in two at an ASCII separator near
    its middle and both halves are read in one loop, two independent chains
    the CPU overlaps. The second half's tokens are written from
    ``o + (bytes of the first half + 1) // 2`` (past anything the first half
    can write), then moved down behind the first half's: the units are the
    same, in the same order, as one stream's, and every write stays within
    the row's bound (the second half starts with a separator, so it holds at
    most ``bytes // 2`` tokens).
    """
    mid = end
    if end - start >= _TWO_STREAMS:
        mid = start + (end - start) // 2
        while mid < end and kinds[buf[np.uint64(mid)]] != 0:
            mid += 1
    ta = o
    ha = FNV_OFFSET
    ina = np.int64(0)  # not the literal 0: numba would compile _step for it too, as type inference starts there
    ia = start
    if mid < end:
        tb = o + (mid - start + 1) // 2
        b0 = tb
        hb = FNV_OFFSET
        inb = np.int64(0)
        ib = mid
        while ia < mid and ib < end:
            ba = buf[np.uint64(ia)]
            bb = buf[np.uint64(ib)]
            wa = np.int64(kinds[ba])
            wb = np.int64(kinds[bb])
            if (wa | wb) <= 1:  # ASCII in both: _step's branch-free path, written out for both chains
                out[np.uint64(ta)] = ha
                out[np.uint64(tb)] = hb
                ta += ina > wa
                tb += inb > wb
                ga = (ha ^ np.uint64(ba)) * FNV_PRIME
                gb = (hb ^ np.uint64(bb)) * FNV_PRIME
                ha = ga if wa else FNV_OFFSET
                hb = gb if wb else FNV_OFFSET
                ina = wa
                inb = wb
                ia += 1
                ib += 1
                continue
            ia, ta, ha, ina = _step(buf, ia, mid, kinds, classes, out, ta, ha, ina)
            ib, tb, hb, inb = _step(buf, ib, end, kinds, classes, out, tb, hb, inb)
        tb, hb, inb = _stream(buf, ib, end, kinds, classes, out, tb, hb, inb)
        if inb:
            out[tb] = hb
            tb += 1
    ta, ha, ina = _stream(buf, ia, mid, kinds, classes, out, ta, ha, ina)
    if ina:
        out[ta] = ha
        ta += 1
    if mid < end:
        for k in range(b0, tb):
            out[ta] = out[k]
            ta += 1
    return ta - o
