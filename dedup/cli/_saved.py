"""A saved index as the ``near-dups index`` commands use it: opened, locked, checked against the options and ids.

Every command that changes an index holds its write lock (``dedup.lock``)
from before it loads the index to after it saves it, so a concurrent writer
never loses a batch; readers never wait.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import warnings

import dedup

from ._common import FIXED_BY_INDEX, flag, given
from ._io._errors import InputError, UsageError
from ._render import jsonable
from ._io._ui import plural

#: The columns of ``index filter``'s report of the documents held back.
HELD_COLUMNS = ["id", "source", "matched", "matched_in", "jaccard", "reason"]


def _no_such_index(path: str) -> InputError:
    return InputError(f"{path}: no such index (make one with: near-dups index build PATH... -o {path})")


def must_exist(args) -> None:
    """Before a long read: the index named must be there (it is loaded, and checked, later)."""
    if not os.path.exists(args.index):
        raise _no_such_index(args.index)


@contextlib.contextmanager
def writing(args, ui, path):
    """Hold the index's write lock (``dedup.lock``) for a read-modify-write: load it only inside."""
    from .._storage._lock import lock

    with contextlib.ExitStack() as stack:
        ui.status(f"waiting for the lock of {path}")
        try:
            stack.enter_context(lock(path, timeout=args.lock_timeout))
        except TimeoutError:
            raise InputError(f"{path}: another process is writing to this index; waited {args.lock_timeout:g} s "
                             "for it to finish (--lock-timeout SECONDS waits longer)") from None
        except ValueError as e:
            raise InputError(f"{path}: {e}") from None
        finally:
            ui.status(None)
        yield path


def open_index(args, ui, fixed=FIXED_BY_INDEX):
    """``dedup.load(IDX)``; a damaged index or an option given otherwise than ``fixed`` by it is one clear error."""
    ui.status(f"opening {args.index}")
    try:
        idx = dedup.load(args.index, verify=not args.no_verify)
    except dedup.IndexFormatError as e:
        if not os.path.exists(args.index):
            raise _no_such_index(args.index) from None
        hint = (f" (rebuild it with: near-dups index build PATH... -o {args.index} --force)"
                if os.path.isfile(os.path.join(args.index, "CURRENT")) and "rebuild" not in str(e) else "")
        raise InputError(f"{e}{hint}") from None
    finally:
        ui.status(None)
    ui.note(f"opened {idx!r}")
    for name, value in given(args, fixed).items():
        have = getattr(idx.config, name)
        if value != have:
            why = ("its verified pairs and LSH bands are made for it" if name == "threshold" else
                   "shingles and signatures made otherwise cannot be compared")
            raise UsageError(f"{flag(name)} {value}: the index {args.index} was built with {flag(name)} {have}; "
                             f"{why} (leave out {flag(name)}, or build a new index)")
    return idx


def query_threshold(args, ui, idx) -> float | None:
    """--threshold for matching against ``idx`` (None: the index's own); warns below the index's."""
    t = getattr(args, "threshold", None)
    if t is not None and t < idx.config.threshold:
        ui.warn(f"--threshold {t:g} is below the index's {idx.config.threshold:g}: a match below "
                f"{idx.config.threshold:g} is found only with the probability of the index's LSH (Index.s_curve)")
    return t


def quietly(fn, *a, **kw):
    """Call the API with its below-the-index-threshold warning silenced (the CLI has said it once)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="query threshold")
        try:
            return fn(*a, **kw)
        except (ValueError, TypeError) as e:
            raise UsageError(str(e)) from None


def _id_kind(doc_id) -> str:
    return "int" if isinstance(doc_id, int) else "str"


def check_id_kinds(corpus, want: str | None = None) -> None:
    """A saved index holds ids that are all str or all int: refuse a mix before the work, not at save."""
    ids = corpus.ids
    want = want or _id_kind(ids[0])
    if hasattr(ids, "first_of_type"):  # a stream's DocIds: found from their kinds, without making every id
        k = ids.first_of_type(str if want == "int" else int)
    else:
        k = next((k for k, doc_id in enumerate(ids) if _id_kind(doc_id) != want), None)
    if k is not None:
        doc_id = ids[k]
        raise InputError(f"{corpus.where(k)}: id {doc_id!r} is {_id_kind(doc_id)}, but the index's ids are {want}; "
                         "the ids of one index must all be strings or all be integers (see --id-field)")


def new_to_index(args, ui, idx, corpus) -> list[int]:
    """Positions of the documents whose id is not in ``idx``; a known id is an error without --skip-existing."""
    if idx.ids:
        check_id_kinds(corpus, _id_kind(idx.ids[0]))
    clash = [k for k, known in enumerate(idx.contains(corpus.ids).tolist()) if known]
    if clash and not args.skip_existing:
        k = clash[0]
        more = f" (and {len(clash) - 1} more)" if len(clash) > 1 else ""
        raise InputError(f"{corpus.where(k)}: id {corpus.ids[k]!r} is already in the index {args.index}{more}; "
                         "--skip-existing skips such documents")
    if clash:
        ui.warn(f"skipped {plural(len(clash), 'document')} whose id is already in the index "
                f"(first: {corpus.ids[clash[0]]!r})")
    taken = set(clash)
    return [k for k in range(len(corpus)) if k not in taken]


def save(args, ui, idx, path) -> None:
    ui.status(f"saving {path}")
    try:
        idx.save(path)
    except (ValueError, TypeError) as e:
        raise InputError(f"-o {path}: {e}" if getattr(args, "output", None) == path else str(e)) from None
    finally:
        ui.status(None)
    ui.note(f"saved {path}")


def n_pairs(idx) -> int:
    """The index's verified pairs (of an index with buckets too big to verify whole, those kept: a lower bound,
    not every pair listed at 10M documents)."""
    return idx._pairs_with_new(0)


def check_index_output(out: str, force: bool) -> None:
    """Refuse an -o that is a file, another folder, or (without --force) an index; checked again under the lock."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise InputError(f"-o {out}: exists and is not a folder; an index is a folder")
    if os.path.isfile(os.path.join(out, "CURRENT")):
        if not force:
            raise InputError(f"-o {out}: already holds an index; `near-dups index add {out} PATH...` adds to it, "
                             "--force replaces it")
    elif os.path.isdir(out) and [n for n in os.listdir(out) if not _index_leftover(n)]:
        raise InputError(f"-o {out}: folder exists and is not empty; name a new or empty folder")


def _index_leftover(name: str) -> bool:
    """The lock file and what a killed save leaves in an index folder: not content (the next save sweeps it)."""
    return name == "LOCK" or name.startswith((".gen-", ".CURRENT.tmp-"))


def held_records(corpus, held) -> list[dict]:
    """One report record per document ``index filter`` held back: what it duplicated, and how closely."""
    where = {doc_id: k for k, doc_id in enumerate(corpus.ids)}
    out = []
    for doc_id, matched, score, indexed in held:
        what = "indexed document" if indexed else "earlier input document"
        reason = f"same text as {what} {matched}" if score == 1.0 else \
            f"near-duplicate (jaccard {score:.3f}) of {what} {matched}"
        out.append({"id": jsonable(doc_id), "source": corpus.where(where[doc_id]),
                    "matched": jsonable(matched), "matched_in": "index" if indexed else "input",
                    "jaccard": score, "reason": reason})
    return out


def ids_to_remove(args) -> list[str]:
    """The ids ``index remove`` is given: operands, and lines of ``--ids-from``."""
    ids = list(args.ids)
    if args.ids_from:
        try:
            if args.ids_from == "-":
                lines = sys.stdin.read().splitlines()
            else:
                with open(args.ids_from, encoding="utf-8-sig") as f:
                    lines = f.read().splitlines()
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"--ids-from {args.ids_from}: {getattr(e, 'strerror', None) or e}") from None
        ids += [line for line in lines if line.strip()]  # an id is the whole line; blank lines are skipped
    if not ids:
        raise UsageError("name the ids to remove (ID... or --ids-from FILE)")
    return ids


def as_indexed(idx, wanted: list[str]) -> list:
    """Ids from the shell (strings) as the index has them: integers in an index of integer ids; once each."""
    if idx.ids and isinstance(idx.ids[0], int):
        num = [int(w) for w in wanted if re.fullmatch(r"-?[0-9]+", w)]
        indexed = {w for w, ok in zip(num, idx.contains(num).tolist()) if ok}
        wanted = [int(w) if re.fullmatch(r"-?[0-9]+", w) and int(w) in indexed else w for w in wanted]
    return list(dict.fromkeys(wanted))  # once each, in the order given
