"""Segments: ``add`` to an index on disk appends a segment, with the answers of one batch build.

Every test compares against ``dedup.index`` of all the documents at once
(the slow, obviously correct reference here is the batch build itself,
whose own answers the core tests check against brute force).
"""

from __future__ import annotations

import os
import pathlib
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.planted import planted_corpus

import dedup
from dedup._indexing import _segments
from dedup._storage import _store


def corpus(seed: int, n: int = 160, words: int = 40):
    """Planted near-duplicates, with exact copies, blank texts and texts without letters mixed in."""
    rng = np.random.default_rng(seed)
    docs = planted_corpus(n_base=n // 2, n_copies=n // 2, words=words, seed=seed)
    out = []
    for k, text in enumerate(docs):
        r = rng.random()
        if r < 0.1 and out:
            text = out[int(rng.integers(0, len(out)))][1]  # an exact copy of an earlier one
        elif r < 0.13:
            text = "!!! ..." if r < 0.12 else "   "
        out.append((f"d{k}", text))
    return out


def answers(idx, probes):
    return (list(idx.ids), idx.pairs(), idx.clusters(), idx.duplicates(), idx.labels().tolist(),
            [idx.query(t) for t in probes])


def grown(tmp_path, docs, cuts, *, reload=True, **options):
    """An index of ``docs[:cuts[0]]`` saved and loaded, then each later slice added (saved and loaded again)."""
    path = tmp_path / "idx"
    dedup.index(docs[: cuts[0]], **options).save(path)
    idx = dedup.load(path)
    for lo, hi in zip(cuts, [*cuts[1:], len(docs)]):
        idx.add(docs[lo:hi])
        if reload:
            idx.save(path)
            idx = dedup.load(path)
    return idx


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 10_000), cuts=st.lists(st.integers(1, 159), min_size=1, max_size=4, unique=True),
       reload=st.booleans())
def test_segments_answer_as_one_batch(tmp_path_factory, seed, cuts, reload):
    docs = corpus(seed)
    cuts = sorted(cuts)
    probes = [docs[3][1], docs[-1][1], "!!! ...", "a text that is nowhere in the corpus at all, five words"]
    idx = grown(tmp_path_factory.mktemp("seg"), docs, cuts, reload=reload, threshold=0.6)
    assert idx.segments == len(cuts) + 1
    assert answers(idx, probes) == answers(dedup.index(docs, threshold=0.6), probes)


def test_exact_copies_of_older_documents_join_their_group(tmp_path):
    docs = [("a", "one two three four five six seven"), ("b", "nothing like it at all here ok"),
            ("c", "one two three four five six seven"), ("d", "ONE two, three four five six seven!"),
            ("e", "???"), ("f", "???"), ("g", "  ")]
    idx = grown(tmp_path, docs, [2, 5])
    batch = dedup.index(docs)
    assert idx.clusters() == batch.clusters() == [["a", "c", "d"], ["e", "f"]]
    assert idx.pairs() == batch.pairs()
    # c is a copy of a: not looked up again; d (other case and punctuation) is a text of its own, as in a batch
    assert idx._tails[0].reps.tolist() == [r for r in batch._g.reps.tolist() if 2 <= r < 5] == [3]


def templated(n: int, start: int = 0):
    body = " ".join(f"word{k}" for k in range(300))
    return [(f"t{k}", f"page {k} title {k}. {body}") for k in range(start, start + n)]


def test_big_buckets_across_segments(tmp_path):
    """More than BIG_BUCKET near-identical pages on each side: connected, not verified pair by pair."""
    distinct = corpus(5, 60)
    docs = templated(300) + distinct[:30] + templated(300, 300) + distinct[30:]
    idx = grown(tmp_path, docs, [330])
    batch = dedup.index(docs)
    assert not idx._complete()
    # edges that connect, not every pair (buckets of up to BIG_BUCKET pages inside the new segment are verified whole)
    assert idx._tails[0].p.i.shape[0] < len(batch.pairs(max_pairs=None)) // 4
    assert idx.clusters() == batch.clusters() and idx.duplicates() == batch.duplicates()
    assert idx.labels().tolist() == batch.labels().tolist()
    assert idx.pairs() == batch.pairs()  # every pair, big buckets included, across segments
    assert idx.segments == 2


def test_save_after_add_writes_only_the_new_segment(tmp_path, monkeypatch):
    docs = corpus(1, 300)
    path = tmp_path / "idx"
    dedup.index(docs[:250]).save(path)
    gen = path / (path / "CURRENT").read_text().strip()
    before = {p.name: p.stat().st_ino for p in gen.iterdir()}
    idx = dedup.load(path, verify=False)
    idx.add(docs[250:])
    summed = []
    real = _store._checksum
    monkeypatch.setattr(_store, "_checksum", lambda p: summed.append(pathlib.Path(p).name) or real(p))
    idx.save(path)
    gen = path / (path / "CURRENT").read_text().strip()
    after = {p.name: p.stat().st_ino for p in gen.iterdir()}
    old = {k for k in before if k != "manifest.json"}
    assert all(after[k] == before[k] for k in old)  # the same files, hard-linked
    assert summed and all("@1" in name for name in summed)  # only the new segment was read back
    assert dedup.load(path).pairs() == dedup.index(docs).pairs()  # checksums carried over are right


def test_many_adds_keep_few_segments(tmp_path):
    docs = corpus(2, 200)
    cuts = list(range(20, 200, 15))
    idx = grown(tmp_path, docs, cuts, reload=False)
    assert idx.segments <= _segments.MAX_TAILS + 1
    assert answers(idx, [docs[7][1]]) == answers(dedup.index(docs), [docs[7][1]])
    idx.save(tmp_path / "idx")
    again = dedup.load(tmp_path / "idx")
    assert again.segments == idx.segments and again.pairs() == idx.pairs()


def test_filter_new_remove_and_compact_on_segments(tmp_path):
    docs = corpus(3, 200)
    idx = grown(tmp_path, docs[:150], [100])
    batch = dedup.index(docs[:150])
    held_a, held_b = [], []
    assert idx.filter_new(docs[150:], held=held_a) == batch.filter_new(docs[150:], held=held_b)
    assert held_a == held_b and answers(idx, []) == answers(batch, [])
    gone = [idx.ids[k] for k in (0, 120, -1)]
    assert answers(idx.remove(gone), []) == answers(batch.remove(gone), [])
    assert idx.segments == 1


def test_priority_and_int_ids(tmp_path):
    docs = [(k * 7, t) for k, (_, t) in enumerate(corpus(4, 120))]
    prio = [float(k % 5) for k in range(len(docs))]
    path = tmp_path / "idx"
    dedup.index(docs[:80], keep=prio[:80]).save(path)
    idx = dedup.load(path)
    idx.add(docs[80:], priority=prio[80:])
    idx.save(path)
    idx = dedup.load(path)
    batch = dedup.index(docs, keep=prio)
    assert idx.ids == [d for d, _ in docs] and idx.duplicates() == batch.duplicates()
    assert idx.contains([7, 8, 7 * 119, "7"]).tolist() == [True, False, True, False]
    with pytest.raises(ValueError, match="already in the index"):
        idx.add([(7 * 100, "a new text entirely")], priority=[1.0])


def test_a_corrupted_segment_is_named(tmp_path):
    docs = corpus(6, 120)
    path = tmp_path / "idx"
    grown(tmp_path, docs, [80]).save(path)
    gen = path / (path / "CURRENT").read_text().strip()
    victim = gen / "values@1.npy"
    data = bytearray(victim.read_bytes())
    data[-1] ^= 0xFF
    os.unlink(victim)  # the file is shared with nothing after the save, but write a fresh one to be sure
    victim.write_bytes(bytes(data))
    with pytest.raises(dedup.IndexFormatError, match=r"values@1\.npy.*checksum"):
        dedup.load(path)


def test_add_to_an_index_on_disk_holds_the_batch_not_the_index(tmp_path):
    """The new documents and the buckets they touch, not a copy of every array (what a one-segment add made)."""
    docs = corpus(7, 20_000, words=100)
    path = tmp_path / "idx"
    dedup.index(docs[:19_900]).save(path)
    idx = dedup.load(path, verify=False)
    size = sum(np.asarray(a).nbytes for a in idx.arrays().values())
    idx.add(docs[19_900:19_901])  # numba's compilation, outside the measure
    tracemalloc.start()
    idx.add(docs[19_901:])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < size / 8, (peak, size)
    assert idx.pairs() == dedup.index(docs).pairs()


def test_an_index_saved_over_its_own_generation_keeps_working(tmp_path):
    """A save deletes the generation the index was loaded from; its arrays follow to the new one."""
    docs = corpus(8, 120)
    path = tmp_path / "idx"
    dedup.index(docs[:40]).save(path)
    idx = dedup.load(path)
    for lo, hi in ((40, 60), (60, 80), (80, 120)):
        idx.add(docs[lo:hi])
        idx.save(path)  # the generation idx was mapped from is deleted here, every time
        assert idx.query(docs[0][1]) == dedup.index(docs[:hi]).query(docs[0][1])
    assert idx.pairs() == dedup.index(docs).pairs() == dedup.load(path).pairs()
    gen = path / (path / "CURRENT").read_text().strip()
    assert all(str(a.filename).startswith(str(gen)) for a in idx.arrays().values() if isinstance(a, np.memmap))


def test_an_empty_index_on_disk_takes_a_batch(tmp_path):
    dedup.index([]).save(tmp_path / "idx")
    idx = dedup.load(tmp_path / "idx")
    docs = corpus(9, 40)
    idx.add(docs)
    assert answers(idx, [docs[1][1]]) == answers(dedup.index(docs), [docs[1][1]])


def test_segments_of_str_and_int_ids_are_not_saved_together(tmp_path):
    docs = corpus(10, 40)
    dedup.index(docs[:20]).save(tmp_path / "idx")
    idx = dedup.load(tmp_path / "idx")
    idx.add(["a plain string gets the next position as its id"])
    with pytest.raises(TypeError, match="ids must all be str or all be int"):
        idx.save(tmp_path / "idx")
    assert len(dedup.load(tmp_path / "idx")) == 20


def test_ids_equal_in_python_are_the_same_id():
    """``contains`` and ``add`` follow Python's equality of ids, as a dict does (numpy scalars, bool, 2.0)."""
    idx = dedup.index([(np.str_("a"), "x y z w v u t s"), (7, "one two three four five six")])
    assert idx.contains(["a", np.str_("a"), 7, np.int64(7), 7.0, True, "7", 7.5]).tolist() == [
        True, True, True, True, True, False, False, False]
    with pytest.raises(ValueError, match="already in the index"):
        idx.add([("a", "q r s t u v w")])
    with pytest.raises(ValueError, match="already in the index"):
        idx.add([(np.int64(7), "q r s t u v w")])
