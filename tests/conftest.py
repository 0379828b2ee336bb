"""Shared fixtures (the helpers live in ``tests.support``)."""

from __future__ import annotations

import pytest

from tests.support import CORPUS


@pytest.fixture(scope="session")
def seeds() -> list[tuple[str, str]]:
    """The three seed articles of corpus/ as (file name, text), in name order."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))]
