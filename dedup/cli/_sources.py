"""Where the documents are: the input files named by the command line's paths, found in one walk.

A path is a file, a folder (searched recursively, hidden files and folders
skipped, only the suffixes in ``SUFFIXES`` read) or ``-`` for standard input.
Each file found is a :class:`Source`, stat'ed once: its size is the progress
bar's total, its identity (device, inode) what the output checks compare.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ._errors import InputError

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
PARQUET_HINT = "pip install 'near-dups[parquet]'  (or: pip install pyarrow)"


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
                fail(f"{p}: no {_suffix_list()} files in this folder", skip_errors, warn)
        elif os.path.exists(p):
            if not os.path.isfile(p):
                fail(f"{p}: not a regular file or folder", skip_errors, warn)
                continue
            add(p, os.path.normpath(p), os.path.basename(p), kind_of(p) or "text", True)
        else:
            raise InputError(f"{p}: no such file or folder{_command_like(p)}")
    return sources


def _command_like(p: str) -> str:
    """`` (did you mean ...)`` when a missing path is a mistyped command name (``near-dups fnd corpus/``)."""
    if os.sep in p or "." in p:
        return ""
    import difflib

    from ._table import TOP  # the table imports this module

    close = difflib.get_close_matches(p, TOP, n=1, cutoff=0.75)
    return f" (did you mean the command `near-dups {close[0]}`?)" if close else ""


def _suffix_list() -> str:
    return "/".join(SUFFIXES)


def fail(msg: str, skip: bool, warn, skipped: str = "skipped") -> None:
    """Stop with ``msg`` (an InputError), or with ``skip`` warn that the item is skipped and go on."""
    if not skip:
        raise InputError(msg + " (--skip-errors skips it and goes on)")
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
