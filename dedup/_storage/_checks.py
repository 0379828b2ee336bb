"""What a generation read from disk must hold before an ``Index`` is made of it (``_store.read``).

Every problem is an ``IndexFormatError`` naming the file: a truncated,
corrupted or edited index never crashes a kernel.
"""

from __future__ import annotations

import numpy as np

from ._ids import Ids


class IndexFormatError(ValueError):
    """A saved index that cannot be loaded: missing, truncated, corrupted or of another version."""


def fail(where, what: str):
    raise IndexFormatError(f"{where}: {what}")


def decode_ids(gen, arrays, n, verify: bool, suffix: str = "") -> Ids:
    """The ids, read lazily; with ``verify``, their offsets and UTF-8 are checked now (O(documents))."""
    if "ids" in arrays:
        ids = Ids(ints=arrays["ids"])
    elif "ids-utf8" in arrays and "ids-offsets" in arrays:
        off = arrays["ids-offsets"]
        if off.shape != (n + 1,) or (n >= 0 and (off[0] != 0 or off[-1] != arrays["ids-utf8"].shape[0])):
            fail(gen / f"ids-offsets{suffix}.npy", "offsets do not fit ids-utf8.npy")
        if verify:
            if (np.diff(np.asarray(off)) < 0).any():
                fail(gen / f"ids-offsets{suffix}.npy", "offsets do not fit ids-utf8.npy")
            try:
                arrays["ids-utf8"].tobytes().decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                fail(gen / f"ids-utf8{suffix}.npy", "not UTF-8")
        ids = Ids(blob=arrays["ids-utf8"], offsets=off)
    else:
        fail(gen, f"no ids file{' for segment ' + suffix[1:] if suffix else ''}")
    if len(ids) != n:
        fail(gen / f"ids{suffix}.npy", f"{len(ids)} ids for {n} documents")
    return ids


def check_invariants(gen, a, n, bands, values: bool = True, start: int = 0, suffix: str = "") -> None:
    """The bounds every kernel relies on, for the segment of documents ``start:start + n`` (its files named
    with ``suffix``). Shapes always (O(1)); with ``values``, the contents too: O(documents + bands x
    representatives), never O(shingles)."""

    def need(key, ok, what):
        if not ok:
            fail(gen / f"{key}{suffix}.npy", what)

    for key in ("lengths", "priority", "digests", "nbytes", "rep"):
        need(key, a[key].shape == (n,), f"expected {n} entries, got shape {a[key].shape}")
    indptr = a["indptr"]
    need("indptr", indptr.shape == (n + 1,) and indptr[0] == 0 and indptr[-1] == a["values"].shape[0],
         f"offsets are not a valid CSR over values{suffix}.npy")
    need("keys", a["keys"].shape == (bands, n), f"expected shape ({bands}, {n})")
    m = a["reps"].shape[0]
    for key in ("order", "sorted_keys"):
        need(key, a[key].shape == (bands, m), f"expected shape ({bands}, {m})")
    k = a["pair_s"].shape[0]
    for key in ("pair_i", "pair_j"):
        need(key, a[key].shape == (k,), f"expected {k} entries")
    if "complete" in a:
        need("complete", a["complete"].shape == (1,) and a["complete"].dtype == np.bool_, "expected one bool")
    if not values:
        return
    need("indptr", not (np.diff(np.asarray(indptr)) < 0).any(), f"offsets are not a valid CSR over values{suffix}.npy")
    rep = np.asarray(a["rep"])
    need("rep", ((rep >= -1) & (rep <= np.arange(start, start + n))).all(), "representatives out of range")
    reps = np.asarray(a["reps"])
    need("reps", ((reps >= start) & (reps < start + n)).all() and (rep[reps - start] == reps).all(),
         "not the representatives")
    order = np.asarray(a["order"])
    need("order", ((order >= 0) & (order < m)).all(), "columns out of range")
    i, j = np.asarray(a["pair_i"]), np.asarray(a["pair_j"])
    need("pair_i", ((i >= 0) & (i < j)).all(), "pair ends out of range")
    need("pair_j", ((j >= start) & (j < start + n)).all(), "pair ends out of range")

