"""Exact truth for the comparison: every pair with Jaccard >= 0.8, no sketching.

Shingle sets as CSR arrays of hashed shingles (``indptr``, sorted unique
``uint64`` values per document), one builder per tokenization:

* ``csr_python``: the peers' rule (``peers.shingle_list``);
* ``csr_gaoya``: a replica of gaoya's Rust word shingler (lowercase, split on
  ASCII punctuation and ASCII whitespace, word 5-grams, no shingle below 5
  words), checked against gaoya itself in ``test_truth.py``;
* ``csr_dedup``: near-dups' own sets, ``dedup.shingles(text)`` (public API).

A shingle's hash is a mix of its tokens' xxh3 hashes (numpy, 64 bits): two
different shingles collide with probability about 2**-64 per pair, so the
join below is exact in practice (it equals ``peers.exact_join`` over Python
string sets and the naive all-pairs loop, ``test_truth.py``).

``exact_join_csr`` is all-pairs prefix filtering (Bayardo et al. 2007, see
``peers.exact_join``) in numba: rarest-first prefixes, pairs sharing a prefix
element, the size filter, then an exact sorted-merge Jaccard of each.
``truth(corpus_name, texts, rule)`` caches the answer on disk in
``benchmarks/.cache/`` (git-ignored), keyed by the texts' xxh3-128 digest, the
rule, the threshold and the n-gram size.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numba
import numpy as np
from benchmarks.harness.peers import NGRAM, THRESHOLD, _WORD
from xxhash import xxh3_64_intdigest, xxh3_128

CACHE_DIR = Path(__file__).resolve().parents[1] / ".cache"
#: gaoya ``whitespace_split``: ``c.is_ascii_punctuation() || c.is_ascii_whitespace()`` (Rust: space, \t, \n, \x0c, \r).
_GAOYA_SPLIT = re.compile(r"[!-/:-@\[-`{-~ \t\n\x0c\r]+")

_P = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier of the polynomial mix
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)  # splitmix64 finalizer


def _tokens_python(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("_", " "))


def _tokens_gaoya(text: str) -> list[str]:
    return [t for t in _GAOYA_SPLIT.split(text.lower()) if t]


def _finalize(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def _shingle_hashes(tokens: list[str], ngram: int, short: bool) -> np.ndarray:
    """Sorted unique hashes of the word ``ngram``-grams of ``tokens``.

    ``short``: a text of 1..ngram-1 tokens gives one shingle of all of them
    (near-dups' and the peers' rule); otherwise none (gaoya's).
    """
    n = len(tokens)
    if n == 0 or (n < ngram and not short):
        return np.zeros(0, np.uint64)
    h = np.fromiter((xxh3_64_intdigest(t.encode("utf-8", "surrogatepass")) for t in tokens), np.uint64, n)
    k = min(n, ngram)
    width = n - k + 1
    with np.errstate(over="ignore"):
        acc = np.full(width, np.uint64(k), dtype=np.uint64)  # the length is part of the shingle
        for p in range(k):
            acc = acc * _P + h[p : p + width]
        return np.unique(_finalize(acc))


def _csr(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([r.shape[0] for r in rows], out=indptr[1:])
    values = np.concatenate(rows) if rows else np.zeros(0, np.uint64)
    return indptr, values.astype(np.uint64, copy=False)


def csr_python(texts, ngram: int = NGRAM):
    """The peers' shingle sets (``peers.shingle_set``), hashed, as CSR."""
    return _csr([_shingle_hashes(_tokens_python(t), ngram, True) for t in texts])


def csr_gaoya(texts, ngram: int = NGRAM):
    """gaoya's word shingle sets (replica of its Rust tokenizer), hashed, as CSR."""
    return _csr([_shingle_hashes(_tokens_gaoya(t), ngram, False) for t in texts])


def csr_dedup(texts, ngram: int = NGRAM):
    """near-dups' own shingle sets, ``dedup.shingles`` (already hashed, sorted, unique)."""
    import dedup

    return _csr([np.asarray(dedup.shingles(t, ngram=ngram), dtype=np.uint64) for t in texts])


RULES = {"python": csr_python, "gaoya": csr_gaoya, "dedup": csr_dedup}


# ------------------------------------------------------------------ the join
@numba.njit(cache=True)
def _prefix_pairs(doc, tok, sizes, threshold):  # pragma: no cover - numba
    """Pairs (a < b) of documents sharing a prefix element, size filter applied.

    ``doc``/``tok``: prefix entries sorted by (tok, doc). Two passes: count, fill.
    """
    m = doc.shape[0]
    total = 0
    s = 0
    while s < m:
        e = s + 1
        while e < m and tok[e] == tok[s]:
            e += 1
        total += (e - s) * (e - s - 1) // 2
        s = e
    ci = np.empty(total, np.int64)
    cj = np.empty(total, np.int64)
    k = 0
    s = 0
    while s < m:
        e = s + 1
        while e < m and tok[e] == tok[s]:
            e += 1
        for x in range(s, e):
            for y in range(x + 1, e):
                a, b = doc[x], doc[y]
                small, large = min(sizes[a], sizes[b]), max(sizes[a], sizes[b])
                if small >= threshold * large - 1e-9:
                    ci[k] = min(a, b)
                    cj[k] = max(a, b)
                    k += 1
        s = e
    return ci[:k], cj[:k]


@numba.njit(cache=True)
def _jaccard_pairs(indptr, values, ci, cj):  # pragma: no cover - numba
    """Exact Jaccard of each pair: sorted merge of the two rows, int64 counters."""
    out = np.empty(ci.shape[0], np.float64)
    for p in range(ci.shape[0]):
        a0, a1 = indptr[ci[p]], indptr[ci[p] + 1]
        b0, b1 = indptr[cj[p]], indptr[cj[p] + 1]
        inter = 0
        while a0 < a1 and b0 < b1:
            x, y = values[a0], values[b0]
            if x == y:
                inter += 1
                a0 += 1
                b0 += 1
            elif x < y:
                a0 += 1
            else:
                b0 += 1
        union = (indptr[ci[p] + 1] - indptr[ci[p]]) + (indptr[cj[p] + 1] - indptr[cj[p]]) - inter
        out[p] = inter / union if union > 0 else 0.0
    return out


def exact_join_csr(indptr: np.ndarray, values: np.ndarray, threshold: float = THRESHOLD) -> dict:
    """Every pair of rows with exact Jaccard >= ``threshold``: ``{(i, j): J}``, ``i < j``."""
    n = indptr.shape[0] - 1
    sizes = np.diff(indptr)
    if values.shape[0] == 0:
        return {}
    uniq, inv, freq = np.unique(values, return_inverse=True, return_counts=True)
    rank_of_uniq = np.empty(uniq.shape[0], np.int64)
    rank_of_uniq[np.lexsort((uniq, freq))] = np.arange(uniq.shape[0])  # rarest first, ties by value
    rank = rank_of_uniq[inv.ravel()]
    doc = np.repeat(np.arange(n, dtype=np.int64), sizes)
    order = np.lexsort((rank, doc))  # by document, then rank within it
    pos = np.arange(values.shape[0], dtype=np.int64) - np.repeat(indptr[:-1], sizes)
    prefix = sizes - np.ceil(threshold * sizes - 1e-9).astype(np.int64) + 1
    keep = pos < np.repeat(prefix, sizes)
    p_doc, p_tok = doc[order][keep], rank[order][keep]
    by_tok = np.lexsort((p_doc, p_tok))
    ci, cj = _prefix_pairs(p_doc[by_tok], p_tok[by_tok], sizes, threshold)
    if ci.shape[0] == 0:
        return {}
    key = np.unique(ci * n + cj)
    ci, cj = key // n, key % n
    s = _jaccard_pairs(indptr, values, ci, cj)
    ok = s >= threshold
    return dict(zip(zip(ci[ok].tolist(), cj[ok].tolist()), s[ok].tolist()))


# ----------------------------------------------------------------- the cache
def texts_digest(texts) -> str:
    """xxh3-128 of every text and its length: the cache key of a corpus."""
    h = xxh3_128()
    for t in texts:
        b = t.encode("utf-8", "surrogatepass")
        h.update(len(b).to_bytes(8, "little"))
        h.update(b)
    return h.hexdigest()


def truth(name: str, texts, rule: str = "python", threshold: float = THRESHOLD, ngram: int = NGRAM) -> dict:
    """Exact pairs of ``texts`` under ``rule``, from ``.cache/`` or computed and stored there."""
    key = hashlib.sha1(f"{texts_digest(texts)} {rule} {threshold!r} {ngram}".encode()).hexdigest()[:16]
    path = CACHE_DIR / f"truth-{name}-{rule}-{key}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        return dict(zip(zip(z["i"].tolist(), z["j"].tolist()), z["s"].tolist()))
    pairs = exact_join_csr(*RULES[rule](texts, ngram), threshold)
    CACHE_DIR.mkdir(exist_ok=True)
    items = sorted(pairs.items())
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, i=np.array([p[0][0] for p in items], np.int64), j=np.array([p[0][1] for p in items], np.int64),
             s=np.array([p[1] for p in items], np.float64))
    tmp.replace(path)
    return pairs


def tokenizer_agreement(texts, ngram: int = NGRAM) -> dict:
    """How far gaoya's and near-dups' shingle sets agree with the peers' Python rule.

    Python vs gaoya compares the hashed sets element by element (same hash);
    near-dups hashes differently, so only set sizes are compared.
    """
    ip, vp = csr_python(texts, ngram)
    ig, vg = csr_gaoya(texts, ngram)
    idd, _ = csr_dedup(texts, ngram)
    n = len(texts)
    same_g = 0
    jac_g = []
    for d in range(n):
        a, b = vp[ip[d] : ip[d + 1]], vg[ig[d] : ig[d + 1]]
        if a.shape == b.shape and (a == b).all():
            same_g += 1
            jac_g.append(1.0)
        else:
            inter = np.intersect1d(a, b, assume_unique=True).shape[0]
            union = a.shape[0] + b.shape[0] - inter
            jac_g.append(inter / union if union else 1.0)
    sp, sd = np.diff(ip), np.diff(idd)
    return {
        "docs": n,
        "gaoya_same_set_docs": same_g,
        "gaoya_mean_jaccard_vs_python": round(float(np.mean(jac_g)), 6) if jac_g else 1.0,
        "gaoya_min_jaccard_vs_python": round(float(np.min(jac_g)), 6) if jac_g else 1.0,
        "dedup_same_size_docs": int((sp == sd).sum()),
        "dedup_mean_size_ratio_vs_python": round(float(np.mean((sd + 1) / (sp + 1))), 6),
        "python_shingles": int(vp.shape[0]),
        "gaoya_shingles": int(vg.shape[0]),
        "dedup_shingles": int(sd.sum()),
    }
