"""near-dups: find near-duplicate documents, verified by exact Jaccard.

>>> import dedup
>>> idx = dedup.index({"a": "the quick brown fox jumps over the lazy dog",
...                    "b": "The quick brown fox jumps over the lazy dog!"})
>>> idx.pairs()
[('a', 'b', 1.0)]

The public names load on first use (PEP 562), so ``import dedup`` and the
CLI's ``--help`` do not pay for numba until a kernel is needed.
"""

import importlib
from typing import TYPE_CHECKING

from ._core._version import __version__  # noqa: F401  (dedup.__version__)

if TYPE_CHECKING:  # the same names, for type checkers and the API reference (tests/test_docs.py checks they agree)
    from ._blocks._collapse import CollapsedFrames, Collapsing, blocks, collapse
    from ._blocks._records import BlockGroup, CollapsedDoc, Removal, Span
    from ._core._config import CollapseConfig, Config, PassageConfig
    from ._core._pool import keep_memory, release_memory
    from ._indexing._build import index, load
    from ._indexing._index import Index
    from ._passages._find import AlignedPassage, Alignment, Occurrence, PassageGroup, Passages, align, passages
    from ._report._api import report
    from ._sketch._lsh import choose_bands, s_curve
    from ._storage._checks import IndexFormatError
    from ._storage._lock import lock
    from ._text._shingles_api import shingles

#: public name -> private module that defines it
_WHERE = {
    "BlockGroup": "_blocks._records", "CollapseConfig": "_core._config", "CollapsedDoc": "_blocks._records", "CollapsedFrames": "_blocks._collapse",
    "Collapsing": "_blocks._collapse",
    "Removal": "_blocks._records", "Span": "_blocks._records", "blocks": "_blocks._collapse", "collapse": "_blocks._collapse",
    "Config": "_core._config",
    "Index": "_indexing._index", "index": "_indexing._build", "shingles": "_text._shingles_api",
    "choose_bands": "_sketch._lsh", "s_curve": "_sketch._lsh",
    "IndexFormatError": "_storage._checks", "load": "_indexing._build", "lock": "_storage._lock",
    "report": "_report._api", "keep_memory": "_core._pool", "release_memory": "_core._pool",
    "Alignment": "_passages._find", "Occurrence": "_passages._find", "PassageConfig": "_core._config", "PassageGroup": "_passages._find",
    "AlignedPassage": "_passages._find", "Passages": "_passages._find", "align": "_passages._find", "passages": "_passages._find",
}

__all__ = sorted(_WHERE)


def __getattr__(name):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'dedup' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
