"""The "published on" link of a dataset page, end to end: publish two datasets of the
library to the real local CKAN 2.12 with ``--report published/<target>.json``, build the
site, follow each page's link with requests: 200, and the page of that very dataset.

Published under a per-run name prefix and catalog id, like the comparison test, so that
runs on a reused CKAN never meet.
"""

from __future__ import annotations

import json
import re
import shutil
import uuid
from html import unescape

import pytest
import requests

from opendata.catalog.manifests import load_catalog
from opendata.harvesters.base import publish
from opendata.site import site
from opendata.site.published import PUBLISHED_DIR

pytestmark = pytest.mark.ckan


def test_dataset_page_links_its_real_ckan_page(api_library, ckan_server, tmp_path,
                                               monkeypatch):
    library_root, library_dist = api_library
    root = tmp_path / "catalog"
    shutil.copytree(library_root, root, ignore=shutil.ignore_patterns("dist", ".opendata"))
    shutil.rmtree(root / PUBLISHED_DIR)  # the library's own report: links this test did not make
    run = uuid.uuid4().hex[:6]
    prefix = f"pub{run}-"
    monkeypatch.setenv("CKAN_PUB_TOKEN", ckan_server.token)
    catalog = load_catalog(root)
    orgs = "".join(f"  {k}: {prefix}{k}\n" for k in catalog.config.organizations)
    (root / "harvesters" / "pub.yaml").write_text(
        f"type: ckan\nurl: {ckan_server.url}\ntoken_env: CKAN_PUB_TOKEN\nresources: upload\n"
        f"name_prefix: {prefix}\ncatalog_id: urn:opendata-pub:{run}\norganizations:\n{orgs}",
        encoding="utf-8")
    names = [ds.name for ds in catalog.datasets[:2]]
    report = publish(root, "pub", names)
    assert report.ok, [r.error for r in report.results if r.error]
    (root / PUBLISHED_DIR).mkdir()
    (root / PUBLISHED_DIR / "pub.json").write_text(json.dumps(report.to_dict()), "utf-8")

    out = tmp_path / "site"
    site(root, library_dist, out=out)
    for name in names:
        title = next(ds.title for ds in catalog.datasets if ds.name == name)
        page = (out / "datasets" / f"{name}.html").read_text("utf-8")
        links = re.findall(r'<ul class="inline published"><li><a href="([^"]+)">([^<]+)</a>',
                           page)
        assert links == [(f"{ckan_server.url}/dataset/{prefix}{name}",
                          f"{ckan_server.url.split('://')[1].split(':')[0]} (CKAN)")]
        reply = requests.get(links[0][0], timeout=30)
        assert reply.status_code == 200
        assert reply.url.rstrip("/").endswith(f"/dataset/{prefix}{name}")
        assert title in unescape(reply.text)  # CKAN's own page of this dataset
        pkg = requests.get(f"{ckan_server.url}/api/3/action/package_show",
                           params={"id": prefix + name}, timeout=30).json()["result"]
        extras = {e["key"]: e["value"] for e in pkg["extras"]}
        assert extras["opendata_identifier"] == catalog.config.dataset_uri(name)
    unpublished = [ds.name for ds in catalog.datasets if ds.name not in names][0]
    assert "inline published" not in (out / "datasets" / f"{unpublished}.html").read_text("utf-8")
