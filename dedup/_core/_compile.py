"""Compiling the kernels: ahead of time (``near-dups warm``), in a second process during a first run, and its progress.

numba compiles a kernel the first time a process calls it with new argument
types, then keeps it in its cache (``cache=True``); a later process loads it
in milliseconds. ``_kernel_list.KERNELS`` lists, for each job of the command
line, the kernels it calls from Python and their argument types, in the
order of a first run (recorded by ``python -m benchmarks.checkouts.compile_times
--record``). With it:

* ``compile_kernels`` fills the cache ahead of any run (``near-dups warm``);
* ``start`` has a second process compile a job's kernels from its end while
  this one runs it from its start, so a first run uses two cores to compile
  (numba holds the GIL while compiling: a thread would not run alongside).
  numba looks in its cache before it compiles a kernel, and writes cache
  files atomically, so whichever process comes first serves the other;
* ``Progress`` says on standard error what is being compiled, how many of
  the job's kernels so far, and for how long.

A listed kernel that no longer exists or no longer takes those types is
skipped: it is then compiled when the job calls it, as without the list.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import os
import subprocess
import sys
import tempfile
import threading
import time

from numba import types
from numba.core import event

#: ``NEAR_DUPS_COMPILE_CHILD=0`` turns off the second process of a first run.
CHILD_ENV = "NEAR_DUPS_COMPILE_CHILD"
#: Commands that call the kernels of a listed job: the report runs the overview's, adding to an index builds one.
ALIASES = {"report": "overview", "index add": "index build", "index filter": "index build"}


def parse(spec: str):
    """A numba type from its spelling in ``_kernel_list``: ``int64``, ``uint8[1C]``, ``uint8[1Cr]`` (read-only),
    ``class(uint16)``, ``(int64,int64)``."""
    if spec.startswith("class(") and spec.endswith(")"):
        return types.NumberClass(parse(spec[6:-1]))
    if spec.startswith("(") and spec.endswith(")"):
        inner = spec[1:-1]
        return types.Tuple(tuple(parse(s) for s in inner.split(",")) if inner else ())
    if spec.endswith("]"):
        dtype, rest = spec[:-1].split("[")
        return types.Array(parse(dtype), int(rest[0]), rest[1], readonly=rest.endswith("r"))
    if spec == "none":
        return types.none
    t = getattr(types, spec, None)
    if not isinstance(t, types.Type):
        raise ValueError(f"unknown numba type spelling {spec!r}")
    return t


def spell(t) -> str | None:
    """``parse``'s spelling of a numba type; None for a type it does not spell (the entry is then not listed)."""
    if isinstance(t, types.Array):
        return f"{spell(t.dtype)}[{t.ndim}{t.layout}{'' if t.mutable else 'r'}]"
    if isinstance(t, types.NumberClass):
        return f"class({spell(t.instance_type)})"
    if isinstance(t, types.BaseTuple) and not isinstance(t, types.NamedTuple):
        parts = [spell(x) for x in t]
        return None if None in parts else f"({','.join(parts)})"
    if isinstance(t, (types.Integer, types.Float, types.Boolean)) and not isinstance(t, types.Literal):
        return str(t)
    if t == types.none:
        return "none"
    return None


def kernels(jobs, every_width: bool = False) -> list[tuple[str, str, tuple]]:
    """``(module, name, argument spellings)`` of the jobs' kernels, in order, each once.

    ``every_width``: with those the jobs call on texts of the code-point
    widths the README's corpus lacks (``_kernel_list.WIDTHS``).
    """
    from ._kernel_list import KERNELS, WIDTHS

    seen = {}
    for listing in (KERNELS, WIDTHS) if every_width else (KERNELS,):
        for job in (ALIASES.get(j, j) for j in jobs):
            for entry in listing.get(job, ()):
                seen.setdefault(entry, None)
    return list(seen)


def count(job: str | None) -> int:
    """How many kernels of ``dedup`` a first run of ``job`` compiles (on the README's corpus); 0 if not listed."""
    from ._kernel_list import COUNTS

    return COUNTS.get(ALIASES.get(job, job), 0) if job else 0


def compile_kernels(entries, on_each=None) -> int:
    """Compile (or load from numba's cache) every ``(module, name, argument spellings)``; return how many.

    ``on_each(k, n, name)`` is called before each. A stale entry is skipped.
    """
    done = 0
    for k, (module, name, args) in enumerate(entries):
        if on_each is not None:
            on_each(k, len(entries), f"{module.rsplit('.', 1)[-1]}.{name}")
        try:
            kernel = getattr(importlib.import_module(module), name)
            if getattr(kernel, "_can_compile", True):  # a kernel fixed to its signature (_types.fixed) is done
                kernel.compile(tuple(parse(a) for a in args))
            done += 1
        except Exception:  # stale entry: the job compiles what it calls, as without the list
            continue
    return done


# ---------------------------------------------------------------- the second process of a first run
#: The jobs whose kernels the second process of an interpreted run compiles too (the overview finds passages).
ALSO = {"overview": ("passages",)}
#: The last second process started here (the compile benchmark waits for it).
last_child: subprocess.Popen | None = None


def start(job: str, interpreted: bool = False) -> subprocess.Popen | None:
    """Start compiling ``job``'s kernels in a second process; None where there is nothing to do.

    Only with more than one core, and unless ``NEAR_DUPS_COMPILE_CHILD=0``;
    the caller knows it is a first run (``uncached``). While this process
    compiles, the second one takes the kernels from the last, and stops with
    the run (``stop``). When this process runs them interpreted
    (``_interpret``), the second one compiles from the first and outlives the
    run, in its own session, so that the next run finds them cached; one such
    process compiles at a time (the others wait for it, then load most of
    what they list from the cache).
    """
    if os.environ.get(CHILD_ENV) == "0" or (os.cpu_count() or 1) < 2 or not kernels([job]):
        return None
    if interpreted:
        return spawn([job, *ALSO.get(ALIASES.get(job, job), ())], forward=True)
    return spawn([job])


def spawn(jobs, every_width: bool = False, forward: bool = False) -> subprocess.Popen | None:
    """A process compiling ``kernels(jobs, every_width)``, the last first (None if it cannot start).

    ``forward``: from the first, after any other such process (a lock), in
    a session of its own (it outlives the run and the terminal's signals).
    """
    global last_child
    code = f"import dedup._core._compile as c; c.child({list(jobs)!r}, {every_width!r}, {forward!r})"
    try:
        last_child = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, env=dict(os.environ, NUMBA_NUM_THREADS="1"),
                                      start_new_session=forward)
    except OSError:
        return None
    return last_child


def stop(proc: subprocess.Popen | None) -> None:
    """Stop the second process (the job is over, or failed: what it has cached stays)."""
    if proc is not None and proc.poll() is None:
        proc.kill()
        proc.wait()


def child(jobs, every_width: bool = False, forward: bool = False) -> None:
    """In the second process: compile the jobs' kernels, the last first (``forward``: the first first, one such
    process at a time), at a lower priority.

    On an idle core it runs at full speed; on a busy machine it takes what
    the run's own process leaves (at the same priority, it took half of the
    run's share: cold `find` 28.7 s against 26.7 s without it, load 3).
    """
    try:
        os.nice(10)
    except (AttributeError, OSError):  # no nice (Windows), or not allowed: compile at the same priority
        pass
    entries = kernels(jobs, every_width)
    if not forward:
        compile_kernels(list(reversed(entries)))
        return
    with _one_at_a_time():
        compile_kernels(entries)


@contextlib.contextmanager
def _one_at_a_time():
    """An exclusive lock per numba cache, held while compiling (none where ``fcntl`` is missing: Windows)."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    where = hashlib.sha256(str(cache_folder()).encode()).hexdigest()[:16]
    path = os.path.join(tempfile.gettempdir(), f"near-dups-compile-{os.getuid()}-{where}.lock")
    try:
        f = open(path, "a")
    except OSError:
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def uncached(job: str | None) -> bool:
    """Whether numba's cache lacks some of ``job``'s listed kernels (no index file for it yet); False for a job
    without a list, or where the cache cannot be found.

    Imports the listed modules (not numba's compiler), one ``listdir`` per
    module; a kernel cached for other argument types (another code-point
    width) counts as cached.
    """
    entries = kernels([job]) if job else []
    folders: dict = {}
    for module, name, _ in entries:
        if module not in folders:
            folder = cache_folder(module.split(".", 1)[1].replace(".", "/"))
            try:
                folders[module] = set(os.listdir(folder)) if folder is not None else None
            except OSError:
                folders[module] = set()
        files = folders[module]
        if files is None:  # numba's cache internals moved: say cached (compile, as before)
            return False
        try:  # numba names the files after the function's own name (``_fill_serial`` is ``_fill_run_pairs``)
            kernel = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):  # stale entry
            continue
        stem = f"{module.rsplit('.', 1)[1]}.{getattr(kernel, 'py_func', kernel).__qualname__}-"
        if not any(f.startswith(stem) and f.endswith(".nbi") for f in files):
            return True
    return False


def cache_folder(module: str = "_text/_shingle") -> str | None:
    """Where numba caches the kernels of ``dedup/<module>.py`` (its own locators decide), or None if unknown."""
    try:
        from numba.core import caching

        source = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), f"{module}.py")

        def probe():  # stands for a kernel of the module: locators read only its line number
            pass

        for locator_class in caching.CacheImpl._locator_classes:
            locator = locator_class.from_function(probe, source)
            if locator is not None:
                return locator.get_cache_path()
    except Exception:  # numba's cache internals moved
        return None
    return None


# ---------------------------------------------------------------- what a first run says
class Progress(event.Listener):
    """``near-dups: compiling the kernels (first run): 12 of 40, _fold._walk, 9 s`` on standard error, kept current.

    Listens to numba's own compile events (``numba:compile``), counting the
    kernels of ``dedup`` compiled here; ``total`` is how many the job
    compiles on a first run alone (``_kernel_list.COUNTS``; the second
    process compiles some of them, so the count may end below it).
    """

    def __init__(self, total: int, write, helped: bool = False):
        self.total, self.write, self.helped = total, write, helped
        self.count = 0
        self.start = None
        self.name = ""
        self._lock = threading.Lock()

    def on_start(self, event):
        fn = event.data["dispatcher"].py_func
        with self._lock:
            if fn.__module__.startswith("dedup."):
                if self.start is None:
                    self.start = time.perf_counter()
                self.count += 1
                self.name = f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}"
            self._show()

    def on_end(self, event):
        with self._lock:
            self._show()

    def _show(self):
        """The line (numba's own overloads compiled inside a kernel only move the time on)."""
        if self.start is not None:
            of = f" of {max(self.total, self.count)}" if self.total else ""
            self.write(f"near-dups: compiling the kernels (first run): {self.count}{of}, {self.name}, "
                       f"{time.perf_counter() - self.start:.0f} s")


def listen(progress: Progress):
    """Install ``progress`` as a listener of numba's compile events; returns the function that removes it."""
    event.register("numba:compile", progress)
    return lambda: event.unregister("numba:compile", progress)
