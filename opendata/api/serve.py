"""Run the API app with waitress, a production WSGI server (pure Python, threads)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opendata.api.app import App


def serve(dist: Path | str, *, host: str = "127.0.0.1", port: int = 8000, threads: int = 4,
          site_url: str | None = None, announce: Callable[[str], None] | None = None) -> None:
    """Serve ``dist`` until interrupted; the app is loaded (and checked) before listening."""
    from waitress.server import create_server

    app = App(dist, site_url)
    server = create_server(app, host=host, port=port, threads=threads, ident="opendata")
    if announce:
        announce(f"http://{server.effective_host}:{server.effective_port}/")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
