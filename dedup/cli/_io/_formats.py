"""How each input format is read into a corpus: text, lines, JSON Lines, JSON, CSV and Parquet.

A :class:`Reader` holds what reading one corpus keeps track of (the options,
the ids seen, the corpus so far) and reports bad input: with
``skip_errors`` a per-file or per-record problem is a warning and the item
is skipped, else an ``InputError`` naming the file and line, field or
option. ``READERS`` maps a source's kind to the function reading it. Parsed
records are dropped as soon as their text and id are taken, so a JSON Lines
file costs its texts and ids, not its dicts.

Each reader is a generator: it hands every document to the corpus
(``corpus.add``) and yields whenever the corpus says a batch is ready
(``corpus.ready()``), so a corpus that streams (``_stream.Stream``) passes
batches on as they come while an in-memory ``Corpus`` (never ready) just
runs it to the end. An id left to the reader (no id field) is passed as
None: the corpus makes it from the source and record (:func:`made_id`).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ._decode import BOMS, Undecodable, csv_codec, decode_text
from ._errors import InputError
from ._sources import READ_BUFFER, CompressedError, Source, decompressed, fail, require_pyarrow, stat_of

class Sink(Protocol):
    """Where a reader puts documents: an in-memory ``_read.Corpus`` or a streamed ``_stream.Stream``."""

    sources: list
    nbytes: int
    skipped: int

    def add(self, r: Reader, doc_id, text: str, src: int, rec: int, where: str) -> None: ...

    def ready(self) -> bool: ...


@dataclass
class Reader:
    """What reading one corpus keeps track of: the options, the corpus so far, and how to report bad input."""

    text_field: str
    id_field: str
    id_field_given: bool
    skip_errors: bool
    warn: Callable[[str], None]
    progress: Callable[[int], None]
    corpus: Sink
    encoding: str | None = None  # --encoding: the codec of every text and CSV file
    lines: set | None = None  # JSON Lines: read only these line numbers (a second pass for a few texts)
    _first: dict = field(default_factory=dict)  # id -> document position, while reading

    def bad(self, msg: str, skipped: str = "skipped", *, whole: bool = False) -> None:
        """Report a bad record, or (``whole``) a bad file: the --skip-errors hint is left out where skipping the
        file would leave nothing to read (it is the only input)."""
        self.corpus.skipped += 1
        alone = whole and len(self.corpus.sources) == 1
        fail(msg, self.skip_errors, self.warn, skipped, hint=None if alone else "--skip-errors skips it and goes on")

    def add(self, doc_id, text: str, src: int, rec: int, where: str) -> None:
        """Hand one document to the corpus; ``doc_id`` None: made from its source and record."""
        self.corpus.add(self, doc_id, text, src, rec, where)

    def ready(self) -> bool:
        """Whether the corpus has a batch to pass on (the reader then yields)."""
        return self.corpus.ready()

    @property
    def streaming(self) -> bool:
        """Whether documents are passed on as they are read (nothing read can be taken back)."""
        return getattr(self.corpus, "streaming", False)

    # ----------------------------------------------------------- one record
    def take(self, rec, where: str):
        """(id, text) of a parsed record (id None: none given, made by the corpus), or None after reporting
        what is wrong."""
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
    def decoded(self, data: bytes, src: Source) -> str | None:
        """The text of a whole text file, decoded as :func:`decode_text` says; None if skipped."""
        try:
            text, codec, errors, note = decode_text(data, src.name, self.encoding)
        except Undecodable as e:
            if e.binary and not src.explicit:  # found in a folder: skipping it loses no text
                self.corpus.skipped += 1
                self.warn(f"{e}; skipped")
                return None
            return self.bad(str(e), whole=True)
        if note:
            self.warn(note)
        src.encoding, src.errors = codec, errors
        return text
    def empty(self, data: bytes, src: Source) -> bool:
        """Standard input or a file named explicitly with nothing in it is no document: an error."""
        if src.explicit and (not data or data.isspace() or data in (b for b, _ in BOMS)):
            what = "standard input is empty" if src.kind == "stdin" or src.name == "-" else "empty file"
            self.bad(f"{src.name}: {what}: no documents in it", whole=True)
            return True
        return False


def made_id(src: Source, rec: int):
    """The id of a record read without an id field: the path of a text file, the line number of standard input
    read as lines, else ``FILE:LINE`` (``FILE:ROW``, ``FILE:RECORD``)."""
    if src.kind == "text":
        return src.name
    if src.kind == "lines":
        return rec
    return f"{src.name}:{rec}"


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


def _decode(data: bytes, where: str, reader: Reader) -> str | None:
    """One JSON line or a JSON file: UTF-8, as RFC 8259 requires."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        at = f"{where}:{line}" if ":" not in where else where
        reader.bad(f"{at}: not UTF-8 (byte 0x{data[e.start]:02x} at offset {e.start}); JSON must be UTF-8 "
                   "(RFC 8259): convert it with iconv -f ITS-ENCODING -t UTF-8")
        return None


def read_text(r, s: int, src: Source):
    with src.open() as f:
        data = f.read()
    r.progress(src.stat[0])
    if r.empty(data, src):
        return
    text = r.decoded(data, src)
    if text is not None:
        r.corpus.nbytes += len(data)
        r.add(None, text, s, 0, src.name)
        if r.ready():
            yield


def read_lines(r, s: int, src: Source):
    with src.open() as f:
        data = f.read()
    r.progress(len(data))
    if r.empty(data, src):
        return
    text = r.decoded(data, src)
    if text is None:
        return
    r.corpus.nbytes += len(data)
    del data
    for lineno, line in enumerate(text.split("\n"), 1):  # as the writer counts lines: at "\n" only
        if not line.strip():
            continue
        r.add(None, line.rstrip("\r"), s, lineno, f"{src.name}:{lineno}")
        if r.ready():
            yield


_json_decode = json.JSONDecoder().decode  # json.loads of a str, without its checks per call


def read_jsonl(r, s: int, src: Source):
    raw = open(src.path, "rb", buffering=READ_BUFFER)
    f = decompressed(raw, src)
    lineno, done = 0, 0
    try:
        with raw, f:
            for lineno, line in enumerate(f, 1):
                if lineno % 1024 == 0:
                    pos = raw.tell()
                    r.progress(pos - done)
                    done = pos
                if r.lines is not None and lineno not in r.lines:
                    continue
                where = f"{src.name}:{lineno}"
                if lineno == 1 and line.startswith(codecs.BOM_UTF8):
                    line = line[3:]
                if not line or line.isspace():
                    continue
                text = _decode(line, where, r)
                if text is None:
                    continue
                try:  # (a line's end is JSON whitespace: cut only to say where a malformed line goes wrong)
                    rec = _json_decode(text)
                except json.JSONDecodeError:
                    try:
                        rec = json.loads(text.rstrip("\r\n"))
                    except json.JSONDecodeError as e:
                        r.bad(f"{where}: malformed JSON: {e.msg.removesuffix(' at')} at column {e.colno}")
                        continue
                got = r.take(rec, where)
                del rec
                if got is not None:
                    r.corpus.nbytes += len(line)
                    r.add(*got, s, lineno, where)
                    if r.ready():
                        yield
    except (EOFError, gzip.BadGzipFile, zlib.error, CompressedError) as e:
        r.bad(f"{src.name}: truncated or corrupt {src.codec or 'gzip'} after line {lineno} ({e})",
              f"kept the {lineno} lines before it")
    r.progress(stat_of(src.path)[0] - done)


def read_json(r, s: int, src: Source):
    with src.open() as f:
        data = f.read()
    r.progress(src.stat[0])
    text = _decode(data[3:] if data.startswith(codecs.BOM_UTF8) else data, src.name, r)
    if text is None:
        return
    try:
        records = json.loads(text)
    except json.JSONDecodeError as e:
        return r.bad(f"{src.name}:{e.lineno}: malformed JSON: {e.msg.removesuffix(' at')} "
                     f"at column {e.colno}")
    if not isinstance(records, list):
        return r.bad(f"{src.name}: expected a JSON array of objects, got {type(records).__name__} "
                     "(for one object per line, name the file .jsonl)")
    r.corpus.nbytes += len(data)
    del data, text
    for k, rec in enumerate(records, 1):
        where = f"{src.name} record {k}"
        got = r.take(rec, where)
        if got is not None:
            r.add(*got, s, k, where)
            if r.ready():
                yield


def read_csv(r, s: int, src: Source):
    csv.field_size_limit(2**31 - 1)  # a document is one field; the default caps it at 128 KiB
    with src.open() as raw:
        head = raw.read(4)
    codec = csv_codec(r.encoding, head)
    if codec is not None:  # forced, or told by a byte-order mark: read as that, strictly
        src.encoding = None if codec == "utf-8-sig" else codec
        with src.open() as raw, io.TextIOWrapper(raw, encoding=codec, newline="") as f:
            yield from _csv_rows(r, s, src, f, codec)
    elif r.streaming and _utf8(src):  # rows passed on cannot be taken back: UTF-8 is checked first
        with src.open() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
            yield from _csv_rows(r, s, src, f, None)
    elif r.streaming:
        yield from _csv_decoded(r, s, src)
    else:  # UTF-8 as the fast path, streamed; a file that is not: read again as detected
        mark, warn, held = r.mark(), r.warn, []
        r.warn = held.append  # this pass's warnings count only if it is the pass kept
        try:
            with src.open() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as f:
                done = yield from _csv_rows(r, s, src, f, None)
        finally:
            r.warn = warn
        if done:
            for msg in held:
                warn(msg)
        else:
            r.rollback(mark)
            yield from _csv_decoded(r, s, src)
    r.progress(src.stat[0])


def _csv_decoded(r, s: int, src: Source):
    """The rows of a CSV file that is not UTF-8: decoded whole, as :func:`decode_text` says."""
    with src.open() as raw:
        data = raw.read()
    text = r.decoded(data, src)
    del data
    if text is not None:
        yield from _csv_rows(r, s, src, io.StringIO(text, newline=""), src.encoding)


def _utf8(src: Source) -> bool:
    """Whether the file is UTF-8 throughout: one pass of the incremental decoder, a megabyte at a time."""
    dec = codecs.getincrementaldecoder("utf-8")()
    with src.open() as f:
        try:
            while chunk := f.read(1 << 20):
                dec.decode(chunk)
            dec.decode(b"", True)
        except UnicodeDecodeError:
            return False
    return True


def _csv_rows(r, s: int, src: Source, f, codec: str | None):
    """Read the rows of the CSV text stream ``f`` (a generator, as every reader); returns False when it is not
    UTF-8 (``codec`` None) after all."""
    """Read the rows of the CSV text stream ``f``; False when it is not UTF-8 (``codec`` None) after all."""
    reader = csv.reader(f)
    try:
        header = next(reader, None)
        if header is None:
            r.bad(f"{src.name}: empty CSV file (expected a header row)")
            return True
        cols = {name: k for k, name in enumerate(header)}
        if r.text_field not in cols:
            r.bad(f"{src.name}: no column {r.text_field!r} (columns: {', '.join(header)}); "
                  "choose one with --text-field")
            return True
        ti = cols[r.text_field]
        ii = cols.get(r.id_field)
        if ii is None and r.id_field_given:
            r.bad(f"{src.name}: no column {r.id_field!r} (columns: {', '.join(header)}); "
                  "choose one with --id-field")
            return True
        width = len(header)
        for row, values in enumerate(reader, 1):
            if len(values) != width:
                r.bad(f"{src.name} row {row} (line {reader.line_num}): {len(values)} field"
                      f"{'' if len(values) == 1 else 's'}, the header has {width}"
                      + ("; a field holding a comma must be quoted" if len(values) > width else ""))
                continue
            text = values[ti]
            r.corpus.nbytes += len(text)
            r.add(values[ii] if ii is not None else None, text, s, row, f"{src.name} row {row}")
            if r.ready():
                yield
    except csv.Error as e:
        r.bad(f"{src.name} line {reader.line_num}: malformed CSV: {e}")
    except UnicodeDecodeError as e:
        if codec is None:
            return False
        r.bad(_undecodable(src, r.encoding, f"{src.name}: not {codec} ({e.reason})"))
    return True


def read_parquet(r, s: int, src: Source):
    pq = require_pyarrow(src.name)
    try:
        pf = pq.ParquetFile(src.path)
        names = pf.schema_arrow.names
        if r.text_field not in names:
            return r.bad(f"{src.name}: no column {r.text_field!r} (columns: {', '.join(names)}); "
                         "choose one with --text-field")
        has_id = r.id_field in names
        if not has_id and r.id_field_given:
            return r.bad(f"{src.name}: no column {r.id_field!r} (columns: {', '.join(names)}); "
                         "choose one with --id-field")
        cols = [r.text_field] + ([r.id_field] if has_id else [])
        row = 0
        for batch in pf.iter_batches(columns=cols, batch_size=8192):
            texts = batch.column(0).to_pylist()
            ids = batch.column(1).to_pylist() if has_id else [None] * len(texts)
            for text, doc_id in zip(texts, ids):
                row += 1
                where = f"{src.name} row {row}"
                if not isinstance(text, str):
                    r.bad(f"{where}: column {r.text_field!r} is {type(text).__name__}, not a string")
                    continue
                if doc_id is None:
                    pass  # made by the corpus: FILE:ROW
                elif isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)):
                    r.bad(_bad_id(where, f"column {r.id_field!r}", doc_id))
                    continue
                r.corpus.nbytes += len(text)
                r.add(doc_id, text, s, row, where)
                if r.ready():
                    yield
    except Exception as e:  # pyarrow raises its own ArrowInvalid/OSError for unreadable files
        if isinstance(e, InputError):
            raise
        r.bad(f"{src.name}: not a readable Parquet file ({type(e).__name__}: {e})")
    r.progress(src.stat[0])


#: kind of source -> the function reading it into the corpus (a generator: see the module's docstring).
READERS: dict[str, Callable[[Reader, int, Source], Iterator[None]]] = {
    "text": read_text, "lines": read_lines, "jsonl": read_jsonl, "json": read_json, "csv": read_csv,
    "parquet": read_parquet,
}
