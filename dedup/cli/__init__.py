"""The ``near-dups`` command: parse arguments, read the corpus, call the API, write results.

Every command is one entry of the table in ``_table`` (a ``_command.Command``
defined next to the code that runs it): the parser, usage lines, help and
path checks are generated from it. A command's run is one function from
parsed arguments to an exit code; nothing here decides what is a duplicate:
that is ``dedup.index``, ``dedup.collapse``, ``dedup.blocks`` and
``dedup.passages``.

Exit codes (``_errors``): 0 success, 1 ``--fail-on-duplicates`` found some,
2 usage or input error (one message, no traceback), 3 internal error, 130
interrupted.

No output may overwrite an input: ``main`` checks every output of a command
against every input (``_paths.check_paths``) before it runs, and again
against the input files found, before they are read (``_common.read``). No
output replaces an existing file without ``--force``: checked there too, once the
input files are known (``_paths.check_existing``).
"""

from __future__ import annotations

import gc
import os
import sys
import traceback

from .._core import _fs
from ._command import name_side_files, paths_of
from ._common import check_run_options, warn_ignored
from ._io._errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, InputError, MissingPathError, UsageError
from ._io._paths import check_paths
from ._table import BY_NAME, GROUPS, TABLE, build_parser, command_like, dispatch, members
from ._io._ui import UI

__all__ = ["main", "TABLE"]


#: Seconds a thread running Python holds the GIL while another waits for it (Python's default: 0.005). A stream
#: is read (JSON parsed) on a thread while the main thread runs kernels that release the GIL; each kernel's
#: return waits for the reader to let go, up to this long, dozens of times per chunk.
SWITCH_INTERVAL = 0.0005
#: Allocations between two young collections of the cyclic GC (Python's default: 700). Reading a corpus makes
#: and drops a few objects per document; at 700 the collections took 0.39 s of a 100k-page collapse (GIL
#: held), 0.11 s at this with the heap loaded before the run frozen.
GC_THRESHOLD = 10_000


def _parse(argv: list[str]):
    """``(args, parser, parser of every command by name)``; argparse's SystemExit (help, version, bad usage) escapes."""
    parser, subs = build_parser()
    args, extra = parser.parse_known_args(argv)
    group = GROUPS.get(args.command) and getattr(args, f"{args.command}_command", None)
    command = BY_NAME.get(f"{args.command} {group}" if group else args.command)
    if extra and command is not None and command.rest and not any(x.startswith("-") for x in extra):
        getattr(args, command.rest).extend(extra)  # `index remove IDX --missing-ok ID...`: operands after an option
    elif extra and command is not None:  # `explain A A B`: the command's usage, not the top-level one
        subs[command.name].error(f"unrecognized arguments: {' '.join(extra)}")
    elif extra:
        parser.parse_args(argv)  # argparse's own message for what it did not recognize
    return args, parser, subs


def main(argv: list[str] | None = None) -> int:
    """Run ``near-dups`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    # Numba's OpenMP workers sleep between parallel kernels instead of spinning (unless told otherwise): their
    # spinning took the core the reading and cutting threads need (100k-page collapse: 7.6 s, 6.9 s passive).
    # Read when OpenMP loads, at the first parallel kernel, after this.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        args, parser, subs = _parse(dispatch(list(sys.argv[1:] if argv is None else argv)))
    except SystemExit as e:  # argparse has printed usage and the error (or the help)
        return e.code if isinstance(e.code, int) else EXIT_USAGE
    if args.command is None:
        parser.print_usage(sys.stderr)
        print("near-dups: error: give a PATH to search (or a command); near-dups --help explains", file=sys.stderr)
        return EXIT_USAGE
    if args.command in GROUPS:
        leaf = getattr(args, f"{args.command}_command")
        if leaf is None:
            subs[args.command].print_usage(sys.stderr)
            names = ", ".join(c.name.split()[1] for c in members(args.command))
            print(f"near-dups {args.command}: error: give a command: {names}; near-dups {args.command} --help "
                  "explains", file=sys.stderr)
            return EXIT_USAGE
        args.command = f"{args.command} {leaf}"
    command = BY_NAME[args.command]
    return _run(command, args, UI(args), subs)


def entry() -> None:
    """The ``near-dups`` command as a process (the console script, ``python -m dedup.cli``): ``main``, then exit
    without the interpreter's last collection, which walked every object numba and the run had made (0.3-0.4 s
    at the end of every command; the heap goes with the process)."""
    code = main()
    gc.freeze()
    sys.exit(code)


def _run(command, args, ui, subs) -> int:
    """Run ``command``: its exit code, every error turned into its message and code."""
    try:
        args.config = command.configure(args) if command.configure else None
        check_run_options(args)
        warn_ignored(command, args, ui)
        name_side_files(command, args)
        args.outputs, inputs = paths_of(command, args)
        check_paths(args.outputs, inputs)  # no output may be an input: checked here, for every command
        # on a first run, a second process compiles the job's kernels meanwhile; on a small input they run interpreted
        first = ui.first_run(None if command.name == "warm" else command.name, inputs)
        switch, thresholds = sys.getswitchinterval(), gc.get_threshold()
        sys.setswitchinterval(SWITCH_INTERVAL)
        gc.freeze()  # what is loaded by now (numba, numpy: a large heap) is not traversed by every collection
        gc.set_threshold(GC_THRESHOLD, *thresholds[1:])
        try:
            return command.run(args, ui)
        finally:
            sys.setswitchinterval(switch)
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            ui.first_run_over(first)
    except UsageError as e:
        subs[args.command].print_usage(sys.stderr)
        print(f"near-dups {args.command}: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except InputError as e:
        hint = command_like(e.path) if isinstance(e, MissingPathError) else ""
        print(f"near-dups: error: {e}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError as e:  # an index add/remove that cannot fit says so before changing anything
        print(f"near-dups: error: out of memory: {e or 'an array did not fit in RAM'}; nothing was written",
              file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("near-dups: interrupted; no output was written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `near-dups corpus/ | head`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except OSError as e:  # disk full, permission denied, read-only: name the file and the OS's reason
        where = f"{e.filename}: " if e.filename else ""
        print(f"near-dups: error: {where}{_fs.reason(e)}; nothing was written", file=sys.stderr)
        if args.verbose:
            traceback.print_exc()
        return EXIT_USAGE
    except Exception as e:
        if args.verbose:
            traceback.print_exc()
        print(f"near-dups: internal error: {type(e).__name__}: {e} (run with -v for the traceback; "
              "please report it)", file=sys.stderr)
        return EXIT_INTERNAL
