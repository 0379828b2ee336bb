"""``near-dups index build|add|query|filter`` and ``--shingle``, on corpus/ plus edited copies.

Subprocess runs (about 1.5 s each) check what a user sees end to end: exit
codes, one-line messages, no traceback. Everything else calls
``dedup.cli.main`` in process, and results are compared with the API's.
"""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest

import dedup
from dedup._indexing._pipeline import SHINGLE_MODES

from tests.support import CORPUS
from tests.test_cli import call, run

SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))


def exact_jaccard(a: str, b: str, **kw) -> float:
    sa, sb = dedup.shingles(a, **kw), dedup.shingles(b, **kw)
    shared = np.intersect1d(sa, sb).shape[0]
    return shared / (sa.shape[0] + sb.shape[0] - shared)


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    """tmp/corpus (the seeds) and tmp/edits: an edited copy of 000, a trimmed copy of 003, one new text."""
    d = tmp_path_factory.mktemp("index")
    shutil.copytree(CORPUS, d / "corpus")
    (d / "edits").mkdir()
    s000 = (CORPUS / SEEDS[0]).read_text(encoding="utf-8")
    s003 = (CORPUS / SEEDS[2]).read_text(encoding="utf-8")
    (d / "edits" / "000_edited.txt").write_text(s000.replace(" the ", " a ", 3), encoding="utf-8")
    (d / "edits" / "003_trimmed.txt").write_text(s003[: len(s003) * 9 // 10], encoding="utf-8")
    (d / "edits" / "new.txt").write_text("An entirely different note about gardening, tomatoes and the weather "
                                         "this spring, and nothing about summits.", encoding="utf-8")
    return d


def texts_of(folder) -> dict:
    return {os.path.join(folder.name, p.name): p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))}


def test_build_query_filter_add_round_trip(work, capsys, monkeypatch):
    seeds, edits = texts_of(work / "corpus"), texts_of(work / "edits")
    _, _, err = run("index", "build", "corpus", "-o", "corpus.idx", cwd=work)
    assert err.startswith("near-dups: 3 documents, 0.01 MB, index of 3 documents (0 near-duplicate pairs) "
                          "saved to corpus.idx, ")
    idx = dedup.load(work / "corpus.idx")
    assert idx.ids == list(seeds) and idx.config == dedup.Config()

    # query: each edited copy finds its original with the exact Jaccard; the new text finds nothing
    _, out, err = run("index", "query", "corpus.idx", "edits", "--format", "jsonl", "--fail-on-duplicates",
                      cwd=work, code=1)
    records = [json.loads(x) for x in out.splitlines()]
    e000, e003 = "edits/000_edited.txt", "edits/003_trimmed.txt"
    o000, o003 = f"corpus/{SEEDS[0]}", f"corpus/{SEEDS[2]}"
    assert [r["id"] for r in records] == [e000, e003]
    assert records[0]["source"] == e000
    assert records[0]["matches"] == [[o000, round(exact_jaccard(edits[e000], seeds[o000]), 6)]]
    assert records[1]["matches"] == [[o003, round(exact_jaccard(edits[e003], seeds[o003]), 6)]]
    assert 0.8 <= records[1]["matches"][0][1] < records[0]["matches"][0][1] < 1
    assert "2 with near-duplicates among the 3 indexed documents" in err

    # the other formats, in process, say the same
    monkeypatch.chdir(work)
    code, out, _ = call(["index", "query", "corpus.idx", "edits", "-q"], capsys)
    assert code == 0 and out.startswith("2 of 3 documents have near-duplicates among the 3 indexed documents "
                                        "at --threshold 0.8:\n")
    assert f"\n{e000}  " in out and f"\n  {records[0]['matches'][0][1]:.3f}  {o000}\n" in out
    code, js, _ = call(["index", "query", "corpus.idx", "edits", "-q", "--format", "json"], capsys)
    assert json.loads(js) == records
    code, out, _ = call(["index", "query", "corpus.idx", "edits/new.txt", "-q"], capsys)
    assert code == 0 and out.startswith("None of 1 document has a near-duplicate among the 3 indexed")

    # filter --add: writes and adds only the new text
    _, _, err = run("index", "filter", "corpus.idx", "edits", "-o", "fresh", "--add", cwd=work)
    assert os.listdir(work / "fresh") == ["new.txt"]
    assert "2 held back as near-duplicates, 1 written to fresh, added to corpus.idx (4 documents)" in err
    assert dedup.load(work / "corpus.idx").ids == [*seeds, "edits/new.txt"]

    # add: an indexed id is an error naming it; --skip-existing adds the rest
    _, _, err = run("index", "add", "corpus.idx", "edits", cwd=work, code=2)
    assert err == ("near-dups: error: edits/new.txt: id 'edits/new.txt' is already in the index corpus.idx; "
                   "--skip-existing skips such documents\n")
    _, _, err = run("index", "add", "corpus.idx", "edits", "--skip-existing", "--fail-on-duplicates", cwd=work,
                    code=1)
    assert "warning: skipped 1 document whose id is already in the index (first: 'edits/new.txt')" in err
    assert "2 added (1 already indexed), 2 new near-duplicate pairs, index of 6 documents saved to corpus.idx" in err
    # the saved index equals one batch build over the same documents in the same order
    idx = dedup.load(work / "corpus.idx")
    order = [*seeds, "edits/new.txt", e000, e003]
    assert idx.ids == order
    batch = dedup.index([(i, {**seeds, **edits}[i]) for i in order])
    assert idx.pairs() == batch.pairs() and len(idx.pairs()) == 2
    assert sorted(os.listdir(work / "corpus.idx")) == ["CURRENT", "LOCK", "gen-000003"]  # nothing left behind


def test_a_damaged_index_is_one_clear_message(work, capsys, monkeypatch):
    dedup.index([("a", "one two three four five six"), ("b", "seven eight nine ten eleven")]).save(work / "bad.idx")
    gen = (work / "bad.idx" / "CURRENT").read_text().strip()
    values = work / "bad.idx" / gen / "values.npy"
    data = bytearray(values.read_bytes())
    data[-3] ^= 0xFF
    values.write_bytes(bytes(data))
    _, out, err = run("index", "query", "bad.idx", "edits", cwd=work, code=2)
    assert out == "" and err == (f"near-dups: error: bad.idx/{gen}/values.npy: checksum mismatch: the file is "
                                 "corrupted (rebuild it with: near-dups index build PATH... -o bad.idx --force)\n")
    monkeypatch.chdir(work)
    keys = work / "bad.idx" / gen / "keys.npy"
    keys.write_bytes(keys.read_bytes()[:100])
    code, _, err = call(["index", "query", "bad.idx", "edits", "--no-verify"], capsys)
    assert code == 2 and err.startswith(f"near-dups: error: bad.idx/{gen}/keys.npy: unreadable or truncated")
    code, _, err = call(["index", "add", "nothere.idx", "edits"], capsys)
    assert code == 2 and err == ("near-dups: error: nothere.idx: no such index (make one with: near-dups index "
                                 "build PATH... -o nothere.idx)\n")
    code, _, err = call(["index", "query", "edits", "edits"], capsys)
    assert code == 2 and err == "near-dups: error: edits: not a near-dups index (no CURRENT file)\n"


def test_options_that_conflict_with_the_saved_config_are_refused(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    code, _, _ = call(["index", "build", "corpus", "-o", "char.idx", "--shingle", "char", "--ngram", "4",
                       "--threshold", "0.5", "-q"], capsys)
    assert code == 0 and dedup.load("char.idx").config == dedup.Config(shingle="char", ngram=4, threshold=0.5)
    _, out, err = run("index", "query", "char.idx", "edits", "--ngram", "3", cwd=work, code=2)
    assert out == "" and err.endswith(
        "near-dups index query: error: --ngram 3: the index char.idx was built with --ngram 4; shingles and "
        "signatures made otherwise cannot be compared (leave out --ngram, or build a new index)\n")
    assert err.startswith("usage: near-dups index query IDX PATH...")
    for argv, message in [
        (["query", "char.idx", "edits", "--shingle", "word"], "--shingle word: the index char.idx was built with "
                                                             "--shingle char"),
        (["filter", "char.idx", "edits", "-o", "f", "--seed", "1"], "--seed 1: the index char.idx was built with "
                                                                    "--seed 0"),
        (["add", "char.idx", "edits", "--threshold", "0.8"], "--threshold 0.8: the index char.idx was built with "
                                                             "--threshold 0.5; its verified pairs and LSH bands"),
    ]:
        code, _, err = call(["index", *argv], capsys)
        assert code == 2 and f"error: {message}" in err, err
    # the same values as saved are fine, and query's --threshold may be raised
    code, out, _ = call(["index", "query", "char.idx", "edits", "--shingle", "char", "--ngram", "4",
                         "--threshold", "0.95", "--format", "jsonl", "-q"], capsys)
    assert code == 0 and [json.loads(x)["id"] for x in out.splitlines()] == ["edits/000_edited.txt"]
    assert not (work / "f").exists()


def test_build_refuses_an_output_that_is_not_a_new_index(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    (work / "keep.idx").mkdir()
    (work / "keep.idx" / "notes.txt").write_text("mine")
    for argv, message in [
        (["-o", "keep.idx"], "-o keep.idx: folder exists and is not empty; name a new or empty folder"),
        (["-o", "corpus/x.idx"], "-o corpus/x.idx: is inside the input folder corpus; its files would be read"),
        (["-o", "edits/new.txt"], "-o edits/new.txt: exists and is not a folder; an index is a folder"),
    ]:
        code, _, err = call(["index", "build", "corpus", *argv], capsys)
        assert code == 2 and err.startswith(f"near-dups: error: {message}"), err
    call(["index", "build", "corpus", "-o", "once.idx", "-q"], capsys)
    code, _, err = call(["index", "build", "edits", "-o", "once.idx"], capsys)
    assert code == 2 and "-o once.idx: already holds an index; `near-dups index add once.idx PATH...` adds to it" in err
    code, _, _ = call(["index", "build", "edits", "-o", "once.idx", "--force", "-q"], capsys)
    assert code == 0 and dedup.load("once.idx").ids == list(texts_of(work / "edits"))
    assert (work / "keep.idx" / "notes.txt").read_text() == "mine"
    code, _, err = call(["index"], capsys)
    assert code == 2 and "near-dups index: error: give a command: build, add, query, filter" in err


def test_ids_of_one_index_must_be_all_str_or_all_int(work, capsys, monkeypatch):
    monkeypatch.chdir(work)
    (work / "ints.jsonl").write_text('{"id": 1, "text": "alpha beta gamma delta epsilon zeta"}\n'
                                     '{"id": 2, "text": "eta theta iota kappa lambda mu"}\n')
    code, _, _ = call(["index", "build", "ints.jsonl", "-o", "ints.idx", "-q"], capsys)
    assert code == 0 and dedup.load("ints.idx").ids == [1, 2]
    code, _, err = call(["index", "add", "ints.idx", "edits/new.txt"], capsys)
    assert code == 2 and err == ("near-dups: error: edits/new.txt: id 'edits/new.txt' is str, but the index's ids "
                                 "are int; the ids of one index must all be strings or all be integers (see "
                                 "--id-field)\n")


@pytest.mark.parametrize("shingle", sorted(SHINGLE_MODES))
def test_shingle_option_is_passed_to_the_index(shingle, capsys):
    code, out, _ = call(["find", CORPUS, "--shingle", shingle, "--threshold", "0.2", "--format", "jsonl", "-q"], capsys)
    docs = [(os.path.join(os.path.normpath(str(CORPUS)), n), (CORPUS / n).read_text(encoding="utf-8"))
            for n in SEEDS]
    want = dedup.index(docs, shingle=shingle, threshold=0.2).pairs()
    got = [tuple(p) for r in map(json.loads, out.splitlines()) for p in r["pairs"]]
    assert got == [(a, b, round(s, 6)) for a, b, s in want]
    assert bool(got) == (shingle == "char")  # 000 and 001 share more 5-character than 5-word shingles
    code, out, _ = call(["find", CORPUS, "--shingle", shingle, "--threshold", "0.2", "-q"], capsys)
    assert f"5-{'word' if shingle == 'word' else 'character'} shingles" in out


def test_the_cli_offers_the_shingle_units_of_the_api():
    from dedup.cli import _table

    (shingle,) = [a for a in _table.shared_options()._actions if a.dest == "shingle"]
    assert tuple(shingle.choices) == tuple(SHINGLE_MODES)


def test_index_remove(work, capsys, monkeypatch):
    seeds, edits = texts_of(work / "corpus"), texts_of(work / "edits")
    run("index", "build", "corpus", "edits", "-o", "rm.idx", "-q", cwd=work)
    e000 = "edits/000_edited.txt"
    _, _, err = run("index", "remove", "rm.idx", e000, cwd=work)
    assert err.startswith("near-dups: 1 removed, index of 5 documents (1 near-duplicate pair) saved to rm.idx, ")
    idx = dedup.load(work / "rm.idx")
    rest = [(i, {**seeds, **edits}[i]) for i in [*seeds, *edits] if i != e000]
    assert idx.ids == [i for i, _ in rest] and idx.pairs() == dedup.index(rest).pairs()

    _, _, err = run("index", "remove", "rm.idx", e000, cwd=work, code=2)
    assert err == (f"near-dups: error: rm.idx: no document with id '{e000}'; --missing-ok skips ids that are "
                   "not indexed\n")
    monkeypatch.chdir(work)
    (work / "ids.txt").write_text(f"{e000}\n\nedits/new.txt\n", encoding="utf-8")
    code, _, err = call(["index", "remove", "rm.idx", "--ids-from", "ids.txt", "--missing-ok"], capsys)
    assert code == 0 and "1 removed (1 not indexed), index of 4 documents" in err
    assert "edits/new.txt" not in dedup.load(work / "rm.idx").ids
    code, _, err = call(["index", "remove", "rm.idx"], capsys)
    assert code == 2 and "name the ids to remove (ID... or --ids-from FILE)" in err
    code, _, err = call(["index", "remove", "rm.idx", "--ids-from", "nowhere.txt"], capsys)
    assert code == 2 and err.startswith("near-dups: error: --ids-from nowhere.txt: No such file")

    # an index of integer ids (a JSON Lines id field): the shell's "1" names document 1
    rows = [{"id": k, "text": t} for k, t in enumerate(seeds.values())]
    (work / "int.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    code, _, _ = call(["index", "build", "int.jsonl", "-o", "int.idx", "-q"], capsys)
    assert code == 0 and dedup.load(work / "int.idx").ids == [0, 1, 2]
    code, _, err = call(["index", "remove", "int.idx", "--missing-ok", "1", "01", "7", "\u00b2"], capsys)
    assert code == 0 and "1 removed (2 not indexed), index of 2 documents" in err  # ids after an option too
    assert dedup.load(work / "int.idx").ids == [0, 2]
    code, _, err = call(["index", "remove", "int.idx", "2", "--bogus"], capsys)
    assert code == 2 and "unrecognized arguments: --bogus" in err and dedup.load(work / "int.idx").ids == [0, 2]


def test_sketch_reaches_the_index_and_is_fixed_by_it(work, capsys, monkeypatch):
    """--sketch minhash indexes with the classic family (the pairs equal the API's); a saved index fixes it."""
    monkeypatch.chdir(work)
    docs = {**texts_of(work / "corpus"), **texts_of(work / "edits")}
    code, out, _ = call(["find", "corpus", "edits", "--sketch", "minhash", "--threshold", "0.5", "--format", "jsonl",
                         "-q"], capsys)
    want = dedup.index(docs, config=dedup.Config(sketch="minhash", threshold=0.5)).pairs()
    assert code == 0 and want
    assert [tuple(p) for r in map(json.loads, out.splitlines()) for p in r["pairs"]] == \
        [(a, b, round(s, 6)) for a, b, s in want]
    code, _, _ = call(["index", "build", "corpus", "-o", "minhash.idx", "--sketch", "minhash", "-q"], capsys)
    assert code == 0 and dedup.load("minhash.idx").config.sketch == "minhash"
    code, _, err = call(["index", "query", "minhash.idx", "edits", "--sketch", "oph"], capsys)
    assert code == 2 and "error: --sketch oph: the index minhash.idx was built with --sketch minhash" in err
    code, _, err = call(["find", "corpus", "--sketch", "bottomk"], capsys)
    assert code == 2 and "argument --sketch: invalid choice: 'bottomk'" in err
