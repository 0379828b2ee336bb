"""The CLI reads its input as a stream: batches handed to the index as they are read, texts not kept.

``find``, ``dedup``, ``index build`` and ``index query`` read through
``dedup.cli._io._stream.Stream``. These tests force many small batches and a
tiny ``--memory`` (so the index spills to a work directory) and check that
every output is byte for byte the one of a run that keeps everything in
memory, on every input kind; that what is written back comes from a second
pass over the input; and that reading keeps no text.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import tracemalloc

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedup
from dedup import cli
from dedup.cli._io import _stream
from dedup.cli._io._sources import find_sources

from tests.support.planted import planted_corpus

DOCS = planted_corpus(n_base=60, n_copies=40, words=60, seed=3)
IDS = [f"doc-{i:03d}" for i in range(len(DOCS))]


def _write(kind: str, folder) -> str:
    """The planted corpus as one input of ``kind``; its path."""
    rows = [{"id": i, "text": t, "n": k} for k, (i, t) in enumerate(zip(IDS, DOCS))]
    if kind == "folder":
        d = folder / "docs"
        d.mkdir()
        for i, t in zip(IDS, DOCS):
            (d / f"{i}.txt").write_text(t, encoding="utf-8")
        return str(d)
    if kind in ("jsonl", "jsonl.gz", "stdin"):
        data = "".join(json.dumps(r) + "\n" for r in rows).encode()
        path = folder / ("in.jsonl.gz" if kind == "jsonl.gz" else "in.jsonl")
        path.write_bytes(gzip.compress(data) if kind == "jsonl.gz" else data)
        return str(path)
    if kind == "csv":
        path = folder / "in.csv"
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, ["id", "text", "n"])
            w.writeheader()
            w.writerows(rows)
        return str(path)
    if kind == "parquet":
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        path = folder / "in.parquet"
        pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=16)  # several row groups
        return str(path)
    raise AssertionError(kind)


def _call(argv, capsys, stdin_path=None, monkeypatch=None):
    if stdin_path is not None:
        monkeypatch.setattr("sys.stdin", open(stdin_path, encoding="utf-8"))
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err, err
    return code, out, err


def _files(folder) -> dict:
    """Every file under ``folder`` (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


KINDS = ["jsonl", "jsonl.gz", "csv", "parquet", "folder", "stdin"]


def _outputs(kind, src, out, capsys, monkeypatch, extra) -> dict:
    """What find, dedup, index build and index query write for input ``src``, with ``extra`` options."""
    stdin = kind == "stdin"
    arg = "-" if stdin else src
    got = {}
    for fmt in ("jsonl", "text", "csv"):
        got[f"find.{fmt}"] = _call(["find", arg, "--format", fmt, "--threshold", "0.6", "-q", *extra], capsys,
                                   src if stdin else None, monkeypatch)[:2]
    out.mkdir()
    if not stdin:
        dest = out / ("dd" if kind == "folder" else "dd" + os.path.basename(src)[2:])
        code = _call(["dedup", arg, "-o", dest, "--threshold", "0.6", "--report", out / "report.jsonl", "-q",
                      *extra], capsys, None, monkeypatch)[0]
        got["dedup"] = (code, _files(out))
    code = _call(["index", "build", arg, "-o", out / "idx", "--threshold", "0.6", "-q", *extra], capsys,
                 src if stdin else None, monkeypatch)[0]
    got["index.pairs"] = (code, dedup.load(out / "idx").pairs())
    got["index.query"] = _call(["index", "query", out / "idx", arg, "--format", "jsonl", "-q"], capsys,
                               src if stdin else None, monkeypatch)[:2]
    return got


@pytest.mark.parametrize("kind", KINDS)
def test_streamed_and_spilled_outputs_equal_the_in_memory_ones(kind, tmp_path, capsys, monkeypatch):
    src = _write(kind, tmp_path)
    whole = _outputs(kind, src, tmp_path / "whole", capsys, monkeypatch, [])  # one batch, in RAM
    monkeypatch.setattr(_stream, "BATCH_DOCS", 7)  # 15 batches, and a parquet row group split across them
    spilled = _outputs(kind, src, tmp_path / "spilled", capsys, monkeypatch,
                       ["--memory", "1K", "--workdir", tmp_path / "work"])
    assert sorted(whole) == sorted(spilled)
    for k in whole:
        assert spilled[k] == whole[k], f"{kind}: {k} differs when streamed in batches and spilled"
    assert not any((tmp_path / "work").iterdir()), "the work directory is removed at the end"
    # ... and they are the API's answers on the same documents.
    clusters = [json.loads(line) for line in whole["find.jsonl"][1].splitlines()]
    api = dedup.index(DOCS, threshold=0.6).clusters()
    ids = IDS if kind != "folder" else [os.path.join(src, f"{i}.txt") for i in IDS]
    by_name = {k: n for n, k in enumerate(ids)}
    assert sorted(sorted(by_name[i] for i in c["ids"]) for c in clusters) == sorted(map(sorted, api))


def test_text_output_quotes_the_texts_read_in_a_second_pass(tmp_path, capsys, monkeypatch):
    src = _write("jsonl", tmp_path)
    monkeypatch.setattr(_stream, "BATCH_DOCS", 5)
    code, out, _ = _call(["find", src, "--threshold", "0.6", "--memory", "1K", "--workdir", tmp_path], capsys)
    first = dedup.index(DOCS, threshold=0.6).clusters()[0]
    excerpt = " ".join(DOCS[first[0]].split()[:6])
    assert IDS[first[0]] in out and excerpt in out


def test_dedup_writes_the_kept_records_verbatim_from_a_second_pass(tmp_path, capsys, monkeypatch):
    src = _write("jsonl", tmp_path)
    monkeypatch.setattr(_stream, "BATCH_DOCS", 4)
    _call(["dedup", src, "-o", tmp_path / "out.jsonl", "--threshold", "0.6", "--memory", "1K", "--workdir",
           tmp_path, "-q"], capsys)
    keep = dedup.index(DOCS, threshold=0.6).keep_mask()
    lines = open(src, encoding="utf-8").read().splitlines(keepends=True)
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == "".join(l for l, k in zip(lines, keep) if k)
    dropped = [json.loads(l)["id"] for l in (tmp_path / "out.dropped.jsonl").read_text().splitlines()]
    assert sorted(dropped) == [i for i, k in zip(IDS, keep) if not k]


def _stream_of(paths, **kw) -> _stream.Stream:
    return _stream.Stream(paths, find_sources(paths, warn=lambda m: None), **kw)


def test_reading_keeps_no_text(tmp_path, monkeypatch):
    """40 MB of text read in batches of 1 MB: the stream's peak allocation stays near one batch."""
    monkeypatch.setattr(_stream, "BATCH_CHARS", 1 << 20)
    monkeypatch.chdir(tmp_path)
    path = "big.jsonl"
    word = "lorem ipsum dolor sit amet consectetur " * 50  # 2,000 characters
    with open(path, "w") as f:
        for i in range(20_000):
            f.write(json.dumps({"text": f"{i} {word}"}) + "\n")
    s = _stream_of([path])
    tracemalloc.start()
    n = sum(len(b) for b in s.batches())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == len(s) == 20_000
    assert peak < 12 << 20, f"reading 40 MB peaked at {peak / 2**20:.1f} MiB: texts are being kept"
    assert s.ids[123] == "big.jsonl:124" and s.where(123) == "big.jsonl:124"


def test_a_source_changed_before_the_second_pass_is_an_error(tmp_path):
    src = _write("jsonl", tmp_path)
    s = _stream_of([src])
    for _ in s.batches():
        pass
    assert s.texts_at([3, 50]) == {3: DOCS[3], 50: DOCS[50]}
    with open(src, "a") as f:
        f.write(json.dumps({"id": "late", "text": "appended"}) + "\n")
    with pytest.raises(dedup.cli._io._errors.InputError, match="changed while near-dups was running"):
        s.texts_at([3])


@pytest.mark.parametrize("skip", [False, True])
def test_a_repeated_id_in_a_later_batch_is_found(tmp_path, capsys, monkeypatch, skip):
    rows = [{"id": i, "text": t} for i, t in zip(IDS, DOCS)]
    rows.insert(70, {"id": IDS[2], "text": "another text under a used id"})
    monkeypatch.chdir(tmp_path)
    path = "dup.jsonl"
    with open(path, "w") as f:
        f.write("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(_stream, "BATCH_DOCS", 8)
    code, out, err = _call(["find", path, "--format", "jsonl", *(["--skip-errors"] if skip else [])], capsys)
    msg = "dup.jsonl:71: duplicate id 'doc-002', first used at dup.jsonl:3"
    assert msg in err
    assert code == (0 if skip else 2)
    assert len([l for l in err.splitlines() if "duplicate id" in l]) == 1


def test_a_workdir_without_room_is_refused_before_reading(tmp_path, capsys, monkeypatch):
    """The space the work files need is estimated from the input's size before anything is read."""
    import shutil

    src = _write("jsonl", tmp_path)
    work = tmp_path / "work"
    real = shutil.disk_usage
    monkeypatch.setattr(shutil, "disk_usage", lambda p: real(p)._replace(free=1000))
    code, out, err = _call(["find", src, "--memory", "1K", "--workdir", work], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"near-dups: error: {work}: not enough space for the work files: about ")
    assert re.search(r"about [0-9.]+ KiB are needed for [0-9.]+ KiB of text beyond --memory 1K, and 1000 B are free "
                     r"\(--workdir DIR puts them on a disk with room; a larger --memory keeps more in RAM\)$", err)
    assert err.count("\n") == 1
    assert not work.exists() or not any(work.iterdir())


def _disk_full_after_some_spill(monkeypatch) -> None:
    """The work files' writes fail with ENOSPC after three of them (on the thread that writes them, raised by
    the next append or the end of the spool)."""
    import errno

    from dedup._core import _spill

    calls = []
    write = _spill._write

    def full(f, buf):
        if len(calls) > 3:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        calls.append(1)
        return write(f, buf)

    monkeypatch.setattr(_spill, "_write", full)


def test_a_full_disk_while_spilling_is_one_message_and_leaves_no_work_files(tmp_path, capsys, monkeypatch):
    src = _write("jsonl", tmp_path)
    work = tmp_path / "work"
    _disk_full_after_some_spill(monkeypatch)
    monkeypatch.setattr(_stream, "BATCH_DOCS", 7)
    code, out, err = _call(["find", src, "--memory", "1K", "--workdir", work], capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"near-dups: error: {work}: No space left on device (ENOSPC) while writing the work "
                          "files; ") and "the work files were removed" in err
    assert err.count("\n") == 1
    assert not any(work.iterdir()), "the spilled files are removed"


def test_the_cli_says_it_removed_a_killed_runs_work_directory(tmp_path, capsys):
    import socket
    import subprocess
    import sys

    from dedup._core import _spill

    if _spill._owner() is None:
        pytest.skip("process start times are read from /proc (Linux)")
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / "work" / (_spill.PREFIX + "killed")
    stale.mkdir(parents=True)
    (stale / _spill.OWNER).write_text(f"{socket.gethostname()} {gone.stdout.strip()} 12345")
    (stale / "values.npy").write_bytes(b"\0" * 4096)
    src = _write("jsonl", tmp_path)
    code, _, err = _call(["find", src, "--memory", "1K", "--workdir", tmp_path / "work"], capsys)
    assert code == 0 and not stale.exists()
    assert f"near-dups: removed {stale}, the work directory of a run that was killed\n" in err


# --------------------------------------------------------------------------- collapse, streamed
def test_collapse_within_a_tiny_budget_writes_what_it_writes_in_ram(tmp_path, capsys):
    src = _write("jsonl", tmp_path)
    code, _, _ = _call(["collapse", src, "-o", tmp_path / "a.jsonl", "-q"], capsys)
    assert code == 0
    work = tmp_path / "work"
    code, _, err = _call(["collapse", src, "-o", tmp_path / "b.jsonl", "--memory", "1K", "--workdir", work, "-q"],
                         capsys)
    assert code == 0 and err == ""
    for name in ("{}.jsonl", "{}.removals.jsonl"):
        assert (tmp_path / name.format("a")).read_bytes() == (tmp_path / name.format("b")).read_bytes()
    assert not any(work.iterdir()), "the work directory is removed"


def test_collapse_writes_each_record_as_json_dumps_with_its_new_text_whatever_its_shape(tmp_path, capsys):
    """Records with a new text are written as ``json.dumps`` of the record with it, spliced by the kernel or (a
    record not as ``json.dumps`` writes one: other spacing, a BOM, CRLF, an escaped key, a float) parsed; a
    record left as it was is copied byte for byte, its line end included; blank lines are not records."""
    texts = ["Menu: Home | News | Sport | Weather\n" + f"Story {k}: " + " ".join(f"w{k}x{j}" for j in range(12))
             + "\nread more\nCopyright 2024 Example Media Group, all rights reserved." for k in range(8)]
    texts.append("A page of its own, \u00e9t\u00e9, nothing shared\twith anyone")
    shapes = [
        lambda r: json.dumps(r, ensure_ascii=False),
        lambda r: json.dumps(r, separators=(",", ":")),
        lambda r: json.dumps(r, ensure_ascii=True),
        lambda r: json.dumps({**r, "score": 0.5, "tags": ["a", {"b": None}], "n": -3}, ensure_ascii=False),
        lambda r: json.dumps(r, ensure_ascii=False).replace('"id"', '"\\u0069d"'),
        lambda r: json.dumps(r, ensure_ascii=False) + "\r",
        lambda r: json.dumps({"text": r["text"], "id": r["id"], "ok": True}, ensure_ascii=False),
        lambda r: " " + json.dumps(r, ensure_ascii=False),
    ]
    lines = [("\ufeff" if k == 0 else "") + shapes[k % len(shapes)]({"id": f"p{k}", "text": t})
             for k, t in enumerate(texts)]
    raw = "\n".join(lines[:4]) + "\n\n" + "\n".join(lines[4:])  # a blank line; no newline at the end
    src = tmp_path / "in.jsonl"
    src.write_bytes(raw.encode("utf-8"))
    code, _, err = _call(["collapse", src, "-o", tmp_path / "out.jsonl", "-q"], capsys)
    assert code == 0 and err == ""
    new = [d.text for d in dedup.collapse([(f"p{k}", t) for k, t in enumerate(texts)])]
    want = []
    for k, (line, t) in enumerate(zip(lines, texts)):
        if new[k] == t:
            want.append(line.encode("utf-8") + b"\n")
        else:
            rec = json.loads(line.removeprefix("\ufeff"))
            rec["text"] = new[k]
            want.append(json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n")
    assert sum(n != t for n, t in zip(new, texts)) >= 7, "the shared lines are removed"
    assert (tmp_path / "out.jsonl").read_bytes() == b"".join(want)


def test_a_full_disk_while_collapse_spills_is_one_message_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    from dedup._blocks import _collapse

    src = _write("jsonl", tmp_path)
    work = tmp_path / "work"
    _disk_full_after_some_spill(monkeypatch)
    monkeypatch.setattr(_collapse, "BATCH_CHARS", 300)
    code, out, err = _call(["collapse", src, "-o", tmp_path / "out.jsonl", "--memory", "1K", "--workdir", work],
                           capsys)
    assert code == 2 and out == ""
    assert err.startswith(f"near-dups: error: {work}: No space left on device (ENOSPC) while writing the work "
                          "files; ") and "the work files were removed" in err
    assert err.count("\n") == 1
    assert not any(work.iterdir()), "the spilled files are removed"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "work"], "no output"


def test_a_collapse_killed_mid_run_leaves_no_output_and_the_next_run_removes_its_work_files(tmp_path):
    """SIGKILL while the documents are cut and written: neither output appears (they are written to temporary
    names and renamed at the end), and the next run in the same work folder removes the orphan directory."""
    import signal
    import subprocess
    import sys
    import time

    from dedup._core import _spill

    if _spill._owner() is None:
        pytest.skip("process start times are read from /proc (Linux)")
    rows = "".join(json.dumps({"id": f"p{k}", "text": f"Site header\nStory number {k} " + "word " * 200 +
                               "\nSite footer line\n"}) + "\n" for k in range(3000))
    src = tmp_path / "in.jsonl"
    src.write_text(rows)
    work = tmp_path / "work"
    slow = ("import sys, time, dedup.cli._blocks as b\n"
            "real = b.InOrder.edits\n"
            "def slow(self, i):\n"
            "    got = real(self, i)\n"
            "    print('cutting', flush=True); time.sleep(60)\n"
            "    return got\n"
            "b.InOrder.edits = slow\n"
            "from dedup.cli import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    p = subprocess.Popen([sys.executable, "-c", slow, "collapse", str(src), "-o", str(tmp_path / "out.jsonl"),
                          "--memory", "1K", "--workdir", str(work), "-q"], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline() == "cutting\n"
    assert len(list(work.glob(_spill.PREFIX + "*"))) == 1
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    time.sleep(0.1)
    visible = sorted(x.name for x in tmp_path.iterdir() if not x.name.startswith("."))
    assert visible == ["in.jsonl", "work"], "no output, not even in part (only hidden temporary files)"
    code = cli.main(["collapse", str(src), "-o", str(tmp_path / "out.jsonl"), "--memory", "1K", "--workdir",
                     str(work), "-q"])
    assert code == 0 and (tmp_path / "out.jsonl").exists()
    assert not list(work.glob(_spill.PREFIX + "*")), "the killed run's work directory was removed"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl", "out.removals.jsonl", "work"]


_ID = st.none() | st.text(max_size=4) | st.integers(-(2**70), 2**70)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(_ID, max_size=5) | st.lists(st.text(max_size=4), max_size=5)
                | st.lists(st.none(), max_size=5), max_size=5))
def test_doc_ids_extend_is_append_one_by_one(batches):
    """A batch of ids added at once (a stream's batch with nothing to check one by one) is stored as each id
    added in turn: the same ids, the same arrays."""
    from array import array

    from dedup.cli._io._doc_ids import DocIds
    from dedup.cli._io._sources import Source

    every = [x for b in batches for x in b]
    src = [Source(path="f.jsonl", name="f.jsonl", rel="f.jsonl", kind="jsonl")]
    where = (array("i", [0] * len(every)), array("q", range(1, len(every) + 1)))
    one, many = DocIds(src, *where), DocIds(src, *where)
    for x in every:
        one.append(x)
    for b in batches:
        many.extend(tuple(b))
    assert list(many) == list(one) and len(many) == len(every)
    assert (many.blob, many.offsets, many.ints, many.big, many.kinds, many.ref, many.first_kind) == \
        (one.blob, one.offsets, one.ints, one.big, one.kinds, one.ref, one.first_kind)
