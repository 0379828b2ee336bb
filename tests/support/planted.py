"""A self-made corpus with planted near-duplicates, for tests that must always run."""

from __future__ import annotations

import numpy as np


def planted_corpus(n_base: int = 300, n_copies: int = 200, words: int = 120, seed: int = 0):
    """Random-word documents plus edited copies of some of them.

    Each copy replaces, inserts or deletes a few words of its original, so
    copies span a range of Jaccard similarities around typical thresholds.

    Returns
    -------
    list of str: the originals, then the copies, in a shuffled order.
    """
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(5000)])
    docs = [" ".join(vocab[rng.integers(0, vocab.size, size=rng.integers(words // 2, words * 2))].tolist())
            for _ in range(n_base)]
    for c in range(n_copies):
        src = docs[int(rng.integers(0, n_base))].split()
        edits = int(rng.integers(0, max(2, len(src) // 12)))
        for _ in range(edits):
            pos = int(rng.integers(0, len(src)))
            op = rng.integers(0, 3)
            if op == 0:
                src[pos] = str(vocab[rng.integers(0, vocab.size)])
            elif op == 1:
                src.insert(pos, str(vocab[rng.integers(0, vocab.size)]))
            elif len(src) > 1:
                del src[pos]
        docs.append(" ".join(src))
    order = rng.permutation(len(docs))
    return [docs[i] for i in order]
