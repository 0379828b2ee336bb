"""Helpers of the tests: where the corpora are and how to read them; the slow references
(``reference``), a planted corpus (``planted``), the golden outputs (``golden``), the browser
(``browser``) and hypothesis strategies of text (``strategies``)."""

from __future__ import annotations

import gzip
import json
import pathlib

import pytest

__all__ = ["CORPUS", "DATA", "ROOT", "load_jsonl"]

ROOT = pathlib.Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"
CORPUS = ROOT / "corpus"


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
