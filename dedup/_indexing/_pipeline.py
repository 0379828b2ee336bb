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


import numba
import numpy as np

from .._core import _arrays, _pool, _spill
from .._verify import _cluster, _exact, _jaccard
from .._sketch import _lsh, _minhash
from .._text import _normalize, _shingle, _utf8
from .._core._config import Config
from .._core._steps import Buckets, Features, Groups, Pairs, no_pairs  # noqa: F401  (the records between the steps)
from .._core._threads import numba_threads
from .._sketch._lsh import lsh_shape  # noqa: F401  (a step's view of the config)
from .._text._shingles_api import SHINGLE_MODES

#: Characters of text shingled per kernel call. The shingling scratch space is
#: at most 4 bytes per input byte in word mode (8 in char mode; ``_shingle.max_shingles``),
#: so this bounds it near 64-128 MiB (more for text outside ASCII, which takes
#: 2-4 bytes per character).
BATCH_CHARS = 1 << 24

#: Below this many texts a call runs its kernels on the calling thread: waking
#: numba's thread pool costs more than the work (a one-text query took 0.9 ms
#: on one thread, 110 ms on two on a loaded machine).
SERIAL_BELOW = 64


def threads_for(n_items: int):
    """Run the enclosed kernels on one thread when the input is small (fewer than ``SERIAL_BELOW`` items)."""
    return numba_threads(1 if n_items < SERIAL_BELOW else None)


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
           family: str = "minhash", out=None) -> np.ndarray:
    """Band keys, shape (bands, len(select)), of the signatures (``family``) of the CSR rows ``select``.

    ``out``, a (bands, len(select)) uint64 array of any strides, receives them.
    """
    a, b = _minhash.permutations(num_perm, seed)
    with numba.parallel_chunksize(1):  # rows differ in length: threads take tasks as they finish
        return _minhash.band_keys(indptr, values, select, a, b, bands, rows, _minhash.FAMILIES[family], out)


def featurize(texts, config: Config, lengths=None) -> Features:
    """Normalize, shingle, digest and sketch ``texts`` (a sequence of str), batch by batch.

    ``lengths``, the ``len`` of every text, when the caller has it. A list
    or tuple of ``str`` has no Python step per text (from
    ``_pystr.KERNEL_FROM`` texts on; fewer are measured by ``len``): kernels
    read the texts' lengths and characters in place (``_pystr``,
    ``_normalize.encode_batch``) and hash them with xxh3's C function
    (``_exact.digests``). Everything is kernels over batches of about
    ``BATCH_CHARS`` characters, whose scratch space and text buffer are
    reused. ``texts`` may also be a ``_utf8.Utf8Texts`` (an Arrow column's
    UTF-8 buffer), folded in place the same way.
    """
    bands, rows = lsh_shape(config)
    mode = SHINGLE_MODES[config.shingle]
    classes = _normalize.char_classes()
    n = len(texts)
    lengths = _utf8.lengths(texts) if lengths is None else lengths
    indptr = np.zeros(n + 1, dtype=np.int64)
    digests = np.empty(n, dtype=np.uint64)
    nbytes = np.empty(n, dtype=np.int64)
    keys = _pool.empty((bands, n), np.uint64)
    # Shingles of every batch go straight into one array. It is sized by a
    # generous estimate (a word-mode shingle per 4 characters): pages of a
    # large np.empty that are never written cost no resident memory, and the
    # rare corpus that outgrows it doubles it. Gathering batches and
    # concatenating them held every shingle twice (10 GiB at 1M documents).
    # Both come from memory kept between calls (``_pool``), not fresh pages.
    values = _pool.empty(int(lengths.sum()) // (1 if mode == _shingle.CHARS else 4) + n + 1024, np.uint64)
    used = 0
    scratch = None
    text_buf = np.empty(0, dtype=np.uint8)
    for start, stop in _batches(lengths, BATCH_CHARS):
        buf, offs = _normalize.encode_batch(texts[start:stop], text_buf)
        if not np.may_share_memory(buf, text_buf):  # the first batch, or a larger one: keep its buffer for the next
            text_buf = buf
        need = int(_shingle.max_shingles(np.diff(offs), mode).sum())
        if scratch is None or scratch.shape[0] < need:
            scratch = None  # given back first: reused if its block holds ``need``, else unmapped, never both held
            scratch = _pool.empty(need, np.uint64)
        ptr, batch = _shingle.shingle_segments(buf, offs[:-1], offs[1:], config.ngram, mode, classes,
                                               scratch, values[used:])
        k = batch.shape[0]
        if not np.may_share_memory(batch, values):  # did not fit: grow, then copy the batch in
            grown = _pool.empty(max(2 * values.shape[0], used + k), np.uint64)
            grown[:used] = values[:used]
            values = grown
            values[used : used + k] = batch
            batch = values[used : used + k]
        indptr[start + 1 : stop + 1] = ptr[1:] + used
        used += k
        sketch(ptr, batch, np.arange(stop - start), num_perm=config.num_perm, seed=config.seed, bands=bands,
               rows=rows, family=config.sketch, out=keys[:, start:stop])
        digests[start:stop] = _exact.digests(buf, offs)
        size = np.diff(offs)
        size[_exact.blank(buf, offs, ptr)] = 0
        nbytes[start:stop] = size
    return Features(indptr, values[:used], digests, nbytes, keys)


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
        return _scores_from_files(left, right, i, j, threshold)
    return _jaccard.jaccard_cross(left[0], left[1], i, right[0], right[1], j, threshold)


#: Bytes of shingle rows read into RAM at once when the shingles are on disk.
GATHER_BYTES = 256 << 20


def _scores_from_files(left, right, i, j, threshold):
    """``scores`` with memory-mapped shingles: pairs in chunks whose rows total about ``GATHER_BYTES``."""
    out = np.empty(i.shape[0], dtype=np.float64)
    size = np.asarray(left[0][i + 1] - left[0][i]) + np.asarray(right[0][j + 1] - right[0][j])
    ends = np.cumsum(size * 8)
    start = 0
    while start < i.shape[0]:
        base = ends[start - 1] if start else 0
        stop = max(start + 1, int(np.searchsorted(ends, base + GATHER_BYTES, side="right")))
        a, ia = _in_ram(left, i[start:stop])
        b, jb = _in_ram(right, j[start:stop])
        out[start:stop] = _jaccard.jaccard_cross(a[0], a[1], ia, b[0], b[1], jb, threshold)
        start = stop
    return out


def _in_ram(csr, rows):
    """``csr`` itself if in RAM, else the rows it needs read into RAM (``_spill.gather_rows``), renumbered."""
    if not isinstance(csr[1], np.memmap):
        return csr, rows
    need = _arrays.unique(rows)
    return _spill.gather_rows(csr[0], csr[1], need), np.searchsorted(need, rows)


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


def union_find(n: int, rep: np.ndarray, p: Pairs):
    """Union-find state (parent, size) over ``n`` documents holding the exact groups and the pairs ``p``."""
    parent = np.arange(n, dtype=np.int64)
    size = np.ones(n, dtype=np.int64)
    members = np.flatnonzero(rep >= 0)
    _cluster.unite(parent, size, rep[members], members)
    _cluster.unite(parent, size, p.i, p.j)
    return parent, size


def with_edges(p: Pairs, i, j, s) -> Pairs:
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
    ci, cj = _candidates(runs[~large], cols, members)
    p = verify(csr, csr, ci, cj, threshold)
    if large.any():
        n = rep.shape[0]
        parent, size = union_find(n, rep, p)
        i, j, sc = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.float64)
        big = runs[large].ravel()
        ptr, vals, where = rows_of_runs(csr, big, cols, members)
        k = _cluster.connect_runs(big, cols, members, where, np.zeros(n, np.bool_), ptr, vals, threshold, parent,
                                  size, i, j, sc, 0)
        p = with_edges(p, i[:k], j[:k], sc[:k])
    return p


#: Runs whose columns span this many places of a memory-mapped ``cols`` are paired at a time, its pages
#: unmapped after: the pages of the sorted bands read stay out of the process's memory (1.7 GB at 10M).
MAPPED_SPAN = 1 << 23


def _candidates(runs, cols, members):
    """``unique_pairs`` of ``run_pairs`` of the runs (shape (r, 2), ascending); a mapped ``cols`` a span at a time."""
    if not _spill.is_mapped(cols) or cols.shape[0] <= MAPPED_SPAN:
        return _arrays.unique_pairs(*_arrays.run_pairs(runs.ravel(), cols, members))
    parts_i, parts_j = [], []
    cut = np.searchsorted(runs[:, 0], np.arange(0, cols.shape[0] + MAPPED_SPAN, MAPPED_SPAN))
    for a, b in zip(cut[:-1].tolist(), cut[1:].tolist()):
        if b > a:
            i, j = _arrays.unique_pairs(*_arrays.run_pairs(runs[a:b].ravel(), cols, members))
            parts_i.append(i)
            parts_j.append(j)
        _spill.advise(cols, "done")
    if not parts_i:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return _arrays.unique_pairs(np.concatenate(parts_i), np.concatenate(parts_j))


def subset_runs(runs, cols, keep):
    """``_arrays.runs_of_subset`` (the buckets of the columns ``keep`` alone, from those of all); a mapped
    ``cols`` a span of runs at a time, its pages unmapped after each, as ``_candidates`` reads it."""
    if not _spill.is_mapped(cols) or cols.shape[0] <= MAPPED_SPAN:
        return _arrays.runs_of_subset(runs, cols, keep)
    runs = runs.reshape(-1, 2)
    cut = np.searchsorted(runs[:, 0], np.arange(0, cols.shape[0] + MAPPED_SPAN, MAPPED_SPAN))
    parts_r, parts_c, at = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], 0
    for a, b in zip(cut[:-1].tolist(), cut[1:].tolist()):
        if b > a:
            r, c = _arrays.runs_of_subset(runs[a:b].ravel(), cols, keep)
            parts_r.append(r + at)
            parts_c.append(c)
            at += c.shape[0]
        _spill.advise(cols, "done")
    return np.concatenate(parts_r), np.concatenate(parts_c)


def rows_of_runs(csr, runs, cols, members):
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


def build(f: Features, config: Config) -> tuple[Groups, Buckets, Pairs]:
    """Exact groups, sorted buckets and verified representative pairs of a corpus in RAM (``link``).

    Past a memory budget, ``_stream.build`` runs the same steps with the sorted bands on disk.
    """
    g = exact(f.indptr, f.values, f.digests, f.nbytes)
    b = bucket(f.keys, g.reps)
    return g, b, link_buckets(b, g, f, config.threshold)


def link_buckets(b: Buckets, g: Groups, f: Features, threshold: float) -> Pairs:
    """``link`` over every bucket of ``b``: the verified pairs of the representatives ``g.reps``."""
    return link(*_lsh.bucket_runs(b.order, b.sorted_keys), g.reps, f, g.rep, threshold)
