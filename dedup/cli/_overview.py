"""``near-dups PATH...``: the overview, for people. One run, every kind of duplicate, the biggest first.

The corpus is read once and analysed once (``analyse``, which ``near-dups
report`` shares): ``dedup.index`` for near-duplicate documents,
``collapse_and_blocks`` for repeated blocks (one analysis of the blocks for
both), ``dedup.passages`` for shared passages. The overview then shows, per
section, its ``--top`` items, biggest or most frequent first, with ids,
spans and an excerpt; a summary of everything found (complete counts); and
the commands that go deeper. ``--format jsonl|json`` gives the same as
records: one per item shown (``"section"`` says which) and a summary.
"""

from __future__ import annotations

import heapq
import shlex
import textwrap
import time
from typing import NamedTuple

import dedup

from .._core import _options
from . import _render
from ._command import Command, PathArg
from ._common import (
    INDEX_OPTIONS,
    calling,
    configured,
    emit,
    flag,
    given,
    index_config,
    mixed,
    quote_ids,
    read,
    spill_options,
    spilling,
)
from ._io._errors import EXIT_FOUND, EXIT_OK, UsageError
from ._render import write_records
from ._style import Style, first_words, width
from ._io._ui import number, plural

#: Passages the overview shows have this many shared words or more: ``dedup.passages``' own default, a clause
#: (the seeds' "On the sidelines of the NATO summit in Madrid", in all three, is 9 words).
CLAUSE_WORDS = _options.PASSAGES["min_words"]
#: Items shown per section (--top).
TOP = 5
#: Spans listed per document of an item, and documents per item.
SPANS_SHOWN = 5
#: Members listed per cluster (the kept one among them).
MEMBERS_SHOWN = 5
#: The sections of the overview, in order: name -> title.
SECTIONS = {
    "clusters": "Near-duplicate documents",
    "repeated": "Blocks repeated inside a document",
    "shared": "Blocks shared by several documents",
    "passages": "Shared passages",
}


class Configs(NamedTuple):
    """The three configurations of one overview (or report) run."""

    index: object  # dedup.Config: the similarity options are the documents'
    collapse: object  # dedup.CollapseConfig: --unit, else collapse's defaults
    passages: object  # dedup.PassageConfig: --min-words (default CLAUSE_WORDS)


class Results(NamedTuple):
    """What one run found, and how long each step took (seconds)."""

    index: object
    collapsed: list
    groups: list
    passages: object
    times: dict


def configure(args) -> Configs:
    """``configure`` of the overview and the report; the similarity options apply to the documents."""
    from .._core._config import PassageConfig

    min_words = CLAUSE_WORDS if args.min_words is None else args.min_words
    return Configs(index_config(args), configured(dedup.CollapseConfig, given(args, ("unit",))),
                   configured(PassageConfig, {"min_words": min_words}))


def arguments(p) -> None:
    """The arguments the overview and the report share (beside their output)."""
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    p.add_argument("--keep", choices=_options.KEEP, default=_options.KEEP[0],
                   help=f"which member of each cluster is kept (default: {_options.KEEP[0]})")
    p.add_argument("--min-words", type=int, metavar="N",
                   help=f"fewest words the copies of a shared passage share (default {CLAUSE_WORDS})")


def analyse(args, ui, corpus) -> Results:
    """Index the documents, collapse and group their blocks (one analysis), find shared passages."""
    from .._core import _interpret
    from .._passages import _warm
    from .._blocks._collapse import collapse_and_blocks
    from ._io._ui import kernels_uncompiled

    docs = list(zip(corpus.ids, corpus.texts))
    cfg: Configs = args.config
    times = {}
    # First run: a second process compiles the passage finder's kernels meanwhile (dedup._passages._warm); when
    # they run interpreted, the run's second process compiles them for the next run instead (_compile.ALSO).
    warm = _warm.start(corpus.texts, cfg.passages.min_words) if not _interpret.active() and kernels_uncompiled(
        "_text/_tokens") else None
    try:
        t = time.perf_counter()
        spill, need = spill_options(args, cfg.index, corpus.sources)  # --memory, --workdir: as find has them
        idx = calling(ui, f"indexing {plural(len(docs), 'document')}", spilling, spill, need, dedup.index, docs,
                      config=cfg.index, keep=args.keep)
        times["index"] = time.perf_counter() - t
        t = time.perf_counter()
        collapsed, groups = calling(ui, f"blocks of {plural(len(docs), 'document')}", collapse_and_blocks, docs,
                                    config=cfg.collapse)
        times["collapse"] = time.perf_counter() - t  # and blocks: one analysis
    except BaseException:
        _warm.stop(warm)
        raise
    _warm.finish(warm)
    t = time.perf_counter()
    passages = calling(ui, f"passages of {plural(len(docs), 'document')}", dedup.passages, docs, config=cfg.passages)
    times["passages"] = time.perf_counter() - t
    ui.note(", ".join(f"{k} {v:.2f} s" for k, v in times.items()))
    return Results(idx, collapsed, groups, passages, times)


# --------------------------------------------------------------------------- records
def sections(res: Results, keep: str, top: int, copy_of=None) -> tuple[dict[str, list[dict]], list[list[int]],
                                                                      dict[str, int]]:
    """The ``top`` items of each section, biggest or most frequent first (records of ``find``, ``blocks`` and
    ``passages``, numbered as those commands number them); each cluster's member positions; each section's total.

    Only the items shown become records: a corpus holds hundreds of thousands of repeated blocks. ``copy_of``
    (``_render.copies``) gives each block occurrence's own text where it differs from the block's.
    """
    clusters, members = _render.cluster_records(res.index, keep)
    order = sorted(range(len(clusters)), key=lambda k: -clusters[k]["size"])[:top]  # ties: first member first
    groups = res.groups
    inside = [k for k, g in enumerate(groups) if g.kind == "repeat"]
    shared = [k for k, g in enumerate(groups) if g.kind != "repeat"]

    def size(k):
        return -len(groups[k].occurrences), -len(groups[k].text), k

    inside_top = heapq.nsmallest(top, inside, key=size)
    shared_top = heapq.nsmallest(top, shared, key=lambda k: (-groups[k].n_docs, *size(k)))
    return ({"clusters": [clusters[k] for k in order],
             "repeated": [_render.block_record(k + 1, groups[k], copy_of) for k in inside_top],
             "shared": [_render.block_record(k + 1, groups[k], copy_of) for k in shared_top],
             "passages": [_render.passage_record(g + 1, res.passages[g]) for g in _top_passages(res.passages, top)]},
            [members[k] for k in order],
            {"clusters": len(clusters), "repeated": len(inside), "shared": len(shared), "passages": len(res.passages)})


def _top_passages(passages, top: int) -> list[int]:
    """Numbers of the ``top`` passage groups in the most documents, then the most words (of the first copy)."""
    import numpy as np

    a = passages.arrays()  # occurrences sorted by group, then document
    n = len(passages)
    if n == 0:
        return []
    new_doc = np.ones(a.doc.shape[0], dtype=np.int64)
    new_doc[1:] = a.doc[1:] != a.doc[:-1]
    new_doc[a.group_ptr[:-1]] = 1
    docs = np.add.reduceat(new_doc, a.group_ptr[:-1])
    words = (a.word_end - a.word_start)[a.first]
    return np.lexsort((np.arange(n), -words, -docs))[:top].tolist()


def counts(res: Results, totals: dict, n_docs: int) -> dict:
    """Complete counts of what was found: the report's summary figures, by the same names."""
    import numpy as np

    from .._report._data import KINDS, removal_columns

    cols, _ = removal_columns(res.collapsed, {doc.id: k for k, doc in enumerate(res.collapsed)})
    chars = np.bincount(cols[:, 3], weights=cols[:, 2] - cols[:, 1], minlength=len(KINDS)).astype(int).tolist()
    groups = dict.fromkeys(KINDS[:3], 0)
    for g in res.groups:
        groups[g.kind] += 1
    return {"documents": n_docs, "clusters": totals["clusters"],
            "duplicates": int((~res.index.keep_mask()).sum()), "pairs": int(res.index.pair_arrays()[0].shape[0]),
            "removals": int(cols.shape[0]), "removed_docs": len(set(cols[:, 0].tolist())),
            "removed_chars": dict(zip(KINDS, chars)), "groups": groups,
            "occurrences": sum(len(g.occurrences) for g in res.groups), "passages": totals["passages"]}


def next_commands(args, corpus, found: dict) -> list[list[str]]:
    """``[command line, what it shows]`` for each command that goes deeper, with this run's paths and options."""
    paths = " ".join(map(shlex.quote, args.paths))

    def again(command: str, names=()) -> str:
        opts = "".join(f" {flag(k)} {shlex.quote(str(v))}" for k, v in given(args, names).items())
        return f"near-dups {command} {paths}{opts}"

    keep = f" --keep {args.keep}" if args.keep != _options.KEEP[0] else ""
    rows = [[again("find", INDEX_OPTIONS) + keep, "every cluster, with each verified pair's exact Jaccard"],
            [again("collapse", ("unit",)) + " --dry-run", "each block collapse would remove, and the copy it keeps"],
            [again("blocks", ("unit",)), "every repeated block, with all its occurrences"],
            [again("passages", ("min_words",)),
             "every shared passage, with its copies aligned across edits"]]
    pair = _pair(found, corpus)
    if pair:
        rows.append([f"near-dups explain {pair}", "how two of these documents compare, passage by passage"])
    rows.append([again("report", INDEX_OPTIONS + ("unit", "min_words")) + keep + " -o report.html",
                 "all of it in one HTML page, to review every decision"])
    return rows


def _pair(found: dict, corpus) -> str | None:
    """Two documents worth explaining: the first cluster's, else the top passage's, else none."""
    if found["clusters"]:
        ids = found["clusters"][0]["ids"][:2]
    elif found["passages"]:
        ids = list(dict.fromkeys(o["id"] for o in found["passages"][0]["occurrences"]))[:2]
    else:
        return None
    where = {doc_id: k for k, doc_id in enumerate(corpus.ids)}
    kinds = {corpus.sources[corpus.source_of[where[i]]].kind for i in ids}
    names = " ".join(shlex.quote(str(i)) for i in ids)
    if kinds == {"text"}:  # ids are the files' paths
        return names
    return " ".join(f"--corpus {shlex.quote(p)}" for p in corpus_paths(corpus)) + " " + names


def corpus_paths(corpus) -> list[str]:
    return list(dict.fromkeys(s.name for s in corpus.sources))


# --------------------------------------------------------------------------- text
def _spans(occurrences: list[dict], limit: int = SPANS_SHOWN) -> list[str]:
    """``id:start-end start-end ...`` per document, in order of first occurrence; ``limit`` spans and documents."""
    by_doc: dict = {}
    for o in occurrences:
        by_doc.setdefault(str(o["id"]), []).append(f"{o['start']}-{o['end']}")
    lines = []
    for doc_id, spans in list(by_doc.items())[:limit]:
        more = f" … ({number(len(spans))} in all)" if len(spans) > limit else ""
        lines.append(f"{doc_id}:{' '.join(spans[:limit])}{more}")
    if len(by_doc) > limit:
        lines.append(f"… and {plural(len(by_doc) - limit, 'more document')}")
    return lines


def _quoted(text: str, limit: int) -> str:
    return '"' + first_words(text, max(limit - 2, 10)) + '"'


def render(out, found: dict, members, totals: dict, texts, summary: dict, style: Style) -> None:
    """The overview for people: each section's top items, a summary, and the commands that go deeper."""
    w = width()
    s = summary["settings"]
    out.write(style(f"near-dups overview of {plural(summary['documents'], 'document')} ({summary['mb']:.2f} MB)",
                    "bold")
              + "\n")
    unit = "word" if s["shingle"] == "word" else "character"
    for name, title in SECTIONS.items():
        items = found[name]
        total = totals[name]
        how = {"clusters": f"Jaccard >= {s['threshold']:g} of {s['ngram']}-{unit} shingles",
               "repeated": f"unit {s['unit']}", "shared": f"unit {s['unit']}",
               "passages": f"{s['min_words']} shared words or more, edits allowed"}[name]
        order = {"clusters": "largest first", "repeated": "most repeated first", "shared": "in most documents first",
                 "passages": "in most documents first"}[name]
        head = f"{title} ({how}): " + (f"{total:,}, {order}" if total else "none")
        more = f" (showing {number(len(items))})" if total > len(items) else ""
        out.write("\n" + style(head + more, "bold") + "\n")
        if not total and name == "clusters":
            out.write("  Lower --threshold (or --ngram) to look for looser matches.\n")
        for k, r in enumerate(items):
            if name == "clusters":
                _render.render_cluster(out, r, members[k], texts, style, indent="  ", limit=MEMBERS_SHOWN)
                continue
            if name == "repeated":
                lead = f"  {number(r['count'])}x  "
            elif name == "shared":
                lead = f"  {plural(r['documents'], 'document')}, {number(r['count'])}x  "
            else:
                lead = f"  {plural(r['documents'], 'document')}, {plural(r['words'], 'word')}  "
            out.write(lead + style(_quoted(r["text"], w - len(lead)), "dim") + "\n")
            for line in _render.variants_note(r, w - 6) if name != "passages" else ():
                out.write("      " + line + "\n")
            for line in _spans(r["occurrences"]):
                out.write("      " + line + "\n")
    g = summary["groups"]
    out.write("\n" + textwrap.fill(
        f"In all: {_n(summary['clusters'], 'cluster')} of near-duplicate documents ({summary['duplicates']:,} "
        f"would be dropped); {_n(sum(g.values()), 'repeated block')} ({summary['occurrences']:,} copies), "
        f"{g['repeat']:,} inside a document and {g['syndicated'] + g['boilerplate']:,} shared by several "
        f"documents; {_n(summary['passages'], 'shared passage')}. `near-dups collapse` would make "
        f"{_n(summary['removals'], 'removal')} ({sum(summary['removed_chars'].values()):,} characters) in "
        f"{_n(summary['removed_docs'], 'document')}.", w) + "\n")
    out.write("\n" + style("Go deeper:", "bold") + "\n")
    pad = min(max(len(c) for c, _ in summary["next"]), w * 2 // 5)
    for command, what in summary["next"]:
        sep = "\n" + " " * (pad + 4) if len(command) > pad else " " * (pad - len(command) + 2)
        out.write(f"  {command}{sep}{what}\n")


_n = plural  # ``1 block``, ``2 blocks``, ``12,000 blocks``


def summary_of(args, corpus, res: Results, found: dict, totals: dict) -> dict:
    """The summary record: complete counts, the settings used, and the commands that go deeper."""
    cfg: Configs = args.config
    return {"section": "summary", **counts(res, totals, len(corpus)), "mb": round(corpus.nbytes / 1e6, 2),
            "settings": {"threshold": cfg.index.threshold, "ngram": cfg.index.ngram, "shingle": cfg.index.shingle,
                         "unit": cfg.collapse.unit, "min_words": cfg.passages.min_words},
            "next": next_commands(args, corpus, found)}


# --------------------------------------------------------------------------- the command
def overview_arguments(p) -> None:
    arguments(p)
    _render.format_argument(p, ("text", "jsonl", "json"))
    p.add_argument("--top", type=int, default=TOP, metavar="N", help=f"items shown per section (default {TOP})")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def run_overview(args, ui) -> int:
    if args.top < 1:
        raise UsageError(f"--top must be >= 1, got {args.top}")
    with read(args, ui, args.paths) as corpus:
        res = analyse(args, ui, corpus)
        found, members, totals = sections(res, args.keep, args.top, _render.copies(corpus.ids, corpus.texts))
        summary = summary_of(args, corpus, res, found, totals)
        if args.format == "text":
            shown = {k: quote_ids(v) for k, v in found.items()} if mixed(corpus.ids) else found
            emit(args, lambda out, style: render(out, shown, members, totals, corpus.texts, summary, style))
        else:
            records = [{"section": name, **r} for name in SECTIONS for r in found[name]] + [summary]
            emit(args, lambda out, style: write_records(out, records, args.format, []))
        n_groups = sum(summary["groups"].values())
        ui.summary(corpus, f"{_n(summary['clusters'], 'cluster')} ({_n(summary['duplicates'], 'duplicate')}), "
                           f"{_n(n_groups, 'repeated block')}, {_n(summary['passages'], 'passage group')}")
    anything = summary["clusters"] or n_groups or summary["passages"]
    return EXIT_FOUND if args.fail_on_duplicates and anything else EXIT_OK


OVERVIEW = Command(
    name="overview", arguments=overview_arguments, run=run_overview, configure=configure,
    help="near-duplicate documents, repeated blocks and shared passages at a glance, biggest first",
    description="Show, in one run, the clusters of near-duplicate documents, the blocks repeated inside a document, "
                "the blocks shared by several documents and the passages they share, biggest or most frequent "
                "first, with ids, spans and excerpts; then what it all adds up to, and the commands that go deeper.",
    usage="PATH...",
    examples=("near-dups corpus/",
              "near-dups overview posts.jsonl.gz --top 10 --unit paragraph",
              "near-dups corpus/ --format jsonl > overview.jsonl"),
    notes=textwrap.fill(
        "The similarity options (--threshold, --ngram, --shingle, --num-perm, --seed, --sketch) are the "
        "documents'; blocks are cut by --unit and matched as `near-dups collapse` matches them; passages have "
        f"--min-words shared words or more (default {CLAUSE_WORDS}: a clause, as `near-dups passages`) in at most "
        f"{_options.PASSAGES['max_docs']} documents (more: stock text, headers). With --format jsonl|json: one "
        "record per item shown, \"section\" saying "
        f"which ({', '.join(SECTIONS)}; the fields of `find`, `blocks` and `passages` records), then one "
        "\"summary\" record with complete counts, the settings and the commands that go deeper. "
        "--fail-on-duplicates exits 1 when anything was found.", 78, break_on_hyphens=False),
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o")))
