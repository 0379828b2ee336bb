"""dedup.passages within a memory budget: the same groups as in RAM, the corpus read in chunks, arrays spilled."""

from __future__ import annotations

import os
import pathlib

import numpy as np
import pytest

import dedup
from benchmarks.harness import crawl
from dedup._blocks import _collapse
from dedup._core import _spill
from dedup._passages import _stream
from tests.support import load_jsonl

CORPUS = pathlib.Path(__file__).resolve().parent.parent / "corpus"


def seed_docs():
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.iterdir()) if p.is_file()]


def same(got, ref):
    """Every array, then every record (occurrences with their texts, alignments), in order."""
    assert list(got.ids) == list(ref.ids)
    ra, ga = ref.arrays(), got.arrays()
    for f in ra._fields:
        assert np.array_equal(getattr(ga, f), getattr(ra, f)), f
    assert len(got) == len(ref)
    assert list(got) == list(ref)


@pytest.fixture(params=[1 << 24, 3_000], ids=["one-chunk", "many-chunks"])
def chunk(request, monkeypatch):
    """Chunks of the default size, and chunks of a few documents (tokens joined across chunks)."""
    monkeypatch.setattr(_collapse, "BATCH_CHARS", request.param)
    return request.param


@pytest.mark.parametrize("memory", [1, "64K"], ids=["1-byte", "64K"])
def test_seed_corpus_within_a_budget_equals_in_ram(chunk, memory, tmp_path):
    docs = seed_docs()
    ref = dedup.passages(docs, min_words=8)
    assert len(ref) >= 2  # the seed reports share quotes and a reworded wire story
    same(dedup.passages(docs, min_words=8, memory=memory, workdir=tmp_path), ref)
    same(dedup.passages(iter(docs), min_words=8, memory=memory, workdir=tmp_path), ref)
    assert not any(tmp_path.iterdir())  # work directories removed


@pytest.mark.parametrize("memory", [1, "256K"], ids=["1-byte", "256K"])
def test_generated_crawl_within_a_budget_equals_in_ram(chunk, memory, tmp_path):
    docs = [(p.id, p.text) for p in crawl.pages(300, 5)]
    ref = dedup.passages(docs)
    assert len(ref) > 5
    got = dedup.passages((d for d in docs), memory=memory, workdir=tmp_path)
    same(got, ref)
    assert not any(tmp_path.iterdir())
    # plain strings from a generator: ids are positions, as in RAM
    texts = [t for _, t in docs]
    same(dedup.passages((t for t in texts), memory=memory), dedup.passages(texts))


@pytest.mark.parametrize("name, n, memory", [("newsgroups.jsonl.gz", 300, 1), ("newsgroups.jsonl.gz", 300, "1M"),
                                             ("web_pages.jsonl.gz", 600, "2M")])
def test_real_data_within_a_budget_equals_in_ram(name, n, memory, tmp_path):
    docs = [(r["id"], r["text"]) for r in load_jsonl(name, n)]
    ref = dedup.passages(docs)
    assert len(ref) > 10
    same(dedup.passages(iter(docs), memory=memory, workdir=tmp_path), ref)
    assert not any(tmp_path.iterdir())


def test_keep_workdir_leaves_the_work_files(tmp_path):
    docs = seed_docs()
    got = dedup.passages(iter(docs), min_words=8, memory=1, workdir=tmp_path, keep_workdir=True)
    same(got, dedup.passages(docs, min_words=8))
    kept, = tmp_path.iterdir()
    names = set(os.listdir(kept))
    assert {"texts.pickle", "passages-units.npy", "passages-texts.npy"} <= names
    assert _spill.OWNER not in names  # disowned: no later run sweeps it


def test_the_result_holds_no_document_text(tmp_path):
    """Only the occurrences' texts are kept; they stay readable after the work directory is gone."""
    docs = [(p.id, p.text) for p in crawl.pages(200, 2)]
    got = dedup.passages(iter(docs), memory=1, workdir=tmp_path)
    assert not any(tmp_path.iterdir())
    assert isinstance(got._texts, _stream.OccurrenceTexts)
    a = got.arrays()
    held = np.asarray(got._texts._buf).shape[0]
    assert held == int((a.end - a.start).sum()) < sum(len(t) for _, t in docs)
    texts = dict(docs)
    for g in got:
        for o in g.occurrences:
            assert o.text == texts[o.id][o.start : o.end]


def test_bad_options_are_refused():
    with pytest.raises(ValueError, match="memory must be a size such as '2GB'"):
        dedup.passages(["a b c"], memory="lots")
    with pytest.raises(ValueError, match="memory must be positive"):
        dedup.passages(["a b c"], memory=0)
    with pytest.raises(TypeError, match="memory must be a size"):
        dedup.passages(["a b c"], memory=1.5)
    with pytest.raises(ValueError, match="workdir= and keep_workdir= apply only with memory="):
        dedup.passages(["a b c"], workdir="/tmp")
    with pytest.raises(ValueError, match="workdir= and keep_workdir= apply only with memory="):
        dedup.passages(["a b c"], keep_workdir=True)
    with pytest.raises(TypeError, match="single str"):
        dedup.passages("a b c", memory="1G")


@pytest.mark.parametrize("block", [1 << 20, 1000, 1])
def test_reading_back_equals_numpy(block, tmp_path, monkeypatch):
    """``read_range`` and ``take`` read the same values from a spilled file as numpy from the array."""
    monkeypatch.setattr(_stream, "TAKE_BLOCK", block)
    rng = np.random.default_rng(0)
    values = rng.integers(0, 1 << 60, size=50_000, dtype=np.uint64)
    b = _spill.Budget(1, tmp_path)
    s = _spill.Spool(b, "x", np.uint64)
    for part in np.array_split(values, 7):
        s.append(part)
    mapped = s.finish()
    assert _spill.is_mapped(mapped)
    for lo, hi in [(0, 0), (0, 50_000), (123, 4567), (49_999, 50_000)]:
        assert np.array_equal(_stream.read_range(mapped, lo, hi), values[lo:hi])
    idx = rng.integers(0, 50_000, size=(300,))
    idx[:50] = idx[50:100]  # repeats
    assert np.array_equal(_stream.take(mapped, idx), values[idx])
    assert np.array_equal(_stream.take(mapped, idx.reshape(3, 100)), values[idx].reshape(3, 100))
    assert np.array_equal(_stream.take(values, idx), values[idx])
    assert _stream.take(mapped, np.zeros(0, np.int64)).shape == (0,)
    del mapped
    b.close()


@pytest.mark.parametrize("memory", [1, "1G"])
def test_collapse_with_passages_within_a_budget_equals_in_ram(memory, tmp_path):
    docs = [(r["id"], r["text"]) for r in load_jsonl("web_pages.jsonl.gz", 300)]
    ref = dedup.collapse(docs, passages=True)
    assert any(r.kind == "passage" for d in ref for r in d.removed)

    def key(out):
        return [(d.id, d.text, d.empty, tuple(d.removed)) for d in out]

    assert key(dedup.collapse(iter(docs), passages=True, memory=memory, workdir=tmp_path)) == key(ref)
    assert not any(tmp_path.iterdir())
    assert key(dedup.collapse(iter(docs), passages=True)) == key(ref)  # a generator, no budget given


def test_cli_within_a_budget_writes_the_same_bytes(tmp_path, capsys):
    from dedup.cli import main

    def call(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    for fmt in ("text", "jsonl"):
        code, ref, _ = call("passages", str(CORPUS), "--min-words", "8", "--format", fmt, "-q")
        assert code == 0 and ref
        code, out, _ = call("passages", str(CORPUS), "--min-words", "8", "--format", fmt, "-q", "--memory", "1",
                            "--workdir", str(tmp_path / "w"))
        assert code == 0 and out == ref
        assert not any((tmp_path / "w").iterdir())
    code, _, err = call("passages", str(CORPUS), "--memory", "lots")
    assert code == 2 and "--memory must be a size such as '2GB'" in err
    code, _, err = call("passages", str(CORPUS), "--workdir", str(tmp_path / "no" / "such"))
    assert code == 2 and "does not exist" in err
    code, out, err = call("passages", str(CORPUS), "--keep-workdir", "--workdir", str(tmp_path / "k"), "-q")
    assert code == 0 and "is not used" not in err and len(list((tmp_path / "k").iterdir())) == 1
