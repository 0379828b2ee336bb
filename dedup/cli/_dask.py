"""What ``near-dups dedup --dask / --scheduler ADDRESS`` runs: the Dask engine behind an
``Index``-shaped result, so the command's report and writers stay the same."""

from __future__ import annotations

import contextlib

import numpy as np

DASK_HINT = 'pip install "near-dups[dask]"'
#: Documents per partition when the command line hands its corpus to Dask.
PARTITION_DOCS = 50_000


class DaskResult:
    """The parts of ``Index`` the ``dedup`` command reads, from ``dedup.dask.find_duplicates``.

    Attributes
    ----------
    ids : list, document ids in input order.
    """

    def __init__(self, ids, labels: np.ndarray, keep: np.ndarray, policy: str, pairs):
        self.ids = ids
        self._labels = labels
        self._keep = keep
        self._policy = policy
        self._pairs = pairs

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return f"<dedup Dask result: {len(self.ids)} documents, {self._pairs[0].shape[0]} verified pairs>"

    def labels(self) -> np.ndarray:
        return self._labels

    def keep_mask(self, keep=None) -> np.ndarray:
        if keep is not None and keep != self._policy:
            raise ValueError(f"this result was computed with keep={self._policy!r}, got keep={keep!r}")
        return self._keep

    def pair_arrays(self):
        return self._pairs


@contextlib.contextmanager
def client(scheduler: str | None, workers: int | None = None):
    """A ``distributed.Client``: to ``scheduler``, or to a new LocalCluster of worker processes."""
    import distributed

    if scheduler:
        with distributed.Client(scheduler) as c:
            yield c
        return
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def run(ids: list, texts: list, *, scheduler: str | None = None, workers: int | None = None, keep: str = "first",
        **config) -> DaskResult:
    """Find near-duplicates of ``texts`` on Dask; equal to ``dedup.index(zip(ids, texts), ...)``.

    Raises ImportError naming the pip command when the ``dask`` extra is missing.
    """
    import dask.dataframe as dd
    import pandas as pd

    from .. import dask as ddk

    n = len(ids)
    frame = pd.DataFrame({"id": pd.Series(ids, dtype=object), "text": pd.Series(texts, dtype=object)})
    npartitions = max(1, -(-n // PARTITION_DOCS))
    with client(scheduler, workers):
        ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
        labels, pairs = ddk.find_duplicates(ddf, keep=keep, pairs=True, **config)
        got = labels.compute()
        p = pairs.compute()
    where = {doc_id: k for k, doc_id in enumerate(ids)}
    label = np.fromiter((where[c] for c in got["cluster"].tolist()), dtype=np.int64, count=n)
    i = np.fromiter((where[a] for a in p["id_a"].tolist()), dtype=np.int64, count=len(p))
    j = np.fromiter((where[b] for b in p["id_b"].tolist()), dtype=np.int64, count=len(p))
    return DaskResult(list(ids), label, got["keep"].to_numpy(dtype=bool), keep,
                      (i, j, p["score"].to_numpy(dtype=np.float64)))


def collapse(ids: list, texts: list, *, scheduler: str | None = None, workers: int | None = None,
             config=None, memory=None, workdir=None) -> list:
    """``dedup.collapse(zip(ids, texts), config=config)`` on Dask: the ``CollapsedDoc`` of every document, in
    order, from ``dedup.dask.collapse`` (documents numbered by position there; ids put back here), the
    client's budget ``memory`` spilled to ``workdir``.

    Raises ImportError naming the pip command when the ``dask`` extra is missing.
    """
    import dask
    import dask.dataframe as dd
    import pandas as pd

    from .. import dask as ddk
    from .._blocks._records import CollapsedDoc, Removal, Span

    n = len(ids)
    frame = pd.DataFrame({"text": pd.Series(texts, dtype=object)})
    npartitions = max(1, -(-n // PARTITION_DOCS))
    with client(scheduler, workers), dask.config.set({"dataframe.convert-string": False}):  # texts stay str
        ddf = dd.from_pandas(frame, npartitions=npartitions, sort=False)
        out = ddk.collapse(ddf, id=None, config=config, memory=memory, workdir=workdir)
        docs, removals = dask.compute(out.docs, out.removals)
    clean = docs["text"].tolist()
    doc = removals["id"].to_numpy(dtype=np.int64)
    bounds = np.searchsorted(doc, np.arange(n + 1)).tolist()
    has = removals["source_id"].notna().to_numpy().tolist()
    src = removals["source_id"].fillna(-1).to_numpy(dtype=np.int64).tolist()
    sstart = removals["source_start"].fillna(-1).to_numpy(dtype=np.int64).tolist()
    send = removals["source_end"].fillna(-1).to_numpy(dtype=np.int64).tolist()
    records = [Removal(s, e, k, Span(ids[d], a, b) if h else None, sim) for s, e, k, h, d, a, b, sim in zip(
        removals["start"].tolist(), removals["end"].tolist(), removals["kind"].tolist(), has, src, sstart, send,
        removals["similarity"].tolist())]
    return [CollapsedDoc(ids[d], clean[d], tuple(records[bounds[d]:bounds[d + 1]]),
                         clean[d] == "" and bounds[d + 1] > bounds[d]) for d in range(n)]
