"""``opendata import --ckan`` against the real local CKAN: datasets made by hand through
CKAN's API (not by opendata), imported, validated, adopted on publish; re-imports in place;
and the round trip publish -> import of the bundled catalog."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from click.testing import CliRunner

from opendata.cli import main
from opendata.harvesters.base import plan, publish
from opendata.harvesters.ckan import normalise_tag
from opendata.importers import import_catalog

REPO = Path(__file__).resolve().parents[3]
FIXTURE = REPO / "tests" / "fixtures" / "catalog"


def api(server: Any, action: str, files: dict[str, Any] | None = None, **data: Any) -> Any:
    headers = {"Authorization": server.token}
    if files:
        resp = requests.post(f"{server.url}/api/3/action/{action}", data=data, files=files,
                             headers=headers, timeout=60)
    else:
        resp = requests.post(f"{server.url}/api/3/action/{action}", json=data,
                             headers=headers, timeout=60)
    body = resp.json()
    assert body.get("success"), body
    return body["result"]


def empty_catalog(tmp_path: Path) -> Path:
    root = tmp_path / "imported"
    root.mkdir()
    shutil.copyfile(FIXTURE / "opendata.yaml", root / "opendata.yaml")
    return root


def manifest(root: Path, folder: str) -> dict[str, Any]:
    return yaml.safe_load((root / "datasets" / folder / "dataset.yaml").read_text("utf-8"))


@pytest.fixture()
def hand_made(ckan_server: Any, tmp_path: Path) -> dict[str, Any]:
    """An organisation with three datasets created through CKAN's API by hand."""
    run = uuid.uuid4().hex[:6]
    org = api(ckan_server, "organization_create", name=f"hand-{run}",
              title=f"Communauté de communes {run}", description="Créée à la main.")
    csv = tmp_path / "equipements.csv"
    csv.write_text("code_insee,nom,places\n01004,Ambérieu,120\n2A004,Ajaccio,80\n",
                   encoding="utf-8")
    full = api(ckan_server, "package_create", name=f"equipements-{run}",
               title="Équipements sportifs", notes="Liste des équipements sportifs.",
               owner_org=org["id"], license_id="odc-odbl", version="2.1",
               tags=[{"name": "sport"}, {"name": "équipements"}],
               extras=[{"key": "frequency", "value":
                        "http://publications.europa.eu/resource/authority/frequency/ANNUAL"},
                       {"key": "temporal_start", "value": "2023-01-01"},
                       {"key": "temporal_end", "value": "2023-12-31"},
                       {"key": "spatial_uri", "value": "http://id.insee.fr/geo/departement/01"},
                       {"key": "producteur", "value": "Service des sports"}],
               maintainer="Service SIG", maintainer_email="sig@example.fr",
               resources=[{"name": "Lien vers le site",
                           "url": f"{ckan_server.url}/api/3/action/status_show",
                           "format": "JSON"}])
    with csv.open("rb") as fh:
        api(ckan_server, "resource_create", files={"upload": ("equipements.csv", fh)},
            package_id=full["id"], name="Équipements (CSV)", format="CSV",
            description="Le fichier.")
    private = api(ckan_server, "package_create", name=f"interne-{run}", title="Données internes",
                  notes="Un jeu privé.", owner_org=org["id"], license_id="cc-by", private=True,
                  resources=[{"name": "api", "url": f"{ckan_server.url}/api/3/action/site_read",
                              "format": "JSON"}])
    odd = api(ckan_server, "package_create", name=f"licence-rare-{run}", title="Licence rare",
              notes="Une licence qu'aucun registre ne connaît.", owner_org=org["id"],
              license_id="licence-maison-v3",
              resources=[{"name": "doc", "url": f"{ckan_server.url}/no-such-file.pdf",
                          "format": "PDF"}])
    return {"run": run, "org": org, "full": full, "private": private, "odd": odd}


def test_import_validate_adopt_reimport(ckan_server: Any, hand_made: dict[str, Any],
                                        tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                        ) -> None:
    root = empty_catalog(tmp_path)
    run, org = hand_made["run"], hand_made["org"]
    monkeypatch.setenv("CKAN_IT_TOKEN", ckan_server.token)
    dry = import_catalog(ckan_server.url, root, kind="ckan", organization=org["name"],
                         token_env="CKAN_IT_TOKEN", dry_run=True)
    assert dry.counts()["created"] == 3 and not (root / "datasets").exists()

    report = import_catalog(ckan_server.url, root, kind="ckan", organization=org["name"],
                            token_env="CKAN_IT_TOKEN", download=True)
    assert report.counts() == {"created": 3, "updated": 0, "unchanged": 0, "skipped": 0}
    assert report.organizations_added == [org["name"]]
    assert report.requests <= 3  # bulk reads: organisation, one search page (+ downloads)
    full = manifest(root, f"equipements-{run}")
    assert full["title"] == "Équipements sportifs"
    assert full["licence"] == "odbl-1.0"
    assert full["organization"] == org["name"]
    assert full["frequency"] == "ANNUAL"
    assert full["temporal"] == {"start": "2023-01-01", "end": "2023-12-31"}
    assert full["spatial"] == {"level": "department", "code": "01"}
    assert full["contact"] == {"name": "Service SIG", "email": "sig@example.fr"}
    assert full["keywords"] == ["sport", "équipements"]
    assert full["extras"] == {"producteur": "Service des sports"}
    assert full["version"] == "2.1"
    assert full["origin"]["kind"] == "ckan" and full["origin"]["id"] == hand_made["full"]["id"]
    by_title = {r["title"]: r for r in full["resources"]}
    assert by_title["Lien vers le site"]["path"] == "lien-vers-le-site.json"
    uploaded = by_title["Équipements (CSV)"]
    assert uploaded["path"] == "equipements.csv" and "url" not in uploaded
    assert (root / "datasets" / f"equipements-{run}" / "equipements.csv").read_text(
        encoding="utf-8").startswith("code_insee,nom,places")
    assert manifest(root, f"interne-{run}")["private"] is True
    odd_item = next(i for i in report.items if i.remote == f"licence-rare-{run}")
    assert any("licence-maison-v3" in w for w in odd_item.warnings)
    config = yaml.safe_load((root / "opendata.yaml").read_text(encoding="utf-8"))
    assert config["organizations"][org["name"]]["title"] == org["title"]

    # validate: exactly what the portal data lacks (the unknown licence), nothing else
    runner = CliRunner()
    result = runner.invoke(main, ["--root", str(root), "validate", "--format", "json"])
    import json

    issues = [i for i in json.loads(result.output)["issues"] if i["severity"] == "error"]
    assert {(i["dataset"], i["field"]) for i in issues} == {(f"licence-rare-{run}", "licence")}, \
        issues

    # publish back to the same CKAN: adopt, never create a copy; then all unchanged
    shutil.rmtree(root / "datasets" / f"licence-rare-{run}")
    (root / "harvesters").mkdir()
    (root / "harvesters" / "home.yaml").write_text(
        f"type: ckan\nurl: {ckan_server.url}\ntoken_env: CKAN_IT_TOKEN\n"
        f"catalog_id: urn:opendata-import:{run}\n", encoding="utf-8")
    first = plan(root, "home")
    assert {i.dataset: i.action for i in first.items} == {
        f"equipements-{run}": "adopt", f"interne-{run}": "adopt"}
    published = publish(root, "home")
    assert published.ok, [r.to_dict() for r in published.results]
    after = plan(root, "home")
    assert {i.action for i in after.items} == {"unchanged"}, after.to_dict()
    pkg = api(ckan_server, "package_show", id=hand_made["full"]["id"])
    assert len(pkg["resources"]) == 2  # taken over in place, no copy added
    assert api(ckan_server, "package_search", q=f"name:equipements-{run}*",
               include_private=True)["count"] == 1

    # re-import: nothing changed remotely -> nothing rewritten; a remote edit -> one field
    before = (root / "datasets" / f"equipements-{run}" / "dataset.yaml").read_bytes()
    again = import_catalog(ckan_server.url, root, kind="ckan", organization=org["name"],
                           token_env="CKAN_IT_TOKEN")
    same = {i.remote: i for i in again.items}[f"equipements-{run}"]
    assert same.action == "unchanged", same.changed_fields
    assert (root / "datasets" / f"equipements-{run}" / "dataset.yaml").read_bytes() == before
    api(ckan_server, "package_patch", id=hand_made["full"]["id"],
        title="Équipements sportifs 2024")
    edited = import_catalog(ckan_server.url, root, kind="ckan", organization=org["name"],
                            token_env="CKAN_IT_TOKEN")
    item = next(i for i in edited.items if i.remote == f"equipements-{run}")
    assert item.action == "updated" and item.changed_fields == ["title"]
    kept = manifest(root, f"equipements-{run}")
    assert kept["title"] == "Équipements sportifs 2024"
    assert any(r.get("path") == "equipements.csv" for r in kept["resources"])


def test_folder_holding_another_dataset_is_refused_unless_forced(
        ckan_server: Any, hand_made: dict[str, Any], tmp_path: Path) -> None:
    root = empty_catalog(tmp_path)
    run, org = hand_made["run"], hand_made["org"]
    mine = root / "datasets" / f"interne-{run}"
    mine.mkdir(parents=True)
    (mine / "dataset.yaml").write_text("name: mine\n", encoding="utf-8")
    report = import_catalog(ckan_server.url, root, kind="ckan", organization=org["name"])
    item = {i.remote: i for i in report.items}
    # the private dataset is not listed anonymously; the others are imported
    assert f"interne-{run}" not in item
    os.environ["CKAN_IT_TOKEN"] = ckan_server.token
    try:
        report = import_catalog(ckan_server.url, root, kind="ckan", organization=org["name"],
                                token_env="CKAN_IT_TOKEN")
        skipped = {i.remote: i for i in report.items}[f"interne-{run}"]
        assert skipped.action == "skipped" and "--force" in (skipped.reason or "")
        assert (mine / "dataset.yaml").read_text(encoding="utf-8") == "name: mine\n"
        forced = import_catalog(ckan_server.url, root, kind="ckan", organization=org["name"],
                                token_env="CKAN_IT_TOKEN", force=True)
        assert {i.remote: i.action for i in forced.items}[f"interne-{run}"] == "created"
    finally:
        del os.environ["CKAN_IT_TOKEN"]


def test_unknown_organisation_and_html_portal(ckan_server: Any, tmp_path: Path) -> None:
    from opendata.errors import PortalError

    root = empty_catalog(tmp_path)
    with pytest.raises(PortalError, match="not found"):
        import_catalog(ckan_server.url, root, kind="ckan", organization="no-such-org-xyz")
    with pytest.raises(PortalError, match="not a CKAN API reply|not JSON"):
        import_catalog(f"{ckan_server.url}/dataset", root, kind="ckan")


def test_round_trip_of_the_bundled_catalog(ckan_server: Any, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Publish the bundled catalog, import it into an empty folder: every field CKAN
    carries comes back equal (the README lists the ones it does not carry)."""
    from opendata.catalog import load_catalog

    src = tmp_path / "src"
    src.mkdir()
    for item in ("opendata.yaml", "validation", "datasets"):
        (shutil.copytree if (REPO / item).is_dir() else shutil.copyfile)(REPO / item, src / item)
    run = uuid.uuid4().hex[:6]
    monkeypatch.setenv("CKAN_IT_TOKEN", ckan_server.token)
    orgs = load_catalog(src).config.organizations
    (src / "harvesters").mkdir()
    (src / "harvesters" / "ckan.yaml").write_text(
        f"type: ckan\nurl: {ckan_server.url}\ntoken_env: CKAN_IT_TOKEN\n"
        f"name_prefix: rt{run}-\ncatalog_id: urn:opendata-rt:{run}\norganizations:\n"
        + "".join(f"  {k}: rt{run}-{k}\n" for k in orgs), encoding="utf-8")
    assert publish(src, "ckan").ok
    root = empty_catalog(tmp_path)
    originals = {ds.name: ds.raw for ds in load_catalog(src).datasets}
    for key in orgs:
        report = import_catalog(ckan_server.url, root, kind="ckan", organization=f"rt{run}-{key}")
        assert all(i.action == "created" for i in report.items)
    imported = {p.parent.name.removeprefix(f"rt{run}-"): yaml.safe_load(p.read_text("utf-8"))
                for p in (root / "datasets").glob("*/dataset.yaml")}
    assert set(imported) >= set(originals)
    carried = ("title", "description", "licence", "keywords", "themes", "frequency",
               "temporal", "spatial", "contact", "version", "language", "private")
    for name, orig in originals.items():
        got = imported[name]
        for key in carried:
            want = orig.get(key)
            if key == "description":
                want = str(want).strip()
            if key in ("temporal",) and want:
                want = {k: str(v) for k, v in want.items()}
            if key == "keywords" and want:
                # CKAN tags allow letters, digits, space, - _ . only: the harvester's
                # normalisation is what CKAN can carry (README: not carried as is)
                want = sorted({normalise_tag(k) for k in want})
            if key == "spatial" and want:
                # CKAN's spatial_uri names the INSEE unit: the COG vintage is not carried
                want = {k: v for k, v in want.items() if k != "cog"}
            if key == "spatial" and want and "code" not in want:
                # a level without a code has no spatial_uri: CKAN carries the bbox only
                want = {"bbox": want["bbox"]} if "bbox" in want else None
            if key == "language" and got.get(key) is None:
                want = None if want == ["fr"] else want  # the catalog default is omitted
            assert got.get(key) == want, (name, key, got.get(key), want)
        assert got["organization"] == f"rt{run}-{orig['organization']}"
        assert got["source"]["title"] == orig["source"]["title"]
        assert got["source"].get("section") == orig["source"].get("section")
        assert [r["name"] for r in got["resources"]] == [r["name"] for r in orig["resources"]]
        assert [r["format"] for r in got["resources"]] == [r["format"] for r in orig["resources"]]
