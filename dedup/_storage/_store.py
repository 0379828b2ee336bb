"""A saved index on disk: plain ``.npy`` arrays, a JSON manifest, no pickle.

Layout of an index directory::

    IDX/CURRENT              one line: the name of the live generation
    IDX/LOCK                 held (flock) by the one process writing the index
    IDX/gen-000007/manifest.json
    IDX/gen-000007/<array>.npy   every base and derived array of the index
    IDX/gen-000007/ids.npy       int64 ids, or ids-utf8.npy + ids-offsets.npy for str ids
    IDX/gen-000007/<array>@1.npy the arrays of a segment added later (``_segments``), and its ids

An index of several segments (``add`` to an index on disk appends one) is
saved as format version 3: the manifest lists each segment's number of
documents. A file that the new generation shares with the one it replaces
(an older segment's array, memory-mapped from it) is hard-linked, not
written again, with its checksum carried over from the old manifest: a save
after a daily ``add`` writes only the new segment.

Saving writes a new generation into a temporary sibling, fsyncs every file and
the directory, renames it into place, then atomically replaces ``CURRENT``
(write, fsync, ``os.replace``), and only then deletes older generations. A
crash or kill at any point leaves ``CURRENT`` naming a complete generation, so
the previous index stays loadable (the scheme of LevelDB's CURRENT file).
A save that fails (no space left, permission denied) removes what it wrote
and raises an ``OSError`` naming the index; temporary generations left by a
killed save are removed by the next save.

One writer at a time: ``save`` holds ``IDX/LOCK`` (an ``flock``, which the
kernel releases when its holder dies, so a killed writer never leaves the
index locked), and a read-modify-write (load, add, save) holds it from
before the load to after the save with :func:`lock`, as LevelDB's ``LOCK``
file does. Readers take no lock: ``CURRENT`` always names a whole
generation, and a reader that meets a generation deleted under it by a
writer reads ``CURRENT`` again.

Loading memory-maps the arrays (``np.load(mmap_mode="r", allow_pickle=False)``:
no code from the file ever runs), checks the manifest's format and version,
the manifest's own xxh3 checksum (its config, ids count, keep policy and
every array's name, dtype, shape and checksum), every array's dtype, shape
and, by default, xxh3 checksum, and the invariants the kernels rely on
(offsets in range), so a truncated, corrupted or edited index raises
``IndexFormatError`` naming the file, never crashes a kernel nor answers
with settings it was not built with.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil

import numpy as np
import xxhash

from .._core import _fs
from .._core._config import Config
from ._ids import Ids, _encode_ids
from ._lock import LOCK, lock
from .._indexing._pipeline import Buckets, Features, Groups, lsh_shape

FORMAT = "near-dups-index"
#: 2: the manifest carries its own checksum (``manifest_xxh3``). Version 1 (no
#: such checksum) is still read; the next save writes version 2. 3: several
#: segments (``segments``: documents per segment); a one-segment index is
#: still saved as version 2.
VERSION = 2
SEGMENTED = 3
READS = (1, 2, 3)
_GEN = re.compile(r"^gen-(\d{6,})$")
#: The lock file inside an index directory (the name LevelDB gives its own).
#: The arrays of an index (``Index.arrays()``), one ``.npy`` file each.
ARRAYS = ("lengths", "priority", *Features._fields, *Groups._fields, *Buckets._fields, "pair_i", "pair_j", "pair_s")


#: xxh3 of files of loaded generations, by (device, inode, size, mtime): a file
#: hard-linked into a new generation keeps the checksum its manifest gave.
#: Generation files are never written after their save.
_SUMS: dict = {}


def _file_key(path) -> tuple:
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns


class IndexFormatError(ValueError):
    """A saved index that cannot be loaded: missing, truncated, corrupted or of another version."""


def _checksum(path: pathlib.Path) -> str:
    h = xxhash.xxh3_64()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _manifest_checksum(manifest: dict) -> str:
    """xxh3 of the manifest without its own checksum, serialized canonically."""
    body = {k: v for k, v in manifest.items() if k != "manifest_xxh3"}
    return xxhash.xxh3_64_hexdigest(json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def _link_whole_file(arr, dest: pathlib.Path) -> bool:
    """Hard-link the ``.npy`` file that ``arr`` maps whole (read-only) to ``dest``; False if it does not.

    An array memory-mapped from a spill file or a loaded generation is then
    saved without writing a byte of it: a save after ``add`` writes only the
    arrays that changed. Any doubt (a slice of the file, another file system)
    means False, and the caller writes the array.
    """
    if not isinstance(arr, np.memmap) or arr.flags.writeable or not arr.flags.c_contiguous:
        return False
    src = getattr(arr, "filename", None)
    if not src or not os.path.isfile(src):
        return False
    try:
        with open(src, "rb") as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                return False
            header = f.tell()
        if (tuple(shape), fortran, dtype) != (arr.shape, False, arr.dtype) or arr.offset != header:
            return False
        if os.path.getsize(src) != header + arr.nbytes:
            return False
        os.link(src, dest)
        return True
    except (OSError, ValueError):
        return False


def _write_npy(f, arr: np.ndarray) -> None:
    """``np.save(f, arr)``, byte for byte, through ``f.write``.

    ``np.save`` writes a real file with ``ndarray.tofile``, whose short write
    on a full disk says only "N requested and M written"; ``f.write`` raises
    the OS's own error (``ENOSPC``, ``EDQUOT``, ``EIO``).
    """
    arr = np.ascontiguousarray(arr)
    np.lib.format.write_array_header_1_0(f, np.lib.format.header_data_from_array_1_0(arr))
    if arr.size:
        f.write(memoryview(arr.reshape(-1)).cast("B"))


def save(path, *, config: Config, ids: list, policy: str, arrays: dict) -> pathlib.Path:
    """Save an index (``Index.arrays()`` and its settings) to the directory ``path``, atomically.

    ``ids`` holds the ids of each segment (a list of sequences).

    An existing index at ``path`` is replaced only once the new one is
    complete on disk. Returns the directory's path. Holds the index's lock
    (see :func:`lock`) while it writes.

    Raises
    ------
    OSError
        Writing failed (no space left, permission denied, read-only file
        system); the error names ``path``, and nothing written is left.
    """
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} exists and is not a directory")
    existed = path.is_dir()
    with lock(path):
        stray = [p.name for p in path.iterdir() if p.name not in ("CURRENT", LOCK) and not _GEN.match(p.name)
                 and not p.name.startswith((".gen-", ".CURRENT."))]
        if stray and not (path / "CURRENT").exists():
            raise ValueError(f"{path} is not an index directory (it holds {stray[0]!r}); choose an empty or new "
                             "directory")
        try:
            return _save_locked(path, config, ids, policy, arrays)
        except BaseException:
            if not existed:  # nothing of ours may stay: the directory this call made goes too
                shutil.rmtree(path, ignore_errors=True)
            raise


def _save_locked(path: pathlib.Path, config: Config, ids: list, policy: str, arrays: dict) -> pathlib.Path:
    _sweep(path)
    gens = [int(m.group(1)) for p in path.iterdir() if (m := _GEN.match(p.name))]
    name = f"gen-{max(gens, default=0) + 1:06d}"
    tmp = path / f".{name}.tmp-{os.getpid()}"
    current_tmp = path / f".CURRENT.tmp-{os.getpid()}"
    switched = False
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        arrays = dict(arrays)
        kinds = set()
        for k, part in enumerate(ids):
            encoded = _encode_ids(part)
            if len(part):
                kinds.add("ids" in encoded)
            arrays.update({(f"{name}@{k}" if k else name): arr for name, arr in encoded.items()})
        if len(kinds) > 1:  # each segment's ids are of one kind; all of them must be of the same
            raise TypeError("to save an index, ids must all be str or all be int; its segments hold both (plain "
                            "strings added to an index of str ids get int positions as ids)")
        counts = [len(part) for part in ids]
        manifest = {"format": FORMAT, "version": VERSION if len(ids) == 1 else SEGMENTED,
                    "config": config.to_dict(), "documents": sum(counts), "keep": policy, "arrays": {}}
        if len(ids) > 1:
            manifest["segments"] = counts
        for key, arr in arrays.items():
            file = tmp / f"{key}.npy"
            if _link_whole_file(arr, file):  # a spilled or loaded array is linked: its .npy file as it is
                sum_ = _SUMS.get(_file_key(file)) or _checksum(file)
            else:
                with open(file, "wb") as f:
                    _write_npy(f, arr)
                    f.flush()
                    os.fsync(f.fileno())
                sum_ = _checksum(file)
            _SUMS[_file_key(file)] = sum_
            manifest["arrays"][key] = {"dtype": str(arr.dtype), "shape": list(arr.shape), "xxh3": sum_}
        manifest["manifest_xxh3"] = _manifest_checksum(manifest)
        with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        _fs.fsync_dir(tmp)
        os.rename(tmp, path / name)
        _fs.fsync_dir(path)
        with open(current_tmp, "w", encoding="utf-8") as f:
            f.write(name + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(current_tmp, path / "CURRENT")
        switched = True
        _fs.fsync_dir(path)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if not switched:
            shutil.rmtree(path / name, ignore_errors=True)
            current_tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise _fs.named(e, path) from None
        raise
    for p in path.iterdir():  # older generations, once CURRENT no longer names them
        if p.name != name and _GEN.match(p.name):
            shutil.rmtree(p, ignore_errors=True)
    return path


def _current_name(path: pathlib.Path) -> str | None:
    try:
        return (path / "CURRENT").read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _sweep(path: pathlib.Path) -> None:
    """Remove what killed saves left in ``path``: only ever called with the lock held, so no save is running."""
    for p in path.iterdir():
        if p.name.startswith(".gen-") or p.name.startswith(".CURRENT.tmp-"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)


def _fail(where, what: str):
    raise IndexFormatError(f"{where}: {what}")


class _Vanished(Exception):
    """A file of the generation being read is gone: a writer replaced it meanwhile."""


def read(path, *, verify: bool = True) -> tuple[Config, list, str, dict]:
    """The settings, ids (a sequence per segment), keep policy and memory-mapped arrays of the index
    saved in ``path``.

    ``dedup.load`` builds an ``Index`` from them. With ``verify`` every file's
    xxh3 checksum is checked (each file is read once); without, only the
    manifest's checksum, sizes, dtypes, shapes and offsets.

    Never waits for a writer (see :func:`lock`): it reads the generation
    ``CURRENT`` names, and if a save replaces that generation while it is
    being read, it reads the new one.

    Raises
    ------
    IndexFormatError (a ValueError) naming the file and the problem.
    """
    path = pathlib.Path(path)
    current = path / "CURRENT"
    for _ in range(100):
        if not current.is_file():
            if not path.exists():
                _fail(path, "no such index (make one with dedup.index(docs).save(path))")
            _fail(path, "not a near-dups index (no CURRENT file)")
        try:
            name = current.read_text(encoding="utf-8").strip()
        except UnicodeDecodeError:
            _fail(current, "not a generation name")
        if not _GEN.match(name):
            _fail(current, f"names {name!r}, not a generation")
        try:
            return _load_generation(path / name, verify)
        except _Vanished as e:
            if _current_name(path) == name:  # not replaced: really missing
                _fail(e.args[0], "missing")
    _fail(path, "its generation kept changing while it was read (a writer saving in a loop?)")


def _load_generation(gen: pathlib.Path, verify: bool):
    from .._verify._keep import KEEP_POLICIES

    from .._indexing._segments import TAIL_ARRAYS

    known = set(ARRAYS) | {"ids", "ids-utf8", "ids-offsets"}
    mfile = gen / "manifest.json"
    try:
        raw = mfile.read_bytes()
    except FileNotFoundError:
        raise _Vanished(mfile) from None
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        _fail(mfile, f"not valid JSON ({e})")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        _fail(mfile, f"not a near-dups index manifest (format {manifest.get('format') if isinstance(manifest, dict) else None!r})")
    version = manifest.get("version")
    if version not in READS:
        _fail(mfile, f"format version {version!r}; this near-dups reads versions {', '.join(map(str, READS))} "
                     "(rebuild the index with this version from its documents)")
    if version >= 2 and manifest.get("manifest_xxh3") != _manifest_checksum(manifest):
        _fail(mfile, "checksum mismatch: the manifest was edited or is corrupted (its settings, ids and "
                     "arrays must be those the index was saved with)")
    try:
        # An index saved before the sketch family was an option used the classic family.
        config = Config(**{"sketch": "minhash", **manifest["config"]})
        n = manifest["documents"]
        policy = manifest["keep"]
        specs = manifest["arrays"]
        if type(n) is not int or n < 0:
            raise ValueError(f"documents: {n!r} is not a count")
        counts = manifest.get("segments", [n]) if version >= SEGMENTED else [n]
        if (not isinstance(counts, list) or not counts or any(type(c) is not int or c < 0 for c in counts)
                or sum(counts) != n):
            raise ValueError(f"segments: {counts!r} are not counts of the {n} documents")
        for k in range(1, len(counts)):
            known |= {f"{name}@{k}" for name in (*TAIL_ARRAYS, "ids", "ids-utf8", "ids-offsets")}
        if policy not in (*KEEP_POLICIES, "priority"):
            raise ValueError(f"keep: {policy!r} is not a keep policy")
        if not isinstance(specs, dict):
            raise ValueError("arrays: not an object")
        for key, spec in specs.items():
            if key not in known:
                raise ValueError(f"arrays: unknown array {key!r}")
            if not (isinstance(spec, dict) and isinstance(spec.get("dtype"), str)
                    and isinstance(spec.get("shape"), list) and isinstance(spec.get("xxh3"), str)):
                raise ValueError(f"arrays: {key!r} needs a dtype, a shape and an xxh3 checksum")
    except (KeyError, TypeError, ValueError) as e:
        _fail(mfile, f"bad manifest entry ({e})")
    arrays = {}
    for key, spec in specs.items():
        file = gen / f"{key}.npy"
        try:
            arr = np.load(file, mmap_mode="r", allow_pickle=False)
        except FileNotFoundError:
            raise _Vanished(file) from None
        except (ValueError, OSError, EOFError) as e:
            _fail(file, f"unreadable or truncated ({e})")
        if str(arr.dtype) != spec["dtype"] or list(arr.shape) != spec["shape"]:
            _fail(file, f"holds {arr.dtype}{list(arr.shape)}, manifest says {spec['dtype']}{spec['shape']}")
        if verify:
            try:
                ok = _checksum(file) == spec["xxh3"]
            except FileNotFoundError:
                raise _Vanished(file) from None
            if not ok:
                _fail(file, "checksum mismatch: the file is corrupted")
        try:
            _SUMS[_file_key(file)] = spec["xxh3"]
        except FileNotFoundError:
            raise _Vanished(file) from None
        arrays[key] = arr
    bands, _ = lsh_shape(config)
    for key in ARRAYS:
        if key not in arrays:
            _fail(gen / f"{key}.npy", "missing from the manifest")
    _check_invariants(gen, arrays, counts[0], bands, values=verify)
    ids = [_decode_ids(gen, arrays, counts[0], verify)]
    out = {k: arrays[k] for k in ARRAYS}
    start = counts[0]
    for k, m in enumerate(counts[1:], 1):
        tail = {}
        for name in (*TAIL_ARRAYS, "ids", "ids-utf8", "ids-offsets"):
            if f"{name}@{k}" in arrays:
                tail[name] = arrays[f"{name}@{k}"]
            elif not name.startswith("ids"):
                _fail(gen / f"{name}@{k}.npy", "missing from the manifest")
        _check_invariants(gen, tail, m, bands, values=verify, start=start, suffix=f"@{k}")
        ids.append(_decode_ids(gen, tail, m, verify, suffix=f"@{k}"))
        out.update({f"{name}@{k}": tail[name] for name in TAIL_ARRAYS})
        start += m
    return config, ids, policy, out


def _decode_ids(gen, arrays, n, verify: bool, suffix: str = "") -> Ids:
    """The ids, read lazily; with ``verify``, their offsets and UTF-8 are checked now (O(documents))."""
    if "ids" in arrays:
        ids = Ids(ints=arrays["ids"])
    elif "ids-utf8" in arrays and "ids-offsets" in arrays:
        off = arrays["ids-offsets"]
        if off.shape != (n + 1,) or (n >= 0 and (off[0] != 0 or off[-1] != arrays["ids-utf8"].shape[0])):
            _fail(gen / f"ids-offsets{suffix}.npy", "offsets do not fit ids-utf8.npy")
        if verify:
            if (np.diff(np.asarray(off)) < 0).any():
                _fail(gen / f"ids-offsets{suffix}.npy", "offsets do not fit ids-utf8.npy")
            try:
                arrays["ids-utf8"].tobytes().decode("utf-8", "surrogatepass")
            except UnicodeDecodeError:
                _fail(gen / f"ids-utf8{suffix}.npy", "not UTF-8")
        ids = Ids(blob=arrays["ids-utf8"], offsets=off)
    else:
        _fail(gen, f"no ids file{' for segment ' + suffix[1:] if suffix else ''}")
    if len(ids) != n:
        _fail(gen / f"ids{suffix}.npy", f"{len(ids)} ids for {n} documents")
    return ids


def _check_invariants(gen, a, n, bands, values: bool = True, start: int = 0, suffix: str = "") -> None:
    """The bounds every kernel relies on, for the segment of documents ``start:start + n`` (its files named
    with ``suffix``). Shapes always (O(1)); with ``values``, the contents too: O(documents + bands x
    representatives), never O(shingles)."""

    def need(key, ok, what):
        if not ok:
            _fail(gen / f"{key}{suffix}.npy", what)

    for key in ("lengths", "priority", "digests", "nbytes", "rep"):
        need(key, a[key].shape == (n,), f"expected {n} entries, got shape {a[key].shape}")
    indptr = a["indptr"]
    need("indptr", indptr.shape == (n + 1,) and indptr[0] == 0 and indptr[-1] == a["values"].shape[0],
         f"offsets are not a valid CSR over values{suffix}.npy")
    need("keys", a["keys"].shape == (bands, n), f"expected shape ({bands}, {n})")
    m = a["reps"].shape[0]
    for key in ("order", "sorted_keys"):
        need(key, a[key].shape == (bands, m), f"expected shape ({bands}, {m})")
    k = a["pair_s"].shape[0]
    for key in ("pair_i", "pair_j"):
        need(key, a[key].shape == (k,), f"expected {k} entries")
    if "complete" in a:
        need("complete", a["complete"].shape == (1,) and a["complete"].dtype == np.bool_, "expected one bool")
    if not values:
        return
    need("indptr", not (np.diff(np.asarray(indptr)) < 0).any(), f"offsets are not a valid CSR over values{suffix}.npy")
    rep = np.asarray(a["rep"])
    need("rep", ((rep >= -1) & (rep <= np.arange(start, start + n))).all(), "representatives out of range")
    reps = np.asarray(a["reps"])
    need("reps", ((reps >= start) & (reps < start + n)).all() and (rep[reps - start] == reps).all(),
         "not the representatives")
    order = np.asarray(a["order"])
    need("order", ((order >= 0) & (order < m)).all(), "columns out of range")
    i, j = np.asarray(a["pair_i"]), np.asarray(a["pair_j"])
    need("pair_i", ((i >= 0) & (i < j)).all(), "pair ends out of range")
    need("pair_j", ((j >= start) & (j < start + n)).all(), "pair ends out of range")

