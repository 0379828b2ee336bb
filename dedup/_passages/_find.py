"""Shared passages: text reuse across a corpus, with exact spans, allowing edits.

``dedup.passages(docs)`` finds passages that two or more documents share,
even when the copies were lightly edited (words substituted, inserted or
deleted, as in a reworded wire story or a quoted reply), and groups the
copies of each passage across documents:

    texts --_tokens.tokenize----> tokens: unit values + spans in the original str (as dedup.shingles reads them)
          --_seeds.seed_hits----> winnowed word n-grams shared by two documents (rare ones all-pairs, frequent
                                  ones linked to their first document), sorted by _keysort
          --_candidates---------> pairs where min_seeds of them cluster like the seeds of one passage
          --_align.align_pairs--> per candidate pair, X-drop gapped extension of the seeds: passages with
                                  exact token spans, aligned matches and a score
          --_groups.group_stage-> occurrences of one document that overlap by 80 % of the longer one are
                                  one occurrence; passages join occurrences into groups (union-find);
                                  occurrences grow to whole words; a group lists each region of a
                                  document once, and a group nested in another joins it

Every stage is a kernel over arrays, parallel over documents or pairs; Python
work is O(1) per document. The work of a pair is about the length of what it
shares, and a passage copied into ``m`` documents costs ``m - 1`` alignments
(see ``_seeds``), not ``m (m - 1) / 2``.

Passages are found between different documents; a passage repeated inside
one document is ``dedup.collapse``'s business.

With ``memory=`` the same stages run over the corpus read in chunks, their
arrays spilled to a work directory past the budget (``_stream``).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import NamedTuple

import numba
import numpy as np

from .._core._config import PassageConfig, resolve
from .._text import _codepoints, _tokens
from .._text._documents import as_documents
from . import _align, _seeds
from ._groups import PairPassages, PassageArrays, group_stage, word_glue  # noqa: F401  (group_stage: a stage)


# --------------------------------------------------------------------------- records
class Occurrence(NamedTuple):
    """One copy of a passage: the document, ``[start, end)`` in its text (``str`` offsets), words, text."""

    id: object
    start: int
    end: int
    words: int
    text: str


class Alignment(NamedTuple):
    """Two occurrences aligned word by word.

    ``a`` and ``b`` index the group's ``occurrences``; the spans are the
    aligned part of each (``str`` offsets), ``matches`` the words aligned
    to an equal word, ``similarity`` ``2 matches / (words_a + words_b)``
    (``difflib.SequenceMatcher.ratio`` on words).
    """

    a: int
    b: int
    a_start: int
    a_end: int
    b_start: int
    b_end: int
    words_a: int
    words_b: int
    matches: int
    similarity: float


class PassageGroup(NamedTuple):
    """The copies of one passage across documents, and the alignments that joined them.

    ``first`` indexes the occurrence that comes first in input order (the
    earliest document, then the earliest start).
    """

    occurrences: tuple
    alignments: tuple
    first: int


class DocSpans(NamedTuple):
    """Passage occurrences per document (CSR), for tools that edit documents (``collapse``).

    The occurrences of document ``d`` are ``doc_ptr[d]:doc_ptr[d+1]``, sorted
    by start: ``start``/``end`` (``str`` offsets), ``group`` (index into the
    result) and ``occurrence`` (row of ``PassageArrays``). Occurrences of
    different groups may overlap.
    """

    doc_ptr: np.ndarray
    start: np.ndarray
    end: np.ndarray
    group: np.ndarray
    occurrence: np.ndarray


# --------------------------------------------------------------------------- stages
def seed_stage(tokens: _tokens.Tokens, config: PassageConfig) -> _seeds.Hits:
    """Candidate pairs and their seed hits."""
    return _seeds.seed_hits(tokens.units, tokens.tptr, ngram=config.ngram, max_df=config.max_df,
                            max_repeat=config.max_repeat, frequent=config.frequent, min_seeds=config.min_seeds,
                            window=config.min_words, band=config.xdrop, winnow=config.winnow)


def align_stage(tokens: _tokens.Tokens, hits: _seeds.Hits, config: PassageConfig) -> PairPassages:
    """Passages of every candidate pair."""
    pair, sa, ea, sb, eb, matches, _ = _align.align_pairs(
        tokens.units, tokens.tptr, hits, ngram=config.ngram, xdrop=config.xdrop, max_gap=config.max_gap,
        min_words=config.min_words, n_threads=numba.get_num_threads())
    return PairPassages(hits.pair_a[pair], hits.pair_b[pair], sa, ea, sb, eb, matches)


# --------------------------------------------------------------------------- API
class Passages(Sequence):
    """The reuse groups of a corpus: a read-only sequence of ``PassageGroup`` records, built when read.

    ``arrays()`` gives them all as arrays, ``doc_spans()`` per document.
    ``texts`` is the corpus's texts, or (``memory=``) a callable giving the
    text of occurrence ``k`` of document ``d``, span ``[s, e)``: ``texts(k, d, s, e)``.
    """

    def __init__(self, ids: list, texts, arrays: PassageArrays, config: PassageConfig):
        self.ids = ids
        self._texts = texts
        self._a = arrays
        self.config = config

    def _text(self, k: int, d: int, s: int, e: int) -> str:
        if callable(self._texts):
            return self._texts(k, d, s, e)
        return self._texts[d][s:e]

    def __len__(self) -> int:
        return self._a.group_ptr.shape[0] - 1

    def __getitem__(self, g):
        if isinstance(g, slice):
            return [self[k] for k in range(*g.indices(len(self)))]
        n = len(self)
        if not isinstance(g, numbers.Integral):
            raise TypeError(f"group index must be an int or a slice, got {type(g).__name__}")
        if g < 0:
            g += n
        if not 0 <= g < n:
            raise IndexError(f"group index out of range: {g} (there are {n} groups)")
        a = self._a
        lo, hi = int(a.group_ptr[g]), int(a.group_ptr[g + 1])
        occs = []
        for k in range(lo, hi):
            d, s, e = int(a.doc[k]), int(a.start[k]), int(a.end[k])
            occs.append(Occurrence(self.ids[d], s, e, int(a.word_end[k] - a.word_start[k]), self._text(k, d, s, e)))
        als = tuple(
            Alignment(int(a.align_a[x]) - lo, int(a.align_b[x]) - lo, int(a.a_start[x]), int(a.a_end[x]),
                      int(a.b_start[x]), int(a.b_end[x]), int(a.a_word_end[x] - a.a_word_start[x]),
                      int(a.b_word_end[x] - a.b_word_start[x]),
                      int(a.matches[x]), float(a.similarity[x]))
            for x in range(int(a.align_ptr[g]), int(a.align_ptr[g + 1])))
        return PassageGroup(tuple(occs), als, int(a.first[g]) - lo)

    def arrays(self) -> PassageArrays:
        """Every group as arrays (see ``PassageArrays``)."""
        return self._a

    def doc_spans(self) -> DocSpans:
        """Occurrences per document, sorted by start (see ``DocSpans``)."""
        a = self._a
        n_docs = len(self.ids)
        group = np.repeat(np.arange(len(self)), np.diff(a.group_ptr))
        order = np.lexsort((a.end, a.start, a.doc))
        doc_ptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(a.doc, minlength=n_docs), out=doc_ptr[1:])
        return DocSpans(doc_ptr, a.start[order], a.end[order], group[order], order)

    def __repr__(self) -> str:
        n_occ = int(self._a.group_ptr[-1])
        return f"<dedup.Passages: {len(self)} groups, {n_occ} occurrences in {len(self.ids)} documents; {self.config}>"


def passages(docs, *, config: PassageConfig | None = None, memory=None, workdir=None, keep_workdir: bool = False,
             **options) -> Passages:
    """Passages shared by two or more documents, grouped, with exact spans; copies may be edited.

    Parameters
    ----------
    docs : iterable of str, of (id, text) pairs, or a mapping id -> text
        As for ``dedup.index``.
    config : PassageConfig, optional
        All settings at once; or give them as keywords: ``min_words``,
        ``max_docs``, ``ngram``, ``max_df``, ``frequent``, ``min_seeds``, ``max_repeat``,
        ``xdrop``, ``max_gap`` (see ``PassageConfig``).
    memory : int or str, optional
        Budget for the stages' arrays in RAM, such as ``"1GB"``. Without it
        the whole corpus is tokenized at once and the texts are held (about
        12 bytes of RAM per character). Given, ``docs`` is read in chunks (it
        may be a generator: it is then spooled to the work directory) and
        read twice; per token only its unit, span and glue are kept, in
        ``.npy`` files past the budget, alignment reads the two documents of
        each candidate pair from there, and the second pass cuts out the
        text of every occurrence (kept beside the result, in RAM within the
        budget, else in a file mapped read-only): the result holds no
        document's text. The same groups, in the same order, as without it.
    workdir, keep_workdir : with ``memory=``, as for ``dedup.index``: where
        the work directory is made, and whether it is left in place.

    Returns
    -------
    Passages
        A sequence of ``PassageGroup`` (occurrences with document id, ``str``
        span, word count and text; the alignments between them with a
        similarity; the first occurrence in input order), groups ordered by
        their first occurrence; ``.arrays()`` and ``.doc_spans()`` for
        pipelines.

    Examples
    --------
    >>> import dedup
    >>> quote = "the deterrence capabilities of the two alliances need to be upgraded as part of the effort"
    >>> docs = {"wire": "Leaders met on Wednesday. " + quote + ", the prime minister said.",
    ...         "paper": "In Madrid, " + quote.replace("need to", "must") + " according to the statement.",
    ...         "other": "Nothing to see here, just an unrelated story about the weather in spring."}
    >>> groups = dedup.passages(docs, min_words=10)
    >>> [(o.id, o.text) for o in groups[0].occurrences]
    [('wire', 'the deterrence capabilities of the two alliances need to be upgraded as part of the effort'), \
('paper', 'the deterrence capabilities of the two alliances must be upgraded as part of the effort')]
    >>> a = groups[0].alignments[0]
    >>> a.words_a, a.words_b, a.matches, round(a.similarity, 3)
    (16, 15, 14, 0.903)
    """
    cfg = resolve(PassageConfig, config, options)
    if memory is not None:
        return _passages_within(docs, cfg, memory, workdir, keep_workdir)
    if workdir is not None or keep_workdir:
        raise ValueError("workdir= and keep_workdir= apply only with memory= (the corpus read in chunks, its "
                         "arrays spilled to the work directory past the budget): give memory= too, or leave them out")
    ids, texts = as_documents(docs)
    cps, doc_ptr = _codepoints.code_points(texts)
    tokens = _tokens.tokenize_code_points(cps, doc_ptr)
    glue = word_glue(cps, doc_ptr, tokens)
    del cps
    hits = seed_stage(tokens, cfg)
    pp = align_stage(tokens, hits, cfg)
    return Passages(ids, texts, group_stage(tokens, pp, glue, cfg.max_docs), cfg)


def _passages_within(docs, cfg: PassageConfig, memory, workdir, keep_workdir) -> Passages:
    """``passages`` within a memory budget (``_stream``): two passes over the documents (``TwoPasses``)."""
    from .._indexing._pipeline import BATCH_CHARS
    from .._text._documents import TwoPasses
    from . import _stream

    run = TwoPasses(docs, BATCH_CHARS, memory=memory, workdir=workdir, keep_workdir=keep_workdir)
    try:
        ids: list = []
        arrays = _stream.passage_arrays(run.chunks(), cfg, run.budget, on_chunk=lambda c: ids.extend(c[0]))
        texts = _stream.OccurrenceTexts(arrays, run.budget)
        if arrays.doc.shape[0]:
            for d0, chunk in run.pass2():
                texts.add(d0, chunk)
        texts.finish()
    finally:
        run.close()
    return Passages(ids, texts, arrays, cfg)


# --------------------------------------------------------------------------- one pair
#: op of ``_align`` -> difflib tag
_TAGS = {_align.MATCH: "equal", _align.SUBST: "replace", _align.DELETE: "delete", _align.INSERT: "insert"}


class AlignedPassage(NamedTuple):
    """A passage two texts share (``dedup.align``), with its word alignment.

    ``opcodes`` follow ``difflib.SequenceMatcher.get_opcodes()``: tuples
    ``(tag, i1, i2, j1, j2)`` with tag ``"equal"``, ``"replace"``,
    ``"delete"`` or ``"insert"``, where ``a[i1:i2]`` becomes ``b[j1:j2]``;
    offsets are ``str`` offsets into the two texts and cover whole words
    (the text between two words is in neither). An empty side sits at the
    end of the previous word.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    words_a: int
    words_b: int
    matches: int
    similarity: float
    opcodes: tuple


def _opcodes(ops, sa, sb, ta, tb):
    """difflib-style opcodes of an op array, in ``str`` offsets (``ta``/``tb``: token starts and ends)."""
    out = []
    i, j = sa, sb
    k = 0
    n = len(ops)
    while k < n:
        equal = ops[k] == _align.MATCH
        i0, j0 = i, j
        while k < n and (ops[k] == _align.MATCH) == equal:
            op = ops[k]
            i += op != _align.INSERT
            j += op != _align.DELETE
            k += 1
        tag = "equal" if equal else ("replace" if i > i0 and j > j0 else ("delete" if i > i0 else "insert"))
        ci = (ta[0][i0], ta[1][i - 1]) if i > i0 else ((ta[1][i0 - 1],) * 2 if i0 > 0 else (ta[0][0],) * 2)
        cj = (tb[0][j0], tb[1][j - 1]) if j > j0 else ((tb[1][j0 - 1],) * 2 if j0 > 0 else (tb[0][0],) * 2)
        out.append((tag, int(ci[0]), int(ci[1]), int(cj[0]), int(cj[1])))
    return tuple(out)


def align(a: str, b: str, *, config: PassageConfig | None = None, **options) -> list:
    """The passages two texts share, each with its word alignment: ``near-dups explain``'s engine.

    The same seeds (every n-gram the two share; ``max_df`` and ``frequent``
    do not apply to one pair), extension and ``min_words`` as
    ``dedup.passages``.

    Parameters
    ----------
    a, b : str
    config : PassageConfig, optional; or its fields as keywords.

    Returns
    -------
    list of AlignedPassage, in order of their start in ``a``.

    Examples
    --------
    >>> import dedup
    >>> a = "Leaders met. On the sidelines of the NATO summit in Madrid, Biden met Kishida and Yoon."
    >>> b = "He said so on the sidelines of a Nato summit in Madrid, where Biden met Kishida and Yoon."
    >>> p, = dedup.align(a, b, min_words=8)
    >>> a[p.a_start:p.a_end], p.matches, p.words_a
    ('On the sidelines of the NATO summit in Madrid, Biden met Kishida and Yoon', 13, 14)
    >>> [(tag, a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in p.opcodes if tag != "equal"]
    [('replace', 'the', 'a'), ('insert', '', 'where')]
    """
    cfg = resolve(PassageConfig, config, options)
    for name, text in (("a", a), ("b", b)):
        if not isinstance(text, str):
            raise TypeError(f"{name} must be str, got {type(text).__name__}")
    tk = _tokens.tokenize([a, b])
    t0, t1, t2 = (int(x) for x in tk.tptr)
    ua, ub = tk.units[t0:t1], tk.units[t1:t2]
    ta, tb = (tk.starts[t0:t1], tk.ends[t0:t1]), (tk.starts[t1:t2], tk.ends[t1:t2])
    pa, pb = _seeds.pair_hits(ua, ub, ngram=cfg.ngram, max_repeat=cfg.max_repeat, min_seeds=cfg.min_seeds,
                              window=cfg.min_words, band=cfg.xdrop)
    sa, ea, sb, eb, matches, _, ops = _align.align_one(ua, ub, pa, pb, ngram=cfg.ngram, xdrop=cfg.xdrop,
                                                       max_gap=cfg.max_gap, min_words=cfg.min_words)
    out = []
    for k in range(sa.shape[0]):
        la, lb = int(ea[k] - sa[k]), int(eb[k] - sb[k])
        out.append(AlignedPassage(int(ta[0][sa[k]]), int(ta[1][ea[k] - 1]), int(tb[0][sb[k]]), int(tb[1][eb[k] - 1]),
                                  la, lb, int(matches[k]), 2.0 * int(matches[k]) / (la + lb),
                                  _opcodes(ops[k].tolist(), int(sa[k]), int(sb[k]), ta, tb)))
    return out
