"""Reading the corpus: the documents under the command line's paths, as ids and texts, and where each came from.

:func:`read_corpus` turns paths into a :class:`Corpus`: two parallel lists,
``ids`` and ``texts`` (plain ``str``), plus, per document, which source it
came from and its record number there, so that writers can go back to the
sources (``_write``) and messages can name ``file:line``. Each format is read
by ``_formats``; the files are found by ``_sources``, once.

A corpus read from standard input holds a spooled copy of it: use the corpus
as a context manager (``with read_corpus(...) as corpus:``), or ``close`` it.
"""

from __future__ import annotations

import codecs
import os
import shutil
import sys
import tempfile
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

from ._decode import SNIFF
from ._errors import InputError
from ._formats import READERS, Reader, made_id
from ._sources import ZSTD_MAGIC, Source, find_sources, stat_of


class Records:
    """What an in-memory ``Corpus`` and a streamed ``_stream.Stream`` share: ``len``, ``where(i)`` from the
    ``sources``/``source_of``/``record_of`` arrays, and the spooled standard input (``_tmp``) removed by
    ``close``, so either is used as a context manager."""

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, i: int) -> str:
        """``file:line`` (or ``file``) of document ``i``, for messages."""
        return where_of(self.sources[self.source_of[i]], self.record_of[i])

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Remove the spooled copy of standard input, if any."""
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


@dataclass
class Corpus(Records):
    """Documents read from the sources: ``ids[i]``, ``texts[i]``, and where each came from."""

    ids: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    source_of: array = field(default_factory=lambda: array("l"))  # index into sources
    record_of: array = field(default_factory=lambda: array("q"))  # line (jsonl), row, record number
    nbytes: int = 0  # bytes of text read (decompressed)
    skipped: int = 0  # files and records skipped with a warning
    _tmp: object = None

    def add(self, r: Reader, doc_id, text: str, src: int, rec: int, where: str) -> None:
        """One document read (``Reader.add``): kept, or refused when its id was used before."""
        if doc_id is None:
            doc_id = made_id(self.sources[src], rec)
        first = r._first.setdefault(doc_id, len(self.ids))
        if first != len(self.ids):
            r.bad(f"{where}: duplicate id {doc_id!r}, first used at {self.where(first)}; "
                  "ids must be unique (choose another --id-field)")
            return
        self.ids.append(doc_id)
        self.texts.append(text)
        self.source_of.append(src)
        self.record_of.append(rec)

    @staticmethod
    def ready() -> bool:
        """Never: an in-memory corpus keeps every document until the end."""
        return False


def where_of(src: Source, rec: int) -> str:
    """``file:line`` (or ``file``, ``file row N``, ``file record N``) of record ``rec`` of ``src``, for messages."""
    if src.kind == "text":
        return src.name
    if src.kind in ("jsonl", "lines"):
        return f"{src.name}:{rec}"
    return f"{src.name} {'record' if src.kind == 'json' else 'row'} {rec}"


def _spool_stdin(src: Source, corpus: Corpus, stdin_format: str) -> None:
    """Copy standard input to a temporary file (so outputs can re-read it) and decide its kind."""
    if corpus._tmp is None:
        corpus._tmp = tempfile.TemporaryDirectory(prefix="near-dups-")
    path = os.path.join(corpus._tmp.name, "stdin")
    with open(path, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    with open(path, "rb") as f:
        head = f.read(4)
    src.path, src.stat = path, stat_of(path)
    src.gz = head[:2] == b"\x1f\x8b"
    src.zst = head == ZSTD_MAGIC
    if stdin_format == "auto":
        with src.open() as f:
            start = f.read(SNIFF)
        start = start.removeprefix(codecs.BOM_UTF8).lstrip()
        stdin_format = "jsonl" if start.startswith(b"{") else "text"
    src.kind = stdin_format
    src.rel = "stdin.jsonl" if stdin_format == "jsonl" else "stdin.txt"


def read_corpus(paths, *, text_field: str = "text", id_field: str = "id", id_field_given: bool = False,
                stdin_format: str = "auto", skip_errors: bool = False,
                warn: Callable[[str], None] = lambda m: None,
                progress: Callable[[int], None] = lambda n: None,
                sources: list[Source] | None = None, encoding: str | None = None, all_files: bool = False) -> Corpus:
    """Read every document under ``paths`` into a :class:`Corpus`.

    ``encoding`` forces the codec of text and CSV files (strict, no
    detection); JSON and JSON Lines are always UTF-8. ``all_files`` reads
    every file of a folder (``find_sources``).

    Raises
    ------
    InputError
        A path is missing, or (without ``skip_errors``) a file or record is
        unreadable, or no document was found.
    """
    if sources is None:
        sources = find_sources(paths, warn=warn, skip_errors=skip_errors, all_files=all_files)
    corpus = Corpus(sources=sources)
    r = Reader(text_field, id_field, id_field_given, skip_errors, warn, progress, corpus, encoding)
    try:
        for s, src in enumerate(sources):
            if src.kind == "stdin":
                _spool_stdin(src, corpus, stdin_format)
            for _ in READERS[src.kind](r, s, src):
                pass
    except BaseException:
        corpus.close()
        raise
    if not corpus.ids:
        corpus.close()
        where = ", ".join(paths)
        raise InputError(f"{where}: no documents found" + (" (every input was skipped)" if corpus.skipped else ""))
    return corpus
