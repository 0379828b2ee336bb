"""``near-dups find`` (clusters of near-duplicate documents, for pipelines) and ``near-dups dedup`` (the corpus
without them)."""

from __future__ import annotations

from .._core._options import KEEP
from . import _render
from ._command import Command, PathArg
from ._common import build_index, calling, emit_records, index_config, option, read, stream, write_with_report
from ._io._errors import EXIT_FOUND, EXIT_OK, UsageError
from ._io._ui import number, plural


def _keep(p, help_: str) -> None:
    p.add_argument("--keep", choices=KEEP, default=KEEP[0], help=f"{help_} (default: {KEEP[0]})")


# =========================================================================== find
def find_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    _render.format_argument(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    _keep(p, "which member each cluster keeps")


def run_find(args, ui) -> int:
    with stream(args, ui, args.paths) as corpus:
        idx = build_index(ui, corpus, args.config, keep=args.keep, args=args)
        records, members = _render.cluster_records(idx, args.keep)

        def text(out, shown, style):
            texts = corpus.texts_at(p for pos in members for p in pos)  # a second pass, for the excerpts
            _render.render_clusters(out, shown, members, texts, n_docs=len(corpus),
                                    threshold=option(args, "threshold"), ngram=option(args, "ngram"), style=style,
                                    shingle=option(args, "shingle"))

        emit_records(args, records, _render.CLUSTER_COLUMNS, text, corpus.ids)
        n_dup = sum(r["size"] - 1 for r in records)
        ui.summary(corpus, f"{plural(len(records), 'cluster')} ({plural(n_dup, 'duplicate')})")
    return EXIT_FOUND if args.fail_on_duplicates and records else EXIT_OK


FIND = Command(
    name="find", arguments=find_arguments, run=run_find, configure=index_config,
    help="list clusters of near-duplicate documents, with their scores",
    description="List clusters of near-duplicate documents, with their Jaccard similarities.",
    usage="PATH...",
    examples=("near-dups find corpus/",
              "near-dups find data.jsonl.gz --threshold 0.7 --format jsonl",
              "near-dups find posts.csv --text-field body --id-field url --format csv -o clusters.csv",
              "zcat dump.jsonl.gz | near-dups find - --fail-on-duplicates -q    # CI gate"),
    notes="""\
With --format jsonl|json: one record per cluster with "cluster" (1, 2, ...),
"size", "ids" (input order), "keep" (the id --keep keeps) and "pairs" ([id_a,
id_b, jaccard] for every verified pair in it). With --format csv: one row per
member: cluster, size, id, action (keep or drop), and jaccard with matched,
its best verified pair (with the kept document when verified).""",
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o")))


# =========================================================================== dedup
def dedup_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="output file (one input) or folder")
    _keep(p, "which member of a cluster to keep: first in input order, or longest text")
    p.add_argument("--report", metavar="FILE", help="where the JSONL report goes (default: OUT.dropped.jsonl)")
    g = p.add_argument_group("dask (pip install \"near-dups[dask]\")")
    g.add_argument("--dask", action="store_true",
                   help="find the duplicates on a local Dask cluster of worker processes (same answers)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="find the duplicates on the running Dask cluster at ADDRESS (tcp://host:8786)")


def _dask_index(args, ui, corpus):
    """``build_index`` on Dask: a new LocalCluster (--dask) or the one at --scheduler."""
    try:
        from . import _dask
        import dedup.dask  # noqa: F401  (its ImportError names the pip command)
    except ImportError as e:
        raise UsageError(f"--dask/--scheduler: {e}") from None
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else "a local Dask cluster"
    ui.note(f"indexing {plural(len(corpus), 'document')} on {where}")
    c = args.config
    return calling(ui, f"indexing {plural(len(corpus), 'document')} on {where}", _dask.run, corpus.ids, corpus.texts,
                   scheduler=args.scheduler, keep=args.keep, threshold=c.threshold, ngram=c.ngram,
                   shingle=c.shingle, num_perm=c.num_perm, seed=c.seed, sketch=c.sketch)


def run_dedup(args, ui) -> int:
    on_dask = args.dask or args.scheduler
    with (read if on_dask else stream)(args, ui, args.paths, output=args.output) as corpus:
        if on_dask:
            idx = _dask_index(args, ui, corpus)
        else:
            idx = build_index(ui, corpus, args.config, keep=args.keep, args=args)
        records, members = _render.cluster_records(idx, args.keep)
        where = {corpus.ids[p]: p for pos in members for p in pos}  # cluster members only
        dropped = _render.dropped_records(records, lambda i: corpus.where(where[i]))
        written = write_with_report(args, corpus, args.report, dropped, _render.REPORT_COLUMNS,
                                    keep=idx.keep_mask(args.keep))
        ui.summary(corpus, f"{plural(len(records), 'cluster')}, {number(len(dropped))} dropped, {number(written)} "
                           "written to "
                           f"{args.output}, report in {args.report}")
    return EXIT_FOUND if args.fail_on_duplicates and dropped else EXIT_OK


DEDUP = Command(
    name="dedup", arguments=dedup_arguments, run=run_dedup, configure=index_config,
    help="write the corpus without its near-duplicates, plus a report",
    description="Write the corpus with near-duplicates dropped, in the input's format, and a report of what was "
                "dropped and why.",
    usage="PATH... -o OUT",
    examples=("near-dups dedup corpus/ -o deduped/",
              "near-dups dedup data.jsonl.gz -o clean.jsonl.gz --keep longest --report dropped.jsonl"),
    notes="""\
One input file is written to the file OUT in the same format (records copied
verbatim, so every field is kept); several inputs, or a folder, to the folder
OUT (new or empty) with the same relative paths. The report has one JSON line
per dropped document: id, source (file:line), cluster, kept, matched,
jaccard, reason.""",
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o"),
           PathArg("report", "write", "--report", side=("output", "dropped"))))
