"""A saved index on disk: plain ``.npy`` arrays, a JSON manifest, no pickle.

Layout of an index directory::

    IDX/CURRENT              one line: the name of the live generation
    IDX/gen-000007/manifest.json
    IDX/gen-000007/<array>.npy   every base and derived array of the index
    IDX/gen-000007/ids.npy       int64 ids, or ids-utf8.npy + ids-offsets.npy for str ids

Saving writes a new generation into a temporary sibling, fsyncs every file and
the directory, renames it into place, then atomically replaces ``CURRENT``
(write, fsync, ``os.replace``), and only then deletes older generations. A
crash or kill at any point leaves ``CURRENT`` naming a complete generation, so
the previous index stays loadable (the scheme of LevelDB's CURRENT file).

Loading memory-maps the arrays (``np.load(mmap_mode="r", allow_pickle=False)``:
no code from the file ever runs), checks the manifest's format and version,
every array's dtype, shape and, by default, xxh3 checksum, and the invariants
the kernels rely on (offsets in range), so a truncated or corrupted index
raises ``IndexFormatError`` naming the file, never crashes a kernel.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil

import numpy as np
import xxhash

from ._config import Config
from ._pipeline import Buckets, Features, Groups, lsh_shape

FORMAT = "near-dups-index"
VERSION = 1
_GEN = re.compile(r"^gen-(\d{6,})$")
#: The arrays of an index (``Index.arrays()``), one ``.npy`` file each.
ARRAYS = ("lengths", "priority", *Features._fields, *Groups._fields, *Buckets._fields, "pair_i", "pair_j", "pair_s")


class IndexFormatError(ValueError):
    """A saved index that cannot be loaded: missing, truncated, corrupted or of another version."""


def _fsync_dir(path: pathlib.Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _checksum(path: pathlib.Path) -> str:
    h = xxhash.xxh3_64()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 22):
            h.update(chunk)
    return h.hexdigest()


def _encode_ids(ids: list) -> dict[str, np.ndarray]:
    if all(type(i) is int for i in ids):
        if ids and (min(ids) < -(2**63) or max(ids) >= 2**63):
            raise TypeError("to save an index, int ids must fit in 64 bits")
        return {"ids": np.array(ids, dtype=np.int64)}
    for i in ids:
        if type(i) is not str:
            raise TypeError(f"to save an index, ids must all be str or all be int; got {type(i).__name__} {i!r}")
    blobs = [i.encode("utf-8", "surrogatepass") for i in ids]
    offsets = np.zeros(len(blobs) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in blobs], out=offsets[1:])
    return {"ids-utf8": np.frombuffer(b"".join(blobs), dtype=np.uint8), "ids-offsets": offsets}


def save(path, *, config: Config, ids: list, policy: str, arrays: dict) -> pathlib.Path:
    """Save an index (``Index.arrays()`` and its settings) to the directory ``path``, atomically.

    An existing index at ``path`` is replaced only once the new one is
    complete on disk. Returns the directory's path.
    """
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{path} exists and is not a directory")
    path.mkdir(parents=True, exist_ok=True)
    stray = [p.name for p in path.iterdir() if p.name != "CURRENT" and not _GEN.match(p.name)
             and not p.name.startswith((".gen-", ".CURRENT.tmp-"))]
    if stray and not (path / "CURRENT").exists():
        raise ValueError(f"{path} is not an index directory (it holds {stray[0]!r}); choose an empty or new directory")
    gens = [int(m.group(1)) for p in path.iterdir() if (m := _GEN.match(p.name))]
    name = f"gen-{max(gens, default=0) + 1:06d}"
    tmp = path / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    arrays = dict(arrays)
    arrays.update(_encode_ids(ids))
    manifest = {"format": FORMAT, "version": VERSION, "config": config.to_dict(), "documents": len(ids),
                "keep": policy, "arrays": {}}
    for key, arr in arrays.items():
        file = tmp / f"{key}.npy"
        with open(file, "wb") as f:
            np.save(f, np.ascontiguousarray(arr), allow_pickle=False)
            f.flush()
            os.fsync(f.fileno())
        manifest["arrays"][key] = {"dtype": str(arr.dtype), "shape": list(arr.shape), "xxh3": _checksum(file)}
    with open(tmp / "manifest.json", "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    _fsync_dir(tmp)
    os.rename(tmp, path / name)
    _fsync_dir(path)
    current_tmp = path / f".CURRENT.tmp-{os.getpid()}"
    with open(current_tmp, "w", encoding="utf-8") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(current_tmp, path / "CURRENT")
    _fsync_dir(path)
    for p in path.iterdir():  # older generations and leftovers of killed saves
        if p.name != name and (_GEN.match(p.name) or p.name.startswith(".gen-")):
            shutil.rmtree(p, ignore_errors=True)
        elif p.name.startswith(".CURRENT.tmp-"):
            p.unlink(missing_ok=True)
    return path


def _fail(where, what: str):
    raise IndexFormatError(f"{where}: {what}")


def read(path, *, verify: bool = True) -> tuple[Config, list, str, dict]:
    """The settings, ids, keep policy and memory-mapped arrays of the index saved in ``path``.

    ``dedup.load`` builds an ``Index`` from them. With ``verify`` every file's
    xxh3 checksum is checked (each file is read once); without, only sizes,
    dtypes, shapes and offsets.

    Raises
    ------
    IndexFormatError (a ValueError) naming the file and the problem.
    """
    path = pathlib.Path(path)
    current = path / "CURRENT"
    if not current.is_file():
        _fail(path, "not a near-dups index (no CURRENT file)")
    name = current.read_text(encoding="utf-8").strip()
    if not _GEN.match(name):
        _fail(current, f"names {name!r}, not a generation")
    gen = path / name
    mfile = gen / "manifest.json"
    try:
        manifest = json.loads(mfile.read_text(encoding="utf-8"))
    except FileNotFoundError:
        _fail(mfile, "missing")
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        _fail(mfile, f"not valid JSON ({e})")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        _fail(mfile, f"not a near-dups index manifest (format {manifest.get('format') if isinstance(manifest, dict) else None!r})")
    if manifest.get("version") != VERSION:
        _fail(mfile, f"format version {manifest.get('version')!r}; this near-dups reads version {VERSION}")
    try:
        # An index saved before the sketch family was an option used the classic family.
        config = Config(**{"sketch": "minhash", **manifest["config"]})
        n = int(manifest["documents"])
        policy = manifest["keep"]
        specs = manifest["arrays"]
    except (KeyError, TypeError, ValueError) as e:
        _fail(mfile, f"bad manifest entry ({e})")
    arrays = {}
    for key, spec in specs.items():
        file = gen / f"{key}.npy"
        if not file.is_file():
            _fail(file, "missing")
        try:
            arr = np.load(file, mmap_mode="r", allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:
            _fail(file, f"unreadable or truncated ({e})")
        if str(arr.dtype) != spec["dtype"] or list(arr.shape) != spec["shape"]:
            _fail(file, f"holds {arr.dtype}{list(arr.shape)}, manifest says {spec['dtype']}{spec['shape']}")
        if verify and _checksum(file) != spec["xxh3"]:
            _fail(file, "checksum mismatch: the file is corrupted")
        arrays[key] = arr
    bands, _ = lsh_shape(config)
    for key in ARRAYS:
        if key not in arrays:
            _fail(gen / f"{key}.npy", "missing from the manifest")
    _check_invariants(gen, arrays, n, bands)
    ids = _decode_ids(gen, arrays, n)
    return config, ids, policy, {k: arrays[k] for k in ARRAYS}


def _decode_ids(gen, arrays, n) -> list:
    if "ids" in arrays:
        ids = arrays["ids"].tolist()
    elif "ids-utf8" in arrays and "ids-offsets" in arrays:
        off = np.asarray(arrays["ids-offsets"])
        if off.shape != (n + 1,) or off[0] != 0 or (np.diff(off) < 0).any() or off[-1] != arrays["ids-utf8"].shape[0]:
            _fail(gen / "ids-offsets.npy", "offsets do not fit ids-utf8.npy")
        blob = arrays["ids-utf8"].tobytes()
        b = off.tolist()
        try:
            ids = [blob[b[k] : b[k + 1]].decode("utf-8", "surrogatepass") for k in range(n)]
        except UnicodeDecodeError:
            _fail(gen / "ids-utf8.npy", "not UTF-8")
    else:
        _fail(gen, "no ids file")
    if len(ids) != n:
        _fail(gen / "ids.npy", f"{len(ids)} ids for {n} documents")
    return ids


def _check_invariants(gen, a, n, bands) -> None:
    """The bounds every kernel relies on; O(documents), never O(shingles)."""

    def need(key, ok, what):
        if not ok:
            _fail(gen / f"{key}.npy", what)

    for key in ("lengths", "priority", "digests", "nbytes", "rep"):
        need(key, a[key].shape == (n,), f"expected {n} entries, got shape {a[key].shape}")
    indptr = np.asarray(a["indptr"])
    need("indptr", indptr.shape == (n + 1,) and indptr[0] == 0 and not (np.diff(indptr) < 0).any()
         and indptr[-1] == a["values"].shape[0], "offsets are not a valid CSR over values.npy")
    need("keys", a["keys"].shape == (bands, n), f"expected shape ({bands}, {n})")
    rep = np.asarray(a["rep"])
    need("rep", ((rep >= -1) & (rep <= np.arange(n))).all(), "representatives out of range")
    reps = np.asarray(a["reps"])
    m = reps.shape[0]
    need("reps", ((reps >= 0) & (reps < n)).all() and (rep[reps] == reps).all(), "not the representatives")
    for key in ("order", "sorted_keys"):
        need(key, a[key].shape == (bands, m), f"expected shape ({bands}, {m})")
    order = np.asarray(a["order"])
    need("order", ((order >= 0) & (order < m)).all(), "columns out of range")
    k = a["pair_s"].shape[0]
    for key in ("pair_i", "pair_j"):
        arr = np.asarray(a[key])
        need(key, arr.shape == (k,) and ((arr >= 0) & (arr < n)).all(), "pair ends out of range")
