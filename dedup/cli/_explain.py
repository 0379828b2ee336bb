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

import difflib
import re

import numpy as np

import dedup

from .._core._options import PASSAGES
from ._render import jsonable
from ._style import Style, width
from ._io._ui import number, plural


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


#: Fewest shared words of a passage ``explain`` shows: ``passages``' default, a clause (the seeds'
#: "On the sidelines of the NATO summit in Madrid" is 9 words).
EXPLAIN_MIN_WORDS = PASSAGES["min_words"]


def explain_passages(a: str, b: str, *, min_words: int = EXPLAIN_MIN_WORDS) -> list[dict]:
    """The passages ``a`` and ``b`` share (``dedup.align``), as ``explain`` records, longest first.

    Record: ``words`` (of ``a``), ``words_b``, ``matches``, ``similarity``,
    ``a`` and ``b`` (``[start, end]`` ``str`` offsets), ``text`` (``a``'s) and
    ``edits``: the aligned text as ``[op, text of a, text of b]`` pieces, op
    ``equal``, ``replace``, ``delete`` or ``insert``. Each side's pieces put
    together are that side's passage exactly (a token's leading whitespace
    goes with it), so an edit holds only its own side's text: punctuation
    that differs between words the aligner matched (``Biden, Japanese`` and
    ``Biden spoke with Japanese``) is an edit of its own, never one side's
    punctuation shown as the other's.
    """
    out = []
    for p in dedup.align(a, b, min_words=min_words):
        edits: list = []
        for (a0, a1), (b0, b1) in _regions(a, b, p):
            _diff(edits, a[a0:a1], b[b0:b1])
        out.append({"words": p.words_a, "words_b": p.words_b, "matches": p.matches,
                    "similarity": round(p.similarity, 6), "a": [p.a_start, p.a_end], "b": [p.b_start, p.b_end],
                    "text": a[p.a_start:p.a_end], "edits": edits})
    out.sort(key=lambda r: (-r["matches"], r["a"][0]))
    return out


#: A token (a word, or one mark of punctuation) with the whitespace before it.
_TOKEN = re.compile(r"\s*(?:\w+|[^\w\s])")


def _back(text: str, i: int, floor: int) -> int:
    """``i`` moved back over the whitespace before it, not below ``floor``."""
    while i > floor and text[i - 1].isspace():
        i -= 1
    return i


def _regions(a: str, b: str, p) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The passage cut into ``((a0, a1), (b0, b1))`` regions that partition both sides: each run the aligner
    matched (an ``equal`` opcode, with the whitespace before it), and what lies between two of them."""
    cuts = []
    pa, pb = p.a_start, p.b_start
    for tag, i1, i2, j1, j2 in p.opcodes:
        if tag != "equal":
            continue
        sa, sb = _back(a, i1, pa), _back(b, j1, pb)
        if sa > pa or sb > pb:
            cuts.append(((pa, sa), (pb, sb)))  # the edits between two matched runs, with their gaps
        cuts.append(((sa, i2), (sb, j2)))
        pa, pb = i2, j2
    if pa < p.a_end or pb < p.b_end:
        cuts.append(((pa, p.a_end), (pb, p.b_end)))
    return cuts


def _diff(edits: list, ta: str, tb: str) -> None:
    """Append the pieces of one region: its tokens compared (whitespace aside), runs of equal ones as
    ``equal``, the others as the edits that turn ``ta`` into ``tb``."""
    xs, ys = _TOKEN.findall(ta), _TOKEN.findall(tb)
    xs[-1:] = [ta[len("".join(xs[:-1])):]] if xs else []  # trailing whitespace stays with the last token
    ys[-1:] = [tb[len("".join(ys[:-1])):]] if ys else []
    if not xs and not ys:
        return
    kx, ky = [x.strip() for x in xs], [y.strip() for y in ys]
    ops = [("equal", 0, len(xs), 0, len(ys))] if kx == ky else (
        difflib.SequenceMatcher(None, kx, ky, autojunk=False).get_opcodes())
    for tag, i1, i2, j1, j2 in ops:
        piece = [tag, "".join(xs[i1:i2]), "".join(ys[j1:j2])]
        if edits and edits[-1][0] == tag == "equal":
            edits[-1][1] += piece[1]
            edits[-1][2] += piece[2]
        else:
            edits.append(piece)


def _spaced(text: str) -> str:
    """``text`` on one line: a run of whitespace as one space, a leading one kept."""
    return (" " if text[:1].isspace() else "") + " ".join(text.split())


def marked(edits: list, style: Style) -> str:
    """The aligned text on one line, edits marked ``[-a-]{+b+}`` (coloured on a terminal): each side's text
    with its own spacing and punctuation (``Biden[-,-] {+spoke with+} Japanese``); a replacement's two sides
    touch unless only B's is spaced off (``[-United States-]{+US+}``)."""
    text = ""
    for tag, ta, tb in edits:
        if tag == "equal":
            text += _spaced(ta)
            continue
        a_, b_ = _spaced(ta), _spaced(tb)
        if a_:
            text += a_[: len(a_) - len(a_.lstrip())] + (style(a_.strip(), "red") if style.enabled
                                                        else f"[-{a_.strip()}-]")
        if b_:
            if a_:
                space = " " if b_.startswith(" ") and not a_.startswith(" ") else ""
            else:
                space = b_[: len(b_) - len(b_.lstrip())]
            text += space + (style(b_.strip(), "green") if style.enabled else f"{{+{b_.strip()}+}}")
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
