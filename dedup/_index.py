"""The document-level API: ``dedup.index(docs)`` and the ``Index`` it returns.

Data flows one way, one stage per module, every stage a function over arrays:

    texts --_normalize.encode_batch--> UTF-8 buffer + offsets
          --_shingle.shingle_segments--> CSR (indptr, sorted unique uint64)
          --_exact.exact_groups-------> representative of each exact-duplicate group
          --_lsh.signature_keys-------> (bands, n) uint64 band keys of MinHash signatures
          --_lsh.sort_bands / candidate_pairs--> candidate pairs
          --_jaccard.jaccard_pairs-----> verified pairs with exact scores
          --_cluster.components/keepers--> clusters and who is kept
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterable, Mapping, Sequence

import numba
import numpy as np

from . import _cluster, _exact, _jaccard, _lsh, _minhash, _normalize, _shingle
from ._config import SHINGLE_MODES, Config, check_threshold
from ._docs import as_documents

#: Characters of text shingled per kernel call. The shingling scratch space is
#: at most 8 bytes per input byte, so this bounds it near 8 * 16 MiB = 128 MiB
#: (more for text outside ASCII, which takes 2-4 bytes per character).
BATCH_CHARS = 1 << 24

KEEP_POLICIES = ("first", "longest")

#: Below this many texts a call runs its kernels on the calling thread: waking
#: numba's thread pool costs more than the work (a one-text query took 0.9 ms
#: on one thread, 110 ms on two on a loaded machine).
SERIAL_BELOW = 64


@contextlib.contextmanager
def _threads_for(n_items: int):
    """Run the enclosed kernels on one thread when the input is small.

    numba's thread count is per calling thread, so this does not affect
    other threads of the process.
    """
    if n_items >= SERIAL_BELOW:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _batches(lengths: np.ndarray, limit: int):
    """Consecutive ``(start, stop)`` ranges whose total length is about ``limit``."""
    n = lengths.shape[0]
    ends = np.cumsum(lengths)
    start = 0
    while start < n:
        base = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, base + limit, side="right"))
        stop = max(stop, start + 1)
        yield start, stop
        start = stop


def shingle_texts(texts: Sequence[str], config: Config):
    """Shingles, exact-text digests and signatures' band keys of ``texts``.

    The per-partition stage of the pipeline (a Dask partition can run it).

    Returns
    -------
    indptr : int64 (n + 1,); values : uint64, sorted unique per row.
    digests : uint64 (n,), xxh3 of each normalized text.
    nbytes : int64 (n,), normalized UTF-8 length of each text.
    keys : uint64 (bands, n), LSH band keys.
    """
    bands, rows = lsh_shape(config)
    mode = SHINGLE_MODES[config.shingle]
    classes = _normalize.char_classes()
    a, b = _minhash.permutations(config.num_perm, config.seed)
    a, b = a[: bands * rows], b[: bands * rows]
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    digests = np.empty(n, dtype=np.uint64)
    nbytes = np.empty(n, dtype=np.int64)
    keys = np.empty((bands, n), dtype=np.uint64)
    # Shingles of every batch go straight into one array. It is sized by a
    # generous estimate (a word-mode shingle per 4 characters): pages of a
    # large np.empty that are never written cost no resident memory, and the
    # rare corpus that outgrows it doubles it. Gathering batches and
    # concatenating them held every shingle twice (10 GiB at 1M documents).
    values = np.empty(int(lengths.sum()) // (1 if mode == _shingle.CHARS else 4) + n + 1024, dtype=np.uint64)
    used = 0
    scratch = None
    for start, stop in _batches(lengths, BATCH_CHARS):
        buf, offs = _normalize.encode_batch(texts[start:stop])
        need = int(_shingle._bound(np.diff(offs), mode).sum())
        if scratch is None or scratch.shape[0] < need:
            scratch = np.empty(need, dtype=np.uint64)
        ptr, batch = _shingle.shingle_segments(buf, offs[:-1], offs[1:], config.ngram, mode, classes,
                                               scratch, values[used:])
        k = batch.shape[0]
        if not np.may_share_memory(batch, values):  # did not fit: grow, then copy the batch in
            grown = np.empty(max(2 * values.shape[0], used + k), dtype=np.uint64)
            grown[:used] = values[:used]
            values = grown
            values[used : used + k] = batch
            batch = values[used : used + k]
        indptr[start + 1 : stop + 1] = ptr[1:] + used
        used += k
        keys[:, start:stop] = _lsh.signature_keys(ptr, batch, np.arange(stop - start), a, b, bands, rows)
        digests[start:stop] = _exact.digests(buf, offs)
        nbytes[start:stop] = np.diff(offs)
    return indptr, values[:used], digests, nbytes, keys


def lsh_shape(config: Config) -> tuple[int, int]:
    """``(bands, rows)`` of ``config``: given, or chosen from its threshold."""
    if config.bands is not None:
        return config.bands, config.rows
    return _lsh.choose_bands(config.threshold, config.num_perm, config.min_prob)


def shingles(text: str, *, ngram: int = 5, shingle: str = "word") -> np.ndarray:
    """The shingle set of one text: exactly what the index compares.

    Parameters
    ----------
    text : str
    ngram : int >= 1, units per shingle.
    shingle : {"word", "char"}

    Returns
    -------
    numpy.ndarray of uint64, sorted and unique. Empty for a text with no
    letters or digits.

    Examples
    --------
    >>> import dedup
    >>> len(dedup.shingles("The cat sat on the mat.", ngram=2))
    5
    >>> bool((dedup.shingles("THE  cat!") == dedup.shingles("the cat")).all())
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    config = Config(ngram=ngram, shingle=shingle)
    with _threads_for(1):
        buf, offs = _normalize.encode_batch([text])
        _, values = _shingle.shingle_segments(
            buf, offs[:-1], offs[1:], config.ngram, SHINGLE_MODES[config.shingle], _normalize.char_classes()
        )
    return values


def _priority(keep, ids: list, lengths: np.ndarray) -> np.ndarray:
    n = len(ids)
    if isinstance(keep, str):
        if keep == "first":
            return np.zeros(n, dtype=np.float64)
        if keep == "longest":
            return lengths.astype(np.float64)
        raise ValueError(f"keep must be one of {KEEP_POLICIES} or per-document priorities, got {keep!r}")
    if isinstance(keep, Mapping):
        try:
            keep = [keep[i] for i in ids]
        except KeyError as e:
            raise ValueError(f"keep: no priority for document id {e.args[0]!r}") from None
    try:
        prio = np.asarray(keep, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("keep priorities must be numbers") from None
    if prio.shape != (n,):
        raise ValueError(f"keep: expected {n} priorities (one per document), got shape {prio.shape}")
    if np.isnan(prio).any():
        raise ValueError("keep: priorities must not be NaN")
    return prio


def index(docs, *, threshold: float = 0.8, ngram: int = 5, shingle: str = "word", num_perm: int = 128,
          seed: int = 0, bands: int | None = None, rows: int | None = None, min_prob: float = 0.99,
          keep="first") -> "Index":
    """Index documents and find every near-duplicate pair, verified exactly.

    Parameters
    ----------
    docs : iterable of str, iterable of (id, text), or mapping id -> text
        With plain strings, ids are positions 0, 1, ...
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
    keep : "first", "longest", or priorities
        Which member of a cluster ``duplicates()`` keeps: the first in input
        order, the longest text (ties: first), or the highest priority given
        as a sequence aligned with ``docs`` or a mapping id -> number.

    Returns
    -------
    Index

    Notes
    -----
    A document with no letters or digits has no shingles; it is never a
    near-duplicate of anything, not even of another empty document.

    Examples
    --------
    >>> import dedup
    >>> idx = dedup.index(["a b c d e f g", "a b c d e f g h", "x y z"], threshold=0.5, ngram=2)
    >>> idx.pairs()
    [(0, 1, 0.8571428571428571)]
    >>> idx.duplicates()
    [1]
    """
    config = Config(threshold=threshold, ngram=ngram, shingle=shingle, num_perm=num_perm, seed=seed,
                    bands=bands, rows=rows, min_prob=min_prob)
    ids, texts = as_documents(docs)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    policy = keep if isinstance(keep, str) else "priority"
    priority = _priority(keep, ids, lengths)
    _check_size(len(ids))
    indptr, values, digests, nbytes, keys = shingle_texts(texts, config)
    base = dict(lengths=lengths, priority=priority, indptr=indptr, values=values, digests=digests,
                nbytes=nbytes, keys=keys)
    return Index._from_arrays(config, ids, policy, base)


def _check_size(n: int) -> None:
    if n >= 2**32:
        raise ValueError(f"at most 2**32 - 1 documents per index, got {n}")


#: Per-document arrays an index is made of; everything else derives from them.
BASE_ARRAYS = ("lengths", "priority", "indptr", "values", "digests", "nbytes", "keys")
#: Arrays derived from the base ones, saved so that a loaded index needs no work.
DERIVED_ARRAYS = ("rep", "reps", "order", "sorted_keys", "pair_i", "pair_j", "pair_s")


def derive(base: dict, config: Config) -> dict:
    """Exact groups, sorted LSH bands and verified representative pairs of ``base``."""
    indptr, values = base["indptr"], base["values"]
    n = indptr.shape[0] - 1
    rep = _exact.exact_groups(base["digests"], base["nbytes"], indptr, values)
    reps = np.flatnonzero(rep == np.arange(n))
    order, sorted_keys = _lsh.sort_bands(base["keys"][:, reps])
    ci, cj = _lsh.candidate_pairs(order, sorted_keys, reps)
    scores = _jaccard.jaccard_pairs(indptr, values, ci, cj, config.threshold)
    ok = scores >= config.threshold
    return dict(rep=rep, reps=reps, order=order, sorted_keys=sorted_keys,
                pair_i=ci[ok], pair_j=cj[ok], pair_s=scores[ok])


def _concat_csr(indptr_a, values_a, indptr_b, values_b):
    indptr = np.concatenate([indptr_a, indptr_b[1:] + indptr_a[-1]])
    return indptr, np.concatenate([values_a, values_b])


class Index:
    """Near-duplicate index over a set of documents. Build with ``dedup.index``,
    open a saved one with ``dedup.load``.

    Attributes
    ----------
    config : Config
    ids : list, document ids in input order.
    bands, rows : int, the LSH banding in use.
    """

    def __init__(self):
        raise TypeError("build an Index with dedup.index(docs), or open one with dedup.load(path)")

    @classmethod
    def _from_arrays(cls, config, ids, policy, base, derived=None):
        self = object.__new__(cls)
        self.config = config
        self.ids = ids
        self._policy = policy
        self._a = dict(base)
        self._a.update(derive(base, config) if derived is None else derived)
        self.bands, self.rows = lsh_shape(config)
        self._pairs = None
        self._labels = None
        self._positions = None
        return self

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (f"<dedup.Index: {len(self)} documents, {self._a['pair_i'].shape[0]} verified pairs "
                f"among {self._a['reps'].shape[0]} distinct texts; {self.config}>")

    def _changed(self):
        self._pairs = self._labels = self._positions = None

    def _check_config(self, options: dict) -> None:
        """Refuse options that differ from how the index was built."""
        for name, value in options.items():
            if name not in ("ngram", "shingle", "num_perm", "seed", "threshold", "bands", "rows", "min_prob"):
                raise TypeError(f"unexpected option {name!r}")
            have = getattr(self.config, name)
            if value != have:
                raise ValueError(
                    f"this index was built with {name}={have!r}, got {name}={value!r}: shingles and "
                    "signatures made with other settings cannot be compared; build a new index instead"
                )

    # ----------------------------------------------------------------- arrays
    def pair_arrays(self):
        """Every verified pair as arrays of document positions.

        Returns
        -------
        i, j : int64 arrays, ``i < j`` (input order), sorted by (i, j).
        score : float64 array, the exact Jaccard of each pair (>= threshold).
        """
        if self._pairs is None:
            a = self._a
            self._pairs = _exact.expand_pairs(a["rep"], a["pair_i"], a["pair_j"], a["pair_s"])
        return self._pairs

    def shingle_arrays(self):
        """Every document's shingle set as CSR: ``(indptr, values)``.

        Row ``k`` is ``values[indptr[k]:indptr[k+1]]``, sorted unique uint64,
        equal to ``dedup.shingles(text_k, ...)`` with the index's settings.
        """
        return self._a["indptr"], self._a["values"]

    def labels(self) -> np.ndarray:
        """Cluster label of every document: the position of its cluster's first member.

        A document with no near-duplicate is labelled with its own position.
        """
        if self._labels is None:
            a = self._a
            rep = a["rep"]
            members = np.flatnonzero(rep >= 0)
            i = np.concatenate([a["pair_i"], rep[members]])
            j = np.concatenate([a["pair_j"], members])
            self._labels = _cluster.components(len(self.ids), i, j)
        return self._labels

    def keep_mask(self, keep=None) -> np.ndarray:
        """Boolean array, True for documents kept under the keep policy."""
        labels = self.labels()
        prio = self._a["priority"] if keep is None else _priority(keep, self.ids, self._a["lengths"])
        kept = _cluster.keepers(labels, prio)
        return kept[labels] == np.arange(labels.shape[0])

    # ------------------------------------------------------------ Python API
    def pairs(self) -> list[tuple]:
        """Every near-duplicate pair, verified: ``[(id_a, id_b, jaccard), ...]``.

        ``id_a`` comes before ``id_b`` in input order; sorted by their positions.
        """
        i, j, s = self.pair_arrays()
        ids = self.ids
        return [(ids[a], ids[b], c) for a, b, c in zip(i.tolist(), j.tolist(), s.tolist())]

    def clusters(self) -> list[list]:
        """Groups of two or more near-duplicates, members in input order.

        Clusters are connected components of the verified pairs (a chain
        a~b~c is one cluster even if a and c are not similar themselves),
        ordered by their first member.
        """
        labels = self.labels()
        order = np.argsort(labels, kind="stable")
        bounds = np.flatnonzero(np.diff(labels[order])) + 1
        groups = np.split(order, bounds)
        ids = self.ids
        return [[ids[x] for x in g.tolist()] for g in groups if g.shape[0] > 1]

    def duplicates(self, keep=None) -> list:
        """Ids to drop: every cluster member but the one kept, in input order.

        Parameters
        ----------
        keep : optional, overrides the policy given to ``dedup.index``.
        """
        ids = self.ids
        return [ids[x] for x in np.flatnonzero(~self.keep_mask(keep)).tolist()]

    def s_curve(self, similarity):
        """Probability that a pair of this Jaccard similarity becomes an LSH candidate."""
        return _lsh.s_curve(similarity, self.bands, self.rows)

    # ---------------------------------------------------------------- queries
    def _query_threshold(self, threshold):
        t = self.config.threshold if threshold is None else check_threshold(threshold)
        if t < self.config.threshold:
            warnings.warn(
                f"query threshold {t} is below the index threshold {self.config.threshold}: "
                "pairs below the index threshold are found only with the probability s_curve() gives",
                stacklevel=3,
            )
        return t

    def _match(self, indptr, values, keys, threshold):
        """Verified matches of query rows against indexed representatives.

        Returns (query row, document position, score) arrays, expanded to every
        member of matched exact-duplicate groups.
        """
        a = self._a
        qptr, cols = _lsh.lookup_many(a["sorted_keys"], a["order"], keys)
        qi = np.repeat(np.arange(qptr.shape[0] - 1), np.diff(qptr))
        docs = a["reps"][cols]
        scores = _jaccard.jaccard_cross(indptr, values, qi, a["indptr"], a["values"], docs, threshold)
        ok = scores >= threshold
        qi, docs, scores = qi[ok], docs[ok], scores[ok]
        start, members = _exact.group_members(a["rep"])
        counts = start[docs + 1] - start[docs]
        pos = _exact.gather_members(start, members, docs)
        return np.repeat(qi, counts), pos, np.repeat(scores, counts)

    def query(self, text: str, threshold: float | None = None, **config) -> list[tuple]:
        """Indexed documents near a new text: ``[(id, jaccard), ...]``, best first.

        Scores are exact. Candidates come from the LSH tuned for the index's
        threshold; with a lower ``threshold`` a pair below the index's
        threshold is found with the probability ``s_curve`` gives. Options of
        the index's ``Config`` may be passed to assert them (a mismatch raises).
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return self.query_many([text], threshold, **config)[0]

    def query_many(self, docs, threshold: float | None = None, **config) -> list[list[tuple]]:
        """``query`` for many texts at once (one kernel pass): a list per text."""
        self._check_config(config)
        t = self._query_threshold(threshold)
        _, texts = as_documents(docs)
        with _threads_for(len(texts)):
            indptr, values, _, _, keys = shingle_texts(texts, self.config)
            qi, pos, sc = self._match(indptr, values, keys, t)
        order = np.lexsort((pos, -sc, qi))
        out: list[list[tuple]] = [[] for _ in texts]
        ids = self.ids
        for q, p, s in zip(qi[order].tolist(), pos[order].tolist(), sc[order].tolist()):
            out[q].append((ids[p], s))
        return out

    # ---------------------------------------------------------------- updates
    def _new_ids(self, docs):
        """(ids, texts) of documents to add; plain strings continue the positions."""
        if not isinstance(docs, (Mapping, str, bytes, bytearray)) and isinstance(docs, Iterable):
            docs = list(docs)
        ids, texts = as_documents(docs)
        if docs and isinstance(docs, list) and isinstance(docs[0], str):
            ids = [len(self.ids) + k for k in ids]
        known = self._position_of()
        for doc_id in ids:
            if doc_id in known:
                raise ValueError(f"document id {doc_id!r} is already in the index")
        return ids, texts

    def _position_of(self) -> dict:
        if self._positions is None:
            self._positions = {doc_id: k for k, doc_id in enumerate(self.ids)}
        return self._positions

    def add(self, docs, *, priority=None, **config) -> "Index":
        """Add documents; ``pairs()`` and ``clusters()`` then cover old and new.

        The result equals one ``dedup.index`` over all the documents in order:
        old documents are not shingled again, old verified pairs stay, and only
        pairs with a new document are looked up and verified.

        Parameters
        ----------
        docs : as for ``dedup.index``; plain strings get the next positions as ids.
        priority : numbers, one per new document; required when the index was
            built with per-document priorities as its keep policy.

        Returns ``self``.
        """
        self._check_config(config)
        ids, texts = self._new_ids(docs)
        if not ids:
            return self
        _check_size(len(self.ids) + len(ids))
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        if self._policy == "priority":
            if priority is None:
                raise ValueError("this index keeps by per-document priority: pass priority=[...] for the new documents")
            prio = _priority(list(priority), ids, lengths)
        else:
            if priority is not None:
                raise ValueError(f"this index keeps {self._policy!r}: priority= does not apply")
            prio = _priority(self._policy, ids, lengths)
        indptr, values, digests, nbytes, keys = shingle_texts(texts, self.config)
        a = self._a
        base = {k: a[k] for k in BASE_ARRAYS}
        n_old = len(self.ids)
        base["indptr"], base["values"] = _concat_csr(a["indptr"], a["values"], indptr, values)
        base["lengths"] = np.concatenate([a["lengths"], lengths])
        base["priority"] = np.concatenate([a["priority"], prio])
        base["digests"] = np.concatenate([a["digests"], digests])
        base["nbytes"] = np.concatenate([a["nbytes"], nbytes])
        base["keys"] = np.concatenate([a["keys"], keys], axis=1)
        derived = self._extend(base, n_old)
        self.ids = list(self.ids) + ids
        self._a = {**base, **derived}
        self._changed()
        return self

    def _extend(self, base, n_old):
        """Derived arrays after appending documents ``n_old:`` (equal to ``derive(base)``)."""
        a = self._a
        n = base["indptr"].shape[0] - 1
        rep = _exact.exact_groups(base["digests"], base["nbytes"], base["indptr"], base["values"])
        # Old representatives stay representatives (they come first); their
        # pairs among themselves were verified already.
        new_reps = np.flatnonzero(rep[n_old:] == np.arange(n_old, n)) + n_old
        reps = np.concatenate([a["reps"], new_reps])
        order, sorted_keys = _lsh.merge_bands(a["order"], a["sorted_keys"], base["keys"][:, new_reps])
        # Pairs with a new representative: look its keys up among all.
        qptr, cols = _lsh.lookup_many(sorted_keys, order, base["keys"][:, new_reps])
        qi = np.repeat(new_reps, np.diff(qptr))
        other = reps[cols]
        keep = other != qi
        i, j = np.minimum(qi, other)[keep], np.maximum(qi, other)[keep]
        packed = _lsh.unique((i.astype(np.uint64) << np.uint64(32)) | j.astype(np.uint64))
        ci = (packed >> np.uint64(32)).astype(np.int64)
        cj = (packed & np.uint64(0xFFFFFFFF)).astype(np.int64)
        scores = _jaccard.jaccard_pairs(base["indptr"], base["values"], ci, cj, self.config.threshold)
        ok = scores >= self.config.threshold
        pi = np.concatenate([a["pair_i"], ci[ok]])
        pj = np.concatenate([a["pair_j"], cj[ok]])
        ps = np.concatenate([a["pair_s"], scores[ok]])
        o = np.lexsort((pj, pi))
        return dict(rep=rep, reps=reps, order=order, sorted_keys=sorted_keys,
                    pair_i=pi[o], pair_j=pj[o], pair_s=ps[o])

    def save(self, path):
        """Save to the directory ``path``, atomically (see ``dedup.load``).

        Ids must all be str or all be int. Returns the directory's path.
        """
        from ._store import save

        return save(self, path)

    def remove(self, ids) -> "Index":
        """Remove documents by id; the result equals an index built without them.

        Returns ``self``. Raises ``KeyError`` naming an id that is not indexed.
        """
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
            ids = [ids]
        where = self._position_of()
        drop = np.zeros(len(self.ids), dtype=bool)
        for doc_id in ids:
            if doc_id not in where:
                raise KeyError(f"document id {doc_id!r} is not in the index")
            drop[where[doc_id]] = True
        if not drop.any():
            return self
        keep = np.flatnonzero(~drop)
        a = self._a
        sizes = np.diff(a["indptr"])
        indptr = np.zeros(keep.shape[0] + 1, dtype=np.int64)
        np.cumsum(sizes[keep], out=indptr[1:])
        rows = np.repeat(~drop, sizes)
        base = dict(lengths=a["lengths"][keep], priority=a["priority"][keep], indptr=indptr,
                    values=a["values"][rows], digests=a["digests"][keep], nbytes=a["nbytes"][keep],
                    keys=a["keys"][:, keep])
        self.ids = [self.ids[k] for k in keep.tolist()]
        self._a = {**base, **derive(base, self.config)}
        self._changed()
        return self

    def _held(self, ids, new, indexed, batch, renamed):
        """``(id, matched id, jaccard, indexed)`` of each document ``filter_new`` held back (``~new``)."""
        qi, qpos, qsc = indexed
        bi, bj, bs = batch
        by_earlier = new[bi] & ~new[bj]  # pairs with an earlier document that was let through
        q = np.concatenate([qi, bj[by_earlier]])
        other = np.concatenate([qpos, bi[by_earlier]])
        score = np.concatenate([qsc, bs[by_earlier]])
        from_batch = np.concatenate([np.zeros(qi.shape[0], bool), np.ones(int(by_earlier.sum()), bool)])
        order = np.lexsort((other, from_batch, -score, q))  # per held document: best score, indexed first
        q, other, score, from_batch = q[order], other[order], score[order], from_batch[order]
        first = np.flatnonzero(np.r_[True, q[1:] != q[:-1]]) if q.shape[0] else q
        out = []
        for k, o, s, b in zip(q[first].tolist(), other[first].tolist(), score[first].tolist(),
                              from_batch[first].tolist()):
            if new[k]:
                continue
            matched = (renamed[o] if renamed else ids[o]) if b else self.ids[o]
            out.append((ids[k], matched, s, not b))
        return out

    def filter_new(self, docs, *, add: bool = True, threshold: float | None = None, held: list | None = None):
        """Yield the ``(id, text)`` of documents that duplicate nothing indexed.

        Documents are judged in order, as if added one at a time: one that
        duplicates an indexed document, or an earlier document of ``docs``
        that was let through, is held back. With ``add=True`` (default) the
        documents let through are added to the index.

        ``held``, a list, receives ``(id, matched id, jaccard, indexed)`` for
        every document held back, in input order: its best match (highest
        score; an indexed document before an earlier one of ``docs``, then
        the first), and whether that match is indexed or was let through
        earlier in ``docs``.
        """
        t = self._query_threshold(threshold)
        if not isinstance(docs, (Mapping, str, bytes, bytearray)) and isinstance(docs, Iterable):
            docs = list(docs)
        plain = isinstance(docs, list) and bool(docs) and isinstance(docs[0], str)
        ids, texts = as_documents(docs) if (plain or not add) else self._new_ids(docs)
        if not ids:
            return iter(())
        indptr, values, digests, nbytes, keys = shingle_texts(texts, self.config)
        qi, qpos, qsc = self._match(indptr, values, keys, t)
        seen = np.zeros(len(ids), dtype=bool)
        seen[qi] = True
        # Pairs inside the batch, by the same LSH + exact check.
        rep = _exact.exact_groups(digests, nbytes, indptr, values)
        reps = np.flatnonzero(rep == np.arange(len(ids)))
        ci, cj = _lsh.bucket_pairs(keys[:, reps], reps)
        sc = _jaccard.jaccard_pairs(indptr, values, ci, cj, t)
        ok = sc >= t
        bi, bj, bs = _exact.expand_pairs(rep, ci[ok], cj[ok], sc[ok])
        new = _exact.first_unmatched(seen, bi, bj)
        chosen = np.flatnonzero(new).tolist()
        out = [(ids[k], texts[k]) for k in chosen]
        renamed = None
        if plain and add:  # plain strings take the next positions of the index, as add() gives them
            renamed = {k: len(self.ids) + r for r, k in enumerate(chosen)}
            out = [(renamed[k], text) for k, (_, text) in zip(chosen, out)]
        if held is not None:
            held.extend(self._held(ids, new, (qi, qpos, qsc), (bi, bj, bs), renamed))
        if add and out:
            self.add(out, priority=None if self._policy != "priority" else [0.0] * len(out))
        return iter(out)
