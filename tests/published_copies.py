"""A catalog whose resources publish a copy instead of their file, shared by the DCAT,
site and harvester tests: an Excel-French export of a national schema's real example
(``normalise: true``) and an ``.xlsx`` sheet (``normalise: true``: its CSV copy)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import openpyxl

TESTS = Path(__file__).resolve().parent
FIXTURE = TESTS / "fixtures" / "catalog"
PARKINGS = TESTS / "data" / "national" / "files" / "etalab" / "schema-stationnement" \
    / "exemple-valide.csv"
STATIONNEMENT = "https://schema.data.gouv.fr/schemas/etalab/schema-stationnement/0.1.5/schema.json"

MANIFEST = """name: stationnement
title: Parkings et territoires
description: Un export Excel français et un classeur, publiés en CSV normalisé.
organization: region-poitou-charentes
licence: etalab-2.0
keywords: [parking]
themes: [TRAN]
frequency: NEVER
spatial: {level: region, code: "54"}
resources:
  - name: parkings
    title: Parkings
    path: parkings.csv
    format: csv
    schema: {name: etalab/schema-stationnement, version: "0.1.5"}
    dialect: {delimiter: ";", encoding: cp1252, decimalChar: ","}
    normalise: true
  - name: territoires
    title: Territoires
    path: territoires.xlsx
    format: xlsx
    schema: territoires.schema.json
    sheet: Données
    normalise: true
"""


#: the manifest entry of that export, without ``normalise`` (tests add it when they want it)
PARKINGS_RESOURCE = """  - name: parkings
    title: Parkings
    path: parkings.csv
    format: csv
    schema: {name: etalab/schema-stationnement, version: "0.1.5"}
    dialect: {delimiter: ";", encoding: cp1252, decimalChar: ","}
"""


def excel_french() -> bytes:
    """The real example file as Excel saves it in France: `;`, cp1252, decimal commas."""
    rows = list(csv.reader(io.StringIO(PARKINGS.read_text("utf-8"))))
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(
        [rows[0], *[[c.replace(".", ",") for c in r] for r in rows[1:]]])
    return out.getvalue().encode("cp1252")


def copies_catalog(root: Path) -> Path:
    """The fixture catalog plus the dataset ``stationnement`` (see the module's text)."""
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".opendata", "dist"))
    folder = root / "datasets" / "stationnement"
    folder.mkdir()
    (folder / "dataset.yaml").write_text(MANIFEST, encoding="utf-8")
    (folder / "parkings.csv").write_bytes(excel_french())
    (folder / "territoires.schema.json").write_text(json.dumps({"fields": [
        {"name": "territoire", "type": "string"}, {"name": "population", "type": "integer"},
        {"name": "mise_a_jour", "type": "date"}]}), encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Données"
    sheet.append(["territoire", "population", "mise_a_jour"])
    sheet.append(["Aunis", 1200, dt.date(2024, 1, 31)])
    sheet.append(["Gâtine", 800, dt.date(2024, 2, 1)])
    book.save(folder / "territoires.xlsx")
    return root
