"""Where the documents are: the input files named by the command line's paths, found in one walk.

A path is a file, a folder (searched recursively, hidden files and folders
skipped, only the suffixes in ``SUFFIXES`` read) or ``-`` for standard input.
Each file found is a :class:`Source`, stat'ed once: its size is the progress
bar's total, its identity (device, inode) what the output checks compare.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ._errors import InputError, MissingPathError
from ._ui import plural

#: file suffix -> kind of source. Text files hold one document each.
SUFFIXES = {
    ".txt": "text",
    ".md": "text",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".jsonl.zst": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
}
RECORD_KINDS = ("jsonl", "json", "csv", "parquet")
STDIN_FORMATS = ("auto", "jsonl", "text", "lines")
PARQUET_HINT = "pip install 'near-dups[parquet]'  (or: pip install pyarrow)"
ZSTD_HINT = "pip install 'near-dups[zstd]'  (or: pip install zstandard)"
#: The first bytes of a zstd frame (RFC 8878), by which standard input is recognized as compressed.
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def suffix_of(path: str) -> str:
    name = os.path.basename(path).lower()
    for double in (".jsonl.gz", ".jsonl.zst"):
        if name.endswith(double):
            return double
    return os.path.splitext(name)[1]


def kind_of(path: str) -> str | None:
    """Kind of source a file name says it is, or None when its suffix is not one we read."""
    return SUFFIXES.get(suffix_of(path))


#: Bytes an input file is read at a time: a JSON Lines file read line by line at the default (its block size,
#: 4 KiB) took one system call per line or two.
READ_BUFFER = 1 << 20


@dataclass
class Source:
    """One input file (or standard input, spooled to a temporary file)."""

    path: str  # what to open
    name: str  # what messages and ids call it ("-" for standard input)
    rel: str  # where it goes under an output folder
    kind: str  # "text", "lines", "jsonl", "json", "csv" or "parquet"
    gz: bool = False
    zst: bool = False
    stat: tuple = ()
    explicit: bool = True  # named on the command line, not found in a folder
    ident: tuple = ()  # (st_dev, st_ino): the file itself, whatever path or link names it
    encoding: str | None = None  # the codec it was read with, when not UTF-8 (text and CSV files)
    errors: str = "strict"  # "replace" for a UTF-8 file with a few invalid bytes

    @property
    def codec(self) -> str | None:
        """``"gzip"`` or ``"zstd"`` for a compressed file, else None."""
        return "gzip" if self.gz else "zstd" if self.zst else None

    def open(self):
        """Binary file object of the (decompressed) content."""
        return decompressed(open(self.path, "rb", buffering=READ_BUFFER), self)

    def check_unchanged(self) -> None:
        st = os.stat(self.path)
        if (st.st_size, st.st_mtime_ns) != self.stat:
            raise InputError(f"{self.name}: changed while near-dups was running; run again")


# --------------------------------------------------------------------------- finding files
def _walk(root: str) -> Iterator[str]:
    """Files under ``root``, sorted, skipping hidden files and folders."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for f in sorted(filenames):
            if not f.startswith("."):
                yield os.path.join(dirpath, f)


def stat_of(path: str) -> tuple:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns)


def find_sources(paths, *, warn: Callable[[str], None], skip_errors: bool = False,
                 all_files: bool = False) -> list[Source]:
    """The input files named by ``paths`` (files, folders searched recursively, ``-``).

    A file named explicitly is read whatever its suffix (unknown suffixes as
    text); inside a folder only the suffixes in ``SUFFIXES`` are read and the
    others are skipped with one warning per folder, unless ``all_files``
    (``--all-files``): then they are read as text too, and those that turn
    out binary (by their content) are skipped with a warning, as any binary
    file found in a folder.
    """
    sources: list[Source] = []
    seen: set = set()
    hint = "--skip-errors skips it and goes on" if len(paths) > 1 else None  # a lone path skipped leaves nothing
    if all_files and not any(p != "-" and os.path.isdir(p) for p in paths):
        warn("--all-files reads every file of a folder, and no folder was given; ignored (a file named on the "
             "command line is read whatever its suffix)")

    def add(path: str, name: str, rel: str, kind: str, explicit: bool) -> None:
        key = os.path.realpath(path)
        if key in seen:
            warn(f"{name}: given more than once; read once")
            return
        seen.add(key)
        st = os.stat(path)
        sources.append(Source(path, name, rel, kind, gz=path.lower().endswith(".gz"), zst=path.lower().endswith(".zst"),
                              stat=(st.st_size, st.st_mtime_ns), explicit=explicit, ident=(st.st_dev, st.st_ino)))

    for p in paths:
        if p == "-":
            sources.append(Source("-", "-", "stdin", "stdin"))
        elif os.path.isdir(p):
            found, others = 0, []
            for f in _walk(p):
                kind = kind_of(f) or ("text" if all_files else None)
                if kind is None:
                    others.append(os.path.relpath(f, p))
                    continue
                add(f, os.path.normpath(f), os.path.relpath(f, p), kind, False)
                found += 1
            if others:
                shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
                if found:
                    are = "that is not" if len(others) == 1 else "that are not"
                    warn(f"{p}: skipped {plural(len(others), 'file')} {are} {_suffix_list()} (--all-files reads "
                         f"{'it' if len(others) == 1 else 'them'} as text): {shown}")
            if not found:
                why = (f"; its {plural(len(others), 'other file')} ({shown}) "
                       f"{'is' if len(others) == 1 else 'are'} read as text with --all-files (binary ones skipped)"
                       if others else "")
                fail(f"{p}: no {_suffix_list()} files in this folder{why}", skip_errors, warn, hint=hint)
        elif os.path.exists(p):
            if not os.path.isfile(p):
                fail(f"{p}: not a regular file or folder", skip_errors, warn, hint=hint)
                continue
            add(p, os.path.normpath(p), os.path.basename(p), kind_of(p) or "text", True)
        else:
            raise MissingPathError(p)
    return sources


def _suffix_list() -> str:
    return "/".join(SUFFIXES)


def fail(msg: str, skip: bool, warn, skipped: str = "skipped", hint: str | None = "--skip-errors skips it and goes on"
         ) -> None:
    """Stop with ``msg`` (an InputError), or with ``skip`` warn that the item is skipped and go on. ``hint``
    ends the error; None where skipping would leave nothing to read (a lone empty file)."""
    if not skip:
        raise InputError(msg + (f" ({hint})" if hint else ""))
    warn(f"{msg}; {skipped}")


def total_bytes(sources: list[Source]) -> int:
    """Bytes on disk of the files found (the progress bar's total); 0 (unknown) when standard input is one."""
    if any(s.kind == "stdin" for s in sources):
        return 0
    return sum(s.stat[0] for s in sources)


def require_pyarrow(name: str):
    """``pyarrow.parquet``, or an InputError naming the pip command."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(f"{name}: reading and writing Parquet needs pyarrow: {PARQUET_HINT}") from None
    return pq


# --------------------------------------------------------------------------- compressed files
class CompressedError(Exception):
    """A compressed file that ends early or is corrupt (what ``gzip`` raises as EOFError/BadGzipFile)."""


def decompressed(raw, src: Source):
    """``raw`` (a binary file) read through the decompressor ``src`` needs: gzip, zstd, or none."""
    if src.gz:
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if src.zst:
        try:
            return io.BufferedReader(_Zstd(raw, require_zstandard(src.name)), 1 << 16)
        except BaseException:
            raw.close()
            raise
    return raw


def require_zstandard(name: str):
    """``zstandard``, or an InputError naming the pip command."""
    try:
        import zstandard
    except ImportError:
        raise InputError(f"{name}: reading and writing .zst files needs zstandard: {ZSTD_HINT}") from None
    return zstandard


class _Zstd(io.RawIOBase):
    """The decompressed bytes of a zstd file, frame after frame; a file that ends inside a frame raises
    :class:`CompressedError` (``zstandard``'s own stream reader stops there silently)."""

    def __init__(self, raw, zstd):
        self._raw, self._zstd = raw, zstd
        self._d = zstd.ZstdDecompressor().decompressobj()
        self._buf, self._at = b"", 0
        self._fed = False  # bytes of the current frame were given to the decompressor

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        while self._at >= len(self._buf):
            chunk = self._raw.read(1 << 17)
            if not chunk:
                if self._fed and not self._d.eof:
                    raise CompressedError("compressed file ended before the end-of-stream marker was reached")
                return 0
            self._buf, self._at = self._feed(chunk), 0
        n = min(len(b), len(self._buf) - self._at)
        b[:n] = self._buf[self._at : self._at + n]
        self._at += n
        return n

    def _feed(self, chunk: bytes) -> bytes:
        out = []
        while chunk:
            try:
                out.append(self._d.decompress(chunk))
            except self._zstd.ZstdError as e:
                raise CompressedError(str(e)) from None
            self._fed = True
            chunk = self._d.unused_data if self._d.eof else b""
            if self._d.eof:  # a frame ended: the next one, if any, starts a new decompressor
                self._d = self._zstd.ZstdDecompressor().decompressobj()
                self._fed = False
        return b"".join(out)

    def close(self) -> None:
        self._raw.close()
        super().close()


def text_bytes(src: Source) -> tuple[int, int | None]:
    """``(bytes, documents or None)``: about how much text ``src`` holds once decompressed, from its size and
    headers alone (a gzip file's ISIZE trailer, a zstd frame's content size, Parquet's metadata), to size the
    disk a spilling run needs before it starts. Unknown ratios count 4 bytes of text per compressed byte."""
    size = src.stat[0] if src.stat else 0
    try:
        if src.gz:
            with open(src.path, "rb") as f:
                f.seek(max(0, size - 4))
                isize = struct.unpack("<I", f.read(4).rjust(4, b"\0"))[0]  # modulo 2**32
            return (isize if isize >= size else 4 * size), None
        if src.zst:
            with open(src.path, "rb") as f:
                head = f.read(18)
            zstd = require_zstandard(src.name)
            n = zstd.frame_content_size(head)
            return (n if n >= size else 4 * size), None
        if src.kind == "parquet":
            pq = require_pyarrow(src.name)
            meta = pq.ParquetFile(src.path).metadata
            total = sum(meta.row_group(g).total_byte_size for g in range(meta.num_row_groups))
            return max(total, size), meta.num_rows
    except Exception:  # an unreadable header: the reader names the problem later
        pass
    return size, None
