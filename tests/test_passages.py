"""Shared passages (``dedup.passages``, ``dedup.align``) and their kernels, against brute force and references."""

from __future__ import annotations

from collections import Counter

import numba
import numpy as np
import pytest
from tests.support import reference as ref
from hypothesis import example, given, settings
from hypothesis import strategies as st

import dedup
from dedup._passages import _align, _seeds
from dedup._core import _keysort

SIDELINES = "On the sidelines of the NATO summit in Madrid"


def words_of(text: str) -> list[str]:
    return [w for w, _, _ in ref.token_spans(text)]


def span_words(text: str, start: int, end: int) -> list[str]:
    """The tokens of ``text`` lying inside ``[start, end)``."""
    return [w for w, s, e in ref.token_spans(text) if s >= start and e <= end]


# ------------------------------------------------------------------ the seeds
@pytest.fixture(scope="module")
def seed_groups(seeds):
    return dedup.passages(dict(seeds), min_words=8)


def test_sidelines_passage_is_one_group_in_three_documents(seeds, seed_groups):
    texts = dict(seeds)
    hits = [g for g in seed_groups if any(SIDELINES in o.text for o in g.occurrences)]
    assert len(hits) == 1, [[o.text for o in g.occurrences] for g in seed_groups]
    g = hits[0]
    assert [o.id[:3] for o in g.occurrences] == ["000", "001", "001", "003"]
    assert g.first == 0
    for o in g.occurrences:
        assert texts[o.id][o.start:o.end] == o.text
        assert o.words == len(words_of(o.text))
    # the wire copy's sentence, in 001 as two pieces (the clause edited: "a Nato summit")
    assert g.occurrences[0].text.startswith(SIDELINES) and g.occurrences[3].text.startswith(SIDELINES)
    assert g.occurrences[2].text == "on the sidelines of a Nato summit in Madrid"
    assert g.occurrences[1].text.startswith("Japanese prime minister Fumio Kushida")


def test_kishida_yoon_meeting_passage(seeds, seed_groups):
    texts = dict(seeds)
    found = [g for g in seed_groups
             if {o.id[:3] for o in g.occurrences} >= {"000", "003"}
             and all("Fumio" in o.text and "Yoon Suk-yeol" in o.text for o in g.occurrences if o.id[:3] != "001")]
    assert len(found) == 1
    for g in found:
        for o in g.occurrences:
            assert texts[o.id][o.start:o.end] == o.text
        for a in g.alignments:
            x, y = g.occurrences[a.a], g.occurrences[a.b]
            assert x.start <= a.a_start < a.a_end <= x.end and y.start <= a.b_start < a.b_end <= y.end
            assert 0 < a.similarity <= 1 and a.matches <= min(a.words_a, a.words_b)
    # the meeting sentence of 000 and 003 is one passage across their small rewording
    long = max((o for g in found for o in g.occurrences if o.id.startswith("000")), key=lambda o: o.words)
    assert long.text.startswith(SIDELINES) and long.text.endswith("South Korean President Yoon Suk-yeol")


@pytest.mark.parametrize("min_words", [8, 10, 15])
def test_every_exact_shared_passage_of_the_seeds_is_found(seeds, min_words):
    """Brute force over all pairs of word windows: every shared window lies inside an alignment of its pair."""
    texts = [t for _, t in seeds]
    spans = [ref.token_spans(t) for t in texts]
    words = [[w for w, _, _ in s] for s in spans]
    res = dedup.passages(texts, min_words=min_words)
    arr = res.arrays()
    aligned: dict = {}
    for x in range(arr.align_a.shape[0]):
        da, db = int(arr.doc[arr.align_a[x]]), int(arr.doc[arr.align_b[x]])
        aligned.setdefault((da, db), []).append((int(arr.a_word_start[x]), int(arr.a_word_end[x]),
                                                 int(arr.b_word_start[x]), int(arr.b_word_end[x])))
    checked = 0
    for da in range(len(texts)):
        for db in range(da + 1, len(texts)):
            for i, j in ref.shared_windows(words[da], words[db], min_words):
                checked += 1
                assert any(sa <= i and i + min_words <= ea and sb <= j and j + min_words <= eb
                           for sa, ea, sb, eb in aligned.get((da, db), ())), (da, db, words[da][i:i + min_words])
    assert checked > 0


def test_spans_and_texts_agree_with_the_arrays(seeds, seed_groups):
    texts = dict(seeds)
    arr = seed_groups.arrays()
    assert arr.group_ptr[-1] == arr.doc.shape[0] == len(seed_groups.doc_spans().start)
    for g, group in enumerate(seed_groups):
        for k, o in enumerate(group.occurrences):
            row = arr.group_ptr[g] + k
            assert (o.start, o.end) == (arr.start[row], arr.end[row])
            assert texts[o.id][o.start:o.end] == o.text
    spans = seed_groups.doc_spans()
    for d in range(3):
        lo, hi = spans.doc_ptr[d], spans.doc_ptr[d + 1]
        assert np.all(np.diff(spans.start[lo:hi]) >= 0)
        assert np.all(arr.doc[spans.occurrence[lo:hi]] == d)


def test_passage_text_is_made_of_shared_shingles(seeds):
    """Each run the alignment calls equal, re-shingled, is in both documents' shingle sets."""
    texts = [t for _, t in seeds]
    n = 3
    for x in range(3):
        for y in range(x + 1, 3):
            shared = set(np.intersect1d(dedup.shingles(texts[x], ngram=n), dedup.shingles(texts[y], ngram=n)).tolist())
            found = dedup.align(texts[x], texts[y], min_words=8)
            for p in found:
                for tag, i1, i2, j1, j2 in p.opcodes:
                    if tag == "equal" and len(words_of(texts[x][i1:i2])) >= n:
                        run = dedup.shingles(texts[x][i1:i2], ngram=n)
                        assert np.array_equal(run, dedup.shingles(texts[y][j1:j2], ngram=n))
                        assert set(run.tolist()) <= shared


# ------------------------------------------------------------------ other scripts
@pytest.mark.parametrize("a, b, shared", [
    ("昨日、東京で首相は記者会見を開き、新しい経済対策について詳しく説明した。", "報道によると、首相は記者会見を開き、新しい経済対策について詳しく説明したという。",
     "首相は記者会見を開き、新しい経済対策について詳しく説明した"),
    ("据新华社报道，国家主席今天在北京会见了来访的外国代表团并发表重要讲话。", "今天上午，国家主席今天在北京会见了来访的外国代表团，双方进行了交流。",
     "国家主席今天在北京会见了来访的外国代表团"),
    ("นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเพิ่มงบประมาณด้านการศึกษาในปีหน้า", "เมื่อวานนี้นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเพิ่มงบประมาณด้านการศึกษาอย่างมาก",
     "นายกรัฐมนตรีกล่าวว่ารัฐบาลจะเพิ่มงบประมาณด้านการศึกษา"),
])
def test_shared_passages_in_japanese_chinese_and_thai(a, b, shared):
    res = dedup.passages({"a": a, "b": b}, min_words=10)
    assert len(res) == 1
    occ = res[0].occurrences
    assert shared in occ[0].text and shared in occ[1].text
    p, = dedup.align(a, b, min_words=10)
    assert shared in a[p.a_start:p.a_end] and shared in b[p.b_start:p.b_end]


# ------------------------------------------------------------------ kernels against references
TOKENS = st.lists(st.integers(0, 6), max_size=40)


@settings(max_examples=400, deadline=None)
@given(a=TOKENS, b=TOKENS, x=st.integers(1, 6))
# found by hypothesis: the kernel's floor was the best of the rows before, so a cell x + 1 below a
# best found earlier in its row stayed alive and the extension went on through it
@example(a=[0, 0, 0, 0], b=[0, 1, 1, 0, 0, 0], x=1)
@example(a=[0, 1, 1, 0, 0], b=[0, 1, 1, 0, 0, 0, 0], x=1)
def test_xdrop_matches_reference(a, b, x):
    ua, ub = np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)
    H = [np.empty(len(b) + 3, dtype=np.int64) for _ in range(4)]
    e = np.empty(0, dtype=np.uint8)
    got = _align._xdrop(ua, 0, len(a), ub, 0, len(b), 1, x, *H, e, np.empty((0, 2), dtype=np.int64), False)
    assert tuple(int(v) for v in got[:4]) == ref.xdrop(a, b, x)
    # backward: the same on the reversed sequences
    got = _align._xdrop(ua, len(a) - 1, len(a), ub, len(b) - 1, len(b), -1, x, *H, e,
                        np.empty((0, 2), dtype=np.int64), False)
    assert tuple(int(v) for v in got[:4]) == ref.xdrop(a[::-1], b[::-1], x)


@settings(max_examples=200, deadline=None)
@given(a=TOKENS, b=TOKENS)
def test_xdrop_without_drop_is_the_best_prefix_alignment(a, b):
    ua, ub = np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)
    H = [np.empty(len(b) + 3, dtype=np.int64) for _ in range(4)]
    e = np.empty(0, dtype=np.uint8)
    got = _align._xdrop(ua, 0, len(a), ub, 0, len(b), 1, len(a) + len(b) + 1, *H, e,
                        np.empty((0, 2), dtype=np.int64), False)
    assert int(got[2]) == ref.best_prefix_alignment(a, b)


@settings(max_examples=200, deadline=None)
@given(a=TOKENS, b=TOKENS, x=st.integers(1, 6))
def test_traceback_ops_are_the_alignment_found(a, b, x):
    ua, ub = np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)
    H = [np.empty(len(b) + 3, dtype=np.int64) for _ in range(4)]
    tb = np.empty(64 * (len(a) + len(b) + 4), dtype=np.uint8)
    rows = np.empty((len(a) + 2, 2), dtype=np.int64)
    i, j, score, matches, used = _align._xdrop(ua, 0, len(a), ub, 0, len(b), 1, x, *H, tb, rows, True)
    assert used >= 0
    ops = np.empty(i + j + 1, dtype=np.uint8)
    n = _align._traceback(tb, rows, i, j, ops, 0, True)
    ops = ops[:n].tolist()
    ia = ib = 0
    m = 0
    for op in ops:  # the ops spell an alignment of a[:i] and b[:j] with that score and matches
        if op in (_align.MATCH, _align.SUBST):
            assert (a[ia] == b[ib]) == (op == _align.MATCH)
            m += op == _align.MATCH
            ia += 1
            ib += 1
        elif op == _align.DELETE:
            ia += 1
        else:
            ib += 1
    assert (ia, ib, m) == (i, j, matches)
    assert m - (len(ops) - m) == score


DOCS = st.lists(st.lists(st.integers(0, 5), max_size=30), min_size=2, max_size=6)


@pytest.mark.parametrize("prefix_bits", [32, 64])  # 64: keys hold global token positions, not (doc, pos)
@settings(max_examples=150, deadline=None)
@given(docs=DOCS, ngram=st.integers(1, 3), max_df=st.integers(2, 4), max_repeat=st.integers(1, 3),
       star=st.booleans(), min_seeds=st.integers(1, 3), winnow=st.integers(1, 3))
def test_seed_hits_match_reference(prefix_bits, docs, ngram, max_df, max_repeat, star, min_seeds, winnow):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_seeds, "MIN_PREFIX_BITS", prefix_bits)
        _check_seed_hits(docs, ngram, max_df, max_repeat, star, min_seeds, winnow)


def _check_seed_hits(docs, ngram, max_df, max_repeat, star, min_seeds, winnow):
    docs = [[v + 1 for v in d] for d in docs]
    units = np.array([v for d in docs for v in d], dtype=np.uint64)
    tptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=tptr[1:])
    window, band = 5, 2
    h = _seeds.seed_hits(units, tptr, ngram=ngram, max_df=max_df, max_repeat=max_repeat,
                         frequent="star" if star else "drop", min_seeds=min_seeds, window=window, band=band,
                         winnow=winnow)
    got = []
    for k in range(h.pair_a.shape[0]):
        for x in range(h.hptr[k], h.hptr[k + 1]):
            got.append((int(h.pair_a[k]), int(h.pair_b[k]), int(h.pos_a[x]), int(h.pos_b[x])))
    assert len(got) == len(set(got))
    assert set(got) == ref.seed_hits(docs, ngram, max_df, max_repeat, star, min_seeds, window, band, winnow)
    assert got == sorted(got)  # by pair, then position in a, then in b


@settings(max_examples=100, deadline=None)
@given(keys=st.lists(st.integers(0, 2**64 - 1), max_size=3000))
def test_sort_keys_sorts(keys):
    arr = np.array(keys, dtype=np.uint64)
    assert np.array_equal(_keysort.sort_keys(arr), np.sort(arr))


# ------------------------------------------------------------------ planted copies
def _corpus(seed: int, n_docs: int = 40, vocab: int = 5000):
    """Documents of random words; a quarter are sources, half hosts that get one passage of a source.

    Returns the texts and the truth: (source, start, host, at, length) in words.
    """
    rng = np.random.default_rng(seed)
    docs = [[f"w{v}" for v in rng.integers(0, vocab, size=rng.integers(50, 300))] for _ in range(n_docs)]
    truth = []
    for h in range(n_docs // 4, 3 * n_docs // 4):
        s = int(rng.integers(0, n_docs // 4))
        length = int(rng.integers(15, 50))
        start = int(rng.integers(0, len(docs[s]) - length))
        piece = list(docs[s][start:start + length])
        for _ in range(int(rng.integers(0, 3))):  # substitutions, 3 words or more from the ends
            piece[int(rng.integers(3, len(piece) - 3))] = f"x{rng.integers(0, 10**9)}"
        at = int(rng.integers(0, len(docs[h])))
        docs[h][at:at] = piece
        truth.append((s, start, h, at, length))
    return [" ".join(d) for d in docs], truth


def test_planted_copies_are_found_with_their_boundaries():
    texts, truth = _corpus(3)
    arr = dedup.passages(texts, min_words=10).arrays()
    found = set()
    for x in range(arr.align_a.shape[0]):
        found.add((int(arr.doc[arr.align_a[x]]), int(arr.a_word_start[x]), int(arr.a_word_end[x]),
                   int(arr.doc[arr.align_b[x]]), int(arr.b_word_start[x]), int(arr.b_word_end[x])))
    want = {(s, start, start + n, h, at, at + n) for s, start, h, at, n in truth}
    assert want <= found
    # nothing else but copies of one source's passage in two hosts
    for da, sa, ea, db, sb, eb in found - want:
        assert da >= len(texts) // 4 and db >= len(texts) // 4


def test_same_answer_on_any_thread_count():
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one core: nothing to compare")
    texts, _ = _corpus(5, n_docs=300)
    texts = texts * 2  # every document twice: groups with frequent n-grams too
    before = numba.get_num_threads()
    out = []
    try:
        for t in (1, 2):
            numba.set_num_threads(t)
            out.append(dedup.passages(texts, min_words=10, max_df=3).arrays())
    finally:
        numba.set_num_threads(before)
    for x, y in zip(*out):
        assert np.array_equal(x, y)


def test_a_passage_in_many_documents_is_one_group_in_linear_work():
    """Star links: 2,000 copies are one group, aligned with the first copy only."""
    rng = np.random.default_rng(1)
    passage = " ".join(f"p{v}" for v in rng.integers(0, 10**6, size=40))
    texts = [" ".join(f"w{v}" for v in rng.integers(0, 10**6, size=30)) + " " + passage + " "
             + " ".join(f"w{v}" for v in rng.integers(0, 10**6, size=30)) for _ in range(2000)]
    res = dedup.passages(texts, max_df=100, max_docs=None)
    assert len(res) == 1
    g = res.arrays()
    assert g.group_ptr[-1] == 2000 and g.align_a.shape[0] == 1999
    assert np.all(g.align_a == 0) and np.all(g.word_end - g.word_start == 40)


# ------------------------------------------------------------------ groups: each region once, none nested
def _reuse_corpus(seed: int):
    """A few documents of random words (some joined by punctuation: ``v2.0``, ``e-mail``) reusing each other's
    passages: copied into several documents, twice into one, overlapping, and pieces of copied pieces."""
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(400)] + [f"v{i}.{j}" for i in range(5) for j in range(3)] + ["e-mail", "don't"]
    docs = [[vocab[v] for v in rng.integers(0, len(vocab), size=rng.integers(20, 90))]
            for _ in range(int(rng.integers(3, 8)))]
    for _ in range(int(rng.integers(1, 6))):
        src = docs[int(rng.integers(0, len(docs)))]
        if len(src) < 10:
            continue
        a = int(rng.integers(0, len(src) - 8))
        piece = src[a:a + int(rng.integers(8, 40))]
        for _ in range(int(rng.integers(1, 5))):
            cut = piece
            if rng.random() < 0.5:  # a piece of the piece
                x = int(rng.integers(0, max(1, len(piece) - 8)))
                cut = piece[x:x + int(rng.integers(8, 20))]
            host = docs[int(rng.integers(0, len(docs)))]
            at = int(rng.integers(0, len(host) + 1))
            host[at:at] = cut
    return [" ".join(d) for d in docs]


def _occurrence_lists(arr) -> list[list[tuple]]:
    return [[(int(arr.doc[k]), int(arr.start[k]), int(arr.end[k]))
             for k in range(arr.group_ptr[g], arr.group_ptr[g + 1])] for g in range(arr.group_ptr.shape[0] - 1)]


def check_groups(texts: list[str], res, min_words: int) -> None:
    """Against brute force: every group holds each region of a document once, no group lies inside another in
    the same documents (nor where the two meet, in two documents or more), spans start and end on whole words,
    every shared window of ``min_words`` is found."""
    arr = res.arrays()
    groups = _occurrence_lists(arr)
    assert ref.overlapping_occurrences(groups) == []
    assert ref.nested_groups(groups) == []
    assert ref.held_groups(groups) == []
    bounds = [ref.word_bounds(t) for t in texts]
    for occ in groups:
        assert len({d for d, _, _ in occ}) >= 2
        for d, s, e in occ:
            assert s in bounds[d][0] and e in bounds[d][1], (texts[d][max(0, s - 10):s], texts[d][s:e])
    assert all(occ == sorted(occ) for occ in groups)
    assert [occ[0][:2] for occ in groups] == sorted(occ[0][:2] for occ in groups)  # input order of the first
    # every window of min_words two documents share lies inside occurrences of one group in both (windows whose
    # 4-grams each occur once in both documents: a phrase repeated nearby can lead the greedy aligner off)
    where: dict = {}
    for g in range(len(groups)):
        for k in range(arr.group_ptr[g], arr.group_ptr[g + 1]):
            where.setdefault(int(arr.doc[k]), []).append((int(arr.word_start[k]), int(arr.word_end[k]), g))
    words = [words_of(t) for t in texts]
    grams = [Counter(tuple(w[x:x + 4]) for x in range(len(w) - 3)) for w in words]
    for a, b, i, j in ref.shared_word_windows(words, min_words):
        if any(grams[d][tuple(words[d][x:x + 4])] > 1
               for d, p in ((a, i), (b, j)) for x in range(p, p + min_words - 3)):
            continue
        ga = {g for s, e, g in where.get(a, ()) if s <= i and i + min_words <= e}
        gb = {g for s, e, g in where.get(b, ()) if s <= j and j + min_words <= e}
        assert ga & gb, (a, b, words[a][i:i + min_words])


@given(st.integers(0, 2**32 - 1), st.sampled_from([8, 10, 15]))
@settings(max_examples=60, deadline=None)
def test_groups_hold_each_region_once_and_none_lies_inside_another(seed, min_words):
    texts = _reuse_corpus(seed)
    check_groups(texts, dedup.passages(texts, min_words=min_words, ngram=4), min_words)


@pytest.mark.parametrize("min_words", [8, 10, 15])
def test_seed_groups_are_regions_not_fragments(seeds, min_words):
    """In corpus/, the 9- and 12-word passages of 000 and 003 lie inside their 25-word one: one group, not three
    (001 holds the two apart: two occurrences there)."""
    texts = [t for _, t in seeds]
    res = dedup.passages(texts, min_words=min_words)
    check_groups(texts, res, min_words)
    sidelines = [g for g in res if any(SIDELINES in o.text for o in g.occurrences)]
    assert len(sidelines) <= 1
    if min_words <= 9:
        g, = sidelines
        assert [(o.id, o.words) for o in g.occurrences] == [(0, 25), (1, 12), (1, 9), (2, 26)]


def test_copies_aligned_to_one_source_are_one_occurrence_of_it():
    """Star links align every copy with the first; copies cut at different places (up to a tenth of the passage
    at each end) are one region of it, listed once."""
    rng = np.random.default_rng(4)
    passage = [f"p{v}" for v in rng.integers(0, 10**6, size=80)]
    source = " ".join([f"s{v}" for v in rng.integers(0, 10**6, size=30)] + passage)
    copies = []
    for k in range(40):
        lo, hi = int(rng.integers(0, 8)), int(rng.integers(72, 81))
        copies.append(" ".join([f"c{k}x{v}" for v in rng.integers(0, 10**6, size=10)] + passage[lo:hi]))
    texts = [source, *copies]
    res = dedup.passages(texts, max_df=5)
    assert len(res) == 1
    g = res[0]
    assert sorted(o.id for o in g.occurrences) == list(range(41))
    check_groups(texts, res, 15)


def test_occurrences_cover_whole_words():
    """A passage whose alignment starts inside "GPL-2.0" (the tokens 2 and 0 match) starts at the word."""
    body = ("On Debian systems, the complete text of the GNU General Public License version 2 can be found in "
            "the file /usr/share/common-licenses/GPL-2 and more words follow here")
    texts = ["License: GPL-2.0.\n .\n " + body, "License: LGPL-2.0.\n .\n " + body]
    g, = dedup.passages(texts)
    assert [o.text[:12] for o in g.occurrences] == ["GPL-2.0.\n .\n", "LGPL-2.0.\n ."]
    a = g.alignments[0]
    assert texts[0][a.a_start:a.a_start + 2] in ("2.", "0.")  # the alignment itself is word-exact
    check_groups(texts, dedup.passages(texts), 15)


# ------------------------------------------------------------------ API
def test_config_is_validated():
    with pytest.raises(ValueError, match="min_words must be >= ngram"):
        dedup.PassageConfig(min_words=3, ngram=4)
    with pytest.raises(ValueError, match="frequent must be one of"):
        dedup.PassageConfig(frequent="all")
    with pytest.raises(TypeError, match="xdrop must be an int"):
        dedup.PassageConfig(xdrop=2.5)
    # one resolution for every config: keywords given replace the config's fields, unknown ones are refused
    assert dedup.passages(["a b"], config=dedup.PassageConfig(ngram=3), min_words=12).config == \
        dedup.PassageConfig(ngram=3, min_words=12)
    with pytest.raises(TypeError, match="unexpected option 'min_word'"):
        dedup.passages(["a"], min_word=12)
    with pytest.raises(TypeError, match="collection of documents"):
        dedup.passages("one text")
    assert str(dedup.PassageConfig()).startswith("PassageConfig(min_words=10, max_docs=50, ngram=4, max_df=20")
    with pytest.raises(ValueError, match="max_docs must be >= 2"):
        dedup.PassageConfig(max_docs=1)


def test_empty_and_tiny_inputs():
    assert len(dedup.passages([])) == 0
    assert len(dedup.passages(["", "a b", "c"])) == 0
    assert dedup.align("", "") == []
    res = dedup.passages(["", ""])
    assert res.doc_spans().doc_ptr.tolist() == [0, 0, 0]
