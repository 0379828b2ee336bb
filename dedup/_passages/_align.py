"""Alignment: seeds of one document pair -> the passages they share, allowing word edits.

Units are token values (``_tokens``); two tokens match when their units are
equal. Scores are word-level edit costs: a match +1, a substitution, an
insertion or a deletion -1 (Levenshtein's unit costs turned into a
similarity score, as in Smith-Waterman with a linear gap).

**Extension** (``_xdrop``) is the X-drop gapped extension of BLAST (Zhang,
Schwartz, Wagner and Miller 2000, "A greedy algorithm for aligning DNA
sequences"; Altschul et al. 1997): dynamic programming outward from a seed,
row by row, keeping only the cells whose score is within ``xdrop`` of the
best score seen, and stopping when a row has none. The passage ends at the
best-scoring cell (the first one reached, on ties). The live cells of a row
are those near the best path (a cell ``k`` steps off it is ``k`` indels
worse), so the work is about the passage's length times ``2 xdrop``, never
the product of the documents' lengths, and the band follows insertions and
deletions wherever they drift. A run of edits costing ``xdrop`` or more ends
the extension; unrelated text after a passage ends it within about
``xdrop`` words, since its cells lose one point per word.

**Per pair** (``_pair``), seeds are taken in order of their position in the
first document. A seed inside a passage already found (in both documents)
is skipped; otherwise it is checked (its words must match: seeds come from
hash prefixes), followed word by word along its diagonal while the words
match (one comparison per word, where a row of the X-drop costs about
``2 xdrop`` cells: most copies are verbatim for long stretches), and
extended by X-drop backward and forward from where the exact run breaks. The backward extension
stops at the end of the nearest passage before it in both documents, so
pieces never overlap. Pieces that follow each other in both documents with
at most ``max_gap`` words between them in each are joined (a reworded or
inserted sentence inside a copied passage: the gap counts as substitutions
then indels); a piece contained in another is dropped; passages with fewer
than ``min_words`` aligned equal words are dropped (two stock phrases a few
words apart align across the words between them, but share few words).

The result per passage: token spans ``[sa, ea)``, ``[sb, eb)``, aligned
matches, score; with ``trace`` also the edit script, one op per aligned
column: ``MATCH``, ``SUBST`` (a word of each), ``DELETE`` (a word of ``a``
only), ``INSERT`` (a word of ``b`` only).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

MATCH = 0
SUBST = 1
DELETE = 2
INSERT = 3
_ORIGIN = 4

_NEG = -(1 << 40)  # a dead cell; stays far below any floor after a few -1s


@njit(cache=True)
def _xdrop(ua, abase, alen, ub, bbase, blen, step, xdrop, H0, M0, H1, M1, tb, rowinfo, trace):
    """X-drop extension from ``(abase, bbase)`` in direction ``step`` (+1 forward, -1 backward).

    Row ``i`` reads ``ua[abase + step * (i - 1)]``, column ``j`` reads
    ``ub[bbase + step * (j - 1)]``; at most ``alen`` and ``blen`` of them.
    ``H0``, ``M0``, ``H1``, ``M1`` are int64 scratch of at least ``blen + 3``
    values (column ``j`` is stored at ``j + 1``; ``j = -1`` and the column
    after a row's live range hold ``_NEG`` sentinels, so the inner loop has no
    bound checks). With ``trace``, the direction of every computed cell goes
    to ``tb`` from offset 0, and row ``i``'s first column and offset to
    ``rowinfo[i]``.

    Returns
    -------
    (i, j, score, matches, used): the best cell (words of ``a`` and ``b``
    taken), its score and number of matching words on its path, and the
    number of ``tb`` bytes written (-1 if ``tb`` was too small).
    """
    best = np.int64(0)
    bi = 0
    bj = 0
    bm = np.int64(0)
    used = 0
    cap = tb.shape[0]
    prev, prevM, cur, curM = H0, M0, H1, M1
    prev[0] = _NEG  # column -1
    j = 0
    while j <= blen and j <= xdrop:
        prev[j + 1] = -j
        prevM[j + 1] = 0
        if trace:
            if used >= cap:
                return 0, 0, np.int64(0), np.int64(0), -1
            tb[used] = _ORIGIN if j == 0 else INSERT
            used += 1
        j += 1
    if trace:
        rowinfo[0, 0] = 0
        rowinfo[0, 1] = 0
    pL = 0
    pR = j - 1
    i = 1
    while i <= alen:
        a = ua[abase + step * (i - 1)]
        floor = best - xdrop
        prev[pL] = _NEG  # column pL - 1: no diagonal into column pL
        prev[pR + 2] = _NEG  # column pR + 1: nothing above it
        L = -1
        R = -1
        rowoff = used
        left = _NEG
        leftm = np.int64(0)
        top = min(pR + 1, blen)
        for j in range(pL, top + 1):
            # diagonal (preferred on ties), then up, then left
            if j > 0 and a == ub[bbase + step * (j - 1)]:
                s = prev[j] + 1
                sm = prevM[j] + 1
                d = MATCH
            else:
                s = prev[j] - 1
                sm = prevM[j]
                d = SUBST
            up = prev[j + 1] - 1
            if up > s:
                s = up
                sm = prevM[j + 1]
                d = DELETE
            if left - 1 > s:
                s = left - 1
                sm = leftm
                d = INSERT
            if s < floor:
                s = _NEG
            else:
                if L < 0:
                    L = j
                R = j
                if s > best:  # the floor rises with the best at once, within the row too
                    best = s
                    bi = i
                    bj = j
                    bm = sm
                    floor = best - xdrop
            cur[j + 1] = s
            curM[j + 1] = sm
            left = s
            leftm = sm
            if trace:
                if used >= cap:
                    return 0, 0, np.int64(0), np.int64(0), -1
                tb[used] = d
                used += 1
        j = top + 1
        while j <= blen and left - 1 >= floor:  # past the row above: only gaps in a, never a new best
            left -= 1
            cur[j + 1] = left
            curM[j + 1] = leftm
            R = j
            if trace:
                if used >= cap:
                    return 0, 0, np.int64(0), np.int64(0), -1
                tb[used] = INSERT
                used += 1
            j += 1
        if L < 0:
            break
        if trace:
            rowinfo[i, 0] = pL
            rowinfo[i, 1] = rowoff
        prev, cur = cur, prev
        prevM, curM = curM, prevM
        pL = L
        pR = R
        i += 1
    return bi, bj, best, bm, used


@njit(cache=True)
def _traceback(tb, rowinfo, i, j, ops, o, reverse):
    """Write the ops of the path ending at cell ``(i, j)`` to ``ops[o:]``; return how many.

    The path is read from its end; ``reverse`` writes them in path order
    (forward extensions), else as read (backward extensions, whose path runs
    right to left in the text, so reading it backward gives text order).
    """
    n = 0
    while i > 0 or j > 0:
        d = tb[rowinfo[i, 1] + j - rowinfo[i, 0]] if i > 0 else INSERT
        ops[o + n] = d
        n += 1
        if d == MATCH or d == SUBST:
            i -= 1
            j -= 1
        elif d == DELETE:
            i -= 1
        else:
            j -= 1
    if reverse:
        x = o
        y = o + n - 1
        while x < y:
            t = ops[x]
            ops[x] = ops[y]
            ops[y] = t
            x += 1
            y -= 1
    return n


@njit(cache=True)
def _seed_ok(ua, a, ub, b, ngram):
    for t in range(ngram):
        if ua[a + t] != ub[b + t]:
            return False
    return True


@njit(cache=True)
def _pair(ua, a0, alen, ub, b0, blen, spa, spb, ngram, xdrop, max_gap, min_words,
          H0, M0, H1, M1, work, psa, pea, psb, peb, pm, ps, tb, rowinfo, ops, op_lo, op_hi, trace):
    """Passages of documents ``ua[a0:a0+alen]`` and ``ub[b0:b0+blen]`` from the seeds ``spa``/``spb``.

    Candidates are written to ``psa..ps`` (token offsets within each
    document; at least ``len(spa)`` slots); returns how many passages remain
    at the front after joining and filtering, or -1 when ``trace`` storage
    ran out (``tb``/``ops`` too small: the caller retries with more).
    With ``trace``, passage ``k``'s ops are ``ops[op_lo[k]:op_hi[k]]``.
    ``work`` is int64 scratch of shape (10, at least ``len(spa)``).
    """
    m = 0
    n_ops = 0
    for k in range(spa.shape[0]):
        pa = np.int64(spa[k])
        pb = np.int64(spb[k])
        q = m - 1  # the last passage found covers most of the seeds that follow it
        if q >= 0 and psa[q] <= pa and pa + ngram <= pea[q] and psb[q] <= pb and pb + ngram <= peb[q]:
            continue
        covered = False
        prev = -1
        prev_gap = np.int64(1) << 62
        for q in range(m):
            if psa[q] <= pa and pa + ngram <= pea[q] and psb[q] <= pb and pb + ngram <= peb[q]:
                covered = True
                break
            if pea[q] <= pa and peb[q] <= pb:
                g = (pa - pea[q]) + (pb - peb[q])
                if g < prev_gap:
                    prev_gap = g
                    prev = q
        if covered or not _seed_ok(ua, a0 + pa, ub, b0 + pb, ngram):
            continue
        lim_a = pea[prev] if prev >= 0 else 0
        lim_b = peb[prev] if prev >= 0 else 0
        # the exact run through the seed, word by word; the X-drop takes over where it breaks
        ra = pa
        rb = pb
        while ra > lim_a and rb > lim_b and ua[a0 + ra - 1] == ub[b0 + rb - 1]:
            ra -= 1
            rb -= 1
        qa = pa + ngram
        qb = pb + ngram
        while qa < alen and qb < blen and ua[a0 + qa] == ub[b0 + qb]:
            qa += 1
            qb += 1
        bi, bj, bs, bm, used = _xdrop(ua, a0 + ra - 1, ra - lim_a, ub, b0 + rb - 1, rb - lim_b, -1, xdrop,
                                      H0, M0, H1, M1, tb, rowinfo, trace)
        if used < 0:
            return -1
        if trace:
            if n_ops + bi + bj + (qa - ra) > ops.shape[0]:
                return -1
            op_lo[m] = n_ops
            n_ops += _traceback(tb, rowinfo, bi, bj, ops, n_ops, False)
            for t in range(qa - ra):
                ops[n_ops] = MATCH
                n_ops += 1
        fi, fj, fs, fm, used = _xdrop(ua, a0 + qa, alen - qa, ub, b0 + qb, blen - qb, 1, xdrop,
                                      H0, M0, H1, M1, tb, rowinfo, trace)
        if used < 0:
            return -1
        if trace:
            if n_ops + fi + fj > ops.shape[0]:
                return -1
            n_ops += _traceback(tb, rowinfo, fi, fj, ops, n_ops, True)
            op_hi[m] = n_ops
        psa[m] = ra - bi
        pea[m] = qa + fi
        psb[m] = rb - bj
        peb[m] = qb + fj
        pm[m] = bm + (qa - ra) + fm
        ps[m] = bs + (qa - ra) + fs
        m += 1
    # order pieces by start in a, then in b (insertion sort: few pieces per pair)
    order = work[0]
    for x in range(m):
        order[x] = x
    for x in range(1, m):
        y = order[x]
        z = x - 1
        while z >= 0 and (psa[order[z]] > psa[y] or (psa[order[z]] == psa[y] and psb[order[z]] > psb[y])):
            order[z + 1] = order[z]
            z -= 1
        order[z + 1] = y
    sa, ea, sb, eb, mm, ss, lo, hi, alive = work[1], work[2], work[3], work[4], work[5], work[6], work[7], work[8], work[9]
    for x in range(m):
        sa[x] = psa[x]
        ea[x] = pea[x]
        sb[x] = psb[x]
        eb[x] = peb[x]
        mm[x] = pm[x]
        ss[x] = ps[x]
        alive[x] = 1
        if trace:
            lo[x] = op_lo[x]
            hi[x] = op_hi[x]
    # join pieces that follow each other in both documents across a small gap
    for x in range(m):
        p = order[x]
        if not alive[p]:
            continue
        for y in range(x + 1, m):
            q = order[y]
            if not alive[q]:
                continue
            if sa[q] - ea[p] > max_gap:
                break
            ga = sa[q] - ea[p]
            gb = sb[q] - eb[p]
            if sa[q] >= sa[p] and ea[q] <= ea[p] and sb[q] >= sb[p] and eb[q] <= eb[p]:
                alive[q] = 0  # contained
                continue
            if ga < 0 or gb < 0 or gb > max_gap:
                continue
            if trace:
                need = (hi[p] - lo[p]) + max(ga, gb) + (hi[q] - lo[q])
                if n_ops + need > ops.shape[0]:
                    return -1
                start = n_ops
                for t in range(lo[p], hi[p]):
                    ops[n_ops] = ops[t]
                    n_ops += 1
                for t in range(max(ga, gb)):
                    ops[n_ops] = SUBST if t < min(ga, gb) else (DELETE if ga > gb else INSERT)
                    n_ops += 1
                for t in range(lo[q], hi[q]):
                    ops[n_ops] = ops[t]
                    n_ops += 1
                lo[p] = start
                hi[p] = n_ops
            ea[p] = ea[q]
            eb[p] = eb[q]
            mm[p] += mm[q]
            ss[p] += ss[q] - max(ga, gb)
            alive[q] = 0
    out = 0
    for x in range(m):
        p = order[x]
        if alive[p] and mm[p] >= min_words:
            psa[out] = sa[p]
            pea[out] = ea[p]
            psb[out] = sb[p]
            peb[out] = eb[p]
            pm[out] = mm[p]
            ps[out] = ss[p]
            if trace:
                op_lo[out] = lo[p]
                op_hi[out] = hi[p]
            out += 1
    return out


@njit(cache=True, parallel=True)
def _align_all(units, tptr, pair_a, pair_b, hptr, pos_a, pos_b, ngram, xdrop, max_gap, min_words, n_tasks,
               sa, ea, sb, eb, matches, score, counts):
    n = pair_a.shape[0]
    for t in prange(n_tasks):
        lo = t * n // n_tasks
        hi = (t + 1) * n // n_tasks
        longest = 1
        for k in range(lo, hi):
            b = pair_b[k]
            longest = max(longest, tptr[b + 1] - tptr[b])
        H0 = np.empty(longest + 3, dtype=np.int64)
        M0 = np.empty(longest + 3, dtype=np.int64)
        H1 = np.empty(longest + 3, dtype=np.int64)
        M1 = np.empty(longest + 3, dtype=np.int64)
        tb = np.empty(0, dtype=np.uint8)
        rowinfo = np.empty((0, 2), dtype=np.int64)
        ops = np.empty(0, dtype=np.uint8)
        ol = np.empty(0, dtype=np.int64)
        most = 1
        for k in range(lo, hi):
            most = max(most, hptr[k + 1] - hptr[k])
        work = np.empty((10, most), dtype=np.int64)
        for k in range(lo, hi):
            a = pair_a[k]
            b = pair_b[k]
            o = hptr[k]
            counts[k] = _pair(units, tptr[a], tptr[a + 1] - tptr[a], units, tptr[b], tptr[b + 1] - tptr[b],
                              pos_a[o : hptr[k + 1]], pos_b[o : hptr[k + 1]], ngram, xdrop, max_gap, min_words,
                              H0, M0, H1, M1, work, sa[o:], ea[o:], sb[o:], eb[o:], matches[o:], score[o:],
                              tb, rowinfo, ops, ol, ol, False)


def align_pairs(units, tptr, hits, *, ngram, xdrop, max_gap, min_words, n_threads):
    """Passages of every candidate pair of ``hits`` (``_seeds.Hits``).

    Returns ``(pair, sa, ea, sb, eb, matches, score)``: one row per passage,
    ``pair`` indexing ``hits.pair_a``/``pair_b``, spans as token offsets
    within each document, rows in pair order, then by start in ``a``.
    """
    n_hits = hits.pos_a.shape[0]
    sa, ea, sb, eb, matches, score = (np.empty(n_hits, dtype=np.int64) for _ in range(6))
    n_pairs = hits.pair_a.shape[0]
    counts = np.zeros(n_pairs, dtype=np.int64)
    n_tasks = max(1, min(n_pairs, n_threads * 16))
    _align_all(units, tptr, hits.pair_a, hits.pair_b, hits.hptr, hits.pos_a, hits.pos_b, ngram, xdrop, max_gap,
               min_words, n_tasks, sa, ea, sb, eb, matches, score, counts)
    sel = np.repeat(hits.hptr[:-1], counts) + (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts,
                                                                                       counts))
    pair = np.repeat(np.arange(n_pairs), counts)
    return pair, sa[sel], ea[sel], sb[sel], eb[sel], matches[sel], score[sel]


def align_one(ua, ub, spa, spb, *, ngram, xdrop, max_gap, min_words):
    """Passages of one pair with their edit scripts (``trace``): for ``dedup.align`` and ``explain``.

    Returns ``(sa, ea, sb, eb, matches, score, ops)`` where ``ops`` is a
    list of uint8 arrays, one per passage.
    """
    k = spa.shape[0]
    slots = max(1, k)
    H0, M0, H1, M1 = (np.empty(ub.shape[0] + 3, dtype=np.int64) for _ in range(4))
    cap_tb = 64 * (ua.shape[0] + ub.shape[0] + 64)
    cap_ops = 4 * (ua.shape[0] + ub.shape[0]) * max(1, min(k, 8)) + 64
    while True:
        psa, pea, psb, peb, pm, ps = (np.empty(slots, dtype=np.int64) for _ in range(6))
        op_lo, op_hi = np.empty(slots, dtype=np.int64), np.empty(slots, dtype=np.int64)
        tb = np.empty(cap_tb, dtype=np.uint8)
        rowinfo = np.empty((ua.shape[0] + 2, 2), dtype=np.int64)
        ops = np.empty(cap_ops, dtype=np.uint8)
        m = _pair(ua, 0, ua.shape[0], ub, 0, ub.shape[0], spa, spb, ngram, xdrop, max_gap, min_words,
                  H0, M0, H1, M1, np.empty((10, slots), dtype=np.int64), psa, pea, psb, peb, pm, ps, tb, rowinfo,
                  ops, op_lo, op_hi, True)
        if m >= 0:
            break
        cap_tb *= 4
        cap_ops *= 4
    return (psa[:m], pea[:m], psb[:m], peb[:m], pm[:m], ps[:m],
            [ops[op_lo[x] : op_hi[x]].copy() for x in range(m)])
