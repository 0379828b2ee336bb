"""Writing outputs: atomically, together, and the corpus back in its input's format.

Every output file or folder is written under a temporary name in its final
folder and renamed into place only when complete (:func:`atomic_file`,
:func:`atomic_folder`); the outputs of one command can be renamed together,
after all are complete (:class:`Outputs`). :func:`write_corpus` re-reads
each input and copies the kept records verbatim (or with a new text), so the
output keeps the input's format and every field; what is kept is found by
record number as each input is read again, front to back, so no text, and
no record, is held but the one being copied.
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

from ..._core import _fs
from ._errors import InputError
from ._paths import check_folder_output, check_output
from ._sources import require_pyarrow, require_zstandard


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


#: Bytes an output file gathers before a write to the OS (large outputs: few system calls).
WRITE_BUFFER = 1 << 20


@contextlib.contextmanager
def atomic_file(dest: str, mode: str = "w", compress: bool | str | None = None, *, outputs: Outputs | None = None):
    """Open a temporary file next to ``dest``; rename it to ``dest`` only on success.

    ``dest`` of ``-`` writes to standard output (not atomic). A ``.gz``
    destination is gzip-compressed, a ``.zst`` one zstd-compressed, unless
    ``compress`` says otherwise (False, or ``"gzip"``/True, ``"zstd"``). The
    temporary name ``.DEST.tmp-PID-RANDOM`` is hidden (never read as input)
    and carries this process's id: leftovers of killed runs writing ``dest``
    are removed first (:func:`dedup._core._fs.sweep`). The file is flushed to disk
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
        os.chmod(tmp, _fs.file_mode())  # mkstemp makes it private; give it a normal file's mode
        with os.fdopen(fd, "wb", buffering=WRITE_BUFFER) as raw:
            codec = _codec_of(dest) if compress is None else "gzip" if compress is True else compress
            if codec == "gzip":
                with gzip.GzipFile(fileobj=raw, mode="wb", filename="", mtime=0) as gz:
                    yield from _binary_or_text(gz, mode)
            elif codec == "zstd":
                zstd = require_zstandard(dest)
                with zstd.ZstdCompressor().stream_writer(raw, closefd=False) as z:
                    yield from _binary_or_text(z, mode)
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


def _codec_of(dest: str) -> str | None:
    """The compression a destination's name asks for: ``.gz`` gzip, ``.zst`` zstd."""
    name = dest.lower()
    return "gzip" if name.endswith(".gz") else "zstd" if name.endswith(".zst") else None


def _binary_or_text(f, mode: str):
    if "b" in mode:
        yield f
        return
    t = io.TextIOWrapper(f, encoding="utf-8", newline="")
    yield t
    t.flush()
    t.detach()  # ``f`` is closed by its owner


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
        os.chmod(tmp, _fs.file_mode(folder=True))
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


def write_corpus(corpus, dest: str, *, keep=None, texts=None, text_field: str = "text",
                 outputs: Outputs | None = None) -> int:
    """Write the corpus to ``dest`` in its input format; returns documents written.

    Parameters
    ----------
    corpus : a ``Corpus`` or a ``Stream``: its sources and, per document,
        source and record; its texts are not used.
    keep : sequence of bool per document, optional (None keeps all).
    texts : list of str per document, optional: replaces each document's text
        (an item None keeps that document's record as it is).
    outputs : :class:`Outputs`, optional: ``dest`` appears when it commits.

    One source is written to the file ``dest``; several to the folder
    ``dest``, each under its path relative to the folder it was found in.
    Records and files kept unchanged are copied byte for byte (a file in
    another encoding stays in it); new texts are written in UTF-8. Each
    source is read again, once, front to back (a second pass): what is kept
    is found by record number, never held as a whole.
    """
    import numpy as np  # here, not at import: parsing arguments should not pay for it

    check_output(dest, corpus.sources)
    for src in corpus.sources:
        src.check_unchanged()
    source_of = np.asarray(corpus.source_of)
    record_of = np.asarray(corpus.record_of)
    kept = np.ones(source_of.shape[0], dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    bounds = _source_bounds(source_of, len(corpus.sources))
    written = 0
    if len(corpus.sources) == 1:
        lo, hi = bounds[0]
        return _write_source(corpus.sources[0], _Wanted(record_of, kept, lo, hi), dest, texts, text_field,
                             compress=None, outputs=outputs)
    with atomic_folder(dest, outputs=outputs) as tmp:
        for s, src in enumerate(corpus.sources):
            lo, hi = bounds[s]
            if lo == hi or not kept[lo:hi].any():
                continue  # nothing of this source is kept
            target = os.path.join(tmp, src.rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            written += _write_source(src, _Wanted(record_of, kept, lo, hi), target, texts, text_field,
                                     compress=src.codec or False)
    return written


def _source_bounds(source_of, n_sources: int) -> list[tuple[int, int]]:
    """``(first, stop)`` of each source's documents (a source's documents are consecutive)."""
    import numpy as np

    bounds = [(0, 0)] * n_sources
    if source_of.shape[0] == 0:
        return bounds
    cuts = np.flatnonzero(source_of[1:] != source_of[:-1]) + 1
    starts = np.concatenate([[0], cuts]).tolist()
    stops = np.concatenate([cuts, [source_of.shape[0]]]).tolist()
    for a, b in zip(starts, stops):
        bounds[int(source_of[a])] = (a, b)
    return bounds


class _Wanted:
    """The records of one source to write (in increasing order, as read), each with its document's position.

    ``get(record)`` must be asked with records in increasing order (a file
    read front to back): it walks the kept records once, a chunk of them at a
    time as Python ints, so millions of them cost no dict.
    """

    CHUNK = 1 << 16

    def __init__(self, record_of, kept, lo: int, hi: int):
        import numpy as np

        mask = kept[lo:hi]
        self.records = record_of[lo:hi][mask]
        self.positions = np.flatnonzero(mask) + lo
        self._at = 0  # index of the next kept record
        self._recs: list = []
        self._base = 0

    def __len__(self) -> int:
        return int(self.records.shape[0])

    @property
    def done(self) -> bool:
        return self._at >= self.records.shape[0]

    def get(self, rec: int):
        """The position of the document of record ``rec``, or None if it is not written."""
        while self._at < self.records.shape[0]:
            k = self._at - self._base
            if k >= len(self._recs):
                self._base = self._at
                self._recs = self.records[self._at : self._at + self.CHUNK].tolist()
                k = 0
            r = self._recs[k]
            if r > rec:
                return None
            self._at += 1
            if r == rec:
                return int(self.positions[self._at - 1])
        return None

    def between(self, lo: int, hi: int):
        """Records in ``[lo, hi)`` and their positions, ``lo`` past every record asked for before (a file read
        front to back, a block of records at a time)."""
        a = self._at
        b = a + int(self.records[a:].searchsorted(hi))
        self._at, self._recs, self._base = b, [], b
        return self.records[a:b], self.positions[a:b]

    def rows(self, lo: int, hi: int):
        """Records in ``[lo, hi)`` and their positions (Parquet: one batch of rows at a time)."""
        a, b = self.records.searchsorted([lo, hi])
        return self.records[a:b], self.positions[a:b]


def _write_source(src, wanted: _Wanted, dest, texts, text_field, compress, outputs=None) -> int:
    if src.kind == "parquet":
        return _write_parquet(src, dest, wanted, texts, text_field, outputs)
    with atomic_file(dest, "wb", compress=compress, outputs=outputs) as out:
        if src.kind == "text":
            i = wanted.get(0)
            if i is not None:
                new = None if texts is None else texts[i]
                if new is None:
                    with open(src.path, "rb") as f:
                        shutil.copyfileobj(f, out)
                else:
                    out.write(new.encode("utf-8"))
        elif src.kind == "lines" and src.encoding is not None:  # lines of a file in another encoding
            with src.open() as f:
                text = f.read().decode(src.encoding, src.errors)
            text = text.removeprefix("\ufeff")
            for lineno, line in enumerate(text.split("\n"), 1):
                i = wanted.get(lineno)
                if i is not None:
                    new = None if texts is None else texts[i]
                    out.write((line.rstrip("\r") if new is None else new).encode("utf-8") + b"\n")
        elif src.kind == "jsonl" and (texts is None or hasattr(texts, "edits")):
            with src.open() as f:
                _write_jsonl_blocks(f, out, wanted, texts, text_field)
        elif src.kind in ("jsonl", "lines"):
            with src.open() as f:
                for lineno, line in enumerate(f, 1):
                    if wanted.done:
                        break
                    i = wanted.get(lineno)
                    if i is None:
                        continue
                    new = None if texts is None else texts[i]
                    if new is not None:
                        line = new.encode("utf-8") if src.kind == "lines" else _with_new_text(line, text_field, new)
                    out.write(line if line.endswith(b"\n") else line + b"\n")
        elif src.kind == "json":
            with src.open() as f:
                records = json.loads(f.read().removeprefix(codecs.BOM_UTF8))
            kept = []
            for k, rec in enumerate(records, 1):
                i = wanted.get(k)
                if i is not None:
                    if texts is not None and texts[i] is not None:
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
                        if texts is not None and texts[i] is not None:
                            values[ti] = texts[i]
                        writer.writerow(values)
            text_out.flush()
            text_out.detach()
    return len(wanted)


def _with_new_text(line: bytes, text_field: str, new: str, enc=None, key: bytes = b"") -> bytes:
    """The JSON Lines record ``line`` with ``new`` as its ``text_field``, as ``json.dumps`` writes it: spliced
    when its JSON ``enc`` is given and ``_lines.with_text`` can (``key``: the field as UTF-8), else parsed."""
    line = line.removeprefix(codecs.BOM_UTF8)
    if enc is not None:
        from .._lines import with_text

        spliced = with_text(line, key, text_field, enc)
        if spliced:
            return spliced
    rec = json.loads(line)
    rec[text_field] = new
    return json.dumps(rec, ensure_ascii=False).encode("utf-8")


#: Bytes of a JSON Lines input read at a time when it is written again (``_write_jsonl_blocks``).
READ_BLOCK = 8 << 20


def _write_jsonl_blocks(f, out, wanted: _Wanted, texts, text_field: str) -> None:
    """The wanted records of the JSON Lines file ``f`` written to ``out`` a block of lines at a time: kept
    records byte for byte, records with a new text (``texts.edits``, the texts' JSON made ahead) spliced by
    a kernel (``_lines.splice_lines``) where the record is as ``json.dumps`` writes one, the others (and a
    text without its JSON) one by one as ``_with_new_text`` writes them. Lines are numbered as
    ``enumerate(f, 1)`` numbers them (at ``\\n`` only)."""
    import numpy as np

    from .._lines import splice_lines

    try:
        field_json = json.dumps(text_field, ensure_ascii=False)[1:-1].encode("utf-8")
        key = text_field.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in the name: no record has that key in UTF-8
        field_json = key = b"\xff"
    field_arr = np.frombuffer(field_json, dtype=np.uint8)
    no_json = (np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64))
    carry = bytearray()
    first = 1  # number of the first line in the block
    while not wanted.done:
        more = f.read(max(READ_BLOCK, len(carry)))  # a line longer than a block: read in doubling steps
        carry += more
        if not carry:
            break
        buf = np.frombuffer(carry, dtype=np.uint8)
        ends = np.flatnonzero(buf == 10)
        if not more and (ends.shape[0] == 0 or ends[-1] != buf.shape[0] - 1):
            ends = np.append(ends, buf.shape[0])  # the last line, without its newline
        starts = np.concatenate([[0], ends[:-1] + 1]).astype(np.int64)
        recs, pos = wanted.between(first, first + ends.shape[0])
        if recs.shape[0]:
            ls = starts[recs - first]
            le = ends[recs - first]
            k = 0
            while k < pos.shape[0]:
                if texts is None:
                    m, slot, (data, offsets) = pos.shape[0], np.full(pos.shape[0], -1, np.int64), no_json
                else:
                    lo, hi, chunk_slot, data, offsets = texts.edits(int(pos[k]))
                    m = k + int(np.searchsorted(pos[k:], hi))
                    slot = chunk_slot[pos[k:m] - lo]
                got, at, rest = splice_lines(buf, ls[k:m], le[k:m], slot, data, offsets, field_arr)
                done = 0
                for r in rest.tolist():
                    out.write(got[at[done] : at[r]])
                    i = int(pos[k + r])
                    enc = None if slot[r] < 0 else data[offsets[slot[r]] : offsets[slot[r] + 1]].tobytes()
                    line = _with_new_text(bytes(buf[ls[k + r] : le[k + r]]), text_field, texts[i], enc, key)
                    out.write(line if line.endswith(b"\n") else line + b"\n")
                    done = r + 1
                out.write(got[at[done] :])
                k = m
        first += ends.shape[0]
        del buf
        carry = carry[int(ends[-1]) + 1 :] if ends.shape[0] else carry
        if not more:
            break


#: Rows of a Parquet output are written in row groups of about this many bytes: a small output is one row
#: group, as ``pq.write_table`` makes it, and a large one is never all in memory.
ROW_GROUP_BYTES = 64 << 20


def _write_parquet(src, dest, wanted: _Wanted, texts, text_field, outputs=None) -> int:
    """The kept rows of a Parquet file, read a batch at a time, written a row group at a time."""
    pq = require_pyarrow(src.name)
    import pyarrow as pa

    pf = pq.ParquetFile(src.path)
    with atomic_file(dest, "wb", compress=False, outputs=outputs) as out:
        writer = pq.ParquetWriter(out, pf.schema_arrow)
        held, size, row = [], 0, 1  # rows number from 1, as the reader counts them
        for batch in pf.iter_batches(batch_size=8192):
            recs, pos = wanted.rows(row, row + batch.num_rows)
            if recs.shape[0]:
                part = pa.Table.from_batches([batch]).take(pa.array(recs - row, type=pa.int64()))
                if texts is not None:
                    k = part.schema.get_field_index(text_field)
                    new = [texts[p] for p in pos.tolist()]
                    if None in new:  # a record kept as it is: its own value
                        old = part.column(k).to_pylist()
                        new = [o if t is None else t for o, t in zip(old, new)]
                    part = part.set_column(k, text_field, pa.array(new, type=pa.string()))
                held.append(part)
                size += part.nbytes
            row += batch.num_rows
            if size >= ROW_GROUP_BYTES:
                writer.write_table(pa.concat_tables(held))
                held, size = [], 0
        if held or not len(wanted):
            writer.write_table(pa.concat_tables(held) if held else pf.schema_arrow.empty_table())
        writer.close()
    return len(wanted)
