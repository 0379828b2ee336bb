"""A web-crawl-like corpus with a label for every line, to measure what collapse removes (issue 27).

Sites of ``PAGES_PER_SITE`` consecutive pages: every page of a site carries the site's frame (header, a
navigation line, a sidebar, a footer) around its own title and body. Body
paragraphs are unique to their page, or syndicated: one story copied into 2
to 50 pages of any site, later copies lightly edited with probability
``edit`` (one to three words replaced or dropped). Some pages repeat one of
their own paragraphs. One line is one block (``unit="line"``).

Every line has a label, so removal precision and recall are measured at any
size (``score``):

==================  ====================================================
``frame``           a line of the site's frame, on every page of the site (boilerplate: should go)
``title``           the page's own title (should stay)
``unique``          a paragraph only this page has (should stay)
``syndicated``      the first copy of a story, in input order (should stay)
``copy``            a later verbatim copy of a story (should go)
``edited``          a later, lightly edited copy of a story (should go)
``repeat``          a paragraph's second occurrence in its page (should go)
==================  ====================================================

Pages come in input order from ``pages(n, seed)``, a generator: 1M pages
never sit in memory as text. About 2.8 KB of text per page; deterministic
for a seed, whatever is read of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import NamedTuple

import numpy as np

LABELS = ("frame", "title", "unique", "syndicated", "copy", "edited", "repeat")
#: Labels whose lines a perfect collapse removes; the others it keeps.
SHOULD_GO = frozenset({"frame", "copy", "edited", "repeat"})
#: Pages per site (1,000 sites at 100k pages), paragraphs per page, words per paragraph.
PAGES_PER_SITE = 100
PARAGRAPHS = (5, 9)
WORDS = (60, 110)
#: Share of body paragraph slots filled with a syndicated story, and copies per story.
SYNDICATED = 0.15
COPIES = (2, 50)
#: Share of pages that repeat one of their own paragraphs.
REPEATS = 0.1
_VOCAB = 20_000


class Page(NamedTuple):
    """One page: its id, its text, and every line's ``(start, end, label)`` (``str`` offsets)."""

    id: str
    text: str
    lines: list


def _words(rng: np.random.Generator, n: int) -> str:
    """``n`` words of a Zipf-like vocabulary (rank r drawn with weight about 1/r)."""
    ranks = np.minimum((np.exp(rng.random(n) * np.log(_VOCAB)) - 1).astype(np.int64), _VOCAB - 1)
    return " ".join(f"w{r:x}" for r in ranks.tolist())


def _site_frame(seed: int, site: int) -> tuple[list, list]:
    """The lines a site puts above and below every page's own content."""
    rng = np.random.default_rng([seed, 1, site])
    name = f"Site{site} " + _words(rng, 2)
    above = [f"{name} | " + " | ".join(_words(rng, 1).title() for _ in range(int(rng.integers(5, 9)))),
             f"Home > {name} > " + _words(rng, 3), _words(rng, int(rng.integers(6, 12))).capitalize() + "."]
    below = [f"Related on {name}: " + "; ".join(_words(rng, 4) for _ in range(int(rng.integers(3, 6)))),
             f"Copyright {2000 + site % 25} {name}. " + _words(rng, 8) + ".",
             f"Contact {name} | Privacy | Terms | " + _words(rng, 4)]
    return above, below


def _story(seed: int, story: int) -> list[str]:
    """The words of syndicated story ``story``."""
    rng = np.random.default_rng([seed, 2, story])
    return _words(rng, int(rng.integers(*WORDS))).split(" ")


def _edit(rng: np.random.Generator, words: list[str]) -> list[str]:
    """One to three words replaced or dropped: a light edit (Jaccard of 3-grams stays high)."""
    out = list(words)
    for _ in range(int(rng.integers(1, 4))):
        k = int(rng.integers(0, len(out)))
        if rng.random() < 0.5:
            out[k] = "x" + out[k]
        elif len(out) > 10:
            del out[k]
    return out


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
    frames: dict = {}
    for p in range(n):
        site = p // PAGES_PER_SITE
        if site not in frames:
            frames = {site: _site_frame(seed, site)}  # a site's pages are consecutive: one frame held
        above, below = frames[site]
        rng = np.random.default_rng([seed, 4, p])
        body: list[tuple[str, str]] = []
        n_par = int(rng.integers(*PARAGRAPHS))
        stories = story[ptr[p] : ptr[p + 1]].tolist()
        for _ in range(max(0, n_par - len(stories))):
            body.append((_words(rng, int(rng.integers(*WORDS))).capitalize() + ".", "unique"))
        for s in stories:
            words = _story(seed, s)
            if first[s] == p:
                label = "syndicated"
            elif rng.random() < edit:
                words, label = _edit(rng, words), "edited"
            else:
                label = "copy"
            body.insert(int(rng.integers(0, len(body) + 1)), (" ".join(words).capitalize() + ".", label))
        if rng.random() < REPEATS and body:
            text, _ = body[int(rng.integers(0, len(body)))]
            body.insert(int(rng.integers(0, len(body) + 1)), (text, "repeat"))
            _order_repeats(body)
        title = _words(rng, int(rng.integers(3, 8))).title()
        lines = [(x, "frame") for x in above] + [(title, "title")] + body + [(x, "frame") for x in below]
        yield _page(f"site{site}/page{p}", lines)


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


def score(corpus: Sequence[Page], removed: Sequence) -> dict:
    """Share of each label's lines removed: ``{label: (removed, lines)}``, and precision and recall.

    ``removed[i]`` is page ``i``'s removals: objects or tuples whose first two
    fields are ``start, end`` (``dedup.collapse``'s ``CollapsedDoc.removed``).
    A line counts as removed when removals cover more than half of its
    characters.
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
    gone = sum(out[k][0] for k in LABELS)
    right = sum(out[k][0] for k in SHOULD_GO)
    return {"labels": {k: tuple(v) for k, v in out.items()},
            "precision": right / gone if gone else 1.0, "recall": right / should if should else 1.0}
