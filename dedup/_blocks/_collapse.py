"""Block-level API: ``dedup.collapse(docs)`` and ``dedup.blocks(docs)``.

The steps are those of ``_plan`` (features of a chunk, the plan of the
corpus, the cut of a chunk), run over chunks of about 16M characters:

    texts --_codepoints.code_points------------> code points (uint8, uint16 or uint32): str offsets
          --_normalize.fold_code_points---------> normalized UTF-8 buffer
          --_segment.segment--------------------> blocks: str spans + byte ranges
          --_shingle.shingle_segments-----------> shingles and word counts of every block
          --_segment.set_digests----------------> exact copies (digest of the shingle set)
          --_pipeline.sketch / link-------------> verified near copies (long blocks only)
          --_decide.group_labels----------------> groups of repeated blocks
          --_decide.decide / edits / apply_edits--> kinds, kept copies, cleaned text

In RAM when the features fit the memory budget, else spilled to a work
directory (``_core._spill``), with the same answers; with ``memory=`` the
documents are read twice (a one-shot iterable is spooled to the work
directory) and ``collapse`` yields them one by one. Python work is O(1) per
document, and the ``Removal`` records are built only when read (``Removals``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._core._config import CollapseConfig, resolve
from .._indexing._pipeline import BATCH_CHARS
from .._indexing._stream import prefetch
from .._sketch import _lsh
from .._text import _frames
from .._text._documents import TwoPasses, is_frame
from . import _decide as _block_decide
from . import _plan
from ._records import BlockGroup, CollapsedDoc, CollapsedDocs

#: ``mode=`` option -> (decision kernel mode, whether the text is edited).
MODES = _plan.MODES


class _Run(TwoPasses):
    """One call's documents (``TwoPasses``, chunks of ``BATCH_CHARS``) and its collapse options: read once for
    the features (``plan``) and once to cut (``pass2``), within a budget."""

    def __init__(self, docs, cfg, text, id, memory, workdir, keep_workdir):
        super().__init__(docs, BATCH_CHARS, text=text, id=id, memory=memory, workdir=workdir, keep_workdir=keep_workdir)
        self.cfg = cfg

    def plan(self) -> _plan.Plan:
        """Features of every chunk (spooled within the budget), then the plan."""
        cfg = self.cfg
        bands, _ = _lsh.choose_bands(cfg.lsh_threshold, cfg.num_perm, cfg.min_prob)
        spools = _plan.Spools(self.budget, bands)
        ids: list = []
        # The next chunk is read (a caller's generator, JSON parsed) on a thread while this one is featurized.
        for chunk_ids, texts in prefetch(self.chunks()):
            spools.append(_plan.featurize(texts, cfg))
            ids.extend(chunk_ids)
        return _plan.plan(ids, spools.finish(), cfg, self.budget)


def collapse(docs, *, config: CollapseConfig | None = None, unit: str | None = None, mode: str | None = None,
             text: str | None = None, id: str | None = None, memory=None, workdir=None, keep_workdir: bool = False,
             **options) -> list[CollapsedDoc]:
    """Remove repeated blocks inside documents and across a corpus, recording every removal.

    Parameters
    ----------
    docs : iterable of str, iterable of (id, text), mapping id -> text, or a data frame
        As for ``dedup.index``; the corpus order decides which copy is "first".
    config : CollapseConfig, optional
        Every option at once; options given beside it replace its fields.
    unit : {"line", "paragraph", "sentence"}, default "line"
    mode : {"keep_first", "remove_all", "report"}, default "keep_first"
    text, id : str, optional
        The text and id columns of a data frame ``docs``, as for ``dedup.index``.
    memory : int or str, optional
        Budget for the blocks' arrays in RAM, such as ``"1GB"`` (default:
        half the RAM available). Given, ``docs`` is read in chunks (it may
        be a generator: it is then spooled to the work directory), the
        arrays go to ``.npy`` files past the budget, and the result is an
        iterator (``Collapsing``) that cuts the documents as it is read, in
        input order, instead of a list; the same documents as without it.
    workdir, keep_workdir : as for ``dedup.index``: where the work
        directory is made, and whether it is left in place.
    **options
        Any other field of ``CollapseConfig`` (``remove``, ``threshold``,
        ``ngram``, ``min_docs``, ...).

    Returns
    -------
    list of CollapsedDoc, one per document, in input order.

    For a data frame ``docs``, a ``CollapsedFrames`` of two frames of its
    library instead: ``docs``, the input with its text column (or itself,
    a Series or array) replaced by the cleaned text, other columns and rows
    unchanged; and ``removals``, one row per removal with columns ``id``,
    ``start``, ``end``, ``kind``, ``source_id``, ``source_start``,
    ``source_end`` (null for a separator) and ``similarity``, as in
    ``Removal``. The ``source`` of
    every removal is a kept copy (except for boilerplate in ``remove_all``,
    which keeps no copy), and ``text[source.start:source.end]`` of the source
    document is the same or a near-identical block. A block that occurs only
    once is never removed, except a block without letters or digits left
    between removed blocks (kind "separator").

    Notes
    -----
    Document-level dedup on content, not on the page frame, is two steps:
    remove boilerplate only, then index what is left, so two articles of one
    site no longer match on their shared menus and one article on two sites
    matches despite different frames::

        clean = dedup.collapse(pages, remove=("boilerplate",))
        idx = dedup.index([(d.id, d.text) for d in clean])

    Examples
    --------
    >>> import dedup
    >>> out = dedup.collapse(["Title\\nBody one.\\nread more\\nOther body.\\nread more\\n"])
    >>> out[0].text
    'Title\\nBody one.\\nread more\\nOther body.\\n'
    >>> r = out[0].removed[0]
    >>> (r.start, r.end, r.kind, r.source, r.similarity)
    (38, 47, 'repeat', Span(id=0, start=16, end=25), 1.0)
    """
    cfg = resolve(CollapseConfig, config, dict(options, unit=unit, mode=mode))
    if memory is not None and not is_frame(docs):
        run = _Run(docs, cfg, text, id, memory, workdir, keep_workdir)
        try:
            p = run.plan()
            extra = _passage_records(_streamed_passages(run, p, cfg), p) if cfg.passages else None
        except BaseException:
            run.close()
            raise
        return Collapsing(run, p, extra)
    run = _Run(docs, cfg, text, id, memory, workdir, keep_workdir)
    try:
        out = _collapse(run, cfg)
    finally:
        run.close()
    if not is_frame(docs):
        return out
    shape = _frames.shape(docs)
    return CollapsedFrames(_frames.replace_text(docs, text, [d.text for d in out]),
                           _frames.table(shape, removal_columns(out)))


class CollapsedFrames(NamedTuple):
    """What ``dedup.collapse`` returns for a data frame: the cleaned frame and a frame of the removals."""

    docs: object
    removals: object


def removal_columns(out: list[CollapsedDoc]) -> dict:
    """Every removal of one ``collapse`` result as columns (name -> list or array), in document order."""
    counts = np.fromiter(map(len, (d.removed for d in out)), dtype=np.int64, count=len(out))
    ids = [d.id for d in out]
    # Each chunk cut has its own table (its removals, source documents numbered in the corpus): every
    # table's columns once, in order.
    tables = list({id(d.removed._table): d.removed._table for d in out if len(d.removed)}.values())
    if not tables:
        ints, sim = np.zeros((0, 6), np.int64), np.zeros(0)
    else:
        ints = np.concatenate([t.columns[0] for t in tables])
        sim = np.concatenate([t.columns[1] for t in tables])
    doc = np.repeat(np.arange(len(out)), counts).tolist()
    sdoc = ints[:, 3].tolist()
    none = ints[:, 3] < 0
    return {"id": [ids[d] for d in doc], "start": ints[:, 0], "end": ints[:, 1],
            "kind": [_block_decide.KINDS[k] for k in ints[:, 2].tolist()],
            "source_id": [None if d < 0 else ids[d] for d in sdoc],
            "source_start": [None if x else v for x, v in zip(none.tolist(), ints[:, 4].tolist())],
            "source_end": [None if x else v for x, v in zip(none.tolist(), ints[:, 5].tolist())],
            "similarity": sim}


def collapse_and_blocks(docs, *, config: CollapseConfig | None = None) -> tuple[list[CollapsedDoc], list[BlockGroup]]:
    """``(collapse(docs, config=config), blocks(docs, config=config))`` from one analysis of the blocks.

    Equal to the two calls; the analysis (cutting, shingling, grouping the
    blocks) is shared, which is about half of each call's time.
    """
    cfg = resolve(CollapseConfig, config, {})
    run = _Run(docs, cfg, None, None, None, None, False)
    try:
        p = run.plan()
        return _cut_all(run, p, cfg), _groups_of(run, p, cfg)
    finally:
        run.close()


def _collapse(run: _Run, cfg: CollapseConfig) -> list[CollapsedDoc]:
    return _cut_all(run, run.plan(), cfg)


def _cut_all(run: _Run, p: _plan.Plan, cfg: CollapseConfig) -> list[CollapsedDoc]:
    extra = None
    if cfg.passages:  # a generator's texts are not held: its passages are found as within a budget
        a = _held_passages(run.held, cfg) if run.held is not None else _streamed_passages(run, p, cfg)
        extra = _passage_records(a, p)
    apply = MODES[cfg.mode][1]
    out = CollapsedDocs()
    for d0, texts in run.pass2():
        out.extend(_plan.cut(p, d0, texts, apply, _docs_of(extra, d0, len(texts))))
    return out


def _docs_of(extra, d0: int, n: int):
    """The passage records of documents ``d0 : d0 + n``."""
    if extra is None:
        return None
    lo, hi = np.searchsorted(extra[0], [d0, d0 + n])
    return tuple(x[lo:hi] for x in extra)


class Collapsing:
    r"""What ``dedup.collapse(docs, memory=...)`` returns: the ``CollapsedDoc`` of every document, in input
    order, cut as they are read (the plan of the whole corpus is made first). Iterate it once; ``len`` is the
    number of documents; the work directory goes when it is exhausted or ``close``\ d (or at exit of a
    ``with`` block)."""

    def __init__(self, run: _Run, p: _plan.Plan, extra=None):
        self._run, self._plan, self._extra = run, p, extra
        self._it = None

    def _cut(self, then):
        apply = MODES[self._run.cfg.mode][1]
        for d0, texts in self._run.pass2():
            yield then(d0, _plan.cut(self._plan, d0, texts, apply, _docs_of(self._extra, d0, len(texts))), texts)

    def _chunks(self, then=lambda *chunk: chunk):
        try:  # the next chunk is cut on a thread while the caller takes (writes) this one's documents
            yield from prefetch(self._cut(then))
        finally:
            self.close()

    def _docs(self, originals: bool):
        for _, out, texts in self._chunks():
            yield from zip(out, texts) if originals else out

    def _start(self, it):
        if self._it is not None:
            raise RuntimeError("this Collapsing is already being iterated")
        self._it = it
        return it

    def with_originals(self):
        """Iterate ``(CollapsedDoc, original text)`` pairs instead (once, as the documents themselves)."""
        return self._start(self._docs(True))

    def chunks(self, then=None):
        """Iterate the chunks instead (once, as the documents themselves): ``(d0, docs, texts)``, the
        ``CollapsedDoc`` of documents ``d0 : d0 + len(docs)`` and their original texts, in order (their
        removals as arrays: ``_records.removal_rows(docs)``); with ``then``, ``then(d0, docs, texts)`` of
        each, called on the thread that cuts the chunks (ahead of the caller)."""
        return self._start(self._chunks() if then is None else self._chunks(then))

    def __len__(self) -> int:
        return self._plan.bptr.shape[0] - 1

    def __iter__(self):
        return self

    def __next__(self) -> CollapsedDoc:
        if self._it is None:
            self._start(self._docs(False))
        return next(self._it)

    @property
    def stats(self) -> dict:
        """Whether the run spilled to disk, the bytes its work files take, and the work directories of killed
        runs it removed on the way."""
        b = self._run.budget
        return {"spilled": b.spilled, "disk": b.disk_bytes(), "swept": [str(d) for d in b.swept]}

    def close(self) -> None:
        """Remove the work directory (documents not yet read are not cut)."""
        self._run.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _passage_config(cfg: CollapseConfig):
    from .._core._config import PassageConfig

    return PassageConfig(min_words=cfg.passage_words, max_docs=None)


def _held_passages(held, cfg: CollapseConfig):
    """The passages of a corpus in RAM, as arrays."""
    from .._passages._find import passages

    ids, texts = held
    return passages(list(zip(ids, texts)), config=_passage_config(cfg)).arrays()


def _streamed_passages(run: _Run, p: _plan.Plan, cfg: CollapseConfig):
    """The passages of the documents of ``run`` within its budget (a third pass over them), as arrays."""
    from .._passages._stream import passage_arrays

    return passage_arrays((texts for _, texts in run.pass2()), _passage_config(cfg), run.budget)


def _passage_records(a, p: _plan.Plan):
    """Records of the passages (arrays ``a``) shared with an earlier document inside kept text: ``(doc, start,
    end, source doc, source start, source end, similarity)`` arrays, source the group's first occurrence."""
    n = a.doc.shape[0]
    group = np.repeat(np.arange(a.group_ptr.shape[0] - 1), np.diff(a.group_ptr))
    first = a.first[group]
    sim = np.zeros(n, dtype=np.float64)  # an occurrence's best alignment
    np.maximum.at(sim, a.align_a, a.similarity)
    np.maximum.at(sim, a.align_b, a.similarity)
    # Not the first copy, and not inside a block that is removed anyway (its record says it all).
    removed = np.asarray(p.removed)
    rdoc = np.searchsorted(p.bptr, removed, side="right") - 1
    rs = np.asarray(p.starts[removed])
    re_ = np.asarray(p.ends[removed])
    key = rdoc * (1 << 40) + rs
    at = np.searchsorted(key, a.doc * (1 << 40) + a.start, side="right") - 1
    inside = (at >= 0) & (rdoc[np.maximum(at, 0)] == a.doc) & (re_[np.maximum(at, 0)] >= a.end)
    keep = (np.arange(n) != first) & ~inside
    k = np.flatnonzero(keep)
    f = first[k]
    return a.doc[k], a.start[k], a.end[k], a.doc[f], a.start[f], a.end[f], sim[k]


def blocks(docs, *, config: CollapseConfig | None = None, unit: str | None = None, text: str | None = None,
           id: str | None = None, memory=None, workdir=None, keep_workdir: bool = False,
           **options) -> list[BlockGroup]:
    """Every block that occurs more than once, with all its occurrences, for inspection.

    Parameters
    ----------
    docs : as for ``collapse`` (``text``, ``id``: a data frame's columns).
    config : CollapseConfig, optional (its ``mode`` and ``remove`` do not apply).
    unit : {"line", "paragraph", "sentence"}, default "line"
    memory, workdir, keep_workdir : as for ``collapse``: the blocks'
        arrays within a memory budget, spilled past it; ``docs`` is read
        twice (a generator is spooled to the work directory). The result
        is the same list.
    **options : fields of ``CollapseConfig`` that affect matching
        (``threshold``, ``ngram``, ``fuzzy_words``, ``min_docs``, ...).

    Returns
    -------
    list of BlockGroup, ordered by first occurrence. Blocks without letters or
    digits are not grouped.

    Examples
    --------
    >>> import dedup
    >>> g = dedup.blocks({"a": "Menu\\nHello there.", "b": "MENU\\nBye now."})
    >>> [(x.kind, x.text, x.occurrences, x.n_docs) for x in g]
    [('syndicated', 'Menu', (Span(id='a', start=0, end=4), Span(id='b', start=0, end=4)), 2)]
    """
    cfg = resolve(CollapseConfig, config, dict(options, unit=unit))
    run = _Run(docs, cfg, text, id, memory, workdir, keep_workdir)
    try:
        return _groups_of(run, run.plan(), cfg)
    finally:
        run.close()


def _groups_of(run: _Run, p: _plan.Plan, cfg: CollapseConfig) -> list[BlockGroup]:
    spans = _plan.group_spans(p)
    return _plan.groups(p, cfg, spans, _plan.first_texts(p, spans, run.pass2()))
