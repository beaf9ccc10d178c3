"""Spreadsheets: a named sheet validated like a CSV, and its CSV copy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pandas as pd

from opendata.validation.engine.sheets import validate_sheet

SCHEMA = {"fields": [
    {"name": "id", "type": "integer", "constraints": {"required": True}},
    {"name": "montant", "type": "number", "decimalChar": ","},
    {"name": "jour", "type": "date", "format": "%d/%m/%Y"}]}
KW = {"dataset": "d", "resource": "r"}


def _xlsx(path: Path) -> Path:
    book = openpyxl.Workbook()
    book.active.title = "Résumé"
    sheet = book.create_sheet("Données")
    sheet.append(["id", "montant", "jour"])
    sheet.append([1, 12.5, dt.date(2024, 1, 31)])        # typed cells: all valid
    sheet.append([2, "abc", dt.date(2024, 2, 1)])        # text where a number is wanted
    sheet.append([3, 7, "31/02/2020"])                   # a date typed as (wrong) text
    book.save(path)
    return path


def test_xlsx_sheet_by_name_typed_cells_and_csv_copy(tmp_path: Path) -> None:
    copy = tmp_path / "copy.csv"
    result = validate_sheet(_xlsx(tmp_path / "t.xlsx"), "d/t.xlsx", SCHEMA, **KW,
                            sheet="Données", copy_to=copy)
    assert result.rows == 3
    assert [(i.code, i.row, i.field) for i in result.issues] == [
        ("type-error", 3, "montant"), ("type-error", 4, "jour")]
    assert copy.read_text(encoding="utf-8").splitlines() == [
        "id,montant,jour", "1,\"12,5\",31/01/2024", "2,abc,01/02/2024", "3,7,31/02/2020"]


def test_missing_sheet_names_the_sheets(tmp_path: Path) -> None:
    result = validate_sheet(_xlsx(tmp_path / "t.xlsx"), "d/t.xlsx", SCHEMA, **KW,
                            sheet="Donnees")
    [issue] = result.issues
    assert issue.code == "missing-sheet"
    assert "'Données'" in issue.hint and "Did you mean" in issue.hint


def test_an_xlsx_that_is_not_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    path.write_text("id;montant\n1;2\n", encoding="utf-8")
    [issue] = validate_sheet(path, "d/t.xlsx", SCHEMA, **KW).issues
    assert issue.code == "not-a-spreadsheet" and issue.hint


def test_ods_first_sheet(tmp_path: Path) -> None:
    path = tmp_path / "t.ods"
    pd.DataFrame({"id": [1, 2], "montant": [1.5, "x"], "jour": ["01/01/2020", "02/01/2020"]}
                 ).to_excel(path, engine="odf", index=False, sheet_name="Feuille1")
    result = validate_sheet(path, "d/t.ods", SCHEMA, **KW)
    assert result.rows == 2
    assert [(i.code, i.row, i.field) for i in result.issues] == [("type-error", 3, "montant")]


def test_sheet_options_on_a_csv_resource_are_a_warning(catalog: Path, demo: Path) -> None:
    """`sheet` and `header_row` on a CSV resource would be ignored in silence: the steward
    who wrote them expects one sheet to be read, so validation says they are not."""
    from opendata.validation.validator import validate

    manifest = demo / "dataset.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.replace("    path: points.csv\n",
                                     "    path: points.csv\n    sheet: Feuil1\n"
                                     "    header_row: 3\n"), encoding="utf-8")
    report = validate(catalog, use_cache=False)
    [issue] = [i for i in report.issues if i.code == "sheet-options-ignored"]
    assert issue.severity == "warning" and report.valid  # the CSV itself is still checked
    assert issue.field == "resources[0].sheet" and issue.file == "datasets/demo/dataset.yaml"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    assert lines[issue.line - 1].strip() == "sheet: Feuil1"
    assert "`sheet` `header_row`" in issue.message and "csv" in issue.message
    assert issue.hint and ".xlsx" in issue.hint
    assert report.datasets["demo"].resources[0].rows
