"""Code points: texts as one array of their characters, in the narrowest unsigned width that holds them."""

from __future__ import annotations

import numpy as np


class Held(list):
    """A chunk's texts that keeps their code points once ``code_points`` has made them: the cut of a chunk and
    the writing of its removals both take them (joining and encoding 16 MB twice). Not to be changed.
    ``edited``: what the cut made of them, ``(docs, cps, ptr)``, the code points of the new text of document
    ``docs[k]`` at ``cps[ptr[k]:ptr[k + 1]]`` (``_plan.edit_texts``), for the JSON of the new texts."""

    __slots__ = ("cps", "edited")

    def __init__(self, texts=()):
        super().__init__(texts)
        self.cps = None
        self.edited = None


def code_points(texts):
    """The code points of ``texts`` concatenated, in the narrowest of uint8, uint16 and uint32.

    Returns ``(cps, doc_ptr)``; document ``d`` is ``cps[doc_ptr[d]:doc_ptr[d+1]]``
    and its indices are ``str`` indices. Latin-1 text (plain English, 20
    Newsgroups) is copied byte for byte; text within the Basic Multilingual
    Plane (web text with curly quotes and dashes, most scripts) as UTF-16,
    which then has one unit per code point; anything else (an emoji, a lone
    surrogate) as UTF-32. One character decides for the whole call. Every
    kernel reading ``cps`` is compiled for the three widths. A ``Held`` chunk
    makes them once.
    """
    if type(texts) is Held:
        if texts.cps is None:
            texts.cps = _code_points(texts)
        return texts.cps
    return _code_points(texts)


def _code_points(texts):
    n = len(texts)
    doc_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n), out=doc_ptr[1:])
    joined = "".join(texts)
    try:
        return np.frombuffer(joined.encode("latin-1"), dtype=np.uint8), doc_ptr
    except UnicodeEncodeError:
        pass
    try:  # strict: a lone surrogate raises; a character beyond U+FFFF makes a pair (two units)
        wide = joined.encode("utf-16-le")
        if len(wide) == 2 * len(joined):
            return np.frombuffer(wide, dtype=np.uint16), doc_ptr
    except UnicodeEncodeError:
        pass
    return np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), doc_ptr


def code_point_width(texts) -> str:
    """The dtype name ``code_points(texts)`` would use, without building the array (one pass, no copy)."""
    top = max(map(max, filter(None, texts)), default="\0")
    if top <= "\xff":
        return "uint8"
    if top > "\uffff":
        return "uint32"
    try:  # a lone surrogate cannot be UTF-16: code_points then uses uint32
        for text in texts:
            text.encode("utf-16-le")
    except UnicodeEncodeError:
        return "uint32"
    return "uint16"
