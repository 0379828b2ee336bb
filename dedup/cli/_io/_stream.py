"""Reading the corpus as a stream: documents passed on in batches as they are read, their texts never all kept.

A :class:`Stream` is what ``find``, ``dedup``, ``index build`` and ``index
query`` read: the same readers (``_formats``) as an in-memory ``Corpus``,
the same messages in the same order, but each batch of documents is handed
on (to ``dedup.index`` or ``Index.query_many``) and dropped. What stays is,
per document, its id (``_ids.DocIds``: ``FILE:LINE`` ids are not even
stored), which source it came from and its record there (line, row, record
number), 12 bytes plus the stored id. Writers (``_write``) and the text
output's excerpts (:meth:`Stream.texts_at`) go back to the sources for the
records they need, in a second pass.

A repeated id is found before its document is passed on (``_ids.IdSet``),
so with ``--skip-errors`` it is skipped, as in memory. Warnings raised while
a batch is read are held and said in record order with the batch's own
(a duplicate id is found when the batch is complete), so the messages are
word for word and line for line those of an in-memory read.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator

import numpy as np

from ..._storage._ids import id_keys
from ._errors import InputError
from ._formats import READERS, Reader, made_id
from ._doc_ids import DocIds, IdSet
from ._read import Records, _spool_stdin
from ._sources import Source, fail

#: A batch is passed on when it holds this many documents or characters (small enough to hold, large
#: enough that the per-batch work, a few numpy calls, is nothing per document).
BATCH_DOCS = 4096
BATCH_CHARS = 8 << 20


class Stream(Records):
    """A corpus read as a stream: ``ids``, ``sources``, ``source_of``, ``record_of``, no texts.

    Nothing is read until :meth:`batches` (or :meth:`documents`) is
    iterated; ``len``, ``nbytes`` and ``skipped`` count what was read so
    far. Use it as a context manager (standard input is spooled to a
    temporary file, removed at the end).
    """

    streaming = True

    def __init__(self, paths, sources: list[Source], *, text_field: str = "text", id_field: str = "id",
                 id_field_given: bool = False, stdin_format: str = "auto", skip_errors: bool = False,
                 warn: Callable[[str], None] = lambda m: None, encoding: str | None = None):
        self.paths = list(paths)
        self.sources = sources
        self.source_of = array("i")  # index into sources
        self.record_of = array("q")  # line (jsonl), row, record number
        self.ids = DocIds(sources, self.source_of, self.record_of)
        self.nbytes = 0
        self.skipped = 0
        self.progress: Callable[[int], None] = lambda n: None  # bytes of input read (a progress bar's update)
        self.at_end: list[Callable[[Stream], None]] = []  # called once every document is read
        self._options = dict(text_field=text_field, id_field=id_field, id_field_given=id_field_given,
                             skip_errors=skip_errors, encoding=encoding)
        self._stdin_format = stdin_format
        self._warn = warn
        self._tmp = None
        self._pending: list[tuple] = []  # (id or None, text, source, record, where) read, not yet passed on
        self._chars = 0
        self._held: list[tuple[int, str]] = []  # (documents pending when said, warning)
        self._seen = IdSet()
        names = {s.name for s in sources if s.kind != "text"}
        # A made id (FILE:LINE, a path) can equal another only if an id field gives it, or a text file is named
        # like a record of another source; until then made ids are not hashed (see _commit).
        self._hash_made = any(s.kind == "text" and s.name.rpartition(":")[0] in names
                              and s.name.rpartition(":")[2].isdigit() for s in sources)

    # ------------------------------------------------------------------ the reader's side
    def add(self, r: Reader, doc_id, text: str, src: int, rec: int, where: str) -> None:
        self._pending.append((doc_id, text, src, rec, where))
        self._chars += len(text)

    def ready(self) -> bool:
        return len(self._pending) >= BATCH_DOCS or self._chars >= BATCH_CHARS

    def _hold(self, msg: str) -> None:
        self._held.append((len(self._pending), msg))

    # ------------------------------------------------------------------ reading
    def documents(self) -> Iterator[str]:
        """Every document's text, in input order (positions are ``ids``' positions)."""
        for texts in self.batches():
            yield from texts

    def batches(self) -> Iterator[list[str]]:
        """The texts of each batch of documents, as read (see the module's docstring).

        Raises
        ------
        InputError
            As ``read_corpus`` does, at the same record: a problem without
            ``skip_errors``, a duplicate id, no document at all.
        """
        r = Reader(**self._options, warn=self._hold, progress=lambda n: self.progress(n), corpus=self)
        for s, src in enumerate(self.sources):
            try:
                if src.kind == "stdin":
                    _spool_stdin(src, self, self._stdin_format)
                for _ in READERS[src.kind](r, s, src):
                    texts = self._commit(r)
                    if texts:
                        yield texts
            except InputError:
                self._commit(r)  # a duplicate id read before the problem is the first error
                raise
        texts = self._commit(r)
        if texts:
            yield texts
        if not len(self.ids):
            where = ", ".join(self.paths)
            raise InputError(f"{where}: no documents found" + (" (every input was skipped)" if self.skipped else ""))
        for f in self.at_end:
            f(self)

    def _commit(self, r: Reader) -> list[str]:
        """Check the pending batch's ids, keep them and where each document is; return the batch's texts."""
        batch, held = self._pending, self._held
        self._pending, self._held, self._chars = [], [], 0
        hashing = self._hash_made or any(b[0] is not None for b in batch)
        if hashing and not self._hash_made:  # the first id from a field: from now on every id is hashed
            self._hash_made = True
            n = len(self.ids)
            for lo in range(0, n, 1 << 16):
                part = self.ids[lo : lo + (1 << 16)]
                self._seen.add(id_keys(part), np.arange(lo, lo + len(part)))
        ids = [b[0] if b[0] is not None else made_id(self.sources[b[2]], b[3]) for b in batch] if hashing else None
        hashes = id_keys(ids) if hashing else None
        before = self._seen.candidates(hashes) if hashing else {}
        twice = set()
        if hashing and len(batch) > 1:
            h = np.sort(hashes)
            twice = set(h[1:][h[1:] == h[:-1]].tolist())
        if not held and not before and not twice and batch:  # nothing to say, no id seen before: kept as a whole
            doc_ids, texts, srcs, recs, _ = zip(*batch)
            n = len(self.ids)
            self.ids.extend(doc_ids)
            self.source_of.extend(srcs)
            self.record_of.extend(recs)
            if hashing:
                self._seen.add(hashes, np.arange(n, n + len(batch)))
            return list(texts)
        here: dict[int, list[int]] = {}  # hash -> positions kept from this batch, for hashes seen twice in it
        texts, kept = [], []
        said = 0
        for k, (doc_id, text, src, rec, where) in enumerate(batch):
            while said < len(held) and held[said][0] <= k:
                self._warn(held[said][1])
                said += 1
            if hashing:
                hk = int(hashes[k])
                first = next((p for p in before.get(k, []) + here.get(hk, []) if self.ids[p] == ids[k]), None)
                if first is not None:
                    self.skipped += 1
                    fail(f"{where}: duplicate id {ids[k]!r}, first used at {self.where(first)}; "
                         "ids must be unique (choose another --id-field)", r.skip_errors, self._warn)
                    continue
                if hk in twice:
                    here.setdefault(hk, []).append(len(self.ids))
            self.ids.append(doc_id)
            self.source_of.append(src)
            self.record_of.append(rec)
            texts.append(text)
            kept.append(k)
        for _, msg in held[said:]:
            self._warn(msg)
        if hashing and kept:
            n = len(self.ids)
            self._seen.add(hashes[kept], np.arange(n - len(kept), n))
        return texts

    # ------------------------------------------------------------------ a second pass
    def texts_at(self, positions: Iterable[int]) -> dict[int, str]:
        """``{position: text}`` of the documents at ``positions``, read again from their sources.

        Only the sources holding one are read; JSON Lines parse only the lines
        wanted. A source changed since the first pass is an InputError.
        """
        want = sorted(set(positions))
        out: dict[int, str] = {}
        if not want:
            return out
        src_of = np.frombuffer(self.source_of, dtype=np.int32)
        rec_of = np.frombuffer(self.record_of, dtype=np.int64)
        w = np.array(want, dtype=np.int64)
        for s in np.unique(src_of[w]).tolist():
            mine = w[src_of[w] == s]
            at = dict(zip(rec_of[mine].tolist(), mine.tolist()))
            src = self.sources[s]
            src.check_unchanged()
            sink = _Collect(at, out)
            r = Reader(**{**self._options, "skip_errors": True}, warn=lambda m: None, progress=lambda n: None,
                       corpus=sink)
            r.lines = set(at) if src.kind == "jsonl" else None
            for _ in READERS[src.kind](r, s, src):
                pass
        return out


class _Collect:
    """The corpus of a second pass: keeps the texts of the records wanted (``{record: position}``), nothing else."""

    streaming = True  # CSV: check UTF-8 first rather than read twice

    def __init__(self, at: dict, out: dict):
        self.at, self.out = at, out
        self.nbytes = self.skipped = 0

    def add(self, r, doc_id, text, src, rec, where) -> None:
        p = self.at.get(rec)
        if p is not None:
            self.out[p] = text

    @staticmethod
    def ready() -> bool:
        return False

