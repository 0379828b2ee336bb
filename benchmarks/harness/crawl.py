"""A web-crawl-like corpus with a label for every line, to measure what collapse removes (issue 27).

Sites of ``PAGES_PER_SITE`` consecutive pages (1,000 sites at 100k pages).
Every page of a site carries the site's frame around its own title and body,
laid out as crawled page text reads::

    Site7 Wabc Wdef | Nav | Nav | ...         frame      (header)
    Tagline of the site.                      frame      (half of the sites)
    Home > Section                            rotating   (one of the site's 3-6 sections)
    By Author Name | Mar 14, 2023             dateline   (here on 40 % of sites)
    Latest Stories                            frame      (the short last header line)
    Title Of The Page                         title
    By Author Name | Mar 14, 2023             dateline   (here on 40 % of sites; none on 20 %)
    body paragraphs                           unique / syndicated / copy / edited / repeat
    Most Read                                 frame      (sidebar)
    A Popular Page's Title                    teaser     (3 of the titles of the site's 10 most read pages)
    Sponsored: ...                            rotating   (one of the site's 4-10 promotions)
    Get the daily newsletter ...              frame
    Related on ... / Copyright ... / Contact  frame      (footer)

The short last header line sits just above a short title: within two blocks
of the first body paragraph on the sites without a dateline there, the
place where a main-content protection keeps a headline; between a dateline
and the title (found once each) it sits alone, out of any run of shared
lines. A popular title is on its own page and in the sidebar of about 30
others, so the headline a page must keep is also a line of many documents.
A title is 3-7 words, the last its page's own (a name), so no two pages
share one, as on the web: Zipf words alone made 0.2 % of titles at 100k
pages and 0.8 % at 1M the same as another page's, lines that are repeated.
Body paragraphs are unique to their page, or syndicated: one story copied
into 2 to 50 pages of any site, later copies edited with probability
``edit`` (2 to 2 + words/25 edits: a word replaced, dropped or inserted, a
3-6 word clause dropped, a 2-3 word phrase replaced; word 3-gram Jaccard with
the story 0.79 at the median, below 0.7 for about 1 copy in 8). Some pages
repeat one of their own paragraphs. One line is one block (``unit="line"``).

Every line has a label, so removal precision and recall are measured at any
size (``score``):

==================  ====================================================
``frame``           a fixed line of the site's frame, on every page of the site (should go)
``rotating``        a frame line drawn from a small pool of the site (section, promotion; should go)
``dateline``        the page's byline and date, nearly unique (frame, but no copy to find: not scored)
``teaser``          a popular page's title in the sidebar (a link, and a headline's copy: not scored)
``title``           the page's own title (should stay)
``unique``          a paragraph only this page has (should stay)
``syndicated``      the first copy of a story, in input order (should stay)
``copy``            a later verbatim copy of a story (should go)
``edited``          a later, edited copy of a story (should go)
``repeat``          a paragraph's second occurrence in its page (should go)
==================  ====================================================

Pages come in input order from ``pages(n, seed)``, a generator: 1M pages
never sit in memory as text (``write_jsonl`` streams them to a file, with a
label letter per line, and ``read_jsonl`` reads them back). About 2.8 KB of
text per page; deterministic for ``n`` and a seed, whatever is read of it.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

LABELS = ("frame", "rotating", "dateline", "teaser", "title", "unique", "syndicated", "copy", "edited", "repeat")
#: Labels whose lines a perfect collapse removes.
SHOULD_GO = frozenset({"frame", "rotating", "copy", "edited", "repeat"})
#: Labels that must stay; ``dateline`` and ``teaser`` are neither and are not scored.
SHOULD_STAY = frozenset({"title", "unique", "syndicated"})
#: One letter per label (``write_jsonl``).
LETTERS = "frdtTusceR"
#: Pages per site, paragraphs per page, words per paragraph.
PAGES_PER_SITE = 100
PARAGRAPHS = (4, 9)
WORDS = (60, 110)
#: Share of body paragraph slots filled with a syndicated story, and copies per story.
SYNDICATED = 0.15
COPIES = (2, 50)
#: Share of pages that repeat one of their own paragraphs; teasers per page, drawn from the titles of
#: the site's ``POPULAR`` most read pages (so a popular title is on its own page and about 30 others).
REPEATS = 0.1
TEASERS = 3
POPULAR = 10
_VOCAB = 20_000
_WORDLIST = [f"w{r:x}" for r in range(_VOCAB)]
_TITLED = [w.title() for w in _WORDLIST]
_VBYTES = np.frombuffer("".join(_WORDLIST).encode(), dtype=np.uint8)
_VLEN = np.array([len(w) for w in _WORDLIST], dtype=np.int64)
_VOFF = np.concatenate([[0], np.cumsum(_VLEN)[:-1]])
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Page(NamedTuple):
    """One page: its id, its text, and every line's ``(start, end, label)`` (``str`` offsets)."""

    id: str
    text: str
    lines: list


def _ranks(rng: np.random.Generator, n: int) -> list:
    """``n`` word ranks of a Zipf-like vocabulary (rank r drawn with weight about 1/r)."""
    return np.minimum((np.exp(rng.random(n) * np.log(_VOCAB)) - 1).astype(np.int64), _VOCAB - 1).tolist()


def _paragraphs(rng: np.random.Generator, lengths: np.ndarray) -> list[str]:
    """Paragraphs of ``lengths`` words, capitalized, ending in a period: numpy byte gathers, no word loop."""
    ranks = np.minimum((np.exp(rng.random(int(lengths.sum())) * np.log(_VOCAB)) - 1).astype(np.int64), _VOCAB - 1)
    wlen = _VLEN[ranks]
    last = np.cumsum(lengths) - 1  # each paragraph's last word: "." and a newline follow it
    sep = np.ones(ranks.shape[0], dtype=np.int64)
    sep[last] = 2
    size = wlen + sep
    end = np.cumsum(size)
    start = end - size
    out = np.full(int(end[-1]), ord(" "), dtype=np.uint8)
    pos = np.repeat(start - np.concatenate([[0], np.cumsum(wlen)[:-1]]), wlen) + np.arange(int(wlen.sum()))
    out[pos] = _VBYTES[np.repeat(_VOFF[ranks], wlen) + np.arange(int(wlen.sum())) - np.repeat(
        np.concatenate([[0], np.cumsum(wlen)[:-1]]), wlen)]
    out[end[last] - 2] = ord(".")
    out[end[last] - 1] = ord("\n")
    out[start[np.concatenate([[0], last[:-1] + 1])]] = ord("W")
    return out.tobytes().decode("ascii").split("\n")[:-1]


def _words(rng: np.random.Generator, n: int, titled: bool = False) -> str:
    return " ".join(map((_TITLED if titled else _WORDLIST).__getitem__, _ranks(rng, n)))


def _name(page: int) -> str:
    """Page ``page``'s own word, in the style of the vocabulary's and out of it (a title's last word)."""
    return f"w{_VOCAB + page:x}".title()


class _Site(NamedTuple):
    above: list  # fixed header lines before the section line
    section: list  # the "Home > Section" lines, one per page
    last: str  # the short last header line
    date_pos: int  # 0: no dateline, 1: above the last header line, 2: below the title
    authors: list
    titles: list  # the title of every page of the site
    popular: np.ndarray  # the site's most read pages (``TEASERS`` of them teased on each page)
    sidebar_head: str
    promos: list
    sidebar_tail: str
    below: list  # footer


def _site(seed: int, site: int) -> _Site:
    """Everything of a site that its pages share, and the titles of its pages."""
    rng = np.random.default_rng([seed, 1, site])
    name = f"Site{site} " + _words(rng, 2, True)
    above = [f"{name} | " + " | ".join(_words(rng, 1, True) for _ in range(int(rng.integers(5, 9))))]
    if rng.random() < 0.5:
        above.append(_words(rng, int(rng.integers(6, 12))).capitalize() + ".")
    sections = [f"Home > {_words(rng, 1, True)}" for _ in range(int(rng.integers(3, 7)))]
    section = [sections[k] for k in rng.integers(0, len(sections), size=PAGES_PER_SITE).tolist()]
    last = _words(rng, int(rng.integers(1, 4)), True)
    date_pos = int(rng.choice(3, p=(0.2, 0.4, 0.4)))
    authors = [_words(rng, 2, True) for _ in range(int(rng.integers(3, 9)))]
    # A title's last word is its page's own (a name: the page's number in the words' style, out of the
    # vocabulary), as real titles are unique to their page; 3 Zipf words alone repeat across sites (0.4 %
    # of titles in 3 sites or more at 1M pages). The same draws as before: every other line is unchanged.
    titles = [_words(rng, int(rng.integers(3, 8)), True).rsplit(" ", 1)[0] + f" {_name(site * PAGES_PER_SITE + k)}"
              for k in range(PAGES_PER_SITE)]
    popular = rng.choice(PAGES_PER_SITE, size=POPULAR, replace=False)
    sidebar_head = _words(rng, int(rng.integers(1, 3)), True)
    promos = [f"Sponsored: {_words(rng, int(rng.integers(4, 10)))}" for _ in range(int(rng.integers(4, 11)))]
    sidebar_tail = f"Get the {name} newsletter: " + _words(rng, int(rng.integers(3, 7)))
    below = [f"Related on {name}: " + "; ".join(_words(rng, 4) for _ in range(int(rng.integers(3, 6)))),
             f"Copyright {2000 + site % 25} {name}. " + _words(rng, 8) + ".",
             f"Contact {name} | Privacy | Terms | " + _words(rng, 4)]
    return _Site(above, section, last, date_pos, authors, titles, popular, sidebar_head, promos, sidebar_tail, below)


def _story(seed: int, story: int) -> list[str]:
    """The words of syndicated story ``story``."""
    rng = np.random.default_rng([seed, 2, story])
    return _words(rng, int(rng.integers(*WORDS))).split(" ")


def _edit(rng: np.random.Generator, words: list[str]) -> list[str]:
    """An edited copy: 2 to 2 + len/25 edits, each a word replaced, dropped or inserted, a 3-6 word
    clause dropped or a 2-3 word phrase replaced."""
    out = list(words)
    for _ in range(int(rng.integers(2, 3 + len(words) // 25))):
        k = int(rng.integers(0, len(out)))
        op = rng.random()
        if op < 0.4:
            out[k] = "x" + out[k]
        elif op < 0.6 and len(out) > 10:
            del out[k]
        elif op < 0.75:
            out.insert(k, _WORDLIST[int(rng.integers(0, _VOCAB))])
        elif op < 0.9 and len(out) > 20:
            del out[k : k + int(rng.integers(3, 7))]
        else:
            out[k : k + int(rng.integers(2, 4))] = ["y" + w for w in _ranks_words(rng, 2)]
    return out


def _ranks_words(rng: np.random.Generator, n: int) -> list[str]:
    return [_WORDLIST[r] for r in _ranks(rng, n)]


def _syndication(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stories placed in pages: ``(ptr, story)``, page ``p``'s stories ``story[ptr[p]:ptr[p+1]]``, and each
    story's first page."""
    rng = np.random.default_rng([seed, 3])
    mean_par = sum(PARAGRAPHS) / 2
    slots = int(n * mean_par * SYNDICATED)
    counts = rng.integers(COPIES[0], COPIES[1] + 1, size=max(1, slots // (sum(COPIES) // 2)))
    story = np.repeat(np.arange(counts.shape[0]), counts)
    page = rng.integers(0, n, size=story.shape[0])
    order = np.lexsort((story, page))
    story, page = story[order], page[order]
    keep = np.ones(story.shape[0], dtype=bool)  # a story once per page
    keep[1:] = (story[1:] != story[:-1]) | (page[1:] != page[:-1])
    story, page = story[keep], page[keep]
    first = np.full(counts.shape[0], n, dtype=np.int64)
    np.minimum.at(first, story, page)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(page, minlength=n), out=ptr[1:])
    return ptr, story, first


def pages(n: int, seed: int = 0, edit: float = 0.3) -> Iterator[Page]:
    """The ``n`` pages of the corpus, in input order (see the module docstring)."""
    ptr, story, first = _syndication(n, seed)
    for site_no in range(-(-n // PAGES_PER_SITE)):
        yield from _site_pages(seed, site_no, range(site_no * PAGES_PER_SITE, min(n, (site_no + 1) * PAGES_PER_SITE)),
                               ptr, story, first, edit)


def _site_pages(seed, site_no, span, ptr, story, first, edit) -> Iterator[Page]:
    """The pages ``span`` of one site: its random draws made once for the site (numpy), then page by page."""
    site = _site(seed, site_no)
    rng = np.random.default_rng([seed, 4, site_no])
    m = len(span)
    n_unique = np.maximum(0, rng.integers(*PARAGRAPHS, size=m) - np.diff(ptr[span.start : span.stop + 1]))
    paras = _paragraphs(rng, rng.integers(*WORDS, size=int(n_unique.sum())))
    pptr = np.concatenate([[0], np.cumsum(n_unique)]).tolist()
    authors = rng.integers(0, len(site.authors), size=m).tolist()
    days = rng.integers(0, 3 * 365, size=m).tolist()
    promos = rng.integers(0, len(site.promos), size=m).tolist()
    teasers = site.popular[np.argsort(rng.random((m, POPULAR)), axis=1)[:, :TEASERS]].tolist()
    repeats = (rng.random(m) < REPEATS).tolist()
    for i, p in enumerate(span):
        k = p % PAGES_PER_SITE
        body = [(t, "unique") for t in paras[pptr[i] : pptr[i + 1]]]
        for s in story[ptr[p] : ptr[p + 1]].tolist():
            words = _story(seed, s)
            if first[s] == p:
                label = "syndicated"
            elif rng.random() < edit:
                words, label = _edit(rng, words), "edited"
            else:
                label = "copy"
            body.insert(int(rng.integers(0, len(body) + 1)), (" ".join(words).capitalize() + ".", label))
        if repeats[i] and body:
            text, _ = body[int(rng.integers(0, len(body)))]
            body.insert(int(rng.integers(0, len(body) + 1)), (text, "repeat"))
            _order_repeats(body)
        day = days[i]
        date = [(f"By {site.authors[authors[i]]} | {_MONTHS[day // 30 % 12]} {day % 28 + 1}, {2021 + day // 365}",
                 "dateline")]
        lines = [(x, "frame") for x in site.above] + [(site.section[k], "rotating")]
        lines += (date if site.date_pos == 1 else []) + [(site.last, "frame"), (site.titles[k], "title")]
        lines += (date if site.date_pos == 2 else []) + body + [(site.sidebar_head, "frame")]
        lines += [(site.titles[q], "teaser") for q in teasers[i]]
        lines += [(site.promos[promos[i]], "rotating"), (site.sidebar_tail, "frame")]
        lines += [(x, "frame") for x in site.below]
        yield _page(f"site{site_no}/page{p}", lines)


def _order_repeats(body: list) -> None:
    """The earlier of a paragraph's two occurrences keeps the paragraph's label; the later one is the repeat."""
    seen: dict = {}
    for k, (text, label) in enumerate(body):
        if text in seen and label != "repeat":
            j = seen[text]
            body[j], body[k] = (text, label), (text, "repeat")
            return
        seen.setdefault(text, k)


def _page(page_id: str, lines: Sequence[tuple[str, str]]) -> Page:
    spans, pos = [], 0
    for text, label in lines:
        spans.append((pos, pos + len(text), label))
        pos += len(text) + 1
    return Page(page_id, "\n".join(t for t, _ in lines) + "\n", spans)


def write_jsonl(path: str, n: int, seed: int = 0, edit: float = 0.3) -> int:
    """Stream ``pages(n, seed, edit)`` to JSON Lines (gzipped if ``path`` ends in ``.gz``); returns bytes of text.

    One record per page: ``{"id", "text", "labels"}``, ``labels`` one letter
    of ``LETTERS`` per line of the text (``read_jsonl`` reads it back).
    """
    letter = dict(zip(LABELS, LETTERS))
    total = 0
    with (gzip.open(path, "wt", encoding="utf-8", compresslevel=3) if path.endswith(".gz")
          else open(path, "w", encoding="utf-8")) as f:
        for page in pages(n, seed, edit):
            total += len(page.text)
            f.write(json.dumps({"id": page.id, "text": page.text,
                                "labels": "".join(letter[lab] for *_, lab in page.lines)}) + "\n")
    return total


def read_jsonl(path: str) -> Iterator[Page]:
    """The pages of a ``write_jsonl`` file, with their line labels."""
    label = dict(zip(LETTERS, LABELS))
    with gzip.open(path, "rt", encoding="utf-8") if path.endswith(".gz") else open(path, encoding="utf-8") as f:
        for row in map(json.loads, f):
            lines = [(t, label[c]) for t, c in zip(row["text"].split("\n"), row["labels"])]
            yield _page(row["id"], lines)


def score(corpus: Iterable[Page], removed: Iterable) -> dict:
    """Share of each label's lines removed: ``{label: (removed, lines)}``, and precision and recall.

    ``removed[i]`` is page ``i``'s removals: objects or tuples whose first two
    fields are ``start, end`` (``dedup.collapse``'s ``CollapsedDoc.removed``).
    A line counts as removed when removals cover more than half of its
    characters. Precision and recall count the lines of ``SHOULD_GO`` and
    ``SHOULD_STAY`` labels (``dateline`` and ``teaser`` lines are not scored).
    Both arguments may be iterators (read once, in step).
    """
    out = {label: [0, 0] for label in LABELS}
    for page, rm in zip(corpus, removed):
        cut = np.zeros(len(page.text) + 1, dtype=np.int64)
        for r in rm:
            cut[r[0]] += 1
            cut[r[1]] -= 1
        covered = np.cumsum(cut)[:-1] > 0
        for start, end, label in page.lines:
            out[label][1] += 1
            out[label][0] += int(2 * covered[start:end].sum() > end - start)
    should = sum(out[k][1] for k in SHOULD_GO)
    gone = sum(out[k][0] for k in SHOULD_GO | SHOULD_STAY)
    right = sum(out[k][0] for k in SHOULD_GO)
    return {"labels": {k: tuple(v) for k, v in out.items()},
            "precision": right / gone if gone else 1.0, "recall": right / should if should else 1.0}


def main(argv=None) -> int:
    """``python -m benchmarks.harness.crawl --pages N --out FILE.jsonl[.gz] [--seed S] [--edit P] [--force]``."""
    import argparse
    import os
    import time

    ap = argparse.ArgumentParser(description="Write the labelled web-crawl-like corpus as JSON Lines.")
    ap.add_argument("--pages", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--edit", type=float, default=0.3)
    ap.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = ap.parse_args(argv)
    if os.path.exists(args.out) and not args.force:
        ap.error(f"{args.out} exists; pass --force to replace it")
    t = time.perf_counter()
    chars = write_jsonl(args.out, args.pages, args.seed, args.edit)
    print(f"{args.pages:,} pages, {chars / 1e6:.1f} M chars of text, {time.perf_counter() - t:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
