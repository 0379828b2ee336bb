"""``near-dups index build|add|query|filter|remove``: a saved index on disk, and new documents checked against it."""

from __future__ import annotations

import contextlib
import textwrap

import dedup

from .._core._options import LOCK_TIMEOUT
from . import _render
from ._command import Command, PathArg
from ._common import (
    FIXED_BY_INDEX,
    INDEX_OPTIONS,
    SPILL_OPTIONS,
    build_index,
    configured,
    corpus_and_report,
    emit_records,
    flag,
    given,
    index_config,
    read,
    stream,
)
from ._io._errors import EXIT_FOUND, EXIT_OK, InputError, UsageError
from ._io._sources import total_bytes
from ._saved import (
    HELD_COLUMNS,
    as_indexed,
    check_id_kinds,
    check_index_output,
    held_records,
    ids_to_remove,
    must_exist,
    n_pairs,
    new_to_index,
    open_index,
    query_threshold,
    quietly,
    save,
    writing,
)
from ._io._ui import number, plural

#: The index's group in ``near-dups --help``, and the first line of ``near-dups index --help``.
GROUP_HELP = ("keep a saved index on disk", "Keep a near-duplicate index on disk and check new documents against it.")


def check_index_options(args) -> None:
    """``configure`` of the commands that open a saved index: the options given are valid (the index's config
    applies; ``open_index`` refuses those that differ from it)."""
    configured(dedup.Config, given(args, INDEX_OPTIONS))


# --------------------------------------------------------------------------- arguments
def _paths(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")


def _saved(p, *, paths: bool = True) -> None:
    p.add_argument("index", metavar="IDX", help="folder of a saved index (made by near-dups index build)")
    if paths:
        _paths(p)
    p.add_argument("--no-verify", action="store_true",
                   help="skip the index's checksums (faster open of a large index you wrote yourself)")


def _locking(p) -> None:
    p.add_argument("--lock-timeout", type=float, default=LOCK_TIMEOUT, metavar="SECONDS",
                   help=f"wait at most SECONDS for another process writing the index (default: {LOCK_TIMEOUT:g}; "
                        "0: do not wait)")


def _skip_existing(p, help_: str) -> None:
    p.add_argument("--skip-existing", action="store_true", help=help_)


# =========================================================================== build
def build_arguments(p) -> None:
    _paths(p)
    p.add_argument("-o", "--output", metavar="IDX", required=True, help="folder to save the index in (new or empty)")
    p.add_argument("--force", action="store_true", help="replace an index already saved in IDX")
    _locking(p)


def run_build(args, ui) -> int:
    check_index_output(args.output, args.force)
    with stream(args, ui, args.paths) as corpus:
        corpus.at_end.append(check_id_kinds)  # a mix is refused once read, before the work after reading
        idx = build_index(ui, corpus, args.config, args=args)
        idx.ids = corpus.ids.as_saved()
        with writing(args, ui, args.output):
            check_index_output(args.output, args.force)  # another build may have saved here meanwhile
            save(args, ui, idx, args.output)
        pairs = n_pairs(idx)
        ui.summary(corpus, f"index of {plural(len(idx), 'document')} ({plural(pairs, 'near-duplicate pair')}) "
                           f"saved to {args.output}")
    return EXIT_FOUND if args.fail_on_duplicates and pairs else EXIT_OK


BUILD = Command(
    name="index build", arguments=build_arguments, run=run_build, configure=index_config,
    help="index documents and save the index to a folder",
    description="Index documents and save the index to the folder IDX.",
    usage="PATH... -o IDX",
    examples=("near-dups index build corpus/ -o corpus.idx",
              "near-dups index build data.jsonl.gz -o data.idx --threshold 0.7 --ngram 3"),
    notes=textwrap.fill(
        "IDX is a folder of .npy arrays and a manifest (no pickle), written atomically: a crash leaves the previous "
        "index loadable. The similarity options are saved with it; `index add`, `query` and `filter` use them "
        f"(giving another {', '.join(map(flag, FIXED_BY_INDEX))} to them is an error). An existing index is "
        "replaced only with --force.", 78, break_on_hyphens=False),
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o")))


# =========================================================================== add
def add_arguments(p) -> None:
    _saved(p)
    _skip_existing(p, "skip documents whose id is already in the index (default: stop with an error)")
    _locking(p)


def run_add(args, ui) -> int:
    must_exist(args)
    with read(args, ui, args.paths) as corpus:
        with writing(args, ui, args.index):
            idx = open_index(args, ui, FIXED_BY_INDEX + ("threshold",))  # loaded under the lock: the latest
            new = new_to_index(args, ui, idx, corpus)
            n_old = len(idx)
            if new:
                ui.status(f"adding {plural(len(new), 'document')}")
                try:
                    quietly(idx.add, [(corpus.ids[k], corpus.texts[k]) for k in new])
                finally:
                    ui.status(None)
                save(args, ui, idx, args.index)
        touched = idx._pairs_with_new(n_old)
        skipped = len(corpus) - len(new)
        ui.summary(corpus, f"{number(len(new))} added{f' ({number(skipped)} already indexed)' if skipped else ''}, "
                           f"{plural(touched, 'new near-duplicate pair')}, index of "
                           f"{plural(len(idx), 'document')} {'saved to' if new else 'unchanged in'} {args.index}")
    return EXIT_FOUND if args.fail_on_duplicates and touched else EXIT_OK


ADD = Command(
    name="index add", arguments=add_arguments, run=run_add, configure=check_index_options, ignores=SPILL_OPTIONS,
    help="add documents to a saved index",
    description="Add documents to the index saved in IDX and save it again, atomically.",
    usage="IDX PATH...",
    examples=("near-dups index add corpus.idx more/",
              "near-dups index add corpus.idx crawl.jsonl.gz --skip-existing"),
    notes="""\
Ids are made as by the other commands (file path, id field, or FILE:LINE) and
must be new to the index (--skip-existing skips those that are not). The
index is saved again atomically; it then equals one built from all the
documents. --fail-on-duplicates exits 1 when an added document is a
near-duplicate of another document of the index.""",
    paths=(PathArg("index", "write", "index"), PathArg("paths", "read")))


# =========================================================================== query
def query_arguments(p) -> None:
    _saved(p)
    _render.format_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def run_query(args, ui) -> int:
    idx = open_index(args, ui)
    t = query_threshold(args, ui, idx)
    with stream(args, ui, args.paths) as corpus:
        found: dict = {}  # position -> matches, of the documents with any
        with ui.progress(total_bytes(corpus.sources), "read, query") as bar:
            corpus.progress = bar.update
            for texts in corpus.batches():  # each batch queried as it is read, then dropped
                start = len(corpus) - len(texts)
                for k, matches in enumerate(quietly(idx.query_many, texts, threshold=t), start):
                    if matches:
                        found[k] = matches
        records = _render.match_records(corpus.ids, found, corpus.where)

        def text(out, shown, style):
            texts = corpus.texts_at(found)  # a second pass, for the excerpts of the documents with matches
            _render.render_matches(out, shown, [texts[k] for k in sorted(found)], n_docs=len(corpus),
                                   n_indexed=len(idx), threshold=idx.config.threshold if t is None else t,
                                   style=style)

        emit_records(args, records, _render.MATCH_COLUMNS, text, corpus.ids, idx.ids[:1])
        ui.summary(corpus, f"{number(len(records))} with near-duplicates among the "
                           f"{plural(len(idx), 'indexed document')}")
    return EXIT_FOUND if args.fail_on_duplicates and records else EXIT_OK


QUERY = Command(
    name="index query", arguments=query_arguments, run=run_query, configure=check_index_options, ignores=SPILL_OPTIONS,
    help="list each document's near-duplicates in a saved index, with scores",
    description="List, for each input document, its near-duplicates in the index saved in IDX, with their exact "
                "Jaccard similarities. The index is not changed.",
    usage="IDX PATH...",
    examples=("near-dups index query corpus.idx new/",
              "near-dups index query corpus.idx posts.jsonl --format jsonl --threshold 0.9",
              "near-dups index query corpus.idx draft.txt --fail-on-duplicates -q     # CI gate"),
    notes="""\
For each input document that has near-duplicates in the index: its id, where
it was read (source), and "matches", [[indexed id, jaccard], ...] best first
(exact Jaccard). --threshold may be raised above the index's; below it,
matches are found only with the probability of the index's LSH.""",
    paths=(PathArg("index", "read"), PathArg("paths", "read"), PathArg("output", "write", "-o")))


# =========================================================================== filter
def filter_arguments(p) -> None:
    _saved(p)
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="output file (one input) or folder")
    p.add_argument("--report", metavar="FILE",
                   help="where the JSONL report of the documents held back goes (default: OUT.held.jsonl)")
    p.add_argument("--add", action="store_true", help="add the documents written to the index, and save it")
    _skip_existing(p, "with --add: skip documents whose id is already in the index (default: an error)")
    _locking(p)


def run_filter(args, ui) -> int:
    if args.skip_existing and not args.add:
        raise UsageError("--skip-existing applies with --add only")
    must_exist(args)
    with read(args, ui, args.paths, output=args.output) as corpus:
        with writing(args, ui, args.index) if args.add else contextlib.nullcontext():
            idx = open_index(args, ui)  # with --add: loaded under the lock, the latest
            t = query_threshold(args, ui, idx)
            candidates = new_to_index(args, ui, idx, corpus) if args.add else list(range(len(corpus)))
            ui.status(f"filtering {plural(len(corpus), 'document')}")
            held: list = []
            try:
                docs = [(corpus.ids[k], corpus.texts[k]) for k in candidates]
                passed = {doc_id for doc_id, _ in quietly(idx.filter_new, docs, add=args.add, threshold=t, held=held)}
            finally:
                ui.status(None)
            keep = [doc_id in passed for doc_id in corpus.ids]  # ids are unique within a corpus
            with corpus_and_report(args, corpus, args.report, held_records(corpus, held), HELD_COLUMNS,
                                   keep=keep) as written:  # OUT and the report appear once the index is saved
                if args.add and passed:
                    save(args, ui, idx, args.index)
        skipped = f" ({number(len(corpus) - len(candidates))} already indexed)" if len(candidates) < len(corpus) else ""
        added = f", added to {args.index} ({plural(len(idx), 'document')})" if args.add else ""
        ui.summary(corpus, f"{number(len(held))} held back as near-duplicates{skipped}, {number(written)} written to "
                           f"{args.output}{added}, report in {args.report}")
    return EXIT_FOUND if args.fail_on_duplicates and held else EXIT_OK


FILTER = Command(
    name="index filter", arguments=filter_arguments, run=run_filter, configure=check_index_options,
    ignores=SPILL_OPTIONS,
    help="write the documents that duplicate nothing in a saved index",
    description="Write the input documents that are near-duplicates of nothing in the index saved in IDX (nor of an "
                "earlier input document); with --add, add them to the index.",
    usage="IDX PATH... -o OUT [--add]",
    examples=("near-dups index filter corpus.idx crawl.jsonl -o fresh.jsonl --add",
              "near-dups index filter corpus.idx new/ -o fresh/"),
    notes="""\
Writes, in the input's format, the documents that duplicate nothing in the
index nor an earlier document of the input (judged in input order), and a
report (--report, default OUT.held.jsonl) with one JSON line per document
held back: id, source (file:line), matched (the indexed or earlier input
document it duplicates), matched_in ("index" or "input"), jaccard, reason.
With --add they are also added to the index; OUT and the report appear only
once the index is saved. --fail-on-duplicates exits 1 when any document was
held back.""",
    paths=(PathArg("index", "read", "index", written_with="add"), PathArg("paths", "read"),
           PathArg("output", "write", "-o"), PathArg("report", "write", "--report", side=("output", "held"))))


# =========================================================================== remove
def remove_arguments(p) -> None:
    _saved(p, paths=False)
    p.add_argument("ids", nargs="*", metavar="ID", help="ids of indexed documents")
    p.add_argument("--ids-from", metavar="FILE", help="read ids from FILE, one per line (- for standard input)")
    p.add_argument("--missing-ok", action="store_true", help="skip ids that are not in the index (default: an error)")
    _locking(p)


def run_remove(args, ui) -> int:
    wanted = ids_to_remove(args)
    must_exist(args)
    with writing(args, ui, args.index):
        idx = open_index(args, ui, ())  # loaded under the lock: the latest
        wanted = as_indexed(idx, wanted)
        found = idx.contains(wanted).tolist()
        missing = [w for w, ok in zip(wanted, found) if not ok]
        if missing and not args.missing_ok:
            more = f" (and {plural(len(missing) - 1, 'other id')})" if len(missing) > 1 else ""
            raise InputError(f"{args.index}: no document with id {missing[0]!r}{more}; --missing-ok skips ids "
                             "that are not indexed")
        present = [w for w, ok in zip(wanted, found) if ok]
        if present:
            ui.status(f"removing {plural(len(present), 'document')}")
            try:
                idx.remove(present, memory=args.memory, workdir=args.workdir)
            finally:
                ui.status(None)
            save(args, ui, idx, args.index)
    skipped = f" ({number(len(missing))} not indexed)" if missing else ""
    ui.summary(None, f"{number(len(present))} removed{skipped}, index of {plural(len(idx), 'document')} "
                     f"({plural(n_pairs(idx), 'near-duplicate pair')}) {'saved to' if present else 'unchanged in'} "
                     f"{args.index}")
    return EXIT_OK


REMOVE = Command(
    name="index remove", arguments=remove_arguments, run=run_remove, configure=check_index_options,
    ignores=("keep_workdir",),
    reads_inputs=False, rest="ids",
    help="remove documents from a saved index by id",
    description="Remove the documents with the given ids from the index saved in IDX and save it again, atomically.",
    usage="IDX (ID... | --ids-from FILE)",
    examples=("near-dups index remove corpus.idx corpus/001_4be3d47db556df85.txt",
              "near-dups index remove corpus.idx --ids-from takedown.txt --missing-ok"),
    notes="""\
Removes documents by id (as the index lists them: file path, id field, or
FILE:LINE; --ids-from reads one id per line, - for standard input) and saves
the index again, atomically; it then equals one built without them. An id
that is not indexed is an error naming it, unless --missing-ok. The index is
rewritten without them out of core: --memory bounds the RAM it uses and
--workdir says where its work files go (about the index's size).""",
    paths=(PathArg("index", "write", "index"), PathArg("ids_from", "read")))

#: The commands of ``near-dups index``, in the order of its help.
COMMANDS = (BUILD, ADD, QUERY, FILTER, REMOVE)
