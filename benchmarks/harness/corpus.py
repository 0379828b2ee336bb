"""Load the shared real corpora (``../shared/data/*.jsonl.gz``) as fixed inputs.

Used by ``conftest.py`` (in-process benchmarks) and ``worker.py`` (the
subprocess runs for cold start and peak memory), so both see the same texts in
the same order.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass
from pathlib import Path

#: ``<repo>/../shared/data``: the corpora sit next to the checkout, never inside it.
DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"

#: Which field of each record is the document text.
TEXT_FIELD = {"newsgroups": "text", "wikipedia": "text", "bbc": "text", "web_pages": "text", "reuters": "text"}


@dataclass(frozen=True)
class Corpus:
    """Documents of one corpus, in file order."""

    name: str
    ids: tuple
    texts: tuple

    @functools.cached_property
    def nbytes(self) -> int:
        """UTF-8 size of the raw texts: the denominator of every MB/s figure."""
        return sum(len(t.encode("utf-8", "surrogatepass")) for t in self.texts)

    def head(self, n: int | None) -> "Corpus":
        """The first ``n`` documents (all of them for ``None``)."""
        if n is None or n >= len(self.texts):
            return self
        return Corpus(self.name, self.ids[:n], self.texts[:n])

    def __len__(self) -> int:
        return len(self.texts)


def exists(name: str) -> bool:
    """Whether every file of ``name`` (``a+b`` for several) is in ``DATA_DIR``."""
    return all((DATA_DIR / f"{part}.jsonl.gz").exists() for part in name.split("+"))


@functools.cache
def load(name: str, limit: int | None = None) -> Corpus:
    """Read ``DATA_DIR/<name>.jsonl.gz``; raises FileNotFoundError if absent.

    ``a+b`` is corpus ``a`` followed by corpus ``b`` (ids prefixed ``a:``/``b:``);
    ``limit`` then applies to each part.
    """
    if "+" in name:
        parts = [load(part, limit) for part in name.split("+")]
        return Corpus(name, tuple(f"{c.name}:{i}" for c in parts for i in c.ids),
                      tuple(t for c in parts for t in c.texts))
    path = DATA_DIR / f"{name}.jsonl.gz"
    field = TEXT_FIELD.get(name, "text")
    ids, texts = [], []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for k, line in enumerate(f):
            if limit is not None and k >= limit:
                break
            rec = json.loads(line)
            ids.append(rec.get("id", k))
            texts.append(rec[field])
    return Corpus(name, tuple(ids), tuple(texts))
