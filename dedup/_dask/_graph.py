"""The Dask engine's stages: one function per stage, as ``dedup._indexing._pipeline`` has one per step.

``dedup.dask`` composes them in order (its docstring tells what each stage
does and why): ``featurize``, ``exact``, ``lsh``, ``verify`` and
``connect_big_buckets``, ``components_on_client`` or
``components_on_cluster``, ``labels``. Each builds Dask collections over the
per-partition functions of ``_stages`` and ``_clusters`` and persists what
the later stages read again.
"""

from __future__ import annotations

from typing import NamedTuple

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from . import _clusters as cl
from . import _stages as st
from .._core._config import Config

__all__ = ["Job", "components_on_client", "components_on_cluster", "connect_big_buckets", "exact", "featurize",
           "job", "labels", "lsh", "verify"]


class Job(NamedTuple):
    """What every stage of one run reads: the input's partitions and the options.

    parts : list of Delayed, the input's partitions, read again by verification.
    divs : tuple, index divisions that put position ``k << 32 | row`` in partition ``k``.
    """

    parts: list
    divs: tuple
    text: str
    id: str | None
    id_dtype: np.dtype
    keep: str
    config: Config
    bands: int
    shuffle_method: str
    threads: int | None


def job(ddf, *, text: str, id: str | None, keep: str, config: Config, bands: int, shuffle_method: str,
        threads: int | None) -> Job:
    """The ``Job`` of ``ddf``: its partitions are those ``ddf.to_delayed()`` gives, numbered explicitly (the
    count ``ddf.npartitions`` reports is not always the one that runs: Dask may fuse the partitions of a
    projected ``read_parquet`` when it lowers a graph)."""
    parts = ddf.to_delayed()
    id_dtype = ddf[id].dtype if id is not None else np.dtype(np.int64)
    return Job(parts, st.divisions(len(parts)), text, id, id_dtype, keep, config, bands, shuffle_method, threads)


def _persist(x):
    """Persist ``x`` and wait for it, so that stage times are the stages' own."""
    (x,) = dask.persist(x)
    try:
        from distributed import default_client, wait
    except ImportError:  # pragma: no cover - local schedulers persist synchronously
        return x
    try:
        default_client()
    except ValueError:  # no distributed client: persist was synchronous
        return x
    wait(x)
    return x


def _chunks(n: int, size: int, most: int) -> int:
    return max(1, min(most, n // size + 1))


# ------------------------------------------------------------------ 1. featurize
def featurize(job: Job) -> tuple[dd.DataFrame, np.ndarray]:
    """Digests, shingle counts, priorities and band keys of every document, indexed by position and kept on
    the workers, and the number of documents of each partition. The shingle sets are not kept: verification
    makes those of candidate documents again (``verify``)."""
    task = dask.delayed(st.shingle_partition, pure=True)
    S = dd.from_delayed([task(p, job.text, job.id, job.keep, job.config, job.bands, k, job.threads)
                         for k, p in enumerate(job.parts)],
                        meta=st.shingle_meta(job.bands, job.id_dtype), verify_meta=False)
    S = _persist(S.set_index("pos", sorted=True, divisions=job.divs))
    sizes = S.map_partitions(len).compute().to_numpy()
    if job.id is None:  # documents numbered 0, 1, ... in input order
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
        S = S.map_partitions(_number_ids, offsets, meta=S._meta, align_dataframes=False)
    return S, sizes


def _number_ids(s, offsets, partition_info=None):
    k = partition_info["number"] if partition_info is not None else 0
    s = s.copy()
    s["id"] = offsets[k] + (s.index.to_numpy() & (st.MAX_ROWS - 1))
    return s


# ---------------------------------------------------------------------- 2. exact
def exact(job: Job, S: dd.DataFrame) -> dd.DataFrame:
    """Verified edges from each exact duplicate to its representative, indexed by the member (persisted):
    rows shuffled by digest, each member's shingle set checked equal to its representative's."""
    X = S[(S["nsh"] > 0) | (S["nbytes"] > 0)][["digest", "nbytes"]].reset_index()  # blank texts: never
    ex = X.shuffle("digest", shuffle_method=job.shuffle_method).map_partitions(st.exact_candidates,
                                                                              meta=st.PAIR_META)
    return verify(job, ex, 1.0, exact=True)


# ------------------------------------------------------------------------ 3. lsh
def lsh(job: Job, S: dd.DataFrame, exact: dd.DataFrame, big: int) -> tuple[dd.DataFrame, pd.DataFrame]:
    """Candidate pairs (persisted) of buckets of at most ``big`` members, and the band rows of bigger
    buckets (gathered): representatives' band keys exploded and shuffled by key."""
    members = exact[["j"]]  # verified at the member's partition, so indexed by member
    keys = S[[f"k{b}" for b in range(job.bands)] + ["nsh"]]
    B = keys.map_partitions(st.band_rows, members, job.bands, meta=st.BAND_META, align_dataframes=False)
    B = _persist(B.shuffle("key", shuffle_method=job.shuffle_method))
    cand = _persist(B.map_partitions(st.bucket_candidates, big, meta=st.PAIR_META))
    big_rows = B.map_partitions(st.big_bucket_rows, big, meta=st.BIG_META).compute()
    return cand, big_rows


# --------------------------------------------------------------------- 4. verify
def _join_rows(job: Job, pairs: dd.DataFrame) -> dd.DataFrame:
    """Pairs indexed by the position of one side (partitioned by ``job.divs``) with that side's shingle
    row and priority joined on (``shingles``, ``prio``), shingled again from its input partition."""
    chunks = pairs.to_delayed()
    if len(chunks) != len(job.parts):  # pragma: no cover - Dask partitioned the pairs differently
        raise RuntimeError(f"{len(chunks)} partitions of pairs for {len(job.parts)} input partitions")
    task = dask.delayed(st.join_rows, pure=True)
    meta = pairs._meta.merge(st.ROWS_META, left_index=True, right_index=True, how="inner")
    return dd.from_delayed([task(c, p, job.text, job.keep, job.config, k, job.threads)
                            for k, (c, p) in enumerate(zip(chunks, job.parts))],
                           meta=meta, divisions=job.divs, verify_meta=False)


def verify(job: Job, pairs: dd.DataFrame, threshold: float, exact: bool = False) -> dd.DataFrame:
    """Candidate pairs ``(a, b)`` -> verified edges (persisted): each side's shingle row made again from
    its text where it lives (``_stages.join_rows``), one side at a time, then exact Jaccard.

    The pairs with ``a``'s row are persisted before ``b``'s side starts, so
    that each input partition is read once per side and is not held while
    the pairs shuffle."""
    left = pairs.set_index("a", divisions=job.divs, shuffle_method=job.shuffle_method)
    left = left.map_partitions(st.unique_pairs, meta=left._meta)
    m1 = _join_rows(job, left)
    m1 = m1.rename(columns={"shingles": "sh_a", "prio": "prio_a"})
    m1.index = m1.index.rename("a")
    m1 = _persist(m1.reset_index())
    m2 = m1.set_index("b", divisions=job.divs, shuffle_method=job.shuffle_method)
    m2 = _join_rows(job, m2)
    return _persist(m2.map_partitions(st.score_pairs, threshold, job.threads, exact, meta=st.EDGE_META))


def connect_big_buckets(job: Job, near: dd.DataFrame, exact: dd.DataFrame, big_rows: pd.DataFrame) -> dd.DataFrame:
    """``near`` and the edges that connect the members of the big buckets of ``big_rows``: their shingle
    rows, each once, gathered to the client and connected there (``_stages.connect_big_buckets``)."""
    if not len(big_rows):
        return near
    wanted = np.unique(big_rows["pos"].to_numpy())
    part_of = wanted >> st.ROW_BITS
    task = dask.delayed(st.shingle_rows, pure=True)
    rows = pd.concat(dask.compute(*[task(job.parts[k], wanted[part_of == k], job.text, job.keep, job.config, k,
                                         job.threads) for k in np.unique(part_of).tolist()]))
    known = pd.concat(dask.compute(exact, near), ignore_index=True)
    linked = st.connect_big_buckets(big_rows, rows, known, job.config.threshold, job.threads)
    return dd.concat([near.clear_divisions(), dd.from_pandas(linked, npartitions=1, sort=False)])


# ----------------------------------------------------------------- 5. components
def components_on_client(job: Job, S: dd.DataFrame, exact: dd.DataFrame, near: dd.DataFrame, n_exact: int,
                         want_pairs: bool) -> tuple[dd.DataFrame, dd.DataFrame | None]:
    """``(pos, cluster, keep)`` of every clustered document, by the local union-find on the edges gathered to
    the client, and with ``want_pairs`` every verified pair ``(id_a, id_b, score)`` (else None)."""
    P = len(job.parts)
    edges_pd = pd.concat(dask.compute(exact, near), ignore_index=True)
    is_exact = np.zeros(len(edges_pd), dtype=bool)
    is_exact[:n_exact] = True
    assign_pd, dense = cl.local_components(edges_pd)
    nodes = dense["nodes"]
    node_ids = _ids_at(job, S[["id"]], nodes)
    assign_pd["cluster"] = node_ids[np.searchsorted(nodes, assign_pd["label"].to_numpy())]
    A = dd.from_pandas(assign_pd[["pos", "cluster", "keep"]].astype({"cluster": job.id_dtype}),
                       npartitions=_chunks(len(assign_pd), 1_000_000, P), sort=False)
    if not want_pairs:
        return A, None
    pi, pj, score = cl.expand_edges(edges_pd, is_exact, dense)
    frame = pd.DataFrame({"id_a": node_ids[np.searchsorted(nodes, pi)],
                          "id_b": node_ids[np.searchsorted(nodes, pj)], "score": score})
    pairs = dd.from_pandas(frame.astype({"id_a": job.id_dtype, "id_b": job.id_dtype}),
                           npartitions=_chunks(len(frame), 1_000_000, P), sort=False)
    return A, pairs


def _ids_at(job: Job, ids: dd.DataFrame, positions: np.ndarray) -> np.ndarray:
    """The ids of the documents at sorted global ``positions`` (gathered to the client)."""
    want = dd.from_pandas(pd.DataFrame({"pos": positions}), npartitions=_chunks(positions.shape[0], 1_000_000,
                                                                                 len(job.divs) - 1), sort=False)
    want = want.set_index("pos", divisions=job.divs, shuffle_method=job.shuffle_method)
    found = want.merge(ids, left_index=True, right_index=True).compute()
    return found["id"].reindex(positions).to_numpy()


def components_on_cluster(job: Job, S: dd.DataFrame, exact: dd.DataFrame, near: dd.DataFrame,
                          max_rounds: int = 200) -> tuple[dd.DataFrame, int]:
    """``(pos, label, keep, cluster)`` of every clustered document by distributed connected components,
    and the number of large-star/small-star rounds they took."""
    method = job.shuffle_method
    edges = dd.concat([exact.clear_divisions(), near.clear_divisions()])
    labels, rounds = _star_components(edges, len(job.parts), method, max_rounds)
    labels = labels.set_index("pos", divisions=job.divs, shuffle_method=method)
    labels = labels.map_partitions(lambda p: p[~p.index.duplicated()], meta=labels._meta)  # roots repeat
    prio = labels.merge(S[["prio"]], left_index=True, right_index=True).reset_index()
    A = prio.shuffle("label", shuffle_method=method).map_partitions(cl.keep_in_groups, meta=cl.ASSIGN_META)
    A = _persist(A.set_index("pos", divisions=job.divs, shuffle_method=method))
    # the id of each cluster's first member
    roots = A[["label"]].map_partitions(lambda p: p[p.index == p["label"]], meta=A._meta[["label"]])
    root_ids = roots.merge(S[["id"]], left_index=True, right_index=True).map_partitions(
        lambda p: pd.DataFrame({"label": p.index.to_numpy(), "cluster": p["id"].to_numpy()}),
        meta=pd.DataFrame({"label": st.POS.type(0), "cluster": pd.Series([], dtype=job.id_dtype)}, index=[]))
    return A.reset_index().merge(root_ids, on="label", how="inner", shuffle_method=method), rounds


def _star_components(edges, npartitions, shuffle_method, max_rounds):
    """Distributed connected components: ``(pos, label)`` of every node in ``edges``, and the rounds taken."""
    E = edges.map_partitions(lambda p: pd.DataFrame({"hi": p["j"].to_numpy(), "lo": p["i"].to_numpy()}),
                             meta=cl.STAR_META)
    E = _persist(E.shuffle("hi", npartitions=npartitions, shuffle_method=shuffle_method)
                 .map_partitions(cl.small_star, meta=cl.STAR_META))
    last = None
    for rounds in range(1, max_rounds + 1):
        B = E.map_partitions(cl.both_directions, meta=pd.DataFrame({"src": st.POS.type(0), "dst": st.POS.type(0)},
                                                                    index=[]))
        L = B.shuffle("src", npartitions=npartitions, shuffle_method=shuffle_method).map_partitions(
            cl.large_star, meta=cl.STAR_META)
        E = _persist(L.shuffle("hi", npartitions=npartitions, shuffle_method=shuffle_method)
                     .map_partitions(cl.small_star, meta=cl.STAR_META))
        sums = E.map_partitions(cl.edge_checksum, meta=pd.DataFrame({"n": [0], "sum": [0]}).iloc[:0]).compute()
        check = (int(sums["n"].sum()), int(sums["sum"].sum()))
        if check == last:
            break
        last = check
    else:
        raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")
    return E.map_partitions(cl.star_assign, meta=cl.ASSIGN_META[["pos", "label"]]), rounds


# --------------------------------------------------------------------- 6. labels
def labels(job: Job, S: dd.DataFrame, A: dd.DataFrame) -> dd.DataFrame:
    """Every document's ``id, cluster, keep`` in input order (persisted), from the clustered documents' ``A``."""
    A = _persist(A.set_index("pos", divisions=job.divs, shuffle_method=job.shuffle_method))
    meta = pd.DataFrame({"id": pd.Series([], dtype=job.id_dtype), "cluster": pd.Series([], dtype=job.id_dtype),
                         "keep": pd.Series([], dtype=bool)})
    out = dd.map_partitions(cl.label_partition, S[["id"]], A, meta=meta, align_dataframes=False)
    return _persist(out.clear_divisions())
