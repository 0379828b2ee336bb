"""Block-level API: ``dedup.collapse(docs)`` and ``dedup.blocks(docs)``.

The document pipeline of ``_index`` applied to blocks inside documents:

    texts --UTF-32 code points----------------> original offsets
          --_normalize.encode_batch-----------> normalized UTF-8 buffer
          --_blocks.segment / normalized_spans-> blocks: str spans + byte ranges
          --_shingle.shingle_segments---------> CSR shingles of every block
          --_blocks.set_digests + _exact.exact_groups--> exact copies
          --_minhash / _lsh / _jaccard--------> verified near copies (long blocks only)
          --_cluster.components---------------> groups of repeated blocks
          --_block_decide.decide / edits------> kinds, kept copies, cleaned text
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields
from typing import NamedTuple

import numpy as np

from . import _block_decide, _blocks, _cluster, _exact, _jaccard, _lsh, _minhash, _normalize, _shingle
from ._config import check_threshold
from ._docs import as_documents

#: Normalized bytes of blocks shingled per kernel call (scratch is 8 bytes per byte).
BATCH_BYTES = 1 << 24

#: ``mode=`` option -> (decision kernel mode, whether the text is edited).
MODES = {
    "keep_first": (_block_decide.KEEP_FIRST, True),
    "remove_all": (_block_decide.REMOVE_ALL, True),
    "report": (_block_decide.KEEP_FIRST, False),
}

#: Kinds a caller may choose to remove (``remove=``); separators follow them.
REMOVABLE = ("repeat", "syndicated", "boilerplate")


def _check_int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")


@dataclass(frozen=True)
class CollapseConfig:
    """How blocks are cut, matched and judged. ``dedup.collapse`` builds one from its keywords.

    Parameters
    ----------
    unit : {"line", "paragraph", "sentence"}
        What a block is (see ``dedup._blocks``).
    mode : {"keep_first", "remove_all", "report"}
        Keep one copy of every repeated block; or remove every unprotected
        copy of boilerplate (CCNet removes every line seen in several pages of
        a shard; repeats and syndicated copies still keep one); or only report
        what ``keep_first`` would remove and leave the text as it is.
    remove : tuple of {"repeat", "syndicated", "boilerplate"}
        Kinds that are removed; other repeated blocks are kept. With
        ``("boilerplate",)`` only a site's frame goes, which is what
        document-level dedup on content wants.
    ngram : int, default 3
        Words per shingle of a block. Short text needs short shingles: a
        20-word paragraph has 18 word 3-grams, so one changed word still
        leaves Jaccard 15/21 = 0.71, where 5-grams would leave 11/21 = 0.52.
    threshold : float in (0, 1], default 0.7
        Blocks with exact Jaccard >= threshold are copies.
    num_perm : int, default 64
        MinHash permutations for blocks (few shingles per block need fewer).
    seed : int
    min_prob : float in (0, 1)
        LSH candidate probability at the threshold (``_lsh.choose_bands``).
    fuzzy_words : int, default 8
        Blocks with fewer words are matched only exactly (on their normalized
        words); a near-match of "read more" and "read less" means nothing.
    min_words : int, default 8
        Fewest words of a block removed as syndicated (a two-word heading
        shared by two documents stays in both).
    min_docs : int, default 3
        A group of blocks in this many documents or more is boilerplate.
    window, anchor_words, protect_words : int, defaults 2, 20, 20
        A block is anchored when a block with ``anchor_words`` or more words
        that occurs nowhere else lies within ``window`` blocks of it. An
        anchored block under ``protect_words`` words is never removed for
        occurring in another document, and is the preferred kept copy (a
        headline next to its article, not the same line in a "related" list).
    """

    unit: str = "line"
    mode: str = "keep_first"
    remove: tuple = REMOVABLE
    ngram: int = 3
    threshold: float = 0.7
    num_perm: int = 64
    seed: int = 0
    min_prob: float = 0.99
    fuzzy_words: int = 8
    min_words: int = 8
    min_docs: int = 3
    window: int = 2
    anchor_words: int = 20
    protect_words: int = 20

    def __post_init__(self) -> None:
        if self.unit not in _blocks.UNITS:
            raise ValueError(f"unit must be one of {list(_blocks.UNITS)}, got {self.unit!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {self.mode!r}")
        remove = (self.remove,) if isinstance(self.remove, str) else self.remove
        try:
            remove = tuple(remove)
        except TypeError:
            raise TypeError(f"remove must be a tuple of kinds from {list(REMOVABLE)}, got {self.remove!r}") from None
        for k in remove:
            if k not in REMOVABLE:
                raise ValueError(f"remove: kinds must be from {list(REMOVABLE)}, got {k!r}")
        object.__setattr__(self, "remove", tuple(k for k in REMOVABLE if k in remove))
        object.__setattr__(self, "threshold", check_threshold(self.threshold))
        for name, low in (("ngram", 1), ("num_perm", 1), ("fuzzy_words", 1), ("min_words", 1),
                          ("min_docs", 2), ("window", 0), ("anchor_words", 1), ("protect_words", 0)):
            _check_int(name, getattr(self, name), low)
        _check_int("seed", self.seed, 0)
        if self.seed >= 2**64:
            raise ValueError(f"seed must be < 2**64, got {self.seed!r}")
        if isinstance(self.min_prob, bool) or not isinstance(self.min_prob, numbers.Real):
            raise TypeError(f"min_prob must be a number in (0, 1), got {self.min_prob!r}")
        if not 0.0 < self.min_prob < 1.0:
            raise ValueError(f"min_prob must be in (0, 1), got {self.min_prob!r}")

    def __str__(self) -> str:
        return "CollapseConfig(" + ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)) + ")"


class Span(NamedTuple):
    """A block of a document: ``text[start:end]`` of document ``id``."""

    id: object
    start: int
    end: int


class Removal(NamedTuple):
    """One removed block (a NamedTuple: a corpus yields hundreds of thousands).

    Attributes
    ----------
    start, end : int, span in the original text of the document.
    kind : {"repeat", "syndicated", "boilerplate", "separator"}
    source : Span or None, the copy that was kept (None for a separator).
    similarity : float, exact Jaccard of the two blocks' shingle sets (1.0
        for copies equal after normalization; 0.0 for a separator).
    """

    start: int
    end: int
    kind: str
    source: Span | None
    similarity: float


class CollapsedDoc(NamedTuple):
    """A document after collapse.

    Attributes
    ----------
    id : the document's id.
    text : str, the cleaned text (the original in ``mode="report"``).
    removed : tuple of Removal, in document order.
    empty : bool, True when every block was removed (``text`` is then "").
    """

    id: object
    text: str
    removed: tuple
    empty: bool


@dataclass(frozen=True, slots=True)
class BlockGroup:
    """A block that occurs more than once, with every occurrence.

    Attributes
    ----------
    kind : "repeat" (one document), "syndicated" (2 to ``min_docs - 1``
        documents) or "boilerplate" (``min_docs`` documents or more).
    text : str, the first occurrence.
    occurrences : tuple of Span, in corpus order.
    n_docs : int, distinct documents.
    """

    kind: str
    text: str
    occurrences: tuple
    n_docs: int


class _Analysis(NamedTuple):
    ids: list
    texts: list
    doc_ptr: np.ndarray
    cps: np.ndarray
    bptr: np.ndarray
    bdoc: np.ndarray
    starts: np.ndarray
    ends: np.ndarray
    words: np.ndarray
    indptr: np.ndarray
    values: np.ndarray
    labels: np.ndarray
    anchor: np.ndarray


def _shingle_blocks(buf, nstart, nend, ngram):
    classes = _normalize.char_classes()
    n = nstart.shape[0]
    if n == 0:
        return np.zeros(1, np.int64), np.zeros(0, np.uint64)
    ptrs, vals = [], []
    cum = np.cumsum(nend - nstart)
    lo = 0
    while lo < n:
        base = cum[lo - 1] if lo else 0
        hi = max(lo + 1, int(np.searchsorted(cum, base + BATCH_BYTES, side="right")))
        p, v = _shingle.shingle_segments(buf, nstart[lo:hi], nend[lo:hi], ngram, _shingle.WORDS, classes)
        ptrs.append(np.diff(p))
        vals.append(v)
        lo = hi
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.concatenate(ptrs), out=indptr[1:])
    return indptr, np.concatenate(vals)


def _analyse(docs, cfg: CollapseConfig) -> _Analysis:
    ids, texts = as_documents(docs)
    n_docs = len(texts)
    doc_ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n_docs), out=doc_ptr[1:])
    cps = np.frombuffer("".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    buf, norm_ptr = _normalize.encode_batch(texts)
    classes = _normalize.char_classes()
    bptr, starts, ends, words = _blocks.segment(cps, doc_ptr, _blocks.UNITS[cfg.unit], classes)
    n = starts.shape[0]
    if n >= 2**32:
        raise ValueError(f"at most 2**32 - 1 blocks per call, got {n}; collapse the corpus in parts")
    nstart, nend = _blocks.normalized_spans(cps, doc_ptr, buf, norm_ptr, bptr, starts, ends)
    indptr, values = _shingle_blocks(buf, nstart, nend, cfg.ngram)
    nsh = np.diff(indptr)
    rep = _exact.exact_groups(_blocks.set_digests(indptr, values), nsh, indptr, values)
    fuzzy = np.flatnonzero((rep == np.arange(n)) & (words >= cfg.fuzzy_words))
    ei, ej = _near_pairs(indptr, values, fuzzy, cfg)
    members = np.flatnonzero(rep >= 0)
    labels = _cluster.components(n, np.concatenate([ei, rep[members]]), np.concatenate([ej, members]))
    bdoc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(bptr))
    size, _ = _block_decide.group_stats(labels, bdoc)
    anchor = _block_decide.anchored(bptr, labels, size, words, cfg.window, cfg.anchor_words)
    return _Analysis(ids, texts, doc_ptr, cps, bptr, bdoc, starts, ends, words, indptr, values, labels, anchor)


def _near_pairs(indptr, values, rows, cfg):
    """Verified near-duplicate edges among ``rows`` (block numbers), by MinHash-LSH then exact Jaccard."""
    if rows.shape[0] < 2:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    bands, r = _lsh.choose_bands(cfg.threshold, cfg.num_perm, cfg.min_prob)
    a, b = _minhash.permutations(cfg.num_perm, cfg.seed)
    sub_ptr, sub = _blocks.take_rows(indptr, values, rows)
    keys = _lsh.band_keys(_minhash.signatures(sub_ptr, sub, a[: bands * r], b[: bands * r]), bands, r)
    order, sorted_keys = _lsh.sort_bands(keys)
    ci, cj = _lsh.candidate_pairs(order, sorted_keys, rows)
    ok = _jaccard.jaccard_pairs(indptr, values, ci, cj, cfg.threshold) >= cfg.threshold
    return ci[ok], cj[ok]


def _config(unit, mode, kwargs) -> CollapseConfig:
    valid = {f.name for f in fields(CollapseConfig)} - {"unit", "mode"}
    for k in kwargs:
        if k not in valid:
            raise TypeError(f"unexpected option {k!r}; options are {sorted(valid)}")
    return CollapseConfig(unit=unit, mode=mode, **kwargs)


def collapse(docs, *, unit: str = "line", mode: str = "keep_first", **options) -> list[CollapsedDoc]:
    """Remove repeated blocks inside documents and across a corpus, recording every removal.

    Parameters
    ----------
    docs : iterable of str, iterable of (id, text), or mapping id -> text
        As for ``dedup.index``; the corpus order decides which copy is "first".
    unit : {"line", "paragraph", "sentence"}, default "line"
    mode : {"keep_first", "remove_all", "report"}, default "keep_first"
    **options
        Any other field of ``CollapseConfig`` (``remove``, ``threshold``,
        ``ngram``, ``min_docs``, ...).

    Returns
    -------
    list of CollapsedDoc, one per document, in input order. The ``source`` of
    every removal is a kept copy (except for boilerplate in ``remove_all``,
    which keeps no copy), and ``text[source.start:source.end]`` of the source
    document is the same or a near-identical block. A block that occurs only
    once is never removed, except a block without letters or digits left
    between removed blocks (kind "separator").

    Notes
    -----
    Document-level dedup on content, not on the page frame, is two steps:
    remove boilerplate only, then index what is left, so two articles of one
    site no longer match on their shared menus and one article on two sites
    matches despite different frames::

        clean = dedup.collapse(pages, remove=("boilerplate",))
        idx = dedup.index([(d.id, d.text) for d in clean])

    Examples
    --------
    >>> import dedup
    >>> out = dedup.collapse(["Title\\nBody one.\\nread more\\nOther body.\\nread more\\n"])
    >>> out[0].text
    'Title\\nBody one.\\nread more\\nOther body.\\n'
    >>> r = out[0].removed[0]
    >>> (r.start, r.end, r.kind, r.source, r.similarity)
    (38, 47, 'repeat', Span(id=0, start=16, end=25), 1.0)
    """
    cfg = _config(unit, mode, options)
    an = _analyse(docs, cfg)
    kind, source = _decide(an, cfg)
    return _collapsed_docs(an, kind, source, apply=MODES[cfg.mode][1])


def _decide(an: _Analysis, cfg: CollapseConfig):
    enabled = np.array([False] + [k in cfg.remove for k in REMOVABLE] + [True])
    kind, source = _block_decide.decide(
        an.bptr, an.bdoc, an.labels, an.words, np.diff(an.indptr), an.anchor, MODES[cfg.mode][0],
        cfg.min_docs, cfg.min_words, cfg.protect_words, enabled)
    removed = np.flatnonzero(source >= 0)
    ok = _jaccard.jaccard_pairs(an.indptr, an.values, removed, source[removed], cfg.threshold) >= cfg.threshold
    if not ok.all():
        _block_decide.demote(an.bptr, np.diff(an.indptr), kind, source, ok)
    return kind, source


def _collapsed_docs(an: _Analysis, kind, source, apply: bool) -> list[CollapsedDoc]:
    ids, texts, doc_ptr = an.ids, an.texts, an.doc_ptr
    removed = np.flatnonzero(kind != _block_decide.KEPT)
    src = source[removed]
    has_src = src >= 0
    sim = np.zeros(removed.shape[0], dtype=np.float64)
    sim[has_src] = _jaccard.jaccard_pairs(an.indptr, an.values, removed[has_src], src[has_src], 0.0)
    if apply:
        eptr, cut0, cut1, keep0, keep1, empty = _block_decide.edits(
            an.cps, doc_ptr, an.bptr, an.starts, an.ends, kind)
    # Python work below is O(1) per document plus O(1) per removal and edit.
    per_doc = np.searchsorted(removed, an.bptr)
    r_start = (an.starts[removed] - doc_ptr[an.bdoc[removed]]).tolist()
    r_end = (an.ends[removed] - doc_ptr[an.bdoc[removed]]).tolist()
    s_doc = an.bdoc[np.maximum(src, 0)].tolist()
    s_start = (an.starts[np.maximum(src, 0)] - doc_ptr[an.bdoc[np.maximum(src, 0)]]).tolist()
    s_end = (an.ends[np.maximum(src, 0)] - doc_ptr[an.bdoc[np.maximum(src, 0)]]).tolist()
    names = _block_decide.KINDS
    records = [
        Removal(r_start[p], r_end[p], names[k], Span(ids[s_doc[p]], s_start[p], s_end[p]) if ok else None, sc)
        for p, (k, ok, sc) in enumerate(zip(kind[removed].tolist(), has_src.tolist(), sim.tolist()))
    ]
    out = []
    for d, (doc_id, text) in enumerate(zip(ids, texts)):
        lo, hi = per_doc[d], per_doc[d + 1]
        if lo == hi:
            out.append(CollapsedDoc(doc_id, text, (), False))
            continue
        if apply:
            a, b = eptr[d], eptr[d + 1]
            clean = _apply(text, int(doc_ptr[d]), cut0[a:b], cut1[a:b], keep0[a:b], keep1[a:b])
            out.append(CollapsedDoc(doc_id, clean, tuple(records[lo:hi]), bool(empty[d])))
        else:
            out.append(CollapsedDoc(doc_id, text, tuple(records[lo:hi]), False))
    return out


def _apply(text, base, cut0, cut1, keep0, keep1) -> str:
    pieces = []
    pos = 0
    for c0, c1, k0, k1 in zip((cut0 - base).tolist(), (cut1 - base).tolist(),
                              (keep0 - base).tolist(), (keep1 - base).tolist()):
        pieces.append(text[pos:c0])
        pieces.append(text[k0:k1])
        pos = c1
    pieces.append(text[pos:])
    return "".join(pieces)


def blocks(docs, *, unit: str = "line", **options) -> list[BlockGroup]:
    """Every block that occurs more than once, with all its occurrences, for inspection.

    Parameters
    ----------
    docs : as for ``collapse``.
    unit : {"line", "paragraph", "sentence"}, default "line"
    **options : fields of ``CollapseConfig`` that affect matching
        (``threshold``, ``ngram``, ``fuzzy_words``, ``min_docs``, ...).

    Returns
    -------
    list of BlockGroup, ordered by first occurrence. Blocks without letters or
    digits are not grouped.

    Examples
    --------
    >>> import dedup
    >>> g = dedup.blocks({"a": "Menu\\nHello there.", "b": "MENU\\nBye now."})
    >>> [(x.kind, x.text, x.occurrences, x.n_docs) for x in g]
    [('syndicated', 'Menu', (Span(id='a', start=0, end=4), Span(id='b', start=0, end=4)), 2)]
    """
    options.setdefault("mode", "report")
    cfg = _config(unit, options.pop("mode"), options)
    an = _analyse(docs, cfg)
    size, ndocs = _block_decide.group_stats(an.labels, an.bdoc)
    rep = np.flatnonzero(size[an.labels] >= 2)
    rep = rep[np.argsort(an.labels[rep], kind="stable")]
    bounds = np.flatnonzero(np.diff(an.labels[rep])) + 1
    ids, texts, doc_ptr = an.ids, an.texts, an.doc_ptr
    d = an.bdoc[rep]
    s = (an.starts[rep] - doc_ptr[d]).tolist()
    e = (an.ends[rep] - doc_ptr[d]).tolist()
    d = d.tolist()
    groups = []
    lo = 0
    for hi in bounds.tolist() + [rep.shape[0]]:
        if hi == lo:
            continue
        occ = tuple(Span(ids[d[p]], s[p], e[p]) for p in range(lo, hi))
        nd = int(ndocs[an.labels[rep[lo]]])
        k = "repeat" if nd == 1 else ("boilerplate" if nd >= cfg.min_docs else "syndicated")
        groups.append(BlockGroup(k, texts[d[lo]][s[lo]:e[lo]], occ, nd))
        lo = hi
    return groups
