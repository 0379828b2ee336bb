"""``near-dups collapse`` (every document with its repeated blocks removed) and ``near-dups blocks`` (the
repeated blocks, and where they occur)."""

from __future__ import annotations

import argparse
import contextlib
import functools
from typing import NamedTuple

import dedup

from .._core import _options
from .._core._options import MODES, REMOVABLE
from . import _render
from ._command import Command, PathArg
from ._common import (
    budget_options,
    calling,
    configured,
    emit_records,
    given,
    on_stream,
    read,
    spilling,
    stream,
)
from ._io._errors import EXIT_FOUND, EXIT_OK, UsageError
from ._io._ui import plural
from ._io._write import Outputs, atomic_file, write_corpus

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


def _dask_collapse(args, ui, corpus):
    """``dedup.collapse`` on Dask: a new LocalCluster (--dask) or the one at --scheduler."""
    try:
        import dedup.dask  # noqa: F401  (its ImportError names the pip command)

        from . import _dask
    except ImportError as e:
        raise UsageError(f"--dask/--scheduler: {e}") from None
    if args.keep_workdir:
        raise UsageError("--keep-workdir does not apply with --dask/--scheduler: dedup.dask.collapse removes its "
                         "work directory (leave it out, or collapse without --dask)")
    spill = budget_options(args)
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else "a local Dask cluster"
    ui.note(f"dedup.dask.collapse(config={args.config}, memory={spill['memory']}) on {where}")
    return calling(ui, f"collapse: {plural(len(corpus), 'document')} on {where}", _dask.collapse, corpus.ids,
                   corpus.texts, scheduler=args.scheduler, config=args.config, memory=spill["memory"],
                   workdir=spill["workdir"])


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
    """Read the input as a stream (features of each chunk, within --memory), make the plan, then write every
    document and its removals as collapse cuts them (a second pass over the input; nothing is held whole).
    With --dask or --scheduler, the corpus is read, collapsed on the cluster, then written the same way."""
    on_dask = bool(args.dask or args.scheduler)
    opener = read if on_dask else stream
    with opener(args, ui, args.paths, output=None if args.dry_run else args.output) as corpus:
        if on_dask:
            results = _dask_collapse(args, ui, corpus)
            done = contextlib.nullcontext()

            def chunks(then):
                yield then(0, results, corpus.texts)
        else:
            out = _stream_collapse(args, ui, corpus)
            done, chunks = out, out.chunks
        ids = corpus.ids
        # The stream's results are numbered by position; the cluster's carry the ids.
        id_of = (lambda x: x) if on_dask else ids.__getitem__
        counts = [0, 0]  # removals, documents touched
        removals: list = []

        with done:
            if args.dry_run:
                ui.status("cutting")
                for _, docs, originals in chunks(lambda *chunk: chunk):
                    recs = _render.removal_records(docs, originals, id_of)
                    removals += recs
                    counts[1] += sum(1 for d in docs if len(d.removed))
                counts[0] = len(removals)
                ui.status(None)
                emit_records(args, removals, _render.REMOVAL_COLUMNS, lambda o, shown, style: _render.render_removals(
                    o, shown, n_docs=len(corpus), style=style), ids)
                where = "dry run, nothing written"
            else:
                lines = _render.RemovalLines(id_of)
                with Outputs() as outputs, atomic_file(args.removals, "wb", outputs=outputs) as rout:
                    def write(chunk: _Written):
                        counts[0] += chunk.removals
                        counts[1] += chunk.touched
                        rout.write(chunk.lines)

                    texts = InOrder(chunks(functools.partial(_written, lines=lines, by_position=not on_dask)),
                                    write)
                    calling(ui, "cutting, writing", write_corpus, corpus, args.output, texts=texts,
                            text_field=args.text_field, outputs=outputs)
                    texts.finish()
                where = f"written to {args.output}, removals in {args.removals}"
        ui.summary(corpus, f"{plural(counts[0], 'removal')} in {plural(counts[1], 'document')}, {where}")
    return EXIT_FOUND if args.fail_on_duplicates and counts[0] else EXIT_OK


def _stream_collapse(args, ui, corpus):
    """``dedup.collapse`` of the stream ``corpus`` within --memory: the plan made, a ``Collapsing`` to iterate."""
    spill = budget_options(args)
    ui.note(f"dedup.collapse(config={args.config}, memory={spill['memory']})")
    out = on_stream(ui, corpus, "read, cut + shingle blocks", "groups of blocks, decisions", spill, 0, dedup.collapse,
                    config=args.config)
    ui.swept(out.stats["swept"])
    return out


class _Written(NamedTuple):
    """What writing one cut chunk takes, made ahead of the writer (``_written``)."""

    d0: int
    texts: list  # per document: its cleaned text, or None when collapse left it as it was
    lines: object  # its removals, JSON Lines (bytes, or the uint8 array of ``_lines.removal_lines``)
    removals: int
    touched: int  # documents with a removal
    slot: object  # int64 per document: -1 left as it was, -2 a new text without its JSON, else its JSON's row
    json: tuple  # (data, offsets): the JSON of the cleaned texts (``_lines.json_strings``), rows of ``slot``


def _written(d0, docs, originals, lines, by_position: bool) -> _Written:
    """The ``_Written`` of a chunk ``(d0, docs, originals)``, on the thread that cuts them: with documents
    numbered by position, its removal lines and its new texts' JSON are kernel-built at once (ids from
    ``lines.json_of``); otherwise (Dask's results) and where a text holds a lone surrogate, line by line."""
    import numpy as np

    from .._blocks._records import removal_rows
    from . import _lines

    texts = [None if d.text is o else d.text for d, o in zip(docs, originals)]
    edited = [k for k, t in enumerate(texts) if t is not None]
    slot = np.full(len(texts), -1, dtype=np.int64)
    slot[edited] = -2
    data, enc = None, (np.zeros(0, dtype=np.uint8), np.zeros(1, dtype=np.int64))
    if by_position:
        rows = removal_rows(docs)
        n, touched = rows[1].shape[0], int(np.count_nonzero(rows[0]))
        data = _lines.removal_lines(originals, d0, rows, lines.json_of)
        cut = getattr(originals, "edited", None)  # the cut's code points of the new texts (``Held``)
        cps = cut[1:] if cut is not None and cut[0].tolist() == edited else None
        got = _lines.json_strings([texts[k] for k in edited], cps) if edited else None
        if got is not None:
            slot[edited] = np.arange(len(edited))
            enc = got
    else:
        n, touched = sum(len(d.removed) for d in docs), sum(1 for d in docs if len(d.removed))
    if data is None:  # (a lone surrogate: UTF-8 cannot hold it, and encode says so)
        data = "".join(lines(d, o) for d, o in zip(docs, originals)).encode("utf-8")
    return _Written(d0, texts, data, n, touched, slot, enc)


class InOrder:
    """``texts[i]`` of documents 0, 1, 2, ... asked in order (``write_corpus``'s second pass): each document's
    cleaned text, from the ``_Written`` chunks as collapse cuts them, or None for a document that collapse
    left as it was (its record is then copied byte for byte); ``edits(i)`` the JSON of a chunk's texts at
    once. ``on_chunk(chunk)`` is called once for each chunk, in order, when its first document is asked for
    (``finish`` runs it for those never asked for)."""

    def __init__(self, chunks, on_chunk):
        self._it = iter(chunks)
        self._on = on_chunk
        self._lo = self._hi = 0
        self._chunk = None

    def __getitem__(self, i: int) -> str:
        if i < self._lo:
            raise IndexError(f"document {i} was asked for after document {self._lo}")
        while self._hi <= i:
            chunk = next(self._it)
            self._on(chunk)
            self._chunk = chunk
            self._lo, self._hi = chunk.d0, chunk.d0 + len(chunk.texts)
        return self._chunk.texts[i - self._lo]

    def edits(self, i: int) -> tuple:
        """``(lo, hi, slot, data, offsets)`` of the chunk holding document ``i`` (asked in order, as
        ``texts[i]``): its documents ``lo:hi``, and the new texts' JSON, document ``lo + k``'s at
        ``data[offsets[slot[k]] : offsets[slot[k] + 1]]`` (``_Written.slot``)."""
        self[i]
        c = self._chunk
        return self._lo, self._hi, c.slot, *c.json

    def finish(self) -> None:
        for chunk in self._it:
            self._on(chunk)


COLLAPSE = Command(
    name="collapse", arguments=collapse_arguments, run=run_collapse, configure=collapse_configure,
    ignores=("shingle", "sketch"),
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
the copy that was kept) and the removed text. The input is read twice: once
for the blocks' features (within --memory, spilled to --workdir past it),
once to write the documents as they are cut; no text is held whole.""",
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o"),
           PathArg("removals", "write", "--removals", side=("output", "removals"))))


# =========================================================================== blocks
def blocks_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    _render.format_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def run_blocks(args, ui) -> int:
    with read(args, ui, args.paths) as corpus:
        ui.note(f"dedup.blocks(config={args.config})")
        groups = calling(ui, f"blocks: {plural(len(corpus), 'document')}", spilling, budget_options(args), 0,
                         dedup.blocks, zip(corpus.ids, corpus.texts), config=args.config)
        blocks = _render.block_records(groups, _render.copies(corpus.ids, corpus.texts))
        emit_records(args, blocks, _render.BLOCK_COLUMNS, lambda out, shown, style: _render.render_blocks(
            out, shown, n_docs=len(corpus), style=style), corpus.ids)
        ui.summary(corpus, f"{plural(len(blocks), 'repeated block')}")
    return EXIT_FOUND if args.fail_on_duplicates and blocks else EXIT_OK


BLOCKS = Command(
    name="blocks", arguments=blocks_arguments, run=run_blocks, configure=collapse_config,
    ignores=("shingle", "sketch"),
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
