"""The benchmark corpus generator (benchmarks/harness/generate.py): deterministic, and
planted copies land at their target Jaccard levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
if not (BENCH / "data" / "wikipedia_sample.jsonl.gz").exists():
    pytest.skip("benchmarks/data/wikipedia_sample.jsonl.gz not found", allow_module_level=True)

from benchmarks.harness import generate  # noqa: E402
from benchmarks.harness.peers import _TOKEN, shingle_set  # noqa: E402


@pytest.fixture(scope="module")
def corpus():
    return generate.generate(3000, seed=7)


def test_deterministic(corpus):
    again = generate.generate(3000, seed=7)
    assert again.texts == corpus.texts
    for name in ("cluster_of", "level", "source", "n_words"):
        np.testing.assert_array_equal(getattr(again, name), getattr(corpus, name))
    other = generate.generate(3000, seed=8)
    assert other.texts != corpus.texts


def test_chunks_share_prefix():
    small = generate.generate(300, seed=1, chunk=200)
    big = generate.generate(500, seed=1, chunk=200)
    assert big.texts[:200] == small.texts[:200]


def test_shape(corpus):
    assert len(corpus.texts) == corpus.n == 3000
    assert all(isinstance(t, str) and t.isascii() for t in corpus.texts)
    words = [len(_TOKEN.findall(t.lower())) for t in corpus.texts[:500]]
    np.testing.assert_array_equal(words, corpus.n_words[:500])
    assert 350 <= corpus.n_words.mean() <= 550  # documented: about 450 words per document
    copies = np.flatnonzero(corpus.source >= 0)
    assert copies.size > 0
    assert (corpus.cluster_of[copies] == corpus.cluster_of[corpus.source[copies]]).all()
    assert (corpus.source[corpus.source[copies]] == -1).all()  # copies are made from sources, not copies
    assert sum(map(len, corpus.clusters())) == (corpus.cluster_of >= 0).sum()


def test_levels_land_near_targets(corpus):
    got = {lv: [] for lv in generate.LEVELS}
    for d in np.flatnonzero(corpus.source >= 0).tolist():
        a, b = shingle_set(corpus.texts[d]), shingle_set(corpus.texts[corpus.source[d]])
        j = len(a & b) / len(a | b)
        # m = round(S (1 - J) / (5 (1 + J))) replacements: rounding m moves J by at most about 5 / S
        assert abs(j - corpus.level[d]) <= 5 / len(b) + 0.02, (d, corpus.level[d], j, len(b))
        got[corpus.level[d]].append(j)
    for level, values in got.items():
        assert values, level
        assert abs(np.mean(values) - level) < 0.01, (level, np.mean(values))


def test_truth_is_planted_pairs_above_threshold(corpus):
    planted = corpus.planted_jaccard()
    truth = corpus.truth(0.8)
    assert set(truth) == {p for p, s in planted.items() if s >= 0.8}
    assert all(corpus.cluster_of[i] == corpus.cluster_of[j] >= 0 for i, j in planted)


def test_rejects_negative_size():
    with pytest.raises(ValueError, match="n must be >= 0"):
        generate.generate(-1)
    assert generate.generate(0).texts == []
