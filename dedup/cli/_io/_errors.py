"""How a run of ``near-dups`` ends: its exit codes, and the two errors that stop it with one message.

Exit codes: 0 success, 1 ``--fail-on-duplicates`` found some, 2 usage or
input error (one message, no traceback), 3 internal error, 130 interrupted.
"""

EXIT_OK, EXIT_FOUND, EXIT_USAGE, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class InputError(Exception):
    """Bad input or output path: one message naming the file and line, field or option (exit code 2)."""


class UsageError(Exception):
    """A bad option value: printed with the command's usage (exit code 2)."""


class MissingPathError(InputError):
    """An input path that does not exist; the command layer may add a hint (a mistyped command name)."""

    def __init__(self, path: str):
        super().__init__(f"{path}: no such file or folder")
        self.path = path
