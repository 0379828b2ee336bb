"""What the report shows, as one JSON-able dict of compact columns (the page's data blob).

Everything a reader can open is here; everything the page computes (word
diffs, filtering, paging) is computed in the browser from it. Sizes are
bounded for large corpora (``Limits``): every cluster and every document with
removals is listed, but full texts are embedded only for as many of them as
``max_text_chars`` allows (cluster examples first, then the documents that
lost the most text), and the most frequent ``max_groups`` repeated blocks are
shown with their occurrences.

Layout (document numbers are positions in ``docs.id``):

- ``docs``: ``id`` and ``len`` (characters) of every document; ``texts``
  whether the texts were given (an index alone has none); ``text`` {doc: full
  text} for the embedded ones; ``ex`` {doc: excerpt} for the other documents
  that are listed.
- ``clusters``: largest first; ``m`` members (the kept one first, then input
  order), ``s`` each member's exact Jaccard with the kept one, ``p`` verified
  pairs inside the cluster as flat ``[a, b, score, ...]`` (best first, at most
  ``PAIRS_SHOWN``; None when the pairs were not listed), ``np`` their number.
- ``removed``: ``rd`` flat ``[doc, removals, characters, ...]`` of every
  document with removals, most characters first; ``rm`` {doc: flat ``[start,
  end, kind, source doc, source start, source end, similarity, ...]``} for the
  embedded documents (source doc -1: a separator, which has none).
- ``groups``: repeated blocks, most occurrences first: ``[kind, occurrences,
  documents, text, flat [doc, start, end, ...]]``.
- ``passages``: ``[occurrences, documents, text, flat [doc, start, end, ...]]``,
  most occurrences first.
- ``counts``: totals over everything found; ``counts.shown`` says how many
  block and passage groups the page lists (at most ``max_groups``).

Offsets are Python ``str`` offsets (code points), as the API gives them.
The clusters are computed by ``_clusters``; ``build`` assembles the sections.
"""

from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .._core._version import __version__
from .._core._options import MAX_PAIRS
from ._clusters import PAIRS_SHOWN, clusters
from ._svg import histogram_edges

#: Removal kinds in the order of their codes in ``removed.rm``.
KINDS = ("repeat", "syndicated", "boilerplate", "separator")
#: Characters of a block's or passage's text embedded with its group.
GROUP_TEXT_CHARS = 500
#: Occurrences listed per block group (a page listing 2,000 copies of one header line helps no one;
#: the count stays exact).
OCCURRENCES_SHOWN = 200
#: Characters of the excerpt of a listed document whose text is not embedded.
EXCERPT_CHARS = 80
#: Documents with removals (most characters removed first) that get an excerpt when their text is not
#: embedded: the first 200 pages of the list; cluster members always get one.
EXCERPTS = 10_000


class Limits(NamedTuple):
    """How much of a large corpus goes into the page."""

    max_text_chars: int = 4_000_000
    max_groups: int = 2_000
    max_occurrences: int = 100_000


def check_limits(max_text_chars, max_groups, max_occurrences) -> Limits:
    for name, value in (("max_text_chars", max_text_chars), ("max_groups", max_groups),
                        ("max_occurrences", max_occurrences)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
    return Limits(int(max_text_chars), int(max_groups), int(max_occurrences))


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of ``text`` on one line, at most ``limit`` characters."""
    words = " ".join(text[: limit * 4].split())
    return words if len(words) <= limit else words[: limit - 1].rstrip() + "…"


def _jsonable(x):
    return x if isinstance(x, (str, int, float)) and not isinstance(x, bool) else str(x)


# ------------------------------------------------------------------ removals
def removal_columns(collapsed, position: Mapping) -> tuple[np.ndarray, np.ndarray]:
    """Every removal as int64 columns ``(doc, start, end, kind, source doc, source start, source end)`` and sim.

    Records of kind ``"passage"`` (``collapse(passages=True)``) are left out:
    they mark shared text that stays, not removed text. Reads the shared
    columns of ``dedup.collapse``'s lazy records when the results come
    straight from one ``collapse`` call over the same documents (no record
    is built); otherwise reads the records.
    """
    fast = _columns_of_one_call(collapsed)
    if fast is not None:
        return fast
    rows, sims = [], []
    code = {k: i for i, k in enumerate(KINDS)}
    for d, doc in enumerate(collapsed):
        for r in doc.removed:
            if r.kind not in code:
                continue
            src = r.source
            if src is None:
                rows.append((d, r.start, r.end, code[r.kind], -1, 0, 0))
            else:
                rows.append((d, r.start, r.end, code[r.kind], position[src.id], src.start, src.end))
            sims.append(r.similarity)
    cols = np.array(rows, dtype=np.int64).reshape(-1, 7)
    return cols, np.array(sims, dtype=np.float64)


def _columns_of_one_call(collapsed):
    from .._blocks._decide import KINDS as table_kinds
    from .._blocks._records import Removals

    first = collapsed[0].removed if len(collapsed) else None
    if not isinstance(first, Removals) or tuple(table_kinds[1 : len(KINDS) + 1]) != KINDS:
        return None
    table = first._table
    if any(not isinstance(d.removed, Removals) or d.removed._table is not table for d in collapsed):
        return None
    if len(table.ids) != len(collapsed):
        return None
    ints, sim = table.columns
    lo = np.fromiter((d.removed._lo for d in collapsed), dtype=np.int64, count=len(collapsed))
    hi = np.fromiter((d.removed._hi for d in collapsed), dtype=np.int64, count=len(collapsed))
    if lo[0] != 0 or hi[-1] != ints.shape[0] or (lo[1:] != hi[:-1]).any():
        return None  # not the one call's rows in document order
    doc = np.repeat(np.arange(len(collapsed), dtype=np.int64), hi - lo)
    kind = ints[:, 2] - 1  # the table counts KEPT as kind 0
    cut = kind < len(KINDS)  # removals only, not passage records
    cols = np.column_stack([doc, ints[:, 0], ints[:, 1], kind, ints[:, 3], ints[:, 4], ints[:, 5]])
    return cols[cut], sim[cut]


# ------------------------------------------------------------------ groups
def _spans(occurrences, position, texts, what: str) -> list:
    flat = []
    for o in occurrences:
        if isinstance(o, Mapping):
            doc_id, start, end = o["id"], o["start"], o["end"]
        elif hasattr(o, "start") and hasattr(o, "id"):
            doc_id, start, end = o.id, o.start, o.end
        else:
            doc_id, start, end = o[0], o[1], o[2]
        d = position.get(doc_id, -1) if _hashable(doc_id) else -1
        if d < 0:
            raise ValueError(f"{what}: occurrence of unknown document id {doc_id!r}")
        if not (isinstance(start, numbers.Integral) and isinstance(end, numbers.Integral)
                and 0 <= start <= end <= len(texts[d])):
            raise ValueError(f"{what}: span {start!r}-{end!r} of document {doc_id!r} is not inside its "
                             f"{len(texts[d])} characters")
        flat += (d, int(start), int(end))
    return flat


def _hashable(x) -> bool:
    try:
        hash(x)
    except TypeError:
        return False
    return True


def block_groups(groups, position, texts, limits: Limits) -> tuple[list[list], dict, int]:
    """The most frequent ``max_groups`` block groups with their occurrences, and totals over all."""
    code = {k: i for i, k in enumerate(KINDS)}
    totals = {k: 0 for k in KINDS[:3]}
    n_occ = 0
    for g in groups:
        totals[g.kind] += 1
        n_occ += len(g.occurrences)
    order = sorted(range(len(groups)), key=lambda k: (-len(groups[k].occurrences), -len(groups[k].text), k))
    out, budget = [], limits.max_occurrences
    for k in order[: limits.max_groups]:
        g = groups[k]
        occ = g.occurrences[: min(OCCURRENCES_SHOWN, budget)]
        if not occ:
            break
        budget -= len(occ)
        out.append([code[g.kind], len(g.occurrences), g.n_docs, g.text[:GROUP_TEXT_CHARS],
                    _spans(occ, position, texts, "block group")])
    return out, totals, n_occ


def passage_groups(passages, position, texts, limits: Limits) -> tuple[list[list], int]:
    """Shared passages from plain records: each group an iterable of (id, start, end[, text]) occurrences.

    A group may also be an object or mapping with ``occurrences``; an
    occurrence may be a tuple, a mapping or an object with ``id``, ``start``
    and ``end``. The text shown is the first occurrence's. Returns the
    ``max_groups`` groups with the most occurrences, and how many there are.
    """
    out = []
    for k, g in enumerate(passages):
        occ = g["occurrences"] if isinstance(g, Mapping) else getattr(g, "occurrences", g)
        try:
            occ = list(occ)
        except TypeError:
            raise TypeError(f"passages: group {k} must be an iterable of (id, start, end, text) occurrences, "
                            f"got {type(g).__name__}") from None
        if not occ:
            raise ValueError(f"passages: group {k} has no occurrences")
        flat = _spans(occ, position, texts, f"passages group {k}")
        docs = len(set(flat[0::3]))
        d, s, e = flat[:3]
        out.append([len(occ), docs, texts[d][s:e][:GROUP_TEXT_CHARS], flat])
    out.sort(key=lambda g: (-g[0], -len(g[2])))
    return out[: limits.max_groups], len(out)


# ------------------------------------------------------------------ assembly
class Removed(NamedTuple):
    """The removals of ``collapse`` results, as ``removal_columns`` gives them, with per-document totals."""

    cols: np.ndarray  # (doc, start, end, kind, source doc, source start, source end), in document order
    sim: np.ndarray
    docs: np.ndarray  # documents with removals, most characters removed first
    per_doc: np.ndarray  # removals of each document
    chars: np.ndarray  # characters removed from each document
    by_kind: dict  # characters removed, by kind name


def _texts_and_lengths(ids: list, texts, index, collapsed, groups, passages) -> tuple[list, np.ndarray, int | None]:
    """``(texts, lengths, UTF-8 bytes)``; without texts (an index alone) empty texts, the index's lengths and None."""
    n = len(ids)
    if texts is None:
        if collapsed is not None or groups is not None or passages is not None:
            raise ValueError("removals, blocks and passages need the documents' texts")
        lengths = np.asarray(index._all("lengths"), dtype=np.int64)  # the index keeps each text's length
        return [""] * n, lengths, None  # nothing to embed or excerpt
    if len(index) != n:
        raise ValueError(f"the index holds {len(index)} documents but {n} texts were given")
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    return texts, lengths, sum(len(t.encode("utf-8", "surrogatepass")) for t in texts)


def removals(collapsed, ids: list, position: Mapping) -> Removed:
    """The removals of ``collapsed`` (``dedup.collapse`` results over ``ids``, in their order)."""
    n = len(ids)
    if len(collapsed) != n:
        raise ValueError(f"collapse results hold {len(collapsed)} documents but {n} texts were given")
    for k, (doc, doc_id) in enumerate(zip(collapsed, ids)):
        if doc.id != doc_id:
            raise ValueError(f"collapse result {k} is document {doc.id!r}, expected {doc_id!r}: "
                             "collapse the same documents in the same order")
    cols, sim = removal_columns(collapsed, position)
    width = cols[:, 2] - cols[:, 1]
    by_kind = {k: 0 for k in KINDS}
    for k, c in enumerate(np.bincount(cols[:, 3], weights=width, minlength=len(KINDS)).tolist()):
        by_kind[KINDS[k]] = int(c)
    per_doc = np.bincount(cols[:, 0], minlength=n)
    chars = np.bincount(cols[:, 0], weights=width, minlength=n).astype(np.int64)
    docs = np.flatnonzero(per_doc)
    docs = docs[np.lexsort((docs, -chars[docs]))]
    return Removed(cols, sim, docs, per_doc, chars, by_kind)


def embedded_texts(cl: list, pg, removed: Removed | None, texts: list, lengths: np.ndarray, limits: Limits,
                   has_texts: bool) -> dict[int, str]:
    """The full texts the page embeds, within ``limits.max_text_chars``.

    Cluster examples first (kept + members, largest clusters first), then
    passages, then documents by characters removed, each followed by the
    documents its removals came from.
    """
    budget = limits.max_text_chars
    embedded: dict[int, str] = {}

    def embed(d: int) -> bool:
        nonlocal budget
        if d in embedded:
            return True
        if lengths[d] <= budget:
            embedded[d] = texts[d]
            budget -= int(lengths[d])
            return True
        return False

    for c in cl if has_texts else ():
        for d in c["m"]:
            embed(d)
    for g in pg or ():
        for d in g[3][0::3]:
            embed(d)
    if removed is not None:
        cols = removed.cols
        start = np.searchsorted(cols[:, 0], np.arange(len(texts) + 1))  # cols are in document order
        for d in removed.docs.tolist():
            if budget <= 0:
                break
            if not embed(d):
                continue
            rows = cols[start[d]:start[d + 1]]
            for s in np.unique(rows[:, 4]).tolist():
                if s >= 0:
                    embed(s)
    return embedded


def removed_section(removed: Removed, embedded: Mapping) -> dict:
    """``removed``: ``rd`` for every document with removals, ``rm`` the removals of the embedded ones."""
    cols, sim, docs = removed.cols, removed.sim, removed.docs
    start = np.searchsorted(cols[:, 0], np.arange(removed.per_doc.shape[0] + 1))  # cols are in document order
    rm = {}
    for d in sorted(embedded):
        lo, hi = start[d], start[d + 1]
        if hi > lo:
            rows = cols[lo:hi, 1:].tolist()
            sims = np.round(sim[lo:hi], 4).tolist()
            flat = []
            for r, s in zip(rows, sims):
                flat += r
                flat.append(s)
            rm[str(d)] = flat
    rd = np.stack([docs, removed.per_doc[docs], removed.chars[docs]], axis=1).ravel().tolist()
    return {"rd": rd, "rm": rm}


def documents_section(ids: list, texts: list, lengths: np.ndarray, has_texts: bool, embedded: Mapping, cl: list,
                      removed: Removed | None) -> dict:
    """``docs``: every document's id and length, the embedded texts and the excerpts of the other listed ones."""
    rdocs = removed.docs if removed is not None else np.zeros(0, dtype=np.int64)
    listed = {d for c in cl for d in c["m"]} | set(rdocs[:EXCERPTS].tolist()) if has_texts else set()
    ex = {d: excerpt(texts[d]) for d in sorted(listed - set(embedded))}
    return {"id": [_jsonable(x) for x in ids], "len": lengths.tolist(), "texts": has_texts,
            "text": {str(d): t for d, t in sorted(embedded.items())},
            "ex": {str(d): t for d, t in ex.items()}}


def counts_section(n: int, nbytes: int | None, lengths: np.ndarray, cl: list, keep: np.ndarray, pairs: int | None,
                   removed: Removed | None, blocks: tuple | None, pg: list | None, n_passages: int | None,
                   embedded: Mapping, limits: Limits) -> dict:
    """``counts``: totals over everything found, and how much of it the page lists and embeds."""
    bg, totals, n_occ = blocks if blocks is not None else (None, None, 0)
    return {
        "documents": n,
        "mb": round(nbytes / 1e6, 3) if nbytes is not None else None,
        "characters": int(lengths.sum()),
        "clusters": len(cl),
        "clustered": sum(len(c["m"]) for c in cl),
        "duplicates": int((~keep).sum()),
        "pairs": pairs,
        "removals": removed.cols.shape[0] if removed is not None else None,
        "removed_docs": int(removed.docs.shape[0]) if removed is not None else None,
        "removed_chars": removed.by_kind if removed is not None else None,
        "groups": totals,
        "occurrences": n_occ if blocks is not None else None,
        "passages": n_passages,
        "shown": {"groups": len(bg) if bg is not None else None,  # the rest are counted, not listed
                  "passages": len(pg) if pg is not None else None},
        "embedded": len(embedded),
        "embedded_chars": sum(int(lengths[d]) for d in embedded),
    }


def settings_section(index, collapse_config, limits: Limits) -> dict:
    """``settings``: the index's and collapse's settings, and every cap of the page."""
    config = index.config
    collapse = None
    if collapse_config is not None:
        collapse = {**dataclasses.asdict(collapse_config), "remove": list(collapse_config.remove)}
    return {
        "index": {**config.to_dict(), "keep": index.keep, "bands (used)": index.bands, "rows (used)": index.rows},
        "collapse": collapse,
        "limits": {**limits._asdict(), "pairs per cluster": PAIRS_SHOWN,  # every cap of the page
                   "occurrences per block": OCCURRENCES_SHOWN, "excerpts of documents with removals": EXCERPTS},
    }


def build(ids: list, texts: list, *, index, collapsed=None, groups=None, passages=None, times=None,
          collapse_config=None, limits: Limits = Limits(), max_pairs=None,
          title: str | None = None) -> tuple[dict, np.ndarray]:
    """The report's data (see the module docstring for the layout) and the scores its histogram plots.

    ``index`` is a ``dedup.Index`` over ``ids``/``texts`` (same order);
    ``collapsed`` and ``groups`` are ``dedup.collapse``/``dedup.blocks``
    results over the same documents, or None to leave those sections out.
    ``texts=None`` (an index alone) makes the page of what the index holds:
    clusters, scores and lengths, without texts, removals, blocks or passages.
    """
    texts, lengths, nbytes = _texts_and_lengths(ids, texts, index, collapsed, groups, passages)
    has_texts = nbytes is not None
    position = {doc_id: k for k, doc_id in enumerate(ids)}
    cl, hist, pairs_error = clusters(index, MAX_PAIRS if max_pairs is None else max_pairs)
    removed = removals(collapsed, ids, position) if collapsed is not None else None
    pg, n_passages = passage_groups(passages, position, texts, limits) if passages is not None else (None, None)
    embedded = embedded_texts(cl, pg, removed, texts, lengths, limits, has_texts)
    blocks = block_groups(groups, position, texts, limits) if groups is not None else None
    data = {
        "version": __version__,
        "title": title or "near-dups report",
        "kinds": list(KINDS),
        "counts": counts_section(len(ids), nbytes, lengths, cl, index.keep_mask(as_frame=False),
                                 None if pairs_error else int(hist.shape[0]), removed, blocks, pg, n_passages,
                                 embedded, limits),
        "pairs_error": pairs_error,
        "hist": {"edges": np.round(histogram_edges(index.config.threshold), 6).tolist(),
                 "what": "verified pairs" if pairs_error is None else "members vs kept document"},
        "settings": settings_section(index, collapse_config, limits),
        "times": dict(times or {}),
        "docs": documents_section(ids, texts, lengths, has_texts, embedded, cl, removed),
        "clusters": cl,
        "removed": removed_section(removed, embedded) if removed is not None else None,
        "groups": blocks[0] if blocks is not None else None,
        "passages": pg,
    }
    return data, hist
