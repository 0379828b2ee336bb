"""``dedup.report(docs, path)``: index and collapse the documents, then write the page (``_page``)."""

from __future__ import annotations

import time
from pathlib import Path

from .._core._config import CollapseConfig
from .._indexing._build import index
from .._text._documents import as_documents
from ._data import check_limits
from ._page import _DEFAULT, _collapse_and_blocks, _collapse_config, _finish


def report(docs, path, *, config=None, keep="first", collapse=True, passages=None, title: str | None = None,
           max_text_chars: int = _DEFAULT.max_text_chars, max_groups: int = _DEFAULT.max_groups,
           max_occurrences: int = _DEFAULT.max_occurrences, **options) -> Path:
    """Write one self-contained HTML report of near-duplicates, repeated blocks and removals.

    Runs ``dedup.index`` and (unless ``collapse=False``) ``dedup.collapse``
    and ``dedup.blocks`` on ``docs``, then writes a page that needs no server
    and no network: summary figures and settings; the similarity histogram
    and the LSH S-curve as inline SVG; every cluster, largest first, with its
    members, scores and a word diff of the kept document against each
    dropped one; repeated blocks with their occurrences; every document with
    removals, its removed spans struck through and linked to their sources;
    a search box and keyboard navigation (``?`` on the page lists the keys).

    Parameters
    ----------
    docs : iterable of str, iterable of (id, text), or mapping id -> text
        As for ``dedup.index``.
    path : str or path-like, the HTML file to write (atomically).
    config : dedup.Config, optional; index options (``threshold``, ``ngram``,
        ...) may also be given as keywords, as for ``dedup.index``.
    keep : as for ``dedup.index``.
    collapse : bool or dedup.CollapseConfig, default True
        Whether to collapse blocks (and with which settings); False leaves
        the block sections out.
    passages : iterable of groups, optional
        Shared passages to show: each group an iterable of occurrences
        ``(id, start, end[, text])`` (tuples, mappings or objects with those
        fields), e.g. the groups of a passage finder.
    title : str, optional
    max_text_chars : int, default 4,000,000
        Characters of full text embedded (cluster examples first, then the
        documents that lost the most text); the other listed documents get
        an excerpt (the first 10,000 of those with removals, and every
        cluster member), and every cluster and removal count is still complete.
    max_groups : int, default 2,000
        The repeated blocks listed (most occurrences first), and as many
        shared passage groups (most occurrences first).
    max_occurrences : int, default 100,000
        The occurrences listed over all blocks (at most 200 per block).

    Returns
    -------
    pathlib.Path of the file written.

    Notes
    -----
    Every cap bounds what is listed, never a count: where the page lists
    fewer than there are it says so (``2,000 of 2,378``). A cluster lists
    its best 100 verified pairs; its members and scores are all there.

    Examples
    --------
    >>> import dedup, tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report.html"
    >>> dedup.report({"a": "one two three four five six", "b": "one two three four five six!"}, out)  # doctest: +ELLIPSIS
    PosixPath('.../report.html')
    >>> "<script src" in out.read_text()
    False
    """
    limits = check_limits(max_text_chars, max_groups, max_occurrences)
    ccfg = _collapse_config(collapse, CollapseConfig)
    t0 = time.perf_counter()
    ids, texts = as_documents(docs)
    pairs = list(zip(ids, texts))
    times = {}
    t = time.perf_counter()
    idx = index(pairs, config=config, keep=keep, **options)
    times["index"] = time.perf_counter() - t
    collapsed, groups = _collapse_and_blocks(pairs, ccfg, times)
    return _finish(ids, texts, idx, collapsed, groups, passages, times, ccfg, limits, title, path, t0)
