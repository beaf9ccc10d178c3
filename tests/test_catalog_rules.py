"""Catalog rules: references between files (licence, organisation, paths, names)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from opendata.validation.validator import validate

MANIFEST = "datasets/demo/dataset.yaml"


def test_missing_data_file_suggests_the_closest_file(cli, demo, edit, line_of):
    manifest = demo / "dataset.yaml"
    edit(manifest, "path: points.csv", "path: pointz.csv")
    line = line_of(manifest, "path: pointz.csv")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{MANIFEST}:{line}:5, field resources[0].path: error: data file "
            "datasets/demo/pointz.csv not found\n      hint: Did you mean 'points.csv'?"
            ) in result.stdout


def test_missing_data_file_lists_the_folder(cli, demo, edit):
    edit(demo / "dataset.yaml", "path: points.csv", "path: autre.csv")
    (demo / "points.csv").unlink()
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    [issue] = json.loads(result.stdout)["issues"]
    assert issue["code"] == "missing-file"
    assert issue["hint"] == "Files in the folder: points.schema.json."


@pytest.mark.skipif(os.geteuid() == 0,
                    reason="root reads a chmod 000 file anyway; "
                           "test_unreadable_data_file_message covers the message")
def test_unreadable_data_file_chmod(cli, demo):
    data = demo / "points.csv"
    data.chmod(0)
    try:
        result = cli("validate")
    finally:
        data.chmod(0o644)
    assert result.exit_code == 1
    assert "data file datasets/demo/points.csv cannot be read (Permission denied)" \
        in result.stdout
    assert "hint: Check the file's permissions." in result.stdout


def test_unreadable_data_file_message(cli, demo, monkeypatch):
    real_open = Path.open

    def deny(self, *args, **kwargs):
        if self.name == "points.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", deny)
    result = cli("validate")
    assert result.exit_code == 1
    assert ("field resources[0].path: error: data file datasets/demo/points.csv cannot be "
            "read (Permission denied)\n      hint: Check the file's permissions.") \
        in result.stdout


@pytest.mark.parametrize("path", ["../x.csv", "/etc/passwd", "sub/../../x.csv",
                                  "C:/data/x.csv"])
def test_path_escaping_the_dataset_folder(cli, demo, edit, line_of, path):
    manifest = demo / "dataset.yaml"
    edit(manifest, "path: points.csv", f'path: "{path}"')
    line = line_of(manifest, "path:")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{MANIFEST}:{line}:5, field resources[0].path: error: path {path!r} leaves the "
            "dataset folder") in result.stdout
    assert "hint: Paths are relative to the dataset folder: no absolute paths, no '..'." \
        in result.stdout


def test_escaping_path_is_never_read(catalog, demo, edit, tmp_path):
    """A file outside the dataset folder is not validated, even when it exists."""
    (tmp_path / "catalog" / "datasets" / "x.csv").write_text("a;b\n1;2\n", encoding="utf-8")
    edit(demo / "dataset.yaml", "path: points.csv", "path: ../x.csv")
    report = validate(catalog)
    assert [i.code for i in report.issues] == ["unsafe-path"]
    assert report.datasets["demo"].resources == []


def test_duplicate_dataset_names(cli, catalog, demo, line_of):
    shutil.copytree(demo, catalog / "datasets" / "demo-copy")
    result = cli("validate")
    assert result.exit_code == 1
    line = line_of(catalog / "datasets" / "demo-copy" / "dataset.yaml", "name: demo")
    assert (f"datasets/demo-copy/dataset.yaml:{line}:1, field name: error: dataset name "
            "'demo' is already used by datasets/demo/dataset.yaml") in result.stdout
    assert "hint: Dataset names are identifiers: give each dataset its own name." \
        in result.stdout
    assert "0 valid" in result.stdout


def test_unknown_licence_lists_the_closest(cli, demo, edit, line_of):
    manifest = demo / "dataset.yaml"
    edit(manifest, "licence: etalab-2.0", "licence: etalab2")
    line = line_of(manifest, "licence:")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{MANIFEST}:{line}:1, field licence: error: unknown licence 'etalab2'\n"
            "      hint: Did you mean 'etalab-2.0'") in result.stdout
    assert "Known licences: cc-by-4.0, cc-by-sa-4.0, cc0-1.0, etalab-1.0, etalab-2.0" \
        in result.stdout


def test_unknown_organisation(cli, demo, edit, line_of):
    manifest = demo / "dataset.yaml"
    edit(manifest, "organization: region-poitou-charentes", "organization: region-poitou")
    line = line_of(manifest, "organization:")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    [issue] = json.loads(result.stdout)["issues"]
    assert issue == {
        "file": MANIFEST, "line": line, "column": 1, "dataset": "demo",
        "field": "organization", "code": "unknown-organization", "severity": "error",
        "message": "unknown organisation 'region-poitou'",
        "hint": issue["hint"],
    }
    assert issue["hint"].startswith("Did you mean 'region-poitou-charentes'")
    assert "Organisations are declared in opendata.yaml" in issue["hint"]
