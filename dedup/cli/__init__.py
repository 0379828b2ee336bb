"""The ``near-dups`` command: parse arguments, read the corpus, call the API, write results.

Each command is one small function from parsed arguments to an exit code;
reading and writing live in ``_io``, formatting in ``_cli_render``. Nothing
here decides what is a duplicate: that is ``dedup.index``, ``dedup.collapse``
and ``dedup.blocks``.

Exit codes: 0 success, 1 ``--fail-on-duplicates`` found some, 2 usage or
input error (one message, no traceback), 3 internal error, 130 interrupted.

No output may overwrite an input: every argument that names a path is listed
in ``PATH_ARGS``, and ``main`` checks every output against every input
(``_io.check_paths``) before a command runs.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import inspect
import json
import os
import re
import sys
import time
import traceback

import dedup

from .. import _fs
from . import _render as _cli_render
from ._errors import EXIT_FOUND, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, InputError, UsageError
from ._paths import check_output, check_paths
from ._read import read_corpus
from ._render import FORMATS, Style
from ._sources import STDIN_FORMATS, find_sources, total_bytes
from ._write import Outputs, atomic_file, write_corpus

COMMANDS = ("find", "dedup", "collapse", "blocks", "passages", "explain", "index")
INDEX_COMMANDS = ("build", "add", "query", "filter")  # near-dups index COMMAND
#: Every command that runs something: COMMANDS, with ``index`` split into its own.
LEAVES = tuple(c for c in COMMANDS if c != "index") + tuple(f"index {c}" for c in INDEX_COMMANDS)
#: Defaults of the shared options; ``None`` in argparse means "not given".
DEFAULTS = {"threshold": 0.8, "ngram": 5, "shingle": "word", "num_perm": 128, "seed": 0}
#: Options a saved index was built with; given to ``index add/query/filter``, they must match it.
FIXED_BY_INDEX = ("ngram", "shingle", "num_perm", "seed")
UNITS = ("line", "paragraph", "sentence")  # dedup.collapse's units
MODES = ("keep_first", "remove_all")  # dedup.collapse's modes that change the text
KINDS = ("repeat", "syndicated", "boilerplate")  # what dedup.collapse may remove
KEEP = ("first", "longest")
#: dedup.index's shingle units (the keys of _config.SHINGLE_MODES; a test checks). Spelled out so that
#: parsing arguments (--help, --version) imports neither numpy nor numba.
SHINGLES = ("word", "char")
MAX_WARNINGS = 20  # then one line says how many more (all of them with -v)
#: Seconds a command that changes an index waits for another one writing it (--lock-timeout).
LOCK_TIMEOUT = 600.0
#: Every argument that names a path, by argparse dest, and what commands do with it: "read", "write", or
#: "index" (read by `index query` and `index filter`, written by `index add`, `remove` and `filter --add`).
#: main() checks every output against every input with _io.check_paths before a command runs; a test
#: checks that every argument of every command whose metavar names a path is listed here.
PATH_ARGS = {"paths": "read", "corpus": "read", "a": "read", "b": "read", "ids_from": "read",
             "output": "write", "report": "write", "removals": "write", "index": "index"}
#: How messages name each output argument.
OUTPUT_LABELS = {"output": "-o", "report": "--report", "removals": "--removals", "index": "index"}

USAGE = {
    "find": "near-dups [find] PATH...",
    "dedup": "near-dups dedup PATH... -o OUT",
    "collapse": "near-dups collapse PATH... (-o OUT | --dry-run)",
    "blocks": "near-dups blocks PATH...",
    "passages": "near-dups passages PATH...",
    "explain": "near-dups explain A B [--corpus PATH]...",
    "index build": "near-dups index build PATH... -o IDX",
    "index add": "near-dups index add IDX PATH...",
    "index query": "near-dups index query IDX PATH...",
    "index filter": "near-dups index filter IDX PATH... -o OUT [--add]",
    "index remove": "near-dups index remove IDX (ID... | --ids-from FILE)",
}



# =========================================================================== help texts
INPUTS_HELP = """\
inputs:
  PATH is a file, a folder (searched recursively; hidden files skipped), or -
  for standard input. Read: .txt/.md (one document per file, id = its path),
  .jsonl/.jsonl.gz/.ndjson and .json arrays (fields --text-field, default
  "text", and --id-field, default "id"; without an id field the id is
  FILE:LINE), .csv (same column names), .parquet (needs: pip install
  'near-dups[parquet]'). A file named explicitly with another suffix is read
  as text. Standard input is JSON Lines if it starts with "{", else one text
  document (--stdin-format lines: one document per line); it may be gzipped.

bad input:
  skipped with a warning:  files in a folder whose suffix is not read, binary
                           files found in a folder (hidden files, such as
                           near-dups' own temporary files, and blank JSON
                           lines are skipped silently)
  read with a warning:     text and CSV files that are not UTF-8, decoded by
                           their byte-order mark (UTF-16, UTF-32) or by the
                           encoding detected (--encoding CODEC forces one)
  stops the run (exit 2):  a missing path, a JSON or JSON Lines file that is
                           not UTF-8, a malformed JSON line or CSV row, a CSV
                           row with too many or too few fields, a missing or
                           non-string text field, an id that is not a string
                           or a whole number, a duplicate id, a truncated or
                           corrupt .gz, a binary or empty file named
                           explicitly, empty standard input, an empty folder,
                           no documents at all, an out-of-range option, an
                           output that is an input, a link to one or inside
                           an input folder, a damaged index
  --skip-errors skips the unreadable file or record instead (with a warning)
  and goes on; what was read before a truncated .gz is kept.

exit codes: 0 ok, 1 duplicates found with --fail-on-duplicates, 2 usage or
input error, or an output that could not be written (disk full, permission
denied: nothing is left half written), 3 internal error (details with -v),
130 interrupted (nothing is left half written)."""

TOP_HELP = """\
Find near-duplicate documents (shingles -> MinHash -> LSH -> exact Jaccard),
drop them, collapse repeated blocks, explain a pair.

commands:
  find      (default) list clusters of near-duplicate documents with scores
  dedup     write the corpus without its duplicates, plus a report
  collapse  write every document with repeated blocks collapsed, plus the removals
  blocks    list repeated blocks and where they occur
  passages  list passages documents share, lightly edited or not, and where
  explain   show how similar two documents are and the passages they share
  index     keep a saved index on disk: build it, add to it, query it, filter
            new documents against it (near-dups index --help)

A path as the first argument runs find: `near-dups corpus/` is
`near-dups find corpus/`. The first argument is a command when it is one of
the names above; for a file or folder with such a name, write
`near-dups find ./dedup`. Options go after the command.

examples:
  near-dups corpus/
  near-dups data.jsonl.gz --threshold 0.7 --format jsonl > clusters.jsonl
  near-dups dedup data.jsonl -o clean.jsonl --keep longest
  near-dups collapse corpus/ -o collapsed/
  near-dups blocks corpus/
  near-dups passages corpus/ --min-words 10
  near-dups explain corpus/000_49edabee183eff7e.txt corpus/003_b4f5a93acce34860.txt
  near-dups index build corpus/ -o corpus.idx
  near-dups index query corpus.idx new/ --fail-on-duplicates

Run `near-dups COMMAND --help` for a command's options.

""" + INPUTS_HELP

EXAMPLES = {
    "find": """\
examples:
  near-dups corpus/                      # same as: near-dups find corpus/
  near-dups find data.jsonl.gz --threshold 0.7 --format jsonl
  near-dups find posts.csv --text-field body --id-field url --format csv -o clusters.csv
  zcat dump.jsonl.gz | near-dups - --fail-on-duplicates -q    # CI gate

With --format jsonl|csv|json: one record per cluster with "cluster" (1, 2,
...), "size", "ids" (input order), "keep" (the id --keep keeps) and "pairs"
([id_a, id_b, jaccard] for every verified pair in it).""",
    "dedup": """\
examples:
  near-dups dedup corpus/ -o deduped/
  near-dups dedup data.jsonl.gz -o clean.jsonl.gz --keep longest --report dropped.jsonl

One input file is written to the file OUT in the same format (records copied
verbatim, so every field is kept); several inputs, or a folder, to the folder
OUT (new or empty) with the same relative paths. The report has one JSON line
per dropped document: id, source (file:line), cluster, kept, matched,
jaccard, reason.""",
    "collapse": """\
examples:
  near-dups collapse corpus/ -o collapsed/
  near-dups collapse data.jsonl -o collapsed.jsonl --unit line
  near-dups collapse corpus/ --dry-run

Every document is written, in the input's format, with its repeated blocks
removed; each removal is one JSON line in --removals: id, start, end (character
offsets in the original text), kind, similarity, source ({id, start, end} of
the copy that was kept) and the removed text.""",
    "blocks": """\
examples:
  near-dups blocks corpus/
  near-dups blocks pages.jsonl.gz --unit line --format jsonl

Each block: its text, how often and where it occurs (id, start, end as
character offsets), and its kind by the documents it occurs in: repeat (one
document), syndicated (two), boilerplate (three or more). `near-dups
collapse` removes a syndicated copy only when it has 8 words or more.""",
    "passages": """\
examples:
  near-dups passages corpus/
  near-dups passages posts.jsonl.gz --min-words 30 --format jsonl > reuse.jsonl

Each group is one passage and its copies: "occurrences" ({id, start, end,
words}, character offsets), the first in input order ("first"), and the
"alignments" that joined them ({a, b, similarity, matches}, indexing
occurrences; similarity is 2 x matched words / words of both copies). --ngram
sets the seed n-gram (default 4).""",
    "explain": """\
examples:
  near-dups explain corpus/000_49edabee183eff7e.txt corpus/003_b4f5a93acce34860.txt
  near-dups explain --corpus data.jsonl.gz 1234 5678 --ngram 3
  near-dups explain a.txt - < b.txt

The similarity is the exact Jaccard of the two documents' --ngram word shingle
sets (what find compares); passages are what `near-dups passages` finds
between the two (8 shared words or more), aligned word by word, with their
edits marked [-in A-]{+in B+}.""",
    "index build": """\
examples:
  near-dups index build corpus/ -o corpus.idx
  near-dups index build data.jsonl.gz -o data.idx --threshold 0.7 --ngram 3

IDX is a folder of .npy arrays and a manifest (no pickle), written atomically:
a crash leaves the previous index loadable. The similarity options are saved
with it; `index add`, `query` and `filter` use them (giving another --ngram,
--shingle, --num-perm or --seed to them is an error). An existing index is
replaced only with --force.""",
    "index add": """\
examples:
  near-dups index add corpus.idx more/
  near-dups index add corpus.idx crawl.jsonl.gz --skip-existing

Ids are made as by the other commands (file path, id field, or FILE:LINE) and
must be new to the index (--skip-existing skips those that are not). The
index is saved again atomically; it then equals one built from all the
documents. --fail-on-duplicates exits 1 when an added document is a
near-duplicate of another document of the index.""",
    "index query": """\
examples:
  near-dups index query corpus.idx new/
  near-dups index query corpus.idx posts.jsonl --format jsonl --threshold 0.9
  near-dups index query corpus.idx draft.txt --fail-on-duplicates -q     # CI gate

For each input document that has near-duplicates in the index: its id, where
it was read (source), and "matches", [[indexed id, jaccard], ...] best first
(exact Jaccard). --threshold may be raised above the index's; below it,
matches are found only with the probability of the index's LSH.""",
    "index filter": """\
examples:
  near-dups index filter corpus.idx crawl.jsonl -o fresh.jsonl
  near-dups index filter corpus.idx new/ -o fresh/ --add

Writes, in the input's format, the documents that duplicate nothing in the
index nor an earlier document of the input (judged in input order), and a
report (--report, default OUT.held.jsonl) with one JSON line per document
held back: id, source (file:line), matched (the indexed or earlier input
document it duplicates), matched_in ("index" or "input"), jaccard, reason.
With --add they are also added to the index; OUT and the report appear only
once the index is saved. --fail-on-duplicates exits 1 when any document was
held back.""",
    "index remove": """\
examples:
  near-dups index remove corpus.idx corpus/001_4be3d47db556df85.txt
  near-dups index remove corpus.idx --ids-from takedown.txt --missing-ok

Removes documents by id (as the index lists them: file path, id field, or
FILE:LINE; --ids-from reads one id per line, - for standard input) and saves
the index again, atomically; it then equals one built without them. An id
that is not indexed is an error naming it, unless --missing-ok.""",
}

INDEX_HELP = """\
Keep a near-duplicate index on disk and check new documents against it.

commands:
  build   index documents and save the index to a folder
  add     add documents to a saved index
  query   list each document's near-duplicates in a saved index, with scores
  filter  write the documents that duplicate nothing in a saved index
  remove  remove documents from a saved index by id

examples:
  near-dups index build corpus/ -o corpus.idx
  near-dups index add corpus.idx more/
  near-dups index query corpus.idx new/ --format jsonl
  near-dups index filter corpus.idx crawl.jsonl -o fresh.jsonl --add
  near-dups index remove corpus.idx corpus/001_4be3d47db556df85.txt

Run `near-dups index COMMAND --help` for a command's options."""


# =========================================================================== parser
class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=30)


def _shared_options() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("similarity")
    g.add_argument("--threshold", type=float, metavar="T",
                   help="near-duplicates have Jaccard similarity >= T, in (0, 1] (default 0.8; "
                        "collapse/blocks: 0.7; index query/filter: the index's)")
    g.add_argument("--ngram", type=int, metavar="N",
                   help="words per shingle, >= 1 (default 5; collapse/blocks: 3)")
    g.add_argument("--shingle", choices=SHINGLES,
                   help="shingle unit: words, or characters (--ngram then counts characters) (default: word)")
    g.add_argument("--num-perm", type=int, metavar="K",
                   help="MinHash permutations, >= 1 (default 128; collapse/blocks: 64)")
    g.add_argument("--seed", type=int, metavar="S", help="MinHash seed, in [0, 2**64) (default 0)")
    g.add_argument("--unit", choices=UNITS,
                   help="what a block is, for collapse and blocks (default: line); other commands ignore it")
    g = p.add_argument_group("input")
    g.add_argument("--text-field", default="text", metavar="NAME",
                   help="field or column holding the text (default: text)")
    g.add_argument("--id-field", metavar="NAME",
                   help="field or column holding the id (default: id if present, else FILE:LINE)")
    g.add_argument("--stdin-format", choices=STDIN_FORMATS, default="auto",
                   help="how to read -: JSON Lines, one text, or one document per line (default: auto)")
    g.add_argument("--encoding", metavar="CODEC",
                   help="read text and CSV files with CODEC, strictly (default: UTF-8, else the byte-order mark, "
                        "else the encoding detected, with a warning); JSON and JSON Lines are always UTF-8")
    g.add_argument("--skip-errors", action="store_true",
                   help="skip unreadable files and records with a warning instead of stopping")
    g = p.add_argument_group("run")
    g.add_argument("--jobs", type=int, metavar="N", help="threads for the numba kernels (default: all cores)")
    g.add_argument("--fail-on-duplicates", action="store_true",
                   help="exit 1 when any duplicate (collapse: removal, blocks: block) is found")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar, warnings or summary")
    g.add_argument("-v", "--verbose", action="count", default=0, help="timings and details; tracebacks on errors")
    return p


def _kinds(value: str) -> tuple:
    kinds = tuple(k.strip() for k in value.split(",") if k.strip())
    bad = [k for k in kinds if k not in KINDS]
    if bad or not kinds:
        raise argparse.ArgumentTypeError(f"kinds must be from {','.join(KINDS)}, got {value!r}")
    return kinds


def build_parser() -> tuple[argparse.ArgumentParser, dict]:
    parser = argparse.ArgumentParser(
        prog="near-dups", usage="near-dups [COMMAND] PATH... [options]", description=TOP_HELP,
        formatter_class=_Formatter)
    parser.add_argument("--version", action="version", version=f"near-dups {dedup.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    shared = _shared_options()
    subs = {}

    def command(name, help_, doc, within=sub):
        usage = USAGE[name] + " [options]"
        p = within.add_parser(name.split()[-1], help=help_, description=doc, parents=[shared],
                              formatter_class=_Formatter, prog=f"near-dups {name}", usage=usage,
                              epilog=EXAMPLES[name] + ("\n\n" + INPUTS_HELP if name not in ("explain", "index remove") else ""))
        subs[name] = p
        return p

    def paths(p):
        p.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")

    def fmt(p, choices=FORMATS):
        p.add_argument("--format", choices=choices, default="text",
                       help="output format (default: text, for people)")

    p = command("find", "list clusters of near-duplicate documents (the default command)",
                "List clusters of near-duplicate documents, with their Jaccard similarities.")
    paths(p)
    fmt(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")
    p.add_argument("--keep", choices=KEEP, default="first", help="which member each cluster keeps (default: first)")

    p = command("dedup", "write the corpus without its near-duplicates",
                "Write the corpus with near-duplicates dropped, in the input's format, and a report of "
                "what was dropped and why.")
    paths(p)
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="output file (one input) or folder")
    p.add_argument("--keep", choices=KEEP, default="first",
                   help="which member of a cluster to keep: first in input order, or longest text (default: first)")
    p.add_argument("--report", metavar="FILE", help="where the JSONL report goes (default: OUT.dropped.jsonl)")
    g = p.add_argument_group("dask (pip install \"near-dups[dask]\")")
    g.add_argument("--dask", action="store_true",
                   help="find the duplicates on a local Dask cluster of worker processes (same answers)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="find the duplicates on the running Dask cluster at ADDRESS (tcp://host:8786)")

    p = command("collapse", "write every document with repeated blocks collapsed",
                "Write every document with repeated blocks and syndicated paragraphs removed, and the "
                "removals as JSON Lines.")
    paths(p)
    fmt(p)
    p.add_argument("-o", "--output", metavar="OUT", help="output file (one input) or folder; required unless --dry-run")
    p.add_argument("--removals", metavar="FILE", help="where the JSONL removals go (default: OUT.removals.jsonl)")
    p.add_argument("--dry-run", action="store_true", help="write nothing; print the removals (in --format)")
    p.add_argument("--mode", choices=MODES,
                   help="keep the first copy of each repeated block, or remove every copy of boilerplate "
                        "(default: keep_first)")
    p.add_argument("--remove", type=_kinds, metavar="KINDS",
                   help=f"comma-separated kinds to remove, from {','.join(KINDS)} (default: all)")

    p = command("blocks", "list repeated blocks and where they occur",
                "List blocks (lines or paragraphs) that occur more than once, and where.")
    paths(p)
    fmt(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")

    p = command("passages", "list passages documents share, lightly edited or not",
                "List passages that two or more documents share, even with words substituted, inserted or "
                "deleted, grouped across documents, with exact character offsets.")
    paths(p)
    fmt(p)
    p.add_argument("--min-words", type=int, metavar="N",
                   help="fewest words the copies of a passage share (default 15)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")

    p = command("explain", "show two documents' similarity and shared passages",
                "Show how similar two documents are and the passages they share (highlighted on a terminal).")
    p.add_argument("a", metavar="A", help="a text file or - (or, with --corpus, a document id)")
    p.add_argument("b", metavar="B", help="a text file or - (or, with --corpus, a document id)")
    p.add_argument("--corpus", action="append", metavar="PATH",
                   help="read A and B as ids of documents in PATH (repeatable)")
    fmt(p, ("text", "json", "jsonl"))

    p = sub.add_parser("index", help="build, add to, query and filter against a saved index",
                       description=INDEX_HELP, formatter_class=_Formatter, prog="near-dups index",
                       usage="near-dups index COMMAND ...")
    subs["index"] = p
    isub = p.add_subparsers(dest="index_command", metavar="COMMAND")

    def saved(p):
        p.add_argument("index", metavar="IDX", help="folder of a saved index (made by near-dups index build)")
        paths(p)
        p.add_argument("--no-verify", action="store_true",
                       help="skip the index's checksums (faster open of a large index you wrote yourself)")

    def locking(p):
        p.add_argument("--lock-timeout", type=float, default=LOCK_TIMEOUT, metavar="SECONDS",
                       help="wait at most SECONDS for another process writing the index (default: "
                            f"{LOCK_TIMEOUT:g}; 0: do not wait)")

    p = command("index build", "index documents and save the index to a folder",
                "Index documents and save the index to the folder IDX.", within=isub)
    paths(p)
    p.add_argument("-o", "--output", metavar="IDX", required=True, help="folder to save the index in (new or empty)")
    p.add_argument("--force", action="store_true", help="replace an index already saved in IDX")
    locking(p)

    p = command("index add", "add documents to a saved index",
                "Add documents to the index saved in IDX and save it again, atomically.", within=isub)
    saved(p)
    p.add_argument("--skip-existing", action="store_true",
                   help="skip documents whose id is already in the index (default: stop with an error)")
    locking(p)

    p = command("index query", "list each document's near-duplicates in a saved index",
                "List, for each input document, its near-duplicates in the index saved in IDX, with their "
                "exact Jaccard similarities. The index is not changed.", within=isub)
    saved(p)
    fmt(p)
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of standard output")

    p = command("index filter", "write the documents that duplicate nothing in a saved index",
                "Write the input documents that are near-duplicates of nothing in the index saved in IDX "
                "(nor of an earlier input document); with --add, add them to the index.", within=isub)
    saved(p)
    p.add_argument("-o", "--output", metavar="OUT", required=True, help="output file (one input) or folder")
    p.add_argument("--report", metavar="FILE",
                   help="where the JSONL report of the documents held back goes (default: OUT.held.jsonl)")
    p.add_argument("--add", action="store_true", help="add the documents written to the index, and save it")
    p.add_argument("--skip-existing", action="store_true",
                   help="with --add: skip documents whose id is already in the index (default: an error)")
    locking(p)

    p = command("index remove", "remove documents from a saved index by id",
                "Remove the documents with the given ids from the index saved in IDX and save it again, "
                "atomically.", within=isub)
    p.add_argument("index", metavar="IDX", help="folder of a saved index (made by near-dups index build)")
    p.add_argument("ids", nargs="*", metavar="ID", help="ids of indexed documents")
    p.add_argument("--ids-from", metavar="FILE", help="read ids from FILE, one per line (- for standard input)")
    p.add_argument("--missing-ok", action="store_true", help="skip ids that are not in the index (default: an error)")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the index's checksums (faster open of a large index you wrote yourself)")
    locking(p)
    return parser, subs


# =========================================================================== running
class UI:
    """Messages on standard error: warnings, progress bar, verbose notes and the summary line."""

    def __init__(self, args):
        self.quiet = args.quiet
        self.verbose = args.verbose
        self.warnings = 0
        self.start = time.perf_counter()
        self.interactive = sys.stderr.isatty() and not self.quiet

    def _write(self, msg: str) -> None:
        from tqdm import tqdm

        tqdm.write(msg, file=sys.stderr)  # keeps a running progress bar intact

    def warn(self, msg: str) -> None:
        self.warnings += 1
        if self.quiet:
            return
        if self.warnings <= MAX_WARNINGS or self.verbose:
            self._write(f"near-dups: warning: {msg}")
        elif self.warnings == MAX_WARNINGS + 1:
            self._write("near-dups: warning: more warnings follow; -v shows them all")

    def note(self, msg: str) -> None:
        if self.verbose and not self.quiet:
            self._write(f"near-dups: {msg} ({time.perf_counter() - self.start:.2f} s)")

    def status(self, msg: str | None) -> None:
        """A one-line status on a terminal for a step without a progress bar; None clears it."""
        if self.interactive:
            sys.stderr.write("\r\x1b[K" + (f"{msg}…" if msg else ""))
            sys.stderr.flush()

    def first_run(self) -> None:
        """Say that this run compiles the kernels, when numba's cache holds none of them yet (a terminal, or -v)."""
        if (self.interactive or self.verbose) and not self.quiet and kernels_uncompiled():
            self._write("near-dups: first run: compiling the kernels, once (about 15-60 s; later runs load "
                        "them from numba's cache in about a second)")

    def progress(self, total: int, desc: str):
        from tqdm import tqdm

        return tqdm(total=total or None, desc=desc, unit="B", unit_scale=True, leave=False,
                    file=sys.stderr, disable=not self.interactive, dynamic_ncols=True)

    def summary(self, corpus, what: str) -> None:
        """The last line on standard error: what was read (if ``corpus``), what was done, how long."""
        if self.quiet:
            return
        read = ""
        if corpus is not None:
            skipped = f", {corpus.skipped} skipped" if corpus.skipped else ""
            read = f"{plural(len(corpus), 'document')}{skipped}, {corpus.nbytes / 1e6:.2f} MB, "
        print(f"near-dups: {read}{what}, {time.perf_counter() - self.start:.2f} s", file=sys.stderr)


def plural(n: int, word: str) -> str:
    """``1 document``, ``2 documents``, ``0 documents``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def kernels_uncompiled() -> bool:
    """Whether numba's cache holds no compiled kernel of near-dups yet (the first run compiles them).

    Asks numba's own cache locators where the shingler's kernels are cached
    and looks for their index files: one ``listdir``, and without importing
    the kernels (importing compiles those with explicit signatures). Where
    the cache cannot be found, says False (no message rather than a wrong one).
    """
    try:
        from numba.core import caching

        source = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "_shingle.py")

        def probe():  # stands for a kernel of _shingle.py: locators read only its line number
            pass

        for locator_class in caching.CacheImpl._locator_classes:
            locator = locator_class.from_function(probe, source)
            if locator is not None:
                break
        else:
            return False
        folder = locator.get_cache_path()
        return not any(n.startswith("_shingle.") and n.endswith(".nbi") for n in os.listdir(folder))
    except Exception:  # numba's cache internals moved: stay quiet
        return False


def _option(args, name):
    value = getattr(args, name, None)
    return DEFAULTS[name] if value is None else value


def check_options(args) -> None:
    """Validate the shared options with the API's own checks; UsageError names the option."""
    try:
        dedup.Config(**{k: _option(args, k) for k in DEFAULTS})
    except (ValueError, TypeError) as e:
        name = str(e).split(" ", 1)[0]
        raise UsageError("--" + name.replace("_", "-") + " " + str(e).split(" ", 1)[1]) from None
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


def paths_of(args) -> tuple[dict, list]:
    """``(outputs, inputs)`` of a parsed command line: option -> path written, and paths read (``PATH_ARGS``)."""
    outputs, inputs = {}, []
    for dest, role in PATH_ARGS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if role == "index":
            role = "write" if args.command in ("index add", "index remove") or getattr(args, "add", False) else "read"
        if role == "read":
            inputs += value if isinstance(value, list) else [value]
        else:
            outputs[OUTPUT_LABELS[dest]] = value
    return outputs, inputs


def _sidecars(args) -> None:
    """Name the side outputs a command writes by default, so they are checked like the others."""
    if args.command == "dedup" and not args.report:
        args.report = _sidecar(args.output, "dropped")
    elif args.command == "collapse" and args.output and not args.dry_run and not args.removals:
        args.removals = _sidecar(args.output, "removals")
    elif args.command == "index filter" and not args.report:
        args.report = _sidecar(args.output, "held")


def read(args, ui, paths, output: str | None = None):
    """Read ``paths`` with a progress bar; the corpus must be closed by the caller.

    Every output of the command is checked against the input files found
    (``_io.check_paths``: a hard link to a file inside an input folder is
    caught here) before anything is read; with ``output``, a bad output path
    (another format, a non-empty folder) too.
    """
    sources = find_sources(paths, warn=ui.warn, skip_errors=args.skip_errors)
    check_paths(paths_of(args)[0], (), sources)
    if output is not None and all(s.kind != "stdin" for s in sources):
        check_output(output, sources)
    with ui.progress(total_bytes(sources), "reading") as bar:
        corpus = read_corpus(paths, text_field=args.text_field, id_field=args.id_field or "id",
                             id_field_given=args.id_field is not None, stdin_format=args.stdin_format,
                             skip_errors=args.skip_errors, warn=ui.warn, progress=bar.update, sources=sources,
                             encoding=args.encoding)
    ui.note(f"read {len(corpus)} documents from {len(corpus.sources)} file(s), {corpus.nbytes / 1e6:.2f} MB")
    return corpus


def build_index(args, ui, corpus, keep="first"):
    ui.note(f"indexing {len(corpus)} documents")
    ui.status(f"indexing {len(corpus)} documents")
    try:
        idx = dedup.index(zip(corpus.ids, corpus.texts), keep=keep, **{k: _option(args, k) for k in DEFAULTS})
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    finally:
        ui.status(None)
    ui.note(f"indexed: {idx!r}")
    return idx


def _dask_index(args, ui, corpus):
    """``build_index`` on Dask: a new LocalCluster (--dask) or the one at --scheduler."""
    try:
        from . import _dask as _dask_cli
        import dedup.dask  # noqa: F401  (its ImportError names the pip command)
    except ImportError as e:
        raise UsageError(f"--dask/--scheduler: {e}") from None
    where = f"the Dask cluster at {args.scheduler}" if args.scheduler else "a local Dask cluster"
    ui.note(f"indexing {len(corpus)} documents on {where}")
    ui.status(f"indexing {len(corpus)} documents on {where}")
    try:
        return _dask_cli.run(corpus.ids, corpus.texts, scheduler=args.scheduler, keep=args.keep,
                             **{k: _option(args, k) for k in DEFAULTS})
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    finally:
        ui.status(None)


def _call_block_api(name: str, args, ui, corpus):
    """``dedup.collapse``/``dedup.blocks`` with the options they accept (given ones only)."""
    fn = getattr(dedup, name, None)
    if fn is None:
        raise InputError(f"`near-dups {name}` needs dedup.{name}, which this version of near-dups "
                         "does not have yet")
    params = inspect.signature(fn).parameters
    open_ended = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    given = {k: getattr(args, k) for k in (*DEFAULTS, "unit", "mode", "remove")
             if getattr(args, k, None) is not None}
    kwargs = {k: v for k, v in given.items() if open_ended or k in params}
    for k in given.keys() - kwargs.keys():
        ui.warn(f"--{k.replace('_', '-')} is not used by {name}; ignored")
    ui.note(f"dedup.{name}({', '.join(f'{k}={v!r}' for k, v in kwargs.items())})")
    ui.status(f"{name}: {len(corpus)} documents")
    try:
        return list(fn(zip(corpus.ids, corpus.texts), **kwargs))
    except (ValueError, TypeError) as e:
        raise UsageError(str(e)) from None
    finally:
        ui.status(None)


def _sidecar(out: str, what: str) -> str:
    """``clean.jsonl.gz`` -> ``clean.dropped.jsonl``; ``clean/`` -> ``clean.dropped.jsonl``."""
    base = out.rstrip("/\\") or out
    for suffix in (".jsonl.gz", ".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".txt", ".md", ".gz"):
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{base}.{what}.jsonl"


def _mixed(*id_lists) -> bool:
    """Whether the ids mix strings and integers (then ``1`` and ``"1"`` must print differently)."""
    kinds = set()
    for ids in id_lists:
        kinds.update(map(type, ids))
    return len(kinds) > 1


def _quote_ids(records: list[dict]) -> list[dict]:
    """Records for text output with every id written as Python writes it, ``'1'`` apart from ``1``."""
    q = repr
    out = []
    for r in records:
        r = dict(r)
        for key in ("keep", "id"):
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


def _emit(args, write) -> None:
    """Call ``write(out, style)`` on -o FILE (atomically) or standard output."""
    dest = getattr(args, "output", None) or "-"
    style = Style.for_stream(sys.stdout) if dest == "-" else Style(False)
    with atomic_file(dest, "w") as out:
        write(out, style)


# =========================================================================== commands
def cmd_find(args, ui) -> int:
    corpus = read(args, ui, args.paths)
    try:
        idx = build_index(args, ui, corpus, keep=args.keep)
        records, members = _cli_render.cluster_records(idx, args.keep)

        def write(out, style):
            if args.format == "text":
                shown = _quote_ids(records) if _mixed(corpus.ids) else records
                _cli_render.render_clusters(out, shown, members, corpus.texts, n_docs=len(corpus),
                                            threshold=_option(args, "threshold"), ngram=_option(args, "ngram"),
                                            style=style, shingle=_option(args, "shingle"))
            else:
                _cli_render.write_records(out, records, args.format, _cli_render.CLUSTER_COLUMNS)

        _emit(args, write)
        n_dup = sum(r["size"] - 1 for r in records)
        ui.summary(corpus, f"{plural(len(records), 'cluster')} ({plural(n_dup, 'duplicate')})")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and records else EXIT_OK


def cmd_dedup(args, ui) -> int:
    corpus = read(args, ui, args.paths, output=args.output)
    try:
        if args.dask or args.scheduler:
            idx = _dask_index(args, ui, corpus)
        else:
            idx = build_index(args, ui, corpus, keep=args.keep)
        records, members = _cli_render.cluster_records(idx, args.keep)
        where = {corpus.ids[p]: p for pos in members for p in pos}  # cluster members only
        dropped = _cli_render.dropped_records(records, lambda i: corpus.where(where[i]))
        report = args.report
        with Outputs() as outputs:  # the corpus and its report appear together, or neither
            written = write_corpus(corpus, args.output, keep=idx.keep_mask(args.keep), text_field=args.text_field,
                                   outputs=outputs)
            with atomic_file(report, "w", outputs=outputs) as out:
                _cli_render.write_records(out, dropped, "jsonl", _cli_render.REPORT_COLUMNS)
        ui.summary(corpus, f"{plural(len(records), 'cluster')}, {len(dropped)} dropped, {written} written to "
                           f"{args.output}, report in {report}")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and dropped else EXIT_OK


def cmd_collapse(args, ui) -> int:
    if not args.dry_run and not args.output:
        raise UsageError("-o/--output is required (or --dry-run to only report)")
    corpus = read(args, ui, args.paths, output=None if args.dry_run else args.output)
    try:
        results = _call_block_api("collapse", args, ui, corpus)
        if len(results) != len(corpus):
            raise RuntimeError(f"dedup.collapse returned {len(results)} documents for {len(corpus)}")
        texts = [r.text for r in results]  # one per document, in input order
        removals = _cli_render.removal_records(results, corpus.texts)
        touched = len({json.dumps(r["id"]) for r in removals})  # 1 and "1" are two documents
        if args.dry_run:
            shown = _quote_ids(removals) if _mixed(corpus.ids) else removals
            _emit(args, lambda out, style: (
                _cli_render.render_removals(out, shown, n_docs=len(corpus), style=style)
                if args.format == "text"
                else _cli_render.write_records(out, removals, args.format, _cli_render.REMOVAL_COLUMNS)))
            where = "dry run, nothing written"
        else:
            path = args.removals
            with Outputs() as outputs:  # the documents and their removals appear together, or neither
                write_corpus(corpus, args.output, texts=texts, text_field=args.text_field, outputs=outputs)
                with atomic_file(path, "w", outputs=outputs) as out:
                    _cli_render.write_records(out, removals, "jsonl", _cli_render.REMOVAL_COLUMNS)
            where = f"written to {args.output}, removals in {path}"
        ui.summary(corpus, f"{plural(len(removals), 'removal')} in {plural(touched, 'document')}, {where}")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and removals else EXIT_OK


def cmd_blocks(args, ui) -> int:
    corpus = read(args, ui, args.paths)
    try:
        groups = _call_block_api("blocks", args, ui, corpus)
        blocks = _cli_render.block_records(groups)
        shown = _quote_ids(blocks) if _mixed(corpus.ids) else blocks
        _emit(args, lambda out, style: (
            _cli_render.render_blocks(out, shown, n_docs=len(corpus), style=style)
            if args.format == "text"
            else _cli_render.write_records(out, blocks, args.format, _cli_render.BLOCK_COLUMNS)))
        ui.summary(corpus, f"{plural(len(blocks), 'repeated block')}")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and blocks else EXIT_OK


def cmd_passages(args, ui) -> int:
    from . import _passages_render as render

    corpus = read(args, ui, args.paths)
    try:
        for k in render.UNUSED:
            if getattr(args, k, None) is not None:
                ui.warn(f"--{k.replace('_', '-')} is not used by passages; ignored")
        try:
            config = render.passage_config(_given(args, ("min_words", "ngram")))
        except ValueError as e:
            raise UsageError(str(e)) from None
        ui.status(f"passages: {len(corpus)} documents")
        try:
            records = render.passage_records(dedup.passages(zip(corpus.ids, corpus.texts), config=config))
        finally:
            ui.status(None)
        _emit(args, lambda out, style: (
            render.render_passages(out, records, n_docs=len(corpus), min_words=config.min_words, style=style)
            if args.format == "text" else _cli_render.write_records(out, records, args.format, render.PASSAGE_COLUMNS)))
        ui.summary(corpus, plural(len(records), "passage group"))
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and records else EXIT_OK


def _one_document(args, ui, path):
    corpus = read(args, ui, [path])
    try:
        if len(corpus) != 1:
            raise InputError(f"{path}: holds {len(corpus)} documents; to compare two of them, give their ids: "
                             f"near-dups explain --corpus {path} ID_A ID_B")
        return corpus.ids[0], corpus.texts[0]
    finally:
        corpus.close()


def _pick(corpus, wanted: str, paths):
    for i, doc_id in enumerate(corpus.ids):
        if str(doc_id) == wanted:
            return doc_id, corpus.texts[i]
    sample = ", ".join(repr(str(x)) for x in corpus.ids[:3])
    raise InputError(f"no document with id {wanted!r} in {' '.join(paths)} (ids look like {sample})")


def cmd_explain(args, ui) -> int:
    if _option(args, "shingle") != "word":
        raise UsageError("explain compares word shingles only (its passages are runs of words); "
                         "leave out --shingle")
    if args.corpus:
        corpus = read(args, ui, args.corpus)
        try:
            (a_id, a), (b_id, b) = _pick(corpus, args.a, args.corpus), _pick(corpus, args.b, args.corpus)
        finally:
            corpus.close()
    else:
        if args.a == "-" and args.b == "-":
            raise UsageError("A and B cannot both be standard input")
        (a_id, a), (b_id, b) = _one_document(args, ui, args.a), _one_document(args, ui, args.b)
    from . import _explain as _cli_explain  # its regexes and numpy are needed only here

    rec = _cli_explain.explain(a_id, a, b_id, b, ngram=_option(args, "ngram"), threshold=_option(args, "threshold"))
    _emit(args, lambda out, style: (
        _cli_explain.render(out, rec, a, style) if args.format == "text"
        else out.write(json.dumps(rec, ensure_ascii=False, indent=1 if args.format == "json" else None) + "\n")))
    return EXIT_FOUND if args.fail_on_duplicates and rec["near_duplicates"] else EXIT_OK


# =========================================================================== near-dups index
def _given(args, names) -> dict:
    """The options among ``names`` that were given on the command line (not their defaults)."""
    return {k: getattr(args, k) for k in names if getattr(args, k, None) is not None}


def _id_kind(doc_id) -> str:
    return "int" if isinstance(doc_id, int) else "str"


def _check_id_kinds(corpus, want: str | None = None) -> None:
    """A saved index holds ids that are all str or all int: refuse a mix before the work, not at save."""
    want = want or _id_kind(corpus.ids[0])
    for k, doc_id in enumerate(corpus.ids):
        if _id_kind(doc_id) != want:
            raise InputError(f"{corpus.where(k)}: id {doc_id!r} is {_id_kind(doc_id)}, but the index's ids are {want}; "
                             "the ids of one index must all be strings or all be integers (see --id-field)")


def _must_exist(args) -> None:
    """Before a long read: the index named must be there (it is loaded, and checked, later)."""
    if not os.path.exists(args.index):
        raise InputError(f"{args.index}: no such index (make one with: near-dups index build PATH... "
                         f"-o {args.index})")


@contextlib.contextmanager
def writing(args, ui, path):
    """Hold the index's write lock (``dedup.lock``) for a read-modify-write: load it only inside."""
    from .._store import lock

    with contextlib.ExitStack() as stack:
        ui.status(f"waiting for the lock of {path}")
        try:
            stack.enter_context(lock(path, timeout=args.lock_timeout))
        except TimeoutError:
            raise InputError(f"{path}: another process is writing to this index; waited {args.lock_timeout:g} s "
                             "for it to finish (--lock-timeout SECONDS waits longer)") from None
        except ValueError as e:
            raise InputError(f"{path}: {e}") from None
        finally:
            ui.status(None)
        yield path


def open_index(args, ui, fixed=FIXED_BY_INDEX):
    """``dedup.load(IDX)``; a damaged index or a conflicting option is one clear error."""
    ui.status(f"opening {args.index}")
    try:
        idx = dedup.load(args.index, verify=not args.no_verify)
    except dedup.IndexFormatError as e:
        if not os.path.exists(args.index):
            raise InputError(f"{args.index}: no such index (make one with: near-dups index build PATH... "
                             f"-o {args.index})") from None
        hint = (f" (rebuild it with: near-dups index build PATH... -o {args.index} --force)"
                if os.path.isfile(os.path.join(args.index, "CURRENT")) and "rebuild" not in str(e) else "")
        raise InputError(f"{e}{hint}") from None
    finally:
        ui.status(None)
    ui.note(f"opened {idx!r}")
    for name, value in _given(args, fixed).items():
        have = getattr(idx.config, name)
        if value != have:
            flag = "--" + name.replace("_", "-")
            why = ("its verified pairs and LSH bands are made for it" if name == "threshold" else
                   "shingles and signatures made otherwise cannot be compared")
            raise UsageError(f"{flag} {value}: the index {args.index} was built with {flag} {have}; {why} "
                             f"(leave out {flag}, or build a new index)")
    return idx


def _query_threshold(args, ui, idx) -> float | None:
    """--threshold for matching against ``idx`` (None: the index's own); warns below the index's."""
    t = getattr(args, "threshold", None)
    if t is not None and t < idx.config.threshold:
        ui.warn(f"--threshold {t:g} is below the index's {idx.config.threshold:g}: a match below "
                f"{idx.config.threshold:g} is found only with the probability of the index's LSH (Index.s_curve)")
    return t


def _quietly(fn, *a, **kw):
    """Call the API with its below-the-index-threshold warning silenced (the CLI has said it once)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="query threshold")
        try:
            return fn(*a, **kw)
        except (ValueError, TypeError) as e:
            raise UsageError(str(e)) from None


def _new_to_index(args, ui, idx, corpus) -> list[int]:
    """Positions of the documents whose id is not in ``idx``; a known id is an error without --skip-existing."""
    if idx.ids:
        _check_id_kinds(corpus, _id_kind(idx.ids[0]))
    known = set(idx.ids)
    clash = [k for k, doc_id in enumerate(corpus.ids) if doc_id in known]
    if clash and not args.skip_existing:
        k = clash[0]
        more = f" (and {len(clash) - 1} more)" if len(clash) > 1 else ""
        raise InputError(f"{corpus.where(k)}: id {corpus.ids[k]!r} is already in the index {args.index}{more}; "
                         "--skip-existing skips such documents")
    if clash:
        ui.warn(f"skipped {plural(len(clash), 'document')} whose id is already in the index "
                f"(first: {corpus.ids[clash[0]]!r})")
    taken = set(clash)
    return [k for k in range(len(corpus)) if k not in taken]


def _save(args, ui, idx, path) -> None:
    ui.status(f"saving {path}")
    try:
        idx.save(path)
    except (ValueError, TypeError) as e:
        raise InputError(f"-o {path}: {e}" if getattr(args, "output", None) == path else str(e)) from None
    finally:
        ui.status(None)
    ui.note(f"saved {path}")


def _n_pairs(idx) -> int:
    return int(idx.pair_arrays()[0].shape[0])


def _check_index_output(out: str, force: bool) -> None:
    """Refuse an -o that is a file, another folder, or (without --force) an index; checked again under the lock."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(f"-o {out}: exists and is not a folder; an index is a folder")
    if os.path.isfile(os.path.join(out, "CURRENT")):
        if not force:
            raise InputError(f"-o {out}: already holds an index; `near-dups index add {out} PATH...` adds to it, "
                             "--force replaces it")
    elif os.path.isdir(out) and [n for n in os.listdir(out) if not _index_leftover(n)]:
        raise InputError(f"-o {out}: folder exists and is not empty; name a new or empty folder")


def _index_leftover(name: str) -> bool:
    """The lock file and what a killed save leaves in an index folder: not content (the next save sweeps it)."""
    return name == "LOCK" or name.startswith((".gen-", ".CURRENT.tmp-"))


def cmd_index_build(args, ui) -> int:
    _check_index_output(args.output, args.force)
    corpus = read(args, ui, args.paths)
    try:
        _check_id_kinds(corpus)
        idx = build_index(args, ui, corpus)
        with writing(args, ui, args.output):
            _check_index_output(args.output, args.force)  # another build may have saved here meanwhile
            _save(args, ui, idx, args.output)
        pairs = _n_pairs(idx)
        ui.summary(corpus, f"index of {plural(len(idx), 'document')} ({plural(pairs, 'near-duplicate pair')}) "
                           f"saved to {args.output}")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and pairs else EXIT_OK


def cmd_index_add(args, ui) -> int:
    _must_exist(args)
    corpus = read(args, ui, args.paths)
    try:
        with writing(args, ui, args.index):
            idx = open_index(args, ui, FIXED_BY_INDEX + ("threshold",))  # loaded under the lock: the latest
            new = _new_to_index(args, ui, idx, corpus)
            n_old = len(idx)
            if new:
                ui.status(f"adding {len(new)} documents")
                try:
                    _quietly(idx.add, [(corpus.ids[k], corpus.texts[k]) for k in new])
                finally:
                    ui.status(None)
                _save(args, ui, idx, args.index)
        i, j, _ = idx.pair_arrays()
        touched = int((j >= n_old).sum())  # pairs with an added document (i < j in input order)
        skipped = len(corpus) - len(new)
        ui.summary(corpus, f"{len(new)} added{f' ({skipped} already indexed)' if skipped else ''}, "
                           f"{plural(touched, 'new near-duplicate pair')}, index of "
                           f"{plural(len(idx), 'document')} {'saved to' if new else 'unchanged in'} {args.index}")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and touched else EXIT_OK


def cmd_index_query(args, ui) -> int:
    idx = open_index(args, ui)
    t = _query_threshold(args, ui, idx)
    corpus = read(args, ui, args.paths)
    try:
        ui.status(f"querying {len(corpus)} documents")
        try:
            found = _quietly(idx.query_many, corpus.texts, threshold=t)
        finally:
            ui.status(None)
        records = _cli_render.match_records(corpus.ids, found, corpus.where)
        threshold = idx.config.threshold if t is None else t

        def write(out, style):
            if args.format == "text":
                positions = [k for k, m in enumerate(found) if m]
                shown = _quote_ids(records) if _mixed(corpus.ids, idx.ids[:1]) else records
                _cli_render.render_matches(out, shown, [corpus.texts[k] for k in positions], n_docs=len(corpus),
                                           n_indexed=len(idx), threshold=threshold, style=style)
            else:
                _cli_render.write_records(out, records, args.format, _cli_render.MATCH_COLUMNS)

        _emit(args, write)
        ui.summary(corpus, f"{len(records)} with near-duplicates among the {plural(len(idx), 'indexed document')}")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and records else EXIT_OK


HELD_COLUMNS = ["id", "source", "matched", "matched_in", "jaccard", "reason"]


def _held_records(corpus, held) -> list[dict]:
    """One report record per document ``index filter`` held back: what it duplicated, and how closely."""
    where = {doc_id: k for k, doc_id in enumerate(corpus.ids)}
    out = []
    for doc_id, matched, score, indexed in held:
        what = "indexed document" if indexed else "earlier input document"
        reason = f"same text as {what} {matched}" if score == 1.0 else \
            f"near-duplicate (jaccard {score:.3f}) of {what} {matched}"
        out.append({"id": _cli_render.jsonable(doc_id), "source": corpus.where(where[doc_id]),
                    "matched": _cli_render.jsonable(matched), "matched_in": "index" if indexed else "input",
                    "jaccard": score, "reason": reason})
    return out


def cmd_index_filter(args, ui) -> int:
    if args.skip_existing and not args.add:
        raise UsageError("--skip-existing applies with --add only")
    _must_exist(args)
    corpus = read(args, ui, args.paths, output=args.output)
    try:
        with writing(args, ui, args.index) if args.add else contextlib.nullcontext():
            idx = open_index(args, ui)  # with --add: loaded under the lock, the latest
            t = _query_threshold(args, ui, idx)
            candidates = _new_to_index(args, ui, idx, corpus) if args.add else list(range(len(corpus)))
            ui.status(f"filtering {len(corpus)} documents")
            held: list = []
            try:
                docs = [(corpus.ids[k], corpus.texts[k]) for k in candidates]
                passed = {doc_id for doc_id, _ in _quietly(idx.filter_new, docs, add=args.add, threshold=t,
                                                           held=held)}
            finally:
                ui.status(None)
            keep = [doc_id in passed for doc_id in corpus.ids]  # ids are unique within a corpus
            with Outputs() as outputs:  # OUT and the report appear once the index is saved, or not at all
                written = write_corpus(corpus, args.output, keep=keep, text_field=args.text_field, outputs=outputs)
                with atomic_file(args.report, "w", outputs=outputs) as out:
                    _cli_render.write_records(out, _held_records(corpus, held), "jsonl", HELD_COLUMNS)
                if args.add and passed:
                    _save(args, ui, idx, args.index)
        skipped = f" ({len(corpus) - len(candidates)} already indexed)" if len(candidates) < len(corpus) else ""
        added = f", added to {args.index} ({plural(len(idx), 'document')})" if args.add else ""
        ui.summary(corpus, f"{len(held)} held back as near-duplicates{skipped}, {written} written to "
                           f"{args.output}{added}, report in {args.report}")
    finally:
        corpus.close()
    return EXIT_FOUND if args.fail_on_duplicates and held else EXIT_OK


def _ids_to_remove(args) -> list[str]:
    ids = list(args.ids)
    if args.ids_from:
        try:
            if args.ids_from == "-":
                lines = sys.stdin.read().splitlines()
            else:
                with open(args.ids_from, encoding="utf-8-sig") as f:
                    lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"--ids-from {args.ids_from}: {getattr(e, 'strerror', None) or e}") from None
        ids += [line for line in lines if line.strip()]  # an id is the whole line; blank lines are skipped
    if not ids:
        raise UsageError("name the ids to remove (ID... or --ids-from FILE)")
    return ids


def cmd_index_remove(args, ui) -> int:
    wanted = _ids_to_remove(args)
    _must_exist(args)
    with writing(args, ui, args.index):
        return _remove_locked(args, ui, wanted)


def _remove_locked(args, ui, wanted) -> int:
    idx = open_index(args, ui, ())  # loaded under the lock: the latest
    indexed = set(idx.ids)
    if idx.ids and isinstance(idx.ids[0], int):  # an index of integer ids: the shell gives strings
        wanted = [int(w) if re.fullmatch(r"-?[0-9]+", w) and int(w) in indexed else w for w in wanted]
    wanted = list(dict.fromkeys(wanted))  # once each, in the order given
    missing = [w for w in wanted if w not in indexed]
    if missing and not args.missing_ok:
        more = f" (and {plural(len(missing) - 1, 'other id')})" if len(missing) > 1 else ""
        raise InputError(f"{args.index}: no document with id {missing[0]!r}{more}; --missing-ok skips ids "
                         "that are not indexed")
    present = [w for w in wanted if w in indexed]
    if present:
        ui.status(f"removing {len(present)} documents")
        try:
            idx.remove(present)
        finally:
            ui.status(None)
        _save(args, ui, idx, args.index)
    skipped = f" ({len(missing)} not indexed)" if missing else ""
    ui.summary(None, f"{len(present)} removed{skipped}, index of {plural(len(idx), 'document')} "
                     f"({plural(_n_pairs(idx), 'near-duplicate pair')}) {'saved to' if present else 'unchanged in'} "
                     f"{args.index}")
    return EXIT_OK


RUN = {"find": cmd_find, "dedup": cmd_dedup, "collapse": cmd_collapse, "blocks": cmd_blocks,
       "passages": cmd_passages, "explain": cmd_explain, "index build": cmd_index_build, "index add": cmd_index_add,
       "index query": cmd_index_query, "index filter": cmd_index_filter, "index remove": cmd_index_remove}


# =========================================================================== entry point
def _dispatch_argv(argv: list[str]) -> list[str]:
    """A first argument that is not a command (nor --help/--version) means ``find``."""
    if argv and argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version"):
        return ["find", *argv]
    return argv


def main(argv: list[str] | None = None) -> int:
    """Run ``near-dups`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    argv = _dispatch_argv(list(sys.argv[1:] if argv is None else argv))
    parser, subs = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra and getattr(args, "index_command", None) == "remove" and not any(x.startswith("-") for x in extra):
            args.ids += extra  # `index remove IDX --missing-ok ID...`: ids after an option
        elif extra:
            parser.parse_args(argv)  # argparse's own message for what it did not recognize
    except SystemExit as e:  # argparse has printed usage and the error (or the help)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("near-dups: error: give a PATH to search (or a command); near-dups --help explains", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "index":
        if args.index_command is None:
            subs["index"].print_usage(sys.stderr)
            print(f"near-dups index: error: give a command: {', '.join(INDEX_COMMANDS)}; "
                  "near-dups index --help explains", file=sys.stderr)
            return EXIT_USAGE
        args.command = f"index {args.index_command}"
    ui = UI(args)
    ui.first_run()  # before anything imports the kernels (importing compiles those with explicit signatures)
    try:
        check_options(args)
        _sidecars(args)
        check_paths(*paths_of(args))  # no output may be an input: checked here, for every command
        return RUN[args.command](args, ui)
    except UsageError as e:
        subs[args.command].print_usage(sys.stderr)
        print(f"near-dups {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as e:
        print(f"near-dups: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("near-dups: interrupted; no output was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `near-dups corpus/ | head`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as e:  # disk full, permission denied, read-only: name the file and the OS's reason
        where = f"{e.filename}: " if e.filename else ""
        print(f"near-dups: error: {where}{_fs.reason(e)}; nothing was written", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return EXIT_USAGE
    except Exception as e:
        if args.verbose:
            traceback.print_exc()
        print(f"near-dups: internal error: {type(e).__name__}: {e} (run with -v for the traceback; "
              "please report it)", file=sys.stderr)
        return EXIT_INTERNAL

