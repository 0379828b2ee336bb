"""What changes an ``Index``: ``add``, ``filter_new``, ``remove`` and ``compact``.

A mixin of ``_index.Index``. Validation and bookkeeping (ids, keep policy) live
here; every step of the work is a function of ``_pipeline``, ``_update`` and
``_segments``, the same ones collapse and Dask run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .._text import _frames, _utf8
from . import _pipeline, _segments, _update
from .._core import _spill
from .._storage._ids import Chain, id_keys
from .._verify._keep import priorities as _priority
from .._text._documents import as_documents, is_frame
from ._pipeline import Buckets, Features, Groups
from .._core._words import byte_size


def _check_size(n: int) -> None:
    if n >= 2**32:
        raise ValueError(f"at most 2**32 - 1 documents per index, got {n}")


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
            f"{byte_size(need)}, and {byte_size(have)} of RAM are available, so nothing was changed. An add to an "
            "index on disk (loaded, or spilled past its memory budget) appends a segment instead and needs no such "
            "room: save the index and load it (a removal from an index on disk rewrites it out of core)")


class _Changes:
    """The changes of an ``Index`` (see ``_index.Index``, the class the ``-> "Index"`` of each names)."""

    def compact(self) -> "Index":  # noqa: F821
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

    def add(self, docs, *, priority=None, text: str | None = None, id: str | None = None) -> "Index":  # noqa: F821
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

        Returns
        -------
        Index
            ``self``.
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

    def _append(self, ids, texts, lengths, prio) -> "Index":  # noqa: F821
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

    def remove(self, ids, *, memory=None, workdir=None) -> "Index":  # noqa: F821
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

    def _rewrite(self, keep: np.ndarray, memory, workdir) -> "Index":  # noqa: F821
        """``remove`` out of core: the documents ``keep`` (positions, ascending) spooled again within a budget,
        then built (``_stream.spool_features``, ``_stream.build``), as ``dedup.index`` does past its budget."""
        import weakref

        from .._storage._ids import subset
        from ._stream import build, spool_features

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
                g, b, p = build(f, self.config, budget)
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
