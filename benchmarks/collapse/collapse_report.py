"""Figures for block collapse on the real corpora in ``../shared/data``.

Run from the repository root::

    python -m benchmarks.collapse.collapse_report            # everything
    python -m benchmarks.collapse.collapse_report web news speed pipeline

* ``web``: ``web_pages.jsonl.gz``, pages of one dataset collapsed together.
  Every word of a page's ``text`` is labelled main text when it aligns with
  the hand-made ``main_text`` (``difflib`` longest matching blocks over word
  tokens), boilerplate otherwise. Reported, in characters of word tokens:
  main text kept, removed that is boilerplate, boilerplate removed; for
  ``keep_first`` and ``remove_all``. Removing a second copy of main text
  counts as a loss there, so two more figures ask whether the cleaned page
  still holds its main text (see ``web_figures``).
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

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
_WORD = re.compile(r"\w+")


def load(name):
    with gzip.open(DATA / name, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def main_mask(text: str, main_text: str):
    """Word tokens of ``text`` as (starts, ends, is_main, words); ``words`` casefolded."""
    toks = [(m.start(), m.end()) for m in _WORD.finditer(text)]
    words = [text[a:b].casefold() for a, b in toks]
    main = [m.group().casefold() for m in _WORD.finditer(main_text)]
    is_main = np.zeros(len(toks), dtype=bool)
    sm = difflib.SequenceMatcher(None, words, main, autojunk=False)
    for blk in sm.get_matching_blocks():
        is_main[blk.a : blk.a + blk.size] = True
    starts = np.array([a for a, _ in toks], dtype=np.int64)
    ends = np.array([b for _, b in toks], dtype=np.int64)
    return starts, ends, is_main, words


def _grams_mark(words, grams):
    """True for words that some word 3-gram of ``words`` in ``grams`` passes through."""
    hit = np.array([g in grams for g in zip(words, words[1:], words[2:])], dtype=bool)
    out = np.zeros(len(words), dtype=bool)
    for k in range(3):
        out[k : k + hit.shape[0]] |= hit
    return out


def _grams(words):
    return set(zip(words, words[1:], words[2:]))


def web_figures(rows, labels, mode, unit="line", **options):
    """Collapse each dataset's pages together and score the removals against the main texts.

    Strict figures use the difflib labels of ``main_mask``. They count every
    removed copy of main text as lost, also when the hand-made main text holds
    the block twice (a byline under every comment, a quoted comment) or when
    the page holds it twice and the alignment labelled the second copy main.
    Two more figures ask instead whether the cleaned page still holds its
    main text: the share of the main text's words whose word 3-gram still
    occurs in the cleaned page (out of those found in the original page), and
    the share of removed words that are boilerplate or whose 3-gram the
    cleaned page still holds (a redundant copy).
    """
    by_ds = defaultdict(list)
    for r in rows:
        by_ds[r["dataset"]].append(r)
    tot = Counter()
    t0 = time.perf_counter()
    for ds, group in by_ds.items():
        out = dedup.collapse([(r["id"], r["text"]) for r in group], unit=unit, mode=mode, **options)
        for r, doc in zip(group, out):
            starts, ends, is_main, words = labels[r["id"]]
            size = ends - starts
            rem = np.zeros(starts.shape[0], dtype=bool)
            for x in doc.removed:
                tot["n_" + x.kind] += 1
                lo, hi = np.searchsorted(starts, [x.start, x.end])
                rem[lo:hi] = True
            gold = [m.group().casefold() for m in _WORD.finditer(r["main_text"])]
            clean = _grams([m.group().casefold() for m in _WORD.finditer(doc.text)])
            gsize = np.array([len(w) for w in gold], dtype=np.int64)
            found = _grams_mark(gold, _grams(words))
            tot["main_found"] += gsize[found].sum()
            tot["main_still_present"] += gsize[found & _grams_mark(gold, clean)].sum()
            tot["main"] += size[is_main].sum()
            tot["main_kept"] += size[is_main & ~rem].sum()
            tot["boiler"] += size[~is_main].sum()
            tot["boiler_removed"] += size[~is_main & rem].sum()
            tot["removed_redundant"] += size[rem & (~is_main | _grams_mark(words, clean))].sum()
            tot["removed"] += size[rem].sum()
            tot["empty"] += doc.empty
    secs = time.perf_counter() - t0
    return {
        "mode": mode, "unit": unit,
        "main_kept_pct": 100.0 * tot["main_kept"] / tot["main"],
        "removed_is_boilerplate_pct": 100.0 * tot["boiler_removed"] / max(tot["removed"], 1),
        "boilerplate_removed_pct": 100.0 * tot["boiler_removed"] / tot["boiler"],
        "main_text_still_present_pct": 100.0 * tot["main_still_present"] / tot["main_found"],
        "removed_is_boilerplate_or_redundant_copy_pct": 100.0 * tot["removed_redundant"] / max(tot["removed"], 1),
        "removals": {k[2:]: v for k, v in tot.items() if k.startswith("n_")},
        "empty_docs": int(tot["empty"]), "seconds": round(secs, 2),
    }


def web_labels(rows):
    return {r["id"]: main_mask(r["text"], r["main_text"]) for r in rows}


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
    # One character decides the code-point width of the whole call (_codepoints.code_points):
    # the same posts plus a curly quote (UTF-16, as in most web text) or an emoji (UTF-32).
    for name, extra in (("utf-16: one curly quote added", " it\u2019s"), ("utf-32: one emoji added", " \U0001f600")):
        wide = docs[:-1] + [(docs[-1][0], docs[-1][1] + extra)]
        dedup.collapse(wide[-200:])  # warm-up for this width
        best = min(_timed(lambda: dedup.collapse(wide)) for _ in range(5))
        print(json.dumps({"corpus": f"newsgroups, {name}", "MB": round(mb, 2), "unit": "line", "threads": 1,
                          "seconds": round(best, 3), "MB_per_s": round(mb / best, 1)}))


def _timed(fn):
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def report_pipeline():
    """Document pairs on raw pages vs on pages with boilerplate removed, against pairs of main texts."""
    rows = [r for r in load("web_pages.jsonl.gz") if r["dataset"] == "dragnet_data"]
    gold = {(a, b) for a, b, _ in dedup.index([(r["id"], r["main_text"]) for r in rows]).pairs()}
    raw = {(a, b) for a, b, _ in dedup.index([(r["id"], r["text"]) for r in rows]).pairs()}
    variants = [("raw text", raw)]
    for mode in ("keep_first", "remove_all"):
        clean = dedup.collapse([(r["id"], r["text"]) for r in rows], remove=("boilerplate",), mode=mode)
        variants.append((f"after boilerplate collapse ({mode})",
                         {(a, b) for a, b, _ in dedup.index([(d.id, d.text) for d in clean]).pairs()}))
    for name, pairs in variants:
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
