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
@click.option("--published", "published", multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="A report of `opendata publish --report` whose portal pages the dataset "
                   "pages link (repeatable; published/*.json is always read).")
@pass_ctx
def site_cmd(ctx, dist: Path | None, out: Path | None, no_cache: bool,
             published: tuple[Path, ...]) -> None:
    """Write the catalog's static website (French, and English under en/).

    It needs a build (`opendata build` writes the site too); open <out>/index.html in a
    browser, or copy the folder to any static host.
    """
    from opendata.site import site

    progress = progress_printer()
    result = site(ctx.root, dist, out=out, use_cache=not no_cache, published=published,
                  progress=progress)
    end_progress(progress)
    click.echo(f"wrote {result.pages} page(s) for {result.datasets} dataset(s) to {result.out}")



@click.command("serve")
@click.option("--dist", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The build folder to serve (default: dist/ at the catalog root).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), default=4, show_default=True,
              help="Worker threads of this process.")
@click.option("--site-url", default=None,
              help="Public root URL behind a reverse proxy (default: from each request).")
@pass_ctx
def serve_cmd(ctx, dist: Path | None, host: str, port: int, threads: int,
              site_url: str | None) -> None:
    """Serve the site, the DCAT files and CKAN's read API (/api/3/action/) from dist/.

    Read-only and stateless: run several (`waitress-serve --call
    opendata.api.app:make_app`, or gunicorn) behind a reverse proxy to scale out.
    """
    from opendata.api.serve import serve

    serve(dist or ctx.root / "dist", host=host, port=port, threads=threads, site_url=site_url,
          announce=lambda url: click.echo(f"serving {url} (CKAN API: {url}api/3/action/)"))


COMMANDS = [site_cmd, serve_cmd]
