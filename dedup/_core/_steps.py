"""The typed records passed between the pipeline's steps (``_indexing._pipeline``), saved and loaded by the store."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Features(NamedTuple):
    """What the steps need of each document; texts are not kept.

    indptr : int64 (n + 1,); values : uint64, the sorted unique shingles of
        document ``k`` in ``values[indptr[k]:indptr[k+1]]``.
    digests : uint64 (n,), xxh3 of each normalized text.
    nbytes : int64 (n,), normalized UTF-8 length; 0 for a blank text.
    keys : uint64 (bands, n), LSH band keys of each MinHash signature.
    """

    indptr: np.ndarray
    values: np.ndarray
    digests: np.ndarray
    nbytes: np.ndarray
    keys: np.ndarray


class Groups(NamedTuple):
    """Exact-duplicate groups.

    rep : int64 (n,), the first document with the same normalized text (-1: blank).
    reps : int64 (m,), the representatives that have shingles, ascending: the
        documents LSH sees.
    """

    rep: np.ndarray
    reps: np.ndarray


class Buckets(NamedTuple):
    """The representatives' band keys, sorted per band for lookups.

    order : int64 (bands, m), columns of ``Groups.reps`` in key order.
    sorted_keys : uint64 (bands, m).
    """

    order: np.ndarray
    sorted_keys: np.ndarray


class Pairs(NamedTuple):
    """Verified pairs: positions ``i < j`` and exact Jaccard ``score``."""

    i: np.ndarray
    j: np.ndarray
    score: np.ndarray


def no_pairs() -> Pairs:
    return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))


#: The arrays of a tail, as ``Index.arrays()`` names them (with ``@k``).
TAIL_ARRAYS = ("lengths", "priority", *Features._fields, "rep", "reps", *Buckets._fields, "pair_i", "pair_j",
               "pair_s", "complete")
