"""The report page: one self-contained HTML file to review every decision of a run (``index_report``).

The page is a template (``page.html``) with its stylesheet (``report.css``)
and script (``details.js``, then ``report.js``, which calls it) read from
this package and put inline, the two
plots drawn here as SVG (``_svg``), and the data as one JSON blob
(``_data``). It loads nothing: no server, no network, no CDN.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Iterable, Mapping
from html import escape
from importlib import resources
from pathlib import Path

from .._core import _fs
from . import _svg
from ._data import Limits, build, check_limits

_DEFAULT = Limits()

__all__ = ["index_report", "render", "write", "build", "Limits"]


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def data_json(data: dict) -> str:
    """``data`` as JSON that is safe inside ``<script type="application/json">``.

    ``<`` is written ``\\u003c`` (no ``</script>`` or ``<!--`` can end the
    block), and lone surrogates (which UTF-8 cannot carry) as ``\\udXXX``
    escapes, so every string keeps its length in the browser.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c")
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(data: dict, hist) -> str:
    """The page's HTML for ``build``'s data and the histogram's scores."""
    s = data["settings"]["index"]
    plots = (_svg.similarity_histogram(hist, s["threshold"], what=data["hist"]["what"])
             + _svg.s_curve(s["bands (used)"], s["rows (used)"], s["threshold"]))
    page = _asset("page.html")
    parts = {"title": escape(data["title"]), "css": _asset("report.css"), "plots": plots,
             "data": data_json(data), "js": _asset("details.js") + "\n" + _asset("report.js")}
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], page)


def write(html: str, path) -> Path:
    """Write ``html`` to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(os.fspath(path))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ValueError(f"report: folder {str(folder)!r} of {str(path)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        os.chmod(tmp, _fs.file_mode())  # mkstemp makes it private; the page is a normal file
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass", newline="\n") as f:
            f.write(html)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def index_report(idx, path, texts=None, *, collapse=True, passages=None, title: str | None = None,
                 max_text_chars: int = _DEFAULT.max_text_chars, max_groups: int = _DEFAULT.max_groups,
                 max_occurrences: int = _DEFAULT.max_occurrences) -> Path:
    """``Index.report``: the report of an existing index (an index keeps no texts).

    ``texts`` takes every shape of ``docs`` (a mapping id -> text, ``(id,
    text)`` pairs, or plain texts aligned with ``idx.ids``) and must hold the
    text of every indexed document, and no other. Without ``texts`` the page
    shows what the index holds: clusters, exact scores and lengths, but no
    texts, word diffs, removals, blocks or passages.
    """
    from .._core._config import CollapseConfig

    limits = check_limits(max_text_chars, max_groups, max_occurrences)
    ccfg = _collapse_config(collapse, CollapseConfig)
    t0 = time.perf_counter()
    ids = list(idx.ids)
    if texts is None:
        if isinstance(collapse, CollapseConfig) or passages is not None:
            what = "collapse=CollapseConfig(...)" if passages is None else "passages"
            raise ValueError(f"{what} needs the documents' texts: idx.report(path, texts, ...)")
        times = {}
        return _finish(ids, None, idx, None, None, None, times, None, limits, title, path, t0)
    texts = _texts_of(ids, texts)
    pairs = list(zip(ids, texts))
    times = {}
    collapsed, groups = _collapse_and_blocks(pairs, ccfg, times)
    return _finish(ids, texts, idx, collapsed, groups, passages, times, ccfg, limits, title, path, t0)


def _texts_of(ids: list, texts) -> list:
    """The text of each of ``ids`` (an index's, in its order) from ``texts`` of any shape ``docs`` takes."""
    from .._text._documents import as_documents

    if isinstance(texts, Mapping):
        out = _by_id(ids, texts)
    elif isinstance(texts, Iterable) and not isinstance(texts, (str, bytes, bytearray)):
        out = list(texts)
        if out and not isinstance(out[0], str):  # (id, text) pairs, checked as dedup.index checks them
            out = _by_id(ids, dict(zip(*as_documents(out))))
        elif len(out) != len(ids):  # plain texts (as the first says): aligned with the ids
            raise ValueError(f"texts: expected {len(ids)} texts (one per indexed document, in the order of "
                             f"idx.ids), got {len(out)}; or give (id, text) pairs or a mapping id -> text")
    else:
        raise TypeError("texts must be a mapping id -> text, (id, text) pairs, or texts aligned with the index's "
                        f"ids, got {type(texts).__name__}")
    for i, t in zip(ids, out):
        if not isinstance(t, str):
            raise TypeError(f"texts: the text of document {i!r} must be str, got {type(t).__name__}")
    return out


def _by_id(ids: list, by_id: Mapping) -> list:
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ValueError(f"texts: no text for document id {missing[0]!r} ({len(missing)} missing)")
    if len(by_id) > len(ids):
        known = set(ids)
        other = next(i for i in by_id if i not in known)
        raise ValueError(f"texts: document id {other!r} is not in the index ({len(by_id) - len(ids)} such ids); "
                         "give the texts of the indexed documents only")
    return [by_id[i] for i in ids]


def _collapse_and_blocks(pairs, ccfg, times):
    """``collapse`` and ``blocks`` from one analysis (``times["collapse"]`` is both), or ``(None, None)``."""
    if ccfg is None:
        return None, None
    from .._blocks._collapse import collapse_and_blocks

    t = time.perf_counter()
    out = collapse_and_blocks(pairs, config=ccfg)
    times["collapse"] = time.perf_counter() - t
    return out


def _collapse_config(collapse, cls):
    if collapse is True:
        return cls()
    if collapse is False or collapse is None:
        return None
    if isinstance(collapse, cls):
        return collapse
    raise TypeError(f"collapse must be True, False or a dedup.CollapseConfig, got {type(collapse).__name__}")


def _finish(ids, texts, idx, collapsed, groups, passages, times, ccfg, limits, title, path, t0) -> Path:
    t = time.perf_counter()
    data, hist = build(ids, texts, index=idx, collapsed=collapsed, groups=groups, passages=passages, times=times,
                       collapse_config=ccfg, limits=limits, title=title)
    html_t = time.perf_counter()
    data["times"]["report"] = html_t - t  # building the page's data; rendering and writing follow
    data["times"]["total"] = html_t - t0
    data["times"] = {k: round(v, 3) for k, v in data["times"].items()}
    return write(render(data, hist), path)
