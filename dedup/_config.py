"""The configurations: frozen dataclasses validated on creation, with no numpy or numba.

``Config`` says how documents are compared (``dedup.index``), ``CollapseConfig``
how blocks are cut, matched and judged (``dedup.collapse``/``dedup.blocks``).
Their defaults and choices come from ``_options``, which the command line reads too.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

from ._options import COLLAPSE, INDEX, MODES, REMOVABLE, SHINGLES, UNITS


def _check_int(name: str, value, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {bound}, got {value!r}")


def check_threshold(value, name: str = "threshold") -> float:
    """``value`` as a float in (0, 1], or a ValueError/TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1], got {type(value).__name__} {value!r}")
    if not 0.0 < float(value) <= 1.0:
        raise ValueError(f"{name} must be in (0, 1], got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Config:
    """How documents are compared. Every index and query carries one.

    Parameters
    ----------
    threshold : float in (0, 1]
        Pairs with exact Jaccard >= threshold are near-duplicates.
    ngram : int >= 1
        Units per shingle (words, or characters with ``shingle="char"``).
    shingle : {"word", "char"}
        Unit of the shingles.
    num_perm : int >= 1
        MinHash permutations.
    seed : int in [0, 2**64)
        Seed of the MinHash permutations.
    bands, rows : int or None
        LSH banding; ``None`` chooses them from ``threshold`` and ``num_perm``
        so that a pair at the threshold is a candidate with probability
        >= ``min_prob`` (``_lsh.choose_bands``). Give both or neither.
    min_prob : float in (0, 1)
        Target candidate probability at the threshold for the automatic choice.
    """

    threshold: float = INDEX["threshold"]
    ngram: int = INDEX["ngram"]
    shingle: str = INDEX["shingle"]
    num_perm: int = INDEX["num_perm"]
    seed: int = INDEX["seed"]
    bands: int | None = None
    rows: int | None = None
    min_prob: float = INDEX["min_prob"]

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_threshold(self.threshold))
        _check_int("ngram", self.ngram, 1)
        if self.shingle not in SHINGLES:
            raise ValueError(f"shingle must be one of {list(SHINGLES)}, got {self.shingle!r}")
        _check_int("num_perm", self.num_perm, 1)
        _check_int("seed", self.seed, 0, 2**64 - 1)
        if (self.bands is None) != (self.rows is None):
            raise ValueError(f"give both bands and rows or neither, got bands={self.bands!r}, rows={self.rows!r}")
        if self.bands is not None:
            _check_int("bands", self.bands, 1)
            _check_int("rows", self.rows, 1)
            if self.bands * self.rows > self.num_perm:
                raise ValueError(
                    f"bands * rows must be <= num_perm ({self.num_perm}), got {self.bands} * {self.rows}"
                )
        if isinstance(self.min_prob, bool) or not isinstance(self.min_prob, numbers.Real):
            raise TypeError(f"min_prob must be a number in (0, 1), got {self.min_prob!r}")
        if not 0.0 < self.min_prob < 1.0:
            raise ValueError(f"min_prob must be in (0, 1), got {self.min_prob!r}")

    def __str__(self) -> str:
        return "Config(" + ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)) + ")"

    def to_dict(self) -> dict:
        """Plain JSON-able form (for a saved index's manifest)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class CollapseConfig:
    """How blocks are cut, matched and judged: ``dedup.collapse(docs, config=...)``, or built from its keywords.

    Parameters
    ----------
    unit : {"line", "paragraph", "sentence"}
        What a block is (see ``dedup._blocks``).
    mode : {"keep_first", "remove_all", "report"}
        Keep one copy of every repeated block; or remove every unprotected
        copy of boilerplate (CCNet removes every line seen in several pages of
        a shard; repeats and syndicated copies still keep one); or only report
        what ``keep_first`` would remove and leave the text as it is.
    remove : tuple of {"repeat", "syndicated", "boilerplate"}
        Kinds that are removed; other repeated blocks are kept. With
        ``("boilerplate",)`` only a site's frame goes, which is what
        document-level dedup on content wants.
    ngram : int, default 3
        Words per shingle of a block. Short text needs short shingles: a
        20-word paragraph has 18 word 3-grams, so one changed word still
        leaves Jaccard 15/21 = 0.71, where 5-grams would leave 11/21 = 0.52.
    threshold : float in (0, 1], default 0.7
        Blocks with exact Jaccard >= threshold are copies.
    num_perm : int, default 64
        MinHash permutations for blocks (few shingles per block need fewer).
    seed : int
    min_prob : float in (0, 1)
        LSH candidate probability at the threshold (``_lsh.choose_bands``).
    fuzzy_words : int, default 8
        Blocks with fewer words are matched only exactly (on their normalized
        words); a near-match of "read more" and "read less" means nothing.
        Here and below, a block's words are the tokens of its normalized
        text, as ``dedup.shingles`` reads them (``"½ off"`` is ``1 2 off``:
        3 words).
    min_words : int, default 8
        Fewest words of a block removed as syndicated (a two-word heading
        shared by two documents stays in both).
    min_docs : int, default 3
        A group of blocks in this many documents or more is boilerplate.
    window, anchor_words, protect_words : int, defaults 2, 20, 20
        A block is anchored when a block with ``anchor_words`` or more words
        that occurs nowhere else lies within ``window`` blocks of it. An
        anchored block under ``protect_words`` words is never removed for
        occurring in another document, and is the preferred kept copy (a
        headline next to its article, not the same line in a "related" list).
    """

    unit: str = COLLAPSE["unit"]
    mode: str = COLLAPSE["mode"]
    remove: tuple = COLLAPSE["remove"]
    ngram: int = COLLAPSE["ngram"]
    threshold: float = COLLAPSE["threshold"]
    num_perm: int = COLLAPSE["num_perm"]
    seed: int = COLLAPSE["seed"]
    min_prob: float = COLLAPSE["min_prob"]
    fuzzy_words: int = COLLAPSE["fuzzy_words"]
    min_words: int = COLLAPSE["min_words"]
    min_docs: int = COLLAPSE["min_docs"]
    window: int = COLLAPSE["window"]
    anchor_words: int = COLLAPSE["anchor_words"]
    protect_words: int = COLLAPSE["protect_words"]

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unit must be one of {list(UNITS)}, got {self.unit!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {self.mode!r}")
        remove = (self.remove,) if isinstance(self.remove, str) else self.remove
        try:
            remove = tuple(remove)
        except TypeError:
            raise TypeError(f"remove must be a tuple of kinds from {list(REMOVABLE)}, got {self.remove!r}") from None
        for k in remove:
            if k not in REMOVABLE:
                raise ValueError(f"remove: kinds must be from {list(REMOVABLE)}, got {k!r}")
        object.__setattr__(self, "remove", tuple(k for k in REMOVABLE if k in remove))
        object.__setattr__(self, "threshold", check_threshold(self.threshold))
        for name, low in (("ngram", 1), ("num_perm", 1), ("fuzzy_words", 1), ("min_words", 1),
                          ("min_docs", 2), ("window", 0), ("anchor_words", 1), ("protect_words", 0)):
            _check_int(name, getattr(self, name), low)
        _check_int("seed", self.seed, 0)
        if self.seed >= 2**64:
            raise ValueError(f"seed must be < 2**64, got {self.seed!r}")
        if isinstance(self.min_prob, bool) or not isinstance(self.min_prob, numbers.Real):
            raise TypeError(f"min_prob must be a number in (0, 1), got {self.min_prob!r}")
        if not 0.0 < self.min_prob < 1.0:
            raise ValueError(f"min_prob must be in (0, 1), got {self.min_prob!r}")

    def __str__(self) -> str:
        return "CollapseConfig(" + ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)) + ")"
