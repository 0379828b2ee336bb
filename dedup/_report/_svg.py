"""The report's two plots, drawn as SVG text in Python (no plotting library, no script).

Each plot is a self-contained ``<svg>`` element with its colours given as
attributes, so the same string works inline in the report and as a file
(``docs/report_similarity.svg``). Every bar and the curve carry ``data-``
attributes with the numbers they draw, for tests and for readers of the source.
"""

from __future__ import annotations

from html import escape

import numpy as np

W, H = 460, 240
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 34, 40
INK, GRID, BAR, ACCENT = "#333", "#ddd", "#4c78a8", "#d62728"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'

#: Bars of the similarity histogram between the threshold and 1.
BINS = 20


def _open(kind: str, title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="plot" data-plot="{kind}" viewBox="0 0 {W} {H}" '
            f'width="{W}" height="{H}" role="img" aria-label="{escape(title)}" {FONT}>',
            f"<title>{escape(title)}</title>",
            f'<rect x="0" y="0" width="{W}" height="{H}" fill="#fff"/>',
            f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="13" fill="{INK}">{escape(title)}</text>']


def _axes(out: list[str], xticks, yticks, fx, fy, xlabel: str, ylabel: str) -> None:
    x0, x1, y0, y1 = LEFT, W - RIGHT, H - BOTTOM, TOP
    for v, label in yticks:
        y = fy(v)
        out.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{INK}">{escape(label)}</text>')
    for v, label in xticks:
        x = fx(v)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y0 + 4}" stroke="{INK}"/>')
        out.append(f'<text x="{x:.1f}" y="{y0 + 16}" text-anchor="middle" fill="{INK}">{escape(label)}</text>')
    out.append(f'<line x1="{x0}" x2="{x1}" y1="{y0}" y2="{y0}" stroke="{INK}"/>')
    out.append(f'<line x1="{x0}" x2="{x0}" y1="{y0}" y2="{y1}" stroke="{INK}"/>')
    out.append(f'<text x="{(x0 + x1) / 2}" y="{H - 6}" text-anchor="middle" fill="{INK}">{escape(xlabel)}</text>')
    out.append(f'<text transform="translate(13 {(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" '
               f'fill="{INK}">{escape(ylabel)}</text>')


def histogram_edges(threshold: float) -> np.ndarray:
    """``BINS + 1`` bin edges from the threshold (at most 0.95) to 1."""
    lo = min(float(threshold), 0.95)
    return np.linspace(lo, 1.0, BINS + 1)


def _count(v: float) -> str:
    """An axis tick of a count: ``2.5``, ``1,000`` (not ``1e+03``), ``10,250``."""
    return f"{v:g}" if v < 100 and v != int(v) else f"{round(v):,}"


def similarity_histogram(scores: np.ndarray, threshold: float, *, what: str = "verified pairs") -> str:
    """Histogram of exact Jaccard scores (all >= threshold), as an SVG string.

    Bars are ``BINS`` equal bins from the threshold to 1 (the last one closed,
    so exact copies at 1.0 fall in it); each ``<rect>`` carries
    ``data-lo``/``data-hi``/``data-count``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    edges = histogram_edges(threshold)
    counts, _ = np.histogram(np.clip(scores, edges[0], 1.0), bins=edges)
    out = _open("similarity", f"{what.capitalize()} by Jaccard similarity ({scores.shape[0]:,})")
    top = int(counts.max(initial=0))
    ymax = max(1, top)
    fx = lambda v: LEFT + (v - edges[0]) / (1.0 - edges[0]) * (W - RIGHT - LEFT)  # noqa: E731
    fy = lambda v: (H - BOTTOM) - v / ymax * (H - BOTTOM - TOP)  # noqa: E731
    mid = (edges[0] + 1.0) / 2
    _axes(out, [(edges[0], f"{edges[0]:.2f}"), (mid, f"{mid:.3g}"), (1.0, "1.0")],
          [(0, "0")] + ([(ymax / 2, _count(ymax / 2))] if ymax >= 4 else []) + [(ymax, f"{ymax:,}")],
          fx, fy, "Jaccard similarity", what)
    for lo, hi, c in zip(edges[:-1].tolist(), edges[1:].tolist(), counts.tolist()):
        x, w = fx(lo), fx(hi) - fx(lo)
        y = fy(c)
        out.append(f'<rect class="bar" x="{x + 0.5:.1f}" y="{y:.1f}" width="{max(w - 1, 0.5):.1f}" '
                   f'height="{(H - BOTTOM) - y:.1f}" fill="{BAR}" data-lo="{lo:.4f}" data-hi="{hi:.4f}" '
                   f'data-count="{c}"><title>{lo:.3f}–{hi:.3f}: {c:,}</title></rect>')
    if not scores.shape[0]:
        out.append(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" fill="{INK}">none</text>')
    out.append("</svg>")
    return "\n".join(out)


def s_curve(bands: int, rows: int, threshold: float, *, points: int = 101) -> str:
    """P(candidate) = 1 - (1 - s^rows)^bands against Jaccard s, threshold marked, as an SVG string.

    The ``<polyline>`` carries the curve's points in ``data-s``/``data-p``
    (four decimals); the threshold line carries ``data-threshold`` and
    ``data-p``.
    """
    from .._sketch._lsh import s_curve as curve

    s = np.linspace(0.0, 1.0, points)
    p = np.asarray(curve(s, bands, rows), dtype=np.float64)
    pt = float(curve(threshold, bands, rows))
    out = _open("s-curve", f"LSH: P(candidate) vs Jaccard ({bands} bands x {rows} rows)")
    fx = lambda v: LEFT + v * (W - RIGHT - LEFT)  # noqa: E731
    fy = lambda v: (H - BOTTOM) - v * (H - BOTTOM - TOP)  # noqa: E731
    _axes(out, [(v, f"{v:g}") for v in (0, 0.2, 0.4, 0.6, 0.8, 1.0)],
          [(v, f"{v:g}") for v in (0, 0.5, 1.0)], fx, fy, "Jaccard similarity of a pair", "P(candidate)")
    mid = (1.0 / bands) ** (1.0 / rows)  # where the curve crosses 1/2, about: (1/b)^(1/r)
    pts = " ".join(f"{fx(a):.1f},{fy(b):.1f}" for a, b in zip(s.tolist(), p.tolist()))
    out.append(f'<polyline class="curve" points="{pts}" fill="none" stroke="{BAR}" stroke-width="2" '
               f'data-s="{" ".join(f"{v:.4f}" for v in s.tolist())}" '
               f'data-p="{" ".join(f"{v:.4f}" for v in p.tolist())}"/>')
    x = fx(threshold)
    out.append(f'<line class="threshold" x1="{x:.1f}" x2="{x:.1f}" y1="{H - BOTTOM}" y2="{TOP}" stroke="{ACCENT}" '
               f'stroke-dasharray="4 3" data-threshold="{threshold:g}" data-p="{pt:.6f}"/>')
    # Labels in the two corners the curve never reaches: lower right (P is near 1 there) and left of the middle.
    right = W - RIGHT - 4
    out.append(f'<text x="{right}" y="{fy(0.2):.1f}" text-anchor="end" fill="{ACCENT}">threshold {threshold:g}</text>')
    out.append(f'<text x="{right}" y="{fy(0.2) + 14:.1f}" text-anchor="end" fill="{ACCENT}">P = {pt:.4f}</text>')
    out.append(f'<text x="{fx(mid) - 16:.1f}" y="{fy(0.5) + 4:.1f}" text-anchor="end" fill="{INK}" font-size="10">'
               f'P = 1/2 near {mid:.2f}</text>')
    out.append("</svg>")
    return "\n".join(out)
