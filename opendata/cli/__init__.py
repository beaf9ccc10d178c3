"""The ``opendata`` command line.

Each command parses options, calls one library function, renders its result.  Errors are
caught once, here: an :class:`~opendata.errors.OpendataError` prints its message and hint
on stderr and exits with its code; nothing else is expected, so anything else is a bug and
keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from opendata._version import __version__
from opendata.catalog.config import find_root
from opendata.errors import EXIT_USAGE, OpendataError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OpendataError as exc:
            click.secho(f"error: {exc.message}", fg="red", err=True)
            if exc.hint:
                click.echo(f"hint: {exc.hint}", err=True)
            ctx.exit(exc.exit_code)


class Context:
    """What every command needs: where the catalog is."""

    def __init__(self, root: Path | None):
        self._root = root

    @property
    def root(self) -> Path:
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
@click.pass_context
def main(ctx: click.Context, root: Path | None) -> None:
    """Validate, enrich and publish an open-data catalog kept in git.

    \b
    Typical use:
      opendata validate            check manifests and data files
      opendata build               validate and write dist/ (reports, packages, DCAT)
      opendata plan --target T     show what publishing would change on a portal
      opendata publish --target T  apply it
    """
    ctx.obj = Context(root)


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

__all__ = ["EXIT_USAGE", "main", "pass_ctx"]
