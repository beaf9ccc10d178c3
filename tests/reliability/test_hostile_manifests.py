"""Hostile and careless catalog inputs: each must give a clear error (file, field, why, a
fix) and a non-zero exit -- never a traceback, a hang, or a file from outside the catalog.

Each case edits the fixture catalog the way a careless steward or an attacker would."""

from __future__ import annotations

import json
import os
import time
import zipfile
from pathlib import Path

import pytest

MANIFEST = "datasets/demo/dataset.yaml"
DIALECT = 'dialect: {delimiter: ";", encoding: utf-8, decimalChar: ","}'


def _edit(catalog: Path, old: str, new: str, file: str = MANIFEST) -> None:
    path = catalog / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def _issues(result) -> list[dict]:
    return json.loads(result.stdout)["issues"]


# (id, old text, new text, expected issue code, words the message must contain)
MANIFEST_CASES = [
    ("dialect-string", DIALECT, 'dialect: "semicolon"', "wrong-type", "mapping"),
    ("dialect-list", DIALECT, "dialect: [a, b]", "wrong-type", "mapping"),
    ("header-rows-int", DIALECT, 'dialect: {delimiter: ";", headerRows: 2}', "wrong-type",
     "list"),
    ("header-rows-strings", DIALECT, 'dialect: {delimiter: ";", headerRows: [a]}',
     "wrong-type", "whole number"),
    ("delimiter-long", DIALECT, 'dialect: {delimiter: ";;"}', "schema", "long"),
    ("encoding-unknown", DIALECT, 'dialect: {delimiter: ";", encoding: utf-9}',
     "unknown-encoding", "utf-9"),
    ("encoding-number", DIALECT, 'dialect: {delimiter: ";", encoding: 8}', "wrong-type",
     "text"),
    ("quotechar-number", DIALECT, 'dialect: {delimiter: ";", quoteChar: 1}', "wrong-type",
     "text"),
    ("header-string", DIALECT, 'dialect: {delimiter: ";", header: "no"}', "wrong-type",
     "true or false"),
    ("schema-number", "schema: points.schema.json", "schema: 12", "schema", "schema"),
    ("schema-list", "schema: points.schema.json", "schema: [a]", "schema", "schema"),
    ("path-number", "path: points.csv", "path: 3", "wrong-type", "text"),
    ("path-absolute", "path: points.csv", "path: /etc/passwd", "unsafe-path", "leaves"),
    ("path-dotdot", "path: points.csv", "path: ../../opendata.yaml", "unsafe-path", "leaves"),
    ("path-nul", "path: points.csv", 'path: "points.csv\\0"', "unsafe-path", "leaves"),
    ("impossible-date", "temporal: {start: 2006-01-01, end: 2006-09-01}",
     "temporal: {start: 2006-02-30, end: 2006-09-01}", "schema", "date"),
    ("impossible-month", "temporal: {start: 2006-01-01, end: 2006-09-01}",
     "temporal: {start: 2006-01-01, end: 2006-13-01}", "schema", "date"),
    ("resources-mapping", "resources:\n", "resources: {a: 1}\nother:\n", "wrong-type", "list"),
    ("resource-scalar", "resources:\n  - name: points",
     "resources:\n  - 3\n  - name: points", "wrong-type", "mapping"),
    ("keywords-mapping", "keywords: [internet, epn]", "keywords: {a: 1}", "wrong-type", "list"),
    ("organization-list", "organization: region-poitou-charentes", "organization: [a]",
     "wrong-type", "text"),
    ("licence-mapping", "licence: etalab-2.0", "licence: {a: b}", "wrong-type", "text"),
    ("title-number", "title: Points d'accès publics", "title: 12\nx: Points d'accès publics",
     "wrong-type", "title"),
    ("duplicate-key", "licence: etalab-2.0", "licence: etalab-2.0\nlicence: odbl-1.0",
     "manifest-unreadable", "duplicate key 'licence'"),
    ("extras-nested", "language: [fr]", "language: [fr]\nextras: {a: {b: c}}", "wrong-type",
     "extras"),
]


@pytest.mark.parametrize("case", MANIFEST_CASES, ids=[c[0] for c in MANIFEST_CASES])
def test_bad_manifest_value_is_an_issue_not_a_traceback(run, catalog, case):
    _name, old, new, code, words = case
    _edit(catalog, old, new)
    result = run("validate", "--format", "json", "--no-cache")
    assert result.exit_code == 1, result.output
    issues = _issues(result)
    assert issues, result.output
    if code:
        assert code in {i["code"] for i in issues}, issues
    text = json.dumps(issues, ensure_ascii=False).lower()
    assert words.lower() in text, issues
    # every issue is filed against a file of the catalog with a position
    assert all(i["file"] and i.get("line") for i in issues), issues
    build = run("build")
    assert build.exit_code == 1, build.output


def test_unknown_encoding_suggests_close_names(run, catalog):
    _edit(catalog, DIALECT, 'dialect: {delimiter: ";", encoding: cp1525}')
    issues = _issues(run("validate", "--format", "json"))
    [issue] = [i for i in issues if i["code"] == "unknown-encoding"]
    assert "cp1252" in issue["hint"] and issue["field"] == "resources[0].dialect.encoding"


def test_alias_bomb_fails_fast(run, catalog):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    (catalog / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.monotonic()
    result = run("validate", "--format", "json")
    assert time.monotonic() - started < 10
    assert result.exit_code == 1
    [issue] = _issues(result)
    assert issue["code"] == "manifest-unreadable" and "alias" in issue["message"]


def test_recursive_alias_is_refused(run, catalog):
    (catalog / MANIFEST).write_text("name: &a [*a]\n", encoding="utf-8")
    [issue] = _issues(run("validate", "--format", "json"))
    assert "recursive alias" in issue["message"]


def test_deep_nesting_is_refused(run, catalog):
    text = "name: demo\nextras:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 200))
    (catalog / MANIFEST).write_text(text + "  " * 200 + "v\n", encoding="utf-8")
    [issue] = _issues(run("validate", "--format", "json"))
    assert "nested deeper" in issue["message"]


def test_control_character_is_a_manifest_error(run, catalog):
    (catalog / MANIFEST).write_text("name: demo\x07\n", encoding="utf-8")
    [issue] = _issues(run("validate", "--format", "json"))
    assert issue["code"] == "manifest-unreadable"


def test_manifest_fifo_does_not_hang(run, catalog):
    manifest = catalog / MANIFEST
    manifest.unlink()
    os.mkfifo(manifest)
    started = time.monotonic()
    result = run("validate", "--format", "json")
    assert time.monotonic() - started < 10
    [issue] = _issues(result)
    assert "not a regular file" in issue["message"]


def test_data_file_fifo_does_not_hang(run, catalog):
    data = catalog / "datasets" / "demo" / "points.csv"
    data.unlink()
    os.mkfifo(data)
    started = time.monotonic()
    result = run("validate", "--format", "json")
    assert time.monotonic() - started < 10
    [issue] = _issues(result)
    assert issue["code"] == "not-a-file" and "regular file" in issue["message"]


def test_data_path_that_is_a_folder_says_so(run, catalog):
    data = catalog / "datasets" / "demo" / "points.csv"
    data.unlink()
    data.mkdir()
    [issue] = _issues(run("validate", "--format", "json"))
    assert issue["code"] == "not-a-file" and "folder" in issue["message"]
    assert "did you mean" not in (issue["hint"] or "").lower()


def test_missing_file_never_suggests_itself(run, catalog):
    _edit(catalog, "path: points.csv", "path: point.csv")
    [issue] = _issues(run("validate", "--format", "json"))
    assert issue["code"] == "missing-file" and "'points.csv'" in issue["hint"]


@pytest.mark.parametrize("target", ["/etc/passwd", "../../../opendata.yaml", "{other}"])
def test_symlink_out_of_the_dataset_is_refused_and_never_packed(run, catalog, target):
    data = catalog / "datasets" / "demo" / "points.csv"
    other = catalog / "datasets" / "other"
    other.mkdir()
    (other / "secret.csv").write_bytes(data.read_bytes())
    data.unlink()
    data.symlink_to(target.replace("{other}", str(other / "secret.csv")))
    issues = _issues(run("validate", "--format", "json"))
    assert [i["code"] for i in issues] == ["unsafe-path"], issues
    assert "symbolic link" in issues[0]["message"]
    assert run("build").exit_code == 1
    for zip_path in (catalog / "dist").rglob("*.zip"):
        with zipfile.ZipFile(zip_path) as zf:
            assert not any("passwd" in n or n.endswith("points.csv") for n in zf.namelist())
    assert not (catalog / "dist" / "datapackages" / "demo").exists()


def test_symlink_inside_the_dataset_is_fine(run, catalog):
    folder = catalog / "datasets" / "demo"
    (folder / "points.csv").rename(folder / "real.csv")
    (folder / "points.csv").symlink_to("real.csv")
    assert run("validate").exit_code == 0


def test_schema_symlink_out_of_the_dataset_is_refused(run, catalog, tmp_path):
    schema = catalog / "datasets" / "demo" / "points.schema.json"
    outside = tmp_path / "outside.json"
    outside.write_bytes(schema.read_bytes())
    schema.unlink()
    schema.symlink_to(outside)
    [issue] = _issues(run("validate", "--format", "json"))
    assert issue["code"] == "schema-unresolved" and "symbolic link" in issue["message"]


def test_schema_path_that_is_a_folder(run, catalog):
    schema = catalog / "datasets" / "demo" / "points.schema.json"
    schema.unlink()
    schema.mkdir()
    [issue] = _issues(run("validate", "--format", "json"))
    assert issue["code"] == "schema-unresolved" and "folder" in issue["message"]


@pytest.mark.parametrize("schema, words", [
    ('{"fields": [{"name": 1}]}', "fields[0].name"),
    ('{"fields": [{"name": "a", "type": "strnig"}]}', "fields[0].type"),
    ('{"fields": "abc"}', "fields"),
    ('{"fields": [], "missingValues": [1]}', "missingValues"),
    ('[1, 2]', "not a Table Schema"),
    ('{"fields": [' * 3000 + ']}' * 3000, "points.schema.json"),
    ("\xff\xfe", "points.schema.json"),
])
def test_broken_table_schema_names_the_schema_file(run, catalog, schema, words):
    (catalog / "datasets" / "demo" / "points.schema.json").write_text(schema, "latin-1")
    issues = _issues(run("validate", "--format", "json", "--no-cache"))
    assert issues and all("points.schema.json" in i["message"] for i in issues), issues
    assert words in json.dumps(issues), issues


def test_shared_schema_name_cannot_climb(run, catalog):
    _edit(catalog, "schema: points.schema.json", "schema: {shared: ../../etc/passwd}")
    issues = _issues(run("validate", "--format", "json"))
    assert issues and issues[0]["code"] in ("schema", "schema-unresolved")


def test_corrupted_cache_entry_is_ignored(run, catalog):
    assert run("validate").exit_code == 0
    for entry in (catalog / ".opendata").rglob("*.json"):
        entry.write_text('{"rows": "x"}', encoding="utf-8")
    result = run("validate", "--format", "json")
    assert result.exit_code == 0, result.output
    for entry in (catalog / ".opendata").rglob("*.json"):
        entry.write_text('[1, 2', encoding="utf-8")
    assert run("validate").exit_code == 0


LICENCE = "licences/etalab-2.0.yaml"


@pytest.mark.parametrize("text, words", [
    ("title: 2.0\n", "title: 2.0 is not of type 'string'"),
    ('open: "false"\n', "open: 'false' is not of type 'boolean'"),
    ("open: 0\n", "open: 0 is not of type 'boolean'"),
    ("spdx: [a]\n", "spdx: ['a'] is not of type 'string'"),
    ("attribution: yes please\n", "attribution: 'yes please' is not of type 'boolean'"),
    ("ckan_id: lov2\nckan_id: lov3\n", "duplicate key"),
    ("closed: false\n", "unknown field 'closed'"),
    ("url: 12\n", "url: 12 is not of type 'string'"),
    ("&a [*a]\n", "recursive alias"),
])
def test_bad_licence_file_is_a_config_error(run, catalog, text, words):
    (catalog / "licences").mkdir(exist_ok=True)
    (catalog / LICENCE).write_text(text, encoding="utf-8")
    result = run("validate")
    assert result.exit_code == 3, result.output
    assert words in result.output and "etalab-2.0.yaml:" in result.output
