"""What a run says on standard error: warnings, progress, verbose notes, and the one-line summary."""

from __future__ import annotations

import os
import sys
import time

from ..._core._words import number, plural  # noqa: F401  (the CLI's counts: one wording with the report)
from ._errors import UsageError

MAX_WARNINGS = 20  # then one line says how many more (all of them with -v)


class UI:
    """Messages on standard error: warnings, progress bar, verbose notes and the summary line."""

    def __init__(self, args):
        self.quiet = args.quiet
        self.verbose = args.verbose
        self.warnings = 0
        self.keep_workdir = bool(getattr(args, "keep_workdir", None))
        self.start = time.perf_counter()
        self.interactive = sys.stderr.isatty() and not self.quiet
        self.shows_progress = self.interactive or (bool(self.verbose) and not self.quiet)
        self.index_stats: dict | None = None  # Index.stats of the run's index, for the summary
        self._step: str | None = None  # the status line's step, which the compile progress follows
        self._shown = 0.0  # when the compile progress was last written
        self._progress = None  # a first run's _compile.Progress
        self.interpreted = False  # whether the kernels run interpreted (_core._interpret)

    def _write(self, msg: str) -> None:
        from tqdm import tqdm

        tqdm.write(msg, file=sys.stderr)  # keeps a running progress bar intact

    def warn(self, msg: str) -> None:
        self.warnings += 1
        if self.quiet:
            return
        if self.warnings <= MAX_WARNINGS or self.verbose:
            self._write(f"near-dups: warning: {msg}")
        elif self.warnings == MAX_WARNINGS + 1:
            self._write("near-dups: warning: more warnings follow; -v shows them all")

    def note(self, msg: str) -> None:
        if self.verbose and not self.quiet:
            self._write(f"near-dups: {msg} ({time.perf_counter() - self.start:.2f} s)")

    def status(self, msg: str | None) -> None:
        """A one-line status on a terminal for a step without a progress bar; None clears it."""
        self._step = msg
        if self.interactive:
            sys.stderr.write("\r\x1b[K" + (f"{msg}…" if msg else ""))
            sys.stderr.flush()

    def _compiling(self, msg: str) -> None:
        """The compile progress (``_compile.Progress``) on the status line, after the step's name; at most 10 a second."""
        now = time.perf_counter()
        if self.interactive and now - self._shown >= 0.1:
            self._shown = now
            sys.stderr.write("\r\x1b[K" + (f"{self._step}… " if self._step else "") + msg)
            sys.stderr.flush()

    def first_run(self, job: str | None = None, inputs=()):
        """On a first run (numba's cache lacks the job's kernels): on a small input (``_interpret.choose``) run them
        interpreted; else say so (a terminal, or -v) and show the compiling on a terminal. Either way a second
        process compiles ``job``'s kernels meanwhile (``_compile.start``). Returns what ``first_run_over`` ends,
        or None on later runs."""
        from ..._core import _compile, _interpret

        uncached = _compile.uncached(job)
        try:  # `near-dups warm` (no job) compiles, whatever is asked
            self.interpreted = job is not None and _interpret.choose(uncached, inputs)
        except ValueError as e:
            raise UsageError(str(e)) from None
        talk = (self.interactive or self.verbose) and not self.quiet
        if self.interpreted:
            context = _interpret.interpreted()
            context.__enter__()
            child = _compile.start(job, interpreted=True) if job and uncached else None
            if talk and child is not None:
                self._write("near-dups: first run on a small input: the kernels run interpreted while a second "
                            "process compiles them for the next runs (`near-dups warm` compiles them ahead of time)")
            return None, None, lambda: context.__exit__(None, None, None)
        if not (uncached or kernels_uncompiled()):
            return None
        if talk:
            self._write("near-dups: first run: compiling the kernels, once (later runs load them from numba's "
                        "cache in about a second; `near-dups warm` compiles them ahead of time)")
        child = _compile.start(job) if job else None
        self._progress = _compile.Progress(_compile.count(job), self._compiling, child is not None)
        return child, self._progress, _compile.listen(self._progress)

    def first_run_over(self, first) -> None:
        """Stop the second process (what it cached stays; an interpreted run's goes on), stop listening, and say
        what was compiled here (-v)."""
        if first is None:
            return
        from ..._core import _compile

        child, _, over = first
        _compile.stop(child)
        over()
        if self.interactive and not self.interpreted:
            sys.stderr.write("\r\x1b[K" + (f"{self._step}…" if self._step else ""))
            sys.stderr.flush()

    def progress(self, total: int, desc: str):
        from tqdm import tqdm

        return tqdm(total=total or None, desc=desc, unit="B", unit_scale=True, leave=False,
                    file=sys.stderr, disable=not self.shows_progress, dynamic_ncols=True)

    def stages(self, stats: dict) -> None:
        """Keep ``Index.stats`` of the run's index: the summary then says time per stage, peak memory, disk.
        Work directories of killed runs removed on the way are said now."""
        self.index_stats = stats
        self.swept(stats.get("swept") or ())

    def swept(self, dirs) -> None:
        """Say the work directories of killed runs that this run removed."""
        if not self.quiet:
            for d in dirs:
                self._write(f"near-dups: removed {d}, the work directory of a run that was killed")

    def _stages_line(self) -> str | None:
        """``near-dups: read, shingle + sketch 20.10 s, ...; peak memory 1.34 GiB; work files 5.10 GiB ...``: on a
        terminal, with -v, or whenever the run spilled to disk; None otherwise."""
        st = self.index_stats
        if st is None or not (self.interactive or self.verbose or st.get("spilled")):
            return None
        from ..._core._stats import peak_rss

        parts = ", ".join(f"{name} {sec:.2f} s" for name, sec in st["seconds"].items())
        line = f"near-dups: {parts}; peak memory {peak_rss() / 2**30:.2f} GiB"
        if st.get("spilled"):
            where = st.get("workdir")
            line += f"; work files {st.get('disk', 0) / 2**30:.2f} GiB" + (
                f", kept in {where}" if self.keep_workdir and where is not None else ", removed at the end")
        return line

    def summary(self, corpus, what: str) -> None:
        """The last line on standard error: what was read (if ``corpus``), what was done, how long."""
        if self.quiet:
            return
        p = self._progress
        if p is not None and p.start is not None:
            self.note(f"first run: compiled {plural(p.count, 'kernel')} in this process, in "
                      f"{time.perf_counter() - p.start:.1f} s" + (" (and others in a second one)" if p.helped else ""))
        if self.interpreted:
            self.note("the kernels ran interpreted (a first run on a small input, or NEAR_DUPS_INTERPRET=1)")
        line = self._stages_line()
        if line is not None:
            print(line, file=sys.stderr)
        read = ""
        if corpus is not None:
            skipped = f", {corpus.skipped} skipped" if corpus.skipped else ""
            read = f"{plural(len(corpus), 'document')}{skipped}, {corpus.nbytes / 1e6:.2f} MB, "
        print(f"near-dups: {read}{what}, {time.perf_counter() - self.start:.2f} s", file=sys.stderr)



def kernels_uncompiled(module: str = "_text/_shingle") -> bool:
    """Whether numba's cache holds no compiled kernel of ``dedup/<module>.py`` yet (the first run compiles them).

    Asks numba's own cache locators where the shingler's kernels are cached
    (``_compile.cache_folder``) and looks for their index files: one
    ``listdir``, without importing the kernels. Where the cache cannot be
    found, says False (no message rather than a wrong one).
    """
    from ..._core._compile import cache_folder

    folder = cache_folder(module)
    if folder is None:  # numba's cache internals moved: stay quiet
        return False
    name = os.path.basename(module)
    try:
        return not any(n.startswith(f"{name}.") and n.endswith(".nbi") for n in os.listdir(folder))
    except OSError:
        return False
