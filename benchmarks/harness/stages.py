"""dedup's pipeline cut into its stages, so each can be timed alone.

Each stage calls the function of ``dedup._indexing._pipeline`` (or the kernel inside
``featurize``) that ``dedup.index`` calls, on the same batches of
``BATCH_CHARS`` characters; ``featurize`` is cut into its four kernels
(encode = NFKC + casefold to UTF-8, shingle, sketch = signatures fused into
band keys, digests). ``check`` compares the staged result with
``dedup.index``, so a change of the engine's chain shows up as a failure
instead of a stale benchmark. Memory is asked for as ``featurize`` asks for
it: the large arrays from kept memory (``dedup._core._pool``), each stage's
previous output given back before its next call asks again, and the band
keys written in place into one (bands, n) array.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

import dedup
from dedup._verify import _exact
from dedup._text import _normalize, _pystr, _shingle
from dedup._indexing import _pipeline
from dedup._core import _pool


@dataclass
class Staged:
    """Inputs and outputs of every stage for one list of texts."""

    texts: list
    config: dedup.Config = field(default_factory=lambda: dedup.Config(threshold=0.8, ngram=5))

    def __post_init__(self):
        self.bands, self.rows = _pipeline.lsh_shape(self.config)
        self.mode = _pipeline.SHINGLE_MODES[self.config.shingle]
        self.classes = _normalize.char_classes()
        lengths = _pystr.lengths(self.texts)  # as featurize reads them
        self.batches = list(_pipeline._batches(lengths, _pipeline.BATCH_CHARS))

    # One method per stage; each returns its output and stores it for the next.
    def encode(self):
        self.encoded = None  # given back first, as featurize reuses one text buffer
        self.encoded = [_normalize.encode_batch(self.texts[s:e]) for s, e in self.batches]
        return self.encoded

    def shingle(self):
        """Every batch's shingles written into one array, as ``featurize`` does (no joining copy after)."""
        lengths = _pystr.lengths(self.texts)  # as featurize reads them
        self.csr = self.values = None  # given back first: the next call reuses their blocks
        values = _pool.empty(int(lengths.sum()) // 4 + len(self.texts) + 1024, np.uint64)
        used, self.csr, scratch = 0, [], None
        for buf, offs in self.encoded:
            need = int(_shingle.max_shingles(np.diff(offs), self.mode).sum())
            if scratch is None or scratch.shape[0] < need:  # reused across batches, as featurize does
                scratch = None
                scratch = _pool.empty(need, np.uint64)
            ptr, batch = _shingle.shingle_segments(buf, offs[:-1], offs[1:], self.config.ngram, self.mode,
                                                   self.classes, scratch, values[used:])
            if not np.may_share_memory(batch, values):  # the estimate was short: grow as featurize does
                k = batch.shape[0]
                grown = _pool.empty(max(2 * values.shape[0], used + k), np.uint64)
                grown[:used] = values[:used]
                values = grown
                values[used : used + k] = batch
                batch = values[used : used + k]
            self.csr.append((ptr, batch))
            used += batch.shape[0]
        self.values = values[:used]
        return self.csr

    def sketch(self):
        """Every batch's band keys written into one (bands, n) array, as ``featurize`` does."""
        c = self.config
        self.keys = None
        self.keys = _pool.empty((self.bands, len(self.texts)), np.uint64)
        for (start, stop), (ptr, vals) in zip(self.batches, self.csr):
            _pipeline.sketch(ptr, vals, np.arange(stop - start), num_perm=c.num_perm, seed=c.seed, bands=self.bands,
                             rows=self.rows, family=c.sketch, out=self.keys[:, start:stop])
        return self.keys

    def digests(self):
        self.digest = np.concatenate([_exact.digests(buf, offs) for buf, offs in self.encoded])
        sizes = []
        for (buf, offs), (ptr, _) in zip(self.encoded, self.csr):
            size = np.diff(offs)
            size[_exact.blank(buf, offs, ptr)] = 0
            sizes.append(size)
        self.nbytes = np.concatenate(sizes)
        return self.digest

    def exact(self):
        """Exact-duplicate groups."""
        self.indptr = np.zeros(len(self.texts) + 1, dtype=np.int64)
        np.cumsum(np.concatenate([np.diff(p) for p, _ in self.csr]), out=self.indptr[1:])
        self.features = _pipeline.Features(self.indptr, self.values, self.digest, self.nbytes, self.keys)
        self.groups = _pipeline.exact(self.indptr, self.values, self.digest, self.nbytes)
        return self.groups

    def bucket(self):
        """Each band's keys of the representatives, sorted."""
        self.buckets = _pipeline.bucket(self.keys, self.groups.reps)
        return self.buckets

    def candidates(self):
        self.ci, self.cj = _pipeline.candidates_in(self.buckets, self.groups.reps)
        return self.ci, self.cj

    def verify(self):
        self.rep_pairs = _pipeline.verify(self.features, self.features, self.ci, self.cj, self.config.threshold)
        return self.rep_pairs

    def expand(self):
        """Pairs between representatives -> pairs between all members (``pair_arrays``)."""
        self.pairs = _pipeline.expand(self.groups.rep, self.rep_pairs)
        return self.pairs

    def cluster(self):
        """Connected components of the verified pairs (``Index.labels``)."""
        self.labels = _pipeline.components(len(self.texts), self.rep_pairs, self.groups.rep)
        return self.labels

    def run_all(self):
        for name in STAGES:
            getattr(self, name)()
        return self

    def check(self) -> None:
        """The staged chain gives exactly what ``dedup.index`` gives (no bucket here is big enough to be
        connected instead of paired, which ``check`` would catch)."""
        idx = dedup.index(self.texts, config=self.config)
        for got, want in zip(self.pairs, idx.pair_arrays()):
            np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(self.labels, idx.labels())


#: Stage names in pipeline order (the methods of ``Staged``).
STAGES = ("encode", "shingle", "sketch", "digests", "exact", "bucket", "candidates", "verify", "expand", "cluster")
