"""``opendata import --datagouv`` against the real local udata: a dataset made by hand
through udata's API, imported, validated, adopted on publish (no copy), then unchanged."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from opendata.catalog.config import load_licences
from opendata.harvesters.base import plan, publish
from opendata.importers import import_catalog
from opendata.validation import validate

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "catalog"
TOKEN_ENV = "UDATA_IMPORT_IT_KEY"


def call(server: Any, method: str, path: str, **kwargs: Any) -> Any:
    resp = requests.request(method, server.api(path), headers=server.headers, timeout=60,
                            **kwargs)
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


@pytest.fixture()
def hand_made(udata_server: Any) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    org = call(udata_server, "POST", "/organizations/",
               json={"name": f"Commune import {run}", "description": "Faite à la main."})
    odbl = load_licences(FIXTURE).get("odbl-1.0").datagouv_id
    ds = call(udata_server, "POST", "/datasets/", json={
        "title": f"Arrêts de bus {run}", "description": "Les arrêts de bus de la commune.",
        "organization": org["id"], "license": odbl, "frequency": "annual",
        "tags": ["transport", "bus"], "temporal_coverage": {"start": "2024-01-01",
                                                            "end": "2024-12-31"},
        "extras": {"producteur": "Service mobilité"}})
    res = call(udata_server, "POST", f"/datasets/{ds['id']}/resources/", json={
        "title": "Arrêts (JSON)", "description": "Le fichier.", "filetype": "remote",
        "type": "main", "url": f"{udata_server.url}/api/1/site/", "format": "json"})
    irve = call(udata_server, "POST", f"/datasets/{ds['id']}/resources/", json={
        "title": "Bornes IRVE", "filetype": "remote", "type": "main", "format": "csv",
        "url": f"{udata_server.url}/api/1/site/",
        "schema": {"name": "etalab/schema-irve-statique", "version": "2.3.1"}})
    bare = call(udata_server, "POST", "/datasets/", json={
        "title": f"Sans ressource {run}", "description": "Aucune ressource.",
        "organization": org["id"], "license": odbl})
    return {"run": run, "org": org, "dataset": ds, "resource": res, "irve": irve,
            "bare": bare}


def test_import_validate_adopt_unchanged(udata_server: Any, hand_made: dict[str, Any],
                                         tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    root = tmp_path / "imported"
    root.mkdir()
    shutil.copyfile(FIXTURE / "opendata.yaml", root / "opendata.yaml")
    monkeypatch.setenv(TOKEN_ENV, udata_server.api_key)
    org = hand_made["org"]
    report = import_catalog(udata_server.url, root, kind="datagouv",
                            organization=org["id"], token_env=TOKEN_ENV)
    assert report.counts()["created"] == 2
    assert report.organizations_added == [org["slug"]]
    folder = next(i.folder for i in report.items
                  if i.remote == hand_made["dataset"]["slug"])
    got = yaml.safe_load((root / folder / "dataset.yaml").read_text(encoding="utf-8"))
    assert got["title"] == hand_made["dataset"]["title"]
    assert got["licence"] == "odbl-1.0"
    assert got["frequency"] in ("ANNUAL", "ANNUAL_2", "ANNUAL_3")
    assert got["temporal"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert got["keywords"] == ["bus", "transport"]
    assert got["extras"] == {"producteur": "Service mobilité"}
    assert got["origin"] == {"kind": "datagouv", "portal": udata_server.url,
                             "id": hand_made["dataset"]["id"],
                             "name": hand_made["dataset"]["slug"]}
    by_title = {r["title"]: r for r in got["resources"]}
    assert set(by_title) == {"Arrêts (JSON)", "Bornes IRVE"}
    assert by_title["Arrêts (JSON)"]["origin_id"] == hand_made["resource"]["id"]
    # a resource declaring a national schema keeps its {name, version}
    assert by_title["Bornes IRVE"]["schema"] == {"name": "etalab/schema-irve-statique",
                                                 "version": "2.3.1"}
    bare = next(i for i in report.items if i.remote == hand_made["bare"]["slug"])
    assert any("no resource" in w for w in bare.warnings)

    # validate says exactly what the portal data lacks: the dataset without resources
    result = validate(root)
    errors = [i for i in result.issues if i.severity == "error"]
    assert {i.dataset for i in errors} == {Path(bare.folder or "").name}, \
        [(i.dataset, i.field, i.message) for i in errors]

    # publish back to the same udata: adopt (no second dataset), then unchanged
    import shutil as _sh

    _sh.rmtree(root / (bare.folder or ""))
    (root / "harvesters").mkdir()
    (root / "harvesters" / "home.yaml").write_text(
        f"type: datagouv\nurl: {udata_server.url}\ntoken_env: {TOKEN_ENV}\n"
        f"catalog_id: urn:opendata-import:{hand_made['run']}\n"
        f"organizations:\n  {org['slug']}: {org['id']}\n", encoding="utf-8")
    first = plan(root, "home")
    assert [i.action for i in first.items] == ["adopt"], first.to_dict()
    done = publish(root, "home")
    assert done.ok, [r.to_dict() for r in done.results]
    after = plan(root, "home")
    assert [i.action for i in after.items] == ["unchanged"], after.to_dict()
    live = call(udata_server, "GET", f"/organizations/{org['id']}/datasets/",
                params={"page_size": 100})
    titles = [d["title"] for d in live["data"] if not d.get("deleted")]
    assert titles.count(hand_made["dataset"]["title"]) == 1
    raw = call(udata_server, "GET", f"/datasets/{hand_made['dataset']['id']}/")
    assert {r["id"] for r in raw["resources"]} == {hand_made["resource"]["id"],
                                                   hand_made["irve"]["id"]}
    assert {(r.get("schema") or {}).get("name") for r in raw["resources"]} == {
        None, "etalab/schema-irve-statique"}


def test_unknown_organisation(udata_server: Any, tmp_path: Path) -> None:
    from opendata.errors import PortalError

    root = tmp_path / "imported"
    root.mkdir()
    shutil.copyfile(FIXTURE / "opendata.yaml", root / "opendata.yaml")
    with pytest.raises(PortalError, match="not found"):
        import_catalog(udata_server.url, root, kind="datagouv", organization="no-such-org")
