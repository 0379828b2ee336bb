"""Counts in words, one way everywhere: the command line, the report, notebooks and reprs."""


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 document``, ``2 documents``, ``0 documents``, ``12,000 documents``.

    ``words`` is an irregular plural: ``plural(2, "copy", "copies")``.

    >>> plural(1, "document"), plural(256320, "removal"), plural(2, "copy", "copies")
    ('1 document', '256,320 removals', '2 copies')
    """
    return f"{n:,} {word}" if n == 1 else f"{n:,} {words or word + 's'}"


def number(n: int) -> str:
    """A count without a noun, grouped as :func:`plural` groups it: ``256,320``."""
    return f"{n:,}"
