"""One exception hierarchy for every failure a user can meet.

Each error carries a user-facing message, an optional hint (what to do about it) and the
process exit code.  The CLI catches :class:`OpendataError` once and renders it; library
callers catch it like any exception.  Nothing in here may ever contain a secret: API keys
are referred to by the *name* of the environment variable that holds them.
"""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import quote

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_PUBLISH = 4
EXIT_INTEGRITY = 5
#: an output (dist/, a report) cannot be written: read-only, full disk, not a folder
EXIT_OUTPUT = 74
#: a bug: the last-resort handler caught something no code path expected
EXIT_INTERNAL = 70
#: interrupted (Ctrl-C, SIGINT), the shell convention 128 + 2
EXIT_INTERRUPTED = 130

MASK = "***"

# Every secret opendata has read (API tokens) is registered here the moment it is read, so
# that any text about to leave the process -- an error message, a portal's reply quoted in
# one, a report, a crash dump -- can be masked with one call, whatever code path built it.
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()
#: environment variable names whose values are treated as secrets in crash reports
SECRET_ENV_NAME = re.compile(r"(TOKEN|API_?KEY|SECRET|PASSW(OR)?D)", re.I)


def register_secret(value: str | None) -> None:
    """Remember ``value`` (and its URL-quoted form, as a portal may echo it) for masking."""
    if not value or len(value) < 4:
        return
    with _SECRETS_LOCK:
        _SECRETS.add(value)
        _SECRETS.add(quote(value, safe=""))
        if value.strip() and value.strip() != value:
            _SECRETS.add(value.strip())


def mask_secrets(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first, so that a
    secret containing another is masked whole)."""
    if not _SECRETS or not isinstance(text, str):
        return text
    for secret in sorted(_SECRETS, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def register_env_secrets(environ: dict[str, str] | None = None) -> None:
    """Register the values of environment variables named like secrets (``*_TOKEN``,
    ``*_API_KEY``...): a crash report must not carry them even when no code read them."""
    for name, value in (environ if environ is not None else os.environ).items():
        if SECRET_ENV_NAME.search(name) and len(value) >= 8:
            register_secret(value)


class OpendataError(Exception):
    """Base class: a message for the user, a hint, and the exit code the CLI returns."""

    exit_code: int = EXIT_INVALID

    def __init__(self, message: str, hint: str | None = None, *, exit_code: int | None = None):
        # masked at birth: messages often quote what a portal or a file said
        message = mask_secrets(message)
        hint = mask_secrets(hint) if hint else hint
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
        self.detail = mask_secrets(message)
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


class OutputError(OpendataError):
    """An output cannot be written (read-only folder, full disk, a file where a folder
    should be); the message names the path."""

    exit_code = EXIT_OUTPUT


def output_error(path: object, exc: OSError, what: str = "cannot write") -> OutputError:
    """An :class:`OutputError` naming ``path`` and the system's reason, with a hint."""
    import errno

    reason = exc.strerror or str(exc)
    hints = {
        errno.ENOSPC: "The disk is full: free some space, or write elsewhere.",
        errno.EDQUOT: "The disk quota is exceeded: free some space, or write elsewhere.",
        errno.EROFS: "The file system is read-only: write elsewhere.",
        errno.EACCES: "Check the folder's permissions, or write elsewhere.",
        errno.EPERM: "Check the folder's permissions, or write elsewhere.",
        errno.ENOTDIR: "A file stands where a folder is needed: move it away.",
        errno.EEXIST: "A file stands where a folder is needed: move it away.",
        errno.EISDIR: "A folder stands where a file is needed: move it away.",
    }
    where = getattr(exc, "filename", None) or path
    return OutputError(f"{what} {where}: {reason}",
                       hints.get(exc.errno or 0, "Check the path and the disk."))
