"""``opendata import --dcat``: the bundled catalog's own paged DCAT, served over HTTP on
127.0.0.1, gives its manifests back; paging faults are clear errors."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from opendata.catalog import load_catalog
from opendata.cli import main
from opendata.errors import OpendataError
from opendata.importers import import_catalog

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "catalog"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".ttl": "text/turtle; charset=utf-8"}

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A folder served on 127.0.0.1 (its URL, its path), for the test to fill."""
    folder = tmp_path / "www"
    folder.mkdir()
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", folder
    finally:
        server.shutdown()
        server.server_close()


def empty_catalog(tmp_path: Path) -> Path:
    root = tmp_path / "imported"
    root.mkdir()
    shutil.copyfile(FIXTURE / "opendata.yaml", root / "opendata.yaml")
    return root


def test_paged_dcat_of_the_bundled_catalog_gives_its_manifests_back(
        tmp_path: Path, served: tuple[str, Path]) -> None:
    url, folder = served
    src = tmp_path / "src"
    src.mkdir()
    for item in ("opendata.yaml", "validation", "datasets"):
        (shutil.copytree if (REPO / item).is_dir() else shutil.copyfile)(REPO / item, src / item)
    result = CliRunner().invoke(main, ["--root", str(src), "dcat", "--out", str(folder),
                                       "--format", "ttl", "--page-size", "4",
                                       "--page-base", url])
    assert result.exit_code == 0, result.output
    pages = sorted(folder.glob("catalog-page-*.ttl"))
    assert len(pages) >= 3
    root = empty_catalog(tmp_path)
    report = import_catalog(f"{url}{pages[0].name}", root, kind="dcat")
    originals = {ds.name: ds.raw for ds in load_catalog(src).datasets}
    assert sorted(i.folder.split("/")[-1] for i in report.items) == sorted(originals)
    for name, orig in originals.items():
        got = yaml.safe_load((root / "datasets" / name / "dataset.yaml").read_text("utf-8"))
        for key in ("title", "organization", "licence", "frequency", "contact", "version",
                    "language"):
            assert got.get(key) == orig.get(key), (name, key)
        # RDF has no order: lists come back sorted
        assert got.get("themes") == (sorted(orig.get("themes") or []) or None)
        assert got["description"].strip() == orig["description"].strip()
        assert sorted(got.get("keywords") or []) == sorted(orig.get("keywords") or [])
        assert got["temporal"] == {k: str(v) for k, v in orig["temporal"].items()}
        if (orig.get("spatial") or {}).get("code"):
            assert got["spatial"]["code"] == orig["spatial"]["code"], name
        assert got["source"]["title"] == orig["source"]["title"]
        assert [r["name"] for r in got["resources"]] == sorted(r["name"] for r in
                                                               orig["resources"])
        assert got["origin"]["kind"] == "dcat"
    # the same import again changes nothing
    again = import_catalog(f"{url}{pages[0].name}", root, kind="dcat")
    assert {i.action for i in again.items} == {"unchanged"}


def test_paging_that_loops_back_is_an_error(tmp_path: Path, served: tuple[str, Path]) -> None:
    url, folder = served
    page = ("@prefix dcat: <http://www.w3.org/ns/dcat#> .\n"
            "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .\n"
            f"<{url}a.ttl> a hydra:PartialCollectionView ; hydra:next <{url}b.ttl> .\n")
    (folder / "a.ttl").write_text(page, encoding="utf-8")
    (folder / "b.ttl").write_text(page.replace("hydra:next", "hydra:previous") +
                                  f"<{url}b.ttl> hydra:next <{url}a.ttl> .\n", encoding="utf-8")
    with pytest.raises(OpendataError, match="loops back"):
        import_catalog(f"{url}a.ttl", empty_catalog(tmp_path), kind="dcat")


def test_a_page_that_is_html_is_an_error(tmp_path: Path, served: tuple[str, Path]) -> None:
    url, folder = served
    (folder / "index.html").write_text("<html><body>Maintenance</body></html>",
                                       encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["--root", str(empty_catalog(tmp_path)), "import", "--dcat",
                                  f"{url}index.html"])
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    assert "error:" in result.output
