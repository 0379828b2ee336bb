"""``python -m dedup.cli``: the ``near-dups`` command."""

from . import entry

entry()
