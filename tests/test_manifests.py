"""Bad manifests: each error names the file, line (and column), field, reason and a hint."""

from __future__ import annotations

import json

import pytest

from opendata.validation.validator import validate

MANIFEST = "datasets/demo/dataset.yaml"


def issues(report, code):
    return [i for i in report.issues if i.code == code]


def test_fixture_catalog_is_valid(cli):
    result = cli("validate")
    assert result.exit_code == 0, result.output
    assert "demo: ok (points: 3 rows)" in result.stdout
    assert "1 dataset(s), 1 valid, 0 error(s), 0 warning(s)" in result.stdout


def test_yaml_syntax_error_reports_file_line_column(cli, demo):
    (demo / "dataset.yaml").write_text("name: demo\ntitle: a: b\n", encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    # libyaml says "... in this context", pure-Python PyYAML "... here"
    assert f"{MANIFEST}:2:9: error: YAML syntax error: mapping values are not allowed" \
        in result.stdout
    assert "hint: Check indentation and quoting" in result.stdout


def test_yaml_unclosed_bracket_names_the_line_that_opened_it(cli, demo):
    (demo / "dataset.yaml").write_text("name: demo\ntitle: [unclosed\n", encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert "YAML syntax error:" in result.stdout and "expected ',' or ']'" in result.stdout
    assert "flow sequence started at line 2, column 8" in result.stdout


def test_broken_manifest_can_be_validated_by_name(cli, demo):
    """`opendata validate demo` on the dataset being edited reports its syntax error, not
    "no dataset named demo" (exit 2)."""
    (demo / "dataset.yaml").write_text("name: demo\ntitle: a: b\n", encoding="utf-8")
    result = cli("validate", "demo")
    assert result.exit_code == 1, result.output
    assert f"{MANIFEST}:2:9: error: YAML syntax error" in result.stdout
    result = cli("validate", str(demo))
    assert result.exit_code == 1, result.output
    assert f"{MANIFEST}:2:9" in result.stdout


@pytest.mark.parametrize(("text", "kind"), [("- name: demo\n- title: x\n", "list"),
                                             ("", "empty"), ("# only a comment\n", "empty"),
                                             ("just text\n", "str")])
def test_manifest_not_a_mapping(cli, demo, text, kind):
    (demo / "dataset.yaml").write_text(text, encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{MANIFEST}:1:1: error: a manifest must be a mapping of fields, this one is "
            f"{kind}") in result.stdout
    assert "hint: Start the file with `name: <dataset-name>`" in result.stdout


def test_manifest_not_a_mapping_in_json(cli, demo):
    (demo / "dataset.yaml").write_text("- a\n", encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    [issue] = report["issues"]
    assert issue["code"] == "manifest-unreadable"
    assert issue["file"] == MANIFEST and issue["line"] == 1 and issue["dataset"] == "demo"


def test_unknown_field_suggests_the_nearest_and_gives_the_key_line(cli, demo, edit, line_of):
    manifest = demo / "dataset.yaml"
    edit(manifest, "licence: etalab-2.0", "licnce: etalab-2.0")
    line = line_of(manifest, "licnce:")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{MANIFEST}:{line}:1, field licnce: error: unknown field 'licnce'\n"
            "      hint: Did you mean 'licence'?") in result.stdout


def test_unknown_field_in_a_resource(catalog, demo, edit, line_of):
    manifest = demo / "dataset.yaml"
    edit(manifest, "    format: csv", "    fromat: csv")
    [issue] = issues(validate(catalog), "unknown-field")
    assert issue.field == "resources[0].fromat"
    assert issue.line == line_of(manifest, "fromat:") and issue.column == 5
    assert issue.hint == "Did you mean 'format'?"


def test_wrong_type(cli, demo, edit, line_of):
    manifest = demo / "dataset.yaml"
    edit(manifest, "keywords: [internet, epn]", "keywords: foo")
    line = line_of(manifest, "keywords:")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{MANIFEST}:{line}:1, field keywords: error: must be a list, not str ('foo')"
            in result.stdout)
    assert "hint: Free keywords (tags)." in result.stdout


def test_wrong_type_nested(catalog, demo, edit):
    edit(demo / "dataset.yaml", 'version: "1.0.0"', "version: 2")
    [issue] = [i for i in validate(catalog).issues if i.field == "version"]
    assert issue.code == "wrong-type"
    assert issue.message == "must be text, not int (2)"


def test_missing_required_field(cli, demo, edit):
    edit(demo / "dataset.yaml", "title: Points d'accès publics à Internet (démo)\n", "")
    result = cli("validate")
    assert result.exit_code == 1
    assert f"{MANIFEST}:1:1, field title: error: missing required field 'title'" \
        in result.stdout
    assert "hint: Add `title:` (Human title.)" in result.stdout


def test_missing_required_field_of_a_resource(catalog, demo, edit, line_of):
    manifest = demo / "dataset.yaml"
    edit(manifest, "    path: points.csv\n", "")
    report = validate(catalog)
    assert not report.valid
    [issue] = [i for i in report.issues if "path" in i.message and i.field
               and i.field.startswith("resources[0]")]
    assert issue.line == line_of(manifest, "- name: points")
    assert "exactly one of `path` (local file) or `url`" in issue.message


@pytest.mark.parametrize(("old", "new", "bad", "label", "allowed"), [
    ("themes: [TECH, SOCI]", "themes: [TECK, SOCI]", "TECK", "theme", "AGRI, ECON, EDUC"),
    ("frequency: NEVER", "frequency: YEARLY", "YEARLY", "frequency", "ANNUAL, BIENNIAL"),
    ("language: [fr]", "language: [fra]", "fra", "language", "fr, en, de"),
])
def test_unknown_code_names_the_allowed_codes(cli, demo, edit, line_of, old, new, bad, label,
                                              allowed):
    manifest = demo / "dataset.yaml"
    edit(manifest, old, new)
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    [issue] = json.loads(result.stdout)["issues"]
    assert issue["code"] == "unknown-code"
    assert issue["message"] == f"unknown {label} code {bad!r}"
    assert issue["line"] == line_of(manifest, new)
    assert "Allowed codes: " in issue["hint"] and allowed in issue["hint"]


def test_unknown_theme_suggests_the_closest(cli, demo, edit):
    edit(demo / "dataset.yaml", "themes: [TECH, SOCI]", "themes: [TECK]")
    result = cli("validate")
    assert result.exit_code == 1
    assert "field themes[0]: error: unknown theme code 'TECK'" in result.stdout
    assert "hint: Did you mean 'TECH'? Allowed codes: AGRI," in result.stdout
