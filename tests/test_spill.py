"""A memory budget: past it, the index's arrays go to disk, with the same answers."""

from __future__ import annotations

import gc
import os
import pathlib

import numpy as np
import pytest

import dedup
from dedup._core import _spill

from tests.support import ROOT
from tests.support.planted import planted_corpus

DOCS = planted_corpus(n_base=200, n_copies=150, seed=21) + ["😀🎉", "😀🎉", " ", ""]


def answers(idx):
    return (idx.pairs(), idx.clusters(), idx.duplicates(), idx.labels().tolist(), idx.keep_mask().tolist())


@pytest.mark.parametrize("threshold", [0.5, 0.8])
def test_spilled_index_gives_the_in_memory_answers(tmp_path, threshold):
    want = dedup.index(DOCS, threshold=threshold)
    got = dedup.index(DOCS, threshold=threshold, memory="1KB", workdir=tmp_path)
    assert got.stats["spilled"] and got.stats["disk"] > 0 and not want.stats.get("spilled")
    assert isinstance(got.shingle_arrays()[1], np.memmap)  # the shingles live in a file
    assert answers(got) == answers(want)
    assert got.query_many(DOCS[:30]) == want.query_many(DOCS[:30])
    assert got.filter_new(DOCS[100:140], add=False) == want.filter_new(DOCS[100:140], add=False)


def test_a_generator_is_read_in_chunks_and_gives_the_same_answers(tmp_path, monkeypatch):
    from dedup._indexing import _pipeline

    monkeypatch.setattr(_pipeline, "BATCH_CHARS", 5000)  # many chunks
    seen = []

    def stream():
        for k, t in enumerate(DOCS):
            seen.append(k)
            yield (f"d{k}", t)

    got = dedup.index(stream(), memory="64KB", workdir=tmp_path, threshold=0.6)
    want = dedup.index([(f"d{k}", t) for k, t in enumerate(DOCS)], threshold=0.6)
    assert seen == list(range(len(DOCS)))  # read once, in order
    assert answers(got) == answers(want) and got.ids == want.ids
    plain = dedup.index(iter(DOCS), threshold=0.6)  # in memory: within the default budget
    assert plain.pairs() == dedup.index(DOCS, threshold=0.6).pairs()


def test_the_work_directory_goes_with_the_index_unless_kept(tmp_path):
    idx = dedup.index(DOCS, memory="1KB", workdir=tmp_path)
    work = idx.stats["workdir"]
    assert work.exists() and any(work.iterdir())
    del idx
    gc.collect()
    assert not work.exists()
    kept = dedup.index(DOCS, memory="1KB", workdir=tmp_path, keep_workdir=True)
    work = kept.stats["workdir"]
    del kept
    gc.collect()
    assert work.exists() and (work / "values.npy").exists()


def test_save_links_spilled_files_and_the_saved_index_is_the_same(tmp_path):
    idx = dedup.index(DOCS, memory="1KB", workdir=tmp_path / "work", threshold=0.6)
    out = idx.save(tmp_path / "i.idx")
    gen = next(p for p in out.iterdir() if p.name.startswith("gen-"))
    values = gen / "values.npy"
    assert os.stat(values).st_nlink == 2  # the spill file itself, linked in
    inode = os.stat(values).st_ino
    back = dedup.load(out)
    assert answers(back) == answers(idx)
    back.save(out)  # unchanged arrays of a loaded index are linked again, not rewritten
    gen2 = next(p for p in out.iterdir() if p.name.startswith("gen-"))
    assert gen2 != gen and os.stat(gen2 / "values.npy").st_ino == inode
    assert answers(dedup.load(out)) == answers(idx)


def test_add_and_remove_on_a_spilled_index(tmp_path):
    idx = dedup.index(DOCS[:200], memory="1KB", workdir=tmp_path, threshold=0.6)
    idx.add(DOCS[200:])
    want = dedup.index(DOCS, threshold=0.6)
    assert answers(idx) == answers(want)
    idx.remove([0, 5])
    assert idx.pairs() == dedup.index([(k, t) for k, t in enumerate(DOCS) if k not in (0, 5)], threshold=0.6).pairs()


@pytest.mark.parametrize("value,want", [("2GB", 2 << 30), ("1.5G", int(1.5 * (1 << 30))), ("512mb", 512 << 20),
                                        (1000, 1000), ("32 MiB", 32 << 20)])
def test_sizes_parse(value, want):
    assert _spill.parse_size(value) == want


@pytest.mark.parametrize("value", ["lots", "-1GB", "0", "2XB", True, 1.5])
def test_bad_sizes_say_what_is_expected(value):
    with pytest.raises((ValueError, TypeError), match="memory must be"):
        _spill.parse_size(value)


def test_big_buckets_on_a_spilled_index(tmp_path, monkeypatch):
    """Big buckets connect from rows read out of the spilled shingle file: same answers."""
    from dedup._indexing import _pipeline

    want = dedup.index(DOCS, threshold=0.5)
    monkeypatch.setattr(_pipeline, "BIG_BUCKET", 2)
    got = dedup.index(DOCS, threshold=0.5, memory="1KB", workdir=tmp_path)
    assert got.stats["spilled"] and answers(got) == answers(want)
    inc = dedup.index(DOCS[:250], threshold=0.5, memory="1KB", workdir=tmp_path)
    inc.add(DOCS[250:])
    assert answers(inc) == answers(want)


@pytest.mark.parametrize("gap", [0, 64, 1 << 20])
def test_rows_read_from_the_file_equal_the_mapped_ones(tmp_path, monkeypatch, gap):
    monkeypatch.setattr(_spill, "GAP", gap)  # one read per row, a few, or one for all
    rng = np.random.default_rng(2)
    sizes = rng.integers(0, 9, size=300)
    indptr = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    path = tmp_path / "v.npy"
    np.save(path, rng.integers(0, 2**63, size=int(indptr[-1]), dtype=np.uint64))
    values = np.load(path, mmap_mode="r")
    rows = np.unique(rng.integers(0, 300, size=120))
    ptr, vals = _spill.gather_rows(indptr, values, rows)
    for k, r in enumerate(rows.tolist()):
        assert vals[ptr[k]:ptr[k + 1]].tolist() == values[indptr[r]:indptr[r + 1]].tolist()


@pytest.mark.parametrize("change", ["add", "filter_new", "remove"])
def test_an_add_or_remove_that_cannot_fit_is_refused_before_anything_changes(tmp_path, monkeypatch, change):
    """An index in RAM is one segment: add/remove copy its arrays. Past the RAM available that is refused at
    once with the sizes, not an out-of-memory kill, and the index (in memory and saved) is left as it was."""
    idx = dedup.index(DOCS[:200], threshold=0.6)
    idx.save(tmp_path / "saved")
    before = answers(idx)
    need = idx._f.values.nbytes + idx._f.keys.nbytes
    monkeypatch.setattr(_spill, "available_memory", lambda: need)  # less than the merge needs
    with pytest.raises(MemoryError, match=r"of 200 documents makes new copies of its arrays in memory: about "
                                          r"[0-9.]+ [KMG]?i?B, and [0-9.]+ [KMG]?i?B of RAM are available, so nothing was changed"):
        if change == "add":
            idx.add(DOCS[200:])
        elif change == "filter_new":
            idx.filter_new(DOCS[200:])
        else:
            idx.remove([0, 5])
    assert len(idx) == 200 and answers(idx) == before
    assert answers(dedup.load(tmp_path / "saved")) == before
    monkeypatch.setattr(_spill, "available_memory", lambda: 64 << 30)  # with room, the same call works
    idx.add(DOCS[200:])
    assert answers(idx) == answers(dedup.index(DOCS, threshold=0.6))


@pytest.mark.parametrize("how", ["spilled", "loaded"])
def test_an_add_to_an_index_on_disk_needs_no_room_for_a_copy(tmp_path, monkeypatch, how):
    """An index on disk (spilled, or loaded) takes a batch as a new segment and is rewritten out of core by a
    removal: no copy of its arrays in RAM, so no refusal, and the answers of a batch build."""
    batch = dedup.index(DOCS[:250], threshold=0.6)
    batch.filter_new(DOCS[250:])
    gone = [batch.ids[k] for k in (0, 5, 210, len(batch) - 1)]
    want, want_after = answers(batch), answers(batch.remove(gone))
    idx = dedup.index(DOCS[:200], memory="1KB", workdir=tmp_path / "w", threshold=0.6)
    if how == "loaded":
        idx.save(tmp_path / "saved")
        idx = dedup.load(tmp_path / "saved")
    monkeypatch.setattr(_spill, "available_memory", lambda: 1024)
    idx.add(DOCS[200:250])
    idx.filter_new(DOCS[250:])
    assert idx.segments == 3
    assert answers(idx) == want
    idx.remove(gone, memory="1KB", workdir=tmp_path / "w2")
    assert idx.segments == 1 and _spill.is_mapped(idx._f.values)  # rewritten out of core
    assert answers(idx) == want_after
    idx.save(tmp_path / "again")
    assert answers(dedup.load(tmp_path / "again")) == want_after


def test_the_cli_adds_to_and_removes_from_an_index_with_no_room_for_a_copy(tmp_path, monkeypatch, capsys):
    from dedup import cli

    (tmp_path / "old.jsonl").write_text("".join(f'{{"id": "o{k}", "text": "{t}"}}\n' for k, t in enumerate(DOCS[:100])))
    (tmp_path / "new.jsonl").write_text("".join(f'{{"id": "n{k}", "text": "{t}"}}\n' for k, t in enumerate(DOCS[100:300])))
    assert cli.main(["index", "build", str(tmp_path / "old.jsonl"), "-o", str(tmp_path / "idx"), "-q"]) == 0
    monkeypatch.setattr(_spill, "available_memory", lambda: 1024)
    # an add appends a segment, a removal rewrites the index out of core: neither copies it in RAM
    assert cli.main(["index", "add", str(tmp_path / "idx"), str(tmp_path / "new.jsonl"), "-q"]) == 0
    assert dedup.load(tmp_path / "idx").segments == 2
    assert cli.main(["index", "remove", str(tmp_path / "idx"), "o1", "n7", "-q"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    kept = [(f"o{k}", t) for k, t in enumerate(DOCS[:100]) if k != 1] + [
        (f"n{k}", t) for k, t in enumerate(DOCS[100:300]) if k != 7]
    idx = dedup.load(tmp_path / "idx")
    assert idx.segments == 1 and idx.ids == [i for i, _ in kept]
    assert idx.pairs() == dedup.index(kept).pairs()


@pytest.mark.skipif(_spill._owner() is None, reason="process start times are read from /proc (Linux)")
def test_a_killed_runs_work_directory_is_removed_by_the_next_run_and_nothing_else(tmp_path):
    """A run that is killed cannot remove its work directory; the next one in the same place does, and says so.
    Kept directories, live runs' and other hosts' are left alone."""
    import signal
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", f"""
import dedup, time
from tests.support.planted import planted_corpus
idx = dedup.index(planted_corpus(n_base=200, n_copies=150, seed=21), memory="1KB", workdir={str(tmp_path)!r})
print(idx.stats["workdir"], flush=True)
time.sleep(600)
"""], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    killed = pathlib.Path(child.stdout.readline().strip())
    live = dedup.index(DOCS, memory="1KB", workdir=tmp_path)  # a live run's directory
    kept = dedup.index(DOCS, memory="1KB", workdir=tmp_path, keep_workdir=True)
    kept_dir = kept.stats["workdir"]
    del kept
    gc.collect()
    other = tmp_path / (_spill.PREFIX + "elsewhere")
    other.mkdir()
    (other / _spill.OWNER).write_text(f"another-host {os.getpid() + 10**6} 1")
    (tmp_path / (_spill.PREFIX + "unowned")).mkdir()
    assert killed.is_dir() and (killed / "values.npy").exists()
    child.send_signal(signal.SIGKILL)
    child.wait()
    nxt = dedup.index(DOCS, memory="1KB", workdir=tmp_path)
    assert nxt.stats["swept"] == [str(killed)] and not killed.exists()
    assert live.stats["workdir"].is_dir() and pathlib.Path(kept_dir).is_dir() and other.is_dir()
    assert (tmp_path / (_spill.PREFIX + "unowned")).is_dir()
    assert answers(nxt) == answers(live)


def test_prefetch_keeps_order_raises_in_place_and_stops_when_left():
    import threading

    from dedup._indexing._stream import prefetch

    assert list(prefetch(iter(range(1000)))) == list(range(1000))

    def failing():
        yield 1
        yield 2
        raise ValueError("line 3 is bad")

    got = []
    with pytest.raises(ValueError, match="line 3 is bad"):
        for x in prefetch(failing()):
            got.append(x)
    assert got == [1, 2]  # what came before the error, in order, then the error itself

    pulled = []

    def endless():
        k = 0
        while True:
            pulled.append(k)
            yield k
            k += 1

    p = prefetch(endless())
    for x in p:
        if x == 3:
            break
    p.close()
    n = len(pulled)
    assert n <= 6, "the reader runs at most a chunk or two ahead"
    assert not any(t.name == "near-dups-read" and t.is_alive() for t in threading.enumerate())
    assert len(pulled) == n


def test_a_failing_generator_stops_the_index_with_its_own_error(tmp_path):
    def docs():
        yield from DOCS[:100]
        raise RuntimeError("the source went away")

    with pytest.raises(RuntimeError, match="the source went away"):
        dedup.index(docs(), memory="1KB", workdir=tmp_path)
    assert not any(tmp_path.iterdir()), "its work directory is removed"


def test_candidates_from_mapped_bands_span_by_span(tmp_path, monkeypatch):
    """Spilled sorted bands are paired a span of places at a time (their pages unmapped between spans):
    the same candidates, so the same pairs, whatever the span."""
    from dedup._indexing import _pipeline

    want = dedup.index(DOCS, threshold=0.6).pairs()
    for span in (1, 7, 1000):
        monkeypatch.setattr(_pipeline, "MAPPED_SPAN", span)
        idx = dedup.index(DOCS, memory="1KB", workdir=tmp_path / f"w{span}", threshold=0.6)
        assert idx.stats["spilled"] and _spill.is_mapped(idx._b.order)
        assert idx.pairs() == want


@pytest.mark.parametrize("ram", [1 << 30, 64])
def test_budget_stacks_spools_into_one_array_in_ram_or_mapped(tmp_path, ram):
    """``Budget.stack``: equal-length spools as the rows of one array, the same in RAM and on disk; on
    disk one mapped file that ``unmap`` knows of, the spools' own files removed."""
    rng = np.random.default_rng(5)
    rows = [rng.integers(0, 2**63, size=40, dtype=np.uint64) for _ in range(3)]
    with _spill.Budget(ram, tmp_path) as budget:
        spools = [_spill.Spool(budget, f"row-{b}", np.uint64) for b in range(3)]
        for s, row in zip(spools, rows):
            s.append(row[:25])
            s.append(row[25:])
        got = budget.stack("rows", spools, 40, np.uint64)
        assert got.shape == (3, 40) and got.tolist() == np.stack(rows).tolist()
        assert _spill.is_mapped(got) == budget.spilled == (ram == 64)
        if budget.spilled:
            assert sorted(p.name for p in budget.path.glob("*.npy")) == ["rows.npy"]
            assert [a is got for a in budget.mapped] == [True]
        empty = budget.stack("none", [], 7, np.uint64)
        assert empty.shape == (0, 7) and empty.dtype == np.uint64


@pytest.mark.parametrize("behind", [1, 1 << 26])
def test_spools_on_disk_hold_every_chunk_in_order_whatever_the_writer_lags(tmp_path, monkeypatch, behind):
    """Chunks appended after the spill go through the writer's thread (``_Writer``), at most ``BEHIND`` bytes
    behind: each spool's file holds its chunks in order, whatever the lag and however the spools interleave."""
    monkeypatch.setattr(_spill, "BEHIND", behind)
    rng = np.random.default_rng(9)
    with _spill.Budget(64, tmp_path) as budget:
        spools = [_spill.Spool(budget, f"s{k}", dt) for k, dt in enumerate((np.uint64, np.int32, np.float64))]
        want = [[], [], []]
        for _ in range(40):
            k = int(rng.integers(0, 3))
            chunk = rng.integers(0, 1000, size=int(rng.integers(0, 300))).astype(spools[k].dtype)
            spools[k].append(chunk)
            want[k].append(chunk)
        assert budget.spilled
        for s, w in zip(spools, want):
            got = s.finish()
            assert _spill.is_mapped(got) and got.tolist() == np.concatenate(w).tolist()


def test_a_failed_write_on_the_writers_thread_is_raised_by_the_next_append_or_finish(tmp_path, monkeypatch):
    import errno

    real = _spill._write
    calls = []

    def full(f, buf):
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(f, buf)

    monkeypatch.setattr(_spill, "_write", full)
    with _spill.Budget(8, tmp_path) as budget:
        s = _spill.Spool(budget, "x", np.int64)
        with pytest.raises(OSError) as e:
            for k in range(10):
                s.append(np.arange(k * 4, k * 4 + 4))
            s.finish()
        assert e.value.errno == errno.ENOSPC
    assert not any(tmp_path.iterdir()), "the work directory goes with the budget"


@pytest.mark.parametrize("how", ["copy_file_range", "buffered", "copy_file_range fails"])
def test_stacked_files_are_copied_whole_in_the_kernel_or_through_a_buffer(tmp_path, monkeypatch, how):
    if how == "buffered":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    elif how == "copy_file_range fails":
        real = getattr(os, "copy_file_range", None)
        if real is None:
            pytest.skip("no os.copy_file_range here")
        done = []

        def half(src, dst, count, offset_src=None, offset_dst=None):  # copies some, then fails: all written again
            if done:
                raise OSError(18, "Invalid cross-device link")
            done.append(1)
            return real(src, dst, max(1, count // 2), offset_src, offset_dst)

        monkeypatch.setattr(os, "copy_file_range", half)
    rng = np.random.default_rng(2)
    rows = [rng.integers(0, 2**63, size=5000, dtype=np.uint64) for _ in range(3)]
    with _spill.Budget(64, tmp_path) as budget:
        spools = [_spill.Spool(budget, f"row-{b}", np.uint64) for b in range(3)]
        for s, row in zip(spools, rows):
            s.append(row[:1000])
            s.append(row[1000:])
        got = budget.stack("rows", spools, 5000, np.uint64)
        assert got.tolist() == np.stack(rows).tolist()
        assert os.path.getsize(budget.file("rows")) == _spill.HEADER + 3 * 5000 * 8


def test_the_writers_thread_ends_when_idle_and_the_next_write_starts_another(tmp_path, monkeypatch):
    """A budget left open (a ``Collapsing`` never exhausted) keeps no thread: it ends after ``IDLE`` seconds."""
    import time

    monkeypatch.setattr(_spill, "IDLE", 0.05)
    with _spill.Budget(8, tmp_path) as budget:
        s = _spill.Spool(budget, "x", np.int64)
        s.append(np.arange(4))  # spills: the chunk goes to the writer
        first = budget.writer.thread
        assert first is not None
        budget.writer.drain()
        for _ in range(100):
            if budget.writer.thread is None:
                break
            time.sleep(0.01)
        assert budget.writer.thread is None and not first.is_alive()
        s.append(np.arange(4, 9))
        assert budget.writer.thread is not None
        assert s.finish().tolist() == list(range(9))
    assert budget.writer.thread is None
