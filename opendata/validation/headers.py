"""Matching a file's header to the schema's fields by name, as Validata does.

data.gouv.fr's validator pairs columns with fields by name, whatever their order: a missing
*required* field is one error naming it, a missing optional field and a column the schema
does not know are warnings, and values are then checked under the field of their column.
Matching by position instead (plain Frictionless) turns one missing optional column into an
error on every row of every later column.  This module decides the header's fate once;
Frictionless then checks values with ``fieldsMatch: partial`` (pairing by name).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from opendata.validation.messages import _

ExtraColumns = Literal["warning", "error", "ignore"]


@dataclass
class HeaderFinding:
    """One problem of the header; becomes an :class:`~opendata.validation.report.Issue`."""

    code: str
    severity: str
    message: str
    hint: str
    field: str | None = None
    #: 1-based position of the column in the file, when it has one
    column: int | None = None


@dataclass
class HeaderMatch:
    labels: list[str]
    findings: list[HeaderFinding] = field(default_factory=list)
    #: no label names any field: the file is not this schema (one error, no row checks)
    unmatched: bool = False
    #: the header cannot be paired by name (duplicate labels): no row checks either
    unusable: bool = False

    @property
    def blocking(self) -> bool:
        return self.unmatched or self.unusable


def parse_header(first_line: str, delimiter: str, quotechar: str = '"') -> list[str]:
    """The labels of a header line, with the CSV quoting rules the reader applies."""
    # universal newlines: a file ending its lines with a bare "\r" has them all in
    # first_line; an over-long or malformed header gives no labels rather than a crash
    try:
        reader = csv.reader(io.StringIO(first_line, newline=None), delimiter=delimiter,
                            quotechar=quotechar)
        return list(next(reader, []))
    except (csv.Error, TypeError):
        return []


def _is_required(fld: dict[str, Any], primary_key: list[str]) -> bool:
    return bool((fld.get("constraints") or {}).get("required")) or fld.get("name") in primary_key


def match_header(labels: list[str], schema: dict[str, Any], *, ignore_case: bool = False,
                 extra_columns: ExtraColumns = "warning") -> HeaderMatch:
    """Pair ``labels`` with the schema's fields by name and judge the header."""
    fields = [f for f in schema.get("fields", []) if isinstance(f, dict) and "name" in f]
    pk = schema.get("primaryKey") or []
    primary_key = [pk] if isinstance(pk, str) else list(pk)

    def key(name: str) -> str:
        return name.lower() if ignore_case else name

    result = HeaderMatch(labels=labels)
    out = result.findings
    for pos, label in enumerate(labels, 1):
        if not label:
            # a warning, as on data.gouv.fr (Validata takes it for an extra column): the
            # column's values are simply not checked
            out.append(HeaderFinding(
                "blank-label", "warning",
                _("column {pos} of the header has no name: its values are not checked")
                .format(pos=pos),
                _("Name the column after its schema field, or remove the empty column."),
                column=pos))
    counts = Counter(key(label) for label in labels if label)
    for name, n in counts.items():
        if n > 1:
            first = next(label for label in labels if key(label) == name)
            out.append(HeaderFinding(
                "duplicate-label", "error",
                (_("the header names column {name!r} {n} times (ignoring case)") if ignore_case
                 else _("the header names column {name!r} {n} times")).format(name=first, n=n),
                _("Give each column its own name: columns are matched to fields by name."),
                field=first))
            result.unusable = True
    if result.unusable:
        return result  # pairing by name is ambiguous: what is missing or extra is too
    field_keys = {key(f["name"]): f for f in fields}
    label_keys = {key(label) for label in labels if label}
    if fields and labels and not label_keys & set(field_keys):
        shown = ", ".join(labels[:6]) + (", …" if len(labels) > 6 else "")
        expected = ", ".join(f["name"] for f in fields[:6]) + (", …" if len(fields) > 6 else "")
        out.append(HeaderFinding(
            "unmatched-header", "error",
            _("no column of the header ({shown}) is a field of the schema ({expected})")
            .format(shown=shown, expected=expected),
            _("Check that the file is the one the manifest describes, that its first line is "
              "the header and that the delimiter is right; else the schema is the wrong one.")))
        result.unmatched = True
        return result
    for fld in fields:
        if key(fld["name"]) in label_keys:
            continue
        if _is_required(fld, primary_key):
            out.append(HeaderFinding(
                "missing-label", "error",
                _("required column {name!r} is missing").format(name=fld["name"]),
                _("Add a column named {name!r}: the schema requires it.").format(
                    name=fld["name"]),
                field=fld["name"]))
        else:
            out.append(HeaderFinding(
                "missing-column", "warning",
                _("optional column {name!r} is missing").format(name=fld["name"]),
                _("Add the column {name!r} (it may stay empty) to follow the schema.").format(
                    name=fld["name"]),
                field=fld["name"]))
    if extra_columns != "ignore":
        for pos, label in enumerate(labels, 1):
            if label and key(label) not in field_keys:
                out.append(HeaderFinding(
                    "extra-column", "error" if extra_columns == "error" else "warning",
                    _("column {name!r} is not a field of the schema").format(name=label),
                    _("Remove the column, or rename it to its schema field (this catalog "
                      "makes extra columns errors: `columns: {{extra: error}}`).").format()
                    if extra_columns == "error"
                    else _("Remove the column, or rename it to its schema field."),
                    field=label, column=pos))
    order = [key(f["name"]) for f in fields]
    present = [key(label) for label in labels]
    if set(present) == set(order) and present != order:
        out.append(HeaderFinding(
            "disordered-columns", "warning", _("the columns are not in the schema's order"),
            _("Reorder the columns as the schema lists its fields: {fields}.").format(
                fields=", ".join(f["name"] for f in fields))))
    return result
