"""The labelled web-crawl generator of the benchmarks (``benchmarks.harness.crawl``) and its scoring."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from benchmarks.harness import crawl


@pytest.fixture(scope="module")
def corpus():
    return list(crawl.pages(600, seed=3))


def test_every_line_has_a_label_and_its_span(corpus):
    for page in corpus:
        lines = page.text.split("\n")[:-1]
        assert len(lines) == len(page.lines) and page.text.endswith("\n")
        for text, (start, end, label) in zip(lines, page.lines):
            assert page.text[start:end] == text and label in crawl.LABELS


def test_the_same_seed_gives_the_same_pages_whatever_is_read(corpus):
    assert list(itertools.islice(crawl.pages(600, seed=3), 40)) == corpus[:40]
    assert [p.text for p in crawl.pages(50, seed=4)] != [p.text for p in corpus[:50]]


def test_labels_say_what_each_line_is(corpus):
    counts = Counter(label for p in corpus for *_, label in p.lines)
    assert all(counts[label] for label in crawl.LABELS)
    site_frames: dict = {}
    stories: dict = {}
    titles: dict = {}
    for page in corpus:
        site = page.id.split("/")[0]
        lines = page.text.split("\n")[:-1]
        labels = [lab for *_, lab in page.lines]
        frame = [t for t, lab in zip(lines, labels) if lab == "frame"]
        assert site_frames.setdefault(site, frame) == frame  # the same fixed lines on every page of a site
        k = labels.index("title")
        assert labels[k - 1] == "frame" and len(lines[k - 1].split()) <= 3  # a short last header line above
        assert len(lines[k].split()) <= 7
        titles.setdefault(site, set()).add(lines[k])
        for text, label in zip(lines, labels):
            if label == "syndicated":
                assert text not in stories
                stories[text] = page.id
            elif label == "copy":
                assert text in stories  # a verbatim copy of a story seen earlier in input order
        for i, (text, label) in enumerate(zip(lines, labels)):
            if label == "repeat":
                assert text in [t for t, lab in zip(lines[:i], labels[:i]) if lab != "repeat"]
    for page in corpus:  # a teaser is the title of a page of the same site
        site = page.id.split("/")[0]
        assert all(page.text[s:e] in titles[site] for s, e, lab in page.lines if lab == "teaser")
    rotating = Counter((p.id.split("/")[0], p.text[s:e]) for p in corpus for s, e, lab in p.lines if lab == "rotating")
    assert min(rotating.values()) >= 2 and max(rotating.values()) < 100  # shared by some pages of a site, not all
    dated = [p.text[s:e] for p in corpus for s, e, lab in p.lines if lab == "dateline"]
    assert len(set(dated)) > 0.9 * len(dated)  # nearly unique


def _shingles(words):
    return set(zip(words, words[1:], words[2:]))


def test_every_title_is_its_pages_own():
    # Titles of 1,000 sites (a 100k-page corpus): 3 Zipf words alone gave 212 titles shared by pages of
    # 2-5 sites, which collapse rightly treats as repeated lines. Each title has a 3-gram no other title has.
    titles = [t.lower().split() for s in range(1000) for t in crawl._site(0, s).titles]
    assert len({tuple(t) for t in titles}) == len(titles)
    counts = Counter(g for t in titles for g in _shingles(t))
    assert all(any(counts[g] == 1 for g in _shingles(t)) for t in titles)


def test_edited_copies_are_near_copies_of_their_story(corpus):
    firsts = [_shingles(t.lower().split()) for t in
              (p.text[s:e] for p in corpus for s, e, lab in p.lines if lab == "syndicated")]
    edited = [_shingles(p.text[s:e].lower().split()) for p in corpus for s, e, lab in p.lines if lab == "edited"]
    best = [max(len(a & f) / len(a | f) for f in firsts) for a in edited]
    assert len(best) > 100 and max(best) < 1.0
    assert sum(b >= 0.7 for b in best) >= 0.8 * len(best)  # most above collapse's default threshold
    assert sum(b < 0.7 for b in best) >= 0.05 * len(best)  # but edited more than a word or two
    assert min(best) >= 0.4


def test_jsonl_round_trip(corpus, tmp_path, capsys):
    path = str(tmp_path / "crawl.jsonl.gz")
    crawl.write_jsonl(path, 600, seed=3)
    assert list(crawl.read_jsonl(path)) == corpus
    with pytest.raises(SystemExit):
        crawl.main(["--pages", "10", "--out", path])
    assert "crawl.jsonl.gz exists; pass --force" in capsys.readouterr().err
    assert crawl.main(["--pages", "10", "--out", path, "--force"]) == 0
    assert len(list(crawl.read_jsonl(path))) == 10


def test_score_counts_a_line_removed_past_half_its_characters(corpus):
    perfect = [[(s, e) for s, e, lab in p.lines if lab in crawl.SHOULD_GO] for p in corpus]
    r = crawl.score(corpus, perfect)
    assert r["precision"] == r["recall"] == 1.0
    assert all(r["labels"][lab][0] == (r["labels"][lab][1] if lab in crawl.SHOULD_GO else 0) for lab in crawl.LABELS)
    unscored = [[(s, e) for s, e, lab in p.lines if lab not in crawl.SHOULD_GO | crawl.SHOULD_STAY] for p in corpus]
    assert crawl.score(iter(corpus), iter(unscored))["precision"] == 1.0  # datelines and teasers do not count
    nothing = crawl.score(corpus, [[] for _ in corpus])
    assert nothing["recall"] == 0.0 and nothing["precision"] == 1.0
    s, e, _ = corpus[0].lines[0]
    half = [[(s, s + (e - s) // 2)]] + [[] for _ in corpus[1:]]
    assert crawl.score(corpus, half)["labels"][corpus[0].lines[0][2]][0] == 0  # half a line is not removed
    most = [[(s, e - 1)]] + [[] for _ in corpus[1:]]
    assert crawl.score(corpus, most)["labels"][corpus[0].lines[0][2]][0] == 1
