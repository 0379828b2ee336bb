"""The pipeline: one function per step, plain arrays in and out, typed records between them.

Every face of near-dups runs these same steps: ``dedup.index`` and ``Index``
(build, add, remove, query, filter_new), ``dedup.collapse``/``dedup.blocks``
(on blocks instead of documents) and each Dask partition. Read top to bottom::

    texts ─ featurize ─> Features(indptr, values, digests, nbytes, keys)
                           normalize + shingle (_normalize, _shingle), digest (_exact),
                           sketch: MinHash band keys (_minhash.band_keys)
          ─ exact ─────> Groups(rep, reps)          identical texts; reps go on to LSH
          ─ bucket ────> Buckets(order, sorted_keys) band keys sorted per band (_lsh)
          ─ link ──────> Pairs(i, j, score)         candidates sharing a bucket (_arrays.run_pairs),
                                                    verified: exact Jaccard >= threshold (_jaccard);
                                                    big buckets connected, not paired (_cluster)
          ─ expand ────> Pairs over every member    representatives' pairs times their groups
          ─ components > labels                     union-find (_cluster)

The kernels behind each step live in the module named after it; this module
only composes them, so each step exists once.
"""

from __future__ import annotations

import contextlib
import os
from typing import NamedTuple

import numba
import numpy as np

from . import _arrays, _cluster, _exact, _jaccard, _lsh, _minhash, _normalize, _shingle
from ._config import Config

#: ``shingle=`` option -> unit mode of the shingling kernel.
SHINGLE_MODES = {"word": _shingle.WORDS, "char": _shingle.CHARS}

#: Characters of text shingled per kernel call. The shingling scratch space is
#: at most 4 bytes per input byte in word mode (8 in char mode; ``_shingle._bound``),
#: so this bounds it near 64-128 MiB (more for text outside ASCII, which takes
#: 2-4 bytes per character).
BATCH_CHARS = 1 << 24

#: Below this many texts a call runs its kernels on the calling thread: waking
#: numba's thread pool costs more than the work (a one-text query took 0.9 ms
#: on one thread, 110 ms on two on a loaded machine).
SERIAL_BELOW = 64


class Features(NamedTuple):
    """What the steps need of each document; texts are not kept.

    indptr : int64 (n + 1,); values : uint64, the sorted unique shingles of
        document ``k`` in ``values[indptr[k]:indptr[k+1]]``.
    digests : uint64 (n,), xxh3 of each normalized text.
    nbytes : int64 (n,), normalized UTF-8 length; 0 for a blank text.
    keys : uint64 (bands, n), LSH band keys of each MinHash signature.
    """

    indptr: np.ndarray
    values: np.ndarray
    digests: np.ndarray
    nbytes: np.ndarray
    keys: np.ndarray


class Groups(NamedTuple):
    """Exact-duplicate groups.

    rep : int64 (n,), the first document with the same normalized text (-1: blank).
    reps : int64 (m,), the representatives that have shingles, ascending: the
        documents LSH sees.
    """

    rep: np.ndarray
    reps: np.ndarray


class Buckets(NamedTuple):
    """The representatives' band keys, sorted per band for lookups.

    order : int64 (bands, m), columns of ``Groups.reps`` in key order.
    sorted_keys : uint64 (bands, m).
    """

    order: np.ndarray
    sorted_keys: np.ndarray


class Pairs(NamedTuple):
    """Verified pairs: positions ``i < j`` and exact Jaccard ``score``."""

    i: np.ndarray
    j: np.ndarray
    score: np.ndarray


def no_pairs() -> Pairs:
    return Pairs(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))


@contextlib.contextmanager
def threads_for(n_items: int):
    """Run the enclosed kernels on one thread when the input is small.

    numba's thread count is per calling thread, so this does not affect
    other threads of the process.
    """
    if n_items >= SERIAL_BELOW:
        yield
        return
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def lsh_shape(config: Config) -> tuple[int, int]:
    """``(bands, rows)`` of ``config``: given, or chosen from its threshold (``_lsh.choose_bands``)."""
    if config.bands is not None:
        return config.bands, config.rows
    return _lsh.choose_bands(config.threshold, config.num_perm, config.min_prob)


def _batches(lengths: np.ndarray, limit: int):
    """Consecutive ``(start, stop)`` ranges whose total length is about ``limit``."""
    n = lengths.shape[0]
    ends = np.cumsum(lengths)
    start = 0
    while start < n:
        base = ends[start - 1] if start else 0
        stop = int(np.searchsorted(ends, base + limit, side="right"))
        stop = max(stop, start + 1)
        yield start, stop
        start = stop


# ------------------------------------------------------------------ 1. featurize
def sketch(indptr, values, select, *, num_perm: int, seed: int, bands: int, rows: int,
           family: str = "minhash") -> np.ndarray:
    """Band keys, shape (bands, len(select)), of the signatures (``family``) of the CSR rows ``select``."""
    a, b = _minhash.permutations(num_perm, seed)
    return _minhash.band_keys(indptr, values, select, a, b, bands, rows, _minhash.FAMILIES[family])


def featurize(texts, config: Config) -> Features:
    """Normalize, shingle, digest and sketch ``texts`` (a sequence of str), batch by batch.

    Python work per text is one ``len``, one ``encode`` and one xxh3 call;
    everything else is kernels over each batch of about ``BATCH_CHARS``
    characters, whose scratch space is reused.
    """
    bands, rows = lsh_shape(config)
    mode = SHINGLE_MODES[config.shingle]
    classes = _normalize.char_classes()
    n = len(texts)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    digests = np.empty(n, dtype=np.uint64)
    nbytes = np.empty(n, dtype=np.int64)
    keys = np.empty((bands, n), dtype=np.uint64)
    # Shingles of every batch go straight into one array. It is sized by a
    # generous estimate (a word-mode shingle per 4 characters): pages of a
    # large np.empty that are never written cost no resident memory, and the
    # rare corpus that outgrows it doubles it. Gathering batches and
    # concatenating them held every shingle twice (10 GiB at 1M documents).
    values = np.empty(int(lengths.sum()) // (1 if mode == _shingle.CHARS else 4) + n + 1024, dtype=np.uint64)
    used = 0
    scratch = None
    for start, stop in _batches(lengths, BATCH_CHARS):
        buf, offs = _normalize.encode_batch(texts[start:stop])
        need = int(_shingle._bound(np.diff(offs), mode).sum())
        if scratch is None or scratch.shape[0] < need:
            scratch = np.empty(need, dtype=np.uint64)
        ptr, batch = _shingle.shingle_segments(buf, offs[:-1], offs[1:], config.ngram, mode, classes,
                                               scratch, values[used:])
        k = batch.shape[0]
        if not np.may_share_memory(batch, values):  # did not fit: grow, then copy the batch in
            grown = np.empty(max(2 * values.shape[0], used + k), dtype=np.uint64)
            grown[:used] = values[:used]
            values = grown
            values[used : used + k] = batch
            batch = values[used : used + k]
        indptr[start + 1 : stop + 1] = ptr[1:] + used
        used += k
        keys[:, start:stop] = sketch(ptr, batch, np.arange(stop - start), num_perm=config.num_perm,
                                     seed=config.seed, bands=bands, rows=rows, family=config.sketch)
        digests[start:stop] = _exact.digests(buf, offs)
        size = np.diff(offs)
        size[_exact.blank(buf, offs, ptr)] = 0
        nbytes[start:stop] = size
    return Features(indptr, values[:used], digests, nbytes, keys)


def estimate_bytes(n: int, chars: int, config: Config) -> int:
    """RAM the features of ``n`` texts of ``chars`` characters take at most (``featurize``'s own sizing).

    Shingles: the buffer ``featurize`` allocates (8 bytes per 4 characters in
    word mode, per character in char mode); per document 8 bytes per band
    key, plus offsets, digest, length, priority and exact group (40 bytes).
    """
    bands, _ = lsh_shape(config)
    per_char = 8 if config.shingle == "char" else 2
    return chars * per_char + n * (8 * bands + 48) + 8192


def featurize_chunks(chunks, config: Config, budget, on_chunk=None):
    """``featurize`` of a stream of ``(ids, texts)`` chunks, kept within ``budget`` (``_spill.Budget``).

    Each chunk is featurized and appended to spools; its texts are not kept.
    Returns ``(ids, lengths, features)``; the arrays are in RAM while they
    fit the budget, else memory-mapped ``.npy`` files in its work directory,
    the keys one (bands, n) file written band by band. ``on_chunk(docs, chars)``
    is called after each chunk (progress).
    """
    from ._spill import Spool

    bands, _ = lsh_shape(config)
    ends = Spool(budget, "indptr", np.int64)
    values = Spool(budget, "values", np.uint64)
    digests = Spool(budget, "digests", np.uint64)
    nbytes = Spool(budget, "nbytes", np.int64)
    lengths = Spool(budget, "lengths", np.int64)
    keys = [Spool(budget, f"keys-{b}", np.uint64) for b in range(bands)]
    ids: list = []
    used = 0
    for chunk_ids, texts in chunks:
        f = featurize(texts, config)
        ends.append(f.indptr[1:] + used)
        used += f.values.shape[0]
        values.append(f.values)
        digests.append(f.digests)
        nbytes.append(f.nbytes)
        n = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        lengths.append(n)
        for b in range(bands):
            keys[b].append(f.keys[b])
        ids += chunk_ids
        if on_chunk is not None:
            on_chunk(len(texts), int(n.sum()))
    indptr = np.concatenate([np.zeros(1, np.int64), ends.finish()])
    band_arrays = [k.finish() for k in keys]
    if budget.spilled:
        path = budget.directory() / "keys.npy"
        out = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint64, shape=(bands, len(ids)))
        for b, arr in enumerate(band_arrays):
            out[b] = arr
            os.unlink(keys[b].path)
        out.flush()
        del out
        key_array = np.load(path, mmap_mode="r")
        budget.mapped.append(key_array)
    else:
        key_array = np.stack(band_arrays) if band_arrays else np.zeros((0, len(ids)), np.uint64)
    return ids, lengths.finish(), Features(indptr, values.finish(), digests.finish(), nbytes.finish(), key_array)


def shingles(text: str, config: Config) -> np.ndarray:
    """The sorted unique shingle hashes of one text (uint64): what every step compares."""
    with threads_for(1):
        buf, offs = _normalize.encode_batch([text])
        _, values = _shingle.shingle_segments(buf, offs[:-1], offs[1:], config.ngram, SHINGLE_MODES[config.shingle],
                                              _normalize.char_classes())
    return values


# ---------------------------------------------------------------------- 2. exact
def exact(indptr, values, digests, nbytes) -> Groups:
    """Exact-duplicate groups of CSR rows with the given digests and lengths, and the representatives LSH sees."""
    rep = _exact.exact_groups(digests, nbytes, indptr, values, same=lambda i, j: scores((indptr, values),
                                                                                         (indptr, values), i, j))
    return Groups(rep, representatives(rep, indptr))


def representatives(rep: np.ndarray, indptr: np.ndarray, start: int = 0) -> np.ndarray:
    """Documents ``start:`` that represent their group and have shingles, ascending."""
    n = rep.shape[0]
    own = rep[start:] == np.arange(start, n)
    return np.flatnonzero(own & (np.diff(indptr)[start:] > 0)) + start


# -------------------------------------------------------------- 3. candidates
def bucket(keys: np.ndarray, select=None, out=None) -> Buckets:
    """Band keys of the columns ``select`` sorted per band, for lookups (``lookup``) and candidate pairs."""
    return Buckets(*_lsh.sort_bands(keys, select, out))


def candidates_in(b: Buckets, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of ``members`` (one per key column) sharing a bucket: ``i < j``, sorted, unique."""
    return _lsh.pairs_in_buckets(b.order, b.sorted_keys, members)


def lookup(b: Buckets, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Columns sharing a bucket with each query column of ``keys``, as CSR ``(qptr, cols)``."""
    return _lsh.lookup_many(b.sorted_keys, b.order, keys)


# ---------------------------------------------------------------------- 4. verify
def scores(left, right, i, j, threshold: float = 0.0) -> np.ndarray:
    """Exact Jaccard of row ``i[p]`` of CSR ``left`` with row ``j[p]`` of CSR ``right``, for every ``p``.

    ``left`` and ``right`` are ``(indptr, values)`` (or ``Features``); pass
    the same for pairs inside one corpus. A pair whose sizes alone put it
    below ``threshold`` scores -1.0 without a merge. The only place a score
    is made.
    """
    if isinstance(left[1], np.memmap) or isinstance(right[1], np.memmap):
        left, i = _in_ram(left, i)
        right, j = _in_ram(right, j)
    return _jaccard.jaccard_cross(left[0], left[1], i, right[0], right[1], j, threshold)


def _in_ram(csr, rows):
    """``csr`` itself if in RAM, else the rows it needs read into RAM (``_spill.gather_rows``), renumbered."""
    if not isinstance(csr[1], np.memmap):
        return csr, rows
    from ._spill import gather_rows

    need = _arrays.unique(rows)
    return gather_rows(csr[0], csr[1], need), np.searchsorted(need, rows)


def verify(left, right, i, j, threshold: float) -> Pairs:
    """The candidate pairs ``(i, j)`` whose exact Jaccard (``scores``) is >= ``threshold``."""
    s = scores(left, right, i, j, threshold)
    ok = s >= threshold
    return Pairs(i[ok], j[ok], s[ok])


def count_expanded(rep: np.ndarray, p: Pairs) -> int:
    """How many pairs ``expand(rep, p)`` lists."""
    sizes = np.bincount(rep[rep >= 0], minlength=rep.shape[0]).astype(np.int64)
    return int(np.sum(sizes * (sizes - 1) // 2) + np.sum(sizes[p.i] * sizes[p.j]))


def expand(rep: np.ndarray, p: Pairs) -> Pairs:
    """Pairs between representatives -> pairs between all members, plus 1.0 within groups, sorted by (i, j)."""
    return Pairs(*_exact.expand_pairs(rep, p.i, p.j, p.score))


# ------------------------------------------------------------------ 5. components
def components(n: int, p: Pairs, rep: np.ndarray) -> np.ndarray:
    """Cluster label of each of ``n`` documents: connected components of ``p`` and the exact groups."""
    members = np.flatnonzero(rep >= 0)
    return _cluster.components(n, np.concatenate([p.i, rep[members]]), np.concatenate([p.j, members]))


# ------------------------------------------------------- whole-corpus compositions
#: A bucket with more members than this is connected by ``_cluster.connect_runs``
#: (about one verification per member) instead of verifying its m(m-1)/2 pairs;
#: 256 members are 32,640 pairs, a few milliseconds.
BIG_BUCKET = 256


def _union_find(n: int, rep: np.ndarray, p: Pairs):
    """Union-find state (parent, size) over ``n`` documents holding the exact groups and the pairs ``p``."""
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    members = np.flatnonzero(rep >= 0)
    _cluster.unite(parent, size, rep[members], members)
    _cluster.unite(parent, size, p.i, p.j)
    return parent, size


def _with_edges(p: Pairs, i, j, s) -> Pairs:
    pi, pj, ps = np.concatenate([p.i, i]), np.concatenate([p.j, j]), np.concatenate([p.score, s])
    o = np.lexsort((pj, pi))
    return Pairs(pi[o], pj[o], ps[o])


def big_runs(b: Buckets) -> np.ndarray:
    """The runs (as ``_arrays.band_runs`` gives them) of buckets with more than ``BIG_BUCKET`` members."""
    runs, _ = _lsh.bucket_runs(b.order, b.sorted_keys)
    return runs.reshape(-1, 2)[runs[1::2] - runs[0::2] > BIG_BUCKET].ravel()


def link(runs, cols, members, csr, rep, threshold: float) -> Pairs:
    """Verified pairs that give the buckets' connected components: the candidates -> verify step.

    Every pair sharing a bucket is verified, except in buckets of more than
    ``BIG_BUCKET`` members, where only the pairs that connect components are
    (``_cluster.connect_runs``, seeded with the exact groups ``rep`` and the
    other buckets' pairs): the components are the same, at about one
    verification per member of a big bucket.
    """
    runs = runs.reshape(-1, 2)
    large = runs[:, 1] - runs[:, 0] > BIG_BUCKET
    ci, cj = _arrays.unique_pairs(*_arrays.run_pairs(runs[~large].ravel(), cols, members))
    p = verify(csr, csr, ci, cj, threshold)
    if large.any():
        n = rep.shape[0]
        parent, size = _union_find(n, rep, p)
        i, j, sc = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.float64)
        big = runs[large].ravel()
        ptr, vals, where = _rows_of_runs(csr, big, cols, members)
        k = _cluster.connect_runs(big, cols, members, where, np.zeros(n, np.bool_), ptr, vals, threshold, parent,
                                  size, i, j, sc, 0)
        p = _with_edges(p, i[:k], j[:k], sc[:k])
    return p


def _rows_of_runs(csr, runs, cols, members):
    """The CSR and the row of each column for ``connect_runs``: ``csr`` as it is, or its rows
    that the runs use, read into RAM when it is memory-mapped."""
    if not isinstance(csr[1], np.memmap):
        return csr[0], csr[1], members
    used = np.concatenate([cols[a:b] for a, b in runs.reshape(-1, 2).tolist()])
    (ptr, vals), _ = _in_ram(csr, members[used])
    need = _arrays.unique(members[used])
    where = np.full(members.shape[0], -1, dtype=np.int64)
    at = np.unique(used)
    where[at] = np.searchsorted(need, members[at])
    return ptr, vals, where


def build(f: Features, config: Config, budget=None) -> tuple[Groups, Buckets, Pairs]:
    """Exact groups, sorted buckets and verified representative pairs of a corpus (``link``).

    With a ``budget`` that has spilled, the sorted bands are written to
    memory-mapped files in its work directory. ``all_pairs`` gives every
    verified pair, big buckets included, when asked.
    """
    spilled = budget is not None and budget.spilled
    g = exact(f.indptr, f.values, f.digests, f.nbytes)
    if not spilled:
        b = bucket(f.keys, g.reps)
        return g, b, link(*_lsh.bucket_runs(b.order, b.sorted_keys), g.reps, f, g.rep, config.threshold)
    budget.unmap()
    shape = (f.keys.shape[0], g.reps.shape[0])
    paths = [budget.directory() / f"{name}.npy" for name in ("order", "sorted_keys")]
    out = [np.lib.format.open_memmap(p, mode="w+", dtype=dt, shape=shape) for p, dt in zip(paths, (np.int64, np.uint64))]
    bucket(f.keys, g.reps, out)
    for arr in out:
        arr.flush()
    del out
    b = Buckets(*(np.load(p, mmap_mode="r") for p in paths))
    budget.mapped.extend(b)
    budget.unmap()
    p = link(*_lsh.bucket_runs(b.order, b.sorted_keys), g.reps, f, g.rep, config.threshold)
    budget.unmap()
    return g, b, p


def all_pairs(f: Features, g: Groups, b: Buckets, config: Config) -> Pairs:
    """Every verified pair between representatives, big buckets included (what ``build`` gives without them)."""
    ci, cj = candidates_in(b, g.reps)
    return verify(f, f, ci, cj, config.threshold)


def least_pairs(rep: np.ndarray, b: Buckets) -> int:
    """A lower bound of the candidate pairs of ``all_pairs`` (the most of any one band), for refusing early."""
    runs, _ = _lsh.bucket_runs(b.order, b.sorted_keys)
    m = (runs[1::2] - runs[0::2]).astype(np.int64)
    band = runs[0::2] // max(1, b.sorted_keys.shape[1])
    per_band = np.bincount(band, weights=m * (m - 1) // 2, minlength=b.sorted_keys.shape[0])
    return int(per_band.max(initial=0))


def extend(f: Features, n_old: int, g: Groups, b: Buckets, p: Pairs, config: Config) -> tuple[Groups, Buckets, Pairs]:
    """``build`` of ``f`` whose documents ``:n_old`` were built into ``g, b, p``; only new pairs are verified.

    Buckets are merged with the new documents' keys; in each bucket that got
    a new document, every pair with a new document is verified, except in
    buckets of more than ``BIG_BUCKET`` members, where new documents are
    connected (``_cluster.connect_runs``, old documents settled).
    """
    rep = exact(f.indptr, f.values, f.digests, f.nbytes).rep
    # Old representatives stay representatives (they come first); their
    # pairs among themselves were verified already.
    new_reps = representatives(rep, f.indptr, n_old)
    reps = np.concatenate([g.reps, new_reps])
    nb = Buckets(*_lsh.merge_bands(b.order, b.sorted_keys, f.keys[:, new_reps]))
    runs, cols = _lsh.bucket_runs(nb.order, nb.sorted_keys)
    runs = runs.reshape(-1, 2)
    # Runs with a new column: a stable merge puts a run's old columns first.
    touched = runs[(cols[runs[:, 1] - 1] >= g.reps.shape[0])]
    large = touched[:, 1] - touched[:, 0] > BIG_BUCKET
    ci, cj = _arrays.run_pairs(touched[~large].ravel(), cols, reps)
    fresh = cj >= n_old  # pairs with a new document (i < j, and new documents come last)
    ci, cj = _arrays.unique_pairs(ci[fresh], cj[fresh])
    new = verify(f, f, ci, cj, config.threshold)
    p = _with_edges(p, new.i, new.j, new.score)
    if large.any():
        n = rep.shape[0]
        parent, size = _union_find(n, rep, p)
        settled = np.arange(n) < n_old
        i, j, sc = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.float64)
        big = touched[large].ravel()
        ptr, vals, where = _rows_of_runs(f, big, cols, reps)
        k = _cluster.connect_runs(big, cols, reps, where, settled, ptr, vals, config.threshold, parent, size,
                                  i, j, sc, 0)
        p = _with_edges(p, i[:k], j[:k], sc[:k])
    return Groups(rep, reps), nb, p


def match(f: Features, g: Groups, b: Buckets, q: Features, threshold: float, groups=None) -> Pairs:
    """Verified matches of query documents ``q`` against an indexed corpus ``f``.

    Returns ``Pairs(query row, indexed position, score)`` expanded to every
    member of each matched exact-duplicate group; a query without shingles
    matches the indexed texts identical to it, at 1.0. ``groups`` is
    ``_exact.sparse_groups(g.rep)``, which a caller querying often keeps.
    """
    qptr, cols = lookup(b, q.keys)
    qi = np.repeat(np.arange(qptr.shape[0] - 1), np.diff(qptr))
    qi, docs, score = verify(q, f, qi, g.reps[cols], threshold)
    lone = np.flatnonzero((np.diff(q.indptr) == 0) & (q.nbytes > 0))
    if lone.shape[0]:  # texts without shingles: identical ones, by digest and length
        li, ld = _letterless_matches(f, g, q, lone)
        qi, docs = np.concatenate([qi, li]), np.concatenate([docs, ld])
        score = np.concatenate([score, np.ones(li.shape[0])])
    if groups is None:
        groups = _exact.sparse_groups(g.rep)
    counts, pos = _exact.members_of(*groups, docs)
    return Pairs(np.repeat(qi, counts), pos, np.repeat(score, counts))


def _letterless_matches(f: Features, g: Groups, q: Features, lone: np.ndarray):
    """(query row, representative) of query texts without shingles equal (digest, length) to an indexed one."""
    cand = np.flatnonzero((g.rep == np.arange(g.rep.shape[0])) & (np.diff(f.indptr) == 0))
    if cand.shape[0] == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.lexsort((f.nbytes[cand], f.digests[cand]))
    d, L, cand = f.digests[cand][order], f.nbytes[cand][order], cand[order]
    at = np.searchsorted(d, q.digests[lone])
    at = np.minimum(at, d.shape[0] - 1)
    ok = (d[at] == q.digests[lone]) & (L[at] == q.nbytes[lone])
    return lone[ok], cand[at[ok]]


def screen(q: Features, seen: np.ndarray, threshold: float):
    """Which documents of a batch to let through, judged one at a time in order (``_cluster.admit``).

    Returns ``(new, best, best_score)``: ``new`` marks the documents let
    through; a held document's ``best`` is the earlier let-through document
    of the batch it verified against best (-1: none, it matched the index).
    """
    g = exact(q.indptr, q.values, q.digests, q.nbytes)
    m = g.reps.shape[0]
    keys = q.keys[:, g.reps]
    run_of = np.empty(keys.shape, dtype=np.int64)
    base = 0
    for b in range(keys.shape[0]):  # number each band's buckets, continuing across bands
        order = np.argsort(keys[b], kind="stable")
        k = keys[b][order]
        ids = np.cumsum(np.concatenate([[0], k[1:] != k[:-1]])) if m else np.zeros(0, np.int64)
        run_of[b, order] = ids + base
        base += int(ids[-1]) + 1 if m else 0
    slot = np.full(g.rep.shape[0], -1, dtype=np.int64)
    slot[g.reps] = np.arange(m)
    best = np.empty(g.rep.shape[0], dtype=np.int64)
    best_s = np.empty(g.rep.shape[0], dtype=np.float64)
    new = _cluster.admit(seen, g.rep, slot, g.reps, run_of, q.indptr, q.values, threshold, best, best_s)
    return new, best, best_s
