"""The index configuration: one frozen dataclass, validated on creation."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, fields

from ._shingle import CHARS, WORDS

#: ``shingle=`` option -> unit mode of the shingling kernel.
SHINGLE_MODES = {"word": WORDS, "char": CHARS}


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

    threshold: float = 0.8
    ngram: int = 5
    shingle: str = "word"
    num_perm: int = 128
    seed: int = 0
    bands: int | None = None
    rows: int | None = None
    min_prob: float = 0.99

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", check_threshold(self.threshold))
        _check_int("ngram", self.ngram, 1)
        if self.shingle not in SHINGLE_MODES:
            raise ValueError(f"shingle must be one of {sorted(SHINGLE_MODES)}, got {self.shingle!r}")
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
