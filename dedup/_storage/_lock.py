"""The write lock of a saved index (``dedup.lock``): one writer at a time, released when its holder dies."""

from __future__ import annotations

import contextlib
import pathlib
import shutil

from .._core import _fs
from .._core._options import LOCK_TIMEOUT

LOCK = "LOCK"


@contextlib.contextmanager
def lock(path, *, timeout: float = LOCK_TIMEOUT):
    """Hold the write lock of the index directory ``path`` (created if needed).

    Wrap a read-modify-write in it, so that two processes adding to one
    index at once cannot lose each other's documents: the index must be
    loaded inside the lock, after it is taken.

    >>> import dedup, tempfile
    >>> path = tempfile.mkdtemp() + "/feed.idx"
    >>> _ = dedup.index({"a": "one two three four five six"}).save(path)
    >>> with dedup.lock(path, timeout=60):
    ...     idx = dedup.load(path)
    ...     _ = idx.add({"b": "seven eight nine ten eleven twelve"}).save(path)
    >>> dedup.load(path).ids
    ['a', 'b']

    The lock is an ``flock`` on ``path/LOCK`` (the ``filelock`` package): the
    kernel releases it when its holder exits or is killed, so a crashed
    writer never leaves the index locked. It is re-entrant within a thread
    (``save`` takes it too), and ``load`` never waits for it. It needs a file
    system with working ``flock`` (local disks; on NFS, ``filelock`` falls
    back to a lock file that a killed holder can leave behind).

    Raises
    ------
    TimeoutError
        Another process held the lock for ``timeout`` seconds (0: do not wait).
    """
    import filelock

    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} exists and is not a directory")
    try:
        made = not path.is_dir()
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _fs.named(e, path) from None
    # One lock object per index and thread (re-entrant): keyed by the resolved path, so that "x.idx" and
    # "/abs/x.idx" are one lock, not two flocks of one process waiting for each other.
    held = filelock.FileLock(str(path.resolve() / LOCK), is_singleton=True)
    try:
        held.acquire(timeout=max(float(timeout), 0.0))
    except filelock.Timeout:
        if made:
            shutil.rmtree(path, ignore_errors=True)
        raise TimeoutError(f"{path}: another process is writing to this index (it holds {path / LOCK}); "
                           f"gave up after waiting {float(timeout):g} s") from None
    except OSError as e:
        if made:
            shutil.rmtree(path, ignore_errors=True)
        raise _fs.named(e, path / LOCK) from None
    try:
        yield path
    except BaseException:
        if made and held.lock_counter == 1 and not (path / "CURRENT").exists():
            shutil.rmtree(path, ignore_errors=True)  # a new index that was never saved leaves nothing
        raise
    finally:
        held.release()
