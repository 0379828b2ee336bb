"""Slow, obviously correct references for the kernels: plain Python, sets, loops.

Written from the documented rules (``dedup/_text/_normalize.py``, ``_shingle.py``,
``_minhash.py``, ``_lsh.py``), not from the kernels' code, so a kernel that
drifts from its documentation fails the comparison.
"""

from __future__ import annotations

import unicodedata

MASK = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
POLY = 0x9E3779B97F4A7C15
WIDTH_TAG = 0x6E6561722D647570
BAND_SEED = 0x62616E646B657921
GOLDEN = 0x9E3779B97F4A7C15

SOLO_RANGES = [(0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3400, 0x4DBF),
               (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF)]


def fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    h ^= h >> 33
    return h


def fnv1a64(data: bytes) -> int:
    h = FNV_OFFSET
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK
    return h


def combine(h: int, v: int) -> int:
    return fmix64((((h ^ v) * GOLDEN) + FNV_PRIME) & MASK)


def char_class(c: str) -> int:
    """0 separator, 1 word character, 2 a token on its own."""
    if not (c.isalnum() or unicodedata.category(c).startswith("M")):
        return 0
    cp = ord(c)
    return 2 if any(lo <= cp <= hi for lo, hi in SOLO_RANGES) else 1


def tokens(text: str) -> list[str]:
    s = unicodedata.normalize("NFKC", text).casefold()
    out, cur = [], ""
    for c in s:
        k = char_class(c)
        if k == 1:
            cur += c
            continue
        if cur:
            out.append(cur)
            cur = ""
        if k == 2:
            out.append(c)
    if cur:
        out.append(cur)
    return out


def units(text: str, shingle: str = "word") -> list[int]:
    if shingle == "word":
        return [fmix64(fnv1a64(t.encode("utf-8", "surrogatepass"))) for t in tokens(text)]
    s = unicodedata.normalize("NFKC", text).casefold()
    out, gap = [], False
    for c in s:
        if char_class(c) == 0:
            gap = bool(out)
            continue
        if gap:
            out.append(32)
            gap = False
        out.append(ord(c))
    return out


def window_hash(window: list[int]) -> int:
    h = 0
    for u in window:
        h = (h * POLY + u) & MASK
    return fmix64((h + WIDTH_TAG * len(window)) & MASK)


def shingles(text: str, ngram: int = 5, shingle: str = "word") -> list[int]:
    u = units(text, shingle)
    if not u:
        return []
    if len(u) < ngram:
        return [window_hash(u)]
    return sorted({window_hash(u[i : i + ngram]) for i in range(len(u) - ngram + 1)})


def jaccard(a, b) -> float:
    a, b = set(a), set(b)
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def permutations(num_perm: int, seed: int):
    base = (seed * GOLDEN) & MASK
    stream = [fmix64((base + (k + 1) * GOLDEN) & MASK) for k in range(2 * num_perm)]
    return [x | 1 for x in stream[0::2]], stream[1::2]


def signature(values, a, b):
    return [min(((ak * x + bk) & MASK for x in values), default=MASK) for ak, bk in zip(a, b)]


DONOR = 0x64656E7369667921


def oph_signature(values, a0: int, b0: int, k: int):
    """One-permutation hashing with optimal densification (Shrivastava 2017, Algorithm 1), spelled out:
    bin = top 32 bits of h scaled to k; each bin keeps its smallest h; an empty bin copies the first
    non-empty bin of the donor sequence fmix64(DONOR ^ (i << 32 | t)), t = 1, 2, ..."""
    if not values:
        return [MASK] * k
    bins = [None] * k
    for x in values:
        h = (a0 * x + b0) & MASK
        i = ((h >> 32) * k) >> 32
        bins[i] = h if bins[i] is None else min(bins[i], h)
    out = []
    for i in range(k):
        t = 1
        j = i
        while bins[j] is None:
            d = fmix64(DONOR ^ ((i << 32) | t))
            j = ((d >> 32) * k) >> 32
            t += 1
        out.append(bins[j])
    return out


def band_key(sig, band: int, rows: int) -> int:
    h = BAND_SEED
    for v in sig[band * rows : (band + 1) * rows]:
        h = combine(h, v)
    return h


def components(n: int, edges) -> list[int]:
    """Label of each node = smallest node reachable from it (BFS)."""
    adj = [[] for _ in range(n)]
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    label = [-1] * n
    for s in range(n):
        if label[s] >= 0:
            continue
        stack, comp = [s], [s]
        label[s] = s
        while stack:
            x = stack.pop()
            for y in adj[x]:
                if label[y] < 0:
                    label[y] = s
                    stack.append(y)
                    comp.append(y)
    return label


# ------------------------------------------------------------------ token spans
def _composition_seconds() -> set[int]:
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))  # Hangul V and T jamo
    for cp in range(0x20000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<") and len(d.split()) == 2:
            seconds.add(int(d.split()[1], 16))
    return seconds


_SECONDS: set[int] | None = None


def has_boundary_before(c: str) -> bool:
    """UAX #15: NFKC of a text splits before ``c`` when ``c`` decomposes to a starter that composes with nothing before it."""
    global _SECONDS
    if _SECONDS is None:
        _SECONDS = _composition_seconds()
    if ord(c) in _SECONDS:
        return False
    first = unicodedata.normalize("NFKD", c)[:1]
    return not (first and (unicodedata.combining(first) or ord(first) in _SECONDS))


def token_spans(text: str) -> list[tuple[str, int, int]]:
    """(normalized token, start, end) of every token, ``start:end`` indexing ``text``.

    The text is cut into segments (a character with a boundary before it,
    and the characters after it without one); each segment is normalized
    alone; a token spans from the segment of its first character to the
    segment of its last.
    """
    cuts = [i for i, c in enumerate(text) if i == 0 or has_boundary_before(c)] + [len(text)]
    out, cur, start, end = [], "", 0, 0
    for s, e in zip(cuts, cuts[1:]):
        for c in unicodedata.normalize("NFKC", text[s:e]).casefold():
            k = char_class(c)
            if k == 1:
                if not cur:
                    start = s
                cur += c
                end = e
                continue
            if cur:
                out.append((cur, start, end))
                cur = ""
            if k == 2:
                out.append((c, s, e))
    if cur:
        out.append((cur, start, end))
    return out


# ------------------------------------------------------------------ passages
def word_windows(words: list, w: int) -> dict:
    """Window of ``w`` words -> start positions, for every window of ``words``."""
    out: dict = {}
    for i in range(len(words) - w + 1):
        out.setdefault(tuple(words[i : i + w]), []).append(i)
    return out


def shared_windows(a: list, b: list, w: int) -> set:
    """Every ``(i, j)`` with ``a[i:i+w] == b[j:j+w]``: all pairs of word windows compared."""
    wb = word_windows(b, w)
    return {(i, j) for i in range(len(a) - w + 1) for j in wb.get(tuple(a[i : i + w]), ())}


def xdrop(a: list, b: list, x: int) -> tuple[int, int, int, int]:
    """X-drop extension of ``a`` against ``b`` from their starts: (words of a, words of b, score, matches).

    Whole rows of the dynamic programme, as dicts: a cell is the best of its
    diagonal (+1 equal, -1 not), upper (-1) and left (-1) neighbours that are
    alive, preferring them in that order on ties; it is dead when it has no
    live neighbour or its score is below the best score so far minus ``x``.
    Rows are filled left to right, the best score is raised as cells are
    filled (strictly better only), and the extension stops at the first row
    without a live cell.
    """
    best, bi, bj, bm = 0, 0, 0, 0
    prev = {}
    for j in range(len(b) + 1):
        if -j < best - x:
            break
        prev[j] = (-j, 0)
    for i in range(1, len(a) + 1):
        cur = {}
        for j in range(len(b) + 1):
            cands = []
            if j >= 1 and (j - 1) in prev:
                s, m = prev[j - 1]
                eq = a[i - 1] == b[j - 1]
                cands.append((s + (1 if eq else -1), m + eq))
            if j in prev:
                s, m = prev[j]
                cands.append((s - 1, m))
            if (j - 1) in cur:
                s, m = cur[j - 1]
                cands.append((s - 1, m))
            if not cands:
                continue
            top = cands[0]
            for c in cands[1:]:
                if c[0] > top[0]:
                    top = c
            if top[0] < best - x:
                continue
            cur[j] = top
            if top[0] > best:
                best, bi, bj, bm = top[0], i, j, top[1]
        if not cur:
            break
        prev = cur
    return bi, bj, best, bm


def best_prefix_alignment(a: list, b: list) -> int:
    """Best score over all pairs of prefixes of ``a`` and ``b`` (global alignment, unit costs)."""
    H = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for j in range(len(b) + 1):
        H[0][j] = -j
    for i in range(1, len(a) + 1):
        H[i][0] = -i
        for j in range(1, len(b) + 1):
            H[i][j] = max(H[i - 1][j - 1] + (1 if a[i - 1] == b[j - 1] else -1), H[i - 1][j] - 1, H[i][j - 1] - 1)
    return max(max(row) for row in H)


def winnowed(units: list[int], ngram: int, w: int) -> set:
    """Positions of the n-grams that winnowing keeps: the rightmost smallest hash of every ``w`` consecutive ones."""
    h = [window_hash(units[i : i + ngram]) for i in range(len(units) - ngram + 1)]
    out = set()
    for i in range(max(1, len(h) - w + 1)):
        win = list(range(i, min(i + w, len(h))))
        if win:
            low = min(h[j] for j in win)
            out.add(max(j for j in win if h[j] == low))
    return out


def seed_hits(docs: list[list], ngram: int, max_df: int, max_repeat: int, star: bool, min_seeds: int,
              window: int, band: int, winnow: int = 1) -> set:
    """Seed hits ``(doc a, doc b, position in a, position in b)`` by the rules of ``dedup/_passages/_seeds.py``.

    ``docs`` hold unit values (the n-gram hashes are ``window_hash`` of them).
    """
    post: dict = {}
    for d, words in enumerate(docs):
        for i in sorted(winnowed(words, ngram, winnow)):
            post.setdefault(tuple(words[i : i + ngram]), {}).setdefault(d, []).append(i)
    raw: dict = {}
    for where in post.values():
        ds = sorted(d for d, ps in where.items() if len(ps) <= max_repeat)
        if len(ds) < 2:
            continue
        if len(ds) <= max_df:
            links = [(x, y, where[x]) for k, x in enumerate(ds) for y in ds[k + 1 :]]
        elif star:
            links = [(ds[0], y, where[ds[0]][:1]) for y in ds[1:]]
        else:
            links = []
        for x, y, pxs in links:
            for px in pxs:
                for py in where[y]:
                    raw.setdefault((x, y), []).append((px, py))
    out = set()
    for (x, y), hits in raw.items():
        for px, py in hits:
            near = [1 for qx, qy in hits if abs(qx - px) <= window and abs((qy - qx) - (py - px)) <= band]
            if len(near) >= min_seeds:
                out.add((x, y, px, py))
    return out


# ------------------------------------------------------------------ passage groups
#: Characters that join two tokens into one word when only they (at most 3, no space) stand between them.
GLUE = ".,'\u2019-_/:@#%&+=?~"


def word_bounds(text: str) -> tuple[set, set]:
    """(starts, ends) of whole words: token spans, except where a token is joined to the next by ``GLUE``."""
    toks = token_spans(text)
    glued = [0 < b[1] - a[2] <= 3 and all(c in GLUE for c in text[a[2]:b[1]]) for a, b in zip(toks, toks[1:])]
    starts = {s for k, (_, s, _) in enumerate(toks) if k == 0 or not glued[k - 1]}
    ends = {e for k, (_, _, e) in enumerate(toks) if k == len(toks) - 1 or not glued[k]}
    return starts, ends


def overlapping_occurrences(groups: list[list[tuple]]) -> list:
    """Pairs of occurrences ``(doc, start, end)`` of one group that overlap in one document, comparing all pairs."""
    out = []
    for g, occ in enumerate(groups):
        for x in range(len(occ)):
            for y in range(x + 1, len(occ)):
                (d1, s1, e1), (d2, s2, e2) = occ[x], occ[y]
                if d1 == d2 and s1 < e2 and s2 < e1:
                    out.append((g, occ[x], occ[y]))
    return out


def nested_groups(groups: list[list[tuple]]) -> list:
    """``(g, h)`` for every group ``g`` whose occurrences ``(doc, start, end)`` all lie inside occurrences of
    another group ``h`` in the same documents, comparing all pairs of groups."""
    out = []
    for g, occ in enumerate(groups):
        for h, other in enumerate(groups):
            if h != g and all(any(d == d2 and s2 <= s and e <= e2 for d2, s2, e2 in other) for d, s, e in occ):
                out.append((g, h))
    return out


def shared_word_windows(docs: list[list], w: int) -> set:
    """``(doc a, doc b, i, j)`` for every window of ``w`` words that documents ``a < b`` share, all pairs compared."""
    return {(a, b, i, j) for a in range(len(docs)) for b in range(a + 1, len(docs))
            for i, j in shared_windows(docs[a], docs[b], w)}


def held_groups(groups: list[list[tuple]]) -> list:
    """``(g, h)`` for every group ``g`` that another group ``h`` holds where they meet: every occurrence of ``g`` in
    a document where ``h`` has occurrences lies inside one of them, in two documents or more and in half of
    ``g``'s documents or more."""
    out = []
    for g, occ in enumerate(groups):
        for h, other in enumerate(groups):
            docs_h = {d for d, _, _ in other}
            met = [(d, s, e) for d, s, e in occ if d in docs_h]
            n_met = len({d for d, _, _ in met})
            if h != g and n_met >= 2 and 2 * n_met >= len({d for d, _, _ in occ}) and all(
                    any(d == d2 and s2 <= s and e <= e2 for d2, s2, e2 in other) for d, s, e in met):
                out.append((g, h))
    return out
