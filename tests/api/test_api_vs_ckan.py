"""The same catalog, published to the real local CKAN 2.12 and served by ``opendata
serve``: ``package_show`` compared field by field.  Every difference is listed in
:data:`EXPECTED` (and in the README); a new one fails the test.

The CKAN copy is published under a per-run name prefix and catalog id, so that runs on a
reused server never meet; those two are undone before comparing.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from opendata.catalog.manifests import load_catalog
from opendata.harvesters.base import publish

pytestmark = pytest.mark.ckan

#: field path -> why it differs (the README's table says the same)
EXPECTED = {
    "id": "CKAN makes random UUIDs; serve derives stable ones from the identifier",
    "creator_user_id": "the CKAN user who published; serve names a fixed 'opendata' user",
    "metadata_created": "CKAN: time of the publish; serve: first git commit of the dataset",
    "metadata_modified": "CKAN: time of the last write; serve: last git commit of the dataset",
    "isopen": "CKAN's licence list has no lov2 (Etalab 2.0), so CKAN says not open",
    "license_title": "CKAN echoes the unknown id; serve gives the registry's title",
    "license_url": "absent on CKAN for an unknown licence",
    "organization.id": "random UUID on CKAN, derived on serve",
    "organization.created": "CKAN: when the harvester created it; serve: first commit",
    "owner_org": "the organisation's id (see organization.id)",
    "resources[].id": "random UUID on CKAN, derived on serve",
    "resources[].package_id": "the dataset's id (see id)",
    "resources[].created": "CKAN: upload time; serve: first commit",
    "resources[].last_modified": "CKAN: upload time; serve: last commit",
    "resources[].metadata_modified": "CKAN: last write; serve: last commit",
    "resources[].url": "CKAN's FileStore download URL; serve's /files/<dataset>/<file>",
    "tags[].id": "random UUID on CKAN, derived from the tag on serve",
}


def _flatten(pkg: dict[str, Any]) -> dict[str, Any]:
    """Field path -> value; lists keyed by what identifies their items."""
    out: dict[str, Any] = {}
    for key, value in pkg.items():
        if key == "resources":
            for res in value:
                for k, v in res.items():
                    out[f"resources[{res['opendata_name']}].{k}"] = v
        elif key == "tags":
            for tag in value:
                for k, v in tag.items():
                    out[f"tags[{tag['name']}].{k}"] = v
        elif key == "extras":
            for extra in value:
                out[f"extras.{extra['key']}"] = extra["value"]
        elif key == "organization" and isinstance(value, dict):
            for k, v in value.items():
                out[f"organization.{k}"] = v
        else:
            out[key] = value
    return out


def _general(path: str) -> str:
    """``resources[actions].id`` -> ``resources[].id``: one line per kind of field."""
    if "[" in path:
        head, rest = path.split("[", 1)
        return f"{head}[]{rest.split(']', 1)[1]}"
    return path


def test_package_show_of_real_ckan_and_serve_field_by_field(api_library, served, ckan_server,
                                                            tmp_path, monkeypatch):
    library_root, _ = api_library
    root = tmp_path / "catalog"
    shutil.copytree(library_root, root, ignore=shutil.ignore_patterns("dist", ".opendata"))
    run = uuid.uuid4().hex[:6]
    prefix, catalog_id = f"cmp{run}-", f"urn:opendata-cmp:{run}"
    monkeypatch.setenv("CKAN_CMP_TOKEN", ckan_server.token)
    orgs = "".join(f"  {k}: {prefix}{k}\n" for k in load_catalog(root).config.organizations)
    (root / "harvesters" / "cmp.yaml").write_text(
        f"type: ckan\nurl: {ckan_server.url}\ntoken_env: CKAN_CMP_TOKEN\nresources: upload\n"
        f"name_prefix: {prefix}\ncatalog_id: {catalog_id}\norganizations:\n{orgs}",
        encoding="utf-8")
    report = publish(root, "cmp")
    assert report.ok, [r.error for r in report.results if r.error]

    differences: dict[str, list[str]] = {}
    names = [ds.name for ds in load_catalog(root).datasets]
    for name in names:
        real = requests.get(f"{ckan_server.url}/api/3/action/package_show",
                            params={"id": prefix + name}, timeout=30).json()["result"]
        ours = requests.get(f"{served}/api/3/action/package_show", params={"id": name},
                            timeout=30).json()["result"]
        text = json.dumps(real, ensure_ascii=False).replace(prefix, "").replace(
            catalog_id, "https://bibliotheque-donnees.fr/")
        real = json.loads(text)
        flat_real, flat_ours = _flatten(real), _flatten(ours)
        for path in sorted(set(flat_real) | set(flat_ours)):
            if path == "extras.opendata_fingerprint":
                continue  # a hash of opendata_state, compared there
            if flat_real.get(path, "<absent>") != flat_ours.get(path, "<absent>"):
                differences.setdefault(_general(path), []).append(
                    f"{name}: CKAN {flat_real.get(path, '<absent>')!r:.80} / "
                    f"serve {flat_ours.get(path, '<absent>')!r:.80}")
    out = os.environ.get("OPENDATA_CKAN_DIFF")
    if out:  # the README's table is made from this
        Path(out).write_text(json.dumps(differences, indent=1, ensure_ascii=False), "utf-8")
    unexplained = {k: v[:2] for k, v in differences.items() if k not in EXPECTED}
    assert unexplained == {}
