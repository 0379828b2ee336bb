"""``near-dups passages`` and ``near-dups explain``'s passages (the passage engine), and their rendering."""

from __future__ import annotations

import csv
import io
import json

import pytest
from tests.test_cli import S000, S003, SEEDS, call, run
from tests.test_passages import SIDELINES

import dedup
from dedup.cli import _explain, _render
from dedup.cli._style import Style

from tests.support import CORPUS

JAPANESE = ("昨日、東京で首相は記者会見を開き、新しい経済対策について詳しく説明した。",
            "報道によると、首相は記者会見を開き、新しい経済対策について詳しく説明したという。",
            "首相は記者会見を開き、新しい経済対策について詳しく説明した")
CHINESE = ("据新华社报道，国家主席今天在北京会见了来访的外国代表团并发表重要讲话。",
           "今天上午，国家主席今天在北京会见了来访的外国代表团，双方进行了交流。",
           "国家主席今天在北京会见了来访的外国代表团")
THAI = ("นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเพิ่มงบประมาณด้านการศึกษาในปีหน้า",
        "เมื่อวานนี้นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเพิ่มงบประมาณด้านการศึกษาอย่างมาก",
        "นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเพิ่มงบประมาณด้านการศึกษา")


def test_passages_jsonl_spans_read_the_files(capsys):
    code, out, err = call(["passages", CORPUS, "--min-words", "8", "--format", "jsonl", "-q"], capsys)
    assert code == 0 and err == ""
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["group"] for r in records] == list(range(1, len(records) + 1))
    texts = {str(p): p.read_text(encoding="utf-8") for p in CORPUS.glob("*.txt")}
    sidelines = [r for r in records if SIDELINES in r["text"]]
    assert len(sidelines) == 1 and sidelines[0]["documents"] == 3
    assert [o["id"].rsplit("/", 1)[-1][:3] for o in sidelines[0]["occurrences"]] == ["000", "001", "001", "003"]
    for r in records:
        assert r["documents"] <= r["size"] == len(r["occurrences"])
        for o in r["occurrences"]:
            assert o["end"] > o["start"] and o["words"] >= 1
            assert any(path.endswith(o["id"].split("/")[-1]) for path in texts)
        first = next(o for o in r["occurrences"] if o["id"] == r["first"])
        text = next(t for path, t in texts.items() if path.endswith(first["id"].split("/")[-1]))
        assert text[first["start"]:first["end"]] == r["text"]
        for a in r["alignments"]:
            assert 0 <= a["a"] < r["size"] and 0 <= a["b"] < r["size"] and 0 < a["similarity"] <= 1


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_passages_machine_formats(fmt, capsys):
    code, out, _ = call(["passages", CORPUS, "--min-words", "10", "--format", fmt, "-q"], capsys)
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out))) if fmt == "csv" else json.loads(out)
    assert rows and list(rows[0]) == _render.PASSAGE_COLUMNS
    occ = rows[0]["occurrences"]
    assert (json.loads(occ) if fmt == "csv" else occ)[0]["words"] >= 10


def test_passages_text_and_options(capsys):
    code, out, _ = call(["passages", CORPUS, "--min-words", "10", "-q"], capsys)
    assert code == 0 and "shared passage groups among 3 documents" in out and "first" in out
    code, out, _ = call(["passages", CORPUS, "--min-words", "400", "-q"], capsys)
    assert code == 0 and out.startswith("No passage of 400 or more shared words among 3 documents")
    code, out, _ = call(["passages", CORPUS, "--min-words", "10", "--fail-on-duplicates", "-q"], capsys)
    assert code == 1
    code, _, err = call(["passages", CORPUS, "--min-words", "0"], capsys)
    assert code == 2 and "--min-words must be >= 1, got 0" in err
    code, _, err = call(["passages", CORPUS, "--min-words", "3"], capsys)
    assert code == 2 and "--min-words must be >= ngram (4)" in err
    code, _, err = call(["passages", CORPUS, "--threshold", "0.5", "--min-words", "10"], capsys)
    assert code == 0 and "--threshold is not used by passages" in err


def test_explain_shows_one_aligned_passage_with_its_edits():
    _, out, _ = run("explain", S000, S003)
    assert "not near-duplicates at --threshold 0.8" in out
    assert "On the sidelines of the NATO summit in Madrid, [-US-] President Joe Biden[-,-] {+spoke with+}" in out
    assert "[-must-]{+need to+} be upgraded" in out


@pytest.mark.parametrize("a, b, shared", [JAPANESE, CHINESE, THAI], ids=["japanese", "chinese", "thai"])
def test_explain_finds_passages_in_scripts_without_spaces(a, b, shared, tmp_path, capsys):
    (tmp_path / "a.txt").write_text(a, encoding="utf-8")
    (tmp_path / "b.txt").write_text(b, encoding="utf-8")
    code, out, _ = call(["explain", tmp_path / "a.txt", tmp_path / "b.txt", "--format", "json", "-q"], capsys)
    rec = json.loads(out)
    assert code == 0 and rec["passages"]
    p = rec["passages"][0]
    assert shared in p["text"] and shared in b[p["b"][0]:p["b"][1]]
    assert a[p["a"][0]:p["a"][1]] == p["text"]


def test_explain_passages_are_made_of_shared_shingles():
    """Every run explain calls equal, re-shingled, holds only shingles both documents have."""
    texts = [(CORPUS / n).read_text(encoding="utf-8") for n in SEEDS]
    for x, y in ((0, 1), (0, 2), (1, 2)):
        a, b = texts[x], texts[y]
        shared = set(dedup.shingles(a, ngram=3).tolist()) & set(dedup.shingles(b, ngram=3).tolist())
        for p in _explain.explain_passages(a, b):
            for op, ta, tb in p["edits"]:
                if op == "equal" and len(ta.split()) >= 3:
                    assert set(dedup.shingles(ta, ngram=3).tolist()) <= shared


def test_marked_text_without_and_with_colour():
    edits = [["equal", "On the sidelines of", "On the sidelines of"], ["replace", " the", " a"],
             ["equal", " summit", " summit"], ["insert", "", " in Madrid"], ["equal", ", he said", ", he said"],
             ["delete", " today", ""]]  # each token with the whitespace before it
    assert _explain.marked(edits, Style(False)) == \
        "On the sidelines of [-the-]{+a+} summit {+in Madrid+}, he said [-today-]"
    coloured = _explain.marked(edits, Style(True))
    assert "\x1b[31mthe\x1b[0m\x1b[32ma\x1b[0m" in coloured and "[-" not in coloured


def test_passages_max_docs_leaves_out_stock_text(capsys):
    """--max-docs N leaves out groups in more than N documents; 0 keeps them all; the default is the API's."""
    def groups(*argv):
        code, out, err = call(["passages", CORPUS, "--format", "jsonl", "-q", *argv], capsys)
        assert code == 0, err
        return [json.loads(line) for line in out.splitlines()]

    every = groups("--max-docs", "0")
    assert [r["documents"] for r in every] == [3, 3]
    assert groups() == every == [r for r in groups("--max-docs", "3")]
    assert groups("--max-docs", "2") == []
    code, _, err = call(["passages", CORPUS, "--max-docs", "1"], capsys)
    assert code == 2 and "--max-docs must be >= 2, got 1" in err
