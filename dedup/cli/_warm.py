"""``near-dups warm``: compile every kernel the commands use into numba's cache, ahead of any run."""

from __future__ import annotations

import sys
import time

from ._command import Command
from ._common import INDEX_OPTIONS, SPILL_OPTIONS
from ._io._ui import plural

#: The jobs ``--job`` names (the commands whose kernels are listed, ``_core._kernel_list``).
JOBS = ("overview", "find", "dedup", "blocks", "collapse", "passages", "index build")


def warm_arguments(p) -> None:
    p.add_argument("--job", action="append", choices=JOBS, metavar="JOB",
                   help=f"compile only the kernels of this command (repeatable; one of: {', '.join(JOBS)}); "
                        "default: every command's")


def run_warm(args, ui) -> int:
    """Compile the kernels (two processes on two cores or more), then say how many and where they are cached."""
    from .._core import _compile

    jobs = args.job or JOBS
    entries = _compile.kernels(jobs, every_width=True)
    start = time.perf_counter()
    helper = _compile.spawn(jobs, every_width=True)  # the list from its end, while this process takes it from its start

    def each(k, n, name):
        ui.status(f"compiling kernel {k + 1} of {n} ({name}), {time.perf_counter() - start:.0f} s")

    try:
        done = _compile.compile_kernels(entries, each)
    finally:
        _compile.stop(helper)
        ui.status(None)
    if not ui.quiet:
        from numba import config

        where = config.CACHE_DIR or f"beside each module (such as {_compile.cache_folder()})"
        print(f"near-dups: {plural(done, 'kernel')} of {', '.join(jobs)} compiled or loaded, in numba's cache "
              f"{where}, {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return 0


WARM = Command(
    name="warm", arguments=warm_arguments, run=run_warm, reads_inputs=False,
    ignores=(*INDEX_OPTIONS, "unit", "id_field", "encoding", "jobs", *SPILL_OPTIONS),
    help="compile the kernels into numba's cache ahead of time (for images and workers)",
    description="Compile every kernel the commands use into numba's cache, so that no later run compiles: the "
                "first run of a command then takes seconds, not a minute. Run it once where near-dups is "
                "installed (a Docker image, each Dask worker's environment).",
    usage="[--job JOB]...",
    examples=("near-dups warm", "near-dups warm --job find --job blocks"),
    notes="""\
numba keeps compiled kernels in its cache: in NUMBA_CACHE_DIR if set, else
in __pycache__ beside the installed package if writable, else in the user's
cache folder (~/.cache/numba). An entry is valid as long as the source file's
content and numba's version are the same, so a reinstall of the same version
at the same path keeps it. For a Docker image, set NUMBA_CACHE_DIR in the
image and warm it at build time:

  ENV NUMBA_CACHE_DIR=/opt/near-dups-cache
  RUN near-dups warm

Dask workers: build their image so, or give them the same NUMBA_CACHE_DIR
on a shared disk warmed once. A first run without a warmed cache compiles
what it needs, a second process compiling the later steps' kernels meanwhile
(NEAR_DUPS_COMPILE_CHILD=0 turns that off); on input files of at most 1 MB
it runs the kernels interpreted instead while that process compiles them
for the next runs (NEAR_DUPS_INTERPRET=1 or 0 forces either).""")
