"""Per-partition stages of the Dask engine's clusters: verified edges in, every document's cluster out.

The same steps as the local engine's (``_cluster`` union-find and keepers,
``dedup._indexing._pipeline.expand``) on gathered edges, and the
large-star/small-star steps of connected components when the edges stay on
the cluster. ``_graph`` wires them together.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._verify import _cluster
from .._indexing import _pipeline
from .._core._arrays import first_of_runs
from ._stages import POS

ASSIGN_META = pd.DataFrame({"pos": np.zeros(0, POS), "label": np.zeros(0, POS), "keep": np.zeros(0, bool)})


def local_components(edges: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Gathered edges -> every clustered document's ``(pos, label, keep)``, by the local union-find.

    Nodes are renumbered densely in position order, so ``_cluster.components``
    labels each component by its first document and ``_cluster.keepers``
    breaks priority ties towards it: both exactly as in ``Index``.
    """
    i = edges["i"].to_numpy()
    j = edges["j"].to_numpy()
    nodes, inv = np.unique(np.concatenate([i, j]), return_inverse=True)
    di, dj = inv[: i.shape[0]], inv[i.shape[0]:]
    labels = _cluster.components(nodes.shape[0], di, dj)
    prio = np.zeros(nodes.shape[0], dtype=np.float64)
    prio[di] = edges["prio_i"].to_numpy()
    prio[dj] = edges["prio_j"].to_numpy()
    kept = _cluster.keepers(labels, prio)
    keep = kept[labels] == np.arange(nodes.shape[0])
    dense = dict(nodes=nodes, di=di, dj=dj)
    return pd.DataFrame({"pos": nodes, "label": nodes[labels], "keep": keep}), dense


def expand_edges(edges: pd.DataFrame, exact: np.ndarray, dense: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every verified document pair: representatives' pairs times their groups' members.

    ``exact`` marks the edges that tie a member to its exact-duplicate
    representative. Returns global positions ``i < j`` and scores, sorted by
    ``(i, j)``, as ``Index.pair_arrays`` gives them.
    """
    nodes, di, dj = dense["nodes"], dense["di"], dense["dj"]
    rep = np.arange(nodes.shape[0], dtype=np.int64)
    rep[dj[exact]] = di[exact]
    s = edges["score"].to_numpy()
    i, j, sc = _pipeline.expand(rep, _pipeline.Pairs(di[~exact], dj[~exact], s[~exact]))
    return nodes[i], nodes[j], sc


def _canonical(hi: np.ndarray, lo: np.ndarray) -> pd.DataFrame:
    keep = hi != lo
    hi, lo = hi[keep], lo[keep]
    packed = np.unique(np.stack([hi, lo], axis=1), axis=0) if hi.shape[0] else np.zeros((0, 2), np.int64)
    return pd.DataFrame({"hi": packed[:, 0].astype(np.int64), "lo": packed[:, 1].astype(np.int64)})


STAR_META = pd.DataFrame({"hi": np.zeros(0, POS), "lo": np.zeros(0, POS)})


def _group_min(group: np.ndarray, other: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by (group, other); per row its group's smallest ``other``."""
    order = np.lexsort((other, group))
    g, o = group[order], other[order]
    return g, o, first_of_runs(g, o)


def large_star(pdf: pd.DataFrame) -> pd.DataFrame:
    """Large-star step on edges ``(src, dst)`` (both directions) shuffled by ``src``.

    For node u with smallest neighbour-or-self m: link every neighbour v > u to m
    (Kiveris et al., "Connected Components in MapReduce and Beyond", SoCC 2014).
    """
    if pdf.empty:
        return STAR_META.copy()
    u, v, m = _group_min(pdf["src"].to_numpy(), pdf["dst"].to_numpy())
    m = np.minimum(m, u)
    big = v > u
    return _canonical(v[big], m[big])


def small_star(pdf: pd.DataFrame) -> pd.DataFrame:
    """Small-star step on canonical edges ``(hi, lo)`` shuffled by ``hi``.

    For node u with smaller neighbours N and m = min N: link u and every
    member of N to m.
    """
    if pdf.empty:
        return STAR_META.copy()
    u, v, m = _group_min(pdf["hi"].to_numpy(), pdf["lo"].to_numpy())
    return _canonical(np.concatenate([u, v]), np.concatenate([m, m]))


def both_directions(pdf: pd.DataFrame) -> pd.DataFrame:
    hi, lo = pdf["hi"].to_numpy(), pdf["lo"].to_numpy()
    return pd.DataFrame({"src": np.concatenate([hi, lo]), "dst": np.concatenate([lo, hi])})


def edge_checksum(pdf: pd.DataFrame) -> pd.DataFrame:
    """Count and order-free checksum of a partition's canonical edges (to detect a fixed point)."""
    h = (pdf["hi"].to_numpy().astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ \
        (pdf["lo"].to_numpy().astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
    h ^= h >> np.uint64(29)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    return pd.DataFrame({"n": [len(pdf)], "sum": [int(np.sum(h, dtype=np.uint64)) & ((1 << 63) - 1)]})


def star_assign(pdf: pd.DataFrame) -> pd.DataFrame:
    """Converged star edges ``(hi -> lo = smallest of the component)`` -> ``(pos, label)`` of every node."""
    hi, lo = pdf["hi"].to_numpy(), pdf["lo"].to_numpy()
    roots = np.unique(lo)
    return pd.DataFrame({"pos": np.concatenate([hi, roots]), "label": np.concatenate([lo, roots])})


def keep_in_groups(pdf: pd.DataFrame) -> pd.DataFrame:
    """Rows ``(pos, label, prio)`` shuffled by label -> ``(pos, label, keep)``: highest
    priority kept, ties to the first position (``_cluster.keepers``)."""
    if pdf.empty:
        return ASSIGN_META.copy()
    pos, label, prio = pdf["pos"].to_numpy(), pdf["label"].to_numpy(), pdf["prio"].to_numpy()
    order = np.lexsort((pos, -prio, label))
    lab = label[order]
    first = np.ones(lab.shape[0], dtype=bool)
    first[1:] = lab[1:] != lab[:-1]
    keep = np.empty(lab.shape[0], dtype=bool)
    keep[order] = first
    return pd.DataFrame({"pos": pos, "label": label, "keep": keep})


# ---------------------------------------------------------------------- output
def label_partition(ids: pd.DataFrame, assign: pd.DataFrame, offset=None) -> pd.DataFrame:
    """Stage-1 ids (indexed by pos) + clustered documents' ``cluster``/``keep`` -> one row per document."""
    out = ids[["id"]].join(assign[["cluster", "keep"]], how="left")
    lone = out["cluster"].isna().to_numpy()
    cluster = out["cluster"].where(~lone, out["id"]) if lone.any() else out["cluster"]
    keep = out["keep"].where(~lone, True) if lone.any() else out["keep"]
    dtype = ids["id"].dtype
    return pd.DataFrame({"id": out["id"].to_numpy(), "cluster": cluster.astype(dtype).to_numpy(),
                         "keep": keep.astype(bool).to_numpy()}).astype({"id": dtype, "cluster": dtype})
