"""Groups: passages of pairs of documents -> copies of one passage across documents.

Each alignment has an occurrence in each of its two documents. In one
document, occurrences that overlap by ``RELATIVE_OVERLAP`` of the longer one
are one occurrence (their union); alignments join occurrences into groups
(union-find, ``_cluster.components``). Groups come in input order of their
first occurrence, occurrences in (document, start) order.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

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
    occurrences.
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


#: Two occurrences in one document are one when they overlap by at least this
#: share of the longer one. passim's ``--relative-overlap`` is 0.5; on 20
#: Newsgroups 0.5 chained header lines ("Organization: ... Lines: ...")
#: through their overlaps into one group of 12,642 occurrences, 0.8 leaves
#: groups of copies of one passage (the largest, 1,154 occurrences, is one
#: uuencoded binary's repeated lines in 10 posts).
RELATIVE_OVERLAP = 0.8


@njit(cache=True)
def _occurrences(doc, s, e, order):
    """Occurrence id of every node (nodes sorted by ``order``: document, start, end descending).

    A node joins the current occurrence of its document when it overlaps
    the previous node, or the longest node of the occurrence, by at least
    ``RELATIVE_OVERLAP`` of the longer of the two.
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


def group_stage(tokens: _tokens.Tokens, pp: PairPassages) -> PassageArrays:
    """Groups of occurrences joined by passages (see ``_occurrences``), in input order."""
    n = pp.doc_a.shape[0]
    doc = np.concatenate([pp.doc_a, pp.doc_b])
    s = np.concatenate([pp.sa, pp.sb])
    e = np.concatenate([pp.ea, pp.eb])
    order = np.lexsort((-e, s, doc))
    occ, n_occ = _occurrences(doc, s, e, order)
    od, os_, oe = _extents(occ, n_occ, doc, s, e)
    # occurrences are numbered in (document, start) order, and components are
    # labelled by their smallest member: its first occurrence in input order
    label = _cluster.components(n_occ, occ[:n], occ[n:])
    roots = np.unique(label)
    group = np.searchsorted(roots, label)
    oorder = np.argsort(group, kind="stable")
    rank = np.empty(n_occ, dtype=np.int64)
    rank[oorder] = np.arange(n_occ)
    n_groups = roots.shape[0]
    group_ptr = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(np.bincount(group, minlength=n_groups), out=group_ptr[1:])
    sorted_doc = od[oorder]
    ws, we = os_[oorder], oe[oorder]
    base = tokens.tptr[sorted_doc]
    start = tokens.starts[base + ws]
    end = tokens.ends[base + we - 1]
    # alignments
    aa = rank[occ[:n]]
    ab = rank[occ[n:]]
    agroup = group[occ[:n]]
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
