"""Which member of a cluster is kept: the keep policy as one priority per document.

``"first"`` keeps the first document in input order, ``"longest"`` the
longest text (ties: first), and per-document numbers (a sequence aligned with
the documents, or a mapping id -> number) the highest (ties: first);
``_cluster.keepers`` applies them.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .._core._options import KEEP as KEEP_POLICIES


def priorities(keep, ids, lengths: np.ndarray) -> np.ndarray:
    """float64 (n,): the priority of each document under ``keep`` (higher is kept)."""
    n = len(ids)
    if isinstance(keep, str):
        if keep == "first":
            return np.zeros(n, dtype=np.float64)
        if keep == "longest":
            return lengths.astype(np.float64)
        raise ValueError(f"keep must be one of {KEEP_POLICIES} or per-document priorities, got {keep!r}")
    if isinstance(keep, Mapping):
        try:
            keep = [keep[i] for i in ids]
        except KeyError as e:
            raise ValueError(f"keep: no priority for document id {e.args[0]!r}") from None
    try:
        prio = np.asarray(keep, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("keep priorities must be numbers") from None
    if prio.shape != (n,):
        raise ValueError(f"keep: expected {n} priorities (one per document), got shape {prio.shape}")
    if np.isnan(prio).any():
        raise ValueError("keep: priorities must not be NaN")
    return prio
