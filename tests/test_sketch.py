"""The sketch stage's kernels (``dedup._sketch._minhash``, ``_lsh``) against the slow reference in
``tests/support/reference.py``, and their collision probabilities against theory."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup._sketch import _lsh, _minhash
from tests.support import reference as ref


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
