"""Every console example of the README runs, and prints what the README shows.

Each ```console block of README.md is a list of ``$ command`` lines, each
followed by its output (standard output, then standard error, as a terminal
shows them when nothing is interleaved). The commands run with bash in a
folder holding a copy of ``corpus/``, with the installed ``near-dups`` first on
PATH, and their output must be the README's, except for:

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
    """``(command, expected output lines)`` of every ``$`` line in the README's console blocks."""
    out = []
    for block in re.findall(r"^```console\n(.*?)^```", text, re.S | re.M):
        for part in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, rest = part.partition("\n")
            lines = rest.split("\n")
            while lines and not lines[-1].strip():
                lines.pop()
            out.append((command, lines))
    return out


EXAMPLES = console_examples((ROOT / "README.md").read_text(encoding="utf-8"))


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
    """A folder with a copy of corpus/, and the environment that puts this near-dups first on PATH."""
    d = tmp_path_factory.mktemp("readme")
    shutil.copytree(CORPUS, d / "corpus")
    script = shutil.which("near-dups", path=os.path.dirname(sys.executable))
    bin_dir = os.path.dirname(script) if script else str(d / "bin")
    if not script:  # not installed as a script: a stand-in that runs the module
        os.makedirs(bin_dir)
        stub = os.path.join(bin_dir, "near-dups")
        with open(stub, "w") as f:
            f.write(f'#!/bin/sh\nexec {sys.executable} -m dedup.cli "$@"\n')
        os.chmod(stub, 0o755)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "COLUMNS": "100"}
    env.pop("NO_COLOR", None)
    return d, env


def test_the_readme_has_console_examples():
    commands = [c for c, _ in EXAMPLES]
    assert "near-dups corpus/" in commands and any(c.startswith("near-dups report ") for c in commands)


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_console_example(command, expected, shell):
    cwd, env = shell
    p = subprocess.run(["bash", "-c", command + " 2>&1"], cwd=cwd, env=env, capture_output=True, text=True,
                       timeout=300)
    actual = TIMING.sub("N s", p.stdout.rstrip("\n")).split("\n")
    want = [TIMING.sub("N s", line) for line in expected]
    assert p.returncode == 0, p.stdout
    assert _matches(want, actual), "\n".join(["README:", *want, "", "actual:", *actual])


def test_the_readme_names_every_command():
    """The README's command line section lists every command of the table (and every command of a group)."""
    from dedup.cli import _table

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The command line"):]
    section = " ".join(section[: section.index("\n## ")].split())
    for name in _table.TOP:
        assert f"`{name}`" in section or name == _table.DEFAULT, name
    for group in _table.GROUPS:
        assert ", ".join(f"`{c.name.split()[1]}`" for c in _table.members(group)) in section.replace(" and ", ", ")
