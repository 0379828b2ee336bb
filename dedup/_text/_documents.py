"""Documents in: the accepted shapes of ``docs``, checked with errors that name the problem."""

from __future__ import annotations

import itertools
import pickle
from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np

from .._core import _spill
from . import _frames, _pystr
from ._codepoints import Held


def _kind(x) -> str:
    return type(x).__name__


def as_documents(docs, *, text: str | None = None, id: str | None = None, utf8: bool = False) -> tuple[list, list[str]]:
    """Turn ``docs`` into ``(ids, texts)`` (all of them; ``iter_documents`` reads them in chunks).

    Accepted: an iterable of ``str`` (ids are positions 0, 1, ...), an iterable
    of ``(id, text)`` pairs, or a mapping ``id -> text``. The shape is set by
    the first item; every later item must have the same shape. Also a data
    frame or column (``_frames``): a pandas or polars DataFrame or Series, a
    pyarrow Table, RecordBatch, Array or ChunkedArray, a ``datasets.Dataset``;
    ``text`` and ``id`` name a frame's columns (default ``"text"``, and
    ``"id"`` if there is one, else the pandas index or positions).

    With ``utf8=True`` the texts of an Arrow column come as one
    ``_utf8.Utf8Texts`` (their UTF-8 buffer, read in place) rather than a
    list of ``str``: only for callers that hand them to ``_pipeline.featurize``.

    Raises
    ------
    TypeError
        ``docs`` is a single ``str``/``bytes``, is not iterable or not an
        accepted shape, or an item is not text (or not an ``(id, text)``
        pair, or its id is unhashable); a frame's text column is not text.
    ValueError
        Two documents share an id; a frame has no such column, or a null
        text or id (the message names the row).
    """
    if _frames.library(docs) is not None:
        return _frames.documents(docs, text, id, utf8=utf8)
    _no_columns(text, id)
    if type(docs) in (list, tuple) and docs and _pystr.all_str(docs):
        return list(range(len(docs))), list(docs)  # plain texts: types read by a kernel, no Python step per text
    ids: list = []
    texts: list[str] = []
    for chunk_ids, chunk_texts in iter_documents(docs):
        ids += chunk_ids
        texts += chunk_texts
    return ids, texts


def _no_columns(text, id):
    if text is not None or id is not None:
        raise TypeError("text= and id= name the columns of a data frame (pandas, polars, pyarrow, datasets); "
                        "docs is not one")


def is_frame(docs) -> bool:
    """Whether ``docs`` is a data frame or column read by ``_frames`` (held in memory, not a stream)."""
    return _frames.library(docs) is not None


def iter_documents(docs, chars: int | None = None, *, text: str | None = None, id: str | None = None):
    """``as_documents`` in chunks: yields ``(ids, texts)`` lists of about ``chars`` characters each.

    A generator or a reader over files is consumed as it goes: nothing of a
    chunk is kept once the caller has used it, but each id (to refuse a
    repeated one). Plain strings get their positions as a ``range``.
    ``chars=None`` yields everything as one chunk. A data frame is read
    whole (``as_documents``), then cut into chunks.
    """
    if _frames.library(docs) is not None:
        ids, texts = _frames.documents(docs, text, id)
        lengths = _pystr.lengths(texts)
        bounds = [0, len(texts)] if chars is None else chunk_bounds(lengths, chars)
        for a, b in zip(bounds[:-1], bounds[1:]):
            yield ids[a:b], texts[a:b]
        return
    _no_columns(text, id)
    if isinstance(docs, (str, bytes, bytearray)):
        raise TypeError(
            f"docs must be a collection of documents, got a single {_kind(docs)}; "
            "wrap one document in a list: [text]"
        )
    if isinstance(docs, Mapping):
        items: Iterable = docs.items()
        pairs = True
    elif isinstance(docs, Iterable) and not hasattr(docs, "columns"):
        items = docs
        pairs = None
    else:
        why = (" (a Dask DataFrame: use dedup.dask.find_duplicates)" if type(docs).__module__.startswith("dask")
               else "")
        raise TypeError(f"docs must be {_frames.ACCEPTED}; got {type(docs).__module__}.{_kind(docs)}{why}")
    ids: list = []
    texts: list[str] = []
    size = 0
    start = 0  # position of the chunk's first document
    seen: dict = {}
    for pos, item in enumerate(items):
        if pairs is None:
            pairs = not isinstance(item, str)
        if pairs:
            if isinstance(item, str) or not isinstance(item, (tuple, list)) or len(item) != 2:
                raise TypeError(
                    f"document {pos}: expected an (id, text) pair like the first document, got {_kind(item)}; "
                    f"docs must be {_frames.ACCEPTED}"
                )
            doc_id, text = item
            if not isinstance(doc_id, Hashable):
                raise TypeError(f"document {pos}: id must be hashable, got {_kind(doc_id)}")
        else:
            doc_id, text = pos, item
        if not isinstance(text, str):
            hint = " (decode bytes first: text.decode('utf-8'))" if isinstance(text, (bytes, bytearray)) else ""
            raise TypeError(f"document {doc_id!r}: text must be str, got {_kind(text)}{hint}")
        if pairs:
            first = seen.setdefault(doc_id, pos)
            if first != pos:
                raise ValueError(f"duplicate document id {doc_id!r} at positions {first} and {pos}")
        ids.append(doc_id)
        texts.append(text)
        size += len(text)
        if chars is not None and size >= chars:
            yield (ids if pairs else range(start, pos + 1)), texts
            ids, texts, size, start = [], [], 0, pos + 1
    if texts or chars is None:
        yield (ids if pairs else range(start, start + len(texts))), texts


def chunk_bounds(lengths: np.ndarray, chars: int) -> list:
    """Row bounds ``[0, ..., n]`` of consecutive chunks of about ``chars`` characters."""
    ends = np.cumsum(lengths)
    bounds = [0]
    while bounds[-1] < lengths.shape[0]:
        base = ends[bounds[-1] - 1] if bounds[-1] else 0
        bounds.append(max(bounds[-1] + 1, int(np.searchsorted(ends, base + chars, side="right"))))
    return bounds


def _is_collection(docs) -> bool:
    return (isinstance(docs, (Sequence, Mapping)) and not isinstance(docs, (str, bytes, bytearray))
            or is_frame(docs))


class TwoPasses:
    """One call's documents read twice in chunks of about ``chars`` characters, within a memory budget.

    ``chunks`` is the first pass, ``pass2`` the second. A collection the
    caller holds is read twice; a one-shot iterable is pickled chunk by chunk
    to the budget's work directory on the first pass and read back on the
    second. ``budget`` (``_spill.Budget``) is the run's: its work directory
    goes at ``close``.
    """

    def __init__(self, docs, chars: int, *, text=None, id=None, memory=None, workdir=None, keep_workdir=False):
        self.chars = chars
        self.budget = _spill.Budget(_spill.parse_size(memory) if memory is not None else _spill.default_memory(),
                                    workdir, keep=keep_workdir)
        self.held = None  # (ids, texts) of a collection
        self.spool = None
        if _is_collection(docs):
            self.held = as_documents(docs, text=text, id=id)
        else:
            self.docs = iter_documents(docs, chars, text=text, id=id)

    def _bounds(self, texts):
        """``(start, stop)`` of consecutive texts of about ``chars`` characters."""
        b = chunk_bounds(np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)), self.chars)
        return itertools.pairwise(b)

    def chunks(self):
        """``(ids, texts)`` of each chunk, first pass."""
        if self.held is not None:
            ids, texts = self.held
            for a, b in self._bounds(texts):
                yield ids[a:b], texts[a:b]
            return
        for ids, texts in self.docs:
            if self.spool is None:
                self.spool = open(self.budget.directory() / "texts.pickle", "wb")
            pickle.dump(texts, self.spool, protocol=pickle.HIGHEST_PROTOCOL)
            yield ids, texts

    def pass2(self):
        """``(d0, texts)`` of each chunk again, in order (a list as ``Held``)."""
        if self.held is not None:
            texts = self.held[1]
            for a, b in self._bounds(texts):
                yield a, Held(texts[a:b]) if isinstance(texts, list) else texts[a:b]
            return
        if self.spool is None:
            return
        self.spool.close()
        d0 = 0
        with open(self.budget.directory() / "texts.pickle", "rb") as f:
            while True:
                try:
                    texts = pickle.load(f)
                except EOFError:
                    return
                yield d0, Held(texts)
                d0 += len(texts)

    def close(self) -> None:
        if self.spool is not None and not self.spool.closed:
            self.spool.close()
        self.budget.close()
