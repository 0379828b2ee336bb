"""MinHash signatures: CSR shingle sets -> (n, num_perm) uint64 signatures.

Hash family: ``h_k(x) = a_k * x + b_k  (mod 2**64)`` with ``a_k`` odd, applied
to shingle hashes ``x`` that are already ``fmix64``-mixed 64-bit values. Each
``h_k`` is a bijection of ``uint64`` (no two shingles share a value, so the
estimator has no truncation bias), the arithmetic is exact modulo 2**64 (no
``(a*x + b) mod p`` overflow as in datatrove#198 / datasketch#212), and the
minimum compares the high bits first, which are the well-mixed ones of a
multiply-shift hash (Dietzfelbinger et al. 1997). Tests check that the
collision rate is unbiased and its variance binomial, ``J(1-J)/num_perm``.

``a_k`` and ``b_k`` come from ``fmix64`` of the seed and ``k`` (a SplitMix64
style stream written here), not from numpy's generators, whose streams may
change between numpy versions.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from ._hashing import fmix64

EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # signature of a set with no shingles
_GOLDEN = 0x9E3779B97F4A7C15


def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` coefficients of the ``num_perm`` hash functions for ``seed``.

    Returns two uint64 arrays of shape (num_perm,); every ``a`` is odd.
    """
    k = np.arange(2 * num_perm, dtype=np.uint64)
    base = np.uint64((seed * _GOLDEN) & 0xFFFFFFFFFFFFFFFF)
    with np.errstate(over="ignore"):
        stream = _fmix_array(base + (k + np.uint64(1)) * np.uint64(_GOLDEN))
    a = stream[0::2] | np.uint64(1)
    b = stream[1::2]
    return a, b


@njit(cache=True)
def _fmix_array(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = fmix64(x[i])
    return out


@njit(cache=True, parallel=True)
def signatures(indptr, values, a, b):
    """MinHash signature of every CSR row.

    Parameters
    ----------
    indptr : int64 array, shape (n + 1,)
    values : uint64 array, sorted unique shingles per row
    a, b : uint64 arrays, shape (num_perm,), from ``permutations``

    Returns
    -------
    uint64 array, shape (n, num_perm). An empty row is all ``EMPTY``.
    """
    n = indptr.shape[0] - 1
    k = a.shape[0]
    out = np.empty((n, k), dtype=np.uint64)
    for d in prange(n):
        row = values[indptr[d] : indptr[d + 1]]
        # Permutation-outer, shingle-inner: the inner loop is a min-reduction
        # that LLVM vectorizes (2.3x faster than shingle-outer on AVX2).
        for p in range(k):
            ap = a[p]
            bp = b[p]
            m = EMPTY
            for s in range(row.shape[0]):
                m = min(m, ap * row[s] + bp)
            out[d, p] = m
    return out
