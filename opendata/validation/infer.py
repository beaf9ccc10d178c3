"""``opendata infer``: a first Table Schema and dialect for a data file.

Frictionless infers types well for international CSV but reads French decimal commas and
``dd/mm/yyyy`` dates as strings.  We detect encoding and delimiter first, let Frictionless
infer, then refine string columns whose every sampled value is a French number or date.
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opendata.errors import UsageError

FR_NUMBER = re.compile(r"^-?\d{1,3}(?:[ \u00a0\u202f]?\d{3})*(?:,\d+)?$|^-?\d+,\d+$")
FR_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
SLUG = re.compile(r"[^a-z0-9_]+")


@dataclass
class Inferred:
    dialect: dict[str, Any]
    schema: dict[str, Any]


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else cp1252: the two French norms."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a multi-byte character cut by the sample end
            return "utf-8"
        return "cp1252"


def detect_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=";,\t|").delimiter
    except csv.Error:
        counts = {d: lines[0].count(d) if lines else 0 for d in ";,\t|"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def infer(file: Path, *, sample_rows: int = 10000) -> Inferred:
    """Infer dialect and Table Schema of a CSV/TSV file from its first ``sample_rows``."""
    from frictionless import Detector, Dialect, Resource, formats

    with file.open("rb") as fh:  # a sample, never the whole (possibly huge) file
        raw = fh.read(1 << 20)
    if not raw.strip():
        raise UsageError(f"{file}: the file is empty, nothing to infer")
    encoding = detect_encoding(raw)
    text = raw.decode(encoding, errors="replace")
    delimiter = detect_delimiter(text)
    dialect: dict[str, Any] = {"delimiter": delimiter,
                               "encoding": "utf-8" if encoding == "utf-8-sig" else encoding}
    res = Resource(path=file.name, basepath=str(file.parent), format="csv", encoding=encoding,
                   dialect=Dialect(controls=[formats.CsvControl(delimiter=delimiter)]),
                   detector=Detector(sample_size=sample_rows, field_missing_values=[""]))
    res.infer()
    schema = res.schema.to_descriptor()
    columns: dict[str, list[str]] = {f["name"]: [] for f in schema["fields"]}
    with file.open(encoding=encoding, newline="") as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        for i, row in enumerate(reader):
            if i >= sample_rows:
                break
            for name in columns:
                value = (row.get(name) or "").strip()
                if value:
                    columns[name].append(value)
    decimal_comma = False
    for fld in schema["fields"]:
        values = columns.get(fld["name"], [])
        # "21,85" alone reads as a geopoint ("lon,lat") to Frictionless
        if fld.get("type") in ("string", "geopoint") and values:
            grouped = any(re.search(r"\d[ \u00a0\u202f]\d", v) for v in values)
            if all(FR_NUMBER.match(v) for v in values) and (
                    grouped or any("," in v for v in values)):
                fld["type"] = "number"
                fld["decimalChar"] = ","
                if grouped:
                    fld["groupChar"] = " "
                decimal_comma = True
            elif all(FR_DATE.match(v) for v in values):
                fld["type"] = "date"
                fld["format"] = "%d/%m/%Y"
        fld.pop("format", None) if fld.get("format") == "default" else None
        if values and len(values) == len(set(values)) and fld is schema["fields"][0]:
            fld.setdefault("constraints", {})["unique"] = True
    if decimal_comma:
        dialect["decimalChar"] = ","
    schema["missingValues"] = [""]
    return Inferred(dialect=dialect, schema=schema)
