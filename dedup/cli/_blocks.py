"""``near-dups collapse`` (every document with its repeated blocks removed) and ``near-dups blocks`` (the
repeated blocks, and where they occur)."""

from __future__ import annotations

import argparse
import json

import dedup

from .._core import _options
from .._core._options import MODES, REMOVABLE
from . import _render
from ._command import Command, PathArg
from ._common import SPILL_OPTIONS, calling, configured, emit_records, given, read, write_with_report
from ._io._errors import EXIT_FOUND, EXIT_OK, UsageError
from ._io._ui import plural

#: The options that go to ``dedup.CollapseConfig`` (``blocks`` has no --mode or --remove).
COLLAPSE_OPTIONS = ("unit", "mode", "remove", "threshold", "ngram", "num_perm", "seed", "passages")
#: Modes that change the text; the API's third, ``report``, is ``--dry-run`` here.
TEXT_MODES = tuple(m for m in MODES if m != "report")


def collapse_config(args) -> dedup.CollapseConfig:
    """``configure`` of collapse and blocks: ``dedup.CollapseConfig`` of the options given."""
    return configured(dedup.CollapseConfig, given(args, COLLAPSE_OPTIONS))


def collapse_configure(args) -> dedup.CollapseConfig:
    """``configure`` of collapse: ``-o`` and ``--dry-run`` exclude each other (one of them is required)."""
    if args.dry_run:
        for value, flag in ((args.output, "-o"), (args.removals, "--removals")):
            if value is not None:
                raise UsageError(f"{flag} and --dry-run exclude each other: a dry run writes nothing (it prints the "
                                 "removals; redirect them with > FILE)")
    elif not args.output:
        raise UsageError("-o/--output is required (or --dry-run to only report)")
    return collapse_config(args)


def _kinds(value: str) -> tuple:
    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    bad = [k for k in kinds if k not in REMOVABLE]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(f"kinds must be from {','.join(REMOVABLE)}, got {value!r}")
    return kinds


def _collapsed(args, ui, corpus, what: str):
    """``dedup.collapse`` or ``dedup.blocks`` of the corpus with the command's config (collapse on Dask with
    --dask or --scheduler)."""
    if what == "collapse" and (args.dask or args.scheduler):
        return _dask_collapse(args, ui, corpus)
    ui.note(f"dedup.{what}(config={args.config})")
    fn = dedup.collapse if what == "collapse" else dedup.blocks
    return calling(ui, f"{what}: {plural(len(corpus), 'document')}", fn, zip(corpus.ids, corpus.texts),
                   config=args.config)


def _dask_collapse(args, ui, corpus):
    """``dedup.collapse`` on Dask: a new LocalCluster (--dask) or the one at --scheduler."""
    try:
        from . import _dask
        import dedup.dask  # noqa: F401  (its ImportError names the pip command)
    except ImportError as e:
        raise UsageError(f"--dask/--scheduler: {e}") from None
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else "a local Dask cluster"
    ui.note(f"dedup.dask.collapse(config={args.config}) on {where}")
    return calling(ui, f"collapse: {plural(len(corpus), 'document')} on {where}", _dask.collapse, corpus.ids,
                   corpus.texts, scheduler=args.scheduler, config=args.config)


# =========================================================================== collapse
def collapse_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    _render.format_argument(p)
    p.add_argument("-o", "--output", metavar="OUT", help="output file (one input) or folder; required unless --dry-run")
    p.add_argument("--removals", metavar="FILE", help="where the JSONL removals go (default: OUT.removals.jsonl)")
    p.add_argument("--dry-run", action="store_true",
                   help="write nothing; print the removals (in --format) instead of -o")
    p.add_argument("--mode", choices=TEXT_MODES,
                   help="keep the first copy of each repeated block, or remove every copy of boilerplate "
                        f"(default: {TEXT_MODES[0]})")
    p.add_argument("--remove", type=_kinds, metavar="KINDS",
                   help=f"comma-separated kinds to remove, from {','.join(REMOVABLE)} (default: all)")
    p.add_argument("--passages", action="store_true", default=None,
                   help="also report passages of 8+ words shared with an earlier document inside kept blocks "
                        "(kind passage; reported, never removed)")
    g = p.add_argument_group("dask (pip install \"near-dups[dask]\")")
    g.add_argument("--dask", action="store_true",
                   help="collapse on a local Dask cluster of worker processes (same answers)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="collapse on the running Dask cluster at ADDRESS (tcp://host:8786)")


def run_collapse(args, ui) -> int:
    with read(args, ui, args.paths, output=None if args.dry_run else args.output) as corpus:
        results = _collapsed(args, ui, corpus, "collapse")
        removals = _render.removal_records(results, corpus.texts)
        touched = len({json.dumps(r["id"]) for r in removals})  # 1 and "1" are two documents
        if args.dry_run:
            emit_records(args, removals, _render.REMOVAL_COLUMNS, lambda out, shown, style: _render.render_removals(
                out, shown, n_docs=len(corpus), style=style), corpus.ids)
            where = "dry run, nothing written"
        else:
            write_with_report(args, corpus, args.removals, removals, _render.REMOVAL_COLUMNS,
                              texts=[r.text for r in results])
            where = f"written to {args.output}, removals in {args.removals}"
        ui.summary(corpus, f"{plural(len(removals), 'removal')} in {plural(touched, 'document')}, {where}")
    return EXIT_FOUND if args.fail_on_duplicates and removals else EXIT_OK


COLLAPSE = Command(
    name="collapse", arguments=collapse_arguments, run=run_collapse, configure=collapse_configure,
    ignores=("shingle", "sketch", *SPILL_OPTIONS),
    help="write every document with repeated blocks collapsed, plus the removals",
    description="Write every document with repeated blocks and syndicated paragraphs removed, and the removals as "
                "JSON Lines.",
    usage="PATH... (-o OUT | --dry-run)",
    examples=("near-dups collapse corpus/ -o collapsed/",
              "near-dups collapse data.jsonl -o collapsed.jsonl --unit line",
              "near-dups collapse corpus/ --dry-run"),
    notes="""\
Every document is written, in the input's format, with its repeated blocks
removed; each removal is one JSON line in --removals: id, start, end (character
offsets in the original text), kind, similarity, source ({id, start, end} of
the copy that was kept) and the removed text.""",
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o"),
           PathArg("removals", "write", "--removals", side=("output", "removals"))))


# =========================================================================== blocks
def blocks_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    _render.format_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def run_blocks(args, ui) -> int:
    with read(args, ui, args.paths) as corpus:
        blocks = _render.block_records(_collapsed(args, ui, corpus, "blocks"), _render.copies(corpus.ids, corpus.texts))
        emit_records(args, blocks, _render.BLOCK_COLUMNS, lambda out, shown, style: _render.render_blocks(
            out, shown, n_docs=len(corpus), style=style), corpus.ids)
        ui.summary(corpus, f"{plural(len(blocks), 'repeated block')}")
    return EXIT_FOUND if args.fail_on_duplicates and blocks else EXIT_OK


BLOCKS = Command(
    name="blocks", arguments=blocks_arguments, run=run_blocks, configure=collapse_config,
    ignores=("shingle", "sketch", *SPILL_OPTIONS),
    help="list repeated blocks and where they occur",
    description="List blocks (lines or paragraphs) that occur more than once, and where.",
    usage="PATH...",
    examples=("near-dups blocks corpus/",
              "near-dups blocks pages.jsonl.gz --unit line --format jsonl"),
    notes=f"""\
Each block: its text, how often and where it occurs (id, start, end as
character offsets), and its kind by the documents it occurs in: repeat (one
document), syndicated (two), boilerplate (three or more). `near-dups
collapse` removes a syndicated copy only when it has {_options.COLLAPSE['min_words']} words or more.
The text shown is the first copy's own (the one collapse keeps); copies are
matched without their punctuation, so where they differ (\"Files: *\" and
\"Files:\"), the listing says how, and each other copy carries its own
"text".""",
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o")))
