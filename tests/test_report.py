"""dedup.report: the page's data against the API, the plots against references, and what the file may hold.

The browser side (rendering, diff, offsets, search) is tested in
``test_report_browser.py``.
"""

from __future__ import annotations

import html.parser
import itertools
import json
import re

import numpy as np
import pytest

import dedup
from dedup._report import _data as _build, _svg
from dedup._report._data import KINDS

DATA_RE = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def page_data(path) -> dict:
    """The JSON blob embedded in a report file."""
    blobs = DATA_RE.findall(path.read_text(encoding="utf-8"))
    assert len(blobs) == 1
    return json.loads(blobs[0])


def without_times(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "times"}


@pytest.fixture(scope="module")
def reposted(seeds):
    """corpus/ plus a reworded repost of 000 (the README's example): one cluster of two."""
    docs = dict(seeds)
    wire = docs["000_49edabee183eff7e.txt"]
    return {**docs, "000-reposted": wire.replace("On Wednesday", "On Thursday").replace("deep concern", "grave concern")}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


# ------------------------------------------------------------------ the file
def test_page_is_one_self_contained_file(tmp_path, reposted):
    out = dedup.report(reposted, tmp_path / "r.html")
    assert out == tmp_path / "r.html" and [p.name for p in tmp_path.iterdir()] == ["r.html"]
    text = out.read_text(encoding="utf-8")
    p = _Tags()
    p.feed(text)
    tags = p.tags
    assert not [t for t, a in tags if t in ("link", "img", "iframe", "object", "embed", "base")]
    scripts = [a for t, a in tags if t == "script"]
    assert scripts and all("src" not in a for a in scripts)
    assert [a.get("type") for a in scripts] == ["application/json", None]
    style = text[text.index("<style>"):text.index("</style>")]
    assert "@import" not in style and "url(" not in style
    page = DATA_RE.sub("", text)  # outside the data (which holds the documents' own text)
    assert not re.search(r"(src|href)\s*=\s*[\"']?(https?:)?//", page)
    assert page.count("<svg") == 2


def test_text_that_closes_a_script_or_has_astral_characters_survives(tmp_path):
    docs = {"a</script><script>alert(1)</script>": "x </script><!-- y 😀 z\n" * 3 + "tail one two three",
            "b": "x </script><!-- y 😀 z\n" * 3 + "tail one two three!", "c": "lone \ud800 surrogate text here"}
    out = dedup.report(docs, tmp_path / "r.html")
    raw = out.read_text(encoding="utf-8", errors="surrogatepass")
    assert raw.count("</script>") == 2  # the data's and the code's own closing tags, nothing from the texts
    data = page_data(out)
    assert data["docs"]["id"] == list(docs)
    assert {int(d): t for d, t in data["docs"]["text"].items()} == {0: docs[list(docs)[0]], 1: docs["b"]}


# ------------------------------------------------------------------ data against the API
def test_counts_and_records_equal_the_api(tmp_path, reposted):
    data = page_data(dedup.report(reposted, tmp_path / "r.html"))
    ids, texts = list(reposted), list(reposted.values())
    idx = dedup.index(reposted)
    out = dedup.collapse(reposted)
    groups = dedup.blocks(reposted)
    c = data["counts"]
    removals = [(d, r) for d, doc in enumerate(out) for r in doc.removed]
    assert (c["documents"], c["clusters"], c["duplicates"], c["pairs"]) == (
        4, len(idx.clusters()), len(idx.duplicates()), len(idx.pairs()))
    assert c["clustered"] == sum(map(len, idx.clusters()))
    assert c["removals"] == len(removals) == sum(len(d.removed) for d in out)
    assert c["removed_docs"] == sum(1 for d in out if d.removed)
    assert c["removed_chars"] == {k: sum(r.end - r.start for _, r in removals if r.kind == k) for k in KINDS}
    assert c["groups"] == {k: sum(g.kind == k for g in groups) for k in ("repeat", "syndicated", "boilerplate")}
    assert c["occurrences"] == sum(len(g.occurrences) for g in groups)
    assert c["mb"] == round(sum(len(t.encode()) for t in texts) / 1e6, 3)
    assert data["settings"]["index"]["threshold"] == idx.config.threshold

    # clusters: members (kept first) and exact scores against the kept one, pairs as the API lists them
    keep = set(ids) - set(idx.duplicates())
    assert sorted(sorted(ids[m] for m in cl["m"]) for cl in data["clusters"]) == sorted(map(sorted, idx.clusters()))
    for cl in data["clusters"]:
        assert ids[cl["m"][0]] in keep and not keep & {ids[m] for m in cl["m"][1:]}
        kept = set(dedup.shingles(texts[cl["m"][0]]).tolist())
        for m, s in zip(cl["m"], cl["s"]):
            assert s == pytest.approx(jaccard(kept, set(dedup.shingles(texts[m]).tolist())), abs=1e-6)
        p = cl["p"]
        assert {(ids[p[i]], ids[p[i + 1]], p[i + 2]) for i in range(0, len(p), 3)} == {
            (a, b, round(s, 6)) for a, b, s in idx.pairs()}

    # removals, for every document whose text is embedded, at the API's offsets
    rd = data["removed"]["rd"]
    assert {rd[i]: (rd[i + 1], rd[i + 2]) for i in range(0, len(rd), 3)} == {
        d: (len(doc.removed), sum(r.end - r.start for r in doc.removed)) for d, doc in enumerate(out) if doc.removed}
    for d, flat in data["removed"]["rm"].items():
        d = int(d)
        assert data["docs"]["text"][str(d)] == texts[d]
        got = [flat[i:i + 7] for i in range(0, len(flat), 7)]
        want = [[r.start, r.end, KINDS.index(r.kind), -1 if r.source is None else ids.index(r.source.id),
                 *((0, 0) if r.source is None else (r.source.start, r.source.end)), round(r.similarity, 4)]
                for r in out[d].removed]
        assert got == want

    # groups, most frequent first (then longest), every occurrence
    shown = [g for _, g in sorted(enumerate(groups), key=lambda kg: (-len(kg[1].occurrences), -len(kg[1].text), kg[0]))]
    assert [(KINDS[g[0]], g[1], g[2]) for g in data["groups"]] == [(g.kind, len(g.occurrences), g.n_docs) for g in shown]
    for g, want in zip(data["groups"], shown):
        assert g[4] == [x for o in want.occurrences for x in (ids.index(o.id), o.start, o.end)]


def test_index_report_equals_report(tmp_path, reposted):
    a = page_data(dedup.report(reposted, tmp_path / "a.html"))
    idx = dedup.index(reposted)
    b = page_data(idx.report(tmp_path / "b.html", reposted))
    c = page_data(idx.report(tmp_path / "c.html", list(reposted.values())))
    assert without_times(a) == without_times(b) == without_times(c)
    assert set(a["times"]) == {"index", "collapse", "report", "total"}  # collapse: and blocks, one analysis
    assert "index" not in b["times"]


def test_same_input_same_page(tmp_path, reposted):
    a = page_data(dedup.report(reposted, tmp_path / "a.html"))
    b = page_data(dedup.report(reposted, tmp_path / "b.html"))
    assert without_times(a) == without_times(b)


def test_options_reach_index_and_collapse(tmp_path, seeds):
    data = page_data(dedup.report(seeds, tmp_path / "r.html", threshold=0.25, ngram=1,
                                  collapse=dedup.CollapseConfig(unit="paragraph")))
    assert data["counts"]["clusters"] == len(dedup.index(seeds, threshold=0.25, ngram=1).clusters()) == 1
    assert data["settings"]["collapse"]["unit"] == "paragraph"
    assert data["counts"]["removals"] == sum(len(d.removed) for d in dedup.collapse(seeds, unit="paragraph"))
    bare = page_data(dedup.report(seeds, tmp_path / "s.html", collapse=False))
    assert bare["removed"] is None and bare["groups"] is None and bare["counts"]["removals"] is None


def test_removal_columns_read_the_shared_table(reposted):
    out = dedup.collapse(reposted)
    position = {i: k for k, i in enumerate(reposted)}
    fast = _build._columns_of_one_call(out)
    assert fast is not None  # the fast path is the one taken for collapse's own results
    slow = _build.removal_columns([d._replace(removed=tuple(d.removed)) for d in out], position)
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1])
    assert fast[0].shape[0] == sum(len(d.removed) for d in out) > 0


# ------------------------------------------------------------------ large corpora: bounded page
def test_limits_bound_the_page_not_the_counts(tmp_path):
    base = [" ".join(f"w{k}x{j}" for j in range(60)) for k in range(30)]
    docs = {f"d{k:02d}{c}": base[k] + (" extra" if c == "b" else "") + "\nshared footer line here\n"
            for k in range(30) for c in "ab"}
    data = page_data(dedup.report(docs, tmp_path / "r.html", max_text_chars=2_000, max_groups=1,
                                  max_occurrences=5))
    c = data["counts"]
    assert c["clusters"] == 30 == len(data["clusters"]) and c["duplicates"] == 30
    assert 0 < c["embedded"] < 60 and c["embedded_chars"] <= 2_000
    assert sum(len(t) for t in data["docs"]["text"].values()) == c["embedded_chars"]
    embedded = set(data["docs"]["text"])
    listed = {str(m) for cl in data["clusters"] for m in cl["m"]}
    assert set(data["docs"]["ex"]) == listed - embedded  # every listed document has its text or an excerpt
    assert all(len(e) <= _build.EXCERPT_CHARS for e in data["docs"]["ex"].values())
    assert len(data["groups"]) == 1 and data["groups"][0][1] == 60 and len(data["groups"][0][4]) == 5 * 3
    groups = dedup.blocks(docs)
    assert c["groups"]["boilerplate"] == 1 and c["occurrences"] == sum(len(g.occurrences) for g in groups) > 60
    assert set(data["removed"]["rm"]) <= embedded


def test_capped_lists_count_all_and_say_how_many_they_list(tmp_path, seeds):
    passages = dedup.passages(seeds)
    groups = dedup.blocks(seeds)
    assert len(passages) > 1 and len(groups) > 1
    data = page_data(dedup.report(seeds, tmp_path / "r.html", passages=passages, max_groups=1))
    c = data["counts"]
    assert c["passages"] == len(passages) and c["shown"]["passages"] == len(data["passages"]) == 1
    assert sum(c["groups"].values()) == len(groups) and c["shown"]["groups"] == len(data["groups"]) == 1
    most = sorted(len(g.occurrences) for g in passages)[::-1][:1]
    assert [g[0] for g in data["passages"]] == most  # the groups with the most occurrences
    whole = page_data(dedup.report(seeds, tmp_path / "s.html", passages=passages))["counts"]
    assert whole["shown"] == {"groups": len(groups), "passages": len(passages)}
    assert {k: v for k, v in whole.items() if k not in ("shown", "embedded", "embedded_chars")} == {
        k: v for k, v in c.items() if k not in ("shown", "embedded", "embedded_chars")}
    bare = page_data(dedup.report(seeds, tmp_path / "t.html", collapse=False))["counts"]
    assert bare["shown"] == {"groups": None, "passages": None}
    assert data["settings"]["limits"] == {"max_text_chars": 4_000_000, "max_groups": 1, "max_occurrences": 100_000,
                                          "pairs per cluster": _build.PAIRS_SHOWN,
                                          "occurrences per block": _build.OCCURRENCES_SHOWN,
                                          "excerpts of documents with removals": _build.EXCERPTS}  # the Settings tab names every cap


def test_refused_pairs_still_show_every_cluster(reposted):
    ids, texts = list(reposted), list(reposted.values())
    docs = list(zip(ids, texts)) + [(f"copy{k}", texts[0]) for k in range(4)]
    idx = dedup.index(docs)
    ids, texts = [i for i, _ in docs], [t for _, t in docs]
    data, hist = _build.build(ids, texts, index=idx, max_pairs=1)
    assert data["counts"]["pairs"] is None and "max_pairs=None" in data["pairs_error"]
    assert data["counts"]["clusters"] == 1 and sorted(data["clusters"][0]["m"]) == [0, 3, 4, 5, 6, 7]
    assert data["clusters"][0]["p"] is None
    assert sorted(np.round(hist, 6).tolist()) == sorted(data["clusters"][0]["s"][1:])  # the histogram falls back to member scores


def test_passages_from_plain_records(tmp_path, seeds):
    ids = [i for i, _ in seeds]
    text = dict(seeds)
    s0 = text[ids[0]].index("Japanese Prime Minister Fumio Kishida")
    s2 = text[ids[2]].index("Japanese Prime Minister Fumio Kishida")
    n = len("Japanese Prime Minister Fumio Kishida")

    class Occ:
        def __init__(self, id, start, end):
            self.id, self.start, self.end = id, start, end

    groups = [[(ids[0], s0, s0 + n, "ignored"), {"id": ids[2], "start": s2, "end": s2 + n}],
              {"occurrences": [Occ(ids[2], 0, 10)]}]
    data = page_data(dedup.report(seeds, tmp_path / "r.html", passages=groups))
    assert data["counts"]["passages"] == 2
    assert data["passages"][0] == [2, 2, "Japanese Prime Minister Fumio Kishida", [0, s0, s0 + n, 2, s2, s2 + n]]
    assert {"0", "2"} <= set(data["docs"]["text"])
    assert page_data(dedup.report(seeds, tmp_path / "s.html"))["passages"] is None
    with pytest.raises(ValueError, match="unknown document id 'nope'"):
        dedup.report(seeds, tmp_path / "t.html", passages=[[("nope", 0, 1)]])
    with pytest.raises(ValueError, match="span 0-99999 of document"):
        dedup.report(seeds, tmp_path / "t.html", passages=[[(ids[0], 0, 99_999)]])
    with pytest.raises(ValueError, match="group 0 has no occurrences"):
        dedup.report(seeds, tmp_path / "t.html", passages=[[]])


def test_bad_arguments_say_what_to_fix(tmp_path, seeds):
    with pytest.raises(TypeError, match="collapse must be True, False or a dedup.CollapseConfig"):
        dedup.report(seeds, tmp_path / "r.html", collapse="line")
    with pytest.raises(ValueError, match="max_text_chars must be >= 0, got -1"):
        dedup.report(seeds, tmp_path / "r.html", max_text_chars=-1)
    with pytest.raises(ValueError, match="does not exist"):
        dedup.report(seeds, tmp_path / "nowhere" / "r.html")
    with pytest.raises(TypeError, match="docs must be a collection"):
        dedup.report("one text", tmp_path / "r.html")
    idx = dedup.index(seeds)
    with pytest.raises(ValueError, match="expected 3 texts"):
        idx.report(tmp_path / "r.html", ["a"])
    with pytest.raises(ValueError, match="no text for document id"):
        idx.report(tmp_path / "r.html", {})
    with pytest.raises(ValueError, match="no text for document id '003_"):
        idx.report(tmp_path / "r.html", seeds[:2])
    with pytest.raises(ValueError, match="document id 'stranger' is not in the index"):
        idx.report(tmp_path / "r.html", [*seeds, ("stranger", "text")])
    with pytest.raises(ValueError, match="repeated|duplicate|twice|more than once"):
        idx.report(tmp_path / "r.html", [*seeds, seeds[0]])
    with pytest.raises(TypeError, match="must be str, got int"):
        idx.report(tmp_path / "r.html", [seeds[0][1], 7, seeds[2][1]])
    with pytest.raises(TypeError, match="texts must be a mapping"):
        idx.report(tmp_path / "r.html", 42)
    with pytest.raises(ValueError, match="passages needs the documents' texts"):
        idx.report(tmp_path / "r.html", passages=[])
    with pytest.raises(ValueError, match=r"collapse=CollapseConfig\(...\) needs the documents' texts"):
        idx.report(tmp_path / "r.html", collapse=dedup.CollapseConfig(unit="line"))
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_index_report_takes_every_shape_of_docs(tmp_path, reposted):
    idx = dedup.index(reposted)
    want = without_times(page_data(idx.report(tmp_path / "a.html", reposted)))
    pairs = list(reposted.items())
    shapes = {"pairs": pairs, "tuple of pairs": tuple(pairs), "generator of pairs": (p for p in pairs),
              "pairs in another order": pairs[::-1], "mapping in another order": dict(pairs[::-1]),
              "texts aligned with ids": [reposted[i] for i in idx.ids]}
    for k, (name, texts) in enumerate(shapes.items()):
        assert without_times(page_data(idx.report(tmp_path / f"{k}.html", texts))) == want, name


def test_index_report_without_texts_shows_what_the_index_holds(tmp_path, reposted):
    idx = dedup.index(reposted)
    full = page_data(idx.report(tmp_path / "a.html", reposted))
    bare = page_data(idx.report(tmp_path / "b.html"))
    assert bare["docs"]["texts"] is False and full["docs"]["texts"] is True
    assert bare["clusters"] == full["clusters"] and bare["clusters"]  # members, exact scores, pairs: from the index
    assert bare["docs"]["id"] == full["docs"]["id"] and bare["docs"]["len"] == [len(t) for t in reposted.values()]
    assert bare["docs"]["text"] == bare["docs"]["ex"] == {}
    assert bare["removed"] is bare["groups"] is bare["passages"] is None
    c, f = bare["counts"], full["counts"]
    assert c["mb"] is None and c["embedded"] == 0
    assert {k: c[k] for k in ("documents", "characters", "clusters", "clustered", "duplicates", "pairs")} == {
        k: f[k] for k in ("documents", "characters", "clusters", "clustered", "duplicates", "pairs")}


# ------------------------------------------------------------------ plots
def test_histogram_counts_every_pair_once():
    rng = np.random.default_rng(1)
    scores = np.concatenate([rng.uniform(0.8, 1.0, 500), np.ones(7), [0.8]])
    svg = _svg.similarity_histogram(scores, 0.8)
    bars = re.findall(r'data-lo="([\d.]+)" data-hi="([\d.]+)" data-count="(\d+)"', svg)
    assert len(bars) == _svg.BINS
    edges = _svg.histogram_edges(0.8)
    for k, (lo, hi, count) in enumerate(bars):
        last = k == _svg.BINS - 1
        want = sum(1 for s in scores.tolist() if edges[k] <= s and (s < edges[k + 1] or (last and s <= 1.0)))
        assert int(count) == want, (lo, hi)
    assert sum(int(c) for *_, c in bars) == scores.shape[0]


def test_histogram_axis_counts_read_as_counts():
    labels = lambda svg: re.findall(r'text-anchor="end" fill="[^"]+">([^<]+)</text>', svg)  # noqa: E731
    assert labels(_svg.similarity_histogram(np.ones(2_000), 0.8)) == ["0", "1,000", "2,000"]
    assert labels(_svg.similarity_histogram(np.ones(5), 0.8)) == ["0", "2.5", "5"]


def test_s_curve_draws_the_lsh_probability():
    svg = _svg.s_curve(21, 6, 0.8)
    s = [float(x) for x in re.search(r'data-s="([^"]+)"', svg).group(1).split()]
    p = [float(x) for x in re.search(r'data-p="([^"]+)"', svg).group(1).split()]
    assert s[0] == 0 and s[-1] == 1 and len(s) == 101
    for a, b in zip(s, p):
        assert b == pytest.approx(1 - (1 - a**6) ** 21, abs=1e-4)
    line = re.search(r'class="threshold"[^>]*data-threshold="([\d.]+)" data-p="([\d.]+)"', svg)
    assert float(line.group(1)) == 0.8
    assert float(line.group(2)) == pytest.approx(float(dedup.index(["a"]).s_curve(0.8)), abs=1e-6)


# ------------------------------------------------------------------ notebooks
def test_notebook_tables(reposted):
    docs = {**reposted, "<b>bold</b>": "<i>x</i> " * 20}
    idx = dedup.index(docs)
    h = idx._repr_html_()
    assert "<table" in h and "5 documents, 1 cluster, 1 duplicate;" in h and "000-reposted" in h
    out = dedup.collapse(docs)
    assert isinstance(out, list) and out == list(out) and type(out[:1]) is list
    h = out._repr_html_()
    assert f"{sum(len(d.removed) for d in out)} removals" in h and "&lt;b&gt;bold&lt;/b&gt;" in h and "<b>bold" not in h
    doc = out[2]
    h = doc._repr_html_()
    assert f"{len(doc.removed)} removals" in h and "… 3 more" in h  # 13 removals, 10 rows shown
    groups = dedup.blocks(docs)
    h = groups._repr_html_()
    assert f"{len(groups)} repeated blocks" in h and "News Roundup 9/21/2023" in h
    top = max(groups, key=lambda g: len(g.occurrences))
    assert f"{len(top.occurrences)} occurrences" in top._repr_html_()


def test_chain_cluster_scores_against_the_kept_document(tmp_path):
    words = [f"w{k}" for k in range(200)]
    a = " ".join(words)
    b = " ".join([f"x{k}" for k in range(20)] + words[20:])  # J(a, b) = 176/216: 20 of 196 5-grams differ
    c = " ".join([f"x{k}" for k in range(20)] + words[20:180] + [f"y{k}" for k in range(20)])  # J(a, c) = 156/236
    docs = {"a": a, "b": b, "c": c}
    idx = dedup.index(docs, threshold=0.8)
    assert idx.clusters() == [["a", "b", "c"]] and ("a", "c") not in {(x, y) for x, y, _ in idx.pairs()}
    data = page_data(dedup.report(docs, tmp_path / "r.html", threshold=0.8))
    sets = {k: set(dedup.shingles(v).tolist()) for k, v in docs.items()}
    assert data["clusters"][0]["s"] == [1.0] + [round(jaccard(sets["a"], sets[k]), 6) for k in "bc"]
    assert data["clusters"][0]["np"] == 2 and list(itertools.islice(data["clusters"][0]["p"], 2)) == [0, 1]


def test_passage_records_of_collapse_are_not_shown_as_removed(tmp_path):
    from dedup._report import _data as _build

    import pathlib

    corpus = pathlib.Path(__file__).resolve().parents[1] / "corpus"
    seeds = [(p.name, p.read_text(encoding="utf-8")) for p in sorted(corpus.glob("*.txt"))]
    with_passages = dedup.collapse(seeds, passages=True)
    plain = dedup.collapse(seeds)
    position = {i: k for k, (i, _) in enumerate(seeds)}
    a = _build.removal_columns(with_passages, position)
    b = _build.removal_columns(plain, position)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


# ------------------------------------------------------------------ near-dups report
def test_report_help_names_every_cap(capsys):
    from tests.test_cli import call

    code, out, _ = call(["report", "--help"], capsys)
    notes = " ".join(out[out.index("examples:"):out.index("inputs:")].split())
    limits = _build.Limits()
    for cap in (f"{limits.max_text_chars:,} characters", f"the {limits.max_groups:,} with the most occurrences",
                f"{limits.max_occurrences:,} occurrences in all", f"at most {_build.OCCURRENCES_SHOWN} of each block",
                f"the {limits.max_groups:,} groups with the most occurrences", f"the best {_build.PAIRS_SHOWN} of each cluster",
                f"{_build.EXCERPT_CHARS}-character excerpt", f"the first {_build.EXCERPTS:,} documents with removals",
                "max_text_chars", "max_groups", "max_occurrences"):
        assert cap in notes, cap


def test_report_summary_says_how_many_of_all_the_page_lists(tmp_path, capsys, monkeypatch):
    import functools
    import shutil

    from tests.support import CORPUS
    from tests.test_cli import call

    import dedup._report._page

    shutil.copytree(CORPUS, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    code, out, _ = call(["corpus/", "--format", "json"], capsys)
    (overview,) = [r for r in json.loads(out) if r["section"] == "summary"]
    monkeypatch.setattr(dedup._report._page, "Limits", functools.partial(dedup._report._page.Limits, max_groups=1))
    code, _, err = call(["report", "corpus/", "-o", "capped.html"], capsys)
    assert code == 0
    c = page_data(tmp_path / "capped.html")["counts"]
    n_blocks = sum(c["groups"].values())
    assert c["passages"] == overview["passages"] > 1 and n_blocks > 1  # the overview's count, not the cap
    assert (f", {c['passages']} passage groups (1 of {c['passages']} on the page), "
            f"{n_blocks} repeated blocks (1 of {n_blocks} on the page); report written to capped.html") in err
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    code, _, err = call(["report", "corpus/", "-o", "whole.html"], capsys)
    assert f", {c['passages']} passage groups; report written to whole.html" in err and "on the page" not in err


def test_report_summary_numbers_have_thousands_separators():
    from dedup.cli._report import _listed
    from dedup.cli._io._ui import plural

    assert plural(256_320, "removal") == "256,320 removals" and plural(1, "document") == "1 document"
    assert plural(0, "cluster") == "0 clusters"
    counts = {"passages": 2_378, "groups": {"repeat": 1_000, "syndicated": 1_500, "boilerplate": 1},
              "shown": {"passages": 2_000, "groups": 2_000}}
    assert _listed(counts, "passages", "passage group") == "2,378 passage groups (2,000 of 2,378 on the page)"
    assert _listed(counts, "groups", "repeated block") == "2,501 repeated blocks (2,000 of 2,501 on the page)"
    counts["shown"] = {"passages": 2_378, "groups": 2_501}
    assert _listed(counts, "passages", "passage group") == "2,378 passage groups"
