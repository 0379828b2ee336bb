"""Running the kernels interpreted: a small first job without compiling them (issue 28).

Compiling the kernels a job calls takes 15-25 CPU seconds, once; on a few
kilobytes of text they then run in milliseconds. Interpreted, as numba's
``NUMBA_DISABLE_JIT`` would run them, the same kernels take about a second
on the README's corpus. So the command line runs a job interpreted
when numba's cache lacks some of the job's kernels and its input is small
(``choose``), while the first run's second process compiles them into the
cache for the next run (``_compile.start``).

Within ``interpreted()`` every kernel of ``dedup`` called from Python runs
its Python function (the dispatcher's ``py_func``): one kernel calling
another calls it in Python too. Nothing is compiled. The two LLVM
intrinsics have Python versions (``_pystr._pointer``, ``_exact._call_hash``,
each a function with a numba ``overload`` for compiled code). Integer
arithmetic then runs on numpy scalars, which wrap around as compiled code
does; their overflow warnings are silenced as numba's code has none. The
outputs are the same bytes either way (``tests/test_interpret.py`` compares
every job's).
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading

import numpy as np

#: ``NEAR_DUPS_INTERPRET=1`` runs every job interpreted, ``0`` never; unset, ``choose`` decides.
ENV = "NEAR_DUPS_INTERPRET"
#: The automatic choice's bound: inputs of at most this many bytes run interpreted while the job's kernels are
#: not cached. About where the overview interpreted takes as long as compiling its kernels (15-25 CPU s):
#: 10 CPU s on 512 kB of newsgroup posts, 19 s on 1 MB (``benchmarks/results/compile/COMPILE.md``).
SMALL = 1_000_000
#: Inputs that are not measured by their size (compressed, columnar): a job on them compiles.
UNMEASURED = (".gz", ".bz2", ".xz", ".zst", ".zip", ".parquet")

_lock = threading.Lock()
_users = 0
entered = 0  # how many times the kernels were set to run interpreted in this process (the compile benchmark reads it)
_saved = None  # the dispatcher class's own __call__, if it had one, while interpreted
_local = threading.local()


def active() -> bool:
    """Whether the kernels run interpreted now."""
    return _users > 0


def _call(self, *args, **kws):
    """``Dispatcher.__call__`` while interpreted: a kernel of ``dedup`` runs its Python function."""
    fn = self.py_func
    if not fn.__module__.startswith("dedup."):
        return _compiled_call(self, *args, **kws)
    if getattr(_local, "inside", False):
        return fn(*args, **kws)
    _local.inside = True  # numpy's error state, set once per call from outside the kernels
    try:
        with np.errstate(all="ignore"):
            return fn(*args, **kws)
    finally:
        _local.inside = False


def _compiled_call(self, *args, **kws):
    from numba import _dispatcher

    return _dispatcher.Dispatcher.__call__(self, *args, **kws)


@contextlib.contextmanager
def interpreted():
    """Run the kernels of ``dedup`` called from Python in the interpreter, within (any thread; nestable)."""
    global _users, _saved, entered
    from numba.core.dispatcher import Dispatcher

    with _lock:
        entered += 1
        if _users == 0:
            _saved = Dispatcher.__dict__.get("__call__")
            Dispatcher.__call__ = _call
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                if _saved is None:
                    del Dispatcher.__call__
                else:
                    Dispatcher.__call__ = _saved


def forced() -> bool | None:
    """``NEAR_DUPS_INTERPRET``: True (``1``), False (``0``), or None (unset: the automatic choice)."""
    value = os.environ.get(ENV, "").strip()
    if value in ("", "auto"):
        return None
    if value in ("0", "1"):
        return value == "1"
    raise ValueError(f"{ENV}={value!r}: give 1 (interpret the kernels), 0 (compile them) or leave it unset")


def input_bytes(paths, limit: int) -> int | None:
    """Bytes of the files at ``paths`` (folders walked), counting up to just past ``limit``; None when an input
    is not measured by its size (standard input, a compressed or Parquet file, anything but files and folders)."""
    total = 0
    stack = [os.fspath(p) for p in paths]
    while stack and total <= limit:
        p = stack.pop()
        if p == "-" or p.lower().endswith(UNMEASURED):
            return None
        try:
            st = os.stat(p)
        except OSError:
            return None
        if stat.S_ISDIR(st.st_mode):
            try:
                stack += [e.path for e in os.scandir(p)]
            except OSError:
                return None
        elif stat.S_ISREG(st.st_mode):
            total += st.st_size
        else:
            return None
    return total


def choose(uncached: bool, paths) -> bool:
    """Whether a job runs interpreted: ``NEAR_DUPS_INTERPRET`` if set; else when some of its kernels are not in
    numba's cache (``uncached``) and its input files hold at most ``SMALL`` bytes."""
    force = forced()
    if force is not None:
        return force
    if not uncached or not paths:
        return False
    size = input_bytes(paths, SMALL)
    return size is not None and size <= SMALL
