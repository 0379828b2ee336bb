"""The ids of a saved index: encoded to ``.npy`` arrays, and read back lazily as a sequence."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


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
        n = len(self)
        k = int(k)
        if k < 0:
            k += n
        if not 0 <= k < n:
            raise IndexError("id index out of range")
        return self._one(k)

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
