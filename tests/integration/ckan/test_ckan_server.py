"""End to end through ckanapi against the local CKAN 2.12 of ``scripts/ckan-dev``.

This is the path a harvester takes (organization, dataset with extras, FileStore
upload, show, search with ``fq``, patch, delete), so it also proves that the Solr
stand-in (``scripts/solr_standin.py``) answers CKAN's search-index traffic well enough.
"""

from __future__ import annotations

import contextlib
import time
import uuid

import ckanapi
import pytest
import requests

CSV = b"code,label,value\n01,Ain,1.5\n02,Aisne,2.25\n"


def _search(ckan, **params) -> dict:
    return ckan.action.package_search(include_private=True, **params)


def test_status_show(ckan_server, ckan) -> None:
    status = ckan.action.status_show()
    assert status["ckan_version"].startswith("2.12")
    assert status["site_url"] == ckan_server.url


def test_dataset_lifecycle(ckan_server, ckan, tmp_path) -> None:
    suffix = uuid.uuid4().hex[:10]
    org_name = f"test-org-{suffix}"
    pkg_name = f"test-dataset-{suffix}"
    source = f"opendata-test-{suffix}"
    csv_file = tmp_path / "sample.csv"
    csv_file.write_bytes(CSV)

    org = ckan.action.organization_create(name=org_name, title=f"Test org {suffix}")
    pkg = None
    try:
        pkg = ckan.action.package_create(
            name=pkg_name,
            title="Test dataset for the local CKAN",
            owner_org=org["id"],
            notes="Created by tests/integration/ckan.",
            license_id="odc-by",
            tags=[{"name": "integration-test"}],
            extras=[{"key": "opendata_source", "value": source}],
        )
        assert pkg["organization"]["name"] == org_name

        # FileStore upload: a multipart POST of the file itself
        with csv_file.open("rb") as fh:
            res = ckan.action.resource_create(
                package_id=pkg["id"], name="sample.csv", format="CSV", upload=fh
            )
        assert res["url_type"] == "upload"
        assert res["url"].startswith(f"{ckan_server.url}/dataset/{pkg['id']}/resource/")
        assert res["url"].endswith("/download/sample.csv")

        shown = ckan.action.package_show(id=pkg_name)
        extras = {e["key"]: e["value"] for e in shown["extras"]}
        assert extras["opendata_source"] == source
        assert [r["id"] for r in shown["resources"]] == [res["id"]]
        resource = shown["resources"][0]
        assert resource["url"] == res["url"]
        assert int(resource["size"]) == len(CSV)

        # the uploaded bytes are served back by CKAN
        with requests.Session() as http:
            http.trust_env = False
            download = http.get(resource["url"], timeout=30)
        assert download.status_code == 200
        assert download.content == CSV

        # search: fq on the extra (promoted to a field of its own), on the prefixed
        # extras_ field, on the organization, and free text
        for fq in (
            f'opendata_source:"{source}"',
            f"extras_opendata_source:{source}",
            f"organization:{org_name}",
            f'+owner_org:"{org["id"]}" +tags:integration-test',
        ):
            found = _search(ckan, fq=fq)
            assert [p["name"] for p in found["results"]] == [pkg_name], fq
            assert found["count"] == 1
        found = _search(ckan, q="local CKAN", fq=f"organization:{org_name}")
        assert [p["name"] for p in found["results"]] == [pkg_name]
        # results carry the whole dataset, as package_show does
        hit = found["results"][0]
        assert hit["resources"][0]["url"] == res["url"]
        assert {e["key"]: e["value"] for e in hit["extras"]}["opendata_source"] == source
        # facets are counted
        faceted = _search(ckan, fq=f"organization:{org_name}", **{"facet.field": '["tags"]'})
        assert faceted["facets"]["tags"] == {"integration-test": 1}
        # organization_show counts its datasets through the search index
        assert ckan.action.organization_show(id=org_name)["package_count"] == 1

        # patch: the change is visible and metadata_modified moves forward
        before = shown["metadata_modified"]
        time.sleep(0.01)
        patched = ckan.action.package_patch(id=pkg["id"], title="Patched title")
        assert patched["title"] == "Patched title"
        assert patched["metadata_modified"] > before
        shown = ckan.action.package_show(id=pkg_name)
        assert shown["title"] == "Patched title"
        assert {e["key"]: e["value"] for e in shown["extras"]}["opendata_source"] == source
        found = _search(ckan, fq=f'opendata_source:"{source}"')
        assert [p["title"] for p in found["results"]] == ["Patched title"]
        assert found["results"][0]["metadata_modified"] == shown["metadata_modified"]

        # delete: gone from search, still visible to a sysadmin as deleted
        ckan.action.package_delete(id=pkg["id"])
        assert _search(ckan, fq=f'opendata_source:"{source}"')["count"] == 0
        assert _search(ckan, fq=f"organization:{org_name}")["count"] == 0
        assert ckan.action.package_show(id=pkg["id"])["state"] == "deleted"
    finally:
        if pkg is not None:
            ckan.action.dataset_purge(id=pkg["id"])
        ckan.action.organization_purge(id=org["id"])


def test_search_sort_and_paging(ckan) -> None:
    suffix = uuid.uuid4().hex[:10]
    org = ckan.action.organization_create(name=f"test-org-{suffix}")
    names = [f"test-page-{suffix}-{i}" for i in range(3)]
    try:
        for name in names:
            ckan.action.package_create(name=name, owner_org=org["id"])
        fq = f"organization:{org['name']}"
        page = _search(ckan, fq=fq, sort="name desc", rows=2, start=0)
        assert page["count"] == 3
        assert [p["name"] for p in page["results"]] == names[::-1][:2]
        page = _search(ckan, fq=fq, sort="name desc", rows=2, start=2)
        assert [p["name"] for p in page["results"]] == names[:1]
        newest_first = _search(ckan, fq=fq, sort="metadata_modified desc")
        assert [p["name"] for p in newest_first["results"]] == names[::-1]
        listed = ckan.action.package_list()  # others may publish meanwhile: one call only
        assert len(listed) == len(set(listed))
        assert set(names) <= set(listed)
        with pytest.raises(ckanapi.SearchQueryError, match="sort"):
            _search(ckan, fq=fq, sort="name sideways")
    finally:
        for name in names:
            with contextlib.suppress(ckanapi.NotFound):
                ckan.action.dataset_purge(id=name)
        ckan.action.organization_purge(id=org["id"])
