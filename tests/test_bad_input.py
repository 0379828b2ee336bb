"""Bad input, case by case: one clear message, the right exit code, no traceback, nothing written, inputs intact.

Every case runs ``near-dups`` in a folder of its own (in process through
``dedup.cli.main``; a few as subprocesses, as a user runs it) and checks:

* the exit code;
* exactly one message (``near-dups...: error:`` or ``warning:``) and that it
  names the file, line, field or option (``Case.message``);
* no traceback;
* no file left behind, not even a hidden temporary one;
* every file there before (inputs, saved indexes, old outputs) byte-identical
  after (SHA-256 of each).

``ROWS`` is the bad-input table of the docs' command-line page
(docs/guide/cli.md), row for row: a test checks that the page holds exactly
this table, that every row has at least one case,
and that every case exits as its row says.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Callable

import pytest

import dedup
from dedup import cli
from dedup.cli import _table

from tests.support import CORPUS, ROOT
from tests.test_cli import _command

SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))
A, B, C = ((CORPUS / n).read_text(encoding="utf-8") for n in SEEDS)
ELF = b"\x7fELF\x02\x01\x01\x00\x00\x00binary"

#: The bad-input table of docs/guide/cli.md: (key, input, what near-dups does, exit code).
ROWS = [
    ("missing", "a path that does not exist (an input, `--ids-from`, an index)", "stops, naming it", "2"),
    ("empty folder", "a folder holding no file near-dups reads", "stops, naming it", "2"),
    ("no documents", "no documents at all: empty standard input, an empty file named on the command line, "
                     "only blank lines", "stops: no documents", "2"),
    ("unknown suffix", "a file in a folder whose suffix is not read",
     "skipped, one warning per folder (`--all-files` reads it as text)", "0"),
    ("binary in folder", "a binary file found in a folder", "skipped, with a warning naming it", "0"),
    ("binary named", "a binary file named on the command line", "stops, naming it", "2"),
    ("not utf-8", "a text or CSV file that is not UTF-8", "read, by its byte-order mark (UTF-16, UTF-32) or "
                  "the encoding detected, with a warning naming the file and the encoding", "0"),
    ("forced", "a file that is not in the codec `--encoding` names", "stops, naming the file, line and byte", "2"),
    ("bom", "a UTF-8 byte-order mark (JSON Lines and CSV too)", "ignored", "0"),
    ("json not utf-8", "a JSON or JSON Lines file that is not UTF-8 (RFC 8259)", "stops, naming the file and "
                       "line", "2"),
    ("malformed", "a malformed JSON line, JSON file or CSV file", "stops, naming the file and line", "2"),
    ("csv fields", "a CSV row with too many or too few fields", "stops, naming the row", "2"),
    ("field", "a record without the text field, or whose text is not a string", "stops, naming the record "
              "and field", "2"),
    ("id type", "an id that is not a string or a whole number (`1.5`, `true`, a list)", "stops, naming the "
                "record and field", "2"),
    ("duplicate id", "a duplicate id; an id already in the index (`index add`) or not in it (`index remove`); "
                     "ids of another kind than the index's", "stops, naming the id and where", "2"),
    ("gz", "a truncated or corrupt `.gz`", "stops, naming the file and the last line read", "2"),
    ("parquet", "a Parquet file without pyarrow installed", "stops, naming the pip command", "2"),
    ("option", "an option out of range, unknown or misplaced", "stops, naming the option, with the usage", "2"),
    ("output is input", "an output (`-o`, `--report`, `--removals`, an index written) that is an input, a link "
                        "to one, inside an input folder, holding an input, or another output of the run",
     "stops before reading, naming the option", "2"),
    ("output exists", "an output file that already exists (`-o`, `--report`, `--removals`, a default side file), "
                      "without `--force`", "stops before reading, naming the option", "2"),
    ("output kind", "an output that exists as the wrong kind (a file for a folder, a non-empty folder, an "
                    "index without `--force`, another format)", "stops, naming the option", "2"),
    ("index damaged", "a damaged, edited or other-version index, or a folder that is not one",
     "stops, naming the file (rebuild the index)", "2"),
    ("index option", "an option that differs from the saved index's (`--ngram`, `--seed`, ...)",
     "stops, naming the option", "2"),
    ("locked", "an index another process is writing", "waits for it up to `--lock-timeout` (600 s), then stops",
     "2"),
    ("io", "a full disk, a permission denied, a read-only file system", "stops, naming the path and the OS's "
           "reason; nothing half-written is left", "2"),
]
ROW_KEYS = [r[0] for r in ROWS]


@dataclass
class Case:
    name: str
    row: str
    argv: list
    code: int
    message: str | None  # the one message must contain it; None: no message at all
    files: dict = field(default_factory=dict)  # relative path -> str | bytes | None (a folder)
    stdin: bytes | None = None
    setup: Callable | None = None  # (tmp) -> cleanup or None: indexes, links, a lock holder
    inject: Callable | None = None  # (monkeypatch) during the in-process run: a failing OS call
    sub: bool = False  # run as a subprocess too


def _jsonl(*records) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


IN = _jsonl({"id": "a", "text": A}, {"id": "b", "text": B}, {"id": "c", "text": C})
TWO = {"a.txt": A, "b.txt": B}
DOCS = {"docs/a.txt": A, "docs/b.txt": B}


def _index(tmp, name="x.idx", ids=("a.txt", "b.txt")):
    dedup.index(list(zip(ids, (A, B)))).save(tmp / name)


def _index_of_ints(tmp):
    dedup.index([A, B]).save(tmp / "x.idx")  # ids 0 and 1


def _with_index(name="x.idx", ids=("a.txt", "b.txt")):
    return lambda tmp: _index(tmp, name, ids)


def _edit_manifest(tmp, rehash=False, **changes):
    from dedup._storage import _store

    _index(tmp)
    gen = tmp / "x.idx" / (tmp / "x.idx" / "CURRENT").read_text().strip()
    m = json.loads((gen / "manifest.json").read_text())
    for key, value in changes.items():
        if key == "ngram":
            m["config"]["ngram"] = value
        else:
            m[key] = value
    if rehash:
        m["manifest_xxh3"] = _store._manifest_checksum(m)
    (gen / "manifest.json").write_text(json.dumps(m, indent=1, sort_keys=True))


def _flip(tmp, file="values.npy"):
    _index(tmp)
    gen = tmp / "x.idx" / (tmp / "x.idx" / "CURRENT").read_text().strip()
    data = bytearray((gen / file).read_bytes())
    data[-1] ^= 0xFF
    (gen / file).write_bytes(bytes(data))


HOLDER = """
import filelock, sys, time
lock = filelock.FileLock(sys.argv[1])
lock.acquire()
print("held", flush=True)
time.sleep(120)
"""


def _locked(tmp):
    _index(tmp)
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp / "x.idx" / "LOCK")], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline().strip() == "held"

    def stop():
        proc.kill()
        proc.wait()

    return stop


def _links(tmp):
    os.symlink("a.txt", tmp / "link.txt")


def _hardlink(tmp):
    os.link(tmp / "docs" / "a.txt", tmp / "h.txt")


def _fd_path(fd) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return ""


def _failing_fsync(code, where=""):
    """``os.fsync`` that fails with ``code`` for files whose path contains ``where``."""

    def inject(monkeypatch):
        real = os.fsync

        def fsync(fd):
            if where in _fd_path(fd):
                raise OSError(code, os.strerror(code))
            return real(fd)

        monkeypatch.setattr(os, "fsync", fsync)

    return inject


def _denied(monkeypatch):
    def mkstemp(*args, **kw):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), kw.get("dir", ""))

    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)


def _no_pyarrow(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)


def _cut_gz() -> bytes:
    rows = _jsonl(*({"id": i, "text": f"words of document {i} " * 30} for i in range(2000)))
    z = gzip.compress(rows.encode())
    return z[: len(z) // 2]


CP1252 = ("The café’s “special” menu — naïve crème brûlée for €5, said Zoë; " * 4).encode("cp1252")
LATIN1 = ("Un café crème à Noël, déjà vu; garçon, où est la gare? Ça va très bien. " * 4).encode("latin-1")

CASES = [
    # ----------------------------------------------------------------- paths and documents
    Case("missing path", "missing", ["find", "missing.txt"], 2, "missing.txt: no such file or folder"),
    Case("missing --ids-from", "missing", ["index", "remove", "x.idx", "--ids-from", "nowhere.txt"], 2,
         "--ids-from nowhere.txt: No such file", setup=_with_index()),
    Case("missing index", "missing", ["index", "add", "nothere.idx", "a.txt"], 2,
         "nothere.idx: no such index (make one with: near-dups index build", files=TWO),
    Case("empty folder", "empty folder", ["find", "empty"], 2, "empty: no .txt/.md/", files={"empty": None}),
    Case("empty standard input", "no documents", ["-", "--fail-on-duplicates"], 2,
         "-: standard input is empty: no documents in it", stdin=b"", sub=True),
    Case("blank standard input", "no documents", ["-", "--fail-on-duplicates"], 2,
         "-: standard input is empty", stdin=b"\n  \n"),
    Case("empty standard input, lines", "no documents", ["-", "--stdin-format", "lines"], 2,
         "-: standard input is empty", stdin=b""),
    Case("empty file named", "no documents", ["find", "e.txt"], 2, "e.txt: empty file: no documents in it",
         files={"e.txt": b""}),
    Case("only blank lines", "no documents", ["find", "blank.jsonl"], 2, "blank.jsonl: no documents found",
         files={"blank.jsonl": "\n\n  \n"}),
    Case("unknown suffix in a folder", "unknown suffix", ["find", "docs"], 0,
         "warning: docs: skipped 1 file that is not .txt/", files={**DOCS, "docs/logo.png": b"\x89PNG\r\n"}),
    Case("a folder of files without suffixes", "empty folder", ["find", "lic"], 2,
         "lic: no .txt/.md/.jsonl/.jsonl.gz/.jsonl.zst/.ndjson/.json/.csv/.parquet files in this folder; its 2 other "
         "files (BSD, GPL) are read as text with --all-files (binary ones skipped)",
         files={"lic/GPL": A, "lic/BSD": B}),
    Case("--all-files reads them, a binary one skipped", "binary in folder", ["find", "lic", "--all-files"], 0,
         "warning: lic/core: binary file (NUL byte at offset 7), not text; skipped",
         files={"lic/GPL": A, "lic/BSD": B, "lic/core": ELF}),
    Case("binary in a folder", "binary in folder", ["find", "docs"], 0,
         "warning: docs/core.txt: binary file (NUL byte at offset 7), not text; skipped",
         files={**DOCS, "docs/core.txt": ELF}),
    Case("binary named", "binary named", ["find", "a.txt", "blob.bin"], 2,
         "blob.bin: binary file (NUL byte at offset 7)", files={"a.txt": A, "blob.bin": ELF}),
    # ----------------------------------------------------------------- encodings
    Case("latin-1 in a folder", "not utf-8", ["find", "docs"], 0,
         "warning: docs/latin.txt: not UTF-8; decoded as cp1252 (detected", files={**DOCS, "docs/latin.txt": LATIN1}),
    Case("utf-16 named", "not utf-8", ["find", "u.txt", "a.txt"], 0,
         "warning: u.txt: decoded as UTF-16 (by its byte-order mark)",
         files={"u.txt": "\ufeff".encode("utf-16-le") + B.encode("utf-16-le"), "a.txt": A}),
    Case("cp1252 CSV", "not utf-8", ["find", "w.csv"], 0, "warning: w.csv: not UTF-8; decoded as cp1252",
         files={"w.csv": b"id,text\nr1,\"" + CP1252 + b"\"\nr2,plain words here\n"}),
    Case("damaged UTF-8", "not utf-8", ["find", "d.txt"], 0,
         "warning: d.txt: not valid UTF-8: 1 invalid byte sequence replaced with U+FFFD",
         files={"d.txt": "Zoë’s café — “quoted” naïve crème".encode() + b"\xff tail"}),
    Case("forced codec, strict", "forced", ["find", "l.txt", "--encoding", "ascii"], 2,
         "l.txt:1: not ascii (byte 0xe9 at offset 6: ordinal not in range(128)); leave out --encoding", files={"l.txt": LATIN1}),
    Case("forced codec, CSV", "forced", ["find", "l.csv", "--encoding", "utf-8"], 2,
         "l.csv:2: not utf-8 (byte 0xe9 at offset 18: invalid continuation byte); leave out --encoding",
         files={"l.csv": b"id,text\nr1,\"" + LATIN1 + b"\"\n"}),
    Case("BOM in JSON Lines", "bom", ["find", "b.jsonl"], 0, None,
         files={"b.jsonl": b"\xef\xbb\xbf" + IN.encode()}),
    Case("BOM in CSV and text", "bom", ["find", "b.csv", "b.txt"], 0, None,
         files={"b.csv": b"\xef\xbb\xbfid,text\nr1,some words\n", "b.txt": b"\xef\xbb\xbf" + A.encode()}),
    Case("JSON Lines not UTF-8", "json not utf-8", ["find", "d.jsonl"], 2,
         "d.jsonl:2: not UTF-8 (byte 0xe9 at offset 22); JSON must be UTF-8 (RFC 8259)",
         files={"d.jsonl": b'{"id": 1, "text": "x"}\n{"id": 2, "text": "caf\xe9"}\n'}),
    Case("JSON file not UTF-8", "json not utf-8", ["find", "d.json"], 2, "d.json:1: not UTF-8 (byte 0xe9",
         files={"d.json": b'[{"id": 1, "text": "caf\xe9"}]'}),
    # ----------------------------------------------------------------- records
    Case("malformed JSON line", "malformed", ["find", "bad.jsonl"], 2,
         "bad.jsonl:2: malformed JSON: Unterminated string", sub=True,
         files={"bad.jsonl": '{"id": 1, "text": "fine"}\n{"id": 2, "text": "cut\n{"id": 3, "text": "x"}\n'}),
    Case("malformed JSON file", "malformed", ["find", "d.json"], 2, "d.json:1: malformed JSON",
         files={"d.json": '[{"id": 1, "text": "x"'}),
    Case("JSON file not an array", "malformed", ["find", "d.json"], 2,
         "d.json: expected a JSON array of objects, got dict", files={"d.json": '{"id": 1, "text": "x"}'}),
    Case("JSON line not an object", "malformed", ["find", "d.jsonl"], 2, "d.jsonl:1: expected a JSON object, got list",
         files={"d.jsonl": "[1, 2]\n"}),
    Case("empty CSV", "malformed", ["find", "d.csv"], 2, "d.csv: empty CSV file (expected a header row)",
         files={"d.csv": ""}),
    Case("CSV row with too many fields", "csv fields", ["find", "d.csv"], 2,
         "d.csv row 2 (line 3): 3 fields, the header has 2; a field holding a comma must be quoted",
         files={"d.csv": "id,text\nr1,some words\nr2,some words, and more\n"}),
    Case("CSV row with too few fields", "csv fields", ["find", "d.csv"], 2,
         "d.csv row 1 (line 2): 1 field, the header has 2", files={"d.csv": "id,text\nr1\n"}),
    Case("CSV without the text column", "field", ["find", "d.csv"], 2,
         "d.csv: no column 'text' (columns: id, body); choose one with --text-field",
         files={"d.csv": "id,body\nr1,words\n"}),
    Case("record without the text field", "field", ["find", "d.jsonl"], 2,
         "d.jsonl:2: no field 'text' (fields: id, body); choose one with --text-field",
         files={"d.jsonl": '{"id": 1, "text": "fine"}\n{"id": 2, "body": "x"}\n'}),
    Case("text not a string", "field", ["find", "d.jsonl"], 2, "d.jsonl:1: field 'text' is int, not a string",
         files={"d.jsonl": '{"id": 1, "text": 5}\n'}),
    Case("id field named but absent", "field", ["find", "d.jsonl", "--id-field", "url"], 2,
         "d.jsonl:1: no field 'url' (fields: id, text); choose one with --id-field", files={"d.jsonl": IN}),
    Case("float id", "id type", ["find", "d.jsonl"], 2,
         "d.jsonl:1: field 'id' is a number with a fraction or exponent (1.5); an id must be a string or a whole "
         "number", files={"d.jsonl": '{"id": 1.5, "text": "x"}\n'}),
    Case("boolean id", "id type", ["find", "d.jsonl"], 2, "d.jsonl:1: field 'id' is a boolean (true)",
         files={"d.jsonl": '{"id": true, "text": "x"}\n'}),
    Case("list id", "id type", ["find", "d.jsonl"], 2, "d.jsonl:1: field 'id' is a list ([1])",
         files={"d.jsonl": '{"id": [1], "text": "x"}\n'}),
    Case("duplicate id", "duplicate id", ["find", "d.jsonl"], 2,
         "d.jsonl:2: duplicate id 'a', first used at d.jsonl:1",
         files={"d.jsonl": _jsonl({"id": "a", "text": "x"}, {"id": "a", "text": "y"})}),
    Case("id already indexed", "duplicate id", ["index", "add", "x.idx", "a.txt"], 2,
         "a.txt: id 'a.txt' is already in the index x.idx", files={"a.txt": A}, setup=_with_index()),
    Case("id not indexed", "duplicate id", ["index", "remove", "x.idx", "nope"], 2,
         "x.idx: no document with id 'nope'", setup=_with_index()),
    Case("id of another kind", "duplicate id", ["index", "add", "x.idx", "q.txt"], 2,
         "q.txt: id 'q.txt' is str, but the index's ids are int", files={"q.txt": C},
         setup=lambda tmp: _index_of_ints(tmp)),
    Case("truncated gz", "gz", ["find", "cut.jsonl.gz"], 2, "cut.jsonl.gz: truncated or corrupt gzip after line ",
         files={"cut.jsonl.gz": _cut_gz()}),
    Case("parquet without pyarrow", "parquet", ["find", "d.parquet"], 2,
         "d.parquet: reading and writing Parquet needs pyarrow: pip install 'near-dups[parquet]'",
         files={"d.parquet": b"PAR1"}, inject=_no_pyarrow),
    # ----------------------------------------------------------------- options
    Case("threshold out of range", "option", ["find", "a.txt", "--threshold", "1.5"], 2,
         "--threshold must be in (0, 1], got 1.5", files=TWO),
    Case("jobs out of range", "option", ["find", "a.txt", "--jobs", "0"], 2, "--jobs must be in [1, ", files=TWO),
    Case("unknown option", "option", ["find", "a.txt", "--bogus"], 2, "unrecognized arguments: --bogus", files=TWO),
    Case("unknown codec", "option", ["find", "a.txt", "--encoding", "klingon"], 2,
         "--encoding klingon: not a codec Python knows", files=TWO),
    Case("negative lock timeout", "option", ["index", "add", "x.idx", "a.txt", "--lock-timeout", "-1"], 2,
         "--lock-timeout must be a number of seconds >= 0, got -1", files=TWO, setup=_with_index()),
    Case("--skip-existing without --add", "option",
         ["index", "filter", "x.idx", "a.txt", "-o", "f.txt", "--skip-existing"], 2,
         "--skip-existing applies with --add only", files=TWO, setup=_with_index()),
    Case("collapse without -o", "option", ["collapse", "a.txt"], 2,
         "-o/--output is required (or --dry-run to only report)", files=TWO),
    Case("explain with two standard inputs", "option", ["explain", "-", "-"], 2,
         "A and B cannot both be standard input"),
    # ----------------------------------------------------------------- outputs
    Case("find -o INPUT", "output is input", ["find", "a.txt", "b.txt", "-o", "a.txt"], 2,
         "-o a.txt: is an input; the input is never modified", files=TWO, sub=True),
    Case("blocks -o INPUT", "output is input", ["blocks", "a.txt", "b.txt", "-o", "b.txt"], 2,
         "-o b.txt: is an input", files=TWO),
    Case("index query -o INPUT", "output is input", ["index", "query", "x.idx", "a.txt", "-o", "a.txt"], 2,
         "-o a.txt: is an input", files=TWO, setup=_with_index()),
    Case("index query -o inside the index", "output is input",
         ["index", "query", "x.idx", "a.txt", "-o", "x.idx/out.txt"], 2,
         "-o x.idx/out.txt: is inside the input folder x.idx", files=TWO, setup=_with_index()),
    Case("dedup --report INPUT", "output is input", ["dedup", "in.jsonl", "-o", "clean.jsonl", "--report", "in.jsonl"],
         2, "--report in.jsonl: is an input", files={"in.jsonl": IN}),
    Case("dedup's default report is the input", "output is input", ["dedup", "x.dropped.jsonl", "-o", "x.jsonl"], 2,
         "--report x.dropped.jsonl: is an input", files={"x.dropped.jsonl": IN}),
    Case("collapse --removals INPUT", "output is input",
         ["collapse", "in.jsonl", "-o", "out.jsonl", "--removals", "in.jsonl"], 2,
         "--removals in.jsonl: is an input", files={"in.jsonl": IN}),
    Case("dedup DIR -o DIR/out/", "output is input", ["dedup", "docs", "-o", "docs/out/"], 2,
         "-o docs/out/: is inside the input folder docs; its files would be read as input next time", files=DOCS),
    Case("-o a link to an input", "output is input", ["find", "a.txt", "b.txt", "-o", "link.txt"], 2,
         "-o link.txt: is an input (a.txt)", files=TWO, setup=_links),
    Case("-o a hard link into an input folder", "output is input", ["find", "docs", "-o", "h.txt"], 2,
         "-o h.txt: is an input (the same file as docs/a.txt)", files=DOCS, setup=_hardlink),
    Case("-o a folder holding an input", "output is input", ["find", "docs/a.txt", "docs/b.txt", "-o", "docs"], 2,
         "-o docs: holds the input docs/a.txt", files=DOCS),
    Case("two outputs to one file", "output is input",
         ["dedup", "in.jsonl", "-o", "out.jsonl", "--report", "out.jsonl"], 2,
         "--report out.jsonl: is also -o out.jsonl", files={"in.jsonl": IN}),
    Case("index filter --report INPUT", "output is input",
         ["index", "filter", "x.idx", "in.jsonl", "-o", "fresh.jsonl", "--report", "in.jsonl"], 2,
         "--report in.jsonl: is an input", files={"in.jsonl": IN}, setup=_with_index()),
    Case("index add to an index inside the input folder", "output is input", ["index", "add", "docs/x.idx", "docs"],
         2, "index docs/x.idx: is inside the input folder docs", files=DOCS,
         setup=_with_index("docs/x.idx", ("p", "q"))),
    Case("index build -o inside the input folder", "output is input", ["index", "build", "docs", "-o", "docs/x.idx"],
         2, "-o docs/x.idx: is inside the input folder docs", files=DOCS),
    Case("a mistyped command", "missing", ["fnd", "docs"], 2,
         "fnd: no such file or folder (did you mean the command `near-dups find`?)", files=DOCS),
    Case("-o an input file inside an input folder", "output is input",
         ["report", "docs", "-o", "docs/a.txt"], 2,
         "-o docs/a.txt: is an input (a file in the input folder docs); the input is never modified", files=DOCS),
    Case("report over an unrelated file", "output exists", ["report", "docs", "-o", "notes.txt"], 2,
         "-o notes.txt: exists; an existing file is replaced only with --force", files={**DOCS, "notes.txt": "mine"},
         sub=True),
    Case("find -o over an existing file", "output exists", ["find", "docs", "-o", "clusters.jsonl"], 2,
         "-o clusters.jsonl: exists; an existing file is replaced only with --force",
         files={**DOCS, "clusters.jsonl": "mine"}),
    Case("collapse over an existing default side file", "output exists", ["collapse", "docs", "-o", "out"], 2,
         "--removals out.removals.jsonl: exists; an existing file is replaced only with --force",
         files={**DOCS, "out.removals.jsonl": "mine"}),
    Case("index filter --report over an existing file", "output exists",
         ["index", "filter", "x.idx", "c.txt", "-o", "new.txt", "--report", "held.jsonl"], 2,
         "--report held.jsonl: exists; an existing file is replaced only with --force",
         files={"c.txt": C, "held.jsonl": "mine"}, setup=_with_index()),
    Case("dedup a folder to a file", "output kind", ["dedup", "docs", "-o", "old.txt", "--force"], 2,
         "-o old.txt: exists and is not a folder", files={**DOCS, "old.txt": "previous"}),
    Case("dedup to a folder that is not empty", "output kind", ["dedup", "docs", "a.txt", "-o", "full"], 2,
         "-o full: folder exists and is not empty", files={**DOCS, "a.txt": A, "full/mine.txt": "mine"}),
    Case("dedup to another format", "output kind", ["dedup", "in.jsonl", "-o", "out.csv"], 2,
         "-o out.csv: output is written in the input's format (jsonl)", files={"in.jsonl": IN}),
    Case("dedup into a missing folder", "output kind", ["dedup", "in.jsonl", "-o", "nowhere/out.jsonl"], 2,
         "-o nowhere/out.jsonl: folder ", files={"in.jsonl": IN}),
    Case("index build over an index", "output kind", ["index", "build", "docs", "-o", "x.idx"], 2,
         "-o x.idx: already holds an index; `near-dups index add x.idx PATH...` adds to it", files=DOCS,
         setup=_with_index()),
    Case("index build into a folder that is not empty", "output kind", ["index", "build", "docs", "-o", "full"], 2,
         "-o full: folder exists and is not empty", files={**DOCS, "full/mine.txt": "mine"}),
    # ----------------------------------------------------------------- indexes
    Case("edited manifest", "index damaged", ["index", "query", "x.idx", "a.txt"], 2,
         "manifest.json: checksum mismatch: the manifest was edited or is corrupted", files=TWO, sub=True,
         setup=lambda tmp: _edit_manifest(tmp, ngram=3)),
    Case("corrupted array", "index damaged", ["index", "query", "x.idx", "a.txt"], 2,
         "values.npy: checksum mismatch: the file is corrupted (rebuild it with: near-dups index build", files=TWO,
         setup=_flip),
    Case("other format version", "index damaged", ["index", "add", "x.idx", "a.txt"], 2,
         "manifest.json: format version 99; this near-dups reads versions 1, 2, 3 (rebuild the index", files=TWO,
         setup=lambda tmp: _edit_manifest(tmp, rehash=True, version=99)),
    Case("not an index", "index damaged", ["index", "query", "docs", "docs"], 2,
         "docs: not a near-dups index (no CURRENT file)", files=DOCS),
    Case("option differs from the index's", "index option", ["index", "query", "x.idx", "a.txt", "--ngram", "3"], 2,
         "--ngram 3: the index x.idx was built with --ngram 5", files=TWO, setup=_with_index()),
    Case("threshold differs from the index's", "index option",
         ["index", "add", "x.idx", "c.txt", "--threshold", "0.5"], 2,
         "--threshold 0.5: the index x.idx was built with --threshold 0.8", files={"c.txt": C},
         setup=_with_index()),
    Case("index being written", "locked", ["index", "add", "x.idx", "c.txt", "--lock-timeout", "0.2"], 2,
         "x.idx: another process is writing to this index; waited 0.2 s for it to finish (--lock-timeout",
         files={"c.txt": C}, setup=_locked),
    # ----------------------------------------------------------------- the OS says no
    Case("disk full writing -o", "io", ["dedup", "in.jsonl", "-o", "out.jsonl"], 2,
         "out.jsonl: No space left on device (ENOSPC); nothing was written", files={"in.jsonl": IN},
         inject=_failing_fsync(errno.ENOSPC)),
    Case("disk full writing the report", "io", ["dedup", "in.jsonl", "-o", "out.jsonl"], 2,
         "out.dropped.jsonl: No space left on device (ENOSPC)", files={"in.jsonl": IN},
         inject=_failing_fsync(errno.ENOSPC, "dropped")),
    Case("disk full saving an index", "io", ["index", "add", "x.idx", "c.txt"], 2,
         "x.idx: No space left on device (ENOSPC)", files={"c.txt": C}, setup=_with_index(),
         inject=_failing_fsync(errno.ENOSPC)),
    Case("read-only file system", "io", ["index", "build", "docs", "-o", "new.idx"], 2,
         "new.idx: Read-only file system (EROFS)", files=DOCS, inject=_failing_fsync(errno.EROFS)),
    Case("permission denied", "io", ["find", "a.txt", "b.txt", "-o", "r.txt"], 2,
         "r.txt: Permission denied (EACCES)", files=TWO, inject=_denied),
]


# =========================================================================== running a case
def _snapshot(root: pathlib.Path) -> dict:
    """Every file and folder under ``root`` (hidden ones too): path -> SHA-256, or "dir" / "link"."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for d in dirnames:
            out[os.path.relpath(os.path.join(dirpath, d), root)] = "dir"
        for f in filenames:
            p = os.path.join(dirpath, f)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                out[rel] = "link -> " + os.readlink(p)
            else:
                with open(p, "rb") as fh:
                    out[rel] = hashlib.sha256(fh.read()).hexdigest()
    return out


def _lay_out(tmp: pathlib.Path, case: Case):
    for rel, content in case.files.items():
        p = tmp / rel
        if content is None:
            p.mkdir(parents=True, exist_ok=True)
            continue
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return case.setup(tmp) if case.setup else None


def _messages(err: str) -> list[str]:
    return [line for line in err.splitlines()
            if line.startswith("near-dups") and ("error:" in line or "warning:" in line)]


def _check(case: Case, code: int, out: str, err: str, before: dict, after: dict) -> None:
    assert "Traceback" not in err, err
    assert code == case.code, (code, err)
    msgs = _messages(err)
    if case.message is None:
        assert msgs == [], err
    else:
        assert len(msgs) == 1, err
        assert case.message in msgs[0], (case.message, msgs[0])
    if case.code == 2:
        assert out == ""
    assert after == before  # nothing written, nothing left, every input byte-identical


def _run_in_process(case: Case, tmp, monkeypatch, capsys) -> tuple[int, str, str]:
    monkeypatch.chdir(tmp)
    if case.stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(case.stdin)))
    with monkeypatch.context() as m:
        if case.inject:
            case.inject(m)
        code = cli.main(list(case.argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case, tmp_path, monkeypatch, capsys):
    cleanup = _lay_out(tmp_path, case)
    try:
        before = _snapshot(tmp_path)
        code, out, err = _run_in_process(case, tmp_path, monkeypatch, capsys)
        _check(case, code, out, err, before, _snapshot(tmp_path))
    finally:
        if cleanup:
            cleanup()


@pytest.mark.parametrize("case", [c for c in CASES if c.sub], ids=[c.name for c in CASES if c.sub])
def test_bad_input_as_a_user_runs_it(case, tmp_path):
    cleanup = _lay_out(tmp_path, case)
    try:
        before = _snapshot(tmp_path)
        p = subprocess.run([*_command(), *case.argv], input=case.stdin or b"", capture_output=True, cwd=tmp_path,
                           timeout=120)
        _check(case, p.returncode, p.stdout.decode(), p.stderr.decode(), before, _snapshot(tmp_path))
    finally:
        if cleanup:
            cleanup()


# =========================================================================== the table and the suite agree
#: The page that documents bad input and exit codes.
CLI_PAGE = ROOT / "docs" / "guide" / "cli.md"


def _docs_table() -> list[tuple[str, str, str]]:
    lines = CLI_PAGE.read_text(encoding="utf-8").splitlines()
    start = lines.index("| input | what near-dups does | exit |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        rows.append(tuple(cells))
    return rows


def test_the_docs_table_is_this_suite():
    assert _docs_table() == [(what, does, code) for _, what, does, code in ROWS]


def test_every_row_has_cases_that_exit_as_it_says():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    exit_of = {key: int(code) for key, _, _, code in ROWS}
    for case in CASES:
        assert case.row in exit_of, case.name
        assert case.code == exit_of[case.row], case.name
    assert {c.row for c in CASES} == set(ROW_KEYS)


def test_every_path_argument_of_every_command_is_checked():
    """An argument naming a path (metavar FILE, OUT, IDX, PATH, A, B) must be among its command's paths in the
    table, so main checks it; and every path the table names is an argument of its command."""
    _, subs = _table.build_parser()
    for command in _table.TABLE:
        listed = {p.dest for p in command.paths}
        dests = {action.dest for action in subs[command.name]._actions}
        for action in subs[command.name]._actions:
            if action.metavar in ("FILE", "OUT", "IDX", "PATH", "A", "B"):
                assert action.dest in listed, (command.name, action.dest)
        assert listed <= dests, command.name
        for p in command.paths:
            assert p.role in ("read", "write") and (p.role == "read") != bool(p.label) or p.written_with, p
            assert p.side is None or p.side[0] in listed


def test_the_help_lists_every_exit_code(capsys):
    code = cli.main(["--help"])
    out, _ = capsys.readouterr()
    assert code == 0
    text = " ".join(out.split())
    for code_, words in ((0, "0 ok"), (1, "1 duplicates found with --fail-on-duplicates"), (2, "2 usage or input error"),
                         (3, "3 internal error"), (130, "130 interrupted")):
        assert words in text, words
    page = " ".join(CLI_PAGE.read_text(encoding="utf-8").split())
    for words in ("`0` success", "`1` duplicates found with `--fail-on-duplicates`", "`2` usage or input error",
                  "`3` internal error", "`130` interrupted"):
        assert words in page, words
    assert re.search(r"EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130",
                     (pathlib.Path(cli.__file__).parent / "_io" / "_errors.py").read_text())
