"""dedup.collapse / dedup.blocks within a memory budget: the same answers as in RAM, read in chunks, spilled."""

from __future__ import annotations

import itertools
import os

import pytest

import dedup
from benchmarks.harness import crawl
from dedup._blocks import _collapse
from tests.support import load_jsonl


def crawl_docs(n=400, seed=3):
    return [(p.id, p.text) for p in crawl.pages(n, seed)]


def same(streamed, in_ram):
    streamed = list(streamed)
    assert len(streamed) == len(in_ram)
    for a, b in zip(streamed, in_ram):
        assert (a.id, a.text, a.empty) == (b.id, b.text, b.empty)
        assert tuple(a.removed) == tuple(b.removed)


@pytest.fixture(params=[1 << 24, 20_000], ids=["one-chunk", "many-chunks"])
def chunk(request, monkeypatch):
    """Chunks of the default size, and chunks of a few documents (features joined across chunks)."""
    monkeypatch.setattr(_collapse, "BATCH_CHARS", request.param)
    return request.param


@pytest.mark.parametrize("mode", ["keep_first", "remove_all", "report"])
def test_collapse_within_a_tiny_budget_equals_in_ram(chunk, mode, tmp_path):
    docs = crawl_docs()
    in_ram = dedup.collapse(docs, mode=mode)
    assert sum(len(d.removed) for d in in_ram) > 100  # the corpus has frames, copies and repeats
    out = dedup.collapse(docs, mode=mode, memory=1, workdir=tmp_path)
    assert len(out) == len(docs)
    assert out.stats["spilled"]
    same(out, in_ram)
    assert not any(tmp_path.iterdir())  # exhausted: the work directory is gone


def test_collapse_of_a_generator_within_a_budget(chunk, tmp_path):
    """A one-shot iterable is spooled to the work directory for the second pass."""
    docs = crawl_docs(300, seed=5)
    in_ram = dedup.collapse(docs, unit="line")
    out = dedup.collapse((d for d in docs), unit="line", memory="1K", workdir=tmp_path)
    same(out, in_ram)
    plain = [t for _, t in docs]
    same(dedup.collapse(iter(plain), memory="1K", workdir=tmp_path), dedup.collapse(plain))


def test_collapse_in_budget_of_the_seeds_and_real_pages(seeds, tmp_path):
    same(dedup.collapse(seeds, memory=1, workdir=tmp_path), dedup.collapse(seeds))
    pages = [(r["id"], r["text"]) for r in load_jsonl("web_pages.jsonl.gz", limit=600)]  # skips if absent
    same(dedup.collapse(pages, memory=1, workdir=tmp_path), dedup.collapse(pages))


def test_blocks_within_a_budget_equal_in_ram(chunk, tmp_path):
    docs = crawl_docs(300, seed=7)
    in_ram = dedup.blocks(docs)
    assert len(in_ram) > 10
    assert dedup.blocks(iter(docs), memory=1, workdir=tmp_path) == in_ram
    assert not any(tmp_path.iterdir())


def test_closing_early_removes_the_work_directory(tmp_path):
    docs = crawl_docs(200)
    with dedup.collapse(docs, memory=1, workdir=tmp_path) as out:
        next(out)
        assert any(tmp_path.iterdir())
    assert not any(tmp_path.iterdir())
    out = dedup.collapse(iter(docs), memory=1, workdir=tmp_path, keep_workdir=True)
    list(out)
    kept = list(tmp_path.iterdir())
    assert len(kept) == 1 and "texts.pickle" in os.listdir(kept[0])


def test_a_bad_budget_is_refused():
    with pytest.raises(ValueError, match="memory must be a size"):
        dedup.collapse(["a b c"], memory="lots")


def test_frame_removals_of_many_chunks(chunk):
    """A frame cut chunk by chunk (a removals table per chunk) gives every chunk's removals, in order."""
    import pandas as pd

    docs = crawl_docs(200, seed=9)
    out = dedup.collapse(pd.DataFrame({"id": [i for i, _ in docs], "text": [t for _, t in docs]}))
    want = [(d.id, r.start, r.end, r.kind, r.source.id if r.source else None, r.similarity)
            for d in dedup.collapse(docs) for r in d.removed]
    got = out.removals[["id", "start", "end", "kind", "source_id", "similarity"]]
    assert [tuple(x) for x in got.astype(object).where(got.notna(), None).values.tolist()] == want
    assert len(want) > 100


@pytest.mark.parametrize("unit", ["line", "paragraph"])
def test_features_of_chunks_trimmed_equal_the_features_of_the_whole(unit, tmp_path):
    """The chunks' features, each trimmed of the shingles of blocks an earlier chunk holds (``trim_features``,
    as a Dask partition is featurized a chunk at a time), spool what ``featurize`` gives for all their texts;
    ``blocks_of`` gives the spans ``featurize`` cut."""
    import numpy as np

    from dedup._blocks import _plan
    from dedup._core import _spill
    from dedup._sketch import _lsh

    cfg = dedup.CollapseConfig(unit=unit)
    texts = [t for _, t in crawl_docs(300, seed=12)]
    texts = texts + texts[:40]  # blocks whose first copy is in an earlier chunk
    cuts = [0, 1, 1, 57, 160, 299, len(texts)]  # an empty chunk too
    bands, _ = _lsh.choose_bands(cfg.threshold, cfg.num_perm, cfg.min_prob)
    with _spill.Budget(1 << 30, tmp_path) as budget:
        whole, chunks = _plan.Spools(budget, bands), _plan.Spools(budget, bands)
        f = _plan.featurize(texts, cfg)
        whole.append(f)
        seen, untrimmed = _plan.NO_BLOCKS, 0
        for a, b in itertools.pairwise(cuts):
            part = _plan.featurize(texts[a:b], cfg)
            untrimmed += part.fuzzy.shape[0]
            part, seen = _plan.trim_features(part, seen)
            chunks.append(part)
        assert untrimmed > f.fuzzy.shape[0]  # chunks' firsts that repeat an earlier chunk's block
        want, got = whole.finish(), chunks.finish()
        for name in want:
            assert np.array_equal(got[name], want[name]) and got[name].dtype == want[name].dtype, name
    bptr, starts, ends = _plan.blocks_of(texts, cfg)
    assert np.array_equal(np.diff(bptr), f.counts)
    assert np.array_equal(starts, f.starts) and np.array_equal(ends, f.ends)


@pytest.mark.parametrize("fits", [True, False], ids=["buckets-in-ram", "buckets-on-disk"])
def test_a_spilled_collapse_buckets_in_ram_or_on_disk_with_the_same_answers(fits, tmp_path, monkeypatch):
    """Once the features went to disk, the near-copy buckets are sorted in RAM when they fit the budget
    (``Budget.fits``), else into work files: the same answers either way."""
    from dedup._core import _spill

    monkeypatch.setattr(_spill.Budget, "fits", lambda self, nbytes: fits)
    docs = crawl_docs(300, seed=7)
    for unit in ("line", "paragraph"):
        out = dedup.collapse(docs, unit=unit, memory=1, workdir=tmp_path)
        assert out.stats["spilled"]
        same(out, dedup.collapse(docs, unit=unit))
