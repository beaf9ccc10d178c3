"""Commands for data packages: ``pack`` builds zips, ``download`` fetches and checks them."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from opendata.cli import pass_ctx
from opendata.cli.ci_options import changed_since_option
from opendata.errors import EXIT_INVALID, UsageError


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@click.command("pack")
@click.argument("datasets", nargs=-1)
@click.option("--collection", "collections", multiple=True, metavar="PACK",
              help="Build the collection datasets/packs/PACK.yaml (repeatable).")
@click.option("--all", "all_", is_flag=True,
              help="Every valid dataset and every collection (what `opendata build` does).")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: dist/ at the catalog root).")
@click.option("--no-cache", is_flag=True, help="Validate every file again.")
@changed_since_option
@pass_ctx
def pack_cmd(ctx, datasets: tuple[str, ...], collections: tuple[str, ...], all_: bool,
             dist: Path | None, no_cache: bool, changed_since: str | None) -> None:
    """Build reproducible zips: dist/packages/<dataset>-<version>.zip per DATASET, and
    dist/packs/<pack>-<version>.zip per --collection.

    Each zip holds datapackage.json, the data, README.md, the licence, the validation
    report and pack.lock.json (sha256 of every file). Only valid datasets are packed.
    """
    from opendata.packages.packs import build_packs

    if changed_since:  # the changed datasets and the collections that hold them
        from opendata.ci.changes import pack_changed

        if datasets or collections or all_:
            raise UsageError("--changed-since chooses what to pack itself",
                             "Drop the dataset names, --collection and --all.")
        started = time.perf_counter()
        results, changes = pack_changed(ctx.root, changed_since, dist=dist,
                                        use_cache=not no_cache)
        click.echo(changes.describe(), err=True)
        for res in results:
            click.echo(f"{res.zip_path}  {_human(res.size)}  sha256 {res.sha256}")
        click.echo(f"{len(results)} zip(s) in {time.perf_counter() - started:.1f} s", err=True)
        return
    if not (datasets or collections or all_):
        raise UsageError("nothing to pack", "Name datasets, or use --collection PACK or --all.")
    from opendata.catalog.manifests import load_catalog

    catalog = load_catalog(ctx.root)
    started = time.perf_counter()
    results = build_packs(catalog, list(datasets), list(collections), all_=all_,
                          dist=dist or catalog.root / "dist", use_cache=not no_cache)
    for res in results:
        click.echo(f"{catalog.rel(res.zip_path)}  {_human(res.size)}  sha256 {res.sha256}")
    click.echo(f"{len(results)} zip(s) in {time.perf_counter() - started:.1f} s", err=True)


def _byte_progress() -> tuple[Any, Any]:
    """A click progress bar on a terminal, nothing otherwise (quiet CI logs)."""
    if not sys.stderr.isatty():
        return None, None
    state: dict[str, Any] = {}

    def update(done: int, total: int | None) -> None:
        if total is None:  # no Content-Length: a byte counter instead of a bar
            click.echo(f"\rdownload: {_human(done)}", nl=False, err=True)
            return
        bar = state.get("bar")
        if bar is None or state.get("total") != total:
            if bar is not None:
                bar.render_finish()
            bar = click.progressbar(length=total, label="download", file=sys.stderr)
            bar.__enter__()
            state.update(bar=bar, total=total, pos=0)
        bar.update(done - state["pos"])
        state["pos"] = done

    def finish() -> None:
        if state.get("bar") is not None:
            state["bar"].render_finish()

    return update, finish


@click.command("download")
@click.argument("source")
@click.option("--to", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the zip and its extraction (default: current folder).")
@click.option("--verify-only", is_flag=True,
              help="Check an existing zip or extracted folder against its lock; download "
                   "and extract nothing.")
@click.option("--sha256", default=None, metavar="HEX",
              help="Published sha256 of the zip, checked before anything else.")
@click.option("--no-validate", is_flag=True, help="Skip the Frictionless re-validation.")
@click.pass_obj
def download_cmd(obj, source: str, to: Path | None, verify_only: bool, sha256: str | None,
                 no_validate: bool) -> None:
    """Download a pack, verify every file against pack.lock.json, extract it safely,
    re-validate the data and show where each resource is.

    SOURCE is a zip, an http(s) URL (interrupted downloads resume), TARGET:PACK (a
    collection published on a configured portal) or, with --verify-only, an extracted
    folder. Exit codes: 0 ok, 1 data invalid, 5 integrity error (nothing extracted).
    """
    from functools import partial

    from opendata.harvesters.lookup import resolve_portal_source
    from opendata.packages.download import download

    root = None
    try:
        root = obj.root
    except Exception:  # outside a catalog: only TARGET:PACK needs one
        root = None
    progress, finish = _byte_progress()
    try:
        result = download(source, to, verify_only=verify_only, sha256=sha256,
                          progress=progress, validate_data=not no_validate,
                          resolve_portal=partial(resolve_portal_source, root or Path.cwd()))
    finally:
        if finish:
            finish()
    lock = result.lock
    label = f"{lock.get('name')} {lock.get('version')}"
    n_files = len(lock.get("files", {})) + 1
    if result.resumed:
        click.echo("download resumed after an interruption", err=True)
    if result.zip_path and not result.folder:
        click.echo(f"{result.zip_path}: {label}, {n_files} files verified against the lock")
    elif verify_only:
        click.echo(f"{label}: {n_files} files verified in {result.folder}")
    else:
        click.echo(f"{label}: {n_files} files verified, extracted in {result.folder}")
    commit = (lock.get("catalog") or {}).get("commit")
    if commit:
        click.echo(f"catalog commit {commit}")
    for res in result.resources:
        click.echo(f"  {res.name:<50} {res.path}")
    if result.validated:
        if result.errors:
            click.secho(f"data: {len(result.errors)} Frictionless error(s)", fg="red", err=True)
            for err in result.errors[:20]:
                click.echo(f"  - {err}", err=True)
            sys.exit(EXIT_INVALID)
        click.echo("data: valid (Frictionless)")


COMMANDS = [pack_cmd, download_cmd]
