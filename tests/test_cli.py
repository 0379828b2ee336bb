"""The installed ``near-dups`` command, run as a subprocess on corpus/ and on bad input.

Every subprocess pays numba's cached start-up (about a second), so checks that
need no separate process (help texts, formats, the dispatch rule) call
``dedup.cli.main`` in process instead.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

import dedup
from dedup import cli
from dedup.cli import _table

from tests.support import CORPUS

SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))
S000, S001, S003 = (str(CORPUS / n) for n in SEEDS)
HAS_BLOCKS = hasattr(dedup, "collapse") and hasattr(dedup, "blocks")
needs_blocks = pytest.mark.skipif(not HAS_BLOCKS, reason="dedup.collapse/dedup.blocks not in this version yet")


def _command() -> list[str]:
    script = shutil.which("near-dups", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "dedup.cli"]


def run(*args, stdin: bytes | None = None, cwd=None, code: int | None = 0):
    """Run near-dups; check the exit code and that no traceback was printed."""
    p = subprocess.run([*_command(), *map(str, args)], input=stdin, capture_output=True, cwd=cwd, timeout=120)
    out, err = p.stdout.decode(), p.stderr.decode()
    assert "Traceback" not in err, err
    if code is not None:
        assert p.returncode == code, (p.returncode, out, err)
    return p.returncode, out, err


def call(argv, capsys):
    """``cli.main`` in process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _seed_jsonl(path, copies=()):
    """The seeds as JSON Lines (id = file name), plus exact copies of ``copies`` under new ids."""
    rows = [{"id": n, "title": n[:3], "text": (CORPUS / n).read_text(encoding="utf-8")} for n in SEEDS]
    rows += [dict(rows[k], id=f"copy-of-{rows[k]['id']}") for k in copies]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return rows


# =========================================================================== help (in process)
def _example_argv(example: str) -> list[str]:
    """The arguments of ``near-dups`` in an example command line (after a pipe, before a redirection)."""
    words = shlex.split(example, comments=True)
    words = words[words.index("near-dups") + 1:]
    return words[: next((k for k, w in enumerate(words) if w in ("|", "<", ">")), len(words))]


def _command_name(args) -> str:
    group = _table.GROUPS.get(args.command) and getattr(args, f"{args.command}_command")
    return f"{args.command} {group}" if group else args.command


@pytest.mark.parametrize("command", _table.TABLE, ids=lambda c: c.name)
def test_each_command_help_is_generated_from_the_table(command, capsys):
    code, out, _ = call([*command.name.split(), "--help"], capsys)
    assert code == 0
    assert out.startswith(f"usage: {_table.usage(command)} [options]\n")
    assert " ".join(command.description.split()) in " ".join(out.split())
    assert "examples:" in out and all(f"\n  {e}\n" in out for e in command.examples)
    assert command.notes in out
    for option in ("--threshold", "--ngram", "--shingle", "--num-perm", "--seed", "--sketch", "--unit", "--text-field",
                   "--id-field", "--jobs", "--quiet", "--verbose"):
        assert option in out
    assert ("skipped with a warning" in out and "stops the run" in out) == command.reads_inputs
    parser, _ = _table.build_parser()
    for example in command.examples:  # every example is a command line this command accepts
        assert _command_name(parser.parse_args(_table.dispatch(_example_argv(example)))) == command.name, example


def test_the_command_lists_name_every_command(capsys):
    _, out, _ = run("--help")
    assert "examples:" in out and "Run `near-dups COMMAND --help`" in out
    for name in _table.TOP:
        assert f"\n  {name} " in out
    for c in _table.TABLE:
        assert f"\n  {c.examples[0]}\n" in out
    assert "skipped with a warning" in out and "stops the run (exit 2)" in out
    for group in _table.GROUPS:
        code, out, _ = call([group, "--help"], capsys)
        assert code == 0
        leaves = [c.name.split()[1] for c in _table.members(group)]
        assert leaves and all(f"\n  {leaf} " in out for leaf in leaves)
        assert ", ".join(leaves) in " ".join(_table.top_help().split())
    assert "remove" in [c.name.split()[1] for c in _table.members("index")]


def test_parsing_arguments_imports_neither_numpy_nor_numba():
    """--help, --version and parsing every example stay fast: no numpy, no numba."""
    script = (
        "import contextlib, io, sys\n"
        "from dedup import cli\n"
        "from dedup.cli import _table\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert cli.main(['--version']) == 0 and cli.main(['--help']) == 0\n"
        "    for c in _table.TABLE:\n"
        "        assert cli.main([*c.name.split(), '--help']) == 0\n"
        "parser, _ = _table.build_parser()\n"
        f"for argv in {[_example_argv(e) for c in _table.TABLE for e in c.examples]!r}:\n"
        "    parser.parse_args(_table.dispatch(argv))\n"
        "print(sorted(m for m in ('numpy', 'numba') if m in sys.modules))\n")
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "[]\n"


def test_a_path_first_means_the_overview_and_a_command_name_must_be_first(tmp_path, capsys, monkeypatch):
    assert _table.dispatch([str(CORPUS)]) == ["overview", str(CORPUS)]
    assert _table.dispatch(["-q", "dedup"]) == ["overview", "-q", "dedup"]
    assert _table.dispatch(["dedup", "x", "-o", "y"])[0] == "dedup"
    # a folder literally named like a command is reached as ./dedup or with find
    (tmp_path / "dedup").mkdir()
    shutil.copy(S000, tmp_path / "dedup" / "a.txt")
    shutil.copy(S000, tmp_path / "dedup" / "b.txt")
    monkeypatch.chdir(tmp_path)
    code, out, _ = call(["find", "dedup", "--format", "jsonl", "-q"], capsys)
    assert code == 0 and json.loads(out)["ids"] == ["dedup/a.txt", "dedup/b.txt"]
    code, out2, _ = call(["./dedup", "--format", "jsonl", "-q"], capsys)
    code, out3, _ = call(["overview", "dedup", "--format", "jsonl", "-q"], capsys)
    same = [json.loads(x) for x in out3.splitlines()]
    assert [json.loads(x) for x in out2.replace("./dedup", "dedup").splitlines()] == same
    assert same[0]["section"] == "clusters" and same[0]["ids"] == ["dedup/a.txt", "dedup/b.txt"]
    code, _, err = call([], capsys)
    assert code == 2 and "give a PATH" in err


@pytest.mark.parametrize("argv, message", [
    (["--threshold", "1.5"], "--threshold must be in (0, 1], got 1.5"),
    (["--threshold", "0"], "--threshold must be in (0, 1], got 0.0"),
    (["--ngram", "0"], "--ngram must be >= 1, got 0"),
    (["--num-perm", "-3"], "--num-perm must be >= 1, got -3"),
    (["--seed", "-1"], "--seed must be in [0, 18446744073709551615], got -1"),
    (["--jobs", "0"], "--jobs must be in [1, "),
    (["--ngram", "x"], "argument --ngram: invalid int value: 'x'"),
    (["--format", "xml"], "argument --format: invalid choice: 'xml'"),
    (["--unit", "word"], "argument --unit: invalid choice: 'word'"),
])
def test_out_of_range_options_name_the_option(argv, message, capsys):
    code, out, err = call([CORPUS, *argv], capsys)
    assert code == 2 and message in err and out == ""
    assert "usage: near-dups [overview] PATH..." in err


def test_machine_formats_say_the_same_thing(capsys):
    base = ["find", CORPUS, "--threshold", "0.25", "--ngram", "1", "-q"]
    _, jl, _ = call([*base, "--format", "jsonl"], capsys)
    _, js, _ = call([*base, "--format", "json"], capsys)
    _, cs, _ = call([*base, "--format", "csv"], capsys)
    records = [json.loads(x) for x in jl.splitlines()]
    assert json.loads(js) == records
    rows = list(csv.DictReader(io.StringIO(cs)))  # one row per member, one value per cell
    assert [(int(r["cluster"]), r["id"]) for r in rows] == [(c["cluster"], i) for c in records for i in c["ids"]]
    assert [r["id"] for r in rows if r["action"] == "keep"] == [c["keep"] for c in records]
    assert all(int(r["size"]) == len(c["ids"]) for c in records for r in rows if int(r["cluster"]) == c["cluster"])
    pairs = {(a, b): s for c in records for a, b, s in c["pairs"]}
    for r in rows:
        assert float(r["jaccard"]) == pairs.get((r["id"], r["matched"]), pairs.get((r["matched"], r["id"])))
    assert not any(cell.startswith(("[", "{")) for r in rows for cell in r.values())


def test_csv_is_one_value_per_cell_for_every_command(tmp_path, capsys):
    """blocks: a row per occurrence; collapse --dry-run: the kept copy in three columns; index query: a row per
    match. No cell holds JSON."""
    _, out, _ = call(["blocks", CORPUS, "--format", "csv", "-q"], capsys)
    _, jl, _ = call(["blocks", CORPUS, "--format", "jsonl", "-q"], capsys)
    rows, blocks = list(csv.DictReader(io.StringIO(out))), [json.loads(x) for x in jl.splitlines()]
    assert [(int(r["block"]), r["id"], int(r["start"]), int(r["end"])) for r in rows] == [
        (b["block"], o["id"], o["start"], o["end"]) for b in blocks for o in b["occurrences"]]
    _, out, _ = call(["collapse", CORPUS, "--dry-run", "--format", "csv", "-q"], capsys)
    _, jl, _ = call(["collapse", CORPUS, "--dry-run", "--format", "jsonl", "-q"], capsys)
    rows, removals = list(csv.DictReader(io.StringIO(out))), [json.loads(x) for x in jl.splitlines()]
    assert [(r["source_id"], int(r["source_start"]), int(r["source_end"])) for r in rows] == [
        (m["source"]["id"], m["source"]["start"], m["source"]["end"]) for m in removals]
    idx = tmp_path / "c.idx"
    call(["index", "build", CORPUS, "-o", idx, "-q"], capsys)
    _, out, _ = call(["index", "query", idx, CORPUS, "--format", "csv", "-q"], capsys)
    _, jl, _ = call(["index", "query", idx, CORPUS, "--format", "jsonl", "-q"], capsys)
    rows, matches = list(csv.DictReader(io.StringIO(out))), [json.loads(x) for x in jl.splitlines()]
    assert [(r["id"], r["match"], float(r["jaccard"])) for r in rows] == [
        (q["id"], m, s) for q in matches for m, s in q["matches"]] and rows
    for text in (out,):
        assert not any(cell.startswith(("[", "{")) for r in csv.reader(io.StringIO(text)) for cell in r)


# =========================================================================== each command on corpus/
def test_find_on_corpus_says_clearly_when_there_is_nothing():
    _, out, err = run("find", CORPUS)
    assert out.startswith("No near-duplicates among 3 documents at --threshold 0.8")
    assert err.startswith("near-dups: 3 documents, 0.01 MB, 0 clusters (0 duplicates), ")
    assert err.rstrip().endswith(" s") and err.count("\n") == 1  # the one-line summary


def test_find_with_a_lower_threshold_jsonl_and_fail_on_duplicates():
    _, out, err = run("find", CORPUS, "--threshold", "0.25", "--ngram", "1", "--format", "jsonl",
                      "--fail-on-duplicates", "--jobs", "1", code=1)
    (rec,) = [json.loads(x) for x in out.splitlines()]
    assert rec["cluster"] == 1 and rec["ids"] == [os.path.normpath(S000), os.path.normpath(S001)]
    assert rec["keep"] == rec["ids"][0]
    (a, b, score), = rec["pairs"]
    assert (a, b) == tuple(rec["ids"]) and 0.25 <= score < 0.3
    assert "1 cluster (1 duplicate)" in err


def test_dedup_a_folder_writes_the_kept_files_and_a_report(tmp_path):
    out = tmp_path / "deduped"
    _, _, err = run("dedup", CORPUS, "-o", out, "--threshold", "0.25", "--ngram", "1")
    assert sorted(os.listdir(out)) == [SEEDS[0], SEEDS[2]]
    assert (out / SEEDS[2]).read_bytes() == (CORPUS / SEEDS[2]).read_bytes()
    (rep,) = [json.loads(x) for x in (tmp_path / "deduped.dropped.jsonl").read_text().splitlines()]
    assert rep["id"] == os.path.normpath(S001) and rep["kept"] == os.path.normpath(S000)
    assert rep["matched"] == rep["kept"] and rep["reason"].startswith("near-duplicate (jaccard 0.27")
    assert "1 dropped, 2 written to" in err


def test_dedup_jsonl_from_stdin_keeps_records_verbatim(tmp_path):
    src = tmp_path / "seeds.jsonl"
    rows = _seed_jsonl(src, copies=(2,))
    run("dedup", "-", "-o", tmp_path / "clean.jsonl.gz", "--keep", "longest", "--report", tmp_path / "why.jsonl",
        "--fail-on-duplicates", stdin=gzip.compress(src.read_bytes()), code=1)
    kept = gzip.decompress((tmp_path / "clean.jsonl.gz").read_bytes()).decode().splitlines()
    assert kept == src.read_text(encoding="utf-8").splitlines()[:3]  # byte for byte, all fields
    (why,) = [json.loads(x) for x in (tmp_path / "why.jsonl").read_text().splitlines()]
    assert why == {"id": "copy-of-" + rows[2]["id"], "source": "-:4", "cluster": 1, "kept": rows[2]["id"],
                   "matched": rows[2]["id"], "jaccard": 1.0, "reason": "same text"}


@needs_blocks
def test_collapse_corpus_removes_003s_doubled_header(tmp_path):
    out = tmp_path / "collapsed"
    _, _, err = run("collapse", CORPUS, "-o", out)
    original = (CORPUS / SEEDS[2]).read_text(encoding="utf-8")
    header = original.split("\n", 1)[0]
    assert original.count(header) == 2
    collapsed = (out / SEEDS[2]).read_text(encoding="utf-8")
    assert collapsed.count(header) == 1 and len(collapsed) < len(original)
    assert (out / SEEDS[0]).read_bytes() == (CORPUS / SEEDS[0]).read_bytes()
    removals = [json.loads(x) for x in (tmp_path / "collapsed.removals.jsonl").read_text().splitlines()]
    first = removals[0]
    assert first["id"] == os.path.normpath(S003) and first["text"] == header and first["kind"] == "repeat"
    assert original[first["source"]["start"]:first["source"]["end"]] == header
    assert all(original[r["start"]:r["end"]] == r["text"] for r in removals)
    assert f"{len(removals)} removals in 1 document" in err


@needs_blocks
def test_collapse_dry_run_and_blocks_report_without_writing(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "c")
    _, out, _ = run("collapse", "--dry-run", "c", "--format", "jsonl", "--unit", "paragraph", "-q",
                    cwd=tmp_path)
    removals = [json.loads(x) for x in out.splitlines()]
    assert removals and {r["id"] for r in removals} == {os.path.join("c", SEEDS[2])}
    assert sorted(os.listdir(tmp_path)) == ["c"]  # nothing written
    _, out, _ = run("blocks", "c", "-q", cwd=tmp_path)
    header = (CORPUS / SEEDS[2]).read_text(encoding="utf-8").split("\n", 1)[0]
    assert "repeated blocks in 3 documents" in out and header in out
    assert f"c/{SEEDS[2]}:0-{len(header)}" in out


def test_explain_000_and_003_shows_the_shared_passages():
    _, out, _ = run("explain", S000, S003)
    assert out.startswith(f"{os.path.normpath(S000)}  vs  {os.path.normpath(S003)}\njaccard 0.016")
    assert "not near-duplicates at --threshold 0.8" in out
    assert "On the sidelines of the NATO summit in Madrid" in out


def test_explain_reads_one_side_from_stdin_and_ids_from_a_corpus(tmp_path, capsys):
    text = (CORPUS / SEEDS[0]).read_text(encoding="utf-8")
    _, out, _ = run("explain", S000, "-", "--format", "json", stdin=text.encode())
    rec = json.loads(out)
    assert rec["jaccard"] == 1.0 and rec["near_duplicates"] and rec["b"] == "-"
    src = tmp_path / "s.jsonl"
    _seed_jsonl(src)
    code, out, _ = call(["explain", "--corpus", src, SEEDS[0], SEEDS[2], "--format", "jsonl"], capsys)
    assert code == 0 and json.loads(out)["shared_shingles"] == 20
    code, _, err = call(["explain", "--corpus", src, "nope", SEEDS[2]], capsys)
    assert code == 2 and "no document with id 'nope'" in err
    code, _, err = call(["explain", src, S000], capsys)
    assert code == 2 and "holds 3 documents" in err


def test_stdin_text_lines_and_jsonl(capsys, monkeypatch):
    _, out, _ = run("find", "-", "--stdin-format", "lines", "--format", "jsonl", "-q",
                    stdin=b"one two three four five six\nsomething else\none two three four five six!\n")
    assert json.loads(out)["ids"] == [1, 3]


# =========================================================================== bad input
@pytest.fixture(scope="module")
def bad(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    (d / "folder").mkdir()
    shutil.copy(S000, d / "folder" / "a.txt")
    shutil.copy(S000, d / "folder" / "b.txt")
    (d / "folder" / "core.txt").write_bytes(b"\x7fELF\x02\x01\x00\x00binary")
    (d / "folder" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (d / "latin1.txt").write_bytes("a first line\nun café crème\n".encode("latin-1"))
    (d / "bad.jsonl").write_text('{"id": 1, "text": "fine"}\n{"id": 2, "text": "cut\n{"id": 3, "text": "x"}\n')
    (d / "nofield.jsonl").write_text('{"id": 1, "text": "fine"}\n{"id": 2, "body": "x"}\n')
    rows = "".join(json.dumps({"id": i, "text": f"words of document {i} " * 30}) + "\n" for i in range(2000))
    z = gzip.compress(rows.encode())
    (d / "cut.jsonl.gz").write_bytes(z[: len(z) // 2])
    (d / "empty").mkdir()
    return d


@pytest.mark.parametrize("args, message", [
    (["missing.txt"], "near-dups: error: missing.txt: no such file or folder\n"),
    (["latin1.txt", "--encoding", "utf-8"], "near-dups: error: latin1.txt:2: not utf-8 (byte 0xe9 at offset 19"),
    (["bad.jsonl"], "near-dups: error: bad.jsonl:2: malformed JSON: Unterminated string"),
    (["nofield.jsonl"], "near-dups: error: nofield.jsonl:2: no field 'text' (fields: id, body); "
                        "choose one with --text-field"),
    (["cut.jsonl.gz"], "near-dups: error: cut.jsonl.gz: truncated or corrupt gzip after line "),
    (["empty"], "near-dups: error: empty: no .txt/.md/"),
    (["dedup", "nofield.jsonl", "-o", "nofield.jsonl"],
     "near-dups: error: -o nofield.jsonl: is an input; the input is never modified"),
    (["dedup", "folder", "-o", "latin1.txt", "-q", "--force"], "near-dups: error: -o latin1.txt: exists and is not a folder"),
])
def test_bad_input_stops_with_one_clear_message(bad, args, message):
    _, out, err = run(*args, cwd=bad, code=2)
    assert err.startswith(message) and err.count("\n") == 1, err
    assert out == ""
    assert sorted(os.listdir(bad)) == ["bad.jsonl", "cut.jsonl.gz", "empty", "folder", "latin1.txt",
                                       "nofield.jsonl"]


def test_what_is_skipped_with_a_warning_and_the_run_goes_on(bad):
    _, out, err = run("folder", "bad.jsonl", "cut.jsonl.gz", "--skip-errors", "--format", "jsonl",
                      "--id-field", "id", cwd=bad)
    assert "warning: folder: skipped 1 file that is not .txt/" in err and "logo.png" in err
    assert "warning: folder/core.txt: binary file (NUL byte at offset 6), not text; skipped" in err
    assert "warning: bad.jsonl:2: malformed JSON" in err
    assert "warning: cut.jsonl.gz: truncated or corrupt gzip after line" in err and "kept the" in err
    assert json.loads(out.splitlines()[0])["ids"] == ["folder/a.txt", "folder/b.txt"]
    assert "warning: cut.jsonl.gz:2: duplicate id 1, first used at bad.jsonl:1" in err
    assert ", 5 skipped, " in err.splitlines()[-1]


def test_a_failed_run_keeps_the_old_output_and_leaves_no_temporary_file(bad, tmp_path):
    shutil.copy(bad / "nofield.jsonl", tmp_path / "in.jsonl")
    (tmp_path / "out.jsonl").write_text("previous result\n")
    run("dedup", "in.jsonl", "-o", "out.jsonl", cwd=tmp_path, code=2)
    assert (tmp_path / "out.jsonl").read_text() == "previous result\n"
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.jsonl"]
    # the same run that succeeds replaces it whole
    run("dedup", "in.jsonl", "-o", "out.jsonl", "--skip-errors", "-q", cwd=tmp_path, code=2)  # not without --force
    run("dedup", "in.jsonl", "-o", "out.jsonl", "--skip-errors", "-q", "--force", cwd=tmp_path)
    assert (tmp_path / "out.jsonl").read_text() == '{"id": 1, "text": "fine"}\n'
    assert sorted(os.listdir(tmp_path)) == ["in.jsonl", "out.dropped.jsonl", "out.jsonl"]


# =========================================================================== issue 30: options that clash, hints
def test_collapse_dry_run_and_an_output_exclude_each_other(tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    for extra in (["-o", notes], ["--removals", notes], ["-o", tmp_path / "missing" / "out"]):
        code, out, err = call(["collapse", CORPUS, "--dry-run", *extra], capsys)
        assert code == 2 and out == "" and "usage: near-dups collapse PATH... (-o OUT | --dry-run)" in err
        assert "and --dry-run exclude each other: a dry run writes nothing" in err and "Traceback" not in err
    assert notes.read_text() == "mine\n" and sorted(os.listdir(tmp_path)) == ["notes.txt"]
    code, _, err = call(["collapse", CORPUS], capsys)
    assert code == 2 and "-o/--output is required (or --dry-run to only report)" in err


def test_quiet_and_verbose_together_are_refused(capsys):
    code, out, err = call([CORPUS, "-q", "-v"], capsys)
    assert code == 2 and out == "" and "-q and -v exclude each other" in err


def test_extra_operands_print_the_commands_own_usage(capsys):
    code, out, err = call(["explain", S000, S000, S001], capsys)
    assert code == 2 and out == ""
    assert err.startswith("usage: near-dups explain A B") and f"unrecognized arguments: {S001}" in err
    code, _, err = call(["index", "query", "x.idx", "a.txt", "--bogus"], capsys)
    assert code == 2 and err.startswith("usage: near-dups index query") and "--bogus" in err


@pytest.mark.parametrize("argv", [["--help"], ["index", "--help"]])
def test_help_lists_each_command_once(argv, capsys):
    code, out, _ = call(argv, capsys)
    assert code == 0 and "positional arguments" not in out
    names = [c.name.split()[-1] for c in _table.TABLE if c.name.startswith("index ")] if argv[0] == "index" else [
        n for n in _table.TOP]
    for name in names:
        listed = [line for line in out.splitlines() if line.startswith(f"  {name} ")]
        assert len(listed) == 1, (name, listed)


def test_the_skip_errors_hint_only_where_skipping_leaves_something(tmp_path, capsys):
    (tmp_path / "e.txt").write_bytes(b"")
    (tmp_path / "f.txt").write_text("some words here")
    code, _, err = call(["find", tmp_path / "e.txt"], capsys)
    assert code == 2 and "e.txt: empty file: no documents in it" in err and "--skip-errors" not in err
    code, _, err = call(["find", tmp_path / "e.txt", tmp_path / "f.txt"], capsys)
    assert code == 2 and "e.txt: empty file: no documents in it (--skip-errors skips it and goes on)" in err
    code, _, err = call(["find", tmp_path / "e.txt", tmp_path / "f.txt", "--skip-errors", "-q"], capsys)
    assert code == 0


def test_all_files_reads_a_folder_of_files_without_suffixes(tmp_path, capsys):
    """A folder like /usr/share/common-licenses/: refused with the way out named; --all-files reads its texts
    (sniffed as text by content), skipping a binary one with a warning."""
    lic = tmp_path / "lic"
    lic.mkdir()
    for name, seed in (("GPL", S000), ("GPL-3", S000), ("BSD", S001)):
        shutil.copy(seed, lic / name)
    (lic / "core").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00binary")
    code, out, err = call(["find", lic], capsys)
    assert code == 2 and out == "" and "are read as text with --all-files (binary ones skipped)" in err
    assert "--skip-errors" not in err  # skipping the one folder would leave nothing
    code, out, err = call(["find", lic, "--all-files", "--format", "jsonl"], capsys)
    assert code == 0 and "core: binary file (NUL byte" in err
    clusters = [json.loads(x) for x in out.splitlines()]
    assert [c["ids"] for c in clusters] == [[str(lic / "GPL"), str(lic / "GPL-3")]]
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(S000, folder / "a.txt")
    shutil.copy(S001, folder / "README")
    code, out, err = call(["find", folder, "--format", "jsonl"], capsys)
    assert code == 0 and "skipped 1 file that is not .txt/" in err and "(--all-files reads it as text)" in err
    code, out, err = call(["find", folder / "README", folder / "a.txt", "--all-files"], capsys)
    assert code == 0 and "--all-files reads every file of a folder, and no folder was given; ignored" in err


def test_counts_are_grouped_and_agree_in_number(capsys):
    from dedup.cli._io._ui import number, plural

    assert [plural(1, "doc"), plural(2, "doc"), plural(256320, "removal"), number(2000)] == [
        "1 doc", "2 docs", "256,320 removals", "2,000"]
    assert plural(1, "copy", "copies") == "1 copy" and plural(3, "copy", "copies") == "3 copies"
    code, out, _ = call(["find", CORPUS, "--threshold", "0.25", "--ngram", "1", "-q"], capsys)
    assert out.startswith("1 cluster of near-duplicates among 3 documents (1 would be dropped)")
    assert "(s)" not in out


def test_explain_marks_each_sides_own_punctuation(seeds):
    """Issue 30: A's commas are not shown inside B's insertions; each side's pieces rebuild that side exactly,
    and what is marked equal is the same tokens on both sides."""
    import re

    from dedup.cli._explain import explain_passages, marked
    from dedup.cli._style import Style

    (_, a), _, (_, b) = seeds
    ps = explain_passages(a, b)
    first = next(p for p in ps if p["a"][0] == 524)
    assert marked(first["edits"], Style(False)) == (
        "On the sidelines of the NATO summit in Madrid, [-US-] President Joe Biden[-,-] {+spoke with+} Japanese "
        "Prime Minister Fumio Kishida[-,-] and South Korean President Yoon Suk-yeol")
    words = re.compile(r"\w+|[^\w\s]")
    edited = [(a[:4000] + " Extra words, here.", b), (a, a.replace(", ", " ; ", 5).replace("the ", "THE ", 3))]
    for x, y in [(a, b), *edited]:
        for p in explain_passages(x, y):
            assert "".join(e[1] for e in p["edits"]) == x[p["a"][0]:p["a"][1]]
            assert "".join(e[2] for e in p["edits"]) == y[p["b"][0]:p["b"][1]]
            for op, ta, tb in p["edits"]:
                if op == "equal":
                    assert words.findall(ta) == words.findall(tb)
                else:
                    assert words.findall(ta) != words.findall(tb)


def test_a_block_says_when_its_copies_differ(tmp_path, capsys):
    """Issue 30: "Files: *" and bare "Files:" lines are one block (punctuation is not compared): the block shows
    the kept (first) copy's own text, says the copies differ only in punctuation, and each other copy carries
    its own text."""
    body = "Copyright 2020 Someone Else\nLicense: GPL-2+\n This package is free software and comes as is.\n"
    docs = {"a.txt": "Files: *\n" + body + "Files:\n debian/*\n",
            "b.txt": "Files: *\n" + body.replace("2020", "2021") + "Files:     *\n",
            "c.txt": "Files:\n src/*\n" + body}
    folder = tmp_path / "copyright"
    folder.mkdir()
    for name, text in docs.items():
        (folder / name).write_text(text)
    code, out, _ = call(["blocks", folder, "--unit", "line", "--format", "jsonl", "-q"], capsys)
    block = next(json.loads(x) for x in out.splitlines() if json.loads(x)["text"].startswith("Files:"))
    first = block["occurrences"][0]
    assert block["text"] == docs[os.path.basename(first["id"])][first["start"]:first["end"]] == "Files: *"
    for o in block["occurrences"]:
        own = docs[os.path.basename(o["id"])][o["start"]:o["end"]]
        assert o.get("text", block["text"]) == own and ("text" in o) == (own != block["text"])
    assert sorted({o.get("text", block["text"]) for o in block["occurrences"]}) == ["Files:", "Files:     *",
                                                                                    "Files: *"]
    code, out, _ = call(["blocks", folder, "--unit", "line", "-q"], capsys)
    assert code == 0
    shown = out[out.index("    Files: *\n"):]
    assert shown.startswith('    Files: *\n    copies differ only in punctuation, spacing or case; 3 variants:\n')
    assert '"Files:     *"' in shown and f'a.txt:{docs["a.txt"].rindex("Files:")}-{docs["a.txt"].rindex("Files:") + 6}  "Files:"' in out
    code, out, _ = call([folder, "--unit", "line", "-q"], capsys)  # the overview says it too
    assert "copies differ only in punctuation, spacing or case; 3 variants:" in out
