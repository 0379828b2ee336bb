"""How the command line's text looks: ANSI styles on a terminal, its width, one-line excerpts."""

from __future__ import annotations

import os
import shutil
import sys


class Style:
    """ANSI styling on a terminal (not with NO_COLOR set), plain text elsewhere."""

    CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "hl": "1;33"}

    def __init__(self, enabled: bool):
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream) -> "Style":
        isatty = getattr(stream, "isatty", lambda: False)()
        return cls(bool(isatty) and not os.environ.get("NO_COLOR"))

    def __call__(self, text: str, style: str) -> str:
        if not self.enabled:
            return text
        return f"\x1b[{self.CODES[style]}m{text}\x1b[0m"


def width() -> int:
    """Columns to fill: the terminal's, or 100 when standard output is not a terminal."""
    if not sys.stdout.isatty():
        return 100
    return max(40, shutil.get_terminal_size((100, 24)).columns)


def first_words(text: str, limit: int) -> str:
    """The start of ``text`` on one line, at most ``limit`` characters."""
    words = " ".join(text[: limit * 4].split())
    if len(words) <= limit:
        return words
    return words[: max(1, limit - 1)].rstrip() + "…"
