"""The verify stage's kernels (``dedup._verify._exact``, ``_jaccard``, ``_cluster``) against the slow
reference in ``tests/support/reference.py``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup._verify import _cluster, _exact, _jaccard
from tests.support import reference as ref


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
