"""An index after it is built: every pair on demand, documents added, queries, batches screened.

The same steps as ``_pipeline.build`` (candidates from buckets, exact
verification, connection of big buckets), applied to what changed.
"""

from __future__ import annotations

import numpy as np

from .._core import _arrays
from .._verify import _cluster, _exact
from .._sketch import _lsh
from . import _pipeline
from .._core._config import Config
from ._pipeline import (
    Buckets,
    Features,
    Groups,
    Pairs,
    candidates_in,
    exact,
    lookup,
    representatives,
    rows_of_runs,
    union_find,
    verify,
    with_edges,
)


def all_pairs(f: Features, g: Groups, b: Buckets, config: Config) -> Pairs:
    """Every verified pair between representatives, big buckets included (what ``build`` gives without them)."""
    ci, cj = candidates_in(b, g.reps)
    return verify(f, f, ci, cj, config.threshold)


def least_pairs(rep: np.ndarray, b: Buckets) -> int:
    """A lower bound of the candidate pairs of ``all_pairs`` (the most of any one band), for refusing early."""
    runs, _ = _lsh.bucket_runs(b.order, b.sorted_keys)
    m = (runs[1::2] - runs[0::2]).astype(np.int64)
    band = runs[0::2] // max(1, b.sorted_keys.shape[1])
    per_band = np.bincount(band, weights=m * (m - 1) // 2, minlength=b.sorted_keys.shape[0])
    return int(per_band.max(initial=0))


def extend(f: Features, n_old: int, g: Groups, b: Buckets, p: Pairs, config: Config) -> tuple[Groups, Buckets, Pairs]:
    """``build`` of ``f`` whose documents ``:n_old`` were built into ``g, b, p``; only new pairs are verified.

    Buckets are merged with the new documents' keys; in each bucket that got
    a new document, every pair with a new document is verified, except in
    buckets of more than ``BIG_BUCKET`` members, where new documents are
    connected (``_cluster.connect_runs``, old documents settled).
    """
    rep = exact(f.indptr, f.values, f.digests, f.nbytes).rep
    # Old representatives stay representatives (they come first); their
    # pairs among themselves were verified already.
    new_reps = representatives(rep, f.indptr, n_old)
    reps = np.concatenate([g.reps, new_reps])
    nb = Buckets(*_lsh.merge_bands(b.order, b.sorted_keys, f.keys[:, new_reps]))
    runs, cols = _lsh.bucket_runs(nb.order, nb.sorted_keys)
    runs = runs.reshape(-1, 2)
    # Runs with a new column: a stable merge puts a run's old columns first.
    touched = runs[(cols[runs[:, 1] - 1] >= g.reps.shape[0])]
    large = touched[:, 1] - touched[:, 0] > _pipeline.BIG_BUCKET
    ci, cj = _arrays.run_pairs(touched[~large].ravel(), cols, reps)
    fresh = cj >= n_old  # pairs with a new document (i < j, and new documents come last)
    ci, cj = _arrays.unique_pairs(ci[fresh], cj[fresh])
    new = verify(f, f, ci, cj, config.threshold)
    p = with_edges(p, new.i, new.j, new.score)
    if large.any():
        n = rep.shape[0]
        parent, size = union_find(n, rep, p)
        settled = np.arange(n) < n_old
        i, j, sc = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.float64)
        big = touched[large].ravel()
        ptr, vals, where = rows_of_runs(f, big, cols, reps)
        k = _cluster.connect_runs(big, cols, reps, where, settled, ptr, vals, config.threshold, parent, size,
                                  i, j, sc, 0)
        p = with_edges(p, i[:k], j[:k], sc[:k])
    return Groups(rep, reps), nb, p


def match(segs, q: Features, threshold: float, groups) -> Pairs:
    """Verified matches of query documents ``q`` against an indexed corpus, segment by segment.

    ``segs`` are the index's segments (``_segments.Segment``: the documents
    ``start:``, their Features, global representatives and buckets).
    Returns ``Pairs(query row, indexed position, score)`` expanded to every
    member of each matched exact-duplicate group (``groups`` is
    ``_exact.sparse_groups`` of every document's representative); a query
    without shingles matches the indexed texts identical to it, at 1.0.
    """
    lone = np.flatnonzero((np.diff(q.indptr) == 0) & (q.nbytes > 0))
    parts = []
    for s in segs:
        qptr, cols = lookup(s.b, q.keys)
        qi = np.repeat(np.arange(qptr.shape[0] - 1), np.diff(qptr))
        qi, docs, score = verify(q, s.f, qi, np.asarray(s.reps[cols]) - s.start, threshold)
        parts.append((qi, docs + s.start, score))
        if lone.shape[0]:  # texts without shingles: identical ones, by digest and length
            li, ld = _letterless_matches(s, q, lone)
            parts.append((li, ld, np.ones(li.shape[0])))
    qi, docs, score = (np.concatenate([p[k] for p in parts]) for k in range(3))
    counts, pos = _exact.members_of(*groups, docs)
    return Pairs(np.repeat(qi, counts), pos, np.repeat(score, counts))


def _letterless_matches(s, q: Features, lone: np.ndarray):
    """(query row, representative) of query texts without shingles equal (digest, length) to one of segment ``s``."""
    f = s.f
    own = np.asarray(s.rep) == np.arange(s.start, s.start + f.digests.shape[0])
    cand = np.flatnonzero(own & (np.diff(f.indptr) == 0))
    if cand.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((f.nbytes[cand], f.digests[cand]))
    d, L, cand = f.digests[cand][order], f.nbytes[cand][order], cand[order]
    at = np.searchsorted(d, q.digests[lone])
    at = np.minimum(at, d.shape[0] - 1)
    ok = (d[at] == q.digests[lone]) & (L[at] == q.nbytes[lone])
    return lone[ok], cand[at[ok]] + s.start


def screen(q: Features, seen: np.ndarray, threshold: float):
    """Which documents of a batch to let through, judged one at a time in order (``_cluster.admit``).

    Returns ``(new, best, best_score)``: ``new`` marks the documents let
    through; a held document's ``best`` is the earlier let-through document
    of the batch it verified against best (-1: none, it matched the index).
    """
    g = exact(q.indptr, q.values, q.digests, q.nbytes)
    m = g.reps.shape[0]
    keys = q.keys[:, g.reps]
    run_of = np.empty(keys.shape, dtype=np.int64)
    base = 0
    for b in range(keys.shape[0]):  # number each band's buckets, continuing across bands
        order = np.argsort(keys[b], kind="stable")
        k = keys[b][order]
        ids = np.cumsum(np.concatenate([[0], k[1:] != k[:-1]])) if m else np.zeros(0, np.int64)
        run_of[b, order] = ids + base
        base += int(ids[-1]) + 1 if m else 0
    slot = np.full(g.rep.shape[0], -1, dtype=np.int64)
    slot[g.reps] = np.arange(m)
    best = np.empty(g.rep.shape[0], dtype=np.int64)
    best_s = np.empty(g.rep.shape[0], dtype=np.float64)
    new = _cluster.admit(seen, g.rep, slot, g.reps, run_of, q.indptr, q.values, threshold, best, best_s)
    return new, best, best_s


def held(ids, indexed_ids, new, indexed, best, best_s, renamed):
    """``(id, matched id, jaccard, indexed)`` of each document ``Index.filter_new`` held back (``~new``)."""
    qi, qpos, qsc = indexed
    order = np.lexsort((qpos, -qsc, qi))  # per query: best score, then the first indexed document
    qi, qpos, qsc = qi[order], qpos[order], qsc[order]
    first = np.flatnonzero(np.r_[True, qi[1:] != qi[:-1]]) if qi.shape[0] else qi
    top = dict(zip(qi[first].tolist(), zip(qpos[first].tolist(), qsc[first].tolist())))
    out = []
    for k in np.flatnonzero(~new).tolist():
        b, bs = int(best[k]), float(best_s[k])
        if k in top and (b < 0 or top[k][1] >= bs):
            out.append((ids[k], indexed_ids[top[k][0]], top[k][1], True))
        else:
            out.append((ids[k], renamed[b] if renamed else ids[b], bs, False))
    return out
