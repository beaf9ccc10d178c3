"""DCAT of a resource that publishes a copy (``normalise: true``): the distribution
describes the copy the site hosts (URL, CSV, size, checksum, schema), not the file in git."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from published_copies import STATIONNEMENT, copies_catalog
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from opendata.catalog.manifests import load_catalog
from opendata.dcat import build_dcat, check_shacl
from opendata.dcat.ns import DCAT, DCT, IANA, SPDX
from opendata.validation.normalise import published_file
from opendata.validation.validator import validate

BASE = "https://bibliotheque-donnees.fr/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"


@pytest.fixture
def copies(tmp_path: Path) -> Path:
    return copies_catalog(tmp_path / "catalog")


@pytest.mark.parametrize(("name", "site_name", "schema"), [
    ("parkings", "parkings.csv", STATIONNEMENT),
    ("territoires", "territoires.csv",
     "https://raw.githubusercontent.com/bibliotheque-donnees/catalogue/main/datasets/"
     "stationnement/territoires.schema.json"),
])
def test_distribution_describes_the_published_copy(copies: Path, name: str, site_name: str,
                                                   schema: str) -> None:
    graph = build_dcat(copies, git=False)
    res = next(r for r in load_catalog(copies).dataset("stationnement").resources
               if r.name == name)
    copy = published_file(copies, res)
    assert copy is not None and copy != res.file
    node = URIRef(f"{BASE}dataset/stationnement/resource/{name}")
    url = URIRef(f"{BASE}files/stationnement/normalised/{site_name}")
    assert graph.value(node, DCAT.downloadURL) == url == graph.value(node, DCAT.accessURL)
    assert graph.value(node, DCT.format) == URIRef(EU_FILE_TYPE + "CSV")
    assert graph.value(node, DCAT.mediaType) == URIRef(IANA + "text/csv")
    data = copy.read_bytes()
    assert data != res.file.read_bytes()  # the copy's figures, not the original's
    assert graph.value(node, DCAT.byteSize) == Literal(len(data),
                                                       datatype=XSD.nonNegativeInteger)
    checksum = graph.value(node, SPDX.checksum)
    assert str(graph.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
    assert list(graph.objects(node, DCT.conformsTo)) == [URIRef(schema)]
    # one distribution per resource: the original is in git and on the site, not in DCAT
    ds = URIRef(f"{BASE}dataset/stationnement")
    assert len(list(graph.objects(ds, DCAT.distribution))) == 2


def test_catalog_with_copies_has_no_shacl_violation(copies: Path) -> None:
    assert check_shacl(build_dcat(copies, git=False)).violations == []


def test_a_file_published_as_it_is_keeps_its_raw_url(copies: Path) -> None:
    graph = build_dcat(copies, git=False)
    node = URIRef(f"{BASE}dataset/demo/resource/points")
    assert str(graph.value(node, DCAT.downloadURL)).startswith(
        "https://raw.githubusercontent.com/")


def test_without_homepage_copies_are_linked_under_base_uri_with_a_warning(
        copies: Path, edit) -> None:
    assert "no-site-url" not in {i.code for i in validate(copies, use_cache=False).issues}
    edit(copies / "opendata.yaml", "homepage: https://bibliotheque-donnees.fr/\n", "")
    report = validate(copies, use_cache=False)
    warning = next(i for i in report.issues if i.code == "no-site-url")
    assert (warning.severity, warning.file, warning.field) == ("warning", "opendata.yaml",
                                                               "homepage")
    graph = build_dcat(copies, git=False)
    node = URIRef(f"{BASE}dataset/stationnement/resource/parkings")
    assert graph.value(node, DCAT.downloadURL) == URIRef(
        f"{BASE}files/stationnement/normalised/parkings.csv")
