"""Repeated-block groups -> what each occurrence is, which copy is kept, and the text edits.

Input: the group label of every block (``group_labels``: components over exact and
verified near-duplicate edges, so a label is the group's first block), the
document of every block (blocks sorted by document, then by position), and
each block's word count and shingle count.

Kinds of a removed block (``KINDS``):

* ``repeat``: the kept copy is in the same document;
* ``boilerplate``: the group occurs in at least ``min_docs`` documents;
* ``syndicated``: the group occurs in 2 .. ``min_docs - 1`` documents and
  the block has at least ``min_words`` words (a shared two-word heading is
  not syndication);
* ``separator``: a block without letters or digits ("|", "---") whose
  neighbouring blocks are removed (or the document's edge), so removing a menu
  does not leave a column of pipes.

Protecting main content: a block's *own text* is its document's substantial
blocks that no other document has (``anchor_words`` words or more). A block
is *anchored* when own text lies within ``window`` blocks of it in its
document (``anchored``, bit ``NEAR``). A headline on its own page sits next
to its article; the same line as a teaser in another page's "related" list
sits among menus and other teasers. Among the copies of a short block (fewer
than ``protect_words`` words) the kept one is the first copy just *above*
own text (within ``window`` blocks before it: a headline tops its article,
while a related list often follows one), else the first just above any long
block (an article that opens with a syndicated paragraph), else the first
anchored copy, else the first copy. An anchored short block is not removed
for occurring in another document, provided at most half of its group's
copies are anchored (a menu item next to the article is anchored on every
page of the site, a headline only on its own page) and its group is anchored
*at the top* of the own text (with no own text before it: ``LEAD``) in fewer
than ``min_docs`` documents: a headline tops its own page only; a short line
that tops the article on page after page is the last line of a site's
header, above the title, whatever other pages do with the same words.

A short block is removed for occurring in other documents only inside a
*run*: when the block before or after it (among blocks with words) also
occurs in another document. Menus, footers and share buttons come in runs; a
comment "Nice!" or a date line that happens to recur elsewhere sits alone
among unique text. Except the page layout's own lines: a group whose lone
copies are, for most of them and in ``min_docs`` documents or more, just
above the top of their document's own text (a site's last header line
between a date line and the title) is removed alone too. Repeats inside one
document are removed whatever their context (a doubled header, a "read more"
after every entry of a list).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

KEPT = 0
REPEAT = 1
SYNDICATED = 2
BOILERPLATE = 3
SEPARATOR = 4

#: Kind code -> name used in ``Removal.kind``.
KINDS = ("kept", "repeat", "syndicated", "boilerplate", "separator", "passage")

KEEP_FIRST = 0
REMOVE_ALL = 1

#: ``anchored`` bits.
NEAR = 1
ABOVE = 2
TEXT = 4
LEAD = 8


@njit(cache=True)
def group_stats(labels, groups, count, bdoc):
    """Occurrences and distinct documents of every group of two blocks or more.

    Returns int64 arrays ``size`` and ``ndocs``, shape (count,), indexed by
    the groups' numbers (``groups, count`` from ``dense_groups``). Needs
    blocks sorted by document.
    """
    size = np.zeros(count, dtype=np.int64)
    ndocs = np.zeros(count, dtype=np.int64)
    last = np.full(count, -1, dtype=np.int64)
    for x in range(labels.shape[0]):
        g = groups[labels[x]]
        if g < 0:
            continue
        size[g] += 1
        if last[g] != bdoc[x]:
            ndocs[g] += 1
            last[g] = bdoc[x]
    return size, ndocs


@njit(cache=True)
def dense_groups(labels):
    """Dense numbers of the groups of two blocks or more: ``(groups, count)``.

    ``groups`` is int32 (n,), indexed by label: ``groups[labels[x]]`` is the
    number (0 .. count-1, by first block) of the group of block ``x``, or -1
    when its group is that block alone. The per-group tallies of ``anchored``
    and ``decide`` are then ``count`` long instead of one per block: a few
    hundred MB less at 20M blocks. Needs ``labels[g] == g`` for every label.
    """
    n = labels.shape[0]
    groups = np.zeros(n, dtype=np.int32)
    for x in range(n):
        groups[labels[x]] += 1
    count = 0
    for x in range(n):
        if labels[x] == x:
            if groups[x] >= 2:
                groups[x] = count
                count += 1
            else:
                groups[x] = -1
    return groups, count


@njit(cache=True)
def group_labels(rep, i, j):
    """The label (first block) of every block's group: the exact groups ``rep`` joined by the pairs ``(i, j)``.

    Equal to ``_pipeline.components(n, Pairs(i, j, ...), rep)`` (``rep[x]``:
    the first block ``<= x`` with ``x``'s shingle set, -1 for a block never
    grouped), with union-find over the pairs' blocks and their first copies
    only, not over every block: one int64 array of n instead of five. The
    first block of a component is the first copy of one of its blocks, or
    a block never grouped; both are among those.
    """
    n = rep.shape[0]
    m = i.shape[0]
    ends = np.empty(4 * m, dtype=np.int64)  # each pair's blocks and their first copies
    for e in range(m):
        ends[4 * e] = i[e]
        ends[4 * e + 1] = j[e]
        ends[4 * e + 2] = rep[i[e]] if rep[i[e]] >= 0 else i[e]
        ends[4 * e + 3] = rep[j[e]] if rep[j[e]] >= 0 else j[e]
    nodes = np.unique(ends)
    k = nodes.shape[0]
    at = np.searchsorted(nodes, ends)
    parent = np.arange(k, dtype=np.int64)
    for e in range(m):
        _union(parent, at[4 * e], at[4 * e + 1])
        _union(parent, at[4 * e], at[4 * e + 2])
        _union(parent, at[4 * e + 1], at[4 * e + 3])
    marked = np.zeros((n >> 3) + 1, dtype=np.uint8)  # a bit per block: is it a node
    for p in range(k):
        marked[nodes[p] >> 3] |= np.uint8(1 << (nodes[p] & 7))
    labels = np.empty(n, dtype=np.int64)
    for x in range(n):
        c = rep[x] if rep[x] >= 0 else x
        labels[x] = c
        if marked[c >> 3] & (1 << (c & 7)):
            labels[x] = nodes[_root(parent, np.searchsorted(nodes, c))]
    return labels


@njit(cache=True, inline="always")
def _union(parent, a, b):
    """Join the sets of nodes ``a`` and ``b``; the smaller root stays root (nodes sorted: the set's first block)."""
    ra = _root(parent, a)
    rb = _root(parent, b)
    if ra < rb:
        parent[rb] = ra
    elif rb < ra:
        parent[ra] = rb


@njit(cache=True, inline="always")
def _root(parent, a):
    r = a
    while parent[r] != r:
        r = parent[r]
    while parent[a] != r:  # path compression
        nxt = parent[a]
        parent[a] = r
        a = nxt
    return r


@njit(cache=True)
def anchored(bptr, labels, groups, count, words, window, anchor_words):
    """Where each block stands to the substantial blocks of its document, as bits (int8, (n,)).

    ``NEAR``: an own substantial block (``anchor_words`` words or more, its
    group in no other document) lies within ``window`` blocks of it, before
    or after; ``ABOVE``: one lies within ``window`` blocks after it; ``TEXT``:
    a block of ``anchor_words`` words or more (own or not) lies within
    ``window`` blocks after it; ``LEAD``: no own substantial block comes
    before it in its document. ``groups, count`` from ``dense_groups``.
    """
    n = labels.shape[0]
    last = np.full(count, -1, dtype=np.int64)  # a group's document, -2 once it has two
    longest = 0
    for d in range(bptr.shape[0] - 1):
        longest = max(longest, bptr[d + 1] - bptr[d])
        for x in range(bptr[d], bptr[d + 1]):
            g = groups[labels[x]]
            if g >= 0 and last[g] != d:
                last[g] = d if last[g] == -1 else -2
    own = np.zeros(longest + 1, dtype=np.int64)  # one document's prefix counts of substantial blocks: own, any
    text = np.zeros(longest + 1, dtype=np.int64)
    out = np.zeros(n, dtype=np.int8)
    for d in range(bptr.shape[0] - 1):
        a = bptr[d]
        b = bptr[d + 1]
        for x in range(a, b):
            big = words[x] >= anchor_words
            g = groups[labels[x]]
            own[x - a + 1] = own[x - a] + (1 if big and (g < 0 or last[g] != -2) else 0)
            text[x - a + 1] = text[x - a] + (1 if big else 0)
        for x in range(a, b):
            lo = max(a, x - window) - a
            hi = min(b, x + window + 1) - a
            i = x - a
            bits = 0
            if own[hi] - own[i + 1] + own[i] - own[lo] > 0:
                bits |= NEAR
            if own[hi] - own[i + 1] > 0:
                bits |= ABOVE
            if text[hi] - text[i + 1] > 0:
                bits |= TEXT
            if own[i] == 0:
                bits |= LEAD
            out[x] = bits
    return out


@njit(cache=True, inline="always")
def _rank(bits):
    """Preference for the kept copy of a short block: above own text, above long text, near own text."""
    if bits & ABOVE:
        return 3
    if bits & TEXT:
        return 2
    return 1 if bits & NEAR else 0


@njit(cache=True)
def decide(bptr, bdoc, labels, groups, count, words, nshingles, anchor, mode, min_docs, min_words,
           protect_words, enabled):
    """Kind and source of every block.

    Parameters
    ----------
    bptr : int64 (n_docs + 1,), blocks per document; bdoc : int64 (n,).
    labels : int64 (n,), group label (first block of the group).
    groups, count : from ``dense_groups``: the tallies are per group of two
        blocks or more, not per block.
    words, nshingles : int64 (n,).
    anchor : int8 (n,), bits from ``anchored``.
    mode : ``KEEP_FIRST`` or ``REMOVE_ALL`` (remove every unprotected copy of
        boilerplate, as CCNet does; repeats and syndicated copies keep one).
    min_docs, min_words, protect_words : see the module doc.
    enabled : bool (5,), indexed by kind code: kinds that are removed
        (a disabled kind leaves its blocks kept).

    Returns
    -------
    kind : int8 (n,), a code of ``KINDS`` (``KEPT`` for kept blocks).
    source : int64 (n,), the block a removed block copies (-1 for kept blocks
        and separators). In ``KEEP_FIRST`` it is always a kept block; in
        ``REMOVE_ALL`` an unprotected boilerplate group has no kept copy and
        its blocks point to the group's chosen copy (itself removed), which
        points to the next copy.
    """
    n = labels.shape[0]
    size, ndocs = group_stats(labels, groups, count, bdoc)
    keeper = np.full(count, -1, dtype=np.int64)
    second = np.full(count, -1, dtype=np.int64)
    for x in range(n):
        g = groups[labels[x]]
        if g < 0:
            continue
        k = keeper[g]
        if k < 0:
            keeper[g] = x
        elif _rank(anchor[x]) > _rank(anchor[k]) and words[x] < protect_words:
            keeper[g] = x
    n_anchored = np.zeros(count, dtype=np.int64)
    lead_docs = np.zeros(count, dtype=np.int64)  # documents where a short copy is anchored above the own text
    last = np.full(count, -1, dtype=np.int64)
    for x in range(n):
        g = groups[labels[x]]
        if g < 0:
            continue
        if x != keeper[g] and second[g] < 0:
            second[g] = x
        if anchor[x] & NEAR and words[x] < protect_words:
            n_anchored[g] += 1
            if anchor[x] & LEAD and last[g] != bdoc[x]:
                lead_docs[g] += 1
                last[g] = bdoc[x]
    shared = np.zeros(n, dtype=np.bool_)
    for x in range(n):
        g = groups[labels[x]]
        shared[x] = g >= 0 and ndocs[g] >= 2
    in_run = _in_run(bptr, nshingles, shared)
    # A group's lone short copies (not in a run): how many, how many just above the top of their
    # document's own text, and in how many documents (the layout rule of the module doc).
    alone = np.zeros(count, dtype=np.int64)
    alone_anchored = np.zeros(count, dtype=np.int64)
    alone_docs = np.zeros(count, dtype=np.int64)
    last[:] = -1
    for x in range(n):
        g = groups[labels[x]]
        if g < 0 or in_run[x] or words[x] >= min_words:
            continue
        alone[g] += 1
        if (anchor[x] & (ABOVE | LEAD)) == (ABOVE | LEAD):
            alone_anchored[g] += 1
            if last[g] != bdoc[x]:
                alone_docs[g] += 1
                last[g] = bdoc[x]
    kind = np.zeros(n, dtype=np.int8)
    source = np.full(n, -1, dtype=np.int64)
    for x in range(n):
        g = groups[labels[x]]
        if g < 0 or nshingles[x] == 0:
            continue
        k = keeper[g]
        boiler = ndocs[g] >= min_docs
        short = words[x] < min_words
        layout = alone_docs[g] >= min_docs and 2 * alone_anchored[g] > alone[g]
        protected = (anchor[x] & NEAR and words[x] < protect_words and 2 * n_anchored[g] <= size[g]
                     and lead_docs[g] < min_docs) or (short and not in_run[x] and not layout)
        if x == k:
            if mode == REMOVE_ALL and boiler and not protected and enabled[BOILERPLATE]:
                kind[x] = BOILERPLATE
                source[x] = second[g]
            continue
        if bdoc[x] == bdoc[k]:
            kind[x] = REPEAT
        elif protected:
            continue
        elif boiler:
            kind[x] = BOILERPLATE
        elif not short:
            kind[x] = SYNDICATED
        else:
            continue
        source[x] = k
    for x in range(n):
        if not enabled[kind[x]]:
            kind[x] = KEPT
            source[x] = -1
    _separators(bptr, nshingles, kind)
    return kind, source


@njit(cache=True)
def copies(score, words_i, words_j, doc_i, doc_j, threshold, long_threshold, long_words):
    """Whether each pair of blocks is a pair of copies (bool (p,)), from its exact Jaccard ``score``.

    A pair is when ``score >= threshold``; a pair of blocks in different
    documents with ``long_words`` words or more each, also when ``score >=
    long_threshold`` (``CollapseConfig``'s ``long_words``).
    """
    p = score.shape[0]
    out = np.empty(p, dtype=np.bool_)
    for k in range(p):
        s = score[k]
        out[k] = s >= threshold or (s >= long_threshold and doc_i[k] != doc_j[k]
                                    and min(words_i[k], words_j[k]) >= long_words)
    return out


@njit(cache=True)
def demote(bptr, nshingles, kind, source, ok):
    """Keep the removed blocks whose ``ok`` is False (``ok`` aligned with ``flatnonzero(source >= 0)``).

    Groups are connected components, so a chain a~b~c can join blocks less
    similar than the threshold; a block is removed only when it and its
    source are ``copies``. Separators are then decided again.
    """
    p = 0
    for x in range(kind.shape[0]):
        if source[x] >= 0:
            if not ok[p]:
                kind[x] = KEPT
                source[x] = -1
            p += 1
        if kind[x] == SEPARATOR:
            kind[x] = KEPT
    _separators(bptr, nshingles, kind)


@njit(cache=True)
def _in_run(bptr, nshingles, shared):
    """True for blocks whose previous or next block with shingles (same document) is ``shared``."""
    n = shared.shape[0]
    out = np.zeros(n, dtype=np.bool_)
    for d in range(bptr.shape[0] - 1):
        last = -1
        for x in range(bptr[d], bptr[d + 1]):
            if nshingles[x] == 0:
                continue
            if last >= 0 and shared[last]:
                out[x] = True
            if last >= 0 and shared[x]:
                out[last] = True
            last = x
    return out


@njit(cache=True)
def _separators(bptr, nshingles, kind):
    """Mark blocks without shingles whose nearest blocks with shingles are removed or absent."""
    n = kind.shape[0]
    prev_removed = np.zeros(n, dtype=np.int8)  # 0 edge, 1 removed, 2 kept
    for d in range(bptr.shape[0] - 1):
        state = 0
        for x in range(bptr[d], bptr[d + 1]):
            if nshingles[x] == 0:
                prev_removed[x] = state
            else:
                state = 1 if kind[x] != KEPT else 2
        state = 0
        for x in range(bptr[d + 1] - 1, bptr[d] - 1, -1):
            if nshingles[x] == 0:
                before = prev_removed[x]
                if before != 2 and state != 2 and (before == 1 or state == 1):
                    kind[x] = SEPARATOR
            else:
                state = 1 if kind[x] != KEPT else 2


@njit(cache=True, inline="always")
def _newlines(cps, a, b):
    n = 0
    for i in range(a, b):
        if cps[i] == 10:
            n += 1
    return n


@njit(cache=True, nogil=True)
def edits(cps, doc_ptr, bptr, starts, ends, kind):
    """Replacements that cut the removed blocks out of each document, keeping whitespace tidy.

    A run of removed blocks between two kept blocks is replaced, together with
    the whitespace around it, by the one gap of that stretch holding the most
    line breaks (the first such), so paragraph breaks survive and no blank
    lines pile up. A run at the start of a document keeps the leading
    whitespace, a run at its end keeps the trailing whitespace, and a
    document with every block removed becomes empty.

    Returns
    -------
    eptr : int64 (n_docs + 1,), edits per document.
    cut0, cut1, keep0, keep1 : int64 arrays, absolute code-point offsets:
        ``cps[cut0:cut1]`` is replaced by ``cps[keep0:keep1]`` (a sub-range of
        the cut, possibly empty). Edits of a document are sorted and disjoint.
    empty : bool (n_docs,), True for documents that had blocks and lost all.
    """
    n_docs = doc_ptr.shape[0] - 1
    m = kind.shape[0]
    eptr = np.zeros(n_docs + 1, dtype=np.int64)
    cut0 = np.empty(m, dtype=np.int64)
    cut1 = np.empty(m, dtype=np.int64)
    keep0 = np.empty(m, dtype=np.int64)
    keep1 = np.empty(m, dtype=np.int64)
    empty = np.zeros(n_docs, dtype=np.bool_)
    o = 0
    for d in range(n_docs):
        a = bptr[d]
        b = bptr[d + 1]
        x = a
        while x < b:
            if kind[x] == KEPT:
                x += 1
                continue
            y = x
            while y + 1 < b and kind[y + 1] != KEPT:
                y += 1
            if x == a and y == b - 1:
                cut0[o] = doc_ptr[d]
                cut1[o] = doc_ptr[d + 1]
                keep0[o] = doc_ptr[d]
                keep1[o] = doc_ptr[d]
                empty[d] = True
            elif x == a:
                cut0[o] = starts[x]
                cut1[o] = starts[y + 1]
                keep0[o] = starts[x]
                keep1[o] = starts[x]
            elif y == b - 1:
                cut0[o] = ends[x - 1]
                cut1[o] = ends[y]
                keep0[o] = ends[y]
                keep1[o] = ends[y]
            else:
                best = -1
                g0 = ends[x - 1]
                g1 = starts[x]
                for z in range(x, y + 2):
                    lo = ends[z - 1]
                    hi = starts[z]
                    nl = _newlines(cps, lo, hi)
                    if nl > best:
                        best = nl
                        g0 = lo
                        g1 = hi
                cut0[o] = ends[x - 1]
                cut1[o] = starts[y + 1]
                keep0[o] = g0
                keep1[o] = g1
            o += 1
            x = y + 1
        eptr[d + 1] = o
    return eptr, cut0[:o], cut1[:o], keep0[:o], keep1[:o], empty


@njit(cache=True, parallel=True, nogil=True)
def apply_edits(cps, doc_ptr, eptr, cut0, cut1, keep0, keep1, docs):
    """The text of each document of ``docs`` after its ``edits``, concatenated.

    Returns ``(out, out_ptr)``: the code points of ``docs[k]`` cleaned are
    ``out[out_ptr[k]:out_ptr[k+1]]``, ``out`` of the same dtype as ``cps``.
    """
    m = docs.shape[0]
    out_ptr = np.zeros(m + 1, dtype=np.int64)
    for k in range(m):
        d = docs[k]
        size = doc_ptr[d + 1] - doc_ptr[d]
        for e in range(eptr[d], eptr[d + 1]):
            size -= (cut1[e] - cut0[e]) - (keep1[e] - keep0[e])
        out_ptr[k + 1] = out_ptr[k] + size
    out = np.empty(out_ptr[m], dtype=cps.dtype)
    for k in prange(m):
        d = docs[k]
        o = out_ptr[k]
        pos = doc_ptr[d]
        for e in range(eptr[d], eptr[d + 1]):
            w = cut0[e] - pos
            out[o : o + w] = cps[pos : cut0[e]]
            o += w
            w = keep1[e] - keep0[e]
            out[o : o + w] = cps[keep0[e] : keep1[e]]
            o += w
            pos = cut1[e]
        out[o : out_ptr[k + 1]] = cps[pos : doc_ptr[d + 1]]
    return out, out_ptr
