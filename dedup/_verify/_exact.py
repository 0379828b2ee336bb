"""Exact duplicates: same normalized text, found by xxh3 digest before LSH.

Only one representative of each group of identical normalized texts goes
through LSH; the pairs found for it are then expanded to every member, and the
members of a group pair with each other at score 1.0.

Identical texts are exact duplicates whatever they hold: two posts of the
same emoji or punctuation, which have no word shingles, pair at 1.0 too. A
blank text (nothing but white space after normalization, ``nbytes == 0``)
is never a duplicate of anything.
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np
import xxhash
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic, overload

from . import _jaccard
from .._core._arrays import sort_uniform


def _call_hash(fn, data, size):
    """``((uint64 (*)(const void *, size_t)) fn)(data, size)``: a C hash function called by its address (through
    ctypes when the kernels run interpreted, ``_core._interpret``; compiled, a direct call: ``_call_by_address``)."""
    return np.uint64(_c_hash(int(fn))(int(data), int(size)))


@functools.cache
def _c_hash(fn: int):
    return ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_void_p, ctypes.c_size_t)(fn)


@intrinsic
def _call_by_address(typingctx, fn, data, size):
    if not all(isinstance(t, types.Integer) for t in (fn, data, size)):
        return None
    sig = types.uint64(fn, data, size)

    def codegen(context, builder, signature, args):
        i64 = ir.IntType(64)
        ptr = ir.IntType(8).as_pointer()
        callee = builder.inttoptr(args[0], ir.FunctionType(i64, [ptr, i64]).as_pointer())
        return builder.call(callee, [builder.inttoptr(args[1], ptr), args[2]])

    return sig, codegen


@overload(_call_hash)
def _call_hash_compiled(fn, data, size):
    return lambda fn, data, size: _call_by_address(fn, data, size)


@njit(cache=True, parallel=True, nogil=True)
def _hash_rows(fn, buf, offs, out):
    base = buf.ctypes.data
    for k in prange(offs.shape[0] - 1):
        out[k] = _call_hash(fn, base + offs[k], offs[k + 1] - offs[k])


def _readonly(a: np.ndarray) -> np.ndarray:
    """A read-only view of ``a``: ``_hash_rows`` then has one compiled version, whatever the caller's array."""
    v = a.view()
    v.flags.writeable = False
    return v


def _probe_texts() -> list[bytes]:
    rng = np.random.default_rng(0)  # every length class of XXH3: 0, 1-3, 4-8, 9-16, 17-128, 129-240, longer
    sizes = [0, 1, 2, 3, 4, 8, 9, 16, 17, 100, 128, 129, 200, 240, 241, 1000, 1024, 5000]
    return [rng.integers(0, 256, k, dtype=np.uint8).tobytes() for k in sizes]


@functools.cache
def _xxh3_address() -> int:
    """Address of ``XXH3_64bits`` in the ``xxhash`` module's own library, or 0.

    It is used only if, called from a kernel, it gives
    ``xxhash.xxh3_64_intdigest`` of every probe (every length class of XXH3);
    a build that does not export it (Windows) or disagrees keeps the call
    per text.
    """
    try:
        address = ctypes.cast(ctypes.CDLL(xxhash._xxhash.__file__).XXH3_64bits, ctypes.c_void_p).value or 0
    except (OSError, AttributeError):
        return 0
    if not address:
        return 0
    probes = _probe_texts()
    offs = np.cumsum([0] + [len(p) for p in probes], dtype=np.int64)
    got = np.empty(len(probes), dtype=np.uint64)
    _hash_rows(address, _readonly(np.frombuffer(b"".join(probes), dtype=np.uint8)), offs, got)
    return address if got.tolist() == [xxhash.xxh3_64_intdigest(p) for p in probes] else 0


def digests(buf: np.ndarray, offs: np.ndarray) -> np.ndarray:
    """xxh3-64 of each normalized text ``buf[offs[i]:offs[i+1]]`` (uint64, shape (n,)).

    The ``xxhash`` module's C function is called from a parallel kernel
    (``_xxh3_address``): no Python step per text. 100,000 texts: 0.03 s
    one call per text under the GIL, about 0.01 s on one thread this way.
    """
    fn = _xxh3_address()
    if fn:
        out = np.empty(offs.shape[0] - 1, dtype=np.uint64)
        _hash_rows(fn, _readonly(np.ascontiguousarray(buf, dtype=np.uint8)), np.ascontiguousarray(offs, dtype=np.int64),
                   out)
        return out
    view = memoryview(buf)
    bounds = offs.tolist()
    return np.fromiter(
        (xxhash.xxh3_64_intdigest(view[a:b]) for a, b in zip(bounds[:-1], bounds[1:])),
        dtype=np.uint64,
        count=len(bounds) - 1,
    )


def exact_groups(digests: np.ndarray, nbytes: np.ndarray, indptr: np.ndarray, values: np.ndarray,
                 same=None) -> np.ndarray:
    """Representative of every document's exact-duplicate group.

    Parameters
    ----------
    digests : uint64 (n,), xxh3 of each normalized text (``digests``).
    nbytes : int64 (n,), its length; 0 marks a blank text.
    indptr, values : CSR of the texts' shingle sets.
    same : optional ``(i, j) -> scores`` to compare rows with (default: the Jaccard kernel on the CSR).

    Returns
    -------
    int64 array ``rep``, shape (n,): ``rep[x]`` is the first document with the
    same normalized text as ``x`` (``x`` itself if none before it), or -1 for
    a blank text (never a duplicate of anything).

    Equal digest and length make a group; each member is then checked to have
    the same shingle set as its representative, so a 64-bit digest collision
    cannot merge different texts. Texts without shingles (no letters or
    digits) have nothing more to compare: for them equal digest and length
    decide (a collision needs about 2**32 such texts).
    """
    n = digests.shape[0]
    empty = np.diff(indptr) == 0
    rep = first_equal(np.ascontiguousarray(digests, dtype=np.uint64), np.ascontiguousarray(nbytes, dtype=np.int64))
    dup = np.flatnonzero(rep != np.arange(n))
    if dup.shape[0]:
        scores = same(rep[dup], dup) if same is not None else _jaccard.jaccard_pairs(indptr, values, rep[dup], dup, 0.0)
        same = scores == 1.0
        same |= empty[dup] & empty[rep[dup]]
        rep[dup[~same]] = dup[~same]
    rep[empty & (np.asarray(nbytes) == 0)] = -1
    return rep


def blank(buf: np.ndarray, offs: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Texts of ``buf`` (normalized, ``offs`` bounds) that are white space only, among those without shingles.

    Returns a bool array (n,). Only texts without shingles are looked at (one
    C-level call each), so a corpus of ordinary text pays nothing.
    """
    out = np.zeros(offs.shape[0] - 1, dtype=np.bool_)
    none = np.flatnonzero(np.diff(indptr) == 0)
    if none.shape[0]:  # Python steps only for the texts without shingles, none for the others
        view = memoryview(buf)
        for k, a, b in zip(none.tolist(), offs[none].tolist(), offs[none + 1].tolist()):
            out[k] = not bytes(view[a:b]).decode("utf-8", "surrogatepass").strip()
    return out


@njit(cache=True, nogil=True)
def first_equal(digests, nbytes):
    """For each ``x``, the first ``y <= x`` with the same digest and length.

    Digests are uniform, so their top bits with the index in the low bits
    sort in about linear time (``_shingle.sort_uniform``); within a run of
    equal top bits the indices come out ascending, and a run almost always
    holds one digest, so the first member of a run is its group's first.
    """
    n = digests.shape[0]
    bits = 1
    while (1 << bits) < n:
        bits += 1
    low = np.uint64((1 << bits) - 1)
    shift = np.uint64(bits)
    packed = np.empty(n, dtype=np.uint64)
    for x in range(n):
        packed[x] = (digests[x] & ~low) | np.uint64(x)
    sort_uniform(packed, np.empty(n, dtype=np.uint64))
    rep = np.empty(n, dtype=np.int64)
    i = 0
    while i < n:
        j = i + 1
        while j < n and (packed[j] >> shift) == (packed[i] >> shift):
            j += 1
        for p in range(i, j):
            x = np.int64(packed[p] & low)
            rep[x] = x
            for q in range(i, p):  # earlier in the run: smaller index
                y = np.int64(packed[q] & low)
                if rep[y] == y and digests[y] == digests[x] and nbytes[y] == nbytes[x]:
                    rep[x] = y
                    break
        i = j
    return rep


@njit(cache=True, nogil=True)
def group_members(rep):
    """Members of each representative's group, as CSR keyed by representative."""
    n = rep.shape[0]
    count = np.zeros(n + 1, dtype=np.int64)
    for x in range(n):
        if rep[x] >= 0:
            count[rep[x] + 1] += 1
    for x in range(n):
        count[x + 1] += count[x]
    members = np.empty(count[n], dtype=np.int64)
    fill = count[:-1].copy()
    for x in range(n):  # ascending: members of a group in input order
        r = rep[x]
        if r >= 0:
            members[fill[r]] = x
            fill[r] += 1
    return count, members


@njit(cache=True, nogil=True)
def _expand(rep, ri, rj, rs):
    start, members = group_members(rep)
    total = 0
    for p in range(ri.shape[0]):
        total += (start[ri[p] + 1] - start[ri[p]]) * (start[rj[p] + 1] - start[rj[p]])
    for r in range(rep.shape[0]):
        m = start[r + 1] - start[r]
        total += m * (m - 1) // 2
    i = np.empty(total, dtype=np.int64)
    j = np.empty(total, dtype=np.int64)
    s = np.empty(total, dtype=np.float64)
    o = 0
    for p in range(ri.shape[0]):
        for x in members[start[ri[p]] : start[ri[p] + 1]]:
            for y in members[start[rj[p]] : start[rj[p] + 1]]:
                i[o] = min(x, y)
                j[o] = max(x, y)
                s[o] = rs[p]
                o += 1
    for r in range(rep.shape[0]):
        g = members[start[r] : start[r + 1]]
        for a in range(g.shape[0]):
            for b in range(a + 1, g.shape[0]):
                i[o] = g[a]
                j[o] = g[b]
                s[o] = 1.0
                o += 1
    return i, j, s


def expand_pairs(rep, ri, rj, rs):
    """Pairs between representatives -> pairs between all members, sorted by (i, j)."""
    i, j, s = _expand(rep, ri, rj, rs)
    order = np.lexsort((j, i))
    return i[order], j[order], s[order]


def sparse_groups(rep: np.ndarray):
    """The groups of more than one document, for lookups: ``(keys, ptr, extra)``.

    ``keys`` (sorted) are the representatives of such groups; the members of
    group ``keys[g]`` other than itself are ``extra[ptr[g]:ptr[g+1]]``, in
    input order. Built once per index in O(documents); a lookup then costs
    a binary search, not a pass over every document.
    """
    others = np.flatnonzero((rep >= 0) & (rep != np.arange(rep.shape[0])))
    r = rep[others]
    order = np.argsort(r, kind="stable")
    extra = others[order]
    r = r[order]
    if r.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.int64)
    first = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    return r[first].astype(np.int64), np.append(first, r.shape[0]).astype(np.int64), extra.astype(np.int64)


@njit(cache=True, nogil=True)
def members_of(keys, ptr, extra, docs):
    """Every member of the groups of ``docs`` (representatives): ``(counts, members)``, each doc first."""
    counts = np.ones(docs.shape[0], dtype=np.int64)
    where = np.searchsorted(keys, docs)
    for k in range(docs.shape[0]):
        w = where[k]
        if w < keys.shape[0] and keys[w] == docs[k]:
            counts[k] += ptr[w + 1] - ptr[w]
    out = np.empty(counts.sum(), dtype=np.int64)
    o = 0
    for k in range(docs.shape[0]):
        out[o] = docs[k]
        o += 1
        w = where[k]
        if w < keys.shape[0] and keys[w] == docs[k]:
            for x in range(ptr[w], ptr[w + 1]):
                out[o] = extra[x]
                o += 1
    return counts, out
