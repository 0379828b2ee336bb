"""Explicit numba signatures of the hottest kernels.

Inputs are typed as read-only arrays: a writable array converts to them, so
one compiled version serves arrays built in memory and the memory-mapped
arrays of a loaded index alike (without the signature, numba compiles a
second version, seconds of latency, the first time a saved index is queried).

The signatures are applied by ``fixed`` at a kernel's first call, not by
``@njit(SIGNATURE)``, which compiles when the module is imported: a job that
does not run a kernel never compiles it, and the first run can compile it in
a second process while this one works (``_compile``).
"""

import threading

from numba import types

from . import _interpret

RO_U8 = types.Array(types.uint8, 1, "C", readonly=True)
RO_I64 = types.Array(types.int64, 1, "C", readonly=True)
RO_U64 = types.Array(types.uint64, 1, "C", readonly=True)
I64 = types.Array(types.int64, 1, "C")
U64 = types.Array(types.uint64, 1, "C")
F64 = types.Array(types.float64, 1, "C")
U64_2D = types.Array(types.uint64, 2, "C")
U64_2D_A = types.Array(types.uint64, 2, "A")
RO_I64_2D = types.Array(types.int64, 2, "C", readonly=True)

#: _shingle._fill(buf, starts, ends, ngram, mode, classes, tasks, values, counts, units)
FILL = types.void(RO_U8, RO_I64, RO_I64, types.int64, types.int64, RO_U8, RO_I64_2D, U64, I64, I64)
#: _minhash.band_keys_into(indptr, values, select, a, b, bands, rows, oph, out): (bands, n) keys into ``out``,
#: any strides (a column slice of a corpus's keys)
BAND_KEYS = types.void(RO_I64, RO_U64, RO_I64, RO_U64, RO_U64, types.int64, types.int64, types.boolean, U64_2D_A)
#: _jaccard.jaccard_cross(qindptr, qvalues, qi, indptr, values, j, threshold) -> scores
JACCARD_CROSS = F64(RO_I64, RO_U64, RO_I64, RO_I64, RO_U64, RO_I64, types.float64)


_fixed: set = set()
_fixed_lock = threading.Lock()


def fixed(kernel, signature):
    """``kernel`` compiled for ``signature`` alone (loaded from numba's cache if there), at its first call.

    What ``@njit(signature)`` does at import: after this, arguments convert
    to the signature's types (a writable array to a read-only one) instead of
    compiling another version. ``kernel`` itself while the kernels run
    interpreted (``_interpret``, or ``NUMBA_DISABLE_JIT``).
    """
    if not hasattr(kernel, "disable_compile") or _interpret.active():  # interpreted: nothing to compile
        return kernel
    if kernel not in _fixed:
        with _fixed_lock:
            if kernel not in _fixed:
                # by the argument types alone, as a call compiles: numba's cache keys an entry on what
                # ``compile`` was given, so ``near-dups warm`` and this share it
                kernel.compile(tuple(signature.args))
                kernel.disable_compile()
                _fixed.add(kernel)
    return kernel
