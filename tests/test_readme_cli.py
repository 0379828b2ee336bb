"""Every console example of the README and of the docs runs, and prints what the page shows.

Each ```console block of README.md and of docs/**/*.md is a list of
``$ command`` lines, each followed by its output (standard output, then
standard error, as a terminal shows them when nothing is interleaved). The
commands of one page run in order with bash in a folder of that page's own
holding a copy of ``corpus/``, with the installed ``near-dups`` first on PATH,
and their output must be the page's, except for:

* the run's timing figure at the end of the summary line (``, 1.32 s``);
* a line ``...`` in the README, which marks output cut short: the lines
  around it must appear in order, anything may stand in its place.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.support import CORPUS, ROOT

TIMING = re.compile(r"\b\d+\.\d\d s$", re.M)


def console_examples(text: str) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` of every ``$`` line in the console blocks of a page."""
    out = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.S | re.M):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, rest = part.partition("\n")
            lines = rest.split("\n")
            while lines and not lines[-1].strip():
                lines.pop()
            out.append((command, lines))
    return out


#: The pages with console examples: the README, then the docs.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: ``(page, command, expected output lines)``, pages in order, commands in page order.
EXAMPLES = [(page.relative_to(ROOT).as_posix(), command, lines) for page in PAGES
            for command, lines in console_examples(page.read_text(encoding="utf-8"))]


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected``, each ``...`` line of which stands for any lines (maybe none)."""
    chunks, cur = [], []
    for line in expected:
        if line == "...":
            chunks.append(cur)
            cur = []
        else:
            cur.append(line)
    chunks.append(cur)
    if len(chunks) == 1:
        return actual == expected
    pos = 0
    for k, chunk in enumerate(chunks):
        if k == 0:
            if actual[: len(chunk)] != chunk:
                return False
            pos = len(chunk)
            continue
        if k == len(chunks) - 1:
            return actual[pos:][len(actual[pos:]) - len(chunk):] == chunk if chunk else True
        for start in range(pos, len(actual) - len(chunk) + 1):
            if actual[start:start + len(chunk)] == chunk:
                pos = start + len(chunk)
                break
        else:
            return False
    return True


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    """``page -> folder`` with a copy of corpus/ (one per page, made on first use), and the environment that puts
    this near-dups first on PATH."""
    root = tmp_path_factory.mktemp("readme")
    folders = {}

    def folder(page: str):
        if page not in folders:
            folders[page] = root / page.replace("/", "_")
            shutil.copytree(CORPUS, folders[page] / "corpus")
        return folders[page]

    script = shutil.which("near-dups", path=os.path.dirname(sys.executable))
    bin_dir = os.path.dirname(script) if script else str(root / "bin")
    if not script:  # not installed as a script: a stand-in that runs the module
        os.makedirs(bin_dir)
        stub = os.path.join(bin_dir, "near-dups")
        with open(stub, "w") as f:
            f.write(f'#!/bin/sh\nexec {sys.executable} -m dedup.cli "$@"\n')
        os.chmod(stub, 0o755)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    return folder, env


def test_the_readme_and_the_docs_have_console_examples():
    readme = [c for page, c, _ in EXAMPLES if page == "README.md"]
    assert "near-dups corpus/" in readme and any(c.startswith("near-dups dedup ") for c in readme)
    tour = [c for page, c, _ in EXAMPLES if page == "docs/guide/cli.md"]
    assert "near-dups corpus/" in tour and any(c.startswith("near-dups report ") for c in tour)


@pytest.mark.parametrize("page, command, expected", EXAMPLES, ids=[f"{p}: {c}" for p, c, _ in EXAMPLES])
def test_console_example(page, command, expected, shell):
    folder, env = shell
    cwd = folder(page)
    p = subprocess.run(["bash", "-c", command + " 2>&1"], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=300)
    out = p.stdout.rstrip("\n")
    actual = TIMING.sub("N s", out).split("\n") if out else []  # [] for a command that prints nothing
    want = [TIMING.sub("N s", line) for line in expected]
    assert p.returncode == 0, p.stdout
    assert _matches(want, actual), "\n".join([f"{page}:", *want, "", "actual:", *actual])


def test_the_readme_lists_every_command():
    """The README's table of commands is the command table: every command, in order, with its help line."""
    from dedup.cli import _table

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The command line"):]
    section = section[: section.index("\n## ")]
    row = re.compile(r"^\| `near-dups ([a-z ]+)` \| (.*?)(?: \(the default: `near-dups PATH…`\))? \|$", re.M)
    rows = row.findall(section)
    assert rows == [(c.name, c.help) for c in _table.TABLE]
