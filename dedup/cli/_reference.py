"""The command-line reference as Markdown, generated from the parsers ``_table`` builds.

The docs build (``docs/hooks.py``) writes it to the page ``reference/cli.md``;
``python -m dedup.cli._reference`` prints it. Nothing here is written by hand:
each command's usage, description, options (its own, then the options every
command takes, listed once), examples and notes come from its ``Command`` in
the table and from the argparse parser made from it, so the reference cannot
drift from ``near-dups COMMAND --help``.
"""

from __future__ import annotations

import argparse
import re

from . import _table

#: Characters Markdown would read as markup in help text (outside `code` spans).
_MARKUP = re.compile(r"([\\*_<>\[\]|#])")


def _escape(text: str) -> str:
    """``text`` with Markdown's markup characters escaped, except inside backquoted spans."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backquote: escape it too
        return _MARKUP.sub(r"\\\1", text).replace("`", r"\`")
    return "`".join(p if k % 2 else _MARKUP.sub(r"\\\1", p) for k, p in enumerate(parts))


def _anchor(name: str) -> str:
    return "near-dups-" + name.replace(" ", "-")


def _invocation(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    return parser._get_formatter()._format_action_invocation(action)  # "-o OUT, --output OUT", as --help shows


def _options(parser: argparse.ArgumentParser, skip: set[str]) -> list[str]:
    """A definition list per argument group of ``parser``: each option with its help, those in ``skip`` left out."""
    lines = []
    for group in parser._action_groups:
        rows = []
        for a in group._group_actions:
            if a.help == argparse.SUPPRESS or a.dest in skip or isinstance(a, argparse._HelpAction):
                continue
            help_ = parser._get_formatter()._expand_help(a) if a.help else ""
            rows.append(f"- `{_invocation(parser, a)}`: {_escape(help_)}")
        if rows:
            title = {"positional arguments": "operands", "options": "own options"}.get(group.title, group.title)
            lines += [f"*{_escape(title)}*", "", *rows, ""]
    return lines


def _block(text: str) -> list[str]:
    return ["```text", *text.rstrip("\n").split("\n"), "```", ""]


def markdown() -> str:
    """The whole reference page: the commands in one table, each command's section, the shared options."""
    parser, subs = _table.build_parser()
    shared = {a.dest for a in _table.shared_options()._actions}
    out = ["# Command-line reference", "",
           "Generated from the parsers of `near-dups` (`dedup/cli/_table.py`) when the docs are built: "
           "the same text as `near-dups COMMAND --help`. A path as the first argument runs "
           f"`{_table.DEFAULT}`: `near-dups corpus/` is `near-dups {_table.DEFAULT} corpus/`.", "",
           "| command | what it does |", "|---|---|"]
    for c in _table.TABLE:
        default = " (the default)" if c.name == _table.DEFAULT else ""
        out.append(f"| [`near-dups {c.name}`](#{_anchor(c.name)}) | {_escape(c.help)}{default} |")
    out += ["", "Every command also takes the [options every command takes](#options-every-command-takes).", ""]
    for c in _table.TABLE:
        p = subs[c.name]
        out += [f"## `near-dups {c.name}` {{#{_anchor(c.name)}}}", "", _escape(c.description), "",
                *_block(_table.usage(c) + " [options]"), *_options(p, shared),
                "*examples*", "", *_block("\n".join(c.examples))]
        if c.notes:
            out += ["*notes*", "", *_block(c.notes)]
    out += ["## Options every command takes {#options-every-command-takes}", "",
            "Some apply only to some commands: a command warns about, and ignores, a shared option it does not "
            "use.", "", *_options(_table.shared_options(), set()),
            "## Inputs, bad input and exit codes {#inputs}", "", *_block(_table.INPUTS_HELP)]
    return "\n".join(out).rstrip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
