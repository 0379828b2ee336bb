"""Texts held as one UTF-8 buffer and offsets: an Arrow string column, read in place.

``Utf8Texts`` is what ``_frames`` hands the pipeline for a pyarrow, pandas
(Arrow-backed), polars or ``datasets`` text column: a sequence of texts whose
characters are never turned into Python ``str`` objects on the way to the
kernels. ``_normalize.encode_batch`` folds its buffer straight
(``_normalize.fold_utf8_own``) as it reads a ``list`` of ``str`` in place;
``lengths`` counts characters with a kernel. Indexing one text decodes it
(for the rare text CPython normalizes, and for error messages).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._tokenize import _decode


@njit(cache=True, parallel=True, nogil=True)
def _char_counts(data, offs, rows, out):
    """Characters of texts ``rows``: their bytes that do not continue a UTF-8 sequence (not ``0b10xxxxxx``)."""
    for k in prange(rows.shape[0]):
        text = data[offs[rows[k]] : offs[rows[k] + 1]]  # a slice: indices from 0, so LLVM vectorizes the loop
        c = 0
        for x in range(text.shape[0]):
            c += np.int64(np.int8(text[x]) >= -64)  # 0b10xxxxxx is -128..-65 as int8
        out[k] = c


@njit(cache=True, parallel=True, nogil=True)
def _decode_rows(data, offs, rows, ptr, out):
    """The code points of texts ``rows`` into ``out[ptr[k]:ptr[k+1]]`` (``ptr`` from ``_char_counts``)."""
    for k in prange(rows.shape[0]):
        i = offs[rows[k]]
        end = offs[rows[k] + 1]
        o = ptr[k]
        while i < end:  # valid UTF-8 (checked by Arrow), read as every kernel over UTF-8 reads it
            cp, i = _decode(data, i, end)
            out[o] = cp
            o += 1


def code_points(data: np.ndarray, offs: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(cps, ptr)``: the code points (uint32) of the valid UTF-8 texts ``rows``, text ``k`` in ``cps[ptr[k]:ptr[k+1]]``."""
    counts = np.empty(rows.shape[0], dtype=np.int64)
    _char_counts(data, offs, rows, counts)
    ptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    out = np.empty(ptr[-1], dtype=np.uint32)
    _decode_rows(data, offs, rows, ptr, out)
    return out, ptr


class Utf8Texts:
    """A read-only sequence of texts: text ``d`` is ``data[offsets[d]:offsets[d+1]]``, valid UTF-8.

    ``offsets`` (int64, ``n + 1``) starts at 0; ``owner`` is kept alive
    because ``data`` may be a view of its memory (an Arrow buffer).
    Slicing gives another ``Utf8Texts`` over the same memory.
    """

    __slots__ = ("data", "offsets", "owner")

    def __init__(self, data: np.ndarray, offsets: np.ndarray, owner=None):
        self.data = data
        self.offsets = offsets
        self.owner = owner

    def __len__(self) -> int:
        return self.offsets.shape[0] - 1

    def __getitem__(self, k):
        if isinstance(k, slice):
            start, stop, step = k.indices(len(self))
            if step != 1:
                raise ValueError("Utf8Texts slices take step 1")
            stop = max(start, stop)
            a, b = int(self.offsets[start]), int(self.offsets[stop])
            return Utf8Texts(self.data[a:b], self.offsets[start : stop + 1] - a, self.owner)
        n = len(self)
        if not -n <= k < n:
            raise IndexError(f"text {k} out of range for {n} texts")
        k %= n
        return self.data[self.offsets[k] : self.offsets[k + 1]].tobytes().decode("utf-8")

    def __iter__(self):
        return (self[k] for k in range(len(self)))

    def lengths(self) -> np.ndarray:
        """``len()`` of every text (characters, as ``str`` counts them), int64, by a parallel kernel."""
        out = np.empty(len(self), dtype=np.int64)
        _char_counts(self.data, self.offsets, np.arange(len(self)), out)
        return out

    def tolist(self) -> list[str]:
        """Every text as a ``str``."""
        return [self[k] for k in range(len(self))]


def lengths(texts) -> np.ndarray:
    """``len()`` of every text of a ``Utf8Texts`` or a sequence of ``str`` (``_pystr.lengths``)."""
    if isinstance(texts, Utf8Texts):
        return texts.lengths()
    from . import _pystr

    return _pystr.lengths(texts)
