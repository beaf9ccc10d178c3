"""Building packs: per-dataset zips, collections, reproducibility, the build step."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from opendata.catalog.manifests import load_catalog
from opendata.errors import ValidationFailed
from opendata.packages.collections import check_pack, list_packs, load_pack_manifest
from opendata.packages.packs import LOCK_NAME, _prefixed, build_dataset_package, build_pack
from opendata.pipeline.build import build

PACK_YAML = """\
name: demo-pack
title: Pack de démonstration
description: Un pack pour les tests, avec un concours.
version: "0.2.0"
select:
  themes: [TECH]
contest:
  title: Concours test
  rules_url: https://example.fr/reglement
  opens: "2026-01-01"
  closes: "2026-03-31"
"""


def write_pack(root: Path, text: str = PACK_YAML, name: str = "demo-pack") -> Path:
    file = root / "datasets" / "packs" / f"{name}.yaml"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(text, encoding="utf-8")
    return file


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------- per dataset


def test_dataset_zip_is_byte_identical_when_rebuilt(catalog: Path, tmp_path: Path) -> None:
    first = build_dataset_package(load_catalog(catalog), "demo", tmp_path / "a")
    data = catalog / "datasets" / "demo" / "points.csv"
    os.utime(data, (1_000_000_000, 1_000_000_000))  # a checkout changes mtimes, not content
    second = build_dataset_package(load_catalog(catalog), "demo", tmp_path / "b")
    assert first.zip_path.name == "demo-1.0.0.zip"
    assert first.sha256 == second.sha256 == sha(second.zip_path)
    assert first.zip_path.read_bytes() == second.zip_path.read_bytes()
    with zipfile.ZipFile(first.zip_path) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}
    assert {i.extra for i in infos} == {b""}


def test_source_date_epoch_sets_the_timestamps(catalog: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    result = build_dataset_package(load_catalog(catalog), "demo", tmp_path)
    with zipfile.ZipFile(result.zip_path) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_dataset_zip_holds_descriptor_readme_licence_and_lock(catalog: Path,
                                                               tmp_path: Path) -> None:
    result = build_dataset_package(load_catalog(catalog), "demo", tmp_path)
    with zipfile.ZipFile(result.zip_path) as zf:
        names = set(zf.namelist())
        assert names == {"datapackage.json", "README.md", "LICENCE.md", "points.csv",
                         LOCK_NAME, "validation-report.json"}
        desc = json.loads(zf.read("datapackage.json"))
        readme = zf.read("README.md").decode()
        licence = zf.read("LICENCE.md").decode()
        lock = json.loads(zf.read(LOCK_NAME))
        for name, entry in lock["files"].items():
            assert hashlib.sha256(zf.read(name)).hexdigest() == entry["sha256"]
            assert len(zf.read(name)) == entry["bytes"]
    res = desc["resources"][0]
    assert res["hash"].startswith("sha256:") and res["bytes"] == 109
    assert desc["licenses"][0]["name"] == "etalab-2.0"
    assert desc["sources"][0]["title"].startswith("Document de démonstration")
    assert "| `taux` | number | décimale `,` | Taux d'éligibilité (%) |" in readme
    assert "## Citer ce jeu de données" in readme and "version 1.0.0" in readme
    assert "https://www.etalab.gouv.fr/licence-ouverte-open-licence" in licence
    assert "Réutilisation libre" in licence
    assert set(lock["files"]) == names - {LOCK_NAME}
    assert lock["kind"] == "dataset" and lock["datasets"][0]["version"] == "1.0.0"
    assert lock["catalog"]["commit"] is None  # tmp_path is not a git repository


def test_invalid_dataset_is_not_packed(catalog: Path, demo: Path, tmp_path: Path, edit) -> None:
    edit(demo / "points.csv", "Aunis;5;72,5", "Aunis;cinq;72,5")
    with pytest.raises(ValidationFailed) as err:
        build_dataset_package(load_catalog(catalog), "demo", tmp_path)
    assert "demo" in err.value.message and "cinq" in err.value.message
    assert not (tmp_path / "packages").exists()


def test_lock_records_the_git_commit(catalog: Path, tmp_path: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "catalog"]):
        subprocess.run(["git", *args], cwd=catalog, check=True, env=env)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=catalog, capture_output=True,
                          text=True, check=True).stdout.strip()
    result = build_dataset_package(load_catalog(catalog), "demo", tmp_path)
    assert result.lock["catalog"]["commit"] == head
    assert result.lock["catalog"]["dirty"] is False


# --------------------------------------------------------------------------- collections


def test_collection_zip(catalog: Path, tmp_path: Path) -> None:
    write_pack(catalog)
    result = build_pack(load_catalog(catalog), "demo-pack", tmp_path)
    assert result.zip_path == tmp_path / "packs" / "demo-pack-0.2.0.zip"
    assert result.version == "0.2.0" and result.datasets == ["demo"]
    assert result.size == result.zip_path.stat().st_size
    assert result.zip_path.with_name("demo-pack-0.2.0.zip.sha256").read_text().startswith(
        result.sha256)
    with zipfile.ZipFile(result.zip_path) as zf:
        names = set(zf.namelist())
        top = json.loads(zf.read("datapackage.json"))
        lock = json.loads(zf.read(LOCK_NAME))
        report = json.loads(zf.read("validation-report.json"))
        readme = zf.read("README.md").decode()
    assert {"README.md", "datapackage.json", LOCK_NAME, "validation-report.json",
            "demo/README.md", "demo/LICENCE.md", "demo/datapackage.json",
            "demo/points.csv"} == names
    res = top["resources"][0]
    assert res["name"] == "demo.points" and res["path"] == "demo/points.csv"
    assert res["dataset"] == "demo" and res["licenses"][0]["name"] == "etalab-2.0"
    assert top["contest"]["rules_url"] == "https://example.fr/reglement"
    assert lock["datasets"][0]["resources"][0] == {
        "name": "demo.points", "path": "demo/points.csv",
        "sha256": res["hash"].removeprefix("sha256:"), "bytes": res["bytes"]}
    assert lock["datasets"][0]["version"] == "1.0.0" and lock["kind"] == "collection"
    assert report["valid"] and [d["name"] for d in report["datasets"]] == ["demo"]
    assert "cached" not in json.dumps(report)
    assert "https://example.fr/reglement" in readme and "2026-03-31" in readme
    again = build_pack(load_catalog(catalog), "demo-pack", tmp_path / "again")
    assert again.sha256 == result.sha256


def test_collection_resource_names_are_unique(catalog: Path, tmp_path: Path) -> None:
    twin = catalog / "datasets" / "twin"  # a second dataset with the same resource name
    shutil.copytree(catalog / "datasets" / "demo", twin)
    manifest = twin / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("name: demo", "name: twin"),
                        encoding="utf-8")
    write_pack(catalog, PACK_YAML.replace("themes: [TECH]", "datasets: [demo, twin]"))
    result = build_pack(load_catalog(catalog), "demo-pack", tmp_path)
    with zipfile.ZipFile(result.zip_path) as zf:
        top = json.loads(zf.read("datapackage.json"))
    assert [r["name"] for r in top["resources"]] == ["demo.points", "twin.points"]
    assert [r["path"] for r in top["resources"]] == ["demo/points.csv", "twin/points.csv"]


def test_foreign_keys_follow_the_renamed_resources() -> None:
    res = {"name": "communes", "path": "communes.csv", "schema": {"fields": [], "foreignKeys": [
        {"fields": "dep", "reference": {"resource": "departements", "fields": "code"}},
        {"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}}
    names = {"communes": "geo.communes", "departements": "geo.departements"}
    out = _prefixed("geo", res, names)
    assert out["name"] == "geo.communes" and out["path"] == "geo/communes.csv"
    refs = [fk["reference"]["resource"] for fk in out["schema"]["foreignKeys"]]
    assert refs == ["geo.departements", ""]  # "" is the resource itself
    assert res["schema"]["foreignKeys"][0]["reference"]["resource"] == "departements"


def test_collection_naming_an_unknown_dataset_suggests(catalog: Path, tmp_path: Path,
                                                       line_of) -> None:
    file = write_pack(catalog, PACK_YAML.replace("themes: [TECH]", "datasets: [dmeo]"))
    with pytest.raises(ValidationFailed) as err:
        build_pack(load_catalog(catalog), "demo-pack", tmp_path)
    msg = err.value.message
    assert "unknown dataset 'dmeo'" in msg and "Did you mean 'demo'?" in msg
    assert f"datasets/packs/demo-pack.yaml:{line_of(file, 'dmeo')}:" in msg
    assert not (tmp_path / "packs").exists()


def test_collection_schema_errors_are_located(catalog: Path, line_of) -> None:
    file = write_pack(catalog, PACK_YAML.replace("title: Pack", "titel: Pack")
                      .replace("[TECH]", "[TEHC]"))
    cat = load_catalog(catalog)
    _, issues = check_pack(cat, load_pack_manifest(catalog, "demo-pack"))
    by_code = {i.code: i for i in issues}
    assert by_code["unknown-field"].line == line_of(file, "titel")
    assert "'title'" in (by_code["unknown-field"].hint or "")
    assert by_code["unknown-code"].line == line_of(file, "TEHC")
    assert "'TECH'" in (by_code["unknown-code"].hint or "")
    assert "missing-field" in by_code  # title is required


def test_unknown_collection_suggests(catalog: Path, cli) -> None:
    write_pack(catalog)
    result = cli("pack", "--collection", "demo-pak")
    assert result.exit_code == 2
    assert "Did you mean demo-pack?" in result.stderr


def test_list_packs(catalog: Path) -> None:
    write_pack(catalog)
    assert [p.name for p in list_packs(catalog)] == ["demo-pack"]
    assert list_packs(catalog)[0].zip_name == "demo-pack-0.2.0.zip"
    # datasets/packs/ holds no dataset.yaml: never mistaken for a dataset
    assert [d.name for d in load_catalog(catalog).datasets] == ["demo"]


def test_cli_pack(catalog: Path, cli) -> None:
    write_pack(catalog)
    result = cli("pack", "demo", "--collection", "demo-pack")
    assert result.exit_code == 0, result.output
    assert "dist/packages/demo-1.0.0.zip" in result.stdout
    assert "dist/packs/demo-pack-0.2.0.zip" in result.stdout
    assert (catalog / "dist" / "packs" / "demo-pack-0.2.0.zip").is_file()


# --------------------------------------------------------------------------- build step


def test_build_writes_packs(catalog: Path, tmp_path: Path) -> None:
    write_pack(catalog)
    result = build(catalog, tmp_path / "dist")
    assert result.ok
    assert (tmp_path / "dist" / "packages" / "demo-1.0.0.zip").is_file()
    assert (tmp_path / "dist" / "packs" / "demo-pack-0.2.0.zip").is_file()


def test_build_fails_visibly_for_a_collection_with_an_invalid_dataset(
        catalog: Path, demo: Path, tmp_path: Path, edit) -> None:
    write_pack(catalog)
    dist = tmp_path / "dist"
    assert build(catalog, dist).ok
    edit(demo / "points.csv", "Aunis;5;72,5", "Aunis;cinq;72,5")
    result = build(catalog, dist)
    assert not result.ok
    issue = next(i for i in result.report.issues if i.code == "pack-invalid-dataset")
    assert "demo" in issue.message and issue.file == "datasets/packs/demo-pack.yaml"
    assert not list((dist / "packs").glob("*.zip"))  # the old zip is gone too
    assert not list((dist / "packages").glob("*.zip"))
    written = json.loads((dist / "validation-report.json").read_text(encoding="utf-8"))
    assert "pack-invalid-dataset" in {i["code"] for i in written["issues"]}


def test_build_reports_a_broken_collection(catalog: Path, tmp_path: Path, cli) -> None:
    write_pack(catalog, PACK_YAML.replace("themes: [TECH]", "datasets: [dmeo]"))
    result = cli("build", "--dist", str(tmp_path / "dist"))
    assert result.exit_code == 1
    assert "unknown dataset 'dmeo'" in result.stdout and "Did you mean 'demo'?" in result.stdout
