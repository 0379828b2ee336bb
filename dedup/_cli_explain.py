"""``near-dups explain``: two documents' similarity and the passages they share.

The score is the library's own: the exact Jaccard similarity of the two
``dedup.shingles`` sets. The passages are found by locating the shared word
n-grams in the original texts, with the tokens of ``dedup._normalize`` (NFKC,
case-folded runs of letters and digits) read by a regular expression, so
they can be shown with their positions and highlighted in place.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np

import dedup

from ._cli_render import Style, jsonable, width

_TOKEN = re.compile(r"[^\W_]+")


def _tokens(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    keys, spans = [], []
    for m in _TOKEN.finditer(text):
        keys.append(unicodedata.normalize("NFKC", m.group()).casefold())
        spans.append(m.span())
    return keys, spans


def _windows(keys: list[str], n: int) -> list[tuple]:
    return [tuple(keys[i:i + n]) for i in range(len(keys) - n + 1)]


def _runs(flags: list[bool]) -> list[tuple[int, int]]:
    """Maximal runs ``[i, j)`` of True in ``flags``."""
    runs, start = [], None
    for i, f in enumerate(flags + [False]):
        if f and start is None:
            start = i
        elif not f and start is not None:
            runs.append((start, i))
            start = None
    return runs


def explain(a_id, a: str, b_id, b: str, *, ngram: int, threshold: float) -> dict:
    """The record ``near-dups explain`` prints: scores, counts and shared passages."""
    sa, sb = dedup.shingles(a, ngram=ngram), dedup.shingles(b, ngram=ngram)
    shared = int(np.intersect1d(sa, sb, assume_unique=True).shape[0])
    union = sa.shape[0] + sb.shape[0] - shared
    jaccard = shared / union if union else 0.0
    ka, pa = _tokens(a)
    kb, pb = _tokens(b)
    wa, wb = _windows(ka, ngram), _windows(kb, ngram)
    first_in_b: dict = {}
    for k, w in enumerate(wb):
        first_in_b.setdefault(w, k)
    passages = []
    for i, j in _runs([w in first_in_b for w in wa]):  # windows i..j-1 of a are shared
        bi = first_in_b[wa[i]]
        bj = first_in_b.get(wa[j - 1], bi)
        if bj < bi:
            bj = bi
        start, end = pa[i][0], pa[j - 1 + ngram - 1][1]
        b_start, b_end = pb[bi][0], pb[bj + ngram - 1][1]
        passages.append({"words": j - i + ngram - 1, "a": [start, end], "b": [b_start, b_end], "text": a[start:end]})
    passages.sort(key=lambda p: (-p["words"], p["a"][0]))
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
    ps = rec["passages"]
    if not ps:
        out.write(f"No shared passage of {rec['ngram']} or more words.\n")
        return
    out.write(f"\n{len(ps)} shared passage(s), longest first"
              + (f" (showing {limit}; see --format json for all)" if len(ps) > limit else "") + ":\n")
    w = width() - 4
    for k, p in enumerate(ps[:limit], 1):
        (s, e), (bs, be) = p["a"], p["b"]
        out.write(f"\n{k}. {p['words']} words, {rec['a']}:{s}-{e}, {rec['b']}:{bs}-{be}\n")
        body = " ".join(p["text"].split())
        if style.enabled:
            before = " ".join(a[max(0, s - 80):s].split()[-6:])
            after = " ".join(a[e:e + 80].split()[:6])
            line = style("…" + before + " ", "dim") + style(body, "hl") + style(" " + after + "…", "dim")
            out.write("   " + line + "\n")
        else:
            for chunk in _wrap(body, w):
                out.write("   " + chunk + "\n")


def _wrap(text: str, w: int) -> list[str]:
    lines, cur = [], ""
    for word in text.split():
        if cur and len(cur) + 1 + len(word) > w:
            lines.append(cur)
            cur = word
        else:
            cur = f"{cur} {word}" if cur else word
    if cur:
        lines.append(cur)
    return lines
