"""The document-level API: the ``Index`` that ``dedup.index`` and ``dedup.load`` (``_build``) return.

Validation and bookkeeping (ids, keep policy) live here; every step of the
work is a function of ``_pipeline``, the same ones collapse and Dask run.
"""

from __future__ import annotations

import pathlib
import warnings
from collections.abc import Iterable, Mapping

import numpy as np

from .._verify import _cluster
from .._text import _frames, _utf8
from . import _pipeline, _segments, _update
from .._core import _spill
from .._core._options import MAX_PAIRS
from .._storage import _store
from .._core._arrays import group_by_label
from .._core._config import Config, check_threshold
from .._storage._ids import Chain, Ids, id_keys
from .._verify._keep import priorities as _priority
from .._text._documents import as_documents, is_frame
from ._pipeline import Buckets, Features, Groups, Pairs
from .._core._words import plural



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
    return _pipeline.shingles(text, Config(ngram=ngram, shingle=shingle))


def _check_size(n: int) -> None:
    if n >= 2**32:
        raise ValueError(f"at most 2**32 - 1 documents per index, got {n}")


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"


def _check_room(what: str, f: Features, b: Buckets, extra: int) -> None:
    """Refuse, before changing anything, an in-memory merge that cannot fit.

    ``add`` and ``remove`` on an index in RAM, and ``compact``, make new arrays of
    every document (the shingle CSR, band keys, sorted bands and the merge's
    temporaries, about 3x the band arrays), in RAM, even when the index's own
    arrays are memory-mapped files. Past the RAM available that is an
    out-of-memory kill after minutes; this says so at once, with the sizes.
    (On an index on disk, ``add`` appends a segment instead, ``_segments``, and
    ``remove`` rewrites it out of core, ``Index._rewrite``.)
    """
    need = (f.values.nbytes + f.indptr.nbytes + f.digests.nbytes + f.nbytes.nbytes + f.keys.nbytes
            + 3 * (b.order.nbytes + b.sorted_keys.nbytes) + extra)
    have = _spill.available_memory()
    if need > have:
        raise MemoryError(
            f"{what} an index of {f.digests.shape[0]} documents makes new copies of its arrays in memory: about "
            f"{_gib(need)}, and {_gib(have)} of RAM are available, so nothing was changed. An add to an index on "
            "disk (loaded, or spilled past its memory budget) appends a segment instead and needs no such room: "
            "save the index and load it (a removal from an index on disk rewrites it out of core)")


class Index:
    """Near-duplicate index over a set of documents. Build with ``dedup.index``,
    open a saved one with ``dedup.load``.

    Attributes
    ----------
    config : Config
    ids : list, document ids in input order.
    keep : str, the keep policy: "first", "longest" or "priority".
    bands, rows : int, the LSH banding in use.
    """

    def __init__(self):
        raise TypeError("build an Index with dedup.index(docs), or open one with dedup.load(path)")

    @classmethod
    def _from_parts(cls, config, ids, policy, lengths, priority, features, groups, buckets, pairs):
        self = object.__new__(cls)
        self.config = config
        self.ids = ids
        self.keep = policy
        self._lengths = lengths
        self._priority = priority
        self._f = features
        self._g = groups
        self._b = buckets
        self._p = pairs
        self._tails = []  # segments added to an index on disk (``_segments``)
        self._idkeys = None
        self._frame = None  # _frames.Shape of the docs it was built from, if a data frame
        self.bands, self.rows = _pipeline.lsh_shape(config)
        self.stats = {}
        self._changed()
        return self

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        pairs = self._p.i.shape[0] + sum(t.p.i.shape[0] for t in self._tails)
        texts = self._g.reps.shape[0] + sum(t.reps.shape[0] for t in self._tails)
        more = f", {len(self._tails) + 1} segments" if self._tails else ""
        counts = f"{plural(len(self), 'document')}, {plural(pairs, 'verified pair')} among {plural(texts, 'distinct text')}"
        return f"<dedup.Index: {counts}{more}; {self.config}>"

    def _changed(self):
        self._pairs = self._labels = self._is_complete = self._sparse = None
        self._whole = {}

    # --------------------------------------------------------------- segments
    def _segments(self) -> list:
        """The base segment and the tails, as the steps see them (``_segments.Segment``)."""
        return [_segments.Segment(0, self._f, self._g.rep, self._g.reps, self._b), *self._tails]

    def _all(self, name: str) -> np.ndarray:
        """A per-document array (``rep``, ``lengths``, ``priority``) of every segment, concatenated (kept)."""
        if name not in self._whole:
            base = {"rep": self._g.rep, "lengths": self._lengths, "priority": self._priority}[name]
            self._whole[name] = (np.concatenate([np.asarray(base), *(np.asarray(getattr(t, name)) for t in self._tails)])
                                 if self._tails else base)
        return self._whole[name]

    def _all_pairs(self) -> Pairs:
        """The verified pairs kept by every segment, sorted by (i, j)."""
        if not self._tails:
            return self._p
        if "pairs" not in self._whole:
            self._whole["pairs"] = _segments._sorted(_segments._cat([self._p, *(t.p for t in self._tails)]))
        return self._whole["pairs"]

    @property
    def segments(self) -> int:
        """How many segments the index is made of: 1, plus one per ``add`` to an index on disk (see ``compact``)."""
        return 1 + len(self._tails)

    def compact(self) -> "Index":
        """Merge every segment into one, in RAM (refused, changing nothing, when it cannot fit).

        An ``add`` to an index on disk appends a segment; queries look up each
        one. The answers do not change. Returns ``self``.
        """
        if not self._tails:
            return self
        segs = self._tails
        extra = sum(t.f.values.nbytes + t.f.keys.nbytes + t.f.indptr.nbytes for t in segs)
        _check_room(f"merging {len(segs) + 1} segments of", self._f, self._b, extra)
        whole = _segments.merge([_segments.Tail(0, self._f, self._g.rep, self._g.reps, self._b, self.ids, self._lengths,
                                                self._priority, self._p, self._complete_base()), *segs],
                                self.config, self.ids)
        self._f, self._g, self._b, self._p = whole.f, Groups(whole.rep, whole.reps), whole.b, whole.p
        self._lengths, self._priority = whole.lengths, whole.priority
        self._tails = []
        self._changed()
        return self

    # ----------------------------------------------------------------- arrays
    def arrays(self) -> dict:
        """Every array the index is made of, by name (what ``save`` writes).

        ``lengths``, ``priority`` and the fields of ``Features`` per document;
        ``rep``/``reps`` (exact groups), ``order``/``sorted_keys`` (LSH
        buckets) and ``pair_i``/``pair_j``/``pair_s`` (verified pairs between
        representatives).
        """
        out = dict(lengths=self._lengths, priority=self._priority, **self._f._asdict(), **self._g._asdict(),
                   **self._b._asdict(), pair_i=self._p.i, pair_j=self._p.j, pair_s=self._p.score)
        for k, t in enumerate(self._tails, 1):  # segments added since: name@k
            out.update({f"{name}@{k}": arr for name, arr in _segments.tail_arrays(t).items()})
        return out

    def _segment_ids(self) -> list:
        """The ids of each segment."""
        if not self._tails:
            return [self.ids]
        return [self._base_ids, *(t.ids for t in self._tails)]

    @classmethod
    def _from_arrays(cls, config, ids, policy, a: dict):
        """The inverse of ``arrays()`` (used by ``dedup.load``); ``ids``: a sequence per segment."""
        self = cls._from_parts(config, ids[0], policy, a["lengths"], a["priority"],
                               Features(*(a[k] for k in Features._fields)), Groups(*(a[k] for k in Groups._fields)),
                               Buckets(*(a[k] for k in Buckets._fields)), Pairs(a["pair_i"], a["pair_j"], a["pair_s"]))
        start = len(ids[0])
        for k, part in enumerate(ids[1:], 1):
            t = _segments.tail_from_arrays(start, part, {n: a[f"{n}@{k}"] for n in _segments.TAIL_ARRAYS})
            self._tails.append(t)
            start += len(part)
        if self._tails:
            self._base_ids = ids[0]
            self.ids = Chain(ids)
        return self

    def pair_arrays(self, *, max_pairs: int | None = MAX_PAIRS):
        """Every verified pair as arrays of document positions.

        Parameters
        ----------
        max_pairs : int or None, default 100,000,000
            Refuse, with a ValueError saying how many, when the pairs may be
            more than this: a cluster of m near-identical documents has
            m(m-1)/2 pairs (5 billion for 100k templated pages), while its
            clusters, labels and duplicates cost nothing extra. None lifts
            the limit.

        Returns
        -------
        i, j : int64 arrays, ``i < j`` (input order), sorted by (i, j).
        score : float64 array, the exact Jaccard of each pair (>= threshold).
        """
        if self._pairs is None:
            p = self._all_pairs()
            if not self._complete():
                bound = _segments.least_pairs(self._segments())
                if max_pairs is not None and bound > max_pairs:
                    raise ValueError(
                        f"the clusters of this index hold at least {bound:,} pairs (a bucket of more than "
                        f"{_pipeline.BIG_BUCKET} near-duplicates has one pair per two members); clusters(), "
                        "labels() and duplicates() do not need them. Pass max_pairs=None to list them all.")
                p = _segments.every_pair(self._segments(), self.config)
            elif max_pairs is not None and (count := _pipeline.count_expanded(self._all("rep"), p)) > max_pairs:
                raise ValueError(
                    f"the clusters of this index hold {count:,} pairs (a group of m identical documents has "
                    "m(m-1)/2); clusters(), labels() and duplicates() do not need them. Pass max_pairs=None "
                    "to list them all.")
            self._pairs = tuple(_pipeline.expand(self._all("rep"), p))
        return self._pairs

    def _pairs_with_new(self, n_old: int) -> int:
        """How many verified pairs have a document at position ``n_old`` or later (what ``add`` found).

        From ``pair_arrays`` when the index keeps every pair; otherwise (a bucket too big to verify whole)
        the pairs kept, which connect the clusters: a lower bound, without listing every pair.
        """
        if self._complete():
            i, j, _ = self.pair_arrays()
            return int((j >= n_old).sum())
        return int((_pipeline.expand(self._all("rep"), self._all_pairs()).j >= n_old).sum())

    def _groups(self):
        """``_exact.sparse_groups`` of the index, built at the first query and kept."""
        if self._sparse is None:
            from .._verify._exact import sparse_groups

            self._sparse = sparse_groups(self._all("rep"))
        return self._sparse

    def _complete(self) -> bool:
        """Whether the stored pairs are every verified pair (no bucket was too big to verify whole)."""
        if self._is_complete is None:
            self._is_complete = self._complete_base() and all(t.complete for t in self._tails)
        return self._is_complete

    def _complete_base(self) -> bool:
        return _pipeline.big_runs(self._b).shape[0] == 0

    def shingle_arrays(self):
        """Every document's shingle set as CSR: ``(indptr, values)``.

        Row ``k`` is ``values[indptr[k]:indptr[k+1]]``, sorted unique uint64,
        equal to ``dedup.shingles(text_k, ...)`` with the index's settings.
        """
        if not self._tails:
            return self._f.indptr, self._f.values
        return _segments.concat_rows((f.indptr, f.values) for f in [self._f, *(t.f for t in self._tails)])

    def labels(self, *, as_frame: bool | None = None) -> np.ndarray:
        """Cluster label of every document: the position of its cluster's first member.

        A document with no near-duplicate is labelled with its own position.

        ``as_frame`` (default: whether the index was built from a data
        frame): a column named ``"label"`` in the input's library, row for
        row with the input: a pandas Series with the input's index (by id
        once documents were added or removed), a polars Series, a pyarrow
        array. ``as_frame=True`` on other input gives pandas.
        """
        if self._labels is None:
            self._labels = _pipeline.components(len(self.ids), self._all_pairs(), self._all("rep"))
        return self._as_column("label", self._labels, as_frame)

    def keep_mask(self, keep=None, *, as_frame: bool | None = None) -> np.ndarray:
        """Boolean array, True for documents kept under the keep policy.

        ``as_frame`` as for ``labels`` (a column named ``"keep"``): with
        pandas ``df[idx.keep_mask()]``, with polars ``df.filter(idx.keep_mask())``,
        with pyarrow ``table.filter(idx.keep_mask())`` drop the duplicates.
        """
        labels = self.labels(as_frame=False)
        prio = self._all("priority") if keep is None else _priority(keep, self.ids, self._all("lengths"))
        kept = _cluster.keepers(labels, prio)
        return self._as_column("keep", kept[labels] == np.arange(labels.shape[0]), as_frame)

    def _as_column(self, name: str, values: np.ndarray, as_frame):
        shape = _frames.want(self._frame, as_frame)
        return values if shape is None else _frames.column(shape, name, values, self.ids)

    # ------------------------------------------------------------ Python API
    def pairs(self, *, max_pairs: int | None = MAX_PAIRS, as_frame: bool | None = None) -> list[tuple]:
        """Every near-duplicate pair, verified: ``[(id_a, id_b, jaccard), ...]``.

        ``id_a`` comes before ``id_b`` in input order; sorted by their
        positions. ``max_pairs`` as for ``pair_arrays``. ``as_frame``
        (default: whether the index was built from a data frame): a frame of
        the input's library with columns ``id_a``, ``id_b``, ``jaccard``
        instead (``as_frame=True`` on other input gives pandas).
        """
        i, j, s = self.pair_arrays(max_pairs=max_pairs)
        ids = self.ids
        shape = _frames.want(self._frame, as_frame)
        if shape is not None:
            return _frames.table(shape, {"id_a": [ids[a] for a in i.tolist()], "id_b": [ids[b] for b in j.tolist()],
                                         "jaccard": s})
        return [(ids[a], ids[b], c) for a, b, c in zip(i.tolist(), j.tolist(), s.tolist())]

    def clusters(self) -> list[list]:
        """Groups of two or more near-duplicates, members in input order.

        Clusters are connected components of the verified pairs (a chain
        a~b~c is one cluster even if a and c are not similar themselves),
        ordered by their first member.
        """
        order, bounds = group_by_label(self.labels(as_frame=False))
        ids = self.ids
        b = bounds.tolist()
        return [[ids[x] for x in order[lo:hi].tolist()] for lo, hi in zip(b[:-1], b[1:]) if hi - lo > 1]

    def duplicates(self, keep=None) -> list:
        """Ids to drop: every cluster member but the one kept, in input order.

        Parameters
        ----------
        keep : optional, overrides the policy given to ``dedup.index``.
        """
        ids = self.ids
        return [ids[x] for x in np.flatnonzero(~self.keep_mask(keep, as_frame=False)).tolist()]

    def report(self, path, texts=None, **options):
        """Write the HTML report of this index (see ``dedup.report``).

        ``texts`` takes the shapes ``docs`` takes: a mapping id -> text,
        ``(id, text)`` pairs, or plain texts in the order of ``ids``; the
        index keeps no texts. Without them the page shows the clusters,
        their exact scores and the documents' lengths, but no texts, word
        diffs, removals or repeated blocks.
        """
        from .._report._page import index_report

        return index_report(self, path, texts, **options)

    def _repr_html_(self) -> str:
        from .._report._notebook import index_html

        return index_html(self)

    def s_curve(self, similarity):
        """Probability that a pair of this Jaccard similarity becomes an LSH candidate."""
        from .._sketch._lsh import s_curve

        return s_curve(similarity, self.bands, self.rows)

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

    def query(self, text: str, *, threshold: float | None = None) -> list[tuple]:
        """Indexed documents near a new text: ``[(id, jaccard), ...]``, best first.

        Scores are exact. Candidates come from the LSH tuned for the index's
        threshold; with a lower ``threshold`` a pair below the index's
        threshold is found with the probability ``s_curve`` gives.
        """
        if not isinstance(text, str):
            raise TypeError(f"text must be str, got {type(text).__name__}")
        return self.query_many([text], threshold=threshold)[0]

    def query_many(self, docs, *, threshold: float | None = None) -> list[list[tuple]]:
        """``query`` for many texts at once (one kernel pass): a list per text."""
        t = self._query_threshold(threshold)
        _, texts = as_documents(docs, utf8=True)
        with _pipeline.threads_for(len(texts)):
            q = _pipeline.featurize(texts, self.config)
            qi, pos, sc = _update.match(self._segments(), q, t, self._groups())
        order = np.lexsort((pos, -sc, qi))
        out: list[list[tuple]] = [[] for _ in texts]
        ids = self.ids
        for q_, p, s in zip(qi[order].tolist(), pos[order].tolist(), sc[order].tolist()):
            out[q_].append((ids[p], s))
        return out

    # ---------------------------------------------------------------- updates
    def _new_ids(self, docs, text=None, id=None, utf8=False):
        """(ids, texts) of documents to add; plain strings (and a frame without ids) continue the positions."""
        if self._frame is not None:
            self._frame = self._frame._replace(rows=None)  # results are indexed by id from now on
        frame = is_frame(docs)
        if not frame and not isinstance(docs, (Mapping, str, bytes, bytearray)) and isinstance(docs, Iterable):
            docs = list(docs)
        ids, texts = as_documents(docs, text=text, id=id, utf8=utf8)
        if (isinstance(docs, list) and docs and isinstance(docs[0], str)) or (frame and _frames.positional(docs, id)):
            ids = [len(self.ids) + k for k in ids]
        known = self.contains(ids)
        if known.any():
            raise ValueError(f"document id {ids[int(np.argmax(known))]!r} is already in the index")
        return ids, texts

    def contains(self, ids) -> np.ndarray:
        """Which of ``ids`` are indexed: a bool array aligned with them.

        Without a set of every indexed id (10M ids in a Python set take about
        1 GB): ids are hashed to 64-bit keys in bulk (``_ids.id_keys``) and
        only ids whose keys are equal are compared.
        """
        return self._find(ids) >= 0

    def _find(self, ids) -> np.ndarray:
        """The position of each of ``ids`` in the index, -1 for one that is not there (see ``contains``)."""
        ids = list(ids)
        if self._idkeys is None:
            self._idkeys = id_keys(self.ids)
        new = id_keys(ids)
        out = np.full(len(ids), -1, dtype=np.int64)
        old = np.flatnonzero(_segments.member(self._idkeys, np.unique(new)))  # one pass, a binary search each
        if old.shape[0]:  # equal keys: compare the ids themselves
            hit = np.flatnonzero(_segments.member(new, np.unique(self._idkeys[old])))
            at = {}
            for k in old.tolist():
                at.setdefault(self.ids[k], k)
            for k in hit.tolist():
                out[k] = at.get(ids[k], -1)
        return out

    def add(self, docs, *, priority=None, text: str | None = None, id: str | None = None) -> "Index":
        """Add documents; ``pairs()`` and ``clusters()`` then cover old and new.

        The result equals one ``dedup.index`` over all the documents in order:
        old documents are not shingled again, old verified pairs stay, and only
        pairs with a new document are looked up and verified.

        Parameters
        ----------
        docs : as for ``dedup.index``; plain strings get the next positions as ids.
        priority : numbers, one per new document; required when the index was
            built with per-document priorities as its keep policy.
        text, id : the columns of a data frame ``docs``, as for ``dedup.index``.

        Returns ``self``.
        """
        ids, texts = self._new_ids(docs, text, id, utf8=True)
        if not ids:
            return self
        _check_size(len(self.ids) + len(ids))
        lengths = _utf8.lengths(texts)
        if self.keep == "priority":
            if priority is None:
                raise ValueError("this index keeps by per-document priority: pass priority=[...] for the new documents")
            prio = _priority(list(priority), ids, lengths)
        else:
            if priority is not None:
                raise ValueError(f"this index keeps {self.keep!r}: priority= does not apply")
            prio = _priority(self.keep, ids, lengths)
        n_old = len(self.ids)
        if self._tails or isinstance(self._f.values, np.memmap):
            return self._append(ids, texts, lengths, prio)
        # the new documents' arrays: about 2 bytes of shingles per character, and band keys with their sort
        _check_room(f"adding {len(ids)} documents to", self._f, self._b,
                    2 * int(lengths.sum()) + 5 * 8 * len(ids) * self._f.keys.shape[0])
        with _pipeline.threads_for(len(texts)):
            f = _segments.concat_features([self._f, _pipeline.featurize(texts, self.config, lengths)])
            self._g, self._b, self._p = _update.extend(f, n_old, self._g, self._b, self._p, self.config)
        self._f = f
        self._lengths = np.concatenate([self._lengths, lengths])
        self._priority = np.concatenate([self._priority, prio])
        self.ids = list(self.ids) + ids
        if self._idkeys is not None:
            self._idkeys = np.concatenate([self._idkeys, id_keys(ids)])
        self._changed()
        return self

    def _append(self, ids, texts, lengths, prio) -> "Index":
        """``add`` to an index on disk: the new documents become a segment (``_segments``); nothing older
        is copied or rewritten."""
        segs = self._segments()
        if not self._tails:
            self._base_ids = self.ids
        with _pipeline.threads_for(len(texts)):
            q = _pipeline.featurize(texts, self.config)
            rep, reps, b, p, complete = _segments.append(segs, self._all_pairs, q, self.config)
        start = len(self.ids)
        tail = _segments.Tail(start, q, rep, reps, b, ids, lengths, prio, p, complete)
        self._tails.append(tail)
        if len(self._tails) > _segments.MAX_TAILS:
            self._tails = [_segments.merge(self._tails, self.config, Chain([t.ids for t in self._tails]))]
        self.ids = Chain(self._segment_ids())
        if self._idkeys is not None:
            self._idkeys = np.concatenate([self._idkeys, id_keys(ids)])
        self._changed()
        return self

    def save(self, path):
        """Save to the directory ``path``, atomically (see ``dedup.load``).

        Ids must all be str or all be int. Returns the directory's path.
        """
        out = _store.save(path, config=self.config, ids=self._segment_ids(), policy=self.keep,
                          arrays=self.arrays())
        self._follow(out)
        return out

    def _follow(self, path) -> None:
        """Map the arrays whose files a save has just deleted (an older generation of ``path``) from the
        generation it wrote, which holds the same bytes (hard links): later reads by file name and later
        saves' hard links keep working."""
        import os

        gen = pathlib.Path(path) / (pathlib.Path(path) / "CURRENT").read_text(encoding="utf-8").strip()

        def gone(arr):
            return isinstance(arr, np.memmap) and arr.filename is not None and not os.path.exists(arr.filename)

        a = self.arrays()
        moved = {name: np.load(gen / f"{name}.npy", mmap_mode="r") for name, arr in a.items() if gone(arr)}
        if moved:
            a.update(moved)
            self._set_arrays(a)
        parts = self._segment_ids()
        for k, part in enumerate(parts):
            if isinstance(part, Ids) and any(gone(x) for x in (part.ints, part.blob, part.offsets)):
                suffix = f"@{k}" if k else ""
                names = ("ids",) if part.ints is not None else ("ids-utf8", "ids-offsets")
                loaded = [np.load(gen / f"{n}{suffix}.npy", mmap_mode="r") for n in names]
                parts[k] = Ids(ints=loaded[0]) if part.ints is not None else Ids(blob=loaded[0], offsets=loaded[1])
        if self._tails:
            self._base_ids = parts[0]
            self._tails = [t._replace(ids=i) for t, i in zip(self._tails, parts[1:])]
            self.ids = Chain(parts)
        elif parts[0] is not self.ids:
            self.ids = parts[0]

    def _set_arrays(self, a: dict) -> None:
        """Replace the index's arrays by others with the same contents (``arrays()`` names)."""
        self._lengths, self._priority = a["lengths"], a["priority"]
        self._f = Features(*(a[k] for k in Features._fields))
        self._g = Groups(*(a[k] for k in Groups._fields))
        self._b = Buckets(*(a[k] for k in Buckets._fields))
        self._p = Pairs(a["pair_i"], a["pair_j"], a["pair_s"])
        self._tails = [_segments.tail_from_arrays(t.start, t.ids, {n: a[f"{n}@{k}"] for n in _segments.TAIL_ARRAYS})
                       for k, t in enumerate(self._tails, 1)]
        self._changed()

    def remove(self, ids, *, memory=None, workdir=None) -> "Index":
        """Remove documents by id; the result equals an index built without them.

        An index in RAM is rebuilt in RAM. An index on disk (loaded, spilled,
        or of several segments) is rewritten without them out of core: the
        kept documents' arrays are copied, chunk by chunk, into a new work
        directory within ``memory`` (default half the RAM available) under
        ``workdir`` (default the system's temporary folder), and the later
        steps of ``dedup.index`` run on them, so RAM holds a chunk, not the
        index. Returns ``self``. Raises ``KeyError`` naming an id that is not
        indexed.
        """
        if isinstance(ids, (str, bytes)) or not isinstance(ids, Iterable):
            ids = [ids]
        ids = list(ids)
        at = self._find(ids)
        if (at < 0).any():
            raise KeyError(f"document id {ids[int(np.argmax(at < 0))]!r} is not in the index")
        drop = np.zeros(len(self.ids), dtype=bool)
        drop[at] = True
        if drop.any() and self._frame is not None:
            self._frame = self._frame._replace(rows=None)  # results are indexed by id from now on
        if not drop.any():
            return self
        if self._tails or _spill.is_mapped(self._f.values):
            return self._rewrite(np.flatnonzero(~drop), memory, workdir)
        _check_room(f"removing {int(drop.sum())} documents from", self._f, self._b, 0)
        keep = np.flatnonzero(~drop)
        f = self._f
        sizes = np.diff(f.indptr)
        indptr = np.zeros(keep.shape[0] + 1, dtype=np.int64)
        np.cumsum(sizes[keep], out=indptr[1:])
        f = Features(indptr, f.values[np.repeat(~drop, sizes)], f.digests[keep], f.nbytes[keep], f.keys[:, keep])
        self._g, self._b, self._p = _pipeline.build(f, self.config)
        self._f = f
        self._lengths, self._priority = self._lengths[keep], self._priority[keep]
        self.ids = [self.ids[k] for k in keep.tolist()]
        self._idkeys = None
        self._changed()
        return self

    def _rewrite(self, keep: np.ndarray, memory, workdir) -> "Index":
        """``remove`` out of core: the documents ``keep`` (positions, ascending) spooled again within a budget,
        then built (``_stream.spool_features``, ``_pipeline.build``), as ``dedup.index`` does past its budget."""
        import weakref

        from .._storage._ids import subset
        from ._stream import spool_features

        lengths_all, prio_all = self._all("lengths"), self._all("priority")

        def parts():
            for s in self._segments():
                n = s.f.digests.shape[0]
                local = keep[(keep >= s.start) & (keep < s.start + n)] - s.start
                sizes = np.asarray(s.f.indptr[local + 1]) - np.asarray(s.f.indptr[local])
                ends = np.cumsum(sizes) * 8
                lo = 0
                while lo < local.shape[0]:  # chunks of about GATHER_BYTES of shingles
                    base = int(ends[lo - 1]) if lo else 0
                    hi = max(lo + 1, int(np.searchsorted(ends, base + _pipeline.GATHER_BYTES, side="right")))
                    rows = local[lo:hi]
                    ptr, vals = _segments._rows(s.f, rows)
                    yield (Features(ptr, vals, np.asarray(s.f.digests[rows]), np.asarray(s.f.nbytes[rows]),
                                    np.asarray(s.f.keys[:, rows])), np.asarray(lengths_all[s.start + rows]))
                    lo = hi

        budget = _spill.Budget(_spill.parse_size(memory) if memory is not None else _spill.default_memory(),
                               workdir)
        try:
            lengths, f = spool_features(parts(), self.config, budget)
            with _pipeline.threads_for(keep.shape[0]):
                g, b, p = _pipeline.build(f, self.config, budget)
        except BaseException:
            budget.close()
            raise
        old = getattr(self, "_budget", None)
        self.ids = subset(self.ids, keep)
        self._f, self._g, self._b, self._p = f, g, b, p
        self._lengths, self._priority = lengths, np.asarray(prio_all)[keep]
        self._tails, self._idkeys = [], None
        if budget.path is not None:
            self._budget = budget
            weakref.finalize(self, budget.close)
        if old is not None and old is not budget:
            old.close()
        self._changed()
        return self

    def filter_new(self, docs, *, add: bool = True, threshold: float | None = None,
                   held: list | None = None) -> list[tuple]:
        """The ``(id, text)`` of documents that duplicate nothing indexed, as a list.

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
        if not is_frame(docs) and not isinstance(docs, (Mapping, str, bytes, bytearray)) and isinstance(docs, Iterable):
            docs = list(docs)
        plain = isinstance(docs, list) and bool(docs) and isinstance(docs[0], str)
        ids, texts = as_documents(docs) if (plain or not add) else self._new_ids(docs)
        if not ids:
            return []
        with _pipeline.threads_for(len(texts)):
            q = _pipeline.featurize(texts, self.config)
            qi, qpos, qsc = _update.match(self._segments(), q, t, self._groups())
            seen = np.zeros(len(ids), dtype=bool)
            seen[qi] = True
            new, best, best_s = _update.screen(q, seen, t)
        chosen = np.flatnonzero(new).tolist()
        out = [(ids[k], texts[k]) for k in chosen]
        renamed = None
        if plain and add:  # plain strings take the next positions of the index, as add() gives them
            renamed = {k: len(self.ids) + r for r, k in enumerate(chosen)}
            out = [(renamed[k], text) for k, (_, text) in zip(chosen, out)]
        if held is not None:
            held.extend(_update.held(ids, self.ids, new, (qi, qpos, qsc), best, best_s, renamed))
        if add and out:
            self.add(out, priority=None if self.keep != "priority" else [0.0] * len(out))
        return out
