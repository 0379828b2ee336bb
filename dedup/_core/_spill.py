"""A memory budget, and arrays that grow in RAM until it is reached, then on disk.

``Budget`` counts the bytes the growing arrays of one run hold in RAM. While
they fit in its ``ram`` limit, everything stays in memory, as fast as ever.
Once a run outgrows it, every ``Spool`` moves to a ``.npy`` file in a work
directory and further chunks are appended there; ``Spool.finish`` then gives
the array memory-mapped, read-only. The work directory is made on first
need (next to where the caller says, default the system's temporary folder)
and removed by ``Budget.close`` unless it is to be kept.

A spool file is a valid ``.npy`` file from the start: a fixed 128-byte
header, rewritten with the final shape by ``finish``, so a saved index can
take the file as it is (``os.link``) instead of copying it.
"""

from __future__ import annotations

import mmap
import os
import pathlib
import re
import shutil
import socket
import tempfile
import threading
from collections import deque

import numpy as np

from . import _pool

#: Bytes of the ``.npy`` header of a spool file (format 1.0, padded with spaces).
HEADER = 128
#: Bytes a spool's appends on disk may lag behind (``_Writer``).
BEHIND = 64 << 20
#: Seconds the writer's thread waits for more before it ends (a budget left open keeps no thread).
IDLE = 1.0
#: Prefix of every work directory, and the file in it naming the process that owns it.
PREFIX = "near-dups-work-"
OWNER = "OWNER"

_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
          "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30, "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}


def parse_size(value, name: str = "memory") -> int:
    """Bytes of ``value``: an int, or a string such as ``"2GB"``, ``"1.5G"``, ``"512M"`` (powers of 1024)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a size such as '2GB' or a number of bytes, got {value!r}")
    if isinstance(value, (int, np.integer)):
        n = int(value)
    elif isinstance(value, str):
        m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([A-Za-z]*)\s*", value)
        unit = m.group(2).upper() if m else None
        if m is None or unit not in _UNITS:
            raise ValueError(f"{name} must be a size such as '2GB', '1.5G' or '512MB', got {value!r}")
        n = int(float(m.group(1)) * _UNITS[unit])
    else:
        raise TypeError(f"{name} must be a size such as '2GB' or a number of bytes, got {type(value).__name__}")
    if n <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return n


def available_memory() -> int:
    """Bytes of RAM available now (``MemAvailable`` on Linux), or 4 GiB where that cannot be read."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 4 << 30


def default_memory() -> int:
    """The budget when none is given: half the RAM available now, at least 256 MiB."""
    return max(256 << 20, available_memory() // 2)


def is_mapped(arr) -> bool:
    """Whether ``arr`` is (a view of) a memory-mapped array."""
    x = arr
    while x is not None:
        if getattr(x, "_mmap", None) is not None:
            return True
        x = getattr(x, "base", None)
    return False


def advise(arr, how: str) -> None:
    """Tell the kernel how a memory-mapped array is used: ``"random"`` (no read-ahead: a row read
    maps that row, not the megabyte around it) or ``"done"`` (unmap its pages, which stay in the
    page cache). A no-op for arrays in RAM or where ``madvise`` is missing."""
    m, x = None, arr
    while m is None and x is not None:  # a view of a view of a memmap: follow the bases
        m, x = getattr(x, "_mmap", None), getattr(x, "base", None)
    flag = {"random": getattr(mmap, "MADV_RANDOM", None), "done": getattr(mmap, "MADV_DONTNEED", None)}[how]
    if m is None or flag is None or not hasattr(m, "madvise"):
        return
    try:
        m.madvise(flag)
    except (OSError, ValueError):
        pass


def gather_rows(indptr, values, rows: np.ndarray):
    """The CSR rows ``rows`` (sorted unique) of a memory-mapped ``values``, read with ``pread`` (of an
    array in RAM, taken from it).

    Reading through the mapping would map the page-cache folio around every
    row touched (256 KB a row measured here), so a few thousand random rows
    showed up as gigabytes of resident memory; reads into one array cost only
    the rows. Adjacent rows are read together. Returns ``(indptr, values)``
    of the gathered rows, in RAM.
    """
    starts = np.asarray(indptr[rows], dtype=np.int64)
    ends = np.asarray(indptr[rows + 1], dtype=np.int64)
    sizes = ends - starts
    ptr = np.zeros(rows.shape[0] + 1, dtype=np.int64)
    np.cumsum(sizes, out=ptr[1:])
    out = np.empty(int(ptr[-1]), dtype=values.dtype)
    if out.shape[0] == 0:
        return ptr, out
    # One read per run of rows less than GAP bytes apart in the file: the
    # gaps are read and dropped, which costs less than a separate read per
    # row once rows are dense (a tenth of the documents, at 10M of them).
    item = values.dtype.itemsize
    brk = np.flatnonzero((starts[1:] - ends[:-1]) * item > GAP) + 1
    first = np.concatenate([[0], brk])
    last = np.concatenate([brk, [rows.shape[0]]])
    try:
        f = open(values.filename, "rb", buffering=0)
    except (AttributeError, TypeError, FileNotFoundError):
        # in RAM, or a file replaced since (a save deleted its generation): through the array (or its mapping)
        out[:] = np.asarray(values)[np.repeat(starts - ptr[:-1], sizes) + np.arange(int(ptr[-1]))]
        return ptr, out
    with f:
        fd = f.fileno()
        for a, b in zip(first.tolist(), last.tolist()):
            lo, hi = int(starts[a]), int(ends[b - 1])
            block = np.empty(hi - lo, dtype=values.dtype)
            read_at(fd, block, values.offset + lo * item, values.filename)
            _place(block, starts[a:b] - lo, ends[a:b] - lo, out, ptr[a:b])
    return ptr, out


def read_at(fd: int, out: np.ndarray, offset: int, name) -> None:
    """Fill ``out`` (contiguous) with the bytes of file ``fd`` from ``offset`` (``pread`` until full; ``name``
    for the error of a file shorter than that)."""
    view = memoryview(out).cast("B")
    done = 0
    while done < view.nbytes:
        got = os.preadv(fd, [view[done:]], offset + done)
        if got <= 0:
            raise OSError(f"{name}: short read")
        done += got


#: Rows closer than this in a spill file are read in one ``pread``, gap included.
GAP = 64 << 10


def _place(block, starts, ends, out, at):
    """Copy ``block[starts[k]:ends[k]]`` to ``out[at[k]:]`` for every row ``k`` of one read."""
    if starts.shape[0] == 1:
        out[at[0] : at[0] + ends[0] - starts[0]] = block[starts[0] : ends[0]]
        return
    sizes = ends - starts
    idx = np.repeat(starts - np.concatenate([[0], np.cumsum(sizes)[:-1]]), sizes) + np.arange(int(sizes.sum()))
    out[at[0] : at[0] + idx.shape[0]] = block[idx]


class Budget:
    """How many bytes the growing arrays of one run may hold in RAM, and where they go beyond that.

    Its state (``spilled``, the arrays mapped from its work directory) is
    changed only by its own methods and its spools.

    Parameters
    ----------
    ram : int, bytes.
    workdir : folder in which the run's own work directory is made (default: the system's temporary folder).
    keep : leave the work directory in place at ``close`` (to inspect it).
    """

    def __init__(self, ram: int, workdir=None, keep: bool = False):
        self.swept: list[pathlib.Path] = []  # work directories of killed runs removed on the way
        self.ram = int(ram)
        self.parent = workdir
        self.keep = keep
        self.held = 0
        self.spilled = False
        self.spools: list[Spool] = []
        self.mapped: list = []  # arrays mapped from the work directory
        self.path: pathlib.Path | None = None
        self.writer = _Writer()  # the spools' appends once on disk

    def directory(self) -> pathlib.Path:
        """The run's work directory, made on first need; work directories that killed runs left there are
        removed first (``sweep``)."""
        if self.path is None:
            parent = self.parent if self.parent is not None else tempfile.gettempdir()
            os.makedirs(parent, exist_ok=True)
            self.swept = sweep(parent)
            self.path = pathlib.Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
            me = _owner()
            if me is not None:
                (self.path / OWNER).write_text(me, encoding="ascii")
        return self.path

    def take(self, nbytes: int) -> None:
        """Account ``nbytes`` more in RAM; past half the limit, move every spool to disk.

        The other half is for the work itself: a chunk's shingling scratch,
        the per-document arrays of the later stages, a band being sorted.
        """
        self.held += nbytes
        if not self.spilled and self.held > self.ram // 2:
            self.spilled = True
            for s in self.spools:
                s.to_disk()

    def fits(self, nbytes: int) -> bool:
        """Whether ``nbytes`` more of arrays in RAM keep what the spools hold in RAM within half the limit: a
        stage's output that may then stay in RAM rather than go to a work file (once every spool went to
        disk, they hold none)."""
        return self.held + nbytes <= self.ram // 2

    def file(self, name: str) -> pathlib.Path:
        """The path of ``name.npy`` in the work directory."""
        return self.directory() / f"{name}.npy"

    def map(self, name: str) -> np.ndarray:
        """The array of ``name.npy`` in the work directory, memory-mapped read-only; ``unmap`` drops its pages."""
        arr = np.load(self.file(name), mmap_mode="r")
        self.mapped.append(arr)
        return arr

    def stack(self, name: str, spools: list, length: int, dtype) -> np.ndarray:
        """The spools (each ``length`` long) as the rows of one 2-d array: stacked in RAM, or, once the budget
        has spilled, their files joined behind one header as ``name.npy`` and memory-mapped.

        The files are copied file to file, then removed: nothing is mapped
        while copying, so none of it counts as this process's memory (writing
        through a memory map held every page written, 1.7 GB at 10M documents).
        """
        rows = [s.finish() for s in spools]
        if not self.spilled:
            return np.stack(rows) if rows else np.zeros((0, length), dtype)
        with open(self.file(name), "wb") as out:
            out.write(npy_header(np.dtype(dtype), (len(spools), length)))
            for s in spools:
                with open(s.path, "rb") as src:
                    _copy_rest(src, out)
                os.unlink(s.path)
        self.mapped = [a for a in self.mapped if not any(a is x for x in rows)]
        del rows
        return self.map(name)

    def unmap(self) -> None:
        """Drop the pages of every mapped array from this process (they stay in the page cache):
        called between stages, so pages a stage read do not pile up in its resident memory."""
        for arr in self.mapped:
            advise(arr, "done")

    def disk_bytes(self) -> int:
        if self.path is None or not self.path.exists():
            return 0
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def close(self) -> None:
        """Remove the work directory (unless ``keep``: then it is disowned, so no later run sweeps it);
        arrays mapped from it stay readable until dropped."""
        self.writer.close()
        if self.path is not None and not self.keep:
            shutil.rmtree(self.path, ignore_errors=True)
            self.path = None
        elif self.path is not None:
            (self.path / OWNER).unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Writer:
    """Writes to files on a thread of their own, in the order they were handed over: a spooled chunk is copied
    into the page cache while the next one is worked out (the copy costs about a second a GB, on the thread
    that would otherwise wait for it). Appends may lag at most ``BEHIND`` bytes; the chunks a spool held in RAM
    when the budget spilled are queued without waiting (they are in RAM either way). The first error a write
    meets is raised by the next ``write`` or ``drain``; later writes are dropped."""

    def __init__(self):
        self.queue: deque = deque()  # (file, bytes, whether they count in the lag)
        self.lag = 0  # bytes of appends queued, not yet written
        self.error: BaseException | None = None
        self.cv = threading.Condition()
        self.thread: threading.Thread | None = None
        self.stop = False

    def write(self, f, arr: np.ndarray, held: bool = False) -> None:
        """Append the bytes of ``arr`` (contiguous, not changed afterwards) to the open file ``f``: at once if
        ``held`` (an array already in RAM), else once the appends are at most ``BEHIND`` bytes behind."""
        buf = _bytes(arr)
        with self.cv:
            while not held and self.lag > BEHIND and self.error is None:
                self.cv.wait()
            self._raise()
            self.queue.append((f, buf, not held))
            self.lag += 0 if held else buf.nbytes
            if self.thread is None:
                self.stop = False
                self.thread = threading.Thread(target=self._run, name="near-dups-spill", daemon=True)
                self.thread.start()
            self.cv.notify_all()

    def drain(self) -> None:
        """Wait until every write handed over is done; raise the first error one met."""
        with self.cv:
            while self.queue and self.error is None:
                self.cv.wait()
            self._raise()

    def _raise(self) -> None:
        if self.error is not None:
            e, self.error = self.error, None
            self._drop()
            raise e

    def _drop(self) -> None:
        """Forget every queued write (under ``cv``)."""
        self.queue.clear()
        self.lag = 0

    def _run(self) -> None:
        while True:
            with self.cv:
                while not self.queue and not self.stop:
                    if not self.cv.wait(IDLE) and not self.queue:  # idle: the next write starts another
                        self.thread = None
                        return
                if not self.queue:
                    return
                item = self.queue[0]
            try:
                _write(item[0], item[1])
            except BaseException as e:  # raised on the caller's thread
                with self.cv:
                    self.error = e
                    self._drop()
                    self.cv.notify_all()
                continue
            with self.cv:
                if self.queue and self.queue[0] is item:
                    self.queue.popleft()
                    self.lag -= item[1].nbytes if item[2] else 0
                self.cv.notify_all()

    def close(self) -> None:
        """Drop the writes not yet begun, and stop the thread after the one under way; errors are not raised.
        (Every spool's ``finish`` has waited for its writes; a run that ends before them is removing its work
        files.)"""
        with self.cv:
            while len(self.queue) > 1:  # the first may be under way
                self.queue.pop()
            self.stop = True
            self.cv.notify_all()
            thread, self.thread = self.thread, None
        if thread is not None:
            thread.join()
        with self.cv:
            self._drop()
            self.error = None


def _write(f, buf) -> None:
    """One write of ``_Writer``'s thread (a test makes it fail as a full disk does)."""
    f.write(buf)


def _started(pid: int) -> str | None:
    """When process ``pid`` started (clock ticks since boot, ``/proc/PID/stat``), or None if it is not running
    or that cannot be read. With the pid it names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError, ValueError):
        return None


def _owner(pid: int | None = None) -> str | None:
    """``host pid start`` of this process (or ``pid``), what a work directory's OWNER file holds; None where
    the start time cannot be read (not Linux): such directories are never swept."""
    pid = os.getpid() if pid is None else pid
    start = _started(pid)
    return None if start is None else f"{socket.gethostname()} {pid} {start}"


def sweep(parent) -> list[pathlib.Path]:
    """Remove the work directories in ``parent`` whose owner was killed, and return them.

    A run that is killed cannot remove its work directory; the next run in
    the same place does. A directory is removed only if its OWNER file names
    this host and a process that is no longer running (pid and start time,
    so a reused pid is not mistaken for it). Directories without an OWNER
    file are never touched: those kept on purpose (``keep_workdir``), those
    of other hosts, anything not made by near-dups. Files of a saved index
    that were linked from a work directory stay with the index.
    """
    if _owner() is None:
        return []
    host = socket.gethostname()
    removed = []
    for d in sorted(pathlib.Path(parent).glob(PREFIX + "*")):
        try:
            who = (d / OWNER).read_text(encoding="ascii").split()
        except (OSError, UnicodeDecodeError):
            continue
        if len(who) != 3 or who[0] != host or not who[1].isdigit() or _started(int(who[1])) == who[2]:
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def npy_header(dtype: np.dtype, shape: tuple) -> bytes:
    d = repr({"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape})
    body = b"\x93NUMPY\x01\x00" + (HEADER - 10).to_bytes(2, "little") + d.encode("latin1")
    if len(body) >= HEADER:
        raise ValueError(f"shape {shape} does not fit a {HEADER}-byte .npy header")
    return body + b" " * (HEADER - 1 - len(body)) + b"\n"


def _bytes(a: np.ndarray) -> memoryview:
    """A contiguous array's bytes to write, without the copy ``tobytes`` makes (and its fresh pages)."""
    return memoryview(a.reshape(-1).view(np.uint8))


def _copy_rest(src, out) -> None:
    """Copy ``src`` past its ``.npy`` header to the end of ``out``: in the kernel (``copy_file_range``) where
    the system has it, else through a buffer."""
    size = os.fstat(src.fileno()).st_size - HEADER
    out.flush()
    at = out.tell()
    copy = getattr(os, "copy_file_range", None)
    if copy is not None:
        try:
            done = 0
            while done < size:
                got = copy(src.fileno(), out.fileno(), size - done, HEADER + done, at + done)
                if got == 0:
                    break
                done += got
            if done == size:
                out.seek(at + size)
                return
        except OSError:
            pass
        out.seek(at)  # what was copied, if any, is written again
        out.truncate()
    src.seek(HEADER)
    shutil.copyfileobj(src, out, 1 << 24)


class Spool:
    """An append-only 1-d array: chunks in RAM, or a ``.npy`` file once the budget spills."""

    def __init__(self, budget: Budget, name: str, dtype):
        self.budget = budget
        self.name = name
        self.dtype = np.dtype(dtype)
        self.chunks: list[np.ndarray] = []
        self.size = 0
        self.file = None
        self.path: pathlib.Path | None = None
        self.held = 0  # bytes of ``chunks``, counted in the budget
        budget.spools.append(self)
        if budget.spilled:
            self.to_disk()

    def append(self, chunk) -> None:
        chunk = np.ascontiguousarray(chunk, dtype=self.dtype)
        self.size += chunk.shape[0]
        if self.file is not None:
            self.budget.writer.write(self.file, chunk)
            return
        self.chunks.append(chunk.copy() if chunk.base is not None else chunk)
        self.held += chunk.nbytes
        self.budget.take(chunk.nbytes)

    def to_disk(self) -> None:
        if self.file is not None:
            return
        self.path = self.budget.file(self.name)
        self.file = open(self.path, "wb")
        self.file.write(npy_header(self.dtype, (0,)))
        for c in self.chunks:
            self.budget.writer.write(self.file, c, held=True)
        self.chunks = []
        self.budget.held -= self.held
        self.held = 0

    def finish(self) -> np.ndarray:
        """The whole array: in RAM, or memory-mapped read-only from its file."""
        if self.file is None and self.path is None:
            if not self.chunks:
                return np.zeros(0, dtype=self.dtype)
            if len(self.chunks) == 1:
                return self.chunks[0]
            # Into kept memory (``_pool``): fresh pages cost a fault each, and a hypervisor's too.
            out = _pool.empty(self.size, self.dtype)
            np.concatenate(self.chunks, out=out)
            self.chunks = [out]  # not the chunks and their copy both
            return out
        if self.file is not None:
            self.budget.writer.drain()
            self.file.seek(0)
            self.file.write(npy_header(self.dtype, (self.size,)))
            self.file.close()
            self.file = None
        arr = np.load(self.path, mmap_mode="r")
        advise(arr, "random")  # rows are read by candidate pairs, in no order
        self.budget.mapped.append(arr)
        return arr


