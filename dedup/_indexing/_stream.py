"""The pipeline within a memory budget: featurize a stream of documents, then build, out of core.

``featurize_chunks`` runs ``_pipeline.featurize`` chunk by chunk and appends
each chunk's arrays to ``_spill`` spools, so no text outlives its chunk and
the arrays stay in RAM only while they fit the budget. ``build`` runs
``_pipeline.build``'s steps, with the sorted bands on disk once the budget
has spilled.
"""

from __future__ import annotations

import queue
import threading

import numba
import numpy as np

from .._core import _pool, _spill
from .._text import _utf8
from .._core._config import Config
from . import _pipeline
from ._pipeline import Buckets, Features, featurize, lsh_shape


def estimate_bytes(n: int, chars: int, config: Config) -> int:
    """RAM the features of ``n`` texts of ``chars`` characters take at most (``featurize``'s own sizing).

    Shingles: the buffer ``featurize`` allocates (8 bytes per 4 characters in
    word mode, per character in char mode); per document 8 bytes per band
    key, plus offsets, digest, length, priority and exact group (40 bytes).
    """
    bands, _ = lsh_shape(config)
    per_char = 8 if config.shingle == "char" else 2
    return chars * per_char + n * (8 * bands + 48) + 8192


class prefetch:
    """Iterate ``it`` one item ahead, on a background thread: ``for x in prefetch(it)``.

    Reading a stream (parsing JSON, decoding files, a caller's generator) is
    Python work that holds the GIL; the kernels that featurize a chunk
    release it (``nogil``). With the next chunk read while this one is
    featurized, the two overlap instead of taking turns. Items come in
    order, so the result is the same; an exception of ``it`` is raised here,
    at its place in the order. At most ``depth`` items wait in the queue
    (one chunk, 16M characters: the memory of one more chunk). ``close``
    (or leaving the loop early) stops the thread after its current item.
    """

    _END = object()

    def __init__(self, it, depth: int = 1):
        self._q: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(iter(it),), name="near-dups-read", daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, it) -> None:
        try:
            for x in it:
                if not self._put((x, None)):
                    return
        except BaseException as e:  # noqa: BLE001 - handed to the consumer, raised there
            self._put((None, e))
            return
        self._put((self._END, None))

    def __iter__(self):
        try:
            while True:
                x, err = self._q.get()
                if err is not None:
                    raise err
                if x is self._END:
                    return
                yield x
        finally:
            self.close()

    def close(self) -> None:
        self._stop.set()
        while True:  # free a producer blocked on a full queue
            try:
                self._q.get_nowait()
            except queue.Empty:
                break
        if self._thread is not threading.current_thread():
            self._thread.join()


def featurize_chunks(chunks, config: Config, budget, on_chunk=None):
    """``featurize`` of a stream of ``(ids, texts)`` chunks, kept within ``budget`` (``_spill.Budget``).

    Each chunk is featurized and appended to spools (``spool_features``); its
    texts are not kept. Returns ``(ids, lengths, features)``; the arrays are in
    RAM while they fit the budget, else memory-mapped ``.npy`` files in its
    work directory. ``on_chunk(docs, chars)`` is called after each chunk
    (progress).
    """
    ids: list = []
    positions = True  # plain strings: ids are positions, kept as one range, not n ints
    n_docs = 0

    def parts():
        nonlocal ids, positions, n_docs
        for chunk_ids, texts in chunks:
            n = _utf8.lengths(texts)
            f = featurize(texts, config, n)
            yield f, n
            positions = positions and isinstance(chunk_ids, range) and chunk_ids.start == n_docs
            if not positions:
                if not ids and n_docs:
                    ids = list(range(n_docs))
                ids += chunk_ids
            n_docs += len(texts)
            if on_chunk is not None:
                on_chunk(len(texts), int(n.sum()))

    lengths, features = spool_features(parts(), config, budget)
    # Chunk after chunk reused the same kept blocks (``_pool``); the later
    # stages of a run within a memory budget do not hold them idle.
    _pool.release_memory()
    return (range(n_docs) if positions else ids), lengths, features


def spool_features(parts, config: Config, budget):
    """Concatenate ``(Features, lengths)`` chunks within ``budget``: ``(lengths, features)``.

    Appended to spools (``_spill.Spool``), so they stay in RAM while they fit
    the budget and go to ``.npy`` files in its work directory past it, the
    band keys one (bands, n) file written band by band.
    """
    bands, _ = lsh_shape(config)
    ends = _spill.Spool(budget, "indptr", np.int64)
    values = _spill.Spool(budget, "values", np.uint64)
    digests = _spill.Spool(budget, "digests", np.uint64)
    nbytes = _spill.Spool(budget, "nbytes", np.int64)
    lengths = _spill.Spool(budget, "lengths", np.int64)
    keys = [_spill.Spool(budget, f"keys-{b}", np.uint64) for b in range(bands)]
    n_docs = 0
    used = 0
    for f, n in parts:
        ends.append(np.asarray(f.indptr[1:]) - f.indptr[0] + used)
        used += f.values.shape[0]
        values.append(f.values)
        digests.append(f.digests)
        nbytes.append(f.nbytes)
        lengths.append(n)
        for b in range(bands):
            keys[b].append(f.keys[b])
        n_docs += n.shape[0]
    indptr = np.concatenate([np.zeros(1, np.int64), ends.finish()])
    key_array = budget.stack("keys", keys, n_docs, np.uint64)  # on disk: one (bands, n) file, written band by band
    return lengths.finish(), Features(indptr, values.finish(), digests.finish(), nbytes.finish(), key_array)


def build(f: Features, config: Config, budget):
    """``_pipeline.build`` within ``budget`` (``_spill.Budget``): in RAM, or, once it has spilled, with the
    sorted bands written to memory-mapped files in its work directory (``bucket_on_disk``)."""
    if not budget.spilled:
        return _pipeline.build(f, config)
    g = _pipeline.exact(f.indptr, f.values, f.digests, f.nbytes)
    budget.unmap()
    b = bucket_on_disk(f.keys, g.reps, budget)
    budget.unmap()
    p = _pipeline.link_buckets(b, g, f, config.threshold)
    budget.unmap()
    return g, b, p


def bucket_on_disk(keys: np.ndarray, select: np.ndarray, budget) -> Buckets:
    """``_pipeline.bucket`` into ``.npy`` files of ``budget``'s work directory, a band per thread at a time,
    each band's pages (and its keys') dropped after; the buckets come back memory-mapped."""
    shape = (keys.shape[0], select.shape[0])
    names = ("order", "sorted_keys")
    out = [np.lib.format.open_memmap(budget.file(name), mode="w+", dtype=dt, shape=shape)
           for name, dt in zip(names, (np.int64, np.uint64))]
    step = max(1, numba.get_num_threads())
    for lo in range(0, shape[0], step):
        hi = min(shape[0], lo + step)
        _pipeline.bucket(keys[lo:hi], select, (out[0][lo:hi], out[1][lo:hi]))
        for arr in out:
            arr.flush()
        for arr in (*out, keys):
            _spill.advise(arr, "done")
    del out
    return Buckets(*(budget.map(name) for name in names))
