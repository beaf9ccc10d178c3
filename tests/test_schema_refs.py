"""The four ways a resource names its Table Schema, and what happens when one is wrong."""

from __future__ import annotations

import json
import shutil

from opendata.catalog.schemas import resolve_schema, sdg_catalogue
from opendata.validation.validator import validate

SCHEMA_LINE = "    schema: points.schema.json"


def schema_issue(report):
    [issue] = [i for i in report.issues if i.code == "schema-unresolved"]
    return issue


def test_schema_file(catalog, demo):
    resolved = resolve_schema("points.schema.json", demo, catalog)
    assert resolved.file == demo / "points.schema.json"
    assert [f["name"] for f in resolved.descriptor["fields"]] == [
        "territoire", "nb_api", "taux", "date_releve"]


def test_schema_file_missing(catalog, demo, edit, line_of):
    edit(demo / "dataset.yaml", SCHEMA_LINE, "    schema: point.schema.json")
    issue = schema_issue(validate(catalog))
    assert issue.message == f"schema file {demo / 'point.schema.json'} not found"
    assert issue.line == line_of(demo / "dataset.yaml", "schema:")
    assert issue.field == "resources[0].schema"


def test_schema_file_not_json(catalog, demo):
    (demo / "points.schema.json").write_text('{"fields": [,]}', encoding="utf-8")
    issue = schema_issue(validate(catalog))
    assert "is not valid JSON" in issue.message
    assert issue.hint == "Fix the JSON syntax at that position."


def test_schema_path_outside_the_dataset(catalog, demo, edit):
    edit(demo / "dataset.yaml", SCHEMA_LINE, "    schema: ../../opendata.yaml")
    issue = schema_issue(validate(catalog))
    assert issue.message == "schema path '../../opendata.yaml' leaves the dataset folder"


def test_shared_schema(cli, catalog, demo, edit):
    shared = catalog / "validation" / "schemas"
    shared.mkdir(parents=True)
    shutil.move(demo / "points.schema.json", shared / "points-acces.json")
    edit(demo / "dataset.yaml", SCHEMA_LINE, "    schema: {shared: points-acces}")
    result = cli("validate")
    assert result.exit_code == 0, result.stdout
    (demo / "points.csv").write_text("territoire;nb_api;taux;date_releve\nA;-1;1;01/01/2006\n",
                                     encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert "row 2, field nb_api: error: '-1' is below the minimum, 0" in result.stdout


def test_shared_schema_unknown_suggests(catalog, demo, edit):
    shared = catalog / "validation" / "schemas"
    shared.mkdir(parents=True)
    shutil.copy(demo / "points.schema.json", shared / "points-acces.json")
    edit(demo / "dataset.yaml", SCHEMA_LINE, "    schema: {shared: points-access}")
    issue = schema_issue(validate(catalog))
    assert issue.message == "shared schema 'points-access' not found in validation/schemas/"
    assert issue.hint == "Did you mean points-acces?"


def test_datagouv_schema_resolves_offline_in_a_catalog_without_its_own_copy(catalog):
    """The tmp catalog has no validation/ folder: the packaged copy is used."""
    assert not (catalog / "validation").exists()
    resolved = resolve_schema({"name": "scdl/subventions", "version": "2.1.1"}, catalog,
                              catalog)
    assert resolved.datagouv == {"name": "scdl/subventions", "version": "2.1.1"}
    assert resolved.url == ("https://schema.data.gouv.fr/schemas/scdl/subventions/2.1.1/"
                            "schema.json")
    assert any(f["name"] == "idAttribuant" for f in resolved.descriptor["fields"])
    assert "scdl/deliberations" in sdg_catalogue(catalog)


def test_datagouv_schema_validates_data(cli, demo, edit):
    """A resource checked against the SCDL deliberations schema, offline."""
    schema = resolve_schema({"name": "scdl/deliberations", "version": "2.1.5"}, demo,
                            demo.parents[1]).descriptor
    names = [f["name"] for f in schema["fields"]]
    edit(demo / "dataset.yaml", SCHEMA_LINE,
         '    schema: {name: scdl/deliberations, version: "2.1.5"}')
    (demo / "points.csv").write_text(";".join(names) + "\n", encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    # header matches the schema; the only problem is the absence of rows
    assert [i["code"] for i in json.loads(result.stdout)["issues"]] == ["no-rows"]


def test_catalog_copy_of_datagouv_adds_without_hiding_the_shipped_ones(catalog):
    folder = catalog / "validation" / "schema.data.gouv.fr"
    (folder / "mine" / "x" / "1.0.0").mkdir(parents=True)
    (folder / "schemas.json").write_text(json.dumps({"schemas": [
        {"name": "mine/x", "versions": [{"version_name": "1.0.0"}]}]}), encoding="utf-8")
    (folder / "mine" / "x" / "1.0.0" / "schema.json").write_text(
        json.dumps({"fields": [{"name": "a"}]}), encoding="utf-8")
    assert resolve_schema({"name": "mine/x", "version": "1.0.0"}, catalog,
                          catalog).descriptor == {"fields": [{"name": "a"}]}
    # merged, not all or nothing: the shipped schemas still resolve
    assert resolve_schema({"name": "scdl/subventions", "version": "2.1.0"}, catalog,
                          catalog).datagouv == {"name": "scdl/subventions", "version": "2.1.0"}


def test_datagouv_unknown_name_suggests(cli, demo, edit, line_of):
    edit(demo / "dataset.yaml", SCHEMA_LINE,
         '    schema: {name: scdl/subvention, version: "2.1.0"}')
    result = cli("validate")
    assert result.exit_code == 1
    line = line_of(demo / "dataset.yaml", "schema:")
    assert (f"datasets/demo/dataset.yaml:{line}:5, field resources[0].schema: error: schema "
            "'scdl/subvention' is not in the schema.data.gouv.fr catalogue") in result.stdout
    assert "hint: Did you mean scdl/subventions" in result.stdout


def test_datagouv_unknown_version_lists_versions(catalog, demo, edit):
    edit(demo / "dataset.yaml", SCHEMA_LINE,
         '    schema: {name: scdl/subventions, version: "9.9.9"}')
    issue = schema_issue(validate(catalog))
    assert issue.message == "schema 'scdl/subventions' has no version '9.9.9'"
    assert issue.hint.startswith("Known versions: ") and "2.1.0" in issue.hint


def test_datagouv_schema_that_is_not_a_table_schema(catalog, demo, edit):
    edit(demo / "dataset.yaml", SCHEMA_LINE,
         '    schema: {name: etalab/schema-bal, version: "1.3.0"}')
    issue = schema_issue(validate(catalog))
    assert issue.message.startswith("schema etalab/schema-bal is not a Table Schema")


def test_inline_schema(catalog, demo, edit):
    edit(demo / "dataset.yaml", SCHEMA_LINE,
         "    schema: {fields: [{name: territoire}, {name: nb_api, type: integer}, "
         "{name: taux, type: number}, {name: date_releve, type: date, format: '%d/%m/%Y'}]}")
    assert validate(catalog).valid


def test_no_schema_is_a_warning(cli, demo, edit):
    edit(demo / "dataset.yaml", SCHEMA_LINE + "\n", "")
    result = cli("validate")
    assert result.exit_code == 0
    assert ("warning: tabular resource 'points' has no Table Schema: its content is not "
            "checked") in result.stdout
    assert "hint: Generate one with `opendata infer datasets/demo/points.csv`" in result.stdout
