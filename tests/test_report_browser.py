"""The HTML report in a real browser: headless Chromium (Debian's package) driven by selenium.

Opens the reports of ``corpus/`` and of a 2,000-document sample of the
shared corpora and checks what a reader sees against the API: no console
error, the counts, a cluster's word diff with its shared words highlighted,
removed spans struck through at their offsets (and their sources one click
away), the search box, the keys.

With ``NEAR_DUPS_DOCS=1`` the corpus test also writes the README's screenshot,
``docs/report.png`` (the README's plots come from
``python -m benchmarks.report_page.report_bench --plots docs``).
"""

from __future__ import annotations

import os
import re
import unicodedata

import pytest
from tests.support.browser import chromium, console_errors, missing, open_page, wait_for
from tests.support import ROOT, load_jsonl
from tests.test_report import page_data

import dedup

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

DOCS = ROOT / "docs"
WRITE_DOCS = os.environ.get("NEAR_DUPS_DOCS") == "1"
TOKEN = re.compile(r"[^\W_]+")

#: Code-point spans of the struck-through removals (by data-r) and of the target mark in the open document.
SPANS_JS = """
const pre = document.querySelector('#panel pre.doc');
if (!pre) return null;
const dels = {}, target = [];
let cp = 0;
const w = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
while (w.nextNode()) {
  const n = w.currentNode, len = Array.from(n.data).length, del = n.parentElement.closest('del'),
        mark = n.parentElement.closest('mark.target');
  if (del) { const r = del.dataset.r; if (r in dels) dels[r][1] = cp + len; else dels[r] = [cp, cp + len]; }
  if (mark) { if (target.length) target[1] = cp + len; else target.push(cp, cp + len); }
  cp += len;
}
return {doc: +document.getElementById('panel').dataset.doc, text: pre.textContent,
        dels: Object.keys(dels).sort((a, b) => a - b).map((k) => dels[k]), target};
"""

#: What the open cluster's diff shows: each side's whole text, its highlighted shared words, its changes.
DIFF_JS = """
const g = document.querySelector('.detail .diff');
if (!g) return null;
const side = (s) => Array.from(g.querySelectorAll('.c.' + s)).map((c) => {
  const x = c.cloneNode(true); x.querySelectorAll('.gap').forEach((e) => e.remove()); return x.textContent; }).join('');
const all = (sel) => Array.from(g.querySelectorAll(sel)).map((e) => e.textContent).join('');
return {mode: g.dataset.mode, shared: +g.dataset.shared, kept: +g.dataset.kept, other: +g.dataset.other,
        left: side('l'), right: side('r'), sharedLeft: all('.c.l mark.s'), sharedRight: all('.c.r mark.s'),
        deleted: all('.c.l .d'), inserted: all('.c.r .i')};
"""


def keys(text: str) -> list[str]:
    return [unicodedata.normalize("NFKC", w).lower() for w in TOKEN.findall(text)]


def lcs(a: list, b: list) -> int:
    """Length of a longest common subsequence (dynamic programming): what a minimal word diff keeps."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


@pytest.fixture(scope="module")
def driver():
    with chromium() as d:
        yield d


def shown_counts(driver) -> dict:
    return driver.execute_script("""
        const out = {};
        document.querySelectorAll('[data-count]').forEach((e) => { out[e.dataset.count] = e.dataset.value === '' ? null : +e.dataset.value; });
        return out;""")


def tab_total(driver, tab: str) -> int:
    return int(driver.execute_script(f"return document.querySelector('[data-tab={tab}] .count').dataset.total"))


def click(driver, css: str) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", driver.find_element("css selector", css))
    driver.find_element("css selector", css).click()


def type_filter(driver, text: str) -> None:
    box = driver.find_element("id", "search")
    box.clear()
    box.send_keys(text + "\n")  # Enter applies the filter at once


def press(driver, *keys_) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(driver).send_keys(*keys_).perform()


def api_counts(docs) -> dict:
    idx = dedup.index(docs)
    out = dedup.collapse(docs)
    groups = dedup.blocks(docs)
    return {"documents": len(idx), "clusters": len(idx.clusters()), "duplicates": len(idx.duplicates()),
            "pairs": len(idx.pairs()), "removals": sum(len(d.removed) for d in out),
            "removed_chars": sum(r.end - r.start for d in out for r in d.removed), "groups": len(groups)}


def check_removals(driver, docs: list, d: int) -> None:
    """Document ``d`` is open: its text whole, each removal struck through at its offsets, a source one click away."""
    ids = [i for i, _ in docs]
    removed = dedup.collapse(docs)[d].removed
    shown = wait_for(driver, SPANS_JS)
    assert shown["doc"] == d and shown["text"] == docs[d][1]
    assert shown["dels"] == [[r.start, r.end] for r in removed]
    first = next(k for k, r in enumerate(removed) if r.source is not None)
    r = removed[first]
    click(driver, f'#panel del[data-r="{first}"]')
    src = ids.index(r.source.id)
    # wait for the target's mark too: the source may be the open document itself (003's doubled header),
    # whose panel is already there before the click's navigation has run
    shown = wait_for(driver, SPANS_JS.replace("if (!pre) return null;",
                                              f"if (!pre || +document.getElementById('panel').dataset.doc !== {src} "
                                              "|| !pre.querySelector('mark.target')) return null;"))
    assert shown["target"] == [r.source.start, r.source.end]
    assert shown["text"][r.source.start:r.source.end] == docs[src][1][r.source.start:r.source.end]


def check_diff(driver, docs: list, exact: bool) -> dict:
    diff = wait_for(driver, DIFF_JS)
    kept, other = docs[diff["kept"]][1], docs[diff["other"]][1]
    assert diff["left"] == kept and diff["right"] == other  # every word of both, in order
    assert diff["mode"] == "diff"
    shared = keys(diff["sharedLeft"])
    assert shared == keys(diff["sharedRight"]) and len(shared) == diff["shared"] > 0
    if exact:
        assert diff["shared"] == lcs(keys(kept), keys(other))  # a minimal diff: the longest common subsequence
    return diff


# ------------------------------------------------------------------ corpus/
def test_corpus_report(driver, tmp_path, seeds):
    path = dedup.report(seeds, tmp_path / "corpus.html")
    open_page(driver, path)
    assert console_errors(driver) == []
    counts, want = shown_counts(driver), api_counts(seeds)
    assert {k: counts[k] for k in ("documents", "clusters", "duplicates", "pairs", "removals", "groups")} == {
        k: want[k] for k in ("documents", "clusters", "duplicates", "pairs", "removals", "groups")}
    assert counts["removed_chars"] == want["removed_chars"]
    # no clusters here: the page opens on the repeated blocks, the most frequent first
    assert driver.execute_script("return document.getElementById('list').dataset.tab") == "blocks"
    assert tab_total(driver, "blocks") == want["groups"]
    first = driver.find_element("css selector", ".row .txt").text
    assert first == "News Roundup 9/21/2023"

    # 003 in the document list: its doubled header and repeated lines struck through where the API says
    click(driver, "[data-tab=docs]")
    click(driver, '.row[data-i="2"] > .head')
    check_removals(driver, seeds, 2)
    driver.get_screenshot_as_file(str(tmp_path / "report.png"))

    # the search box filters by text, then by id
    click(driver, "[data-tab=blocks]")
    type_filter(driver, "read more")
    data = page_data(path)
    assert tab_total(driver, "blocks") == sum("read more" in g[3].lower() for g in data["groups"]) == 1
    assert len(driver.find_elements("css selector", ".row")) == 1
    type_filter(driver, "001_4be")
    assert tab_total(driver, "docs") == 1
    type_filter(driver, "no such words anywhere")
    assert tab_total(driver, "blocks") == tab_total(driver, "docs") == 0
    assert driver.find_element("css selector", ".empty").text == "Nothing matches the filter."
    assert console_errors(driver) == []

    if WRITE_DOCS:  # the README's picture: the page with 003 open at its doubled header
        driver.get("about:blank")
        driver.set_window_size(1440, 860)
        open_page(driver, path, "#d/2/0-93")
        DOCS.mkdir(exist_ok=True)
        driver.get_screenshot_as_file(str(DOCS / "report.png"))
        driver.set_window_size(1280, 900)


def test_cluster_diff_highlights_shared_words(driver, tmp_path, seeds):
    docs = dict(seeds)
    wire = docs["000_49edabee183eff7e.txt"]
    docs["000-reposted"] = wire.replace("On Wednesday", "On Thursday").replace("deep concern", "grave concern")
    docs = list(docs.items())
    path = dedup.report(docs, tmp_path / "reposted.html")
    open_page(driver, path)
    assert shown_counts(driver)["clusters"] == 1 and tab_total(driver, "clusters") == 1
    click(driver, '.row[data-i="0"] > .head')
    diff = check_diff(driver, docs, exact=True)
    assert (diff["kept"], diff["other"]) == (0, 3)
    assert keys(diff["deleted"]) == ["wednesday", "deep"] and keys(diff["inserted"]) == ["thursday", "grave"]
    assert console_errors(driver) == []


def test_keys_move_open_and_filter(driver, tmp_path, seeds):
    docs = dict(seeds)
    docs["000-copy"] = docs["000_49edabee183eff7e.txt"] + " One more line."
    path = dedup.report(docs, tmp_path / "keys.html")
    open_page(driver, path)
    press(driver, "o")  # open the selected (first) cluster
    wait_for(driver, "return document.querySelector('.detail .diff') !== null")
    press(driver, "\ue00c")  # Escape closes it
    wait_for(driver, "return document.querySelector('.detail') === null")
    press(driver, "2")  # second tab: repeated blocks
    assert driver.execute_script("return document.getElementById('list').dataset.tab") == "blocks"
    press(driver, "j", "j")
    assert driver.execute_script("return +document.querySelector('.row.sel').dataset.p") == 2
    press(driver, "\ue007")  # Enter opens the selected group with its occurrences
    wait_for(driver, "return document.querySelector('.detail table.occurrences') !== null")
    press(driver, "/")
    assert driver.execute_script("return document.activeElement.id") == "search"
    press(driver, "roundup", "\ue007")
    assert tab_total(driver, "blocks") == 1
    press(driver, "?")
    assert driver.execute_script("return document.getElementById('help').hidden") is False
    assert console_errors(driver) == []


# ------------------------------------------------------------------ real corpora
@pytest.fixture(scope="module")
def sample():
    """2,000 documents: the first 1,000 of 20 Newsgroups and of the web pages (skips when absent)."""
    ng = load_jsonl("newsgroups.jsonl.gz", 1000)
    web = load_jsonl("web_pages.jsonl.gz", 1000)
    return [(f"ng/{r['id']}", r["text"]) for r in ng] + [(f"web/{r['id']}", r["text"]) for r in web]


def test_sample_report(driver, tmp_path, sample):
    path = dedup.report(sample, tmp_path / "sample.html")
    open_page(driver, path)
    assert console_errors(driver) == []
    counts, want = shown_counts(driver), api_counts(sample)
    assert {k: counts[k] for k in want} == want
    data = page_data(path)
    assert tab_total(driver, "clusters") == want["clusters"] > 0
    assert tab_total(driver, "blocks") == len(data["groups"])

    # the largest cluster: every member listed, its diff with the shared words highlighted
    click(driver, '.row[data-i="0"] > .head')
    n_members = len(data["clusters"][0]["m"])
    assert n_members == max(map(len, dedup.index(sample).clusters()))
    # the click routes through the hash and the list is drawn again with the cluster open: wait until all its
    # members are listed (read at once, a full run on a busy machine once found none), or fail after 10 s
    wait_for(driver, "return document.querySelectorAll('.detail table.members tr[data-member]').length === "
             f"{n_members}")
    check_diff(driver, sample, exact=False)

    # the document that lost the most text: its removals where the API has them
    top = data["removed"]["rd"][0]
    click(driver, "[data-tab=docs]")
    click(driver, f'.row[data-i="{top}"] > .head')
    check_removals(driver, sample, top)

    # the search box filters clusters by a member's id
    member = sample[data["clusters"][1]["m"][1]][0]
    click(driver, "[data-tab=clusters]")
    type_filter(driver, member)
    shown_text = {int(d): t for d, t in {**data["docs"]["ex"], **data["docs"]["text"]}.items()}
    expected = sum(any(member.lower() in (sample[m][0] + "\n" + shown_text.get(m, "")).lower() for m in c["m"])
                   for c in data["clusters"])
    assert tab_total(driver, "clusters") == expected >= 1
    assert console_errors(driver) == []



# ------------------------------------------------------------------ what the page lists, and how it reads
def test_capped_lists_say_how_many_of_all(driver, tmp_path, seeds):
    passages = dedup.passages(seeds)
    n_blocks, n_passages = len(dedup.blocks(seeds)), len(passages)
    path = dedup.report(seeds, tmp_path / "capped.html", passages=passages, max_groups=1)
    open_page(driver, path)
    cards = driver.execute_script("""const out = {};
        document.querySelectorAll('.card .v').forEach((e) => { out[e.dataset.count] = [e.textContent, e.dataset.value]; });
        return out;""")
    assert cards["groups"] == [f"1 of {n_blocks}", str(n_blocks)] and n_blocks > 1
    assert cards["passages"] == [f"1 of {n_passages}", str(n_passages)] and n_passages > 1
    tabs = driver.execute_script("""const out = {};
        document.querySelectorAll('#tabs button').forEach((e) => { out[e.dataset.tab] = e.textContent; });
        return out;""")
    assert tabs["blocks"] == f"Repeated blocks 1 of {n_blocks}" and tabs["passages"] == f"Shared passages 1 of {n_passages}"
    click(driver, "[data-tab=passages]")
    assert f"Listing 1 of {n_passages} shared passages" in driver.find_element("css selector", ".note.capped").text
    assert driver.find_element("css selector", ".pager .range").text == f"1–1 of 1 listed ({n_passages} in all)"
    click(driver, "[data-tab=blocks]")
    assert f"Listing 1 of {n_blocks} repeated blocks" in driver.find_element("css selector", ".note.capped").text
    click(driver, "[data-tab=settings]")
    limits = driver.execute_script("""const t = Array.from(document.querySelectorAll('#list h3')).find((e) => e.textContent === 'Report limits');
        return Array.from(t.nextElementSibling.rows).map((r) => [r.cells[0].textContent, r.cells[1].textContent]);""")
    assert limits == [["max_text_chars", "4,000,000"], ["max_groups", "1"], ["max_occurrences", "100,000"],
                      ["pairs per cluster", "100"], ["occurrences per block", "200"],
                      ["excerpts of documents with removals", "10,000"]]
    whole = dedup.report(seeds, tmp_path / "whole.html", passages=passages)
    open_page(driver, whole)
    assert not driver.find_elements("css selector", ".note.capped")
    assert driver.find_element("css selector", "[data-tab=passages]").text == f"Shared passages {n_passages}"
    assert console_errors(driver) == []


def test_documents_tab_columns_and_cluster_pairs_read_cleanly(driver, tmp_path):
    # a document of 1,2xx,xxx characters with a repeated line, one with a single repeat, 12 copies of a third
    long = "".join(f"line {k} of the long document, words {k * 7} and {k * 13}\n" if k % 10 else "a line repeated all along\n"
                   for k in range(24_000))
    single = "".join(f"only once {k} here\n" for k in range(40)) + "twice this line\n" * 2
    base = " ".join(f"w{k}" for k in range(300))
    docs = [("long", long), ("single", single)] + [(f"copy{k:02d}", base + f" end{k}") for k in range(12)]
    path = dedup.report(docs, tmp_path / "docs.html")
    data = page_data(path)
    rd = data["removed"]["rd"]
    removals = {rd[i]: rd[i + 1] for i in range(0, len(rd), 3)}
    assert len(long) >= 1_000_000 and removals[1] == 1
    open_page(driver, path, "#t/docs")
    heads = driver.execute_script("return Array.from(document.querySelectorAll('.colhead span')).map((e) => e.textContent)")
    assert heads == ["characters", "removals, cluster", "document"]
    rows = driver.execute_script("""return Array.from(document.querySelectorAll('.row > .head')).map((h) => {
        const n = h.querySelector('.n'), w = h.querySelector('.what');
        return {d: +h.parentElement.dataset.i, n: n.textContent, what: w.textContent, fits: n.scrollWidth <= n.clientWidth,
                gap: w.getBoundingClientRect().left - n.getBoundingClientRect().right}; });""")
    by = {r["d"]: r for r in rows}
    assert by[0]["n"] == f"{len(long):,}" and len(by[0]["n"]) == 9  # 7 digits and their separators
    assert all(r["fits"] and r["gap"] > 0 for r in rows), rows  # no length runs into the next column
    assert by[0]["what"] == f"{removals[0]:,} removals" and by[1]["what"] == "1 removal"
    assert by[2]["what"] in ("kept", "dropped")
    driver.get_screenshot_as_file(str(tmp_path / "documents.png"))

    # the cluster of 12: its 66 verified pairs one a row, folded under their count
    c = data["clusters"][0]
    assert len(c["m"]) == 12 and c["np"] == 66
    open_page(driver, path, "#c/0")
    assert driver.find_element("css selector", ".row .what").text.startswith("12 documents, J ≥")
    summary = driver.find_element("css selector", ".detail details.pairs > summary")
    assert summary.text == "66 verified pairs"
    assert driver.execute_script("return document.querySelector('.detail details.pairs').open") is False
    summary.click()
    shown = driver.execute_script("""return Array.from(document.querySelectorAll('.detail table.pairs tr')).slice(1)
        .map((tr) => Array.from(tr.cells).map((td) => td.textContent));""")
    ids = [i for i, _ in docs]
    p = c["p"]
    assert shown == [[ids[p[i]], ids[p[i + 1]], f"{p[i + 2]:.3f}"] for i in range(0, len(p), 3)] and len(shown) == 66
    driver.get_screenshot_as_file(str(tmp_path / "pairs.png"))
    assert console_errors(driver) == []


def test_index_report_without_texts_shows_what_it_can(driver, tmp_path, seeds):
    docs = dict(seeds)
    docs["000-reposted"] = docs["000_49edabee183eff7e.txt"].replace("On Wednesday", "On Thursday")
    idx = dedup.index(docs)
    path = idx.report(tmp_path / "bare.html")
    open_page(driver, path)
    assert console_errors(driver) == []
    counts = shown_counts(driver)
    assert (counts["documents"], counts["clusters"], counts["pairs"]) == (4, 1, 1)
    assert "no texts were given" in driver.find_element("css selector", "#summary .note").text
    click(driver, '.row[data-i="0"] > .head')
    assert "No texts in this report" in wait_for(driver, "return document.querySelector('.detail .diffbox .note')?.textContent")
    open_page(driver, path, "#d/0")
    assert "No texts in this report" in driver.find_element("css selector", "#panel .note.warn").text
    assert console_errors(driver) == []


def test_capped_occurrences_say_how_many_of_all(driver, tmp_path):
    docs = {f"d{k:02d}": " ".join(f"w{k}x{j}" for j in range(60)) + "\nshared footer line here\n" for k in range(30)}
    path = dedup.report(docs, tmp_path / "occ.html", max_occurrences=5)
    data = page_data(path)
    (group,) = data["groups"]
    assert group[1] == 30 and len(group[4]) == 5 * 3
    open_page(driver, path, "#b/0")
    wait_for(driver, "return document.querySelector('.detail table.occurrences') !== null")
    rows = driver.find_elements("css selector", ".detail table.occurrences tr")
    assert len(rows) == 1 + 5
    assert driver.find_element("css selector", ".detail .note.capped").text == "Listing 5 of 30 occurrences."
    assert console_errors(driver) == []
