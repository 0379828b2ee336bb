"""Documents in: the accepted shapes of ``docs``, checked with errors that name the problem."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping

from . import _pystr


def _kind(x) -> str:
    return type(x).__name__


def as_documents(docs) -> tuple[list, list[str]]:
    """Turn ``docs`` into ``(ids, texts)`` (all of them; ``iter_documents`` reads them in chunks).

    Accepted: an iterable of ``str`` (ids are positions 0, 1, ...), an iterable
    of ``(id, text)`` pairs, or a mapping ``id -> text``. The shape is set by
    the first item; every later item must have the same shape.

    Raises
    ------
    TypeError
        ``docs`` is a single ``str``/``bytes``, is not iterable, or an item is
        not text (or not an ``(id, text)`` pair, or its id is unhashable).
    ValueError
        Two documents share an id.
    """
    if type(docs) in (list, tuple) and docs and _pystr.all_str(docs):
        return list(range(len(docs))), list(docs)  # plain texts: types read by a kernel, no Python step per text
    ids: list = []
    texts: list[str] = []
    for chunk_ids, chunk_texts in iter_documents(docs):
        ids += chunk_ids
        texts += chunk_texts
    return ids, texts


def iter_documents(docs, chars: int | None = None):
    """``as_documents`` in chunks: yields ``(ids, texts)`` lists of about ``chars`` characters each.

    A generator or a reader over files is consumed as it goes: nothing of a
    chunk is kept once the caller has used it, but each id (to refuse a
    repeated one). Plain strings get their positions as a ``range``.
    ``chars=None`` yields everything as one chunk.
    """
    if isinstance(docs, (str, bytes, bytearray)):
        raise TypeError(
            f"docs must be a collection of documents, got a single {_kind(docs)}; "
            "wrap one document in a list: [text]"
        )
    if isinstance(docs, Mapping):
        items: Iterable = docs.items()
        pairs = True
    elif isinstance(docs, Iterable):
        items = docs
        pairs = None
    else:
        raise TypeError(
            f"docs must be an iterable of str, of (id, text) pairs, or a mapping id -> text; got {_kind(docs)}"
        )
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
                    f"document {pos}: expected an (id, text) pair like the first document, got {_kind(item)}"
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
