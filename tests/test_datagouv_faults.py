"""data.gouv.fr adapter: faults and udata quirks a real udata cannot show cheaply (responses).

The happy path runs against the real udata in ``tests/integration/datagouv``; here the
server misbehaves on purpose: 429, 5xx bursts, timeouts, non-JSON replies, 410/423/403,
validation errors, a part of a chunked upload lost, a create whose answer was lost.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from responses import matchers

from opendata.catalog.manifests import load_catalog
from opendata.errors import PortalError
from opendata.harvesters.base import (
    FINGERPRINT_KEY,
    IDENTIFIER_KEY,
    STATE_KEY,
    Desired,
    canonical,
    plan,
    publish,
)
from opendata.harvesters.datagouv import DatagouvPortal
from opendata.harvesters.datagouv_mapping import map_field_errors, normalise_tags, short_description
from opendata.harvesters.http import TransientError
from opendata.harvesters.targets import Target

URL = "http://udata.test"
TOKEN = "udata_s3cr3t-token-value-42"
ORG = "5f0000000000000000000001"
DS_ID = "6a0000000000000000000001"
LIST = f"{URL}/api/1/organizations/{ORG}/datasets/"
GRAN = f"{URL}/api/1/spatial/granularities/"
CREATE = f"{URL}/api/1/datasets/"
DATASET = f"{URL}/api/1/datasets/{DS_ID}/"
EXTRAS = f"{URL}/api/2/datasets/{DS_ID}/extras/"
UPLOAD = f"{URL}/api/1/datasets/{DS_ID}/upload/"
RID = "11111111-2222-3333-4444-555555555555"
RESOURCE = f"{URL}/api/1/datasets/{DS_ID}/resources/{RID}/"


@pytest.fixture()
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("UDATA_TEST_KEY", TOKEN)
    dest = tmp_path / "catalog"
    shutil.copytree(Path(__file__).parent / "fixtures" / "catalog", dest,
                    ignore=shutil.ignore_patterns(".opendata", "dist"))
    return dest


def portal(root: Path, sleeps: list[float] | None = None, **options: Any) -> DatagouvPortal:
    target = Target(name="udata-test", kind="datagouv", url=URL, file=root / "t.yaml",
                    token_env="UDATA_TEST_KEY", organizations={"region-poitou-charentes": ORG},
                    options=options)
    p = DatagouvPortal(target, load_catalog(root))
    p.http.sleep = (sleeps.append if sleeps is not None else (lambda s: None))
    return p


def page(*datasets: dict[str, Any]) -> dict[str, Any]:
    return {"data": list(datasets), "next_page": None, "page": 1, "total": len(datasets)}


def granularities() -> None:
    responses.get(GRAN, json=[{"id": "fr:region", "name": "Région"}, {"id": "other"}])


def raw_from(p: DatagouvPortal, desired: Desired, **changes: Any) -> dict[str, Any]:
    """The dataset as udata answers it after opendata published ``desired``."""
    f = desired.fields
    res = desired.resources[0]
    raw = {"id": DS_ID, "slug": "points-d-acces", "title": f["title"],
           "description": f["description"], "description_short": f["description_short"],
           "license": f["license"], "frequency": f["frequency"],
           "temporal_coverage": f["temporal_coverage"], "tags": f["tags"],
           "spatial": {"granularity": (f["spatial"] or {}).get("granularity", "other"),
                       "zones": []},
           "organization": {"id": ORG}, "private": f["private"], "deleted": None,
           "extras": {**f["extras"], p.target.marker: p.catalog_id,
                      IDENTIFIER_KEY: desired.identifier, FINGERPRINT_KEY: desired.fingerprint,
                      STATE_KEY: canonical(desired.state())},
           "resources": [{"id": RID, "title": res.title, "description": res.description,
                          "type": res.type, "filetype": "file", "format": res.format,
                          "url": f"{URL}/s/resources/points.csv", "mime": "text/csv",
                          "filesize": res.size, "schema": None,
                          "checksum": {"type": "sha1", "value": res.extra["sha1"]},
                          "extras": {"opendata_resource": res.name,
                                     "opendata_sha256": res.sha256}}]}
    raw.update(changes)
    return raw


def uploaded(res_desired: Any, rid: str = RID) -> dict[str, Any]:
    return {"id": rid, "filetype": "file", "format": "csv", "url": f"{URL}/s/x.csv",
            "title": "points.csv", "checksum": {"type": "sha1", "value": res_desired.extra["sha1"]},
            "filesize": res_desired.size, "extras": {}}


def grow(root: Path, rows: int) -> None:
    """Make the demo CSV big (and still valid: territories are unique)."""
    csv = root / "datasets" / "demo" / "points.csv"
    csv.write_bytes(csv.read_bytes() + "".join(f"t{i};1;2,5;01/01/2006\n"
                                               for i in range(rows)).encode())


def writes() -> list[tuple[str, str]]:
    return [(c.request.method, c.request.url.split("?")[0]) for c in responses.calls
            if c.request.method != "GET"]


# ------------------------------------------------------------------ mapping units ----

def test_tags_are_normalised_like_udata_and_unkeepable_ones_reported() -> None:
    kept, dropped = normalise_tags(["Politique numérique", "EPN", "epn", "IA", "x" * 120])
    assert kept == ["epn", "politique-numerique"]
    assert len(dropped) == 2 and "'IA'" in dropped[0]


def test_short_description_is_the_first_sentence_capped_to_udata_limit() -> None:
    assert short_description("Une phrase. Une autre.\n\nSuite") == "Une phrase."
    long = "Mot " * 100 + "fin."
    short = short_description(long)
    assert len(short) <= 200 and short.endswith("…")


def test_plan_notes_keywords_udata_cannot_keep(root: Path, edit) -> None:
    edit(root / "datasets" / "demo" / "dataset.yaml", "keywords: [internet, epn]",
         "keywords: [internet, ia]")
    p = portal(root)
    with responses.RequestsMock() as rsps:
        rsps.get(GRAN, json=[{"id": "fr:region"}])
        rsps.get(LIST, json=page())
        the_plan = plan(root, p.target, portal=p)
    (item,) = the_plan.items
    assert item.action == "create" and "'ia'" in item.notes[0]
    assert item.desired is not None and item.desired.fields["tags"] == ["internet"]


def test_udata_validation_errors_name_manifest_fields() -> None:
    fields = map_field_errors({"tags": ["Tag \"ab\" too short"], "license": ["bad"],
                               "temporal_coverage": ["Unknown string format"],
                               "spatial": {"granularity": ["Not a valid choice"]},
                               "resources": [{"title": ["required"]}]})
    assert fields["keywords (udata: tags)"] == ["Tag \"ab\" too short"]
    assert "licence (udata: license)" in fields
    assert "temporal (udata: temporal_coverage)" in fields
    assert "spatial (udata: spatial.granularity)" in fields
    assert "resources[0].title (udata: resources.0.title)" in fields


# ------------------------------------------------------------------ HTTP faults ----

@responses.activate
def test_429_retry_after_is_honoured(root: Path) -> None:
    sleeps: list[float] = []
    responses.get(LIST, status=429, headers={"Retry-After": "7"}, json={"message": "slow"})
    responses.get(LIST, json=page())
    assert portal(root, sleeps).list_owned() == {}
    assert sleeps == [7.0]


@responses.activate
def test_5xx_burst_then_success(root: Path) -> None:
    sleeps: list[float] = []
    for status in (503, 502, 504):
        responses.get(LIST, status=status, body="<html>busy</html>")
    responses.get(LIST, json=page())
    p = portal(root, sleeps)
    assert p.list_owned() == {}
    assert len(sleeps) == 3 and sleeps == sorted(sleeps)  # exponential backoff
    assert p.http.counters.retries == 3


@responses.activate
def test_timeouts_are_retried_then_reported_clearly(root: Path) -> None:
    responses.get(LIST, body=requests.ConnectTimeout("slow"))
    responses.get(LIST, json=page())
    assert portal(root).list_owned() == {}
    responses.replace(responses.GET, LIST, body=requests.ReadTimeout("slow"))
    with pytest.raises(TransientError, match="timed out"):
        portal(root).list_owned()


@responses.activate
def test_malformed_reply_is_a_clear_error(root: Path) -> None:
    responses.get(LIST, body="<html>proxy login</html>", content_type="text/html")
    with pytest.raises(PortalError, match="not JSON") as err:
        portal(root).list_owned()
    assert "url:" in (err.value.hint or "")


@pytest.mark.parametrize(("status", "words"), [
    (410, "deleted on the portal"), (423, "read-only"), (403, "permission denied")])
@responses.activate
def test_gone_locked_forbidden_become_clear_errors(root: Path, status: int, words: str) -> None:
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    # opendata published an older title (stored state says so): a plain update
    stored = json.loads(raw_from(p, desired)["extras"][STATE_KEY])
    stored["fields"]["title"] = "Older title"
    granularities()
    responses.get(LIST, json=page(raw_from(
        p, desired, title="Older title",
        extras={**raw_from(p, desired)["extras"], STATE_KEY: canonical(stored),
                FINGERPRINT_KEY: "old"})))
    responses.put(DATASET, status=status, json={"message": f"server says {status}"})
    report = publish(root, p.target, portal=p)
    (result,) = report.results
    assert result.action == "update" and result.status == "failed"
    assert words in (result.error or "") and str(status) in (result.error or "")
    assert result.hint


@responses.activate
def test_validation_error_maps_to_manifest_fields_and_hides_the_token(root: Path) -> None:
    granularities()
    responses.get(LIST, json=page())
    responses.post(CREATE, status=400, json={"errors": {
        "tags": [f"bad tag (key {TOKEN})"], "license": ["unknown licence"]}})
    p = portal(root)
    report = publish(root, p.target, portal=p)
    (result,) = report.results
    assert result.status == "failed"
    assert "keywords (udata: tags)" in result.error and "licence (udata: license)" in result.error
    dumped = json.dumps(report.to_dict())
    assert TOKEN not in dumped and "***" in dumped
    assert {c.request.headers.get("X-API-KEY") for c in responses.calls} == {TOKEN}


# ------------------------------------------------------------------ udata specifics ----

@responses.activate
def test_create_that_timed_out_but_landed_is_not_duplicated(root: Path) -> None:
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    landed = raw_from(p, desired, resources=[],
                      extras={p.target.marker: p.catalog_id, IDENTIFIER_KEY: desired.identifier})
    granularities()
    responses.get(LIST, json=page())          # the plan: nothing there yet
    responses.get(LIST, json=page(landed))    # the check after the timeout: it landed
    responses.post(CREATE, body=requests.ReadTimeout("gateway slow"))
    responses.post(UPLOAD, status=201, json=uploaded(desired.resources[0]))
    responses.put(RESOURCE, json={})
    responses.put(EXTRAS, json={})
    report = publish(root, p.target, portal=p)
    assert [r.status for r in report.results] == ["ok"]
    assert writes().count(("POST", CREATE)) == 1
    assert ("POST", UPLOAD) in writes()  # the rest of the create went to the landed id


@responses.activate
def test_create_not_landed_is_posted_once_more(root: Path) -> None:
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    granularities()
    responses.get(LIST, json=page())
    responses.post(CREATE, status=502, body="bad gateway")
    responses.post(CREATE, status=201, json={"id": DS_ID, "slug": "x", "resources": []})
    responses.post(UPLOAD, status=201, json=uploaded(desired.resources[0]))
    responses.put(RESOURCE, json={})
    responses.put(EXTRAS, json={})
    report = publish(root, p.target, portal=p)
    assert [r.status for r in report.results] == ["ok"]
    assert writes().count(("POST", CREATE)) == 2
    assert len([c for c in responses.calls if c.request.url.startswith(LIST)]) == 2


@responses.activate
def test_update_addresses_the_id_and_sends_every_managed_field(root: Path, edit) -> None:
    """The slug follows the title (udata renames it), so the dataset is addressed by id;
    a v1 PUT clears what it omits, so tags, temporal coverage and private always go."""
    p0 = portal(root)
    old = p0.desired(p0.catalog.dataset("demo"))
    edit(root / "datasets" / "demo" / "dataset.yaml", "title: Points d'accès publics à Internet "
         "(démo)", "title: Points d'accès renommés")
    p = portal(root)
    granularities()
    responses.get(LIST, json=page(raw_from(p, old)))
    responses.put(DATASET, json={"id": DS_ID, "slug": "points-d-acces-renommes"})
    responses.put(EXTRAS, json={})
    report = publish(root, p.target, portal=p)
    assert [(r.action, r.status) for r in report.results] == [("update", "ok")]
    put = next(c.request for c in responses.calls if c.request.method == "PUT"
               and c.request.url == DATASET)
    body = json.loads(put.body)
    assert body["title"] == "Points d'accès renommés"
    assert {"tags", "temporal_coverage", "private", "license", "frequency", "spatial",
            "description", "description_short", "organization"} <= set(body)
    assert body["private"] is False and body["tags"] == ["epn", "internet"]
    assert "extras" not in body  # extras go through the v2 merge, never the v1 replace
    assert writes()[-1] == ("PUT", EXTRAS)  # fingerprint written last
    extras = json.loads(next(c.request for c in responses.calls
                             if c.request.url == EXTRAS).body)
    assert extras[FINGERPRINT_KEY] == p.desired(p.catalog.dataset("demo")).fingerprint
    assert report.results[0].url == f"{URL}/datasets/{DS_ID}/"  # by id, not by slug


@responses.activate
def test_interrupted_update_never_records_the_new_fingerprint(root: Path) -> None:
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    stale = raw_from(p, desired)
    stale["resources"][0]["checksum"]["value"] = "0" * 40  # the portal has an older file
    stored = json.loads(stale["extras"][STATE_KEY])
    stored["resources"][0]["sha1"] = "0" * 40
    stale["extras"][STATE_KEY] = canonical(stored)
    stale["extras"][FINGERPRINT_KEY] = "older"
    granularities()
    responses.get(LIST, json=page(stale))
    responses.post(RESOURCE + "upload/", status=500, json={"message": "disk full"})
    report = publish(root, p.target, portal=p)
    assert [(r.action, r.status) for r in report.results] == [("update", "failed")]
    assert ("PUT", EXTRAS) not in writes()  # the old fingerprint stays: never "unchanged"


@responses.activate
def test_chunk_failure_mid_upload_resends_only_that_part(root: Path) -> None:
    grow(root, 60000)
    p = portal(root, chunk_threshold_mb=0.5, chunk_size_mb=0.4)
    desired = p.desired(p.catalog.dataset("demo"))
    assert desired.resources[0].size and desired.resources[0].size > 1024 * 1024
    granularities()
    responses.get(LIST, json=page())
    responses.post(CREATE, status=201, json={"id": DS_ID, "slug": "x", "resources": []})
    sent: list[Any] = []
    failed = {"done": False}

    def on_upload(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        body = request.body if isinstance(request.body, bytes) else b""
        index = re.search(rb'name="partindex"\r\n\r\n(\d+)', body)
        if index is None:
            sent.append("assemble")
            return 201, {}, json.dumps(uploaded(desired.resources[0]))
        part = int(index.group(1))
        sent.append(part)
        if part == 1 and not failed["done"]:
            failed["done"] = True
            return 503, {}, "busy"
        return 200, {}, json.dumps({"success": True})

    responses.add_callback(responses.POST, UPLOAD, callback=on_upload)
    responses.put(RESOURCE, json={})
    responses.put(EXTRAS, json={})
    report = publish(root, p.target, portal=p)
    assert [r.status for r in report.results] == ["ok"], report.results[0].error
    total = max(s for s in sent if isinstance(s, int)) + 1
    assert total >= 3
    assert sent == [0, 1, 1, *range(2, total), "assemble"]  # only part 1 went twice


@responses.activate
def test_part_stored_although_unanswered_is_not_fatal(root: Path) -> None:
    """udata refuses to store a part twice (500): after a lost answer that means the part
    is there; the sha1 of the assembled file is still checked."""
    grow(root, 30000)
    size = (root / "datasets" / "demo" / "points.csv").stat().st_size
    p = portal(root, chunk_threshold_mb=0.1, chunk_size_mb=(size / 3 + 10) / 1024 / 1024)
    desired = p.desired(p.catalog.dataset("demo"))  # sent in 3 parts
    granularities()
    responses.get(LIST, json=page())
    responses.post(CREATE, status=201, json={"id": DS_ID, "slug": "x", "resources": []})
    responses.post(UPLOAD, json={"success": True})                  # part 0
    responses.post(UPLOAD, body=requests.ReadTimeout("lost answer"))  # part 1, stored
    responses.post(UPLOAD, status=500, json={"message": "Internal Server Error"})
    responses.post(UPLOAD, json={"success": True})                  # part 2
    responses.post(UPLOAD, status=201, json={**uploaded(desired.resources[0]),
                                             "checksum": {"type": "sha1", "value": "bad"}})
    report = publish(root, p.target, portal=p)
    (result,) = report.results
    assert result.status == "failed" and "sha1" in (result.error or "")  # integrity check


@responses.activate
def test_dry_run_sends_no_write_and_shows_every_request(root: Path) -> None:
    granularities()
    responses.get(LIST, json=page())
    p = DatagouvPortal(portal(root).target, load_catalog(root), dry_run=True)
    report = publish(root, p.target, portal=p, dry_run=True)
    assert [r.status for r in report.results] == ["ok"]
    assert all(c.request.method == "GET" for c in responses.calls)
    assert report.requests["writes"] == 0
    actions = [r["action"] for r in report.to_dict()["dry_run_requests"]]
    assert actions == ["create_dataset", "upload_file", "update_resource", "update_extras"]
    assert TOKEN not in json.dumps(report.to_dict())


@responses.activate
def test_delete_rechecks_the_marker_and_refuses_foreign_datasets(root: Path) -> None:
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    orphan = raw_from(p, desired)
    orphan["extras"][IDENTIFIER_KEY] = "https://bibliotheque-donnees.fr/dataset/gone"
    granularities()
    responses.get(LIST, json=page(raw_from(p, desired), {**orphan, "id": "6a00000000000000000000ff"}))
    gone_url = f"{URL}/api/1/datasets/6a00000000000000000000ff/"
    # between plan and publish someone removed our marker: not ours any more
    responses.get(gone_url, json={**orphan, "extras": {"someone": "else"}})
    report = publish(root, p.target, portal=p, prune=True)
    by_action = {r.action: r for r in report.results}
    assert by_action["orphan"].status == "failed"
    assert "only deletes what it owns" in (by_action["orphan"].hint or "")
    assert writes() == []


@responses.activate
def test_conflict_with_a_dataset_opendata_does_not_own(root: Path) -> None:
    p = portal(root)
    granularities()
    responses.get(LIST, json=page({"id": "6a00000000000000000000aa", "deleted": None,
                                   "title": "Points d'accès publics à Internet (démo)",
                                   "slug": "points-d-acces-publics-a-internet-demo",
                                   "extras": {}}))
    the_plan = plan(root, p.target, portal=p)
    (item,) = the_plan.items
    assert item.action == "invalid" and "does not own" in (item.message or "")
    assert "6a00000000000000000000aa" in (item.message or "")


@responses.activate
def test_untouched_dataset_projects_to_its_stored_state(root: Path) -> None:
    p = portal(root)
    desired = p.desired(p.catalog.dataset("demo"))
    granularities()
    responses.get(LIST, json=page(raw_from(p, desired)))
    the_plan = plan(root, p.target, portal=p)
    assert [i.action for i in the_plan.items] == ["unchanged"]
    assert the_plan.requests["writes"] == 0 and the_plan.requests["reads"] == 2


def test_listing_is_paged(root: Path) -> None:
    p = portal(root)
    with responses.RequestsMock() as rsps:
        rsps.get(LIST, match=[matchers.query_param_matcher(
            {"page": "1", "page_size": "100", "sort": "created"})],
            json={"data": [{"id": "a", "deleted": None, "title": "A", "extras": {}}],
                  "next_page": LIST + "?page=2"})
        rsps.get(LIST, match=[matchers.query_param_matcher(
            {"page": "2", "page_size": "100", "sort": "created"})],
            json={"data": [{"id": "b", "deleted": None, "title": "B", "extras": {}}],
                  "next_page": None})
        assert [d["id"] for d in p.iter_org_datasets(ORG)] == ["a", "b"]
