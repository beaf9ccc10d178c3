"""read_catalog follows Hydra paging, and says clearly what is wrong with a bad page.

The pages are our own ``catalog-page-N.ttl`` served over HTTP on 127.0.0.1 by a real
server; the faults (HTML, a 500 in the middle, a loop) are what misconfigured servers
send, served by that same server.
"""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from test_dcat_stream import generated

from opendata.catalog.manifests import load_catalog
from opendata.dcat import DcatParseError, read_catalog, stream_dcat

PAGE_SIZE = 2


class _Handler(http.server.SimpleHTTPRequestHandler):
    faults: dict[str, tuple[int, str, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        fault = self.faults.get(self.path)
        if fault is None:
            return super().do_GET()
        status, ctype, body = fault
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def guess_type(self, path):  # type: ignore[override]
        return "text/turtle; charset=utf-8"

    def log_message(self, format, *args):  # noqa: A002
        pass


@pytest.fixture
def paged(tmp_path: Path):
    """A 5-dataset catalog, its pages written for the URL they will be served at."""
    catalog = load_catalog(generated(tmp_path / "cat", 4))

    def build(base: str) -> Path:
        out = tmp_path / "dist"
        stream_dcat(catalog, out, ("ttl",), git=False, per_dataset=False,
                    page_size=PAGE_SIZE, page_base=base, datagouv=False)
        return out
    return catalog, build


def _serve_pages(paged, faults_for):
    catalog, build = paged
    probe = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    port = probe.server_address[1]
    probe.server_close()
    base = f"http://127.0.0.1:{port}"
    out = build(base)
    handler = type("H", (_Handler,), {"faults": faults_for(out)})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(handler, directory=str(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return catalog, base, server


@contextmanager
def pages(paged, faults_for=lambda out: {}):
    catalog, base, server = _serve_pages(paged, faults_for)
    try:
        yield catalog, base
    finally:
        server.shutdown()
        server.server_close()


def test_every_page_is_read(paged) -> None:
    with pages(paged) as (catalog, base):
        got = read_catalog(f"{base}/catalog-page-1.ttl", catalog.licences)
    assert sorted(m["name"] for m in got) == sorted(d.name for d in catalog.datasets)
    assert len(got) == 5


def test_local_first_page_reads_its_siblings(paged) -> None:
    catalog, build = paged
    out = build("https://data.example.fr/dcat")  # next links point at an unreachable host
    got = read_catalog(out / "catalog-page-1.ttl", catalog.licences)
    assert len(got) == 5


def test_a_page_answering_html_is_a_clear_error(paged) -> None:
    html = b"<!DOCTYPE html><html><body>Maintenance</body></html>"
    with pages(paged, lambda out: {"/catalog-page-2.ttl": (200, "text/html", html)}) \
            as (catalog, base), pytest.raises(DcatParseError) as err:
        read_catalog(f"{base}/catalog-page-1.ttl", catalog.licences)
    msg = err.value.message
    assert "page 2 of the catalog" in msg and "catalog-page-2.ttl" in msg
    assert "linked from" in msg and "catalog-page-1.ttl" in msg
    assert "web page" in msg and "text/html" in msg
    assert "text/turtle" in (err.value.hint or "")


def test_html_served_as_turtle_is_recognised_too(paged) -> None:
    html = b"<html><head><title>502</title></head></html>"
    with pages(paged, lambda out: {"/catalog-page-3.ttl": (200, "text/turtle", html)}) \
            as (catalog, base), pytest.raises(DcatParseError) as err:
        read_catalog(f"{base}/catalog-page-1.ttl", catalog.licences)
    assert "page 3 of the catalog" in err.value.message and "web page" in err.value.message


def test_a_500_in_the_middle_of_paging_names_the_page(paged) -> None:
    with pages(paged, lambda out: {"/catalog-page-2.ttl": (500, "text/plain", b"boom")}) \
            as (catalog, base), pytest.raises(DcatParseError) as err:
        read_catalog(f"{base}/catalog-page-1.ttl", catalog.licences)
    assert "page 2 of the catalog" in err.value.message and "HTTP 500" in err.value.message
    assert err.value.exit_code != 0


def test_a_next_link_looping_back_is_an_error(paged) -> None:
    def loop(out: Path):
        page3 = (out / "catalog-page-3.ttl").read_text(encoding="utf-8")
        # the last page gets a hydra:next back to page 1
        looped = page3.replace("hydra:previous", "hydra:next <"
                               + page3.split("hydra:first <")[1].split(">")[0]
                               + "> ;\n    hydra:previous", 1)
        assert looped != page3
        return {"/catalog-page-3.ttl": (200, "text/turtle", looped.encode())}
    with pages(paged, loop) as (catalog, base), pytest.raises(DcatParseError) as err:
        read_catalog(f"{base}/catalog-page-1.ttl", catalog.licences)
    msg = err.value.message
    assert "points back at" in msg and "catalog-page-1.ttl (page 1)" in msg
    assert msg.startswith(f"{base}/catalog-page-3.ttl")


def test_a_dataset_without_identifier_is_an_error(tmp_path: Path) -> None:
    ttl = tmp_path / "c.ttl"
    ttl.write_text("""@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
<https://example.fr/catalog> a dcat:Catalog ; dcat:dataset <https://example.fr/ds/1> .
<https://example.fr/ds/1> a dcat:Dataset ; dct:title "Sans identifiant"@fr .
""", encoding="utf-8")
    with pytest.raises(DcatParseError) as err:
        read_catalog(ttl)
    msg = err.value.message
    assert msg.startswith(str(ttl)) and "<https://example.fr/ds/1>" in msg
    assert "no dct:identifier" in msg and "dct:identifier" in (err.value.hint or "")
