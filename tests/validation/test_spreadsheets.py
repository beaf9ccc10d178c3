"""Spreadsheets and foreign keys in manifests, through ``opendata validate``, ``build``
and ``pack``: an .xlsx (openpyxl) and an .ods (odfpy, through pandas) made in the test,
a named sheet under a title row, a sheet by position, the normalised CSV copy in the zip,
and a foreign key from the sheet to the dataset's CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

SCHEMA = {"fields": [
    {"name": "territoire", "type": "string", "constraints": {"required": True}},
    {"name": "population", "type": "integer", "constraints": {"minimum": 0}},
    {"name": "mise_a_jour", "type": "date"}],
    "foreignKeys": [{"fields": "territoire",
                     "reference": {"resource": "points", "fields": "territoire"}}]}

MANIFEST_TAIL = """
  - name: territoires
    title: Territoires
    path: territoires.xlsx
    format: xlsx
    schema: territoires.schema.json
    sheet: Données
    header_row: 3
    normalise: true
  - name: releves
    title: Relevés
    path: releves.ods
    format: ods
    schema: releves.schema.json
    sheet: 1
"""


def _xlsx(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["Lisez-moi"])
    sheet = book.create_sheet("Données")
    sheet.append(["Population par territoire"])  # a title line, then a blank one
    sheet.append([])
    sheet.append(["territoire", "population", "mise_a_jour"])
    for row in rows:
        sheet.append(row)
    book.save(path)


GOOD = [["Aunis", 1200, dt.date(2024, 1, 31)], ["Gâtine", 800, dt.date(2024, 2, 1)]]


@pytest.fixture
def sheets(catalog: Path, demo: Path) -> Path:
    (demo / "dataset.yaml").write_text(
        (demo / "dataset.yaml").read_text(encoding="utf-8") + MANIFEST_TAIL, encoding="utf-8")
    (demo / "territoires.schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    (demo / "releves.schema.json").write_text(json.dumps({"fields": [
        {"name": "territoire", "type": "string"}, {"name": "taux", "type": "number"}]}),
        encoding="utf-8")
    _xlsx(demo / "territoires.xlsx", GOOD)
    pd.DataFrame({"territoire": ["Aunis", "Mellois"], "taux": [72.5, 65.0]}).to_excel(
        demo / "releves.ods", engine="odf", index=False, sheet_name="Relevés")
    return demo


def _report(cli, *args: str) -> dict:
    result = cli("validate", "--format", "json", "--no-cache", *args)
    assert "Traceback" not in result.output
    return json.loads(result.stdout)


def test_valid_xlsx_and_ods_are_checked_by_the_engine(cli, sheets: Path) -> None:
    report = _report(cli)
    assert report["valid"] is True, report["issues"]
    by_name = {r["name"]: r for r in report["datasets"][0]["resources"]}
    assert by_name["territoires"]["rows"] == 2 and by_name["releves"]["rows"] == 2
    assert by_name["territoires"]["engine"] == by_name["releves"]["engine"] == "columnar"
    assert by_name["territoires"]["file"] == "datasets/demo/territoires.xlsx"


@pytest.mark.parametrize("engine", ["auto", "frictionless"])
def test_findings_name_the_sheet_rows_whichever_path(cli, sheets: Path, engine: str,
                                                     monkeypatch) -> None:
    monkeypatch.setenv("OPENDATA_ENGINE", engine)
    _xlsx(sheets / "territoires.xlsx", GOOD + [["Ré", -3, "hier"]])
    report = _report(cli)
    got = [(i["code"], i["row"], i["field"]) for i in report["issues"]]
    # row 6 of the sheet: title, blank, header, two rows, then this one
    assert got == [("constraint-error", 6, "population"), ("type-error", 6, "mise_a_jour"),
                   ("foreign-key", 6, "territoire")]
    [fk] = [i for i in report["issues"] if i["code"] == "foreign-key"]
    assert fk["file"] == "datasets/demo/territoires.xlsx"
    assert fk["message"].startswith("'Ré' (territoire) has no match in points (territoire)")
    assert report["datasets"][0]["resources"][1]["engine"] == (
        "columnar" if engine == "auto" else "frictionless")


def test_a_changed_referenced_file_checks_the_sheet_again(cli, sheets: Path) -> None:
    assert _report(cli)["valid"]
    cli("validate")  # fills the cache
    points = sheets / "points.csv"
    points.write_text(points.read_text(encoding="utf-8").replace("Aunis", "Aulnay"),
                      encoding="utf-8")
    report = json.loads(cli("validate", "--format", "json").stdout)
    assert [(i["code"], i["row"]) for i in report["issues"]] == [("foreign-key", 4)]


def test_bad_spreadsheets_are_one_clear_finding_each(cli, sheets: Path, edit) -> None:
    (sheets / "territoires.xlsx").write_text("territoire;population\nAunis;3\n",
                                             encoding="utf-8")
    edit(sheets / "dataset.yaml", "    sheet: 1\n", "    sheet: Feuille2\n")
    report = _report(cli)
    issues = {i["resource"]: i for i in report["issues"]}
    assert len(report["issues"]) == 2
    bad = issues["territoires"]
    assert bad["code"] == "not-a-spreadsheet" and bad["file"].endswith("territoires.xlsx")
    assert "spreadsheet" in bad["message"] and bad["hint"]
    missing = issues["releves"]
    assert missing["code"] == "missing-sheet"
    assert missing["message"] == "the workbook has no sheet named 'Feuille2'"
    assert "'Relevés'" in missing["hint"] and "`sheet:`" in missing["hint"]


def test_an_empty_sheet_and_a_sheet_number_out_of_range(cli, sheets: Path, edit) -> None:
    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.create_sheet("Données")
    book.save(sheets / "territoires.xlsx")
    edit(sheets / "dataset.yaml", "    sheet: 1\n", "    sheet: 3\n")
    report = _report(cli)
    got = {i["resource"]: (i["code"], i["message"]) for i in report["issues"]}
    assert got == {"territoires": ("empty-sheet", "sheet 'Données' is empty at its header "
                                                  "row 3"),
                   "releves": ("missing-sheet", "the workbook has no sheet number 3: it has 1")}


def test_the_sheet_key_is_in_the_manifest_schema(cli, sheets: Path, edit) -> None:
    edit(sheets / "dataset.yaml", "    sheet: 1\n", "    sheet: 0\n")
    report = _report(cli)
    assert [i["field"] for i in report["issues"]] == ["resources[2].sheet"]


def test_build_and_pack_publish_the_sheet_as_csv(cli, catalog: Path, sheets: Path) -> None:
    result = cli("build")
    assert result.exit_code == 0, result.output
    folder = catalog / "dist" / "datapackages" / "demo"
    desc = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert [r["path"] for r in desc["resources"]] == ["points.csv", "territoires.csv",
                                                      "releves.ods"]
    assert (folder / "territoires.csv").read_text(encoding="utf-8").startswith(
        "territoire,population,mise_a_jour\n")
    result = cli("pack", "demo")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(catalog / "dist" / "packages" / "demo-1.0.0.zip") as zf:
        names = zf.namelist()
        assert "territoires.csv" in names and "territoires.xlsx" not in names
        rows = list(csv.reader(io.StringIO(zf.read("territoires.csv").decode("utf-8"))))
        pack_desc = json.loads(zf.read("datapackage.json"))
    assert rows == [["territoire", "population", "mise_a_jour"],
                    ["Aunis", "1200", "2024-01-31"], ["Gâtine", "800", "2024-02-01"]]
    [res] = [r for r in pack_desc["resources"] if r["name"] == "territoires"]
    assert (res["path"], res["format"], res["mediatype"]) == (
        "territoires.csv", "csv", "text/csv")
    # the .ods without `normalise: true` is published as it is
    assert "releves.ods" in names
