"""ckanext-dcat's DCAT-AP 3 parser (what CKAN's DCAT harvester runs) on our catalog,
field by field against the manifests.

The parser runs in CKAN's own virtualenv (``scripts/ckanext_dcat_parse.py``), where
``scripts/ckan-dev`` installs ckanext-dcat.  Parsing needs no running CKAN, so the server
is only started (through the ``ckan_server`` fixture) when ckanext-dcat is not installed
yet: that is what installs it on a fresh machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from opendata.catalog.manifests import Catalog, Dataset, load_catalog
from opendata.catalog.vocab import (
    FILE_TYPE_SCHEME,
    FORMATS,
    FREQUENCIES,
    FREQUENCY_SCHEME,
    LANGUAGE_SCHEME,
    LANGUAGES,
    SPATIAL_LEVELS,
    THEME_SCHEME,
)
from opendata.checksums import source_sha256
from opendata.dcat import stream_dcat
from opendata.dcat.build import (
    copy_site_path,
    public_url,
    published_copy,
    schema_uri,
    site_base,
    spatial_unit_uri,
)
from opendata.dcat.ns import IANA
from opendata.validation.normalise import published_format

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "datagouv"))
from dcat_harvest_helpers import generated_catalog, serve  # noqa: E402
from published_copies import copies_catalog  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
VENV = REPO / ".dev" / "ckan" / "venv"
SCRIPT = REPO / "scripts" / "ckanext_dcat_parse.py"


@pytest.fixture(scope="module")
def ckan_python(request) -> Path:
    if not (VENV / ".ckanext-dcat-installed").is_file():
        request.getfixturevalue("ckan_server")  # scripts/ckan-dev start installs it
    python = VENV / "bin" / "python"
    assert (VENV / ".ckanext-dcat-installed").is_file(), "scripts/ckan-dev did not install it"
    return python


def ckanext_parse(python: Path, location: str) -> dict[str, Any]:
    proc = subprocess.run([str(python), str(SCRIPT), location], capture_output=True,
                          text=True, timeout=1800, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout)


def _licence_id(catalog: Catalog, ds: Dataset, register: dict[str, dict[str, str]]) -> str:
    """What ckanext-dcat can find: the CKAN register entry with our licence's URL or title."""
    lic = catalog.licences.get(ds.licence) if ds.licence else None
    if lic is None:
        return ""
    for lid, entry in register.items():
        if entry["url"] == lic.url or entry["title"] == lic.title:
            return lid
    return ""


def expected(catalog: Catalog, ds: Dataset, register: dict, variant: bool = False
             ) -> dict[str, Any]:
    cfg = catalog.config
    uri = cfg.dataset_uri(ds.name)
    extras: dict[str, Any] = {"identifier": uri, "uri": uri}
    if ds.get("frequency") in FREQUENCIES:
        extras["frequency"] = f"{FREQUENCY_SCHEME}/{ds.get('frequency')}"
    extras["theme"] = sorted(f"{THEME_SCHEME}/{t}" for t in ds.themes) or None
    extras["language"] = sorted(f"{LANGUAGE_SCHEME}/{LANGUAGES[i][0]}"
                                for i in (ds.get("language") or [cfg.language]))
    temporal = ds.get("temporal") or {}
    extras["temporal_start"] = str(temporal["start"]) if temporal.get("start") else None
    extras["temporal_end"] = str(temporal["end"]) if temporal.get("end") else None
    spatial = ds.get("spatial") or {}
    extras["spatial_uri"] = (str(spatial_unit_uri(catalog, spatial))
                             if spatial.get("level") in SPATIAL_LEVELS and spatial.get("code")
                             else None)
    bbox = None
    if isinstance(spatial.get("bbox"), list):
        w, s, e, n = (float(v) for v in spatial["bbox"])
        bbox = {"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]}
    extras["spatial"] = extras["spatial_bbox"] = bbox
    contact = ds.get("contact") or {}
    org = cfg.organizations.get(ds.organization or "")
    if contact.get("email"):
        extras["contact_name"] = contact.get("name")
        extras["contact_email"] = contact["email"]
        extras["contact_url"] = contact.get("url")
    elif org is not None and org.email:
        extras["contact_name"], extras["contact_email"] = org.title, org.email
        extras["contact_url"] = org.homepage
    else:
        extras["contact_name"] = cfg.publisher.get("name")
        extras["contact_email"] = cfg.publisher["email"]
        extras["contact_url"] = cfg.homepage
    extras["publisher_name"] = org.title if org else None
    lic = catalog.licences.get(ds.licence) if ds.licence else None
    resources = []
    for res in ds.resources:
        copy = published_copy(catalog, res)  # normalise: true publishes the site's copy
        file = copy or res.file
        fmt, mime = published_format(res) if copy else (res.format, res.mediatype)
        url = (site_base(catalog) + copy_site_path(ds, res) if copy
               else public_url(catalog, file) if file is not None else res.url)
        schema = schema_uri(catalog, ds, res)
        resources.append({
            "url": url, "download_url": url, "name": res.title,
            "description": res.description or None,
            "format": f"{FILE_TYPE_SCHEME}/{FORMATS[fmt][0]}",
            "mimetype": IANA + mime if mime else None,
            "size": file.stat().st_size if file is not None else None,
            "hash": source_sha256(file) if file is not None else None,
            "hash_algorithm": ("http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
                               if file is not None else None),
            "conforms_to": [schema[0]] if schema else None,
            # the data.gouv.fr variant labels licences with their udata id, which
            # ckanext-dcat prefers to the IRI for a resource's licence
            "license": (lic.datagouv_id if variant else lic.url) if lic else None,
        })
    return {
        "title": ds.title, "notes": ds.description, "version": ds.get("version"),
        "tags": sorted(ds.keywords), "license_id": _licence_id(catalog, ds, register),
        "extras": extras, "resources": sorted(resources, key=lambda r: r["url"]),
    }


_JSON_EXTRAS = {"theme", "language", "spatial", "spatial_bbox"}


def parsed(record: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    extras = {e["key"]: e["value"] for e in record.get("extras", [])}
    out_extras: dict[str, Any] = {}
    for key in keys:
        value = extras.get(key)
        if value is not None and key in _JSON_EXTRAS:
            value = json.loads(value)
            if isinstance(value, list):
                value = sorted(value)
        out_extras[key] = value
    resources = []
    for r in record.get("resources", []):
        resources.append({
            "url": r.get("url"), "download_url": r.get("download_url"), "name": r.get("name"),
            "description": r.get("description"), "format": r.get("format"),
            "mimetype": r.get("mimetype"), "size": r.get("size"), "hash": r.get("hash"),
            "hash_algorithm": r.get("hash_algorithm"),
            "conforms_to": json.loads(r["conforms_to"]) if r.get("conforms_to") else None,
            "license": r.get("license"),
        })
    return {
        "title": record.get("title"), "notes": record.get("notes"),
        "version": record.get("version"),
        "tags": sorted(t["name"] for t in record.get("tags", [])),
        "license_id": record.get("license_id"), "extras": out_extras,
        "resources": sorted(resources, key=lambda r: r["url"]),
    }


def differences(catalog: Catalog, result: dict[str, Any], variant: bool = False
                ) -> dict[str, Any]:
    by_id = {}
    for record in result["datasets"]:
        ident = next((e["value"] for e in record.get("extras", []) if e["key"] == "identifier"),
                     None)
        by_id[ident] = record
    out: dict[str, Any] = {}
    for ds in catalog.datasets:
        if ds.get("private"):
            continue
        want = expected(catalog, ds, result["licences"], variant)
        record = by_id.get(catalog.config.dataset_uri(ds.name))
        if record is None:
            out[ds.name] = "not parsed"
            continue
        got = parsed(record, set(want["extras"]))
        diff = {k: (want[k], got[k]) for k in want if want[k] != got[k] and k != "extras"}
        diff.update({f"extras.{k}": (v, got["extras"][k]) for k, v in want["extras"].items()
                     if v != got["extras"][k]})
        if diff:
            out[ds.name] = diff
    return out


@pytest.mark.parametrize("name", ["catalog.ttl", "catalog-datagouv.ttl"])
def test_ckanext_dcat_parses_every_bundled_dataset_field_by_field(ckan_python, tmp_path: Path,
                                                                  name: str) -> None:
    """Both files: ckanext-dcat reads the checksum as text whatever its datatype."""
    catalog = load_catalog(REPO)
    stream_dcat(catalog, tmp_path, ("ttl",), per_dataset=False)
    result = ckanext_parse(ckan_python, str(tmp_path / name))
    assert result["ckanext-dcat"] == "2.4.4"
    assert len(result["datasets"]) == len([d for d in catalog.datasets if not d.get("private")])
    assert differences(catalog, result, variant=name != "catalog.ttl") == {}


def test_ckanext_dcat_follows_our_pages_field_by_field(ckan_python, tmp_path: Path) -> None:
    catalog = load_catalog(generated_catalog(tmp_path / "cat", 2000))
    out = tmp_path / "dist"
    with serve(out) as base:
        stream_dcat(catalog, out, ("ttl",), git=False, per_dataset=False, page_size=200,
                    page_base=base)
        result = ckanext_parse(ckan_python, f"{base}/catalog-page-1.ttl")
    public = [d for d in catalog.datasets if not d.get("private")]
    assert result["pages"] == -(-len(public) // 200)
    assert len(result["datasets"]) == len(public)
    diff = differences(catalog, result)
    assert diff == {}, dict(list(diff.items())[:5])


@pytest.mark.parametrize("name", ["catalog.ttl", "catalog-datagouv.ttl"])
def test_ckanext_dcat_reads_published_copies_field_by_field(ckan_python, tmp_path: Path,
                                                            name: str) -> None:
    """``normalise: true`` (an Excel export, an xlsx sheet): CKAN gets the site's CSV copy,
    its size, checksum and schema, one resource per manifest resource."""
    catalog = load_catalog(copies_catalog(tmp_path / "cat"))
    stream_dcat(catalog, tmp_path / "dist", ("ttl",), git=False, per_dataset=False)
    result = ckanext_parse(ckan_python, str(tmp_path / "dist" / name))
    assert differences(catalog, result, variant=name != "catalog.ttl") == {}
    record = next(r for r in result["datasets"] if r["title"] == "Parkings et territoires")
    assert sorted(r["url"].rsplit("/", 2)[-2] + "/" + r["format"].rsplit("/", 1)[-1]
                  for r in record["resources"]) == ["normalised/CSV", "normalised/CSV"]
