"""``dedup.shingles``: the shingle set of one text, the text stage on its own."""

from __future__ import annotations

import numba
import numpy as np

from . import _normalize, _shingle
from .._core._config import Config

#: ``Config.shingle`` -> the mode of the shingling kernels.
SHINGLE_MODES = {"word": _shingle.WORDS, "char": _shingle.CHARS}


def shingles(text: str, *, ngram: int = 5, shingle: str = "word") -> np.ndarray:
    """The shingle set of one text: exactly what the index compares.

    Parameters
    ----------
    text : str
    ngram : int >= 1, units per shingle.
    shingle : {"word", "char"}

    Returns
    -------
    numpy.ndarray of uint64, sorted and unique. Empty for a text with no
    letters or digits.

    Examples
    --------
    >>> import dedup
    >>> len(dedup.shingles("The cat sat on the mat.", ngram=2))
    5
    >>> bool((dedup.shingles("THE  cat!") == dedup.shingles("the cat")).all())
    True
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, got {type(text).__name__}")
    config = Config(ngram=ngram, shingle=shingle)
    before = numba.get_num_threads()
    numba.set_num_threads(1)  # one text: threads would only cost their start
    try:
        buf, offs = _normalize.encode_batch([text])
        _, values = _shingle.shingle_segments(buf, offs[:-1], offs[1:], config.ngram, SHINGLE_MODES[config.shingle],
                                              _normalize.char_classes())
    finally:
        numba.set_num_threads(before)
    return values
