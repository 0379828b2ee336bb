"""Choices and defaults of every option, in one module that imports nothing.

The API's config classes (``_config``) and the command line both read them
here, so ``near-dups --help`` imports neither numpy nor numba, and no list of
choices is written twice. Each tuple's order is the order shown to users.
"""

#: ``shingle=``: word n-grams or character n-grams.
SHINGLES = ("word", "char")
#: ``sketch=``: one-permutation hashing with optimal densification, or the classic K-permutation MinHash.
SKETCHES = ("oph", "minhash")
#: ``keep=``: which member of a cluster is kept.
KEEP = ("first", "longest")
#: ``unit=`` of collapse and blocks.
UNITS = ("line", "paragraph", "sentence")
#: ``mode=`` of collapse.
MODES = ("keep_first", "remove_all", "report")
#: Kinds of block collapse may remove (``remove=``); separators follow them.
REMOVABLE = ("repeat", "syndicated", "boilerplate")
#: ``frequent=`` of passages: n-grams in more than ``max_df`` documents link to their first one, or seed nothing.
FREQUENT = ("star", "drop")
#: Output formats of the command line.
FORMATS = ("text", "jsonl", "csv", "json")

#: ``dedup.index`` / ``Config``: documents compared by word 5-grams at Jaccard 0.8.
INDEX = {"threshold": 0.8, "ngram": 5, "shingle": "word", "num_perm": 128, "seed": 0, "min_prob": 0.99,
         "sketch": "oph"}
#: ``dedup.collapse`` / ``CollapseConfig``: blocks compared by word 3-grams at 0.7 (see its docstring); long blocks of
#: two documents ``LONG_MARGIN`` lower (``long_threshold=None``).
LONG_MARGIN = 0.05
COLLAPSE = {"unit": "line", "mode": "keep_first", "remove": REMOVABLE, "ngram": 3, "threshold": 0.7,
            "num_perm": 64, "seed": 0, "min_prob": 0.99, "fuzzy_words": 8, "long_words": 40, "long_threshold": None,
            "min_words": 8, "min_docs": 3, "window": 2, "anchor_words": 20, "protect_words": 20, "passages": False,
            "passage_words": 8}
#: ``dedup.passages`` / ``PassageConfig``: passages of 10 shared words or more (a clause) in at most 50 documents,
#: seeded by word 4-grams (see its docstring). The overview, the report, ``near-dups passages`` and ``explain``
#: read them here.
PASSAGES = {"min_words": 10, "max_docs": 50, "ngram": 4, "max_df": 20, "frequent": "star", "min_seeds": 2,
            "max_repeat": 10, "xdrop": 8, "max_gap": 10}
#: ``pair_arrays``/``pairs`` refuse to list more pairs than this unless told to.
MAX_PAIRS = 100_000_000
#: Seconds a writer of a saved index waits for the one holding its lock (``dedup.lock``, ``--lock-timeout``).
LOCK_TIMEOUT = 600.0
