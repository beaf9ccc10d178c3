"""``opendata site`` (the static website) and ``opendata serve`` (site, DCAT, CKAN read API)."""

from __future__ import annotations

from pathlib import Path

import click

from opendata.cli import end_progress, pass_ctx, progress_printer


@click.command("site")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The build folder the site links (default: dist/ at the catalog root).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: <dist>/site).")
@click.option("--no-cache", is_flag=True, help="Re-validate unchanged data files too.")
@pass_ctx
def site_cmd(ctx, dist: Path | None, out: Path | None, no_cache: bool) -> None:
    """Write the catalog's static website (French, and English under en/).

    It needs a build (`opendata build` writes the site too); open <out>/index.html in a
    browser, or copy the folder to any static host.
    """
    from opendata.site import site

    progress = progress_printer()
    result = site(ctx.root, dist, out=out, use_cache=not no_cache, progress=progress)
    end_progress(progress)
    click.echo(f"wrote {result.pages} page(s) for {result.datasets} dataset(s) to {result.out}")


COMMANDS = [site_cmd]
