"""Planted text reuse: passages copied between unrelated documents, with edits, and the truth.

    from benchmarks.harness.passages_planted import planted, score
    c = planted(1000, seed=0)
    c.texts        # list of str
    c.copies       # one row per planted copy: source span, host span, edit rate, length
    c.truth_pairs()  # every pair of spans that share a planted passage (source-copy and copy-copy)
    score(c, found)  # recall by edit rate and length, precision, boundary errors

How a corpus is built (every draw from ``numpy.random.default_rng([seed, chunk])``):

1. **Base text.** A first-order Markov chain over the words of the
   Wikipedia sample (``data/wikipedia_sample.jsonl.gz``, CC BY-SA; the word
   pieces and sentence rule of ``generate.pool``: a word keeps its trailing
   punctuation and space, a sentence ends at ``.``/``!``/``?`` before a
   capital). Each document walks the chain from a random sentence start for a
   log-normal number of words (median 300, sigma 0.5, clipped to [40, 3000]);
   a paragraph ends after a sentence with probability 0.2. Where a word has
   few successors a walk repeats the sample verbatim (a list of film titles),
   so unrelated documents would share runs of words by chance: every word
   5-gram (lower-cased words, as dedup reads them) that occurs again, in any
   document of the chunk, is replaced by 5 random words (one word would
   leave a near-copy that edit-tolerant tools rightly find), until none
   repeats (``unique=5``; it replaces about 5 % of the words; ``unique=0`` skips this, for scale runs
   where precision is not scored).
2. **Passages.** A fifth of the documents are sources. Each gives one
   passage: from a random sentence start, a target length drawn uniformly
   from [20, 300] words, cut back to the last sentence end in its last
   third (and at 20 words or more) when there is one ("sentence-boundary trimming"; the source keeps
   the passage in place). Its edit rate is drawn from ``RATES``.
3. **Copies.** Each passage goes into 1 (60 %), 2 (30 %) or 3 (10 %) hosts,
   documents that are not sources, at a sentence boundary; a host may take
   several passages. Every copy is edited independently: each word, with
   probability ``rate``, is substituted by a random word of the sample,
   deleted, or gets a random word inserted before it (one third each).
4. **Truth.** Each copy's span in its host and its passage's span in the
   source (``str`` offsets). Pairs to find: source-copy (scored for recall
   by edit rate and length) and copy-copy of one passage (accepted for
   precision).

``--viral K`` also plants one 60-word passage into K hosts (the "copied into
10,000 documents" case), reported as the number of groups it lands in.
Chunks of ``CHUNK`` documents keep the scratch memory of a million-document
corpus small.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

import numpy as np

from benchmarks.harness.generate import Pool, pool

RATES = (0.0, 0.05, 0.10, 0.20)
LENGTH_BINS = ((20, 30), (30, 50), (50, 100), (100, 200), (200, 301))
MEDIAN_WORDS, SIGMA_WORDS, MIN_WORDS, MAX_WORDS = 300, 0.5, 40, 3000
SOURCE_SHARE = 0.2
COPIES_P = (0.6, 0.3, 0.1)
PARAGRAPH_P = 0.2
CHUNK = 50_000
_WORD = re.compile(r"[^\W_]+")
_END = re.compile(r"[.!?][\"')\]]*\s+$")


@dataclass(frozen=True)
class Chain:
    """Successors of every word piece (CSR over piece ids), sentence starts and ends."""

    ptr: np.ndarray
    succ: np.ndarray
    starts: np.ndarray  # piece ids that begin a sentence in the sample
    ends: np.ndarray  # bool per piece id: ends a sentence
    plain: np.ndarray  # piece ids of plain words: substitutions and insertions
    word: np.ndarray  # piece id -> id of its lower-cased word (what dedup compares)


@functools.cache
def chain() -> Chain:
    p: Pool = pool()
    tok = p.sent_tok.astype(np.int64)
    order = np.argsort(tok[:-1], kind="stable")
    succ = tok[1:][order].astype(np.int32)
    ptr = np.zeros(p.n_vocab + 1, dtype=np.int64)
    np.cumsum(np.bincount(tok[:-1], minlength=p.n_vocab), out=ptr[1:])
    starts = np.unique(tok[p.sent_ptr[:-1]]).astype(np.int32)
    words = p.pieces[: p.n_vocab]
    ends = np.array([bool(_END.search(w)) for w in words.tolist()], dtype=bool)
    lower: dict = {}
    word = np.array([lower.setdefault(" ".join(_WORD.findall(w.lower())), len(lower)) for w in words.tolist()],
                    dtype=np.int64)
    return Chain(ptr, succ, starts, ends, p.plain, word)


def _make_unique(rng, ch: Chain, docs: list, n: int) -> None:
    """Replace every repeated word ``n``-gram (all but its first occurrence) by random words until none repeats."""
    if n <= 0:
        return
    lengths = np.array([d.shape[0] for d in docs], dtype=np.int64)
    offs = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offs[1:])
    flat = np.concatenate(docs) if docs else np.zeros(0, np.int32)
    doc_of = np.repeat(np.arange(len(docs)), lengths)
    mix = np.uint64(0x9E3779B97F4A7C15)
    for _ in range(100):
        w = ch.word[flat].astype(np.uint64) + np.uint64(1)
        if w.shape[0] < n:
            break
        h = np.zeros(w.shape[0] - n + 1, dtype=np.uint64)
        for k in range(n):
            h = h * mix + w[k : k + h.shape[0]]
        valid = doc_of[: h.shape[0]] == doc_of[n - 1 :]
        pos = np.flatnonzero(valid)
        hv = h[pos]
        order = np.argsort(hv, kind="stable")
        dup = np.zeros(order.shape[0], dtype=bool)
        dup[1:] = hv[order[1:]] == hv[order[:-1]]
        again = pos[order[dup]]
        if again.size == 0:
            break
        hit = (again[:, None] + np.arange(n)[None, :]).ravel()
        flat[hit] = ch.plain[rng.integers(0, ch.plain.shape[0], hit.size)]
    for d in range(len(docs)):
        docs[d] = flat[offs[d] : offs[d + 1]]


@dataclass
class Planted:
    """A planted corpus. ``copies`` columns (arrays, one row per copy):

    ``passage``, ``source``, ``src_start``, ``src_end`` (``str`` offsets in the
    source), ``host``, ``start``, ``end`` (in the host), ``rate``, ``words``
    (of the source passage).
    """

    texts: list
    copies: dict
    viral: dict = field(default_factory=dict)

    @property
    def nbytes(self) -> int:
        return sum(map(len, self.texts))

    def truth_pairs(self) -> list:
        """Every pair of spans sharing a planted passage: (doc x, start, end, doc y, start, end, kind)."""
        c = self.copies
        out = []
        by_passage: dict = {}
        for k in range(len(c["passage"])):
            out.append((int(c["source"][k]), int(c["src_start"][k]), int(c["src_end"][k]),
                        int(c["host"][k]), int(c["start"][k]), int(c["end"][k]), "source"))
            by_passage.setdefault(int(c["passage"][k]), []).append(k)
        for ks in by_passage.values():
            for x, i in enumerate(ks):
                for j in ks[x + 1:]:
                    out.append((int(c["host"][i]), int(c["start"][i]), int(c["end"][i]),
                                int(c["host"][j]), int(c["start"][j]), int(c["end"][j]), "copy"))
        return out


def _walk(rng, ch: Chain, lengths: np.ndarray) -> list:
    """Token id arrays of Markov walks of the given lengths (one row per walk)."""
    n = lengths.shape[0]
    longest = int(lengths.max(initial=0))
    out = np.empty((n, longest), dtype=np.int32)
    cur = ch.starts[rng.integers(0, ch.starts.shape[0], n)]
    for t in range(longest):
        out[:, t] = cur
        deg = ch.ptr[cur + 1] - ch.ptr[cur]
        pick = ch.ptr[cur] + (rng.random(n) * np.maximum(deg, 1)).astype(np.int64)
        nxt = ch.succ[np.minimum(pick, ch.succ.shape[0] - 1)]
        restart = ch.starts[rng.integers(0, ch.starts.shape[0], n)]
        cur = np.where(deg > 0, nxt, restart).astype(np.int32)
    return [out[k, : lengths[k]] for k in range(n)]


def _sentence_starts(tok: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Positions where a sentence starts: 0, and after every sentence-ending word."""
    return np.concatenate([[0], np.flatnonzero(ends[tok[:-1]]) + 1])


def _edit(rng, ch: Chain, tok: np.ndarray, rate: float) -> np.ndarray:
    if rate == 0:
        return tok.copy()
    r = rng.random(tok.shape[0])
    kind = rng.integers(0, 3, tok.shape[0])
    edited = r < rate
    out = []
    for k in range(tok.shape[0]):
        if not edited[k]:
            out.append(tok[k])
        elif kind[k] == 0:  # substitute
            out.append(ch.plain[rng.integers(0, ch.plain.shape[0])])
        elif kind[k] == 1:  # insert a word before
            out.append(ch.plain[rng.integers(0, ch.plain.shape[0])])
            out.append(tok[k])
        # kind 2: delete
    if not out:
        out.append(tok[0])
    return np.array(out, dtype=np.int32)


def _render(tok: np.ndarray, breaks: np.ndarray, pieces: np.ndarray, n_vocab: int) -> tuple[str, np.ndarray]:
    """Text of a token row (a paragraph ends where ``breaks``), and each token's start offset."""
    ids = tok.astype(np.int64) + breaks * n_vocab
    parts = pieces[ids].tolist()
    lens = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    offs = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(lens, out=offs[1:])
    return "".join(parts), offs


def _chunk(rng, ch: Chain, p: Pool, n: int, base: int, rates, passage_base: int, unique: int):
    lengths = np.clip(rng.lognormal(np.log(MEDIAN_WORDS), SIGMA_WORDS, n), MIN_WORDS, MAX_WORDS).astype(np.int64)
    n_src = int(round(n * SOURCE_SHARE))
    targets = rng.integers(20, 301, n_src)
    lengths[:n_src] = np.maximum(lengths[:n_src], targets + rng.integers(40, 300, n_src))
    docs = _walk(rng, ch, lengths)
    _make_unique(rng, ch, docs, unique)
    host_pool = np.arange(n_src, n)
    inserts: dict = {}  # host -> list of (position, copy token row, copy id)
    rows = {k: [] for k in ("passage", "source", "src_tok", "host", "rate", "words")}
    copy_tok = []
    for s in range(n_src):
        tok = docs[s]
        starts = _sentence_starts(tok, ch.ends)
        eligible = starts[starts + targets[s] <= tok.shape[0]]
        if eligible.size == 0 or host_pool.size == 0:
            continue
        a = int(eligible[rng.integers(0, eligible.size)])
        cut = starts[(starts >= a + max(20, (2 * int(targets[s]) + 2) // 3)) & (starts <= a + targets[s])]
        b = int(cut[-1]) if cut.size else a + int(targets[s])
        rate = float(rates[rng.integers(0, len(rates))])
        k = int(rng.choice(len(COPIES_P), p=COPIES_P)) + 1
        for h in rng.choice(host_pool, size=min(k, host_pool.size), replace=False).tolist():
            edited = _edit(rng, ch, tok[a:b], rate)
            hs = _sentence_starts(docs[h], ch.ends)
            at = int(hs[rng.integers(0, hs.size)])
            inserts.setdefault(h, []).append((at, len(copy_tok)))
            rows["passage"].append(passage_base + s)
            rows["source"].append(base + s)
            rows["src_tok"].append((a, b))
            rows["host"].append(base + h)
            rows["rate"].append(rate)
            rows["words"].append(b - a)
            copy_tok.append(edited)
    # assemble hosts: splice copies in at their sentence starts (later positions first keeps earlier ones valid)
    where = [None] * len(copy_tok)  # copy id -> (host position, token start, token end) after splicing
    final = list(docs)
    for h, items in inserts.items():
        tok = docs[h]
        pieces, pos, offset = [], 0, 0
        for at, cid in sorted(items):
            pieces.append(tok[pos:at])
            offset += at - pos
            pieces.append(copy_tok[cid])
            where[cid] = (offset, offset + copy_tok[cid].shape[0])
            offset += copy_tok[cid].shape[0]
            pos = at
        pieces.append(tok[pos:])
        final[h] = np.concatenate(pieces)
    texts, offs = [], []
    for tok in final:
        ends = ch.ends[tok]
        breaks = (ends & (rng.random(tok.shape[0]) < PARAGRAPH_P)).astype(np.int64)
        breaks[-1:] = 0
        text, off = _render(tok, breaks, p.pieces, p.n_vocab)
        texts.append(text)
        offs.append(off)

    def span(d, a, b):  # token range -> str span without the trailing space of the last word
        o = offs[d]
        return int(o[a]), int(o[a] + len(texts[d][o[a]:o[b]].rstrip()))

    copies = {k: [] for k in ("passage", "source", "src_start", "src_end", "host", "start", "end", "rate", "words")}
    for cid in range(len(copy_tok)):
        s = rows["source"][cid] - base
        h = rows["host"][cid] - base
        copies["passage"].append(rows["passage"][cid])
        copies["source"].append(rows["source"][cid])
        ss, se = span(s, *rows["src_tok"][cid])
        copies["src_start"].append(ss)
        copies["src_end"].append(se)
        copies["host"].append(rows["host"][cid])
        hs, he = span(h, *where[cid])
        copies["start"].append(hs)
        copies["end"].append(he)
        copies["rate"].append(rows["rate"][cid])
        copies["words"].append(rows["words"][cid])
    return texts, copies


def planted(n: int, seed: int = 0, *, rates=RATES, viral: int = 0, unique: int = 5, chunk: int = CHUNK) -> Planted:
    """A corpus of ``n`` documents with planted passages (see the module doc); deterministic per ``(n, seed)``."""
    ch, p = chain(), pool()
    texts: list = []
    copies = {k: [] for k in ("passage", "source", "src_start", "src_end", "host", "start", "end", "rate", "words")}
    for c, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        t, cp = _chunk(np.random.default_rng([seed, c]), ch, p, size, start, rates, start, unique)
        texts += t
        for k in copies:
            copies[k] += cp[k]
    out = Planted(texts, {k: np.array(v) for k, v in copies.items()})
    if viral:
        out.viral = _plant_viral(np.random.default_rng([seed, 10**6]), ch, p, out, viral)
    return out


def _plant_viral(rng, ch: Chain, p: Pool, c: Planted, k: int) -> dict:
    """Insert one 60-word passage (a fresh walk) at the start of ``k`` documents; return its hosts and spans."""
    tok = _walk(rng, ch, np.array([60]))[0]
    text, _ = _render(tok, np.zeros(60, dtype=np.int64), p.pieces, p.n_vocab)
    text = text.rstrip() + "\n\n"
    hosts = np.sort(rng.choice(len(c.texts), size=min(k, len(c.texts)), replace=False))
    for h in hosts.tolist():
        c.texts[h] = text + c.texts[h]
    # planted spans move by the inserted length
    for src_col, start_col, end_col in (("source", "src_start", "src_end"), ("host", "start", "end")):
        shift = np.isin(c.copies[src_col], hosts) * len(text)
        c.copies[start_col] = c.copies[start_col] + shift
        c.copies[end_col] = c.copies[end_col] + shift
    return {"hosts": hosts, "length": len(text.rstrip()), "words": 60}


# --------------------------------------------------------------------------- scoring
def _overlap(a0, a1, b0, b1) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _word_index(text: str) -> tuple[list, list]:
    starts, ends = [], []
    for m in _WORD.finditer(text):
        starts.append(m.start())
        ends.append(m.end())
    return starts, ends


def score(c: Planted, found, *, min_len: int = 30) -> dict:
    """Recall, precision and boundary errors of ``found`` against the planted truth.

    ``found``: iterable of (doc x, start, end, doc y, start, end) in ``str``
    offsets (either order of x and y). A planted source-copy pair is
    *found* when one found passage between its two documents covers at least
    half of the planted span on both sides; a found passage is *correct*
    when it lies at least half inside a planted pair's spans on both sides
    (source-copy or copy-copy). Boundary error: for each found planted pair,
    the words between the found and the planted start (and end), on both
    sides, from the found passage overlapping it most.
    """
    truth = c.truth_pairs()
    by_docs: dict = {}
    for t in truth:
        key = (t[0], t[3]) if t[0] < t[3] else (t[3], t[0])
        by_docs.setdefault(key, []).append(t if t[0] < t[3] else (t[3], t[4], t[5], t[0], t[1], t[2], t[6]))
    found_by: dict = {}
    n_found = 0
    correct = 0
    for f in found:
        f = tuple(int(v) for v in f)
        if f[0] > f[3]:
            f = (f[3], f[4], f[5], f[0], f[1], f[2])
        n_found += 1
        found_by.setdefault((f[0], f[3]), []).append(f)
        for t in by_docs.get((f[0], f[3]), ()):
            if (_overlap(f[1], f[2], t[1], t[2]) * 2 >= f[2] - f[1]
                    and _overlap(f[4], f[5], t[4], t[5]) * 2 >= f[5] - f[4]):
                correct += 1
                break
    words_cache: dict = {}

    def words(d):
        if d not in words_cache:
            words_cache[d] = _word_index(c.texts[d])
        return words_cache[d]

    def err(d, got, want, end):
        """Words between two offsets: word starts before each (a start), word ends up to each (an end)."""
        ws, we = words(d)
        if end:
            return abs(bisect.bisect_right(we, got) - bisect.bisect_right(we, want))
        return abs(bisect.bisect_left(ws, got) - bisect.bisect_left(ws, want))

    cp = c.copies
    cells: dict = {}
    start_err, end_err = [], []
    for k in range(len(cp["passage"])):
        s, h = int(cp["source"][k]), int(cp["host"][k])
        t = (s, int(cp["src_start"][k]), int(cp["src_end"][k]), h, int(cp["start"][k]), int(cp["end"][k]))
        if s > h:
            t = (t[3], t[4], t[5], t[0], t[1], t[2])
        best, best_ov = None, 0
        for f in found_by.get((t[0], t[3]), ()):
            oa, ob = _overlap(f[1], f[2], t[1], t[2]), _overlap(f[4], f[5], t[4], t[5])
            if oa * 2 >= t[2] - t[1] and ob * 2 >= t[5] - t[4] and oa + ob > best_ov:
                best, best_ov = f, oa + ob
        rate, n_words = float(cp["rate"][k]), int(cp["words"][k])
        bin_ = next(i for i, (lo, hi) in enumerate(LENGTH_BINS) if lo <= n_words < hi) if n_words < 301 else 4
        cell = cells.setdefault((rate, bin_), [0, 0])
        cell[1] += 1
        if best is not None:
            cell[0] += 1
            for side in (0, 3):
                start_err.append(err(t[side], best[side + 1], t[side + 1], False))
                end_err.append(err(t[side], best[side + 2], t[side + 2], True))

    def recall(pred):
        hit = sum(v[0] for key, v in cells.items() if pred(*key))
        tot = sum(v[1] for key, v in cells.items() if pred(*key))
        return hit / tot if tot else float("nan"), tot

    long_ = [i for i, (lo, _) in enumerate(LENGTH_BINS) if lo >= min_len]
    out = {
        "recall_le10": recall(lambda r, b: r <= 0.10 and b in long_)[0],
        "recall_20": recall(lambda r, b: r == 0.20 and b in long_)[0],
        "recall_all": recall(lambda r, b: True)[0],
        "precision": correct / n_found if n_found else float("nan"),
        "found": n_found,
        "start_error_median": float(np.median(start_err)) if start_err else float("nan"),
        "end_error_median": float(np.median(end_err)) if end_err else float("nan"),
        "start_error_mean": float(np.mean(start_err)) if start_err else float("nan"),
        "end_error_mean": float(np.mean(end_err)) if end_err else float("nan"),
        "cells": {f"{r:.2f}|{LENGTH_BINS[b][0]}-{LENGTH_BINS[b][1] - 1}": v for (r, b), v in sorted(cells.items())},
    }
    return out
