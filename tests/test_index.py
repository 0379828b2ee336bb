"""``dedup.index`` end to end: exact scores, recall against brute force, the API's shapes and errors."""

from __future__ import annotations

import json
import subprocess
import sys

import numba
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support import reference as ref
from tests.support import ROOT, load_jsonl
from tests.support.planted import planted_corpus

import dedup
from dedup._verify import _jaccard
from dedup._indexing import _pipeline


def brute_force_pairs(idx, threshold):
    """All pairs with exact Jaccard >= threshold, by scoring every pair of documents."""
    n = len(idx)
    i, j = (x.astype(np.int64) for x in np.triu_indices(n, 1))
    indptr, values = idx.shingle_arrays()
    s = _jaccard.jaccard_pairs(indptr, values, i, j, threshold)
    sizes = np.diff(indptr)
    ok = (s >= threshold) & (sizes[i] > 0) & (sizes[j] > 0)
    return set(zip(i[ok].tolist(), j[ok].tolist()))


def recall(idx, threshold):
    truth = brute_force_pairs(idx, threshold)
    pi, pj, _ = idx.pair_arrays()
    found = set(zip(pi.tolist(), pj.tolist()))
    assert found <= truth, "every reported pair must be verified"
    return len(found & truth) / len(truth) if truth else 1.0, len(truth)


# ------------------------------------------------------------------ recall
@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_recall_on_planted_corpus(threshold):
    docs = planted_corpus()
    idx = dedup.index(docs, threshold=threshold)
    r, n_true = recall(idx, threshold)
    assert n_true >= 50, "the planted corpus must contain pairs at this threshold"
    assert r >= 0.99


@pytest.mark.parametrize("threshold", [0.5, 0.8])
@pytest.mark.parametrize("corpus", ["newsgroups", "reuters"])
def test_recall_on_real_corpora(corpus, threshold):
    rows = load_jsonl(f"{corpus}.jsonl.gz", limit=4000)
    docs = [r["title"] + "\n" + r["text"] if corpus == "reuters" else r["text"] for r in rows]
    idx = dedup.index(docs, threshold=threshold)
    r, n_true = recall(idx, threshold)
    assert n_true >= 10
    assert r >= 0.99


def test_every_score_is_the_exact_jaccard_of_dedup_shingles():
    docs = planted_corpus(n_base=60, n_copies=60, seed=5)
    idx = dedup.index(docs, threshold=0.5)
    i, j, s = idx.pair_arrays()
    assert i.size > 20
    for a, b, score in zip(i.tolist(), j.tolist(), s.tolist()):
        assert score == ref.jaccard(dedup.shingles(docs[a]).tolist(), dedup.shingles(docs[b]).tolist())
        assert score >= 0.5


# ------------------------------------------------------------------ API
def test_pairs_clusters_duplicates_and_query():
    base = "the quick brown fox jumps over the lazy dog near the river bank today"
    docs = {
        "a": base,
        "b": "A completely different text about something else entirely, nothing shared.",
        "c": base.upper() + "!!",  # same normalized words as a: exact duplicate
        "d": base + " again",  # near-duplicate of a and c
        "e": "",  # empty: never a duplicate
        "f": "   ...   ",  # no letters: never a duplicate
    }
    idx = dedup.index(docs, threshold=0.7)
    sa, sd = dedup.shingles(base), dedup.shingles(docs["d"])
    j_ad = ref.jaccard(sa.tolist(), sd.tolist())
    assert idx.pairs() == [("a", "c", 1.0), ("a", "d", j_ad), ("c", "d", j_ad)]
    assert idx.clusters() == [["a", "c", "d"]]
    assert idx.duplicates() == ["c", "d"]
    assert idx.duplicates(keep="longest") == ["a", "c"]
    assert idx.duplicates(keep={"a": 0, "b": 0, "c": 0, "d": 5, "e": 0, "f": 0}) == ["a", "c"]
    assert idx.labels().tolist() == [0, 1, 0, 0, 4, 5]
    assert idx.query(base + " again") == [("d", 1.0), ("a", j_ad), ("c", j_ad)]
    assert idx.query("") == []
    assert idx.query("nothing like it at all in the index, no no no") == []
    with pytest.warns(UserWarning, match="below the index threshold"):
        idx.query(base, threshold=0.5)


def test_input_shapes_give_the_same_answer():
    texts = planted_corpus(n_base=30, n_copies=30, seed=2)
    by_list = dedup.index(texts, threshold=0.6)
    by_pairs = dedup.index(list(enumerate(texts)), threshold=0.6)
    by_map = dedup.index(dict(enumerate(texts)), threshold=0.6)
    by_gen = dedup.index((t for t in texts), threshold=0.6)
    assert by_list.pairs() == by_pairs.pairs() == by_map.pairs() == by_gen.pairs()
    assert by_list.pairs()


def test_empty_and_tiny_corpora():
    assert dedup.index([]).pairs() == []
    assert dedup.index([]).clusters() == []
    assert dedup.index(["only one"]).duplicates() == []
    assert dedup.index(["", ""]).pairs() == []
    assert dedup.index(["short", "short"]).pairs() == [(0, 1, 1.0)]


@pytest.mark.parametrize(
    "call, exc, message",
    [
        (lambda: dedup.index("one document"), TypeError, "got a single str; wrap one document in a list"),
        (lambda: dedup.index(b"bytes"), TypeError, "single bytes"),
        (lambda: dedup.index(42), TypeError, "iterable"),
        (lambda: dedup.index(["ok", 3]), TypeError, "document 1: text must be str, got int"),
        (lambda: dedup.index([("a", "x"), "y"]), TypeError, "document 1: expected an \\(id, text\\) pair"),
        (lambda: dedup.index([("a", b"x")]), TypeError, "decode bytes"),
        (lambda: dedup.index([("a", "x"), ("a", "y")]), ValueError, "duplicate document id 'a' at positions 0 and 1"),
        (lambda: dedup.index([([1], "x")]), TypeError, "hashable"),
        (lambda: dedup.index(["x"], threshold=1.5), ValueError, r"threshold must be in \(0, 1\], got 1.5"),
        (lambda: dedup.index(["x"], threshold=0), ValueError, "threshold must be in"),
        (lambda: dedup.index(["x"], threshold="0.8"), TypeError, "threshold must be a number"),
        (lambda: dedup.index(["x"], ngram=0), ValueError, "ngram must be >= 1, got 0"),
        (lambda: dedup.index(["x"], num_perm=0), ValueError, "num_perm must be >= 1, got 0"),
        (lambda: dedup.index(["x"], num_perm=2.5), TypeError, "num_perm must be an int"),
        (lambda: dedup.index(["x"], seed=-1), ValueError, "seed must be in"),
        (lambda: dedup.index(["x"], shingle="token"), ValueError, "shingle must be one of"),
        (lambda: dedup.index(["x"], bands=4), ValueError, "both bands and rows"),
        (lambda: dedup.index(["x"], bands=20, rows=10), ValueError, "bands \\* rows must be <= num_perm"),
        (lambda: dedup.index(["x"], keep="last"), ValueError, "keep must be one of"),
        (lambda: dedup.index(["x", "y"], keep=[1]), ValueError, "expected 2 priorities"),
        (lambda: dedup.index({"a": "x"}, keep={"b": 1}), ValueError, "no priority for document id 'a'"),
        (lambda: dedup.shingles(["x"]), TypeError, "text must be str"),
        (lambda: dedup.index(["x"]).query(3), TypeError, "text must be str"),
    ],
)
def test_bad_input_names_the_problem(call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        dedup.index(["a"], 0.8)  # noqa


# ------------------------------------------------------------------ determinism
def _fingerprint(idx):
    i, j, s = idx.pair_arrays()
    return (i.tolist(), j.tolist(), s.tolist(), idx.labels().tolist(), idx.duplicates())


def test_batches_do_not_change_the_answer(monkeypatch):
    docs = planted_corpus(n_base=80, n_copies=80, seed=9)
    whole = _fingerprint(dedup.index(docs, threshold=0.6))
    monkeypatch.setattr(_pipeline, "BATCH_CHARS", 500)  # many tiny kernel batches
    assert _fingerprint(dedup.index(docs, threshold=0.6)) == whole


def test_shingle_arrays_hold_each_documents_shingles_when_the_estimate_is_outgrown(monkeypatch):
    """Han text makes a shingle per character, 4x the buffer's first estimate:
    the buffer must grow without losing or shifting any row."""
    rng = np.random.default_rng(8)
    han = [chr(c) for c in range(0x4E00, 0x4E00 + 300)]
    docs = ["".join(rng.choice(han, size=int(rng.integers(0, 400)))) for _ in range(60)] + ["plain words here"]
    monkeypatch.setattr(_pipeline, "BATCH_CHARS", 2000)
    idx = dedup.index(docs, ngram=2)
    indptr, values = idx.shingle_arrays()
    for k, text in enumerate(docs):
        assert values[indptr[k] : indptr[k + 1]].tolist() == dedup.shingles(text, ngram=2).tolist()


def test_same_answer_on_one_and_two_threads():
    docs = planted_corpus(seed=4)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = _fingerprint(dedup.index(docs, threshold=0.5))
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = _fingerprint(dedup.index(docs, threshold=0.5))
    finally:
        numba.set_num_threads(before)
    assert one == two and one[0]


def test_same_answer_in_another_process():
    code = (
        "import json; import dedup; from tests.support.planted import planted_corpus; "
        "idx = dedup.index(planted_corpus(seed=4), threshold=0.5, seed=123); "
        "print(json.dumps([idx.pairs(), dedup.shingles('Hello wide world of text').tolist()]))"
    )
    here = dedup.index(planted_corpus(seed=4), threshold=0.5, seed=123)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={"PYTHONHASHSEED": "77", "NUMBA_NUM_THREADS": "1", "PATH": ""})
    pairs, sh = json.loads(out.stdout)
    assert [tuple(p) for p in pairs] == here.pairs()
    assert sh == dedup.shingles("Hello wide world of text").tolist()


def test_seed_changes_signatures_not_the_verified_answer():
    docs = planted_corpus(seed=6)
    a = dedup.index(docs, threshold=0.8, seed=1)
    b = dedup.index(docs, threshold=0.8, seed=2)
    assert set(a.pairs()) == set(b.pairs())


def test_identical_texts_without_words_are_exact_duplicates():
    """Emoji- or punctuation-only posts have no word shingles, yet identical ones are duplicates (at 1.0);
    a blank text (white space only) is never a duplicate of anything."""
    docs = {"a": "😀😀🎉", "b": "hello there general kenobi", "c": "😀😀🎉", "d": "!!!", "e": "  ",
            "f": "\t", "g": "!!!", "h": "😀😀", "i": ""}
    idx = dedup.index(docs)
    assert idx.pairs() == [("a", "c", 1.0), ("d", "g", 1.0)]
    assert idx.clusters() == [["a", "c"], ["d", "g"]]
    assert idx.query("😀😀🎉") == [("a", 1.0), ("c", 1.0)]
    assert idx.query("   ") == [] and idx.query("😀") == []
    assert [i for i, _ in idx.filter_new([("x", "!!!"), ("y", "?!"), ("z", "?!")], add=False)] == ["y"]
    idx.add({"j": "😀😀🎉", "k": " "})
    assert idx.pairs() == dedup.index({**docs, "j": "😀😀🎉", "k": " "}).pairs()
    assert ("a", "j", 1.0) in idx.pairs()


@pytest.mark.parametrize("big", [1, 2, 5])
def test_big_buckets_are_connected_without_verifying_every_pair(monkeypatch, big):
    """Buckets over BIG_BUCKET members are connected by connect_runs: with the bound
    forced down to a few members, clusters, labels, duplicates, pairs and add() must equal the
    all-pairs answer of the normal path."""
    docs = planted_corpus(n_base=150, n_copies=250, seed=11)
    docs += [docs[3]] * 4 + [docs[8] + " tail words"] * 3  # exact groups inside big buckets too
    want = dedup.index(docs, threshold=0.5)
    monkeypatch.setattr(_pipeline, "BIG_BUCKET", big)
    got = dedup.index(docs, threshold=0.5)
    assert not got._complete()
    assert got.labels().tolist() == want.labels().tolist()
    assert got.clusters() == want.clusters() and got.duplicates() == want.duplicates()
    assert got._p.i.shape[0] <= want._p.i.shape[0]  # no more pairs were kept (fewer verified)
    if big == 1:
        assert got._p.i.shape[0] < want._p.i.shape[0]
    assert got.pairs() == want.pairs()
    with pytest.raises(ValueError, match="pairs .* max_pairs=None"):
        dedup.index(docs, threshold=0.5).pairs(max_pairs=10)
    inc = dedup.index(docs[:200], threshold=0.5)
    inc.add(docs[200:])
    assert inc.labels().tolist() == want.labels().tolist() and inc.pairs() == want.pairs()


def _templated_site(seed: int, pages: int, extra: int, words: int = 150) -> list[str]:
    """``pages`` pages of one template, each with a few words replaced (none: an exact copy; many: a page
    below the threshold of the others), then ``extra`` pages of a second template, distinct texts and blanks."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{k}" for k in range(3000)]
    docs = []
    for count in (pages, extra):
        template = list(rng.choice(vocab, words))
        for _ in range(count):
            page = list(template)
            edits = int(rng.choice([0, 1, 2, 3, 6, 20, 60], p=[0.1, 0.45, 0.2, 0.1, 0.08, 0.05, 0.02]))
            for at in rng.integers(0, words, edits):
                page[at] = str(rng.choice(vocab))
            docs.append(" ".join(page))
    docs += [" ".join(rng.choice(vocab, int(rng.integers(5, 60)))) for _ in range(30)] + ["", " ."]
    return [docs[k] for k in rng.permutation(len(docs))]


def _bucket_pairs_by_brute_force(idx) -> list[tuple]:
    """Every pair of documents sharing a band key, scored with Python sets, kept at the threshold."""
    keys = np.asarray(idx._f.keys)
    indptr, values = idx.shingle_arrays()
    sets = [set(values[indptr[k] : indptr[k + 1]].tolist()) for k in range(len(idx))]
    cand = set()
    for band in keys:
        bucket = {}
        for k, key in enumerate(band.tolist()):
            if sets[k]:
                bucket.setdefault(key, []).append(k)
        cand.update((a, b) for members in bucket.values() for x, a in enumerate(members) for b in members[x + 1:])
    scored = ((a, b, ref.jaccard(sets[a], sets[b])) for a, b in sorted(cand))
    return [(a, b, s) for a, b, s in scored if s >= idx.config.threshold]


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), pages=st.integers(460, 650), extra=st.integers(0, 300),
       threshold=st.sampled_from([0.5, 0.8, 0.9]), cut=st.floats(0.2, 0.9))
def test_buckets_over_the_limit_against_brute_force_on_one_and_two_threads(seed, pages, extra, threshold, cut):
    """Buckets of more than BIG_BUCKET (256) members, as a site of templated pages makes them, with
    exact copies and pages below the threshold of the rest in them: clusters and pairs() are those of
    every pair sharing a bucket verified by brute force, duplicates() those of the path that verifies
    every pair; the same on one and two threads, and when the pages come in two add()s. Words are the
    shingles (ngram=1), so that one edited word leaves a page in its template's buckets of most bands."""
    docs = _templated_site(seed, pages, extra)
    before = numba.get_num_threads()
    try:
        got = []
        for threads in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(threads)
            got.append(dedup.index(docs, threshold=threshold, ngram=1))
    finally:
        numba.set_num_threads(before)
    one, two = got
    assert not one._complete()  # the big-bucket path ran
    assert np.array_equal(one._p.i, two._p.i) and np.array_equal(one._p.j, two._p.j)
    assert np.array_equal(one._p.score, two._p.score)
    truth = _bucket_pairs_by_brute_force(one)
    assert one.labels().tolist() == ref.components(len(docs), [(a, b) for a, b, _ in truth])
    assert one.pairs() == truth and two.pairs() == truth
    assert two.labels().tolist() == one.labels().tolist() and two.duplicates() == one.duplicates()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_pipeline, "BIG_BUCKET", len(docs))
        whole = dedup.index(docs, threshold=threshold, ngram=1)
        assert whole._complete() and whole.pairs() == truth
    assert one.clusters() == whole.clusters() and one.duplicates() == whole.duplicates()
    inc = dedup.index(docs[: int(cut * len(docs))], threshold=threshold, ngram=1)
    inc.add(docs[int(cut * len(docs)) :])
    assert inc.labels().tolist() == one.labels().tolist() and inc.pairs() == truth


def test_pairs_refuse_a_huge_exact_group_unless_asked():
    idx = dedup.index(["the same text here and there"] * 50)
    with pytest.raises(ValueError, match="1,225 pairs"):
        idx.pairs(max_pairs=1000)
    assert len(idx.pairs(max_pairs=None)) == 1225 and idx.clusters() == [list(range(50))]
