"""``opendata serve`` as CKAN clients see it: ckanapi.RemoteCKAN on 127.0.0.1, raw HTTP
for the envelope, error shapes and content types, and opendata's own CKAN harvester
planning against it (it must find every dataset unchanged: same mapping)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import ckanapi
import pytest
import requests
from library import HOSTILE, NO_TABLE, UNIQUE_WORD

from opendata.catalog.manifests import load_catalog
from opendata.harvesters.base import plan


@pytest.fixture(scope="module")
def ckan(served):
    return ckanapi.RemoteCKAN(served, user_agent="opendata-tests")


def test_remote_ckan_reads_every_dataset_and_file(ckan, api_library):
    root, _ = api_library
    names = sorted(ds.name for ds in load_catalog(root).datasets)
    assert ckan.action.package_list() == names
    for name in names:
        pkg = ckan.action.package_show(id=name)
        assert pkg["name"] == name and pkg["state"] == "active"
        assert ckan.action.package_show(id=pkg["id"])["name"] == name
        assert pkg["num_resources"] == len(pkg["resources"]) > 0
        for res in pkg["resources"]:
            body = requests.get(res["url"], timeout=10)
            assert body.status_code == 200, res["url"]
            assert hashlib.sha256(body.content).hexdigest() == res["hash"]
            assert int(res["size"]) == len(body.content)
            assert ckan.action.resource_show(id=res["id"])["url"] == res["url"]


def test_the_ckan_harvester_plans_no_change_against_serve(api_library, served):
    """The served JSON is what publishing writes: opendata's own CKAN harvester, pointed
    at `opendata serve`, finds every dataset there and up to date."""
    root, _ = api_library
    target = root / "harvesters" / "serve.yaml"
    organizations = "".join(f"  {k}: {k}\n" for k in load_catalog(root).config.organizations)
    target.write_text(f"type: ckan\nurl: {served}\nresources: upload\n"
                      f"organizations:\n{organizations}", encoding="utf-8")
    result = plan(root, "serve")
    datasets = {item.dataset: item.action for item in result.items
                if item.dataset != "concours-applis"}  # a pack is a dataset only on portals
    assert datasets and set(datasets.values()) == {"unchanged"}, datasets


def test_package_search_q_fq_rows_start_sort_and_facets(ckan, api_library):
    catalog = load_catalog(api_library[0])
    with_rapport = sum(1 for ds in catalog.datasets
                       if str((ds.get("extras") or {}).get("rapport")) == "12.07.213")
    everything = ckan.action.package_search(rows=1000)
    total = everything["count"]
    assert total == len(ckan.action.package_list()) and len(everything["results"]) == total
    assert everything["sort"] == "score desc, metadata_modified desc"
    one = ckan.action.package_search(q=UNIQUE_WORD)
    assert one["count"] == 1 and one["results"][0]["name"] == HOSTILE
    assert ckan.action.package_search(q=UNIQUE_WORD.upper())["count"] == 1
    by_org = ckan.action.package_search(fq="organization:region-poitou-charentes", rows=100)
    assert by_org["count"] >= 4
    assert {p["organization"]["name"] for p in by_org["results"]} == {"region-poitou-charentes"}
    assert ckan.action.package_search(fq='tags:"test hostile"')["count"] == 1
    assert ckan.action.package_search(fq="res_format:TXT")["results"][0]["name"] == NO_TABLE
    assert ckan.action.package_search(fq="license_id:lov2")["count"] == total
    assert ckan.action.package_search(fq="-license_id:lov2")["count"] == 0
    assert with_rapport >= 1  # an extra's own key: exact value
    assert ckan.action.package_search(fq='rapport:"12.07.213"')["count"] == with_rapport
    assert ckan.action.package_search(fq='rapport:"12.07"')["count"] == 0
    marker = ckan.action.package_search(
        fq='extras_opendata_catalog:"https://bibliotheque-donnees.fr/"', rows=0)
    assert marker["count"] == total and marker["results"] == []
    pages = [ckan.action.package_search(rows=5, start=s, sort="name asc")["results"]
             for s in range(0, total, 5)]
    names = [p["name"] for page in pages for p in page]
    assert names == sorted(names) and len(names) == total
    desc = ckan.action.package_search(rows=3, sort="name desc")["results"]
    assert [p["name"] for p in desc] == sorted(names, reverse=True)[:3]
    faceted = ckan.action.package_search(rows=0, **{"facet.field": json.dumps(
        ["organization", "tags", "res_format", "license_id"])})
    assert faceted["facets"]["license_id"] == {"lov2": total}
    assert sum(faceted["facets"]["organization"].values()) == total
    assert faceted["facets"]["res_format"]["TXT"] == 1
    items = faceted["search_facets"]["organization"]["items"]
    assert {"name": "region-poitou-charentes", "display_name": "Région Poitou-Charentes",
            "count": faceted["facets"]["organization"]["region-poitou-charentes"]} in items


def test_other_read_actions(ckan, served):
    orgs = ckan.action.organization_list()
    assert "region-poitou-charentes" in orgs and orgs == sorted(orgs)
    full = ckan.action.organization_list(all_fields=True)
    assert sum(o["package_count"] for o in full) == len(ckan.action.package_list())
    org = ckan.action.organization_show(id="region-poitou-charentes", include_datasets=True)
    assert org["title"] == "Région Poitou-Charentes" and len(org["packages"]) == org["package_count"]
    assert ckan.action.organization_show(id=org["id"])["name"] == "region-poitou-charentes"
    assert [x["id"] for x in ckan.action.license_list()].count("lov2") == 1
    assert "test hostile" in ckan.action.tag_list() and ckan.action.tag_list(query="hostil") == [
        "test hostile"]
    everything = ckan.action.current_package_list_with_resources()
    dates = [p["metadata_modified"] for p in everything]
    assert dates == sorted(dates, reverse=True) and all(p["resources"] for p in everything)
    assert len(ckan.action.current_package_list_with_resources(limit=2, offset=1)) == 2
    status = ckan.action.status_show()
    assert status["site_url"] == served and status["ckan_version"].startswith("2.")
    assert requests.get(served + "/api/3", timeout=10).json() == {"version": 3}


def test_errors_have_ckan_shapes_and_status_codes(ckan, served):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.package_show(id="no-such-dataset")
    with pytest.raises(ckanapi.ValidationError) as missing:
        ckan.action.package_show()
    assert missing.value.error_dict["name_or_id"] == ["Missing value"]
    with pytest.raises(ckanapi.NotFound):
        ckan.action.resource_show(id="nope")
    with pytest.raises(ckanapi.NotFound):
        ckan.action.organization_show(id="nope")
    base = served + "/api/3/action/"
    reply = requests.get(base + "no_such_action", timeout=10)
    assert reply.status_code == 400
    assert reply.json() == "Bad request: Action name not known: no_such_action"
    reply = requests.get(base + "package_search?rows=abc", timeout=10)
    assert reply.status_code == 409
    assert reply.json()["error"] == {"rows": ["Invalid integer"], "__type": "Validation Error"}
    assert reply.json()["help"] == base + "help_show?name=package_search"
    reply = requests.get(base + "package_search?rows=-1", timeout=10)
    assert reply.json()["error"]["rows"] == ["Must be a natural number"]
    reply = requests.get(base + "package_search?sort=bad%20x", timeout=10)
    assert reply.status_code == 400 and reply.json()["error"]["__type"] == "Search Query Error"
    reply = requests.get(base + "package_search?facet.field=tags", timeout=10)
    assert reply.status_code == 409 and "facet.field" in reply.json()["error"]
    reply = requests.post(base + "package_show", data=b"{not json", timeout=10,
                          headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and reply.json()["success"] is False
    assert requests.post(base + "package_show", json={"id": HOSTILE}, timeout=10).json()[
        "result"]["name"] == HOSTILE
    assert requests.delete(base + "package_show", timeout=10).status_code == 405


def test_site_and_dcat_with_their_content_types(served):
    def get(path: str) -> requests.Response:
        return requests.get(served + path, timeout=10)

    ttl = get("/catalog.ttl")
    assert ttl.headers["Content-Type"] == "text/turtle; charset=utf-8"
    assert "Région Poitou-Charentes" in ttl.content.decode("utf-8")
    assert get(f"/dcat/{HOSTILE}.jsonld").headers["Content-Type"] == "application/ld+json"
    assert get("/catalog.jsonld").headers["Content-Type"] == "application/ld+json"
    assert get("/catalog.rdf").headers["Content-Type"] == "application/rdf+xml"
    home = get("/")
    assert home.status_code == 200 and home.headers["Content-Type"].startswith("text/html")
    assert get("/en/").text.startswith("<!DOCTYPE html>\n<html lang=\"en\">")
    assert get(f"/datasets/{HOSTILE}.html").status_code == 200
    for bad in ("/../opendata.yaml", "/%2e%2e/opendata.yaml", "/files/../../dataset.yaml",
                "/nope.html"):
        assert get(bad).status_code == 404, bad
    assert requests.head(served + "/catalog.ttl", timeout=10).headers["Content-Length"] == str(
        len(ttl.content))


def test_serve_without_a_build_exits_2(cli, tmp_path: Path):
    result = cli("serve", "--dist", str(tmp_path / "nothing"))
    assert result.exit_code == 2 and "opendata build" in result.output


def test_extras_clauses_answer_from_the_index_as_a_scan_would(api_library):
    """``extras_<key>`` clauses are answered from the word index built at start; the
    answer must be the one matching each package in turn gives (the reference)."""
    from opendata.api.app import Library
    from opendata.api.search import matches, parse_clauses

    lib = Library(api_library[1])
    extras = sorted({(k, v) for d in lib.docs for e in d.pkg["extras"]
                     for k, v in [(e["key"], str(e["value"]))]
                     if not k.startswith("opendata_state")})
    assert len(extras) > 10
    queries = ["extras_no_such_key:x", "extras_rapport:*", "-extras_rapport:*",
               'extras_opendata_catalog:"https://bibliotheque-donnees.fr/"',
               "extras_rapport:(12 OR 999)"]
    for key, value in extras[::3]:
        first = value.split()[0] if value.split() else value
        queries += [f'extras_{key}:"{value[:60]}"', f"extras_{key}:{first}",
                    f"-extras_{key}:{first}"]
    for query in queries:
        clauses, free = parse_clauses(query)
        scanned = {i for i, doc in enumerate(lib.docs) if matches(doc, clauses, free) is not None}
        assert lib.select(clauses, free) == scanned, query
    have = sum(1 for d in lib.docs if any(e["key"] == "rapport" for e in d.pkg["extras"]))
    assert len(lib.select(*parse_clauses("extras_rapport:*"))) == have > 0
    assert len(lib.select(*parse_clauses("-extras_rapport:*"))) == len(lib.docs) - have
