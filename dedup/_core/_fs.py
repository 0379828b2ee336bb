"""Writing files safely: temporary names that carry their owner, stale ones swept, OS errors that name the path.

Every file or folder near-dups writes (the command line's outputs, a saved
index's generations) is first written under a hidden temporary name in its
final folder and renamed into place when complete. The temporary name holds
the writer's process id (``.NAME.tmp-PID-RANDOM``), so a later run that
writes the same target can tell a leftover of a killed run (its process is
gone) from the work of a run still going, and remove only the former.
Hidden names are never read as input: the folder walk skips names starting
with a dot.

An ``OSError`` raised while writing (no space left, permission denied, a
read-only file system) often names only a temporary file, or nothing at all
(a failed ``write`` has no file name). :func:`named` gives it the path the
user asked for, so the message says which output failed and why.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import time

#: ``.NAME.tmp-PID-RANDOM``: a temporary file or folder of the process PID, for the target NAME.
_TMP = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)-[A-Za-z0-9_]+$")
#: ``.NAME.RANDOM.tmp``: the temporary names of near-dups 0.1.0, which held no process id.
_LEGACY = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{8}\.tmp$")
#: A legacy temporary file older than this is a leftover: no run writes one output for a day.
LEGACY_AGE = 24 * 3600.0


def tmp_prefix(target: str) -> str:
    """Prefix of this process's temporary names for ``target`` (a file or folder name, no folder)."""
    return f".{target}.tmp-{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    """Whether a process ``pid`` exists (signal 0: the check ``kill`` offers; a zombie counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except OSError:
        return True
    return True


def stale(name: str, target: str, folder: str) -> bool:
    """Whether ``name`` in ``folder`` is a leftover temporary of ``target`` whose writer is gone."""
    m = _TMP.match(name)
    if m is not None:
        return m.group("name") == target and not pid_alive(int(m.group("pid")))
    m = _LEGACY.match(name)
    if m is not None and m.group("name") == target:
        try:
            return time.time() - os.lstat(os.path.join(folder, name)).st_mtime > LEGACY_AGE
        except OSError:
            return False
    return False


def sweep(folder: str, target: str) -> list[str]:
    """Remove the leftover temporaries of ``target`` in ``folder`` (see :func:`stale`); returns their names.

    One ``listdir`` per output written, never per document. Errors are
    ignored: a leftover that cannot be removed is only a leftover.
    """
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    prefix = f".{target}."
    gone = []
    for name in names:
        if name.startswith(prefix) and stale(name, target, folder):
            path = os.path.join(folder, name)
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    continue
            gone.append(name)
    return gone


def file_mode(folder: bool = False) -> int:
    """The mode a new file (or folder) gets under this process's umask: what a temporary file, which
    ``mkstemp`` makes private, is given before it is renamed into place."""
    mask = os.umask(0)
    os.umask(mask)
    return (0o777 if folder else 0o666) & ~mask


def fsync_dir(path) -> None:
    """Make a rename in folder ``path`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as e:
        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def reason(e: OSError) -> str:
    """``No space left on device (ENOSPC)``: the OS's words and the errno's name."""
    text = e.strerror or str(e)
    name = errno.errorcode.get(e.errno or -1)
    return f"{text} ({name})" if name else text


def named(e: OSError, path) -> OSError:
    """``e`` as an ``OSError`` (of the subclass its errno maps to) whose file name is ``path``."""
    return OSError(e.errno, e.strerror or str(e), str(path))
