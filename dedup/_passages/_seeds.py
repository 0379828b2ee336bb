"""Seeds: word n-grams shared by two documents, as hits, then the candidate pairs they vote for.

    units (CSR, ``_tokens``) --gram_keys--> one key per winnowed n-gram occurrence: hash prefix | doc | position
                             --_keysort.sort_keys--> occurrences of each n-gram side by side
                             --_all_hits--> hits (doc a < doc b, position in a, position in b)
                             --_candidates.candidate_pairs--> candidate pairs and their hits (``Hits``)

Which occurrences become hits (``seed_hits``), for the occurrences of one
n-gram in ``df`` documents:

* an n-gram repeated more than ``max_repeat`` times in one document is
  ignored in that document (passim's ``--max-repeat``, default 10);
* ``2 <= df <= max_df``: every pair of documents holding it gets a hit for
  every pair of its occurrences (the n-gram is *rare*; passim's
  ``--maxDF``/``--max-series``);
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
(0.4 with the window of 4 that ``PassageConfig``'s defaults give), which
cuts the keys and the hits, and drops pairs that share only a short phrase
before they cost an alignment.

A pair is a candidate when ``min_seeds`` of its hits cluster like the seeds
of one passage (``_candidates``). Star links keep the work linear in the size of a reuse group: a passage in
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

import numba
import numpy as np
from numba import njit, prange

from ._candidates import Hits, _support, candidate_pairs
from .._core._keysort import sort_keys
from .._text._tokens import window_hashes

FREQUENT = {"star": 1, "drop": 0}  # the codes of _options.FREQUENT


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
def _gram_keys(units, tptr, ngram, window, shift, pos_bits, d0, t0, kptr, keys, counts):
    """Keys of the winnowed n-grams of every document, packed from ``kptr[d]``; their count to ``counts[d]``.

    The documents are ``d0, d0 + 1, ...`` of the corpus, their first token its ``t0``-th (a slice of it).
    """
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
                low = (np.uint64(d0 + d) << pb) | np.uint64(t) if pos_bits > 0 else np.uint64(t0 + a + t)
                keys[k + x] = (h[t] & ~mask) | low
            counts[d] = c


@njit(cache=True, parallel=True)
def _pack_rows(src, src_ptr, counts, dst_ptr, dst):
    for d in prange(counts.shape[0]):
        dst[dst_ptr[d] : dst_ptr[d] + counts[d]] = src[src_ptr[d] : src_ptr[d] + counts[d]]


def gram_keys(units: np.ndarray, tptr: np.ndarray, ngram: int, window: int = 1, *, of=None, d0: int = 0,
              t0: int = 0) -> tuple[np.ndarray, int, int]:
    """One key per winnowed word n-gram occurrence (``window`` 1: every n-gram), unsorted.

    Documents shorter than ``ngram`` have none. Returns the keys and their ``layout``. For a slice of a
    corpus (``tptr`` from 0), ``of`` is the corpus's layout and ``d0``/``t0`` its first document and token.
    """
    shift, pos_bits = layout(tptr) if of is None else of
    bound = np.maximum(np.diff(tptr) - ngram + 1, 0)
    kptr = np.zeros(tptr.shape[0], dtype=np.int64)
    np.cumsum(bound, out=kptr[1:])
    keys = np.empty(int(kptr[-1]), dtype=np.uint64)
    counts = np.empty(tptr.shape[0] - 1, dtype=np.int64)
    _gram_keys(units, tptr, ngram, window, shift, pos_bits, d0, t0, kptr, keys, counts)
    if window == 1:
        return keys, shift, pos_bits
    dense_ptr = np.zeros(tptr.shape[0], dtype=np.int64)
    np.cumsum(counts, out=dense_ptr[1:])
    dense = np.empty(int(dense_ptr[-1]), dtype=np.uint64)
    _pack_rows(keys, kptr, counts, dense_ptr, dense)
    return dense, shift, pos_bits


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


def sorted_hits(keys: np.ndarray, shift: int, pos_bits: int, tptr: np.ndarray, *, max_df: int, max_repeat: int,
                frequent: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hits ``(doc a, doc b, position in a, in b)`` (int32) of sorted keys, in key order.

    A run of equal prefixes is never split across calls: keys cut on their high bits (``shift`` or more
    below the top) give, call after call, the hits of the whole array.
    """
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
    return da, db, pa, pb


def seed_hits(units: np.ndarray, tptr: np.ndarray, *, ngram: int, max_df: int, max_repeat: int, frequent: str,
              min_seeds: int, window: int, band: int, winnow: int = 1) -> Hits:
    """Candidate pairs of documents and their seed hits (see the module doc).

    Only the n-grams ``_winnow`` selects with windows of ``winnow`` n-grams
    are seeds. A hit is kept when ``min_seeds`` hits of its pair (itself
    included) lie within ``window`` words of it and within ``band`` of its
    diagonal (``_support``); a pair with a hit kept is a candidate.
    """
    keys, shift, pos_bits = gram_keys(units, tptr, ngram, winnow)
    keys = sort_keys(keys)
    da, db, pa, pb = sorted_hits(keys, shift, pos_bits, tptr, max_df=max_df, max_repeat=max_repeat,
                                 frequent=frequent)
    del keys
    return candidate_pairs(da, db, pa, pb, tptr, min_seeds=min_seeds, window=window, band=band)


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
