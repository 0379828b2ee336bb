"""Counts and sizes in words, one way everywhere: the command line, the report, notebooks, reprs and errors."""


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


def byte_size(n: int) -> str:
    """A size in bytes for people: ``512 B``, ``3.4 KiB``, ``120 MiB``, ``1.25 GiB``.

    >>> byte_size(512), byte_size(3500), byte_size(120 << 20), byte_size(1342177280)
    ('512 B', '3.4 KiB', '120 MiB', '1.25 GiB')
    """
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            v = n / (1 << shift)
            return f"{v:.2f} {unit}" if unit == "GiB" else f"{v:.0f} {unit}" if v >= 10 else f"{v:.1f} {unit}"
    return f"{n} B"
