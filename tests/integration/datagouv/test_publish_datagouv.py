"""Publish the bundled catalog to the real udata app (scripts/udata-dev) and read it back.

The tests of this module run in order and share one publication: a throw-away copy of the
repository's catalog, published to an organisation created for this session (so runs and
datasets other tests create never collide).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from opendata.catalog.manifests import load_catalog
from opendata.catalog.vocab import FREQUENCIES
from opendata.checksums import sha256_file
from opendata.harvesters.base import FINGERPRINT_KEY, IDENTIFIER_KEY, STATE_KEY, plan, publish
from opendata.harvesters.datagouv import ENDPOINTS
from opendata.harvesters.datagouv_mapping import UDATA_FREQUENCIES, normalise_tags
from opendata.harvesters.targets import load_target
from opendata.packages.collections import list_packs
from opendata.packages.packs import pack_identifier

REPO = Path(__file__).resolve().parents[3]
TOKEN_ENV = "OPENDATA_IT_UDATA_KEY"
TARGET = "udata-local"


@pytest.fixture(scope="module")
def org(udata_server) -> str:
    """A fresh organisation (the seeded admin becomes its admin)."""
    resp = requests.post(udata_server.api("/organizations/"), headers=udata_server.headers,
                         json={"name": f"opendata it {uuid.uuid4().hex[:8]}",
                               "description": "integration tests of opendata"}, timeout=30)
    assert resp.status_code == 201, resp.text
    return resp.json()["id"]


@pytest.fixture(scope="module")
def root(udata_server, org: str, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the repository's catalog with a target pointing at the local udata."""
    dest = tmp_path_factory.mktemp("udata-it") / "catalog"
    dest.mkdir()
    shutil.copy(REPO / "opendata.yaml", dest)
    for folder in ("datasets", "validation"):  # licences are built in
        shutil.copytree(REPO / folder, dest / folder,
                        ignore=shutil.ignore_patterns(".opendata", "dist"))
    orgs = "\n".join(f"  {key}: {org}" for key in load_catalog(dest).config.organizations)
    (dest / "harvesters").mkdir()
    (dest / "harvesters" / f"{TARGET}.yaml").write_text(
        f"type: datagouv\nurl: {udata_server.url}\ntoken_env: {TOKEN_ENV}\n"
        f"organizations:\n{orgs}\noptions:\n  chunk_threshold_mb: 1\n  chunk_size_mb: 1\n",
        encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.setenv(TOKEN_ENV, udata_server.api_key)
    yield dest
    mp.undo()


def get(server, path: str, version: int = 1) -> Any:
    resp = requests.get(server.api(path, version), headers=server.headers, timeout=30)
    assert resp.status_code == 200, resp.text
    return resp.json()


def org_datasets(server, org: str) -> list[dict[str, Any]]:
    return get(server, f"/organizations/{org}/datasets/?page_size=100")["data"]


def ours(server, org: str) -> dict[str, dict[str, Any]]:
    """Live datasets of the organisation carrying an identifier, by identifier."""
    out = {}
    for raw in org_datasets(server, org):
        ident = (raw.get("extras") or {}).get(IDENTIFIER_KEY)
        if ident and not raw.get("deleted"):
            out[ident] = raw
    return out


def live_id(server, org: str, root: Path, name: str) -> str:
    return ours(server, org)[load_catalog(root).config.dataset_uri(name)]["id"]


def sha1(path: Path) -> str:
    return hashlib.sha1(path.read_bytes(), usedforsecurity=False).hexdigest()


def test_every_endpoint_opendata_calls_exists_in_udata_swagger(udata_swagger,
                                                              udata_swagger_v2) -> None:
    def templates(doc: dict[str, Any]) -> dict[str, set[str]]:
        base = doc.get("basePath", "").rstrip("/")
        return {re.sub(r"\{[^}]+\}", "{}", base + path): {m.upper() for m in ops}
                for path, ops in doc["paths"].items()}

    known = templates(udata_swagger) | templates(udata_swagger_v2)
    missing = [(m, p) for m, p in ENDPOINTS
               if m not in known.get(re.sub(r"\{[^}]+\}", "{}", p), set())]
    assert not missing, f"not in udata's swagger: {missing}"


def test_vocabularies_match_the_instance(udata_server, root: Path) -> None:
    frequencies = {f["id"] for f in get(udata_server, "/datasets/frequencies/")}
    assert frequencies >= UDATA_FREQUENCIES, UDATA_FREQUENCIES - frequencies
    licences = {lic["id"] for lic in get(udata_server, "/datasets/licenses/")}
    registry = {lic.datagouv_id for lic in load_catalog(root).licences}
    assert registry <= licences, registry - licences


def test_publish_the_catalog_and_read_everything_back(udata_server, org: str, root: Path
                                                      ) -> None:
    catalog = load_catalog(root)
    assert len(catalog.datasets) >= 8
    target = load_target(root, TARGET)
    report = publish(root, target)
    assert report.ok, [r.to_dict() for r in report.results if r.status != "ok"]
    assert {r.action for r in report.results} == {"create"}
    assert TOKEN_ENV not in json.dumps(report.to_dict())
    assert udata_server.api_key not in json.dumps(report.to_dict())
    live = ours(udata_server, org)
    packs = {pack_identifier(catalog, p.name) for p in list_packs(root)}  # collections too
    assert set(live) == {catalog.config.dataset_uri(ds.name) for ds in catalog.datasets} | packs
    for ds in catalog.datasets:
        raw = get(udata_server, f"/datasets/{live[catalog.config.dataset_uri(ds.name)]['id']}/")
        assert raw["title"] == ds.title
        assert raw["description"] == ds.description.strip()
        assert 0 < len(raw["description_short"]) <= 200
        assert raw["license"] == catalog.licences.get(ds.licence).datagouv_id
        assert raw["frequency"] == FREQUENCIES[ds.get("frequency", "UNKNOWN")][1]
        assert sorted(raw["tags"]) == normalise_tags(ds.keywords)[0]
        temporal = ds.get("temporal")
        assert raw["temporal_coverage"]["start"][:10] == str(temporal["start"])
        assert raw["temporal_coverage"]["end"][:10] == str(temporal["end"])
        assert raw["private"] is False
        assert raw["organization"]["id"] == org
        extras = raw["extras"]
        assert extras["opendata_catalog"] == catalog.config.base_uri
        assert extras[IDENTIFIER_KEY] == catalog.config.dataset_uri(ds.name)
        assert len(extras[FINGERPRINT_KEY]) == 64 and json.loads(extras[STATE_KEY])
        for key, value in (ds.get("extras") or {}).items():
            assert extras[key] == value
        by_name = {r["extras"]["opendata_resource"]: r for r in raw["resources"]}
        assert set(by_name) == {r.name for r in ds.resources}
        for res in ds.resources:
            got = by_name[res.name]
            assert got["title"] == res.title and got["type"] == "main"
            assert got["format"] == res.format and got["filetype"] == "file"
            assert got["checksum"] == {"type": "sha1", "value": sha1(res.file)}
            assert got["filesize"] == res.file.stat().st_size
            assert got["extras"]["opendata_sha256"] == sha256_file(res.file)
            served = requests.get(got["url"], timeout=30)
            assert served.status_code == 200 and served.content == res.file.read_bytes()


def test_republish_makes_no_write_and_plan_is_unchanged(root: Path) -> None:
    the_plan = plan(root, TARGET)
    assert {i.action for i in the_plan.items} == {"unchanged"}, [
        (i.dataset, [str(c) for c in i.changes]) for i in the_plan.items
        if i.action != "unchanged"]
    report = publish(root, TARGET)
    assert report.ok and {r.status for r in report.results} == {"skipped"}
    assert report.requests["writes"] == 0
    assert report.requests["reads"] <= 3  # the organisation listing (1 page) + granularities


def test_edit_on_the_portal_is_drift_and_force_overwrites(udata_server, org: str, root: Path
                                                          ) -> None:
    name = load_catalog(root).datasets[0].name
    ds_id = live_id(udata_server, org, root, name)
    resp = requests.put(udata_server.api(f"/datasets/{ds_id}/"), headers=udata_server.headers,
                        json={"description": "Edited by hand on data.gouv.fr"}, timeout=30)
    assert resp.status_code == 200, resp.text
    item = next(i for i in plan(root, TARGET).items if i.dataset == name)
    assert item.action == "drifted"
    assert "description" in {c.field for c in item.changes}
    refused = publish(root, TARGET, [name])
    assert [r.status for r in refused.results] == ["refused"]
    assert refused.requests["writes"] == 0
    forced = publish(root, TARGET, [name], force=True)
    assert [r.status for r in forced.results] == ["ok"], forced.results[0].error
    assert get(udata_server, f"/datasets/{ds_id}/")["description"] != \
        "Edited by hand on data.gouv.fr"
    assert {i.action for i in plan(root, TARGET).items} == {"unchanged"}


def test_manifest_edits_update_by_id_and_upload_only_changed_files(udata_server, org: str,
                                                                    root: Path) -> None:
    ds = next(d for d in load_catalog(root).datasets if len(d.resources) >= 2)
    before = get(udata_server, f"/datasets/{live_id(udata_server, org, root, ds.name)}/")
    manifest = ds.manifest
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace(f"title: {ds.raw['title']}", "title: Titre changé pour "
                                     "le test", 1), encoding="utf-8")
    csv = ds.resources[0].file
    data = csv.read_bytes()
    csv.write_bytes(data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n"))  # same rows, CRLF
    assert csv.read_bytes() != data
    item = next(i for i in plan(root, TARGET).items if i.dataset == ds.name)
    assert item.action == "update"
    assert "title" in {c.field for c in item.changes} and item.uploads == [ds.resources[0].name]
    report = publish(root, TARGET, [ds.name])
    assert report.ok, report.results[0].error
    by_action = report.requests["by_action"]
    assert by_action.get("replace_file") == 1 and "upload_file" not in by_action
    after = get(udata_server, f"/datasets/{before['id']}/")
    assert after["title"] == "Titre changé pour le test"
    assert after["slug"] != before["slug"]  # udata renamed it; opendata keys by id
    # the collections holding that dataset changed with it: publish them, then all is still
    packs = {p.name for p in list_packs(root)}
    assert {i.dataset for i in plan(root, TARGET).items if i.action != "unchanged"} <= packs
    assert publish(root, TARGET).ok
    assert {i.action for i in plan(root, TARGET).items} == {"unchanged"}


def test_chunked_upload_of_a_file_above_the_threshold(udata_server, org: str, root: Path
                                                      ) -> None:
    folder = root / "datasets" / "gros-fichier-test"
    folder.mkdir()
    rows = "".join(f"ligne-{i:07d};{i % 97};{i * 7 % 1000},5\n" for i in range(140_000))
    (folder / "gros.csv").write_text("code;valeur;taux\n" + rows, encoding="utf-8")
    (folder / "dataset.yaml").write_text(
        "name: gros-fichier-test\ntitle: Gros fichier de test\n"
        "description: Un fichier de plus de 3 Mo, envoyé par morceaux.\n"
        "organization: region-rhone-alpes\nlicence: etalab-2.0\nkeywords: [test, gros]\n"
        "frequency: NEVER\ntemporal: {start: '2020-01-01', end: '2020-12-31'}\n"
        "resources:\n  - name: gros\n    title: Gros fichier\n    path: gros.csv\n"
        "    format: csv\n    dialect: {delimiter: ';', encoding: utf-8, decimalChar: ','}\n"
        "    schema:\n      fields:\n        - {name: code, type: string}\n"
        "        - {name: valeur, type: integer}\n        - {name: taux, type: number}\n",
        encoding="utf-8")
    big = folder / "gros.csv"
    assert big.stat().st_size > 3 * 1024 * 1024
    report = publish(root, TARGET, ["gros-fichier-test"])
    assert report.ok, report.results[0].error
    by_action = report.requests["by_action"]
    assert by_action["upload_file_chunk"] >= 3 and by_action["upload_file_assemble"] == 1
    raw = get(udata_server, f"/datasets/{live_id(udata_server, org, root, 'gros-fichier-test')}/")
    (res,) = raw["resources"]
    assert res["checksum"] == {"type": "sha1", "value": sha1(big)}
    assert res["filesize"] == big.stat().st_size
    assert res["extras"]["opendata_sha256"] == sha256_file(big)
    assert requests.get(res["url"], timeout=60).content == big.read_bytes()
    again = publish(root, TARGET, ["gros-fichier-test"])
    assert again.requests["writes"] == 0


def test_orphans_are_pruned_and_foreign_datasets_survive(udata_server, org: str, root: Path
                                                         ) -> None:
    foreign = requests.post(udata_server.api("/datasets/"), headers=udata_server.headers,
                            json={"title": "Créé à la main", "description": "pas à opendata",
                                  "organization": org}, timeout=30)
    assert foreign.status_code == 201, foreign.text
    gone = "gros-fichier-test"  # in no collection: removing it changes nothing else
    gone_id = live_id(udata_server, org, root, gone)
    shutil.rmtree(root / "datasets" / gone)
    items = {i.dataset: i for i in plan(root, TARGET).items}
    orphans = [i for i in items.values() if i.action == "orphan"]
    assert [o.portal_id for o in orphans] == [gone_id]
    kept = publish(root, TARGET)
    assert {r.status for r in kept.results if r.action == "orphan"} == {"skipped"}
    assert kept.requests["writes"] == 0
    pruned = publish(root, TARGET, prune=True)
    assert pruned.ok and pruned.requests["by_action"].get("delete_dataset") == 1
    assert get(udata_server, f"/datasets/{gone_id}/")["deleted"]
    assert not get(udata_server, f"/datasets/{foreign.json()['id']}/")["deleted"]
    assert {i.action for i in plan(root, TARGET).items} == {"unchanged"}
