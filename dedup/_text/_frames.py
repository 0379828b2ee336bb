"""Data frames in and out: pandas, polars, pyarrow and Hugging Face ``datasets`` containers as ``docs``.

A container is recognized by the module of its type, so none of these
libraries is imported unless the object came from it. Its text column is
read as Arrow: pyarrow, polars, Arrow-backed pandas columns (pandas 3's
default ``str``) and ``datasets`` hand over their UTF-8 buffer, which the
pipeline folds in place (``_utf8.Utf8Texts``) with no Python step per row.
A pandas ``object`` column is a list of ``str``, read in place as such.

Ids: the ``id=`` column; else a frame's ``"id"`` column if it has one; else
the pandas index (row labels), or positions 0, 1, ... for the others.

Where a frame came in, results go out as the same library's frames
(``Shape`` remembers which): ``Index.pairs``, ``labels``, ``keep_mask``
and ``dedup.collapse``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._utf8 import Utf8Texts

#: Accepted ``docs`` shapes, for error messages.
ACCEPTED = ("an iterable of str, an iterable of (id, text) pairs, a mapping id -> text, "
            "a pandas or polars DataFrame or Series, a pyarrow Table, RecordBatch, Array or ChunkedArray, "
            "or a datasets.Dataset")

_FRAMES = {"pandas": ("DataFrame",), "polars": ("DataFrame",), "pyarrow": ("Table", "RecordBatch"),
           "datasets": ("Dataset",)}


def library(docs) -> str | None:
    """``"pandas"``, ``"polars"``, ``"pyarrow"`` or ``"datasets"`` if ``docs`` comes from one, else None."""
    top = type(docs).__module__.partition(".")[0]
    return top if top in _FRAMES else None


class Shape(NamedTuple):
    """What results given back as frames need of the input: its library and, for pandas, its row labels."""

    library: str
    rows: object  # pandas Index of the input, None otherwise (or once documents were added or removed)


def shape(docs) -> Shape | None:
    """The ``Shape`` of a container ``docs``, None for any other ``docs``."""
    lib = library(docs)
    if lib is None:
        return None
    pandas = lib == "pandas" and type(docs).__name__ in ("DataFrame", "Series")
    return Shape(lib, docs.index if pandas else None)


def positional(docs, id: str | None = None) -> bool:
    """Whether a container's ids are positions 0, 1, ... (no id column, no pandas index)."""
    lib = library(docs)
    if lib == "pandas" or id is not None:
        return False
    columns = _columns(docs)
    return columns is None or "id" not in columns


def _columns(docs) -> list | None:
    """Column names of a frame, None for a Series or an array."""
    for attr in ("column_names", "columns"):
        names = getattr(docs, attr, None)
        if names is not None:
            return list(names)
    return None


def _refuse(docs, why: str = ""):
    raise TypeError(f"docs must be {ACCEPTED}; got {type(docs).__module__}.{type(docs).__name__}{why}")


def documents(docs, text: str | None = None, id: str | None = None, *, utf8: bool = False):
    """``(ids, texts)`` of a container; ``texts`` a ``Utf8Texts`` if ``utf8`` and the column is Arrow, else ``str``s.

    ``text`` names the text column of a frame (default ``"text"``); ``id``
    the id column (default: ``"id"`` if the frame has one). For a Series or
    an array, the container is the text column: ``text=`` and ``id=`` do
    not apply.
    """
    lib = library(docs)
    kind = type(docs).__name__
    if lib == "datasets":
        if kind != "Dataset" or not hasattr(docs, "with_format"):
            _refuse(docs, " (a DatasetDict: pick a split, ds['train']; an IterableDataset: "
                          "materialize it, or pass a generator of (id, text) pairs)")
        docs, lib, kind = docs.with_format("arrow")[:], "pyarrow", "Table"  # a pa.Table; honours select/shuffle
    if lib == "polars" and kind == "LazyFrame":
        _refuse(docs, " (collect() it first)")
    if lib == "pyarrow":
        import pyarrow as pa

        if isinstance(docs, (pa.Array, pa.ChunkedArray)):
            _no_columns(text, id, "a pyarrow array")
            return _check_ids(list(range(len(docs))), None), _arrow_texts(docs, None, range(len(docs)), utf8)
        if not isinstance(docs, (pa.Table, pa.RecordBatch)):
            _refuse(docs)
        columns = docs.column_names
        text, id = _names(columns, text, id, kind)
        ids = _arrow_list(docs.column(id)) if id is not None else list(range(docs.num_rows))
        _no_null_ids(docs.column(id).null_count if id is not None else 0, ids, id)
        ids = _check_ids(ids, id)
        return ids, _arrow_texts(docs.column(text), text, ids, utf8)
    if lib == "polars":
        if kind == "Series":
            _no_columns(text, id, "a polars Series")
            ids = list(range(len(docs)))
            return ids, _polars_texts(docs, None, ids, utf8)
        if kind != "DataFrame":
            _refuse(docs)
        text, id = _names(docs.columns, text, id, kind)
        ids = docs.get_column(id).to_list() if id is not None else list(range(docs.height))
        _no_null_ids(docs.get_column(id).null_count() if id is not None else 0, ids, id)
        ids = _check_ids(ids, id)
        return ids, _polars_texts(docs.get_column(text), text, ids, utf8)
    if lib == "pandas":
        if kind == "Series":
            _no_columns(text, id, "a pandas Series (its index gives the ids)")
            ids = _check_ids(_index_ids(docs.index), "index")
            return ids, _pandas_texts(docs, None, ids, utf8)
        if kind != "DataFrame":
            _refuse(docs)
        text, id = _names(list(docs.columns), text, id, kind)
        if id is None:
            ids = _index_ids(docs.index)
        else:
            col = docs[id]
            _no_null_ids(int(col.isna().sum()), col.tolist(), id)
            ids = col.tolist()
        ids = _check_ids(ids, id or "index")
        return ids, _pandas_texts(docs[text], text, ids, utf8)
    _refuse(docs)


def numbers(docs, name: str, option: str) -> np.ndarray:
    """The numeric column ``name`` of a frame, as float64 (for ``keep=``, a priority column)."""
    lib = library(docs)
    if lib == "datasets":
        docs, lib = docs.with_format("arrow")[:], "pyarrow"
    columns = _columns(docs) or []
    if name not in columns:
        raise ValueError(f"{option}={name!r} is neither a policy nor a column of docs; columns are {columns}")
    col = docs.column(name) if lib == "pyarrow" else docs[name]
    try:
        values = np.asarray(col.to_numpy(zero_copy_only=False) if lib == "pyarrow" else col.to_numpy(),
                            dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{option}={name!r}: the column must hold numbers") from None
    return values


def _arrow_list(col) -> list:
    """A pyarrow column as Python objects: through numpy for text and integers (faster than ``to_pylist``)."""
    import pyarrow as pa

    t = col.type
    if not col.null_count and (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_integer(t)):
        return col.to_numpy(zero_copy_only=False).tolist()
    return col.to_pylist()


def _no_columns(text, id, what: str):
    if text is not None or id is not None:
        raise TypeError(f"text= and id= name the columns of a frame; docs is {what}, which is the text column itself")


def _names(columns, text, id, kind):
    """The text and id column names of a frame with ``columns``, checked."""
    cols = list(columns)
    text = "text" if text is None else text
    if text not in cols:
        raise ValueError(f"text={text!r} is not a column of the {kind}; columns are {cols}; "
                         "name the text column with text=...")
    if id is None:
        return text, ("id" if "id" in cols and text != "id" else None)
    if id not in cols:
        raise ValueError(f"id={id!r} is not a column of the {kind}; columns are {cols}")
    if id == text:
        raise ValueError(f"id and text name the same column {id!r}")
    return text, id


def _index_ids(index) -> list:
    """Ids from a pandas index: its labels (positions for a default ``RangeIndex``)."""
    if index.isna().any():
        k = int(np.flatnonzero(np.asarray(index.isna()))[0])
        raise ValueError(f"row {k}: the index (the document ids) is missing; give every row an id")
    return index.tolist()


def _no_null_ids(nulls: int, ids: list, column):
    if nulls:
        k = next(k for k, x in enumerate(ids) if x is None or x != x)
        raise ValueError(f"row {k}: id column {column!r} is null; give every row an id")


def _check_ids(ids: list, column) -> list:
    """``ids`` if every id is unique; else a ValueError naming the first repeated one and its rows."""
    if len(set(ids)) != len(ids):
        seen: dict = {}
        for k, x in enumerate(ids):
            first = seen.setdefault(x, k)
            if first != k:
                where = f" in column {column!r}" if column not in (None, "index") else (
                    " in the index" if column == "index" else "")
                raise ValueError(f"duplicate document id {x!r}{where} at rows {first} and {k}")
    return ids


def _null_error(row: int, ids, column):
    col = f" in column {column!r}" if column is not None else ""
    return ValueError(f"document {ids[row]!r} (row {row}): text is null{col}; drop or fill missing texts first")


def _arrow_texts(arr, column, ids, utf8: bool):
    """Texts of a pyarrow string array or chunked array: ``Utf8Texts`` over its buffer, or ``str``s."""
    import pyarrow as pa
    import pyarrow.compute as pc

    typ = arr.type
    what = f"column {column!r}" if column is not None else "the array"
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ) or pa.types.is_binary_view(typ):
        raise TypeError(f"{what} holds bytes ({typ}), not text; decode it first: .cast(pyarrow.string())")
    if pa.types.is_null(typ) and len(arr):
        raise _null_error(0, ids, column)
    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_string_view(typ)
            or pa.types.is_null(typ)):
        raise TypeError(f"{what} must hold text (a string type), got {typ}")
    if arr.null_count:
        row = int(np.flatnonzero(pc.is_null(arr).to_numpy(zero_copy_only=False))[0])
        raise _null_error(row, ids, column)
    if not utf8:
        return arr.to_numpy(zero_copy_only=False).tolist()
    if isinstance(arr, pa.ChunkedArray):
        if arr.num_chunks == 1:
            arr = arr.chunk(0)
        else:  # one copy of the chunks' bytes, into one buffer (large offsets: may pass 2 GiB)
            arr = arr.cast(pa.large_string()).combine_chunks() if arr.num_chunks else pa.array([], pa.large_string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())  # string_view (or null): one copy into offsets and data
    arr.validate(full=True)  # the kernels read valid UTF-8 only (about 0.4 us a 3 kB text)
    _, offsets, data = arr.buffers()
    offs = np.frombuffer(offsets, dtype=np.int32 if pa.types.is_string(arr.type) else np.int64) if offsets else (
        np.zeros(1, np.int64))
    offs = offs[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    if offs.shape[0] == 0:
        offs = np.zeros(1, np.int64)
    base = int(offs[0])
    buf = np.frombuffer(data, dtype=np.uint8) if data is not None and data.size else np.zeros(0, np.uint8)
    return Utf8Texts(buf[base : int(offs[-1])], offs - base, arr)


def _polars_texts(s, column, ids, utf8: bool):
    import polars as pl

    if s.dtype != pl.String:
        hint = "decode it first: .cast(pl.String)" if s.dtype == pl.Binary else f"got {s.dtype}"
        what = f"column {column!r}" if column is not None else "the Series"
        raise TypeError(f"{what} must hold text (pl.String); {hint}")
    if s.null_count():
        raise _null_error(int(s.is_null().arg_true()[0]), ids, column)
    return _arrow_texts(s.to_arrow(), column, ids, True) if utf8 else s.to_list()


def _pandas_texts(s, column, ids, utf8: bool):
    import pandas as pd

    what = f"column {column!r}" if column is not None else "the Series"
    missing = s.isna().to_numpy()
    if missing.any():
        raise _null_error(int(np.flatnonzero(missing)[0]), ids, column)
    dtype = s.dtype
    arrow = isinstance(dtype, pd.ArrowDtype) or getattr(dtype, "storage", None) == "pyarrow"
    if arrow and utf8:
        import pyarrow as pa

        arr = pa.array(s.array)  # the column's own Arrow array: no copy
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_string_view(arr.type):
            return _arrow_texts(arr, column, ids, True)
    if not (dtype == object or isinstance(dtype, pd.StringDtype) or arrow):
        raise TypeError(f"{what} must hold text (str), got dtype {dtype}; convert it with .astype(str)")
    texts = s.tolist()
    from . import _pystr

    if not (texts and _pystr.all_str(texts)):
        for k, t in enumerate(texts):
            if not isinstance(t, str):
                hint = " (decode bytes first)" if isinstance(t, (bytes, bytearray)) else ""
                raise TypeError(f"document {ids[k]!r} (row {k}): text must be str, got {type(t).__name__}{hint}")
    return texts


# ------------------------------------------------------------------ results out
def _pandas():
    try:
        import pandas as pd
    except ImportError as e:  # pragma: no cover - pandas is installed with the test extra
        raise ImportError('results as frames need pandas: pip install pandas') from e
    return pd


def want(shape: Shape | None, as_frame) -> Shape | None:
    """The ``Shape`` results take: the input's with ``as_frame=None``, pandas with True, none with False."""
    if as_frame is None:
        return shape
    if as_frame is True:
        return shape if shape is not None else Shape("pandas", None)
    if as_frame is False:
        return None
    raise TypeError(f"as_frame must be None (frames if docs was one), True or False, got {as_frame!r}")


def table(shape: Shape, columns: dict):
    """A frame of ``shape``'s library with ``columns`` (name -> list or array), rows 0, 1, ..."""
    lib = shape.library
    if lib == "pandas":
        return _pandas().DataFrame(columns)
    if lib == "polars":
        import polars as pl

        return pl.DataFrame(columns, strict=False)
    import pyarrow as pa  # pyarrow and datasets

    return pa.table(columns)


def column(shape: Shape, name: str, values: np.ndarray, ids: list):
    """One value per document, aligned with the input's rows: a Series (pandas: the input's index) or array."""
    lib = shape.library
    if lib == "pandas":
        rows = shape.rows if shape.rows is not None and len(shape.rows) == len(ids) else _pandas().Index(ids)
        return _pandas().Series(values, index=rows, name=name)
    if lib == "polars":
        import polars as pl

        return pl.Series(name, values)
    import pyarrow as pa

    return pa.array(values)


def replace_text(docs, text: str | None, clean: list):
    """``docs`` with its text column (or itself, a Series or array) replaced by ``clean``, rows unchanged."""
    lib = library(docs)
    kind = type(docs).__name__
    if lib == "datasets":
        return docs.remove_columns(text or "text").add_column(text or "text", clean)
    if lib == "pandas":
        pd = _pandas()
        if kind == "Series":
            return pd.Series(clean, index=docs.index, name=docs.name, dtype=docs.dtype)
        out = docs.copy(deep=False)
        out[text or "text"] = pd.Series(clean, index=docs.index, dtype=docs[text or "text"].dtype)
        return out
    if lib == "polars":
        import polars as pl

        if kind == "Series":
            return pl.Series(docs.name, clean, dtype=pl.String)
        return docs.with_columns(pl.Series(text or "text", clean, dtype=pl.String))
    import pyarrow as pa

    if isinstance(docs, (pa.Array, pa.ChunkedArray)):
        return pa.array(clean, type=docs.type)
    name = text or "text"
    at = docs.column_names.index(name)
    typ = docs.schema.field(name).type
    return docs.set_column(at, docs.schema.field(name), pa.array(clean, type=typ))
