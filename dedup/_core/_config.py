"""The configurations: frozen dataclasses validated on creation, with no numpy or numba.

``Config`` says how documents are compared (``dedup.index``), ``CollapseConfig``
how blocks are cut, matched and judged (``dedup.collapse``/``dedup.blocks``).
Their defaults and choices come from ``_options``, which the command line reads too.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields, replace
from dataclasses import field as dataclass_field

from ._options import COLLAPSE, FREQUENT, INDEX, LONG_MARGIN, MODES, PASSAGES, REMOVABLE, SHINGLES, SKETCHES, UNITS


def filled(cls, values: Mapping) -> dict:
    """Every field of the config class ``cls``: the ``values`` given, the others at their defaults."""
    out = {f.name: f.default for f in fields(cls) if f.default is not MISSING}
    unknown = sorted(set(values) - {f.name for f in fields(cls)})
    if unknown:
        raise TypeError(f"{cls.__name__} has no option {unknown[0]!r}; options are {sorted(out)}")
    out.update(values)
    return out


def _check_int(name: str, value, low: int, high: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be {bound}, got {value!r}")


def _check_probability(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number in (0, 1), got {value!r}")
    if not 0.0 < value < 1.0:
        raise ValueError(f"{name} must be in (0, 1), got {value!r}")


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
    sketch : {"oph", "minhash"}
        Signature family (``_minhash``): one-permutation hashing with optimal
        densification (one hash per shingle), or K independent permutations
        (K hashes per shingle). Both collide with probability equal to the
        Jaccard similarity; verification is exact either way.
    """

    threshold: float = INDEX["threshold"]
    ngram: int = INDEX["ngram"]
    shingle: str = INDEX["shingle"]
    num_perm: int = INDEX["num_perm"]
    seed: int = INDEX["seed"]
    bands: int | None = None
    rows: int | None = None
    min_prob: float = INDEX["min_prob"]
    sketch: str = INDEX["sketch"]

    def __post_init__(self) -> None:
        object.__setattr__(self, "threshold", self.check(self.to_dict())["threshold"])

    @classmethod
    def check(cls, values: Mapping, name: Callable[[str], str] = str) -> dict:
        """Validate fields (the ``values`` given, the others at their defaults); returns them normalized.

        Every error names a field as ``name(field)``: ``Config(...)`` uses the
        fields' own names, and a command line its flags, so that its message
        names the option the user typed (``--num-perm must be >= 1, got 0``).
        """
        v = filled(cls, values)
        v["threshold"] = check_threshold(v["threshold"], name("threshold"))
        _check_int(name("ngram"), v["ngram"], 1)
        for field, choices in (("shingle", SHINGLES), ("sketch", SKETCHES)):
            if v[field] not in choices:
                raise ValueError(f"{name(field)} must be one of {list(choices)}, got {v[field]!r}")
        _check_int(name("num_perm"), v["num_perm"], 1)
        _check_int(name("seed"), v["seed"], 0, 2**64 - 1)
        bands, rows = v["bands"], v["rows"]
        if (bands is None) != (rows is None):
            raise ValueError(f"give both {name('bands')} and {name('rows')} or neither, got "
                             f"{name('bands')}={bands!r}, {name('rows')}={rows!r}")
        if bands is not None:
            _check_int(name("bands"), bands, 1)
            _check_int(name("rows"), rows, 1)
            if bands * rows > v["num_perm"]:
                raise ValueError(f"{name('bands')} * {name('rows')} must be <= {name('num_perm')} ({v['num_perm']}), "
                                 f"got {bands} * {rows}")
        _check_probability(name("min_prob"), v["min_prob"])
        return v

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
        What a block is (see ``dedup._blocks._segment``).
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
        Blocks with exact Jaccard >= threshold are copies (and so, in two
        different documents, are long blocks at ``long_threshold``).
    long_words, long_threshold : int and float in (0, 1], defaults 40 and ``threshold - 0.05``
        Two blocks of ``long_words`` words or more each, in different
        documents, are copies at exact Jaccard >= ``min(threshold,
        long_threshold)`` (0.65 at the default threshold; ``None`` is 0.05
        below whatever ``threshold`` is, or half of it under 0.1, so a
        stricter ``threshold`` is stricter for long blocks too): a syndicated paragraph edited in a few places (a
        word changed, a clause dropped) falls below 0.7 once in 8 copies,
        while two paragraphs of 40 words from different pages share that
        many word 3-grams only by copying. Inside one document the threshold
        stays: similar long paragraphs of one page are a list of variants
        (doses, prices), each its own content. ``long_threshold=1.0`` turns
        this off.
    num_perm : int, default 64
        MinHash permutations for blocks (few shingles per block need fewer).
    seed : int
    min_prob : float in (0, 1)
        LSH candidate probability at the lower of ``threshold`` and
        ``long_threshold`` (``_lsh.choose_bands``, ``lsh_threshold``).
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
        that no other document has lies within ``window`` blocks of it. An
        anchored block under ``protect_words`` words is not removed for
        occurring in another document, and the copy just above such a block
        is the preferred kept copy (a headline above its article, not the
        same line in a "related" list); except a line that tops the page's
        own text in ``min_docs`` documents or more, which is a site's header
        line, not a headline (``dedup._blocks._decide``).
    passages : bool, default False
        Also report, as records of kind ``"passage"``, the passages of at
        least ``passage_words`` words shared with an earlier document inside
        blocks that stay (``dedup.passages``: a quote in otherwise different
        paragraphs). They are reported, never cut: they are parts of blocks
        that are kept, and cutting words out of a sentence would break it.
    passage_words : int, default 8
        Fewest words of a passage reported (8: a clause; "On the sidelines of
        the NATO summit in Madrid" is 9).
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
    long_words: int = COLLAPSE["long_words"]
    long_threshold: float | None = COLLAPSE["long_threshold"]
    min_words: int = COLLAPSE["min_words"]
    min_docs: int = COLLAPSE["min_docs"]
    window: int = COLLAPSE["window"]
    anchor_words: int = COLLAPSE["anchor_words"]
    protect_words: int = COLLAPSE["protect_words"]
    passages: bool = COLLAPSE["passages"]
    passage_words: int = COLLAPSE["passage_words"]

    def __post_init__(self) -> None:
        v = self.check({f.name: getattr(self, f.name) for f in fields(self)})
        object.__setattr__(self, "remove", v["remove"])
        object.__setattr__(self, "threshold", v["threshold"])
        object.__setattr__(self, "long_threshold", v["long_threshold"])

    @property
    def long_at(self) -> float:
        """The Jaccard from which long blocks of two documents are copies: ``long_threshold``, or when it is
        None ``_options.LONG_MARGIN`` below ``threshold`` (half of it under twice the margin)."""
        if self.long_threshold is not None:
            return self.long_threshold
        t = self.threshold
        return round(t - LONG_MARGIN if t > 2 * LONG_MARGIN else t / 2, 12)

    @property
    def lsh_threshold(self) -> float:
        """The lowest Jaccard at which two blocks are copies, ``min(threshold, long_at)``: LSH bands for it."""
        return min(self.threshold, self.long_at)

    @classmethod
    def check(cls, values: Mapping, name: Callable[[str], str] = str) -> dict:
        """Validate fields (the ``values`` given, the others at their defaults); returns them normalized.

        Errors name a field as ``name(field)``, as ``Config.check`` does.
        """
        v = filled(cls, values)
        for field, choices in (("unit", UNITS), ("mode", MODES)):
            if v[field] not in choices:
                raise ValueError(f"{name(field)} must be one of {list(choices)}, got {v[field]!r}")
        remove = (v["remove"],) if isinstance(v["remove"], str) else v["remove"]
        try:
            remove = tuple(remove)
        except TypeError:
            raise TypeError(f"{name('remove')} must be a tuple of kinds from {list(REMOVABLE)}, "
                            f"got {v['remove']!r}") from None
        for k in remove:
            if k not in REMOVABLE:
                raise ValueError(f"{name('remove')}: kinds must be from {list(REMOVABLE)}, got {k!r}")
        v["remove"] = tuple(k for k in REMOVABLE if k in remove)
        v["threshold"] = check_threshold(v["threshold"], name("threshold"))
        if v["long_threshold"] is not None:  # None: follows threshold (``long_at``)
            v["long_threshold"] = check_threshold(v["long_threshold"], name("long_threshold"))
        for field, low in (("ngram", 1), ("num_perm", 1), ("fuzzy_words", 1), ("long_words", 1), ("min_words", 1),
                           ("min_docs", 2), ("window", 0), ("anchor_words", 1), ("protect_words", 0),
                           ("passage_words", 1)):
            _check_int(name(field), v[field], low)
        if not isinstance(v["passages"], bool):
            raise TypeError(f"{name('passages')} must be True or False, got {v['passages']!r}")
        _check_int(name("seed"), v["seed"], 0)
        if v["seed"] >= 2**64:
            raise ValueError(f"{name('seed')} must be < 2**64, got {v['seed']!r}")
        _check_probability(name("min_prob"), v["min_prob"])
        return v

    def __str__(self) -> str:
        return "CollapseConfig(" + ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)) + ")"


@dataclass(frozen=True)
class PassageConfig:
    """How shared passages are seeded, aligned and kept. ``dedup.passages`` builds one from its keywords.

    Parameters
    ----------
    min_words : int, default 10
        Fewest words (tokens, as ``dedup.shingles`` counts them) a passage's
        two copies share: words the alignment pairs with an equal word. A
        clause: short texts (answers of a few hundred words) reuse their
        source in pieces this short, and on planted reuse (``benchmarks/
        PASSAGES.md``) 10 finds every copy 15 finds and more at 20-40 %
        edits, with no false passage, where 8 aligns a few chance phrases.
        Stock phrases and headers are kept out by ``max_docs``, not by
        length.
    max_docs : int or None, default 50
        Groups in more documents than this are stock text, not reuse, and
        are left out: mail and news headers ("Organization: ... Lines:
        ..."), signatures, licence texts, navigation. ``None`` keeps every
        group (a passage copied into thousands of documents is then one
        group, found in linear time: see ``frequent``).
    ngram : int, default 4
        Words per seed n-gram. Shorter seeds survive denser edits (a seed
        needs ``ngram`` unedited words in a row), longer ones are rarer.
    max_df : int, default 20
        N-grams in at most this many documents are *rare* and seed every
        pair of documents holding them. passim's ``--maxDF`` is 100 for
        newspaper archives; on 20 Newsgroups, 20 aligns a third of the pairs
        100 does (threads quote one post dozens of times) and loses 0.6 % of
        the words found in some passage, since the copies still link to the
        first one through ``frequent``.
    frequent : {"star", "drop"}, default "star"
        What n-grams in more than ``max_df`` documents do: link each other
        document to the first one holding them (so a passage copied into
        thousands of documents is still found, in linear time), or nothing
        (passim's behaviour).
    min_seeds : int, default 2
        Seed n-grams two documents must share within ``min_words`` words
        (and near one diagonal) for them to be aligned there (passim's
        ``--min-match`` is 5 for 5-grams over whole books; a 10-word passage
        holds 7 seed 4-grams, two of which survive one edit in its middle).
    max_repeat : int, default 10
        An n-gram occurring more than this many times in one document seeds
        nothing there (passim's ``--max-repeat``).
    xdrop : int, default 8
        The X-drop of the gapped extension: an alignment stops where its
        score falls this far below its best (``_align``).
    max_gap : int, default 10
        Pieces of one alignment that follow each other in both documents
        with at most this many words between them are one passage.
    """

    min_words: int = PASSAGES["min_words"]
    max_docs: int | None = dataclass_field(default=PASSAGES["max_docs"], metadata={"none": "keeps every group"})
    ngram: int = PASSAGES["ngram"]
    max_df: int = PASSAGES["max_df"]
    frequent: str = PASSAGES["frequent"]
    min_seeds: int = PASSAGES["min_seeds"]
    max_repeat: int = PASSAGES["max_repeat"]
    xdrop: int = PASSAGES["xdrop"]
    max_gap: int = PASSAGES["max_gap"]

    def __post_init__(self) -> None:
        self.check({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def check(cls, values: Mapping, name: Callable[[str], str] = str) -> dict:
        """Validate fields (the ``values`` given, the others at their defaults); errors name a field as
        ``name(field)`` (a command line's flag), as ``dedup.Config.check`` does."""
        v = filled(cls, values)
        for field, low in (("min_words", 1), ("ngram", 1), ("max_df", 2), ("min_seeds", 1), ("max_repeat", 1),
                           ("xdrop", 1), ("max_gap", 0)):
            _check_int(name(field), v[field], low)
        if v["max_docs"] is not None:
            _check_int(name("max_docs"), v["max_docs"], 2)
        if v["frequent"] not in FREQUENT:
            raise ValueError(f"{name('frequent')} must be one of {list(FREQUENT)}, got {v['frequent']!r}")
        if v["min_words"] < v["ngram"]:
            raise ValueError(f"{name('min_words')} must be >= ngram ({v['ngram']}), got {v['min_words']!r}: "
                             "a passage holds at least one seed n-gram")
        return v

    @property
    def winnow(self) -> int:
        """Winnowing window of the seeds (``_seeds``), the largest that keeps two seeds in a passage with one edit.

        A passage of ``min_words`` words with one word edited holds an exact
        run of at least ``(min_words - 1) // 2`` words; a run holds a whole
        window, and so a seed, from ``w + ngram - 1`` words.
        """
        return max(1, (self.min_words - 1) // 2 - self.ngram + 1)

    def __str__(self) -> str:
        return "PassageConfig(" + ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)) + ")"


def resolve(cls, config, options: Mapping):
    """The one way every entry point turns ``config=`` and keywords into a config of class ``cls``.

    ``config`` (default ``cls()``) with the keywords given replacing its
    fields. A keyword whose value is None is not given (the entry points'
    signatures default their keywords to None), except for a field that
    takes None as a value of its own (``PassageConfig.max_docs``: every
    group kept), declared in its metadata. A keyword that is not a field is
    a TypeError that lists the fields, a ``config`` of another class a
    TypeError.
    """
    by_name = {f.name: f for f in fields(cls)}
    unknown = sorted(set(options) - set(by_name))
    if unknown:
        raise TypeError(f"unexpected option {unknown[0]!r}; options are {sorted(by_name)}")
    given = {k: v for k, v in options.items() if v is not None or by_name[k].metadata.get("none")}
    if config is None:
        return cls(**given)
    if not isinstance(config, cls):
        raise TypeError(f"config must be a dedup.{cls.__name__}, got {type(config).__name__}")
    return replace(config, **given) if given else config
