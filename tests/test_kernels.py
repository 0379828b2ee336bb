"""Every core kernel against the slow reference in ``reference.py``."""

from __future__ import annotations

import numpy as np
import pytest
import reference as ref
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup._core import _arrays
from dedup._verify import _cluster, _exact, _jaccard
from dedup._sketch import _lsh, _minhash
from dedup._text import _fold, _normalize, _shingle, _tokenize
from dedup._indexing._pipeline import SHINGLE_MODES

# Text that exercises the tokenizer: ASCII words and punctuation, accents,
# combining marks, ligatures and full-width forms (NFKC), CJK, Thai, emoji,
# German sharp s (casefold), and every kind of whitespace.
ALPHABET = st.sampled_from(
    list("abcXYZ019 .,;'\"-_\n\t") + ["é", "e\u0301", "ﬁ", "Ａ", "ß", "Σ", "ς", "中", "文", "ก", "\u0e31", "😀",
                                      "\u00a0", "\u2009", "’", "½", "क", "\u093f", "\ufeff", "ǅ", "\u0344",
                                      "ᄀ", "\u1161", "\u11a8", "한", "\u0b3e", "ୋ", "İ", "ﬀ", "\u0345", "ΐ"]
) | st.characters()
TEXTS = st.lists(ALPHABET, max_size=80).map("".join)


def kernel_shingles(texts, ngram, shingle):
    buf, offs = _normalize.encode_batch(texts)
    return _shingle.shingle_segments(buf, offs[:-1], offs[1:], ngram, SHINGLE_MODES[shingle],
                                     _normalize.char_classes())


# ------------------------------------------------------------------ normalize
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


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.binary(max_size=600), max_size=12))
def test_digests_kernel_equals_xxhash_per_text(parts):
    """The xxh3 C function called from a kernel gives ``xxhash.xxh3_64_intdigest`` of every text,
    every length class of XXH3 included; the per-text path gives the same."""
    import xxhash

    buf = np.frombuffer(b"".join(parts), dtype=np.uint8)
    offs = np.cumsum([0] + [len(p) for p in parts], dtype=np.int64)
    want = [xxhash.xxh3_64_intdigest(p) for p in parts]
    assert _exact.digests(buf, offs).tolist() == want
    slow = _exact._xxh3_address
    try:
        _exact._xxh3_address = lambda: 0
        assert _exact.digests(buf, offs).tolist() == want
    finally:
        _exact._xxh3_address = slow


def test_digests_use_the_c_function_on_linux():
    import sys

    if not sys.platform.startswith("linux"):
        pytest.skip("the xxhash module exports XXH3_64bits on Linux builds")
    assert _exact._xxh3_address() != 0


# ------------------------------------------------------------------ shingles
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


def test_sort_uniform_matches_numpy_sort():
    rng = np.random.default_rng(3)
    for n in [0, 1, 15, 16, 63, 64, 65, 1000, 4097]:
        for gen in (lambda: rng.integers(0, 2**64, size=n, dtype=np.uint64),
                    lambda: rng.integers(0, 5, size=n).astype(np.uint64)):  # non-uniform, many ties
            x = gen()
            y = x.copy()
            _arrays.sort_uniform(y, np.empty(n, dtype=np.uint64))
            assert np.array_equal(y, np.sort(x))


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


# ------------------------------------------------------------------ minhash
@settings(max_examples=100, deadline=None)
@given(sets=st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=30, unique=True), max_size=6),
       num_perm=st.integers(1, 40), seed=st.integers(0, 2**64 - 1))
def test_signatures_match_reference(sets, num_perm, seed):
    a, b = _minhash.permutations(num_perm, seed)
    ra, rb = ref.permutations(num_perm, seed)
    assert a.tolist() == ra and b.tolist() == rb
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(s) for s in sets])
    values = np.array([v for s in sets for v in sorted(s)], dtype=np.uint64)
    sig = _minhash.signatures(indptr, values, a, b)
    assert sig.shape == (len(sets), num_perm)
    for k, s in enumerate(sets):
        assert sig[k].tolist() == ref.signature(s, ra, rb)


@pytest.mark.parametrize("jaccard", [0.2, 0.5, 0.8, 0.95])
def test_minhash_collision_rate_is_unbiased_with_binomial_variance(jaccard):
    """Over many random set pairs at a known J, the fraction of equal signature
    values has mean J and variance J(1-J)/num_perm, as for truly random
    permutations. Bounds are ~5 standard errors wide."""
    rng = np.random.default_rng(11)
    num_perm, trials, size = 128, 300, 400
    union = size * 2
    inter = int(round(jaccard * union / (1 + jaccard)))
    rates = []
    a, b = _minhash.permutations(num_perm, 7)
    for _ in range(trials):
        pool = rng.integers(0, 2**64, size=2 * size, dtype=np.uint64)
        shared = pool[:inter]
        A = np.concatenate([shared, pool[inter:size]])
        B = np.concatenate([shared, pool[size : 2 * size - inter]])
        true_j = inter / (2 * size - inter)
        indptr = np.array([0, A.size, A.size + B.size])
        sig = _minhash.signatures(indptr, np.concatenate([A, B]), a, b)
        rates.append(np.mean(sig[0] == sig[1]) - true_j)
    rates = np.array(rates)
    var = true_j * (1 - true_j) / num_perm
    assert abs(rates.mean()) < 5 * np.sqrt(var / trials)
    assert 0.6 * var < rates.var() < 1.6 * var


@settings(max_examples=100, deadline=None)
@given(sets=st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=300, unique=True), max_size=5),
       num_perm=st.integers(1, 140), seed=st.integers(0, 2**64 - 1))
def test_oph_signatures_match_reference(sets, num_perm, seed):
    a, b = _minhash.permutations(num_perm, seed)
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(s) for s in sets])
    values = np.array([v for s in sets for v in sorted(s)], dtype=np.uint64)
    sig = _minhash.signatures(indptr, values, a, b, True)
    for k, s in enumerate(sets):
        assert sig[k].tolist() == ref.oph_signature(s, int(a[0]), int(b[0]), num_perm)


def _pair_with_jaccard(rng, union, inter):
    pool = rng.integers(0, 2**64, size=union, dtype=np.uint64)
    rest = union - inter
    A = np.sort(np.concatenate([pool[:inter], pool[inter : inter + rest // 2]]))
    B = np.sort(np.concatenate([pool[:inter], pool[inter + rest // 2 :]]))
    return A, B, inter / union


@pytest.mark.parametrize("union,inter", [(1, 1), (2, 1), (3, 1), (5, 2), (8, 6), (20, 10), (60, 12), (200, 160),
                                         (800, 400), (3000, 2900)])
def test_oph_collision_probability_equals_jaccard(union, inter):
    """Per hash, P[sig_k(A) == sig_k(B)] = J for one-permutation hashing with optimal densification,
    at every set size, the smallest included (where most bins are densified). Over 400 random pairs,
    with a new permutation each: every bin's collision rate is within 5 binomial standard errors
    (sqrt(J(1-J)/400)) of J, and their mean within 5 standard errors of the per-pair mean."""
    rng = np.random.default_rng(union * 1000 + inter)
    trials, k = 400, 64
    hits = np.zeros(k)
    means = []
    for t in range(trials):
        A, B, j = _pair_with_jaccard(rng, union, inter)
        a, b = _minhash.permutations(k, int(rng.integers(0, 2**63)))
        sig = _minhash.signatures(np.array([0, A.size, A.size + B.size]), np.concatenate([A, B]), a, b, True)
        eq = sig[0] == sig[1]
        hits += eq
        means.append(eq.mean())
    se = np.sqrt(j * (1 - j) / trials)
    assert np.all(np.abs(hits / trials - j) <= 5 * se + 1e-12)
    means = np.array(means)
    assert abs(means.mean() - j) <= 5 * means.std() / np.sqrt(trials) + 1e-12


@pytest.mark.parametrize("sketch", ["oph", "minhash"])
def test_candidate_probability_follows_the_s_curve(sketch):
    """The probability that a pair becomes an LSH candidate (21 bands x 6 rows), measured over 600
    random document-sized pairs (150-600 shingles) per Jaccard level, is 1-(1-J^6)^21 within 5
    binomial standard errors, for both families."""
    rng = np.random.default_rng(5)
    bands, rows, trials = 21, 6, 600
    for target in (0.3, 0.5, 0.6, 0.7, 0.8):
        got = []
        for t in range(trials):
            union = int(rng.integers(150, 600))
            A, B, j = _pair_with_jaccard(rng, union, int(round(target * union)))
            a, b = _minhash.permutations(128, int(rng.integers(0, 2**63)))
            keys = _minhash.band_keys(np.array([0, A.size, A.size + B.size]), np.concatenate([A, B]),
                                      np.array([0, 1]), a, b, bands, rows, sketch == "oph")
            got.append((bool((keys[:, 0] == keys[:, 1]).any()), j))
        p = np.mean([g for g, _ in got])
        want = np.mean([float(dedup.s_curve(j, bands, rows)) for _, j in got])
        assert abs(p - want) <= 5 * np.sqrt(want * (1 - want) / trials) + 0.005, (target, p, want)


# ------------------------------------------------------------------ LSH
def test_s_curve_and_band_choice():
    assert float(dedup.s_curve(0.8, 21, 6)) == pytest.approx(1 - (1 - 0.8**6) ** 21)
    for threshold in [0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0]:
        for num_perm in [16, 64, 128, 256]:
            bands, rows = dedup.choose_bands(threshold, num_perm, 0.99)
            assert bands * rows <= num_perm
            p = float(dedup.s_curve(threshold, bands, rows))
            best = max(float(dedup.s_curve(threshold, num_perm // r, r)) for r in range(1, num_perm + 1))
            assert p >= min(0.99, best) - 1e-12
    # The floor: >= 0.90 at the threshold with 128 permutations.
    assert float(dedup.s_curve(0.8, *dedup.choose_bands(0.8, 128, 0.99))) >= 0.99


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 30), bands=st.integers(1, 6), rows=st.integers(1, 4), seed=st.integers(0, 3))
def test_band_keys_and_candidates_match_reference(n, bands, rows, seed):
    rng = np.random.default_rng(seed)
    # Few distinct values so that buckets collide often.
    sig = rng.integers(0, 3, size=(n, bands * rows)).astype(np.uint64)
    keys = _minhash.keys_of_signatures(sig, bands, rows)
    for d in range(n):
        for band in range(bands):
            assert int(keys[band, d]) == ref.band_key(sig[d].tolist(), band, rows)
    members = np.arange(n, dtype=np.int64) * 3 + 1  # columns map to arbitrary document numbers
    order, sorted_keys = _lsh.sort_bands(keys)
    i, j = _lsh.pairs_in_buckets(order, sorted_keys, members)
    want = sorted({(int(members[x]), int(members[y])) for x in range(n) for y in range(x + 1, n)
                   if any(keys[band, x] == keys[band, y] for band in range(bands))})
    assert list(zip(i.tolist(), j.tolist())) == want
    qptr, cols = _lsh.lookup_many(sorted_keys, order, keys)
    for x in range(n):
        got = cols[qptr[x] : qptr[x + 1]].tolist()
        assert got == [y for y in range(n) if any(keys[band, x] == keys[band, y] for band in range(bands))]


@settings(max_examples=50, deadline=None)
@given(n=st.integers(0, 40), bands=st.integers(1, 6), rows=st.integers(1, 4), seed=st.integers(0, 3))
def test_bucket_pairs_equal_candidate_pairs(n, bands, rows, seed):
    rng = np.random.default_rng(seed)
    sig = rng.integers(0, 3, size=(n, bands * rows)).astype(np.uint64)  # buckets collide often
    keys = _minhash.keys_of_signatures(sig, bands, rows)
    members = np.arange(n, dtype=np.int64) * 3 + 1
    i, j = _lsh.bucket_pairs(keys, members)
    want = sorted({(int(members[x]), int(members[y])) for x in range(n) for y in range(x + 1, n)
                   if any(keys[band, x] == keys[band, y] for band in range(bands))})
    # Keys are uniform: a spurious pair (equal but for the low bits) has probability ~2**-58 here.
    assert list(zip(i.tolist(), j.tolist())) == want


def test_bucket_pairs_spurious_pairs_share_all_but_the_low_bits():
    keys = np.array([[0xABC0, 0xABC0, 0xABC2, 0x1230, 0x1230]], dtype=np.uint64) << np.uint64(40)
    keys[0, 1] |= np.uint64(1)  # differs from key 0 in the lowest bit only: a spurious candidate
    keys[0, 2] |= np.uint64(1 << 3)  # differs above the 3 bits of a column number: no pair
    i, j = _lsh.bucket_pairs(keys, np.arange(5, dtype=np.int64))
    assert list(zip(i.tolist(), j.tolist())) == [(0, 1), (3, 4)]


@settings(max_examples=100, deadline=None)
@given(sets=st.lists(st.lists(st.integers(0, 2**64 - 1), max_size=30, unique=True), max_size=8),
       num_perm=st.integers(1, 24), seed=st.integers(0, 2**64 - 1), data=st.data())
def test_band_keys_equal_keys_of_signatures(sets, num_perm, seed, data):
    a, b = _minhash.permutations(num_perm, seed)
    rows = data.draw(st.integers(1, num_perm))
    bands = num_perm // rows
    indptr = np.zeros(len(sets) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(s) for s in sets])
    values = np.array([v for s in sets for v in sorted(s)], dtype=np.uint64)
    select = np.array(data.draw(st.lists(st.integers(0, max(len(sets) - 1, 0)), max_size=10)) if sets else [],
                      dtype=np.int64)
    got = _minhash.band_keys(indptr, values, select, a, b, bands, rows, False)
    assert got.shape == (bands, select.shape[0])
    want = _minhash.keys_of_signatures(_minhash.signatures(indptr, values, a, b), bands, rows)[:, select]
    assert np.array_equal(got, want)


def test_band_keys_across_parallel_chunks():
    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 40, size=700)
    indptr = np.zeros(701, dtype=np.int64)
    np.cumsum(sizes, out=indptr[1:])
    values = np.concatenate([np.sort(rng.choice(2**40, size=k, replace=False)).astype(np.uint64) for k in sizes])
    a, b = _minhash.permutations(64, 3)
    select = rng.permutation(700).astype(np.int64)
    want = _minhash.keys_of_signatures(_minhash.signatures(indptr, values, a, b), 21, 3)[:, select]
    assert np.array_equal(_minhash.band_keys(indptr, values, select, a, b, 21, 3, False), want)
    # into a column slice of a wider array (as featurize fills a corpus's keys batch by batch): the
    # other columns untouched
    wide = np.full((21, 1000), 7, dtype=np.uint64)
    got = _minhash.band_keys(indptr, values, select, a, b, 21, 3, False, out=wide[:, 100:800])
    assert np.shares_memory(got, wide) and np.array_equal(wide[:, 100:800], want)
    assert (wide[:, :100] == 7).all() and (wide[:, 800:] == 7).all()
    with pytest.raises(ValueError, match=r"shape \(21, 700\)"):
        _minhash.band_keys(indptr, values, select, a, b, 21, 3, False, out=wide[:, :699])


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 2**64 - 1), max_size=50), repeat=st.integers(1, 3))
def test_unique_equals_numpy(values, repeat):
    a = np.array(values * repeat, dtype=np.uint64)
    assert np.array_equal(_arrays.unique(a), np.unique(a))


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2)), max_size=300), spread=st.booleans())
def test_first_equal_finds_the_first_of_each_group(pairs, spread):
    # Few distinct digests and lengths that split them; spread over the top bits by a
    # multiply, or not (then every digest shares its top bits: one run of mixed groups).
    d = np.array([p[0] for p in pairs], dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15 if spread else 1)
    lengths = np.array([p[1] for p in pairs], dtype=np.int64)
    first = {}
    want = [first.setdefault(p, x) for x, p in enumerate(pairs)]
    assert _exact.first_equal(d, lengths).tolist() == want


# ------------------------------------------------------------------ jaccard
@settings(max_examples=200, deadline=None)
@given(sets=st.lists(st.sets(st.integers(0, 40), max_size=40), min_size=1, max_size=8),
       threshold=st.sampled_from([0.0, 0.3, 0.8]))
def test_jaccard_matches_sets(sets, threshold):
    rows = [np.array(sorted(s), dtype=np.uint64) for s in sets]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([r.size for r in rows])
    values = np.concatenate(rows) if rows else np.zeros(0, np.uint64)
    n = len(rows)
    i, j = (x.astype(np.int64) for x in np.triu_indices(n, 1))
    got = _jaccard.jaccard_pairs(indptr, values, i, j, threshold)
    for p in range(i.size):
        want = ref.jaccard(sets[i[p]], sets[j[p]])
        if got[p] == -1.0:  # skipped by the size bound: must really be below threshold
            assert want < threshold
        else:
            assert got[p] == want
    one = np.array([0, len(rows[0])])
    cross = _jaccard.jaccard_cross(one, rows[0], np.zeros(n, dtype=np.int64), indptr, values,
                                   np.arange(n, dtype=np.int64), 0.0)
    assert cross.tolist() == [ref.jaccard(sets[0], s) for s in sets]


def test_jaccard_counts_do_not_overflow_on_long_rows():
    big = np.arange(200_000, dtype=np.uint64)
    indptr = np.array([0, 200_000, 400_000])
    values = np.concatenate([big, big])
    s = _jaccard.jaccard_pairs(indptr, values, np.array([0]), np.array([1]), 0.0)
    assert s.tolist() == [1.0]


# ------------------------------------------------------------------ clusters
@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 40), edges=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 39)), max_size=60))
def test_components_match_bfs(n, edges):
    edges = [(a % n, b % n) for a, b in edges]
    i = np.array([a for a, _ in edges], dtype=np.int64)
    j = np.array([b for _, b in edges], dtype=np.int64)
    assert _cluster.components(n, i, j).tolist() == ref.components(n, edges)


def test_components_survive_a_long_chain():
    n = 1_000_000
    chain = np.arange(n - 1, dtype=np.int64)
    labels = _cluster.components(n, chain[::-1].copy(), chain[::-1] + 1)
    assert (labels == 0).all()


def test_keepers_take_highest_priority_then_first():
    labels = np.array([0, 0, 2, 0, 2, 5])
    prio = np.array([1.0, 3.0, 0.0, 3.0, 0.0, 9.0])
    keep = _cluster.keepers(labels, prio)
    assert keep[0] == 1 and keep[2] == 2 and keep[5] == 5



@settings(max_examples=200, deadline=None)
@given(sets=st.lists(st.sets(st.integers(0, 6), max_size=5), min_size=1, max_size=14),
       runs=st.lists(st.lists(st.integers(0, 13), min_size=2, max_size=10, unique=True), max_size=4),
       threshold=st.sampled_from([0.3, 0.5, 0.8, 1.0]), n_settled=st.integers(0, 14))
def test_connect_runs_gives_the_components_of_all_verified_pairs(sets, runs, threshold, n_settled):
    """connect_runs against a reference: verify every pair of every run, then components. Rows below
    ``n_settled`` play an index's old documents: their pairs are united beforehand, and they come
    first in each run."""
    n = len(sets)
    runs = [sorted((x for x in r if x < n), key=lambda x: x >= n_settled) for r in runs]
    runs = [r for r in runs if len(r) >= 2]
    indptr = np.zeros(n + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(s) for s in sets])
    values = np.array([v for s in sets for v in sorted(s)], dtype=np.uint64)
    edges = [(x, y) for r in runs for a, x in enumerate(r) for y in r[a + 1:]
             if ref.jaccard(sets[x], sets[y]) >= threshold]
    old = [(x, y) for x, y in edges if x < n_settled and y < n_settled]
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    _cluster.unite(parent, size, np.array([e[0] for e in old], np.int64), np.array([e[1] for e in old], np.int64))
    out_i, out_j, out_s = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.float64)
    cols = np.array([x for r in runs for x in r], dtype=np.int64)
    bounds = np.cumsum([0] + [len(r) for r in runs])
    flat = np.array([b for a in zip(bounds[:-1], bounds[1:]) for b in a], dtype=np.int64)
    settled = np.arange(n) < n_settled
    k = _cluster.connect_runs(flat, cols, np.arange(n, dtype=np.int64), np.arange(n, dtype=np.int64), settled,
                              indptr, values, threshold, parent, size, out_i, out_j, out_s, 0)
    got = _cluster.components(n, np.concatenate([out_i[:k], [e[0] for e in old]]).astype(np.int64),
                              np.concatenate([out_j[:k], [e[1] for e in old]]).astype(np.int64))
    assert got.tolist() == ref.components(n, edges)
    for e in range(k):  # every edge kept is verified, with its exact score, and involves a row not settled
        x, y = int(out_i[e]), int(out_j[e])
        assert x < y and out_s[e] == ref.jaccard(sets[x], sets[y]) >= threshold and y >= n_settled


@settings(max_examples=100, deadline=None)
@given(keys=st.integers(0, 40).flatmap(lambda n: st.lists(
           st.lists(st.one_of(st.integers(0, 3), st.integers(0, 2**64 - 1)), min_size=n, max_size=n),
           min_size=1, max_size=4)),
       data=st.data())
def test_sort_bands_equals_a_stable_argsort(keys, data):
    """The parallel band sort: keys sorted, ties in column order, for any key values (equal and
    top-bits-equal ones included) and any column selection."""
    k = np.array(keys, dtype=np.uint64)
    n = k.shape[1]
    select = np.array(data.draw(st.lists(st.integers(0, max(n - 1, 0)), max_size=n, unique=True)) if n else [],
                      dtype=np.int64)
    order, sorted_keys = _lsh.sort_bands(k, select)
    sub = k[:, select]
    want = np.argsort(sub, axis=1, kind="stable")
    assert np.array_equal(order, want) and np.array_equal(sorted_keys, np.take_along_axis(sub, want, axis=1))


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


@settings(max_examples=100, deadline=None)
@given(groups=st.lists(st.integers(-1, 12), min_size=1, max_size=60), data=st.data())
def test_members_of_matched_groups_equal_a_scan(groups, data):
    """sparse_groups + members_of (a binary search per matched document) against a scan of rep."""
    n = len(groups)
    rep = np.full(n, -1, dtype=np.int64)
    first: dict = {}
    for x, g in enumerate(groups):  # group g's first document is its representative
        if g >= 0:
            rep[x] = first.setdefault(g, x)
    reps = sorted(set(first.values()))
    docs = np.array(data.draw(st.lists(st.sampled_from(reps), max_size=8)) if reps else [], dtype=np.int64)
    counts, members = _exact.members_of(*_exact.sparse_groups(rep), docs)
    want = [[d] + [x for x in range(n) if rep[x] == d and x != d] for d in docs.tolist()]
    assert counts.tolist() == [len(w) for w in want]
    assert members.tolist() == [x for w in want for x in w]
