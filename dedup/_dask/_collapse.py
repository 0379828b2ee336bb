"""The Dask engine of ``dedup.dask.collapse`` and ``dedup.dask.blocks``: the three steps of ``_blocks._plan``.

1. ``features`` on every partition (a task each): its blocks' features
   (``_plan.featurize``, the local engine's kernels), a chunk of
   ``BATCH_CHARS`` at a time, each trimmed of the shingles of blocks an
   earlier chunk holds (``_plan.trim_features``), and its ids.
2. ``plan`` on the client: the features gathered in partition order (a
   task per worker thread in flight, ``_in_order``; each result released
   on the cluster once taken, the next task submitted then) and appended to
   ``_plan.Spools`` within the client's ``_spill.Budget``; then
   ``_plan.plan``, the decisions for the whole corpus, as the local engine
   makes them.
3. ``cut_frames``: each partition read again and cut by a ``Cut``, its
   slice of the plan built on the client by ``cuts``: a byte per block
   (its kind) and 2 or 4 per removal (its source, in a table of the
   distinct ones), as the task cuts the texts into blocks again for their spans.
   One task per partition makes both frames' parts: its cleaned rows
   (``_plan.edit_texts``) and its removals. No task sees the plan of the
   whole corpus, and the slices travel in the graph (a lost worker's part
   is computed again).

The corpus order is (partition, row), as ``ddf.compute()`` gives it, so the
answers equal ``dedup.collapse(ddf.compute())`` whatever the partitioning.
"""

from __future__ import annotations

import collections
import itertools
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
from .._indexing._pipeline import BATCH_CHARS
from .._sketch import _lsh
from .._text._documents import chunk_bounds
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
    """``(ids, [ChunkFeatures])`` of partition ``k``: the features of its chunks, in order, as
    ``_plan.featurize`` gives them, trimmed (``_plan.trim_features``)."""
    ids = _ids(pdf, id, k)
    with numba_threads(threads), _pool.fresh():  # nothing kept past the task (a worker is watched on its RSS)
        out, seen = [], _plan.NO_BLOCKS
        for _, texts in _text_chunks(pdf, text, id, k):
            f, seen = _plan.trim_features(_plan.featurize(texts, cfg), seen)
            out.append(f)
        return ids, out


def _text_chunks(pdf: pd.DataFrame, text: str, id: str | None, k: int):
    """``(first row, texts)`` of consecutive chunks of about ``BATCH_CHARS`` characters of partition ``k``'s
    texts, as the local engine reads them: a task's scratch space is a chunk's, and a column of strings
    (Arrow) becomes Python strs a chunk at a time. One empty chunk for no rows."""
    col = pdf[text]
    if isinstance(col.dtype, pd.StringDtype):
        lengths = col.str.len()
        if not lengths.isna().any():  # else _texts names the missing text
            for a, b in _bounds(lengths.to_numpy(dtype=np.int64)):
                yield a, col.iloc[a:b].tolist()
            return
    texts = st._texts(pdf, text, id, k)
    for a, b in _bounds(np.fromiter(map(len, texts), np.int64, len(texts))):
        yield a, texts[a:b]


def _bounds(lengths: np.ndarray) -> list:
    return list(itertools.pairwise(chunk_bounds(lengths, BATCH_CHARS))) or [(0, 0)]


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
    """The results of ``tasks`` (Delayed), in order, with at most a task per worker thread computed at a
    time: the next is submitted once a result is taken (and released on the cluster), so that neither the
    workers nor the client hold the results of more than a few partitions at once (the features of a
    partition of 62,500 crawl pages are 320 MB)."""
    client = _client()
    threads = sum(client.nthreads().values()) if client is not None else (os.cpu_count() or 1)
    if client is None:
        for lo in range(0, len(tasks), threads):
            yield from dask.compute(*tasks[lo : lo + threads])
        return
    window = collections.deque(client.compute(t) for t in tasks[:threads])
    nxt = len(window)
    try:
        while window:
            f = window.popleft()
            result = f.result()
            f.release()
            if nxt < len(tasks):
                window.append(client.compute(tasks[nxt]))
                nxt += 1
            yield result
            del result
    finally:
        client.cancel(list(window))


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
    for chunk_ids, chunks in _in_order(tasks):
        for f in chunks:  # not joined on the worker: that would hold them twice
            spools.append(f)
        sizes.append(sum(f.counts.shape[0] for f in chunks))
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

    The cut task cuts the partition's texts into blocks again (``_plan.blocks_of``,
    as ``featurize`` did), so the slice holds no spans of its own blocks:
    ``kind``, a code per block (None when none is removed), and per removal
    (its blocks of kind other than KEPT, in order) ``source``, a row of the
    table of its distinct sources (``sid`` id, ``sstart, send``), -1
    without one. A removal's similarity is 1.0 with a source and 0.0
    without, except for those at ``odd``, whose similarities are ``sim``.
    ``first``: the index of its first removal in the corpus (the removals
    frame's index); ``d0``: its first document's position; ``rows, blocks``:
    its documents and blocks; ``apply``: whether texts are edited.

    A block costs a byte, a removal 2 or 4 (about a twentieth of the spans and
    sources of every block and removal, which made a graph of 1 GiB at 1M
    crawl pages).
    """

    rows: int
    d0: int
    first: int
    blocks: int
    apply: bool
    kind: np.ndarray | None
    source: np.ndarray
    sid: np.ndarray
    sstart: np.ndarray
    send: np.ndarray
    odd: np.ndarray
    sim: np.ndarray

    @property
    def nbytes(self) -> int:
        """Bytes of its arrays (of the pointers of ``sid`` when ids are objects)."""
        return sum(getattr(x, "nbytes", 0) for x in self)


def cuts(p: _plan.Plan, ids: np.ndarray, sizes: np.ndarray, apply: bool):
    """The ``Cut`` of every partition, in order (copies: the plan may be mapped from a work directory)."""
    d = 0
    for n in sizes.tolist():
        b0, b1 = int(p.bptr[d]), int(p.bptr[d + n])
        lo, hi = np.searchsorted(p.removed, [b0, b1]).tolist()
        src = np.array(p.source[p.removed[lo:hi]])
        has = src >= 0
        distinct, row = np.unique(src[has], return_inverse=True)
        source = np.full(hi - lo, -1, dtype=np.int16 if distinct.shape[0] < 2**15 else np.int32)
        source[has] = row
        sdoc = np.searchsorted(p.bptr, distinct, side="right") - 1
        sim = np.array(p.similarity[lo:hi])
        odd = np.flatnonzero(sim != has).astype(np.int32)
        kind = np.array(p.kind[b0:b1], dtype=np.int8) if hi > lo else None
        yield Cut(n, d, lo, b1 - b0, apply, kind, source, ids[sdoc], np.array(p.starts[distinct]),
                  np.array(p.ends[distinct]), odd, sim[odd])
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


def _removals(c: Cut, rdoc: np.ndarray, rstart: np.ndarray, rend: np.ndarray, rkind: np.ndarray,
              row_ids: np.ndarray, id_dtype) -> pd.DataFrame:
    m = rdoc.shape[0]
    has = c.source >= 0
    row = c.source[has]
    sid = np.full(m, None, dtype=object)
    sid[has] = c.sid[row]
    sim = has.astype(np.float64)
    sim[c.odd] = c.sim

    def spans(values):
        full = np.zeros(m, dtype=np.int64)
        full[has] = values[row]
        return pd.arrays.IntegerArray(full, ~has)

    return pd.DataFrame({"id": pd.array(row_ids[rdoc], dtype=id_dtype), "start": rstart, "end": rend,
                         "kind": pd.array(KINDS[rkind], dtype=STR),
                         "source_id": pd.array(sid, dtype=_nullable(id_dtype)), "source_start": spans(c.sstart),
                         "source_end": spans(c.send), "similarity": sim},
                        index=pd.RangeIndex(c.first, c.first + m))


def _changed(k: int, what: str) -> RuntimeError:
    return RuntimeError(f"partition {k} has {what} when its blocks were planned: ddf must give the same "
                        "partitions each time it is computed (persist it first)")


def cut_partition(pdf: pd.DataFrame, c: Cut, text: str, id: str | None, id_dtype, cfg: CollapseConfig, k: int,
                  threads: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(cleaned partition, its removals)``: partition ``k`` with its text column cut by ``c``, other columns
    and rows unchanged, and a row per removal. Its texts are cut into blocks again, a chunk of
    ``BATCH_CHARS`` at a time, to find the spans of its removed blocks."""
    if len(pdf) != c.rows:
        raise _changed(k, f"{len(pdf)} rows now, {c.rows}")
    docs = pdf
    rdoc, rstart, rend, rkind = [np.zeros(0, np.int64)] * 3 + [np.zeros(0, np.int8)]
    if c.kind is not None:
        clean, found, at = [], [], 0
        dtype = pdf[text].dtype
        with numba_threads(threads), _pool.fresh():
            for a, texts in _text_chunks(pdf, text, id, k):
                bptr, starts, ends = _plan.blocks_of(texts, cfg)
                kind = c.kind[at : at + starts.shape[0]]
                at += starts.shape[0]
                if kind.shape[0] < starts.shape[0]:
                    raise _changed(k, f"more than its {c.blocks} blocks now")
                removed = np.flatnonzero(kind != _block_decide.KEPT)
                found.append((np.searchsorted(bptr, removed, side="right") - 1 + a, starts[removed], ends[removed],
                               kind[removed]))
                if c.apply:  # each chunk's texts back in the column's dtype (Arrow) before the next is read
                    clean.append(pd.Series(_plan.edit_texts(texts, bptr, starts, ends, kind)[0], dtype=dtype))
        if at != c.blocks:
            raise _changed(k, f"{at} blocks now, {c.blocks}")
        rdoc, rstart, rend, rkind = (np.concatenate(x) for x in zip(*found))
        if rdoc.shape[0] != c.source.shape[0]:  # pragma: no cover - the plan's kinds are the cut's
            raise _changed(k, f"{rdoc.shape[0]} removals now, {c.source.shape[0]}")
        if c.apply:
            docs = pdf.copy(deep=False)
            docs[text] = (pd.concat(clean, ignore_index=True) if len(clean) > 1 else clean[0]).set_axis(pdf.index)
    row_ids = pdf[id].to_numpy() if id is not None else np.arange(c.d0, c.d0 + c.rows, dtype=np.int64)
    return docs, _removals(c, rdoc, rstart, rend, rkind, row_ids, id_dtype)


def cut_frames(job: Job, meta: pd.DataFrame, payloads) -> tuple[dd.DataFrame, dd.DataFrame]:
    """The cleaned frame and the removals frame, lazy: partition ``k`` of each from a task on input partition
    ``k`` and its ``Cut`` (which travels in the graph, so a lost worker's part is computed again)."""
    task = dask.delayed(cut_partition, pure=True, nout=2)
    outs = [task(part, c, job.text, job.id, job.id_dtype, job.cfg, k, job.threads)
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
