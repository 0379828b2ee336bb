"""MinHash: CSR shingle sets -> signatures -> LSH band keys (the sketch step).

Two families, both with ``P[sig_k(A) == sig_k(B)] = J(A, B)`` for every ``k``:

* ``"oph"`` (default): one-permutation hashing with optimal densification
  (Li, Owen & Zhang, NIPS 2012; Shrivastava, ICML 2017, Algorithm 1). One
  hash ``h(x) = a_0 x + b_0 (mod 2**64)`` per shingle; its top bits choose one
  of ``K`` bins and the bin keeps its smallest ``h``. An empty bin ``i``
  copies bin ``donor(i, t)`` for the first ``t = 1, 2, ...`` whose bin is not
  empty, ``donor`` a fixed hash of ``(i, t)``, the same for every set, which
  is what makes the collision probability exactly ``J`` (the paper's
  Theorem). Cost: one multiply per shingle, plus about ``K * K / m``
  probes for a set filling ``m < K`` bins: ~1 multiply per shingle against
  ``K`` for the classic family.
* ``"minhash"``: ``K`` independent permutations (below), the classic family.

Classic family: ``h_k(x) = a_k * x + b_k  (mod 2**64)`` with ``a_k`` odd, applied
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

from .._core._hashing import combine, fmix64
from .._core._types import BAND_KEYS, fixed

EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # signature of a set with no shingles
_BAND_SEED = np.uint64(0x62616E646B657921)  # "bandkey!"
_DONOR = np.uint64(0x64656E7369667921)  # "densify!": seeds the donor sequence of OPH's empty bins
_S32 = np.uint64(32)
#: ``sketch=`` option -> whether the kernels take the one-permutation path.
FAMILIES = {"oph": True, "minhash": False}
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
    b = np.ascontiguousarray(stream[1::2])
    return a, b


@njit(cache=True, nogil=True)
def _fmix_array(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        out[i] = fmix64(x[i])
    return out


@njit(cache=True, inline="always")
def _signature(row, a, b, sig):
    """MinHash of one sorted shingle row into ``sig`` (``len(sig)`` permutations)."""
    # Permutation-outer, shingle-inner: the inner loop is a min-reduction
    # that LLVM vectorizes (2.3x faster than shingle-outer on AVX2).
    for p in range(sig.shape[0]):
        ap = a[p]
        bp = b[p]
        m = EMPTY
        for s in range(row.shape[0]):
            m = min(m, ap * row[s] + bp)
        sig[p] = m


@njit(cache=True, inline="always")
def _one_permutation(row, a0, b0, sig, full):
    """OPH with optimal densification of one sorted shingle row into ``sig`` (``len(sig)`` bins).

    ``full`` is scratch of the same length. An empty row gives all ``EMPTY``.
    The filled bins are counted after the shingle loop, not in it: a branch
    per shingle on whether its bin was still empty cost 14 % of the sketch
    on Wikipedia (one thread; the same keys).
    """
    k = sig.shape[0]
    for i in range(k):
        full[i] = EMPTY
    for s in range(row.shape[0]):
        h = a0 * row[s] + b0
        i = np.int64(((h >> _S32) * np.uint64(k)) >> _S32)
        full[i] = min(full[i], h)
    filled = 0
    for i in range(k):
        filled += full[i] != EMPTY
    if filled == 0:
        for i in range(k):
            sig[i] = EMPTY
        return
    for i in range(k):
        if full[i] != EMPTY:
            sig[i] = full[i]
            continue
        t = np.uint64(1)
        while True:  # the first non-empty donor in a sequence fixed by (i, t) alone
            d = fmix64(_DONOR ^ ((np.uint64(i) << _S32) | t))
            j = np.int64(((d >> _S32) * np.uint64(k)) >> _S32)
            if full[j] != EMPTY:
                sig[i] = full[j]
                break
            t += np.uint64(1)


@njit(cache=True, inline="always")
def _sketch_row(row, a, b, sig, full, oph):
    if oph:
        _one_permutation(row, a[0], b[0], sig, full)
    else:
        _signature(row, a, b, sig)


@njit(cache=True, inline="always")
def _band_key(sig, band, rows):
    """One band of a signature, ``sig[band*rows:(band+1)*rows]``, hashed to one uint64 key."""
    h = _BAND_SEED
    for r in range(band * rows, (band + 1) * rows):
        h = combine(h, sig[r])
    return h


@njit(cache=True, parallel=True, nogil=True)
def signatures(indptr, values, a, b, oph=False):
    """Signature of every CSR row, of the classic family or (``oph``) one-permutation hashing.

    Parameters
    ----------
    indptr : int64 array, shape (n + 1,)
    values : uint64 array, sorted unique shingles per row
    a, b : uint64 arrays, shape (num_perm,), from ``permutations`` (OPH uses ``a[0], b[0]``)

    Returns
    -------
    uint64 array, shape (n, num_perm). An empty row is all ``EMPTY``.
    """
    n = indptr.shape[0] - 1
    k = a.shape[0]
    out = np.empty((n, k), dtype=np.uint64)
    for d in prange(n):
        full = np.empty(k, dtype=np.uint64)
        _sketch_row(values[indptr[d] : indptr[d + 1]], a, b, out[d], full, oph)
    return out


@njit(cache=True, parallel=True, nogil=True)
def keys_of_signatures(sig, bands, rows):
    """Band keys of a signature matrix (shape (n, >= bands*rows)) -> uint64 (bands, n).

    Band-major, so each band sorts contiguously. ``band_keys`` computes the
    same keys without the matrix.
    """
    n = sig.shape[0]
    out = np.empty((bands, n), dtype=np.uint64)
    for d in prange(n):
        for band in range(bands):
            out[band, d] = _band_key(sig[d], band, rows)
    return out


#: Rows per parallel task of ``band_keys``: few enough that a batch of long
#: texts splits into many tasks (the caller schedules them dynamically).
_ROWS_PER_TASK = 16


def band_keys(indptr, values, select, a, b, bands, rows, oph, out=None):
    """``keys_of_signatures(signatures(...))`` of the CSR rows ``select``: the sketch step.

    The signature of a row lives in a small scratch array and goes straight
    to its band keys, so the (n, num_perm) signature matrix is never written
    to memory (160 MB for 300k rows).

    Parameters
    ----------
    indptr, values : CSR of sorted unique shingles.
    select : int64 array, shape (n,): the rows to key, in output order.
    a, b : from ``permutations``, at least ``bands * rows`` long.
    bands, rows : the LSH banding (``_lsh.choose_bands``).
    oph : one-permutation hashing (``bands * rows`` bins) instead of the classic family.
    out : optional uint64 array of shape (bands, n), any strides (a column
        slice of a corpus's keys): the keys are written there, no copy.

    Returns
    -------
    uint64 array, shape (bands, n): ``out`` when given.
    """
    if out is None:
        out = np.empty((bands, select.shape[0]), dtype=np.uint64)
    elif out.shape != (bands, select.shape[0]) or out.dtype != np.uint64:
        raise ValueError(f"out must be a uint64 array of shape ({bands}, {select.shape[0]})")
    fixed(_band_keys_into, BAND_KEYS)(indptr, values, select, a, b, bands, rows, oph, out)
    return out


@njit(cache=True, parallel=True, nogil=True)  # BAND_KEYS alone (``fixed``)
def _band_keys_into(indptr, values, select, a, b, bands, rows, oph, out):
    """``band_keys``' kernel: the keys of rows ``select`` into ``out`` (bands, n)."""
    n = select.shape[0]
    k = bands * rows
    ak = a[:k]
    bk = b[:k]
    for c in prange((n + _ROWS_PER_TASK - 1) // _ROWS_PER_TASK):
        sig = np.empty(k, dtype=np.uint64)
        full = np.empty(k, dtype=np.uint64)
        for d in range(c * _ROWS_PER_TASK, min(n, (c + 1) * _ROWS_PER_TASK)):
            _sketch_row(values[indptr[select[d]] : indptr[select[d] + 1]], ak, bk, sig, full, oph)
            for band in range(bands):
                out[band, d] = _band_key(sig, band, rows)
