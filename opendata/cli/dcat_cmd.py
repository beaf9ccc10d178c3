"""``opendata dcat``: write the catalog as DCAT-AP 3, optionally paged, optionally checked."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from opendata.cli import pass_ctx
from opendata.errors import EXIT_INVALID, EXIT_OK, UsageError

#: findings printed before "... and N more"
SHOWN = 50


#: the names of opendata.dcat.FORMATS, here so that `--help` does not import rdflib
#: (a test checks they agree)
FORMAT_NAMES = ("ttl", "jsonld", "rdf", "nt")


@click.command("dcat")
@click.argument("datasets", nargs=-1)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: dist/ at the catalog root).")
@click.option("--format", "formats", default="ttl,jsonld,rdf", show_default=True,
              help=f"Comma-separated formats among {', '.join(FORMAT_NAMES)}.")
@click.option("--page-size", type=click.IntRange(min=1), default=None,
              help="Also write catalog-page-N.ttl with N datasets each, linked with Hydra.")
@click.option("--page-base", default=None,
              help="URL where the output folder is published, for the Hydra links "
                   "(default: the catalog's base URI).")
@click.option("--check", is_flag=True,
              help="Validate the graph against the DCAT-AP 3.0.1 SHACL shapes; exit 1 on "
                   "violations.")
@click.option("--no-git", is_flag=True, help="Date datasets by file times, not git history.")
@pass_ctx
def dcat_cmd(ctx, datasets: tuple[str, ...], out: Path | None, formats: str,
             page_size: int | None, page_base: str | None, check: bool, no_git: bool) -> None:
    """Write DATASETS (default: all) as DCAT-AP 3: catalog.ttl/.jsonld/.rdf and dcat/<name>.ttl.

    With Turtle, also catalog-datagouv.ttl (and its pages): the file to give data.gouv.fr's
    harvester, whose udata stores hexBinary checksums as bytes and refuses them.

    Serve the Turtle files as `text/turtle; charset=utf-8`: without the charset, clients
    may read accented characters as Latin-1.
    """
    from opendata.catalog.manifests import load_catalog
    from opendata.dcat import FORMATS, build_dcat, check_shacl, stream_dcat, write_dcat

    catalog = load_catalog(ctx.root)
    fmts = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in fmts if f not in FORMATS]
    if unknown:
        raise UsageError(f"unknown format(s) {', '.join(unknown)}",
                         f"Use a comma-separated list of {', '.join(FORMATS)}.")
    target = out or catalog.root / "dist"
    if not check:  # streamed: memory stays flat whatever the size of the catalog
        written = stream_dcat(catalog, target, fmts, list(datasets) or None, git=not no_git,
                              page_size=page_size, page_base=page_base)
        click.echo(f"wrote {len(written)} file(s) to {target}")
        return
    # pySHACL needs the whole graph in memory
    graph = build_dcat(catalog, list(datasets) or None, git=not no_git)
    written = write_dcat(graph, catalog, target, fmts, page_size=page_size, page_base=page_base)
    click.echo(f"wrote {len(written)} file(s) to {target} ({len(graph)} triples)")
    report = check_shacl(graph, catalog.root)
    for kind, items in (("violation", report.violations), ("warning", report.warnings)):
        for r in items[:SHOWN]:
            click.echo(f"{kind}: {r.focus}\n  path: {r.path or '-'}\n  {r.message}",
                       err=kind == "violation")
        if len(items) > SHOWN:
            click.echo(f"... and {len(items) - SHOWN} more {kind}s")
    click.echo(f"SHACL (DCAT-AP 3.0.1): {len(report.violations)} violation(s), "
               f"{len(report.warnings)} warning(s)")
    sys.exit(EXIT_OK if report.conforms else EXIT_INVALID)


COMMANDS = [dcat_cmd]
