"""No output may be an input: the one check every output path of every command goes through.

:func:`check_paths` compares every output (``-o``, ``--report``,
``--removals``, an index written) with every input path and every input file
found, by identity (device and inode), so a link or a hard link to an input
is caught; :func:`check_output` adds what a corpus written back in its
input's format needs (the same format, a file for one input, a new or empty
folder for several).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ._errors import InputError
from ._sources import RECORD_KINDS, Source, kind_of


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
            if os.path.isdir(p) and _inside(real, rp) and os.path.isfile(out) and kind_of(out):  # the walk reads it
                raise InputError(f"{label} {out}: is an input (a file in the input folder {p}); the input is never "
                                 "modified, name another output")
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


def check_existing(outputs: Mapping[str, str], force: bool) -> None:
    """Refuse, without ``force``, an output file that already exists: the one overwrite rule of every command.

    A folder output must be new or empty (:func:`check_folder_output`;
    ``--force`` never empties one), an index is replaced only with ``--force``
    (``index build``), and an index updated in place (``index add``) is the
    command's own.

    Raises
    ------
    InputError naming the option and the path.
    """
    if force:
        return
    for label, out in outputs.items():
        if out and out != "-" and os.path.lexists(out) and not os.path.isdir(out):
            raise InputError(f"{label} {out}: exists; an existing file is replaced only with --force (name a new "
                             "file, or add --force)")


def check_folder_output(dest: str) -> None:
    """Refuse a folder output that exists and is not empty, is a file, or whose parent is missing."""
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
