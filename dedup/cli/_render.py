"""What the command line prints: results turned into records, then into text, JSONL, CSV or JSON.

Records are plain dicts of JSON types, built from the API's results; the
human-readable text is drawn from the same records, so every format says the
same thing.
"""

from __future__ import annotations

import csv
import functools
import json

from .._core._options import FORMATS
from ._io._ui import number, plural
from ._style import Style, first_words, width


def jsonable(x):
    """An id as JSON has it: numbers stay numbers, anything else becomes str."""
    return x if isinstance(x, (str, int, float)) and not isinstance(x, bool) else str(x)


def format_argument(p, choices=FORMATS) -> None:
    """``--format``: text for people (the default), or records for machines."""
    p.add_argument("--format", choices=choices, default="text", help="output format (default: text, for people)")


# --------------------------------------------------------------------------- writing records
def write_records(out, records: list[dict], fmt: str, columns: list[str]) -> None:
    """``records`` as JSON Lines, one JSON array, or CSV.

    CSV has one value per cell, for a spreadsheet: records with a list of
    members (clusters, blocks, matches) are flattened to one row per member
    (``CSV_ROWS``), a nested record to one column per field; other nested
    values are written as JSON text.
    """
    if fmt == "jsonl":
        for r in records:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    elif fmt == "json":
        json.dump(records, out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "csv":
        w = csv.writer(out, lineterminator="\n")
        flat = CSV_ROWS.get(tuple(columns))
        if flat is not None:
            columns, rows = flat
            records = [row for r in records for row in rows(r)]
        w.writerow(columns)
        for r in records:
            w.writerow([v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)
                        for v in (r.get(c) for c in columns)])
    else:
        raise ValueError(f"unknown format {fmt!r}")


# --------------------------------------------------------------------------- find
CLUSTER_COLUMNS = ["cluster", "size", "keep", "ids", "pairs"]


def cluster_records(idx, keep: str) -> tuple[list[dict], list[list[int]]]:
    """One record per cluster of ``idx``, and each cluster's member positions.

    Record: ``cluster`` (1, 2, ... in order of first member), ``size``,
    ``keep`` (the id kept under ``keep``), ``ids`` (input order) and
    ``pairs`` (``[id_a, id_b, jaccard]`` for every verified pair inside it).
    """
    from .._core._arrays import group_by_label  # here, not at import: parsing arguments should not pay for numba

    labels = idx.labels()
    kept = idx.keep_mask(keep)
    i, j, score = idx.pair_arrays()
    order, bounds = group_by_label(labels)
    b = bounds.tolist()
    groups = [order[lo:hi] for lo, hi in zip(b[:-1], b[1:]) if hi - lo > 1]
    by_label: dict = {}
    for a, b, s in zip(i.tolist(), j.tolist(), score.tolist()):
        by_label.setdefault(int(labels[a]), []).append((a, b, s))
    ids = idx.ids
    records, members = [], []
    for k, g in enumerate(groups, 1):
        pos = g.tolist()
        keeper = next(p for p in pos if kept[p])
        records.append({
            "cluster": k,
            "size": len(pos),
            "keep": jsonable(ids[keeper]),
            "ids": [jsonable(ids[p]) for p in pos],
            "pairs": [[jsonable(ids[a]), jsonable(ids[b]), round(s, 6)] for a, b, s in by_label[int(labels[pos[0]])]],
        })
        members.append(pos)
    return records, members


def render_clusters(out, records, members, texts, *, n_docs: int, threshold: float, ngram: int,
                    style: Style, shingle: str = "word") -> None:
    """The human-readable list of clusters (or a clear 'none found')."""
    unit = "word" if shingle == "word" else "character"
    if not records:
        out.write(f"No near-duplicates among {plural(n_docs, 'document')} at --threshold {threshold:g} "
                  f"(Jaccard similarity of {ngram}-{unit} shingles).\n"
                  "Lower --threshold (or --ngram) to look for looser matches, or run "
                  "`near-dups explain A B` to see how similar two documents are.\n")
        return
    n_dup = sum(r["size"] - 1 for r in records)
    out.write(f"{plural(len(records), 'cluster')} of near-duplicates among {plural(n_docs, 'document')} "
              f"({number(n_dup)} would be dropped) at --threshold {threshold:g}, {ngram}-{unit} shingles:\n")
    for r, pos in zip(records, members):
        out.write("\n")
        render_cluster(out, r, pos, texts, style)


def render_cluster(out, r: dict, pos: list[int], texts, style: Style, indent: str = "", limit: int | None = None) -> None:
    """One cluster: its size and scores, then each member (keep or drop, best score, the start of its text);
    with ``limit``, the kept member and the first others up to ``limit`` members, then how many more."""
    w = width() - len(indent)
    best: dict = {}
    for a, b, s in r["pairs"]:
        best[a] = max(best.get(a, 0.0), s)
        best[b] = max(best.get(b, 0.0), s)
    scores = [p[2] for p in r["pairs"]]
    sim = f"{min(scores):.3f}" if min(scores) == max(scores) else f"{min(scores):.3f}-{max(scores):.3f}"
    out.write(indent + style(f"cluster {r['cluster']}", "bold") + f": {plural(r['size'], 'document')}, jaccard {sim}\n")
    shown = list(zip(r["ids"], pos))
    if limit is not None and len(shown) > limit:
        shown = [m for m in shown if m[0] == r["keep"]] + [m for m in shown if m[0] != r["keep"]][: limit - 1]
        shown.sort(key=lambda m: r["ids"].index(m[0]))
    id_width = min(max(len(str(x)) for x, _ in shown), w // 2)
    for doc_id, p in shown:
        mark = style("keep", "green") if doc_id == r["keep"] else style("drop", "red")
        name = str(doc_id)
        room = w - 2 - 4 - 2 - max(id_width, len(name)) - 2 - 5 - 2
        out.write(f"{indent}  {mark}  {name:<{id_width}}  {best[doc_id]:.3f}  "
                  + style(first_words(texts[p], max(room, 20)), "dim") + "\n")
    if len(shown) < len(pos):
        out.write(f"{indent}  … and {number(len(pos) - len(shown))} more\n")


# --------------------------------------------------------------------------- dedup report
REPORT_COLUMNS = ["id", "source", "cluster", "kept", "matched", "jaccard", "reason"]


def best_matches(r: dict) -> dict:
    """Each member of a cluster record -> ``(matched id, jaccard)``: its pair with the kept document, else its
    closest match."""
    best: dict = {}
    for a, b, s in r["pairs"]:
        for x, y in ((a, b), (b, a)):
            rank = (y == r["keep"], s)
            if x not in best or rank > best[x][2]:
                best[x] = (y, s, rank)
    return {x: (y, s) for x, (y, s, _) in best.items()}


def dropped_records(records, where_of) -> list[dict]:
    """One record per dropped document: which cluster, who was kept, its best match and score."""
    out = []
    for r in records:
        best = best_matches(r)
        for doc_id in r["ids"]:
            if doc_id == r["keep"]:
                continue
            matched, s = best[doc_id]
            reason = "same text" if s == 1.0 else f"near-duplicate (jaccard {s:.3f} with {matched})"
            out.append({"id": doc_id, "source": where_of(doc_id), "cluster": r["cluster"], "kept": r["keep"],
                        "matched": matched, "jaccard": s, "reason": reason})
    return out


# --------------------------------------------------------------------------- collapse and blocks
REMOVAL_COLUMNS = ["id", "start", "end", "kind", "similarity", "source", "text"]
BLOCK_COLUMNS = ["block", "kind", "count", "documents", "length", "text", "occurrences"]


def _field(obj, name, pos):
    """``obj.name``, or ``obj[pos]`` for tuples (the API's results are small records)."""
    if hasattr(obj, name):
        return getattr(obj, name)
    if isinstance(obj, dict):
        return obj[name]
    return obj[pos]


def removal_records(results, originals, id_of=None) -> list[dict]:
    """One record per removal of ``dedup.collapse`` results; ``originals[k]`` is document k's text.

    ``id_of(x)``: the id to write for the id ``x`` of a result or a source (default: ``x`` itself).
    """
    out = []
    for doc, text in zip(results, originals):
        doc_id = _field(doc, "id", 0)
        if id_of is not None:
            doc_id = id_of(doc_id)
        for rm in _field(doc, "removed", 2) or ():
            start, end = int(_field(rm, "start", 0)), int(_field(rm, "end", 1))
            src = _field(rm, "source", 3)
            src_rec = None
            if src is not None:
                sid, ss, se = (_field(src, "id", 0), _field(src, "start", 1), _field(src, "end", 2))
                if id_of is not None:
                    sid = id_of(sid)
                src_rec = {"id": jsonable(sid), "start": int(ss), "end": int(se)}
            sim = _field(rm, "similarity", 4)
            out.append({"id": jsonable(doc_id), "start": start, "end": end, "kind": str(_field(rm, "kind", 2)),
                        "similarity": None if sim is None else round(float(sim), 6),
                        "source": src_rec, "text": text[start:end]})
    return out


class RemovalLines:
    """The JSON Lines of ``removal_records``, written straight from each document's removals (one string per
    document; ids encoded once each): what ``collapse`` writes for hundreds of thousands of removals.

    ``id_of(x)``: the id to write for a result's or source's id ``x``.
    """

    def __init__(self, id_of):
        self._id_of = id_of
        #: ``json_of(x)``: the JSON of id ``x`` (cached: the kept copies' documents recur).
        self.json_of = functools.lru_cache(maxsize=1 << 16)(self._encode)

    def _encode(self, x) -> str:
        v = self._id_of(x)
        # A str as json.dumps(v, ensure_ascii=False) writes it, without its Python steps (a call per document).
        return _encode_str(v) if type(v) is str else json.dumps(jsonable(v), ensure_ascii=False)

    def __call__(self, doc, original: str) -> str:
        """The lines of one ``CollapsedDoc`` (its removals), ``original`` its text before collapse."""
        removed = doc.removed
        if not len(removed):
            return ""
        jid = self.json_of(doc.id)
        enc, json_of = _encode_str, self.json_of
        lines = []
        for start, end, kind, src, sim in removed:
            source = "null" if src is None else (f'{{"id": {json_of(src[0])}, "start": {src[1]}, '
                                                 f'"end": {src[2]}}}')
            lines.append(f'{{"id": {jid}, "start": {start}, "end": {end}, "kind": "{kind}", '
                         f'"similarity": {float(round(sim, 6))!r}, "source": {source}, '
                         f'"text": {enc(original[start:end])}}}\n')
        return "".join(lines)


def _encode_str(s: str) -> str:
    return json.encoder.encode_basestring(s)


def render_removals(out, removals, *, n_docs: int, style: Style) -> None:
    if not removals:
        out.write(f"Nothing to collapse in {plural(n_docs, 'document')}.\n")
        return
    docs = len({json.dumps(r["id"]) for r in removals})
    out.write(f"{plural(len(removals), 'repeated block')} to remove from {number(docs)} of "
              f"{plural(n_docs, 'document')}:\n\n")
    w = width()
    for r in removals:
        src = r["source"]
        kept = f", kept copy at {src['id']}:{src['start']}-{src['end']}" if src else ""
        sim = "" if r["similarity"] is None or not src else f", similarity {r['similarity']:.3f}"
        out.write(style(f"{r['id']}:{r['start']}-{r['end']}", "bold") + f"  {r['kind']}{kept}{sim}\n")
        out.write("    " + style(first_words(r["text"], w - 6), "dim") + "\n")


def block_records(groups, copy_of=None) -> list[dict]:
    """One record per group of ``dedup.blocks`` (``block_record``), numbered 1, 2, ..."""
    return [block_record(k, g, copy_of) for k, g in enumerate(groups, 1)]


def copies(ids, texts):
    """``copy_of(id, start, end)``: the text of one occurrence, its document found by id (for ``block_record``)."""
    at: dict = {}

    def copy_of(doc_id, start: int, end: int) -> str:
        if not at:
            at.update((x, k) for k, x in enumerate(ids))
        return texts[at[doc_id]][start:end]

    return copy_of


def block_record(k: int, g, copy_of=None) -> dict:
    """Block group number ``k``: its text (the first occurrence's own, the copy collapse keeps), kind, and
    every (id, start, end) where it occurs; with ``copy_of`` (:func:`copies`), an occurrence whose own text
    differs from the block's (other punctuation, spacing or case, or a near-duplicate line) carries it as
    ``text``."""
    occ = []
    text = _field(g, "text", 0)
    for o in _field(g, "occurrences", 1):
        doc_id, start, end = _field(o, "id", 0), int(_field(o, "start", 1)), int(_field(o, "end", 2))
        occ.append({"id": jsonable(doc_id), "start": start, "end": end})
        if copy_of is not None:
            own = copy_of(doc_id, start, end)
            if own != text:
                occ[-1]["text"] = own
    n_docs = getattr(g, "n_docs", None) or len({json.dumps(o["id"]) for o in occ})
    return {"block": k, "kind": getattr(g, "kind", None), "count": len(occ), "documents": n_docs,
            "length": len(text or ""), "text": text, "occurrences": occ}


def render_blocks(out, blocks, *, n_docs: int, style: Style) -> None:
    if not blocks:
        out.write(f"No repeated blocks in {plural(n_docs, 'document')}.\n")
        return
    out.write(f"{plural(len(blocks), 'repeated block')} in {plural(n_docs, 'document')}:\n")
    w = width()
    for b in blocks:
        kind = f" ({b['kind']})" if b["kind"] else ""
        out.write("\n" + style(f"block {b['block']}", "bold") + f"{kind}: {plural(b['count'], 'occurrence')} in "
                  f"{plural(b['documents'], 'document')}, {plural(b['length'], 'character')}\n")
        out.write("    " + style(first_words(b["text"] or "", w - 6), "dim") + "\n")
        for line in variants_note(b, w - 4):
            out.write(f"    {line}\n")
        for o in b["occurrences"]:
            own = f"  {_quote(o['text'], w // 2)}" if "text" in o else ""
            out.write(f"  {o['id']}:{o['start']}-{o['end']}{own}\n")


def _quote(text: str, limit: int) -> str:
    """``text`` in double quotes as JSON writes it (spacing kept, a newline as ``\\n``), cut at ``limit``."""
    q = json.dumps(text, ensure_ascii=False)
    return q if len(q) <= limit else q[: max(limit - 2, 10)] + '…"'


def variants_note(b: dict, w: int = 96, shown: int = 3) -> list[str]:
    """Lines saying how the copies of block record ``b`` differ from one another (none when every copy is its
    text): whether only in punctuation, spacing or case, then the most frequent copies, each as written::

        copies differ only in punctuation, spacing or case; 3 variants:
          6,301x "Files:"
            134x "Files: *"
              1x "Files:     *"
    """
    import collections
    import re

    counts = collections.Counter(o.get("text", b["text"]) for o in b["occurrences"])
    if len(counts) < 2:
        return []
    words = {tuple(re.findall(r"\w+", t.lower())) for t in counts}
    how = "only in punctuation, spacing or case" if len(words) == 1 else "in wording too (near-duplicate copies)"
    top = counts.most_common(shown)
    pad = max(len(number(n)) for _, n in top)
    lines = [f"copies differ {how}; {plural(len(counts), 'variant')}"
             + (", most frequent first:" if len(counts) > shown else ":")]
    lines += [f"  {number(n):>{pad}}x {_quote(t, w - pad - 4)}" for t, n in top]
    if len(counts) > shown:
        lines.append(f"  … and {plural(len(counts) - shown, 'more variant')}")
    return lines


# --------------------------------------------------------------------------- index query
MATCH_COLUMNS = ["id", "source", "matches"]


def match_records(ids, found, where_of) -> list[dict]:
    """One record per input document with matches: ``id``, ``source`` (file:line) and
    ``matches`` (``[indexed id, jaccard]``, best first, as ``Index.query_many`` gives them); ``found`` is a list
    of matches per document, or a dict position -> matches."""
    items = sorted(found.items()) if isinstance(found, dict) else enumerate(found)
    return [{"id": jsonable(ids[k]), "source": where_of(k),
             "matches": [[jsonable(m), round(s, 6)] for m, s in matches]}
            for k, matches in items if matches]


def render_matches(out, records, texts, *, n_docs: int, n_indexed: int, threshold: float, style: Style) -> None:
    """The human-readable list of matches; ``texts[k]`` is record k's text."""
    indexed = plural(n_indexed, "indexed document")
    if not records:
        out.write(f"None of {plural(n_docs, 'document')} has a near-duplicate among the {indexed} at --threshold "
                  f"{threshold:g}.\n")
        return
    out.write(f"{number(len(records))} of {plural(n_docs, 'document')} {'has' if len(records) == 1 else 'have'} "
              f"near-duplicates among the {indexed} "
              f"at --threshold {threshold:g}:\n")
    w = width()
    for r, text in zip(records, texts):
        name = str(r["id"])
        out.write("\n" + style(name, "bold") + "  " + style(first_words(text, max(w - len(name) - 2, 20)), "dim")
                  + "\n")
        for m, s in r["matches"]:
            out.write(f"  {s:.3f}  {m}\n")


# --------------------------------------------------------------------------- CSV: one row per member
def _cluster_rows(r: dict):
    """One row per member of a cluster record: ``keep`` or ``drop``, and its best verified pair (with the kept
    document when there is one, as the dedup report says)."""
    best = best_matches(r)
    for doc_id in r["ids"]:
        matched, s = best[doc_id]
        yield {"cluster": r["cluster"], "size": r["size"], "id": doc_id,
               "action": "keep" if doc_id == r["keep"] else "drop", "jaccard": s, "matched": matched}


def _block_rows(r: dict):
    for o in r["occurrences"]:
        yield {**{k: r[k] for k in ("block", "kind", "count", "documents", "length", "text")}, **o}


def _removal_rows(r: dict):
    src = r["source"] or {}
    yield {**r, "source_id": src.get("id"), "source_start": src.get("start"), "source_end": src.get("end")}


def _match_rows(r: dict):
    for m, s in r["matches"]:
        yield {"id": r["id"], "source": r["source"], "match": m, "jaccard": s}


#: Record columns -> (CSV columns, rows of one record) for the records CSV flattens.
CSV_ROWS = {
    tuple(CLUSTER_COLUMNS): (["cluster", "size", "id", "action", "jaccard", "matched"], _cluster_rows),
    tuple(BLOCK_COLUMNS): (["block", "kind", "count", "documents", "length", "text", "id", "start", "end"],
                           _block_rows),
    tuple(REMOVAL_COLUMNS): (["id", "start", "end", "kind", "similarity", "source_id", "source_start", "source_end",
                              "text"], _removal_rows),
    tuple(MATCH_COLUMNS): (["id", "source", "match", "jaccard"], _match_rows),
}


# --------------------------------------------------------------------------- passages
PASSAGE_COLUMNS = ["group", "size", "documents", "first", "words", "text", "occurrences", "alignments"]


def passage_records(result) -> list[dict]:
    """One record per group of ``dedup.passages``.

    Record: ``group`` (1, 2, ... in order of first occurrence), ``size``
    (occurrences), ``documents``, ``first`` (id of the first occurrence in
    input order), ``words`` and ``text`` of the first occurrence,
    ``occurrences`` (``{id, start, end, words}``, ``str`` offsets) and
    ``alignments`` (``{a, b, similarity, matches}``, ``a``/``b`` indexing
    ``occurrences``).
    """
    return [passage_record(k, g) for k, g in enumerate(result, 1)]


def passage_record(k: int, g) -> dict:
    """Passage group number ``k`` (a ``dedup.PassageGroup``) as ``passage_records`` describes it."""
    occ = [{"id": jsonable(o.id), "start": o.start, "end": o.end, "words": o.words} for o in g.occurrences]
    first = g.occurrences[g.first]
    return {"group": k, "size": len(occ), "documents": len({repr(o.id) for o in g.occurrences}),
            "first": jsonable(first.id), "words": first.words, "text": first.text, "occurrences": occ,
            "alignments": [{"a": a.a, "b": a.b, "similarity": round(a.similarity, 6), "matches": a.matches}
                           for a in g.alignments]}


def render_passages(out, records: list[dict], *, n_docs: int, min_words: int, style: Style) -> None:
    """Text form of ``passage_records``: each group, its first text, and where it occurs."""
    if not records:
        out.write(f"No passage of {min_words} or more shared words among {plural(n_docs, 'document')}.\n"
                  "Lower --min-words to look for shorter ones.\n")
        return
    out.write(f"{plural(len(records), 'shared passage group')} among {plural(n_docs, 'document')} "
              f"(copies sharing {min_words} words or more, edits allowed):\n")
    w = width()
    for r in records:
        out.write("\n" + style(f"group {r['group']}: {plural(r['size'], 'occurrence')} in "
                               f"{plural(r['documents'], 'document')}, {plural(r['words'], 'word')}", "bold") + "\n")
        out.write("    " + first_words(r["text"], w - 4) + "\n")
        best: dict = {}
        for a in r["alignments"]:  # best similarity of each occurrence to another one
            for x in (a["a"], a["b"]):
                best[x] = max(best.get(x, 0.0), a["similarity"])
        first = next(k for k, o in enumerate(r["occurrences"]) if o["id"] == r["first"])
        for k, o in enumerate(r["occurrences"]):
            note = "first" if k == first else f"similarity {best.get(k, 0.0):.2f}"
            out.write(f"  {o['id']}:{o['start']}-{o['end']}  {plural(o['words'], 'word')}, {note}\n")
