"""The contenders, each doing the same job on its fastest documented path.

The job: raw texts -> every pair of documents whose word 5-gram shingle sets
have exact Jaccard >= 0.8. Each contender returns ``{(i, j): jaccard}`` with
document positions ``i < j``. Every contender's candidates get an exact check,
so their recall against the exact truth (``truth.py``) is comparable.

Same banding for all: 21 bands x 6 rows (126 hashes), near-dups' automatic
choice at threshold 0.8 (a pair at J = 0.8 is a candidate with probability
0.998), so every contender sees the same candidate probability per pair and
differs only in how fast it gets there (and in its hash functions).

* ``near-dups``: ``dedup.index(texts, threshold=0.8, ngram=5).pair_arrays()``
  (public API only; numba threads = all cores). Its own shingles: NFKC +
  casefold, runs of letters and digits (``str.isalnum``), CJK per character.
* ``gaoya`` 0.2 (Rust, rayon on all cores): ``MinHashStringIndex(hash_size=32,
  jaccard_threshold=0.6, num_bands=21, band_size=6, analyzer="word",
  lowercase=True, ngram_range=(5, 5), id_container="smallvec")``,
  ``par_bulk_insert_docs`` then ``par_bulk_query`` of every text. Its own word
  shingler (Rust): lowercase, split on ASCII punctuation and ASCII whitespace,
  word 5-grams; a text of fewer than 5 words has no shingle. Its estimate
  prefilter is 0.6, five standard deviations of a 126-hash estimate below
  0.8 (sd = sqrt(0.8 * 0.2 / 126) = 0.036), so the exact check decides.
  ``smallvec`` is the bucket its docstring recommends when near-duplicates
  are few (fastest of the three here). Exact check: the Python shingle set
  (below) of each document that appears in a candidate pair, built once.
* ``rensa`` 0.5 (Rust): Python shingle *lists* (no per-document set),
  ``RMinHash.digest_matrix_from_token_sets`` (its bulk matrix path, rayon),
  ``RMinHashLSH(0.8, 126, 21).query_duplicate_flags_matrix_one_shot`` (its
  one-shot batch path, as in its own benchmark) to find the documents that
  share a band with another; only those get ``RMinHash`` objects
  (``from_token_sets``, same seed, so the same digests) for ``insert_many`` +
  ``query_all`` to list the pairs. A candidate pair has both documents
  flagged, so this lists exactly the band-collision pairs. Same exact check,
  sets built from the lists of candidate documents only.
* ``datasketch`` 2.0 (pure Python + numpy): the same Python shingle lists,
  ``MinHash.bulk(..., num_perm=126, hashfunc=xxhash.xxh32_intdigest)`` (its
  docs name xxhash as a faster hash than its default SHA-1),
  ``MinHashLSH(num_perm=126, params=(21, 6))`` filled in an
  ``insertion_session`` with ``check_duplication=False``, one ``query`` per
  document, the same exact check.

Python tokenization (rensa, datasketch, every exact check of a peer, the
peers' truth): lowercase, then maximal runs of letters and digits,
``re.findall(r"[^\\W_]+", text.lower())``. That is near-dups' word rule
without its NFKC, casefold, combining-mark and CJK-per-character
refinements. As in near-dups, a text with 1..4 tokens gives one shingle of
all its tokens and a text with no token gives no shingle and is never paired.
How far the three tokenizations agree per corpus is measured
(``truth.tokenizer_agreement``) and reported with the results.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

THRESHOLD = 0.8
NGRAM = 5
#: near-dups' default signature length (it bands 126 of them as 21 x 6).
NUM_PERM = 128
BANDS, ROWS = 21, 6
#: Hashes the peers compute: exactly what 21 x 6 bands use.
NUM_HASHES = BANDS * ROWS
#: gaoya's MinHash-estimate prefilter: 5 sd of a 126-hash estimate below 0.8.
GAOYA_PREFILTER = 0.6

_TOKEN = re.compile(r"[^\W_]+")
#: The same tokens, found faster: ``\w+`` runs once ``_`` is a space (``[^\W_]`` is ``\w`` minus ``_``).
_WORD = re.compile(r"\w+")

Pairs = dict  # {(i, j): jaccard}, i < j


def shingle_list(text: str, ngram: int = NGRAM) -> list[str]:
    """Word ``ngram``-gram shingles of ``text`` as space-joined strings, in order (repeats kept)."""
    toks = _WORD.findall(text.lower().replace("_", " "))
    if len(toks) <= ngram:
        return [" ".join(toks)] if toks else []
    return list(map(" ".join, zip(*(toks[k:] for k in range(ngram)))))


def shingle_set(text: str, ngram: int = NGRAM) -> set[str]:
    """Word ``ngram``-gram shingles of ``text`` as space-joined strings."""
    return set(shingle_list(text, ngram))


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


def verify_lazy(candidates: Iterable[tuple[int, int]], shingles_of: Callable[[int], Iterable[str]],
                threshold: float = THRESHOLD) -> Pairs:
    """Exact check of ``candidates``; each document's set is built once, only if it is in a candidate."""
    sets: dict[int, set] = {}
    out = {}
    for i, j in candidates:
        a = sets.get(i)
        if a is None:
            a = sets[i] = set(shingles_of(i))
        b = sets.get(j)
        if b is None:
            b = sets[j] = set(shingles_of(j))
        inter = len(a & b)
        union = len(a) + len(b) - inter
        if union and inter / union >= threshold:
            out[(i, j)] = inter / union
    return out


# --------------------------------------------------------------- contenders
def run_dedup(texts: Sequence[str]) -> Pairs:
    import dedup

    i, j, s = dedup.index(texts, threshold=THRESHOLD, ngram=NGRAM, num_perm=NUM_PERM, seed=0).pair_arrays()
    return dict(zip(zip(i.tolist(), j.tolist()), s.tolist()))


def run_gaoya(texts: Sequence[str], container: str = "smallvec") -> Pairs:
    from gaoya.minhash import MinHashStringIndex

    texts = list(texts)
    index = MinHashStringIndex(hash_size=32, jaccard_threshold=GAOYA_PREFILTER, num_bands=BANDS, band_size=ROWS,
                               analyzer="word", lowercase=True, ngram_range=(NGRAM, NGRAM), id_container=container)
    index.par_bulk_insert_docs(list(range(len(texts))), texts)
    candidates = [(a, b) for a, hits in enumerate(index.par_bulk_query(texts)) if len(hits) > 1
                  for b in hits if a < b]
    return verify_lazy(candidates, lambda d: shingle_list(texts[d]))


def run_rensa(texts: Sequence[str]) -> Pairs:
    from rensa import RMinHash, RMinHashLSH

    lists = [shingle_list(t) for t in texts]
    keep = [k for k, s in enumerate(lists) if s]  # an empty set has no MinHash
    matrix = RMinHash.digest_matrix_from_token_sets([lists[k] for k in keep], NUM_HASHES, 0)
    flags = RMinHashLSH(THRESHOLD, NUM_HASHES, BANDS).query_duplicate_flags_matrix_one_shot(matrix)
    flagged = [keep[p] for p, f in enumerate(flags) if f]
    mhs = RMinHash.from_token_sets([lists[k] for k in flagged], NUM_HASHES, 0)
    lsh = RMinHashLSH(THRESHOLD, NUM_HASHES, BANDS)
    lsh.insert_many(mhs)  # keys 0..len(flagged)-1, positions in ``flagged``
    candidates = [(flagged[a], flagged[b]) for a, hits in enumerate(lsh.query_all(mhs)) for b in hits if a < b]
    return verify_lazy(candidates, lists.__getitem__)


def run_rensa_query_all(texts: Sequence[str]) -> Pairs:
    """rensa without the flag pass: ``from_token_sets`` of every document, ``insert_many``, ``query_all``."""
    from rensa import RMinHash, RMinHashLSH

    lists = [shingle_list(t) for t in texts]
    keep = [k for k, s in enumerate(lists) if s]
    mhs = RMinHash.from_token_sets([lists[k] for k in keep], NUM_HASHES, 0)
    lsh = RMinHashLSH(THRESHOLD, NUM_HASHES, BANDS)
    lsh.insert_many(mhs)
    candidates = [(keep[a], keep[b]) for a, hits in enumerate(lsh.query_all(mhs)) for b in hits if a < b]
    return verify_lazy(candidates, lists.__getitem__)


def run_datasketch(texts: Sequence[str]) -> Pairs:
    import xxhash
    from datasketch import MinHash, MinHashLSH

    lists = [shingle_list(t) for t in texts]
    keep = [k for k, s in enumerate(lists) if s]
    mhs = MinHash.bulk(([x.encode("utf-8") for x in lists[k]] for k in keep), num_perm=NUM_HASHES,
                       hashfunc=xxhash.xxh32_intdigest)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_HASHES, params=(BANDS, ROWS))
    with lsh.insertion_session() as session:
        for k, m in zip(keep, mhs):
            session.insert(k, m, check_duplication=False)
    candidates = set()
    for k, m in zip(keep, mhs):
        for c in lsh.query(m):
            if c != k:
                candidates.add((k, c) if k < c else (c, k))
    return verify_lazy(candidates, lists.__getitem__)


def run_floor(texts: Sequence[str]) -> int:
    """The floor: touch every text once, encode it to UTF-8 and hash it with xxh3 (no pairs)."""
    from xxhash import xxh3_64_intdigest

    return len([xxh3_64_intdigest(t.encode("utf-8", "surrogatepass")) for t in texts])


#: name -> (function, description), in the order of the interleaved runs.
CONTENDERS: dict[str, tuple[Callable[[Sequence[str]], Pairs], str]] = {
    "near-dups": (run_dedup, "dedup.index(threshold=0.8, ngram=5): 21 x 6 bands (auto), numba on all cores"),
    "gaoya": (run_gaoya, "MinHashStringIndex 32-bit, 21 x 6, prefilter 0.6, smallvec; par_bulk_insert_docs + "
                         "par_bulk_query (rayon); exact check"),
    "rensa": (run_rensa, "digest_matrix_from_token_sets + query_duplicate_flags_matrix_one_shot (21 x 6), "
                         "query_all among flagged; exact check"),
    "datasketch": (run_datasketch, "MinHash.bulk (126 perms, xxh32) + MinHashLSH params=(21, 6) in an "
                                   "insertion_session, one query per doc; exact check"),
}
#: Old names kept for the scripts that still use them.
CONTENDERS["dedup"] = CONTENDERS["near-dups"]


# ------------------------------------------------------------- ground truth
def exact_join(sets: Sequence[set], threshold: float = THRESHOLD) -> Pairs:
    """Every pair with Jaccard >= ``threshold``, exactly (no sketching), over Python sets.

    The slow reference of ``truth.exact_join_csr`` (which does the same on
    hashed shingles in numpy, for the large corpora): all-pairs prefix
    filtering (Bayardo, Ma & Srikant, WWW 2007, "Scaling up all pairs
    similarity search"): order each set's elements rarest first; with
    ``a = ceil(t * |x|)``, two sets with ``J >= t`` share an element among
    the first ``|x| - a + 1`` of each, so only pairs sharing a prefix element
    (and passing the size filter ``|small| >= t * |large|``) are compared.
    """
    import math
    from collections import defaultdict

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
