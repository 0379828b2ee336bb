"""The one table of commands, and everything generated from it: the parser, usage lines, help and path checks.

``TABLE`` lists every command once, in the order ``near-dups --help`` shows
them; a command of a group (``index build``) is listed under its group
(``near-dups index --help``). Each entry is a :class:`_command.Command`
defined next to the code that runs it. The help tests are parametrized over
this table, so a command added here is checked like the others.
"""

from __future__ import annotations

import argparse
import difflib
import os
import textwrap

import dedup

from .._core._options import INDEX, COLLAPSE, LONG_MARGIN, SHINGLES, SKETCHES, UNITS
from . import _blocks, _find, _index, _overview, _passages, _report, _warm
from ._command import Command
from ._io._sources import STDIN_FORMATS

#: Every command, in the order of the help.
TABLE: tuple[Command, ...] = (_overview.OVERVIEW, _find.FIND, _find.DEDUP, _blocks.COLLAPSE, _blocks.BLOCKS,
                              _passages.PASSAGES, _passages.EXPLAIN, _report.REPORT, *_index.COMMANDS, _warm.WARM)
#: What a first argument that names no command runs: ``near-dups corpus/`` is ``near-dups overview corpus/``.
DEFAULT = "overview"
#: Groups of commands: name -> (their line in ``near-dups --help``, the first line of ``near-dups NAME --help``).
GROUPS = {"index": _index.GROUP_HELP}

BY_NAME = {c.name: c for c in TABLE}
#: The first word of every command line: commands, and groups once each.
TOP = tuple(dict.fromkeys(c.name.split()[0] for c in TABLE))


def members(group: str) -> tuple[Command, ...]:
    """The commands of ``group``, in table order."""
    return tuple(c for c in TABLE if c.name.startswith(group + " "))


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
  skipped with a warning:  files in a folder whose suffix is not read (read
                           as text with --all-files), binary files found in
                           a folder (hidden files, such as near-dups' own
                           temporary files, and blank JSON lines are
                           skipped silently)
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
                           an input folder, an output file that exists
                           (--force replaces it), a damaged index
  --skip-errors skips the unreadable file or record instead (with a warning)
  and goes on; what was read before a truncated .gz is kept.

exit codes: 0 ok, 1 duplicates found with --fail-on-duplicates, 2 usage or
input error, or an output that could not be written (disk full, permission
denied: nothing is left half written), 3 internal error (details with -v),
130 interrupted (nothing is left half written)."""


def writes_files(c: Command) -> bool:
    """Whether ``c`` writes an output other than an index it updates in place (it then takes ``--force``)."""
    return any(p.role == "write" and p.label != "index" for p in c.paths)


# --------------------------------------------------------------------------- help texts
def usage(c: Command) -> str:
    """``near-dups NAME OPERANDS`` (the default command's name in brackets: it may be left out)."""
    name = f"[{c.name}]" if c.name == DEFAULT else c.name
    return f"near-dups {name} {c.usage}"


def _listing(title: str, rows: list[tuple[str, str]]) -> str:
    """``title:`` and one row per (name, help), helps aligned and wrapped at 79 columns."""
    pad = max(len(name) for name, _ in rows) + 2
    lines = [f"{title}:"]
    for name, text in rows:
        lines.append(textwrap.fill(text, 79, initial_indent=f"  {name:<{pad}}", subsequent_indent=" " * (pad + 2),
                                   break_on_hyphens=False))
    return "\n".join(lines)


def _examples(lines) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def epilog(c: Command) -> str:
    """What follows the options in ``near-dups NAME --help``: examples, notes, and how inputs are read."""
    parts = [_examples(c.examples)]
    if c.notes:
        parts.append(c.notes)
    if c.reads_inputs:
        parts.append(INPUTS_HELP)
    return "\n\n".join(parts)


def _top_rows() -> list[tuple[str, str]]:
    rows = []
    for name in TOP:
        if name in GROUPS:
            subs = ", ".join(c.name.split()[1] for c in members(name))
            rows.append((name, f"{GROUPS[name][0]}: {subs} (near-dups {name} --help)"))
        else:
            c = BY_NAME[name]
            rows.append((name, ("(default) " if name == DEFAULT else "") + c.help))
    return rows


def top_help() -> str:
    """The description of ``near-dups --help``: what it does, the commands, examples, how inputs are read."""
    return "\n\n".join([
        "Find near-duplicate documents (shingles -> MinHash -> LSH -> exact Jaccard),\n"
        "drop them, collapse repeated blocks, list shared passages, explain a pair.",
        _listing("commands", _top_rows()),
        f"A path as the first argument runs {DEFAULT}: `near-dups corpus/` is\n"
        f"`near-dups {DEFAULT} corpus/`. The first argument is a command when it is one of\n"
        "the names above; for a file or folder with such a name, write\n"
        f"`near-dups {DEFAULT} ./dedup`. Options go after the command.",
        _examples(c.examples[0] for c in TABLE),
        "Run `near-dups COMMAND --help` for a command's options.",
        INPUTS_HELP])


def group_help(group: str) -> str:
    """The description of ``near-dups GROUP --help``: what it is for, its commands, an example of each."""
    cs = members(group)
    return "\n\n".join([
        GROUPS[group][1],
        _listing("commands", [(c.name.split()[1], c.help) for c in cs]),
        _examples(c.examples[0] for c in cs),
        f"Run `near-dups {group} COMMAND --help` for a command's options."])


# --------------------------------------------------------------------------- parser
class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog):
        super().__init__(prog, max_help_position=30)


def shared_options() -> argparse.ArgumentParser:
    """The options every command takes (a parent parser); their defaults come from ``_options``."""
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("similarity")
    g.add_argument("--threshold", type=float, metavar="T",
                   help=f"near-duplicates have Jaccard similarity >= T, in (0, 1] (default {INDEX['threshold']:g}; "
                        f"collapse/blocks: {COLLAPSE['threshold']:g}, blocks of {COLLAPSE['long_words']}+ words in two "
                        f"documents also at T - {LONG_MARGIN:g}; index query/filter: the index's)")
    g.add_argument("--ngram", type=int, metavar="N",
                   help=f"words per shingle, >= 1 (default {INDEX['ngram']}; collapse/blocks: {COLLAPSE['ngram']})")
    g.add_argument("--shingle", choices=SHINGLES,
                   help="shingle unit: words, or characters (--ngram then counts characters) "
                        f"(default: {INDEX['shingle']})")
    g.add_argument("--num-perm", type=int, metavar="K",
                   help=f"MinHash permutations, >= 1 (default {INDEX['num_perm']}; collapse/blocks: "
                        f"{COLLAPSE['num_perm']})")
    g.add_argument("--seed", type=int, metavar="S", help=f"MinHash seed, in [0, 2**64) (default {INDEX['seed']})")
    g.add_argument("--sketch", choices=SKETCHES,
                   help="signature family: one-permutation hashing (one hash per shingle), or classic MinHash "
                        f"(--num-perm hashes per shingle); answers are verified either way (default: {INDEX['sketch']})")
    g.add_argument("--unit", choices=UNITS,
                   help=f"what a block is, for collapse and blocks (default: {COLLAPSE['unit']}); other commands "
                        "ignore it")
    g = p.add_argument_group("input")
    g.add_argument("--text-field", default="text", metavar="NAME",
                   help="field or column holding the text (default: text)")
    g.add_argument("--id-field", metavar="NAME",
                   help="field or column holding the id (default: id if present, else FILE:LINE)")
    g.add_argument("--stdin-format", choices=STDIN_FORMATS, default=STDIN_FORMATS[0],
                   help="how to read -: JSON Lines, one text, or one document per line (default: auto)")
    g.add_argument("--encoding", metavar="CODEC",
                   help="read text and CSV files with CODEC, strictly (default: UTF-8, else the byte-order mark, "
                        "else the encoding detected, with a warning); JSON and JSON Lines are always UTF-8")
    g.add_argument("--all-files", action="store_true",
                   help="in folders, read every file, not only the suffixes listed below: the others as text, "
                        "those that are binary (by their content) skipped with a warning")
    g.add_argument("--skip-errors", action="store_true",
                   help="skip unreadable files and records with a warning instead of stopping")
    g = p.add_argument_group("memory (commands that index or cut blocks: find, dedup, index build, collapse, blocks, "
                             "the overview, report; passages with --memory, --workdir or --keep-workdir)")
    g.add_argument("--memory", metavar="SIZE",
                   help="RAM for the arrays of the index or of the blocks, such as 2G or 512M; past half of it they "
                        "go to files in a work directory, used memory-mapped, with the same answers (default: half "
                        "the RAM available)")
    g.add_argument("--workdir", metavar="DIR",
                   help="where the work directory is made (default: the output's folder, else the system's "
                        "temporary folder); it is removed at the end")
    g.add_argument("--keep-workdir", action="store_true", default=None,
                   help="leave the work directory in place, to inspect it")
    g = p.add_argument_group("run")
    g.add_argument("--jobs", type=int, metavar="N", help="threads for the numba kernels (default: all cores)")
    g.add_argument("--fail-on-duplicates", action="store_true",
                   help="exit 1 when any duplicate (collapse: removal, blocks: block) is found")
    g.add_argument("-q", "--quiet", action="store_true", help="no progress bar, warnings or summary")
    g.add_argument("-v", "--verbose", action="count", default=0, help="timings and details; tracebacks on errors")
    return p


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The parser of ``near-dups``, and the parser of every command and group by name."""
    parser = argparse.ArgumentParser(prog="near-dups", usage="near-dups [COMMAND] PATH... [options]",
                                     description=top_help(), formatter_class=_Formatter)
    parser.add_argument("--version", action="version", version=f"near-dups {dedup.__version__}")
    top = parser.add_subparsers(dest="command", metavar="COMMAND", help=argparse.SUPPRESS)  # listed by top_help
    shared = shared_options()
    subs: dict[str, argparse.ArgumentParser] = {}
    within: dict[str, argparse._SubParsersAction] = {}
    for c in TABLE:
        group, _, leaf = c.name.rpartition(" ")
        if group and group not in within:
            g = top.add_parser(group, help=GROUPS[group][0], description=group_help(group),
                               formatter_class=_Formatter, prog=f"near-dups {group}",
                               usage=f"near-dups {group} COMMAND ...")
            subs[group] = g
            within[group] = g.add_subparsers(dest=f"{group}_command", metavar="COMMAND",
                                             help=argparse.SUPPRESS)  # listed by group_help
        p = (within[group] if group else top).add_parser(
            leaf, help=c.help, description=textwrap.fill(c.description, 79, break_on_hyphens=False), parents=[shared],
            formatter_class=_Formatter, prog=f"near-dups {c.name}", usage=usage(c) + " [options]", epilog=epilog(c))
        c.arguments(p)
        if writes_files(c) and not any("--force" in a.option_strings for a in p._actions):
            p.add_argument("--force", action="store_true",
                           help="replace output files that already exist (without it, an existing file is never "
                                "replaced; a folder output must be new or empty)")
        subs[c.name] = p
    return parser, subs


def command_like(p: str) -> str:
    """`` (did you mean ...)`` when a missing path is a mistyped command name (``near-dups fnd corpus/``)."""
    if os.sep in p or "." in p:
        return ""
    close = difflib.get_close_matches(p, TOP, n=1, cutoff=0.75)
    return f" (did you mean the command `near-dups {close[0]}`?)" if close else ""


def dispatch(argv: list[str]) -> list[str]:
    """A first argument that is not a command (nor --help/--version) means the default command."""
    if argv and argv[0] not in TOP and argv[0] not in ("-h", "--help", "--version"):
        return [DEFAULT, *argv]
    return argv
