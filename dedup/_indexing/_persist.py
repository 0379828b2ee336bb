"""What persists an ``Index``: its arrays by name, ``save``, and the inverse that ``dedup.load`` uses.

A mixin of ``_index.Index``; the disk format is ``_storage._store``'s.
"""

from __future__ import annotations

import pathlib

import numpy as np

from . import _segments
from .._storage import _store
from .._storage._ids import Chain, Ids
from ._pipeline import Buckets, Features, Groups, Pairs


class _Persistence:
    """Saving and loading an ``Index`` (see ``_index.Index``)."""

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
