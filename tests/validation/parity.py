"""Running one file through opendata the way the differential tests compare it to Validata.

Validata reads a file without a manifest: it detects the encoding (UTF-8, else a guess) and
the delimiter.  The tests give opendata the same reading as a steward's manifest would
(``dialect: {delimiter, encoding}``) and compare what follows: the verdict and, for every
error, (row, field, kind).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opendata.validation.tabular import normalise_encoding, scan_file, validate_table
from opendata.validation.validator import check_table

Key = tuple[int | None, str | None, str]


def sniff_dialect(file: Path) -> dict[str, Any]:
    """The dialect a steward would declare for ``file``: its encoding and delimiter."""
    raw = file.read_bytes()
    try:
        text = raw.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text, encoding = raw.decode("cp1252", errors="replace"), "cp1252"
    header = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max([",", ";", "\t", "|"], key=header.count)
    return {"delimiter": delimiter, "encoding": encoding}


def opendata_report(file: Path, schema_file: Path, *, published: str | None = "national",
                    columns: dict[str, Any] | None = None,
                    dialect: dict[str, Any] | None = None) -> dict[str, Any]:
    """opendata's verdict, reading ``file`` as its sniffed dialect plus ``dialect``."""
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    result = validate_table(file, file.name, schema, {**sniff_dialect(file), **(dialect or {})},
                            dataset="d",
                            resource="r", columns=columns, published=published,
                            schema_label=schema_file.name)
    errors = [i for i in result.issues if i.severity == "error"]
    return {"valid": not errors, "errors": errors,
            "warnings": [i for i in result.issues if i.severity == "warning"]}


def dispatched_keys(file: Path, schema_file: Path, *,
                    dialect: dict[str, Any] | None = None) -> set[Key]:
    """The errors of the path ``opendata validate`` takes (the columnar engine when it
    covers the file, Frictionless otherwise), to hold both paths to Validata."""
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    read = {**sniff_dialect(file), **(dialect or {})}
    result = check_table(file, file.name, schema, read, dataset="d", resource="r",
                         facts=scan_file(file, normalise_encoding(read.get("encoding"))),
                         fmt="csv", published="national", schema_label=schema_file.name)
    return {(i.row, i.field or None, i.code) for i in result.issues if i.severity == "error"}


def opendata_keys(report: dict[str, Any]) -> set[Key]:
    return {(i.row, i.field or None, i.code) for i in report["errors"]}


def validata_keys(report: dict[str, Any]) -> set[Key]:
    return {(e["row"], e["field"] or None, e["type"]) for e in report.get("errors", [])}


_VALIDATA_WARNINGS = {"Colonne manquante": "missing-column", "Colonne surnuméraire": "extra-column",
                      "Colonnes désordonnées": "disordered-columns"}


def opendata_header_warnings(report: dict[str, Any]) -> set[tuple[str, str | None]]:
    """Header warnings as (kind, column): an unnamed column is an extra column named ''."""
    out: set[tuple[str, str | None]] = set()
    for i in report["warnings"]:
        if i.code == "blank-label":
            out.add(("extra-column", ""))
        elif i.code == "disordered-columns":
            out.add((i.code, None))
        elif i.code in ("missing-column", "extra-column"):
            out.add((i.code, i.field))
    return out


def validata_header_warnings(report: dict[str, Any]) -> set[tuple[str, str | None]]:
    out: set[tuple[str, str | None]] = set()
    for text in report.get("warnings", []):
        for prefix, kind in _VALIDATA_WARNINGS.items():
            if text.startswith(prefix):
                name = text.split("`")[1] if kind != "disordered-columns" else None
                out.add((kind, name))
    return out
