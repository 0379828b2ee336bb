"""Deterministic benchmark corpora of any size, with planted near-duplicates.

    from benchmarks.harness.generate import generate
    c = generate(100_000, seed=0)
    c.texts          # list of str, in corpus order
    c.truth()        # {(i, j): jaccard} of planted members with exact J >= 0.8
    c.cluster_of     # planted cluster id of each document, -1 for none

Why a generator: the shared real corpora stop at a few tens of thousands of
documents and their duplicates are unknown; a size ladder to a million needs
more text, and scoring recall at every rung needs a known answer.

How a corpus is built (numpy, every draw from ``numpy.random.default_rng(seed)``):

1. **Real sentences.** The 3,000 Wikipedia paragraphs of
   ``data/wikipedia_sample.jsonl.gz`` (CC BY-SA 3.0, see ``data/LICENSE.md``)
   are cut into tokens, one word each: a run of letters and digits with the
   punctuation and space that follow it (``"non-"``, ``"hierarchical "``), so
   a token is exactly one word for dedup and for the peers' tokenizer alike,
   and concatenating tokens gives the original text back. Sentences end at a
   token ending ``. `` (or ``!``/``?``) before a capital letter: 11,366
   sentences of 22.8 words on average.
2. **Documents.** Each base document draws its length in words from a
   log-normal (median 400, sigma 0.5, clipped to [60, 4000]: mean about 450
   words, 2.8 kB), takes that many words' worth of sentences uniformly at
   random from the pool, and ends a paragraph after a sentence with
   probability 0.2. Two unrelated documents share a sentence now and then but
   almost never a tenth of their 5-grams, let alone 80 %: across 10,000
   documents the exact all-pairs join finds no pair >= 0.5 outside the planted
   clusters (``test_ladder`` re-checks this on the 1k and 10k rungs).
3. **Planted clusters.** ``CLUSTER_RATE`` of the documents (2.5 %) are
   sources; each gets 1 to 4 copies (uniform), placed at random positions.
   A copy is its source with ``m`` words replaced by random words of the
   pool, at least 5 positions apart and away from the ends, so each
   replacement removes exactly 5 of the source's ``S`` word 5-grams and adds
   5 new ones: ``J = (S - 5m) / (S + 5m)``, hence
   ``m = round(S (1 - J) / (5 (1 + J)))`` for a target level ``J`` drawn
   from ``LEVELS`` (1.0 = exact copy, 0.95, 0.85, 0.75, 0.6). Two copies of
   one source are near ``J1 * J2`` of each other. A replacement that happens
   to equal the word it replaces, or a 5-gram that occurs twice, moves a
   level by less than 0.01 (``tests/test_generate.py``).
4. **Truth.** ``truth(threshold)`` is the exact Jaccard (Python sets, the
   peers' ``shingle_set``) of every pair of members of each planted cluster,
   kept if >= ``threshold``: the answer a perfect tool gives, as long as no
   unrelated pair reaches the threshold (see 2).

Corpora are built in chunks of ``CHUNK`` documents so that generating a
million documents (about 2.8 GB of text) needs little more than the text.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "wikipedia_sample.jsonl.gz"

#: Target Jaccard levels of planted copies against their source, and how often each is drawn.
LEVELS = (1.0, 0.95, 0.85, 0.75, 0.6)
LEVEL_P = (0.1, 0.25, 0.25, 0.2, 0.2)
#: Share of documents that are sources of a planted cluster; each has 1..MAX_COPIES copies.
CLUSTER_RATE = 0.025
MAX_COPIES = 4
#: Document length in words: log-normal with this median and sigma, clipped.
MEDIAN_WORDS = 400
SIGMA_WORDS = 0.5
MIN_WORDS, MAX_WORDS = 60, 4000
#: Probability that a paragraph ends after a sentence.
PARAGRAPH_P = 0.2
#: Documents built per step (bounds the generator's scratch memory).
CHUNK = 50_000
NGRAM = 5

_TOKEN = re.compile(r"[^\W_]+[\W_]*")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*\s+$")


@dataclass(frozen=True)
class Pool:
    """The sample as pieces: tokens (with their trailing space) and sentences (token ranges)."""

    pieces: np.ndarray  # object array: 2V strings; piece v + V is token v ending a paragraph
    sent_ptr: np.ndarray  # int64 (n_sent + 1,), token ranges of sentences
    sent_tok: np.ndarray  # int32 token ids of all sentences, concatenated
    sentences: np.ndarray  # object array: 2 * n_sent strings; + n_sent: ending a paragraph
    plain: np.ndarray  # int32 ids of plain-word tokens (a word and one space): replacements

    @property
    def n_vocab(self) -> int:
        return self.pieces.shape[0] // 2

    @property
    def n_sent(self) -> int:
        return self.sent_ptr.shape[0] - 1


@functools.cache
def pool(path: Path = SAMPLE) -> Pool:
    """Cut the sample's paragraphs into tokens and sentences (cached per process)."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        paragraphs = [json.loads(line)["text"] for line in f]
    vocab: dict[str, int] = {}
    sent_tok: list[int] = []
    sent_ptr = [0]
    for para in paragraphs:
        toks = _TOKEN.findall(para)
        if not toks:
            continue
        toks[-1] = toks[-1].rstrip() + " "
        for k, tok in enumerate(toks):
            sent_tok.append(vocab.setdefault(tok, len(vocab)))
            end = k == len(toks) - 1 or (_SENTENCE_END.search(tok) and toks[k + 1][0].isupper())
            if end and len(sent_tok) - sent_ptr[-1] >= 3:
                sent_ptr.append(len(sent_tok))
    del sent_tok[sent_ptr[-1]:]
    words = list(vocab)
    pieces = np.array(words + [w.rstrip() + "\n\n" for w in words], dtype=object)
    ptr = np.array(sent_ptr, dtype=np.int64)
    tok = np.array(sent_tok, dtype=np.int32)
    tokl = tok.tolist()
    text = ["".join(words[t] for t in tokl[s:e]) for s, e in zip(sent_ptr[:-1], sent_ptr[1:])]
    sentences = np.array(text + [s.rstrip() + "\n\n" for s in text], dtype=object)
    plain = np.array([v for v, w in enumerate(words) if re.fullmatch(r"[a-z]{3,} ", w)], dtype=np.int32)
    return Pool(pieces, ptr, tok, sentences, plain)


@dataclass
class Corpus:
    """A generated corpus and its planted answer.

    ``cluster_of[d]`` is the planted cluster of document ``d`` (-1: none);
    ``n_words[d]`` its length in words;
    ``level[d]`` the target Jaccard of a copy against its source (NaN for
    sources and unplanted documents); ``source[d]`` the copy's source
    position (-1 otherwise).
    """

    n: int
    seed: int
    texts: list
    cluster_of: np.ndarray
    level: np.ndarray
    source: np.ndarray
    n_words: np.ndarray
    _truth: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return self.n

    @functools.cached_property
    def nbytes(self) -> int:
        """UTF-8 bytes of the texts (ASCII: their length), the MB/s denominator."""
        return sum(map(len, self.texts))

    @property
    def words(self) -> int:
        """Words in all texts (the peers' and dedup's word rule: runs of letters and digits)."""
        return int(self.n_words.sum())

    def clusters(self) -> list[np.ndarray]:
        """Members of each planted cluster (source first), as document positions."""
        members = np.flatnonzero(self.cluster_of >= 0)
        order = members[np.argsort(self.cluster_of[members], kind="stable")]
        cuts = np.flatnonzero(np.diff(self.cluster_of[order])) + 1
        return [g[np.argsort(self.source[g] >= 0, kind="stable")] for g in np.split(order, cuts)]

    def planted_jaccard(self) -> dict:
        """``{(i, j): exact Jaccard}`` for every pair of members of a planted cluster."""
        if "all" not in self._truth:
            from benchmarks.harness.peers import jaccard, shingle_set

            out = {}
            for g in self.clusters():
                sets = {d: shingle_set(self.texts[d]) for d in g.tolist()}
                ds = sorted(sets)
                for x, a in enumerate(ds):
                    for b in ds[x + 1:]:
                        out[(a, b)] = jaccard(sets[a], sets[b])
            self._truth["all"] = out
        return self._truth["all"]

    def truth(self, threshold: float = 0.8) -> dict:
        """Planted pairs with exact Jaccard >= ``threshold``: the pairs to find."""
        return {p: s for p, s in self.planted_jaccard().items() if s >= threshold}


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenation of ``arange(s, s + l)`` for each pair, without a Python loop."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    out = np.ones(total, dtype=np.int64)
    out[0] = starts[0]
    nz = lengths > 0
    firsts = ends[nz][:-1]
    s = starts[nz]
    out[firsts] = s[1:] - (s[:-1] + lengths[nz][:-1] - 1)
    return np.cumsum(out)


def _doc_sentences(rng, p: Pool, n_docs: int):
    """Sentence ids of ``n_docs`` documents: (indptr, ids with the paragraph-end offset applied)."""
    mean_len = (p.sent_ptr[-1]) / p.n_sent
    words = np.clip(rng.lognormal(np.log(MEDIAN_WORDS), SIGMA_WORDS, n_docs), MIN_WORDS, MAX_WORDS)
    counts = np.maximum(np.rint(words / mean_len).astype(np.int64), 2)
    ptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    ids = rng.integers(0, p.n_sent, ptr[-1])
    brk = rng.random(ptr[-1]) < PARAGRAPH_P
    brk[ptr[1:] - 1] = False  # no paragraph break at the very end
    return ptr, ids + brk * p.n_sent


def _copy_tokens(rng, p: Pool, src_sent: np.ndarray, src_ptr: np.ndarray, levels: np.ndarray):
    """Token streams of copies: each source's words with calibrated replacements.

    ``src_sent``/``src_ptr``: CSR of the copies' sources' sentence ids (with
    paragraph offsets). Returns (indptr, piece ids) of the copies.
    """
    brk = src_sent >= p.n_sent
    sid = src_sent - brk * p.n_sent
    slen = np.diff(p.sent_ptr)[sid]
    tok = p.sent_tok[_ranges(p.sent_ptr[sid], slen)].astype(np.int64)
    ends = np.cumsum(slen) - 1
    tok[ends[brk]] += p.n_vocab  # paragraph-ending variant of the sentence's last token
    n_tok = np.add.reduceat(slen, src_ptr[:-1]) if slen.size else np.zeros(0, np.int64)
    tptr = np.zeros(levels.shape[0] + 1, dtype=np.int64)
    np.cumsum(n_tok, out=tptr[1:])
    shingles = np.maximum(n_tok - (NGRAM - 1), 1)
    m = np.rint(shingles * (1 - levels) / (NGRAM * (1 + levels))).astype(np.int64)
    span = n_tok - 2 * (NGRAM - 1)  # replace only positions [4, n - 5] so each kills exactly 5 shingles
    m = np.minimum(m, np.maximum(span // (NGRAM + 1), 0))
    copy = np.repeat(np.arange(levels.shape[0]), m)
    k = _ranges(np.zeros_like(m), m)  # stratum of each replacement within its copy
    mm, L = m[copy], span[copy]
    lo = (NGRAM - 1) + (k * L) // mm
    hi = (NGRAM - 1) + ((k + 1) * L) // mm - NGRAM  # next stratum starts >= hi + 5
    pos = lo + np.floor(rng.random(k.shape[0]) * (hi - lo + 1)).astype(np.int64)
    at = tptr[copy] + pos
    was_end = tok[at] >= p.n_vocab
    tok[at] = p.plain[rng.integers(0, p.plain.shape[0], at.shape[0])] + was_end * p.n_vocab
    return tptr, tok


def _chunk(rng, p: Pool, n: int):
    """One chunk of ``n`` documents: (texts, source position or -1, level) in chunk order."""
    n_src = int(round(n * CLUSTER_RATE))
    n_copies = rng.integers(1, MAX_COPIES + 1, n_src)
    n_copies_total = int(n_copies.sum())
    while n_src and n_src + n_copies_total > n:  # tiny corpora: fewer clusters
        n_src -= 1
        n_copies_total = int(n_copies[:n_src].sum())
    n_copies = n_copies[:n_src]
    n_base = n - n_copies_total
    ptr, sent = _doc_sentences(rng, p, n_base)
    src = np.repeat(np.arange(n_src), n_copies)  # the first n_src base documents are the sources
    levels = np.asarray(LEVELS)[rng.choice(len(LEVELS), src.shape[0], p=LEVEL_P)]
    sel = _ranges(ptr[src], ptr[src + 1] - ptr[src])
    sptr = np.zeros(src.shape[0] + 1, dtype=np.int64)
    np.cumsum(ptr[src + 1] - ptr[src], out=sptr[1:])
    tptr, tok = _copy_tokens(rng, p, sent[sel], sptr, levels)
    slen = np.diff(p.sent_ptr)[sent % p.n_sent]
    n_words = np.concatenate([np.add.reduceat(slen, ptr[:-1]) if n_base else np.zeros(0, np.int64), np.diff(tptr)])
    sentences, pieces = p.sentences, p.pieces
    texts = ["".join(sentences[sent[a:b]].tolist()) for a, b in zip(ptr[:-1].tolist(), ptr[1:].tolist())]
    texts += ["".join(pieces[tok[a:b]].tolist()) for a, b in zip(tptr[:-1].tolist(), tptr[1:].tolist())]
    source = np.concatenate([np.full(n_base, -1), src])
    level = np.concatenate([np.full(n_base, np.nan), levels])
    cluster = np.concatenate([np.where(np.arange(n_base) < n_src, np.arange(n_base), -1), src])
    perm = rng.permutation(n)  # chunk position -> shuffled position
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)
    texts = [texts[k] for k in inv.tolist()]
    source = np.where(source >= 0, perm[np.maximum(source, 0)], -1)[inv]
    return texts, source, level[inv], cluster[inv], n_words[inv]


def generate(n: int, seed: int = 0, chunk: int = CHUNK) -> Corpus:
    """A corpus of ``n`` documents with planted near-duplicate clusters.

    The same ``(n, seed, chunk)`` always gives the same corpus. Chunk ``c``
    draws from ``default_rng([seed, c])``, so corpora of different sizes
    share their first chunks.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    p = pool()
    texts: list = []
    sources, levels, clusters, words = [], [], [], []
    n_clusters = 0
    for c, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        t, s, lv, cl, nw = _chunk(np.random.default_rng([seed, c]), p, size)
        words.append(nw)
        texts += t
        sources.append(np.where(s >= 0, s + start, -1))
        levels.append(lv)
        clusters.append(np.where(cl >= 0, cl + n_clusters, -1))
        n_clusters += int(cl.max()) + 1 if (cl >= 0).any() else 0
    cat = (lambda xs, dt: np.concatenate(xs).astype(dt) if xs else np.zeros(0, dt))
    return Corpus(n, seed, texts, cat(clusters, np.int64), cat(levels, np.float64), cat(sources, np.int64),
                  cat(words, np.int64))


def stream(n: int, seed: int = 0, chunk: int = CHUNK, truth: list | None = None):
    """The texts of ``generate(n, seed, chunk)``, yielded one by one, chunk by chunk, none kept.

    Planted clusters never cross a chunk, so with a list ``truth`` each
    chunk appends its planted pairs with exact Jaccard >= 0.8 as
    ``(i, j)`` positions of the whole corpus: recall at any size without
    holding the corpus.
    """
    from benchmarks.harness.peers import jaccard, shingle_set

    p = pool()
    for c, start in enumerate(range(0, n, chunk)):
        size = min(chunk, n - start)
        texts, _, _, cl, _ = _chunk(np.random.default_rng([seed, c]), p, size)
        if truth is not None:
            members = np.flatnonzero(cl >= 0)
            order = members[np.argsort(cl[members], kind="stable")]
            for g in np.split(order, np.flatnonzero(np.diff(cl[order])) + 1):
                g = sorted(g.tolist())
                sets = {d: shingle_set(texts[d]) for d in g}
                for x, a in enumerate(g):
                    for b in g[x + 1:]:
                        if jaccard(sets[a], sets[b]) >= 0.8:
                            truth.append((start + a, start + b))
        yield from texts


@functools.cache
def cached(n: int, seed: int = 0) -> Corpus:
    """``generate(n, seed)``, built once per process."""
    return generate(n, seed)


def main(argv=None) -> int:
    import argparse
    import time

    ap = argparse.ArgumentParser(description="Describe a generated corpus")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t = time.perf_counter()
    c = generate(args.n, args.seed)
    dt = time.perf_counter() - t
    print(f"{c.n} docs, {c.nbytes / 1e6:.1f} MB, {c.words / c.n:.0f} words/doc on average, built in {dt:.1f} s")
    print(f"{len(c.clusters())} planted clusters, {(c.source >= 0).sum()} copies")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
