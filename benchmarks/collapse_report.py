"""Figures for block collapse on the real corpora in ``../shared/data``.

Run from the repository root::

    python benchmarks/collapse_report.py            # everything
    python benchmarks/collapse_report.py web news speed pipeline

* ``web``: ``web_pages.jsonl.gz``, pages of one dataset collapsed together.
  Every word of a page's ``text`` is labelled main text when it aligns with
  the hand-made ``main_text`` (``difflib`` longest matching blocks over word
  tokens), boilerplate otherwise. Reported, in characters of word tokens:
  main text kept, removed that is boilerplate, boilerplate removed; for
  ``keep_first`` and ``remove_all``. The hand-made main texts themselves
  repeat some lines (a comment quoting another, one article in several test
  pages), which deduplication is meant to remove, so two more figures leave
  those lines out: main text kept among lines that occur once in the
  dataset's main texts, and removed text that is boilerplate or such a
  repeated main-text line.
* ``news``: ``newsgroups.jsonl.gz``: quoted replies found as syndicated from
  the post they quote.
* ``speed``: MB/s of ``collapse`` on 20 Newsgroups, one thread, best of 5; also
  with every ``Removal`` record read (records are built when read).
* ``pipeline``: document-level dedup of web pages on raw text vs on the text
  left after boilerplate removal.
"""

from __future__ import annotations

import difflib
import gzip
import json
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

import dedup

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
_WORD = re.compile(r"\w+")


def load(name):
    with gzip.open(DATA / name, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _line_key(line: str) -> str:
    return " ".join(m.group().casefold() for m in _WORD.finditer(line))


def main_mask(text: str, main_text: str, repeated=frozenset()):
    """Word tokens of ``text`` as (starts, ends, is_main, is_dup) arrays.

    ``is_dup`` marks main-text tokens whose line of ``main_text`` is in
    ``repeated`` (lines that the hand-made main texts themselves hold twice or
    more: a quoted comment, an article in two test pages).
    """
    toks = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    words = [text[a:b].casefold() for a, b in toks]
    main, main_dup = [], []
    for line in main_text.split("\n"):
        dup = _line_key(line) in repeated
        for m in _WORD.finditer(line):
            main.append(m.group().casefold())
            main_dup.append(dup)
    is_main = np.zeros(len(toks), dtype=bool)
    is_dup = np.zeros(len(toks), dtype=bool)
    sm = difflib.SequenceMatcher(None, words, main, autojunk=False)
    for blk in sm.get_matching_blocks():
        is_main[blk.a : blk.a + blk.size] = True
        is_dup[blk.a : blk.a + blk.size] = main_dup[blk.b : blk.b + blk.size]
    starts = np.array([a for a, _ in toks], dtype=np.int64)
    ends = np.array([b for _, b in toks], dtype=np.int64)
    return starts, ends, is_main, is_dup


def removed_mask(starts, removals):
    """True for tokens whose start lies in a removed span."""
    out = np.zeros(starts.shape[0], dtype=bool)
    for r in removals:
        lo, hi = np.searchsorted(starts, [r.start, r.end])
        out[lo:hi] = True
    return out


def web_figures(rows, labels, mode, unit="line", **options):
    by_ds = defaultdict(list)
    for r in rows:
        by_ds[r["dataset"]].append(r)
    tot = Counter()
    t0 = time.perf_counter()
    for ds, group in by_ds.items():
        out = dedup.collapse([(r["id"], r["text"]) for r in group], unit=unit, mode=mode, **options)
        for r, doc in zip(group, out):
            starts, ends, is_main, is_dup = labels[r["id"]]
            rem = removed_mask(starts, doc.removed)
            size = ends - starts
            uniq = is_main & ~is_dup
            tot["main"] += size[is_main].sum()
            tot["main_kept"] += size[is_main & ~rem].sum()
            tot["unique_main"] += size[uniq].sum()
            tot["unique_main_kept"] += size[uniq & ~rem].sum()
            tot["boiler"] += size[~is_main].sum()
            tot["boiler_removed"] += size[~is_main & rem].sum()
            tot["dup_main_removed"] += size[is_main & is_dup & rem].sum()
            tot["removed"] += size[rem].sum()
            tot["empty"] += doc.empty
            for x in doc.removed:
                tot["n_" + x.kind] += 1
    secs = time.perf_counter() - t0
    return {
        "mode": mode, "unit": unit,
        "main_kept_pct": 100.0 * tot["main_kept"] / tot["main"],
        "removed_is_boilerplate_pct": 100.0 * tot["boiler_removed"] / max(tot["removed"], 1),
        "boilerplate_removed_pct": 100.0 * tot["boiler_removed"] / tot["boiler"],
        "unique_main_kept_pct": 100.0 * tot["unique_main_kept"] / tot["unique_main"],
        "removed_is_boilerplate_or_repeated_main_pct":
            100.0 * (tot["boiler_removed"] + tot["dup_main_removed"]) / max(tot["removed"], 1),
        "removals": {k[2:]: v for k, v in tot.items() if k.startswith("n_")},
        "empty_docs": int(tot["empty"]), "seconds": round(secs, 2),
    }


def web_labels(rows):
    """``main_mask`` of every page; repeated main-text lines are counted within each dataset."""
    counts = defaultdict(Counter)
    for r in rows:
        counts[r["dataset"]].update(k for k in map(_line_key, r["main_text"].split("\n")) if k)
    repeated = {ds: frozenset(k for k, v in c.items() if v >= 2) for ds, c in counts.items()}
    return {r["id"]: main_mask(r["text"], r["main_text"], repeated[r["dataset"]]) for r in rows}


def report_web():
    rows = load("web_pages.jsonl.gz")
    t = time.perf_counter()
    labels = web_labels(rows)
    print(f"web_pages: {len(rows)} pages, labelled in {time.perf_counter() - t:.1f} s")
    for remove in (("boilerplate",), ("repeat", "syndicated", "boilerplate")):
        for unit in ("line", "paragraph"):
            for mode in ("keep_first", "remove_all"):
                print(json.dumps({"remove": remove, **web_figures(rows, labels, mode, unit=unit, remove=remove)}))


def _thread(subject: str) -> str:
    return re.sub(r"^(re:\s*)+", "", subject.strip(), flags=re.I).lower()


def report_news(unit="paragraph"):
    rows = load("newsgroups.jsonl.gz")
    out = dedup.collapse([(r["id"], r["text"]) for r in rows], unit=unit)
    thread = {r["id"]: _thread(r["subject"]) for r in rows}
    quoting = found = found_thread = quoted_blocks = 0
    original_removed = 0
    for r, d in zip(rows, out):
        text = r["text"]
        has_quote = any(line.lstrip().startswith(">") for line in text.split("\n"))
        quoting += has_quote
        hit = hit_thread = False
        for x in d.removed:
            if x.kind != "syndicated":
                continue
            if text[x.start:x.end].lstrip().startswith(">"):
                quoted_blocks += 1
                hit = True
                hit_thread |= thread[x.source.id] == thread[r["id"]]
            else:
                original_removed += 1
        found += hit
        found_thread += hit_thread
    print(json.dumps({
        "newsgroups_posts": len(rows), "unit": unit, "posts_with_quoted_lines": quoting,
        "replies_with_a_quote_found_as_syndicated": found,
        "of_which_source_in_same_thread": found_thread,
        "quoted_blocks_removed_as_syndicated": quoted_blocks,
        "unquoted_blocks_removed_as_syndicated": original_removed,
    }))


def report_speed():
    import numba

    rows = load("newsgroups.jsonl.gz")
    docs = [(r["id"], r["text"]) for r in rows]
    mb = sum(len(t.encode("utf-8")) for _, t in docs) / 1e6
    numba.set_num_threads(1)
    dedup.collapse(docs[:200])  # warm-up: compile or load cached kernels
    for unit in ("line", "paragraph"):
        best = min(_timed(lambda: dedup.collapse(docs, unit=unit)) for _ in range(5))
        read = min(_timed(lambda: sum(len(tuple(d.removed)) for d in dedup.collapse(docs, unit=unit)))
                   for _ in range(5))
        print(json.dumps({"corpus": "newsgroups", "MB": round(mb, 2), "unit": unit, "threads": 1,
                          "seconds": round(best, 3), "MB_per_s": round(mb / best, 1),
                          "seconds_reading_every_removal": round(read, 3),
                          "MB_per_s_reading_every_removal": round(mb / read, 1)}))


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def report_pipeline():
    """Document pairs on raw pages vs on pages with boilerplate removed, against pairs of main texts."""
    rows = [r for r in load("web_pages.jsonl.gz") if r["dataset"] == "dragnet_data"]
    gold = {(a, b) for a, b, _ in dedup.index([(r["id"], r["main_text"]) for r in rows]).pairs()}
    raw = {(a, b) for a, b, _ in dedup.index([(r["id"], r["text"]) for r in rows]).pairs()}
    clean = dedup.collapse([(r["id"], r["text"]) for r in rows], remove=("boilerplate",))
    content = {(a, b) for a, b, _ in dedup.index([(d.id, d.text) for d in clean]).pairs()}
    for name, pairs in (("raw text", raw), ("after boilerplate collapse", content)):
        print(json.dumps({"pages": len(rows), "compared_on": name, "pairs": len(pairs),
                          "pairs_whose_main_texts_match": len(pairs & gold),
                          "frame_only_pairs": len(pairs - gold),
                          "main_text_pairs_found": f"{len(pairs & gold)}/{len(gold)}"}))


if __name__ == "__main__":
    what = set(sys.argv[1:]) or {"web", "news", "speed", "pipeline"}
    if "web" in what:
        report_web()
    if "news" in what:
        report_news("paragraph")
        report_news("line")
    if "speed" in what:
        report_speed()
    if "pipeline" in what:
        report_pipeline()
