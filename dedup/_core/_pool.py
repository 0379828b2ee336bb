"""The largest arrays of a call, in memory kept for the next call.

``featurize`` writes every shingle of a corpus into one array and shingles
through a scratch array of about 64 MiB: hundreds of MiB that a fresh
``np.empty`` takes from the kernel and that go back to it when the index is
dropped. Fresh memory costs a page fault and a page of zeroes per page
(about 0.2 ms per 2 MiB huge page), and where the kernel tells a hypervisor
which pages are free (virtio-balloon free page reporting, as on Firecracker
and other cloud guests), the host takes them away and the next touch costs
the host's faults too: 4.4 ms per 2 MiB on the 2-core guest the benchmarks
run on, 0.55 s to touch 256 MiB, against 0.024 s for memory freed a moment
earlier and 0.001 s for memory kept. On Wikipedia that was 0.2-0.5 s of
system time in a 0.27 s call, in some calls and not others.

So blocks are taken from anonymous private maps and, when the last array
over one is gone (a finalizer on the buffer object numpy holds), kept in a
free list of at most ``keep_memory()`` bytes (default: an eighth of RAM, at
most 1 GiB), most recently returned kept first. A request takes the
smallest kept block that holds it; when none does, every kept block is
unmapped before a new one is mapped, so a run whose arrays grow (a
shingling scratch space, chunk after chunk) holds no more than it would
without the pool. A kept block is marked
``MADV_FREE``: the kernel may take its pages back under memory pressure
without asking, so kept memory never pushes the machine into swap, and
while it does not, touching it again costs nothing. ``release_memory()``
unmaps the kept blocks at once. Arrays below ``MIN_BYTES`` (1 MiB) come
from ``np.empty``. Contents of a kept block are whatever the last user
wrote: ``empty`` promises no more than ``np.empty`` does.

Where the platform lacks ``MADV_FREE`` (Windows), ``empty`` is ``np.empty``.
An array handed out is reported to ``tracemalloc`` in numpy's domain, as
numpy reports its own, so memory measured with it still counts these.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import threading
import weakref

import numpy as np

#: Arrays smaller than this come from ``np.empty``. Not larger: malloc serves
#: arrays of a few MiB from its heap and trims the heap's top when they are
#: freed, so after a larger corpus a 20 Newsgroups call took 2,287 fresh
#: pages a call for its 3 MB band keys and sorted bands (0.104 against
#: 0.083 s on two threads; none since).
MIN_BYTES = 1 << 20

#: Blocks of ``_HUGE_FROM`` bytes or more are whole huge pages (numpy asks for
#: huge pages from 4 MiB on), so a kept block fits later requests of about its size.
_ALIGN = 2 << 20
_HUGE_FROM = 4 << 20

_SUPPORTED = hasattr(mmap, "MADV_FREE") and hasattr(mmap, "MAP_PRIVATE") and hasattr(mmap, "MAP_ANONYMOUS")


def _default_limit() -> int:
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    return min(1 << 30, ram // 8)


#: tracemalloc's domain for numpy's data (numpy/_core/src/multiarray/alloc.c).
_NUMPY_DOMAIN = 389047

try:
    _track = ctypes.pythonapi.PyTraceMalloc_Track
    _untrack = ctypes.pythonapi.PyTraceMalloc_Untrack
    _track.argtypes = (ctypes.c_uint, ctypes.c_size_t, ctypes.c_size_t)
    _untrack.argtypes = (ctypes.c_uint, ctypes.c_size_t)
except (AttributeError, ValueError):  # not CPython
    _track = _untrack = None

_lock = threading.Lock()


def _after_fork_in_child() -> None:  # another thread may have held the lock at the fork
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

_free: list[mmap.mmap] = []  # kept blocks, least recently returned first
_returned: list[mmap.mmap] = []  # returned while the lock was held: kept at the next chance
_limit = _default_limit() if _SUPPORTED else 0


_local = threading.local()


class fresh:
    """``with fresh():``: arrays this thread asks for meanwhile are plain ``np.empty``, never kept.

    For work whose memory is watched on the process's RSS, such as a Dask
    task under a worker's memory limit.
    """

    def __enter__(self):
        self.before = getattr(_local, "fresh", False)
        _local.fresh = True

    def __exit__(self, *exc):
        _local.fresh = self.before


def empty(shape, dtype) -> np.ndarray:
    """An uninitialized array, as ``np.empty(shape, dtype)``, in a kept block when it is large."""
    dtype = np.dtype(dtype)
    count = int(np.prod(shape, dtype=np.int64))
    nbytes = count * dtype.itemsize
    if nbytes < MIN_BYTES or _limit == 0 or getattr(_local, "fresh", False):
        return np.empty(shape, dtype)
    with _lock:
        _settle()
        block = _take(nbytes)
        if block is None:  # every kept block is smaller: unmapped, so growing arrays hold no more than without a pool
            _unmap_all()
    if block is None:
        huge = nbytes >= _HUGE_FROM
        align = _ALIGN if huge else mmap.PAGESIZE
        block = mmap.mmap(-1, -(-nbytes // align) * align, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        if huge and hasattr(mmap, "MADV_HUGEPAGE"):
            block.madvise(mmap.MADV_HUGEPAGE)  # as numpy asks for its arrays of 4 MiB or more
    out = np.frombuffer(block, dtype=dtype, count=count)
    # ``out.base`` is the buffer object numpy made of the block: every view of
    # ``out`` keeps it, and it lets the block go before its finalizer runs.
    if out.base is not block:
        address = out.ctypes.data
        if _track is not None:
            _track(_NUMPY_DOMAIN, address, nbytes)
        weakref.finalize(out.base, _give_back, block, address).atexit = False
    return out.reshape(shape)


def _take(nbytes: int):
    """The smallest kept block that holds ``nbytes``, removed from the list, or None."""
    best = None
    for k, block in enumerate(_free):
        if len(block) >= nbytes and (best is None or len(block) < len(_free[best])):
            best = k
    return None if best is None else _free.pop(best)


def _give_back(block: mmap.mmap, address: int) -> None:
    """Finalizer of a block's last array: keep the block, within the limit."""
    if _untrack is not None:
        _untrack(_NUMPY_DOMAIN, address)
    try:
        block.madvise(mmap.MADV_FREE)
    except (OSError, ValueError):  # not expected; the block is then only unmapped
        block.close()
        return
    _returned.append(block)
    # A finalizer may run inside ``empty`` on this thread (a garbage
    # collection while the lock is held): then the block waits in
    # ``_returned`` for the next call.
    if _lock.acquire(blocking=False):
        try:
            _settle()
        finally:
            _lock.release()


def _settle() -> None:
    """Move returned blocks to the free list and unmap the oldest beyond the limit (lock held)."""
    while _returned:
        _free.append(_returned.pop(0))
    kept = sum(len(b) for b in _free)
    while _free and kept > _limit:
        block = _free.pop(0)
        kept -= len(block)
        block.close()


def keep_memory(limit: int | None = None) -> int:
    """Set how many bytes of freed large arrays are kept for reuse; return the previous limit.

    near-dups keeps the memory of its largest arrays (the shingles of an
    index, the shingling scratch space) when they are freed, so the next
    call does not pay the kernel's page faults again: up to an eighth of RAM,
    at most 1 GiB, by default. Kept memory is marked ``MADV_FREE``: the kernel
    takes it back when it needs it, though the process's RSS counts it until
    then. ``keep_memory(0)`` keeps nothing (and unmaps what is kept);
    ``keep_memory()`` only reads the limit. Without ``MADV_FREE`` (Windows)
    nothing is kept and the limit stays 0.

    >>> import dedup
    >>> before = dedup.keep_memory(256 << 20)
    >>> dedup.keep_memory()
    268435456
    >>> dedup.keep_memory(before) == 256 << 20
    True
    """
    global _limit
    previous = _limit
    if limit is None or not _SUPPORTED:
        return previous
    if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 0:
        raise ValueError(f"keep_memory: limit must be a number of bytes >= 0, got {limit!r}")
    with _lock:
        _limit = int(limit)
        _settle()
    return previous


def release_memory() -> int:
    """Unmap the memory kept for reuse (see ``keep_memory``); return how many bytes it was.

    >>> import dedup
    >>> dedup.release_memory() >= 0
    True
    """
    with _lock:
        _settle()
        return _unmap_all()


def _unmap_all() -> int:
    """Unmap every kept block (lock held); return their bytes."""
    released = sum(len(b) for b in _free)
    for block in _free:
        block.close()
    _free.clear()
    return released


def kept() -> int:
    """Bytes kept for reuse now (for tests)."""
    with _lock:
        _settle()
        return sum(len(b) for b in _free)
