"""Shared test helpers: where the real corpora are, and how to read them."""

from __future__ import annotations

import gzip
import json
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
CORPUS = ROOT / "corpus"

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # tests/reference.py


def load_jsonl(name: str, limit: int | None = None) -> list[dict]:
    """Rows of ``../shared/data/NAME``; the calling test is skipped if it is absent."""
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} not present (real corpora live in ../shared/data)")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            rows.append(json.loads(line))
            if limit is not None and len(rows) >= limit:
                break
    return rows


@pytest.fixture(scope="session")
def seeds() -> list[tuple[str, str]]:
    """The three seed articles of corpus/ as (file name, text), in name order."""
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(CORPUS.glob("*.txt"))]
