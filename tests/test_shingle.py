"""The text stage's shingling kernels (``dedup._text._shingle``) against the slow reference in
``tests/support/reference.py``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup._indexing._pipeline import SHINGLE_MODES
from dedup._text import _normalize, _shingle, _tokenize
from tests.support import reference as ref
from tests.support.strategies import TEXTS


def kernel_shingles(texts, ngram, shingle):
    buf, offs = _normalize.encode_batch(texts)
    return _shingle.shingle_segments(buf, offs[:-1], offs[1:], ngram, SHINGLE_MODES[shingle],
                                     _normalize.char_classes())


@settings(max_examples=300, deadline=None)
@given(text=TEXTS, ngram=st.integers(1, 6), shingle=st.sampled_from(sorted(SHINGLE_MODES)))
def test_shingles_match_reference(text, ngram, shingle):
    got = dedup.shingles(text, ngram=ngram, shingle=shingle)
    assert got.dtype == np.uint64
    assert got.tolist() == ref.shingles(text, ngram, shingle)


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(TEXTS, min_size=1, max_size=12), repeat=st.integers(1, 12), ngram=st.integers(1, 6))
def test_long_texts_read_as_two_token_streams_match_reference(parts, repeat, ngram):
    """Texts past ``_TWO_STREAMS`` bytes are tokenized as two halves at once; the units are a single stream's."""
    text = "".join(parts) * repeat
    if len(text.encode("utf-8", "surrogatepass")) < _tokenize._TWO_STREAMS:
        text = (text + " ") * (_tokenize._TWO_STREAMS // max(1, len(text)) + 1)
    got = dedup.shingles(text, ngram=ngram, shingle="word")
    assert got.tolist() == ref.shingles(text, ngram, "word")


@pytest.mark.parametrize("text", ["x" * 1000, "中文" * 300, "ab " * 100 + "é" * 400, "é" * 400 + " ab" * 100,
                                  " " * 300 + "a", "a" + " " * 300, "ünï cödé " * 60, "a\u0301 " * 200])
def test_long_texts_without_a_cut_or_with_one_at_an_edge_match_reference(text):
    got = dedup.shingles(text, ngram=3, shingle="word")
    assert got.tolist() == ref.shingles(text, 3, "word")


@pytest.mark.parametrize("shingle", sorted(SHINGLE_MODES))
@pytest.mark.parametrize("n_words", [0, 1, 4, 5, 6, 100_000])
def test_shingle_sizes_across_edges(n_words, shingle):
    rng = np.random.default_rng(n_words)
    text = " ".join(f"t{w}" for w in rng.integers(0, 50_000, size=n_words))
    got = dedup.shingles(text, ngram=5, shingle=shingle)
    want = ref.shingles(text, 5, shingle)
    assert got.tolist() == want
    if n_words == 0:
        assert got.size == 0
    elif shingle == "word" and n_words <= 5:
        assert got.size == 1  # fewer than (or exactly) n words: one shingle


@settings(max_examples=60, deadline=None)
@given(texts=st.lists(TEXTS, max_size=12), ngram=st.integers(1, 5), shingle=st.sampled_from(sorted(SHINGLE_MODES)))
def test_batch_equals_one_at_a_time(texts, ngram, shingle):
    indptr, values = kernel_shingles(texts, ngram, shingle)
    assert indptr.shape == (len(texts) + 1,)
    for k, t in enumerate(texts):
        row = values[indptr[k] : indptr[k + 1]]
        assert row.tolist() == dedup.shingles(t, ngram=ngram, shingle=shingle).tolist()


def test_malformed_utf8_never_reads_past_its_segment():
    buf = np.frombuffer(b"ab\xf0\x9f\xe2\x82" + b"zz", dtype=np.uint8)
    indptr, values = _shingle.shingle_segments(buf, np.array([0]), np.array([6]), 1,
                                               SHINGLE_MODES["word"], _normalize.char_classes())
    assert indptr.tolist() == [0, 1]  # "ab" then a truncated sequence: separators only


def _general_path(buf, starts, ends, ngram, mode):
    """Rows and unit counts from ``_shingle_one``, the general (CHARS and WORDS) kernel, one segment at a time."""
    classes = _normalize.char_classes()
    ring = np.empty(ngram, dtype=np.uint64)
    rows, units = [], []
    for s, e in zip(starts.tolist(), ends.tolist()):
        out = np.empty(max(1, _shingle.max_shingles(e - s, mode)), dtype=np.uint64)
        k, n_units = _shingle._shingle_one(buf, s, e, ngram, mode, classes, out, 0, ring)
        rows.append(np.unique(out[:k]).tolist())
        units.append(n_units)
    return rows, units


# Raw bytes: ASCII words and separators, valid UTF-8 (accents, CJK solo
# characters, a 4-byte emoji, a Hangul syllable), and malformed sequences
# (lone continuation bytes, truncated and overlong leads, bytes >= 0xF8).
BYTE_PIECES = st.sampled_from([b"a", b"Zq", b"09", b" ", b"  ", b".", b"\n", b"caf\xc3\xa9", b"\xc3\xa9",
                               "中".encode(), "文字".encode(), "ก".encode(), "😀".encode(), "한".encode(),
                               b"\x80", b"\xbf", b"\xc3", b"\xe4\xb8", b"\xf0\x9f", b"\xe0\x80\x80", b"\xc0\xaf",
                               b"\xff", b"\xf8\x88\x80\x80", b"\xed\xa0\x80"]) | st.binary(max_size=4)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(BYTE_PIECES, max_size=60), cuts=st.lists(st.integers(0, 400), max_size=6),
       ngram=st.integers(1, 5), shingle=st.sampled_from(sorted(SHINGLE_MODES)))
def test_segments_of_any_bytes_match_the_general_kernel(pieces, cuts, ngram, shingle):
    """The WORDS fast path (ASCII bytes without decoding, the rest decoded) agrees with
    ``_shingle_one`` on any bytes, malformed UTF-8 and segments cut mid-character included."""
    raw = b"".join(pieces)
    buf = np.frombuffer(raw, dtype=np.uint8)
    bounds = sorted({0, len(raw), *(c % (len(raw) + 1) for c in cuts)})
    starts, ends = np.array(bounds[:-1], dtype=np.int64), np.array(bounds[1:], dtype=np.int64)
    mode = SHINGLE_MODES[shingle]
    units = np.full(starts.shape[0], -1, dtype=np.int64)
    indptr, values = _shingle.shingle_segments(buf, starts, ends, ngram, mode, _normalize.char_classes(),
                                               units=units)
    rows, want_units = _general_path(buf, starts, ends, ngram, mode)
    assert [values[indptr[k] : indptr[k + 1]].tolist() for k in range(starts.shape[0])] == rows
    assert units.tolist() == want_units


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(TEXTS, max_size=8), ngram=st.integers(1, 5), shingle=st.sampled_from(sorted(SHINGLE_MODES)))
def test_units_match_reference(texts, ngram, shingle):
    buf, offs = _normalize.encode_batch(texts)
    units = np.full(len(texts), -1, dtype=np.int64)
    indptr, values = _shingle.shingle_segments(buf, offs[:-1], offs[1:], ngram, SHINGLE_MODES[shingle],
                                               _normalize.char_classes(), units=units)
    assert units.tolist() == [len(ref.units(t, shingle)) for t in texts]
    plain_indptr, plain_values = kernel_shingles(texts, ngram, shingle)  # units= changes nothing else
    assert np.array_equal(indptr, plain_indptr) and np.array_equal(values, plain_values)


def test_ascii_and_non_ascii_in_one_segment():
    classes = _normalize.char_classes()
    text = "Café au lait, 中文字 naïve x中y CAFE\u0301 na\u00efve-end 😀 ok ภาษา a"
    for ngram in (1, 2, 3, 5):
        assert dedup.shingles(text, ngram=ngram).tolist() == ref.shingles(text, ngram, "word")
    units = np.zeros(1, dtype=np.int64)
    buf, offs = _normalize.encode_batch([text])
    _shingle.shingle_segments(buf, offs[:-1], offs[1:], 3, _shingle.WORDS, classes, units=units)
    assert units.tolist() == [len(ref.tokens(text))]
    # The same words around malformed bytes (lone continuation bytes, a
    # truncated sequence at the end): each byte is a separator, and the ASCII
    # and decoded paths hand the token hash back and forth.
    raw = "café中x".encode() + b"\x80ab\xbfc" + " naïve 文".encode() + b"\xe4\xb8"
    buf = np.frombuffer(raw, dtype=np.uint8)
    ends = np.array([len(raw)], dtype=np.int64)
    for ngram in (1, 3):
        indptr, values = _shingle.shingle_segments(buf, np.array([0]), ends, ngram, _shingle.WORDS, classes,
                                                   units=units)
        rows, want_units = _general_path(buf, np.array([0]), ends, ngram, _shingle.WORDS)
        assert values.tolist() == rows[0] and units.tolist() == want_units == [7]
    # café 中 x ab c naïve 文: without the malformed bytes the same tokens give the same row
    clean = "café中x ab c naïve 文"
    assert values.tolist() == dedup.shingles(clean, ngram=3).tolist()


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(BYTE_PIECES, min_size=1, max_size=40))
def test_token_pass_stays_inside_the_row_bound(pieces):
    """The branch-free pass stores ahead at every byte: never past ``max_shingles`` of the segment."""
    raw = b"".join(pieces)
    buf = np.frombuffer(raw, dtype=np.uint8)
    classes = _normalize.char_classes()
    bound = _shingle.max_shingles(len(raw), _shingle.WORDS)
    sentinel = np.uint64(0x5EA7)
    out = np.full(bound + 8, sentinel, dtype=np.uint64)
    n = _tokenize._token_hashes(buf, 0, len(raw), _tokenize._ascii_kinds(classes), classes, out, 0)
    assert n <= bound and (out[bound:] == sentinel).all()


def test_units_shape_is_checked():
    buf, offs = _normalize.encode_batch(["a b", "c"])
    with pytest.raises(ValueError):
        _shingle.shingle_segments(buf, offs[:-1], offs[1:], 3, _shingle.WORDS, _normalize.char_classes(),
                                  units=np.zeros(3, dtype=np.int64))
