"""Groups: passages of pairs of documents -> copies of one passage across documents.

Each alignment has an occurrence in each of its two documents.

1. In one document, alignment ends that overlap by ``RELATIVE_OVERLAP`` of
   the longer one are one occurrence; alignments join occurrences into
   groups (union-find, ``_cluster.components``).
2. An occurrence covers whole words: it grows over tokens joined to it by
   punctuation without a space (``2.0``, ``e-mail``, a URL; ``glue``), so it
   never starts or ends inside one.
3. A group holds each region of a document once: its occurrences of one
   document that overlap are one (their union).
4. A group held by another joins it: a passage nested in a longer one
   where the two meet (each of its occurrences in a document of the other
   lies inside one of the other's, in two documents or more and in half
   of its documents or more); its occurrences there are absorbed, its
   others added. Steps 3 and 4 repeat until nothing changes.
5. Groups in more than ``max_docs`` documents are stock text, left out.

Groups come in input order of their first occurrence, occurrences in
(document, start) order. The occurrences of one group are disjoint, and no
group lies inside another; occurrences of different groups may overlap
(two passages that share some words of one document).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, prange

from .._verify import _cluster
from .._text import _tokens


class PairPassages(NamedTuple):
    """Passages of candidate pairs (``_align.align_pairs``), as token spans."""

    doc_a: np.ndarray
    doc_b: np.ndarray
    sa: np.ndarray
    ea: np.ndarray
    sb: np.ndarray
    eb: np.ndarray
    matches: np.ndarray


class PassageArrays(NamedTuple):
    """Every group as arrays, for pipelines.

    Occurrences are sorted by group, then document, then start; the
    occurrences of group ``g`` are ``group_ptr[g]:group_ptr[g+1]`` and
    ``first[g]`` is its first one (input order). Alignments are sorted by
    group; those of group ``g`` are ``align_ptr[g]:align_ptr[g+1]``, and
    ``align_a``/``align_b`` index occurrences (all arrays' rows).
    ``start``/``end`` (``a_start``...) are ``str`` offsets,
    ``word_start``/``word_end`` (``a_word_start``...) token offsets
    (``_tokens``) in the document; the aligned spans lie inside their
    occurrences, and the occurrences of one group in one document are
    disjoint.
    """

    group_ptr: np.ndarray
    first: np.ndarray
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    word_start: np.ndarray
    word_end: np.ndarray
    align_ptr: np.ndarray
    align_a: np.ndarray
    align_b: np.ndarray
    a_start: np.ndarray
    a_end: np.ndarray
    b_start: np.ndarray
    b_end: np.ndarray
    a_word_start: np.ndarray
    a_word_end: np.ndarray
    b_word_start: np.ndarray
    b_word_end: np.ndarray
    matches: np.ndarray
    similarity: np.ndarray


#: Two alignment ends in one document are one occurrence when they overlap by at least this
#: share of the longer one. passim's ``--relative-overlap`` is 0.5; on 20
#: Newsgroups 0.5 chained header lines ("Organization: ... Lines: ...")
#: through their overlaps into one group of 12,642 occurrences, 0.8 leaves
#: groups of copies of one passage. Ends that overlap less join different
#: groups, unless the groups' alignments join them (then they are one region).
RELATIVE_OVERLAP = 0.8

#: Characters that join two tokens into one word when they alone (at most ``GLUE_CHARS`` of them,
#: no space) stand between them: ``2.0``, ``don't``, ``e-mail``, ``a/b``, ``user@host``, a URL's ``://``.
GLUE = ".,'\u2019-_/:@#%&+=?~"
GLUE_CHARS = 3


@njit(cache=True)
def _occurrences(doc, s, e, order):
    """Occurrence id of every node (nodes sorted by ``order``: document, start, end descending).

    A node joins the current occurrence of its document when it overlaps
    the previous node, or the longest node of the occurrence, by at least
    ``RELATIVE_OVERLAP`` of the longer of the two. (Joining a node that
    merely lies inside the longest one chains templated documents: on 732
    Debian ``copyright`` files, all but a few dozen passages became one
    group.) Occurrences of one group that still overlap are joined later
    (``_union``).
    """
    n = order.shape[0]
    occ = np.empty(n, dtype=np.int64)
    k = -1
    last = -1
    longest = -1
    for x in range(n):
        v = order[x]
        join = False
        if last >= 0 and doc[last] == doc[v]:
            for w in (last, longest):
                ov = min(e[w], e[v]) - max(s[w], s[v])
                if ov > 0 and ov >= RELATIVE_OVERLAP * max(e[w] - s[w], e[v] - s[v]):
                    join = True
        if not join:
            k += 1
            longest = v
        elif e[v] - s[v] > e[longest] - s[longest]:
            longest = v
        occ[v] = k
        last = v
    return occ, k + 1


@njit(cache=True)
def _extents(occ, n_occ, doc, s, e):
    od = np.empty(n_occ, dtype=np.int64)
    os_ = np.full(n_occ, np.int64(1) << 62, dtype=np.int64)
    oe = np.zeros(n_occ, dtype=np.int64)
    for v in range(occ.shape[0]):
        k = occ[v]
        od[k] = doc[v]
        os_[k] = min(os_[k], s[v])
        oe[k] = max(oe[k], e[v])
    return od, os_, oe


@njit(cache=True, parallel=True)
def _glue(cps, doc_ptr, tptr, starts, ends, joiners, most):
    """1 for every token joined to the one before it by at most ``most`` ``joiners`` characters and nothing else."""
    out = np.zeros(starts.shape[0], dtype=np.uint8)
    for d in prange(tptr.shape[0] - 1):
        base = doc_ptr[d]
        for t in range(tptr[d] + 1, tptr[d + 1]):
            lo = ends[t - 1]
            hi = starts[t]
            if hi - lo < 1 or hi - lo > most:
                continue
            ok = True
            for i in range(base + lo, base + hi):
                c = np.int64(cps[i])
                if c >= joiners.shape[0] or not joiners[c]:
                    ok = False
                    break
            out[t] = ok
    return out


def word_glue(cps: np.ndarray, doc_ptr: np.ndarray, tokens: _tokens.Tokens) -> np.ndarray:
    """Per token, 1 when punctuation without a space joins it to the token before (see ``GLUE``).

    ``cps``/``doc_ptr`` are the texts' code points (``_codepoints.code_points``), ``tokens`` their tokens.
    """
    joiners = np.zeros(max(ord(c) for c in GLUE) + 1, dtype=np.bool_)
    joiners[[ord(c) for c in GLUE]] = True
    return _glue(cps, doc_ptr, tokens.tptr, tokens.starts, tokens.ends, joiners, GLUE_CHARS)


@njit(cache=True)
def _whole_words(od, os_, oe, tptr, glue):
    """Grow every occurrence (token spans of documents ``od``) over the tokens glued to its ends."""
    for k in range(od.shape[0]):
        base = tptr[od[k]]
        n = tptr[od[k] + 1] - base
        while os_[k] > 0 and glue[base + os_[k]]:
            os_[k] -= 1
        while oe[k] < n and glue[base + oe[k]]:
            oe[k] += 1


@njit(cache=True)
def _union(order, group, od, os_, oe):
    """Occurrences sorted by ``order`` (group, document, start): one id per overlapping run of one group and document.

    Returns the new id of every occurrence and each new one's document, start and end.
    """
    n = order.shape[0]
    new = np.empty(n, dtype=np.int64)
    nd = np.empty(n, dtype=np.int64)
    ns = np.empty(n, dtype=np.int64)
    ne = np.empty(n, dtype=np.int64)
    k = -1
    for x in range(n):
        v = order[x]
        if k >= 0 and group[v] == group[order[x - 1]] and od[v] == nd[k] and os_[v] < ne[k]:
            ne[k] = max(ne[k], oe[v])
        else:
            k += 1
            nd[k] = od[v]
            ns[k] = os_[v]
            ne[k] = oe[v]
        new[v] = k
    return new, nd[: k + 1], ns[: k + 1], ne[: k + 1]


@njit(cache=True)
def _inside(gptr, doc, s, e, h, d, a, b):
    """Where group ``h`` holds ``[a, b)`` of document ``d``: the occurrence holding it, -1 when ``h`` has an
    occurrence in ``d`` but none holding it, -2 when ``h`` has none in ``d``.

    Group ``h``'s occurrences are ``gptr[h]:gptr[h+1]``, sorted by (document, start), disjoint.
    """
    lo = gptr[h]
    hi = gptr[h + 1]
    while lo < hi:  # first occurrence after (d, a)
        mid = (lo + hi) >> 1
        if doc[mid] < d or (doc[mid] == d and s[mid] <= a):
            lo = mid + 1
        else:
            hi = mid
    c = lo - 1
    if c >= gptr[h] and doc[c] == d:
        return c if s[c] <= a and e[c] >= b else -1
    return -1 if lo < gptr[h + 1] and doc[lo] == d else -2


@njit(cache=True)
def _holds(gptr, doc, s, e, h, g):
    """True when group ``h`` holds group ``g`` where they meet: every occurrence of ``g`` in a document of ``h``
    lies inside one of ``h``'s, in two documents or more and in half of ``g``'s documents or more (a short
    passage in many documents, inside a longer one in a few, is a passage of its own: on templated text, such
    as Debian's ``copyright`` files, joining them chains hundreds of documents into one group)."""
    shared = 0
    docs = 0
    last = -1
    for k in range(gptr[g], gptr[g + 1]):
        c = _inside(gptr, doc, s, e, h, doc[k], s[k], e[k])
        if c == -1:
            return False
        if doc[k] != last:
            docs += 1
            shared += c >= 0
            last = doc[k]
    return shared >= 2 and 2 * shared >= docs


@njit(cache=True)
def _above(cover, gptr, h, g):
    """The group a group joins when several hold it: more words covered, then more occurrences, then earlier."""
    if cover[h] != cover[g]:
        return cover[h] > cover[g]
    nh = gptr[h + 1] - gptr[h]
    ng = gptr[g + 1] - gptr[g]
    if nh != ng:
        return nh > ng
    return h < g


@njit(cache=True, parallel=True)
def _containers(gptr, doc, s, e, group, by_doc, pos, reach, doc_lo, cover):
    """For every group, the group that holds it (``_holds``), highest in ``_above`` order, or -1.

    Candidates are the groups with an occurrence holding one of the group's
    occurrences: ``by_doc`` lists occurrences by (document, start, end
    descending), ``pos`` is each one's place there, ``reach`` the furthest
    end of its document up to each place, ``doc_lo`` where each place's
    document begins.
    """
    n_groups = gptr.shape[0] - 1
    target = np.full(n_groups, -1, dtype=np.int64)
    for g in prange(n_groups):
        best = -1
        for k in range(gptr[g], gptr[g + 1]):
            p = pos[k]
            q = p - 1
            while q >= doc_lo[p] and reach[q] >= e[k]:
                c = by_doc[q]
                h = group[c]
                if (h != g and e[c] >= e[k] and h != best and (best < 0 or _above(cover, gptr, h, best))
                        and _holds(gptr, doc, s, e, h, g)):
                    best = h
                q -= 1
            q = p + 1
            while q < by_doc.shape[0] and doc[by_doc[q]] == doc[k] and s[by_doc[q]] == s[k] and e[by_doc[q]] == e[k]:
                c = by_doc[q]
                h = group[c]
                if (h != g and h != best and (best < 0 or _above(cover, gptr, h, best))
                        and _holds(gptr, doc, s, e, h, g)):
                    best = h
                q += 1
        target[g] = best
    return target


@njit(cache=True)
def _reach(ends, starts):
    out = np.empty_like(ends)
    for i in range(ends.shape[0]):
        out[i] = ends[i] if starts[i] else max(out[i - 1], ends[i])
    return out


def _targets(group, od, os_, oe):
    """``_containers`` of occurrences sorted by group, document and start, disjoint within a group."""
    n_groups = int(group.max(initial=-1)) + 1
    gptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(group, minlength=n_groups), out=gptr[1:])
    cover = np.bincount(group, weights=oe - os_, minlength=n_groups).astype(np.int64)
    by_doc = np.lexsort((group, -oe, os_, od))
    pos = np.empty_like(by_doc)
    pos[by_doc] = np.arange(by_doc.shape[0])
    d_sorted = od[by_doc]
    starts = np.r_[True, d_sorted[1:] != d_sorted[:-1]] if d_sorted.size else np.zeros(0, dtype=bool)
    doc_lo = np.maximum.accumulate(np.where(starts, np.arange(d_sorted.shape[0]), 0)) if d_sorted.size else d_sorted
    reach = _reach(oe[by_doc], starts)
    return _containers(gptr, od, os_, oe, group, by_doc, pos, reach, doc_lo, cover)


def _regions(occ, group, od, os_, oe):
    """Join overlapping occurrences of a group and groups held by another (steps 3 and 4), until none is left.

    ``occ`` maps alignment ends to occurrences ``(group, od, os_, oe)``; returns them all anew, occurrences
    sorted by group, document and start.
    """
    while True:  # every round but the last joins groups, so it ends (4 rounds on 20 Newsgroups, 3 on Debian copyrights)
        merged, od, os_, oe = _union(np.lexsort((os_, od, group)), group, od, os_, oe)
        occ = merged[occ]
        group_of = np.empty(od.shape[0], dtype=np.int64)
        group_of[merged] = group
        target = _targets(group_of, od, os_, oe)
        held = np.flatnonzero(target >= 0)
        if held.size == 0:
            return occ, group_of, od, os_, oe
        # a held group takes the label of its holder's component; its occurrences inside the holder's are
        # then joined to them by the next _union
        group = _cluster.components(target.shape[0], held, target[held])[group_of]


def group_stage(tokens: _tokens.Tokens, pp: PairPassages, glue: np.ndarray | None = None,
                max_docs: int | None = None) -> PassageArrays:
    """Groups of occurrences joined by passages, in input order (see the module doc).

    ``glue`` (``word_glue``) grows occurrences to whole words; without it they end where the alignments end.
    Groups in more than ``max_docs`` documents (stock text: headers, signatures, licences) are left out, with
    the groups nested in them.
    """
    n = pp.doc_a.shape[0]
    doc = np.concatenate([pp.doc_a, pp.doc_b])
    s = np.concatenate([pp.sa, pp.sb])
    e = np.concatenate([pp.ea, pp.eb])
    order = np.lexsort((-e, s, doc))
    occ, n_occ = _occurrences(doc, s, e, order)
    od, os_, oe = _extents(occ, n_occ, doc, s, e)
    if glue is not None:
        _whole_words(od, os_, oe, tokens.tptr, glue)
    # occurrences are numbered in (document, start) order, and components are
    # labelled by their smallest member: its first occurrence in input order
    label = _cluster.components(n_occ, occ[:n], occ[n:])
    roots = np.unique(label)
    group = np.searchsorted(roots, label)
    # one occurrence per region of a group's document; nested groups join the group holding them
    occ, group_of, od, os_, oe = _regions(occ, group, od, os_, oe)
    n_all = od.shape[0]
    stays = np.zeros(int(group_of.max(initial=-1)) + 1, dtype=np.bool_)
    stays[group_of] = True
    keep = np.arange(n_all)
    if max_docs is not None:  # documents per group: occurrences are sorted by group, then document
        g, d = group_of[keep], od[keep]
        new_doc = np.r_[True, (g[1:] != g[:-1]) | (d[1:] != d[:-1])] if keep.size else np.zeros(0, dtype=bool)
        stays &= np.bincount(g[new_doc], minlength=stays.shape[0]) <= max_docs
        keep = keep[stays[g]]
    group = (np.cumsum(stays) - 1)[group_of[keep]]
    kd, ws, we = od[keep], os_[keep], oe[keep]
    # groups in input order of their first occurrence (growing to whole words can move a start back)
    n_groups = int(stays.sum())
    first = np.searchsorted(group, np.arange(n_groups))
    renumber = np.empty(n_groups, dtype=np.int64)
    renumber[np.lexsort((ws[first], kd[first]))] = np.arange(n_groups)
    group = renumber[group]
    korder = np.lexsort((ws, kd, group))
    group, kd, ws, we = group[korder], kd[korder], ws[korder], we[korder]
    rank = np.full(n_all, -1, dtype=np.int64)
    rank[keep[korder]] = np.arange(keep.shape[0])
    group_ptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(group, minlength=n_groups), out=group_ptr[1:])
    sorted_doc = kd
    base = tokens.tptr[sorted_doc]
    start = tokens.starts[base + ws]
    end = tokens.ends[base + we - 1]
    # alignments (of the groups kept)
    kept = rank[occ[:n]] >= 0
    occ = np.concatenate([occ[:n][kept], occ[n:][kept]])
    pp = PairPassages(*(x[kept] for x in pp))
    n = pp.doc_a.shape[0]
    aa = rank[occ[:n]]
    ab = rank[occ[n:]]
    agroup = group[aa]
    aorder = np.lexsort((pp.sb, pp.sa, ab, aa, agroup))
    align_ptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(agroup, minlength=n_groups), out=align_ptr[1:])
    ta, tb = tokens.tptr[pp.doc_a][aorder], tokens.tptr[pp.doc_b][aorder]
    sa, ea, sb, eb = pp.sa[aorder], pp.ea[aorder], pp.sb[aorder], pp.eb[aorder]
    matches = pp.matches[aorder]
    sim = 2.0 * matches / np.maximum((ea - sa) + (eb - sb), 1)
    return PassageArrays(
        group_ptr=group_ptr, first=group_ptr[:-1].copy(), doc=sorted_doc, start=start, end=end,
        word_start=ws, word_end=we, align_ptr=align_ptr, align_a=aa[aorder], align_b=ab[aorder],
        a_start=tokens.starts[ta + sa], a_end=tokens.ends[ta + ea - 1],
        b_start=tokens.starts[tb + sb], b_end=tokens.ends[tb + eb - 1],
        a_word_start=sa, a_word_end=ea, b_word_start=sb, b_word_end=eb, matches=matches, similarity=sim)
