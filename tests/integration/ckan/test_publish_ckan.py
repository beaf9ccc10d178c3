"""Publish the bundled catalog to a real CKAN 2.12 (scripts/ckan-dev) and read it back."""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from opendata.catalog.manifests import load_catalog
from opendata.cli import main
from opendata.harvesters.base import plan, publish
from opendata.harvesters.targets import load_target

REPO = Path(__file__).resolve().parents[3]


def _get(server: Any, key: str) -> str:
    return server[key] if isinstance(server, dict) else getattr(server, key)


@pytest.fixture()
def catalog(tmp_path: Path, ckan_server: Any, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the bundled catalog with a target pointing at the local CKAN.

    Each test gets its own catalog id and name prefix, so runs against a reused server
    never see each other's datasets."""
    root = tmp_path / "catalog"
    root.mkdir()
    for item in ("opendata.yaml", "validation", "datasets"):  # licences are built in
        src = REPO / item
        (shutil.copytree if src.is_dir() else shutil.copyfile)(src, root / item)
    run = uuid.uuid4().hex[:6]
    monkeypatch.setenv("CKAN_IT_TOKEN", _get(ckan_server, "token"))
    (root / "harvesters").mkdir()
    (root / "harvesters" / "ckan.yaml").write_text(
        f"type: ckan\nurl: {_get(ckan_server, 'url')}\ntoken_env: CKAN_IT_TOKEN\n"
        f"name_prefix: it{run}-\ncatalog_id: urn:opendata-it:{run}\n"
        f"organizations:\n" + "".join(
            f"  {key}: it{run}-{key}\n" for key in load_catalog(root).config.organizations))
    return root


def api(server: Any, action: str, **data: Any) -> Any:
    resp = requests.post(f"{_get(server, 'url')}/api/3/action/{action}", json=data, timeout=30,
                         headers={"Authorization": _get(server, "token")})
    body = resp.json()
    assert body.get("success"), body
    return body["result"]


def sha256_url(url: str) -> str:
    resp = requests.get(url, timeout=30)
    resp.raise_for_status()
    return hashlib.sha256(resp.content).hexdigest()


def test_publish_read_back_republish_drift_prune(catalog: Path, ckan_server: Any) -> None:
    target = load_target(catalog, "ckan")
    cat = load_catalog(catalog)
    first = publish(catalog, "ckan", jobs=2)
    assert first.ok, json.dumps(first.to_dict(), indent=1)[:3000]
    assert {r.action for r in first.results} == {"create"}
    assert len(cat.datasets) >= 8
    assert [r.dataset for r in first.results] == [d.name for d in cat.datasets] + [
        "concours-applis"]

    # the app-contest pack is a dataset whose resource is the bundle
    pack = api(ckan_server, "package_show", id=f"{target.name_prefix}concours-applis")
    pack_extras = {e["key"]: e["value"] for e in pack["extras"]}
    assert pack_extras["opendata_identifier"] == f"{cat.config.base_uri}pack/concours-applis"
    (bundle,) = pack["resources"]
    assert bundle["format"].lower() == "zip"
    assert sha256_url(bundle["url"]) == bundle["hash"]

    # every field, read back through package_show
    for ds in cat.datasets:
        pkg = api(ckan_server, "package_show", id=f"{target.name_prefix}{ds.name}")
        extras = {e["key"]: e["value"] for e in pkg["extras"]}
        licence = cat.licences.get(ds.licence)
        assert pkg["title"] == ds.title
        assert pkg["notes"] == ds.description
        assert pkg["license_id"] == licence.ckan_id
        assert pkg["version"] == ds.version
        assert pkg["organization"]["name"] == f"{target.name_prefix}{ds.organization}"
        assert pkg["author_email"] == ds.get("contact")["email"]
        assert len(pkg["tags"]) == len(set(ds.keywords))
        assert extras["opendata_identifier"] == cat.config.dataset_uri(ds.name)
        assert extras["identifier"] == cat.config.dataset_uri(ds.name)
        assert extras["opendata_catalog"] == target.catalog_id
        assert extras["frequency"].endswith("/" + ds.get("frequency"))
        if ds.get("temporal"):
            assert extras["temporal_start"] == ds.get("temporal")["start"]
        assert len(pkg["resources"]) == len(ds.resources)
        by_name = {r["opendata_name"]: r for r in pkg["resources"]}
        for res in ds.resources:
            remote = by_name[res.name]
            digest = hashlib.sha256(res.file.read_bytes()).hexdigest()
            assert remote["hash"] == digest
            assert int(remote["size"]) == res.file.stat().st_size
            assert remote["format"].lower() == res.format
            assert remote["url_type"] == "upload"
        # the uploaded bytes are the file's bytes
        first_res = ds.resources[0]
        assert sha256_url(by_name[first_res.name]["url"]) == hashlib.sha256(
            first_res.file.read_bytes()).hexdigest()

    # a second publish with nothing changed writes nothing, reading in bulk
    second = publish(catalog, "ckan")
    assert second.ok
    assert second.requests["writes"] == 0, second.requests
    assert second.requests["by_action"] == {"package_search": 1}, second.requests
    assert {r.status for r in second.results} == {"skipped"}

    # a hand edit on the portal is drift: reported, refused, then forced
    edited = cat.datasets[0]
    api(ckan_server, "package_patch", id=f"{target.name_prefix}{edited.name}",
        title="Titre modifié à la main")
    p = plan(catalog, "ckan")
    item = next(i for i in p.items if i.dataset == edited.name)
    assert item.action == "drifted"
    assert [(c.field, c.new) for c in item.changes] == [("title", "Titre modifié à la main")]
    runner = CliRunner()
    refused = runner.invoke(main, ["--root", str(catalog), "publish", "--target", "ckan"])
    assert refused.exit_code == 4, refused.output
    assert "refused" in refused.output and "--force" in refused.output
    forced = publish(catalog, "ckan", force=True)
    assert forced.ok
    pkg = api(ckan_server, "package_show", id=f"{target.name_prefix}{edited.name}")
    assert pkg["title"] == edited.title
    assert {i.action for i in plan(catalog, "ckan").items} == {"unchanged"}

    # a resource added by hand is not ours: not drift, and it survives a forced publish
    hand = api(ckan_server, "resource_create", package_id=pkg["id"], name="Ajout manuel",
               url="https://example.org/annexe.pdf", format="PDF")
    assert {i.action for i in plan(catalog, "ckan").items} == {"unchanged"}
    assert publish(catalog, "ckan", force=True).requests["writes"] == 0
    assert api(ckan_server, "resource_show", id=hand["id"])["name"] == "Ajout manuel"

    # a changed file is uploaded again, and only that one
    changed = next(ds for ds in cat.datasets if ds.resources and ds.resources[0].is_tabular)
    csv = changed.resources[0].file
    lines = csv.read_text(encoding="utf-8").splitlines(keepends=True)
    csv.write_text("".join(lines[:-1]), encoding="utf-8")  # drop the last row
    report_file = catalog / "report.json"
    result = runner.invoke(main, ["--root", str(catalog), "publish", "--target", "ckan",
                                  "--report", str(report_file)])
    assert result.exit_code == 0, result.output
    data = json.loads(report_file.read_text())
    updated = [r["dataset"] for r in data["results"] if r["action"] == "update"]
    # the dataset, and the app-contest pack when the dataset is in it: its zip changed too
    pack_now = api(ckan_server, "package_show", id=f"{target.name_prefix}concours-applis")
    in_pack = changed.name in {e["key"]: e["value"] for e in pack_now["extras"]}[
        "datasets"].split(",")
    assert updated == [changed.name] + (["concours-applis"] if in_pack else [])
    assert data["requests"]["by_action"].get("resource_update") == len(updated)
    assert "resource_create" not in data["requests"]["by_action"]
    assert _get(ckan_server, "token") not in report_file.read_text() + result.output

    # a dataset opendata does not own, in the same organisation, must survive a prune
    org = f"{target.name_prefix}{edited.organization}"
    foreign = api(ckan_server, "package_create", name=f"{target.name_prefix}foreign",
                  title="Pas à nous", owner_org=org)

    # remove a manifest: orphan, kept without --prune, deleted with it
    gone = cat.datasets[-1]
    shutil.rmtree(catalog / "datasets" / gone.dir.name)
    p = plan(catalog, "ckan")
    orphans = [i for i in p.items if i.action == "orphan"]
    assert [i.dataset for i in orphans] == [f"{target.name_prefix}{gone.name}"]
    assert publish(catalog, "ckan").ok
    api(ckan_server, "package_show", id=f"{target.name_prefix}{gone.name}")  # still there
    pruned = publish(catalog, "ckan", prune=True)
    assert pruned.ok
    assert pruned.requests["by_action"].get("dataset_purge", 0) + pruned.requests[
        "by_action"].get("package_delete", 0) == 1
    resp = requests.post(f"{_get(ckan_server, 'url')}/api/3/action/package_show",
                         json={"id": f"{target.name_prefix}{gone.name}"}, timeout=30,
                         headers={"Authorization": _get(ckan_server, "token")})
    assert resp.status_code == 404 or resp.json()["result"]["state"] == "deleted"
    assert api(ckan_server, "package_show", id=foreign["id"])["state"] == "active"


def test_dry_run_sends_no_write(catalog: Path, ckan_server: Any) -> None:
    result = CliRunner().invoke(main, ["--root", str(catalog), "publish", "--target", "ckan",
                                       "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "package_create" in result.output and "0 write(s)" in result.output
    target = load_target(catalog, "ckan")
    resp = requests.post(f"{_get(ckan_server, 'url')}/api/3/action/package_search",
                         json={"fq": f'extras_opendata_catalog:"{target.catalog_id}"',
                               "include_private": True}, timeout=30,
                         headers={"Authorization": _get(ckan_server, "token")})
    assert resp.json()["result"]["count"] == 0
    assert _get(ckan_server, "token") not in result.output
