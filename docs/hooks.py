"""MkDocs hooks (``hooks:`` in mkdocs.yml): pages and files made when the site is built, never written by hand.

* ``reference/cli.md``: the command-line reference, generated from the
  parsers ``dedup/cli/_table.py`` builds (``dedup.cli._reference.markdown``).
* ``assets/results/...``: the benchmark plots, from ``benchmarks/results/``
  where the benchmarks write them, so the site shows the committed records.
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
#: Plots under benchmarks/results/ that the benchmark pages show, at assets/results/<same path>.
PLOTS = ("ladder/ladder.png", "passages/passages_recall.png")


def on_files(files, config):
    from mkdocs.structure.files import File

    if str(ROOT) not in sys.path:  # the checkout's dedup, installed or not
        sys.path.insert(0, str(ROOT))
    from dedup.cli._reference import markdown

    files.append(File.generated(config, "reference/cli.md", content=markdown()))
    for plot in PLOTS:
        files.append(File.generated(config, f"assets/results/{plot}",
                                    abs_src_path=str(ROOT / "benchmarks" / "results" / plot)))
    return files
