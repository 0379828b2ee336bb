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

__all__ = [
    "BlockGroup", "CollapseConfig", "CollapsedDoc", "Config", "Index", "Removal", "Span",
    "blocks", "choose_bands", "collapse", "index", "s_curve", "shingles",
]
__version__ = "0.1.0"
