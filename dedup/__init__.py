"""near-dups: find near-duplicate documents, verified by exact Jaccard.

>>> import dedup
>>> idx = dedup.index({"a": "the quick brown fox jumps over the lazy dog",
...                    "b": "The quick brown fox jumps over the lazy dog!"})
>>> idx.pairs()
[('a', 'b', 1.0)]
"""

from ._collapse import BlockGroup, CollapseConfig, CollapsedDoc, Removal, Span, blocks, collapse
from ._config import Config
from ._index import Index, index, shingles
from ._lsh import choose_bands, s_curve
from ._store import IndexFormatError, load

__all__ = [
    "BlockGroup", "CollapseConfig", "CollapsedDoc", "Config", "Index", "IndexFormatError", "Removal", "Span",
    "blocks", "choose_bands", "collapse", "index", "load", "s_curve", "shingles",
]
__version__ = "0.1.0"
