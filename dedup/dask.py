"""Near-duplicate detection on a Dask cluster, with the same answers as ``dedup.index``.

Install with ``pip install "near-dups[dask]"``. The local engine stays the
default; this module is for corpora that outgrow one machine. Read and write
with Dask's own readers and writers (``dask.dataframe.read_parquet``,
``read_json``, ``DataFrame.to_parquet``).

Input order
    A Dask DataFrame's documents are ordered by (partition index, row within
    the partition). "First" means first in that order, which is the order of
    ``ddf.compute()``; it is why the answers do not depend on how the input is
    partitioned or how many workers run it.

Stages, and how they map onto Dask (one function each in ``dedup._dask._graph``)
    1. *Digests, band keys* (``map_partitions``, persisted): each partition
       runs ``dedup._indexing._pipeline.featurize``, the local engine's numba kernels,
       and keeps per document its digest, length, shingle count, priority and
       band keys (about 250 bytes with 21 bands), not its shingle set (8
       bytes a shingle: 3.6 kB for a 450-word text). A document's global
       position is ``partition << 32 | row``.
    2. *Exact duplicates*: ``(digest, length, position)`` rows shuffled by
       digest; a group's first position is its representative; each member's
       shingle set is then checked equal to its representative's (stage 4).
    3. *LSH*: representatives' band keys exploded to ``(band, key, position)``
       rows and shuffled by key; every pair sharing a bucket is a candidate,
       except in a bucket of more than ``BIG_BUCKET`` (256) members: those
       rows, and each member's shingle row once, go to the client, which
       connects them as the local engine does (``_cluster.connect_runs``).
    4. *Verification by join*: candidate pairs are shuffled to the partition
       of one member, whose input partition is read again and whose
       candidate documents, only they, are shingled again by ``featurize``
       (``dedup._dask._stages.join_rows``); the pairs, with that side's shingle row,
       are persisted, shuffled to the other member's partition, joined the
       same way and scored by exact Jaccard. Workers so hold shingle sets
       only of the candidates of one stage, never of the whole corpus:
       holding them all, Dask spilled them (and counted a projection of the
       persisted frame twice, as it shares its Arrow buffer) and thrashed
       below 6 GB a worker at 1M documents. The price is a second read of
       the input and the shingling of candidate documents again, which
       needs ``ddf`` to give the same partitions each time it is computed
       (persist it first if computing it is costly).
    5. *Clusters*: the verified edges are far fewer than the documents; when
       there are at most ``max_edges`` they are gathered to the client and
       labelled by the local union-find (``dedup._verify._cluster``). Beyond that,
       connected components run on the cluster by alternating large-star and
       small-star steps (Kiveris et al., SoCC 2014) over a fixed number of
       partitions, persisted each round.

Collapse (``collapse``, ``blocks``; ``dedup._dask._collapse``)
    The three steps of the local engine (``dedup._blocks._plan``): each
    partition's blocks featurized on the workers; the features gathered to
    the client in partition order, within a memory budget, for the plan of
    the whole corpus; each partition cut on the workers by its own slice of
    the plan, which travels in the graph with its task (a byte per block
    and 2 or 4 per removal: the task cuts its texts into blocks again).
"""

from __future__ import annotations

import contextlib
import time

try:
    import dask
    import dask.dataframe as dd
    import numpy as np
    import pyarrow  # noqa: F401  (shingle rows travel as Arrow binary)
except ImportError as e:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        f"dedup.dask needs Dask (with dask.dataframe) and pyarrow, which are not installed ({e.name} is "
        'missing): pip install "near-dups[dask]"'
    ) from e

from ._blocks._collapse import CollapsedFrames
from ._dask import _collapse as blocks_graph
from ._dask import _graph as graph
from ._core import _spill
from ._core._config import CollapseConfig, Config, resolve
from ._core._options import KEEP as KEEP_POLICIES
from ._indexing import _pipeline
from ._indexing._pipeline import lsh_shape

__all__ = ["MAX_EDGES", "blocks", "collapse", "drop_duplicates", "find_duplicates"]

MAX_EDGES = 50_000_000
"""Verified edges gathered to the client for the local union-find, at most.

Each costs about 48 bytes there (two positions, score, two priorities, then
the union-find arrays), so the default needs about 2.4 GB on the client.
Beyond it, connected components run on the cluster (``max_edges=``)."""
SHUFFLE_METHODS = ("tasks", "p2p", "disk")


def _check_frame(ddf, text, id, keep):
    if not isinstance(ddf, dd.DataFrame):
        raise TypeError(f"ddf must be a dask.dataframe.DataFrame, got {type(ddf).__name__}; "
                        "wrap pandas with dask.dataframe.from_pandas(df, npartitions=...)")
    cols = list(ddf.columns)
    if text not in cols:
        raise ValueError(f"text={text!r} is not a column of ddf; columns are {cols}")
    if id is not None and id not in cols:
        raise ValueError(f"id={id!r} is not a column of ddf; columns are {cols} (id=None numbers documents 0, 1, ...)")
    if not isinstance(keep, str) or (keep not in KEEP_POLICIES and keep not in cols):
        raise ValueError(f"keep must be one of {KEEP_POLICIES} or the name of a numeric priority column, "
                         f"got {keep!r}")


@contextlib.contextmanager
def _timed(times: dict, name: str):
    """Add the wall time of the block to ``times[name]``."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        times[name] = times.get(name, 0.0) + time.perf_counter() - t0


def _run(ddf, *, text, id, threshold, ngram, shingle, num_perm, seed, bands, rows, min_prob, sketch, keep,
         max_edges, shuffle_method, numba_threads, want_pairs):
    """The stages of ``_dask._graph`` in order: ``(labels, pairs or None, info)``."""
    _check_frame(ddf, text, id, keep)
    if shuffle_method not in SHUFFLE_METHODS:
        raise ValueError(f"shuffle_method must be one of {SHUFFLE_METHODS}, got {shuffle_method!r}")
    _check_threads(numba_threads)
    if isinstance(max_edges, bool) or not isinstance(max_edges, int) or max_edges < 0:
        raise ValueError(f"max_edges must be an int >= 0, got {max_edges!r}")
    config = Config(threshold=threshold, ngram=ngram, shingle=shingle, num_perm=num_perm, seed=seed,
                    bands=bands, rows=rows, min_prob=min_prob, sketch=sketch)
    nb, _ = lsh_shape(config)
    big = _pipeline.BIG_BUCKET if not want_pairs else np.iinfo(np.int64).max  # every pair, as Index.pairs() lists them
    times: dict = {}
    with _timed(times, "shingle"):
        job = graph.job(ddf, text=text, id=id, keep=keep, config=config, bands=nb, shuffle_method=shuffle_method,
                        threads=numba_threads)
        S, sizes = graph.featurize(job)
    with _timed(times, "exact"):
        exact = graph.exact(job, S)
    with _timed(times, "lsh"):
        cand, big_rows = graph.lsh(job, S, exact, big)
        n_cand = len(cand)  # with repeats: a pair sharing k bands counts k times
    with _timed(times, "verify"):
        near = graph.verify(job, cand, config.threshold)
        del cand  # only the big buckets' rows are needed now
        n_exact = len(exact)
        near = graph.connect_big_buckets(job, near, exact, big_rows)
        n_near = len(near)
    n_edges = n_exact + n_near
    gathered = n_edges <= max_edges
    info = dict(documents=int(sizes.sum()), partitions=len(job.parts), exact_edges=n_exact, near_edges=n_near,
                candidate_rows=n_cand, band_rows=nb * int((sizes.sum() - n_exact)), bands=nb,
                big_bucket_rows=len(big_rows), big_bucket_documents=int(big_rows["pos"].nunique()),
                gathered=gathered, times=times)
    pairs = None
    with _timed(times, "components"):
        if gathered:
            assign, pairs = graph.components_on_client(job, S, exact, near, n_exact, want_pairs)
        elif want_pairs:
            raise ValueError(f"{n_edges} verified edges exceed max_edges={max_edges}: pairs=True gathers "
                             "them to the client; raise max_edges or use pairs=False")
        else:
            assign, times["star_rounds"] = graph.components_on_cluster(job, S, exact, near)
    with _timed(times, "labels"):
        out = graph.labels(job, S, assign)
    return out, pairs, info


def find_duplicates(ddf, text: str = "text", id: str | None = "id", *, threshold: float = 0.8, ngram: int = 5,
                    shingle: str = "word", num_perm: int = 128, seed: int = 0, bands: int | None = None,
                    rows: int | None = None, min_prob: float = 0.99, sketch: str = "oph", keep: str = "first",
                    pairs: bool = False,
                    max_edges: int = MAX_EDGES, shuffle_method: str = "tasks", numba_threads: int | None = 1,
                    return_info: bool = False):
    """Cluster near-duplicates of a Dask DataFrame: ``id, cluster, keep`` per document.

    Runs the pipeline on the current Dask scheduler (a ``distributed.Client``
    if one is active) and returns the result persisted. Equal to
    ``dedup.index(zip(ids, texts), ...)`` on the computed frame, whatever the
    partitioning and number of workers.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        One document per row; its order is (partition index, row in partition).
    text : str, default "text"
        Column of texts (str).
    id : str or None, default "id"
        Column of unique document ids; None numbers documents 0, 1, ... in order.
    threshold, ngram, shingle, num_perm, seed, bands, rows, min_prob, sketch
        As for ``dedup.index``.
    keep : "first", "longest", or a column name
        Which member of a cluster is kept: the first in input order, the
        longest text (ties: first), or the highest value of a numeric column
        (ties: first).
    pairs : bool, default False
        Also return every verified pair (``id_a, id_b, score``), as
        ``Index.pairs()`` lists them (gathered through the client). Without
        it, a bucket of more than ``dedup._indexing._pipeline.BIG_BUCKET`` members
        (templated pages) is connected on the client from its members'
        shingle rows, about one verification per member, instead of having
        all its pairs verified; with it, every pair is.
    max_edges : int, default ``MAX_EDGES``
        Gather at most this many verified edges to the client for the local
        union-find; more run distributed connected components instead.
    shuffle_method : {"tasks", "p2p", "disk"}, default "tasks"
        Dask's shuffle for every stage ("tasks" works on any scheduler).
    numba_threads : int or None, default 1
        Threads each task's numba kernels may use. Dask already runs a task
        per worker thread, so more oversubscribes the cores. On 2 cores, 2
        workers, 100k documents: 3.6 s with 1 vs 5.8 s with numba's default
        while other jobs loaded the machine, about equal (3.8 vs 3.7 s) when
        it was idle. None leaves numba's setting alone.
    return_info : bool, default False
        Also return a dict: ``documents``, ``partitions``, ``band_rows``
        (rows shuffled by key: at most bands x documents that are not exact
        copies; texts without shingles have none),
        ``candidate_rows`` (bucket pairs, repeats included), ``exact_edges``
        and ``near_edges`` (verified), ``gathered`` (whether the edges went
        to the client) and ``times`` (wall seconds per stage).

    Returns
    -------
    dask.dataframe.DataFrame
        Columns ``id`` (the id column's dtype), ``cluster`` (the id of the
        cluster's first member; a document alone is its own cluster) and
        ``keep`` (bool). Partition ``k`` holds the rows of input partition
        ``k``, in order.
    (labels, pairs) or (labels, info) or (labels, pairs, info)
        With ``pairs=True`` and/or ``return_info=True``.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> import dedup.dask
    >>> df = pd.DataFrame({"id": ["a", "b", "c"],
    ...                    "text": ["the cat sat on the mat", "The cat sat on the mat!", "a dog"]})
    >>> out = dedup.dask.find_duplicates(dd.from_pandas(df, npartitions=2), ngram=2)
    >>> out.compute().values.tolist()
    [['a', 'a', True], ['b', 'a', False], ['c', 'c', True]]
    """
    out, pair_frame, info = _run(ddf, text=text, id=id, threshold=threshold, ngram=ngram, shingle=shingle,
                                 num_perm=num_perm, seed=seed, bands=bands, rows=rows, min_prob=min_prob, sketch=sketch,
                                 keep=keep, max_edges=max_edges, shuffle_method=shuffle_method,
                                 numba_threads=numba_threads, want_pairs=pairs)
    result = (out,) + ((pair_frame,) if pairs else ()) + ((info,) if return_info else ())
    return result[0] if len(result) == 1 else result


def drop_duplicates(ddf, text: str = "text", id: str | None = "id", **options):
    """``ddf`` without its near-duplicates: each cluster keeps one document.

    Takes the options of ``find_duplicates`` (``pairs`` excepted). The result
    has ``ddf``'s columns and partitions, rows in their input order; it is
    lazy over ``ddf``, which is read again when it is computed (persist
    ``ddf`` first to avoid that).

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> import dedup.dask
    >>> df = pd.DataFrame({"id": [1, 2, 3], "text": ["a b c d", "A b c d.", "x y z"]})
    >>> dedup.dask.drop_duplicates(dd.from_pandas(df, npartitions=1), ngram=2).compute()["id"].tolist()
    [1, 3]
    """
    if options.get("pairs"):
        raise ValueError("drop_duplicates does not return pairs; use find_duplicates(..., pairs=True)")
    options.pop("pairs", None)
    info = options.pop("return_info", False)
    labels, stats = find_duplicates(ddf, text, id, return_info=True, **options)
    parts, flags = ddf.to_delayed(), labels["keep"].to_delayed()
    if len(parts) != len(flags):  # pragma: no cover - Dask partitioned the input differently on a second read
        raise RuntimeError(f"ddf ran as {len(parts)} partitions, but as {len(flags)} while finding duplicates")
    kept = dd.from_delayed([dask.delayed(_take_kept)(p, f) for p, f in zip(parts, flags)], meta=ddf._meta,
                           verify_meta=False)
    return (kept, stats) if info else kept


def _take_kept(part, keep):
    return part[keep.to_numpy()]


def _check_threads(numba_threads):
    if numba_threads is not None and (isinstance(numba_threads, bool) or not isinstance(numba_threads, int)
                                      or numba_threads < 1):
        raise ValueError(f"numba_threads must be an int >= 1 or None, got {numba_threads!r}")


def _blocks_plan(ddf, text, id, config, options, memory, workdir, numba_threads, times):
    """``(job, plan, ids, sizes, budget)`` of ``collapse`` and ``blocks``: features per partition, plan on the
    client within the budget (closed by the caller)."""
    _check_frame(ddf, text, id, "first")
    _check_threads(numba_threads)
    cfg = resolve(CollapseConfig, config, options)
    if cfg.passages:
        raise ValueError("passages=True is not supported on Dask: collapse there, then find passages with "
                         "dedup.passages, or run dedup.collapse locally")
    budget = _spill.Budget(_spill.parse_size(memory) if memory is not None else _spill.default_memory(), workdir)
    try:
        job = blocks_graph.job(ddf, text=text, id=id, cfg=cfg, threads=numba_threads)
        p, ids, sizes = blocks_graph.plan(job, budget, times)
    except BaseException:
        budget.close()
        raise
    return job, p, ids, sizes, budget


def collapse(ddf, text: str = "text", id: str | None = "id", *, config: CollapseConfig | None = None,
             memory=None, workdir=None, numba_threads: int | None = 1, return_info: bool = False, **options):
    """Remove repeated blocks inside documents and across a Dask DataFrame, as ``dedup.collapse`` does.

    The blocks of every partition are cut and shingled on the workers; their
    features (about a tenth of the text on a templated site: the shingles
    only of the first block of each distinct set) are gathered to the client
    in partition order, which decides every block's fate for the whole corpus
    as the local engine does (within ``memory``, spilled to ``workdir`` past
    it); each partition is then cut on the workers by its own slice of those
    decisions. Equal to ``dedup.collapse(ddf.compute(), text=text, id=id,
    ...)`` whatever the partitioning and number of workers.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        One document per row; its order is (partition index, row in
        partition), which decides which copy is "first".
    text : str, default "text"
        Column of texts (str).
    id : str or None, default "id"
        Column of unique document ids; None numbers documents 0, 1, ... in
        order.
    config : CollapseConfig, optional
        Every option at once; options given beside it replace its fields.
    memory : int or str, optional
        Budget on the client for the blocks' features and decisions, such
        as ``"2GB"`` (default: half the RAM available); past it they go to
        ``.npy`` files in a work directory made in ``workdir``.
    workdir : path, optional
        Where the client's work directory is made (default: the system's
        temporary folder); it is removed before the function returns.
    numba_threads : int or None, default 1
        Threads each task's numba kernels may use (as for
        ``find_duplicates``).
    return_info : bool, default False
        Also return a dict: ``documents``, ``partitions``, ``blocks``,
        ``removals``, ``spilled`` (whether the client's budget was
        exceeded), ``disk`` (bytes its work files took), ``slices``
        (bytes of the partitions' slices of the plan, which travel in
        the graph) and ``times``
        (wall seconds of ``features``, computed on the workers and
        gathered, ``plan`` on the client, and ``slices``, the partitions'
        slices of it; the cut runs when the frames are computed).
    **options
        Any other field of ``CollapseConfig`` (``unit``, ``mode``,
        ``remove``, ``threshold``, ``ngram``, ``min_docs``, ...), as for
        ``dedup.collapse``; ``passages=True`` is refused.

    Returns
    -------
    CollapsedFrames
        ``docs``: ``ddf`` with its text column replaced by the cleaned text,
        other columns, rows and partitions unchanged. ``removals``: one row
        per removal, partition ``k`` holding those of ``ddf``'s partition
        ``k`` in document order, indexed 0, 1, ... across the corpus; columns
        ``id``, ``start``, ``end``, ``kind``, ``source_id``, ``source_start``,
        ``source_end`` (null for a separator: ``Int64`` and the id column's
        dtype made nullable) and ``similarity``, as ``dedup.collapse`` gives
        for a pandas frame. Both are lazy: a task per partition reads
        ``ddf``'s partition again (persist ``ddf`` first if computing it is
        costly) and makes both frames' parts, so compute them together
        (``dask.compute(out.docs, out.removals)``, or write them with
        ``compute=False`` and one ``dask.compute``). The decisions travel
        in the graph, a partition's slice with its task. A corpus larger
        than a worker's memory cannot be computed whole: ``compute``
        joins every partition in one worker (then sends the frame to the
        client), which is lost past its ``memory_limit`` (3 GB at 1M crawl
        pages of 2.8 GB of text); write both frames from the workers
        (``to_parquet(..., compute=False)`` of each, one ``dask.compute``)
        or take them a few partitions at a time (``to_delayed()`` of
        each, the k-th of both computed together).
    (CollapsedFrames, dict)
        With ``return_info=True``.

    Examples
    --------
    >>> import pandas as pd, dask, dask.dataframe as dd
    >>> import dedup.dask
    >>> share = "Share this page with your friends and family today"
    >>> df = pd.DataFrame({"id": ["a", "b"],
    ...                    "text": [f"Menu\\nFirst story.\\n{share}", f"Menu\\nSecond story.\\n{share}"]})
    >>> out = dedup.dask.collapse(dd.from_pandas(df, npartitions=2))
    >>> docs, removals = dask.compute(out.docs, out.removals)
    >>> docs["text"].tolist()[1]
    'Menu\\nSecond story.'
    >>> removals.values.tolist()
    [['b', 19, 69, 'syndicated', 'a', 18, 68, 1.0]]
    """
    times: dict = {}
    job, p, ids, sizes, budget = _blocks_plan(ddf, text, id, config, options, memory, workdir, numba_threads,
                                              times)
    try:
        apply = blocks_graph.MODES[job.cfg.mode][1]
        with _timed(times, "slices"):
            slices = list(blocks_graph.cuts(p, ids, sizes, apply))
            docs, removals = blocks_graph.cut_frames(job, ddf._meta, slices)
        info = dict(documents=int(sizes.sum()), partitions=len(job.parts), blocks=int(p.bptr[-1]),
                    removals=int(p.removed.shape[0]), spilled=budget.spilled, disk=budget.disk_bytes(),
                    slices=sum(c.nbytes for c in slices), times=times)
        del slices
    finally:
        del p
        budget.close()
    out = CollapsedFrames(docs, removals)
    return (out, info) if return_info else out


def blocks(ddf, text: str = "text", id: str | None = "id", *, config: CollapseConfig | None = None, memory=None,
           workdir=None, numba_threads: int | None = 1, **options):
    """Every block of a Dask DataFrame that occurs more than once, with all its occurrences, as ``dedup.blocks``.

    Takes the options of ``collapse`` (``mode`` and ``remove`` do not
    apply); the groups are made on the client from the features gathered
    there, and the text of each group's first copy is read from its
    partition.

    Returns
    -------
    list of BlockGroup, ordered by first occurrence: equal to
    ``dedup.blocks(ddf.compute(), text=text, id=id, ...)``.

    Examples
    --------
    >>> import pandas as pd, dask.dataframe as dd
    >>> import dedup.dask
    >>> df = pd.DataFrame({"id": ["a", "b"], "text": ["Menu\\nHello there.", "MENU\\nBye now."]})
    >>> g = dedup.dask.blocks(dd.from_pandas(df, npartitions=2))
    >>> [(x.kind, x.text, x.occurrences, x.n_docs) for x in g]
    [('syndicated', 'Menu', (Span(id='a', start=0, end=4), Span(id='b', start=0, end=4)), 2)]
    """
    job, p, ids, sizes, budget = _blocks_plan(ddf, text, id, config, options, memory, workdir, numba_threads, {})
    try:
        return blocks_graph.groups(job, p, sizes)
    finally:
        del p
        budget.close()
