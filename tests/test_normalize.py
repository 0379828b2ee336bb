"""The text stage's normalization (``dedup._text._normalize``, texts read in place by ``_pystr``)
against CPython and the slow reference in ``tests/support/reference.py``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup._text import _fold, _normalize
from tests.support import reference as ref
from tests.support.strategies import TEXTS


def test_char_classes_match_reference_on_every_code_point():
    table = _normalize.char_classes()
    assert table.shape == (0x110000,) and not table.flags.writeable
    mismatched = [cp for cp in range(0x110000) if table[cp] != ref.char_class(chr(cp))]
    assert mismatched == []


def test_fold_kernel_equals_cpython_on_every_code_point():
    """Each code point alone, and between two letters, normalizes as CPython does."""
    texts = [chr(cp) for cp in range(0x110000)] + ["a" + chr(cp) + "b" for cp in range(0, 0x110000, 7)]
    buf, offs = _normalize.encode_batch(texts)
    expected = [_normalize.normalize(t).encode("utf-8", "surrogatepass") for t in texts]
    got = bytes(buf)
    bad = [t for k, t in enumerate(texts) if got[offs[k] : offs[k + 1]] != expected[k]]
    assert bad == []


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(TEXTS, max_size=8))
def test_fold_kernel_equals_cpython_on_mixed_text(texts):
    buf, offs = _normalize.encode_batch(texts)
    for k, t in enumerate(texts):
        assert bytes(buf[offs[k] : offs[k + 1]]) == _normalize.normalize(t).encode("utf-8", "surrogatepass")


class _Str(str):
    """A str subclass: not read in place (its type is not exactly str)."""


# Texts whose characters without a normalization boundary (marks, Hangul
# vowels) come in runs, after ASCII blocks of every length, with U+FFFF (the
# separator of the spans' one CPython call) inside and outside runs.
SPAN_ALPHABET = st.sampled_from(["a", "Z", " ", "é", "\u0301", "\u0327", "\u05bc", "\u094d", "\u1161", "\u11a8",
                                 "ᄀ", "\uffff", "😀", "\ud800", "ß", "½", "İ", "\u0345", "ΐ"])


SPAN_TEXTS = st.tuples(st.integers(0, 70), st.lists(SPAN_ALPHABET, max_size=30), st.integers(0, 70)).map(
    lambda t: "x" * t[0] + "".join(t[1]) + "Y" * t[2])


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(SPAN_TEXTS | TEXTS, max_size=10), wrap=st.lists(st.integers(0, 2), max_size=10))
def test_texts_read_in_place_fold_like_cpython(texts, wrap):
    """encode_batch's in-place path (``_pystr``), its spans normalized by CPython in one call, and the
    ``str.encode`` path give the same bytes as CPython for every text; subclasses and numpy strings in
    the batch take the ``str.encode`` path."""
    kinds = [str, _Str, np.str_]
    batch = [kinds[w](t) for t, w in zip(texts, wrap + [0] * len(texts))]
    want = [_normalize.normalize(t).encode("utf-8", "surrogatepass") for t in texts]
    for encode in (_normalize.encode_batch, _normalize._encode_utf8):
        buf, offs = encode(batch)
        assert [bytes(buf[a:b]) for a, b in zip(offs[:-1], offs[1:])] == want


def test_str_layout_is_read_on_cpython():
    """On CPython (CI runs 3.11) texts are read in place; the probe rejects a layout it cannot read back."""
    import sys

    from dedup._text import _pystr
    if sys.implementation.name != "cpython":
        pytest.skip("in-place reading is for CPython only")
    layout = _pystr.layout()
    assert layout is not None and layout.str_type == id(str)
    for s in _pystr._probes():
        top = max(map(ord, s), default=0)
        want = 1 if top < 0x100 else 2 if top < 0x10000 else 4
        assert _pystr_header(s, layout)[:3] == (want, s.isascii(), len(s))
    assert _pystr_header(_Str("abc"), layout)[0] == 0 and _pystr_header(12345, layout)[0] == 0


def _pystr_header(obj, layout):
    from numba import njit

    from dedup._text import _pystr

    @njit
    def read(address, t, a, c):
        return _pystr.header(address, t, a, c)

    return read(id(obj), layout.str_type, layout.ascii, layout.compact)


def test_spans_of_a_batch_are_normalized_in_one_cpython_call(monkeypatch):
    """Python-level work stays O(1) per batch however many marks the texts hold."""
    calls = []
    real = _normalize.normalize
    monkeypatch.setattr(_normalize, "normalize", lambda t: calls.append(t) or real(t))
    texts = ["caf" + "e\u0301 " * 50 + "x" * k for k in range(200)] + ["\u05d0\u05bc\u05b8" * 30, "plain"]
    buf, offs = _normalize.encode_batch(texts)
    assert [bytes(buf[a:b]) for a, b in zip(offs[:-1], offs[1:])] == [
        real(t).encode("utf-8") for t in texts]
    assert len(calls) == (1 if _pystr_layout() else 201)


def _pystr_layout():
    from dedup._text import _pystr
    return _pystr.layout()


def test_first_code_point_without_a_boundary():
    table, _ = _normalize.fold_table()
    assert np.flatnonzero(table == _normalize.NO_BOUNDARY).min() == _fold._MIN_NO_BOUNDARY


class _List(list):
    """A list subclass: its items are not read in place."""


@settings(max_examples=200, deadline=None)
@given(texts=st.lists(TEXTS, max_size=12), wrap=st.lists(st.integers(0, 2), max_size=12),
       shape=st.sampled_from([list, tuple, _List]), kernel_from=st.sampled_from([0, 2048]))
def test_lengths_and_addresses_read_in_place_equal_python(texts, wrap, shape, kernel_from):
    """``_pystr`` reads a list's or tuple's items and each str's length in place: the same as
    ``map(id, ...)`` and ``map(len, ...)``, with subclasses, numpy strings and a list subclass, by
    the kernel (``KERNEL_FROM`` 0) and below its size threshold."""
    from dedup._text import _pystr

    kinds = [str, _Str, np.str_]
    batch = shape(kinds[w](t) for t, w in zip(texts, wrap + [0] * len(texts)))
    before = _pystr.KERNEL_FROM
    _pystr.KERNEL_FROM = kernel_from
    try:
        assert _pystr.addresses(batch).tolist() == [id(t) for t in batch]
        got = _pystr.lengths(batch)
        assert got.dtype == np.int64 and got.tolist() == [len(t) for t in batch]
        assert _pystr.all_str(batch) == all(type(t) is str for t in batch)
    finally:
        _pystr.KERNEL_FROM = before


def test_sequences_are_read_in_place_on_cpython():
    import sys

    from dedup._text import _pystr
    if sys.implementation.name != "cpython":
        pytest.skip("in-place reading is for CPython only")
    assert _pystr._sequences_readable()
    many = ["a", "bc"] * _pystr.KERNEL_FROM
    assert _pystr.all_str(many) and not _pystr.all_str(many + [1]) and not _pystr.all_str(tuple(many) + (b"b",))
    assert _pystr.lengths(many).tolist() == [1, 2] * _pystr.KERNEL_FROM


def test_normalization_rules():
    same = dedup.shingles("Korea's missile TESTS", ngram=2)
    for variant in ["korea’s missile tests", "KOREA S  missile\n\ttests!!", "ｋｏｒｅａ's missile tests"]:
        assert same.tolist() == dedup.shingles(variant, ngram=2).tolist()
    assert dedup.shingles("Straße", ngram=1).tolist() == dedup.shingles("STRASSE", ngram=1).tolist()
    assert dedup.shingles("café", ngram=1).tolist() == dedup.shingles("cafe\u0301", ngram=1).tolist()
    assert dedup.shingles("cafe", ngram=1).tolist() != dedup.shingles("café", ngram=1).tolist()
    # Scripts without spaces: one token per character.
    assert len(dedup.shingles("中文字", ngram=1)) == 3
    # No letters or digits: no shingles at all.
    assert dedup.shingles(" ... !!! \n", ngram=5).size == 0
    # Lone surrogates are separators, never an error.
    assert dedup.shingles("a\ud800b", ngram=1).tolist() == dedup.shingles("a b", ngram=1).tolist()


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.text(alphabet=st.characters(max_codepoint=127), max_size=200), max_size=20))
def test_all_ascii_batches_fold_in_one_pass_like_cpython(texts):
    """The ASCII fast path of encode_batch (a vectorized lower-casing) gives CPython's NFKC + casefold."""
    buf, offs = _normalize.encode_batch(texts)
    assert [bytes(buf[a:b]) for a, b in zip(offs[:-1], offs[1:])] == [
        _normalize.normalize(t).encode("utf-8") for t in texts]
    every = np.arange(128, dtype=np.uint8)
    out = np.empty(128, dtype=np.uint8)
    assert _fold._lower_ascii(every, out) and np.array_equal(out, _normalize._ascii_fold())
