"""Shared passages within a memory budget: the same stages as ``_find``, over a corpus read in chunks.

    pass 1, per chunk of texts --tokenize, word_glue--> per token: unit, str span, glue; per document:
                                 its token count (``_spill`` spools: in RAM within the budget, else .npy files)
    per slice of documents (units read back) --gram_keys--> keys, cut into parts by their high bits
    per part --sort_keys, sorted_hits--> hits, cut into parts by their first document
    per part --candidate_pairs--> candidate pairs and their hits, in (doc a, doc b) order
    per batch of pairs --align_pairs--> passages (only the units of the batch's documents are read)
    all passages --group_stage--> groups (token spans and glue read only where an occurrence ends)
    pass 2, per chunk of texts --> the texts of the occurrences cut out (a spool, read when asked for)

A part of the keys holds whole runs of equal prefixes (it is cut on bits
above them) and the parts come in key order, so the hits come in the order
``_seeds.seed_hits`` makes them; the hits of one first document are all in
one part. Every stage thus sees what it sees in RAM, and the groups are the
same, in the same order. Arrays read back from disk are read with ``pread``
(``_spill.gather_rows``), never through a mapping of the whole file, so the
resident memory of a stage is what it reads.
"""

from __future__ import annotations

import codecs
import itertools
import os

import numba
import numpy as np
from numba import njit

from .._core import _spill
from .._core._config import PassageConfig
from .._core._keysort import partition, sort_keys
from .._indexing._stream import prefetch
from .._text import _codepoints, _tokens
from .._text._documents import chunk_bounds
from . import _align, _seeds
from ._candidates import Hits, candidate_pairs
from ._groups import PairPassages, PassageArrays, group_stage, word_glue

#: Longest document with ``memory=``, in characters (its token spans are kept in 32 bits).
MAX_CHARS = (1 << 32) - 1

#: Most parts the keys, or the hits, are cut into (each an open spool file past the budget).
MAX_PARTS = 256


# --------------------------------------------------------------------------- reading back
def read_range(arr: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """``arr[lo:hi]`` in RAM: a view of an array in RAM, or read with ``pread`` from a memory-mapped one."""
    if not _spill.is_mapped(arr):
        return arr[lo:hi]
    return _spill.gather_rows(np.array([lo, hi], dtype=np.int64), arr, np.zeros(1, dtype=np.int64))[1]


#: Values of a memory-mapped array ``take`` reads at most at once (the span of one block's indices).
TAKE_BLOCK = 1 << 20


def take(arr: np.ndarray, idx) -> np.ndarray:
    """``arr[idx]``; from a memory-mapped ``arr``, read with ``pread``: per block of ``TAKE_BLOCK`` values that
    holds an index, the span from its first index to its last (never a mapping of the file: the page-cache
    folio around every value read showed up as resident memory)."""
    idx = np.asarray(idx, dtype=np.int64)
    if not _spill.is_mapped(arr):
        return arr[idx]
    flat = idx.ravel()
    order = np.argsort(flat, kind="stable")
    s = flat[order]
    out = np.empty(flat.shape[0], dtype=arr.dtype)
    if s.shape[0] == 0:
        return out.reshape(idx.shape)
    block = s // TAKE_BLOCK
    cuts = np.flatnonzero(block[1:] != block[:-1]) + 1
    lo = np.concatenate([[0], cuts]).tolist()
    hi = np.concatenate([cuts, [s.shape[0]]]).tolist()
    item = arr.dtype.itemsize
    buf = np.empty(TAKE_BLOCK, dtype=arr.dtype)
    with open(arr.filename, "rb", buffering=0) as f:
        fd = f.fileno()
        for i0, i1 in zip(lo, hi):
            first, last = int(s[i0]), int(s[i1 - 1])
            _spill.read_at(fd, buf[: last - first + 1], arr.offset + first * item, arr.filename)
            out[order[i0:i1]] = buf[s[i0:i1] - first]
    return out.reshape(idx.shape)


class _Taken:
    """An array read by ``take`` when indexed (what ``group_stage`` reads of the token spans)."""

    def __init__(self, arr):
        self.arr = arr

    def __getitem__(self, idx):
        return take(self.arr, idx).astype(np.int64)


def _drain(spool: _spill.Spool, budget: _spill.Budget) -> np.ndarray:
    """A spool's array in RAM; its file, if any, removed (a part read once)."""
    arr = spool.finish()
    if not _spill.is_mapped(arr):
        return arr
    out = read_range(arr, 0, arr.shape[0])
    budget.mapped = [a for a in budget.mapped if a is not arr]
    del arr
    os.unlink(spool.path)
    return out


def _parts(n: int, item_bytes: int, ram: int) -> int:
    """Parts (a power of two, at most ``MAX_PARTS``) that cut ``n`` values into pieces of about ``ram / 8``."""
    want = -(-n * item_bytes // max(1, ram // 8))
    p = 1
    while p < min(want, MAX_PARTS):
        p *= 2
    return p


# --------------------------------------------------------------------------- the stages
class _Tokens:
    """Pass 1: per chunk of texts, the tokens' units, spans and glue, and each document's token count."""

    #: Token spans are ``str`` offsets in their document, kept in 32 bits (``MAX_CHARS``).
    NAMES = (("ntok", np.int64), ("units", np.uint64), ("starts", np.uint32), ("ends", np.uint32),
             ("glue", np.uint8))

    def __init__(self, budget):
        self.s = {name: _spill.Spool(budget, f"passages-{name}", dt) for name, dt in self.NAMES}

    def append(self, texts) -> None:
        cps, doc_ptr = _codepoints.code_points(texts)
        tk = _tokens.tokenize_code_points(cps, doc_ptr)
        glue = word_glue(cps, doc_ptr, tk)
        del cps
        if tk.ends.shape[0] and int(tk.ends.max()) > MAX_CHARS:
            raise ValueError(f"with memory=, documents of at most {MAX_CHARS} characters; one has "
                             f"{int(tk.ends.max())} (split it, or leave out memory=)")
        s = self.s
        s["ntok"].append(np.diff(tk.tptr))
        s["units"].append(tk.units)
        s["starts"].append(tk.starts)
        s["ends"].append(tk.ends)
        s["glue"].append(glue)

    def finish(self) -> dict:
        out = {name: sp.finish() for name, sp in self.s.items()}
        tptr = np.zeros(out["ntok"].shape[0] + 1, dtype=np.int64)
        np.cumsum(out["ntok"], out=tptr[1:])
        out["tptr"] = tptr
        return out


def _hits(units, tptr, cfg: PassageConfig, budget):
    """``_seeds.seed_hits`` with the keys and the hits cut into parts (spooled) and taken part by part.

    Returns ``(pairs, hptr, pos)``: ``Hits`` with ``pair_a``/``pair_b`` and ``pos_a``/``pos_b`` as the
    columns of ``pairs`` and ``pos`` (flattened, in RAM or memory-mapped).
    """
    of = _seeds.layout(tptr)
    shift, _ = of
    lens = np.diff(tptr)
    n_tokens = int(tptr[-1])
    slice_tokens = max(1 << 16, budget.ram // 64)
    # keys: a slice of documents at a time, into parts by their top bits (all above the prefix's low end)
    bits = min((_parts(n_tokens, 8, budget.ram) - 1).bit_length(), 64 - shift)
    key_parts = [_spill.Spool(budget, f"passages-keys-{b}", np.uint64) for b in range(1 << bits)]
    bounds = chunk_bounds(lens, slice_tokens) if lens.shape[0] else [0]
    for d0, d1 in itertools.pairwise(bounds):
        t0, t1 = int(tptr[d0]), int(tptr[d1])
        keys, _, _ = _seeds.gram_keys(read_range(units, t0, t1), tptr[d0 : d1 + 1] - t0, cfg.ngram, cfg.winnow,
                                      of=of, d0=d0, t0=t0)
        if bits == 0:
            key_parts[0].append(keys)
            continue
        out = np.empty_like(keys)
        starts = partition(keys, bits, 4, out)
        for b in np.flatnonzero(np.diff(starts)).tolist():
            key_parts[b].append(out[starts[b] : starts[b + 1]])
    n_keys = sum(sp.size for sp in key_parts)
    # hits: part by part in key order (the order seed_hits makes them), into parts by their first document
    r = _parts(4 * n_keys, 16, budget.ram)
    doc_bounds = np.asarray(chunk_bounds(lens, max(1, -(-n_tokens // r))), dtype=np.int64) if r > 1 else None
    hit_parts = [_spill.Spool(budget, f"passages-hits-{k}", np.int32) for k in range(
        1 if doc_bounds is None else doc_bounds.shape[0] - 1)]
    for sp in key_parts:
        keys = sort_keys(_drain(sp, budget))
        rows = np.stack(_seeds.sorted_hits(keys, shift, of[1], tptr, max_df=cfg.max_df, max_repeat=cfg.max_repeat,
                                           frequent=cfg.frequent), axis=1)
        del keys
        if doc_bounds is None:
            hit_parts[0].append(rows.ravel())
            continue
        part = (np.searchsorted(doc_bounds, rows[:, 0], side="right") - 1).astype(np.int16)
        order = np.argsort(part, kind="stable")
        at = np.searchsorted(part[order], np.arange(len(hit_parts) + 1))
        rows = rows[order]
        for k in np.flatnonzero(np.diff(at)).tolist():
            hit_parts[k].append(rows[at[k] : at[k + 1]].ravel())
        del rows, order, part
    # candidate pairs: part by part, in order of their first document
    pairs = _spill.Spool(budget, "passages-pairs", np.int64)
    kept = _spill.Spool(budget, "passages-kept", np.int64)
    pos = _spill.Spool(budget, "passages-pos", np.int32)
    for sp in hit_parts:
        rows = _drain(sp, budget).reshape(-1, 4)
        cols = [np.ascontiguousarray(rows[:, c]) for c in range(4)]
        del rows
        h = candidate_pairs(*cols, tptr, min_seeds=cfg.min_seeds, window=cfg.min_words, band=cfg.xdrop)
        del cols
        pairs.append(np.stack([h.pair_a, h.pair_b], axis=1).ravel())
        kept.append(np.diff(h.hptr))
        pos.append(np.stack([h.pos_a, h.pos_b], axis=1).ravel())
    n = kept.finish()
    hptr = np.zeros(n.shape[0] + 1, dtype=np.int64)
    np.cumsum(n, out=hptr[1:])
    return pairs.finish(), hptr, pos.finish()


def _passages(units, tptr, hits, cfg: PassageConfig, budget) -> PairPassages:
    """``_find.align_stage`` in batches of candidate pairs, reading the units of each batch's documents only."""
    names = ("doc_a", "doc_b", "sa", "ea", "sb", "eb", "matches")
    out = {k: _spill.Spool(budget, f"passages-pp-{k}", np.int64) for k in names}
    pairs, hptr, pos = hits
    n_pairs = hptr.shape[0] - 1
    lens = np.diff(tptr)
    # the cost of a pair: both documents' tokens and its hits, read per pair (8 bytes each, 8 more of scratch)
    cost = np.empty(n_pairs, dtype=np.int64)
    for lo in range(0, n_pairs, 1 << 20):
        pr = read_range(pairs, 2 * lo, 2 * min(n_pairs, lo + (1 << 20))).reshape(-1, 2)
        cost[lo : lo + pr.shape[0]] = lens[pr[:, 0]] + lens[pr[:, 1]]
    cost += np.diff(hptr)
    bounds = chunk_bounds(cost, max(1 << 16, budget.ram // 64)) if n_pairs else [0]
    del cost
    for k0, k1 in itertools.pairwise(bounds):
        pr = read_range(pairs, 2 * k0, 2 * k1).reshape(-1, 2)
        h0, h1 = int(hptr[k0]), int(hptr[k1])
        ps = read_range(pos, 2 * h0, 2 * h1).reshape(-1, 2)
        pa, pb = np.ascontiguousarray(pr[:, 0]), np.ascontiguousarray(pr[:, 1])
        rows = np.unique(np.concatenate([pa, pb]))
        ptr, u = _spill.gather_rows(tptr, units, rows)
        local = Hits(np.searchsorted(rows, pa), np.searchsorted(rows, pb), hptr[k0 : k1 + 1] - h0,
                     np.ascontiguousarray(ps[:, 0]), np.ascontiguousarray(ps[:, 1]))
        pair, sa, ea, sb, eb, matches, _ = _align.align_pairs(
            u, ptr, local, ngram=cfg.ngram, xdrop=cfg.xdrop, max_gap=cfg.max_gap, min_words=cfg.min_words,
            n_threads=numba.get_num_threads())
        for k, v in zip(names, (pa[pair], pb[pair], sa, ea, sb, eb, matches)):
            out[k].append(v)
    return PairPassages(*(np.array(out[k].finish()) for k in names))


def passage_arrays(texts_chunks, cfg: PassageConfig, budget, on_chunk=None) -> PassageArrays:
    """The groups of a corpus given as chunks of texts (``passages``' stages within ``budget``).

    ``on_chunk(chunk)`` is called with each item of ``texts_chunks`` (ids collected by the caller); the
    texts are the item itself or, for ``(ids, texts)`` pairs, its second half.
    """
    tk = _Tokens(budget)
    for chunk in prefetch(texts_chunks):
        if on_chunk is not None:
            on_chunk(chunk)
        tk.append(chunk[1] if isinstance(chunk, tuple) else chunk)
    t = tk.finish()
    budget.unmap()
    hits = _hits(t["units"], t["tptr"], cfg, budget)
    pp = _passages(t["units"], t["tptr"], hits, cfg, budget)
    del hits
    budget.unmap()
    spans = _tokens.Tokens(t["tptr"], None, _Taken(t["starts"]), _Taken(t["ends"]))
    arrays = group_stage(spans, pp, t["glue"], cfg.max_docs)
    budget.unmap()
    return arrays


# --------------------------------------------------------------------------- the occurrences' texts
@njit(cache=True)
def _cut(cps, doc_ptr, doc, start, end, out):
    """The code points of ``[start, end)`` of documents ``doc`` (of ``cps``/``doc_ptr``), one after another."""
    o = 0
    for k in range(doc.shape[0]):
        base = doc_ptr[doc[k]]
        for i in range(base + start[k], base + end[k]):
            out[o] = cps[i]
            o += 1


class OccurrenceTexts:
    """The text of every occurrence of a ``PassageArrays``, cut out of the documents (a second pass) into one
    array of code points: in RAM within the budget, else a file of the work directory, memory-mapped (it stays
    readable after the directory is removed, until the result is dropped)."""

    def __init__(self, arrays: PassageArrays, budget):
        self._a = arrays
        self._order = np.lexsort((arrays.start, arrays.doc))
        lengths = (arrays.end - arrays.start)[self._order]
        self._at = np.empty(lengths.shape[0], dtype=np.int64)
        self._at[self._order] = np.cumsum(lengths) - lengths
        self._docs = arrays.doc[self._order]
        self._spool = _spill.Spool(budget, "passages-texts", np.uint32)
        self._buf = None

    def add(self, d0: int, texts) -> None:
        """Cut the occurrences of documents ``d0 : d0 + len(texts)`` (``texts``) out; chunks come in order."""
        lo, hi = np.searchsorted(self._docs, [d0, d0 + len(texts)])
        if lo == hi:
            return
        rows = self._order[lo:hi]
        a = self._a
        cps, doc_ptr = _codepoints.code_points(texts)
        start, end = a.start[rows], a.end[rows]
        out = np.empty(int((end - start).sum()), dtype=np.uint32)
        _cut(cps, doc_ptr, a.doc[rows] - d0, start, end, out)
        self._spool.append(out)

    def finish(self) -> None:
        self._buf = self._spool.finish()
        self._spool = None

    def __call__(self, k: int, d: int, s: int, e: int) -> str:
        at = int(self._at[k])
        return codecs.utf_32_le_decode(np.asarray(self._buf[at : at + e - s]).tobytes(), "surrogatepass", True)[0]
