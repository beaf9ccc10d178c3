"""Columns are matched to fields by name, as data.gouv.fr's validator does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opendata.validation.tabular import validate_table

SCHEMA: dict[str, Any] = {"fields": [
    {"name": "code", "type": "string", "constraints": {"required": True}},
    {"name": "nom", "type": "string"},
    {"name": "population", "type": "integer"},
]}


def run(tmp_path: Path, text: str, schema: dict[str, Any] = SCHEMA, **kw: Any):
    file = tmp_path / "data.csv"
    file.write_text(text, encoding="utf-8")
    return validate_table(file, "data.csv", schema, {}, dataset="d", resource="r", **kw)


def codes(result) -> list[tuple[str, str, str | None]]:
    return [(i.code, i.severity, i.field) for i in result.issues]


def test_any_order_is_fine_and_values_are_checked_under_their_field(tmp_path):
    result = run(tmp_path, "population,code,nom\n12,A,x\nmany,B,y\n")
    assert codes(result) == [("disordered-columns", "warning", None),
                             ("type-error", "error", "population")]
    assert result.issues[1].row == 3


def test_missing_optional_column_is_one_warning_and_the_rest_is_checked(tmp_path):
    result = run(tmp_path, "code,population\nA,12\nB,13\nC,x\n")
    assert codes(result) == [("missing-column", "warning", "nom"),
                             ("type-error", "error", "population")]


def test_missing_required_column_is_one_error_naming_it(tmp_path):
    result = run(tmp_path, "nom,population\n" + "x,1\n" * 50)
    assert codes(result) == [("missing-label", "error", "code")]
    assert "'code'" in result.issues[0].message and result.issues[0].line == 1


def test_extra_column_is_a_warning_by_default(tmp_path):
    result = run(tmp_path, "code,nom,population,commentaire\nA,x,1,libre\n")
    assert codes(result) == [("extra-column", "warning", "commentaire")]
    assert result.issues[0].column == 4


@pytest.mark.parametrize(("policy", "expected"), [
    ({"extra": "error"}, [("extra-column", "error", "commentaire")]),
    ({"extra": "ignore"}, []),
])
def test_extra_column_policy(tmp_path, policy, expected):
    result = run(tmp_path, "code,nom,population,commentaire\nA,x,1,libre\n", columns=policy)
    assert codes(result) == expected


def test_case_is_significant_unless_the_manifest_says_otherwise(tmp_path):
    text = "CODE,Nom,population\nA,x,1\n"
    strict = run(tmp_path, text)
    assert ("missing-label", "error", "code") in codes(strict)
    relaxed = run(tmp_path, text, columns={"ignore_case": True})
    assert codes(relaxed) == []


def test_header_matching_no_field_is_one_message(tmp_path):
    result = run(tmp_path, "a,b,c\n" + "1,2,3\n" * 100)
    assert codes(result) == [("unmatched-header", "error", None)]
    assert "code" in result.issues[0].message and "a, b, c" in result.issues[0].message


def test_duplicate_header_names_are_one_error_and_stop(tmp_path):
    result = run(tmp_path, "code,nom,nom,population\nA,x,y,z\n")
    # no type error on population: the columns cannot be paired, so rows are not checked
    assert codes(result) == [("duplicate-label", "error", "nom")]
    assert "2 times" in result.issues[0].message


def test_empty_header_cell_names_its_position(tmp_path):
    result = run(tmp_path, "code,,nom,population\nA,,x,1\n")
    assert ("blank-label", "warning", None) in codes(result)
    blank = next(i for i in result.issues if i.code == "blank-label")
    assert blank.column == 2 and "column 2" in blank.message


def test_no_header_keeps_matching_by_position(tmp_path):
    file = tmp_path / "data.csv"
    file.write_text("A,x,1\nB,y,z\n", encoding="utf-8")
    result = validate_table(file, "data.csv", SCHEMA, {"header": False}, dataset="d",
                            resource="r")
    assert codes(result) == [("type-error", "error", "population")]
