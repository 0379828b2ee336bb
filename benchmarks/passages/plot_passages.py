"""Plot recall against edit rate, one line per passage length, from ``passages_report.py --json``.

    python -m benchmarks.passages.plot_passages benchmarks/results/passages/passages_planted.json --png benchmarks/results/passages/passages_recall.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.harness.passages_planted import LENGTH_BINS


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("report")
    ap.add_argument("--png", required=True)
    args = ap.parse_args(argv)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    report = json.loads(Path(args.report).read_text())
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
    cells = report["runs"]["near-dups"]["cells"]
    rates = sorted({float(k.split("|")[0]) for k in cells})
    for lo, hi in LENGTH_BINS:
        key = f"{lo}-{hi - 1}"
        xs, ys = [], []
        for r in rates:
            hit, tot = cells.get(f"{r:.2f}|{key}", (0, 0))
            if tot:
                xs.append(100 * r)
                ys.append(hit / tot)
        axes[0].plot(xs, ys, marker="o", label=f"{key} words")
    axes[0].set_title("near-dups: recall by passage length")
    for name, run in report["runs"].items():
        c = run["cells"]
        xs, ys = [], []
        for r in rates:
            hit = sum(v[0] for k, v in c.items() if float(k.split("|")[0]) == r and int(k.split("|")[1].split("-")[0]) >= 30)
            tot = sum(v[1] for k, v in c.items() if float(k.split("|")[0]) == r and int(k.split("|")[1].split("-")[0]) >= 30)
            if tot:
                xs.append(100 * r)
                ys.append(hit / tot)
        axes[1].plot(xs, ys, marker="o", label=f"{name} ({run['wall']:.1f} s)")
    axes[1].set_title("passages of 30+ words, every contender")
    for ax in axes:
        ax.set_xlabel("word edits (%)")
        ax.axhline(0.95, color="grey", lw=0.5, ls="--")
        ax.axhline(0.80, color="grey", lw=0.5, ls=":")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="lower left")
    axes[0].set_ylabel("recall (planted source-copy pairs found)")
    fig.suptitle(f"planted reuse: {report['docs']:,} documents, {report['copies']:,} copies "
                 f"({report['mb']:.0f} MB)", fontsize=10)
    fig.tight_layout()
    fig.savefig(args.png, dpi=110)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
