"""The token-span kernel (``dedup._text._tokens``) against the slow reference and ``dedup.shingles``."""

from __future__ import annotations

import numpy as np
import pytest
from tests.support import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.strategies import ALPHABET

# The core's alphabet, plus marks that NFKC reorders or composes across
# (U+1DC0 and Thai tone marks fold to themselves; U+0323 composes with "a").
CHARS = ALPHABET | st.sampled_from(["\u1dc0", "\u0323", "\u0e48", "\u0e38", "\u0301", "\u0316", "a", " "])
TEXTS = st.lists(CHARS, max_size=80).map("".join)

import dedup
from dedup._text import _tokens

EXAMPLES = [
    "",
    "a",
    "Hello, World!",
    "ﬁne ﬂour, Straße and STRASSE",
    "e\u0301te\u0301 cafe\u0301 noe\u0308l Å",
    "中文字和日本語のテキスト",
    "ภาษาไทยเป็นภาษาที่",
    "emoji 😀 between 👍🏽 words",
    "½ off, ² and ㍻",
    "\x00a\u0301\x00b",
    "ᄀ\u1161\u11a8 한국어 \u0b3e",
    "a\u1dc0\u0323 ท\u0e48\u0e38",  # marks the fold table keeps as themselves, reordered and composed by NFKC
    "\u00af\u0e48 x\u1dc0\u0e48",  # NFKC puts U+0E48 (class 107) before a mark of class 230 (found by hypothesis)
    "x" * 10_000,
]


def kernel_spans(texts):
    tk = _tokens.tokenize(texts)
    out = []
    for d in range(len(texts)):
        a, b = tk.tptr[d], tk.tptr[d + 1]
        out.append((tk.units[a:b], [(int(s), int(e)) for s, e in zip(tk.starts[a:b], tk.ends[a:b])]))
    return out


def check(text, units, spans):
    want = ref.token_spans(text)
    assert spans == [(s, e) for _, s, e in want]
    assert units.tolist() == [ref.fmix64(ref.fnv1a64(w.encode("utf-8", "surrogatepass"))) for w, _, _ in want]
    assert [w for w, _, _ in want] == ref.tokens(text)  # segments normalized alone = the whole text normalized
    for (word, s, e) in want:
        assert word in ref.tokens(text[s:e])  # the span's own text, normalized, holds that token
    for n in (1, 2, 3, 5):
        got = np.unique(_tokens.shingle_windows(units, n))
        assert np.array_equal(got, dedup.shingles(text, ngram=n)), n


def test_joiners_follow_the_boundary_rule_on_every_code_point():
    table = _tokens.joiners()
    bad = [cp for cp in range(0x110000) if (cp < 0x20000 or 0xE0100 <= cp < 0xE01F0 or table[cp])
           and bool(table[cp]) == ref.has_boundary_before(chr(cp))]
    assert bad == []


@pytest.mark.parametrize("text", EXAMPLES)
def test_examples_match_reference_and_shingles(text):
    (units, spans), = kernel_spans([text])
    check(text, units, spans)


def test_spans_read_the_original_text():
    text = "On the sidelines, ﬁve Straße-signs: e\u0301te\u0301 中文 😀 end"
    (_, spans), = kernel_spans([text])
    assert [text[s:e] for s, e in spans] == ["On", "the", "sidelines", "ﬁve", "Straße", "signs",
                                              "e\u0301te\u0301", "中", "文", "end"]


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(TEXTS, max_size=6))
def test_kernel_matches_reference(texts):
    for text, (units, spans) in zip(texts, kernel_spans(texts)):
        check(text, units, spans)


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.lists(CHARS, max_size=30).map("".join), min_size=1, max_size=6))
def test_batch_equals_one_at_a_time(texts):
    batch = kernel_spans(texts)
    for text, (units, spans) in zip(texts, batch):
        (u1, s1), = kernel_spans([text])
        assert np.array_equal(units, u1) and spans == s1


@pytest.mark.parametrize("n_words", [0, 1, 4, 5, 6, 100_000])
def test_sizes_across_edges(n_words):
    rng = np.random.default_rng(n_words)
    text = " ".join(f"t{w}" for w in rng.integers(0, 50_000, size=n_words))
    (units, spans), = kernel_spans([text])
    assert len(spans) == n_words
    for n in (1, 5):
        assert np.array_equal(np.unique(_tokens.shingle_windows(units, n)), dedup.shingles(text, ngram=n))
    if n_words:
        assert text[spans[-1][0]:spans[-1][1]] == text.split()[-1]


def test_mixed_batch_of_fast_and_slow_documents():
    """Documents normalized by CPython (combining marks) sit between table-folded ones."""
    texts = ["plain text here", "cafe\u0301 au lait", "", "\x00", "noe\u0308l\x00noe\u0308l", "ﬁn"]
    for text, (units, spans) in zip(texts, kernel_spans(texts)):
        check(text, units, spans)
