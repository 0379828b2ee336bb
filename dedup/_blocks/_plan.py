"""Collapse in three steps a stream can take: the features of a chunk, the plan of the corpus, the cut of a chunk.

``dedup.collapse`` and ``dedup.blocks`` run these steps, in RAM or within a
memory budget (``_core._spill``); ``dedup.dask.collapse`` runs the first and
the last on the partitions of a frame:

    chunk of texts --featurize--> ChunkFeatures: per block its span, words, shingle count and
                                  the digest of its shingle set; the shingles and band keys
                                  only of blocks long enough for near copies, first of their
                                  digest in the chunk
    every chunk's features --plan--> Plan: exact groups by digest alone, near copies (LSH,
                                  then exact Jaccard) among the first of each digest,
                                  groups, kinds, kept copies, similarities
    chunk of texts + Plan --cut--> the chunk's CollapsedDoc, in input order

A block is shingled once; a block whose copy (same shingle set) came earlier
in the corpus needs nothing more than its 64-bit digest and shingle count:
equal sets have equal digests, and two different sets of equal size share
one with probability 2**-64 per pair. Only the first block of each digest
with at least ``fuzzy_words`` words keeps its shingles, for the near copies
and their similarities; so the features of a chunk are about a tenth of its
text on a templated site, and at most about the text's size.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._core import _spill
from .._core._arrays import group_by_label, take_rows
from .._core._config import CollapseConfig
from .._core._options import REMOVABLE
from .._core._steps import Pairs
from .._indexing import _pipeline
from .._indexing._stream import bucket_on_disk
from .._sketch import _lsh
from .._text import _codepoints, _normalize, _shingle
from .._verify._exact import first_equal
from . import _decide as _block_decide
from . import _segment as _blocks
from ._records import (
    BlockGroup,
    BlockGroups,
    CollapsedDoc,
    Removals,
    Span,
    _RemovalTable,
)

#: Normalized bytes of blocks shingled per kernel call (scratch is 8 bytes per byte).
BATCH_BYTES = 1 << 24
#: Removed blocks checked against their source per step of ``plan`` (arrays of a step: tens of MB).
STEP = 1 << 21

#: ``mode=`` option -> (decision kernel mode, whether the text is edited).
MODES = {
    "keep_first": (_block_decide.KEEP_FIRST, True),
    "remove_all": (_block_decide.REMOVE_ALL, True),
    "report": (_block_decide.KEEP_FIRST, False),
}


# ------------------------------------------------------------------ 1. features of a chunk
class ChunkFeatures(NamedTuple):
    """What ``plan`` needs of one chunk of documents (blocks numbered from 0 in the chunk)."""

    counts: np.ndarray  # int64 (docs,): blocks per document
    starts: np.ndarray  # int64 (blocks,): str offsets in the document
    ends: np.ndarray
    words: np.ndarray  # int64 (blocks,)
    nshingles: np.ndarray  # int64 (blocks,)
    digests: np.ndarray  # uint64 (blocks,): digest of the shingle set
    fuzzy: np.ndarray  # int64 (m,): blocks whose shingles follow, ascending
    indptr: np.ndarray  # CSR (m + 1,) of their shingle sets
    values: np.ndarray
    keys: np.ndarray  # uint64 (bands, m): their band keys


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


def _segment(texts, cfg: CollapseConfig):
    cps, doc_ptr = _codepoints.code_points(texts)
    buf, norm_ptr = _normalize.fold_code_points(cps, doc_ptr, texts)
    return (doc_ptr, buf) + _blocks.segment(cps, doc_ptr, buf, norm_ptr, _blocks.UNITS[cfg.unit])


def blocks_of(texts, cfg: CollapseConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(bptr, starts, ends)``: the blocks ``featurize`` cuts ``texts`` into, offsets in their document (for
    a caller that holds a chunk's kinds but not its blocks' spans: ``dedup.dask.collapse``'s cut)."""
    doc_ptr, _, bptr, starts, ends, _, _ = _segment(texts, cfg)
    at = np.repeat(doc_ptr[:-1], np.diff(bptr))
    return bptr, starts - at, ends - at


def featurize(texts, cfg: CollapseConfig) -> ChunkFeatures:
    """Cut a chunk of texts (a sequence of str) into blocks, shingle them, and sketch those that need it."""
    doc_ptr, buf, bptr, starts, ends, nstart, nend = _segment(texts, cfg)
    n = starts.shape[0]
    words = np.empty(n, dtype=np.int64)
    indptr, values = _shingle_blocks(buf, nstart, nend, cfg.ngram, words)
    del buf, nstart, nend
    nsh = np.diff(indptr)
    digests = _blocks.set_digests(indptr, values)
    at = np.repeat(doc_ptr[:-1], np.diff(bptr))
    first = first_equal(digests, nsh) == np.arange(n)
    fuzzy = np.flatnonzero(first & (words >= cfg.fuzzy_words) & (nsh > 0))
    bands, r = _lsh.choose_bands(cfg.lsh_threshold, cfg.num_perm, cfg.min_prob)
    keys = _pipeline.sketch(indptr, values, fuzzy, num_perm=cfg.num_perm, seed=cfg.seed, bands=bands, rows=r)
    fptr, fvals = take_rows(indptr, values, fuzzy)
    return ChunkFeatures(np.diff(bptr), starts - at, ends - at, words, nsh, digests, fuzzy, fptr, fvals, keys)


def trim_features(f: ChunkFeatures, seen: tuple) -> tuple[ChunkFeatures, tuple]:
    """``f`` with shingles and band keys only for the blocks first of their digest among ``seen`` (the digests
    and shingle counts of the blocks of earlier chunks, as ``(digests, nshingles)``) and its own, and ``seen``
    with its blocks added. The chunks of a run, each trimmed and appended to ``Spools`` in turn, give what
    ``featurize`` of all their texts at once gives: a chunk's first copy of an earlier chunk's block needs
    no shingles."""
    digests = np.concatenate([seen[0], f.digests])
    nsh = np.concatenate([seen[1], f.nshingles])
    at = seen[0].shape[0]
    if f.fuzzy.shape[0] and at:
        rows = np.flatnonzero(first_equal(digests, nsh)[f.fuzzy + at] == f.fuzzy + at)
        fptr, fvals = take_rows(f.indptr, f.values, rows)
        f = f._replace(fuzzy=f.fuzzy[rows], indptr=fptr, values=fvals, keys=np.ascontiguousarray(f.keys[:, rows]))
    return f, (digests, nsh)


NO_BLOCKS = (np.zeros(0, np.uint64), np.zeros(0, np.int64))


# ------------------------------------------------------------------ 2. the plan of the corpus
class Plan(NamedTuple):
    """Every block of the corpus and what becomes of it (arrays in RAM, or memory-mapped past the budget)."""

    ids: object  # document ids, a list or a range
    bptr: np.ndarray  # int64 (docs + 1,)
    starts: np.ndarray  # int64 (blocks,), str offsets in their document
    ends: np.ndarray
    labels: np.ndarray  # int64 (blocks,): group label (its first block)
    kind: np.ndarray  # int8 (blocks,): a code of ``_decide.KINDS``
    source: np.ndarray  # int64 (blocks,): kept copy of a removed block, else -1
    removed: np.ndarray  # int64: blocks with kind != KEPT, ascending
    similarity: np.ndarray  # float64, aligned with ``removed``: Jaccard with the source (0 without one)


class Spools:
    """The features of every chunk so far, appended to ``_spill`` spools: in RAM within the budget, else on disk."""

    NAMES = (("counts", np.int64), ("starts", np.int64), ("ends", np.int64), ("words", np.int64),
             ("nshingles", np.int64), ("digests", np.uint64), ("fuzzy", np.int64), ("fends", np.int64),
             ("fvalues", np.uint64))

    def __init__(self, budget, bands: int):
        self.budget = budget
        self.s = {name: _spill.Spool(budget, f"blocks-{name}", dt) for name, dt in self.NAMES}
        self.keys = [_spill.Spool(budget, f"blocks-keys-{b}", np.uint64) for b in range(bands)]
        self.blocks = 0
        self.used = 0
        self.docs = 0

    def append(self, f: ChunkFeatures) -> None:
        s = self.s
        for name in ("counts", "starts", "ends", "words", "nshingles", "digests"):
            s[name].append(getattr(f, name))
        s["fuzzy"].append(f.fuzzy + self.blocks)
        s["fends"].append(f.indptr[1:] + self.used)
        s["fvalues"].append(f.values)
        for b, spool in enumerate(self.keys):
            spool.append(f.keys[b])
        self.blocks += f.starts.shape[0]
        self.used += f.values.shape[0]
        self.docs += f.counts.shape[0]

    def finish(self) -> dict:
        out = {name: sp.finish() for name, sp in self.s.items()}
        out["keys"] = self.budget.stack("blocks-keys", self.keys, out["fuzzy"].shape[0], np.uint64)
        return out


def plan(ids, a: dict, cfg: CollapseConfig, budget) -> Plan:
    """The plan of the corpus from the features of all its chunks (``Spools.finish``)."""
    bptr = np.zeros(a["counts"].shape[0] + 1, dtype=np.int64)
    np.cumsum(a["counts"], out=bptr[1:])
    n = int(bptr[-1])
    if n >= 2**31:  # ``_decide.dense_groups`` counts in int32
        raise ValueError(f"at most 2**31 - 1 blocks per call, got {n}; collapse the corpus in parts")
    nsh = np.asarray(a["nshingles"])
    # Blocks compare by shingle set: equal digest and shingle count make an exact group, and a block without
    # letters or digits (no shingles) is never grouped.
    rep = first_equal(a["digests"], nsh)
    rep[nsh == 0] = -1
    budget.unmap()
    fuzzy = a["fuzzy"]
    csr = (np.concatenate([np.zeros(1, np.int64), a["fends"]]), a["fvalues"])
    members = np.flatnonzero(rep[fuzzy] == fuzzy)  # rows of ``csr`` that are the first of their digest
    words = np.asarray(a["words"])
    pairs = _near_pairs(a["keys"], members, csr, cfg, budget, words[fuzzy],
                        np.searchsorted(bptr, fuzzy, side="right") - 1)
    labels = _block_decide.group_labels(rep, fuzzy[pairs.i], fuzzy[pairs.j])
    del pairs
    groups, count = _block_decide.dense_groups(labels)
    bdoc = np.repeat(np.arange(bptr.shape[0] - 1, dtype=np.int64), np.diff(bptr))
    anchor = _block_decide.anchored(bptr, labels, groups, count, words, cfg.window, cfg.anchor_words)
    enabled = np.array([False] + [k in cfg.remove for k in REMOVABLE] + [True])
    kind, source = _block_decide.decide(bptr, bdoc, labels, groups, count, words, nsh, anchor, MODES[cfg.mode][0],
                                        cfg.min_docs, cfg.min_words, cfg.protect_words, enabled)
    del anchor, groups
    has = np.flatnonzero(source >= 0)
    ok = np.empty(has.shape[0], dtype=np.bool_)
    for lo in range(0, has.shape[0], STEP):  # a slice at a time: five arrays of every removal would be 0.5 GB at 1M
        x = has[lo : lo + STEP]
        s = source[x]
        ok[lo : lo + STEP] = _block_decide.copies(_similarity(rep, fuzzy, csr, x, s, cfg.lsh_threshold), words[x],
                                                  words[s], bdoc[x], bdoc[s], cfg.threshold, cfg.long_at,
                                                  cfg.long_words)
    del bdoc, has
    if not ok.all():
        _block_decide.demote(bptr, nsh, kind, source, ok)
    del ok
    removed = np.flatnonzero(kind != _block_decide.KEPT)
    sim = np.zeros(removed.shape[0], dtype=np.float64)
    for lo in range(0, removed.shape[0], STEP):
        x = removed[lo : lo + STEP]
        s = source[x]
        x, s, at = x[s >= 0], s[s >= 0], lo + np.flatnonzero(s >= 0)
        sim[at] = _similarity(rep, fuzzy, csr, x, s)
    del rep
    budget.unmap()
    return Plan(ids, bptr, a["starts"], a["ends"], labels, kind, source, removed, sim)


def _near_pairs(keys, members, csr, cfg, budget, words, docs) -> Pairs:
    """Verified near-copy pairs (rows of ``csr``) among ``members``: buckets, then candidates -> verify.

    ``words`` and ``docs``: of every row. Pairs at ``threshold`` (the
    components are exact), then, when ``long_threshold`` is lower, the pairs
    among long rows at it that are ``_decide.copies`` (in different
    documents), from the same buckets (``_pipeline.subset_runs``: the
    buckets the long rows alone would make, without sorting the bands
    again); in a bucket of more than ``_pipeline.BIG_BUCKET`` long rows
    that second step may miss a pair whose rows a pair of one document
    already joined.
    """
    if members.shape[0] < 2:
        return _pipeline.no_pairs()
    rep = np.arange(csr[0].shape[0] - 1, dtype=np.int64)
    sorted_bytes = 16 * keys.shape[0] * members.shape[0]  # the order and the sorted keys of every band
    b = (_pipeline.bucket(keys, members) if not budget.spilled or budget.fits(sorted_bytes) else
         bucket_on_disk(keys, members, budget))
    runs, cols = _lsh.bucket_runs(b.order, b.sorted_keys)
    del b
    out = _pipeline.link(runs, cols, members, csr, rep, cfg.threshold)
    if cfg.long_at >= cfg.threshold:
        return out
    keep = words[members] >= cfg.long_words
    runs, cols = _pipeline.subset_runs(runs, cols, keep)
    long = _pipeline.link(runs, cols, members[keep], csr, rep, cfg.long_at)
    ok = _block_decide.copies(long.score, words[long.i], words[long.j], docs[long.i], docs[long.j], cfg.threshold,
                              cfg.long_at, cfg.long_words) & (long.score < cfg.threshold)
    return _pipeline.with_edges(out, long.i[ok], long.j[ok], long.score[ok])


def _similarity(rep, fuzzy, csr, i, j, threshold: float = 0.0) -> np.ndarray:
    """Exact Jaccard of blocks ``i[p]`` and ``j[p]``: 1.0 for one digest, else from the kept shingles.

    Two blocks of one group with different digests are joined by near
    copies, so the first block of each of their digests kept its shingles.
    Pairs are scored ``STEP`` at a time.
    """
    out = np.ones(i.shape[0], dtype=np.float64)
    for lo in range(0, i.shape[0], STEP):
        ri, rj = rep[i[lo : lo + STEP]], rep[j[lo : lo + STEP]]
        other = np.flatnonzero(ri != rj)
        if other.shape[0]:
            a = np.searchsorted(fuzzy, ri[other])
            b = np.searchsorted(fuzzy, rj[other])
            out[lo + other] = _pipeline.scores(csr, csr, a, b, threshold)
    return out


# ------------------------------------------------------------------ 3. the cut of a chunk
def cut(p: Plan, d0: int, texts, apply: bool, extra=None) -> list[CollapsedDoc]:
    """``CollapsedDoc`` of documents ``d0 : d0 + len(texts)`` (their texts) by the plan, in order.

    ``extra``: passage records ``(doc, start, end, source doc, source start,
    source end, similarity)`` of these documents, joined to the removals.
    """
    n_docs = len(texts)
    b0, b1 = int(p.bptr[d0]), int(p.bptr[d0 + n_docs])
    lo, hi = np.searchsorted(p.removed, [b0, b1])
    removed = np.asarray(p.removed[lo:hi])
    src = np.asarray(p.source[removed])
    kind = np.asarray(p.kind[removed])
    has_src = src >= 0
    src0 = np.maximum(src, 0)
    rdoc = np.searchsorted(p.bptr, removed, side="right") - 1
    sdoc = np.searchsorted(p.bptr, src0, side="right") - 1
    cols = [rdoc, np.asarray(p.starts[removed]), np.asarray(p.ends[removed]), kind, np.where(has_src, sdoc, -1),
            np.asarray(p.starts[src0]), np.asarray(p.ends[src0]), np.asarray(p.similarity[lo:hi])]
    if extra is not None and extra[0].shape[0]:  # passage records join the removals, in document order
        d, s, e, sd, ss, se, sm = extra
        more = [d, s, e, np.full(d.shape[0], _block_decide.KINDS.index("passage"), dtype=kind.dtype), sd, ss, se, sm]
        cols = [np.concatenate([x, y]) for x, y in zip(cols, more)]
        order = np.lexsort((cols[2], cols[1], cols[0]))
        cols = [c[order] for c in cols]
    table = _RemovalTable(p.ids, *cols[1:])
    per_doc = np.searchsorted(cols[0], np.arange(d0, d0 + n_docs + 1)).tolist()
    ids = p.ids[d0 : d0 + n_docs]
    clean, empty = list(texts), np.zeros(n_docs, dtype=np.bool_)
    if apply and removed.shape[0]:
        bptr = np.asarray(p.bptr[d0 : d0 + n_docs + 1]) - b0
        clean, empty = edit_texts(texts, bptr, np.asarray(p.starts[b0:b1]), np.asarray(p.ends[b0:b1]),
                                  p.kind[b0:b1])
    return [CollapsedDoc(doc_id, text, Removals(table, per_doc[d], per_doc[d + 1]), e)
            for d, (doc_id, text, e) in enumerate(zip(ids, clean, empty.tolist()))]


def edit_texts(texts, bptr, starts, ends, kind) -> tuple[list, np.ndarray]:
    """``(clean texts, empty)`` of a chunk whose blocks (``bptr``, offsets in their document) have ``kind``.

    What ``cut`` does to the texts, for a caller holding only the chunk's
    slice of the plan (``dedup.dask.collapse``): blocks of kind other than
    KEPT are cut out; ``empty[d]`` when every block of ``d`` went.
    """
    clean = list(texts)
    kind = np.asarray(kind)
    if not (kind != _block_decide.KEPT).any():
        return clean, np.zeros(len(clean), dtype=np.bool_)
    cps, doc_ptr = _codepoints.code_points(texts)
    at = np.repeat(doc_ptr[:-1], np.diff(bptr))
    eptr, cut0, cut1, keep0, keep1, empty = _block_decide.edits(cps, doc_ptr, bptr, starts + at, ends + at, kind)
    edited = np.flatnonzero(np.diff(eptr))
    out, out_ptr = _block_decide.apply_edits(cps, doc_ptr, eptr, cut0, cut1, keep0, keep1, edited)
    if type(texts) is _codepoints.Held:
        texts.edited = (edited, out, out_ptr)
    joined = _decode(out)
    bounds = out_ptr.tolist()
    for k, d in enumerate(edited.tolist()):
        clean[d] = joined[bounds[k] : bounds[k + 1]]
    return clean, empty


def _decode(cps) -> str:
    """The ``str`` of code points from ``_codepoints.code_points`` (uint16 holds no surrogates there)."""
    import codecs

    if cps.dtype == np.uint8:
        return codecs.latin_1_decode(cps)[0]
    if cps.dtype == np.uint16:
        return codecs.utf_16_le_decode(cps, "strict", True)[0]
    return codecs.utf_32_le_decode(cps, "surrogatepass", True)[0]


# ------------------------------------------------------------------ groups of repeated blocks
def group_spans(p: Plan):
    """The repeated blocks' occurrences, grouped: ``(blocks, bounds, ndocs)``, groups by first occurrence.

    ``blocks[bounds[g]:bounds[g+1]]`` are the blocks of group ``g``, in corpus
    order; ``ndocs[g]`` the distinct documents it occurs in.
    """
    bdoc = np.repeat(np.arange(p.bptr.shape[0] - 1, dtype=np.int64), np.diff(p.bptr))
    labels = np.asarray(p.labels)
    groups, count = _block_decide.dense_groups(labels)
    _, ndocs = _block_decide.group_stats(labels, groups, count, bdoc)
    g = groups[labels]
    rep = np.flatnonzero(g >= 0)
    order, bounds = group_by_label(g[rep])  # groups are numbered by their first block, as labels are
    return rep[order], bounds, ndocs


def groups(p: Plan, cfg: CollapseConfig, spans, first_texts) -> BlockGroups:
    """``BlockGroup`` of every group of ``spans`` (``group_spans``); ``first_texts[g]`` is its first copy's text."""
    rep, bounds, ndocs = spans
    ids = p.ids
    d = (np.searchsorted(p.bptr, rep, side="right") - 1).tolist()
    s = np.asarray(p.starts[rep]).tolist()
    e = np.asarray(p.ends[rep]).tolist()
    out = []
    b = bounds.tolist()
    for g, (lo, hi, nd) in enumerate(zip(b[:-1], b[1:], ndocs.tolist())):
        occ = tuple(Span(ids[d[x]], s[x], e[x]) for x in range(lo, hi))
        k = "repeat" if nd == 1 else ("boilerplate" if nd >= cfg.min_docs else "syndicated")
        out.append(BlockGroup(k, first_texts[g], occ, nd))
    return BlockGroups(out)


def first_texts(p: Plan, spans, chunks):
    """The text of every group's first copy, reading ``chunks`` (``(d0, texts)``, in order) once."""
    rep, bounds, _ = spans
    first = rep[bounds[:-1]]
    order = np.argsort(first, kind="stable")
    fdoc = np.searchsorted(p.bptr, first[order], side="right") - 1
    s = np.asarray(p.starts[first[order]]).tolist()
    e = np.asarray(p.ends[first[order]]).tolist()
    out = [None] * first.shape[0]
    k = 0
    fd = fdoc.tolist()
    pos = order.tolist()
    for d0, texts in chunks:
        d1 = d0 + len(texts)
        while k < len(fd) and fd[k] < d1:
            out[pos[k]] = texts[fd[k] - d0][s[k]:e[k]]
            k += 1
    return out
