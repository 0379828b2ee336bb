"""Per-partition stages of the Dask engine: pandas frames in, pandas frames out.

Each function here runs inside one Dask task on one partition and calls the
same steps as the local engine (``dedup._indexing._pipeline``: featurize,
candidates from runs of equal keys, verify); ``_clusters`` has those of the
components. ``_graph`` wires them together with Dask's own shuffles and joins.

Ragged shingle sets travel as one Arrow ``large_binary`` value per document
(the row's sorted uint64 hashes, 8 bytes each), so a CSR matrix converts to
and from a column without copying, and no shuffle ever sees a nested list
column (Dask's P2P shuffle fails on those).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from .._verify import _cluster
from .._indexing import _pipeline
from .._core import _pool
from .._core._arrays import equal_runs, first_of_runs, run_pairs
from .._core._threads import numba_threads

ROW_BITS = 32
#: A partition holds at most this many rows (positions pack the row in 32 bits).
MAX_ROWS = 1 << ROW_BITS
POS = np.dtype(np.int64)
BINARY = pd.ArrowDtype(pa.large_binary())


def divisions(npartitions: int) -> tuple:
    """Index divisions that put global position ``k << 32 | row`` in partition ``k``."""
    return tuple(k << ROW_BITS for k in range(npartitions)) + (((npartitions - 1) << ROW_BITS) | (MAX_ROWS - 1),)


# ------------------------------------------------------------------ CSR <-> Arrow
def csr_to_arrow(indptr: np.ndarray, values: np.ndarray) -> pd.arrays.ArrowExtensionArray:
    """CSR rows as an Arrow ``large_binary`` array, one value per row (no copy)."""
    n = indptr.shape[0] - 1
    offsets = pa.py_buffer(np.ascontiguousarray(indptr, dtype=np.int64) * 8)
    data = pa.py_buffer(np.ascontiguousarray(values, dtype=np.uint64))
    arr = pa.Array.from_buffers(pa.large_binary(), n, [None, offsets, data])
    return pd.arrays.ArrowExtensionArray(arr)


def arrow_to_csr(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The CSR ``(indptr, values)`` of a ``large_binary`` column of shingle rows."""
    arr = pa.array(column.array, type=pa.large_binary())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    n = len(arr)
    if n == 0:
        return np.zeros(1, np.int64), np.zeros(0, np.uint64)
    _, offs, data = arr.buffers()
    offsets = np.frombuffer(offs, dtype=np.int64, count=n + 1, offset=arr.offset * 8)
    start, stop = int(offsets[0]), int(offsets[-1])
    values = np.frombuffer(data, dtype=np.uint64, count=(stop - start) // 8, offset=start) if stop > start else \
        np.zeros(0, np.uint64)
    return (offsets - start) // 8, values.copy()


# ------------------------------------------------------------- stage 1: shingles
def shingle_meta(bands: int, id_dtype) -> pd.DataFrame:
    cols = {"pos": np.zeros(0, POS), "id": pd.Series([], dtype=id_dtype), "digest": np.zeros(0, np.uint64),
            "nbytes": np.zeros(0, np.int64), "nsh": np.zeros(0, np.int64), "prio": np.zeros(0, np.float64)}
    cols.update({f"k{b}": np.zeros(0, np.uint64) for b in range(bands)})
    return pd.DataFrame(cols)


def _texts(pdf: pd.DataFrame, text: str, id: str | None, k: int) -> list:
    texts = pdf[text].tolist()
    for r, t in enumerate(texts):
        if not isinstance(t, str):
            who = repr(pdf[id].iloc[r]) if id is not None else f"at row {r} of partition {k}"
            raise TypeError(f"document {who}: column {text!r} must hold str, got {type(t).__name__} {t!r}")
    return texts


def priorities(pdf: pd.DataFrame, texts: list, keep: str, k: int, rows: np.ndarray | None = None) -> np.ndarray:
    """The keep priority of rows ``rows`` (all when None) of input partition ``k``; ``texts`` are their texts."""
    n = len(texts)
    if keep == "first":
        return np.zeros(n, dtype=np.float64)
    if keep == "longest":
        return np.fromiter(map(len, texts), dtype=np.float64, count=n)
    column = pdf[keep] if rows is None else pdf[keep].take(rows)
    prio = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(prio).any():
        r = int(np.flatnonzero(np.isnan(prio))[0])
        raise ValueError(f"keep column {keep!r}: priority {column.iloc[r]!r} of row "
                         f"{r if rows is None else int(rows[r])} in partition {k} is not a number")
    return prio


def shingle_partition(pdf: pd.DataFrame, text: str, id: str | None, keep: str, config, bands: int, k: int,
                      threads: int | None = None) -> pd.DataFrame:
    """Stage 1 on partition ``k``: digests, shingle counts and band keys; the shingle sets are dropped.

    Returns one row per document with its global position ``pos``
    (``partition << 32 | row``), ``id`` (the position itself when ``id`` is
    None; ``dedup.dask`` turns it into a 0-based global position later),
    ``digest``/``nbytes`` of the normalized text, its number of shingles
    ``nsh``, the priority ``prio`` and band keys ``k0..``: about 250 bytes
    per document with 21 bands and short ids, against
    8 per shingle (3.6 kB for a 450-word text) for the shingle set, which
    verification makes again for candidate documents only (``join_rows``).
    """
    n = len(pdf)
    if n >= MAX_ROWS:
        raise ValueError(f"partition {k} has {n} rows: at most 2**32 - 1 per partition; repartition the input")
    texts = _texts(pdf, text, id, k)
    # A worker's memory limit is watched on its RSS: nothing kept past a task (``_pool``).
    with numba_threads(threads), _pool.fresh():
        indptr, values, digests, nbytes, keys = _pipeline.featurize(texts, config)
    del values
    pos = (np.int64(k) << ROW_BITS) + np.arange(n, dtype=np.int64)
    ids = pdf[id] if id is not None else None
    cols = {"pos": pos, "id": ids.to_numpy() if ids is not None else pos.copy(), "digest": digests,
            "nbytes": nbytes, "nsh": np.diff(indptr), "prio": priorities(pdf, texts, keep, k)}
    cols.update({f"k{b}": keys[b] for b in range(bands)})
    out = pd.DataFrame(cols)
    if ids is not None:
        out["id"] = out["id"].astype(ids.dtype)
    return out


ROWS_META = pd.DataFrame({"shingles": pd.Series([], dtype=BINARY), "prio": np.zeros(0, np.float64)},
                         index=pd.Index(np.zeros(0, POS), name="pos"))


def shingle_rows(pdf: pd.DataFrame, positions: np.ndarray, text: str, keep: str, config, k: int,
                 threads: int | None = None) -> pd.DataFrame:
    """The shingle rows (``large_binary``) and priorities of the documents at global ``positions``
    of input partition ``k``, indexed by position: ``_pipeline.featurize`` on their texts only."""
    positions = np.unique(np.asarray(positions, dtype=np.int64))
    rows = positions & (MAX_ROWS - 1)
    texts = pdf[text].take(rows).tolist()
    with numba_threads(threads), _pool.fresh():
        indptr, values, *_ = _pipeline.featurize(texts, config)
    return pd.DataFrame({"shingles": csr_to_arrow(indptr, values), "prio": priorities(pdf, texts, keep, k, rows)},
                        index=pd.Index(positions, name="pos"))


def join_rows(pairs: pd.DataFrame, pdf: pd.DataFrame, text: str, keep: str, config, k: int,
              threads: int | None = None) -> pd.DataFrame:
    """Pairs of partition ``k`` (indexed by the position of the side that lives there) with that
    side's ``shingles`` and ``prio`` joined on: its documents shingled again from ``pdf``."""
    rows = shingle_rows(pdf, pairs.index.to_numpy(), text, keep, config, k, threads)
    return pairs.merge(rows, left_index=True, right_index=True, how="inner")


# ------------------------------------------------------------ exact duplicates
PAIR_META = pd.DataFrame({"a": np.zeros(0, POS), "b": np.zeros(0, POS)})


def exact_candidates(pdf: pd.DataFrame) -> pd.DataFrame:
    """Rows ``(digest, nbytes, pos)`` shuffled by digest -> ``(a=representative, b=member)``.

    The representative of a group of equal digest and length is its first
    position, as in ``_exact.exact_groups``; the pairs still need the check
    that their shingle sets are equal.
    """
    if pdf.empty:
        return PAIR_META.copy()
    d = pdf["digest"].to_numpy()
    L = pdf["nbytes"].to_numpy()
    p = pdf["pos"].to_numpy()
    order = np.lexsort((p, L, d))
    d, L, p = d[order], L[order], p[order]
    new = np.ones(p.shape[0], dtype=bool)
    new[1:] = (d[1:] != d[:-1]) | (L[1:] != L[:-1])
    group = np.cumsum(new)
    first = first_of_runs(group, p)
    dup = first != p
    return pd.DataFrame({"a": first[dup], "b": p[dup]})


# -------------------------------------------------------------------- LSH bands
BAND_META = pd.DataFrame({"band": np.zeros(0, np.int16), "key": np.zeros(0, np.uint64), "pos": np.zeros(0, POS)})


def band_rows(s: pd.DataFrame, members: pd.DataFrame, bands: int) -> pd.DataFrame:
    """Explode the band keys of representatives: one row ``(band, key, pos)`` per band.

    ``s`` is a stage-1 partition indexed by ``pos``; ``members`` (same
    partition, indexed by position) lists documents whose exact-duplicate
    representative is another document: they skip LSH, as in ``_pipeline.build``.
    """
    pos = s.index.to_numpy()
    use = (s["nsh"].to_numpy() > 0) & ~np.isin(pos, members.index.to_numpy())
    m = int(use.sum())
    keys = np.stack([s[f"k{b}"].to_numpy()[use] for b in range(bands)]) if bands else np.zeros((0, m), np.uint64)
    return pd.DataFrame({"band": np.repeat(np.arange(bands, dtype=np.int16), m), "key": keys.ravel(),
                         "pos": np.tile(pos[use], bands)})


def _runs(pdf: pd.DataFrame):
    band = pdf["band"].to_numpy().astype(np.int64)
    key = pdf["key"].to_numpy()
    pos = pdf["pos"].to_numpy()
    order = np.lexsort((pos, key, band))
    band, key, pos = band[order], key[order], pos[order]
    runs = equal_runs(band, key).reshape(-1, 2)
    return band, key, pos, runs


def bucket_candidates(pdf: pd.DataFrame, big: int) -> pd.DataFrame:
    """Band rows shuffled by key -> candidate pairs ``(a, b)``, ``a < b``, of buckets of at most ``big`` members.

    Larger buckets are connected by ``big_bucket_rows`` instead, as
    ``_pipeline.link`` does locally.
    """
    if pdf.empty:
        return PAIR_META.copy()
    _, _, pos, runs = _runs(pdf)
    small = runs[runs[:, 1] - runs[:, 0] <= big].ravel()
    a, b = run_pairs(small, np.arange(pos.shape[0], dtype=np.int64), pos)
    return pd.DataFrame({"a": a, "b": b})


BIG_META = pd.DataFrame({"band": np.zeros(0, np.int64), "key": np.zeros(0, np.uint64), "pos": np.zeros(0, POS)})


def big_bucket_rows(pdf: pd.DataFrame, big: int) -> pd.DataFrame:
    """The band rows of buckets with more than ``big`` members, sorted by (band, key, pos)."""
    if pdf.empty:
        return BIG_META.copy()
    band, key, pos, runs = _runs(pdf)
    large = runs[runs[:, 1] - runs[:, 0] > big]
    take = np.concatenate([np.arange(a, b) for a, b in large.tolist()]) if large.shape[0] else np.zeros(0, np.int64)
    return pd.DataFrame({"band": band[take], "key": key[take], "pos": pos[take]})


def connect_big_buckets(rows: pd.DataFrame, shingles: pd.DataFrame, edges: pd.DataFrame, threshold: float,
                        threads: int | None = None) -> pd.DataFrame:
    """Verified edges connecting the members of big buckets, by ``_cluster.connect_runs`` (on the client).

    ``rows`` are the big buckets' band rows (``big_bucket_rows``, gathered);
    ``shingles`` (indexed by position, columns ``shingles`` and ``prio``) the
    rows of their members, each once; ``edges`` the edges known so far, which
    seed the union-find so that members already connected are not verified.
    Returns edges as ``score_pairs`` gives them.
    """
    if rows.empty:
        return EDGE_META.copy()
    nodes = shingles.index.to_numpy()
    order = np.argsort(nodes)
    nodes = nodes[order]
    indptr, values = arrow_to_csr(shingles["shingles"].iloc[order])
    prio = shingles["prio"].to_numpy()[order]
    parent = np.arange(nodes.shape[0], dtype=np.int64)
    size = np.ones(nodes.shape[0], dtype=np.int64)
    if len(edges):
        ei, ej = edges["i"].to_numpy(), edges["j"].to_numpy()
        inside = np.isin(ei, nodes) & np.isin(ej, nodes)
        _cluster.unite(parent, size, np.searchsorted(nodes, ei[inside]), np.searchsorted(nodes, ej[inside]))
    band = rows["band"].to_numpy().astype(np.int64)
    key = rows["key"].to_numpy()
    members = np.searchsorted(nodes, rows["pos"].to_numpy())
    runs = equal_runs(band, key)
    n = nodes.shape[0]
    i, j, sc = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.float64)
    with numba_threads(threads):
        k = _cluster.connect_runs(runs, np.arange(members.shape[0], dtype=np.int64), members, members,
                                  np.zeros(n, np.bool_), indptr, values, threshold, parent, size, i, j, sc, 0)
    i, j = i[:k], j[:k]
    return pd.DataFrame({"i": nodes[i], "j": nodes[j], "score": sc[:k], "prio_i": prio[i], "prio_j": prio[j]},
                        index=pd.Index(nodes[j], name="pos"))


def unique_pairs(pdf: pd.DataFrame) -> pd.DataFrame:
    """Pairs indexed by ``a`` (all copies of a pair in this partition) without repeats."""
    if pdf.empty:
        return pdf
    a = pdf.index.to_numpy()
    b = pdf["b"].to_numpy()
    keep = np.ones(a.shape[0], dtype=bool)
    order = np.lexsort((b, a))
    sa, sb = a[order], b[order]
    keep[order[1:]] = (sa[1:] != sa[:-1]) | (sb[1:] != sb[:-1])
    return pdf[keep]


# ----------------------------------------------------------------- verification
EDGE_META = pd.DataFrame({"i": np.zeros(0, POS), "j": np.zeros(0, POS), "score": np.zeros(0, np.float64),
                          "prio_i": np.zeros(0, np.float64), "prio_j": np.zeros(0, np.float64)},
                         index=pd.Index(np.zeros(0, POS), name="pos"))


def score_pairs(pdf: pd.DataFrame, threshold: float, threads: int | None = None,
                exact: bool = False) -> pd.DataFrame:
    """Pairs with both shingle rows attached -> verified edges ``(i < j, score, prio_i, prio_j)``.

    ``pdf`` is indexed by ``b`` with columns ``a``, ``sh_a``, ``prio_a``,
    ``shingles`` (of ``b``) and ``prio``. Scores come from
    ``_pipeline.verify``, as in the local engine. With ``exact`` the pairs
    are exact-duplicate candidates (equal digest and length), and two texts
    without shingles are equal (as in ``_exact.exact_groups``). The result
    stays indexed by ``b``, so it keeps the partitioning by ``b``.
    """
    if pdf.empty:
        return EDGE_META.copy()
    ia, va = arrow_to_csr(pdf["sh_a"])
    ib, vb = arrow_to_csr(pdf["shingles"])
    rows = np.arange(len(pdf), dtype=np.int64)
    with numba_threads(threads):
        kept, _, score = _pipeline.verify((ia, va), (ib, vb), rows, rows, threshold)
    if exact:
        lone = np.flatnonzero((np.diff(ia) == 0) & (np.diff(ib) == 0))
        kept = np.concatenate([kept, lone])
        score = np.concatenate([score, np.ones(lone.shape[0])])
        o = np.argsort(kept, kind="stable")
        kept, score = kept[o], score[o]
    a = pdf["a"].to_numpy()[kept]
    b = pdf.index.to_numpy()[kept]
    pa_, pb = pdf["prio_a"].to_numpy()[kept], pdf["prio"].to_numpy()[kept]
    swap = a > b
    return pd.DataFrame({"i": np.where(swap, b, a), "j": np.where(swap, a, b), "score": score,
                         "prio_i": np.where(swap, pb, pa_), "prio_j": np.where(swap, pa_, pb)},
                        index=pd.Index(b, name="pos"))
