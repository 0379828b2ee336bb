"""Segments: documents added to an index that lives on disk, without rewriting it.

An index is a *base* segment (what ``dedup.index`` built, or a compaction)
followed by *tail* segments, one per ``add`` to an index whose arrays are
memory-mapped (a loaded or spilled one). A tail holds the new documents'
own arrays (shingle CSR, digests, band keys, its representatives' sorted
bands) and the verified pairs found when it was added: those inside it and
those between it and every older segment. Older segments are never
written, so ``save`` hard-links their files and writes only the tail, and
an ``add`` holds in RAM the new documents and the buckets they touch, not
every band of the index (an LSM tree's flush, with lookups into the older
runs instead of a merge).

The answers are those of one ``dedup.index`` over all the documents in
order (tested): a new text identical to an older one joins its exact group
(found by digest, length and shingle set, as ``_exact.exact_groups``
decides), new representatives are looked up in every older segment's
sorted bands, candidate pairs are verified exactly, and a bucket that
would hold more than ``BIG_BUCKET`` members across segments is connected
with ``_cluster.connect_runs`` (older members settled), as ``build`` does.
Queries look up each segment in turn. Past ``MAX_TAILS`` tails, the tails
are merged into one (in RAM, their size only); ``Index.compact`` merges
everything into one segment.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._core import _arrays
from .._verify import _cluster
from . import _pipeline
from .._core._config import Config
from .._sketch._lsh import bucket_runs
from ._pipeline import BIG_BUCKET, Buckets, Features, Pairs

#: More tails than this are merged into one at the next ``add``: a query
#: looks up every segment, so their number is kept small.
MAX_TAILS = 8

#: Digests read from a segment at a time when looking for older copies of new texts.
_CHUNK = 1 << 22


class Segment(NamedTuple):
    """Documents ``start:start + n`` of an index, as the steps see them.

    f : their Features (rows local to the segment).
    rep : int64 (n,), the global exact-group representative of each (-1: blank).
    reps : int64 (m,), the segment's representatives with shingles, global positions ascending.
    b : Buckets, columns of ``reps`` sorted per band.
    """

    start: int
    f: Features
    rep: np.ndarray
    reps: np.ndarray
    b: Buckets


class Tail(NamedTuple):
    """A segment added to an index, with its bookkeeping.

    p : the verified pairs found when it was added (``j`` in this segment), sorted by (i, j).
    complete : bool, False when a bucket was too big to verify whole (``p`` then
        holds the pairs that connect it, as ``build`` keeps).
    """

    start: int
    f: Features
    rep: np.ndarray
    reps: np.ndarray
    b: Buckets
    ids: object
    lengths: np.ndarray
    priority: np.ndarray
    p: Pairs
    complete: bool


#: The arrays of a tail, as ``Index.arrays()`` names them (with ``@k``).
TAIL_ARRAYS = ("lengths", "priority", *Features._fields, "rep", "reps", *Buckets._fields, "pair_i", "pair_j",
               "pair_s", "complete")


def tail_arrays(t: Tail) -> dict:
    return dict(lengths=t.lengths, priority=t.priority, **t.f._asdict(), rep=t.rep, reps=t.reps, **t.b._asdict(),
                pair_i=t.p.i, pair_j=t.p.j, pair_s=t.p.score, complete=np.array([t.complete], dtype=np.bool_))


def tail_from_arrays(start: int, ids, a: dict) -> Tail:
    return Tail(start, Features(*(a[k] for k in Features._fields)), a["rep"], a["reps"],
                Buckets(*(a[k] for k in Buckets._fields)), ids, a["lengths"], a["priority"],
                Pairs(a["pair_i"], a["pair_j"], a["pair_s"]), bool(np.asarray(a["complete"])[0]))


def _drop(*arrays) -> None:
    """Unmap the pages read from memory-mapped ``arrays`` (they stay in the page cache): lookups into a
    10M-document index touch most pages of a band, which would otherwise count as this process's memory."""
    from .._core._spill import advise

    for a in arrays:
        advise(a, "done")


def concat_rows(csrs) -> tuple[np.ndarray, np.ndarray]:
    """CSR ``(indptr, values)`` pairs one after another, as one CSR in RAM."""
    csrs = list(csrs)
    ends = np.cumsum([0] + [int(ptr[-1]) for ptr, _ in csrs[:-1]])
    indptr = np.concatenate([np.zeros(1, np.int64), *(np.asarray(ptr[1:]) - ptr[0] + e
                                                      for (ptr, _), e in zip(csrs, ends))])
    values = np.concatenate([np.asarray(v) for _, v in csrs]) if csrs else np.zeros(0, np.uint64)
    return indptr, values


def concat_features(fs) -> Features:
    """Features of consecutive documents, one after another, in RAM."""
    fs = list(fs)
    indptr, values = concat_rows((f.indptr, f.values) for f in fs)
    return Features(indptr, values, np.concatenate([np.asarray(f.digests) for f in fs]),
                    np.concatenate([np.asarray(f.nbytes) for f in fs]),
                    np.concatenate([np.asarray(f.keys) for f in fs], axis=1))


def member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for a small sorted set: a binary search per value (``np.isin``
    sorts or hashes both sides, 14 s for 10M values against 100k measured here; this takes a second)."""
    if sorted_set.shape[0] == 0:
        return np.zeros(values.shape[0], dtype=np.bool_)
    at = np.minimum(np.searchsorted(sorted_set, values), sorted_set.shape[0] - 1)
    return sorted_set[at] == values


def _text_keys(digests, nbytes) -> np.ndarray:
    """One uint64 per text from its digest and length (equal texts, equal keys)."""
    return np.asarray(digests, dtype=np.uint64) ^ (np.asarray(nbytes, dtype=np.int64).astype(np.uint64)
                                                   * np.uint64(0x9E3779B97F4A7C15))


def _rows(f: Features, local: np.ndarray):
    """The CSR rows ``local`` (sorted unique) of ``f``, in RAM (read from the file when it is mapped)."""
    from .._core._spill import gather_rows

    return gather_rows(f.indptr, f.values, local)


def older_copies(segs, q: Features) -> np.ndarray:
    """For each new document (``q``), the first older document with the same normalized text, or -1.

    ``_exact.exact_groups`` across segments: equal digest and length find
    the first older document; it must have the same shingle set (both empty
    counts as the same), or the new one is its own.
    """
    n = q.digests.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    want = np.flatnonzero(np.asarray(q.nbytes) > 0)
    if want.shape[0] == 0 or not segs:
        return out
    keys = _text_keys(q.digests[want], q.nbytes[want])
    wanted = np.unique(keys)
    pos, dig, nb = [], [], []
    for s in segs:
        m = s.f.digests.shape[0]
        for lo in range(0, m, _CHUNK):
            d = np.asarray(s.f.digests[lo : lo + _CHUNK])
            b = np.asarray(s.f.nbytes[lo : lo + _CHUNK])
            hit = np.flatnonzero(member(_text_keys(d, b), wanted))
            pos.append(hit + lo + s.start)
            dig.append(d[hit])
            nb.append(b[hit])
        _drop(s.f.digests, s.f.nbytes)
    if not pos:
        return out
    pos, dig, nb = np.concatenate(pos), np.concatenate(dig), np.concatenate(nb)
    if pos.shape[0] == 0:
        return out
    hk = _text_keys(dig, nb)
    hk, first = np.unique(hk, return_index=True)  # positions ascend: the first is the earliest
    at = np.minimum(np.searchsorted(hk, keys), hk.shape[0] - 1)
    cand = first[at]
    ok = (hk[at] == keys) & (dig[cand] == q.digests[want]) & (nb[cand] == q.nbytes[want])
    new, old = want[ok], pos[cand[ok]]
    same = np.zeros(new.shape[0], dtype=np.bool_)
    for s in segs:  # the shingle sets must be equal too, as exact_groups checks
        inside = np.flatnonzero((old >= s.start) & (old < s.start + s.f.digests.shape[0]))
        if inside.shape[0] == 0:
            continue
        local = old[inside] - s.start
        need = np.unique(local)
        csr = _rows(s.f, need)
        sc = _pipeline.scores(csr, q, np.searchsorted(need, local), new[inside])
        empty = (np.diff(csr[0])[np.searchsorted(need, local)] == 0) & (np.diff(q.indptr)[new[inside]] == 0)
        same[inside] = (sc == 1.0) | empty
    out[new[same]] = old[same]
    return out


def append(segs: list, older_pairs, q: Features, config: Config) -> tuple[np.ndarray, np.ndarray, Buckets, Pairs,
                                                                         bool]:
    """The segment of new documents ``q`` after the segments ``segs``: ``(rep, reps, b, p, complete)``.

    ``older_pairs()`` gives every verified pair of the older segments (asked
    for only when a bucket is too big to verify whole).

    ``rep`` holds global positions; ``p`` every verified pair with a new
    document (sorted by (i, j)), except in buckets too big to verify whole,
    whose new members are connected instead (``complete`` is then False).
    """
    start = segs[-1].start + segs[-1].f.digests.shape[0]
    n = q.digests.shape[0]
    local = _pipeline.exact(q.indptr, q.values, q.digests, q.nbytes).rep
    rep = np.where(local >= 0, local + start, -1)
    old = older_copies(segs, q)
    rep[old >= 0] = old[old >= 0]
    # a document whose batch representative went to an older copy while it did not (a digest collision): its own
    inner = np.flatnonzero(rep >= start)
    astray = inner[rep[rep[inner] - start] != rep[inner]]
    rep[astray] = astray + start
    here = np.arange(start, start + n)
    reps_local = np.flatnonzero((rep == here) & (np.diff(q.indptr) > 0))
    reps = reps_local + start
    b = _pipeline.bucket(q.keys, reps_local)
    runs, cols = bucket_runs(b.order, b.sorted_keys)
    own = _pipeline.link(runs, cols, reps_local, q, np.where(rep >= start, rep - start, -1), config.threshold)
    inside = Pairs(own.i + start, own.j + start, own.score)
    complete = _pipeline.big_runs(b).shape[0] == 0
    cross, big = _cross(segs, q, start, reps, b, config)
    p = _sorted(_cat([inside, cross]))
    if big is not None:
        p = _connect(segs, older_pairs(), q, start, rep, p, big, config)
        complete = False
    return rep, reps, b, p, complete


def _cat(parts) -> Pairs:
    return Pairs(*(np.concatenate([getattr(p, k) for p in parts]) for k in ("i", "j", "score")))


def _sorted(p: Pairs) -> Pairs:
    o = np.lexsort((p.j, p.i))
    return Pairs(p.i[o], p.j[o], p.score[o])


def _cross(segs, q: Features, start: int, reps: np.ndarray, b: Buckets, config: Config, limit: int = BIG_BUCKET):
    """Verified pairs (older document, new representative) sharing a bucket, buckets up to ``limit`` members.

    Returns ``(pairs, big)``: ``big`` is ``(runs, docs)`` of the buckets
    with more members than that across segments (older members first, in
    order), for ``_connect``, or None.
    """
    bands, m = b.sorted_keys.shape
    run_of, doc_of = [], []
    base = 0
    for band in range(bands):
        nk = np.asarray(b.sorted_keys[band])
        if m == 0:
            break
        first = np.flatnonzero(np.r_[True, nk[1:] != nk[:-1]])
        uk = nk[first]
        count = np.diff(np.r_[first, m])
        touched = np.zeros(uk.shape[0], dtype=np.bool_)
        for s in segs:
            if s.reps.shape[0] == 0:
                continue
            sk = s.b.sorted_keys[band]
            lo = np.searchsorted(sk, uk, side="left")
            hi = np.searchsorted(sk, uk, side="right")
            c = hi - lo
            has = np.flatnonzero(c)
            if has.shape[0]:
                touched[has] = True
                c = c[has]
                at = np.repeat(lo[has] - np.r_[0, np.cumsum(c)[:-1]], c) + np.arange(int(c.sum()))
                cols = np.asarray(s.b.order[band][at])
                run_of.append(np.repeat(has + base, c))
                doc_of.append(np.asarray(s.reps[cols]))
            _drop(s.b.sorted_keys, s.b.order, s.reps)
        t = np.flatnonzero(touched)
        if t.shape[0]:
            c = count[t]
            at = np.repeat(first[t] - np.r_[0, np.cumsum(c)[:-1]], c) + np.arange(int(c.sum()))
            run_of.append(np.repeat(t + base, c))
            doc_of.append(reps[np.asarray(b.order[band])[at]])
        base += uk.shape[0]
    empty = Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))
    if not run_of:
        return empty, None
    run_of, doc_of = np.concatenate(run_of), np.concatenate(doc_of)
    o = np.lexsort((doc_of, run_of))  # each bucket's older members first, in order
    run_of, doc_of = run_of[o], doc_of[o]
    bounds = np.flatnonzero(np.r_[True, run_of[1:] != run_of[:-1], True])
    runs = np.empty(2 * (bounds.shape[0] - 1), dtype=np.int64)
    runs[0::2], runs[1::2] = bounds[:-1], bounds[1:]
    pairs = runs.reshape(-1, 2)
    large = pairs[:, 1] - pairs[:, 0] > limit
    ci, cj = _arrays.run_pairs(pairs[~large].ravel(), np.arange(doc_of.shape[0]), doc_of)
    keep = (ci < start) & (cj >= start)
    ci, cj = _arrays.unique_pairs(ci[keep], cj[keep])
    found = _verify_across(segs, q, start, ci, cj, config.threshold) if ci.shape[0] else empty
    big = (pairs[large].ravel(), doc_of) if large.any() else None
    return found, big


def _gathered(segs, q: Features, start: int, docs: np.ndarray):
    """One CSR in RAM of the rows of ``docs`` (sorted unique global positions), older and new."""
    ptrs, vals = [], []
    for s in segs:
        inside = docs[(docs >= s.start) & (docs < s.start + s.f.digests.shape[0])]
        if inside.shape[0]:
            ptr, v = _rows(s.f, inside - s.start)
            ptrs.append(ptr)
            vals.append(v)
    new = docs[docs >= start]
    if new.shape[0]:
        ptr, v = _rows(q, new - start)
        ptrs.append(ptr)
        vals.append(v)
    return concat_rows(zip(ptrs, vals))


def _verify_across(segs, q, start, ci, cj, threshold) -> Pairs:
    """``verify`` of pairs (older document ``ci``, new document ``cj``), older rows read as needed."""
    need = np.unique(ci)
    csr = _gathered(segs, q, start, need)
    ok = _pipeline.verify(csr, q, np.searchsorted(need, ci), cj - start, threshold)
    return Pairs(need[ok.i], ok.j + start, ok.score)


def _connect(segs, older: Pairs, q, start, rep_new, p: Pairs, big, config: Config) -> Pairs:
    """``p`` with the edges that connect the new members of big buckets (``_cluster.connect_runs``).

    Union-find over every document, seeded with the exact groups and every
    verified pair (older segments' and the new ones); older members are
    settled.
    """
    runs, docs = big
    n = start + q.digests.shape[0]
    rep = np.concatenate([*(np.asarray(s.rep) for s in segs), rep_new])
    parent, size = _pipeline.union_find(n, rep, _cat([older, p]))
    used = np.concatenate([docs[a:b] for a, b in runs.reshape(-1, 2).tolist()])
    members = np.unique(used)
    csr = _gathered(segs, q, start, members)
    cols = np.searchsorted(members, docs)
    settled = np.zeros(n, dtype=np.bool_)
    settled[:start] = True
    k = members.shape[0]
    i, j, sc = np.empty(k, np.int64), np.empty(k, np.int64), np.empty(k, np.float64)
    got = _cluster.connect_runs(runs, cols, members, np.arange(k), settled, csr[0], csr[1], config.threshold,
                                parent, size, i, j, sc, 0)
    return _pipeline.with_edges(p, i[:got], j[:got], sc[:got])


def merge(tails: list, config: Config, ids) -> Tail:
    """One tail of several consecutive ones (in RAM: their size, not the index's)."""
    start = tails[0].start
    f = concat_features(t.f for t in tails)
    rep = np.concatenate([np.asarray(t.rep) for t in tails])
    reps = np.concatenate([np.asarray(t.reps) for t in tails])
    b = _pipeline.bucket(f.keys, reps - start)
    p = _sorted(_cat([Pairs(np.asarray(t.p.i), np.asarray(t.p.j), np.asarray(t.p.score)) for t in tails]))
    return Tail(start, f, rep, reps, b, ids, np.concatenate([np.asarray(t.lengths) for t in tails]),
                np.concatenate([np.asarray(t.priority) for t in tails]), p, all(t.complete for t in tails))


def every_pair(segs, config: Config) -> Pairs:
    """Every verified pair between representatives of all segments, big buckets included (``all_pairs``
    across segments, without merging them): each segment's own, and each tail's with the older ones."""
    from ._update import all_pairs

    base = segs[0]
    parts = [all_pairs(base.f, _pipeline.Groups(base.rep, base.reps), base.b, config)]
    for k, t in enumerate(segs[1:], 1):
        ci, cj = _pipeline.candidates_in(t.b, np.asarray(t.reps) - t.start)
        own = _pipeline.verify(t.f, t.f, ci, cj, config.threshold)
        parts.append(Pairs(own.i + t.start, own.j + t.start, own.score))
        cross, _ = _cross(segs[:k], t.f, t.start, np.asarray(t.reps), t.b, config, limit=np.iinfo(np.int64).max)
        parts.append(cross)
    return _sorted(_cat(parts))


def least_pairs(segs) -> int:
    """A lower bound of the pairs ``every_pair`` lists: the most of any one band of any one segment."""
    from ._update import least_pairs as least

    return max(least(s.rep, s.b) for s in segs)
