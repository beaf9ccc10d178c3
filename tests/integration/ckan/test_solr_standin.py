"""Unit tests of the Solr stand-in (scripts/solr_standin.py); no CKAN needed.

They pin down the query semantics CKAN relies on (its fq filters, delete queries,
dismax free text, sort, paging, facets) and the HTTP endpoints pysolr calls.
"""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "solr_standin.py"
_spec = importlib.util.spec_from_file_location("solr_standin", SCRIPT)
assert _spec and _spec.loader
standin = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(standin)

BASE = {"entity_type": "package", "site_id": "default", "dataset_type": "dataset"}
DOCS = [
    dict(BASE, index_id="i1", id="a1", name="air-quality", title="Air Quality Measurements",
         state="active", capacity="public", tags=["air", "pollution"], organization="org1",
         owner_org="o1", extras_theme="Environment", theme="Environment",
         metadata_modified="2024-05-01T10:00:00.123456Z", permission_labels=["public"]),
    dict(BASE, index_id="i2", id="b2", name="budget-2024", title="City budget", state="active",
         capacity="private", tags=["finance"], organization="org2", owner_org="o2",
         extras_theme="Finance", metadata_modified="2024-06-01T10:00:00Z",
         permission_labels=["member-o2"]),
    dict(BASE, index_id="i3", id="c3", name="old", title="Old thing", state="deleted",
         capacity="public", metadata_modified="2020-01-01T00:00:00Z"),
]


@pytest.fixture
def core():
    return standin.Core("ckan", [dict(d) for d in DOCS])


def names(core, **params) -> list[str]:
    params = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return [d["name"] for d in core.select(params)["response"]["docs"]]


@pytest.mark.parametrize(
    ("q", "fq", "expected"),
    [
        ("*:*", [], ["air-quality", "budget-2024", "old"]),
        ("*:*", ["+capacity:public +state:(active)", '+site_id:"default"',
                 '+permission_labels:("public" OR "creator-x")'], ["air-quality"]),
        ('name:"old" OR id:"b2"', [], ["budget-2024", "old"]),
        ('+entity_type:package AND +(id:"a1" OR name:"a1") AND +site_id:"default"', [],
         ["air-quality"]),
        ("*:*", ["-state:deleted"], ["air-quality", "budget-2024"]),
        ("*:*", ["metadata_modified:[2024-05-15T00:00:00Z TO NOW]"], ["budget-2024"]),
        ("*:*", ["metadata_modified:{* TO 2024-05-01T10:00:00.123456Z]"], ["air-quality", "old"]),
        ("extras_theme:environment", [], ["air-quality"]),  # text field: case-insensitive
        ("theme:environment", [], []),  # string field: exact
        ("theme:Environment", [], ["air-quality"]),
        ("*:*", ["organization:org*"], ["air-quality", "budget-2024"]),
        ("*:*", ["-tags:*"], ["old"]),
        ('title:"city budget"', [], ["budget-2024"]),
        ('title:"budget city"', [], []),
        ("text:pollution", [], ["air-quality"]),
        ("*:*", ["tags:air AND NOT tags:finance"], ["air-quality"]),
    ],
)
def test_lucene_queries(core, q, fq, expected) -> None:
    assert names(core, q=q, fq=fq, sort="name asc") == expected


def test_dismax_free_text(core) -> None:
    dismax = {"defType": "dismax", "qf": standin.DEFAULT_QF, "mm": "2<-1 5<80%"}
    assert names(core, q="air", **dismax) == ["air-quality"]
    assert names(core, q="quality measurement", **dismax) == ["air-quality"]  # plural folded
    assert names(core, q="quality budget", **dismax) == []  # both words needed
    assert names(core, q="air -pollution", **dismax) == []


def test_sort_paging_fields_and_facets(core) -> None:
    result = core.select({"q": ["*:*"], "sort": ["metadata_modified desc"], "rows": ["1"],
                          "start": ["1"], "fl": ["id name score"], "facet": ["true"],
                          "facet.field": ["tags", "organization"], "facet.mincount": ["1"]})
    assert result["response"]["numFound"] == 3
    assert result["response"]["docs"] == [{"id": "a1", "name": "air-quality", "score": 1.0}]
    facets = result["facet_counts"]["facet_fields"]
    assert facets["tags"] == ["air", 1, "finance", 1, "pollution", 1]
    assert facets["organization"] == ["org1", 1, "org2", 1]
    with pytest.raises(standin.QueryError, match="Sort Order"):
        core.select({"q": ["*:*"], "sort": ["name"]})


def test_delete_by_query(core) -> None:
    assert core.delete_query('+entity_type:package AND +(id:"b2" OR name:"b2")') == 1
    assert sorted(core.docs) == ["i1", "i3"]


def test_date_math() -> None:
    assert standin.parse_date("2024-01-31T00:00:00Z+1MONTH").isoformat() == \
        "2024-02-29T00:00:00+00:00"
    assert standin.parse_date("2024-05-01T10:00:00+02:00/DAY").isoformat() == \
        "2024-05-01T00:00:00+00:00"
    assert standin.parse_date("budget-2024") is None


def test_http_endpoints(tmp_path) -> None:
    store = standin.Store(str(tmp_path / "index.json"))
    handler = type("H", (standin.Handler,), {"store": store, "schema_version": "2.10"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/solr/ckan"

    def call(path, body=None, ctype="application/json"):
        req = urllib.request.Request(base + path, data=body,
                                     headers={"Content-Type": ctype} if body else {})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.read().decode()

    try:
        assert json.loads(call("/admin/ping"))["status"] == "OK"
        assert 'name="ckan-2.10"' in call("/schema?wt=schema.xml")
        call("/update/?commit=true", json.dumps(DOCS).encode())
        call("/update/?commit=true", b"<delete><query>state:deleted</query></delete>",
             "text/xml; charset=utf-8")
        call("/update/", b"<delete><id>i2</id></delete>", "text/xml")
        call("/update/?commit=true", b"<commit />", "text/xml")
        query = urllib.parse.urlencode({"q": "*:*", "fl": "id", "wt": "json"})
        found = json.loads(call(f"/select/?{query}"))
        assert found["response"] == {"numFound": 1, "start": 0, "numFoundExact": True,
                                     "docs": [{"id": "a1"}]}
        with pytest.raises(urllib.error.HTTPError) as err:
            call("/select/?" + urllib.parse.urlencode({"q": "{!func}x"}))
        assert err.value.code == 400
    finally:
        server.shutdown()
        server.server_close()
    store.save()
    saved = json.loads((tmp_path / "index.json").read_text())
    assert [d["id"] for d in saved["cores"]["ckan"]] == ["a1"]
