"""Corpora in and out for the command line: files, folders and standard input.

Reading turns paths into a :class:`Corpus`: two parallel lists, ``ids`` and
``texts`` (plain ``str``), plus, per document, which source it came from and
its record number there. Parsed records are dropped as soon as their text and
id are taken, so a JSON Lines file costs its texts and ids, not its dicts.

Writing goes back to the sources: ``write_corpus`` re-reads each input and
copies the kept records verbatim (or with a new text), so output keeps the
input's format and every field, and nothing but ids and texts is held.
Every output file or folder is written under a temporary name in its final
folder and renamed into place only when complete (:func:`atomic_file`); the
outputs of one command can be renamed together, after all are complete
(:class:`Outputs`). No output may be an input, a link to one, or inside an
input folder (:func:`check_paths`, the one check every command's outputs go
through).

Text files are decoded per file, never per document: UTF-8 first (the fast
path), then by their byte-order mark (UTF-8, UTF-16, UTF-32), then, for the
rare file that is none of these, by detection (``charset-normalizer``), with
a warning naming the file and the encoding used (:func:`decode_text`).
``--encoding`` forces one codec, strictly. JSON and JSON Lines are UTF-8
(RFC 8259), with a byte-order mark accepted.

Errors that stop the run are :class:`InputError` with a message that names the
file and line, field or option; with ``skip_errors`` the per-file and
per-record ones become warnings and the item is skipped.
"""

from __future__ import annotations

import codecs
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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from . import _fs

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
#: Byte-order marks -> codec that decodes (and drops) them; UTF-32 before UTF-16, whose mark begins it.
BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
#: How much messier (charset-normalizer's chaos, 0..1) windows-1252 may decode a file than the
#: detector's favourite and still be chosen. Single-byte Latin text is ambiguous between cp1250,
#: cp1252 and cp1257 (they differ in a few letters), and the detector ranks them by chance (a
#: French Latin-1 file came out as cp1257 with 0.078 less chaos); WHATWG's Encoding Standard makes
#: windows-1252 the default for legacy Western text, and it decodes Latin-1 text identically.
CP1252_MARGIN = 0.1


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
    ident: tuple = ()  # (st_dev, st_ino): the file itself, whatever path or link names it
    encoding: str | None = None  # the codec it was read with, when not UTF-8 (text and CSV files)
    errors: str = "strict"  # "replace" for a UTF-8 file with a few invalid bytes

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
        st = os.stat(path)
        sources.append(Source(path, name, rel, kind, gz=path.lower().endswith(".gz"),
                              stat=(st.st_size, st.st_mtime_ns), explicit=explicit, ident=(st.st_dev, st.st_ino)))

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
    encoding: str | None = None  # --encoding: the codec of every text and CSV file
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
            self.bad(_bad_id(where, f"field {self.id_field!r}", doc_id))
            return None
        return doc_id, text

    # ----------------------------------------------------------- undo one source
    def mark(self) -> tuple:
        c = self.corpus
        return len(c.ids), c.nbytes, c.skipped

    def rollback(self, mark: tuple) -> None:
        """Forget the documents read since ``mark`` (a source read again in another encoding)."""
        n, nbytes, skipped = mark
        c = self.corpus
        for doc_id in c.ids[n:]:
            if self._first.get(doc_id, -1) >= n:
                del self._first[doc_id]
        del c.ids[n:], c.texts[n:], c.source_of[n:], c.record_of[n:]
        c.nbytes, c.skipped = nbytes, skipped

    # ----------------------------------------------------------- by kind
    def _decoded(self, data: bytes, src: Source) -> str | None:
        """The text of a whole text file, decoded as :func:`decode_text` says; None if skipped."""
        try:
            text, codec, errors, note = decode_text(data, src.name, self.encoding)
        except Undecodable as e:
            if e.binary and not src.explicit:  # found in a folder: skipping it loses no text
                self.corpus.skipped += 1
                self.warn(f"{e}; skipped")
                return None
            return self.bad(str(e))
        if note:
            self.warn(note)
        src.encoding, src.errors = codec, errors
        return text

    def _empty(self, data: bytes, src: Source) -> bool:
        """Standard input or a file named explicitly with nothing in it is no document: an error."""
        if src.explicit and (not data or data.isspace() or data in (b for b, _ in BOMS)):
            what = "standard input is empty" if src.kind == "stdin" or src.name == "-" else "empty file"
            self.bad(f"{src.name}: {what}: no documents in it")
            return True
        return False

    def read_text(self, s: int, src: Source) -> None:
        with src.open() as f:
            data = f.read()
        self.progress(src.stat[0])
        if self._empty(data, src):
            return
        text = self._decoded(data, src)
        if text is not None:
            self.corpus.nbytes += len(data)
            self.add(src.name, text, s, 0, src.name)

    def read_lines(self, s: int, src: Source) -> None:
        with src.open() as f:
            data = f.read()
        self.progress(len(data))
        if self._empty(data, src):
            return
        text = self._decoded(data, src)
        if text is None:
            return
        for lineno, line in enumerate(text.split("\n"), 1):  # as the writer counts lines: at "\n" only
            if not line.strip():
                continue
            self.add(lineno, line.rstrip("\r"), s, lineno, f"{src.name}:{lineno}")
        self.corpus.nbytes += len(data)

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
                    if lineno == 1 and line.startswith(codecs.BOM_UTF8):
                        line = line[3:]
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
        text = _decode(data[3:] if data.startswith(codecs.BOM_UTF8) else data, src.name, self)
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
        with src.open() as raw:
            head = raw.read(4)
        codec = _csv_codec(self.encoding, head)
        if codec is not None:  # forced, or told by a byte-order mark: read as that, strictly
            src.encoding = None if codec == "utf-8-sig" else codec
            with src.open() as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as f:
                self._csv_rows(s, src, f, codec)
        else:  # UTF-8 as the fast path, streamed; a file that is not: read again as detected
            mark, warn, held = self.mark(), self.warn, []
            self.warn = held.append  # this pass's warnings count only if it is the pass kept
            try:
                with src.open() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
                    done = self._csv_rows(s, src, f, None)
            finally:
                self.warn = warn
            if done:
                for msg in held:
                    warn(msg)
            else:
                self.rollback(mark)
                with src.open() as raw:
                    data = raw.read()
                text = self._decoded(data, src)
                if text is not None:
                    self._csv_rows(s, src, io.StringIO(text, newline=""), src.encoding)
        self.progress(src.stat[0])

    def _csv_rows(self, s: int, src: Source, f, codec: str | None) -> bool:
        """Read the rows of the CSV text stream ``f``; False when it is not UTF-8 (``codec`` None) after all."""
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            if header is None:
                self.bad(f"{src.name}: empty CSV file (expected a header row)")
                return True
            cols = {name: k for k, name in enumerate(header)}
            if self.text_field not in cols:
                self.bad(f"{src.name}: no column {self.text_field!r} (columns: {', '.join(header)}); "
                         "choose one with --text-field")
                return True
            ti = cols[self.text_field]
            ii = cols.get(self.id_field)
            if ii is None and self.id_field_given:
                self.bad(f"{src.name}: no column {self.id_field!r} (columns: {', '.join(header)}); "
                         "choose one with --id-field")
                return True
            width = len(header)
            for row, values in enumerate(reader, 1):
                if len(values) != width:
                    self.bad(f"{src.name} row {row} (line {reader.line_num}): {len(values)} field"
                             f"{'' if len(values) == 1 else 's'}, the header has {width}"
                             + ("; a field holding a comma must be quoted" if len(values) > width else ""))
                    continue
                text = values[ti]
                self.corpus.nbytes += len(text)
                self.add(values[ii] if ii is not None else f"{src.name}:{row}", text, s, row, f"{src.name} row {row}")
        except csv.Error as e:
            self.bad(f"{src.name} line {reader.line_num}: malformed CSV: {e}")
        except UnicodeDecodeError as e:
            if codec is None:
                return False
            self.bad(_undecodable(src, self.encoding, f"{src.name}: not {codec} ({e.reason})"))
        return True

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
                    elif isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
                        self.bad(_bad_id(where, f"column {self.id_field!r}", doc_id))
                        continue
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


def _undecodable(src: Source, forced: str | None, fallback: str) -> str:
    """Where a file read as a stream stops decoding: decoded whole, once, to name the line and byte."""
    with src.open() as f:
        data = f.read()
    try:
        decode_text(data, src.name, forced)
    except Undecodable as e:
        return str(e)
    return fallback


def _bad_id(where: str, what: str, value) -> str:
    kind = {bool: "a boolean", float: "a number with a fraction or exponent", list: "a list",
            dict: "an object"}.get(type(value), f"a {type(value).__name__}")
    return (f"{where}: {what} is {kind} ({json.dumps(value) if type(value) in (bool, float) else repr(value)}); "
            "an id must be a string or a whole number (choose another field with --id-field)")


def _decode(data: bytes, where: str, reader: _Reader) -> str | None:
    """One JSON line or a JSON file: UTF-8, as RFC 8259 requires."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        at = f"{where}:{line}" if ":" not in where else where
        reader.bad(f"{at}: not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); JSON must be UTF-8 "
                   "(RFC 8259): convert it with iconv -f ITS-ENCODING -t UTF-8")
        return None


class Undecodable(Exception):
    """A text file that cannot be decoded; ``binary`` when it looks like no text at all."""

    def __init__(self, msg: str, binary: bool = False):
        super().__init__(msg)
        self.binary = binary


def bom_codec(data: bytes) -> str | None:
    """The codec a byte-order mark at the start of ``data`` names (``utf-8-sig``, ``utf-16``, ``utf-32``)."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return codec
    return None


def _strict(codec: str) -> str:
    """``--encoding utf-8`` reads a UTF-8 byte-order mark as a mark, not as text."""
    return "utf-8-sig" if codecs.lookup(codec).name == "utf-8" else codec


def _csv_codec(forced: str | None, head: bytes) -> str | None:
    if forced is not None:
        return _strict(forced)
    return bom_codec(head)


def decode_text(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str | None, str, str | None]:
    """Decode a whole text file: ``(text, codec or None for UTF-8, errors, warning or None)``.

    In order: ``encoding`` if given (strictly; no detection); a byte-order
    mark; UTF-8 (the fast path: one C-level decode); a NUL byte in the first
    ``SNIFF`` bytes means binary; UTF-8 with a few invalid bytes replaced by
    U+FFFD when most non-ASCII sequences are valid UTF-8 (a damaged UTF-8
    file, not another encoding); else the encoding ``charset-normalizer``
    detects, preferring windows-1252 among near-equals (``CP1252_MARGIN``).
    Everything but UTF-8 and forced codecs comes with a warning naming the
    file and the encoding.

    Raises
    ------
    Undecodable
        Not in the forced encoding, or binary, or no text encoding fits.
    """
    if encoding is not None:
        codec = _strict(encoding)
        try:
            return data.decode(codec), None if codec == "utf-8-sig" else encoding, "strict", None
        except UnicodeDecodeError as e:
            line = data.count(b"\n", 0, e.start) + 1
            raise Undecodable(f"{name}:{line}: not {encoding} (byte 0x{data[e.start]:02x} at offset {e.start}: "
                              f"{e.reason}); leave out --encoding to detect each file's encoding") from None
    codec = bom_codec(data)
    if codec is not None:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as e:
            raise Undecodable(f"{name}: starts with a {codec.upper()} byte-order mark but is not {codec.upper()} "
                              f"(offset {e.start}: {e.reason})") from None
        if codec == "utf-8-sig":
            return text, None, "strict", None
        return text, codec, "strict", f"{name}: decoded as {codec.upper()} (by its byte-order mark)"
    nul = data.find(b"\0", 0, SNIFF)
    if nul >= 0:
        raise Undecodable(f"{name}: binary file (NUL byte at offset {nul}), not text", binary=True)
    try:
        return data.decode("utf-8"), None, "strict", None
    except UnicodeDecodeError as e:
        first = e.start
    text = data.decode("utf-8", "replace")
    bad = text.count("\ufffd") - data.count("\ufffd".encode())
    valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    if valid > bad:
        return text, "utf-8", "replace", (f"{name}: not valid UTF-8: {bad} invalid byte sequence(s) replaced "
                                          f"with U+FFFD (the first at offset {first}); --encoding forces a codec")
    found = _detect(data)
    if found is None:
        raise Undecodable(f"{name}: not UTF-8, and no text encoding fits it (binary?); --encoding names its "
                          "codec", binary=True)
    codec, text = found
    return text, codec, "strict", f"{name}: not UTF-8; decoded as {codec} (detected; --encoding forces another)"


def _detect(data: bytes) -> tuple[str, str] | None:
    """``(codec, text)`` as ``charset-normalizer`` finds them for ``data`` (see ``CP1252_MARGIN``), or None."""
    try:
        import charset_normalizer
    except ImportError:  # a core dependency; only a broken install lacks it
        raise Undecodable("detecting the encoding of a file that is not UTF-8 needs charset-normalizer: "
                          "pip install charset-normalizer (or give --encoding)") from None
    matches = list(charset_normalizer.from_bytes(data))
    if not matches:
        return None
    best = matches[0]
    order = [m for m in matches if m.chaos <= best.chaos + CP1252_MARGIN
             and "cp1252" in (m.encoding, *m.could_be_from_charset)]
    for m in order[:1] + matches:
        codec = "cp1252" if m in order[:1] else m.encoding
        try:
            return codec, data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
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
            start = f.read(SNIFF)
        start = start.removeprefix(codecs.BOM_UTF8).lstrip()
        stdin_format = "jsonl" if start.startswith(b"{") else "text"
    src.kind = stdin_format
    src.rel = "stdin.jsonl" if stdin_format == "jsonl" else "stdin.txt"


def read_corpus(paths, *, text_field: str = "text", id_field: str = "id", id_field_given: bool = False,
                stdin_format: str = "auto", skip_errors: bool = False,
                warn: Callable[[str], None] = lambda m: None,
                progress: Callable[[int], None] = lambda n: None,
                sources: list[Source] | None = None, encoding: str | None = None) -> Corpus:
    """Read every document under ``paths`` into a :class:`Corpus`.

    ``encoding`` forces the codec of text and CSV files (strict, no
    detection); JSON and JSON Lines are always UTF-8.

    Raises
    ------
    InputError
        A path is missing, or (without ``skip_errors``) a file or record is
        unreadable, or no document was found.
    """
    if sources is None:
        sources = find_sources(paths, warn=warn, skip_errors=skip_errors)
    corpus = Corpus(sources=sources)
    r = _Reader(text_field, id_field, id_field_given, skip_errors, warn, progress, corpus, encoding)
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


# --------------------------------------------------------------------------- outputs vs inputs
def _inside(child: str, folder: str) -> bool:
    """Whether the resolved path ``child`` lies inside the resolved folder ``folder``."""
    return child != folder and child.startswith(folder.rstrip(os.sep) + os.sep)


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def check_paths(outputs: Mapping[str, str], inputs=(), sources=()) -> None:
    """Refuse an output that would overwrite, or be read as, an input: the check every output goes through.

    Parameters
    ----------
    outputs : option -> path of everything a command writes (``-o``,
        ``--report``, ``--removals``, an index it saves); ``-`` (standard
        output) and None are skipped.
    inputs : paths the command reads (files, folders, an index it only reads).
    sources : the input files found under ``inputs`` (:func:`find_sources`),
        compared by identity (device and inode), which catches a hard link to
        a file inside an input folder. Per file, never per document.

    Raises
    ------
    InputError naming the option when an output is an input or any link to
    one, lies inside an input folder, holds an input, or is another output.
    """
    outs = [(label, p) for label, p in outputs.items() if p and p != "-"]
    ins = [(p, os.path.realpath(p)) for p in inputs if p and p != "-"]
    placed: list = []
    for label, out in outs:
        real = os.path.realpath(out)
        for p, rp in ins:
            if _same(out, p):
                same = "" if os.path.normpath(p) == os.path.normpath(out) else f" ({p})"
                what = "the input folder" if os.path.isdir(p) else "an input"
                raise InputError(f"{label} {out}: is {what}{same}; the input is never modified, name another output")
            if os.path.isdir(p) and _inside(real, rp):
                raise InputError(f"{label} {out}: is inside the input folder {p}; its files would be read as input "
                                 "next time, name a folder elsewhere")
            if _inside(rp, real):
                raise InputError(f"{label} {out}: holds the input {p}; the input is never modified, name another "
                                 "output")
        for other_label, other, other_real in placed:
            if _same(out, other) or _inside(real, other_real) or _inside(other_real, real):
                raise InputError(f"{label} {out}: is also {other_label} {other}; one run never writes two outputs "
                                 "to one place, name another")
        placed.append((label, out, real))
        try:
            st = os.stat(out)
        except OSError:
            continue  # a new path is no input file and holds none
        is_dir = os.path.isdir(out)
        for src in sources:
            if not src.ident:
                continue  # standard input
            if not is_dir and src.ident == (st.st_dev, st.st_ino):
                same = "" if os.path.normpath(src.name) == os.path.normpath(out) else f" (the same file as {src.name})"
                raise InputError(f"{label} {out}: is an input{same}; the input is never modified, name another "
                                 "output")
            if is_dir and _inside(os.path.realpath(src.path), real):
                raise InputError(f"{label} {out}: holds the input {src.name}; the input is never modified, name "
                                 "another output")


# --------------------------------------------------------------------------- writing
class Outputs:
    """The outputs of one command, made visible together.

    Give it to :func:`atomic_file`, :func:`atomic_folder` and
    :func:`write_corpus`: each output is then written completely under its
    temporary name, and all are renamed into place only when the ``with``
    block ends without an error. A failure in any of them (a full disk while
    writing the report) leaves none: the temporary files are removed, and
    every destination keeps what it held before.
    """

    def __init__(self):
        self._pending: list[tuple[str, str]] = []

    def __enter__(self) -> "Outputs":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.commit()
        else:
            self.abort()

    def add(self, tmp: str, dest: str) -> None:
        self._pending.append((tmp, dest))

    def commit(self) -> None:
        pending, self._pending = self._pending, []
        for k, (tmp, dest) in enumerate(pending):
            try:
                _place(tmp, dest)
            except OSError as e:
                self._pending = pending[k:]
                self.abort()
                raise _fs.named(e, dest) from None

    def abort(self) -> None:
        pending, self._pending = self._pending, []
        for tmp, _ in pending:
            _remove(tmp)


def _place(tmp: str, dest: str) -> None:
    """Rename the complete temporary ``tmp`` to ``dest`` (an empty folder ``dest`` is replaced) and make it durable."""
    if os.path.isdir(tmp) and os.path.isdir(dest) and not os.path.islink(dest):
        os.rmdir(dest)  # empty: check_folder_output said so
    os.replace(tmp, dest)
    _fs.fsync_dir(os.path.dirname(os.path.abspath(dest)))


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            os.unlink(path)


@contextlib.contextmanager
def atomic_file(dest: str, mode: str = "w", compress: bool | None = None, *, outputs: Outputs | None = None):
    """Open a temporary file next to ``dest``; rename it to ``dest`` only on success.

    ``dest`` of ``-`` writes to standard output (not atomic). A ``.gz``
    destination is gzip-compressed unless ``compress`` says otherwise. The
    temporary name ``.DEST.tmp-PID-RANDOM`` is hidden (never read as input)
    and carries this process's id: leftovers of killed runs writing ``dest``
    are removed first (:func:`dedup._fs.sweep`). The file is flushed to disk
    (``fsync``) before the rename. With ``outputs`` the rename waits for
    :meth:`Outputs.commit`.

    Raises
    ------
    OSError naming ``dest`` when writing it fails (no space left, permission
    denied, read-only file system); the temporary file is removed.
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
    base = os.path.basename(os.path.abspath(dest))
    _fs.sweep(folder, base)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_fs.tmp_prefix(base), dir=folder)
    except OSError as e:
        raise _fs.named(e, dest) from None
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it private; give it a normal file's mode
        with os.fdopen(fd, "wb") as raw:
            if compress if compress is not None else dest.lower().endswith(".gz"):
                with gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz:
                    yield from _binary_or_text(gz, mode)
            else:
                yield from _binary_or_text(raw, mode)
            raw.flush()
            os.fsync(raw.fileno())
        if outputs is None:
            _place(tmp, dest)
        else:
            outputs.add(tmp, dest)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError) and not isinstance(e, BrokenPipeError) and e.filename in (None, tmp):
            raise _fs.named(e, dest) from None  # a failed write names no file: say which output
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
def atomic_folder(dest: str, *, outputs: Outputs | None = None):
    """A temporary folder next to ``dest``, renamed to ``dest`` only on success.

    ``dest`` must not exist, or be an empty folder. Named, swept and
    committed as :func:`atomic_file` does.
    """
    check_folder_output(dest)
    parent = os.path.dirname(os.path.abspath(dest.rstrip("/\\") or dest))
    base = os.path.basename(os.path.abspath(dest))
    _fs.sweep(parent, base)
    try:
        tmp = tempfile.mkdtemp(prefix=_fs.tmp_prefix(base), dir=parent)
    except OSError as e:
        raise _fs.named(e, dest) from None
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        if outputs is None:
            _place(tmp, dest)
        else:
            outputs.add(tmp, dest)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError) and (e.filename is None or str(e.filename).startswith(tmp)):
            raise _fs.named(e, dest) from None
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
    """Refuse an output path that is one of the inputs (:func:`check_paths`) or would mix formats."""
    check_paths({"-o": dest}, sources=sources)
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


def write_corpus(corpus: Corpus, dest: str, *, keep=None, texts=None, text_field: str = "text",
                 outputs: Outputs | None = None) -> int:
    """Write the corpus to ``dest`` in its input format; returns documents written.

    Parameters
    ----------
    keep : sequence of bool per document, optional (None keeps all).
    texts : list of str per document, optional: replaces each document's text.
    outputs : :class:`Outputs`, optional: ``dest`` appears when it commits.

    One source is written to the file ``dest``; several to the folder
    ``dest``, each under its path relative to the folder it was found in.
    Records and files kept unchanged are copied byte for byte (a file in
    another encoding stays in it); new texts are written in UTF-8.
    """
    check_output(dest, corpus.sources)
    for src in corpus.sources:
        src.check_unchanged()
    bounds = _source_bounds(corpus)
    written = 0
    if len(corpus.sources) == 1:
        written += _write_source(corpus, 0, bounds[0], dest, keep, texts, text_field, compress=None,
                                 outputs=outputs)
        return written
    with atomic_folder(dest, outputs=outputs) as tmp:
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


def _write_source(corpus, s, bounds, dest, keep, texts, text_field, compress, outputs=None) -> int:
    src = corpus.sources[s]
    lo, hi = bounds
    wanted = {corpus.record_of[i]: i for i in range(lo, hi) if keep is None or keep[i]}
    if src.kind == "parquet":
        return _write_parquet(src, dest, wanted, texts, text_field, outputs)
    with atomic_file(dest, "wb", compress=compress, outputs=outputs) as out:
        if src.kind == "text":
            i = wanted.get(0)
            if i is not None:
                if texts is None:
                    with open(src.path, "rb") as f:
                        shutil.copyfileobj(f, out)
                else:
                    out.write(texts[i].encode("utf-8"))
        elif src.kind == "lines" and src.encoding is not None:  # lines of a file in another encoding
            with src.open() as f:
                text = f.read().decode(src.encoding, src.errors)
            text = text.removeprefix("\ufeff")
            for lineno, line in enumerate(text.split("\n"), 1):
                i = wanted.get(lineno)
                if i is not None:
                    out.write((line.rstrip("\r") if texts is None else texts[i]).encode("utf-8") + b"\n")
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
                            rec = json.loads(line.removeprefix(codecs.BOM_UTF8))
                            rec[text_field] = texts[i]
                            line = json.dumps(rec, ensure_ascii=False).encode("utf-8")
                    out.write(line if line.endswith(b"\n") else line + b"\n")
        elif src.kind == "json":
            with src.open() as f:
                records = json.loads(f.read().removeprefix(codecs.BOM_UTF8))
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
            with src.open() as raw, io.TextIOWrapper(raw, encoding=src.encoding or "utf-8-sig", newline="",
                                                     errors=src.errors) as f:
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


def _write_parquet(src, dest, wanted, texts, text_field, outputs=None) -> int:
    pq = require_pyarrow(src.name)
    import pyarrow as pa

    table = pq.read_table(src.path)
    rows = sorted(wanted)
    table = table.take(pa.array([r - 1 for r in rows], type=pa.int64()))
    if texts is not None:
        k = table.schema.get_field_index(text_field)
        table = table.set_column(k, text_field, pa.array([texts[wanted[r]] for r in rows], type=pa.string()))
    with atomic_file(dest, "wb", compress=False, outputs=outputs) as out:
        pq.write_table(table, out)
    return len(rows)
