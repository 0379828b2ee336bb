"""What every command shares: options checked against the API's own rules, the corpus read once, output emitted.

Nothing here decides what is a duplicate: that is ``dedup.index``,
``dedup.collapse``, ``dedup.blocks`` and ``dedup.passages``. Importing this
module imports neither numpy nor numba (``near-dups --help`` stays fast).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import shutil
import sys
import tempfile

import dedup

from .._core._options import INDEX
from .._core._words import byte_size
from ._io._errors import InputError, UsageError
from ._io._paths import check_existing, check_output, check_paths
from ._io._read import Corpus, read_corpus
from ._render import write_records
from ._style import Style
from ._io._sources import find_sources, text_bytes, total_bytes
from ._io._ui import plural
from ._io._write import Outputs, atomic_file, write_corpus

#: Options a saved index was built with; given to ``index add/query/filter``, they must match it.
FIXED_BY_INDEX = ("ngram", "shingle", "num_perm", "seed", "sketch")
#: The shared options that go to ``dedup.Config`` (``--threshold`` ... ``--sketch``).
INDEX_OPTIONS = ("threshold", "ngram", "shingle", "num_perm", "seed", "sketch")
#: The shared options of ``dedup.index``'s memory budget; commands that build no index ignore them.
SPILL_OPTIONS = ("memory", "workdir", "keep_workdir")


# --------------------------------------------------------------------------- options
def flag(field: str) -> str:
    """The command-line flag of an option: ``num_perm`` -> ``--num-perm``."""
    return "--" + field.replace("_", "-")


def given(args, names) -> dict:
    """The options among ``names`` that were given on the command line (not their defaults)."""
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


def option(args, name: str):
    """A ``dedup.index`` option as given, else its default (``_options.INDEX``)."""
    value = getattr(args, name, None)
    return INDEX[name] if value is None else value


def configured(cls, values: dict):
    """``cls(**values)`` for a config class of the API, checked first by its own rules with each option named
    by its flag (``--num-perm must be >= 1, got 0``), so a bad option is a UsageError that names it."""
    try:
        cls.check(values, name=flag)
        return cls(**values)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None


def index_config(args) -> dedup.Config:
    """``configure`` of the commands that index: ``dedup.Config`` of the options given."""
    return configured(dedup.Config, given(args, INDEX_OPTIONS))


def check_run_options(args) -> None:
    """The options of every run that no config holds: ``-q``/``-v``, ``--encoding``, ``--lock-timeout``,
    ``--jobs``, ``--memory``, ``--workdir``."""
    if args.quiet and args.verbose:
        raise UsageError("-q and -v exclude each other: -q says nothing but errors, -v says more")
    if getattr(args, "memory", None) is not None:
        from .._core._spill import parse_size

        try:
            parse_size(args.memory, name="--memory")
        except (ValueError, TypeError) as e:
            raise UsageError(str(e)) from None
    workdir = getattr(args, "workdir", None)
    if workdir is not None:
        if os.path.exists(workdir) and not os.path.isdir(workdir):
            raise UsageError(f"--workdir {workdir}: exists and is not a folder; name a folder (made if missing) "
                             "to hold the work files")
        parent = os.path.dirname(os.path.abspath(workdir))
        if not os.path.isdir(parent):
            raise UsageError(f"--workdir {workdir}: folder {parent} does not exist")
    if args.encoding is not None:
        try:
            codecs.lookup(args.encoding)
        except LookupError:
            raise UsageError(f"--encoding {args.encoding}: not a codec Python knows (such as utf-8, cp1252, "
                             "latin-1, utf-16, shift_jis, gb18030)") from None
    timeout = getattr(args, "lock_timeout", None)
    if timeout is not None and not 0 <= timeout < float("inf"):
        raise UsageError(f"--lock-timeout must be a number of seconds >= 0, got {timeout:g}")
    if args.jobs is not None:
        import numba

        top = numba.config.NUMBA_NUM_THREADS
        if not 1 <= args.jobs <= top:
            raise UsageError(f"--jobs must be in [1, {top}] (the cores numba may use), got {args.jobs}")
        numba.set_num_threads(args.jobs)


def warn_ignored(command, args, ui) -> None:
    """Warn about each shared option given that ``command`` does not use (``Command.ignores``)."""
    for k in command.ignores:
        if getattr(args, k, None) is not None:
            ui.warn(f"{flag(k)} is not used by {command.name}; ignored")


# --------------------------------------------------------------------------- reading
def found(args, ui, paths, output: str | None = None) -> list:
    """The input files under ``paths``, after checking every output of the command against them: none is an
    input (``check_paths``), none replaces an existing file without --force (``check_existing``; ``index
    build``'s folder has its own rule), and ``output``, a corpus written back, has the input's format."""
    sources = find_sources(paths, warn=ui.warn, skip_errors=args.skip_errors, all_files=args.all_files)
    check_paths(args.outputs, (), sources)
    if args.command != "index build":
        check_existing(args.outputs, getattr(args, "force", False))
    if output is not None and all(s.kind != "stdin" for s in sources):
        check_output(output, sources)
    return sources


def read(args, ui, paths, output: str | None = None) -> Corpus:
    """Read ``paths`` with a progress bar: ``with read(args, ui, paths) as corpus:``.

    The input files are found once (their sizes are the progress bar's
    total), and every output of the command (``args.outputs``, label -> path,
    set by ``main``) is checked against them (``check_paths``: a hard link to
    a file inside an input folder is caught here) before anything is read;
    with ``output``, a bad output path (another format, a non-empty folder)
    too.
    """
    sources = found(args, ui, paths, output)
    with ui.progress(total_bytes(sources), "reading") as bar:
        corpus = read_corpus(paths, text_field=args.text_field, id_field=args.id_field or "id",
                             id_field_given=args.id_field is not None, stdin_format=args.stdin_format,
                             skip_errors=args.skip_errors, warn=ui.warn, progress=bar.update, sources=sources,
                             encoding=args.encoding)
    ui.note(f"read {plural(len(corpus), 'document')} from {plural(len(corpus.sources), 'file')}, "
            f"{corpus.nbytes / 1e6:.2f} MB")
    return corpus


def stream(args, ui, paths, output: str | None = None):
    """The corpus under ``paths`` as a :class:`Stream`, read while it is indexed: ``with stream(...) as corpus:``.

    The same checks as :func:`read` come first (input files found, outputs
    checked against them); nothing is read until the stream is iterated.
    """
    from ._io._stream import Stream  # numpy: after parsing, not at import

    sources = found(args, ui, paths, output)
    return Stream(paths, sources, text_field=args.text_field, id_field=args.id_field or "id",
                  id_field_given=args.id_field is not None, stdin_format=args.stdin_format,
                  skip_errors=args.skip_errors, warn=ui.warn, encoding=args.encoding)


def on_stream(ui, corpus, reading: str, then: str, spill: dict, need: int, fn, **kwargs):
    """``fn(corpus.documents(), **kwargs)`` of the :class:`Stream` ``corpus`` within ``spill`` (``spilling``):
    a progress bar of the input's bytes (``reading``) while it is read, then a note of what was read and
    the status line ``then`` for the stages after reading."""
    bar = ui.progress(total_bytes(corpus.sources), reading)
    corpus.progress = bar.update

    def read_all(c):
        bar.close()
        ui.note(f"read {plural(len(c), 'document')} from {plural(len(c.sources), 'file')}, {c.nbytes / 1e6:.2f} MB")
        ui.status(then)

    corpus.at_end.append(read_all)
    try:
        return calling(ui, None, spilling, spill, need, fn, corpus.documents(), **kwargs)
    finally:
        bar.close()


def build_index(ui, corpus, config: dedup.Config, keep: str = "first", args=None):
    """``dedup.index`` of the corpus with ``config``, within ``--memory`` (spilling to ``--workdir``).

    A :class:`Stream` is read while it is indexed, with a progress bar of
    the input's bytes (rate and ETA), then a status line for the stages
    after reading; the index's ids are then the stream's (``DocIds``).
    """
    spill, need = spill_options(args, config, corpus.sources)
    streaming = getattr(corpus, "streaming", False)
    what = "the documents as they are read" if streaming else f"{plural(len(corpus), 'document')}"
    ui.note(f"indexing {what}" + (f" (work files, if any, in {spill['workdir']})" if spill else ""))
    if not streaming:
        idx = calling(ui, f"indexing {plural(len(corpus), 'document')}", spilling, spill, need, dedup.index,
                      zip(corpus.ids, corpus.texts), config=config, keep=keep)
        ui.stages(idx.stats)
        ui.note(f"indexed: {idx!r}")
        return idx
    idx = on_stream(ui, corpus, "read, shingle + sketch", "exact groups, buckets, verify", spill, need, dedup.index,
                    config=config, keep=keep)
    idx.ids = corpus.ids
    ui.stages(idx.stats)
    ui.note(f"indexed: {idx!r}")
    return idx


# --------------------------------------------------------------------------- the memory budget
def spill_options(args, config, sources) -> tuple[dict, int]:
    """``({memory, workdir, keep_workdir} for dedup.index, disk the work files need)``, after checking that the
    work directory's disk has room for what the input would spill (``({}, 0)`` without ``args``: the API's
    defaults)."""
    if args is None:
        return {}, 0
    memory = getattr(args, "memory", None)
    workdir = getattr(args, "workdir", None) or _output_folder(args) or tempfile.gettempdir()
    spill = {"memory": memory, "workdir": workdir, "keep_workdir": bool(getattr(args, "keep_workdir", None))}
    return spill, _check_room(workdir, memory, config, sources)


def budget_options(args) -> dict:
    """``{memory, workdir, keep_workdir}`` for the API calls that take a budget but build no index (collapse,
    blocks): --memory (default: half the RAM available), the work directory as ``spill_options`` places it."""
    from .._core._spill import default_memory

    memory = getattr(args, "memory", None)
    workdir = getattr(args, "workdir", None) or _output_folder(args) or tempfile.gettempdir()
    return {"memory": memory if memory is not None else default_memory(), "workdir": workdir,
            "keep_workdir": bool(getattr(args, "keep_workdir", None))}


def _output_folder(args) -> str | None:
    """The folder the command's output goes to (work files there share its file system: an index saved links
    them instead of copying), or None when it writes to standard output."""
    out = getattr(args, "output", None)
    if not out or out == "-":
        return None
    return os.path.dirname(os.path.abspath(out.rstrip("/\\") or out))


def _check_room(workdir: str, memory, config, sources) -> int:
    """Disk the work files of ``sources`` would take beyond ``memory`` (0: they fit in RAM); an InputError when
    ``workdir``'s file system has less free. Estimated from the input's size before anything is read:
    ``_stream.estimate_bytes`` of the text (compressed files by their headers), plus the sorted bands."""
    from .._indexing._pipeline import lsh_shape
    from .._core._spill import default_memory, parse_size
    from .._indexing._stream import estimate_bytes

    if any(s.kind == "stdin" for s in sources):
        return 0  # unknown until read
    chars = docs = 0
    for src in sources:
        size, n = text_bytes(src)
        chars += size
        docs += n if n is not None else max(1, size // 1000)  # about 1 KB a document when nobody says
    ram = parse_size(memory, "--memory") if memory is not None else default_memory()
    need = estimate_bytes(docs, chars, config)
    if need <= ram // 2:  # spools stay in RAM up to half the budget (_spill.Budget.take)
        return 0
    bands, _ = lsh_shape(config)
    need += 16 * bands * docs  # the sorted bands: order and keys, per band and document
    folder = workdir
    while not os.path.isdir(folder):
        folder = os.path.dirname(folder)
    free = shutil.disk_usage(folder).free
    if free < need:
        raise InputError(f"{workdir}: not enough space for the work files: about {byte_size(need)} are needed "
                         f"for {byte_size(chars)} of text beyond --memory {memory or byte_size(ram)}, and "
                         f"{byte_size(free)} are free (--workdir DIR puts them on a disk with room; a larger --memory "
                         "keeps more in RAM)")
    return need


def spilling(spill: dict, need: int, fn, *a, **kw):
    """``fn(*a, **kw, **spill)`` (``dedup.index``): a full disk under the work directory is one message naming it
    and the space needed; the API has removed the work files by then (unless --keep-workdir)."""
    try:
        return fn(*a, **kw, **spill)
    except OSError as e:
        if e.errno != errno.ENOSPC or not spill:
            raise
        left = ("what was written is kept there (--keep-workdir)" if spill["keep_workdir"] else
                "the work files were removed")
        needed = f"about {byte_size(need)} are needed" if need else "the input did not say how much it needs"
        raise InputError(f"{spill['workdir']}: No space left on device (ENOSPC) while writing the work files; "
                         f"{needed}; {left} (--workdir DIR puts them on a disk with room; a larger --memory keeps "
                         "more in RAM)") from None


def calling(ui, what: str | None, fn, *a, **kw):
    """``fn(*a, **kw)``, an API call, with a status line; a ValueError or TypeError is a UsageError."""
    if what is not None:
        ui.status(what)
    try:
        return fn(*a, **kw)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    finally:
        ui.status(None)


# --------------------------------------------------------------------------- writing
def mixed(*id_lists) -> bool:
    """Whether the ids mix strings and integers (then ``1`` and ``"1"`` must print differently)."""
    kinds = set()
    for ids in id_lists:
        kinds.update(map(type, ids))
    return len(kinds) > 1


def quote_ids(records: list[dict]) -> list[dict]:
    """Records for text output with every id written as Python writes it, ``'1'`` apart from ``1``."""
    q = repr
    out = []
    for r in records:
        r = dict(r)
        for key in ("keep", "id", "first"):
            if key in r:
                r[key] = q(r[key])
        if "ids" in r:
            r["ids"] = [q(x) for x in r["ids"]]
        if "pairs" in r:
            r["pairs"] = [[q(a), q(b), score] for a, b, score in r["pairs"]]
        if "matches" in r:
            r["matches"] = [[q(m), score] for m, score in r["matches"]]
        if isinstance(r.get("source"), dict):
            r["source"] = {**r["source"], "id": q(r["source"]["id"])}
        if "occurrences" in r:
            r["occurrences"] = [{**o, "id": q(o["id"])} for o in r["occurrences"]]
        out.append(r)
    return out


def emit(args, write) -> None:
    """Call ``write(out, style)`` on -o FILE (atomically) or standard output."""
    dest = getattr(args, "output", None) or "-"
    style = Style.for_stream(sys.stdout) if dest == "-" else Style(False)
    with atomic_file(dest, "w") as out:
        write(out, style)


def emit_records(args, records: list[dict], columns: list[str], text, *id_lists) -> None:
    """``records`` in ``--format``: for people, ``text(out, shown, style)``, where ``shown`` are the records
    with their ids quoted when ``id_lists`` mix strings and integers; else JSON Lines, JSON or CSV."""
    if args.format == "text":
        shown = quote_ids(records) if mixed(*id_lists) else records
        emit(args, lambda out, style: text(out, shown, style))
    else:
        emit(args, lambda out, style: write_records(out, records, args.format, columns))


@contextlib.contextmanager
def corpus_and_report(args, corpus: Corpus, report: str, records: list[dict], columns: list[str], *, keep=None,
                      texts=None):
    """Write the corpus to -o (``write_corpus``) and ``records`` as JSON Lines to ``report``; both appear when the
    ``with`` block ends (what it saves too), or neither. Yields the number of documents written."""
    with Outputs() as outputs:
        written = write_corpus(corpus, args.output, keep=keep, texts=texts, text_field=args.text_field,
                               outputs=outputs)
        with atomic_file(report, "w", outputs=outputs) as out:
            write_records(out, records, "jsonl", columns)
        yield written


def write_with_report(args, corpus: Corpus, report: str, records: list[dict], columns: list[str], *, keep=None,
                      texts=None) -> int:
    """``corpus_and_report`` with nothing else to do: documents written."""
    with corpus_and_report(args, corpus, report, records, columns, keep=keep, texts=texts) as written:
        return written
