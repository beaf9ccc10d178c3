"""CKAN adapter faults a real CKAN cannot show cheaply (responses)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import requests
import responses

from opendata.catalog.manifests import load_catalog
from opendata.harvesters.base import publish
from opendata.harvesters.ckan import CkanPortal, CkanValidationError
from opendata.harvesters.targets import Target

URL = "http://ckan.test"
TOKEN = "eyJhbGciOi.secret-ckan-token"
API = f"{URL}/api/3/action/"


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CKAN_TEST_TOKEN", TOKEN)
    dest = tmp_path / "catalog"
    shutil.copytree(Path(__file__).parent / "fixtures" / "catalog", dest)
    return dest


def portal(root: Path) -> CkanPortal:
    target = Target(name="ckan-test", kind="ckan", url=URL, file=root / "t.yaml",
                    token_env="CKAN_TEST_TOKEN")
    p = CkanPortal(target, load_catalog(root))
    p.http.sleep = lambda s: None
    return p


def ok(result) -> dict:
    return {"success": True, "result": result}


def empty_search() -> None:
    responses.post(API + "package_search", json=ok({"count": 0, "results": []}))


@responses.activate
def test_validation_error_names_the_manifest_field_and_hides_the_token(root: Path) -> None:
    empty_search()
    responses.post(API + "package_show", status=404, json={
        "success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})
    responses.post(API + "organization_show", json=ok({"name": "region-poitou-charentes"}))
    responses.post(API + "package_create", status=409, json={"success": False, "error": {
        "__type": "Validation Error", "tags": ["Tag \"x\" length is less than minimum 2"]}})
    p = portal(root)
    report = publish(root, p.target, portal=p)
    (result,) = report.results
    assert result.status == "failed"
    assert "keywords (tags)" in result.error and "less than minimum 2" in result.error
    dumped = json.dumps(report.to_dict())
    assert TOKEN not in dumped
    sent = [c.request.headers.get("Authorization") for c in responses.calls]
    assert set(sent) == {TOKEN}  # the token goes in the header, and only there


@responses.activate
def test_create_that_timed_out_but_landed_is_not_duplicated(root: Path) -> None:
    empty_search()
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    landed = {"id": "pkg-1", "name": "demo", "resources": [], "tags": [],
              "extras": [{"key": "opendata_identifier", "value": desired.identifier}]}
    responses.post(API + "package_show", status=404, json={
        "success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})
    responses.post(API + "package_show", json=ok(landed))
    responses.post(API + "organization_show", json=ok({"name": "x"}))
    responses.post(API + "package_create", body=requests.ReadTimeout("gateway slow"))
    responses.post(API + "resource_create", json=ok({"id": "res-1"}))
    responses.post(API + "package_patch", json=ok({**landed, "extras": []}))
    report = publish(root, p.target, portal=p)
    assert report.ok, report.to_dict()
    creates = [c for c in responses.calls if c.request.url.endswith("package_create")]
    assert len(creates) == 1
    uploads = [c for c in responses.calls if c.request.url.endswith("resource_create")]
    assert len(uploads) == 1 and b"pkg-1" in uploads[0].request.body


@responses.activate
def test_rate_limited_search_is_retried_after_retry_after(root: Path) -> None:
    waits: list[float] = []
    responses.post(API + "package_search", status=429, headers={"Retry-After": "2"})
    responses.post(API + "package_search", json=ok({"count": 0, "results": []}))
    p = portal(root)
    p.http.sleep = waits.append
    assert p.list_owned() == {}
    assert waits == [2.0]


@responses.activate
def test_search_pages_through_large_catalogs(root: Path) -> None:
    p = portal(root)

    def pkg(i: int) -> dict:
        return {"id": f"id{i}", "name": f"d{i}", "resources": [], "tags": [], "extras": [
            {"key": "opendata_catalog", "value": p.catalog_id},
            {"key": "opendata_identifier", "value": f"urn:{i}"}]}

    responses.post(API + "package_search", json=ok({"count": 1001,
                                                    "results": [pkg(i) for i in range(1000)]}))
    responses.post(API + "package_search", json=ok({"count": 1001, "results": [pkg(1000)]}))
    owned = p.list_owned()
    assert len(owned) == 1001
    starts = [json.loads(c.request.body)["start"] for c in responses.calls]
    assert starts == [0, 1000]


@responses.activate
def test_html_instead_of_json_is_a_clear_error(root: Path) -> None:
    responses.post(API + "package_search", body="<html>Welcome to nginx</html>")
    p = portal(root)
    with pytest.raises(Exception) as exc:
        p.list_owned()
    assert "unexpected reply" in str(exc.value) and "nginx" in str(exc.value)


def test_validation_error_type_is_typed(root: Path) -> None:
    with responses.RequestsMock() as rsps:
        rsps.post(API + "package_patch", status=409, json={"success": False, "error": {
            "__type": "Validation Error", "license_id": ["bad"]}})
        with pytest.raises(CkanValidationError) as exc:
            portal(root).action("package_patch", {"id": "x"}, write=True)
    assert exc.value.field_errors == {"licence": ["bad"]}


@responses.activate
def test_upload_that_dropped_but_landed_is_not_duplicated(root: Path) -> None:
    empty_search()
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    (res,) = desired.resources
    responses.post(API + "package_show", status=404, json={
        "success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})
    responses.post(API + "organization_show", json=ok({"name": "x"}))
    responses.post(API + "package_create", json=ok({"id": "pkg-1", "name": "demo"}))
    responses.post(API + "resource_create", body=requests.ConnectionError("dropped"))
    responses.post(API + "package_show", json=ok({"id": "pkg-1", "resources": [
        {"id": "r1", "opendata_name": res.name, "hash": res.sha256}]}))
    responses.post(API + "package_patch", json=ok({"id": "pkg-1", "name": "demo"}))
    report = publish(root, p.target, portal=p)
    assert report.ok, report.to_dict()
    assert len([c for c in responses.calls if c.request.url.endswith("resource_create")]) == 1


@responses.activate
def test_upload_that_dropped_and_did_not_land_is_sent_once_more(root: Path) -> None:
    empty_search()
    p = portal(root)
    responses.post(API + "package_show", status=404, json={
        "success": False, "error": {"__type": "Not Found Error", "message": "Not found"}})
    responses.post(API + "organization_show", json=ok({"name": "x"}))
    responses.post(API + "package_create", json=ok({"id": "pkg-1", "name": "demo"}))
    responses.post(API + "resource_create", body=requests.ConnectionError("dropped"))
    responses.post(API + "package_show", json=ok({"id": "pkg-1", "resources": []}))
    responses.post(API + "resource_create", json=ok({"id": "r1"}))
    responses.post(API + "package_patch", json=ok({"id": "pkg-1", "name": "demo"}))
    report = publish(root, p.target, portal=p)
    assert report.ok, report.to_dict()
    uploads = [c for c in responses.calls if c.request.url.endswith("resource_create")]
    assert len(uploads) == 2 and b"Aunis" in uploads[1].request.body  # the file, sent whole
