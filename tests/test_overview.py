"""``near-dups PATH...`` (the overview) and ``near-dups report``, on corpus/: what they name, checked against the API.

corpus/ holds what near-dups exists to find: 003's doubled header, the
roundup teaser line repeated seven times and "read more" six times, and
passages the three reports share. The overview must name each of them; its
records must be the API's answers; the report must count what the overview
counts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat

import pytest

import dedup
from dedup._blocks._collapse import collapse_and_blocks

from tests.support import CORPUS, DATA
from tests.test_cli import call, run

SEEDS = sorted(p.name for p in CORPUS.glob("*.txt"))
S000, S001, S003 = (os.path.join("corpus", n) for n in SEEDS)
TEXTS = {os.path.join("corpus", n): (CORPUS / n).read_text(encoding="utf-8") for n in SEEDS}
HEADER = TEXTS[S003].split("\n", 1)[0]
DATA_RE = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


@pytest.fixture()
def here(tmp_path, monkeypatch):
    """A folder holding a copy of corpus/, as the working directory (ids are corpus/NAME)."""
    shutil.copytree(CORPUS, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _item(out: str, lead: str) -> list[str]:
    """The lines of the overview item that starts with ``lead``: its line, then its span lines."""
    lines = out.split("\n")
    k = next(k for k, line in enumerate(lines) if line.startswith(lead))
    item = [lines[k]]
    for line in lines[k + 1:]:
        if not line.startswith("      "):
            break
        item.append(line.strip())
    return item


def test_the_overview_of_corpus_names_what_it_holds(here):
    _, out, err = run("corpus/", cwd=here)
    assert out.startswith("near-dups overview of 3 documents (0.01 MB)\n")
    header = _item(out, '  2x  "' + HEADER[:40])  # 003's doubled header
    assert header[1] == f"{S003}:0-{len(HEADER)} {len(HEADER) + 21}-{2 * len(HEADER) + 21}"
    assert TEXTS[S003][len(HEADER) + 21:2 * len(HEADER) + 21] == HEADER
    roundup = _item(out, '  7x  "News Roundup 9/21/2023"')
    assert roundup[1].startswith(f"{S003}:2420-2442 ") and roundup[1].endswith(" … (7 in all)")
    assert _item(out, '  6x  "read more"')[1].endswith(" … (6 in all)")
    # one passage, one group: the 25-word sentence of 000 and 003 and its 12-word clause in 001 (nested in the
    # sentence where they meet, not a group of its own)
    sidelines = _item(out, '  3 documents, 25 words  "On the sidelines of the NATO summit in Madrid, US President')
    assert [line.split(":")[0] for line in sidelines[1:]] == [S000, S001, S003]
    for line in sidelines[1:]:
        doc, span = line.split(":")
        start, end = map(int, span.split("-"))
        text = TEXTS[doc][start:end].lower()
        assert text.startswith("japanese prime minister" if doc == S001 else "on the sidelines of")
        assert text.endswith("yoon suk-yeol")
    assert "\nShared passages (10 shared words or more, edits allowed): 2, in most documents first\n" in out
    assert "\nGo deeper:\n  near-dups find corpus/ " in out and "  near-dups report corpus/ -o report.html " in out
    assert err.startswith("near-dups: 3 documents, 0.01 MB, 0 clusters (0 duplicates), 5 repeated blocks, "
                          "2 passage groups, ")


def test_the_overview_records_are_the_apis_answers(here, capsys):
    code, out, _ = call(["corpus/", "--format", "jsonl", "--top", "100", "-q"], capsys)
    records = [json.loads(x) for x in out.splitlines()]
    by = {}
    for r in records:
        by.setdefault(r.pop("section"), []).append(r)
    docs = list(TEXTS.items())
    groups = dedup.blocks(docs)
    repeated = sorted((g for g in groups if g.kind == "repeat"), key=lambda g: (-len(g.occurrences), -len(g.text)))
    assert [(r["text"], r["count"]) for r in by["repeated"]] == [(g.text, len(g.occurrences)) for g in repeated]
    assert [(r["text"], r["count"]) for r in by["repeated"]][:2] == [("News Roundup 9/21/2023", 7), ("read more", 6)]
    assert [(r["text"], r["documents"]) for r in by["shared"]] == [(g.text, g.n_docs) for g in groups
                                                                   if g.kind != "repeat"]
    found = dedup.passages(docs)
    assert sorted(sorted((o["id"], o["start"], o["end"]) for o in p["occurrences"]) for p in by["passages"]) == \
        sorted(sorted((o.id, o.start, o.end) for o in g.occurrences) for g in found)
    ranks = [(-p["documents"], -p["words"]) for p in by["passages"]]
    assert ranks == sorted(ranks) and by["passages"][1]["text"].startswith("On the sidelines of the NATO summit")
    assert "clusters" not in by  # none at the default threshold
    (summary,) = by["summary"]
    collapsed = dedup.collapse(docs)
    assert summary["removals"] == sum(len(d.removed) for d in collapsed) == 13
    assert summary["removed_docs"] == 1 and summary["passages"] == len(found) == 2
    assert summary["groups"] == {"repeat": 4, "syndicated": 1, "boilerplate": 0}
    assert summary["occurrences"] == sum(len(g.occurrences) for g in groups)
    assert summary["clusters"] == summary["duplicates"] == summary["pairs"] == 0
    assert summary["settings"] == {"threshold": 0.8, "ngram": 5, "shingle": "word", "unit": "line", "min_words": 10}
    assert [c for c, _ in summary["next"]][0] == "near-dups find corpus/"
    assert code == 0


def test_the_overview_shows_clusters_largest_first_and_top_items(here, capsys):
    code, out, _ = call(["corpus/", "--threshold", "0.25", "--ngram", "1", "--top", "1", "-q"], capsys)
    assert "Near-duplicate documents (Jaccard >= 0.25 of 1-word shingles): 1, largest first\n" in out
    assert f"\n  cluster 1: 2 documents, jaccard 0.275\n    keep  {S000}  0.275  " in out
    assert f"\n    drop  {S001}  0.275  " in out
    assert "Blocks repeated inside a document (unit line): 4, most repeated first (showing 1)\n" in out
    assert out.count('x  "') == 2  # one repeated block, one shared block
    assert re.search(r"\n  near-dups find corpus/ --threshold 0.25 --ngram 1\s", out)
    assert f"  near-dups explain {S000} {S001}\n" in out
    code, out, _ = call(["corpus/", "--threshold", "0.25", "--ngram", "1", "--format", "json", "-q"], capsys)
    (cluster,) = [r for r in json.loads(out) if r["section"] == "clusters"]
    (find,) = [json.loads(x) for x in call(["find", "corpus/", "--threshold", "0.25", "--ngram", "1", "--format",
                                            "jsonl", "-q"], capsys)[1].splitlines()]
    assert cluster == {"section": "clusters", **find}


def test_fail_on_duplicates_and_bad_options(here, capsys):
    assert call(["corpus/", "--fail-on-duplicates", "-q"], capsys)[0] == 1  # blocks and passages count
    assert call(["find", "corpus/", "--fail-on-duplicates", "-q"], capsys)[0] == 0  # no document pair at 0.8
    code, _, err = call(["corpus/", "--top", "0"], capsys)
    assert code == 2 and "near-dups overview: error: --top must be >= 1, got 0" in err
    code, _, err = call(["corpus/", "--min-words", "2"], capsys)
    assert code == 2 and "--min-words must be >= ngram (4), got 2" in err
    code, _, err = call(["corpus/", "--format", "csv"], capsys)
    assert code == 2 and "argument --format: invalid choice: 'csv'" in err


# =========================================================================== report
def test_report_is_one_self_contained_page_counting_what_the_overview_counts(here, capsys):
    code, _, err = call(["report", "corpus/", "-o", "report.html"], capsys)
    assert code == 0 and "report written to report.html (" in err
    html = (here / "report.html").read_text(encoding="utf-8")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(here / "report.html").st_mode) == 0o666 & ~mask  # as every output: not private
    tags = re.findall(r"<(?:script|link)\b[^>]*>", html, re.I)
    assert tags and not [t for t in tags if re.search(r"https?:", t)]  # no script or style from the network
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?:""", html, re.I)
    (blob,) = DATA_RE.findall(html)
    data = json.loads(blob)
    _, out, _ = call(["corpus/", "--format", "json", "-q"], capsys)
    (summary,) = [r for r in json.loads(out) if r["section"] == "summary"]
    for key in ("documents", "clusters", "duplicates", "pairs", "removals", "removed_docs", "removed_chars", "groups",
                "occurrences", "passages"):
        assert data["counts"][key] == summary[key], key
    assert set(data["times"]) >= {"read", "index", "collapse", "passages", "report", "total"}
    assert data["settings"]["collapse"]["unit"] == "line" and data["settings"]["index"]["threshold"] == 0.8
    occ = {tuple(g[3]) for g in data["passages"]}
    d = data["docs"]["id"]
    sidelines = tuple(x for doc, start, end in ((S000, 524, 674), (S001, 156, 234), (S003, 287, 443))
                      for x in (d.index(doc), start, end))
    assert sidelines in occ


def test_report_output_goes_through_the_output_checks(here, capsys):
    before = sorted(os.listdir(here / "corpus"))
    for argv, message in [
        (["-o", "corpus/r.html"], "-o corpus/r.html: is inside the input folder corpus/"),
        (["-o", "corpus"], "-o corpus: is the input folder"),
        (["-o", "nowhere/r.html"], "-o nowhere/r.html: report: folder 'nowhere' of 'nowhere/r.html' does not exist"),
    ]:
        code, _, err = call(["report", "corpus/", *argv], capsys)
        assert code == 2 and message in err, err
    (here / "out").mkdir()
    code, _, err = call(["report", "corpus/", "-o", "out"], capsys)
    assert code == 2 and "-o out: is a folder; name the HTML file to write" in err
    assert sorted(os.listdir(here / "corpus")) == before and sorted(os.listdir(here)) == ["corpus", "out"]


# =========================================================================== one analysis for both
@pytest.mark.parametrize("unit", ["line", "paragraph"])
def test_collapse_and_blocks_from_one_analysis_equal_the_two_calls(unit):
    docs = list(TEXTS.items())
    path = DATA / "web_pages.jsonl.gz"
    if path.exists():
        import gzip

        with gzip.open(path, "rt", encoding="utf-8") as f:
            docs += [(r["id"], r["text"]) for _, r in zip(range(300), map(json.loads, f))]
    cfg = dedup.CollapseConfig(unit=unit)
    collapsed, groups = collapse_and_blocks(docs, config=cfg)
    assert groups == dedup.blocks(docs, config=cfg)
    assert [(d.id, d.text, d.empty, list(d.removed)) for d in collapsed] == \
        [(d.id, d.text, d.empty, list(d.removed)) for d in dedup.collapse(docs, config=cfg)]
