"""``near-dups report PATH... -o report.html``: the overview's run, written as one self-contained HTML page.

The corpus is read and analysed as the overview does (``_overview.analyse``:
one index, one analysis of the blocks for collapse and blocks, the shared
passages); the page is ``dedup._report._page``'s, built from those results and
the run's own timings, so the page and ``near-dups PATH... --format json``
count the same things.
"""

from __future__ import annotations

import os
import time

from . import _overview
from ._command import Command, PathArg
from ._common import read
from ._io._errors import EXIT_FOUND, EXIT_OK, InputError
from ._io._ui import plural


def report_arguments(p) -> None:
    _overview.arguments(p)
    p.add_argument("-o", "--output", metavar="FILE", required=True, help="the HTML file to write (atomically)")
    p.add_argument("--title", metavar="TEXT", help="the page's title (default: near-dups report)")


def run_report(args, ui) -> int:
    from .._report import _page

    if os.path.isdir(args.output):
        raise InputError(f"-o {args.output}: is a folder; name the HTML file to write")
    with read(args, ui, args.paths) as corpus:
        times = {"read": time.perf_counter() - ui.start}
        res = _overview.analyse(args, ui, corpus)
        times.update(res.times)
        ui.status("writing the report")
        t = time.perf_counter()
        data, hist = _page.build(corpus.ids, corpus.texts, index=res.index, collapsed=res.collapsed,
                                 groups=res.groups, passages=res.passages, times=times,
                                 collapse_config=args.config.collapse, limits=_page.Limits(), title=args.title)
        data["times"]["report"] = time.perf_counter() - t  # building the page's data; rendering and writing follow
        data["times"]["total"] = time.perf_counter() - ui.start
        data["times"] = {k: round(v, 3) for k, v in data["times"].items()}
        try:
            path = _page.write(_page.render(data, hist), args.output)
        except ValueError as e:  # its folder does not exist
            raise InputError(f"-o {args.output}: {e}") from None
        finally:
            ui.status(None)
        c = data["counts"]
        said = [plural(c["clusters"], "cluster"), plural(c["removals"], "removal"),
                _listed(c, "passages", "passage group")]
        if _total(c, "groups") > c["shown"]["groups"]:  # the blocks are in the summary where their list is capped
            said.append(_listed(c, "groups", "repeated block"))
        ui.summary(corpus, f"{', '.join(said)}; report written to {args.output} ({path.stat().st_size / 1e6:.2f} MB)")
    anything = c["clusters"] or c["removals"] or c["passages"]
    return EXIT_FOUND if args.fail_on_duplicates and anything else EXIT_OK


def _total(counts: dict, key: str) -> int:
    total = counts[key]
    return sum(total.values()) if isinstance(total, dict) else total  # blocks are counted by kind


def _listed(counts: dict, key: str, word: str) -> str:
    """``2,378 passage groups``, with ``(2,000 of 2,378 on the page)`` where the page lists fewer."""
    total, shown = _total(counts, key), counts["shown"][key]
    return plural(total, word) + (f" ({shown:,} of {total:,} on the page)" if shown < total else "")


REPORT = Command(
    name="report", arguments=report_arguments, run=run_report, configure=_overview.configure,
    help="write one self-contained HTML page to review every cluster, removal and shared passage",
    description="Write one HTML file to review what the overview finds: summary figures and settings, the "
                "similarity histogram and the LSH S-curve, every cluster with word diffs, repeated blocks with "
                "their occurrences, each document with its removed spans struck through, shared passages, and a "
                "search box. It needs no server and no network.",
    usage="PATH... -o FILE",
    examples=("near-dups report corpus/ -o report.html",
              "near-dups report crawl.jsonl.gz -o crawl.html --threshold 0.7 --title 'June crawl'"),
    notes="""\
The options are the overview's (`near-dups overview --help`). Every count is
complete, but on a large corpus the page lists only so much, and says how
much of all it lists ("2,000 of 2,378") wherever it shows the number:
  full texts        4,000,000 characters (cluster members first, then the
                    documents that lost the most text); the other documents
                    listed show an 80-character excerpt (every cluster
                    member, the first 10,000 documents with removals)
  repeated blocks   the 2,000 with the most occurrences; 100,000 occurrences
                    in all, at most 200 of each block
  shared passages   the 2,000 groups with the most occurrences
  verified pairs    the best 100 of each cluster (every member is listed)
These are dedup.report's limits (max_text_chars, max_groups,
max_occurrences); `near-dups blocks` and `near-dups passages` list them all.""",
    paths=(PathArg("paths", "read"), PathArg("output", "write", "-o")))
