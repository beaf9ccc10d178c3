"""End-to-end checks of the local udata started by ``scripts/udata-dev``.

Plain ``requests`` calls with the ``X-API-KEY`` header, in the shapes a
data.gouv.fr harvester uses. They pin down udata's behaviour (what is returned,
what a ``PUT`` clears...) so that a udata upgrade that changes it is noticed.
"""

from __future__ import annotations

import hashlib
import os
import uuid

import pytest
import requests

TIMEOUT = 60


def _check(resp: requests.Response, status: int) -> dict:
    assert resp.status_code == status, f"{resp.request.method} {resp.url}: {resp.status_code} {resp.text}"
    return resp.json() if resp.content else {}


@pytest.fixture
def http(udata_server) -> requests.Session:
    session = requests.Session()
    session.headers.update(udata_server.headers)
    return session


@pytest.fixture
def new_dataset(udata_server, http):
    """Create datasets in the seeded organisation; they are deleted afterwards."""
    created: list[str] = []

    def create(**overrides) -> dict:
        body = {
            "title": "Jeu de données d'intégration",
            "description": "Créé par tests/integration/datagouv.",
            "organization": udata_server.org_id,
            "license": "lov2",
            "frequency": "annual",
            "tags": ["integration", "opendata-test"],
            "temporal_coverage": {"start": "2020-01-01", "end": "2020-12-31"},
            "private": False,
            "extras": {"opendata:id": "demo", "opendata:version": 1},
        }
        body.update(overrides)
        dataset = _check(http.post(udata_server.api("/datasets/"), json=body, timeout=TIMEOUT), 201)
        created.append(dataset["id"])
        return dataset

    yield create
    for dataset_id in created:
        http.delete(udata_server.api(f"/datasets/{dataset_id}/"), timeout=TIMEOUT)


def chunked_upload(http, url: str, filename: str, content: bytes, chunk_size: int) -> dict:
    """udata's chunked upload: one multipart request per part, then one to assemble.

    Part requests carry ``file`` + ``uuid``, ``filename``, ``partindex`` (0-based),
    ``totalparts`` (> 1), ``chunksize`` (the part's exact length) and answer
    200 ``{"success": true}``; the last request has the same fields without
    ``file``/``partindex``/``chunksize`` and answers like a single-request upload.
    """
    parts = [content[i : i + chunk_size] for i in range(0, len(content), chunk_size)]
    assert len(parts) > 1, "udata treats totalparts <= 1 as a plain upload"
    upload_id = str(uuid.uuid4())
    for index, part in enumerate(parts):
        form = {
            "uuid": upload_id,
            "filename": filename,
            "partindex": index,
            "totalparts": len(parts),
            "chunksize": len(part),
            # Older udata versions read it; 17.x ignores it. Harmless to send.
            "partbyteoffset": index * chunk_size,
        }
        resp = http.post(url, data=form, files={"file": ("blob", part)}, timeout=TIMEOUT)
        assert _check(resp, 200) == {"success": True, "error": None, "message": ""}
    final = {"uuid": upload_id, "filename": filename, "totalparts": len(parts)}
    return http.post(url, data=final, timeout=TIMEOUT)


def test_server_is_seeded(udata_server, http):
    me = _check(http.get(udata_server.api("/me/"), timeout=TIMEOUT), 200)
    assert me["id"] == udata_server.user_id
    assert udata_server.api_key.startswith("udata_")
    org = _check(http.get(udata_server.api(f"/organizations/{udata_server.org_id}/"), timeout=TIMEOUT), 200)
    assert org["slug"] == udata_server.org_slug
    assert [m["role"] for m in org["members"]] == ["admin"]
    licenses = _check(requests.get(udata_server.api("/datasets/licenses/"), timeout=TIMEOUT), 200)
    by_id = {lic["id"]: lic for lic in licenses}
    for license_id in ("lov2", "fr-lo", "odc-odbl", "odc-by", "odc-pddl", "cc-by", "cc-by-sa",
                       "cc-zero", "notspecified"):
        assert license_id in by_id
    assert by_id["lov2"]["title"] == "Licence Ouverte / Open Licence version 2.0"
    assert by_id["lov2"]["url"] == "https://www.etalab.gouv.fr/licence-ouverte-open-licence"
    bad = requests.get(udata_server.api("/me/"), headers={"X-API-KEY": "udata_wrong"}, timeout=TIMEOUT)
    assert bad.status_code == 401


def test_dataset_lifecycle(udata_server, http, new_dataset):
    created = new_dataset()
    dataset_id = created["id"]
    assert created["organization"]["id"] == udata_server.org_id
    assert created["slug"].startswith("jeu-de-donnees-dintegration")
    assert created["internal"]["last_modified_internal"] == created["last_modified"]

    # read back
    dataset = _check(http.get(udata_server.api(f"/datasets/{dataset_id}/"), timeout=TIMEOUT), 200)
    assert dataset["license"] == "lov2"
    assert dataset["frequency"] == "annual"
    assert sorted(dataset["tags"]) == ["integration", "opendata-test"]
    assert dataset["temporal_coverage"] == {"start": "2020-01-01", "end": "2020-12-31"}
    assert dataset["private"] is False
    assert dataset["extras"] == {"opendata:id": "demo", "opendata:version": 1}
    # anonymous read works on public datasets, by id or slug
    anon = _check(requests.get(udata_server.api(f"/datasets/{dataset['slug']}/"), timeout=TIMEOUT), 200)
    assert anon["id"] == dataset_id

    # extras: API v2 PUT merges; a null value removes the key
    extras_url = udata_server.api(f"/datasets/{dataset_id}/extras/", version=2)
    extras = _check(http.put(extras_url, json={"opendata:hash": "abc", "opendata:version": None},
                             timeout=TIMEOUT), 200)
    assert extras == {"opendata:id": "demo", "opendata:hash": "abc"}

    # remote resource
    remote = _check(http.post(udata_server.api(f"/datasets/{dataset_id}/resources/"), json={
        "title": "Données distantes",
        "filetype": "remote",
        "format": "csv",
        "type": "main",
        "url": "https://example.org/data.csv",
        "description": "remote",
    }, timeout=TIMEOUT), 201)
    assert remote["filetype"] == "remote" and remote["url"] == "https://example.org/data.csv"
    assert remote["checksum"] is None and remote["filesize"] is None

    # file resource: single multipart request
    content = b"code,value\n75056,1\n13055,2\n"
    upload = _check(http.post(udata_server.api(f"/datasets/{dataset_id}/upload/"),
                              files={"file": ("valeurs.csv", content, "text/csv")}, timeout=TIMEOUT), 201)
    assert upload["filetype"] == "file"
    assert upload["format"] == "csv" and upload["mime"] == "text/csv"
    assert upload["title"] == "valeurs.csv"
    assert upload["filesize"] == len(content)
    assert upload["checksum"] == {"type": "sha1", "value": hashlib.sha1(content).hexdigest()}
    assert upload["url"].startswith(f"{udata_server.url}/s/resources/")
    served = requests.get(upload["url"], timeout=TIMEOUT)
    assert served.status_code == 200 and served.content == content

    # update the resource metadata (the file stays)
    res_url = udata_server.api(f"/datasets/{dataset_id}/resources/{upload['id']}/")
    updated_res = _check(http.put(res_url, json={"title": "Valeurs", "description": "d"},
                                  timeout=TIMEOUT), 200)
    assert updated_res["title"] == "Valeurs" and updated_res["url"] == upload["url"]

    # replace the file of an existing resource
    content2 = b"code,value\n75056,3\n"
    reupload_url = udata_server.api(f"/datasets/{dataset_id}/resources/{upload['id']}/upload/")
    reupload = _check(http.post(reupload_url, files={"file": ("valeurs-v2.csv", content2, "text/csv")},
                                timeout=TIMEOUT), 200)
    assert reupload["id"] == upload["id"]
    assert reupload["checksum"]["value"] == hashlib.sha1(content2).hexdigest()
    assert reupload["filesize"] == len(content2)
    assert requests.get(reupload["url"], timeout=TIMEOUT).content == content2

    # list the organisation's datasets (no search engine needed for either)
    for url, params in (
        # newest first: the shared organisation holds every other test's datasets too,
        # more than one page of them in a long run
        (udata_server.api(f"/organizations/{udata_server.org_id}/datasets/"),
         {"page_size": 100, "sort": "-created"}),
        (udata_server.api("/datasets/"),
         {"organization": udata_server.org_id, "page_size": 100, "sort": "-created"}),
    ):
        page = _check(http.get(url, params=params, timeout=TIMEOUT), 200)
        assert dataset_id in [d["id"] for d in page["data"]]
        assert {"data", "page", "page_size", "total", "next_page", "previous_page"} <= set(page)

    # v1 PUT: fields left out keep their value, except tags and temporal_coverage
    # which are cleared; a new title changes the slug.
    before = _check(http.get(udata_server.api(f"/datasets/{dataset_id}/"), timeout=TIMEOUT), 200)
    updated = _check(http.put(udata_server.api(f"/datasets/{dataset_id}/"), json={
        "title": "Titre modifié", "description": "Nouvelle description",
    }, timeout=TIMEOUT), 200)
    assert updated["title"] == "Titre modifié"
    # (`-1`, `-2`... when a dataset, even a deleted one, already has that slug)
    assert updated["slug"].startswith("titre-modifie") and updated["slug"] != before["slug"]
    assert updated["tags"] == []
    assert updated["temporal_coverage"] is None
    assert updated["license"] == "lov2" and updated["frequency"] == "annual"
    assert updated["extras"] == {"opendata:id": "demo", "opendata:hash": "abc"}
    assert len(updated["resources"]) == 2
    assert updated["last_modified"] > before["last_modified"]
    updated = _check(http.put(udata_server.api(f"/datasets/{dataset_id}/"), json={
        "title": "Titre modifié", "description": "Nouvelle description", "tags": ["integration"],
    }, timeout=TIMEOUT), 200)
    assert updated["tags"] == ["integration"]

    # delete: anonymous readers get 410, the owner still sees it with `deleted` set
    assert http.delete(udata_server.api(f"/datasets/{dataset_id}/"), timeout=TIMEOUT).status_code == 204
    gone = requests.get(udata_server.api(f"/datasets/{dataset_id}/"), timeout=TIMEOUT)
    assert gone.status_code == 410
    mine = _check(http.get(udata_server.api(f"/datasets/{dataset_id}/"), timeout=TIMEOUT), 200)
    assert mine["deleted"] is not None
    assert http.delete(udata_server.api(f"/datasets/{dataset_id}/"), timeout=TIMEOUT).status_code == 410


def test_chunked_upload_round_trip(udata_server, http, new_dataset):
    dataset_id = new_dataset(title="Gros fichier")["id"]
    content = os.urandom(3 * 1024 * 1024 + 12345)
    chunk = 1024 * 1024
    resp = chunked_upload(http, udata_server.api(f"/datasets/{dataset_id}/upload/"),
                          "gros-fichier.zip", content, chunk)
    resource = _check(resp, 201)
    assert resource["filesize"] == len(content)
    assert resource["checksum"] == {"type": "sha1", "value": hashlib.sha1(content).hexdigest()}
    assert resource["format"] == "zip" and resource["mime"] == "application/zip"
    assert resource["title"] == "gros-fichier.zip"
    served = requests.get(resource["url"], timeout=TIMEOUT)
    assert served.status_code == 200
    assert hashlib.sha1(served.content).hexdigest() == hashlib.sha1(content).hexdigest()

    # chunked replacement of an existing resource's file
    content2 = os.urandom(2 * chunk + 1)
    reupload_url = udata_server.api(f"/datasets/{dataset_id}/resources/{resource['id']}/upload/")
    resp = chunked_upload(http, reupload_url, "gros-fichier-v2.zip", content2, chunk)
    replaced = _check(resp, 200)
    assert replaced["id"] == resource["id"]
    assert replaced["filesize"] == len(content2)
    assert replaced["checksum"]["value"] == hashlib.sha1(content2).hexdigest()
    assert requests.get(replaced["url"], timeout=TIMEOUT).content == content2

    # a part whose announced size is wrong is refused
    bad = http.post(udata_server.api(f"/datasets/{dataset_id}/upload/"), data={
        "uuid": str(uuid.uuid4()), "filename": "x.zip", "partindex": 0, "totalparts": 2, "chunksize": 10,
    }, files={"file": ("blob", b"123")}, timeout=TIMEOUT)
    assert bad.status_code == 400 and bad.json()["success"] is False


def test_unknown_license_falls_back_to_notspecified(new_dataset):
    # udata does not reject an unknown licence id: check ids against /datasets/licenses/ first.
    assert new_dataset(license="no-such-licence")["license"] == "notspecified"


def test_swagger_lists_the_endpoints(udata_swagger, udata_swagger_v2):
    assert udata_swagger["basePath"] == "/api/1"
    paths = udata_swagger["paths"]
    for path in (
        "/datasets/",
        "/datasets/{dataset}/",
        "/datasets/{dataset}/upload/",
        "/datasets/{dataset}/resources/",
        "/datasets/{dataset}/resources/{rid}/",
        "/datasets/{dataset}/resources/{rid}/upload/",
        "/organizations/{org}/datasets/",
        "/datasets/licenses/",
    ):
        assert path in paths, path
    assert "post" in paths["/datasets/{dataset}/upload/"]
    assert udata_swagger_v2["basePath"] == "/api/2"
    assert "put" in udata_swagger_v2["paths"]["/datasets/{dataset}/extras/"]
