"""What ``collapse`` and ``blocks`` return: spans, removals, collapsed documents, groups of repeated blocks."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import _decide as _block_decide


class Span(NamedTuple):
    """A block of a document: ``text[start:end]`` of document ``id``."""

    id: object
    start: int
    end: int


class Removal(NamedTuple):
    """One removed block (a NamedTuple: a corpus yields hundreds of thousands).

    Attributes
    ----------
    start, end : int, span in the original text of the document.
    kind : {"repeat", "syndicated", "boilerplate", "separator"}
    source : Span or None, the copy that was kept (None for a separator).
    similarity : float, exact Jaccard of the two blocks' shingle sets (1.0
        for copies equal after normalization; 0.0 for a separator).
    """

    start: int
    end: int
    kind: str
    source: Span | None
    similarity: float


class CollapsedDoc(NamedTuple):
    """A document after collapse.

    Attributes
    ----------
    id : the document's id.
    text : str, the cleaned text (the original in ``mode="report"``).
    removed : Removals, a tuple-like sequence of Removal in document order
        (records are built when read).
    empty : bool, True when every block was removed (``text`` is then "").
    """

    id: object
    text: str
    removed: Removals
    empty: bool

    def _repr_html_(self) -> str:
        from .._core._notebook import collapsed_doc_html

        return collapsed_doc_html(self)


@dataclass(frozen=True, slots=True)
class BlockGroup:
    """A block that occurs more than once, with every occurrence.

    Attributes
    ----------
    kind : "repeat" (one document), "syndicated" (2 to ``min_docs - 1``
        documents) or "boilerplate" (``min_docs`` documents or more).
    text : str, the first occurrence.
    occurrences : tuple of Span, in corpus order.
    n_docs : int, distinct documents.
    """

    kind: str
    text: str
    occurrences: tuple
    n_docs: int

    def _repr_html_(self) -> str:
        from .._core._notebook import group_html

        return group_html(self)


class CollapsedDocs(list):
    """What ``dedup.collapse`` returns: a plain ``list`` of ``CollapsedDoc`` that a notebook shows as a table."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        from .._core._notebook import collapsed_html

        return collapsed_html(self)


class BlockGroups(list):
    """What ``dedup.blocks`` returns: a plain ``list`` of ``BlockGroup`` that a notebook shows as a table."""

    __slots__ = ()

    def _repr_html_(self) -> str:
        from .._core._notebook import groups_html

        return groups_html(self)


class _RemovalTable:
    """Every removal of one ``collapse`` call, as columns; ``Removal`` records are built on access.

    A corpus yields hundreds of thousands of removals and most pipelines read
    only the cleaned text, so the records cost nothing until they are read,
    and reading one document's records converts only that document's rows
    (no cache: a corpus's worth of Python objects never builds up here).
    """

    __slots__ = ("ids", "columns")

    def __init__(self, ids, start, end, kind, sdoc, sstart, send, sim):
        self.ids = ids
        # One (n, 6) int64 block: one slice and one tolist per document read.
        self.columns = (np.stack([start, end, kind.astype(np.int64), sdoc, sstart, send], axis=1), sim)

    def records(self, lo: int, hi: int) -> list:
        """``Removal`` records ``lo:hi``, built by C-level constructors (no Python call per record)."""
        ints, sim = self.columns
        start, end, kind, sdoc, sstart, send = zip(*ints[lo:hi].tolist()) if hi > lo else ((),) * 6
        spans = map(_new_span, zip(map(self.ids.__getitem__, sdoc), sstart, send))
        if min(sdoc, default=0) < 0:  # a separator has no source
            spans = [None if d < 0 else sp for d, sp in zip(sdoc, spans)]
        return list(map(_new_removal, zip(start, end, map(_block_decide.KINDS.__getitem__, kind), spans,
                                          sim[lo:hi].tolist())))


def removal_rows(docs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(counts, ints, sim)``: the removals of consecutive documents of one cut (one chunk of ``Collapsing``)
    as arrays, without a record built. ``counts[d]``: removals of ``docs[d]``; ``ints`` (int64, a row per
    removal, in document order): start, end, kind code, source document (position in the corpus, -1 for
    none), source start, source end; ``sim``: float64 similarities."""
    counts = np.fromiter((len(d.removed) for d in docs), dtype=np.int64, count=len(docs))
    if not docs or not counts.any():
        return counts, np.zeros((0, 6), dtype=np.int64), np.zeros(0, dtype=np.float64)
    first, last = docs[0].removed, docs[-1].removed
    if not (isinstance(first, Removals) and isinstance(last, Removals) and first._table is last._table
            and last._hi - first._lo == counts.sum()):
        raise ValueError("removal_rows takes the documents of one cut, in order")
    ints, sim = first._table.columns
    return counts, ints[first._lo : last._hi], sim[first._lo : last._hi]


_new_span = functools.partial(tuple.__new__, Span)
_new_removal = functools.partial(tuple.__new__, Removal)


class Removals(Sequence):
    """The removals of one document, in document order: a read-only sequence of ``Removal``.

    A ``collections.abc.Sequence`` (``len``, indexing, slicing, iteration,
    ``in``), equal to a tuple or ``Removals`` of the same records; not a
    tuple: ``tuple(doc.removed)`` gives one, for ``isinstance`` checks or
    ``json.dumps``. Records are built when read; all
    documents of one ``collapse`` call share the columns they are built from,
    so keeping any of them keeps those columns. It pickles as a plain tuple,
    so sending one document to another process does not send the whole
    corpus's removals.
    """

    __slots__ = ("_table", "_lo", "_hi")

    def __init__(self, table: _RemovalTable, lo: int, hi: int):
        self._table, self._lo, self._hi = table, lo, hi

    def __len__(self) -> int:
        return self._hi - self._lo

    def __getitem__(self, i):
        if isinstance(i, slice):
            return tuple(self)[i]
        n = self._hi - self._lo
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("removal index out of range")
        return self._table.records(self._lo + i, self._lo + i + 1)[0]

    def __iter__(self):
        return iter(self._table.records(self._lo, self._hi))

    def __eq__(self, other) -> bool:
        if isinstance(other, (Removals, tuple)):
            return len(self) == len(other) and tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"Removals({tuple(self)!r})"

    def __reduce__(self):
        return tuple, (tuple(self),)
