"""Spreadsheets (.xlsx, .ods): a named sheet as the CSV its Table Schema describes.

Stewards export from Excel or LibreOffice.  A sheet's cells are typed (numbers, dates,
booleans), so the question "does this number parse" becomes "is this cell a number": each
typed cell is written in the format of the schema field heading its column (the field's
``decimalChar``, its date ``format``), text cells as they are.  The result is a plain UTF-8,
comma-separated CSV, the open-format copy portals and packs can publish, and it is validated
by the same engine as any CSV: a text cell where the schema wants a number is still a type
error, on the same row number as in the sheet.

python-calamine reads both formats (Rust, streaming row by row).
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opendata.validation.messages import _
from opendata.validation.report import Issue

SHEET_FORMATS = ("xlsx", "ods")


@dataclass
class SheetCsv:
    """Where the CSV copy of a sheet went, or why there is none."""

    csv: Path | None
    rows: int = 0
    issue: Issue | None = None
    #: sheet rows above the header (row N of the CSV is row N + offset of the sheet)
    offset: int = 0


def _cell(value: Any, fld: dict[str, Any] | None) -> str:
    """One typed cell in the format its schema field reads."""
    if value is None:
        return ""
    ftype = (fld or {}).get("type", "string")
    fmt = (fld or {}).get("format", "default")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        if ftype == "date" and fmt not in ("default", "any"):
            return value.strftime(fmt)
        if ftype == "date" or (value.time() == dt.time() and ftype != "datetime"):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.strftime(fmt) if ftype == "date" and fmt not in ("default", "any") \
            else value.isoformat()
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
        if ftype == "number" and (fld or {}).get("decimalChar", ".") != ".":
            text = text.replace(".", fld["decimalChar"])  # type: ignore[index]
        return text
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def sheet_to_csv(path: Path, out: Path, *, sheet: str | int | None, schema: dict[str, Any],
                 base: dict[str, Any], header_row: int | None = None) -> SheetCsv:
    """Write ``sheet`` of ``path`` (a name, a position from 1, or None for the first) as
    CSV to ``out``, from its ``header_row`` on (the rows above are titles and notes; by
    default the header is the first row that is not blank).

    Returns the copy, or the one finding that explains why there is none (not a
    spreadsheet, no such sheet, an empty sheet).
    """
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own errors for anything unreadable
        return SheetCsv(None, issue=Issue(
            message=_("the file is not a readable spreadsheet ({error})").format(
                error=f"{type(exc).__name__}: {exc}"),
            code="not-a-spreadsheet", hint=_("Save it again from the spreadsheet program as "
                                             ".xlsx or .ods, or export the sheet as CSV."),
            line=None, **base))
    names = list(book.sheet_names)
    listed = (_("Sheets in the file: {names}.").format(names=", ".join(map(repr, names)))
              if names else _("The file has no sheet."))
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 1 <= sheet <= len(names):
            return SheetCsv(None, issue=Issue(
                message=_("the workbook has no sheet number {number}: it has {count}").format(
                    number=sheet, count=len(names)),
                code="missing-sheet", hint=_("Give `sheet:` a number from 1 to {count} or a "
                                             "sheet's name.").format(count=len(names))
                + f" {listed}", **base))
        sheet = names[sheet - 1]
    name = sheet if sheet is not None else (names[0] if names else None)
    if name not in names:
        close = difflib.get_close_matches(str(name), names, n=1)
        return SheetCsv(None, issue=Issue(
            message=_("the workbook has no sheet named {name!r}").format(name=name),
            code="missing-sheet",
            hint=(_("Did you mean {close!r}?").format(close=close[0]) + " " if close else "")
            + _("Set `sheet:` in the manifest to one of them.") + f" {listed}", **base))
    by_name = {f.get("name"): f for f in schema.get("fields", [])}
    rows = 0
    offset = 0
    with out.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        header: list[Any] = []
        for number, values in enumerate(book.get_sheet_by_name(name).iter_rows(), 1):
            if header_row is not None and number < header_row:
                continue
            if not header and not any(v not in (None, "") for v in values):
                if header_row is None:
                    continue  # blank rows above the header
                break  # nothing where the header should be: an empty sheet
            if not header:
                offset = number - 1
                header = [_cell(v, None) for v in values]
                writer.writerow(header)
                continue
            fields = [by_name.get(h) for h in header] + [None] * max(0, len(values) - len(header))
            writer.writerow([_cell(v, f) for v, f in zip(values, fields, strict=False)])
            rows += 1
    if not header:
        return SheetCsv(None, issue=Issue(
            message=(_("sheet {name!r} is empty at its header row {row}").format(
                name=name, row=header_row) if header_row
                else _("sheet {name!r} is empty").format(name=name)),
            code="empty-sheet", hint=_("Put the column names in the header row and the data "
                                       "below them, or name the sheet that holds the data "
                                       "with `sheet:`.") + f" {listed}",
            line=header_row, **base))
    return SheetCsv(out, rows, offset=offset)


def validate_sheet(path: Path, rel: str, schema: dict[str, Any], *, dataset: str,
                   resource: str, sheet: str | None = None, copy_to: Path | None = None,
                   **options: Any) -> Any:
    """Validate a sheet as the engine validates a CSV; ``copy_to`` keeps the CSV copy
    (the normalised file for portals and packs), otherwise it is a temporary file."""
    from opendata.validation import engine

    base = {"file": rel, "dataset": dataset, "resource": resource}
    with tempfile.TemporaryDirectory(prefix="opendata-sheet-") as tmp:
        out = copy_to or Path(tmp) / "sheet.csv"
        made = sheet_to_csv(path, out, sheet=sheet, schema=schema, base=base)
        if made.csv is None:
            return engine.EngineResult(None, [made.issue] if made.issue else [], error_total=1)
        return engine.validate_table(made.csv, rel, schema, {"delimiter": ","},
                                     dataset=dataset, resource=resource, **options)
