"""``near-dups passages`` (passages documents share, edited or not) and ``near-dups explain`` (how two documents
compare, and what they share)."""

from __future__ import annotations

import json

import dedup

from .._core import _options
from . import _render
from ._command import Command, PathArg
from ._common import (
    INDEX_OPTIONS,
    SPILL_OPTIONS,
    budget_options,
    calling,
    configured,
    emit,
    emit_records,
    given,
    on_stream,
    option,
    read,
    stream,
)
from ._io._errors import EXIT_FOUND, EXIT_OK, InputError, UsageError
from ._io._ui import plural


# =========================================================================== passages
def passage_config(args):
    """``configure`` of passages: ``dedup.PassageConfig`` of ``--min-words`` and ``--ngram``."""
    from .._core._config import PassageConfig

    values = given(args, ("min_words", "ngram", "max_docs"))
    if values.get("max_docs") == 0:
        values["max_docs"] = None
    return configured(PassageConfig, values)


def passages_arguments(p) -> None:
    p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    _render.format_argument(p)
    p.add_argument("--min-words", type=int, metavar="N",
                   help=f"fewest words the copies of a passage share (default {_options.PASSAGES['min_words']})")
    p.add_argument("--max-docs", type=int, metavar="N",
                   help=f"leave out passages in more than N documents, stock text such as headers "
                        f"(default {_options.PASSAGES['max_docs']}; 0: keep all)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")


def run_passages(args, ui) -> int:
    streamed = any(getattr(args, k, None) for k in SPILL_OPTIONS)
    with (stream if streamed else read)(args, ui, args.paths) as corpus:
        if streamed:
            found = _stream_passages(args, ui, corpus)
        else:
            found = calling(ui, f"passages: {len(corpus)} documents", dedup.passages, zip(corpus.ids, corpus.texts),
                            config=args.config)
        records = _render.passage_records(found)
        emit_records(args, records, _render.PASSAGE_COLUMNS, lambda out, shown, style: _render.render_passages(
            out, shown, n_docs=len(corpus), min_words=args.config.min_words, style=style), corpus.ids)
        ui.summary(corpus, plural(len(records), "passage group"))
    return EXIT_FOUND if args.fail_on_duplicates and records else EXIT_OK


def _stream_passages(args, ui, corpus):
    """``dedup.passages`` of the stream ``corpus`` within --memory (spilling to --workdir): read twice, nothing
    of it held but the occurrences' texts."""
    spill = budget_options(args)
    ui.note(f"dedup.passages(config={args.config}, memory={spill['memory']})")
    found = on_stream(ui, corpus, "read, tokenize", "seeds, alignments, groups", spill, 0, dedup.passages,
                      config=args.config)
    found.ids = corpus.ids  # the stream's documents are numbered by position
    return found


PASSAGES = Command(
    name="passages", arguments=passages_arguments, run=run_passages, configure=passage_config,
    ignores=("threshold", "num_perm", "seed", "shingle", "unit", "sketch"),
    help="list passages documents share, lightly edited or not, and where",
    description="List passages that two or more documents share, even with words substituted, inserted or deleted, "
                "grouped across documents, with exact character offsets.",
    usage="PATH...",
    examples=("near-dups passages corpus/ --min-words 10",
              "near-dups passages posts.jsonl.gz --min-words 30 --format jsonl > reuse.jsonl"),
    notes=f"""\
Each group is one passage and its copies: "occurrences" ({{id, start, end,
words}}, character offsets), the first in input order ("first"), and the
"alignments" that joined them ({{a, b, similarity, matches}}, indexing
occurrences; similarity is 2 x matched words / words of both copies). --ngram
sets the seed n-gram (default {_options.PASSAGES['ngram']}). With --memory, --workdir or --keep-workdir the
input is read twice as a stream, the passage finder's arrays within --memory
(spilled to --workdir past it), and only the occurrences' texts are held; the
output is the same.""",
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o")))


# =========================================================================== explain
def explain_config(args) -> None:
    """``configure`` of explain: its options are dedup.index's (``--ngram``, ``--threshold``), word shingles only."""
    if option(args, "shingle") != "word":
        raise UsageError("explain compares word shingles only (its passages are runs of words); leave out --shingle")
    return configured(dedup.Config, given(args, INDEX_OPTIONS))


def explain_arguments(p) -> None:
    p.add_argument("a", metavar="A", help="a text file or - (or, with --corpus, a document id)")
    p.add_argument("b", metavar="B", help="a text file or - (or, with --corpus, a document id)")
    p.add_argument("--corpus", action="append", metavar="PATH",
                   help="read A and B as ids of documents in PATH (repeatable)")
    _render.format_argument(p, ("text", "json", "jsonl"))


def _one_document(args, ui, path):
    with read(args, ui, [path]) as corpus:
        if len(corpus) != 1:
            raise InputError(f"{path}: holds {len(corpus)} documents; to compare two of them, give their ids: "
                             f"near-dups explain --corpus {path} ID_A ID_B")
        return corpus.ids[0], corpus.texts[0]


def _pick(corpus, wanted: str, paths):
    for i, doc_id in enumerate(corpus.ids):
        if str(doc_id) == wanted:
            return doc_id, corpus.texts[i]
    sample = ", ".join(repr(str(x)) for x in corpus.ids[:3])
    raise InputError(f"no document with id {wanted!r} in {' '.join(paths)} (ids look like {sample})")


def run_explain(args, ui) -> int:
    if args.corpus:
        with read(args, ui, args.corpus) as corpus:
            (a_id, a), (b_id, b) = _pick(corpus, args.a, args.corpus), _pick(corpus, args.b, args.corpus)
    else:
        if args.a == "-" and args.b == "-":
            raise UsageError("A and B cannot both be standard input")
        (a_id, a), (b_id, b) = _one_document(args, ui, args.a), _one_document(args, ui, args.b)
    from . import _explain  # numpy is needed only here

    rec = _explain.explain(a_id, a, b_id, b, ngram=args.config.ngram, threshold=args.config.threshold)
    emit(args, lambda out, style: (
        _explain.render(out, rec, a, style) if args.format == "text"
        else out.write(json.dumps(rec, ensure_ascii=False, indent=1 if args.format == "json" else None) + "\n")))
    return EXIT_FOUND if args.fail_on_duplicates and rec["near_duplicates"] else EXIT_OK


EXPLAIN = Command(
    name="explain", arguments=explain_arguments, run=run_explain, configure=explain_config, reads_inputs=False,
    ignores=SPILL_OPTIONS,
    help="show how similar two documents are and the passages they share",
    description="Show how similar two documents are and the passages they share (highlighted on a terminal).",
    usage="A B [--corpus PATH]...",
    examples=("near-dups explain corpus/000_49edabee183eff7e.txt corpus/003_b4f5a93acce34860.txt",
              "near-dups explain --corpus data.jsonl.gz 1234 5678 --ngram 3",
              "near-dups explain a.txt - < b.txt"),
    notes=f"""\
The similarity is the exact Jaccard of the two documents' --ngram word shingle
sets (what find compares); passages are what `near-dups passages` finds
between the two ({_options.PASSAGES['min_words']} shared words or more), aligned word by word, with their
edits marked [-in A-]{{+in B+}}.""",
    paths=(PathArg("a", "read"), PathArg("b", "read"), PathArg("corpus", "read")))
