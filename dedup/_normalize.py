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

Steps 1 is done per document by CPython's C code (one call per document);
steps 2-3 are done by the numba kernels in ``_shingle`` over the UTF-8 bytes,
using the class table built here. The table is derived from the running
Python's Unicode database (``unicodedata.unidata_version``), computed once per
process and never modified.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence

import numpy as np

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


@functools.cache
def char_classes() -> np.ndarray:
    """Class of every code point: 0 separator, 1 word character, 2 solo token.

    Returns
    -------
    numpy.ndarray of uint8, shape (0x110000,), read-only.
    """
    table = np.zeros(MAX_CODEPOINT, dtype=np.uint8)
    everything = "".join(map(chr, range(MAX_CODEPOINT)))
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


def encode_batch(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Normalize and UTF-8 encode many texts into one byte buffer.

    Parameters
    ----------
    texts : sequence of str

    Returns
    -------
    buf : uint8 array, the concatenated normalized UTF-8 bytes.
    indptr : int64 array, shape (len(texts) + 1,); text ``i`` is
        ``buf[indptr[i]:indptr[i+1]]``.

    Lone surrogates (invalid in UTF-8) are kept with ``surrogatepass`` and act
    as separators, so no input text raises here.
    """
    encoded = [normalize(t).encode("utf-8", "surrogatepass") for t in texts]
    indptr = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=indptr[1:])
    buf = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return buf, indptr
