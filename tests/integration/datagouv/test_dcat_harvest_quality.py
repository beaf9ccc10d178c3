"""opendata's prediction of data.gouv.fr's quality score against udata's own computation.

The bundled catalog and a few deliberately poor manifests are published to the local udata
(``opendata publish``, the real API); udata computes ``quality`` on save
(``Dataset.compute_quality``).  The prediction must equal it for every dataset, criterion
by criterion.  The DCAT harvest channel is checked in the same way on what udata's
harvester stored.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from dcat_harvest_helpers import serve, udata_harvest

from opendata.catalog.manifests import load_catalog
from opendata.dcat import stream_dcat
from opendata.dcat.datagouv import DATAGOUV_CATALOG
from opendata.harvesters.base import IDENTIFIER_KEY, publish
from opendata.harvesters.targets import load_target
from opendata.validation.quality import predict_quality

REPO = Path(__file__).resolve().parents[3]
TOKEN_ENV = "OPENDATA_IT_QUALITY_KEY"

#: manifests missing criteria on purpose, one way each (and several at once)
POOR = {
    "pauvre-tout": """name: pauvre-tout
title: Presque rien
description: Trop court.
organization: region-poitou-charentes
licence: etalab-2.0
resources:
  - name: rapport
    title: Rapport
    path: rapport.pdf
    format: pdf
""",
    "pauvre-fermee": """name: pauvre-fermee
title: Tableur fermé, période ouverte
description: >-
  Un tableur au format propriétaire, sans description de ressource, avec une période qui
  commence sans finir et une fréquence mensuelle : plus de cent caractères ici.
organization: region-poitou-charentes
licence: odbl-1.0
frequency: MONTHLY
temporal: {start: "2024-01-01"}
resources:
  - name: tableau
    title: Tableau
    path: tableau.xlsx
    format: xlsx
""",
    "pauvre-doc": """name: pauvre-doc
title: Une documentation, un CSV
description: Court, mais la ressource documentation compte.
organization: region-poitou-charentes
licence: cc-by-4.0
frequency: UNKNOWN
spatial: {level: region, code: "54"}
resources:
  - name: donnees
    title: Données
    path: donnees.csv
    format: csv
  - name: notice
    title: Notice
    type: documentation
    url: https://example.fr/notice.pdf
    format: pdf
""",
}


def _write_poor(root: Path) -> None:
    for name, text in POOR.items():
        d = root / "datasets" / name
        d.mkdir(parents=True)
        (d / "dataset.yaml").write_text(text, encoding="utf-8")
        (d / "rapport.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
        (d / "tableau.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
        (d / "donnees.csv").write_text("a,b\n1,2\n", encoding="utf-8")


@pytest.fixture(scope="module")
def published(udata_server, tmp_path_factory) -> tuple[Path, dict[str, dict[str, Any]]]:
    """The bundled catalog plus the poor manifests, published to a fresh organisation;
    udata's ``quality`` of each dataset, by identifier."""
    resp = requests.post(udata_server.api("/organizations/"), headers=udata_server.headers,
                         json={"name": f"opendata quality {uuid.uuid4().hex[:8]}",
                               "description": "quality score tests"}, timeout=30)
    assert resp.status_code == 201, resp.text
    org = resp.json()["id"]
    root = tmp_path_factory.mktemp("quality") / "catalog"
    root.mkdir()
    shutil.copy(REPO / "opendata.yaml", root)
    for folder in ("licences", "datasets", "validation"):
        if not (REPO / folder).is_dir():
            continue  # e.g. no licences/ folder: the built-in registry applies
        shutil.copytree(REPO / folder, root / folder,
                        ignore=shutil.ignore_patterns(".opendata", "dist", "packs"))
    _write_poor(root)
    orgs = "\n".join(f"  {key}: {org}" for key in load_catalog(root).config.organizations)
    (root / "harvesters").mkdir()
    (root / "harvesters" / "udata-quality.yaml").write_text(
        f"type: datagouv\nurl: {udata_server.url}\ntoken_env: {TOKEN_ENV}\n"
        f"organizations:\n{orgs}\n", encoding="utf-8")
    os.environ[TOKEN_ENV] = udata_server.api_key
    try:
        report = publish(root, load_target(root, "udata-quality"))
    finally:
        del os.environ[TOKEN_ENV]
    assert report.ok, [r.to_dict() for r in report.results if r.status != "ok"]
    resp = requests.get(udata_server.api(f"/organizations/{org}/datasets/?page_size=100"),
                        headers=udata_server.headers, timeout=30)
    assert resp.status_code == 200, resp.text
    return root, {d["extras"][IDENTIFIER_KEY]: d["quality"] for d in resp.json()["data"]}


def test_predicted_quality_equals_udata_for_every_published_dataset(published) -> None:
    root, live = published
    catalog = load_catalog(root)
    assert len(catalog.datasets) >= 11 + len(POOR)
    seen = set()
    for ds in catalog.datasets:
        quality = dict(live[catalog.config.dataset_uri(ds.name)])
        prediction = predict_quality(catalog, ds, "publish")
        score = quality.pop("score")
        assert prediction.criteria == quality, ds.name
        assert prediction.score == pytest.approx(score), ds.name
        seen.add(round(score * 9))
    assert len(seen) >= 3  # the poor manifests really score differently


def test_poor_manifests_miss_what_they_were_written_to_miss(published) -> None:
    root, _live = published
    catalog = load_catalog(root)
    missed = {name: predict_quality(catalog, catalog.dataset(name)).missed for name in POOR}
    assert missed["pauvre-tout"] == ["temporal_coverage", "update_frequency",
                                     "update_fulfilled_in_time",
                                     "dataset_description_quality", "has_open_format",
                                     "resources_documentation"]
    assert missed["pauvre-fermee"] == ["has_open_format", "resources_documentation"]
    assert missed["pauvre-doc"] == ["temporal_coverage", "update_frequency",
                                    "update_fulfilled_in_time", "dataset_description_quality"]


def test_predicted_quality_equals_udata_after_a_dcat_harvest(published, udata_server,
                                                            tmp_path: Path) -> None:
    root, _live = published
    catalog = load_catalog(root)
    out = tmp_path / "dist"
    stream_dcat(catalog, out, ("ttl",), git=False, per_dataset=False)
    with serve(out) as base:
        result = udata_harvest(f"{base}/{DATAGOUV_CATALOG}", tmp_path / "h.json")
    by_id = {d["remote_id"]: d for d in result["datasets"]}
    assert len(by_id) == len(catalog.datasets)
    for ds in catalog.datasets:
        quality = dict(by_id[catalog.config.dataset_uri(ds.name)]["quality"])
        prediction = predict_quality(catalog, ds, "harvest")
        score = quality.pop("score")
        assert prediction.criteria == quality, ds.name
        assert prediction.score == pytest.approx(score), ds.name
