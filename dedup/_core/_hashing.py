"""Stable 64-bit hash helpers shared by the kernels.

Every hash in near-dups is a fixed function of bytes and integers, the same in
every process and on every machine (never Python's salted ``hash()``):

* bytes -> ``fnv1a64`` (Fowler-Noll-Vo 1a, 64-bit constants from the FNV spec),
  finished by ``fmix64`` so that short tokens still fill all 64 bits;
* ``fmix64`` is MurmurHash3's 64-bit finalizer (Appleby, public domain), a
  bijection on ``uint64`` with full avalanche;
* ``combine`` folds a sequence of 64-bit values into one, order-dependent.

numba promotes ``uint64 op int64`` to ``float64``; every constant here is an
explicit ``np.uint64`` so the arithmetic stays modulo 2**64.
"""

from __future__ import annotations

import numpy as np
from numba import njit

FNV_OFFSET = np.uint64(0xCBF29CE484222325)
FNV_PRIME = np.uint64(0x100000001B3)
_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_S33 = np.uint64(33)


@njit(cache=True, inline="always")
def fmix64(h):
    """MurmurHash3 finalizer: a bijective avalanche mix of one uint64."""
    h ^= h >> _S33
    h *= _M1
    h ^= h >> _S33
    h *= _M2
    h ^= h >> _S33
    return h


@njit(cache=True, inline="always")
def combine(h, v):
    """Fold ``v`` into the running hash ``h`` (order-dependent)."""
    return fmix64((h ^ v) * _GOLDEN + FNV_PRIME)
