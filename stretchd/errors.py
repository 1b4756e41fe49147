"""The one error hierarchy: every error a user can cause carries its exit status and a one-line message."""

from __future__ import annotations

EX_USAGE = 2  # bad input: the user typed something we refuse
EX_DATA = 3  # the data or config file on disk is broken; nothing was written
EX_IO = 4  # the disk refused a write (full, read-only, permissions)
EX_UNAVAILABLE = 5  # a needed service (daemon, bus, systemd) is not there


class StretchdError(Exception):
    """Base error: ``str(err)`` is the one line shown to the user, ``exit_code`` the status."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class UsageError(StretchdError):
    """Bad input on the command line or in an imported file."""

    exit_code = EX_USAGE


class ConfigError(StretchdError):
    """The config file cannot be used; carries every problem found, each with key path and line."""

    exit_code = EX_USAGE

    def __init__(self, path: object, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        first = problems[0] if problems else "invalid"
        more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{path}: {first}{more}", hint="`stretchd config check` lists every problem")


class DataError(StretchdError):
    """The data file is corrupt or unreadable; it was left untouched."""

    exit_code = EX_DATA


class StorageWriteError(StretchdError):
    """A write failed (disk full, read-only); the previous file is intact."""

    exit_code = EX_IO


class UnavailableError(StretchdError):
    """A service stretchd needs is not reachable."""

    exit_code = EX_UNAVAILABLE
