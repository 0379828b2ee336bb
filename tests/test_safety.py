"""Nothing overwritten, nothing lost: concurrent writers, killed writers, full disks, encodings, leftovers.

The bad-input cases (one message, nothing written) are in ``test_bad_input.py``;
this module checks what needs more than one command: several processes
adding to one index at once (one of them SIGKILLed), a real full or
read-only file system (a small tmpfs, skipped where it cannot be mounted),
a folder of files in nine encodings, temporary files left by killed runs,
the report of ``index filter``, the first run's compile message.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
import pathlib
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import dedup
from dedup._core import _fs
from dedup._storage import _store
from dedup import cli
from dedup.cli._io import _read
from dedup.cli._io._ui import kernels_uncompiled

from tests.support import CORPUS, ROOT
from tests.support.planted import planted_corpus
from tests.test_cli import _command, call

#: the children import this checkout's dedup, wherever they run
CHILD_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


# =========================================================================== concurrent writers
WORKERS, BATCHES, PER_BATCH = 4, 5, 12

ADDER = textwrap.dedent("""
    import sys
    from dedup import cli
    index, batches = sys.argv[1], sys.argv[2:]
    print("ready", flush=True)
    for b in batches:
        code = cli.main(["index", "add", index, b, "-q", "--lock-timeout", "300"])
        print(b, code, flush=True)
""")

READER = textwrap.dedent("""
    import sys, time
    import dedup
    index, seconds = sys.argv[1], float(sys.argv[2])
    sizes = set()
    end = time.time() + seconds
    while time.time() < end:
        sizes.add(len(dedup.load(index)))  # raises if it ever sees a half-written generation
    print(*sorted(sizes), flush=True)
""")


def _batches(tmp: pathlib.Path, seed: int) -> tuple[pathlib.Path, dict]:
    """A saved index of 30 documents and WORKERS x BATCHES batch files of new ones: {batch file: ids}."""
    texts = planted_corpus(n_base=30 + WORKERS * BATCHES * PER_BATCH, n_copies=0, words=40, seed=seed)
    dedup.index([(f"base{k}", t) for k, t in enumerate(texts[:30])]).save(tmp / "feed.idx")
    batches, k = {}, 30
    for w in range(WORKERS):
        for b in range(BATCHES):
            path = tmp / f"w{w}b{b}.jsonl"
            ids = [f"w{w}b{b}d{j}" for j in range(PER_BATCH)]
            path.write_text("".join(json.dumps({"id": i, "text": texts[k + j]}) + "\n" for j, i in enumerate(ids)))
            batches[str(path)] = ids
            k += PER_BATCH
    return tmp / "feed.idx", batches


def _start(tmp, index, batches, w):
    mine = [b for b in batches if pathlib.Path(b).name.startswith(f"w{w}b")]
    p = subprocess.Popen([sys.executable, "-c", ADDER, str(index), *mine],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp, env=CHILD_ENV)
    assert p.stdout.readline().strip() == "ready"
    return p


def _reported(out: str) -> dict:
    return {line.split()[0]: int(line.split()[1]) for line in out.splitlines() if len(line.split()) == 2}


def test_four_processes_adding_at_once_lose_no_batch(tmp_path):
    index, batches = _batches(tmp_path, seed=5)
    reader = subprocess.Popen([sys.executable, "-c", READER, str(index), "8"],
                              stdout=subprocess.PIPE, text=True, env=CHILD_ENV)
    procs = [_start(tmp_path, index, batches, w) for w in range(WORKERS)]
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert set(_reported(out).values()) == {0}, (out, err)
    sizes = [int(x) for x in reader.communicate(timeout=120)[0].split()]
    idx = dedup.load(index)
    want = [f"base{k}" for k in range(30)]
    assert sorted(idx.ids) == sorted(want + [i for ids in batches.values() for i in ids])  # all 20 batches
    assert len(idx) == 30 + WORKERS * BATCHES * PER_BATCH
    assert reader.returncode == 0 and sizes  # the reader never failed, never waited, and saw whole batches only
    assert all((n - 30) % PER_BATCH == 0 for n in sizes), sizes
    names = sorted(os.listdir(index))  # one generation, nothing left behind
    assert len(names) == 3 and names[:2] == ["CURRENT", "LOCK"] and names[2].startswith("gen-")


def test_a_writer_killed_at_a_random_moment_loses_no_reported_batch(tmp_path):
    seed = random.SystemRandom().randrange(10**6)
    rng = random.Random(seed)
    for attempt in range(5):  # a kill that came after the victim had finished proves nothing: again
        if _kill_one_writer(tmp_path / f"try{attempt}", rng, seed):
            return
    pytest.fail(f"the victim finished before every kill (seed {seed})")


def _kill_one_writer(tmp, rng, seed) -> bool:
    tmp.mkdir()
    index, batches = _batches(tmp, seed=6)
    procs = [_start(tmp, index, batches, w) for w in range(WORKERS)]
    victim = rng.randrange(WORKERS)
    seen = procs[victim].stdout.readline() if rng.random() < 0.5 else ""  # sometimes after its first batch
    time.sleep(rng.uniform(0.0, 1.5))
    os.kill(procs[victim].pid, signal.SIGKILL)
    reported = _reported(seen)
    for w, p in enumerate(procs):
        out, err = p.communicate(timeout=600)
        if w == victim and p.returncode == 0:
            return False
        assert p.returncode == (-signal.SIGKILL if w == victim else 0), (seed, w, err)
        got = _reported(out)
        assert set(got.values()) <= {0}, (seed, out, err)
        reported.update(got)
    idx = dedup.load(index)  # loads, whatever moment the kill hit
    present = set(idx.ids)
    for batch, ids in batches.items():
        n = sum(i in present for i in ids)
        assert n in (0, len(ids)), (seed, batch, n)  # a batch is added whole or not at all
        if batch in reported:
            assert n == len(ids), (seed, batch)  # every batch said "added" is there
    for w in set(range(WORKERS)) - {victim}:
        assert all(b in reported for b in batches if pathlib.Path(b).name.startswith(f"w{w}b")), seed
    # the killed writer's lock went with it, and what it left is swept by the next writer
    missing = [b for b in batches if not set(batches[b]) <= present]
    if missing:
        assert cli.main(["index", "add", str(index), *missing, "-q", "--lock-timeout", "5"]) == 0
    else:
        assert cli.main(["index", "remove", str(index), "base0", "-q", "--lock-timeout", "5"]) == 0
        assert cli.main(["index", "add", str(index), str(_base0(tmp)), "-q", "--lock-timeout", "5"]) == 0
    names = sorted(os.listdir(index))
    assert len(names) == 3 and names[:2] == ["CURRENT", "LOCK"], (seed, names)
    assert len(dedup.load(index)) == 30 + WORKERS * BATCHES * PER_BATCH
    return True


def _base0(tmp) -> pathlib.Path:
    """base0 again, as a batch file (to make a save after the kill in any case)."""
    texts = planted_corpus(n_base=30 + WORKERS * BATCHES * PER_BATCH, n_copies=0, words=40, seed=6)
    path = tmp / "base0.jsonl"
    path.write_text(json.dumps({"id": "base0", "text": texts[0]}) + "\n")
    return path


def test_lock_is_reentrant_waits_and_times_out(tmp_path):
    p = tmp_path / "x.idx"
    dedup.index({"a": "one two three four five six"}).save(p)
    with dedup.lock(p, timeout=1):
        idx = dedup.load(p)
        idx.add({"b": "seven eight nine ten eleven twelve"}).save(p)  # save takes the held lock again
    holder = subprocess.Popen([sys.executable, "-c", "import filelock, sys, time; l = filelock.FileLock(sys.argv[1]); "
                               "l.acquire(); print('held', flush=True); time.sleep(60)", str(p / "LOCK")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.perf_counter()
        with pytest.raises(TimeoutError, match=r"x.idx: another process is writing to this index"):
            with dedup.lock(p, timeout=0.3):
                pass
        assert 0.25 < time.perf_counter() - start < 5
        assert len(dedup.load(p)) == 2  # a reader does not wait for the writer
    finally:
        holder.kill()
        holder.wait()
    with dedup.lock(p, timeout=5):  # the killed holder's lock is free
        pass


def test_a_reader_rereads_a_generation_replaced_under_it(tmp_path, monkeypatch):
    p = tmp_path / "x.idx"
    dedup.index({"a": "one two three four five six"}).save(p)
    real = _store._load_generation
    calls = []

    def racing(gen, verify):
        calls.append(gen.name)
        if len(calls) == 1:  # a writer saves between our reading CURRENT and opening the generation
            dedup.index({"b": "seven eight nine ten", "c": "eleven twelve"}).save(p)
        return real(gen, verify)

    monkeypatch.setattr(_store, "_load_generation", racing)
    assert dedup.load(p).ids == ["b", "c"]
    assert calls == ["gen-000001", "gen-000002"]


def test_an_old_index_opens_and_is_upgraded_by_its_next_save(tmp_path):
    p = tmp_path / "x.idx"
    dedup.index({"a": "one two three four five six", "b": "one two three four five six"}).save(p)
    mfile = next(p.glob("gen-*")) / "manifest.json"
    m = json.loads(mfile.read_text())
    del m["manifest_xxh3"]
    m["version"] = 1
    mfile.write_text(json.dumps(m))  # what near-dups 0.1.0 wrote
    idx = dedup.load(p)
    assert idx.pairs() == [("a", "b", 1.0)]
    idx.add({"c": "seven eight nine ten eleven"}).save(p)
    m = json.loads(next(p.glob("gen-*")).joinpath("manifest.json").read_text())
    # the add appended a segment to the loaded index: version 3 (segments), with the manifest's checksum
    assert m["version"] == 3 and m["segments"] == [2, 1] and m["manifest_xxh3"] == _store._manifest_checksum(m)
    assert dedup.load(p).pairs() == [("a", "b", 1.0)]


@pytest.mark.parametrize("edit", [
    lambda m: m["config"].update(ngram=3),
    lambda m: m.update(documents=m["documents"] + 1),
    lambda m: m.update(keep="longest"),
    lambda m: m["arrays"]["values"].update(xxh3="0" * 16),
])
def test_an_edited_manifest_is_refused(tmp_path, edit):
    p = tmp_path / "x.idx"
    dedup.index({"a": "one two three four five six"}).save(p)
    mfile = next(p.glob("gen-*")) / "manifest.json"
    m = json.loads(mfile.read_text())
    edit(m)
    mfile.write_text(json.dumps(m, indent=1, sort_keys=True))
    for verify in (True, False):
        with pytest.raises(dedup.IndexFormatError, match=r"manifest.json: checksum mismatch: the manifest was edited"):
            dedup.load(p, verify=verify)


def test_an_inconsistent_manifest_names_the_problem(tmp_path):
    p = tmp_path / "x.idx"
    dedup.index({"a": "one two three four five six"}).save(p)
    mfile = next(p.glob("gen-*")) / "manifest.json"
    m = json.loads(mfile.read_text())
    m["arrays"]["../../escape"] = m["arrays"]["values"]
    m["manifest_xxh3"] = _store._manifest_checksum(m)
    mfile.write_text(json.dumps(m))
    with pytest.raises(dedup.IndexFormatError, match=r"manifest.json: bad manifest entry \(arrays: unknown array"):
        dedup.load(p)


# =========================================================================== full and read-only disks
@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs (skipped where mounting is not allowed)."""
    where = tmp_path / "small"
    where.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)], capture_output=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def _big_jsonl(path: pathlib.Path, n=600) -> None:
    texts = planted_corpus(n_base=n, n_copies=40, words=120, seed=2)
    path.write_text("".join(json.dumps({"id": f"d{k}", "text": t}) + "\n" for k, t in enumerate(texts)))


def test_a_full_disk_is_named_and_leaves_nothing(small_disk, tmp_path):
    _big_jsonl(tmp_path / "in.jsonl")
    assert (tmp_path / "in.jsonl").stat().st_size > 256 * 1024
    for argv, path in [(["index", "build", "in.jsonl", "-o", "small/x.idx"], "small/x.idx"),
                       (["dedup", "in.jsonl", "-o", "small/out.jsonl"], "small/out.jsonl")]:
        p = subprocess.run([*_command(), *argv], capture_output=True, cwd=tmp_path, timeout=120)
        err = p.stderr.decode()
        assert p.returncode == 2 and "Traceback" not in err, err
        assert err == f"near-dups: error: {path}: No space left on device (ENOSPC); nothing was written\n"
        assert os.listdir(small_disk) == []  # no temporary file, no generation, no empty index folder


def test_a_read_only_file_system_is_named(tmp_path):
    where = tmp_path / "ro"
    where.mkdir()
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(where)], capture_output=True)
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.decode().strip()}")
    try:
        shutil.copy(CORPUS / sorted(os.listdir(CORPUS))[0], tmp_path / "a.txt")
        for argv, path in [(["index", "build", "a.txt", "-o", "ro/x.idx"], "ro/x.idx"),
                           (["find", "a.txt", "-o", "ro/report.txt"], "ro/report.txt")]:
            p = subprocess.run([*_command(), *argv], capture_output=True, cwd=tmp_path, timeout=120)
            err = p.stderr.decode()
            assert p.returncode == 2 and err == (f"near-dups: error: {path}: Read-only file system (EROFS); "
                                                 "nothing was written\n"), err
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)


def test_an_injected_full_disk_in_the_index_writer(tmp_path, monkeypatch):
    """The same without a tmpfs: ENOSPC from the file system's write, as a full disk gives it."""
    p = tmp_path / "x.idx"
    dedup.index({"a": "one two three four five six"}).save(p)
    before = sorted(os.listdir(p))
    real = _store._write_npy

    def full(f, arr):
        if "values" in f.name:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(f, arr)

    monkeypatch.setattr(_store, "_write_npy", full)
    idx = dedup.load(p).add({"b": "seven eight nine ten eleven"})
    with pytest.raises(OSError) as e:
        idx.save(p)
    assert e.value.errno == errno.ENOSPC and e.value.filename == str(p)
    assert sorted(os.listdir(p)) == before and dedup.load(p).ids == ["a"]
    with pytest.raises(OSError, match="No space left"):
        dedup.index({"z": "new words"}).save(tmp_path / "new.idx")
    assert not (tmp_path / "new.idx").exists()


# =========================================================================== encodings
SAMPLES = {
    "utf8.txt": ("Plain UTF-8: “quotes”, naïve café, 東京, and an emoji 🙂 in the news today.", "utf-8", None),
    "utf8-bom.txt": ("UTF-8 with a byte-order mark, as Notepad writes it: Zoë’s café.", "utf-8-sig", None),
    "utf16le.txt": ("UTF-16 little-endian with a mark: Grüße aus München, 日本語も。", "utf-16-le", "UTF-16"),
    "utf16be.txt": ("UTF-16 big-endian with a mark: Ελληνικά και русский текст.", "utf-16-be", "UTF-16"),
    "utf32.txt": ("UTF-32 with a mark: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 outside the BMP, and more words.", "utf-32", "UTF-32"),
    "cp1252.txt": ("The café’s “special” menu — naïve crème brûlée for €5, said Zoë. " * 4, "cp1252", "cp1252"),
    "latin1.txt": ("Un café crème à Noël, déjà vu; garçon, où est la gare? Ça va très bien. " * 4, "latin-1",
                   "cp1252"),
    "sjis.txt": ("日本の首相は水曜日に、韓国とアメリカの首脳と会談しました。北朝鮮のミサイルについて話し合いました。" * 2,
                 "shift_jis", "cp932"),
    "gb18030.txt": ("中国外交部发言人周三表示，希望各方保持冷静克制，通过对话解决分歧。这次会议讨论了地区安全问题。" * 2,
                    "gb18030", "gb18030"),
}
BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}


@pytest.fixture
def encodings(tmp_path):
    d = tmp_path / "mixed"
    d.mkdir()
    for name, (text, codec, _) in SAMPLES.items():
        (d / name).write_bytes(BOMS.get(codec, b"") + text.encode(codec))
    return d


def test_a_folder_in_nine_encodings_is_read_whole(encodings):
    warnings = []
    corpus = _read.read_corpus([str(encodings)], warn=warnings.append)
    got = {os.path.basename(i): t for i, t in zip(corpus.ids, corpus.texts)}
    assert got == {name: text for name, (text, _, _) in SAMPLES.items()}  # every document, every character
    for name, (_, _, shown) in SAMPLES.items():
        named = [w for w in warnings if f"{name}:" in w]
        if shown is None:
            assert named == [], name  # UTF-8, with or without a mark, is said nothing about
        else:
            assert len(named) == 1 and f"decoded as {shown}" in named[0], (name, named)
    assert len(warnings) == 7


def test_the_cli_reads_them_and_copies_them_byte_for_byte(encodings, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = call(["find", "mixed", "--format", "jsonl"], capsys)
    assert code == 0 and out == ""
    assert err.count("near-dups: warning:") == 7 and err.splitlines()[-1].startswith("near-dups: 9 documents, ")
    code, _, _ = call(["dedup", "mixed", "-o", "clean", "-q"], capsys)
    assert code == 0
    for name in SAMPLES:  # nothing dropped; each file copied unchanged, in its own encoding
        assert (tmp_path / "clean" / name).read_bytes() == (encodings / name).read_bytes()


def test_forced_encoding_and_csv_detection(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = SAMPLES["cp1252.txt"][0]
    (tmp_path / "w.csv").write_bytes(b"id,text\nr1,\"" + text.encode("cp1252") + b"\"\nr2,other words here\n")
    code, out, err = call(["find", "w.csv", "--format", "jsonl", "-q"], capsys)
    assert code == 0
    corpus = _read.read_corpus(["w.csv"])
    assert corpus.texts == [text, "other words here"]
    forced = _read.read_corpus(["w.csv"], encoding="latin-1")  # strict, no detection: 0x80-0x9f are C1 controls
    assert forced.texts[0] == text.encode("cp1252").decode("latin-1")
    code, _, err = call(["collapse", "w.csv", "-o", "out.csv", "-q"], capsys)
    assert code == 0 and text in (tmp_path / "out.csv").read_text(encoding="utf-8")  # written anew: UTF-8


def test_standard_input_lines_in_another_encoding(tmp_path, capsys, monkeypatch):
    import io

    lines = ["Première ligne: café crème à Noël, déjà vu, garçon où est la gare?",
             "Deuxième ligne: naïve Zoë, très bien, ça va, merci beaucoup à vous.",
             "Première ligne: café crème à Noël, déjà vu, garçon où est la gare?"]
    data = ("\r\n".join(lines) + "\r\n").encode("cp1252")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, _, err = call(["dedup", "-", "--stdin-format", "lines", "-o", "out.txt"], capsys)
    assert code == 0, err
    assert "near-dups: warning: -: not UTF-8; decoded as cp1252 (detected" in err
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == lines[0] + "\n" + lines[1] + "\n"
    dropped = json.loads((tmp_path / "out.dropped.jsonl").read_text())
    assert (dropped["id"], dropped["kept"], dropped["jaccard"]) == (3, 1, 1.0)


def test_utf8_takes_the_fast_path(tmp_path, monkeypatch):
    """Detection runs only for a file that is not UTF-8: never for a UTF-8 corpus, never per document."""
    import charset_normalizer

    def boom(*a, **kw):
        raise AssertionError("detection ran on a UTF-8 file")

    monkeypatch.setattr(charset_normalizer, "from_bytes", boom)
    d = tmp_path / "d"
    d.mkdir()
    for k in range(50):
        (d / f"{k}.txt").write_text(f"document {k}: café, 東京, 🙂", encoding="utf-8")
    (d / "rows.jsonl").write_bytes(codecs.BOM_UTF8 + b'{"id": 1, "text": "caf\xc3\xa9"}\n')
    assert len(_read.read_corpus([str(d)])) == 51


def test_json_lines_with_a_bom_on_standard_input(capsys, monkeypatch):
    import io

    data = codecs.BOM_UTF8 + b'{"id": "a", "text": "one two three four five six"}\n' \
                             b'{"id": "b", "text": "one two three four five six"}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, out, _ = call(["find", "-", "--format", "jsonl", "-q"], capsys)
    assert code == 0 and json.loads(out)["ids"] == ["a", "b"]


# =========================================================================== leftovers of killed runs
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_leftovers_of_killed_runs_are_swept_and_never_read(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    for n in sorted(os.listdir(CORPUS)):
        shutil.copy(CORPUS / n, tmp_path / "docs" / n)
    dead = _dead_pid()
    (tmp_path / "docs" / f".{sorted(os.listdir(CORPUS))[0]}.tmp-{dead}-x1").write_text("stray copy")
    stale = [f".out.tmp-{dead}-abc123", ".out.ab12cd34.tmp"]
    for name in stale:
        (tmp_path / name).mkdir()
        (tmp_path / name / "half.txt").write_text("half")
    os.utime(tmp_path / stale[1], (time.time() - 2 * 86400,) * 2)
    live = [f".out.tmp-{os.getpid()}-zzz", ".out.cd34ef56.tmp"]  # a run still going; a recent legacy one
    for name in live:
        (tmp_path / name).write_text("in progress")
    (tmp_path / f".out.dropped.jsonl.tmp-{dead}-q").write_text("half a report")
    code, _, err = call(["dedup", "docs", "-o", "out", "--threshold", "0.25", "--ngram", "1"], capsys)
    assert code == 0, err
    assert "3 documents" in err  # the hidden temporary file in docs/ was not read
    assert sorted(n for n in os.listdir(tmp_path) if n.startswith(".")) == sorted(live)
    # an index: what a killed save leaves is removed by the next save
    dedup.index({"a": "one two three four five six", "b": "seven eight nine ten"}).save(tmp_path / "x.idx")
    (tmp_path / "x.idx" / f".gen-000009.tmp-{dead}").mkdir()
    (tmp_path / "x.idx" / f".gen-000009.tmp-{dead}" / "values.npy").write_bytes(b"\x93NUMPY")
    (tmp_path / "x.idx" / f".CURRENT.tmp-{dead}").write_text("gen-000009\n")
    assert dedup.load(tmp_path / "x.idx").ids == ["a", "b"]
    os.mkdir(tmp_path / "z.idx")
    (tmp_path / "z.idx" / f".gen-000001.tmp-{dead}").mkdir()  # a first build killed midway
    code, _, err = call(["index", "build", "docs", "-o", "z.idx", "-q"], capsys)
    assert code == 0, err
    assert sorted(os.listdir(tmp_path / "z.idx")) == ["CURRENT", "LOCK", "gen-000001"]
    code, _, err = call(["index", "remove", "x.idx", "a", "-q"], capsys)
    assert code == 0 and sorted(os.listdir(tmp_path / "x.idx")) == ["CURRENT", "LOCK", "gen-000002"]


def test_stale_needs_a_dead_owner():
    assert not _fs.stale(f".out.tmp-{os.getpid()}-x", "out", ".")
    assert _fs.stale(f".out.tmp-{_dead_pid()}-x", "out", ".")
    assert not _fs.stale(f".other.tmp-{_dead_pid()}-x", "out", ".")  # another target's
    assert not _fs.stale("out", "out", ".")


# =========================================================================== index filter's report
def test_index_filter_reports_what_it_held_back_and_what_each_matched(tmp_path, capsys, monkeypatch):
    texts = planted_corpus(n_base=80, n_copies=80, words=60, seed=11)
    old, new = texts[:70], texts[70:]
    monkeypatch.chdir(tmp_path)
    dedup.index([(f"o{k}", t) for k, t in enumerate(old)], threshold=0.6).save("x.idx")
    rows = [{"id": f"n{k}", "text": t} for k, t in enumerate(new)]
    pathlib.Path("new.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    code, _, err = call(["index", "filter", "x.idx", "new.jsonl", "-o", "fresh.jsonl", "--add"], capsys)
    assert code == 0, err
    report = [json.loads(x) for x in pathlib.Path("fresh.held.jsonl").read_text().splitlines()]
    # Reference: judge one document at a time against an index that grows by what is let through.
    ref = dedup.index([(f"o{k}", t) for k, t in enumerate(old)], threshold=0.6)
    want = []
    for r in rows:
        found = ref.query(r["text"])
        if found:
            matched, score = found[0]
            want.append({"id": r["id"], "matched": matched, "jaccard": score,
                         "matched_in": "index" if matched.startswith("o") else "input"})
        else:
            ref.add([(r["id"], r["text"])])
    assert [{k: x[k] for k in ("id", "matched", "jaccard", "matched_in")} for x in report] == want
    assert {x["matched_in"] for x in want} == {"index", "input"}  # both kinds occur here
    assert all(x["source"] == f"new.jsonl:{int(x['id'][1:]) + 1}" for x in report)
    assert report[0]["reason"].startswith(("same text as ", "near-duplicate (jaccard "))
    assert f"{len(want)} held back as near-duplicates" in err and "report in fresh.held.jsonl" in err
    assert dedup.load("x.idx").ids == ref.ids


# =========================================================================== ids of mixed types
def test_ids_of_mixed_types_print_apart(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = "the same text of several words for both records"
    pathlib.Path("m.jsonl").write_text(json.dumps({"id": 1, "text": text}) + "\n"
                                       + json.dumps({"id": "1", "text": text}) + "\n")
    code, out, _ = call(["find", "m.jsonl", "-q"], capsys)
    assert code == 0
    assert "\n  keep  1    1.000  " in out and "\n  drop  '1'  1.000  " in out
    code, out, _ = call(["find", "m.jsonl", "-q", "--format", "jsonl"], capsys)
    assert json.loads(out)["ids"] == [1, "1"]  # JSON keeps them apart by itself
    pathlib.Path("s.jsonl").write_text(json.dumps({"id": "1", "text": text}) + "\n"
                                       + json.dumps({"id": "2", "text": text}) + "\n")
    code, out, _ = call(["find", "s.jsonl", "-q"], capsys)
    assert "\n  keep  1  1.000  " in out  # one type: printed as they are


# =========================================================================== first run
def test_the_first_run_says_it_compiles(tmp_path):
    """A cold numba cache (a new NUMBA_CACHE_DIR), compiled (a small input would otherwise run interpreted:
    ``test_interpret``): the run says it compiles; the next one does not."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "NEAR_DUPS_INTERPRET": "0"}
    first = subprocess.run([*_command(), str(CORPUS), "-v"], capture_output=True, env=env, timeout=600)
    assert first.returncode == 0, first.stderr.decode()
    err = first.stderr.decode()
    assert "near-dups: first run: compiling the kernels, once (later runs load them" in err
    assert "near-dups: first run: compiled " in err and " kernels in this process, in " in err  # -v: how many, how long
    assert "compiling the kernels (first run): " not in err  # the progress line is for a terminal only
    again = subprocess.run([*_command(), str(CORPUS), "-v"], capture_output=True, env=env, timeout=600)
    assert again.returncode == 0 and "compil" not in again.stderr.decode()
    assert kernels_uncompiled() is False  # this process's cache is warm


def test_warm_compiles_ahead_so_the_first_run_compiles_nothing(tmp_path):
    """`near-dups warm --job find` in an empty cache: `near-dups find` then compiles no kernel (and says nothing)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    warm = subprocess.run([*_command(), "warm", "--job", "find"], capture_output=True, env=env, timeout=900)
    assert warm.returncode == 0, warm.stderr.decode()
    assert f"of find compiled or loaded, in numba's cache {tmp_path / 'cache'}" in warm.stderr.decode()
    assert warm.stdout == b""
    script = ("import sys; from numba.core import event; from dedup import cli\n"
              "with event.install_recorder('numba:compile') as rec:\n"
              "    code = cli.main(['find', sys.argv[1], '-q'])\n"
              "from dedup._core import _interpret\n"
              "print(code, sorted({e.data['dispatcher'].py_func.__qualname__ for _, e in rec.buffer}), "
              "_interpret.entered)\n")
    run = subprocess.run([sys.executable, "-c", script, str(CORPUS)], capture_output=True, env=env, timeout=600,
                         text=True)
    assert run.returncode == 0, run.stderr
    # nothing compiled, nothing interpreted: every kernel came from the cache
    assert run.stdout.splitlines()[-1] == "0 [] 0"


# =========================================================================== one overwrite rule
#: A command line of every command that writes files, with the file it writes that the test lays down first.
OVERWRITES = [
    (["find", "docs", "-o", "out.jsonl", "--format", "jsonl"], "out.jsonl"),
    (["docs", "-o", "out.txt"], "out.txt"),
    (["blocks", "docs", "-o", "out.txt"], "out.txt"),
    (["passages", "docs", "-o", "out.txt"], "out.txt"),
    (["report", "docs", "-o", "notes.txt"], "notes.txt"),
    (["dedup", "docs/a.txt", "-o", "out.txt"], "out.txt"),
    (["dedup", "docs", "-o", "out"], "out.dropped.jsonl"),
    (["dedup", "docs", "-o", "out", "--report", "r.jsonl"], "r.jsonl"),
    (["collapse", "docs", "-o", "out"], "out.removals.jsonl"),
    (["collapse", "docs/a.txt", "-o", "out.txt"], "out.txt"),
    (["index", "query", "x.idx", "docs", "-o", "out.txt"], "out.txt"),
    (["index", "filter", "x.idx", "docs/a.txt", "-o", "new.txt"], "new.txt"),
    (["index", "filter", "x.idx", "docs/a.txt", "-o", "new.txt"], "new.held.jsonl"),
]


@pytest.mark.parametrize("argv, existing", OVERWRITES, ids=[" ".join(a) + f" [{e}]" for a, e in OVERWRITES])
def test_no_command_replaces_an_existing_file_without_force(argv, existing, tmp_path, capsys, monkeypatch):
    """The one overwrite rule (docs/guide/cli.md, Outputs): an existing output file is replaced only with --force,
    whatever the command or the output (-o, --report, a default side file); refused before anything is read, the file untouched."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "docs").mkdir()
    for name, seed in zip(("a.txt", "b.txt"), sorted(os.listdir(CORPUS))):
        shutil.copy(CORPUS / seed, tmp_path / "docs" / name)
    dedup.index([("p", "one two three four five six seven")]).save(tmp_path / "x.idx")
    (tmp_path / existing).write_text("an unrelated file\n")
    code, out, err = call([*argv, "-q"], capsys)
    assert code == 2 and out == "", err
    assert f"{existing}: exists; an existing file is replaced only with --force" in err
    assert (tmp_path / existing).read_text() == "an unrelated file\n"
    assert sorted(os.listdir(tmp_path)) == sorted(["docs", "x.idx", existing])  # nothing else written
    code, _, err = call([*argv, "-q", "--force"], capsys)
    assert code == 0, err
    assert (tmp_path / existing).read_text() != "an unrelated file\n"


def test_every_command_that_writes_a_file_takes_force(capsys):
    from dedup.cli import _table

    _, subs = _table.build_parser()
    for c in _table.TABLE:
        has = any("--force" in a.option_strings for a in subs[c.name]._actions)
        assert has == (_table.writes_files(c) or c.name == "index build"), c.name


def test_force_never_empties_a_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(CORPUS, tmp_path / "docs")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("mine")
    code, _, err = call(["dedup", "docs", "-o", "out", "--force", "-q"], capsys)
    assert code == 2 and "-o out: folder exists and is not empty" in err
    assert os.listdir(tmp_path / "out") == ["mine.txt"]
