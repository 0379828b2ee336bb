"""The docs site: every public name in the API reference with its docstring, the CLI reference from the parsers.

``docs/api/*.md`` hold mkdocstrings directives (``::: dedup.index``); the
site is built from them by ``mkdocs build`` (CI: ``mkdocs build --strict``).
Without mkdocs installed (``pip install -e ".[docs]"``) the build test skips;
the checks of the directives and of the generated CLI reference run anyway.
"""

from __future__ import annotations

import ast
import html
import importlib
import importlib.util
import os
import re
import subprocess
import sys

import pytest

import dedup
from dedup.cli import _reference, _table

from tests.support import ROOT

API = ROOT / "docs" / "api"
DIRECTIVE = re.compile(r"^::: (\S+)\n((?:[ \t]+.*\n)*)", re.M)
#: The public names of dedup.dask, the module the API reference shows whole.
try:
    import dedup.dask as _dask

    DASK = list(_dask.__all__)
except ImportError:  # pragma: no cover - the dask extra is not installed
    DASK = ["MAX_EDGES", "drop_duplicates", "find_duplicates"]


def directives() -> dict[str, tuple[str, str]]:
    """``target -> (page, options text)`` of every ``::: target`` in docs/api/*.md."""
    out = {}
    for page in sorted(API.glob("*.md")):
        for target, options in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            assert target not in out, f"{target} is documented twice ({out[target][0]} and {page.name})"
            out[target] = (page.name, options)
    return out


def public_names() -> list[str]:
    """Every public name the API reference must show: ``dedup.X`` for X in ``__all__``, and dedup.dask's."""
    return [f"dedup.{n}" for n in dedup.__all__] + [f"dedup.dask.{n}" for n in DASK]


def test_the_static_imports_are_the_lazy_map():
    """dedup/__init__.py's ``if TYPE_CHECKING:`` imports (what type checkers and the API reference read) name
    exactly the modules of ``_WHERE`` (what ``import dedup`` loads lazily)."""
    tree = ast.parse((ROOT / "dedup" / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING")
    static = {a.name: node.module for node in block.body for a in node.names}
    assert static == dedup._WHERE


def test_every_public_name_has_a_directive():
    found = directives()
    public = {f"dedup.{n}" for n in dedup.__all__}
    assert not public - set(found), f"public names missing from docs/api: {sorted(public - set(found))}"
    assert not set(found) - public - {"dedup.dask"}, f"not public: {sorted(set(found) - public - {'dedup.dask'})}"
    for name in dedup.__all__:  # what mkdocstrings reads (the module _WHERE names) is the object dedup gives
        assert getattr(importlib.import_module(f"dedup.{dedup._WHERE[name]}"), name) is getattr(dedup, name)
    page, options = found["dedup.dask"]
    members = re.search(r"members: \[(.*)\]", options)
    assert members and sorted(m.strip() for m in members.group(1).split(",")) == sorted(DASK)


def test_the_api_overview_links_every_public_name():
    text = (API / "index.md").read_text(encoding="utf-8")
    for name in public_names():
        assert re.search(rf"\[`{re.escape(name)}`\]\([a-z-]+\.md#{re.escape(name)}\)", text), name


def test_the_cli_reference_has_every_command_and_option():
    """The generated reference has a section per command of the table, with every option of its parser."""
    text = _reference.markdown()
    _, subs = _table.build_parser()
    sections = re.split(r"^## ", text, flags=re.M)
    by_title = {s.split("\n", 1)[0]: s for s in sections[1:]}
    shared = by_title["Options every command takes {#options-every-command-takes}"]
    for c in _table.TABLE:
        section = by_title[f"`near-dups {c.name}` {{#near-dups-{c.name.replace(' ', '-')}}}"]
        assert _table.usage(c) in section and c.examples[0] in section
        for action in subs[c.name]._actions:
            for option in action.option_strings:
                listed = re.compile(rf"^- `(?:\S+ )*{re.escape(option)}\b", re.M)  # "- `-q, --quiet`: ..."
                if option not in ("-h", "--help"):
                    assert listed.search(section) or listed.search(shared), (c.name, option)


def _letters(text: str) -> str:
    """``text`` without whitespace: markup may put spaces where the docstring has none (``(`x`)``)."""
    return re.sub(r"\s+", "", text)


def _text(page: str) -> str:
    """A built page's text, tags dropped and entities decoded, without whitespace."""
    return _letters(html.unescape(re.sub(r"<[^>]+>", " ", page)))


def _first_sentence(obj) -> str:
    """The first sentence of ``obj``'s docstring, without code quotes, without whitespace."""
    doc = " ".join((obj.__doc__ or "").split("\n\n")[0].split())
    return _letters(re.split(r"(?<=[.:])\s", doc)[0].replace("`", ""))


@pytest.mark.slow
def test_the_built_api_reference_shows_every_public_name_with_its_docstring(tmp_path):
    if importlib.util.find_spec("mkdocs") is None or importlib.util.find_spec("mkdocstrings") is None:
        pytest.skip('mkdocs is not installed: pip install -e ".[docs]"')
    p = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                       cwd=ROOT, capture_output=True, text=True, timeout=600,
                       env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert p.returncode == 0, p.stderr
    pages = {path: path.read_text(encoding="utf-8") for path in (tmp_path / "site" / "api").rglob("*.html")}
    for name in public_names():
        holders = [path for path, page in pages.items() if f'id="{name}"' in page]
        assert holders, f"{name} is not in the built API reference"
        page = pages[holders[0]]
        after = _text(page[page.index(f'id="{name}"'):])[:3000]
        obj = getattr(importlib.import_module(name.rpartition(".")[0]), name.rpartition(".")[2])
        if name == "dedup.dask.MAX_EDGES":  # a constant: its doc comment
            assert _letters("Verified edges gathered to the client") in after
            continue
        assert _first_sentence(obj) in after, (name, _first_sentence(obj), after[:600])
    cli = (tmp_path / "site" / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    for c in _table.TABLE:
        assert f'id="near-dups-{c.name.replace(" ", "-")}"' in cli, c.name
