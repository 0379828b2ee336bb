"""``near-dups explain``: two documents' similarity and the passages they share.

The score is the library's own: the exact Jaccard similarity of the two
``dedup.shingles`` sets. The passages are the passage engine's
(``dedup.align``: the kernels' own tokens and offsets, seeds extended across
word edits), shown with their positions and their edits marked
(``_passages_render``).
"""

from __future__ import annotations

import numpy as np

import dedup

from . import _passages_render
from ._render import Style, jsonable


def explain(a_id, a: str, b_id, b: str, *, ngram: int, threshold: float) -> dict:
    """The record ``near-dups explain`` prints: scores, counts and shared passages."""
    sa, sb = dedup.shingles(a, ngram=ngram), dedup.shingles(b, ngram=ngram)
    shared = int(np.intersect1d(sa, sb, assume_unique=True).shape[0])
    union = sa.shape[0] + sb.shape[0] - shared
    jaccard = shared / union if union else 0.0
    passages = _passages_render.explain_passages(a, b)
    return {"a": jsonable(a_id), "b": jsonable(b_id), "jaccard": round(jaccard, 6), "threshold": threshold,
            "near_duplicates": jaccard >= threshold, "ngram": ngram, "shingles_a": int(sa.shape[0]),
            "shingles_b": int(sb.shape[0]), "shared_shingles": shared, "passages": passages}


def render(out, rec: dict, a: str, style: Style, *, limit: int = 10) -> None:
    """Human-readable form of ``explain``'s record; ``a`` is the first text (for context)."""
    verdict = (style("near-duplicates", "green") if rec["near_duplicates"]
               else "not near-duplicates")
    out.write(style(f"{rec['a']}  vs  {rec['b']}", "bold") + "\n")
    out.write(f"jaccard {rec['jaccard']:.3f}: {rec['shared_shingles']} shared of "
              f"{rec['shingles_a'] + rec['shingles_b'] - rec['shared_shingles']} distinct "
              f"{rec['ngram']}-word shingles ({rec['shingles_a']} and {rec['shingles_b']}); "
              f"{verdict} at --threshold {rec['threshold']:g}\n")
    _passages_render.render_explain_passages(out, rec, style, limit=limit)
