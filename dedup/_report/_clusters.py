"""The clusters of the report's data: members largest first, exact scores against the kept one, verified pairs."""

from __future__ import annotations

import numpy as np

from .._indexing import _pipeline


#: Verified pairs listed per cluster (the cluster's size and member scores are always complete).
PAIRS_SHOWN = 100


def clusters(index, max_pairs) -> tuple[list[dict], np.ndarray, str | None]:
    """Clusters largest first, with exact scores against the kept member, and the pair scores.

    Returns ``(records, pair_scores, pairs_error)``: ``pair_scores`` are the
    scores of every verified pair (for the histogram), or of every member
    against its kept document when ``Index.pair_arrays`` refused to list the
    pairs (``pairs_error`` is then its message).
    """
    labels = np.asarray(index.labels(as_frame=False))
    n = labels.shape[0]
    sizes = np.bincount(labels, minlength=n)
    keep = index.keep_mask(as_frame=False)
    roots = np.flatnonzero(sizes > 1)
    roots = roots[np.lexsort((roots, -sizes[roots]))]  # largest first, then by first member
    rank = np.full(n, -1, dtype=np.int64)
    rank[roots] = np.arange(roots.shape[0])
    members = np.flatnonzero(sizes[labels] > 1)
    mrank = rank[labels[members]]
    order = np.lexsort((members, keep[members] == 0, mrank))  # per cluster: the kept one, then input order
    members, mrank = members[order], mrank[order]
    bounds = np.searchsorted(mrank, np.arange(roots.shape[0] + 1))
    kept = members[bounds[:-1]]
    against = kept[mrank]
    csr = index.shingle_arrays()
    score = _pipeline.scores(csr, csr, against, members) if members.shape[0] else np.zeros(0)
    sizes_m = np.diff(csr[0])
    score[(sizes_m[members] == 0) & (sizes_m[against] == 0)] = 1.0  # empty sets cluster only as exact copies
    score[members == against] = 1.0

    pairs_error = None
    try:
        pi, pj, ps = index.pair_arrays(max_pairs=max_pairs)
    except ValueError as e:
        pairs_error = str(e)
        pi = pj = np.zeros(0, dtype=np.int64)
        ps = np.zeros(0)
    pc = rank[labels[pi]]
    o = np.lexsort((pj, pi, -ps, pc))
    pi, pj, ps, pc = pi[o], pj[o], ps[o], pc[o]
    pstart = np.searchsorted(pc, np.arange(roots.shape[0] + 1))
    within = np.arange(pc.shape[0]) - pstart[pc] if pc.shape[0] else pc
    shown = within < PAIRS_SHOWN
    flat = np.stack([pi[shown], pj[shown]], axis=1).tolist()
    flat_s = np.round(ps[shown], 6).tolist()
    sstart = np.searchsorted(pc[shown], np.arange(roots.shape[0] + 1)).tolist()

    m_list, s_list, b = members.tolist(), np.round(score, 6).tolist(), bounds.tolist()
    npairs = np.diff(pstart).tolist()
    records = []
    for c in range(roots.shape[0]):
        lo, hi = b[c], b[c + 1]
        rec = {"m": m_list[lo:hi], "s": s_list[lo:hi]}
        if pairs_error is None:
            p = []
            for (a, bb), s in zip(flat[sstart[c]:sstart[c + 1]], flat_s[sstart[c]:sstart[c + 1]]):
                p += (a, bb, s)
            rec["p"], rec["np"] = p, npairs[c]
        else:
            rec["p"], rec["np"] = None, None
        records.append(rec)
    hist = ps if pairs_error is None else score[members != against]
    return records, hist, pairs_error

