"""Ids of a streamed corpus, kept compact: millions of them without millions of Python objects.

:class:`DocIds` is the sequence of a corpus's ids. An id made from where the
record is (``FILE:LINE``, a text file's path) is not stored at all: it is
made again from the source and record arrays when asked for. Ids read from
an id field are stored as UTF-8 in one ``bytearray`` with offsets (``str``)
or in an ``array`` of int64 (``int``). A corpus whose ids are all of one kind
pays nothing per document beyond that; a mixed one adds a kind byte and an
index per document.

:class:`IdSet` finds a repeated id without a set of every id (10 million
short strings in a ``set`` take about 1 GB): each id is hashed to 64 bits
(``dedup._storage._ids.id_keys``, the keys an index checks its ids by, a batch at a
time), the hashes are kept in sorted runs (merged as
they grow, as a log-structured merge tree does), and only ids whose hashes
are equal are compared exactly, so a hash collision never refuses an id.
12 bytes per document checked.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Sequence

import numpy as np

from ._formats import made_id

#: How an id is stored: made from its source and record, a str, an int64, a larger int.
MADE, STR, INT, BIG = 0, 1, 2, 3
_INT64 = (-(2**63), 2**63)


class DocIds(Sequence):
    """The ids of a corpus read as a stream, in input order (see the module's docstring).

    ``sources``, ``source_of`` and ``record_of`` are the corpus's own (shared,
    not copied): an id made from its record is read from them.
    """

    def __init__(self, sources: list, source_of: array, record_of: array):
        self.sources, self.source_of, self.record_of = sources, source_of, record_of
        self.n = 0
        self.first_kind: int | None = None
        self.kinds: bytearray | None = None  # per document, once kinds mix
        self.ref: array | None = None  # per document, once kinds mix: where its value is stored
        self.blob = bytearray()
        self.offsets = array("q", [0])
        self.ints = array("q")
        self.big: list[int] = []

    def __len__(self) -> int:
        return self.n

    def append(self, doc_id) -> None:
        """Add the id of the next document (None: made from its source and record, stored nowhere)."""
        if doc_id is None:
            kind, ref = MADE, 0
        elif isinstance(doc_id, str):
            kind, ref = STR, len(self.offsets) - 1
            self.blob += doc_id.encode("utf-8", "surrogatepass")
            self.offsets.append(len(self.blob))
        elif _INT64[0] <= doc_id < _INT64[1]:
            kind, ref = INT, len(self.ints)
            self.ints.append(doc_id)
        else:
            kind, ref = BIG, len(self.big)
            self.big.append(doc_id)
        if self.first_kind is None:
            self.first_kind = kind
        elif self.kinds is None and kind != self.first_kind:  # kinds mix from here: say per document
            n = self.n
            self.kinds = bytearray([self.first_kind]) * n
            self.ref = array("q", range(n)) if self.first_kind != MADE else array("q", bytes(8 * n))
        if self.kinds is not None:
            self.kinds.append(kind)
            self.ref.append(ref)
        self.n += 1

    def extend(self, doc_ids) -> None:
        """``append`` each of ``doc_ids``; a batch of str ids (or of ids made from their records) in one step
        while the ids are all of that kind."""
        if self.kinds is None and self.first_kind in (None, STR) and doc_ids and all(type(x) is str for x in doc_ids):
            enc = [x.encode("utf-8", "surrogatepass") for x in doc_ids]
            ends = itertools.accumulate(map(len, enc), initial=len(self.blob))
            next(ends)  # (the end of the ids before, there already)
            self.offsets.extend(ends)
            self.blob += b"".join(enc)
            self.first_kind = STR
            self.n += len(enc)
        elif self.kinds is None and self.first_kind in (None, MADE) and doc_ids and all(x is None for x in doc_ids):
            self.first_kind = MADE
            self.n += len(doc_ids)
        else:
            for x in doc_ids:
                self.append(x)

    def _one(self, k: int):
        if self.kinds is None:
            kind, ref = self.first_kind, k
        else:
            kind, ref = self.kinds[k], self.ref[k]
        if kind == MADE:
            return made_id(self.sources[self.source_of[k]], self.record_of[k])
        if kind == STR:
            return self.blob[self.offsets[ref] : self.offsets[ref + 1]].decode("utf-8", "surrogatepass")
        if kind == INT:
            return self.ints[ref]
        return self.big[ref]

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self._one(x) for x in range(*k.indices(self.n))]
        k = int(k)
        if k < 0:
            k += self.n
        if not 0 <= k < self.n:
            raise IndexError("id index out of range")
        return self._one(k)

    def __iter__(self):
        for k in range(self.n):
            yield self._one(k)

    def _made_kinds(self) -> np.ndarray:
        """Per document: 1 where the id is an int (made from a line of standard input, or stored), else 0."""
        src_int = np.array([s.kind == "lines" for s in self.sources], dtype=bool)
        src_of = np.frombuffer(self.source_of, dtype=np.int32)[: self.n]
        if self.kinds is None:
            if self.first_kind == MADE:
                return src_int[src_of]
            return np.full(self.n, self.first_kind in (INT, BIG), dtype=bool)
        kinds = np.frombuffer(self.kinds, dtype=np.uint8)
        return np.where(kinds == MADE, src_int[src_of], (kinds == INT) | (kinds == BIG))

    def types(self) -> set:
        """The Python types of the ids (``{str}``, ``{int}`` or both), without making them."""
        if self.n == 0:
            return set()
        is_int = self._made_kinds()
        return {t for t, present in ((int, bool(is_int.any())), (str, not bool(is_int.all()))) if present}

    def first_of_type(self, t: type) -> int | None:
        """Position of the first id of Python type ``t`` (``int`` or ``str``), or None."""
        is_int = self._made_kinds()
        hits = np.flatnonzero(is_int if t is int else ~is_int)
        return int(hits[0]) if hits.size else None

    def as_saved(self):
        """The ids as a saved index keeps them (``_ids.Ids``: UTF-8 and offsets, or int64), made in chunks;
        all ids must be of one type (``_saved.check_id_kinds``)."""
        from ..._storage._ids import Ids

        step = 1 << 16
        if self.kinds is None and self.first_kind == STR:
            return Ids(blob=np.frombuffer(self.blob, dtype=np.uint8).copy(),
                       offsets=np.frombuffer(self.offsets, dtype=np.int64).copy())
        if self.types() == {int}:
            out = np.empty(self.n, dtype=np.int64)
            for lo in range(0, self.n, step):
                out[lo : lo + step] = self[lo : lo + step]
            return Ids(ints=out)
        blob = bytearray()
        offsets = np.zeros(self.n + 1, dtype=np.int64)
        for lo in range(0, self.n, step):
            enc = [x.encode("utf-8", "surrogatepass") for x in self[lo : lo + step]]
            np.cumsum(np.fromiter(map(len, enc), dtype=np.int64, count=len(enc)), out=offsets[lo + 1 : lo + 1 + len(enc)])
            offsets[lo + 1 : lo + 1 + len(enc)] += len(blob)
            blob += b"".join(enc)
        return Ids(blob=np.frombuffer(blob, dtype=np.uint8), offsets=offsets)


class IdSet:
    """The hashes of the ids seen so far (``dedup._storage._ids.id_keys``), in sorted runs, with each one's position.

    ``candidates`` says which new hashes were seen before, and where; the
    caller compares those ids exactly. Runs merge when the newest is at least
    half the size of the one before, so there are O(log n) of them and each
    hash is copied O(log n) times.
    """

    def __init__(self):
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted hashes uint64, positions uint32)

    def __len__(self) -> int:
        return sum(h.shape[0] for h, _ in self.runs)

    def candidates(self, hashes: np.ndarray) -> dict[int, list[int]]:
        """``{k: positions}`` for each ``hashes[k]`` already in the set (positions in input order)."""
        out: dict[int, list[int]] = {}
        for h, pos in self.runs:
            lo = np.searchsorted(h, hashes, side="left")
            hi = np.searchsorted(h, hashes, side="right")
            for k in np.flatnonzero(hi > lo).tolist():
                out.setdefault(k, []).extend(pos[lo[k] : hi[k]].tolist())
        for v in out.values():
            v.sort()
        return out

    def add(self, hashes: np.ndarray, positions: np.ndarray) -> None:
        if hashes.shape[0] == 0:
            return
        order = np.argsort(hashes, kind="stable")
        self.runs.append((hashes[order], positions.astype(np.uint32)[order]))
        while len(self.runs) > 1 and 2 * self.runs[-1][0].shape[0] >= self.runs[-2][0].shape[0]:
            (h1, p1), (h2, p2) = self.runs[-2], self.runs.pop()
            h = np.concatenate([h1, h2])
            order = np.argsort(h, kind="stable")
            self.runs[-1] = (h[order], np.concatenate([p1, p2])[order])
