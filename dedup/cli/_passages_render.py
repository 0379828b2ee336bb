"""Shared passages on the command line: ``near-dups passages`` records and text, and ``explain``'s passages.

Everything here turns ``dedup.passages`` / ``dedup.align`` results into
records (plain dicts, the machine formats) and text for people; the CLI
module only parses options and calls these.

Edits in aligned text are marked as in ``git diff --word-diff``: ``[-deleted-]``
and ``{+inserted+}`` (a substitution is both), in red and green on a terminal.
"""

from __future__ import annotations

from ._render import Style, jsonable, width

PASSAGE_COLUMNS = ["group", "size", "documents", "first", "words", "text", "occurrences", "alignments"]

#: ``near-dups`` options that ``passages`` does not use (warned about when given).
UNUSED = ("threshold", "num_perm", "seed", "shingle", "unit")

#: Fewest shared words of a passage ``explain`` shows: a clause, fewer than ``passages``' default
#: because one pair is being read closely (the seeds' "On the sidelines of the NATO summit in Madrid"
#: is 9 words).
EXPLAIN_MIN_WORDS = 8


def passage_config(given: dict):
    """``dedup.PassageConfig`` from CLI options (``min_words``, ``ngram``); ValueError names the flag."""
    import dedup

    try:
        return dedup.PassageConfig(**given)
    except (TypeError, ValueError) as e:
        name, _, rest = str(e).partition(" ")
        flag = "--" + name.replace("_", "-")
        raise ValueError(f"{flag} {rest}" if name in given or name == "min_words" else str(e)) from None


def passage_records(result) -> list[dict]:
    """One record per group of ``dedup.passages``.

    Record: ``group`` (1, 2, ... in order of first occurrence), ``size``
    (occurrences), ``documents``, ``first`` (id of the first occurrence in
    input order), ``words`` and ``text`` of the first occurrence,
    ``occurrences`` (``{id, start, end, words}``, ``str`` offsets) and
    ``alignments`` (``{a, b, similarity, matches}``, ``a``/``b`` indexing
    ``occurrences``).
    """
    out = []
    for k, g in enumerate(result, 1):
        occ = [{"id": jsonable(o.id), "start": o.start, "end": o.end, "words": o.words} for o in g.occurrences]
        first = g.occurrences[g.first]
        out.append({"group": k, "size": len(occ), "documents": len({repr(o.id) for o in g.occurrences}),
                    "first": jsonable(first.id), "words": first.words, "text": first.text, "occurrences": occ,
                    "alignments": [{"a": a.a, "b": a.b, "similarity": round(a.similarity, 6), "matches": a.matches}
                                   for a in g.alignments]})
    return out


def _one_line(text: str, limit: int) -> str:
    words = " ".join(text.split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def render_passages(out, records: list[dict], *, n_docs: int, min_words: int, style: Style) -> None:
    """Text form of ``passage_records``: each group, its first text, and where it occurs."""
    if not records:
        out.write(f"No passage of {min_words} or more shared words among {n_docs} documents.\n"
                  "Lower --min-words to look for shorter ones.\n")
        return
    out.write(f"{len(records)} shared passage group(s) among {n_docs} documents "
              f"(copies sharing {min_words} words or more, edits allowed):\n")
    w = width()
    for r in records:
        out.write("\n" + style(f"group {r['group']}: {r['size']} occurrences in {r['documents']} documents, "
                               f"{r['words']} words", "bold") + "\n")
        out.write("    " + _one_line(r["text"], w - 4) + "\n")
        best: dict = {}
        for a in r["alignments"]:  # best similarity of each occurrence to another one
            for x in (a["a"], a["b"]):
                best[x] = max(best.get(x, 0.0), a["similarity"])
        first = next(k for k, o in enumerate(r["occurrences"]) if o["id"] == r["first"])
        for k, o in enumerate(r["occurrences"]):
            note = "first" if k == first else f"similarity {best.get(k, 0.0):.2f}"
            out.write(f"  {o['id']}:{o['start']}-{o['end']}  {o['words']} words, {note}\n")


# --------------------------------------------------------------------------- explain
def explain_passages(a: str, b: str, *, min_words: int = EXPLAIN_MIN_WORDS) -> list[dict]:
    """The passages ``a`` and ``b`` share (``dedup.align``), as ``explain`` records, longest first.

    Record: ``words`` (of ``a``), ``words_b``, ``matches``, ``similarity``,
    ``a`` and ``b`` (``[start, end]`` ``str`` offsets), ``text`` (``a``'s) and
    ``edits``: the aligned text as ``[op, text of a, text of b]`` pieces, op
    ``equal`` (with the text between words), ``replace``, ``delete`` or
    ``insert``.
    """
    import dedup

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
    out.write(f"\n{len(ps)} shared passage(s), most shared words first"
              + (f" (showing {limit}; see --format json for all)" if len(ps) > limit else "")
              + (", edits marked [-A-]{+B+}" if not style.enabled else "") + ":\n")
    w = width() - 3
    for k, p in enumerate(ps[:limit], 1):
        (s, e), (bs, be) = p["a"], p["b"]
        out.write(f"\n{k}. {p['matches']} shared words of {p['words']} and {p['words_b']} "
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
