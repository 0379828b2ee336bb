"""The document-level API: ``dedup.index(docs)`` and the ``Index`` it returns.

Data flows one way, one stage per module, every stage a function over arrays:

    texts --_normalize.encode_batch--> UTF-8 buffer + offsets
          --_shingle.shingle_segments--> CSR (indptr, sorted unique uint64)
          --_exact.exact_groups-------> representative of each exact-duplicate group
          --_minhash.signatures-------> (n, num_perm) uint64
          --_lsh.band_keys / sort_bands / candidate_pairs--> candidate pairs
          --_jaccard.jaccard_pairs-----> verified pairs with exact scores
          --_cluster.components/keepers--> clusters and who is kept
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

from . import _cluster, _exact, _jaccard, _lsh, _minhash, _normalize, _shingle
from ._config import SHINGLE_MODES, Config, check_threshold
from ._docs import as_documents

#: Characters of text shingled per kernel call. The shingling scratch space is
#: 8 bytes per input byte, so this bounds it near 8 * 16 MiB = 128 MiB.
BATCH_CHARS = 1 << 24

KEEP_POLICIES = ("first", "longest")


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
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    parts = []
    for start, stop in _batches(lengths, BATCH_CHARS):
        buf, offs = _normalize.encode_batch(texts[start:stop])
        indptr, values = _shingle.shingle_segments(buf, offs[:-1], offs[1:], config.ngram, mode, classes)
        sig = _minhash.signatures(indptr, values, a[: bands * rows], b[: bands * rows])
        parts.append((indptr, values, _exact.digests(buf, offs), np.diff(offs), _lsh.band_keys(sig, bands, rows)))
    if not parts:
        return (np.zeros(1, np.int64), np.zeros(0, np.uint64), np.zeros(0, np.uint64),
                np.zeros(0, np.int64), np.zeros((bands, 0), np.uint64))
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.concatenate([np.diff(p[0]) for p in parts]), out=indptr[1:])
    values = np.concatenate([p[1] for p in parts])
    return (indptr, values, np.concatenate([p[2] for p in parts]),
            np.concatenate([p[3] for p in parts]), np.concatenate([p[4] for p in parts], axis=1))


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
    priority = _priority(keep, ids, lengths)
    if len(ids) >= 2**32:
        raise ValueError(f"at most 2**32 - 1 documents per index, got {len(ids)}")
    indptr, values, digests, nbytes, keys = shingle_texts(texts, config)
    return Index._build(config, ids, lengths, priority, indptr, values, digests, nbytes, keys)


class Index:
    """Near-duplicate index over a fixed set of documents. Build with ``dedup.index``.

    Attributes
    ----------
    config : Config
    ids : list, document ids in input order.
    bands, rows : int, the LSH banding in use.
    """

    def __init__(self):
        raise TypeError("build an Index with dedup.index(docs)")

    @classmethod
    def _build(cls, config, ids, lengths, priority, indptr, values, digests, nbytes, keys):
        self = object.__new__(cls)
        self.config = config
        self.ids = ids
        self.bands, self.rows = keys.shape[0], lsh_shape(config)[1]
        self._lengths = lengths
        self._priority = priority
        self._indptr = indptr
        self._values = values
        self._rep = _exact.exact_groups(digests, nbytes, indptr, values)
        self._reps = np.flatnonzero(self._rep == np.arange(len(ids)))
        self._order, self._sorted_keys = _lsh.sort_bands(keys[:, self._reps])
        ci, cj = _lsh.candidate_pairs(self._order, self._sorted_keys, self._reps)
        scores = _jaccard.jaccard_pairs(indptr, values, ci, cj, config.threshold)
        ok = scores >= config.threshold
        self._rep_pairs = (ci[ok], cj[ok], scores[ok])
        self.n_candidates = int(ci.shape[0])
        self._pairs = None
        self._labels = None
        return self

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (f"<dedup.Index: {len(self)} documents, {self._rep_pairs[0].shape[0]} verified pairs "
                f"among {self._reps.shape[0]} distinct texts; {self.config}>")

    # ----------------------------------------------------------------- arrays
    def pair_arrays(self):
        """Every verified pair as arrays of document positions.

        Returns
        -------
        i, j : int64 arrays, ``i < j`` (input order), sorted by (i, j).
        score : float64 array, the exact Jaccard of each pair (>= threshold).
        """
        if self._pairs is None:
            self._pairs = _exact.expand_pairs(self._rep, *self._rep_pairs)
        return self._pairs

    def labels(self) -> np.ndarray:
        """Cluster label of every document: the position of its cluster's first member.

        A document with no near-duplicate is labelled with its own position.
        """
        if self._labels is None:
            n = len(self.ids)
            members = np.flatnonzero(self._rep >= 0)
            ri, rj, _ = self._rep_pairs
            i = np.concatenate([ri, self._rep[members]])
            j = np.concatenate([rj, members])
            self._labels = _cluster.components(n, i, j)
        return self._labels

    def keep_mask(self, keep=None) -> np.ndarray:
        """Boolean array, True for documents kept under the keep policy."""
        labels = self.labels()
        prio = self._priority if keep is None else _priority(keep, self.ids, self._lengths)
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

    def query(self, text: str, threshold: float | None = None) -> list[tuple]:
        """Indexed documents near a new text: ``[(id, jaccard), ...]``, best first.

        Scores are exact. Candidates come from the LSH tuned for the index's
        threshold; with a lower ``threshold`` a pair below the index's
        threshold is found with the probability ``s_curve`` gives.
        """
        t = self.config.threshold if threshold is None else check_threshold(threshold)
        if t < self.config.threshold:
            warnings.warn(
                f"query threshold {t} is below the index threshold {self.config.threshold}: "
                "pairs below the index threshold are found only with the probability s_curve() gives",
                stacklevel=2,
            )
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        indptr, values, _, _, keys = shingle_texts([text], self.config)
        if indptr[-1] == 0 or self._reps.shape[0] == 0:
            return []
        cand = np.unique(_lsh.lookup(self._sorted_keys, self._order, keys[:, 0]))
        docs = self._reps[cand]
        scores = _jaccard.jaccard_one_many(values, self._indptr, self._values, docs)
        ok = scores >= t
        pos, sc = _exact.expand_members(self._rep, docs[ok], scores[ok])
        order = np.lexsort((pos, -sc))
        ids = self.ids
        return [(ids[p], s) for p, s in zip(pos[order].tolist(), sc[order].tolist())]

