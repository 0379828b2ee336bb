"""What a command is: one record holding everything the parser, the help and the path checks need.

Each command module (``_find``, ``_blocks``, ``_passages``, ``_index``, ...)
defines its :class:`Command` next to the code that runs it; ``_table`` lists
them, in the order ``near-dups --help`` shows them, and generates the
parser, usage lines, command lists and path checks from that one table.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Suffixes taken off an output's name to name its side file (``clean.jsonl.gz`` -> ``clean.dropped.jsonl``).
_OUTPUT_SUFFIXES = (".jsonl.gz", ".jsonl", ".ndjson", ".json", ".csv", ".parquet", ".txt", ".md", ".gz")


@dataclass(frozen=True)
class PathArg:
    """An argument naming a path, and what the command does with it.

    Attributes
    ----------
    dest : the argparse dest (``paths``, ``output``, ``index``, ...).
    role : ``"read"`` or ``"write"``.
    label : how messages name a written path (``-o``, ``--report``, ``index``).
    written_with : a flag (dest) that makes a path read otherwise written
        (``index filter IDX --add`` saves the index it reads).
    side : ``(base dest, what)``: when not given, the path is the side file
        ``BASE.what.jsonl`` next to the output ``base`` names (``dedup -o
        clean.jsonl`` writes ``clean.dropped.jsonl``); named before the checks,
        so a default side file is checked like any output.
    """

    dest: str
    role: str
    label: str = ""
    written_with: str | None = None
    side: tuple[str, str] | None = None


@dataclass(frozen=True)
class Command:
    """One command of ``near-dups``: its arguments, what runs it, and its help.

    Attributes
    ----------
    name : ``"find"``, or ``"index build"`` for a command of a group.
    arguments : adds the command's own arguments to its parser (the shared
        options are added for every command).
    run : ``(args, ui) -> exit code``.
    help : one line, in the command lists.
    description : the first paragraph of ``near-dups NAME --help``.
    usage : the operands after ``near-dups NAME`` (``"PATH... -o OUT"``).
    examples : command lines, as typed; the first one is also listed by
        ``near-dups --help``. A test parses each one.
    notes : what follows the examples in ``--help`` (output fields, rules).
    paths : every argument naming a path (checked by ``main`` before the run).
    configure : ``args -> config`` (``dedup.Config``, ``CollapseConfig``,
        ``PassageConfig``, or None): the options the command passes to the
        API, validated before anything is read; ``run`` finds it as
        ``args.config``.
    ignores : shared options the command does not use: given, they are
        warned about and ignored.
    rest : the dest of a ``nargs="*"`` operand that also takes operands given
        after an option (``index remove IDX --missing-ok ID...``).
    reads_inputs : whether ``--help`` explains the input formats.
    """

    name: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Any], int]
    help: str
    description: str
    usage: str
    examples: tuple[str, ...]
    notes: str = ""
    paths: tuple[PathArg, ...] = ()
    configure: Callable[[argparse.Namespace], Any] | None = None
    ignores: tuple[str, ...] = ()
    rest: str | None = None
    reads_inputs: bool = True


def side_file(out: str, what: str) -> str:
    """``clean.jsonl.gz`` -> ``clean.dropped.jsonl``; ``clean/`` -> ``clean.dropped.jsonl``."""
    base = out.rstrip("/\\") or out
    for suffix in _OUTPUT_SUFFIXES:
        if base.lower().endswith(suffix):
            base = base[: -len(suffix)]
            break
    return f"{base}.{what}.jsonl"


def name_side_files(command: Command, args: argparse.Namespace) -> None:
    """Give each side output that was not named its default path (``PathArg.side``), where its base is given.

    A dry run (``--dry-run``) writes no side file.
    """
    if getattr(args, "dry_run", False):
        return
    for p in command.paths:
        if p.side is not None and getattr(args, p.dest, None) is None:
            base = getattr(args, p.side[0], None)
            if base:
                setattr(args, p.dest, side_file(base, p.side[1]))


def paths_of(command: Command, args: argparse.Namespace) -> tuple[dict, list]:
    """``(outputs, inputs)`` of a parsed command line: label -> path written, and the paths read."""
    outputs, inputs = {}, []
    for p in command.paths:
        value = getattr(args, p.dest, None)
        if value is None:
            continue
        role = "write" if p.written_with and getattr(args, p.written_with, False) else p.role
        if role == "read":
            inputs += value if isinstance(value, list) else [value]
        else:
            outputs[p.label] = value
    return outputs, inputs
