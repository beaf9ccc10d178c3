"""The first rows of a table, read without reading the table.

A preview must cost the same for a 1 KB file and a 500 MB one: the file is opened as a
text stream and :mod:`csv` pulls lines until ``rows`` records are read, so only the first
buffered blocks are ever read.  Fields longer than :data:`MAX_CELL` characters are cut
(a preview is not a download), and a line that never ends (a binary file declared CSV)
stops the preview instead of filling memory.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_CELL = 200
#: Characters read at most for one preview, whatever the file holds.
MAX_CHARS = 256 * 1024
#: Characters per read: below csv's default field limit, so an endless line is cut into
#: pieces (a cut header) rather than an error that depends on the process' csv settings.
MAX_LINE = 64 * 1024


@dataclass
class Preview:
    header: list[str]
    rows: list[list[str]]
    #: index of a numeric column and of a label column worth a bar chart, if any
    chart: dict[str, Any] | None = None
    error: str | None = None
    numeric: list[bool] = field(default_factory=list)


class _Capped(io.TextIOBase):
    """A text stream that ends after ``limit`` characters: the hard bound on reading."""

    def __init__(self, raw: io.TextIOBase, limit: int):
        self.raw = raw
        self.left = limit

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:  # csv reads by line
        if self.left <= 0:
            return ""
        cap = min(self.left, MAX_LINE) if size is None or size < 0 else min(size, self.left,
                                                                           MAX_LINE)
        line = self.raw.readline(cap)
        self.left -= len(line)
        return line

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _encoding(dialect: dict[str, Any]) -> str:
    enc = str(dialect.get("encoding") or "utf-8").lower()
    return "utf-8-sig" if enc in ("utf-8", "utf8") else enc


def read_preview(file: Path, dialect: dict[str, Any] | None = None, fmt: str = "csv",
                 rows: int = 10, schema_fields: list[dict[str, Any]] | None = None) -> Preview:
    """Header and the first ``rows`` records of a CSV/TSV file (``dialect`` as in manifests)."""
    dialect = dialect or {}
    delimiter = str(dialect.get("delimiter") or ("\t" if fmt == "tsv" else ","))
    quote = str(dialect.get("quoteChar") or '"')
    header_rows = int(dialect.get("headerRows", [1])[0] if isinstance(dialect.get("headerRows"), list)
                      else 1)
    has_header = dialect.get("header", True) is not False
    comment = dialect.get("commentChar")
    out: list[list[str]] = []
    header: list[str] = []
    try:
        with file.open(encoding=_encoding(dialect), errors="replace", newline="") as fh:
            reader = csv.reader(_Capped(fh, MAX_CHARS), delimiter=delimiter, quotechar=quote)
            for record in reader:
                if comment and record and record[0].startswith(str(comment)):
                    continue
                cells = [c if len(c) <= MAX_CELL else c[:MAX_CELL] + "…" for c in record]
                if has_header and not header:
                    header = cells
                    for _ in range(max(header_rows - 1, 0)):
                        next(reader, None)
                    continue
                out.append(cells)
                if len(out) >= rows:
                    break
    except (OSError, csv.Error, UnicodeError, LookupError) as exc:
        return Preview(header=header, rows=out, error=str(exc))
    if not header:
        width = max((len(r) for r in out), default=0)
        header = [f"field{i + 1}" for i in range(width)]
    preview = Preview(header=header, rows=out)
    preview.numeric = _numeric_columns(preview, dialect, schema_fields or [])
    preview.chart = _chart(preview)
    return preview


def _numeric_columns(preview: Preview, dialect: dict[str, Any],
                     fields: list[dict[str, Any]]) -> list[bool]:
    types = {f.get("name"): f.get("type") for f in fields}
    return [types.get(name) in ("number", "integer") for name in preview.header]


def to_number(text: str, decimal: str = ",") -> float | None:
    """A French or English number as a float (``1 234,5``, ``1234.5``), None if not one."""
    value = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if decimal == "," and "," in value:
        value = value.replace(".", "").replace(",", ".")
    try:
        return float(value)
    except ValueError:
        return None


def _chart(preview: Preview) -> dict[str, Any] | None:
    """A bar chart of the first numeric column against the first text column, when the
    preview has both and at least two numbers: a chart of one value helps nobody."""
    if not preview.rows or not any(preview.numeric):
        return None
    num = preview.numeric.index(True)
    label = next((i for i, is_num in enumerate(preview.numeric) if not is_num), None)
    if label is None:
        return None
    bars = []
    for row in preview.rows:
        if len(row) <= max(num, label):
            continue
        value = to_number(row[num])
        if value is not None:
            bars.append((row[label], value))
    if len(bars) < 2 or max(abs(v) for _, v in bars) == 0:
        return None
    top = max(abs(v) for _, v in bars)
    return {"label": preview.header[label], "value": preview.header[num],
            "bars": [{"label": lab, "value": v, "width": round(100 * abs(v) / top, 1)}
                     for lab, v in bars]}
