"""The importers' own logic, without a portal: stable folder names, in-place merges,
organisations appended to opendata.yaml with its comments kept, and malformed replies
(what a real server cannot show cheaply, hence ``responses``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import responses
import yaml
from click.testing import CliRunner

from opendata.cli import main
from opendata.errors import PortalError
from opendata.importers import import_catalog
from opendata.importers.model import RemoteDataset
from opendata.importers.writer import add_organizations, choose_folder, file_name, merge

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "catalog"
SITE = "http://ckan.test"


def remote(name: str, rid: str) -> RemoteDataset:
    return RemoteDataset(remote_id=rid, remote_name=name, manifest={
        "name": name, "origin": {"kind": "ckan", "portal": SITE, "id": rid}})


def test_colliding_names_get_a_suffix_derived_from_the_remote_id() -> None:
    taken: set[str] = set()
    first, _, reason = choose_folder(remote("gares", "id-1"), {}, taken)
    assert (first, reason) == ("gares", None)
    taken.add(first)
    second, _, reason = choose_folder(remote("gares", "id-2"), {}, taken)
    assert second.startswith("gares-") and reason is None
    # the same remote dataset always gives the same folder
    again, _, _ = choose_folder(remote("gares", "id-2"), {}, {"gares"})
    assert again == second


def test_the_origin_finds_the_folder_even_after_a_rename() -> None:
    on_disk = {"mes-gares": (Path("x"), {"name": "mes-gares",
                                         "origin": {"kind": "ckan", "portal": SITE + "/",
                                                    "id": "id-1"}})}
    folder, current, reason = choose_folder(remote("gares", "id-1"), on_disk, set())
    assert (folder, reason) == ("mes-gares", None) and current is not None


def test_a_folder_of_another_dataset_is_refused() -> None:
    on_disk = {"gares": (Path("x"), {"name": "gares"})}
    folder, _, reason = choose_folder(remote("gares", "id-1"), on_disk, set())
    assert folder == "gares" and reason and "not imported from this portal" in reason


def test_merge_keeps_what_only_the_steward_knows() -> None:
    current = {"name": "gares", "title": "Ancien", "description": "d", "notes": "kept",
               "resources": [{"name": "liste", "format": "csv", "path": "liste.csv",
                              "schema": "liste.schema.json", "dialect": {"delimiter": ";"}}],
               "contact": {"email": "a@b.fr"}}
    new = merge({"name": "gares", "title": "Nouveau", "description": "d",
                 "resources": [{"name": "liste", "format": "csv", "url": "http://x/l.csv"}]},
                current)
    assert new["title"] == "Nouveau" and new["notes"] == "kept"
    assert new["contact"] == {"email": "a@b.fr"}  # not carried by this portal: kept
    assert new["resources"] == [{"name": "liste", "format": "csv", "path": "liste.csv",
                                 "schema": "liste.schema.json",
                                 "dialect": {"delimiter": ";"}}]


def test_organisations_are_appended_and_comments_kept(tmp_path: Path) -> None:
    config = tmp_path / "opendata.yaml"
    shutil.copyfile(FIXTURE / "opendata.yaml", config)
    before = config.read_text(encoding="utf-8")
    added = add_organizations(config, {"cc-test": {"title": "CC « Test »: ouest",
                                                   "description": "Une: description"},
                                       "region-rhone-alpes": {"title": "x"}},
                              {"region-rhone-alpes"}, dry_run=False)
    assert added == ["cc-test"]
    text = config.read_text(encoding="utf-8")
    assert text.startswith(before.splitlines()[0])  # the leading comment is still there
    data = yaml.safe_load(text)
    assert data["organizations"]["cc-test"] == {"title": "CC « Test »: ouest",
                                                "description": "Une: description"}
    assert set(data["organizations"]) >= {"region-rhone-alpes", "cc-test"}


def test_file_names_never_leave_the_folder() -> None:
    assert file_name("http://x/a/../../etc/passwd", "liste", "csv") == "liste.csv"
    assert file_name("http://x/dl/Gares%20SNCF.csv?x=1", "liste", "csv") == "Gares-SNCF.csv"


def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "cat"
    root.mkdir()
    shutil.copyfile(FIXTURE / "opendata.yaml", root / "opendata.yaml")
    return root


@responses.activate
def test_a_portal_answering_html_is_a_clear_error(tmp_path: Path) -> None:
    responses.post(f"{SITE}/api/3/action/package_search", body="<html>login</html>",
                   content_type="text/html")
    result = CliRunner().invoke(main, ["--root", str(catalog(tmp_path)), "import", "--ckan",
                                       SITE])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "not JSON" in result.output


@responses.activate
def test_a_dataset_without_resources_is_imported_with_a_warning(tmp_path: Path) -> None:
    pkg = {"id": "p1", "name": "vide", "title": "Vide", "notes": "", "license_id": "cc-by",
           "organization": {"name": "org", "title": "Org"}, "resources": [], "extras": [],
           "tags": []}
    responses.post(f"{SITE}/api/3/action/package_search",
                   json={"success": True, "result": {"count": 1, "results": [pkg]}})
    report = import_catalog(SITE, catalog(tmp_path), kind="ckan")
    warnings = report.items[0].warnings
    assert any("no resource" in w for w in warnings)
    assert any("no description" in w for w in warnings)


def one_package_with_a_file() -> None:
    """The portal lists one dataset whose only resource is http://files.test/gares.csv."""
    pkg = {"id": "p1", "name": "gares", "title": "Gares", "notes": "Les gares.",
           "license_id": "cc-by", "organization": {"name": "org", "title": "Org"},
           "extras": [], "tags": [],
           "resources": [{"id": "r1", "name": "Liste", "format": "CSV",
                          "url": "http://files.test/gares.csv"}]}
    responses.post(f"{SITE}/api/3/action/package_search",
                   json={"success": True, "result": {"count": 1, "results": [pkg]}})


@responses.activate
def test_a_failing_download_keeps_the_url(tmp_path: Path) -> None:
    one_package_with_a_file()
    responses.get("http://files.test/gares.csv", status=503)
    root = catalog(tmp_path)
    report = import_catalog(SITE, root, kind="ckan", download=True)
    assert any("download failed" in w for w in report.items[0].warnings)
    got = yaml.safe_load((root / "datasets" / "gares" / "dataset.yaml").read_text("utf-8"))
    assert got["resources"][0]["url"] == "http://files.test/gares.csv"


@responses.activate
def test_a_file_larger_than_the_limit_keeps_the_url(tmp_path: Path) -> None:
    one_package_with_a_file()
    responses.get("http://files.test/gares.csv", body=b"x" * 5000)
    root = catalog(tmp_path)
    report = import_catalog(SITE, root, kind="ckan", download=True, max_bytes=1000)
    assert any("1000" in w for w in report.items[0].warnings)
    assert not list((root / "datasets" / "gares").glob("*.csv"))


def test_exactly_one_source_is_required(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--root", str(catalog(tmp_path)), "import"])
    assert result.exit_code == 2 and "exactly one source" in result.output


def test_datagouv_needs_an_organisation(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="--organization"):
        import_catalog("https://www.data.gouv.fr", catalog(tmp_path), kind="datagouv")


@responses.activate
def test_portal_errors_name_the_portal(tmp_path: Path) -> None:
    responses.post(f"{SITE}/api/3/action/organization_show", status=404,
                   json={"success": False, "error": {"__type": "Not Found Error"}})
    with pytest.raises(PortalError, match="not found on http://ckan.test"):
        import_catalog(SITE, catalog(tmp_path), kind="ckan", organization="nope")
