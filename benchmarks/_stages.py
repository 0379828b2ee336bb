"""dedup's pipeline cut into its stages, so each can be timed alone.

Mirrors ``dedup._index.shingle_texts`` (batches of ``BATCH_CHARS`` characters)
and ``Index._build`` / ``pair_arrays`` / ``labels`` step by step. ``check``
compares the staged result with ``dedup.index`` so that a change of the
engine's chain shows up as a failure instead of a stale benchmark.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field

import numpy as np

import dedup
from dedup import _cluster, _exact, _index, _jaccard, _lsh, _minhash, _normalize, _shingle
from dedup._config import SHINGLE_MODES

#: Newer engines let ``shingle_segments`` reuse a caller's scratch buffer.
_SCRATCH = "scratch" in inspect.signature(_shingle.shingle_segments).parameters


@dataclass
class Staged:
    """Inputs and outputs of every stage for one list of texts."""

    texts: list
    config: dedup.Config = field(default_factory=lambda: dedup.Config(threshold=0.8, ngram=5, num_perm=128))

    def __post_init__(self):
        self.bands, self.rows = _index.lsh_shape(self.config)
        self.mode = SHINGLE_MODES[self.config.shingle]
        self.classes = _normalize.char_classes()
        a, b = _minhash.permutations(self.config.num_perm, self.config.seed)
        k = self.bands * self.rows
        self.a, self.b = a[:k], b[:k]
        lengths = np.fromiter(map(len, self.texts), dtype=np.int64, count=len(self.texts))
        self.batches = list(_index._batches(lengths, _index.BATCH_CHARS))

    # One method per stage; each returns its output and stores it for the next.
    def encode(self):
        self.encoded = [_normalize.encode_batch(self.texts[s:e]) for s, e in self.batches]
        return self.encoded

    def shingle(self):
        extra = {}
        if _SCRATCH:  # reuse one scratch buffer across batches, as shingle_texts does
            extra["scratch"] = np.empty(max(buf.shape[0] for buf, _ in self.encoded), dtype=np.uint64)
        self.csr = [_shingle.shingle_segments(buf, offs[:-1], offs[1:], self.config.ngram, self.mode, self.classes,
                                              **extra)
                    for buf, offs in self.encoded]
        return self.csr

    def signatures(self):
        self.sigs = [_minhash.signatures(indptr, values, self.a, self.b) for indptr, values in self.csr]
        return self.sigs

    def band_keys(self):
        self.keys = np.concatenate([_lsh.band_keys(sig, self.bands, self.rows) for sig in self.sigs], axis=1)
        return self.keys

    def exact(self):
        """xxh3 digests of the normalized texts, then exact-duplicate groups."""
        digests = np.concatenate([_exact.digests(buf, offs) for buf, offs in self.encoded])
        nbytes = np.concatenate([np.diff(offs) for _, offs in self.encoded])
        self.indptr = np.zeros(len(self.texts) + 1, dtype=np.int64)
        np.cumsum(np.concatenate([np.diff(p) for p, _ in self.csr]), out=self.indptr[1:])
        self.values = np.concatenate([v for _, v in self.csr])
        self.rep = _exact.exact_groups(digests, nbytes, self.indptr, self.values)
        self.reps = np.flatnonzero(self.rep == np.arange(len(self.texts)))
        return self.rep

    def lsh(self):
        """Sort each band's keys and list the pairs that share a bucket."""
        order, sorted_keys = _lsh.sort_bands(self.keys[:, self.reps])
        self.ci, self.cj = _lsh.candidate_pairs(order, sorted_keys, self.reps)
        return self.ci, self.cj

    def verify(self):
        scores = _jaccard.jaccard_pairs(self.indptr, self.values, self.ci, self.cj, self.config.threshold)
        ok = scores >= self.config.threshold
        self.rep_pairs = (self.ci[ok], self.cj[ok], scores[ok])
        return self.rep_pairs

    def expand(self):
        """Pairs between representatives -> pairs between all members (``pair_arrays``)."""
        self.pairs = _exact.expand_pairs(self.rep, *self.rep_pairs)
        return self.pairs

    def cluster(self):
        """Connected components of the verified pairs (``Index.labels``)."""
        n = len(self.texts)
        members = np.flatnonzero(self.rep >= 0)
        ri, rj, _ = self.rep_pairs
        i = np.concatenate([ri, self.rep[members]])
        j = np.concatenate([rj, members])
        self.labels = _cluster.components(n, i, j)
        return self.labels

    def run_all(self):
        for name in STAGES:
            getattr(self, name)()
        return self

    def check(self) -> None:
        """The staged chain gives exactly what ``dedup.index`` gives."""
        idx = dedup.index(self.texts, threshold=self.config.threshold, ngram=self.config.ngram,
                          num_perm=self.config.num_perm, seed=self.config.seed)
        for got, want in zip(self.pairs, idx.pair_arrays()):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(self.labels, idx.labels())


#: Stage names in pipeline order (the methods of ``Staged``).
STAGES = ("encode", "shingle", "signatures", "band_keys", "exact", "lsh", "verify", "expand", "cluster")
