"""Compile the passage finder's kernels in a second process while this one works.

The first run of ``near-dups PATH`` in an environment with an empty numba
cache compiles every kernel it calls, one after the other, on one core:
about 35 s for the index and the blocks, then 35 s more for the passage
finder (``_tokens``, ``_seeds``, ``_candidates``, ``_align``...). Those
kernels do not depend on the others' results, only on the width of the
texts' code points, so a child process compiles them on a tiny text of the
same width, into numba's cache (``cache=True``), while the parent indexes
and collapses; the parent waits for it before finding passages, which then
load from the cache. numba writes its cache files atomically (a temporary
file, then a rename), so two processes compiling one kernel is harmless.
Nothing of the child's reaches the output: it only fills the cache, and a
child that fails or is not there leaves the parent to compile as before.
"""

from __future__ import annotations

import os
import subprocess
import sys

#: A text of each code-point width ``_codepoints.code_points`` chooses (one character decides).
SAMPLES = {"uint8": "caf\u00e9", "uint16": "\u0101", "uint32": "\U0001f600"}


def start(texts, min_words: int) -> subprocess.Popen | None:
    """Start compiling the passage kernels for ``texts``' width in a child process (None if it cannot start)."""
    from .._text._codepoints import code_point_width

    code = f"import dedup._passages._warm as w; w.child({code_point_width(texts)!r}, {int(min_words)})"
    try:
        return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=dict(os.environ, NUMBA_NUM_THREADS="1"))
    except OSError:
        return None


def finish(proc: subprocess.Popen | None, timeout: float = 300.0) -> None:
    """Wait for the child; one still compiling after ``timeout`` seconds is stopped."""
    if proc is None:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        stop(proc)


def stop(proc: subprocess.Popen | None) -> None:
    """Stop the child now (the parent failed or was interrupted)."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


def child(kind: str, min_words: int) -> None:
    """In the child: find passages in two tiny documents of the given width (the kernels' types are all that count)."""
    from .._core._config import PassageConfig
    from ._find import passages

    words = " ".join(f"w{k}" for k in range(3 * min_words))
    docs = [f"{SAMPLES[kind]} {words} one", f"two {words} {SAMPLES[kind]}"]
    passages(docs, config=PassageConfig(min_words=min_words))
