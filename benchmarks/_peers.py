"""The contenders, each doing the same job, and the exact ground truth.

The job: raw texts -> every pair of documents whose word 5-gram shingle sets
have exact Jaccard >= 0.8. Each contender returns ``{(i, j): jaccard}`` with
document positions ``i < j``.

* ``dedup``: ``dedup.index(texts, threshold=0.8, ngram=5, num_perm=128)``.
* ``datasketch``: Python shingling (below), ``MinHash.bulk`` (num_perm=128),
  ``MinHashLSH(threshold=0.8, num_perm=128)`` (its own banding, 9 bands x 13
  rows unless ``params`` is given), one ``query`` per document, then an exact
  check of each candidate with Python sets.
* ``rensa``: the same Python shingling, ``RMinHash.from_token_sets`` (bulk,
  one call), ``RMinHashLSH(0.8, 128, num_bands)`` filled with ``insert_many``
  and queried with ``query_all``, then the same exact check.

Python tokenization (both Python peers and the ground truth): lowercase, then
maximal runs of letters and digits, ``re.findall(r"[^\\W_]+", text.lower())``.
That is dedup's word rule (``str.isalnum`` runs) without its NFKC, casefold,
combining-mark and CJK-per-character refinements, so on 20 Newsgroups (almost
all ASCII) the shingle sets agree except on a handful of documents. As in
dedup, a text with 1..4 tokens gives one shingle of all its tokens and a text
with no token gives no shingle and is never paired.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Sequence

THRESHOLD = 0.8
NGRAM = 5
NUM_PERM = 128
#: rensa needs num_perm % num_bands == 0; 16 x 8 gives P(candidate | J=0.8) = 0.947.
RENSA_BANDS = 16

_TOKEN = re.compile(r"[^\W_]+")

Pairs = dict  # {(i, j): jaccard}, i < j


def shingle_set(text: str, ngram: int = NGRAM) -> set[str]:
    """Word ``ngram``-gram shingles of ``text`` as space-joined strings."""
    toks = _TOKEN.findall(text.lower())
    if not toks:
        return set()
    if len(toks) < ngram:
        return {" ".join(toks)}
    return {" ".join(toks[k : k + ngram]) for k in range(len(toks) - ngram + 1)}


def jaccard(a: set, b: set) -> float:
    inter = len(a & b)
    union = len(a) + len(b) - inter
    return inter / union if union else 0.0


def verify(sets: Sequence[set], candidates, threshold: float = THRESHOLD) -> Pairs:
    """Exact Jaccard of each candidate pair; keep those >= ``threshold``."""
    out = {}
    for i, j in candidates:
        s = jaccard(sets[i], sets[j])
        if s >= threshold:
            out[(i, j)] = s
    return out


# --------------------------------------------------------------- contenders
def run_dedup(texts: Sequence[str]) -> Pairs:
    import dedup

    i, j, s = dedup.index(list(texts), threshold=THRESHOLD, ngram=NGRAM, num_perm=NUM_PERM, seed=0).pair_arrays()
    return dict(zip(zip(i.tolist(), j.tolist()), s.tolist()))


def run_datasketch(texts: Sequence[str], params: tuple[int, int] | None = None) -> Pairs:
    from datasketch import MinHash, MinHashLSH

    sets = [shingle_set(t) for t in texts]
    keep = [k for k, s in enumerate(sets) if s]
    mhs = MinHash.bulk([[x.encode("utf-8") for x in sets[k]] for k in keep], num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, params=params)
    with lsh.insertion_session() as session:
        for k, m in zip(keep, mhs):
            session.insert(k, m, check_duplication=False)
    candidates = set()
    for k, m in zip(keep, mhs):
        for c in lsh.query(m):
            if c != k:
                candidates.add((k, c) if k < c else (c, k))
    return verify(sets, candidates)


def run_rensa(texts: Sequence[str], num_bands: int = RENSA_BANDS) -> Pairs:
    from rensa import RMinHash, RMinHashLSH

    sets = [shingle_set(t) for t in texts]
    keep = [k for k, s in enumerate(sets) if s]
    mhs = RMinHash.from_token_sets([sets[k] for k in keep], NUM_PERM, 0)
    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, num_bands)
    lsh.insert_many(mhs)  # keys 0..len(keep)-1, positions in ``keep``
    candidates = set()
    for a, hits in enumerate(lsh.query_all(mhs)):
        for b in hits:
            if a < b:
                candidates.add((keep[a], keep[b]))
    return verify(sets, candidates)


#: name -> (function, description). The first three are the issue's contenders
#: with the banding each library picks or allows by default; the ``@`` variants
#: band for recall >= 0.99 at J = 0.8, like dedup (21 x 6), so their extra
#: verification work is priced too.
CONTENDERS: dict[str, tuple[Callable[[Sequence[str]], Pairs], str]] = {
    "dedup": (run_dedup, "dedup.index, 21 bands x 6 rows (auto, P=0.998 at J=0.8)"),
    "datasketch": (run_datasketch, "datasketch 2.0 MinHashLSH default banding 9 x 13 (P=0.40 at J=0.8)"),
    "rensa": (run_rensa, "rensa RMinHashLSH 16 bands x 8 rows (P=0.947 at J=0.8)"),
    "datasketch@21x6": (lambda t: run_datasketch(t, params=(21, 6)), "datasketch, params=(21, 6) like dedup"),
    "rensa@32x4": (lambda t: run_rensa(t, num_bands=32), "rensa, 32 bands x 4 rows (P=1.000 at J=0.8)"),
}


# ------------------------------------------------------------- ground truth
def exact_join(sets: Sequence[set], threshold: float = THRESHOLD) -> Pairs:
    """Every pair with Jaccard >= ``threshold``, exactly (no sketching).

    All-pairs prefix filtering (Bayardo, Ma & Srikant, WWW 2007, "Scaling up
    all pairs similarity search"): order each set's elements rarest first;
    with ``a = ceil(t * |x|)``, two sets with ``J >= t`` share an element
    among the first ``|x| - a + 1`` of each, so only pairs sharing a prefix
    element (and passing the size filter ``|small| >= t * |large|``) are
    compared, with full Python sets. Complete by that lemma, and checked
    against the naive all-pairs loop (``brute_force``) on a sample.
    """
    import numpy as np

    ids: dict = {}
    rows = [np.fromiter((ids.setdefault(x, len(ids)) for x in s), dtype=np.int64, count=len(s)) for s in sets]
    freq = np.bincount(np.concatenate(rows), minlength=len(ids)) if ids else np.zeros(0, np.int64)
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(freq, kind="stable")] = np.arange(len(ids))  # rarest first, ties by first appearance
    index = defaultdict(list)
    candidates = set()
    sizes = [len(s) for s in sets]
    for d, row in enumerate(rows):
        n = row.shape[0]
        if not n:
            continue
        prefix = n - math.ceil(threshold * n - 1e-9) + 1
        for r in np.sort(rank[row])[:prefix].tolist():
            for e in index[r]:
                small, large = sorted((sizes[e], sizes[d]))
                if small >= threshold * large - 1e-9:
                    candidates.add((e, d))
            index[r].append(d)
    return verify(sets, candidates, threshold)


def brute_force(sets: Sequence[set], members: Sequence[int], threshold: float = THRESHOLD) -> Pairs:
    """Naive all-pairs exact Jaccard among ``members`` (positions into ``sets``)."""
    members = sorted(members)
    cands = ((a, b) for x, a in enumerate(members) for b in members[x + 1 :] if sets[a] and sets[b])
    return verify(sets, cands, threshold)


def recall(found: Pairs, truth: Pairs) -> float:
    """Share of ``truth`` pairs present in ``found`` (1.0 when ``truth`` is empty)."""
    if not truth:
        return 1.0
    return sum(1 for p in truth if p in found) / len(truth)
