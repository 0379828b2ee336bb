"""Golden outputs: what the API and the CLI answer on fixed corpora, pinned by digest.

Recorded before a refactor and checked after it (``tests/test_golden.py``):
every public answer (pairs, clusters, duplicates, collapse texts and
removals, blocks, and the CLI's machine output of every command) must stay
byte-identical unless a change is made on purpose, and then the golden file
is re-recorded in the same commit, with the reason in its message.

Each output is serialized canonically (JSON with ``repr`` floats, sorted
keys) and stored as a SHA-256 digest with its record count, so the golden
files stay small and a mismatch names the output that moved.

Record again with::

    python -m tests.support.golden           # all corpora whose data is present
    python -m tests.support.golden corpus    # one

(from the repository root).
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import pathlib
import sys
import tempfile

from tests.support import DATA, ROOT

GOLDEN = ROOT / "tests" / "golden"

#: corpus name -> (data file or None, rows taken, text of a row)
CORPORA = {
    "corpus": (None, None, None),
    "planted": (None, None, None),
    "newsgroups": ("newsgroups.jsonl.gz", 2000, lambda r: r["text"]),
    "web_pages": ("web_pages.jsonl.gz", 600, lambda r: r["text"]),
    "bbc": ("bbc.jsonl.gz", None, lambda r: r["title"] + "\n" + r["text"]),
}


def available(name: str) -> bool:
    file = CORPORA[name][0]
    return file is None or (DATA / file).exists()


def documents(name: str) -> list[tuple[str, str]]:
    """(id, text) pairs of a golden corpus, in a fixed order."""
    if name == "corpus":
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted((ROOT / "corpus").glob("*.txt"))]
    if name == "planted":
        from tests.support.planted import planted_corpus

        return [(f"p{k:04d}", t) for k, t in enumerate(planted_corpus(300, 200, seed=7))]
    file, limit, text = CORPORA[name]
    rows = []
    with gzip.open(DATA / file, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            rows.append((str(r["id"]), text(r)))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def _canon(obj) -> str:
    def default(x):
        if hasattr(x, "_asdict"):
            return {k: v for k, v in x._asdict().items()}
        if isinstance(x, (tuple, list)) or hasattr(x, "__len__") and hasattr(x, "__getitem__"):
            return list(x)
        if hasattr(x, "__dataclass_fields__"):
            return {k: getattr(x, k) for k in x.__dataclass_fields__}
        return repr(x)

    def floats(x):
        if isinstance(x, float):
            return {"f": repr(x)}
        if isinstance(x, dict):
            return {str(k): floats(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [floats(v) for v in x]
        if hasattr(x, "_asdict"):
            return floats(dict(x._asdict()))
        if hasattr(x, "__dataclass_fields__"):
            return floats({k: getattr(x, k) for k in x.__dataclass_fields__})
        if type(x).__name__ == "Removals":
            return [floats(v) for v in x]
        return x

    return json.dumps(floats(obj), sort_keys=True, ensure_ascii=False, default=default)


def _entry(obj) -> dict:
    text = _canon(obj)
    n = len(obj) if hasattr(obj, "__len__") and not isinstance(obj, str) else 1
    return {"n": n, "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}


def api_outputs(docs) -> dict:
    import dedup

    out = {}
    for label, opts in (("t0.8", {}), ("t0.5n3", {"threshold": 0.5, "ngram": 3}),
                        ("char", {"threshold": 0.7, "shingle": "char", "ngram": 7})):
        idx = dedup.index(docs, **opts)
        out[f"index.{label}.pairs"] = idx.pairs()
        out[f"index.{label}.clusters"] = idx.clusters()
        out[f"index.{label}.duplicates"] = idx.duplicates()
        out[f"index.{label}.duplicates_longest"] = idx.duplicates(keep="longest")
    idx = dedup.index(docs[: len(docs) // 2], threshold=0.5, ngram=3)
    out["index.query_many"] = idx.query_many([t for _, t in docs[len(docs) // 2:]])
    idx.add(docs[len(docs) // 2:])
    out["index.add.pairs"] = idx.pairs()
    for unit in ("line", "paragraph"):
        res = dedup.collapse(docs, unit=unit)
        out[f"collapse.{unit}.texts"] = [r.text for r in res]
        out[f"collapse.{unit}.removed"] = [[tuple(x) for x in r.removed] for r in res]
        out[f"collapse.{unit}.empty"] = [r.empty for r in res]
        out[f"blocks.{unit}"] = [(g.kind, g.text, [tuple(s) for s in g.occurrences], g.n_docs)
                                 for g in dedup.blocks(docs, unit=unit)]
    res = dedup.collapse(docs, mode="remove_all", remove=("boilerplate",))
    out["collapse.remove_all.boilerplate.texts"] = [r.text for r in res]
    return out


def _cli(argv) -> tuple[int, str]:
    from dedup import cli

    buf = io.StringIO()
    err = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return code, buf.getvalue()


def _read(path: pathlib.Path) -> str:
    return path.read_text(encoding="utf-8")


def cli_outputs(docs) -> dict:
    """Every command's machine output on the corpus written as JSON Lines (in a temporary folder)."""
    out = {}
    with tempfile.TemporaryDirectory() as where, contextlib.chdir(where):
        tmp = pathlib.Path(".")  # relative names: sources in the reports must not hold the temporary path
        data = tmp / "in.jsonl"
        data.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in docs),
                        encoding="utf-8")
        half = tmp / "half.jsonl"
        half.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                for i, t in docs[: len(docs) // 2]), encoding="utf-8")
        rest = tmp / "rest.jsonl"
        rest.write_text("".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n"
                                for i, t in docs[len(docs) // 2:]), encoding="utf-8")
        q = ["-q"]
        out["cli.find"] = _cli(["find", data, "--format", "jsonl", *q])
        out["cli.find.t0.5n3"] = _cli(["find", data, "--format", "jsonl", "--threshold", "0.5", "--ngram", "3", *q])
        out["cli.find.csv"] = _cli(["find", data, "--format", "csv", "--keep", "longest", *q])
        code, _ = _cli(["dedup", data, "-o", tmp / "dd.jsonl", "--threshold", "0.5", "--ngram", "3", *q])
        out["cli.dedup"] = (code, _read(tmp / "dd.jsonl"), _read(tmp / "dd.dropped.jsonl"))
        code, _ = _cli(["collapse", data, "-o", tmp / "cc.jsonl", *q])
        out["cli.collapse"] = (code, _read(tmp / "cc.jsonl"), _read(tmp / "cc.removals.jsonl"))
        out["cli.collapse.paragraph.dry"] = _cli(["collapse", data, "--dry-run", "--unit", "paragraph",
                                                  "--format", "jsonl", *q])
        out["cli.blocks"] = _cli(["blocks", data, "--format", "jsonl", *q])
        a, b = docs[0][0], docs[1][0]
        code, text = _cli(["explain", "--corpus", data, a, b, "--format", "json", *q])
        rec = json.loads(text)
        rec.pop("passages", None)  # explain's passages change on purpose with the passage engine
        out["cli.explain.score"] = (code, rec)
        idx = tmp / "x.idx"
        code, _ = _cli(["index", "build", half, "-o", idx, "--threshold", "0.5", "--ngram", "3", *q])
        out["cli.index.query"] = _cli(["index", "query", idx, rest, "--format", "jsonl", *q])
        code, _ = _cli(["index", "filter", idx, rest, "-o", tmp / "fresh.jsonl", *q])
        out["cli.index.filter"] = (code, _read(tmp / "fresh.jsonl"))
        code, _ = _cli(["index", "add", idx, rest, *q])
        import dedup

        loaded = dedup.load(idx)
        out["cli.index.add.pairs"] = (code, loaded.pairs())
        code, _ = _cli(["index", "remove", idx, a, *q])
        out["cli.index.remove.pairs"] = (code, dedup.load(idx).pairs())
    return out


def outputs(name: str) -> dict:
    docs = documents(name)
    everything = {**api_outputs(docs), **cli_outputs(docs)}
    return {k: _entry(v) for k, v in sorted(everything.items())}


def golden_file(name: str) -> pathlib.Path:
    return GOLDEN / f"{name}.json"


def main(argv) -> int:
    names = argv or [n for n in CORPORA if available(n)]
    GOLDEN.mkdir(exist_ok=True)
    for name in names:
        result = outputs(name)
        golden_file(name).write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"{name}: {len(result)} outputs recorded", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
