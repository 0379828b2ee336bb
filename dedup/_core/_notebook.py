"""``_repr_html_`` of results, so a notebook shows them as a compact table, the way pandas shows a frame.

Each table shows at most ``ROWS`` rows (the largest clusters, the first
documents, the most frequent blocks) under a one-line summary of the whole.
Plain HTML with inline styles only; every text is escaped.
"""

from __future__ import annotations

from collections import Counter
from html import escape

import numpy as np

from ._words import plural  # "1 document", "12,000 documents": one wording with the command line

#: Rows shown by a table; a last row says how many more there are.
ROWS = 10
TEXT = 80
_TABLE = '<table style="border-collapse:collapse;font-size:12px">'
_TH = '<th style="text-align:{};padding:2px 8px;border-bottom:1px solid #ccc">{}</th>'
_TD = '<td style="text-align:{};padding:2px 8px;vertical-align:top">{}</td>'


def _short(text: str, limit: int = TEXT) -> str:
    words = " ".join(str(text)[: limit * 4].split())
    return escape(words if len(words) <= limit else words[: limit - 1] + "…")


def _table(caption: str, columns: list[tuple[str, str]], rows: list[list], more: int) -> str:
    out = [f'<div class="near-dups"><div style="margin:2px 0 4px">{caption}</div>', _TABLE, "<thead><tr>"]
    out += [_TH.format(align, escape(name)) for name, align in columns]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(_TD.format(align, v) for (_, align), v in zip(columns, row)) + "</tr>")
    if more > 0:
        out.append(f'<tr><td colspan="{len(columns)}" style="padding:2px 8px;color:#666">… {more:,} more</td></tr>')
    out.append("</tbody></table></div>")
    return "".join(out)


def _id(x) -> str:
    return f"<code>{escape(str(x))}</code>"


def index_html(idx) -> str:
    """``Index._repr_html_``: summary line, then the largest clusters with their kept and dropped ids."""
    labels = idx.labels(as_frame=False)
    n = labels.shape[0]
    sizes = np.bincount(labels, minlength=n)
    roots = np.flatnonzero(sizes > 1)
    roots = roots[np.lexsort((roots, -sizes[roots]))]
    keep = idx.keep_mask(as_frame=False)
    dups = int((~keep).sum())
    c = idx.config
    caption = (f"<b>dedup.Index</b>: {plural(n, 'document')}, {plural(roots.shape[0], 'cluster')}, "
               f"{plural(dups, 'duplicate')}; "
               f"threshold {c.threshold:g}, {c.ngram}-{c.shingle} shingles, LSH {idx.bands}×{idx.rows}")
    rows = []
    if roots.shape[0]:
        shown = roots[:ROWS]
        members = np.flatnonzero(np.isin(labels, shown))
        ids = idx.ids
        by = {int(r): [] for r in shown.tolist()}
        for m in members.tolist():
            by[int(labels[m])].append(m)
        for k, r in enumerate(shown.tolist(), 1):
            ms = by[r]
            kept = [m for m in ms if keep[m]][0]
            drop = [m for m in ms if m != kept]
            listed = ", ".join(_id(ids[m]) for m in drop[:5]) + (f" … +{len(drop) - 5:,}" if len(drop) > 5 else "")
            rows.append([str(k), f"{len(ms):,}", _id(ids[kept]), listed])
    return _table(caption, [("cluster", "right"), ("size", "right"), ("keep", "left"), ("drop", "left")],
                  rows, roots.shape[0] - len(rows))


def _kinds(removed) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(Counter(r.kind for r in removed).items()))


def collapsed_html(docs) -> str:
    """A list of ``CollapsedDoc``: totals, then one row per document (the first ``ROWS``)."""
    n_rm = sum(len(d.removed) for d in docs)
    with_rm = sum(1 for d in docs if len(d.removed))
    empty = sum(1 for d in docs if d.empty)
    caption = (f"<b>collapse</b>: {plural(len(docs), 'document')}, {plural(n_rm, 'removal')} in "
               f"{plural(with_rm, 'document')}"
               + (f", {empty:,} emptied" if empty else ""))
    rows = [[_id(d.id), f"{len(d.text):,}", f"{len(d.removed):,}", escape(_kinds(d.removed)), _short(d.text)]
            for d in docs[:ROWS]]
    return _table(caption, [("id", "left"), ("characters left", "right"), ("removals", "right"), ("kinds", "left"),
                            ("text", "left")], rows, len(docs) - len(rows))


def collapsed_doc_html(doc) -> str:
    """One ``CollapsedDoc``: its removals with their sources."""
    caption = (f"<b>CollapsedDoc</b> {_id(doc.id)}: {plural(len(doc.text), 'character')} left, "
               f"{plural(len(doc.removed), 'removal')}"
               + (" (emptied)" if doc.empty else "") + f"<br>{_short(doc.text, 160)}")
    rows = []
    for r in doc.removed[:ROWS]:
        src = "—" if r.source is None else f"{_id(r.source.id)}:{r.source.start}-{r.source.end}"
        rows.append([str(r.start), str(r.end), escape(r.kind), src, f"{r.similarity:.3f}"])
    return _table(caption, [("start", "right"), ("end", "right"), ("kind", "left"), ("source", "left"),
                            ("similarity", "right")], rows, len(doc.removed) - len(rows))


def groups_html(groups) -> str:
    """A list of ``BlockGroup``: totals by kind, then the most frequent ``ROWS`` groups."""
    kinds = Counter(g.kind for g in groups)
    caption = (f"<b>blocks</b>: {plural(len(groups), 'repeated block')} ("
               + ", ".join(f"{k} {kinds[k]:,}" for k in ("repeat", "syndicated", "boilerplate")) + "), "
               + f"{plural(sum(len(g.occurrences) for g in groups), 'occurrence')}; most frequent first")
    order = sorted(range(len(groups)), key=lambda k: (-len(groups[k].occurrences), k))[:ROWS]
    rows = [[escape(groups[k].kind), f"{len(groups[k].occurrences):,}", f"{groups[k].n_docs:,}",
             _short(groups[k].text)] for k in order]
    return _table(caption, [("kind", "left"), ("occurrences", "right"), ("documents", "right"), ("text", "left")],
                  rows, len(groups) - len(rows))


def group_html(g) -> str:
    """One ``BlockGroup``: its text and occurrences."""
    caption = (f"<b>BlockGroup</b> ({escape(g.kind)}): {plural(len(g.occurrences), 'occurrence')} in "
               f"{plural(g.n_docs, 'document')}<br>{_short(g.text, 160)}")
    rows = [[_id(o.id), str(o.start), str(o.end)] for o in g.occurrences[:ROWS]]
    return _table(caption, [("document", "left"), ("start", "right"), ("end", "right")], rows,
                  len(g.occurrences) - len(rows))
