"""Building an index: ``dedup.index(docs)`` from documents, ``dedup.load(path)`` from disk.

``index`` validates the options, reads the documents (in chunks, within a
memory budget, when they come as a stream or outgrow it), runs the pipeline's
steps and hands their records to ``Index``.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence


from .._text import _frames, _utf8
from . import _pipeline, _stream
from .._core import _spill
from .._storage import _store
from .._core._config import Config, resolve
from .._text._documents import as_documents, iter_documents
from ._changes import _check_size
from ._index import Index
from .._verify._keep import priorities as _priority
from .._core._options import KEEP as KEEP_POLICIES
from .._core._stats import Stats


def index(docs, *, config: Config | None = None, threshold: float | None = None, ngram: int | None = None,
          shingle: str | None = None, num_perm: int | None = None, seed: int | None = None,
          bands: int | None = None, rows: int | None = None, min_prob: float | None = None,
          sketch: str | None = None, keep="first", memory=None, workdir=None, keep_workdir: bool = False,
          progress: bool = False, text: str | None = None, id: str | None = None) -> "Index":
    """Index documents and find every near-duplicate pair, verified exactly.

    Parameters
    ----------
    docs : iterable of str, iterable of (id, text), mapping id -> text, or a data frame
        With plain strings, ids are positions 0, 1, ... A data frame or
        column: a pandas or polars DataFrame or Series, a pyarrow Table,
        RecordBatch, Array or ChunkedArray, or a ``datasets.Dataset``. Its
        Arrow text buffer is read in place (no Python object per text).
        Ids come from the ``id`` column; for a pandas Series, or a pandas
        DataFrame without one, from its index; else positions. Results
        of an index built from a frame are frames (see ``Index.pairs``).
    config : Config, optional
        Every similarity option at once; options given beside it replace its fields.
    threshold : float in (0, 1], default 0.8
        Report pairs whose exact Jaccard similarity of shingle sets is >= this.
    ngram : int, default 5
        Words (or characters) per shingle.
    shingle : {"word", "char"}, default "word"
    num_perm : int, default 128
        MinHash permutations.
    seed : int, default 0
    bands, rows : int, optional
        LSH banding; by default chosen so a pair exactly at the threshold is
        a candidate with probability >= ``min_prob`` (see ``Index.s_curve``).
    min_prob : float, default 0.99
    sketch : {"oph", "minhash"}, default "oph"
        Signature family (see ``Config``).
    keep : "first", "longest", or priorities
        Which member of a cluster ``duplicates()`` keeps: the first in input
        order, the longest text (ties: first), or the highest priority given
        as a sequence aligned with ``docs``, a mapping id -> number, or (a
        data frame ``docs``) the name of a numeric column.
    memory : int or str, optional
        Budget for the index's arrays in RAM, such as ``"2GB"``; default half
        the RAM available. Within it everything stays in memory. Beyond it,
        shingle sets, digests, band keys and sorted bands go to ``.npy``
        files in a work directory and are used memory-mapped, with the same
        answers. ``docs`` may then be a generator: it is read in chunks and
        no text is kept.
    workdir : path, optional
        Where the work directory is made (default: the system's temporary
        folder). It is removed when the index is dropped, unless
        ``keep_workdir``; ``Index.save`` links its files rather than copying
        them when both are on one file system.
    progress : bool, default False
        Show a progress bar with rate, and a summary of the stages' times,
        peak memory and disk used (also in ``Index.stats``).
    text, id : str, optional
        The text and id columns of a data frame ``docs``, as in
        ``dedup.dask``. Default: ``"text"``, and ``"id"`` if the frame has
        such a column.

    Returns
    -------
    Index

    Notes
    -----
    A document with no letters or digits has no shingles: it pairs (at 1.0)
    only with documents of the same normalized text, and a blank document
    is never a near-duplicate of anything.

    Examples
    --------
    >>> import dedup
    >>> idx = dedup.index(["a b c d e f g", "a b c d e f g h", "x y z"], threshold=0.5, ngram=2)
    >>> idx.pairs()
    [(0, 1, 0.8571428571428571)]
    >>> idx.duplicates()
    [1]
    >>> cfg = dedup.Config(threshold=0.5, ngram=2)
    >>> dedup.index(["a b c d e f g", "a b c d e f g h"], config=cfg).pairs()
    [(0, 1, 0.8571428571428571)]
    """
    config = resolve(Config, config, dict(threshold=threshold, ngram=ngram, shingle=shingle, num_perm=num_perm,
                                      seed=seed, bands=bands, rows=rows, min_prob=min_prob, sketch=sketch))
    budget = _spill.Budget(_spill.parse_size(memory) if memory is not None else _spill.default_memory(),
                           workdir, keep=keep_workdir)
    stats = Stats(progress)
    frame = _frames.shape(docs)
    if frame is not None and isinstance(keep, str) and keep not in KEEP_POLICIES:
        keep = _frames.numbers(docs, keep, "keep")  # a priority column
    in_memory = (isinstance(docs, (Sequence, Mapping)) and not isinstance(docs, (str, bytes, bytearray))
                 or frame is not None)
    if in_memory:  # a collection the caller holds: featurize in one pass if its arrays fit the budget
        ids, texts = as_documents(docs, text=text, id=id, utf8=True)
        lengths = _utf8.lengths(texts)
        total = int(lengths.sum())
        in_memory = _stream.estimate_bytes(len(texts), total, config) <= budget.ram
        chunks = ((ids[a:b], texts[a:b]) for a, b in _spans(lengths.tolist(), _pipeline.BATCH_CHARS))
    else:
        total = None
        chunks = iter_documents(docs, _pipeline.BATCH_CHARS, text=text, id=id)
    try:
        with stats.stage("shingle + sketch", total=total) as bar:
            if in_memory:
                _check_size(len(ids))
                with _pipeline.threads_for(len(texts)):
                    features = _pipeline.featurize(texts, config, lengths)
                bar(len(texts), total)
            else:
                ids, lengths, features = _stream.featurize_chunks(_stream.prefetch(chunks), config, budget,
                                                                  on_chunk=bar)
                _check_size(len(ids))
        policy = keep if isinstance(keep, str) else "priority"
        priority = _priority(keep, ids, lengths)
        with stats.stage("exact groups, buckets, verify"), _pipeline.threads_for(len(ids)):
            built = _stream.build(features, config, budget)
    except BaseException:
        budget.close()
        raise
    idx = Index._from_parts(config, ids, policy, lengths, priority, features, *built)
    idx._frame = frame
    if budget.path is not None:
        idx._budget = budget
        weakref.finalize(idx, budget.close)
    idx.stats = stats.summary(disk=budget.disk_bytes(), spilled=budget.spilled, workdir=budget.path,
                              swept=[str(d) for d in budget.swept] or None)
    return idx


def _spans(lengths: list, limit: int):
    """``(start, stop)`` of consecutive items totalling about ``limit``."""
    start = size = 0
    for k, n in enumerate(lengths):
        size += n
        if size >= limit:
            yield start, k + 1
            start, size = k + 1, 0
    if start < len(lengths) or not lengths:
        yield start, len(lengths)


def load(path, *, verify: bool = True) -> Index:
    """Open an index saved with ``Index.save``; arrays are memory-mapped.

    Parameters
    ----------
    path : directory given to ``save``.
    verify : bool, default True
        Check every file's xxh3 checksum (reads each file once). With False,
        only sizes, dtypes, shapes and offsets are checked; use it for
        indexes you wrote yourself.

    Raises
    ------
    IndexFormatError (a ValueError) naming the file and the problem.
    """
    config, ids, policy, arrays = _store.read(path, verify=verify)
    return Index._from_arrays(config, ids, policy, arrays)
