"""dedup.collapse / dedup.blocks: behaviour on the seed corpus, invariants, options and errors."""

from __future__ import annotations

import re

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import load_jsonl

import dedup
from dedup._blocks._collapse import MODES
from dedup._blocks._segment import UNITS
from dedup._text._normalize import normalize


def canon(text):
    return " ".join(re.findall(r"\w+", normalize(text)))


def kept_lines(text):
    return [canon(x) for x in text.split("\n") if canon(x)]


def check_removals(docs, out, threshold=0.7):
    """Every removal: its source is a kept block holding (nearly) the same text."""
    texts = dict(docs)
    removed = {d.id: {(r.start, r.end) for r in d.removed} for d in out}
    for d in out:
        for r in d.removed:
            if r.kind == "separator":
                assert r.source is None and not canon(texts[d.id][r.start:r.end])
                continue
            src = texts[r.source.id][r.source.start:r.source.end]
            assert (r.source.start, r.source.end) not in removed[r.source.id]
            if r.similarity == 1.0:
                assert dedup.shingles(src, ngram=3).tolist() == dedup.shingles(
                    texts[d.id][r.start:r.end], ngram=3).tolist()
            else:  # long blocks of two documents are copies from long_threshold on
                words = min(len(canon(src).split()), len(canon(texts[d.id][r.start:r.end]).split()))
                long = r.source.id != d.id and words >= 40
                assert r.similarity >= (min(threshold, 0.65) if long else threshold)
            assert r.kind == "repeat" if r.source.id == d.id else r.kind in ("syndicated", "boilerplate")


def test_seed_003_keeps_one_copy_of_each_repeat(seeds):
    out = dedup.collapse(seeds, unit="line")
    by_id = {d.id: d for d in out}
    doc = by_id["003_b4f5a93acce34860.txt"]
    lines = kept_lines(doc.text)
    title = canon("US, South Korea & Japan Increase Military Ties Over Concerns About North Korean Weapons Tests")
    assert lines.count(title) == 1
    assert lines.count(canon("by | Jun 29, 2022")) == 1
    assert lines.count(canon("News Roundup 9/21/2023")) == 1
    assert lines.count(canon("read more")) == 1
    # the header run is removed as a run, right after its first copy
    original = dict(seeds)["003_b4f5a93acce34860.txt"]
    first_two = [r for r in doc.removed][:2]
    assert [original[r.start:r.end] for r in first_two] == [original.split("\n")[4], original.split("\n")[6]]
    check_removals(seeds, out)


def test_seeds_keep_every_other_line(seeds):
    out = dedup.collapse(seeds, unit="line")
    earlier = set()
    for (doc_id, text), doc in zip(seeds, out):
        original = kept_lines(text)
        kept = kept_lines(doc.text)
        for line in dict.fromkeys(original):
            if line not in earlier:
                assert line in kept, (doc_id, line)
        assert len(kept) == len(original) - len(doc.removed)
        earlier.update(original)


def test_doc_text_is_original_minus_removed_spans(seeds):
    out = dedup.collapse(seeds, unit="paragraph")
    for (doc_id, text), doc in zip(seeds, out):
        mask = np.ones(len(text), dtype=bool)
        for r in doc.removed:
            mask[r.start:r.end] = False
        left = "".join(c for c, m in zip(text, mask) if m)
        assert doc.text.split() == left.split()
        assert "\n\n\n" not in doc.text
        assert doc.text.strip() == doc.text.strip("\n ").strip() and doc.text[:1] == text[:1]


def test_report_mode_keeps_text_and_reports_the_same(seeds):
    first = dedup.collapse(seeds, mode="keep_first")
    report = dedup.collapse(seeds, mode="report")
    for (doc_id, text), a, b in zip(seeds, first, report):
        assert b.text == text and a.removed == b.removed


def test_empty_document_is_reported_not_dropped():
    text = "The same little note that is here and also there.\n\nAnd a second line of eight words too.\n"
    docs = {"a": text, "b": text}
    out = dedup.collapse(docs)
    assert [d.id for d in out] == ["a", "b"]
    assert out[0].text == docs["a"] and not out[0].empty
    assert out[1].text == "" and out[1].empty
    assert [(r.kind, r.source.id) for r in out[1].removed] == [("syndicated", "a"), ("syndicated", "a")]


def frame(site, body):
    menu = f"{site} Home\nNews\nSports\nWeather\nContact us"
    foot = f"Share This\nPrivacy Policy of {site}\nCopyright {site} all rights reserved"
    return f"{menu}\n{body}\n{foot}"


BODIES = [" ".join(f"w{i}_{j}" for j in range(40)) for i in range(6)]


def test_boilerplate_keep_first_and_remove_all():
    docs = [(i, frame("Site", b)) for i, b in enumerate(BODIES)]
    keep = dedup.collapse(docs)
    assert keep[0].removed == ()
    for d in keep[1:]:
        assert {r.kind for r in d.removed} == {"boilerplate"}
        assert d.text.strip() == BODIES[d.id]
    check_removals(docs, keep)
    rall = dedup.collapse(docs, mode="remove_all")
    for d in rall:
        assert d.text.strip() == BODIES[d.id]


def test_main_content_not_removed_for_echoing_a_teaser():
    headline = "Mayor opens the new bridge over the river"
    related = "\n".join(["Tweet", "Email this", "Related Articles", headline, "Other story one here"])
    docs = [("a", frame("S", BODIES[0] + "\n" + related)), ("b", frame("S", BODIES[1] + "\n" + related)),
            ("c", frame("S", headline + "\n" + BODIES[2])), ("d", frame("S", BODIES[3] + "\n" + related))]
    out = {d.id: d for d in dedup.collapse(docs)}
    assert headline in out["c"].text
    assert headline not in out["a"].text  # the teaser goes, with the kept headline as its source
    assert any(r.source.id == "c" for r in out["a"].removed if r.source)


def test_a_site_header_line_above_the_title_goes_from_every_page():
    # Between a date line and the title, "Latest stories" sits alone among lines found once, just above
    # each page's own text: the page layout, not a headline (it tops the article on every page).
    bodies = [" ".join(f"b{i}_{j}" for j in range(40)) for i in range(6)]
    pages = [(i, f"Site Home\nNews\nSports\nMay {i + 1}, 2024 by Ann\nLatest stories\nTitle number {i}\n"
                 f"{bodies[i]}\nPrivacy\nContact") for i in range(6)]
    out = dedup.collapse(pages)
    assert "Latest stories" in out[0].text
    for d in out[1:]:
        assert "Latest stories" not in d.text and f"Title number {d.id}" in d.text and "2024 by Ann" in d.text
        assert d.text.count("\n") == 2  # date, title, body left
    check_removals(pages, out)


def test_a_headline_stays_on_its_page_when_related_lists_follow_other_articles():
    # The teaser right after an article is near that article's text too; the kept copy is the one
    # above its own article, wherever it comes in the corpus.
    headline = "Mayor opens the new bridge"
    bodies = [" ".join(f"c{i}_{j}" for j in range(40)) for i in range(5)]
    related = f"Related\n{headline}\nOther story one\nOther story two"
    docs = [(i, frame("S", f"Title {i}\n{bodies[i]}\n{related}")) for i in range(4)]
    docs.append((4, frame("S", f"{headline}\n{bodies[4]}")))
    out = dedup.collapse(docs)
    assert headline in out[4].text
    assert sum(headline in d.text for d in out) == 1
    check_removals(docs, out)


def test_syndicated_paragraph_with_small_edits():
    wire = ("The central bank raised its benchmark interest rate by a quarter point on Wednesday, "
            "citing persistent inflation and a strong labour market across the region.")
    edited = "LONDON (Reuters) - " + wire.replace("Wednesday", "Thursday").rstrip(".")
    docs = [("x", "Local intro unique to x.\n" + wire), ("y", "Another unique lead for y.\n" + edited)]
    out = dedup.collapse(docs)
    (r,) = out[1].removed
    assert r.kind == "syndicated" and r.source == dedup.Span("x", 25, 25 + len(wire))
    assert 0.7 <= r.similarity < 1.0
    assert dict(docs)["y"][r.start:r.end] == edited


def _edited(n, changes, seed=0):
    """A paragraph of ``n`` distinct words and a copy with ``changes`` words replaced, far apart."""
    rng = np.random.default_rng(seed)
    words = [f"w{k}" for k in rng.choice(100_000, n, replace=False)]
    copy = list(words)
    for k in range(changes):
        copy[(2 * k + 1) * n // (2 * changes)] = f"edit{k}"
    return " ".join(words) + ".", " ".join(copy) + "."


def jaccard3(a, b):
    x, y = set(dedup.shingles(a, ngram=3).tolist()), set(dedup.shingles(b, ngram=3).tolist())
    return len(x & y) / len(x | y)


def test_long_edited_copy_below_the_threshold_goes_from_another_page_only():
    story, edited = _edited(60, 4)
    assert 0.65 <= jaccard3(story, edited) < 0.7
    docs = [("a", "Page a's own opening line.\n" + story), ("b", "Page b's own opening line.\n" + edited)]
    (r,) = dedup.collapse(docs)[1].removed
    assert r.kind == "syndicated" and r.similarity == jaccard3(story, edited)
    assert docs[1][1][r.start:r.end] == edited and r.source == dedup.Span("a", 27, 27 + len(story))
    assert all(not d.removed for d in dedup.collapse(docs, long_threshold=1.0))
    # similar long paragraphs of one page are variants, kept below the threshold
    assert all(not d.removed for d in dedup.collapse([story + "\n" + edited]))
    assert dedup.collapse([story + "\n" + edited], threshold=0.65)[0].removed[0].kind == "repeat"
    # the long rule follows a stricter threshold (0.05 below it) unless long_threshold is given
    assert all(not d.removed for d in dedup.collapse(docs, threshold=0.8))
    assert dedup.collapse(docs, threshold=0.8, long_threshold=0.65)[1].removed[0].kind == "syndicated"
    assert all(not d.removed for d in dedup.collapse(docs, config=dedup.CollapseConfig(), threshold=0.8))


def test_long_threshold_follows_threshold():
    assert dedup.CollapseConfig().long_at == 0.65
    assert dedup.CollapseConfig(threshold=0.9).long_at == 0.85
    assert dedup.CollapseConfig(threshold=0.08).long_at == 0.04
    assert dedup.CollapseConfig(threshold=0.9, long_threshold=0.5).long_at == 0.5
    assert dedup.CollapseConfig(threshold=0.6).lsh_threshold == 0.55


def test_short_block_with_chance_overlap_stays():
    # 34 words, below long_words: Jaccard 0.65-0.7 with a block of another page is not enough for a copy
    a, b = _edited(34, 2, seed=1)
    assert 0.65 <= jaccard3(a, b) < 0.7
    docs = [("a", "Opening of a.\n" + a), ("b", "Opening of b.\n" + b)]
    assert all(not d.removed for d in dedup.collapse(docs))
    assert dedup.collapse(docs, long_words=34)[1].removed[0].similarity == jaccard3(a, b)


def test_long_copies_found_as_brute_force_finds_them():
    """LSH recall at the lower threshold: planted pairs of pages, one long block each, Jaccard 0.6-0.75;
    a pair goes iff its brute-force Jaccard makes it a copy, but for at most 2 % LSH misses (0.1 % expected
    at 0.65: 21 bands of 3 rows)."""
    rng = np.random.default_rng(7)
    pairs = [_edited(int(n), int(c), seed=k) for k, (n, c) in
             enumerate(zip(rng.integers(40, 110, 300), rng.integers(3, 7, 300)))]
    docs = [(f"{k}{s}", f"Own line {k}{s}.\n" + p[s == "b"]) for k, p in enumerate(pairs) for s in "ab"]
    out = dedup.collapse(docs)
    want = [jaccard3(*p) >= 0.7 or jaccard3(*p) >= 0.65 for p in pairs]
    got = [bool(out[2 * k + 1].removed) for k in range(len(pairs))]
    assert not any(g and not w for g, w in zip(got, want))
    assert sum(want) >= 100 and sum(want) - sum(got) <= 0.02 * sum(want)
    assert sum(0.65 <= jaccard3(*p) < 0.7 for p in pairs) >= 30


def test_short_blocks_match_only_exactly():
    docs = ["read more\nfirst unique body text", "read less\nsecond unique body text"]
    assert dedup.blocks(docs) == []


def test_blocks_groups_every_occurrence(seeds):
    groups = dedup.blocks(seeds)
    texts = dict(seeds)
    roundup = [g for g in groups if g.text == "News Roundup 9/21/2023"]
    assert len(roundup) == 1 and roundup[0].kind == "repeat" and len(roundup[0].occurrences) == 7
    for g in groups:
        assert len(g.occurrences) >= 2 and g.n_docs == len({o.id for o in g.occurrences})
        for o in g.occurrences:
            assert canon(texts[o.id][o.start:o.end])


def test_remove_option_limits_kinds():
    docs = [(i, frame("Site", b + "\n" + b)) for i, b in enumerate(BODIES[:4])]
    out = dedup.collapse(docs, remove=("boilerplate",))
    kinds = {r.kind for d in out for r in d.removed}
    assert kinds == {"boilerplate"}
    assert all(d.text.count(BODIES[d.id]) == 2 for d in out)


@pytest.mark.parametrize("unit", list(UNITS))
@pytest.mark.parametrize("mode", list(MODES))
def test_units_and_modes_run(unit, mode, seeds):
    out = dedup.collapse(seeds, unit=unit, mode=mode)
    assert [d.id for d in out] == [i for i, _ in seeds]
    if mode != "remove_all":
        check_removals(seeds, out)


def test_offsets_are_str_indices_with_astral_and_nfkc_text():
    line = "\ufb01ne \U0001f600 Stra\u00dfe caf\u00e9 here"
    docs = [f"\U0001f600 intro\n{line}\nmid \u00a0 text\n{line.upper()}\n"]
    (doc,) = dedup.collapse(docs)
    (r,) = doc.removed
    assert docs[0][r.start:r.end] == line.upper()
    assert docs[0][r.source.start:r.source.end] == line


def test_removals_are_a_read_only_sequence_of_records(seeds):
    import collections.abc
    import pickle

    out = dedup.collapse(seeds, unit="line")
    doc = max(out, key=lambda d: len(d.removed))
    rs = doc.removed
    records = tuple(rs)
    assert len(records) == len(rs) >= 3 and all(isinstance(r, dedup.Removal) for r in records)
    assert rs == records and records == rs and hash(rs) == hash(records)
    assert rs[0] == records[0] and rs[-1] == records[-1] and rs[1:3] == records[1:3]
    with pytest.raises(IndexError):
        rs[len(rs)]
    assert list(reversed(rs)) == list(reversed(records)) and rs.index(records[1]) == 1
    assert rs[::-2] == records[::-2] and rs[-3:] == records[-3:] and rs[np.int64(1)] == records[1]
    assert isinstance(rs, collections.abc.Sequence) and records[1] in rs
    assert not hasattr(rs, "__setitem__") and not hasattr(rs, "append")
    back = pickle.loads(pickle.dumps(doc))
    assert back == (doc.id, doc.text, records, doc.empty) and type(back.removed) is tuple
    untouched = [d for d in out if not d.removed]
    assert untouched and all(d.removed == () for d in untouched)


def test_latin1_and_wide_text_collapse_alike(seeds):
    """A corpus that fits Latin-1 is read as bytes, any other as UTF-32: same answers."""
    latin1 = [(i, t.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
               .encode("latin-1", "replace").decode("latin-1")) for i, t in seeds]
    bmp = latin1 + [("bmp", "Curly \u2019quotes\u2019 and \u65e5\u672c only here.")]
    wide = latin1 + [("wide", "Emoji \U0001f600 and \u65e5\u672c only here.")]
    assert dedup._text._codepoints.code_points([t for _, t in latin1])[0].dtype == np.uint8
    assert dedup._text._codepoints.code_points([t for _, t in bmp])[0].dtype == np.uint16
    assert dedup._text._codepoints.code_points([t for _, t in wide])[0].dtype == np.uint32
    for unit in ("line", "paragraph"):
        narrow_out = dedup.collapse(latin1, unit=unit)
        assert any(d.removed for d in narrow_out)
        for other in (bmp, wide):
            out = dedup.collapse(other, unit=unit)
            assert out[:-1] == narrow_out and out[-1].text == other[-1][1]


def test_words_are_tokens_of_the_normalized_block():
    # "½ off today now" is 1 2 off today now: 5 words, enough for min_words=5
    out = dedup.collapse(["Intro one\n\u00bd off today now", "Other two\n\u00bd off today now"], min_words=5)
    assert [(r.start, r.end, r.kind) for r in out[1].removed] == [(10, 25, "syndicated")]
    out = dedup.collapse(["Intro one\n\u00bd off today now", "Other two\n\u00bd off today now"], min_words=6)
    assert out[1].removed == ()


def test_same_result_on_one_and_two_threads(seeds):
    docs = seeds * 20
    docs = [(f"{i}", t) for i, (_, t) in enumerate(docs)]
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = dedup.collapse(docs, unit="sentence")
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = dedup.collapse(docs, unit="sentence")
    finally:
        numba.set_num_threads(before)
    assert a == b


POOL = ["Home", "Share This", "read more", "A shared paragraph that many documents carry along with them today.",
        "|", "", "Unique {i} line with several words in it {j}", "x {i}"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.integers(0, 3)), max_size=12), max_size=6),
       st.sampled_from(list(UNITS)))
def test_invariants(spec, unit):
    docs = [(f"d{i}", "\n".join(POOL[k].format(i=i, j=j) for k, j in lines)) for i, lines in enumerate(spec)]
    out = dedup.collapse(docs, unit=unit)
    check_removals(docs, out)
    for (doc_id, text), d in zip(docs, out):
        assert d.id == doc_id
        for r in d.removed:  # never the only copy: the source is another block
            if r.kind != "separator":
                assert r.source != dedup.Span(d.id, r.start, r.end)
        assert d.empty == (d.text == "" and bool(text.strip()) and bool(d.removed))
        assert max(map(len, re.findall(r"\n+", d.text)), default=0) <= max(map(len, re.findall(r"\n+", text)), default=0)


@pytest.mark.parametrize("kwargs, exc, msg", [
    (dict(unit="x"), ValueError, "unit must be one of ['line', 'paragraph', 'sentence'], got 'x'"),
    (dict(mode="drop"), ValueError, "mode must be one of ['keep_first', 'remove_all', 'report'], got 'drop'"),
    (dict(remove=("menus",)), ValueError, "got 'menus'"),
    (dict(threshold=1.5), ValueError, "threshold must be in (0, 1], got 1.5"),
    (dict(long_threshold=0), ValueError, "long_threshold must be in (0, 1], got 0"),
    (dict(long_words=0), ValueError, "long_words must be >= 1, got 0"),
    (dict(min_docs=1), ValueError, "min_docs must be >= 2, got 1"),
    (dict(ngram="3"), TypeError, "ngram must be an int"),
    (dict(colour=1), TypeError, "unexpected option 'colour'"),
])
def test_bad_options_name_the_value(kwargs, exc, msg):
    with pytest.raises(exc) as e:
        dedup.collapse(["a b c"], **kwargs)
    assert msg in str(e.value)


def test_bad_docs():
    with pytest.raises(TypeError, match="single str"):
        dedup.collapse("just one text")
    with pytest.raises(TypeError, match="text must be str"):
        dedup.collapse([("a", b"bytes")])
    assert dedup.collapse([]) == [] and dedup.blocks([]) == []


# ------------------------------------------------------------ real corpora




def _grams(words):
    return set(zip(words, words[1:], words[2:]))


def _through(words, grams):
    """True for words that a word 3-gram of ``words`` found in ``grams`` passes through."""
    hit = np.array([g in grams for g in zip(words, words[1:], words[2:])], dtype=bool)
    out = np.zeros(len(words), dtype=bool)
    for k in range(3):
        out[k:k + hit.shape[0]] |= hit
    return out


def _web_sample_figures(rows, out):
    """Shares, in characters of words, after collapsing ``rows`` into ``out``.

    A word of a page is main text when a word 3-gram through it occurs in the
    page's main_text (a linear-time stand-in for the report's difflib
    alignment). Returns (main text kept, removed that is boilerplate) counted
    strictly, then (main text still present in the cleaned page, removed that
    is boilerplate or a copy the cleaned page still holds), which do not
    count the removal of a second copy of main text as a loss.
    """
    main = kept = removed = removed_boiler = found = present = redundant = 0
    for r, d in zip(rows, out):
        toks = [(m.start(), m.end(), m.group().casefold()) for m in re.finditer(r"\w+", r["text"])]
        words = [t[2] for t in toks]
        gold = [m.group().casefold() for m in re.finditer(r"\w+", r["main_text"])]
        clean = _grams([m.group().casefold() for m in re.finditer(r"\w+", d.text)])
        is_main = _through(words, _grams(gold))
        starts = np.array([t[0] for t in toks], dtype=np.int64)
        size = np.array([t[1] - t[0] for t in toks], dtype=np.int64)
        rem = np.zeros(len(toks), dtype=bool)
        for x in d.removed:
            lo, hi = np.searchsorted(starts, [x.start, x.end])
            rem[lo:hi] = True
        main += size[is_main].sum()
        kept += size[is_main & ~rem].sum()
        removed += size[rem].sum()
        removed_boiler += size[rem & ~is_main].sum()
        redundant += size[rem & (~is_main | _through(words, clean))].sum()
        gsize = np.array([len(w) for w in gold], dtype=np.int64)
        in_page = _through(gold, _grams(words))
        found += gsize[in_page].sum()
        present += gsize[in_page & _through(gold, clean)].sum()
    assert removed > 0
    return kept / main, removed_boiler / removed, present / found, redundant / removed


@pytest.fixture(scope="module")
def web_sample():
    # 250 pages of one dataset (the full run is python -m benchmarks.collapse.collapse_report;
    # readability alone is a poor sample: one article is copied into several of its test pages).
    return [r for r in load_jsonl("web_pages.jsonl.gz") if r["dataset"] == "dragnet_data"][:250]


def test_web_pages_sample_boilerplate_collapse_keeps_main_text(web_sample):
    out = dedup.collapse([(r["id"], r["text"]) for r in web_sample], remove=("boilerplate",))
    kept, boiler, _, _ = _web_sample_figures(web_sample, out)
    assert kept >= 0.99
    assert boiler >= 0.95


def test_web_pages_sample_full_collapse_keeps_the_main_text_present(web_sample):
    # Every kind removed (the default): strictly, 96 % of main text is kept and 88 % of
    # the removed text is boilerplate, because second copies of main text go too (a
    # byline under every comment, a quoted comment, a paragraph printed twice). The
    # cleaned pages still hold their main text: measured 99.3 % / 97.5 %.
    out = dedup.collapse([(r["id"], r["text"]) for r in web_sample])
    strict_kept, strict_boiler, present, redundant = _web_sample_figures(web_sample, out)
    assert present >= 0.99
    assert redundant >= 0.95
    assert strict_kept < present and strict_boiler < redundant


def test_newsgroups_sample_finds_quoted_replies():
    rows = [r for r in load_jsonl("newsgroups.jsonl.gz", limit=3000)]
    out = dedup.collapse([(r["id"], r["text"]) for r in rows], unit="paragraph")
    subject = {r["id"]: re.sub(r"^(re:\s*)+", "", r["subject"].strip(), flags=re.I).lower() for r in rows}
    found = 0
    for r, d in zip(rows, out):
        for x in d.removed:
            if x.kind == "syndicated" and r["text"][x.start:x.end].lstrip().startswith(">"):
                found += subject[x.source.id] == subject[r["id"]]
    assert found >= 50


def test_config_objects_are_accepted_and_options_override_them(seeds):
    cfg = dedup.CollapseConfig(unit="paragraph", remove=("boilerplate",))
    by_config = dedup.collapse(seeds, config=cfg)
    by_keywords = dedup.collapse(seeds, unit="paragraph", remove=("boilerplate",))
    assert [(d.text, tuple(d.removed)) for d in by_config] == [(d.text, tuple(d.removed)) for d in by_keywords]
    over = dedup.collapse(seeds, config=cfg, unit="line", remove=("repeat",))
    assert [d.text for d in over] == [d.text for d in dedup.collapse(seeds, unit="line", remove=("repeat",))]
    assert [g.text for g in dedup.blocks(seeds, config=cfg)] == [g.text for g in dedup.blocks(seeds, unit="paragraph")]
    with pytest.raises(TypeError, match="config must be a dedup.CollapseConfig"):
        dedup.collapse(seeds, config=dedup.Config())
    with pytest.raises(TypeError, match="unexpected option 'thresh'"):
        dedup.collapse(seeds, thresh=0.5)


def test_big_buckets_of_blocks_give_the_same_collapse(monkeypatch):
    """Near-copies of a long block on many pages share one LSH bucket; connected (not paired) past
    BIG_BUCKET members, the groups, and so every removal, are the same."""
    from dedup._indexing import _pipeline

    rng = np.random.default_rng(4)
    words = [f"w{k}" for k in range(400)]
    footer = " ".join(rng.choice(words, 30))
    pages = []
    for k in range(120):
        f = footer.split()
        f[int(rng.integers(0, 30))] = f"v{k}"  # each page's footer differs by one word
        pages.append(f"Title {k}\n" + " ".join(rng.choice(words, 40)) + "\n" + " ".join(f) + "\nread more")
    want = dedup.collapse(pages)
    monkeypatch.setattr(_pipeline, "BIG_BUCKET", 3)
    got = dedup.collapse(pages)
    assert [(d.text, tuple(d.removed)) for d in got] == [(d.text, tuple(d.removed)) for d in want]
    assert sum(len(d.removed) for d in want) >= 119


def test_shared_passages_are_reported_not_removed(seeds):
    """With passages=True, a passage shared with an earlier document inside kept text is a record of
    kind "passage" whose source is its first copy; the texts are those of passages=False."""
    plain = dedup.collapse(seeds)
    out = dedup.collapse(seeds, passages=True)
    assert [d.text for d in out] == [d.text for d in plain]
    texts = dict(seeds)
    found = [(d.id, r) for d in out for r in d.removed if r.kind == "passage"]
    assert found
    for doc_id, r in found:
        assert r.source.id != doc_id and r.source.id < doc_id  # the first copy, earlier in input order
        assert 0 < r.similarity <= 1
        kept = [x for x in plain if x.id == doc_id][0]
        assert not any(b.start <= r.start and r.end <= b.end for b in kept.removed)  # not in a removed block
    sidelines = [(i, r) for i, r in found if "sidelines of" in texts[i][r.start:r.end]]
    assert {i for i, _ in sidelines} >= {"001_4be3d47db556df85.txt", "003_b4f5a93acce34860.txt"}
    assert all("sidelines of the NATO summit in Madrid" in texts[r.source.id][r.source.start:r.source.end] for _, r in sidelines)
    for d in out:  # records in document order
        starts = [r.start for r in d.removed]
        assert starts == sorted(starts)
