"""The ``opendata`` command line.

Each command parses options, calls one library function, renders its result.  Errors are
caught once, here: an :class:`~opendata.errors.OpendataError` prints its message and hint
on stderr and exits with its code.  Ctrl-C prints one line and exits 130.  Anything else is
a bug: the last-resort handler prints one line naming the command and a crash report (with
every secret masked) and exits 70 -- a user never gets a traceback.  Under the test suite,
``OPENDATA_RAISE_UNEXPECTED=1`` makes it re-raise instead, so that no test input can reach
it unnoticed.

Everything the commands print goes through a masking stream: a secret that slipped into
some text (a portal quoting our request headers back) is replaced by ``***`` on its way out.
"""

# ruff: noqa: E402  (the SIGINT guard below must be set before the imports it covers)
from __future__ import annotations

import signal as _signal
import sys as _sys
import threading as _threading


def _interrupted_while_starting(_signum: int, _frame: object) -> None:
    _sys.stderr.write("interrupted: opendata stopped while starting; nothing was written\n")
    raise SystemExit(130)


# Loading the commands takes a moment; Ctrl-C meanwhile must be one line, not an import
# traceback.  Only while this module loads, and only when nobody else handles SIGINT.
_STARTING = (_threading.current_thread() is _threading.main_thread()
             and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler)
if _STARTING:
    _signal.signal(_signal.SIGINT, _interrupted_while_starting)

import datetime as dt
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

import click

from opendata._version import __version__
from opendata.errors import (
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    OpendataError,
    mask_secrets,
    register_env_secrets,
)

#: set (to anything) to re-raise unexpected exceptions instead of the one-line report
RAISE_ENV = "OPENDATA_RAISE_UNEXPECTED"
#: folder for crash reports (default: the system's temporary folder)
CRASH_DIR_ENV = "OPENDATA_CRASH_DIR"


class _MaskingStream:
    """A text stream proxy that masks registered secrets in everything written.

    It exposes no ``buffer``, so click cannot bypass it by writing bytes underneath."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(mask_secrets(text) if isinstance(text, str) else text)
        return len(text)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":
            raise AttributeError(name)
        return getattr(self._stream, name)


def write_crash_report(command: str, exc: BaseException) -> Path:
    """Write the traceback of an unexpected error, secrets masked, and return its path."""
    register_env_secrets()
    folder = Path(os.environ.get(CRASH_DIR_ENV) or tempfile.gettempdir())
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = "\n".join([
        f"opendata {__version__} crash report ({stamp})",
        f"command: {' '.join(['opendata', *sys.argv[1:]])}",
        f"python: {sys.version.split()[0]} on {sys.platform}",
        "",
        "".join(traceback.format_exception(exc)),
        "Please report this at the project's issue tracker, with this file.",
    ])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f"opendata-crash-{stamp}-", suffix=".txt",
                                    dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(mask_secrets(text))
        return Path(name)
    except OSError:
        return folder / "(crash report could not be written)"


def _command_name(ctx: click.Context) -> str:
    args = [*getattr(ctx, "_protected_args", []), *ctx.args]
    return args[0] if args else "(no command)"


#: commands whose process ends without the interpreter's teardown (see _quick_exit)
QUICK_EXIT = {"validate"}


def _quick_exit(code: Any) -> None:
    """End the process now that the command is over, skipping the interpreter's teardown
    of every module: after a check that loaded polars and pyarrow it took ~0.12 s, 8% of
    validating a million rows, to free memory the system frees anyway.  What a normal exit
    does that matters still happens: atexit callbacks (temporary folders, logging), the
    streams flushed, the exit code (a message code printed as Python prints it).  Only
    when no other thread is still working, and only for QUICK_EXIT commands, which close
    every file they write."""
    if any(t.is_alive() and not t.daemon for t in _threading.enumerate()
           if t is not _threading.main_thread()):
        return
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    import atexit

    atexit._run_exitfuncs()
    import contextlib

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing to say
            stream.flush()
    os._exit(status)


class _Group(click.Group):
    #: set by :meth:`main` for a real process run; see :meth:`invoke`'s end
    _process_run = False
    #: the command run is one of QUICK_EXIT
    _quick = False

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        # A real process run reads sys.argv from the main thread; an in-process caller
        # (click's CliRunner, a test) passes its args and keeps its own Ctrl-C handler.
        self._process_run = args is None and _threading.current_thread() is _threading.main_thread()
        try:
            return super().main(args, *rest, **kwargs)
        except SystemExit as done:
            if self._process_run and self._quick:
                _quick_exit(done.code)
            raise

    def invoke(self, ctx: click.Context) -> Any:
        name = _command_name(ctx)
        self._quick = name in QUICK_EXIT
        out, err = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = _MaskingStream(out), _MaskingStream(err)  # type: ignore[assignment]
        try:
            return super().invoke(ctx)
        except OpendataError as exc:
            from opendata.catalog.i18n import _  # the command's language, as its message is in

            click.secho(f"{_('error')}: {mask_secrets(exc.message)}", fg="red", err=True)
            if exc.hint:
                click.echo(f"{_('hint')}: {mask_secrets(exc.hint)}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(f"interrupted: opendata {name} stopped; outputs already in place "
                       "were left as they were", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except BrokenPipeError:  # `opendata plan | head`: the reader left, nothing to say
            sys.stdout, sys.stderr = out, err
            ctx.exit(1)
        except Exception as exc:
            if os.environ.get(RAISE_ENV):
                raise
            report = write_crash_report(name, exc)
            click.echo(f"internal error: opendata {name} failed unexpectedly "
                       f"({type(exc).__name__}); this is a bug, full report in {report}",
                       err=True)
            ctx.exit(EXIT_INTERNAL)
        finally:
            sys.stdout, sys.stderr = out, err
            if self._process_run:
                # The command is over: its outputs are in place and its exit code chosen.
                # A Ctrl-C from here on would reach click's own handler ("Aborted!", exit
                # 1) or, once Python restores SIGINT's default action while it shuts
                # down, kill the process silently: neither tells the truth, so it is
                # ignored for the last milliseconds.
                _signal.signal(_signal.SIGINT, _signal.SIG_IGN)


class Context:
    """What every command needs: where the catalog is."""

    def __init__(self, root: Path | None):
        self._root = root

    @property
    def root(self) -> Path:
        from opendata.catalog.config import find_root  # not needed by `--help`

        return self._root.resolve() if self._root else find_root()


pass_ctx = click.make_pass_decorator(Context)


def progress_printer(enabled: bool | None = None):
    """A progress callback writing to stderr when it is a terminal (quiet in CI logs)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None

    def show(message: str) -> None:
        click.echo(f"\r\033[K{message}", nl=False, err=True)

    return show


def end_progress(progress) -> None:
    if progress is not None:
        click.echo("\r\033[K", nl=False, err=True)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="opendata")
@click.option("--root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Catalog root (the folder with opendata.yaml). Default: found from the "
                   "current folder upwards.")
@click.option("--lang", type=click.Choice(["en", "fr"]), default=None,
              help="Language of validation messages (default: $OPENDATA_LANG, else the "
                   "catalog's `language`, else English).")
@click.pass_context
def main(ctx: click.Context, root: Path | None, lang: str | None) -> None:
    """Validate, enrich and publish an open-data catalog kept in git.

    \b
    Typical use:
      opendata validate            check manifests and data files
      opendata build               validate and write dist/ (reports, packages, DCAT)
      opendata plan --target T     show what publishing would change on a portal
      opendata publish --target T  apply it
    """
    ctx.obj = Context(root)
    from opendata.validation import messages

    messages.set_override(lang)


def _register() -> None:
    """Add the commands of every module of this package: a module lists them in
    ``COMMANDS``, or defines one command named after itself (``dcat_cmd.dcat_cmd``).

    Discovery instead of a hand-kept list: a new command is one new module.  Each module
    imports its stage's code inside the command functions, so registering them all costs
    no more than click itself."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.endswith(("_cmd", "_cmds")):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        commands = getattr(module, "COMMANDS", None) or [getattr(module, info.name)]
        for cmd in commands:
            main.add_command(cmd)


_register()
if _STARTING and _signal.getsignal(_signal.SIGINT) is _interrupted_while_starting:
    _signal.signal(_signal.SIGINT, _signal.default_int_handler)

__all__ = ["EXIT_USAGE", "main", "pass_ctx"]
