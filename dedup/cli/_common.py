"""What every command shares: options checked against the API's own rules, the corpus read once, output emitted.

Nothing here decides what is a duplicate: that is ``dedup.index``,
``dedup.collapse``, ``dedup.blocks`` and ``dedup.passages``. Importing this
module imports neither numpy nor numba (``near-dups --help`` stays fast).
"""

from __future__ import annotations

import codecs
import contextlib
import sys

import dedup

from .._options import INDEX
from ._errors import UsageError
from ._paths import check_output, check_paths
from ._read import Corpus, read_corpus
from ._render import Style, write_records
from ._sources import find_sources, total_bytes
from ._write import Outputs, atomic_file, write_corpus

#: Options a saved index was built with; given to ``index add/query/filter``, they must match it.
FIXED_BY_INDEX = ("ngram", "shingle", "num_perm", "seed", "sketch")
#: The shared options that go to ``dedup.Config`` (``--threshold`` ... ``--sketch``).
INDEX_OPTIONS = ("threshold", "ngram", "shingle", "num_perm", "seed", "sketch")


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
    """The options of every run that no config holds: ``--encoding``, ``--lock-timeout``, ``--jobs``."""
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
def read(args, ui, paths, output: str | None = None) -> Corpus:
    """Read ``paths`` with a progress bar: ``with read(args, ui, paths) as corpus:``.

    The input files are found once (their sizes are the progress bar's
    total), and every output of the command (``args.outputs``, label -> path,
    set by ``main``) is checked against them (``check_paths``: a hard link to
    a file inside an input folder is caught here) before anything is read;
    with ``output``, a bad output path (another format, a non-empty folder)
    too.
    """
    sources = find_sources(paths, warn=ui.warn, skip_errors=args.skip_errors)
    check_paths(args.outputs, (), sources)
    if output is not None and all(s.kind != "stdin" for s in sources):
        check_output(output, sources)
    with ui.progress(total_bytes(sources), "reading") as bar:
        corpus = read_corpus(paths, text_field=args.text_field, id_field=args.id_field or "id",
                             id_field_given=args.id_field is not None, stdin_format=args.stdin_format,
                             skip_errors=args.skip_errors, warn=ui.warn, progress=bar.update, sources=sources,
                             encoding=args.encoding)
    ui.note(f"read {len(corpus)} documents from {len(corpus.sources)} file(s), {corpus.nbytes / 1e6:.2f} MB")
    return corpus


def build_index(ui, corpus: Corpus, config: dedup.Config, keep: str = "first"):
    """``dedup.index`` of the corpus with ``config``."""
    ui.note(f"indexing {len(corpus)} documents")
    idx = calling(ui, f"indexing {len(corpus)} documents", dedup.index, zip(corpus.ids, corpus.texts), config=config,
                  keep=keep)
    ui.note(f"indexed: {idx!r}")
    return idx


def calling(ui, what: str, fn, *a, **kw):
    """``fn(*a, **kw)``, an API call, with a status line; a ValueError or TypeError is a UsageError."""
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
