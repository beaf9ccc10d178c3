"""The schema.data.gouv.fr custom checks: each one catches what it is for, never silently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from opendata.validation.tabular import validate_table


def schema(fields: list[dict[str, Any]], *checks: dict[str, Any]) -> dict[str, Any]:
    return {"fields": fields, "custom_checks": list(checks)}


def text(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "type": "string"} for n in names]


def ints(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "type": "integer"} for n in names]


def run(tmp_path: Path, csv: str, descriptor: dict[str, Any]):
    file = tmp_path / "data.csv"
    file.write_text(csv, encoding="utf-8")
    return validate_table(file, "data.csv", descriptor, {}, dataset="d", resource="r",
                          schema_label="org/demo 1.0")


def errors(result) -> list[tuple[str, int | None, str | None]]:
    return [(i.code, i.row, i.field) for i in result.issues if i.severity == "error"]


SIRET_OK, SIRET_BAD = "73282932000074", "73282932000075"


@pytest.mark.parametrize(("name", "fields", "params", "csv", "expected"), [
    ("french-siret-value", text("siret"), {"column": "siret"},
     f"siret\n{SIRET_OK}\n{SIRET_BAD}\n", [("custom-check-error", 3, "siret")]),
    ("french-siren-value", text("siren"), {"column": "siren"},
     "siren\n732829320\n732829321\n", [("custom-check-error", 3, "siren")]),
    ("nomenclature-actes-value", text("matiere"), {"column": "matiere"},
     "matiere\nCommande publique/Marchés\nCommande publique\nPoésie/Vers\n",
     [("custom-check-error", 3, "matiere"), ("custom-check-error", 4, "matiere")]),
    ("compare-columns-value", ints("reel", "pour"), {"column": "reel", "op": ">=",
                                                     "column2": "pour"},
     "reel,pour\n10,9\n10,10\n9,10\n,10\n", [("compare-columns-value", 4, "reel")]),
    ("cohesive-columns-value", text("a", "b", "c", "n"),
     {"column": "a", "othercolumns": ["b", "c"]},
     "a,b,c,n\nx,y,z,1\n,,,2\nx,,z,3\n", [("cohesive-columns-value", 4, "a")]),
    ("year-interval-value", text("annees"), {"column": "annees"},
     "annees\n2017/2018\n2018/2017\n2017/2017\n2017\n",
     [("year-interval-value", 3, "annees"), ("year-interval-value", 4, "annees"),
      ("year-interval-value", 5, "annees")]),
    ("sum-columns-value", ints("total", "a", "b"), {"column": "total", "columns": ["a", "b"]},
     "total,a,b\n3,1,2\n4,1,2\n", [("sum-columns-value", 3, "total")]),
    ("one-of-required", text("id", "rna", "n"), {"column1": "id", "column2": "rna"},
     "id,rna,n\nx,,1\n,y,2\n,,3\n", [("one-of-required", 4, None)]),
    ("opening-hours-value", text("horaires"), {"column": "horaires"},
     "horaires\nMo-Fr 08:00-12:00\n24/7\nsometimes\n",
     [("opening-hours-value", 4, "horaires")]),
    ("phone-number-value", text("tel"), {"column": "tel"},
     "tel\n01 99 00 27 37\n+33 1 99 00 27 37\n3949\n12\n",
     [("phone-number-value", 5, "tel")]),
])
def test_each_check_flags_exactly_the_bad_rows(tmp_path, name, fields, params, csv, expected):
    result = run(tmp_path, csv, schema(fields, {"name": name, "params": params}))
    assert errors(result) == expected


def test_year_interval_may_allow_a_single_year(tmp_path):
    check = {"name": "year-interval-value", "params": {"column": "a", "allow-year-only": "yes"}}
    result = run(tmp_path, "a\n2017\n2017/2018\n17\n", schema(text("a"), check))
    assert errors(result) == [("year-interval-value", 4, "a")]


def test_one_of_required_with_both_columns_absent_is_one_error(tmp_path):
    check = {"name": "one-of-required", "params": {"column1": "id", "column2": "rna"}}
    result = run(tmp_path, "nom\nx\ny\n", schema(text("nom", "id", "rna"), check))
    assert errors(result) == [("one-of-required", 1, None)]


def test_cohesive_columns_partly_absent_is_one_error(tmp_path):
    check = {"name": "cohesive-columns-value", "params": {"column": "a", "othercolumns": ["b"]}}
    result = run(tmp_path, "a\nx\ny\n", schema(text("a", "b"), check))
    assert errors(result) == [("cohesive-columns-value", 1, None)]


def test_unknown_check_is_a_warning_naming_it(tmp_path):
    result = run(tmp_path, "a\nx\n", schema(text("a"), {"name": "french-gps-coordinates",
                                                        "params": {"column": "a"}}))
    [issue] = result.issues
    assert (issue.code, issue.severity) == ("unknown-custom-check", "warning")
    assert "french-gps-coordinates" in issue.message and "org/demo 1.0" in issue.message


@pytest.mark.parametrize(("params", "why"), [
    ({}, "parameter 'column' is missing"),
    ({"column": "a", "column2": "b", "op": "=>"}, "operator '=>'"),
    ({"column": "a", "othercolumns": "b"}, "'othercolumns' must be a non-empty list"),
])
def test_check_with_bad_params_is_an_error_naming_the_schema(tmp_path, params, why):
    name = "cohesive-columns-value" if "othercolumns" in params else "compare-columns-value"
    result = run(tmp_path, "a,b\n1,2\n", schema(ints("a", "b"), {"name": name, "params": params}))
    [issue] = [i for i in result.issues if i.severity == "error"]
    assert issue.code == "check-error"
    assert why in issue.message and "org/demo 1.0" in issue.message and name in issue.message
