"""The memory kept between calls (``dedup._core._pool``): reuse, limits, lifetimes, and answers unchanged by it."""

from __future__ import annotations

import gc
import threading
import tracemalloc

import numpy as np
import pytest
from tests.support.planted import planted_corpus

import dedup
from dedup._core import _pool

pytestmark = pytest.mark.skipif(not _pool._SUPPORTED, reason="no MADV_FREE on this platform: nothing is kept")

BIG = _pool.MIN_BYTES * 2


@pytest.fixture(autouse=True)
def _empty_pool():
    dedup.release_memory()
    before = dedup.keep_memory(1 << 30)
    yield
    dedup.keep_memory(before)
    dedup.release_memory()


def test_small_arrays_are_plain_numpy():
    a = _pool.empty(_pool.MIN_BYTES // 8 - 1, np.uint64)
    assert a.flags.owndata and a.shape == (_pool.MIN_BYTES // 8 - 1,)


def test_a_freed_block_is_kept_and_handed_out_again():
    a = _pool.empty(BIG // 8, np.uint64)
    a[:] = 7
    address = a.ctypes.data
    assert dedup.keep_memory() == 1 << 30 and _pool.kept() == 0
    del a
    assert _pool.kept() >= BIG
    b = _pool.empty((2, BIG // 2), np.uint8)  # same size, another shape and dtype
    assert b.ctypes.data == address and b.shape == (2, BIG // 2) and b.dtype == np.uint8
    assert _pool.kept() == 0
    b[:] = 1  # writable
    assert int(b.sum()) == BIG


def test_the_smallest_block_that_fits_is_taken():
    a, b = _pool.empty(BIG, np.uint8), _pool.empty(2 * BIG, np.uint8)
    small, large = a.ctypes.data, b.ctypes.data
    del a, b
    c = _pool.empty(BIG - 100, np.uint8)
    d = _pool.empty(BIG + 100, np.uint8)
    assert (c.ctypes.data, d.ctypes.data) == (small, large)


def test_a_request_no_kept_block_holds_unmaps_them_all():
    """Growing arrays: the smaller blocks are not held beside the new one."""
    a, b = _pool.empty(BIG, np.uint8), _pool.empty(BIG + _pool._ALIGN, np.uint8)
    del a, b
    assert _pool.kept() >= 2 * BIG
    c = _pool.empty(3 * BIG, np.uint8)
    assert _pool.kept() == 0
    del c
    assert _pool.kept() >= 3 * BIG


def test_a_view_keeps_its_block():
    a = _pool.empty(BIG, np.uint8)
    view = a[10:20].reshape(2, 5)
    del a
    gc.collect()
    assert _pool.kept() == 0
    del view
    assert _pool.kept() >= BIG


def test_the_limit_bounds_what_is_kept():
    blocks = [_pool.empty(BIG, np.uint8) for _ in range(4)]
    dedup.keep_memory(2 * BIG)
    del blocks
    assert 0 < _pool.kept() <= 2 * BIG
    assert dedup.keep_memory(0) == 2 * BIG
    assert _pool.kept() == 0
    a = _pool.empty(BIG, np.uint8)
    assert a.flags.owndata  # limit 0: plain np.empty
    dedup.keep_memory(1 << 30)
    del a
    assert _pool.kept() == 0


def test_release_memory_unmaps_what_is_kept():
    a = _pool.empty(BIG, np.uint8)
    size = len(a.base.obj) if hasattr(a.base, "obj") else BIG
    del a
    assert dedup.release_memory() == size >= BIG
    assert _pool.kept() == 0 and dedup.release_memory() == 0


@pytest.mark.parametrize("bad", [-1, 1.5, "1G", True])
def test_a_bad_limit_is_an_error(bad):
    with pytest.raises(ValueError, match="limit must be a number of bytes"):
        dedup.keep_memory(bad)


def test_a_block_freed_while_the_pool_is_busy_is_kept_at_the_next_call():
    """A finalizer may run inside ``empty`` (a garbage collection): it must not wait for the lock it runs under."""
    a = _pool.empty(BIG, np.uint8)
    with _pool._lock:
        del a
        assert len(_pool._returned) == 1 and not _pool._free
    assert _pool.kept() >= BIG and not _pool._returned


def test_threads_share_the_pool():
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        try:
            for _ in range(20):
                size = int(rng.integers(BIG // 2, 2 * BIG))
                a = _pool.empty(size, np.uint8)
                a[:: 4096] = seed
                assert (a[:: 4096] == seed).all()
                del a
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert _pool.kept() <= dedup.keep_memory()


def test_fresh_arrays_are_never_kept():
    """``with fresh():`` (Dask tasks) on one thread; the others still use the pool."""
    with _pool.fresh():
        a = _pool.empty(BIG, np.uint8)
        other = []
        t = threading.Thread(target=lambda: other.append(_pool.empty(BIG, np.uint8)))
        t.start()
        t.join()
    assert a.flags.owndata and not other[0].flags.owndata
    del a, other
    assert _pool.kept() >= BIG
    b = _pool.empty(BIG, np.uint8)
    assert not b.flags.owndata  # the thread's own setting is back


def test_tracemalloc_counts_pooled_arrays():
    tracemalloc.start()
    try:
        a = _pool.empty(BIG, np.uint8)
        held = tracemalloc.get_traced_memory()[0]
        del a
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held - after >= BIG


def test_answers_do_not_depend_on_what_kept_memory_held(monkeypatch):
    """Every kept block handed out full of garbage: an index reads none of it, so nothing changes."""
    docs = planted_corpus(n_base=3_000, n_copies=2_000, words=400, seed=3)  # 12M characters: every array pooled
    dedup.keep_memory(0)
    fresh = dedup.index(docs, threshold=0.5)
    dedup.keep_memory(1 << 30)
    taken = []
    take = _pool._take

    def poisoned(nbytes):
        block = take(nbytes)
        if block is not None:
            np.frombuffer(block, dtype=np.uint8)[:] = 0xA5
            taken.append(len(block))
        return block

    monkeypatch.setattr(_pool, "_take", poisoned)
    dedup.index(docs, threshold=0.5)  # fills the pool
    gc.collect()
    again = dedup.index(docs, threshold=0.5)
    assert taken, "no kept block was handed out: the test did not exercise the pool"
    assert again.pairs() == fresh.pairs()
    assert again.clusters() == fresh.clusters()
    f1, f2 = again.arrays(), fresh.arrays()
    assert f1.keys() == f2.keys()
    for name in f1:
        np.testing.assert_array_equal(np.asarray(f1[name]), np.asarray(f2[name]), err_msg=name)
