"""Seeds: word n-grams shared by two documents, and the candidate pairs they vote for.

    units (CSR, ``_tokens``) --gram_keys--> one key per n-gram occurrence: hash prefix | token position
                             --sort_keys--> occurrences of each n-gram side by side
                             --seed_hits--> hits (doc a < doc b, position in a, position in b)
                             --pairs-------> candidate pairs: runs of hits of one document pair

Which occurrences become hits (``seed_hits``), for the occurrences of one
n-gram in ``df`` documents:

* an n-gram repeated more than ``max_repeat`` times in one document is
  ignored in that document (passim's ``--max-repeat``, default 10);
* ``2 <= df <= max_df``: every pair of documents holding it gets a hit for
  every pair of its occurrences (the n-gram is *rare*; passim's
  ``--maxDF``/``--max-series`` default 100);
* ``df > max_df`` (a stock phrase, boilerplate, or a passage copied into many
  documents): with ``frequent="star"`` each other document gets one hit with
  the *first* document holding it (in input order), ``df - 1`` hits instead
  of ``df (df - 1) / 2``; with ``frequent="drop"`` it gives no hit (passim).

Seeds are *winnowed* (Schleimer, Wilkerson and Aiken 2003, as in MOSS): of
every ``winnow`` consecutive n-grams of a document, the one with the smallest
hash is a seed. Two documents sharing a run of ``2 winnow + ngram - 1``
words share at least two seeds in it (two disjoint windows select the same
positions in both copies), and consecutive seeds of a document are at most
``winnow`` n-grams apart; about ``2 / (winnow + 1)`` of the n-grams are seeds
(0.5 with the window of 3 that ``min_words=10``, ``ngram=4`` give), which
halves the keys and the hits, and drops pairs that share only a 5- or
6-word phrase before they cost an alignment.

A hit counts when ``min_seeds`` hits of its pair (itself included) lie within
``window`` words of it and near its diagonal: the seeds of one passage, not
n-grams two documents share by chance (on 20 Newsgroups, pairs sharing two
scattered 4-grams are half of all pairs with two, and 5 % of them share a
passage). A pair with such hits is a candidate.
Star links keep the work linear in the size of a reuse group: a passage in
10,000 documents is 9,999 candidate pairs with its first copy, whose
alignments the grouping stage joins into one group. A stock phrase shorter
than ``min_words`` costs one short extension per document that holds it, and
never becomes a passage.

Keys are a prefix of the n-gram's hash above the occurrence's document and
position (``layout``), so a linear sort of uniform keys groups equal
n-grams, ordered by document. Two different n-grams whose hashes share the
prefix (33 bits on 20 Newsgroups: about 150 such pairs among its 1.6M
distinct winnowed 4-grams) are read as one: it can add a hit, which the aligner
drops after comparing the seed's words, or move a document frequency by
one; it never makes a passage.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numba import njit, prange

from ._shingle import sort_uniform
from ._tokens import window_hashes

FREQUENT = {"star": 1, "drop": 0}


class Hits(NamedTuple):
    """Seed hits grouped into candidate pairs.

    ``pair_a < pair_b`` are document positions; the hits of pair ``k`` are
    ``hptr[k]:hptr[k+1]``, sorted by position in ``a`` (then in ``b``):
    ``pos_a``/``pos_b`` are token positions of the n-gram in each document.
    """

    pair_a: np.ndarray
    pair_b: np.ndarray
    hptr: np.ndarray
    pos_a: np.ndarray
    pos_b: np.ndarray


#: Fewest hash bits a key keeps when it packs the document and the position
#: (below this, keys hold the global token position instead; see ``layout``).
MIN_PREFIX_BITS = 32


def layout(tptr: np.ndarray) -> tuple[int, int]:
    """``(shift, pos_bits)`` of the keys of a corpus.

    Keys are ``hash_prefix << shift | doc << pos_bits | pos`` (``pos_bits``
    > 0: the bits of the longest document, ``shift`` those plus the bits of
    the number of documents) when that leaves ``MIN_PREFIX_BITS`` of hash,
    which spares a search for the document of every occurrence; else
    ``hash_prefix << shift | token`` with ``shift`` the bits of the number of
    tokens and ``pos_bits`` 0.
    """
    n_docs = tptr.shape[0] - 1
    longest = int(np.diff(tptr).max(initial=1))
    pos_bits = max(1, longest.bit_length())
    doc_bits = max(1, n_docs.bit_length())
    if 64 - pos_bits - doc_bits >= MIN_PREFIX_BITS:
        return pos_bits + doc_bits, pos_bits
    return max(1, int(tptr[-1]).bit_length()), 0


@njit(cache=True)
def _winnow(h, m, w, out):
    """Positions of the minimum of every window of ``w`` consecutive values of ``h[:m]`` (rightmost on ties).

    Winnowing (Schleimer, Wilkerson and Aiken 2003, MOSS): each position is
    written once, in order; returns how many. A run of ``w`` values shared by
    two texts selects the same position in both.
    """
    n_out = 0
    last = -1
    for i in range(max(1, m - w + 1)):
        best = i
        for j in range(i + 1, min(i + w, m)):
            if h[j] <= h[best]:
                best = j
        if best != last:
            out[n_out] = best
            n_out += 1
            last = best
    return n_out


@njit(cache=True, parallel=True)
def _gram_keys(units, tptr, ngram, window, shift, pos_bits, kptr, keys, counts):
    """Keys of the winnowed n-grams of every document, packed from ``kptr[d]``; their count to ``counts[d]``."""
    mask = (np.uint64(1) << np.uint64(shift)) - np.uint64(1)
    pb = np.uint64(pos_bits)
    n = tptr.shape[0] - 1
    n_tasks = min(n, 256)
    for task in prange(n_tasks):
        lo = task * n // n_tasks
        hi = (task + 1) * n // n_tasks
        longest = 1
        for d in range(lo, hi):
            longest = max(longest, tptr[d + 1] - tptr[d])
        h = np.empty(longest, dtype=np.uint64)
        sel = np.empty(longest, dtype=np.int64)
        for d in range(lo, hi):
            a = tptr[d]
            b = tptr[d + 1]
            counts[d] = 0
            if b - a < ngram:
                continue
            m = window_hashes(units, a, b, ngram, h, 0)
            c = _winnow(h, m, window, sel)
            k = kptr[d]
            for x in range(c):
                t = sel[x]
                low = (np.uint64(d) << pb) | np.uint64(t) if pos_bits > 0 else np.uint64(a + t)
                keys[k + x] = (h[t] & ~mask) | low
            counts[d] = c


@njit(cache=True, parallel=True)
def _pack_rows(src, src_ptr, counts, dst_ptr, dst):
    for d in prange(counts.shape[0]):
        dst[dst_ptr[d] : dst_ptr[d] + counts[d]] = src[src_ptr[d] : src_ptr[d] + counts[d]]


def gram_keys(units: np.ndarray, tptr: np.ndarray, ngram: int, window: int = 1) -> tuple[np.ndarray, int, int]:
    """One key per winnowed word n-gram occurrence (``window`` 1: every n-gram), unsorted.

    Documents shorter than ``ngram`` have none. Returns the keys and their ``layout``.
    """
    shift, pos_bits = layout(tptr)
    bound = np.maximum(np.diff(tptr) - ngram + 1, 0)
    kptr = np.zeros(tptr.shape[0], dtype=np.int64)
    np.cumsum(bound, out=kptr[1:])
    keys = np.empty(int(kptr[-1]), dtype=np.uint64)
    counts = np.empty(tptr.shape[0] - 1, dtype=np.int64)
    _gram_keys(units, tptr, ngram, window, shift, pos_bits, kptr, keys, counts)
    if window == 1:
        return keys, shift, pos_bits
    dense_ptr = np.zeros(tptr.shape[0], dtype=np.int64)
    np.cumsum(counts, out=dense_ptr[1:])
    dense = np.empty(int(dense_ptr[-1]), dtype=np.uint64)
    _pack_rows(keys, kptr, counts, dense_ptr, dense)
    return dense, shift, pos_bits


@njit(cache=True)
def _bucket_counts(keys, lo, hi, top, counts):
    shift = np.uint64(64 - top)
    for i in range(lo, hi):
        counts[keys[i] >> shift] += 1


@njit(cache=True, parallel=True)
def _partition(keys, top, n_chunks, out):
    """Counting sort of ``keys`` on their ``top`` high bits, in parallel; return bucket starts."""
    n = keys.shape[0]
    m = 1 << top
    counts = np.zeros((n_chunks, m), dtype=np.int64)
    for c in prange(n_chunks):
        _bucket_counts(keys, c * n // n_chunks, (c + 1) * n // n_chunks, top, counts[c])
    starts = np.zeros(m + 1, dtype=np.int64)
    pos = np.empty((n_chunks, m), dtype=np.int64)
    total = 0
    for b in range(m):
        starts[b] = total
        for c in range(n_chunks):
            pos[c, b] = total
            total += counts[c, b]
    starts[m] = total
    shift = np.uint64(64 - top)
    for c in prange(n_chunks):
        p = pos[c]
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            b = keys[i] >> shift
            out[p[b]] = keys[i]
            p[b] += 1
    return starts


@njit(cache=True, parallel=True)
def _sort_buckets(keys, starts, top, n_tasks):
    """Sort every bucket: its keys share their ``top`` high bits, so they are sorted shifted left by them."""
    m = starts.shape[0] - 1
    up = np.uint64(top)
    down = np.uint64(64 - top)
    for t in prange(n_tasks):
        lo = t * m // n_tasks
        hi = (t + 1) * m // n_tasks
        longest = 0
        for b in range(lo, hi):
            longest = max(longest, starts[b + 1] - starts[b])
        tmp = np.empty(longest, dtype=np.uint64)
        for b in range(lo, hi):
            row = keys[starts[b] : starts[b + 1]]
            prefix = np.uint64(b) << down
            for i in range(row.shape[0]):
                row[i] <<= up
            sort_uniform(row, tmp)
            for i in range(row.shape[0]):
                row[i] = (row[i] >> up) | prefix


def sort_keys(keys: np.ndarray) -> np.ndarray:
    """``keys`` sorted ascending: a parallel counting sort on the top bits, then each bucket sorted.

    Keys are hash prefixes in their high bits, so buckets are even and a
    bucket's keys are uniform in their remaining bits, which
    ``_shingle.sort_uniform`` sorts in about linear time.
    """
    n = keys.shape[0]
    out = np.empty_like(keys)
    if n == 0:
        return out
    top = max(1, min(24, (n >> 8).bit_length()))  # ~256 keys per bucket
    n_chunks = max(1, min(numba.get_num_threads() * 4, n // 65536 + 1))
    starts = _partition(keys, top, n_chunks, out)
    _sort_buckets(out, starts, top, max(1, min(starts.shape[0] - 1, numba.get_num_threads() * 16)))
    return out


@njit(cache=True)
def _run_bounds(keys, shift, n_chunks):
    """Chunk boundaries of ``keys`` that never split a run of equal prefixes."""
    n = keys.shape[0]
    s = np.uint64(shift)
    b = np.empty(n_chunks + 1, dtype=np.int64)
    b[0] = 0
    for c in range(1, n_chunks):
        x = max(c * n // n_chunks, b[c - 1])
        while 0 < x < n and (keys[x] >> s) == (keys[x - 1] >> s):
            x += 1
        b[c] = x
    b[n_chunks] = n
    return b


@njit(cache=True)
def _doc_of(tptr, occ, d):
    """Document of token ``occ`` (``>=`` the start of document ``d``): ``d`` or a binary search after it."""
    if tptr[d + 1] > occ:
        return d
    lo = d + 1
    hi = tptr.shape[0] - 1  # tptr[hi] > occ
    while hi - lo > 1:
        mid = (lo + hi) >> 1
        if tptr[mid] <= occ:
            lo = mid
        else:
            hi = mid
    return lo


@njit(cache=True)
def _group_hits(doc, pos, k, max_df, max_repeat, star, docs, first, cnt, da, db, pa, pb, o, write):
    """Hits of one n-gram whose ``k`` occurrences are ``doc``/``pos`` (ascending); return how many.

    ``docs``, ``first``, ``cnt`` are scratch of at least ``k`` values: the
    documents holding the n-gram, the index of their first occurrence and
    their count of occurrences.
    """
    nd = 0
    for i in range(k):
        if nd > 0 and docs[nd - 1] == doc[i]:
            cnt[nd - 1] += 1
        else:
            docs[nd] = doc[i]
            first[nd] = i
            cnt[nd] = 1
            nd += 1
    keep = 0
    for x in range(nd):
        if cnt[x] <= max_repeat:
            docs[keep] = docs[x]
            first[keep] = first[x]
            cnt[keep] = cnt[x]
            keep += 1
    if keep < 2:
        return 0
    n_out = 0
    if keep <= max_df:
        for x in range(keep):
            for y in range(x + 1, keep):
                for i in range(first[x], first[x] + cnt[x]):
                    for j in range(first[y], first[y] + cnt[y]):
                        if write:
                            da[o + n_out] = docs[x]
                            db[o + n_out] = docs[y]
                            pa[o + n_out] = pos[i]
                            pb[o + n_out] = pos[j]
                        n_out += 1
    elif star:
        i = first[0]
        for y in range(1, keep):
            for j in range(first[y], first[y] + cnt[y]):
                if write:
                    da[o + n_out] = docs[0]
                    db[o + n_out] = docs[y]
                    pa[o + n_out] = pos[i]
                    pb[o + n_out] = pos[j]
                n_out += 1
    return n_out


@njit(cache=True)
def _chunk_hits(keys, lo, hi, shift, pos_bits, tptr, max_df, max_repeat, star, da, db, pa, pb, o, write):
    """Hits of the runs of equal prefixes in ``keys[lo:hi]``, from ``o``; return how many."""
    s = np.uint64(shift)
    mask = (np.uint64(1) << s) - np.uint64(1)
    pbits = np.uint64(pos_bits)
    pmask = (np.uint64(1) << pbits) - np.uint64(1)
    n_out = 0
    r0 = lo
    cap = 64
    doc = np.empty(cap, dtype=np.int64)
    pos = np.empty(cap, dtype=np.int64)
    docs = np.empty(cap, dtype=np.int64)
    first = np.empty(cap, dtype=np.int64)
    cnt = np.empty(cap, dtype=np.int64)
    while r0 < hi:
        r1 = r0 + 1
        p = keys[r0] >> s
        while r1 < hi and (keys[r1] >> s) == p:
            r1 += 1
        k = r1 - r0
        if k >= 2:
            if k > cap:
                cap = 2 * k
                doc = np.empty(cap, dtype=np.int64)
                pos = np.empty(cap, dtype=np.int64)
                docs = np.empty(cap, dtype=np.int64)
                first = np.empty(cap, dtype=np.int64)
                cnt = np.empty(cap, dtype=np.int64)
            if pos_bits > 0:
                for i in range(k):
                    low = keys[r0 + i] & mask
                    doc[i] = np.int64(low >> pbits)
                    pos[i] = np.int64(low & pmask)
            else:
                d = np.searchsorted(tptr, np.int64(keys[r0] & mask), side="right") - 1
                for i in range(k):
                    occ = np.int64(keys[r0 + i] & mask)
                    d = _doc_of(tptr, occ, d)
                    doc[i] = d
                    pos[i] = occ - tptr[d]
            n_out += _group_hits(doc, pos, k, max_df, max_repeat, star, docs, first, cnt,
                                 da, db, pa, pb, o + n_out, write)
        r0 = r1
    return n_out


@njit(cache=True, parallel=True)
def _all_hits(keys, bounds, shift, pos_bits, tptr, max_df, max_repeat, star, counts, da, db, pa, pb, write):
    for c in prange(bounds.shape[0] - 1):
        k = _chunk_hits(keys, bounds[c], bounds[c + 1], shift, pos_bits, tptr, max_df, max_repeat, star,
                        da, db, pa, pb, counts[c], write)
        if not write:
            counts[c + 1] = k


@njit(cache=True)
def _count_first(da, n_docs):
    ptr = np.zeros(n_docs + 1, dtype=np.int64)
    for i in range(da.shape[0]):
        ptr[da[i] + 1] += 1
    for d in range(n_docs):
        ptr[d + 1] += ptr[d]
    return ptr


@njit(cache=True)
def _scatter_first(da, ptr):
    pos = ptr[:-1].copy()
    order = np.empty(da.shape[0], dtype=np.int64)
    for i in range(da.shape[0]):
        order[pos[da[i]]] = i
        pos[da[i]] += 1
    return order


@njit(cache=True, parallel=True)
def _sort_within(ptr, order, db, pa, pb, bits_a, bits_b, out_b, out_pa, out_pb, n_pairs):
    """Sort the hits of each first document by (b, position in a, position in b); count pairs.

    The three values are packed into one uint64 key when they fit
    (``bits_a + bits_b`` bits for the positions), else sorted by index.
    """
    packed = bits_a + bits_b + 32 <= 64
    sa = np.uint64(bits_b)
    sd = np.uint64(bits_a + bits_b)
    ma = (np.uint64(1) << np.uint64(bits_a)) - np.uint64(1)
    mb = (np.uint64(1) << np.uint64(bits_b)) - np.uint64(1)
    for d in prange(ptr.shape[0] - 1):
        lo = ptr[d]
        hi = ptr[d + 1]
        k = hi - lo
        if k == 0:
            n_pairs[d + 1] = 0
            continue
        if packed:
            key = np.empty(k, dtype=np.uint64)
            for i in range(k):
                h = order[lo + i]
                key[i] = (np.uint64(db[h]) << sd) | (np.uint64(pa[h]) << sa) | np.uint64(pb[h])
            key.sort()
            for i in range(k):
                out_b[lo + i] = np.int32(key[i] >> sd)
                out_pa[lo + i] = np.int32((key[i] >> sa) & ma)
                out_pb[lo + i] = np.int32(key[i] & mb)
        else:
            wide = np.empty(k, dtype=np.int64)
            for i in range(k):
                h = order[lo + i]
                wide[i] = (np.int64(db[h]) << 32) | np.int64(pa[h])
            idx = np.argsort(wide, kind="mergesort")  # ties (same n-gram position in a) keep b's order
            for i in range(k):
                h = order[lo + idx[i]]
                out_b[lo + i] = db[h]
                out_pa[lo + i] = pa[h]
                out_pb[lo + i] = pb[h]
        runs = 1
        for i in range(lo + 1, hi):
            runs += out_b[i] != out_b[i - 1]
        n_pairs[d + 1] = runs


@njit(cache=True)
def _support(pa, pb, lo, hi, window, band, min_seeds, ok):
    """Mark in ``ok`` the hits ``lo:hi`` (sorted by ``pa``) with ``min_seeds`` hits of one diagonal band in a window.

    A hit is kept when it and at least ``min_seeds - 1`` others lie within
    ``window`` words of it in ``a`` and within ``band`` of its diagonal
    (``pb - pa``): the seeds of one passage, not n-grams two documents share
    by chance. Returns how many were kept.
    """
    kept = 0
    for k in range(lo, hi):
        if min_seeds <= 1:
            ok[k] = True
            kept += 1
            continue
        dk = np.int64(pb[k]) - np.int64(pa[k])
        n = 1
        j = k - 1
        while j >= lo and pa[k] - pa[j] <= window and n < min_seeds:
            if abs(np.int64(pb[j]) - np.int64(pa[j]) - dk) <= band:
                n += 1
            j -= 1
        j = k + 1
        while j < hi and pa[j] - pa[k] <= window and n < min_seeds:
            if abs(np.int64(pb[j]) - np.int64(pa[j]) - dk) <= band:
                n += 1
            j += 1
        ok[k] = n >= min_seeds
        kept += ok[k]
    return kept


@njit(cache=True, parallel=True)
def _pairs(ptr, out_b, out_pa, out_pb, pair_ptr, window, band, min_seeds, ok, pa_out, pb_out, kept_out):
    for d in prange(ptr.shape[0] - 1):
        p = pair_ptr[d]
        i = ptr[d]
        hi = ptr[d + 1]
        while i < hi:
            j = i + 1
            while j < hi and out_b[j] == out_b[i]:
                j += 1
            pa_out[p] = d
            pb_out[p] = out_b[i]
            kept_out[p] = _support(out_pa, out_pb, i, j, window, band, min_seeds, ok)
            p += 1
            i = j


def seed_hits(units: np.ndarray, tptr: np.ndarray, *, ngram: int, max_df: int, max_repeat: int, frequent: str,
              min_seeds: int, window: int, band: int, winnow: int = 1) -> Hits:
    """Candidate pairs of documents and their seed hits (see the module doc).

    Only the n-grams ``_winnow`` selects with windows of ``winnow`` n-grams
    are seeds. A hit is kept when ``min_seeds`` hits of its pair (itself
    included) lie within ``window`` words of it and within ``band`` of its
    diagonal (``_support``); a pair with a hit kept is a candidate.
    """
    n_docs = tptr.shape[0] - 1
    keys, shift, pos_bits = gram_keys(units, tptr, ngram, winnow)
    keys = sort_keys(keys)
    n_chunks = max(1, min(numba.get_num_threads() * 8, keys.shape[0] // 4096 + 1))
    bounds = _run_bounds(keys, shift, n_chunks)
    counts = np.zeros(n_chunks + 1, dtype=np.int64)
    star = FREQUENT[frequent]
    e32 = np.empty(0, dtype=np.int32)
    _all_hits(keys, bounds, shift, pos_bits, tptr, max_df, max_repeat, star, counts, e32, e32, e32, e32, False)
    np.cumsum(counts, out=counts)
    total = int(counts[-1])
    da, db, pa, pb = (np.empty(total, dtype=np.int32) for _ in range(4))
    _all_hits(keys, bounds, shift, pos_bits, tptr, max_df, max_repeat, star, counts, da, db, pa, pb, True)
    del keys
    ptr = _count_first(da, n_docs)
    order = _scatter_first(da, ptr)
    sb, spa, spb = (np.empty(total, dtype=np.int32) for _ in range(3))
    n_pairs = np.zeros(n_docs + 1, dtype=np.int64)
    bits = max(1, int(np.diff(tptr).max(initial=1)).bit_length())
    _sort_within(ptr, order, db, pa, pb, bits, bits, sb, spa, spb, n_pairs)
    del order, da, db, pa, pb
    np.cumsum(n_pairs, out=n_pairs)
    m = int(n_pairs[-1])
    pair_a, pair_b, kept = (np.empty(m, dtype=np.int64) for _ in range(3))
    ok = np.zeros(total, dtype=np.bool_)
    _pairs(ptr, sb, spa, spb, n_pairs, window, band, min_seeds, ok, pair_a, pair_b, kept)
    cand = kept > 0
    hptr = np.zeros(int(cand.sum()) + 1, dtype=np.int64)
    np.cumsum(kept[cand], out=hptr[1:])
    return Hits(pair_a[cand], pair_b[cand], hptr, spa[ok], spb[ok])


def pair_hits(ua: np.ndarray, ub: np.ndarray, *, ngram: int, max_repeat: int, min_seeds: int, window: int,
              band: int) -> tuple[np.ndarray, np.ndarray]:
    """Seed hits of one pair of documents (units of each): every shared n-gram, no frequency cut.

    Returns positions in ``a`` and ``b``, sorted by ``a`` then ``b``, kept
    by the same support rule as ``seed_hits``.
    """
    ha = np.empty(max(1, ua.shape[0]), dtype=np.uint64)
    hb = np.empty(max(1, ub.shape[0]), dtype=np.uint64)
    na = window_hashes(ua, 0, ua.shape[0], ngram, ha, 0) if ua.shape[0] >= ngram else 0
    nb = window_hashes(ub, 0, ub.shape[0], ngram, hb, 0) if ub.shape[0] >= ngram else 0
    ha, hb = ha[:na], hb[:nb]
    ob = np.argsort(hb, kind="stable")
    sb = hb[ob]
    lo = np.searchsorted(sb, ha, side="left")
    hi = np.searchsorted(sb, ha, side="right")
    _, inv, count_a = np.unique(ha, return_inverse=True, return_counts=True)
    n = hi - lo
    n[(n > max_repeat) | (count_a[inv] > max_repeat)] = 0
    pa = np.repeat(np.arange(na, dtype=np.int32), n)
    first = np.repeat(lo, n) + (np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n))
    pb = ob[first].astype(np.int32)
    order = np.lexsort((pb, pa))
    pa, pb = pa[order], pb[order]
    ok = np.zeros(pa.shape[0], dtype=np.bool_)
    _support(pa, pb, 0, pa.shape[0], window, band, min_seeds, ok)
    return pa[ok], pb[ok]
