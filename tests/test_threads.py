"""``numba_threads``: numba's thread count set for a block, in the calling thread only, and given back."""

from __future__ import annotations

import threading

import numba
import pytest

from dedup._core._threads import numba_threads
from dedup._indexing import _pipeline


def test_sets_the_count_in_the_block_and_gives_the_previous_one_back():
    before = numba.get_num_threads()
    with numba_threads(1):
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with numba_threads(10**6):  # at most every thread numba has
        assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    with numba_threads(None):
        assert numba.get_num_threads() == before
    with pytest.raises(RuntimeError), numba_threads(1):
        raise RuntimeError("given back on an error too")
    assert numba.get_num_threads() == before


def test_other_threads_keep_their_count():
    seen = []
    with numba_threads(1):
        t = threading.Thread(target=lambda: seen.append(numba.get_num_threads()))
        t.start()
        t.join()
    assert seen == [numba.config.NUMBA_NUM_THREADS]


def test_small_inputs_run_on_one_thread():
    before = numba.get_num_threads()
    with _pipeline.threads_for(_pipeline.SERIAL_BELOW - 1):
        assert numba.get_num_threads() == 1
    with _pipeline.threads_for(_pipeline.SERIAL_BELOW):
        assert numba.get_num_threads() == before
    assert numba.get_num_threads() == before
