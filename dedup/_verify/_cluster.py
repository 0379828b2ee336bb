"""Clusters: verified edges -> connected components -> who is kept.

Union-find over an int64 parent array, iterative (no recursion, so no
``RecursionError`` on long chains), with union by size and path halving.
Components are then labelled by their smallest member, which makes the labels
independent of the order in which edges were merged.

``connect_runs`` builds components straight from large LSH buckets without
verifying every pair in them: a site of 100k templated pages puts them all in
one bucket, whose 5 billion pairs no machine verifies (see its docstring).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._jaccard import pair_score


@njit(cache=True, inline="always")
def _find(parent, x):
    while parent[x] != x:
        parent[x] = parent[parent[x]]  # path halving
        x = parent[x]
    return x


@njit(cache=True)
def components(n, i, j):
    """Label every node 0..n-1 by the smallest node of its component.

    Parameters
    ----------
    n : int, number of nodes.
    i, j : int64 arrays of edges.

    Returns
    -------
    int64 array, shape (n,); ``labels[x] == x`` for a node alone or the
    smallest of its component.
    """
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    for e in range(i.shape[0]):
        a = _find(parent, i[e])
        b = _find(parent, j[e])
        if a == b:
            continue
        if size[a] < size[b]:
            a, b = b, a
        parent[b] = a
        size[a] += size[b]
    smallest = np.full(n, n, dtype=np.int64)
    for x in range(n):
        r = _find(parent, x)
        if x < smallest[r]:
            smallest[r] = x
    labels = np.empty(n, dtype=np.int64)
    for x in range(n):
        labels[x] = smallest[_find(parent, x)]
    return labels


@njit(cache=True)
def keepers(labels, priority):
    """The kept node of each component: highest ``priority``, ties to the smallest node.

    Returns an int64 array ``keep`` with ``keep[label]`` the kept node of the
    component labelled ``label`` (entries of non-label nodes are -1).
    """
    n = labels.shape[0]
    keep = np.full(n, -1, dtype=np.int64)
    for x in range(n):  # ascending x: ties resolve to the first node
        root = labels[x]
        k = keep[root]
        if k < 0 or priority[x] > priority[k]:
            keep[root] = x
    return keep


@njit(cache=True)
def union(parent, size, a, b):
    """Merge the components of ``a`` and ``b``; False if they were one already."""
    a = _find(parent, a)
    b = _find(parent, b)
    if a == b:
        return False
    if size[a] < size[b]:
        a, b = b, a
    parent[b] = a
    size[a] += size[b]
    return True


@njit(cache=True)
def connect_runs(runs, cols, members, rows, settled, indptr, values, threshold, parent, size, out_i, out_j, out_s, o):
    """Union the members of each bucket (run) with the verified pairs that connect them, skipping the rest.

    Within a run, members are taken in order and kept in per-component lists.
    A member is checked against each component of the run it is not already
    connected to (through any path so far, ``parent``), member by member
    until one pair verifies (exact Jaccard >= ``threshold``); then it joins
    that component, and components it links are merged. So every pair of the
    run that verifies ends up connected, exactly as if all pairs were
    verified, but a bucket of m near-identical documents costs about m
    verifications instead of m(m-1)/2. Buckets of documents that pair with
    few others (many components) still cost up to all their pairs.

    Parameters
    ----------
    runs : int64 (2r,): run ``k`` is ``cols[runs[2k]:runs[2k+1]]``.
    cols, members : as for ``_arrays.run_pairs``; members are documents (union-find nodes).
    rows : int64, the CSR row of each column (``members`` itself, unless the
        rows were read into a smaller CSR).
    settled : bool, per CSR row: rows whose pairs were all dealt with before
        (an index's old documents when new ones are added) join the
        components they are connected to, without verifying anything; they
        must come before the others in each run.
    indptr, values : the shingle CSR.
    parent, size : union-find state over all rows, updated in place.
    out_i, out_j, out_s : receive the verified edges that joined two components
        (``i < j``), from ``o`` on; at most one per union.

    Returns
    -------
    int, the new end of the edges in ``out_*``.
    """
    longest = 0
    for k in range(runs.shape[0] // 2):
        longest = max(longest, runs[2 * k + 1] - runs[2 * k])
    nxt = np.empty(longest, dtype=np.int64)  # next member of the same component, -1 at the end
    tail = np.empty(longest, dtype=np.int64)  # last member of the component headed here
    heads = np.empty(longest, dtype=np.int64)
    alive = np.empty(longest, dtype=np.bool_)
    for k in range(runs.shape[0] // 2):
        lo = runs[2 * k]
        m = runs[2 * k + 1] - lo
        nh = 0
        for p in range(m):
            x = members[cols[lo + p]]
            home = -1
            for h in range(nh):
                if not alive[h]:
                    continue
                hp = heads[h]
                linked = _find(parent, members[cols[lo + hp]]) == _find(parent, x)
                if not linked and not settled[x]:
                    y = hp
                    while y >= 0:
                        other = members[cols[lo + y]]
                        s = pair_score(indptr, values, rows[cols[lo + p]], rows[cols[lo + y]], threshold)
                        if s >= threshold:
                            union(parent, size, x, other)
                            out_i[o] = min(x, other)
                            out_j[o] = max(x, other)
                            out_s[o] = s
                            o += 1
                            linked = True
                            break
                        y = nxt[y]
                if linked:
                    if home < 0:
                        home = h
                    else:  # x links this component to its home: one list
                        nxt[tail[heads[home]]] = hp
                        tail[heads[home]] = tail[hp]
                        alive[h] = False
            nxt[p] = -1
            if home < 0:
                heads[nh] = p
                tail[p] = p
                alive[nh] = True
                nh += 1
            else:
                hp = heads[home]
                nxt[tail[hp]] = p
                tail[hp] = p
    return o


@njit(cache=True)
def unite(parent, size, i, j):
    """``union`` of every edge ``(i[e], j[e])``."""
    for e in range(i.shape[0]):
        union(parent, size, i[e], j[e])


@njit(cache=True)
def admit(seen, rep, slot, reps, run_of, indptr, values, threshold, best, best_s):
    """Documents let through when judged one at a time, in order, by their buckets.

    A document is let through unless it matched something already indexed
    (``seen``), is identical to an earlier document of the batch
    (``rep[k] != k``), or verifies against an earlier document that was let
    through and shares one of its buckets. Each bucket keeps a list of the
    documents let through into it, so a batch of m near-identical documents
    costs about m verifications, not m(m-1)/2.

    Parameters
    ----------
    seen : bool (n,); rep : int64 (n,), exact groups (-1 blank).
    slot : int64 (n,), the column of each representative in ``run_of`` (-1: none).
    reps : int64 (m,), the document of each column.
    run_of : int64 (bands, m), the bucket of each column in each band, numbered 0.. across bands.
    best, best_s : int64 / float64 (n,), receive the earlier let-through
        document a held one verified against with the highest score (ties:
        the first), or -1.

    Returns
    -------
    bool (n,), True for the documents let through.
    """
    n = rep.shape[0]
    bands, m = run_of.shape
    runs = 0
    for b in range(bands):
        for c in range(m):
            runs = max(runs, run_of[b, c] + 1)
    head = np.full(runs, -1, dtype=np.int64)
    nxt = np.empty((bands, max(m, 1)), dtype=np.int64)
    mark = np.zeros(n, dtype=np.int64)
    new = np.zeros(n, dtype=np.bool_)
    for k in range(n):
        best[k] = -1
        best_s[k] = -1.0
        r = rep[k]
        if r >= 0 and r != k:  # identical to an earlier document: held, matching it or what it matched
            if new[r]:
                best[k] = r
                best_s[k] = 1.0
            else:
                best[k] = best[r]
                best_s[k] = best_s[r]
            continue
        c = slot[k]
        if c >= 0:
            for b in range(bands):
                y = head[run_of[b, c]]
                while y >= 0:
                    d = reps[y]
                    if mark[d] != k + 1:
                        mark[d] = k + 1
                        s = pair_score(indptr, values, k, d, threshold)
                        if s >= threshold and (s > best_s[k] or (s == best_s[k] and d < best[k])):
                            best[k] = d
                            best_s[k] = s
                    y = nxt[b, y]
        if seen[k] or best[k] >= 0:
            continue
        new[k] = True
        if c >= 0:
            for b in range(bands):
                run = run_of[b, c]
                nxt[b, c] = head[run]
                head[run] = c
    return new
