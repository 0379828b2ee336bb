"""The document-level API: the ``Index`` that ``dedup.index`` and ``dedup.load`` (``_build``) return.

The class holds the state and its segments; what reads it is ``_views``, what
changes it ``_changes``, what saves it ``_persist``.
"""

from __future__ import annotations

import numpy as np

from . import _pipeline, _segments
from ._changes import _Changes
from ._persist import _Persistence
from ._pipeline import Pairs
from ._views import _Views


class Index(_Views, _Changes, _Persistence):
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

    def _segment_ids(self) -> list:
        """The ids of each segment."""
        if not self._tails:
            return [self.ids]
        return [self._base_ids, *(t.ids for t in self._tails)]
