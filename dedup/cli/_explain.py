"""``near-dups explain``: two documents' similarity and the passages they share.

The score is the library's own: the exact Jaccard similarity of the two
``dedup.shingles`` sets. The passages are the passage engine's
(``dedup.align``: the kernels' own tokens and offsets, seeds extended across
word edits), shown with their positions and their edits marked
(:func:`explain_passages`).

Edits in aligned text are marked as in ``git diff --word-diff``: ``[-deleted-]``
and ``{+inserted+}`` (a substitution is both), in red and green on a terminal.
"""

from __future__ import annotations

import numpy as np

import dedup

from ._passages import EXPLAIN_MIN_WORDS
from ._render import Style, jsonable, width
from ._ui import number, plural


def explain(a_id, a: str, b_id, b: str, *, ngram: int, threshold: float) -> dict:
    """The record ``near-dups explain`` prints: scores, counts and shared passages."""
    sa, sb = dedup.shingles(a, ngram=ngram), dedup.shingles(b, ngram=ngram)
    shared = int(np.intersect1d(sa, sb, assume_unique=True).shape[0])
    union = sa.shape[0] + sb.shape[0] - shared
    jaccard = shared / union if union else 0.0
    passages = explain_passages(a, b)
    return {"a": jsonable(a_id), "b": jsonable(b_id), "jaccard": round(jaccard, 6), "threshold": threshold,
            "near_duplicates": jaccard >= threshold, "ngram": ngram, "shingles_a": int(sa.shape[0]),
            "shingles_b": int(sb.shape[0]), "shared_shingles": shared, "passages": passages}


def render(out, rec: dict, a: str, style: Style, *, limit: int = 10) -> None:
    """Human-readable form of ``explain``'s record; ``a`` is the first text (for context)."""
    verdict = (style("near-duplicates", "green") if rec["near_duplicates"]
               else "not near-duplicates")
    out.write(style(f"{rec['a']}  vs  {rec['b']}", "bold") + "\n")
    out.write(f"jaccard {rec['jaccard']:.3f}: {number(rec['shared_shingles'])} shared of "
              f"{number(rec['shingles_a'] + rec['shingles_b'] - rec['shared_shingles'])} distinct "
              f"{rec['ngram']}-word shingles ({number(rec['shingles_a'])} and {number(rec['shingles_b'])}); "
              f"{verdict} at --threshold {rec['threshold']:g}\n")
    render_explain_passages(out, rec, style, limit=limit)


def explain_passages(a: str, b: str, *, min_words: int = EXPLAIN_MIN_WORDS) -> list[dict]:
    """The passages ``a`` and ``b`` share (``dedup.align``), as ``explain`` records, longest first.

    Record: ``words`` (of ``a``), ``words_b``, ``matches``, ``similarity``,
    ``a`` and ``b`` (``[start, end]`` ``str`` offsets), ``text`` (``a``'s) and
    ``edits``: the aligned text as ``[op, text of a, text of b]`` pieces, op
    ``equal`` (with the text between words), ``replace``, ``delete`` or
    ``insert``.
    """
    out = []
    for p in dedup.align(a, b, min_words=min_words):
        edits = []
        prev = None
        for tag, i1, i2, j1, j2 in p.opcodes:
            if prev is not None and i1 > prev:
                _append(edits, "equal", a[prev:i1], "")
            _append(edits, tag, a[i1:i2], b[j1:j2])
            prev = i2 if prev is None else max(prev, i2)
        out.append({"words": p.words_a, "words_b": p.words_b, "matches": p.matches,
                    "similarity": round(p.similarity, 6), "a": [p.a_start, p.a_end], "b": [p.b_start, p.b_end],
                    "text": a[p.a_start:p.a_end], "edits": edits})
    out.sort(key=lambda r: (-r["matches"], r["a"][0]))
    return out


def _append(edits: list, tag: str, ta: str, tb) -> None:
    tb = "" if tag in ("equal", "delete") else tb
    ta = "" if tag == "insert" else ta
    if edits and tag == "equal" and edits[-1][0] == "equal":
        edits[-1][1] += ta
    else:
        edits.append([tag, ta, tb])


def marked(edits: list, style: Style) -> str:
    """The aligned text on one line, edits marked ``[-a-]{+b+}`` (coloured on a terminal)."""
    text = ""
    after_edit = False
    for tag, ta, tb in edits:
        ta, tb = " ".join(ta.split()), " ".join(tb.split())
        if tag == "equal":
            if after_edit and ta[:1].isalnum():
                text += " "
            text += ta
            after_edit = False
            continue
        piece = ""
        if ta:
            piece += style(ta, "red") if style.enabled else f"[-{ta}-]"
        if tb:
            piece += style(tb, "green") if style.enabled else f"{{+{tb}+}}"
        text += (" " if text and not text.endswith(" ") else "") + piece
        after_edit = True
    return text.strip()


def render_explain_passages(out, rec: dict, style: Style, *, limit: int = 10) -> None:
    """``explain``'s passages: where, how similar, and the aligned text with its edits marked."""
    ps = rec["passages"]
    if not ps:
        out.write(f"No shared passage of {EXPLAIN_MIN_WORDS} or more words.\n")
        return
    out.write(f"\n{plural(len(ps), 'shared passage')}, most shared words first"
              + (f" (showing {limit}; see --format json for all)" if len(ps) > limit else "")
              + (", edits marked [-A-]{+B+}" if not style.enabled else "") + ":\n")
    w = width() - 3
    for k, p in enumerate(ps[:limit], 1):
        (s, e), (bs, be) = p["a"], p["b"]
        out.write(f"\n{k}. {plural(p['matches'], 'shared word')} of {number(p['words'])} and {number(p['words_b'])} "
                  f"(similarity {p['similarity']:.2f}), {rec['a']}:{s}-{e}, {rec['b']}:{bs}-{be}\n")
        for line in _wrap(marked(p["edits"], style), w):
            out.write("   " + line + "\n")


def _wrap(text: str, w: int) -> list[str]:
    lines, cur, size = [], "", 0
    for word in text.split(" "):
        n = len(_visible(word))
        if cur and size + 1 + n > w:
            lines.append(cur)
            cur, size = word, n
        else:
            cur, size = (f"{cur} {word}", size + 1 + n) if cur else (word, n)
    if cur:
        lines.append(cur)
    return lines


def _visible(s: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", s)
