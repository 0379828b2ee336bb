"""Corpora in and out for the command line: files, folders and standard input.

Reading turns paths into a :class:`Corpus`: two parallel lists, ``ids`` and
``texts`` (plain ``str``), plus, per document, which source it came from and
its record number there. Parsed records are dropped as soon as their text and
id are taken, so a JSON Lines file costs its texts and ids, not its dicts.

Writing goes back to the sources: ``write_corpus`` re-reads each input and
copies the kept records verbatim (or with a new text), so output keeps the
input's format and every field, and nothing but ids and texts is held.
Every output file or folder is written under a temporary name in its final
folder and renamed into place only when complete (:func:`atomic_file`).

Errors that stop the run are :class:`InputError` with a message that names the
file and line, field or option; with ``skip_errors`` the per-file and
per-record ones become warnings and the item is skipped.
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import os
import shutil
import sys
import tempfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

#: file suffix -> kind of source. Text files hold one document each.
SUFFIXES = {
    ".txt": "text",
    ".md": "text",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
}
RECORD_KINDS = ("jsonl", "json", "csv", "parquet")
STDIN_FORMATS = ("auto", "jsonl", "text", "lines")
#: Bytes looked at for a NUL to call a file binary (git and grep use the same test).
SNIFF = 8000
PARQUET_HINT = "pip install 'near-dups[parquet]'  (or: pip install pyarrow)"


class InputError(Exception):
    """Bad input or output path: one message naming the file and line, field or option."""


def suffix_of(path: str) -> str:
    name = os.path.basename(path).lower()
    if name.endswith(".jsonl.gz"):
        return ".jsonl.gz"
    return os.path.splitext(name)[1]


def kind_of(path: str) -> str | None:
    """Kind of source a file name says it is, or None when its suffix is not one we read."""
    return SUFFIXES.get(suffix_of(path))


@dataclass
class Source:
    """One input file (or standard input, spooled to a temporary file)."""

    path: str  # what to open
    name: str  # what messages and ids call it ("-" for standard input)
    rel: str  # where it goes under an output folder
    kind: str  # "text", "lines", "jsonl", "json", "csv" or "parquet"
    gz: bool = False
    stat: tuple = ()
    explicit: bool = True  # named on the command line, not found in a folder

    def open(self):
        """Binary file object of the (decompressed) content."""
        raw = open(self.path, "rb")
        return gzip.GzipFile(fileobj=raw, mode="rb") if self.gz else raw

    def check_unchanged(self) -> None:
        st = os.stat(self.path)
        if (st.st_size, st.st_mtime_ns) != self.stat:
            raise InputError(f"{self.name}: changed while near-dups was running; run again")


@dataclass
class Corpus:
    """Documents read from the sources: ``ids[i]``, ``texts[i]``, and where each came from."""

    ids: list = field(default_factory=list)
    texts: list = field(default_factory=list)
    sources: list = field(default_factory=list)
    source_of: array = field(default_factory=lambda: array("l"))  # index into sources
    record_of: array = field(default_factory=lambda: array("q"))  # line (jsonl), row, record number
    nbytes: int = 0  # bytes of text read (decompressed)
    skipped: int = 0  # files and records skipped with a warning
    _tmp: object = None

    def __len__(self) -> int:
        return len(self.ids)

    def where(self, i: int) -> str:
        """``file:line`` (or ``file``) of document ``i``, for messages."""
        src = self.sources[self.source_of[i]]
        rec = self.record_of[i]
        if src.kind == "text":
            return src.name
        if src.kind in ("jsonl", "lines"):
            return f"{src.name}:{rec}"
        return f"{src.name} {'record' if src.kind == 'json' else 'row'} {rec}"

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


# --------------------------------------------------------------------------- finding files
def _walk(root: str) -> Iterator[str]:
    """Files under ``root``, sorted, skipping hidden files and folders."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if not f.startswith("."):
                yield os.path.join(dirpath, f)


def _stat(path: str) -> tuple:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns)


def find_sources(paths, *, warn: Callable[[str], None], skip_errors: bool = False) -> list[Source]:
    """The input files named by ``paths`` (files, folders searched recursively, ``-``).

    A file named explicitly is read whatever its suffix (unknown suffixes as
    text); inside a folder only the suffixes in ``SUFFIXES`` are read and the
    others are skipped with one warning per folder.
    """
    sources: list[Source] = []
    seen: set = set()

    def add(path: str, name: str, rel: str, kind: str, explicit: bool) -> None:
        key = os.path.realpath(path)
        if key in seen:
            warn(f"{name}: given more than once; read once")
            return
        seen.add(key)
        sources.append(Source(path, name, rel, kind, gz=path.lower().endswith(".gz"), stat=_stat(path),
                              explicit=explicit))

    for p in paths:
        if p == "-":
            sources.append(Source("-", "-", "stdin", "stdin"))
        elif os.path.isdir(p):
            found, others = 0, []
            for f in _walk(p):
                kind = kind_of(f)
                if kind is None:
                    others.append(os.path.relpath(f, p))
                    continue
                add(f, os.path.normpath(f), os.path.relpath(f, p), kind, False)
                found += 1
            if others:
                shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
                warn(f"{p}: skipped {len(others)} file(s) that are not {_suffix_list()}: {shown}")
            if not found:
                _fail(f"{p}: no {_suffix_list()} files in this folder", skip_errors, warn)
        elif os.path.exists(p):
            if not os.path.isfile(p):
                _fail(f"{p}: not a regular file or folder", skip_errors, warn)
                continue
            add(p, os.path.normpath(p), os.path.basename(p), kind_of(p) or "text", True)
        else:
            raise InputError(f"{p}: no such file or folder")
    return sources


def _suffix_list() -> str:
    return "/".join(SUFFIXES)


def _fail(msg: str, skip: bool, warn, skipped: str = "skipped") -> None:
    if not skip:
        raise InputError(msg + " (--skip-errors skips it and goes on)")
    warn(f"{msg}; {skipped}")


# --------------------------------------------------------------------------- reading
@dataclass
class _Reader:
    text_field: str
    id_field: str
    id_field_given: bool
    skip_errors: bool
    warn: Callable[[str], None]
    progress: Callable[[int], None]
    corpus: Corpus
    _first: dict = field(default_factory=dict)  # id -> document position, while reading

    def bad(self, msg: str, skipped: str = "skipped") -> None:
        self.corpus.skipped += 1
        _fail(msg, self.skip_errors, self.warn, skipped)

    def add(self, doc_id, text: str, src: int, rec: int, where: str) -> None:
        c = self.corpus
        first = self._first.setdefault(doc_id, len(c.ids))
        if first != len(c.ids):
            self.bad(f"{where}: duplicate id {doc_id!r}, first used at {c.where(first)}; "
                     "ids must be unique (choose another --id-field)")
            return
        c.ids.append(doc_id)
        c.texts.append(text)
        c.source_of.append(src)
        c.record_of.append(rec)

    # ----------------------------------------------------------- one record
    def take(self, rec, where: str, default_id):
        """(id, text) of a parsed record, or None after reporting what is wrong."""
        if not isinstance(rec, dict):
            self.bad(f"{where}: expected a JSON object, got {type(rec).__name__}")
            return None
        text = rec.get(self.text_field)
        if not isinstance(text, str):
            self.bad(_field_problem(where, self.text_field, rec, "--text-field"))
            return None
        doc_id = rec.get(self.id_field)
        if doc_id is None:
            if self.id_field_given:
                self.bad(_field_problem(where, self.id_field, rec, "--id-field"))
                return None
            doc_id = default_id
        elif isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
            self.bad(f"{where}: field {self.id_field!r} is {type(doc_id).__name__}, not a string or number")
            return None
        return doc_id, text

    # ----------------------------------------------------------- by kind
    def read_text(self, s: int, src: Source) -> None:
        with src.open() as f:
            data = f.read()
        self.progress(src.stat[0])
        nul = data.find(b"\0", 0, SNIFF)
        if nul >= 0:
            msg = f"{src.name}: binary file (NUL byte at offset {nul}), not UTF-8 text"
            if not src.explicit:  # found in a folder: skipping it loses no text
                self.corpus.skipped += 1
                self.warn(msg + "; skipped")
                return
            return self.bad(msg)
        text = _decode(data, src.name, self)
        if text is not None:
            self.corpus.nbytes += len(data)
            self.add(src.name, text, s, 0, src.name)

    def read_lines(self, s: int, src: Source) -> None:
        with src.open() as f:
            for lineno, line in enumerate(f, 1):
                self.progress(len(line))
                text = _decode(line, f"{src.name}:{lineno}", self)
                if text is None or not text.strip():
                    continue
                self.corpus.nbytes += len(line)
                self.add(lineno, text.rstrip("\r\n"), s, lineno, f"{src.name}:{lineno}")

    def read_jsonl(self, s: int, src: Source) -> None:
        raw = open(src.path, "rb")
        f = gzip.GzipFile(fileobj=raw, mode="rb") if src.gz else raw
        lineno, done = 0, 0
        try:
            with raw, f:
                for lineno, line in enumerate(f, 1):
                    if lineno % 1024 == 0:
                        pos = raw.tell()
                        self.progress(pos - done)
                        done = pos
                    where = f"{src.name}:{lineno}"
                    if not line.strip():
                        continue
                    text = _decode(line, where, self)
                    if text is None:
                        continue
                    try:
                        rec = json.loads(text.rstrip("\r\n"))
                    except json.JSONDecodeError as e:
                        self.bad(f"{where}: malformed JSON: {e.msg.removesuffix(' at')} at column {e.colno}")
                        continue
                    got = self.take(rec, where, f"{src.name}:{lineno}")
                    del rec
                    if got is not None:
                        self.corpus.nbytes += len(line)
                        self.add(*got, s, lineno, where)
        except (EOFError, gzip.BadGzipFile, zlib.error) as e:
            self.bad(f"{src.name}: truncated or corrupt gzip after line {lineno} ({e})",
                     f"kept the {lineno} lines before it")
        self.progress(_stat(src.path)[0] - done)

    def read_json(self, s: int, src: Source) -> None:
        with src.open() as f:
            data = f.read()
        self.progress(src.stat[0])
        text = _decode(data, src.name, self)
        if text is None:
            return
        try:
            records = json.loads(text)
        except json.JSONDecodeError as e:
            return self.bad(f"{src.name}:{e.lineno}: malformed JSON: {e.msg.removesuffix(' at')} "
                            f"at column {e.colno}")
        if not isinstance(records, list):
            return self.bad(f"{src.name}: expected a JSON array of objects, got {type(records).__name__} "
                            "(for one object per line, name the file .jsonl)")
        self.corpus.nbytes += len(data)
        for k, rec in enumerate(records, 1):
            where = f"{src.name} record {k}"
            got = self.take(rec, where, f"{src.name}:{k}")
            if got is not None:
                self.add(*got, s, k, where)

    def read_csv(self, s: int, src: Source) -> None:
        csv.field_size_limit(2**31 - 1)  # a document is one field; the default caps it at 128 KiB
        with src.open() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
            reader = csv.reader(f)
            row = 0
            try:
                header = next(reader, None)
                if header is None:
                    return self.bad(f"{src.name}: empty CSV file (expected a header row)")
                cols = {name: k for k, name in enumerate(header)}
                if self.text_field not in cols:
                    return self.bad(f"{src.name}: no column {self.text_field!r} (columns: {', '.join(header)}); "
                                    "choose one with --text-field")
                ti = cols[self.text_field]
                ii = cols.get(self.id_field)
                if ii is None and self.id_field_given:
                    return self.bad(f"{src.name}: no column {self.id_field!r} (columns: {', '.join(header)}); "
                                    "choose one with --id-field")
                for row, values in enumerate(reader, 1):
                    where = f"{src.name} row {row}"
                    if len(values) <= max(ti, ii or 0):
                        self.bad(f"{where}: {len(values)} fields, expected {len(header)}")
                        continue
                    text = values[ti]
                    self.corpus.nbytes += len(text)
                    self.add(values[ii] if ii is not None else f"{src.name}:{row}", text, s, row, where)
            except csv.Error as e:
                self.bad(f"{src.name} line {reader.line_num}: malformed CSV: {e}")
            except UnicodeDecodeError as e:
                self.bad(f"{src.name} line {reader.line_num + 1}: not UTF-8 ({e.reason}); "
                         "convert it with iconv -t UTF-8")
        self.progress(src.stat[0])

    def read_parquet(self, s: int, src: Source) -> None:
        pq = require_pyarrow(src.name)
        try:
            pf = pq.ParquetFile(src.path)
            names = pf.schema_arrow.names
            if self.text_field not in names:
                return self.bad(f"{src.name}: no column {self.text_field!r} (columns: {', '.join(names)}); "
                                "choose one with --text-field")
            has_id = self.id_field in names
            if not has_id and self.id_field_given:
                return self.bad(f"{src.name}: no column {self.id_field!r} (columns: {', '.join(names)}); "
                                "choose one with --id-field")
            cols = [self.text_field] + ([self.id_field] if has_id else [])
            row = 0
            for batch in pf.iter_batches(columns=cols, batch_size=8192):
                texts = batch.column(0).to_pylist()
                ids = batch.column(1).to_pylist() if has_id else [None] * len(texts)
                for text, doc_id in zip(texts, ids):
                    row += 1
                    where = f"{src.name} row {row}"
                    if not isinstance(text, str):
                        self.bad(f"{where}: column {self.text_field!r} is {type(text).__name__}, not a string")
                        continue
                    if doc_id is None:
                        doc_id = f"{src.name}:{row}"
                    self.corpus.nbytes += len(text)
                    self.add(doc_id, text, s, row, where)
        except Exception as e:  # pyarrow raises its own ArrowInvalid/OSError for unreadable files
            if isinstance(e, InputError):
                raise
            self.bad(f"{src.name}: not a readable Parquet file ({type(e).__name__}: {e})")
        self.progress(src.stat[0])


def _field_problem(where: str, name: str, rec, option: str) -> str:
    if isinstance(rec, dict) and name in rec:
        return f"{where}: field {name!r} is {type(rec[name]).__name__}, not a string"
    fields = ", ".join(map(str, list(rec)[:12])) if isinstance(rec, dict) else ""
    return f"{where}: no field {name!r} (fields: {fields or 'none'}); choose one with {option}"


def _decode(data: bytes, where: str, reader: _Reader) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        at = f"{where}:{line}" if ":" not in where else where
        reader.bad(f"{at}: not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); "
                   "convert it with iconv -t UTF-8")
        return None


def require_pyarrow(name: str):
    """``pyarrow.parquet``, or an InputError naming the pip command."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{name}: reading and writing Parquet needs pyarrow: {PARQUET_HINT}") from None
    return pq


def _spool_stdin(src: Source, corpus: Corpus, stdin_format: str) -> None:
    """Copy standard input to a temporary file (so outputs can re-read it) and decide its kind."""
    if corpus._tmp is None:
        corpus._tmp = tempfile.TemporaryDirectory(prefix="near-dups-")
    path = os.path.join(corpus._tmp.name, "stdin")
    with open(path, "wb") as out:
        shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
    with open(path, "rb") as f:
        head = f.read(2)
    src.path, src.stat = path, _stat(path)
    src.gz = head == b"\x1f\x8b"
    if stdin_format == "auto":
        with src.open() as f:
            start = f.read(SNIFF).lstrip()
        stdin_format = "jsonl" if start.startswith(b"{") else "text"
    src.kind = stdin_format
    src.rel = "stdin.jsonl" if stdin_format == "jsonl" else "stdin.txt"


def read_corpus(paths, *, text_field: str = "text", id_field: str = "id", id_field_given: bool = False,
                stdin_format: str = "auto", skip_errors: bool = False,
                warn: Callable[[str], None] = lambda m: None,
                progress: Callable[[int], None] = lambda n: None,
                sources: list[Source] | None = None) -> Corpus:
    """Read every document under ``paths`` into a :class:`Corpus`.

    Raises
    ------
    InputError
        A path is missing, or (without ``skip_errors``) a file or record is
        unreadable, or no document was found.
    """
    if sources is None:
        sources = find_sources(paths, warn=warn, skip_errors=skip_errors)
    corpus = Corpus(sources=sources)
    r = _Reader(text_field, id_field, id_field_given, skip_errors, warn, progress, corpus)
    try:
        for s, src in enumerate(sources):
            if src.kind == "stdin":
                _spool_stdin(src, corpus, stdin_format)
            getattr(r, "read_" + src.kind)(s, src)
    except BaseException:
        corpus.close()
        raise
    if not corpus.ids:
        corpus.close()
        where = ", ".join(paths)
        raise InputError(f"{where}: no documents found" + (" (every input was skipped)" if corpus.skipped else ""))
    return corpus


def source_lengths(paths) -> int:
    """Total on-disk bytes of ``paths`` (for a progress bar); 0 when unknown."""
    total = 0
    for p in paths:
        if p == "-":
            return 0
        if os.path.isdir(p):
            total += sum(os.path.getsize(f) for f in _walk(p) if kind_of(f))
        elif os.path.isfile(p):
            total += os.path.getsize(p)
    return total


# --------------------------------------------------------------------------- writing
@contextlib.contextmanager
def atomic_file(dest: str, mode: str = "w", compress: bool | None = None):
    """Open a temporary file next to ``dest``; rename it to ``dest`` only on success.

    ``dest`` of ``-`` writes to standard output (not atomic). A ``.gz``
    destination is gzip-compressed unless ``compress`` says otherwise.
    """
    if dest == "-":
        if "b" in mode:
            yield sys.stdout.buffer
        else:
            yield sys.stdout
        sys.stdout.flush()
        return
    folder = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(folder):
        raise InputError(f"{dest}: folder {folder} does not exist")
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".", suffix=".tmp", dir=folder)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it a normal file's mode
        with os.fdopen(fd, "wb") as raw:
            if compress if compress is not None else dest.lower().endswith(".gz"):
                with gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz:
                    yield from _binary_or_text(gz, mode)
            else:
                yield from _binary_or_text(raw, mode)
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _binary_or_text(f, mode: str):
    if "b" in mode:
        yield f
        return
    t = io.TextIOWrapper(f, encoding="utf-8", newline="")
    yield t
    t.flush()
    t.detach()  # ``f`` is closed by its owner


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_folder(dest: str):
    """A temporary folder next to ``dest``, renamed to ``dest`` only on success.

    ``dest`` must not exist, or be an empty folder.
    """
    check_folder_output(dest)
    parent = os.path.dirname(os.path.abspath(dest.rstrip("/\\") or dest))
    tmp = tempfile.mkdtemp(prefix="." + os.path.basename(os.path.abspath(dest)) + ".", suffix=".tmp", dir=parent)
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if os.path.isdir(dest):
            os.rmdir(dest)
        os.rename(tmp, dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def check_folder_output(dest: str) -> None:
    if os.path.isdir(dest) and os.listdir(dest):
        raise InputError(f"-o {dest}: folder exists and is not empty; name a new folder")
    if os.path.exists(dest) and not os.path.isdir(dest):
        raise InputError(f"-o {dest}: exists and is not a folder; several inputs are written to a folder")
    parent = os.path.dirname(os.path.abspath(dest.rstrip("/\\") or dest))
    if not os.path.isdir(parent):
        raise InputError(f"-o {dest}: folder {parent} does not exist")


def check_output(dest: str, sources: list[Source]) -> None:
    """Refuse an output path that is one of the inputs or would mix formats."""
    for src in sources:
        if src.name == "-":
            continue
        if os.path.exists(dest) and os.path.samefile(dest, src.path):
            raise InputError(f"-o {dest}: is an input; the input is never modified, name another output")
        if os.path.isdir(dest):
            d = os.path.realpath(dest)
            if os.path.realpath(src.path).startswith(d + os.sep):
                raise InputError(f"-o {dest}: is an input folder; name another output")
    if len(sources) == 1:
        src = sources[0]
        want = kind_of(dest)
        have = {"lines": "text", "text": "text"}.get(src.kind, src.kind)
        if want in RECORD_KINDS and want != have:
            raise InputError(f"-o {dest}: output is written in the input's format ({have}); "
                             f"give it a {'.jsonl or .jsonl.gz' if have == 'jsonl' else '.' + have} name")
        parent = os.path.dirname(os.path.abspath(dest))
        if not os.path.isdir(parent):
            raise InputError(f"-o {dest}: folder {parent} does not exist")
        if os.path.isdir(dest):
            raise InputError(f"-o {dest}: is a folder; one input is written to one file")
    else:
        check_folder_output(dest)
        seen: dict = {}
        for src in sources:
            other = seen.setdefault(os.path.normcase(src.rel), src.name)
            if other != src.name:
                raise InputError(f"-o {dest}: {src.name} and {other} would both be written to {src.rel}; "
                                 "give their common folder instead")


def write_corpus(corpus: Corpus, dest: str, *, keep=None, texts=None, text_field: str = "text") -> int:
    """Write the corpus to ``dest`` in its input format; returns documents written.

    Parameters
    ----------
    keep : sequence of bool per document, optional (None keeps all).
    texts : list of str per document, optional: replaces each document's text.

    One source is written to the file ``dest``; several to the folder
    ``dest``, each under its path relative to the folder it was found in.
    """
    check_output(dest, corpus.sources)
    for src in corpus.sources:
        src.check_unchanged()
    bounds = _source_bounds(corpus)
    written = 0
    if len(corpus.sources) == 1:
        written += _write_source(corpus, 0, bounds[0], dest, keep, texts, text_field, compress=None)
        return written
    with atomic_folder(dest) as tmp:
        for s, src in enumerate(corpus.sources):
            lo, hi = bounds[s]
            if lo == hi or (keep is not None and not any(keep[lo:hi])):
                continue  # nothing of this source is kept
            target = os.path.join(tmp, src.rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            written += _write_source(corpus, s, (lo, hi), target, keep, texts, text_field, compress=src.gz)
    return written


def _source_bounds(corpus: Corpus) -> list[tuple[int, int]]:
    bounds = [(0, 0)] * len(corpus.sources)
    n = len(corpus.ids)
    i = 0
    while i < n:
        s = corpus.source_of[i]
        j = i
        while j < n and corpus.source_of[j] == s:
            j += 1
        bounds[s] = (i, j)
        i = j
    return bounds


def _write_source(corpus, s, bounds, dest, keep, texts, text_field, compress) -> int:
    src = corpus.sources[s]
    lo, hi = bounds
    wanted = {corpus.record_of[i]: i for i in range(lo, hi) if keep is None or keep[i]}
    if src.kind == "parquet":
        return _write_parquet(src, dest, wanted, texts, text_field)
    with atomic_file(dest, "wb", compress=compress) as out:
        if src.kind == "text":
            i = wanted.get(0)
            if i is not None:
                if texts is None:
                    with open(src.path, "rb") as f:
                        shutil.copyfileobj(f, out)
                else:
                    out.write(texts[i].encode("utf-8"))
        elif src.kind in ("jsonl", "lines"):
            with src.open() as f:
                for lineno, line in enumerate(f, 1):
                    i = wanted.get(lineno)
                    if i is None:
                        continue
                    if texts is not None:
                        if src.kind == "lines":
                            line = texts[i].encode("utf-8")
                        else:
                            rec = json.loads(line)
                            rec[text_field] = texts[i]
                            line = json.dumps(rec, ensure_ascii=False).encode("utf-8")
                    out.write(line if line.endswith(b"\n") else line + b"\n")
        elif src.kind == "json":
            with src.open() as f:
                records = json.loads(f.read())
            kept = []
            for k, rec in enumerate(records, 1):
                i = wanted.get(k)
                if i is not None:
                    if texts is not None:
                        rec[text_field] = texts[i]
                    kept.append(rec)
            out.write(json.dumps(kept, ensure_ascii=False, indent=1).encode("utf-8") + b"\n")
        elif src.kind == "csv":
            text_out = io.TextIOWrapper(out, encoding="utf-8", newline="")
            with src.open() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
                reader = csv.reader(f)
                writer = csv.writer(text_out)
                header = next(reader)
                writer.writerow(header)
                ti = header.index(text_field)
                for row, values in enumerate(reader, 1):
                    i = wanted.get(row)
                    if i is not None:
                        if texts is not None:
                            values[ti] = texts[i]
                        writer.writerow(values)
            text_out.flush()
            text_out.detach()
    return len(wanted)


def _write_parquet(src, dest, wanted, texts, text_field) -> int:
    pq = require_pyarrow(src.name)
    import pyarrow as pa

    table = pq.read_table(src.path)
    rows = sorted(wanted)
    table = table.take(pa.array([r - 1 for r in rows], type=pa.int64()))
    if texts is not None:
        k = table.schema.get_field_index(text_field)
        table = table.set_column(k, text_field, pa.array([texts[wanted[r]] for r in rows], type=pa.string()))
    with atomic_file(dest, "wb", compress=False) as out:
        pq.write_table(table, out)
    return len(rows)
