"""What the DCAT harvest tests share: a catalog served over HTTP, udata's harvester run on
it, a generated catalog, and the fields udata should hold for each manifest.

The expectations are written from the manifests and ``opendata.yaml`` (the way a steward
reads them), not from our DCAT, so a field lost or bent anywhere between the manifest and
udata's database shows up as a difference.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opendata.catalog.manifests import Catalog, Dataset, Resource
from opendata.catalog.vocab import FORMATS, FREQUENCIES, THEMES
from opendata.checksums import source_sha256
from opendata.dcat.build import copy_site_path, public_url, published_copy, schema_uri, site_base
from opendata.harvesters.datagouv_mapping import normalise_tags
from opendata.validation.normalise import published_format

REPO = Path(__file__).resolve().parents[3]
UDATA_PYTHON = REPO / ".dev" / "udata" / "venv" / "bin" / "python"
HARVEST_SCRIPT = REPO / "scripts" / "udata_dcat_harvest.py"
FIXTURE = REPO / "tests" / "fixtures" / "catalog"
CONTENT_TYPES = {".ttl": "text/turtle; charset=utf-8", ".jsonld": "application/ld+json",
                 ".rdf": "application/rdf+xml"}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the content type the README tells publishers to send."""

    def guess_type(self, path):  # type: ignore[override]
        return CONTENT_TYPES.get(Path(str(path)).suffix, "application/octet-stream")

    def log_message(self, format, *args):  # noqa: A002 - quiet test output
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 (a free port); yields the base URL without slash."""
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def udata_harvest(url: str, out: Path, timeout: int = 1800) -> dict[str, Any]:
    """Run udata's DCAT backend on ``url`` (scripts/udata_dcat_harvest.py, udata's venv)."""
    proc = subprocess.run([str(UDATA_PYTHON), str(HARVEST_SCRIPT), url, "--out", str(out)],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))


def generated_catalog(root: Path, n: int) -> Path:
    """The fixture catalog plus ``n`` varied datasets: licences, frequencies, periods with
    and without an end, bounding boxes, contacts with and without a URL, a
    schema.data.gouv.fr schema, remote and local files."""
    shutil.copytree(FIXTURE, root)
    licences = ["etalab-2.0", "odbl-1.0", "cc-by-4.0"]
    freqs = ["ANNUAL", "NEVER", "MONTHLY", "IRREG"]
    themes = sorted(THEMES)
    for i in range(n):
        name = f"gen-{i:05d}"
        d = root / "datasets" / name
        d.mkdir(parents=True)
        (d / "data.csv").write_text(f"a;b\nx;{i}\n", encoding="utf-8")
        (d / "data.schema.json").write_text(
            '{"fields": [{"name": "a", "type": "string"}, {"name": "b", "type": "integer"}]}',
            encoding="utf-8")
        contact = ""
        if i % 4 == 1:
            contact = f"contact: {{name: Équipe {i % 3}, email: e{i % 5}@example.fr}}\n"
        elif i % 4 == 2:
            contact = (f"contact: {{name: Service {i % 3}, email: s{i % 5}@example.fr, "
                       f"url: 'https://example.fr/contact/{i % 5}'}}\n")
        bbox = f", bbox: [-0.5, 45.0, {1 + (i % 10) / 10}, 47.2]" if i % 2 else ""
        end = f', end: "{2021 + i % 3}-12-31"' if i % 3 else ""
        (d / "dataset.yaml").write_text(f"""name: {name}
title: Jeu « {i} » à Poitiers
description: "Jeu généré n° {i} : « guillemets » et retour\\nà la ligne, accents éàç."
organization: region-poitou-charentes
licence: {licences[i % 3]}
keywords: [essai, mot-{i % 7}, Économie numérique]
themes: [{themes[i % len(themes)]}, {themes[(i + 3) % len(themes)]}]
frequency: {freqs[i % 4]}
temporal: {{start: "20{10 + i % 10}-0{1 + i % 9}-1{i % 10}"{end}}}
spatial: {{level: department, code: "{86 + i % 4}"{bbox}}}
{contact}resources:
  - name: donnees
    title: Données {i}
    description: Les données du jeu {i}.
    path: data.csv
    format: csv
    schema: data.schema.json
  - name: doc
    title: Documentation
    url: https://example.fr/doc/{name}.pdf
    format: pdf
""", encoding="utf-8")
    return root


def _contact(catalog: Catalog, ds: Dataset) -> dict[str, Any]:
    """The contact point the manifest (or, lacking one, its organisation or the catalog)
    names, as udata stores it."""
    cfg = catalog.config
    org = cfg.organizations.get(ds.organization or "")
    contact = ds.get("contact")
    if isinstance(contact, dict) and contact.get("email"):
        name, email, url = contact.get("name"), contact["email"], contact.get("url")
    elif org is not None and org.email:
        name, email, url = org.title, org.email, org.homepage
    else:
        name, email, url = cfg.publisher.get("name"), cfg.publisher["email"], cfg.homepage
    return {"role": "contact", "name": name, "email": email, "contact_form": url}


def _resource(catalog: Catalog, ds: Dataset, res: Resource) -> dict[str, Any]:
    # a resource publishing a copy (normalise: true) is the copy, on the site
    copy = published_copy(catalog, res)
    file = copy or res.file
    fmt, mime = published_format(res) if copy else (res.format, res.mediatype)
    schema = schema_uri(catalog, ds, res)
    url = (site_base(catalog) + copy_site_path(ds, res) if copy
           else public_url(catalog, file) if file is not None else res.url)
    out: dict[str, Any] = {
        "url": url,
        "title": res.title,
        "format": FORMATS[fmt][0].lower() if fmt in FORMATS else None,
        "mime": mime,
        "filesize": file.stat().st_size if file is not None else None,
        "checksum": ({"type": "sha256", "value": source_sha256(file)}
                     if file is not None else None),
        "schema_url": schema[0] if schema else None,
    }
    return out


def expected(catalog: Catalog, ds: Dataset) -> dict[str, Any]:
    """What udata's DCAT harvester should store for manifest ``ds``, field by field."""
    temporal = ds.get("temporal") or {}
    spatial = ds.get("spatial") or {}
    geom = None
    if isinstance(spatial.get("bbox"), list):
        w, s, e, n = (float(v) for v in spatial["bbox"])
        geom = {"type": "MultiPolygon",
                "coordinates": [[[[w, s], [e, s], [e, n], [w, n], [w, s]]]]}
    # udata keeps the themes as tags, from their labels in its default language (fr)
    tags, _dropped = normalise_tags(list(ds.keywords) + [THEMES[t][1] for t in ds.themes])
    freq = ds.get("frequency")
    org = catalog.config.organizations.get(ds.organization or "")
    publisher = {"role": "publisher", "name": org.title if org else None,
                 "email": org.email if org else None, "contact_form": None}
    lic = catalog.licences.get(ds.licence) if ds.licence else None
    return {
        "remote_id": catalog.config.dataset_uri(ds.name),
        "title": ds.title,
        "description": ds.description.strip(),
        "license": lic.datagouv_id if lic else None,
        "frequency": FREQUENCIES[freq][1] if freq in FREQUENCIES else None,
        "temporal_coverage": ({"start": str(temporal["start"]) if temporal.get("start") else None,
                               "end": str(temporal["end"]) if temporal.get("end") else None}
                              if temporal else None),
        "spatial_geom": geom,
        "tags": sorted(set(tags)),
        "contact_points": sorted([_contact(catalog, ds), publisher], key=lambda c: c["role"]),
        "resources": sorted((_resource(catalog, ds, r) for r in ds.resources),
                            key=lambda r: r["url"]),
    }


def harvested(record: dict[str, Any]) -> dict[str, Any]:
    """udata's record of a dataset, in the shape of :func:`expected`."""
    spatial = record.get("spatial") or {}
    return {
        "remote_id": record["remote_id"],
        "title": record["title"],
        "description": (record["description"] or "").strip(),
        "license": record["license"],
        "frequency": record["frequency"],
        "temporal_coverage": record["temporal_coverage"],
        "spatial_geom": spatial.get("geom"),
        "tags": sorted(record["tags"]),
        "contact_points": sorted(({k: c[k] for k in ("role", "name", "email", "contact_form")}
                                  for c in record["contact_points"]), key=lambda c: c["role"]),
        "resources": sorted(({"url": r["url"], "title": r["title"], "format": r["format"],
                              "mime": r["mime"], "filesize": r["filesize"],
                              "checksum": r["checksum"],
                              "schema_url": (r["schema"] or {}).get("url")}
                             for r in record["resources"]), key=lambda r: r["url"]),
    }


def differences(catalog: Catalog, datasets: list[Dataset],
                result: dict[str, Any]) -> dict[str, dict[str, tuple[Any, Any]]]:
    """``{dataset: {field: (manifest says, udata holds)}}`` for every field that differs;
    a dataset udata does not hold at all is reported under the field ``*``."""
    by_id = {r["remote_id"]: r for r in result["datasets"]}
    out: dict[str, dict[str, tuple[Any, Any]]] = {}
    for ds in datasets:
        want = expected(catalog, ds)
        record = by_id.get(want["remote_id"])
        if record is None:
            out[ds.name] = {"*": ("harvested", "missing")}
            continue
        got = harvested(record)
        diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
        if diff:
            out[ds.name] = diff
    return out
