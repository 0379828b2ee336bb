"""The persistent, incremental index: add/remove equal a batch build; save/load is atomic and safe."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support import ROOT
from tests.support.planted import planted_corpus

import dedup

DOCS = planted_corpus(n_base=120, n_copies=120, seed=21)


def answer(idx):
    return idx.ids, idx.pairs(), idx.clusters(), idx.duplicates()


def with_ids(docs):
    return [(f"d{k}", t) for k, t in enumerate(docs)]


# ---------------------------------------------------------------- incremental
@settings(max_examples=15, deadline=None)
@given(cuts=st.lists(st.integers(0, len(DOCS)), max_size=3))
def test_add_in_steps_equals_one_batch(cuts):
    docs = with_ids(DOCS)
    batch = dedup.index(docs, threshold=0.6)
    bounds = [0, *sorted(cuts), len(docs)]
    idx = dedup.index(docs[: bounds[1]], threshold=0.6)
    for lo, hi in zip(bounds[1:-1], bounds[2:]):
        idx.add(docs[lo:hi])
    assert answer(idx) == answer(batch)


def test_add_plain_strings_continues_positions():
    idx = dedup.index(DOCS[:100], threshold=0.6).add(DOCS[100:])
    assert answer(idx) == answer(dedup.index(DOCS, threshold=0.6))


def test_remove_equals_building_without_them():
    docs = with_ids(DOCS)
    drop = {f"d{k}" for k in range(0, len(docs), 3)}
    idx = dedup.index(docs, threshold=0.6).remove(sorted(drop))
    assert answer(idx) == answer(dedup.index([d for d in docs if d[0] not in drop], threshold=0.6))
    with pytest.raises(KeyError, match="'d0' is not in the index"):
        idx.remove("d0")


def test_add_refuses_known_ids_and_settings_travel_with_the_index():
    idx = dedup.index(with_ids(DOCS[:10]))
    with pytest.raises(ValueError, match="'d3' is already in the index"):
        idx.add([("d3", "x")])
    # The index's settings are the only ones: add/query take none of their own.
    for call in (lambda: idx.add([("new", "x")], ngram=3), lambda: idx.query("text", seed=1),
                 lambda: idx.query_many(["x"], num_perm=64)):
        with pytest.raises(TypeError, match="unexpected keyword argument"):
            call()
    idx.add([("new", "x")])
    assert idx.config.ngram == 5 and len(idx) == 11


def test_priority_policy_needs_priorities_on_add():
    idx = dedup.index({"a": "x y z", "b": "x y z"}, keep={"a": 1, "b": 2})
    assert idx.duplicates() == ["a"]
    with pytest.raises(ValueError, match="pass priority="):
        idx.add({"c": "x y z"})
    idx.add({"c": "x y z"}, priority=[5])
    assert idx.duplicates() == ["a", "b"]


def test_query_many_equals_query():
    idx = dedup.index(DOCS[:150], threshold=0.6)
    qs = DOCS[150:]
    assert idx.query_many(qs) == [idx.query(q) for q in qs]
    assert any(idx.query_many(qs))


def test_filter_new_judges_in_order_like_one_at_a_time():
    old, new = DOCS[:100], DOCS[100:]
    idx = dedup.index(old, threshold=0.6)
    got = [t for _, t in idx.filter_new(new)]
    # Reference: query and add one document at a time.
    ref = dedup.index(old, threshold=0.6)
    want = []
    for t in new:
        if not ref.query(t):
            want.append(t)
            ref.add([t])
    assert got == want
    assert 0 < len(got) < len(new)
    assert answer(idx) == answer(ref)
    # add=False leaves the index as it was.
    before = answer(idx)
    assert list(idx.filter_new(["a brand new text that matches nothing here at all"], add=False))
    assert answer(idx) == before


# ---------------------------------------------------------------- save / load
def test_round_trip_gives_the_same_answers(tmp_path):
    idx = dedup.index(with_ids(DOCS), threshold=0.6)
    idx.save(tmp_path / "idx")
    back = dedup.load(tmp_path / "idx")
    assert answer(back) == answer(idx)
    assert back.config == idx.config
    assert back.query(DOCS[5]) == idx.query(DOCS[5])
    assert isinstance(back.shingle_arrays()[1], np.memmap)  # opened memory-mapped
    back.add([("extra", DOCS[5])])  # a loaded index can grow
    assert ("d5", "extra", 1.0) in back.pairs()
    int_ids = dedup.index(DOCS, threshold=0.6)
    int_ids.save(tmp_path / "ints")
    assert answer(dedup.load(tmp_path / "ints", verify=False)) == answer(int_ids)


def test_saving_again_replaces_and_cleans_up(tmp_path):
    p = tmp_path / "idx"
    dedup.index(DOCS[:50]).save(p)
    dedup.index(DOCS).save(p)
    assert len(dedup.load(p)) == len(DOCS)
    assert sorted(x.name for x in p.iterdir()) == ["CURRENT", "LOCK", "gen-000002"]
    (p / ".CURRENT.tmp-99999").write_text("gen-000009\n")  # left by a save killed before its rename
    dedup.index(DOCS[:20]).save(p)
    assert sorted(x.name for x in p.iterdir()) == ["CURRENT", "LOCK", "gen-000003"]


def test_unsavable_ids_and_non_index_directories(tmp_path):
    with pytest.raises(TypeError, match="all be str or all be int"):
        dedup.index([(("a", 1), "x")]).save(tmp_path / "t")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(ValueError, match="not an index directory"):
        dedup.index(["x"]).save(tmp_path / "notes")
    assert (tmp_path / "notes" / "todo.txt").read_text() == "mine"


def test_no_pickle_anywhere(tmp_path):
    dedup.index(with_ids(DOCS)).save(tmp_path / "idx")
    gen = next((tmp_path / "idx").glob("gen-*"))
    for f in gen.glob("*.npy"):
        np.load(f, allow_pickle=False)  # raises if any array needed pickle
        assert b"pickle" not in f.read_bytes()[:128].lower()
    assert {f.suffix for f in gen.iterdir()} == {".npy", ".json"}


def _saved(tmp_path):
    p = tmp_path / "idx"
    dedup.index(with_ids(DOCS), threshold=0.6).save(p)
    return p, next(p.glob("gen-*"))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda gen: (gen / "values.npy").write_bytes((gen / "values.npy").read_bytes()[:-100]), "values.npy"),
        (lambda gen: (gen / "indptr.npy").unlink(), r"indptr.npy: missing"),
        (lambda gen: (gen / "manifest.json").write_text("{not json"), "manifest.json: not valid JSON"),
        (lambda gen: _edit_manifest(gen, version=99), "format version 99"),
        (lambda gen: _edit_manifest(gen, format="other"), "not a near-dups index manifest"),
        (lambda gen: _flip_byte(gen / "values.npy"), "values.npy: checksum mismatch"),
        (lambda gen: _flip_byte(gen / "order.npy"), "order.npy: checksum mismatch"),
        (lambda gen: (gen.parent / "CURRENT").unlink(), "no CURRENT file"),
        (lambda gen: (gen.parent / "CURRENT").write_text("../../etc"), "not a generation"),
    ],
)
def test_damaged_index_fails_with_the_file_named(tmp_path, damage, message):
    p, gen = _saved(tmp_path)
    damage(gen)
    with pytest.raises(dedup.IndexFormatError, match=message):
        dedup.load(p)


def test_out_of_range_offsets_are_caught_even_with_matching_checksums(tmp_path):
    """Corruption that keeps dtype and shape, and whose checksum was made to match, must not
    reach a kernel: load() checks the values every kernel relies on."""
    p, gen = _saved(tmp_path)
    order = np.load(gen / "order.npy")
    order[0, 0] = 10**9
    np.save(gen / "order.npy", order)
    m = json.loads((gen / "manifest.json").read_text())
    m["arrays"]["order"]["xxh3"] = dedup._storage._store._checksum(gen / "order.npy")
    m["manifest_xxh3"] = dedup._storage._store._manifest_checksum(m)
    (gen / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(dedup.IndexFormatError, match="order.npy: columns out of range"):
        dedup.load(p)


def test_load_without_verify_reads_no_array(tmp_path):
    """verify=False checks the manifest and the arrays' headers only, so opening takes the same time
    whatever the index's size: scrambled array contents (headers intact) go unnoticed by it, while
    the default load catches them. Ids are read when asked for."""
    idx = dedup.index(with_ids(DOCS))
    p = idx.save(tmp_path / "i.idx")
    gen = next(g for g in p.iterdir() if g.name.startswith("gen-"))
    for name in ("values.npy", "order.npy", "rep.npy", "sorted_keys.npy"):
        data = bytearray((gen / name).read_bytes())
        data[128:] = bytes(len(data) - 128)  # zero everything after the header
        (gen / name).write_bytes(bytes(data))
    loaded = dedup.load(p, verify=False)
    assert len(loaded) == len(idx)
    with pytest.raises(dedup.IndexFormatError):
        dedup.load(p)


def _edit_manifest(gen, **changes):
    m = json.loads((gen / "manifest.json").read_text())
    m.update(changes)
    (gen / "manifest.json").write_text(json.dumps(m))


def _flip_byte(path: pathlib.Path):
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


SAVER = """
import dedup
from tests.support.planted import planted_corpus
big = dedup.index(planted_corpus(n_base=3000, n_copies=3000, words=400, seed=1))
print("ready", flush=True)
while True:
    big.save({path!r})
"""


@pytest.mark.parametrize("delay", [0.05, 0.2, 0.5])
def test_a_save_killed_midway_leaves_an_index_that_loads(tmp_path, delay):
    p = tmp_path / "idx"
    small = dedup.index(with_ids(DOCS), threshold=0.6)
    small.save(p)
    proc = subprocess.Popen([sys.executable, "-c", SAVER.format(path=str(p))],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    back = dedup.load(p)  # either the old index or a completely saved new one
    assert len(back) in (len(DOCS), 6000)
    if len(back) == len(DOCS):
        assert answer(back) == answer(small)
    dedup.index(["after the crash"]).save(p)  # and the directory can be saved to again
    assert len(dedup.load(p)) == 1


def test_hot_kernels_have_one_compiled_version_for_memory_and_mapped_arrays(tmp_path):
    """The explicit signatures (dedup/_core/_types.py, applied by ``fixed``) take read-only arrays, so querying a
    memory-mapped index runs the same compiled kernels as an index in memory: no second compile on first query."""
    from dedup._verify import _jaccard
    from dedup._sketch import _minhash
    from dedup._text import _shingle

    idx = dedup.index(with_ids(DOCS[:20]))
    idx.query(DOCS[3])
    loaded = dedup.load(idx.save(tmp_path / "i.idx"))
    assert not loaded.shingle_arrays()[1].flags.writeable  # memory-mapped, read-only
    assert loaded.query(DOCS[3]) == idx.query(DOCS[3])
    loaded.add([("new", DOCS[4] + " more words here")])
    for kernel in (_jaccard._jaccard_cross, _minhash._band_keys_into, _shingle._fill):
        assert len(kernel.signatures) == 1, kernel
