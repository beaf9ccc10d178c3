"""Data files against their Table Schema: French files, encodings, delimiters, edge cases."""

from __future__ import annotations

import json

from opendata.validation.validator import validate

HEADER = "territoire;nb_api;taux;date_releve\n"
DATA = "datasets/demo/points.csv"


def rows(n: int, start: int = 0) -> str:
    return "".join(f"Territoire {i};{i};{i % 100},5;{1 + i % 28:02d}/09/2006\n"
                   for i in range(start, start + n))


def test_french_decimal_commas_and_dates_are_valid(cli, demo):
    (demo / "points.csv").write_text(HEADER + "Châtellerault;12;99,75;31/12/2006\n" + rows(20),
                                     encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["valid"] is True and report["issues"] == []
    assert report["datasets"][0]["resources"][0]["rows"] == 21


def test_cp1252_file_declared_utf8_is_one_encoding_error_with_its_line(cli, demo):
    text = HEADER + rows(40) + "Gâtine;6;80,1;01/09/2006\n" + rows(500, 40)
    (demo / "points.csv").write_bytes(text.encode("cp1252"))
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    [issue] = json.loads(result.stdout)["issues"]
    assert issue["code"] == "encoding-mismatch"
    assert issue["file"] == DATA and issue["line"] == 42
    assert issue["message"].startswith("the file is not encoded in utf-8 as declared: "
                                       "byte 0xe2")
    assert issue["hint"] == ("Declare `dialect: {encoding: cp1252}` in the manifest, or "
                             "re-save the file as utf-8.")


def test_cp1252_file_declared_cp1252_is_valid(cli, demo, edit):
    edit(demo / "dataset.yaml", "encoding: utf-8", "encoding: cp1252")
    (demo / "points.csv").write_bytes((HEADER + "Gâtine;6;80,1;01/09/2006\n").encode("cp1252"))
    result = cli("validate")
    assert result.exit_code == 0, result.stdout


def test_utf8_file_declared_cp1252(cli, demo, edit):
    edit(demo / "dataset.yaml", "encoding: utf-8", "encoding: cp1252")
    (demo / "points.csv").write_text(HEADER + rows(3) + "Gâtine;6;80,1;01/09/2006\n",
                                     encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{DATA}:5: error: the file is declared cp1252 but its accented characters are "
            "UTF-8") in result.stdout
    assert "hint: Declare `dialect: {encoding: utf-8}` in the manifest." in result.stdout
    assert "1 error(s)" in result.stdout


def test_wrong_delimiter_is_one_error(cli, demo):
    (demo / "points.csv").write_text(
        "territoire,nb_api,taux,date_releve\n" + "".join(
            f"T{i},{i},{i}.5,01/09/2006\n" for i in range(200)), encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    [issue] = json.loads(result.stdout)["issues"]
    assert issue["code"] == "delimiter-mismatch"
    assert issue["line"] == 1
    assert issue["message"].startswith("the file's delimiter looks like ',', but the manifest "
                                       "declares ';'")
    assert issue["hint"] == 'Declare `dialect: {delimiter: ","}` in the manifest.'


def test_empty_file(cli, demo):
    (demo / "points.csv").write_bytes(b"")
    result = cli("validate")
    assert result.exit_code == 1
    assert f"{DATA}: error: the file is empty" in result.stdout
    assert "hint: Export the data again" in result.stdout


def test_header_only_file(cli, demo):
    (demo / "points.csv").write_text(HEADER, encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    [issue] = json.loads(result.stdout)["issues"]
    assert issue["code"] == "no-rows"
    assert issue["file"] == DATA and issue["line"] == 2
    assert issue["message"] == "the file has a header but no data rows"


def test_utf8_bom_is_valid(cli, demo):
    (demo / "points.csv").write_bytes(b"\xef\xbb\xbf" + (HEADER + rows(3)).encode("utf-8"))
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0, result.stdout
    assert json.loads(result.stdout)["datasets"][0]["resources"][0]["rows"] == 3


def test_crlf_line_endings_are_valid(cli, demo):
    (demo / "points.csv").write_bytes((HEADER + rows(3)).replace("\n", "\r\n").encode())
    result = cli("validate")
    assert result.exit_code == 0, result.stdout


def test_type_error_gives_row_field_and_value(cli, demo):
    (demo / "points.csv").write_text(
        HEADER + rows(2) + "Aunis;cinq;72,5;01/09/2006\nNiort;1;3,5;32/13/2006\n",
        encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert (f"{DATA}:4, row 4, field nb_api: error: 'cinq' is not a whole number"
            in result.stdout)
    assert (f"{DATA}:5, row 5, field date_releve: error: '32/13/2006' is not a date in the "
            "format DD/MM/YYYY") in result.stdout
    assert "2 error(s)" in result.stdout


def test_decimal_point_in_a_french_number_field_is_a_type_error(catalog, demo):
    (demo / "points.csv").write_text(HEADER + "Aunis;5;72.5;01/09/2006\n", encoding="utf-8")
    [issue] = validate(catalog).issues
    assert (issue.code, issue.row, issue.field) == ("type-error", 2, "taux")
    assert "'72.5'" in issue.message


def test_constraint_error(catalog, demo):
    (demo / "points.csv").write_text(HEADER + "Aunis;5;172,5;01/09/2006\n", encoding="utf-8")
    [issue] = validate(catalog).issues
    assert (issue.code, issue.row, issue.field) == ("constraint-error", 2, "taux")
    assert issue.message == "'172,5' is above the maximum, 100"


def test_missing_optional_column_is_a_header_warning(catalog, demo):
    # columns are matched by name, as data.gouv.fr does: an optional field may be absent
    (demo / "points.csv").write_text("territoire;nb_api;taux\nAunis;5;72,5\n",
                                     encoding="utf-8")
    report = validate(catalog)
    assert report.valid
    [issue] = [i for i in report.issues if i.code == "missing-column"]
    assert (issue.line, issue.field, issue.severity) == (1, "date_releve", "warning")


def test_error_cap_in_text_output(cli, demo):
    bad = "".join(f"T{i};x;1,5;01/09/2006\n" for i in range(25))
    (demo / "points.csv").write_text(HEADER + bad, encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert result.stdout.count("error: 'x' is not a whole number") == 10
    assert "  ... and 15 more error(s) in resource points" in result.stdout
    assert "25 error(s)" in result.stdout
    # JSON keeps them all
    report = json.loads(cli("validate", "--format", "json").stdout)
    assert len(report["issues"]) == 25
    assert report["datasets"][0]["resources"][0]["error_count"] == 25


def test_inline_schema_and_tsv(cli, demo, edit):
    edit(demo / "dataset.yaml", "    format: csv\n    schema: points.schema.json\n"
         '    dialect: {delimiter: ";", encoding: utf-8, decimalChar: ","}',
         "    format: tsv\n    schema: {fields: [{name: a, type: integer}, "
         "{name: b, type: string}]}")
    (demo / "points.csv").write_text("a\tb\n1\tun\n2\tdeux\nx\ttrois\n", encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 1
    assert f"{DATA}:4, row 4, field a: error: 'x' is not a whole number" in result.stdout
