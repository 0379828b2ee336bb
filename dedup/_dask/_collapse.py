"""The Dask engine of ``dedup.dask.collapse`` and ``dedup.dask.blocks``: the three steps of ``_blocks._plan``.

1. ``features`` on every partition (a task each): its blocks' features
   (``_plan.featurize``, the local engine's kernels) and its ids.
2. ``plan`` on the client: the features gathered in partition order (a few
   partitions computed ahead of the one read, ``_in_order``) and appended
   to ``_plan.Spools`` within the client's ``_spill.Budget``; then
   ``_plan.plan``, the decisions for the whole corpus, as the local engine
   makes them.
3. ``cut_frames``: each partition read again and cut by a ``Cut``, its
   slice of the plan (its blocks' spans and kinds, its removals with their
   sources' ids and spans), built on the client by ``cuts``; the cut runs
   ``_plan.edit_texts`` and builds the partition's rows of the removals
   frame. No task sees the plan of the whole corpus.

The corpus order is (partition, row), as ``ddf.compute()`` gives it, so the
answers equal ``dedup.collapse(ddf.compute())`` whatever the partitioning.
"""

from __future__ import annotations

import os
import time
from typing import NamedTuple

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from .._blocks import _decide as _block_decide
from .._blocks import _plan
from .._core import _pool
from .._core._config import CollapseConfig
from .._core._threads import numba_threads
from .._sketch import _lsh
from . import _stages as st

#: The dtype pandas gives a column of ``str`` (``"str"`` from pandas 3, else object).
STR = pd.Series(["x"]).dtype
KINDS = np.array(_block_decide.KINDS, dtype=object)
MODES = _plan.MODES


class Job(NamedTuple):
    """What every step of one run reads: the input's partitions (``ddf.to_delayed()``) and the options."""

    parts: list
    text: str
    id: str | None
    id_dtype: object
    cfg: CollapseConfig
    threads: int | None


def job(ddf, *, text: str, id: str | None, cfg: CollapseConfig, threads: int | None) -> Job:
    id_dtype = ddf[id].dtype if id is not None else np.dtype(np.int64)
    return Job(ddf.to_delayed(), text, id, id_dtype, cfg, threads)


# ------------------------------------------------------------------ 1. features of a partition
def _ids(pdf: pd.DataFrame, id: str | None, k: int):
    """The ids of partition ``k`` (None when documents are numbered by position)."""
    if id is None:
        return None
    col = pdf[id]
    nulls = np.flatnonzero(col.isna().to_numpy())
    if nulls.shape[0]:
        raise ValueError(f"row {int(nulls[0])} of partition {k}: id column {id!r} is null; give every row an id")
    return col.to_numpy()


def features(pdf: pd.DataFrame, text: str, id: str | None, cfg: CollapseConfig, k: int,
             threads: int | None = None):
    """``(ids, ChunkFeatures)`` of partition ``k``: its blocks numbered from 0, as ``_plan.featurize`` gives them."""
    texts = st._texts(pdf, text, id, k)
    ids = _ids(pdf, id, k)
    with numba_threads(threads), _pool.fresh():  # nothing kept past the task (a worker is watched on its RSS)
        return ids, _plan.featurize(texts, cfg)


def _client():
    """The ``distributed.Client`` Dask would compute with now, or None (a local scheduler, or one that
    ``dask.config.set(scheduler=...)`` chose over the client)."""
    try:
        from distributed import default_client
    except ImportError:  # pragma: no cover - dask without distributed
        return None
    try:
        client = default_client()
    except ValueError:
        return None
    return client if dask.base.get_scheduler() == client.get else None


def _in_order(tasks: list):
    """The results of ``tasks`` (Delayed), in order, with at most two windows of them computed at a time, so
    that neither the workers nor the client hold the results of every partition at once."""
    client = _client()
    threads = sum(client.nthreads().values()) if client is not None else (os.cpu_count() or 1)
    window = max(2, 2 * threads)
    if client is None:
        for lo in range(0, len(tasks), window):
            yield from dask.compute(*tasks[lo : lo + window])
        return
    batches = [client.compute(tasks[lo : lo + window]) for lo in range(0, min(len(tasks), 2 * window), window)]
    nxt = 2 * window
    try:
        while batches:
            batch = batches.pop(0)
            if nxt < len(tasks):
                batches.append(client.compute(tasks[nxt : nxt + window]))
                nxt += window
            for k, f in enumerate(batch):
                yield f.result()
                batch[k] = None  # released on the cluster
                f.release()
    finally:
        for batch in batches:
            client.cancel([f for f in batch if f is not None])


def plan(job: Job, budget, times: dict) -> tuple[_plan.Plan, np.ndarray, np.ndarray]:
    """``(plan, ids, sizes)``: the plan of the corpus from every partition's features, gathered in order to the
    client and spooled within ``budget``; the ids of every document (an array) and each partition's size.
    ``times`` gets the wall seconds of the ``features`` (computed and gathered) and of the ``plan``."""
    t = time.perf_counter()
    cfg = job.cfg
    bands, _ = _lsh.choose_bands(cfg.lsh_threshold, cfg.num_perm, cfg.min_prob)
    spools = _plan.Spools(budget, bands)
    task = dask.delayed(features, pure=True)
    tasks = [task(p, job.text, job.id, cfg, k, job.threads) for k, p in enumerate(job.parts)]
    ids, sizes = [], []
    for chunk_ids, f in _in_order(tasks):
        spools.append(f)
        sizes.append(f.counts.shape[0])
        if chunk_ids is not None:
            ids.append(chunk_ids)
    sizes = np.array(sizes, dtype=np.int64)
    n = int(sizes.sum())
    if job.id is None:
        ids = np.arange(n, dtype=np.int64)
    else:
        ids = np.concatenate(ids) if ids else np.zeros(0, dtype=object)
        _unique(ids, job.id)
    arrays = spools.finish()
    times["features"] = time.perf_counter() - t
    t = time.perf_counter()
    p = _plan.plan(ids, arrays, cfg, budget)
    times["plan"] = time.perf_counter() - t
    return p, ids, sizes


def _unique(ids: np.ndarray, column: str) -> None:
    """A ValueError naming the first repeated id and its rows (in input order), if there is one."""
    dup = pd.Index(ids).duplicated()
    if dup.any():
        k = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(pd.Index(ids[:k]) == ids[k])[0])
        raise ValueError(f"duplicate document id {ids[k]!r} in column {column!r} at rows {first} and {k}")


# ------------------------------------------------------------------ 3. the cut of a partition
class Cut(NamedTuple):
    """A partition's slice of the plan: what its cut task needs, and no more.

    ``bptr, starts, ends, kind``: its blocks (offsets in their document;
    None when no text of the partition changes). The removals, in document
    order: ``rdoc`` (row in the partition), ``rstart, rend, rkind``; ``has``
    whether each has a source, and for those the source's ``sid`` (id),
    ``sstart, send``; ``sim`` of every removal. ``first``: the index of its
    first removal in the corpus (the removals frame's index); ``d0``: its
    first document's position; ``rows``: its documents.
    """

    rows: int
    d0: int
    first: int
    bptr: np.ndarray | None
    starts: np.ndarray | None
    ends: np.ndarray | None
    kind: np.ndarray | None
    rdoc: np.ndarray
    rstart: np.ndarray
    rend: np.ndarray
    rkind: np.ndarray
    has: np.ndarray
    sid: np.ndarray
    sstart: np.ndarray
    send: np.ndarray
    sim: np.ndarray


def cuts(p: _plan.Plan, ids: np.ndarray, sizes: np.ndarray, apply: bool):
    """The ``Cut`` of every partition, in order (copies: the plan may be mapped from a work directory)."""
    d = 0
    for n in sizes.tolist():
        b0, b1 = int(p.bptr[d]), int(p.bptr[d + n])
        lo, hi = np.searchsorted(p.removed, [b0, b1]).tolist()
        removed = np.array(p.removed[lo:hi])
        src = np.array(p.source[removed])
        has = src >= 0
        s = src[has]
        sdoc = np.searchsorted(p.bptr, s, side="right") - 1
        bptr = np.array(p.bptr[d : d + n + 1]) - b0
        blocks = (bptr, np.array(p.starts[b0:b1]), np.array(p.ends[b0:b1]), np.array(p.kind[b0:b1])) \
            if apply and hi > lo else (None,) * 4
        rdoc = np.searchsorted(bptr, removed - b0, side="right") - 1
        yield Cut(n, d, lo, *blocks, rdoc, np.array(p.starts[removed]), np.array(p.ends[removed]),
                  np.array(p.kind[removed]), has, ids[sdoc], np.array(p.starts[s]), np.array(p.ends[s]),
                  np.array(p.similarity[lo:hi]))
        d += n


def _nullable(dtype):
    """A dtype like ``dtype`` that holds missing values (``Int64`` for ``int64``)."""
    dtype = pd.api.types.pandas_dtype(dtype)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pd.api.types.pandas_dtype(("UInt" if dtype.kind == "u" else "Int") + str(8 * dtype.itemsize))
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pd.BooleanDtype()
    return dtype


def removal_meta(id_dtype) -> pd.DataFrame:
    """The empty removals frame: the columns of ``dedup.collapse``'s (``removal_columns``), fixed dtypes."""
    return pd.DataFrame({"id": pd.Series([], dtype=id_dtype), "start": np.zeros(0, np.int64),
                         "end": np.zeros(0, np.int64), "kind": pd.Series([], dtype=STR),
                         "source_id": pd.Series([], dtype=_nullable(id_dtype)),
                         "source_start": pd.array([], dtype="Int64"), "source_end": pd.array([], dtype="Int64"),
                         "similarity": np.zeros(0, np.float64)}, index=pd.RangeIndex(0))


def _removals(c: Cut, row_ids: np.ndarray, id_dtype) -> pd.DataFrame:
    m = c.rdoc.shape[0]
    sid = np.full(m, None, dtype=object)
    sid[c.has] = c.sid
    missing = ~c.has

    def spans(values):
        full = np.zeros(m, dtype=np.int64)
        full[c.has] = values
        return pd.arrays.IntegerArray(full, missing)

    return pd.DataFrame({"id": pd.array(row_ids[c.rdoc], dtype=id_dtype), "start": c.rstart,
                         "end": c.rend, "kind": pd.array(KINDS[c.rkind], dtype=STR),
                         "source_id": pd.array(sid, dtype=_nullable(id_dtype)), "source_start": spans(c.sstart),
                         "source_end": spans(c.send), "similarity": c.sim},
                        index=pd.RangeIndex(c.first, c.first + m))


def cut_partition(pdf: pd.DataFrame, c: Cut, text: str, id: str | None, id_dtype, k: int,
                  threads: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(cleaned partition, its removals)``: partition ``k`` with its text column cut by ``c``, other columns
    and rows unchanged, and a row per removal."""
    if len(pdf) != c.rows:
        raise RuntimeError(f"partition {k} has {len(pdf)} rows now, {c.rows} when its blocks were planned: ddf "
                           "must give the same partitions each time it is computed (persist it first)")
    docs = pdf
    if c.bptr is not None:
        texts = st._texts(pdf, text, id, k)
        with numba_threads(threads), _pool.fresh():
            clean, _ = _plan.edit_texts(texts, c.bptr, c.starts, c.ends, c.kind)
        docs = pdf.copy(deep=False)
        docs[text] = pd.Series(clean, index=pdf.index, dtype=pdf[text].dtype)
    row_ids = pdf[id].to_numpy() if id is not None else np.arange(c.d0, c.d0 + c.rows, dtype=np.int64)
    return docs, _removals(c, row_ids, id_dtype)


def cut_frames(job: Job, meta: pd.DataFrame, payloads) -> tuple[dd.DataFrame, dd.DataFrame]:
    """The cleaned frame and the removals frame, lazy: partition ``k`` of each from a task on input partition
    ``k`` and its ``Cut`` (which travels in the graph, so a lost worker's part is computed again)."""
    task = dask.delayed(cut_partition, pure=True, nout=2)
    outs = [task(part, c, job.text, job.id, job.id_dtype, k, job.threads)
            for k, (part, c) in enumerate(zip(job.parts, payloads))]
    docs = dd.from_delayed([o[0] for o in outs], meta=meta, verify_meta=False)
    removals = dd.from_delayed([o[1] for o in outs], meta=removal_meta(job.id_dtype), verify_meta=False)
    return docs, removals


# ------------------------------------------------------------------ groups of repeated blocks
def block_texts(pdf: pd.DataFrame, text: str, rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> list:
    """``text[start:end]`` of row ``rows[k]`` of a partition, for every ``k``."""
    col = pdf[text]
    return [col.iloc[r][s:e] for r, s, e in zip(rows.tolist(), starts.tolist(), ends.tolist())]


def groups(job: Job, p: _plan.Plan, sizes: np.ndarray) -> list:
    """``BlockGroup`` of every repeated block, as ``dedup.blocks`` gives them: the text of each group's first
    copy read from its partition (one task per partition holding some)."""
    spans = _plan.group_spans(p)
    rep, bounds, _ = spans
    first = rep[bounds[:-1]]
    fdoc = np.searchsorted(p.bptr, first, side="right") - 1
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    part = np.searchsorted(offsets, fdoc, side="right") - 1
    starts, ends = np.array(p.starts[first]), np.array(p.ends[first])
    task = dask.delayed(block_texts, pure=True)
    wanted = [np.flatnonzero(part == k) for k in range(sizes.shape[0])]
    found = dask.compute(*[task(job.parts[k], job.text, fdoc[w] - offsets[k], starts[w], ends[w])
                           for k, w in enumerate(wanted) if w.shape[0]])
    texts = [None] * first.shape[0]
    for w, got in zip((w for w in wanted if w.shape[0]), found):
        for g, t in zip(w.tolist(), got):
            texts[g] = t
    return _plan.groups(p._replace(ids=p.ids.tolist()), job.cfg, spans, texts)  # ids as Python objects
