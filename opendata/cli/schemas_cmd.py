"""``opendata schemas``: the national schema catalogue (schema.data.gouv.fr), offline.

``list``, ``search`` and ``show`` read the copy opendata ships merged with the catalog's own
``validation/schema.data.gouv.fr/``; they also work outside a catalog (shipped copy only).
``update`` is the only one that needs the network.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import click

from opendata.catalog.i18n import _
from opendata.cli import Context, pass_ctx
from opendata.errors import ConfigError, PortalError

if TYPE_CHECKING:  # the commands import it when they run: `opendata --help` stays quick
    from opendata.catalog.schemas import NationalSchema


def _root(ctx: Context) -> Path | None:
    """The catalog, when there is one: browsing the shipped catalogue needs none.  Its
    ``language`` (else --lang or the environment) is the language of the output."""
    from opendata.validation.messages import activate_for

    try:
        root = ctx.root
    except ConfigError:
        root = None
    activate_for(root)
    return root


def _line(schema: NationalSchema) -> str:
    latest = schema.latest
    origin = _(" (catalog copy)") if latest and latest.origin == "catalog" else ""
    versions = f"{latest.version if latest else '-'}{origin}"
    return f"{schema.name:<58} {versions:<12} {schema.title}"


def _render_list(schemas: list[NationalSchema], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps([{
            "name": s.name, "title": s.title, "latest": s.latest.version if s.latest else None,
            "versions": [v.version for v in s.versions], "labels": list(s.labels),
        } for s in schemas], indent=2, ensure_ascii=False))
        return
    for schema in schemas:
        click.echo(_line(schema))


@click.group("schemas")
def schemas_cmd() -> None:
    """The national Table Schemas of schema.data.gouv.fr, available offline.

    \b
      opendata schemas list                      every Table Schema, latest version
      opendata schemas search subventions        find one by subject, title or field
      opendata schemas show scdl/subventions     fields, versions, the manifest line
      opendata schemas update                    refresh the catalog's copy (network)
    """


@schemas_cmd.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_ctx
def list_cmd(ctx: Context, fmt: str) -> None:
    """Every national Table Schema: name, latest version, title."""
    from opendata.catalog.schemas import national_catalogue

    cat = national_catalogue(_root(ctx))
    schemas = cat.table_schemas()
    _render_list(schemas, fmt)
    if fmt == "text":
        n_versions = sum(len(s.versions) for s in schemas)
        click.echo(_("{schemas} Table Schemas, {versions} versions. `opendata schemas show "
                     "NAME` for one.").format(schemas=len(schemas), versions=n_versions))


@schemas_cmd.command("search")
@click.argument("words", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_ctx
def search_cmd(ctx: Context, words: tuple[str, ...], fmt: str) -> None:
    """Table Schemas whose name, title, labels, description or fields contain every WORD
    (accents and case ignored), best first."""
    from opendata.catalog.schemas import national_catalogue

    cat = national_catalogue(_root(ctx))
    found = cat.search(words)
    _render_list(found, fmt)
    if fmt == "text" and not found:
        close = cat.closest_names(" ".join(words))
        click.echo((_("no Table Schema matches {words!r}; closest names: {close}. Try fewer "
                      "or other words.") if close else
                    _("no Table Schema matches {words!r}. Try fewer or other words."))
                   .format(words=" ".join(words), close=", ".join(close)))


@schemas_cmd.command("show")
@click.argument("name")
@click.option("--version", "version", default=None, help="A version (default: the latest).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="json: the Table Schema itself.")
@pass_ctx
def show_cmd(ctx: Context, name: str, version: str | None, fmt: str) -> None:
    """A national schema: description, versions, fields, and the line that declares it."""
    from opendata.catalog.schemas import national_schema

    schema, ver, descriptor = national_schema(_root(ctx), name, version)
    if fmt == "json":
        click.echo(json.dumps(descriptor, indent=2, ensure_ascii=False))
        return
    click.echo(f"{schema.name} {ver.version}: {schema.title}")
    if schema.description:
        click.echo(textwrap.fill(schema.description, 100))
    click.echo(_("versions: {versions}").format(
        versions=", ".join(v.version for v in schema.versions)))
    click.echo(_("url: {url}").format(url=ver.url))
    click.echo(_("offline copy: {file} ({origin})").format(
        file=ver.file, origin={"catalog": _("catalog copy"), "bundled": _("shipped with opendata"),
                               "missing": _("missing")}.get(ver.origin, ver.origin)))
    if schema.homepage:
        click.echo(_("homepage: {url}").format(url=schema.homepage))
    fields = [f for f in descriptor.get("fields", []) if isinstance(f, dict)]
    click.echo(_("fields ({count}):").format(count=len(fields)))
    for f in fields:
        required = " " + _("required") if (f.get("constraints") or {}).get("required") else ""
        title = f" {f['title']}" if f.get("title") else ""
        click.echo(f"  {f.get('name', '?'):<40} {f.get('type', 'any'):<10}{required}{title}")
    checks = descriptor.get("custom_checks") or []
    if checks:
        click.echo(_("custom checks: {checks}").format(checks=", ".join(
            sorted({str(c.get("name")) for c in checks if isinstance(c, dict)}))))
    for example in schema.examples:
        click.echo(_("example: {title} {path}").format(title=example.get("title", ""),
                                                       path=example.get("path", "")))
    click.echo(_("declare it on a resource of dataset.yaml:"))
    click.echo(f"    {schema.manifest_line(ver.version)}")


@schemas_cmd.command("update")
@click.argument("names", nargs=-1)
@click.option("--refetch", is_flag=True,
              help="Download versions already held too (published versions do not change, so "
                   "by default only new ones are fetched).")
@pass_ctx
def update_cmd(ctx: Context, names: tuple[str, ...], refetch: bool) -> None:
    """Refresh the catalog's copy (validation/schema.data.gouv.fr/) from schema.data.gouv.fr:
    the current catalogue, and the Table Schema files of NAMES (default: all) that the copy
    shipped with opendata lacks.  Needs the network; nothing changes without it."""
    from opendata.catalog.schemas import SDG_DIR, update_catalogue
    from opendata.validation.messages import activate_for

    root = ctx.root
    activate_for(root)
    result = update_catalogue(root, names, refetch=refetch)
    click.echo(_("schema.data.gouv.fr: {schemas} Table Schemas, {versions} versions; {written} "
                 "written to {dir}/, {kept} already held, {same} same as opendata's copy")
               .format(schemas=result.schemas, versions=result.versions,
                       written=len(result.written), dir=SDG_DIR, kept=result.kept,
                       same=result.same_as_bundled))
    for label in result.written:
        click.echo("  " + _("wrote {label}").format(label=label))
    for label, why in result.failed:
        click.echo("  " + _("could not fetch {label}: {why}").format(label=label, why=why),
                   err=True)
    if result.failed:
        raise PortalError(_("{count} schema version(s) could not be fetched").format(
            count=len(result.failed)),
            _("Run `opendata schemas update` again later; the others were saved."))


COMMANDS = [schemas_cmd]
