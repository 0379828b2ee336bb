"""The shared array primitives (``dedup._core._arrays``) against plain-Python references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup._core import _arrays


def _runs_reference(rows, shift):
    """(start, end) in the flattened array of every run of >= 2 equal ``key >> shift`` per row."""
    out = []
    n = len(rows[0]) if rows else 0
    for b, row in enumerate(rows):
        for _, grp in itertools.groupby(range(len(row)), key=lambda x: row[x] >> shift):
            g = list(grp)
            if len(g) > 1:
                out.append((b * n + g[0], b * n + g[-1] + 1))
    return out


@settings(max_examples=100, deadline=None)
@given(rows=st.integers(1, 4).flatmap(lambda n: st.lists(st.lists(st.integers(0, 7), min_size=n, max_size=n),
                                                          min_size=1, max_size=4)),
       shift=st.integers(0, 2))
def test_band_runs_equal_reference(rows, shift):
    keys = np.sort(np.array(rows, dtype=np.uint64), axis=1)
    runs = _arrays.band_runs(keys, shift)
    want = _runs_reference(keys.tolist(), shift)
    assert list(zip(runs[0::2].tolist(), runs[1::2].tolist())) == want


@pytest.mark.parametrize("parallel", [False, True])
@settings(max_examples=60, deadline=None)
@given(groups=st.lists(st.lists(st.integers(0, 40), min_size=1, max_size=6), max_size=8))
def test_run_pairs_equal_reference(groups, parallel):
    cols = np.array([c for g in groups for c in g], dtype=np.int64)
    members = np.arange(41, dtype=np.int64)[::-1].copy() * 3  # columns map to other numbers
    runs, o = [], 0
    for g in groups:
        if len(g) > 1:
            runs += [o, o + len(g)]
        o += len(g)
    before = _arrays.PARALLEL_PAIRS
    _arrays.PARALLEL_PAIRS = 0 if parallel else before
    try:
        a, b = _arrays.run_pairs(np.array(runs, dtype=np.int64), cols, members)
    finally:
        _arrays.PARALLEL_PAIRS = before
    want = []
    for g in groups:
        m = [int(members[c]) for c in g]
        want += [(min(x, y), max(x, y)) for k, x in enumerate(m) for y in m[k + 1:]]
    assert list(zip(a.tolist(), b.tolist())) == want


@settings(max_examples=100, deadline=None)
@given(pairs=st.lists(st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1)), max_size=40))
def test_pack_and_unique_pairs(pairs):
    i = np.array([p[0] for p in pairs], dtype=np.int64)
    j = np.array([p[1] for p in pairs], dtype=np.int64)
    pi, pj = _arrays.unpack_pairs(_arrays.pack_pairs(i, j))
    assert list(zip(pi.tolist(), pj.tolist())) == [tuple(p) for p in pairs]
    ui, uj = _arrays.unique_pairs(i, j)
    assert list(zip(ui.tolist(), uj.tolist())) == sorted(set(pairs))


@settings(max_examples=100, deadline=None)
@given(labels=st.lists(st.integers(0, 6), max_size=30))
def test_group_by_label(labels):
    lab = np.array(labels, dtype=np.int64)
    order, bounds = _arrays.group_by_label(lab)
    got = [order[bounds[g]:bounds[g + 1]].tolist() for g in range(bounds.shape[0] - 1)]
    want = [[k for k, x in enumerate(labels) if x == v] for v in sorted(set(labels))]
    assert got == want


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 50)), max_size=30))
def test_equal_runs_and_first_of_runs(rows):
    rows = sorted(rows)
    a = np.array([r[0] for r in rows], dtype=np.int64)
    b = np.array([r[1] for r in rows], dtype=np.int64)
    pos = np.array([r[2] for r in rows], dtype=np.int64)
    runs = _arrays.equal_runs(a, b)
    want = []
    for _, grp in itertools.groupby(range(len(rows)), key=lambda x: rows[x][:2]):
        g = list(grp)
        if len(g) > 1:
            want.append((g[0], g[-1] + 1))
    assert list(zip(runs[0::2].tolist(), runs[1::2].tolist())) == want
    first = _arrays.first_of_runs(a, pos)  # groups by the first column only
    assert first.tolist() == [next(r[2] for r in rows if r[0] == x[0]) for x in rows]


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 2**64 - 1), max_size=300))
def test_sort_uniform_sorts_anything(values):
    a = np.array(values, dtype=np.uint64)
    _arrays.sort_uniform(a, np.empty(a.shape[0], dtype=np.uint64))
    assert a.tolist() == sorted(values)


def test_sort_uniform_matches_numpy_sort():
    rng = np.random.default_rng(3)
    for n in [0, 1, 15, 16, 63, 64, 65, 1000, 4097]:
        for gen in (lambda: rng.integers(0, 2**64, size=n, dtype=np.uint64),
                    lambda: rng.integers(0, 5, size=n).astype(np.uint64)):  # non-uniform, many ties
            x = gen()
            y = x.copy()
            _arrays.sort_uniform(y, np.empty(n, dtype=np.uint64))
            assert np.array_equal(y, np.sort(x))


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.integers(0, 2**64 - 1), max_size=50), repeat=st.integers(1, 3))
def test_unique_equals_numpy(values, repeat):
    a = np.array(values * repeat, dtype=np.uint64)
    assert np.array_equal(_arrays.unique(a), np.unique(a))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**63), max_size=6), max_size=12), st.data())
def test_take_rows_is_the_rows_in_the_order_given(rows, data):
    """``take_rows`` against Python lists: the chosen rows' values, concatenated, and their offsets."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    values = np.array([v for r in rows for v in r], dtype=np.uint64)
    pick = data.draw(st.lists(st.integers(0, max(len(rows) - 1, 0)), max_size=10)) if rows else []
    ptr, vals = _arrays.take_rows(indptr, values, np.array(pick, dtype=np.int64))
    want = [rows[k] for k in pick]
    assert ptr.tolist() == np.concatenate([[0], np.cumsum([len(r) for r in want])]).astype(int).tolist()
    assert vals.tolist() == [v for r in want for v in r]
    assert vals.dtype == np.uint64


def _bucket_runs_of(keys, members):
    """Runs of equal keys per band of ``members`` (columns of ``keys``), as lists of members in run order."""
    from dedup._sketch import _lsh

    order, sk = _lsh.sort_bands(keys, members)
    runs, cols = _lsh.bucket_runs(order, sk)
    return runs, cols


@settings(max_examples=300, deadline=None)
@given(data=st.data(), bands=st.integers(1, 4), n=st.integers(0, 30))
def test_runs_of_subset_equal_bucketing_the_subset(data, bands, n):
    """The runs of the kept columns, taken from the runs of all, are those a sort of the kept columns alone
    gives: the same runs in the same order, each with the same members in the same order."""
    keys = np.array(data.draw(st.lists(st.lists(st.integers(0, 3), min_size=n, max_size=n), min_size=bands,
                                       max_size=bands)), dtype=np.uint64).reshape(bands, n) * np.uint64(2**61)
    members = np.array(sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=n))) if n else [], dtype=np.int64)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=members.shape[0], max_size=members.shape[0])),
                    dtype=np.bool_)
    if members.shape[0] < 2:
        return
    runs, cols = _bucket_runs_of(keys, members)
    got_r, got_c = _arrays.runs_of_subset(runs, cols, keep)
    want_r, want_c = _bucket_runs_of(keys, members[keep]) if keep.sum() >= 2 else (np.zeros(0, np.int64),) * 2
    sub = members[keep]

    def listed(r, c):
        return [sub[c[a:b]].tolist() for a, b in r.reshape(-1, 2).tolist()]

    assert listed(got_r, got_c) == listed(want_r, want_c)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), span=st.integers(1, 40))
def test_subset_runs_of_a_mapped_cols_a_span_at_a_time(tmp_path_factory, seed, span):
    """``_pipeline.subset_runs`` on memory-mapped buckets, a span of runs at a time, gives what the kernel
    gives on the same arrays in RAM."""
    from dedup._indexing import _pipeline

    rng = np.random.default_rng(seed)
    keys = rng.integers(0, 6, size=(3, 60)).astype(np.uint64) * np.uint64(2**60)
    members = np.sort(rng.choice(60, size=40, replace=False)).astype(np.int64)
    keep = rng.random(40) < 0.6
    runs, cols = _bucket_runs_of(keys, members)
    path = tmp_path_factory.mktemp("cols") / "cols.npy"
    np.save(path, cols)
    mapped = np.load(path, mmap_mode="r")
    old = _pipeline.MAPPED_SPAN
    _pipeline.MAPPED_SPAN = span
    try:
        got = _pipeline.subset_runs(runs, mapped, keep)
    finally:
        _pipeline.MAPPED_SPAN = old
    want = _arrays.runs_of_subset(runs, cols, keep)
    assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
