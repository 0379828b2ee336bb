"""The exact truth is right: the hashed numba join against slow references, and gaoya's tokenizer replica
against gaoya.

* ``exact_join_csr`` (hashed shingles, prefix filtering in numba) equals the
  naive all-pairs loop over Python string sets (``peers.brute_force``) and
  ``peers.exact_join``, pairs and scores, on random corpora whose documents
  cross the shingling limits (no token, 1..4 tokens, exactly 5, long) with
  planted near-copies, and on a sample of each real corpus (every document of
  a true pair among the first ones, plus random ones).
* ``truth._tokens_gaoya`` (the replica used for the truth over gaoya's own
  tokens and for the agreement figures) gives gaoya's word sets: every text is
  cut at ASCII spaces into pieces of 20, each piece indexed by gaoya itself
  (its whitespace_split words, ``ngram_range=None``, 256 hashes) and queried with the replica's tokens; the
  estimate must be exactly 1.0 for every piece. A piece whose sets differ in
  one token of 20 passes with probability <= 0.95**256 < 1e-5. The Python rule
  (which does differ from gaoya on non-ASCII punctuation) is shown to fail the
  same check, so the check can fail.

Timed value: the exact join on the sample (the price of not sketching).
"""

from __future__ import annotations

import random

import pytest
from benchmarks.harness.corpus import exists, load
from benchmarks.harness.peers import brute_force, exact_join, shingle_set
from benchmarks.harness.truth import _tokens_gaoya, _tokens_python, csr_python, exact_join_csr, truth

SAMPLE = 1200
FROM_PAIRS = 200


def _random_corpus(seed: int, n: int = 300) -> list[str]:
    rng = random.Random(seed)
    vocab = [f"w{k}" for k in range(40)] + ["Déjà", "vu", "naïve", "ﬁne", "東京", "x_y"]
    docs = []
    for _ in range(n):
        kind = rng.random()
        if kind < 0.05:
            docs.append(rng.choice(["", "  ", "!!! ...", "_"]))
        elif kind < 0.15:
            docs.append(" ".join(rng.choices(vocab, k=rng.randint(1, 5))))
        elif kind < 0.5 and docs:
            src = rng.choice(docs).split(" ")  # a near-copy: a few words replaced
            for _ in range(rng.randint(0, 3)):
                if src:
                    src[rng.randrange(len(src))] = rng.choice(vocab)
            docs.append(" ".join(src))
        else:
            docs.append(" ".join(rng.choices(vocab, k=rng.randint(6, 60))) + rng.choice([".", "!", ""]))
    return docs


@pytest.mark.parametrize("seed", range(6))
def test_join_equals_brute_force_random(benchmark, seed):
    docs = _random_corpus(seed)
    sets = [shingle_set(t) for t in docs]
    brute = brute_force(sets, range(len(docs)))
    benchmark.group = "truth: exact join vs brute force (random)"
    got = benchmark.pedantic(exact_join_csr, args=csr_python(docs), rounds=1, iterations=1)
    for threshold in (0.8, 0.5):
        want = brute if threshold == 0.8 else brute_force(sets, range(len(docs)), threshold)
        have = got if threshold == 0.8 else exact_join_csr(*csr_python(docs), threshold)
        assert set(have) == set(want)
        assert all(abs(have[p] - want[p]) < 1e-12 for p in want)
    assert brute, "the random corpus planted no pair: the check would be empty"


@pytest.mark.parametrize("name", ["newsgroups", "web_pages", "wikipedia"])
def test_join_equals_references_real(benchmark, name):
    if not exists(name):
        pytest.skip(f"corpus {name} not found")
    texts = list(load(name).texts)
    full = truth(name, texts, "python")  # the cached whole-corpus answer the comparison uses
    rng = random.Random(0)
    in_pairs = sorted({d for p in full for d in p})[:FROM_PAIRS]
    rest = sorted(set(range(len(texts))) - set(in_pairs))
    members = sorted(set(in_pairs) | set(rng.sample(rest, min(len(rest), SAMPLE - len(in_pairs)))))
    sample = [texts[d] for d in members]
    sets = [shingle_set(t) for t in sample]
    benchmark.group = "truth: exact join vs references (real sample)"
    got = benchmark.pedantic(exact_join_csr, args=csr_python(sample), rounds=1, iterations=1)
    brute = brute_force(sets, range(len(sample)))
    assert set(got) == set(brute) == set(exact_join(sets))
    assert all(abs(got[p] - brute[p]) < 1e-12 for p in brute)
    restricted = {(members[i], members[j]) for i, j in got}
    assert restricted == {p for p in full if p[0] in set(members) and p[1] in set(members)}
    benchmark.extra_info.update(corpus=name, sample_docs=len(sample), sample_pairs=len(got), corpus_pairs=len(full))


def _gaoya_mismatches(pieces: list[str], tokenize) -> int:
    from gaoya.minhash import MinHashStringIndex

    # one band of all 256 hashes: a query finds exactly the pieces with an identical signature
    index = MinHashStringIndex(hash_size=64, jaccard_threshold=0.0, num_bands=1, band_size=256, analyzer="word",
                               lowercase=True, ngram_range=None, id_container="vec")
    index.par_bulk_insert_docs(list(range(len(pieces))), pieces)
    bad = 0
    for k, piece in enumerate(pieces):
        toks = tokenize(piece)
        hits = dict(index.minhash_index.query_tokens_return_similarity(toks)) if toks else {}
        if toks and hits.get(k) != 1.0:
            bad += 1
    return bad


@pytest.mark.parametrize("name", ["newsgroups", "web_pages", "wikipedia"])
def test_gaoya_tokenizer_replica(benchmark, name):
    pytest.importorskip("gaoya")
    if not exists(name):
        pytest.skip(f"corpus {name} not found")
    texts = list(load(name).texts)
    rng = random.Random(1)
    picked = rng.sample(texts, 150) + [t for t in texts if not t.isascii()][:150]
    pieces = []
    for t in picked:
        words = t.split(" ")
        pieces += [" ".join(words[k : k + 20]) for k in range(0, len(words), 20)]
    benchmark.group = "truth: gaoya tokenizer replica"
    bad = benchmark.pedantic(_gaoya_mismatches, args=(pieces, _tokens_gaoya), rounds=1, iterations=1)
    benchmark.extra_info.update(corpus=name, pieces=len(pieces), mismatches=bad)
    assert bad == 0, f"{bad} of {len(pieces)} pieces: the replica's words differ from gaoya's"
    if name == "web_pages":  # the check can fail: the Python rule splits on non-ASCII punctuation, gaoya does not
        assert _gaoya_mismatches(pieces, _tokens_python) > 0


def test_gaoya_short_texts_have_no_shingle(benchmark):
    """gaoya's word 5-grams of a text under 5 words: none (all such texts share the empty signature)."""
    pytest.importorskip("gaoya")
    from gaoya.minhash import MinHashStringIndex

    index = MinHashStringIndex(hash_size=32, jaccard_threshold=0.0, num_bands=21, band_size=6, analyzer="word",
                               lowercase=True, ngram_range=(5, 5), id_container="vec")
    docs = ["alpha beta gamma delta", "one two", "a b c d e f g h i j", "k l m n o p q r s t"]
    index.par_bulk_insert_docs(list(range(4)), docs)
    benchmark.group = "truth: gaoya tokenizer replica"
    hits = [sorted(h) for h in benchmark.pedantic(index.par_bulk_query, args=(docs,), rounds=1, iterations=1)]
    assert hits[0] == hits[1] == [0, 1]  # both empty: equal signatures
    assert hits[2] == [2] and hits[3] == [3]
