"""Rebuild ``wikipedia_sample.jsonl.gz`` from the shared Wikipedia corpus.

    python benchmarks/data/make_sample.py [--source ../shared/data/wikipedia.jsonl.gz]

Deterministic (no randomness): articles in file order, and from each the
first ``PER_ARTICLE`` body paragraphs (lines) that are plain ASCII and have
at least ``MIN_WORDS`` words, until ``TARGET`` paragraphs are taken. ASCII
only so that the peers' Python tokenizer (lowercase, runs of letters and
digits) and dedup's (NFKC, casefold, alphanumeric runs) give the very same
word sequence, and the planted Jaccard levels are exact for both.

Each record: ``{"id", "title", "paragraph", "text"}``: the article's id and
title in the 2015 dump, the paragraph's position among the article's lines,
and its text. See LICENSE.md for the licence and attribution.
"""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent.parent.parent / "shared" / "data" / "wikipedia.jsonl.gz"
OUT = HERE / "wikipedia_sample.jsonl.gz"
TARGET = 3000
PER_ARTICLE = 2
MIN_WORDS = 40


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--source", type=Path, default=SOURCE)
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    taken = []
    with gzip.open(args.source, "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            got = 0
            for k, para in enumerate(rec["text"].split("\n")):
                para = " ".join(para.split())
                if len(para.split()) >= MIN_WORDS and para.isascii():
                    taken.append({"id": rec["id"], "title": rec["title"], "paragraph": k, "text": para})
                    got += 1
                    if got == PER_ARTICLE:
                        break
            if len(taken) >= TARGET:
                break
    # mtime=0: the same bytes on every rebuild
    with open(args.out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        for rec in taken[:TARGET]:
            gz.write((json.dumps(rec, ensure_ascii=True) + "\n").encode("ascii"))
    words = sum(len(r["text"].split()) for r in taken[:TARGET])
    print(f"{len(taken[:TARGET])} paragraphs from {len({r['id'] for r in taken[:TARGET]})} articles, "
          f"{words} words -> {args.out} ({args.out.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
