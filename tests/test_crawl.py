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
    for page in corpus:
        site = page.id.split("/")[0]
        for start, end, label in page.lines:
            text = page.text[start:end]
            if label == "frame":
                frame = site_frames.setdefault(site, page.text)  # the site's first page
                assert text in frame.split("\n")  # every page carries the frame of its site's first page
            elif label == "syndicated":
                assert text not in stories
                stories[text] = page.id
            elif label == "copy":
                assert text in stories  # a verbatim copy of a story seen earlier in input order
            elif label == "repeat":
                earlier = [page.text[s:e] for s, e, lab in page.lines if e <= start and lab != "repeat"]
                assert text in earlier
    edited = [page.text[s:e].split() for page in corpus for s, e, lab in page.lines if lab == "edited"]
    firsts = [t.split() for t in stories]
    for words in edited[:50]:  # one to three words changed: most of its words are one story's
        best = max(len(set(words) & set(f)) / len(set(words) | set(f)) for f in firsts)
        assert 0.8 <= best < 1.0 or best == 1.0 and words not in firsts


def test_score_counts_a_line_removed_past_half_its_characters(corpus):
    perfect = [[(s, e) for s, e, lab in p.lines if lab in crawl.SHOULD_GO] for p in corpus]
    r = crawl.score(corpus, perfect)
    assert r["precision"] == r["recall"] == 1.0
    assert all(r["labels"][lab][0] == (r["labels"][lab][1] if lab in crawl.SHOULD_GO else 0) for lab in crawl.LABELS)
    nothing = crawl.score(corpus, [[] for _ in corpus])
    assert nothing["recall"] == 0.0 and nothing["precision"] == 1.0
    s, e, _ = corpus[0].lines[0]
    half = [[(s, s + (e - s) // 2)]] + [[] for _ in corpus[1:]]
    assert crawl.score(corpus, half)["labels"][corpus[0].lines[0][2]][0] == 0  # half a line is not removed
    most = [[(s, e - 1)]] + [[] for _ in corpus[1:]]
    assert crawl.score(corpus, most)["labels"][corpus[0].lines[0][2]][0] == 1
