"""The ids of a saved index: encoded to ``.npy`` arrays, and read back lazily as a sequence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def _position(k, n: int) -> int:
    """Index ``k`` of a sequence of ``n`` as a position (negative from the end), or IndexError."""
    k = int(k)
    if k < 0:
        k += n
    if not 0 <= k < n:
        raise IndexError("id index out of range")
    return k


class Ids(Sequence):
    """The ids of a loaded index, read from its files when asked for (not all at ``load``).

    A sequence of ``str`` (UTF-8 blob and offsets) or of ``int``; equal to a
    list or sequence of the same ids. Saving an index whose ids are still
    these saves their files as they are.
    """

    __slots__ = ("blob", "offsets", "ints")

    def __init__(self, blob=None, offsets=None, ints=None):
        self.blob, self.offsets, self.ints = blob, offsets, ints

    def __len__(self) -> int:
        return self.ints.shape[0] if self.ints is not None else self.offsets.shape[0] - 1

    def _one(self, k: int):
        if self.ints is not None:
            return int(self.ints[k])
        a, b = int(self.offsets[k]), int(self.offsets[k + 1])
        return bytes(self.blob[a:b]).decode("utf-8", "surrogatepass")

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self._one(x) for x in range(*k.indices(len(self)))]
        return self._one(_position(k, len(self)))

    def __iter__(self):
        if self.ints is not None:
            for start in range(0, len(self), 1 << 16):
                yield from self.ints[start : start + (1 << 16)].tolist()
            return
        n = len(self)
        for start in range(0, n, 1 << 16):
            stop = min(n, start + (1 << 16))
            lo, hi = int(self.offsets[start]), int(self.offsets[stop])
            blob = bytes(self.blob[lo:hi])
            off = (np.asarray(self.offsets[start : stop + 1]) - lo).tolist()
            yield from (blob[off[k] : off[k + 1]].decode("utf-8", "surrogatepass") for k in range(stop - start))

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple, Sequence)) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None

    def __repr__(self) -> str:
        n = len(self)
        if n <= 20:
            return repr(list(self))
        return f"[{', '.join(map(repr, self[:3]))}, ... {n - 6:,} more ..., {', '.join(map(repr, self[-3:]))}]"

    def arrays(self) -> dict[str, np.ndarray]:
        """The arrays ``save`` writes for these ids (the loaded files themselves)."""
        if self.ints is not None:
            return {"ids": self.ints}
        return {"ids-utf8": self.blob, "ids-offsets": self.offsets}


def _encode_ids(ids) -> dict[str, np.ndarray]:
    if isinstance(ids, Ids):
        return ids.arrays()
    if isinstance(ids, range):
        return {"ids": np.arange(ids.start, ids.stop, ids.step, dtype=np.int64)}
    if all(type(i) is int for i in ids):
        if ids and (min(ids) < -(2**63) or max(ids) >= 2**63):
            raise TypeError("to save an index, int ids must fit in 64 bits")
        return {"ids": np.array(ids, dtype=np.int64)}
    for i in ids:
        if type(i) is not str:
            raise TypeError(f"to save an index, ids must all be str or all be int; got {type(i).__name__} {i!r}")
    blobs = [i.encode("utf-8", "surrogatepass") for i in ids]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    return {"ids-utf8": np.frombuffer(b"".join(blobs), dtype=np.uint8), "ids-offsets": offsets}


class Chain(Sequence):
    """The ids of an index's segments, one sequence after another (nothing is copied)."""

    __slots__ = ("parts", "ends")

    def __init__(self, parts):
        flat = []
        for p in parts:
            flat.extend(p.parts if isinstance(p, Chain) else [p])
        self.parts = [p for p in flat if len(p)]
        self.ends = np.cumsum([len(p) for p in self.parts], dtype=np.int64)

    def __len__(self) -> int:
        return int(self.ends[-1]) if self.ends.shape[0] else 0

    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self[x] for x in range(*k.indices(len(self)))]
        k = _position(k, len(self))
        part = int(np.searchsorted(self.ends, k, side="right"))
        return self.parts[part][k - (int(self.ends[part - 1]) if part else 0)]

    def __iter__(self):
        for p in self.parts:
            yield from p

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple, Sequence)) and not isinstance(other, str):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None
    __repr__ = Ids.__repr__


_FNV_OFFSET, _FNV_PRIME = np.uint64(0xCBF29CE484222325), np.uint64(0x100000001B3)


def _fnv(blob, offsets):
    """FNV-1a 64 of each UTF-8 id ``blob[offsets[k]:offsets[k+1]]``, started from the tag byte ``s``."""
    n = offsets.shape[0] - 1
    out = np.empty(n, dtype=np.uint64)
    for k in range(n):
        h = (_FNV_OFFSET ^ np.uint64(115)) * _FNV_PRIME
        for x in range(offsets[k], offsets[k + 1]):
            h = (h ^ np.uint64(blob[x])) * _FNV_PRIME
        out[k] = h
    return out


def _mix(v: np.ndarray) -> np.ndarray:
    """splitmix64 of int64 ids (a bijection: distinct ints, distinct keys)."""
    x = v.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


_fnv_kernel = None


def id_keys(ids) -> np.ndarray:
    """A uint64 key per id, in order: equal ids, equal keys (``str`` by FNV-1a of UTF-8, ``int`` by a
    bijection, others by Python's ``hash``, within this process). For finding ids already in an index
    without a set of millions of Python objects; equal keys are then compared as ids."""
    global _fnv_kernel
    if _fnv_kernel is None:
        import numba

        _fnv_kernel = numba.njit(cache=True)(_fnv)
    if isinstance(ids, Chain):
        return np.concatenate([id_keys(p) for p in ids.parts]) if ids.parts else np.zeros(0, np.uint64)
    if isinstance(ids, Ids):
        if ids.ints is not None:
            return _mix(np.asarray(ids.ints))
        return _fnv_kernel(np.asarray(ids.blob), np.asarray(ids.offsets))
    ids = [_plain(i) for i in ids]
    out = np.empty(len(ids), dtype=np.uint64)
    kind = np.array([0 if type(i) is str else 1 if type(i) is int and -(2**63) <= i < 2**63 else 2 for i in ids],
                    dtype=np.int8)
    s = np.flatnonzero(kind == 0)
    if s.shape[0]:
        out[s] = id_keys(Ids(**_str_arrays([ids[k] for k in s.tolist()])))
    i = np.flatnonzero(kind == 1)
    if i.shape[0]:
        out[i] = _mix(np.array([ids[k] for k in i.tolist()], dtype=np.int64))
    for k in np.flatnonzero(kind == 2).tolist():
        out[k] = np.uint64(hash(ids[k]) & 0xFFFFFFFFFFFFFFFF)
    return out


def _plain(doc_id):
    """An id as the Python ``str``/``int`` it equals, where there is one (``np.str_``, ``np.int64``, ``True``,
    ``2.0``), so that ids equal as dict keys get equal keys here."""
    if isinstance(doc_id, str):
        return str(doc_id)
    if isinstance(doc_id, (bool, int, np.integer)):
        return int(doc_id)
    if isinstance(doc_id, (float, np.floating)) and float(doc_id).is_integer():
        return int(doc_id)
    return doc_id


def _str_arrays(ids: list) -> dict:
    a = _encode_ids(ids)
    return {"blob": a["ids-utf8"], "offsets": a["ids-offsets"]}


def subset(ids, keep: np.ndarray):
    """The ids at positions ``keep`` (ascending), as compactly as they are held: loaded ids stay arrays
    (10M ids as Python objects take about 1 GB), other sequences become a list."""
    if isinstance(ids, Chain):
        parts, start = [], 0
        for p in ids.parts:
            inside = keep[(keep >= start) & (keep < start + len(p))] - start
            parts.append(subset(p, inside))
            start += len(p)
        if parts and all(isinstance(p, Ids) for p in parts) and len({p.ints is None for p in parts}) == 1:
            return _join(parts)
        return Chain(parts)
    if isinstance(ids, Ids):
        if ids.ints is not None:
            return Ids(ints=np.asarray(ids.ints)[keep])
        off = np.asarray(ids.offsets)
        starts, sizes = off[keep], off[keep + 1] - off[keep]
        offsets = np.zeros(keep.shape[0] + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        at = np.repeat(starts - offsets[:-1], sizes) + np.arange(int(offsets[-1]))
        return Ids(blob=np.asarray(ids.blob)[at], offsets=offsets)
    if isinstance(ids, range) and keep.shape[0] == len(ids):
        return ids
    return [ids[k] for k in keep.tolist()]


def _join(parts: list) -> Ids:
    if parts[0].ints is not None:
        return Ids(ints=np.concatenate([np.asarray(p.ints) for p in parts]))
    ends = np.cumsum([0] + [int(np.asarray(p.offsets)[-1]) for p in parts[:-1]])
    offsets = np.concatenate([np.zeros(1, np.int64), *(np.asarray(p.offsets)[1:] + e for p, e in zip(parts, ends))])
    return Ids(blob=np.concatenate([np.asarray(p.blob) for p in parts]), offsets=offsets)
