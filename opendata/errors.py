"""One exception hierarchy for every failure a user can meet.

Each error carries a user-facing message, an optional hint (what to do about it) and the
process exit code.  The CLI catches :class:`OpendataError` once and renders it; library
callers catch it like any exception.  Nothing in here may ever contain a secret: API keys
are referred to by the *name* of the environment variable that holds them.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_PUBLISH = 4
EXIT_INTEGRITY = 5


class OpendataError(Exception):
    """Base class: a message for the user, a hint, and the exit code the CLI returns."""

    exit_code: int = EXIT_INVALID

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UsageError(OpendataError):
    """The command was called wrongly (unknown dataset, bad option combination)."""

    exit_code = EXIT_USAGE


class ConfigError(OpendataError):
    """The catalog configuration (opendata.yaml, licences/, harvesters/) is unusable."""

    exit_code = EXIT_CONFIG


class ManifestError(OpendataError):
    """A manifest cannot even be read (YAML syntax, not a mapping); pinpoints file and line."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str, hint: str | None = None, *, path: str | None = None,
                 line: int | None = None, column: int | None = None):
        where = path or ""
        if line is not None:
            where += f":{line}" + (f":{column}" if column is not None else "")
        super().__init__(f"{where}: {message}" if where else message, hint)
        self.detail = message
        self.path = path
        self.line = line
        self.column = column


class ValidationFailed(OpendataError):
    """Validation found errors; the report has the details."""

    exit_code = EXIT_INVALID


class PortalError(OpendataError):
    """A portal (CKAN, udata) refused or failed a request."""

    exit_code = EXIT_PUBLISH

    def __init__(self, message: str, hint: str | None = None, *, status: int | None = None,
                 field_errors: dict[str, list[str]] | None = None):
        super().__init__(message, hint)
        self.status = status
        self.field_errors = field_errors or {}


class IntegrityError(OpendataError):
    """Downloaded or packed content does not match its recorded checksum."""

    exit_code = EXIT_INTEGRITY
