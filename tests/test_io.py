"""Reading inputs and writing outputs of the command line (dedup.cli._io._read, _write), in process."""

from __future__ import annotations

import csv
import gzip
import json
import os
import sys

import pytest

from dedup.cli._io import _write
from dedup.cli._io._errors import InputError
from dedup.cli._io._read import read_corpus
from dedup.cli._io._write import atomic_file, atomic_folder, write_corpus

from tests.support import CORPUS


def _jsonl(path, rows, gz=False):
    data = "".join(json.dumps(r) + "\n" for r in rows).encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return str(path)


ROWS = [{"id": "a", "text": "alpha beta gamma", "extra": [1, 2]},
        {"id": "b", "text": "delta epsilon"},
        {"id": 7, "text": "zeta"}]


def read(paths, **kw):
    warnings = []
    corpus = read_corpus([str(p) for p in paths], warn=warnings.append, **kw)
    return corpus, warnings


# --------------------------------------------------------------------------- reading
def test_folder_of_text_files_ids_are_paths_in_sorted_order():
    corpus, warnings = read([CORPUS])
    names = sorted(p.name for p in CORPUS.glob("*.txt"))
    assert corpus.ids == [os.path.join(os.path.normpath(str(CORPUS)), n) for n in names]
    assert corpus.texts[0] == (CORPUS / names[0]).read_text(encoding="utf-8")
    assert corpus.nbytes == sum((CORPUS / n).stat().st_size for n in names)
    assert warnings == []


def test_jsonl_keeps_only_ids_and_texts(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", ROWS)
    corpus, _ = read([path])
    assert corpus.ids == ["a", "b", 7]
    assert corpus.texts == ["alpha beta gamma", "delta epsilon", "zeta"]
    assert all(type(t) is str for t in corpus.texts)  # no parsed records kept
    assert corpus.where(2) == f"{path}:3"


def test_jsonl_gz_blank_lines_and_default_ids(tmp_path):
    p = tmp_path / "d.jsonl.gz"
    p.write_bytes(gzip.compress(b'{"text": "one"}\n\n   \n{"text": "two"}\n'))
    corpus, warnings = read([p])
    assert corpus.ids == [f"{p}:1", f"{p}:4"]
    assert warnings == []


def test_text_and_id_fields(tmp_path):
    path = _jsonl(tmp_path / "d.jsonl", [{"k": "x", "body": "hello"}])
    corpus, _ = read([path], text_field="body", id_field="k", id_field_given=True)
    assert (corpus.ids, corpus.texts) == (["x"], ["hello"])
    with pytest.raises(InputError, match=r"d.jsonl:1: no field 'id' \(fields: k, body\); choose one with --id-field"):
        read([path], text_field="body", id_field="id", id_field_given=True)


@pytest.mark.parametrize("line, message", [
    (b'{"id": 1, "text": oops}', r"d.jsonl:2: malformed JSON: Expecting value at column 19"),
    (b'{"id": 1, "body": "x"}', r"d.jsonl:2: no field 'text' \(fields: id, body\); choose one with --text-field"),
    (b'{"id": 1, "text": 5}', r"d.jsonl:2: field 'text' is int, not a string"),
    (b'[1, 2]', r"d.jsonl:2: expected a JSON object, got list"),
    (b'{"id": [1], "text": "x"}', r"d.jsonl:2: field 'id' is a list \(\[1\]\); an id must be a string or a whole "
                                 r"number"),
    (b'{"id": 1.5, "text": "x"}', r"d.jsonl:2: field 'id' is a number with a fraction or exponent \(1.5\)"),
    (b'{"id": "a", "text": "again"}', r"d.jsonl:2: duplicate id 'a', first used at .*d.jsonl:1"),
    (b'{"id": 1, "text": "caf\xe9"}', r"d.jsonl:2: not UTF-8 \(byte 0xe9 at offset 22\)"),
])
def test_bad_record_stops_or_is_skipped(tmp_path, line, message):
    p = tmp_path / "d.jsonl"
    p.write_bytes(b'{"id": "a", "text": "first"}\n' + line + b'\n{"id": "z", "text": "last"}\n')
    with pytest.raises(InputError, match=message):
        read([p])
    corpus, warnings = read([p], skip_errors=True)
    assert corpus.ids == ["a", "z"] and corpus.skipped == 1
    assert len(warnings) == 1 and warnings[0].endswith("; skipped")


def test_truncated_gz_names_the_line_and_keeps_what_was_read_when_skipping(tmp_path):
    rows = [{"id": i, "text": f"document number {i} " * 20} for i in range(3000)]
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in rows).encode())
    p = tmp_path / "t.jsonl.gz"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"t.jsonl.gz: truncated or corrupt gzip after line \d+"):
        read([p])
    corpus, warnings = read([p], skip_errors=True)
    assert 0 < len(corpus) < 3000
    assert corpus.ids == list(range(len(corpus)))
    assert "kept the" in warnings[0]


def test_text_file_problems(tmp_path):
    (tmp_path / "latin.txt").write_bytes(b"line one\ncaf\xe9\n")
    corpus, warnings = read([tmp_path / "latin.txt"])  # not UTF-8: decoded as detected, with a warning
    assert corpus.texts == ["line one\ncaf\u00e9\n"]
    assert warnings == [f"{tmp_path / 'latin.txt'}: not UTF-8; decoded as cp1252 (detected; --encoding forces another)"]
    with pytest.raises(InputError, match=r"latin.txt:2: not utf-8 \(byte 0xe9 at offset 12"):
        read([tmp_path / "latin.txt"], encoding="utf-8")  # a forced codec is strict
    (tmp_path / "blob.bin").write_bytes(b"\x7fELF\x00\x01")
    with pytest.raises(InputError, match=r"blob.bin: binary file \(NUL byte at offset 4\)"):
        read([tmp_path / "blob.bin"])  # named explicitly: an error


def test_folder_skips_binary_and_unknown_files_with_warnings(tmp_path):
    (tmp_path / "a.txt").write_text("some words here")
    (tmp_path / "b.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "c.png").write_bytes(b"\x89PNG")
    (tmp_path / ".hidden.txt").write_text("hidden")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.md").write_text("markdown words")
    corpus, warnings = read([tmp_path])
    assert [os.path.basename(i) for i in corpus.ids] == ["a.txt", "d.md"]
    assert corpus.sources[corpus.source_of[1]].rel == os.path.join("sub", "d.md")
    assert any("c.png" in w for w in warnings) and any("b.txt: binary file" in w for w in warnings)


def test_all_files_reads_every_file_of_a_folder_as_text_sniffing_binary_ones(tmp_path):
    """A folder of files without suffixes (/usr/share/common-licenses/): refused, naming --all-files; with it,
    every file is read, known suffixes by their format, the others as text, binary ones skipped by content
    (a PNG named .txt too), hidden files still skipped."""
    (tmp_path / "GPL").write_text("gnu general public license words")
    (tmp_path / "Apache-2.0").write_text("apache license words", encoding="utf-16")  # decoded by its BOM
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / ".hidden").write_text("hidden words")
    with pytest.raises(InputError, match=r"its 3 other files \(Apache-2.0, GPL, logo.png\) are read as text "
                                         r"with --all-files \(binary ones skipped\)$"):
        read([tmp_path])
    (tmp_path / "rows.jsonl").write_text('{"id": "r", "text": "a json line"}\n')
    corpus, warnings = read([tmp_path], all_files=True)
    assert sorted(map(str, corpus.ids)) == sorted([str(tmp_path / "Apache-2.0"), str(tmp_path / "GPL"), "r"])
    assert [t for i, t in zip(corpus.ids, corpus.texts) if str(i).endswith("GPL")] == [
        "gnu general public license words"]
    assert any("logo.png: binary file" in w for w in warnings) and corpus.skipped == 1


def test_missing_empty_and_nothing_found(tmp_path):
    with pytest.raises(InputError, match=r"nope: no such file or folder"):
        read([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match=r"empty: no .txt/.md/.* files in this folder"):
        read([tmp_path / "empty"])
    (tmp_path / "blank.jsonl").write_text("\n\n")
    with pytest.raises(InputError, match=r"blank.jsonl: no documents found"):
        read([tmp_path / "blank.jsonl"])


def test_json_array_and_csv(tmp_path):
    (tmp_path / "d.json").write_text(json.dumps(ROWS))
    corpus, _ = read([tmp_path / "d.json"])
    assert corpus.ids == ["a", "b", 7]
    (tmp_path / "bad.json").write_text('{"id": 1}')
    with pytest.raises(InputError, match="expected a JSON array of objects"):
        read([tmp_path / "bad.json"])
    with open(tmp_path / "d.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "text"])
        w.writerows([["r1", "x" * 200_000], ["r2", "multi\nline, text"]])  # > csv's default field limit
    corpus, _ = read([tmp_path / "d.csv"])
    assert corpus.ids == ["r1", "r2"] and corpus.texts[1] == "multi\nline, text"
    with pytest.raises(InputError, match=r"d.csv: no column 'body' \(columns: id, text\)"):
        read([tmp_path / "d.csv"], text_field="body")


def test_parquet_without_pyarrow_names_the_pip_command(tmp_path, monkeypatch):
    (tmp_path / "d.parquet").write_bytes(b"PAR1")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(InputError, match=r"d.parquet: reading and writing Parquet needs pyarrow: pip install "
                                         r"'near-dups\[parquet\]'"):
        read([tmp_path / "d.parquet"])


def test_parquet_round_trip(tmp_path):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist([{"id": "a", "text": "x y", "n": 1}, {"id": "b", "text": "z", "n": 2}]),
                   tmp_path / "d.parquet")
    corpus, _ = read([tmp_path / "d.parquet"])
    assert corpus.ids == ["a", "b"]
    write_corpus(corpus, str(tmp_path / "o.parquet"), keep=[False, True], texts=["", "Z"])
    assert pq.read_table(tmp_path / "o.parquet").to_pylist() == [{"id": "b", "text": "Z", "n": 2}]


# --------------------------------------------------------------------------- writing
def test_write_jsonl_copies_kept_records_verbatim(tmp_path):
    src = tmp_path / "d.jsonl"
    src.write_text('{"id": "a", "text": "x",  "odd spacing": true}\n\n{"id": "b", "text": "y"}\n'
                   '{"id": "c", "text": "z"}')  # no final newline
    corpus, _ = read([src])
    write_corpus(corpus, str(tmp_path / "o.jsonl"), keep=[True, False, True])
    assert (tmp_path / "o.jsonl").read_text() == ('{"id": "a", "text": "x",  "odd spacing": true}\n'
                                                  '{"id": "c", "text": "z"}\n')
    write_corpus(corpus, str(tmp_path / "o2.jsonl.gz"), texts=["X", "Y", "Z"])
    out = [json.loads(x) for x in gzip.decompress((tmp_path / "o2.jsonl.gz").read_bytes()).splitlines()]
    assert out == [{"id": "a", "text": "X", "odd spacing": True}, {"id": "b", "text": "Y"}, {"id": "c", "text": "Z"}]


def test_write_folder_mirrors_relative_paths(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    (tmp_path / "in" / "a.txt").write_text("A")
    (tmp_path / "in" / "sub" / "b.txt").write_text("B")
    corpus, _ = read([tmp_path / "in"])
    n = write_corpus(corpus, str(tmp_path / "out"), keep=[False, True])
    assert n == 1
    assert sorted(os.listdir(tmp_path / "out")) == ["sub"]
    assert (tmp_path / "out" / "sub" / "b.txt").read_text() == "B"


def test_write_refuses_inputs_non_empty_folders_and_other_formats(tmp_path):
    src = _jsonl(tmp_path / "d.jsonl", ROWS)
    corpus, _ = read([src])
    with pytest.raises(InputError, match="is an input; the input is never modified"):
        write_corpus(corpus, src)
    with pytest.raises(InputError, match=r"written in the input's format \(jsonl\)"):
        write_corpus(corpus, str(tmp_path / "o.csv"))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "y").write_text("y")
    corpus, _ = read([tmp_path / "a", src])
    with pytest.raises(InputError, match="folder exists and is not empty"):
        write_corpus(corpus, str(tmp_path / "full"))
    assert open(src).read().count("\n") == 3


def test_failed_write_leaves_no_output_and_no_temporary_files(tmp_path, monkeypatch):
    dest = tmp_path / "o.jsonl"
    dest.write_text("old\n")
    with pytest.raises(RuntimeError):
        with atomic_file(str(dest)) as f:
            f.write("half a record")
            raise RuntimeError("disk full")
    assert dest.read_text() == "old\n"
    with pytest.raises(RuntimeError):
        with atomic_folder(str(tmp_path / "newdir")) as d:
            open(os.path.join(d, "x"), "w").close()
            raise RuntimeError("disk full")
    assert sorted(os.listdir(tmp_path)) == ["o.jsonl"]

    # a failure in the middle of writing several sources leaves no folder behind
    (tmp_path / "in").mkdir()
    for name in "abc":
        (tmp_path / "in" / f"{name}.txt").write_text(name)
    corpus, _ = read([tmp_path / "in"])
    calls = []

    def failing(*args, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(*args, **kw)

    real = _write._write_source
    monkeypatch.setattr(_write, "_write_source", failing)
    with pytest.raises(OSError):
        write_corpus(corpus, str(tmp_path / "out"))
    assert sorted(os.listdir(tmp_path)) == ["in", "o.jsonl"]


def test_input_changed_between_read_and_write(tmp_path):
    src = _jsonl(tmp_path / "d.jsonl", ROWS)
    corpus, _ = read([src])
    with open(src, "a") as f:
        f.write('{"id": "new", "text": "appended"}\n')
    with pytest.raises(InputError, match="changed while near-dups was running"):
        write_corpus(corpus, str(tmp_path / "o.jsonl"))
