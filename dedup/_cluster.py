"""Clusters: verified edges -> connected components -> who is kept.

Union-find over an int64 parent array, iterative (no recursion, so no
``RecursionError`` on long chains), with union by size and path halving.
Components are then labelled by their smallest member, which makes the labels
independent of the order in which edges were merged.
"""

from __future__ import annotations

import numpy as np
from numba import njit


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
