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

__version__ = "0.1.0"

#: public name -> private module that defines it
_WHERE = {
    "BlockGroup": "_records", "CollapseConfig": "_config", "CollapsedDoc": "_records", "CollapsedFrames": "_collapse",
    "Removal": "_records", "Span": "_records", "blocks": "_collapse", "collapse": "_collapse",
    "Config": "_config",
    "Index": "_index", "index": "_build", "shingles": "_index",
    "choose_bands": "_lsh", "s_curve": "_lsh",
    "IndexFormatError": "_store", "load": "_build", "lock": "_lock",
    "report": "_report", "keep_memory": "_pool", "release_memory": "_pool",
    "Alignment": "_passages", "Occurrence": "_passages", "PassageConfig": "_passages", "PassageGroup": "_passages",
    "AlignedPassage": "_passages", "Passages": "_passages", "align": "_passages", "passages": "_passages",
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
