"""``opendata import``: adopt an existing catalog as manifests."""

from __future__ import annotations

import json
import sys

import click

from opendata.cli import end_progress, pass_ctx, progress_printer
from opendata.errors import EXIT_OK


@click.command("import")
@click.option("--ckan", "ckan_url", metavar="URL", help="Import a CKAN site (its root URL).")
@click.option("--datagouv", "datagouv_url", metavar="URL",
              help="Import a data.gouv.fr (udata) organisation from this site, with "
                   "--organization.")
@click.option("--dcat", "dcat_url", metavar="URL",
              help="Import a DCAT catalog (Turtle, RDF/XML or JSON-LD; Hydra pages followed).")
@click.option("--organization", "-o", metavar="ID",
              help="Only this organisation (CKAN: name; udata: id or slug; required for "
                   "--datagouv).")
@click.option("--token-env", metavar="VAR",
              help="Environment variable holding an API token (to read private datasets).")
@click.option("--download", is_flag=True,
              help="Fetch the files into the dataset folders (sha256 checked when the portal "
                   "gives one); without it resources keep their URL.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=512 * 1024 * 1024,
              show_default=True, help="With --download: larger files keep their URL.")
@click.option("--infer", is_flag=True,
              help="With --download: write an inferred Table Schema for CSV files that "
                   "declare none.")
@click.option("--dry-run", is_flag=True, help="Show what would be written; write nothing.")
@click.option("--force", is_flag=True,
              help="Overwrite a folder that holds a dataset not imported from this source.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@pass_ctx
def import_cmd(ctx, ckan_url: str | None, datagouv_url: str | None, dcat_url: str | None,
               organization: str | None, token_env: str | None, download: bool,
               max_bytes: int, infer: bool, dry_run: bool, force: bool, fmt: str) -> None:
    """Import datasets from a portal or a DCAT catalog into datasets/<name>/dataset.yaml.

    Every field the harvesters publish is mapped back (licences through the registry,
    frequencies, themes, temporal and spatial coverage, contact, keywords, extras); what
    no manifest field holds is kept in extras or reported. Unknown organisations are added
    to opendata.yaml. Each manifest records its origin: running the import again updates
    the manifests in place (review the remote changes as a git diff), and publishing back
    to the same portal adopts the datasets instead of creating copies.
    """
    from opendata.errors import UsageError
    from opendata.importers import import_catalog

    given = [(k, u) for k, u in (("ckan", ckan_url), ("datagouv", datagouv_url),
                                 ("dcat", dcat_url)) if u]
    if len(given) != 1:
        raise UsageError("give exactly one source: --ckan URL, --datagouv URL or --dcat URL",
                         "e.g. opendata import --ckan https://demo.ckan.org -o my-org")
    kind, url = given[0]
    show = progress_printer()

    def progress(count: int, name: str) -> None:
        if show:
            show(f"import: {count} dataset(s) read, {name}")

    try:
        report = import_catalog(url, ctx.root, kind=kind, organization=organization,
                                token_env=token_env, download=download, infer=infer,
                                dry_run=dry_run, force=force, max_bytes=max_bytes,
                                progress=progress)
    finally:
        end_progress(show)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        sys.exit(EXIT_OK)
    verb = "would be " if dry_run else ""
    for item in report.items:
        line = f"  {item.action:<10} {item.folder}  ({item.remote})"
        if item.changed_fields and item.action == "updated":
            line += f": {', '.join(item.changed_fields)}"
        click.echo(line)
        if item.reason:
            click.echo(f"             {item.reason}")
        for warning in item.warnings:
            click.echo(f"             warning: {warning}")
        for name in item.downloads:
            click.echo(f"             downloaded {name}")
    for key in report.organizations_added:
        click.echo(f"  organisation {key} {verb}added to opendata.yaml")
    counts = ", ".join(f"{n} {verb}{a}" for a, n in report.counts().items() if n)
    click.echo(f"{counts or 'nothing to import'}; {report.requests} request(s) to {url}")
    sys.exit(EXIT_OK)


COMMANDS = [import_cmd]
