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
