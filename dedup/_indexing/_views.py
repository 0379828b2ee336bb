"""What reads an ``Index``: its pairs, clusters, labels and duplicates, queries, and how it shows itself.

A mixin of ``_index.Index``, which holds the state; nothing here changes what is indexed.
"""

from __future__ import annotations

import warnings

import numpy as np

from .._verify import _cluster
from .._text import _frames
from . import _pipeline, _segments, _update
from .._core._options import MAX_PAIRS
from .._core._arrays import group_by_label
from .._core._config import check_threshold
from .._storage._ids import id_keys
from .._verify._keep import priorities as _priority
from .._text._documents import as_documents
from .._core._words import plural


class _Views:
    """Views and queries of an ``Index`` (see ``_index.Index``)."""

    def __repr__(self) -> str:
        pairs = self._p.i.shape[0] + sum(t.p.i.shape[0] for t in self._tails)
        texts = self._g.reps.shape[0] + sum(t.reps.shape[0] for t in self._tails)
        more = f", {len(self._tails) + 1} segments" if self._tails else ""
        counts = f"{plural(len(self), 'document')}, {plural(pairs, 'verified pair')} among {plural(texts, 'distinct text')}"
        return f"<dedup.Index: {counts}{more}; {self.config}>"

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
        from .._core._notebook import index_html

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
