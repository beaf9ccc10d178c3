"""A resource that publishes a copy (``normalise: true``): the site hosts the copy beside
the original, at the URL DCAT gives, and its page offers the copy first and the original
"as exported", each with its size and sha256."""

from __future__ import annotations

import hashlib
import re
from html import unescape
from pathlib import Path

from published_copies import copies_catalog
from rdflib import Graph, URIRef

from opendata.catalog.manifests import load_catalog
from opendata.dcat.ns import DCAT
from opendata.pipeline.build import build
from opendata.validation.normalise import published_file

BASE = "https://bibliotheque-donnees.fr/"


def test_copy_is_hosted_beside_the_original_and_offered_first(tmp_path: Path) -> None:
    root = copies_catalog(tmp_path / "catalog")
    assert build(root, use_cache=False).ok
    site = root / "dist" / "site"
    ds = load_catalog(root).dataset("stationnement")
    page = (site / "datasets" / "stationnement.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr><th scope="row"><a href="([^"]+)" download>.*?</tr>', page, re.S)
    dcat = Graph().parse(site / "dcat" / "stationnement.ttl")
    for res, copy_name in zip(ds.resources, ["parkings.csv", "territoires.csv"], strict=True):
        copy = published_file(root, res)
        assert copy is not None and res.file is not None
        hosted = site / "files" / "stationnement" / "normalised" / copy_name
        assert hosted.read_bytes() == copy.read_bytes()
        original = site / "files" / "stationnement" / res.path
        assert original.read_bytes() == res.file.read_bytes()
        # DCAT's download URL is the hosted copy's place under the site's public base
        url = dcat.value(URIRef(f"{BASE}dataset/stationnement/resource/{res.name}"),
                         DCAT.downloadURL)
        assert str(url) == BASE + hosted.relative_to(site).as_posix()
        # the copy first, then the original marked as exported; each with its sha256
        first = rows.index(f"../files/stationnement/normalised/{copy_name}")
        assert rows[first + 1] == f"../files/stationnement/{res.path}"
        for href, file in ((rows[first], copy), (rows[first + 1], res.file)):
            row = next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S) if href in r)
            assert hashlib.sha256(file.read_bytes()).hexdigest() in row
        exported = next(r for r in re.findall(r"<tr>.*?</tr>", page, re.S)
                        if rows[first + 1] in r)
        assert "tel qu'exporté" in unescape(exported)


def test_a_spreadsheet_is_previewed_from_its_sheet(tmp_path: Path) -> None:
    """The page of a dataset with an .xlsx resource shows the sheet's first rows, cells as
    the schema reads them (the CSV copy validation checked); a sheet that cannot be read
    gives an empty preview with the reason, which the page words as "no preview"."""
    from opendata.catalog.schemas import resolve_schema
    from opendata.site.model import _sheet_preview

    root = copies_catalog(tmp_path / "catalog")
    assert build(root, use_cache=False).ok
    html = unescape((root / "dist" / "site" / "datasets" / "stationnement.html")
                    .read_text(encoding="utf-8"))
    tables = re.findall(r'<table class="preview">.*?</table>', html, re.S)
    [sheet] = [t for t in tables if "Territoires" in t]
    assert re.findall(r'<th scope="col">([^<]*)</th>', sheet) == [
        "territoire", "population", "mise_a_jour"]
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", sheet)
    assert cells == ["Aunis", "1200", "2024-01-31", "Gâtine", "800", "2024-02-01"]
    # the same sheet, unreadable
    catalog = load_catalog(root)
    ds = catalog.dataset("stationnement")
    res = ds.resources[1]
    assert res.file is not None and res.schema is not None
    res.file.write_bytes(b"PK\x03\x04 not a workbook")
    descriptor = resolve_schema(res.schema, ds.dir, root).descriptor
    preview = _sheet_preview(catalog, ds, res, res.file, descriptor, 10)
    assert preview.rows == [] and preview.error
