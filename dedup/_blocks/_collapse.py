"""Block-level API: ``dedup.collapse(docs)`` and ``dedup.blocks(docs)``.

The document pipeline of ``_index`` applied to blocks inside documents:

    texts --_codepoints.code_points------------> code points (uint8 or uint32): str offsets
          --_normalize.fold_code_points---------> normalized UTF-8 buffer
          --_blocks.segment---------------------> blocks: str spans + byte ranges
          --_shingle.shingle_segments-----------> CSR shingles and word counts of every block
          --_blocks.set_digests + _pipeline.exact-> exact copies
          --_pipeline.sketch / link-------------> verified near copies (long blocks only)
          --_pipeline.components----------------> groups of repeated blocks
          --_block_decide.decide / edits / apply_edits--> kinds, kept copies, cleaned text

Every stage is a kernel over arrays; Python work is O(1) per document, and
the ``Removal`` records are built only when read (``Removals``).
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

import numpy as np

from . import _decide as _block_decide, _segment as _blocks
from .._text import _codepoints, _frames, _normalize, _shingle
from .._sketch import _lsh
from .._indexing import _pipeline
from .._core._arrays import group_by_label
from .._core._config import CollapseConfig, resolve
from .._core._options import REMOVABLE
from .._text._documents import as_documents, is_frame
from ._records import BlockGroup, BlockGroups, CollapsedDoc, CollapsedDocs, Removals, Span, _RemovalTable

#: Normalized bytes of blocks shingled per kernel call (scratch is 8 bytes per byte).
BATCH_BYTES = 1 << 24

#: ``mode=`` option -> (decision kernel mode, whether the text is edited).
MODES = {
    "keep_first": (_block_decide.KEEP_FIRST, True),
    "remove_all": (_block_decide.REMOVE_ALL, True),
    "report": (_block_decide.KEEP_FIRST, False),
}



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


def _shingle_blocks(buf, nstart, nend, ngram, words):
    """CSR shingles of every block; writes each block's token count into ``words``."""
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
        p, v = _shingle.shingle_segments(buf, nstart[lo:hi], nend[lo:hi], ngram, _shingle.WORDS, classes,
                                         units=words[lo:hi])
        ptrs.append(np.diff(p))
        vals.append(v)
        lo = hi
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.concatenate(ptrs), out=indptr[1:])
    return indptr, np.concatenate(vals)


def _analyse(docs, cfg: CollapseConfig, text=None, id=None) -> _Analysis:
    ids, texts = as_documents(docs, text=text, id=id)
    n_docs = len(texts)
    cps, doc_ptr = _codepoints.code_points(texts)
    buf, norm_ptr = _normalize.fold_code_points(cps, doc_ptr, texts)
    bptr, starts, ends, nstart, nend = _blocks.segment(cps, doc_ptr, buf, norm_ptr, _blocks.UNITS[cfg.unit])
    n = starts.shape[0]
    if n >= 2**32:
        raise ValueError(f"at most 2**32 - 1 blocks per call, got {n}; collapse the corpus in parts")
    words = np.empty(n, dtype=np.int64)
    indptr, values = _shingle_blocks(buf, nstart, nend, cfg.ngram, words)
    del buf, nstart, nend
    # Blocks compare by shingle set: a block's "length" for exact grouping is
    # its shingle count, so a block without letters or digits is never grouped.
    rep = _pipeline.exact(indptr, values, _blocks.set_digests(indptr, values), np.diff(indptr)).rep
    fuzzy = np.flatnonzero((rep == np.arange(n)) & (words >= cfg.fuzzy_words))
    labels = _pipeline.components(n, _near_pairs(indptr, values, fuzzy, rep, cfg), rep)
    bdoc = np.repeat(np.arange(n_docs, dtype=np.int64), np.diff(bptr))
    size, _ = _block_decide.group_stats(labels, bdoc)
    anchor = _block_decide.anchored(bptr, labels, size, words, cfg.window, cfg.anchor_words)
    return _Analysis(ids, texts, doc_ptr, cps, bptr, bdoc, starts, ends, words, indptr, values, labels, anchor)


def _near_pairs(indptr, values, rows, rep, cfg) -> _pipeline.Pairs:
    """Verified near-duplicate pairs connecting ``rows`` (block numbers): sketch, then candidates -> verify."""
    if rows.shape[0] < 2:
        return _pipeline.no_pairs()
    bands, r = _lsh.choose_bands(cfg.threshold, cfg.num_perm, cfg.min_prob)
    keys = _pipeline.sketch(indptr, values, rows, num_perm=cfg.num_perm, seed=cfg.seed, bands=bands, rows=r)
    return _pipeline.link(*_lsh.key_runs(keys), rows, (indptr, values), rep, cfg.threshold)


def collapse(docs, *, config: CollapseConfig | None = None, unit: str | None = None, mode: str | None = None,
             text: str | None = None, id: str | None = None, **options) -> list[CollapsedDoc]:
    """Remove repeated blocks inside documents and across a corpus, recording every removal.

    Parameters
    ----------
    docs : iterable of str, iterable of (id, text), mapping id -> text, or a data frame
        As for ``dedup.index``; the corpus order decides which copy is "first".
    config : CollapseConfig, optional
        Every option at once; options given beside it replace its fields.
    unit : {"line", "paragraph", "sentence"}, default "line"
    mode : {"keep_first", "remove_all", "report"}, default "keep_first"
    text, id : str, optional
        The text and id columns of a data frame ``docs``, as for ``dedup.index``.
    **options
        Any other field of ``CollapseConfig`` (``remove``, ``threshold``,
        ``ngram``, ``min_docs``, ...).

    Returns
    -------
    list of CollapsedDoc, one per document, in input order.

    For a data frame ``docs``, a ``CollapsedFrames`` of two frames of its
    library instead: ``docs``, the input with its text column (or itself,
    a Series or array) replaced by the cleaned text, other columns and rows
    unchanged; and ``removals``, one row per removal with columns ``id``,
    ``start``, ``end``, ``kind``, ``source_id``, ``source_start``,
    ``source_end`` (null for a separator) and ``similarity``, as in
    ``Removal``. The ``source`` of
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
    cfg = resolve(CollapseConfig, config, dict(options, unit=unit, mode=mode))
    out = _collapse(_analyse(docs, cfg, text, id), cfg)
    if not is_frame(docs):
        return out
    shape = _frames.shape(docs)
    return CollapsedFrames(_frames.replace_text(docs, text, [d.text for d in out]),
                           _frames.table(shape, removal_columns(out)))


class CollapsedFrames(NamedTuple):
    """What ``dedup.collapse`` returns for a data frame: the cleaned frame and a frame of the removals."""

    docs: object
    removals: object


def removal_columns(out: list[CollapsedDoc]) -> dict:
    """Every removal of one ``collapse`` result as columns (name -> list or array), in document order."""
    counts = np.fromiter(map(len, (d.removed for d in out)), dtype=np.int64, count=len(out))
    ids = [d.id for d in out]
    if not counts.sum():
        ints, sim = np.zeros((0, 6), np.int64), np.zeros(0)
    else:
        table = next(d.removed._table for d in out if len(d.removed))
        ints, sim = table.columns
    doc = np.repeat(np.arange(len(out)), counts).tolist()
    sdoc = ints[:, 3].tolist()
    none = ints[:, 3] < 0
    return {"id": [ids[d] for d in doc], "start": ints[:, 0], "end": ints[:, 1],
            "kind": [_block_decide.KINDS[k] for k in ints[:, 2].tolist()],
            "source_id": [None if d < 0 else ids[d] for d in sdoc],
            "source_start": [None if x else v for x, v in zip(none.tolist(), ints[:, 4].tolist())],
            "source_end": [None if x else v for x, v in zip(none.tolist(), ints[:, 5].tolist())],
            "similarity": sim}


def collapse_and_blocks(docs, *, config: CollapseConfig | None = None) -> tuple[list[CollapsedDoc], list[BlockGroup]]:
    """``(collapse(docs, config=config), blocks(docs, config=config))`` from one analysis of the blocks.

    Equal to the two calls; the analysis (cutting, shingling, grouping the
    blocks) is shared, which is about half of each call's time.
    """
    cfg = resolve(CollapseConfig, config, {})
    an = _analyse(docs, cfg)
    return _collapse(an, cfg), _groups(an, cfg)


def _collapse(an: _Analysis, cfg: CollapseConfig) -> list[CollapsedDoc]:
    kind, source = _decide(an, cfg)
    extra = _passage_records(an, kind, cfg) if cfg.passages else None
    return CollapsedDocs(_collapsed_docs(an, kind, source, apply=MODES[cfg.mode][1], extra=extra))


def _passage_records(an: _Analysis, kind, cfg: CollapseConfig):
    """Records of the passages shared with an earlier document inside kept text: ``(doc, start, end,
    source doc, source start, source end, similarity)`` arrays, source the group's first occurrence."""
    from .._passages._find import passages

    a = passages(list(zip(an.ids, an.texts)), min_words=cfg.passage_words, max_docs=None).arrays()
    n = a.doc.shape[0]
    group = np.repeat(np.arange(a.group_ptr.shape[0] - 1), np.diff(a.group_ptr))
    first = a.first[group]
    sim = np.zeros(n, dtype=np.float64)  # an occurrence's best alignment
    np.maximum.at(sim, a.align_a, a.similarity)
    np.maximum.at(sim, a.align_b, a.similarity)
    # Not the first copy, and not inside a block that is removed anyway (its record says it all).
    removed = np.flatnonzero(kind != _block_decide.KEPT)
    rdoc = an.bdoc[removed]
    rs = an.starts[removed] - an.doc_ptr[rdoc]
    re_ = an.ends[removed] - an.doc_ptr[rdoc]
    key = rdoc * (1 << 40) + rs
    at = np.searchsorted(key, a.doc * (1 << 40) + a.start, side="right") - 1
    inside = (at >= 0) & (rdoc[np.maximum(at, 0)] == a.doc) & (re_[np.maximum(at, 0)] >= a.end)
    keep = (np.arange(n) != first) & ~inside
    k = np.flatnonzero(keep)
    f = first[k]
    return a.doc[k], a.start[k], a.end[k], a.doc[f], a.start[f], a.end[f], sim[k]


def _decide(an: _Analysis, cfg: CollapseConfig):
    enabled = np.array([False] + [k in cfg.remove for k in REMOVABLE] + [True])
    kind, source = _block_decide.decide(
        an.bptr, an.bdoc, an.labels, an.words, np.diff(an.indptr), an.anchor, MODES[cfg.mode][0],
        cfg.min_docs, cfg.min_words, cfg.protect_words, enabled)
    removed = np.flatnonzero(source >= 0)
    csr = (an.indptr, an.values)
    ok = _pipeline.scores(csr, csr, removed, source[removed], cfg.threshold) >= cfg.threshold
    if not ok.all():
        _block_decide.demote(an.bptr, np.diff(an.indptr), kind, source, ok)
    return kind, source


def _collapsed_docs(an: _Analysis, kind, source, apply: bool, extra=None) -> list[CollapsedDoc]:
    ids, texts, doc_ptr = an.ids, an.texts, an.doc_ptr
    removed = np.flatnonzero(kind != _block_decide.KEPT)
    src = source[removed]
    has_src = src >= 0
    sim = np.zeros(removed.shape[0], dtype=np.float64)
    csr = (an.indptr, an.values)
    sim[has_src] = _pipeline.scores(csr, csr, removed[has_src], src[has_src])
    src = np.maximum(src, 0)
    rdoc, sdoc = an.bdoc[removed], an.bdoc[src]
    cols = [rdoc, an.starts[removed] - doc_ptr[rdoc], an.ends[removed] - doc_ptr[rdoc], kind[removed],
            np.where(has_src, sdoc, -1), an.starts[src] - doc_ptr[sdoc], an.ends[src] - doc_ptr[sdoc], sim]
    if extra is not None and extra[0].shape[0]:  # passage records join the removals, in document order
        d, s, e, sd, ss, se, sm = extra
        more = [d, s, e, np.full(d.shape[0], _block_decide.KINDS.index("passage"), dtype=kind.dtype), sd, ss, se, sm]
        cols = [np.concatenate([x, y]) for x, y in zip(cols, more)]
        order = np.lexsort((cols[2], cols[1], cols[0]))
        cols = [c[order] for c in cols]
    table = _RemovalTable(ids, *cols[1:])
    per_doc = np.searchsorted(cols[0], np.arange(len(ids) + 1)).tolist()
    clean = list(texts)
    empty = np.zeros(len(texts), dtype=np.bool_)
    if apply and removed.shape[0]:
        eptr, cut0, cut1, keep0, keep1, empty = _block_decide.edits(
            an.cps, doc_ptr, an.bptr, an.starts, an.ends, kind)
        edited = np.flatnonzero(np.diff(eptr))
        out, out_ptr = _block_decide.apply_edits(an.cps, doc_ptr, eptr, cut0, cut1, keep0, keep1, edited)
        joined = _decode(out)
        bounds = out_ptr.tolist()
        for k, d in enumerate(edited.tolist()):
            clean[d] = joined[bounds[k] : bounds[k + 1]]
    return [CollapsedDoc(doc_id, text, Removals(table, per_doc[d], per_doc[d + 1]), e)
            for d, (doc_id, text, e) in enumerate(zip(ids, clean, empty.tolist()))]


def _decode(cps) -> str:
    """The ``str`` of code points from ``_codepoints.code_points`` (uint16 holds no surrogates there)."""
    if cps.dtype == np.uint8:
        return codecs.latin_1_decode(cps)[0]
    if cps.dtype == np.uint16:
        return codecs.utf_16_le_decode(cps, "strict", True)[0]
    return codecs.utf_32_le_decode(cps, "surrogatepass", True)[0]


def blocks(docs, *, config: CollapseConfig | None = None, unit: str | None = None, text: str | None = None,
           id: str | None = None, **options) -> list[BlockGroup]:
    """Every block that occurs more than once, with all its occurrences, for inspection.

    Parameters
    ----------
    docs : as for ``collapse`` (``text``, ``id``: a data frame's columns).
    config : CollapseConfig, optional (its ``mode`` and ``remove`` do not apply).
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
    cfg = resolve(CollapseConfig, config, dict(options, unit=unit))
    return _groups(_analyse(docs, cfg, text, id), cfg)


def _groups(an: _Analysis, cfg: CollapseConfig) -> list[BlockGroup]:
    size, ndocs = _block_decide.group_stats(an.labels, an.bdoc)
    rep = np.flatnonzero(size[an.labels] >= 2)
    order, bounds = group_by_label(an.labels[rep])
    rep = rep[order]
    ids, texts, doc_ptr = an.ids, an.texts, an.doc_ptr
    d = an.bdoc[rep]
    s = (an.starts[rep] - doc_ptr[d]).tolist()
    e = (an.ends[rep] - doc_ptr[d]).tolist()
    d = d.tolist()
    groups = []
    b = bounds.tolist()
    for lo, hi in zip(b[:-1], b[1:]):
        occ = tuple(Span(ids[d[p]], s[p], e[p]) for p in range(lo, hi))
        nd = int(ndocs[an.labels[rep[lo]]])
        k = "repeat" if nd == 1 else ("boilerplate" if nd >= cfg.min_docs else "syndicated")
        groups.append(BlockGroup(k, texts[d[lo]][s[lo]:e[lo]], occ, nd))
    return BlockGroups(groups)
