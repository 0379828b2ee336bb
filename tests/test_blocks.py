"""Block kernels against slow, obviously correct pure-Python references."""

from __future__ import annotations

import re

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from dedup._blocks import _decide as bd
from dedup._blocks import _segment as _blocks
from dedup._text import _codepoints, _normalize

# ----------------------------------------------------------------- references


def ref_lines(text):
    """(line start, content start, content end) of every line, as str offsets."""
    out = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            cs = pos + (len(line) - len(line.lstrip()))
            out.append((pos, cs, cs + len(stripped)))
        else:
            out.append((pos, pos + len(line), pos + len(line)))
        pos += len(line) + 1
    return out


def ref_wrap_width(lines):
    total = short = width = 0
    for ls, cs, ce in lines:
        if ce > cs:
            total += ce - cs
            if ce - ls <= _blocks.WRAP_CAP:
                short += ce - cs
                width = max(width, ce - ls)
    return width if total and short >= _blocks.WRAPPED_SHARE * total else 0


def ref_depth(text):
    d = 0
    for c in text:
        if c == ">":
            d += 1
        elif not c.isspace():
            break
    return d


def ref_item(s):
    if s[:1] in ("-", "*", "\u2022") and len(s) > 1 and s[1].isspace():
        return True
    i = 0
    while i < len(s) and s[i] in "0123456789":
        i += 1
    return i > 0 and i + 1 < len(s) and s[i] in ".)" and s[i + 1].isspace()


def ref_sentences(text, s, e):
    out = []
    start = s
    p = s
    stops = ".!?\u3002\uff01\uff1f"
    closers = "\"')]}\u00bb\u2019\u201d\u300d\u300f"
    while p < e:
        if text[p] in stops:
            q = p + 1
            while q < e and (text[q] in stops or text[q] in closers):
                q += 1
            if q < e and text[q].isspace():
                r = q
                while r < e and text[r].isspace():
                    r += 1
                if r < e and not ("a" <= text[r] <= "z"):
                    out.append((start, q))
                    start = p = r
                    continue
            p = q
            continue
        p += 1
    out.append((start, e))
    return out


def ref_segment(text, unit):
    lines = ref_lines(text)
    width = 0 if unit == "line" else ref_wrap_width(lines)
    paras = []
    for k, (ls, cs, ce) in enumerate(lines):
        if ce == cs:
            continue
        if width and paras and k > 0 and lines[k - 1][2] > lines[k - 1][1] and paras[-1][1] == lines[k - 1][2]:
            pls, pcs, pce = lines[k - 1]
            first = (text[cs:ce].lstrip("> \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002"
                     "\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000").split() or [""])[0]
            joins = (pce - pls) + 1 + len(first) > width
            joins = joins and ref_depth(text[pls:pce]) == ref_depth(text[ls:ce]) and not ref_item(text[cs:ce])
            if joins:
                paras[-1] = (paras[-1][0], ce)
                continue
        paras.append((cs, ce))
    if unit != "sentence":
        return paras
    return [sent for s, e in paras for sent in ref_sentences(text, s, e)]


def run_segment(texts, unit, wide=False):
    """Segment ``texts``; ``wide`` forces uint32 code points even for Latin-1 text."""
    cps, doc_ptr = _codepoints.code_points(texts)
    if wide:
        cps = cps.astype(np.uint32)
    buf, norm_ptr = _normalize.fold_code_points(cps, doc_ptr, texts)
    bptr, s, e, ns, ne = _blocks.segment(cps, doc_ptr, buf, norm_ptr, _blocks.UNITS[unit])
    return doc_ptr, cps, bptr, s, e, (buf, ns, ne)


# Text from lines that exercise every rule: blank and indented lines, quotes,
# list items, sentence ends, NFKC-changing characters (ligature, sharp s,
# NBSP, full-width), a non-BMP character, CJK.
LINE_PIECES = st.sampled_from([
    "", "   ", "\t", "word", "The quick brown fox.", "jumps over the lazy dog", "> quoted line here",
    ">> deeper", "- item one", "12. item", "Mr. Smith went. He left!", "e.g. this one? yes. No!",
    "\ufb01ne \u00df stra\u00dfe", "\u00a0nbsp\u00a0line", "\uff21\uff22\uff23 full", "emoji \U0001f600 here",
    "\u65e5\u672c\u8a9e\u3002\u6587", "|", "a" * 40 + " " + "b" * 30, "x " * 45, "\u201cQuoted.\u201d Then",
])
TEXTS = st.lists(LINE_PIECES, max_size=25).map("\n".join)


@njit
def _space_table(n):
    out = np.zeros(n, dtype=np.bool_)
    for c in range(n):
        out[c] = _blocks.is_space(c)
    return out


def test_is_space_matches_python_everywhere():
    table = _space_table(0x110000)
    expected = np.array([chr(c).isspace() for c in range(0x110000)])
    assert np.array_equal(table, expected)


@pytest.mark.parametrize("unit", list(_blocks.UNITS))
@settings(max_examples=150, deadline=None)
@given(texts=st.lists(TEXTS, max_size=6))
def test_segment_matches_reference(unit, texts):
    doc_ptr, _, bptr, s, e, _ = run_segment(texts, unit)
    for d, text in enumerate(texts):
        got = [(a - doc_ptr[d], b - doc_ptr[d]) for a, b in zip(s[bptr[d]:bptr[d + 1]], e[bptr[d]:bptr[d + 1]])]
        assert got == ref_segment(text, unit)


LATIN1_PIECES = st.sampled_from(["", "  ", "Caf\u00e9 cr\u00e8me. Stra\u00dfe", "> quoted \u00bd line", "- item",
                                 "PLAIN ASCII words. Next!", "\u00a0nbsp\u00a0", "\u00c5ngstr\u00f6m \u00e6on"])


@pytest.mark.parametrize("unit", list(_blocks.UNITS))
@settings(max_examples=60, deadline=None)
@given(texts=st.lists(st.lists(LATIN1_PIECES, max_size=12).map("\n".join), max_size=5),
       bmp=st.booleans())
def test_narrow_code_points_give_the_same_blocks_as_utf32(unit, texts, bmp):
    if bmp:  # text within the BMP: UTF-16 code units
        texts = texts + ["Curly \u2019quotes\u2019 \u2014 and \u65e5\u672c. Next line\n\ufb01ne"]
    narrow = run_segment(texts, unit)
    assert narrow[1].dtype == (np.uint16 if bmp else np.uint8)
    wide = run_segment(texts, unit, wide=True)
    for a, b in zip(narrow[2:5] + narrow[5], wide[2:5] + wide[5]):
        assert np.array_equal(a, b)
    for d, text in enumerate(texts):
        got = [(a - narrow[0][d], b - narrow[0][d])
               for a, b in zip(narrow[3][narrow[2][d]:narrow[2][d + 1]], narrow[4][narrow[2][d]:narrow[2][d + 1]])]
        assert got == ref_segment(text, unit)


@settings(max_examples=80, deadline=None)
@given(texts=st.lists(st.one_of(LATIN1_PIECES, st.text(max_size=40)), max_size=6))
def test_a_held_chunk_makes_its_code_points_once_and_they_equal_a_lists(texts):
    """``_codepoints.Held``: the cut and the removal lines of a chunk share one ``code_points``."""
    held = _codepoints.Held(texts)
    first = _codepoints.code_points(held)
    assert _codepoints.code_points(held) is first  # made once
    want = _codepoints.code_points(list(texts))
    assert first[0].dtype == want[0].dtype and np.array_equal(first[0], want[0])
    assert np.array_equal(first[1], want[1]) and list(held) == texts


@settings(max_examples=150, deadline=None)
@given(texts=st.lists(st.one_of(TEXTS, st.text(max_size=40)), max_size=6), wide=st.booleans())
def test_fold_code_points_equals_encode_batch(texts, wide):
    cps, doc_ptr = _codepoints.code_points(texts)
    top = max((max(t) for t in texts if t), default="a")
    surrogate = any("\ud800" <= c <= "\udfff" for t in texts for c in t)
    assert cps.dtype == (np.uint8 if top < "\u0100" else np.uint16 if top < "\U00010000" and not surrogate
                         else np.uint32)
    assert doc_ptr.tolist() == [0] + np.cumsum([len(t) for t in texts]).tolist()
    if wide:
        cps = cps.astype(np.uint32)
    buf, ptr = _normalize.fold_code_points(cps, doc_ptr, texts)
    ref_buf, ref_ptr = _normalize.encode_batch(texts)
    assert np.array_equal(ptr, ref_ptr) and np.array_equal(buf, ref_buf)


@pytest.mark.parametrize("unit", list(_blocks.UNITS))
def test_segment_sizes(unit):
    for texts in ([], [""], ["\n\n  \n"], ["one"], ["one\ntwo\n\nthree four. Five"] * 50):
        doc_ptr, _, bptr, s, e, _ = run_segment(texts, unit)
        assert bptr.shape == (len(texts) + 1,)
        for d, text in enumerate(texts):
            got = [(a - doc_ptr[d], b - doc_ptr[d]) for a, b in zip(s[bptr[d]:bptr[d + 1]], e[bptr[d]:bptr[d + 1]])]
            assert got == ref_segment(text, unit)


@pytest.mark.parametrize("unit", list(_blocks.UNITS))
def test_segment_fills_its_bound_exactly_on_dense_text(unit):
    # Every line a sentence stop after every character: the most blocks the bound allows.
    dense = ["A. B! C? D.\nE. F.", "!.?" * 50, "\n" * 40, "x.\n" * 30 + "Y. " * 30, "Q.\u3002R\uff01 S", ""]
    doc_ptr, _, bptr, s, e, _ = run_segment(dense, unit)
    for d, text in enumerate(dense):
        got = [(a - doc_ptr[d], b - doc_ptr[d]) for a, b in zip(s[bptr[d]:bptr[d + 1]], e[bptr[d]:bptr[d + 1]])]
        assert got == ref_segment(text, unit)
    if unit == "sentence":
        assert bptr[1] - bptr[0] == 6  # "A." "B!" "C?" "D." then "E." "F."


def test_paragraphs_of_wrapped_and_web_text():
    wrapped = ("From: someone\nSubject: a test\n\nThis paragraph is wrapped at a fixed\nwidth so that every "
               "line but the last\nis full to the margin.\n> quoted text that is also full to\n> wrapped for sure\n"
               "-- \nSig line\n")
    doc_ptr, _, bptr, s, e, _ = run_segment([wrapped], "paragraph")
    got = [wrapped[a:b] for a, b in zip(s.tolist(), e.tolist())]
    assert got == ["From: someone", "Subject: a test",
                   "This paragraph is wrapped at a fixed\nwidth so that every line but the last\nis full to the margin.",
                   "> quoted text that is also full to\n> wrapped for sure", "--", "Sig line"]
    web = "A heading\n" + "A long web paragraph on one line. " * 6 + "\nAnother one on its own line. " * 1
    _, _, _, s, e, _ = run_segment([web], "paragraph")
    assert len(s) == 3


@pytest.mark.parametrize("unit", ["line", "paragraph"])
@settings(max_examples=100, deadline=None)
@given(texts=st.lists(TEXTS, max_size=5))
def test_normalized_spans_hold_the_normalized_block(unit, texts):
    doc_ptr, cps, bptr, s, e, (buf, ns, ne) = run_segment(texts, unit)
    raw = bytes(buf)
    for x in range(s.shape[0]):
        d = int(np.searchsorted(bptr, x, side="right") - 1)
        block = texts[d][s[x] - doc_ptr[d]: e[x] - doc_ptr[d]]
        mapped = raw[ns[x]:ne[x]].decode("utf-8", "surrogatepass")
        assert mapped.split() == _normalize.normalize(block).split()


@settings(max_examples=100, deadline=None)
@given(texts=st.lists(st.lists(st.sampled_from(["Alpha beta. Gamma delta!", "x y z? Q r", "plain words here",
                                                "", "end. Start"]), max_size=8).map("\n".join), max_size=4))
def test_sentence_spans_map_exactly_when_normalization_keeps_length(texts):
    doc_ptr, cps, bptr, s, e, (buf, ns, ne) = run_segment(texts, "sentence")
    joined = "".join(texts)
    for x in range(s.shape[0]):
        assert bytes(buf[ns[x]:ne[x]]).decode() == _normalize.normalize(joined[s[x]:e[x]])


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.lists(st.integers(0, 30), max_size=6).map(lambda r: sorted(set(r))), max_size=12))
def test_set_digests(rows):
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    values = np.array([v for r in rows for v in r], dtype=np.uint64)
    dig = _blocks.set_digests(indptr, values)
    for a in range(len(rows)):
        for b in range(len(rows)):
            assert (dig[a] == dig[b]) == (rows[a] == rows[b])  # 64-bit: a collision here is ~2**-58


# --------------------------------------------------------------- decisions


def ref_anchored(docs_blocks, labels, words, window, anchor_words):
    """``anchored``'s bits of every block. An own block has ``anchor_words`` words or more and a group in
    no other document. NEAR (1): an own block within ``window`` blocks, before or after; ABOVE (2): one
    within ``window`` blocks after; TEXT (4): any block of ``anchor_words`` words within ``window`` blocks
    after; LEAD (8): no own block before it in its document."""
    bdoc = [d for d, m in enumerate(docs_blocks) for _ in range(m)]
    starts = [sum(docs_blocks[:d]) for d in range(len(docs_blocks))]
    docs_of = {}
    for x, g in enumerate(labels):
        docs_of.setdefault(g, set()).add(bdoc[x])
    own = [words[y] >= anchor_words and len(docs_of[labels[y]]) == 1 for y in range(len(labels))]
    out = []
    for x in range(len(labels)):
        d = bdoc[x]
        before = range(max(starts[d], x - window), x)
        after = range(x + 1, min(starts[d] + docs_blocks[d], x + window + 1))
        out.append(1 * any(own[y] for y in [*before, *after]) + 2 * any(own[y] for y in after)
                   + 4 * any(words[y] >= anchor_words for y in after)
                   + 8 * (not any(own[y] for y in range(starts[d], x))))
    return out


def ref_rank(bits):
    """Preference for the kept copy: above own text, above long text, near own text, none."""
    return 3 if bits & 2 else 2 if bits & 4 else 1 if bits & 1 else 0


def ref_decide(docs_blocks, labels, words, nsh, mode, min_docs, min_words, protect_words, window, anchor_words,
               enabled):
    """Plain-Python statement of the rules in ``_block_decide``'s module doc."""
    n = len(labels)
    bdoc = [d for d, m in enumerate(docs_blocks) for _ in range(m)]
    starts = [sum(docs_blocks[:d]) for d in range(len(docs_blocks))]
    groups = {}
    for x in range(n):
        groups.setdefault(labels[x], []).append(x)
    ndocs = {g: len({bdoc[x] for x in m}) for g, m in groups.items()}
    anchor = ref_anchored(docs_blocks, labels, words, window, anchor_words)
    shared = [ndocs[labels[x]] >= 2 for x in range(n)]
    in_run = []
    for x in range(n):
        same = [y for y in range(starts[bdoc[x]], starts[bdoc[x]] + docs_blocks[bdoc[x]]) if nsh[y] > 0]
        i = same.index(x) if x in same else None
        near = [] if i is None else same[max(0, i - 1):i] + same[i + 1:i + 2]
        in_run.append(any(shared[y] for y in near))
    kind = [0] * n
    source = [-1] * n
    for g, members in groups.items():
        if len(members) < 2:
            continue
        keeper = members[0]
        for x in members:
            if ref_rank(anchor[x]) > ref_rank(anchor[keeper]) and words[x] < protect_words:
                keeper = x  # the first copy of the highest rank
        others = [x for x in members if x != keeper]
        anch = [y for y in members if anchor[y] & 1 and words[y] < protect_words]
        lead_docs = {bdoc[y] for y in anch if anchor[y] & 8}  # anchored above its document's own text
        alone = [y for y in members if not in_run[y] and words[y] < min_words]
        alone_anch = [y for y in alone if anchor[y] & 2 and anchor[y] & 8]  # just above its document's own text
        layout = len({bdoc[y] for y in alone_anch}) >= min_docs and 2 * len(alone_anch) > len(alone)
        for x in members:
            if nsh[x] == 0:
                continue
            boiler = ndocs[g] >= min_docs
            short = words[x] < min_words
            protected = (anchor[x] & 1 and words[x] < protect_words and 2 * len(anch) <= len(members)
                         and len(lead_docs) < min_docs) or (short and not in_run[x] and not layout)
            if x == keeper:
                if mode == bd.REMOVE_ALL and boiler and not protected and enabled[bd.BOILERPLATE]:
                    kind[x], source[x] = bd.BOILERPLATE, others[0]
                continue
            if bdoc[x] == bdoc[keeper]:
                k = bd.REPEAT
            elif protected:
                continue
            elif boiler:
                k = bd.BOILERPLATE
            elif not short:
                k = bd.SYNDICATED
            else:
                continue
            kind[x], source[x] = k, keeper
    for x in range(n):
        if not enabled[kind[x]]:
            kind[x], source[x] = 0, -1
    for d in range(len(docs_blocks)):
        xs = list(range(starts[d], starts[d] + docs_blocks[d]))
        for i, x in enumerate(xs):
            if nsh[x] != 0:
                continue
            before = [y for y in xs[:i] if nsh[y] > 0]
            after = [y for y in xs[i + 1:] if nsh[y] > 0]
            b = "edge" if not before else ("removed" if kind[before[-1]] else "kept")
            a = "edge" if not after else ("removed" if kind[after[0]] else "kept")
            if "kept" not in (a, b) and "removed" in (a, b):
                kind[x] = bd.SEPARATOR
    return kind, source


BLOCK_SETS = st.integers(1, 30).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.integers(0, 5), min_size=n, max_size=n),  # group id per block
    st.lists(st.integers(0, 30), min_size=n, max_size=n),  # words
    st.lists(st.booleans(), min_size=n, max_size=n),  # has shingles
    st.lists(st.integers(0, 4), min_size=1, max_size=8),  # blocks per doc, rescaled below
))


@pytest.mark.parametrize("mode", [bd.KEEP_FIRST, bd.REMOVE_ALL])
@settings(max_examples=300, deadline=None)
@given(data=BLOCK_SETS, enabled=st.lists(st.booleans(), min_size=3, max_size=3))
def test_decide_matches_reference(mode, data, enabled):
    n, gid, words, has, per = data
    # blocks per document summing to n
    docs_blocks = []
    left = n
    for p in per:
        take = min(left, p)
        docs_blocks.append(take)
        left -= take
    docs_blocks.append(left)
    nsh = [3 if h else 0 for h in has]
    # a label is the first block of its group; blocks without shingles stand alone
    first = {}
    labels = []
    for x in range(n):
        if nsh[x] == 0:
            labels.append(x)
        else:
            labels.append(first.setdefault(gid[x], x))
    en = np.array([False] + enabled + [True])
    bptr = np.zeros(len(docs_blocks) + 1, dtype=np.int64)
    np.cumsum(docs_blocks, out=bptr[1:])
    bdoc = np.repeat(np.arange(len(docs_blocks)), docs_blocks).astype(np.int64)
    lab = np.array(labels, dtype=np.int64)
    w = np.array(words, dtype=np.int64)
    groups, count = bd.dense_groups(lab)
    anchor = bd.anchored(bptr, lab, groups, count, w, 1, 20)
    assert anchor.tolist() == ref_anchored(docs_blocks, labels, words, 1, 20)
    kind, source = bd.decide(bptr, bdoc, lab, groups, count, w, np.array(nsh, dtype=np.int64), anchor, mode, 3, 8,
                             15, en)
    rk, rs = ref_decide(docs_blocks, labels, words, nsh, mode, 3, 8, 15, 1, 20, en)
    assert kind.tolist() == rk
    assert source.tolist() == rs
    if mode == bd.KEEP_FIRST:
        for x in np.flatnonzero(source >= 0).tolist():
            assert kind[source[x]] == bd.KEPT and labels[source[x]] == labels[x]


# Page-like blocks, so that the rules on anchored and lone copies are met often: shared short lines
# "A" and "B", a shared long line "L", and lines found once, short "u" and long "U".
PIECES = {"A": 2, "B": 2, "L": 25, "u": 3, "U": 25}
PAGES = st.lists(st.lists(st.sampled_from("AABuuUUUL"), min_size=1, max_size=5), min_size=3, max_size=8)


@pytest.mark.parametrize("mode", [bd.KEEP_FIRST, bd.REMOVE_ALL])
@settings(max_examples=300, deadline=None)
@given(pages=PAGES, window=st.integers(1, 2))
def test_decide_matches_reference_on_page_like_blocks(mode, pages, window):
    docs_blocks = [len(p) for p in pages]
    toks = [c for p in pages for c in p]
    words = [PIECES[c] for c in toks]
    first: dict = {}
    labels = [x if c in "uU" else first.setdefault(c, x) for x, c in enumerate(toks)]
    nsh = [3] * len(toks)
    en = np.array([False, True, True, True, True])
    bptr = np.zeros(len(docs_blocks) + 1, dtype=np.int64)
    np.cumsum(docs_blocks, out=bptr[1:])
    bdoc = np.repeat(np.arange(len(docs_blocks)), docs_blocks).astype(np.int64)
    lab = np.array(labels, dtype=np.int64)
    w = np.array(words, dtype=np.int64)
    groups, count = bd.dense_groups(lab)
    anchor = bd.anchored(bptr, lab, groups, count, w, window, 20)
    assert anchor.tolist() == ref_anchored(docs_blocks, labels, words, window, 20)
    kind, source = bd.decide(bptr, bdoc, lab, groups, count, w, np.array(nsh, dtype=np.int64), anchor, mode, 3, 8,
                             15, en)
    rk, rs = ref_decide(docs_blocks, labels, words, nsh, mode, 3, 8, 15, window, 20, en)
    assert kind.tolist() == rk
    assert source.tolist() == rs


def longest_break(text):
    return max((len(m) for m in re.findall(r"(?:\n[^\S\n]*)+", text)), default=0)


def ref_clean(text, spans, removed):
    """Cut removed blocks out; gaps as the ``edits`` docstring says."""
    if not spans:
        return text, False
    if all(removed):
        return "", True
    gaps = [text[:spans[0][0]]] + [text[spans[i - 1][1]:spans[i][0]] for i in range(1, len(spans))]
    gaps.append(text[spans[-1][1]:])
    out = gaps[0]
    kept = [i for i, r in enumerate(removed) if not r]
    for a, b in zip(kept, kept[1:]):
        out += text[spans[a][0]:spans[a][1]]
        between = gaps[a + 1:b + 1]
        out += max(between, key=lambda g: g.count("\n")) if b > a + 1 else between[0]
    out += text[spans[kept[-1]][0]:spans[kept[-1]][1]]
    return out + gaps[-1], False


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(TEXTS, min_size=1, max_size=4), seed=st.integers(0, 2**32 - 1))
def test_edits_match_reference(texts, seed):
    doc_ptr, cps, bptr, s, e, _ = run_segment(texts, "line")
    rng = np.random.default_rng(seed)
    kind = (rng.random(s.shape[0]) < 0.5).astype(np.int8)
    eptr, c0, c1, k0, k1, empty = bd.edits(cps, doc_ptr, bptr, s, e, kind)
    docs = np.flatnonzero(rng.random(len(texts)) < 0.7)  # apply_edits to a subset, in order
    out, out_ptr = bd.apply_edits(cps, doc_ptr, eptr, c0, c1, k0, k1, docs)
    assert out.dtype == cps.dtype and out_ptr.shape == (docs.shape[0] + 1,)
    for d, text in enumerate(texts):
        a, b = bptr[d], bptr[d + 1]
        spans = [(x - doc_ptr[d], y - doc_ptr[d]) for x, y in zip(s[a:b].tolist(), e[a:b].tolist())]
        want, want_empty = ref_clean(text, spans, kind[a:b].tolist())
        assert bool(empty[d]) == want_empty
        if d not in docs:
            continue
        k = docs.tolist().index(d)
        got = "".join(map(chr, out[out_ptr[k]:out_ptr[k + 1]].tolist()))
        assert got == want
        # tidy: no longer run of line breaks than the original had
        assert longest_break(got) <= longest_break(text)


def test_segment_same_on_one_and_two_threads():
    texts = ["one\ntwo\n\nthree four. Five six!\n> q\n> r"] * 300
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = run_segment(texts, "sentence")
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = run_segment(texts, "sentence")
    finally:
        numba.set_num_threads(before)
    for x, y in zip(a[:5] + a[5], b[:5] + b[5]):
        assert np.array_equal(x, y)


def ref_copies(score, wi, wj, di, dj, threshold, long_threshold, long_words):
    """A pair is a copy at ``threshold``; long blocks of two documents also at ``long_threshold``."""
    if score >= threshold:
        return True
    return di != dj and wi >= long_words and wj >= long_words and score >= long_threshold


@settings(max_examples=200, deadline=None)
@given(pairs=st.lists(st.tuples(st.floats(-1, 1), st.integers(0, 80), st.integers(0, 80), st.integers(0, 2),
                                st.integers(0, 2)), max_size=30),
       threshold=st.sampled_from([0.5, 0.65, 0.7, 1.0]), long_threshold=st.sampled_from([0.3, 0.65, 0.7, 1.0]),
       long_words=st.integers(1, 60))
def test_copies_matches_reference(pairs, threshold, long_threshold, long_words):
    cols = [np.array(c, dtype=t) for c, t in zip(zip(*pairs), (np.float64, *[np.int64] * 4))] if pairs else \
        [np.zeros(0, np.float64)] + [np.zeros(0, np.int64)] * 4
    got = bd.copies(*cols, threshold, long_threshold, long_words)
    assert got.tolist() == [ref_copies(*p, threshold, long_threshold, long_words) for p in pairs]


# --------------------------------------------------------------- groups of blocks


@settings(max_examples=300, deadline=None)
@given(shingle_sets=st.lists(st.integers(-1, 6), min_size=1, max_size=40), data=st.data())
def test_group_labels_are_the_components_of_exact_groups_and_pairs(shingle_sets, data):
    """``group_labels`` (union-find over the pairs' blocks only) labels every block as ``_pipeline.components``
    (union-find over all blocks) does, and ``dense_groups`` numbers the groups of two blocks or more."""
    from dedup._core._steps import Pairs
    from dedup._indexing import _pipeline

    n = len(shingle_sets)
    first: dict = {}
    rep = np.array([-1 if g < 0 else first.setdefault(g, x) for x, g in enumerate(shingle_sets)], dtype=np.int64)
    idx = st.integers(0, n - 1)
    edges = data.draw(st.lists(st.tuples(idx, idx), max_size=2 * n))
    i = np.array([a for a, _ in edges], dtype=np.int64)
    j = np.array([b for _, b in edges], dtype=np.int64)
    want = _pipeline.components(n, Pairs(i, j, np.ones(i.shape[0])), rep)
    labels = bd.group_labels(rep, i, j)
    assert labels.tolist() == want.tolist()
    groups, count = bd.dense_groups(labels)
    big = sorted({g for g in labels.tolist() if labels.tolist().count(g) >= 2})
    assert count == len(big)
    assert [int(groups[g]) for g in labels.tolist()] == [big.index(g) if g in big else -1 for g in labels.tolist()]
