"""Validation messages in the steward's language: a message code and its parameters in, text
out, in English or French.

The English templates below are gettext message ids; their French translations live in
``locale/fr/LC_MESSAGES/opendata.po`` (compiled to ``opendata.mo`` with Babel, both shipped in
the package; ``scripts/update-messages`` refreshes them).  Codes never change with the
language: the JSON report keeps them as its stable, English interface, and only
``message``/``hint`` are translated.  The choice of language and the gettext lookups are
:mod:`opendata.catalog.i18n`'s, re-exported here for the validation modules.
"""

from __future__ import annotations

import re
from pathlib import Path

from opendata.catalog.i18n import (
    DOMAIN,
    ENV,
    LOCALE_DIR,
    N_,
    SUPPORTED,
    _,
    activate,
    choose,
    current,
    ngettext,
    normalise,
    set_override,
)

__all__ = ["DOMAIN", "ENV", "LOCALE_DIR", "SUPPORTED", "N_", "_", "activate", "activate_for",
           "choose", "current", "describe", "hint", "ngettext", "normalise", "reword",
           "set_override", "text"]


def activate_for(root: Path | None) -> str:
    """The language of a command that works outside a validation run (``infer``,
    ``schemas``): the catalog's ``language`` when ``root`` is a readable catalog, else
    what ``--lang`` and the environment say, else English."""
    from opendata.catalog.config import load_config
    from opendata.errors import OpendataError

    language = None
    if root is not None:
        try:
            language = load_config(root).language
        except (OpendataError, OSError, ValueError):
            language = None  # a broken opendata.yaml: its own command says so
    return activate(language)


def text(code: str, **params: object) -> str:
    """The message for ``code`` with ``params`` filled in, in the current language."""
    return _(MESSAGES[code]).format(**params)


def reword(code: str | None, hint_code: str | None, params: dict[str, object],
           message: str, default_hint: str | None) -> tuple[str, str | None]:
    """Message and hint of an error an earlier stage worded in English, said again in the
    current language when its codes are known here (else as it came)."""
    text_ = text(code, **params) if code in MESSAGES else message
    hint_ = hint(hint_code, **params) if hint_code in HINTS else default_hint
    return text_, hint_


def hint(code: str, **params: object) -> str | None:
    """The hint that goes with ``code``, if it has one."""
    template = HINTS.get(code)
    return _(template).format(**params) if template else None


# -- the messages, by code ------------------------------------------------------------------

MESSAGES: dict[str, str] = {
    # data values (Frictionless' type-error, in plain words, by field type)
    "type-integer": N_("{value} is not a whole number"),
    "type-number": N_("{value} is not a number"),
    "type-date": N_("{value} is not a date in the format {format}"),
    "type-datetime": N_("{value} is not a date and time in the format {format}"),
    "type-time": N_("{value} is not a time in the format {format}"),
    "type-year": N_("{value} is not a year (four digits)"),
    "type-yearmonth": N_("{value} is not a year and month (YYYY-MM)"),
    "type-boolean": N_("{value} is not a yes/no value"),
    "type-geopoint": N_("{value} is not a point (longitude, latitude)"),
    "type-geojson": N_("{value} is not a GeoJSON geometry"),
    "type-object": N_("{value} is not a JSON object"),
    "type-array": N_("{value} is not a JSON array"),
    "type-duration": N_("{value} is not a duration (ISO 8601, e.g. P1D)"),
    "type-email": N_("{value} is not an e-mail address"),
    "type-uri": N_("{value} is not a web address (URI)"),
    "type-uuid": N_("{value} is not a UUID"),
    "type-other": N_("{value} is not a valid {type}"),
    # constraints
    "constraint-required": N_("the value is missing: this field is required"),
    "constraint-unique": N_("{value} appears more than once: values of this field must be "
                            "unique"),
    "constraint-minimum": N_("{value} is below the minimum, {limit}"),
    "constraint-maximum": N_("{value} is above the maximum, {limit}"),
    "constraint-exclusiveMinimum": N_("{value} must be greater than {limit}"),
    "constraint-exclusiveMaximum": N_("{value} must be less than {limit}"),
    "constraint-minLength": N_("{value} is too short: at least {limit} characters"),
    "constraint-maxLength": N_("{value} is too long: at most {limit} characters"),
    "constraint-pattern": N_("{value} does not have the expected form ({limit})"),
    "constraint-enum": N_("{value} is not one of the allowed values: {limit}"),
    "constraint-other": N_("{value} breaks the constraint {constraint} ({limit})"),
    # rows and cells
    "blank-row": N_("the row is empty"),
    "extra-cell": N_("the row has more cells than the header"),
    "missing-cell": N_("the row has no cell for this field"),
    "primary-key": N_("the row's key is the same as in row {previous}: keys must be unique"),
    "primary-key-empty": N_("the row's key cells are all empty"),
    "unique-error": N_("the same value is in row {previous}: values of this field must be "
                       "unique"),
    "no-rows": N_("the file has a header but no data rows"),
    "foreign-key": N_("{value} ({fields}) has no match in {resource} ({reference}): the "
                      "foreign key points at a row that does not exist"),
    "key-type-unsupported": N_("`{what}` over a field of type {type} is not checked: the "
                               "reference validator cannot compare lists and objects"),
    # manifests
    "duplicate-name": N_("dataset name {name!r} is already used by {other}"),
    "unknown-field": N_("unknown field {key!r}"),
    "missing-field": N_("missing required field {key!r}"),
    "unknown-code": N_("unknown {label} code {value!r}"),
    "wrong-type": N_("must be {want}, not {got} ({value!r})"),
    "unknown-organization": N_("unknown organisation {org!r}"),
    "unknown-licence": N_("unknown licence {licence!r}"),
    "closed-licence": N_("licence {licence!r} is not an open licence"),
    "name-folder-mismatch": N_("dataset name {name!r} differs from its folder {folder!r}"),
    "temporal-order": N_("temporal.start is after temporal.end"),
    "duplicate-resource": N_("resource name {name!r} is used twice"),
    "unsafe-path": N_("path {path!r} leaves the dataset folder"),
    "missing-file": N_("data file {file} not found"),
    "no-schema": N_("tabular resource {name!r} has no Table Schema: its content is not "
                    "checked"),
    "sheet-options-ignored": N_("resource {name!r} is {format}, not a spreadsheet: its "
                                "{keys} are ignored"),
    # national schema references (worded in the catalog stage, translated here)
    "schema-unknown": N_("schema {name!r} is not in the schema.data.gouv.fr catalogue"),
    "schema-no-version": N_("schema {name!r} has no version {version!r}"),
    "schema-not-table": N_("schema {name} is not a Table Schema (schema.data.gouv.fr type "
                           "{type!r}): opendata checks tabular files against Table Schemas "
                           "only"),
    "schema-no-copy": N_("schema {name} {version} is in the catalogue but has no offline "
                         "copy"),
    # JSON types, as a steward says them
    "json-string": N_("text"),
    "json-array": N_("a list"),
    "json-object": N_("a mapping"),
    "json-integer": N_("a whole number"),
    "json-number": N_("a number"),
    "json-boolean": N_("true or false"),
    "or": N_(" or "),
    # the report around the messages
    "error": N_("error"),
    "warning": N_("warning"),
    "hint": N_("hint"),
    "row": N_("row {row}"),
    "field": N_("field {field}"),
    "status-ok": N_("ok"),
    "status-warnings": N_("warnings"),
    "status-invalid": N_("INVALID"),
    "resource-rows": N_("{name}: {rows} rows"),
    "cached": N_(" (cached)"),
    "more-errors": N_("... and {count} more error(s) in resource {resource}"),
    "stopped": N_(" (error collection stopped there; fix these first)"),
    "summary": N_("{datasets} dataset(s), {valid_datasets} valid, {errors} error(s), "
                  "{warnings} warning(s)"),
    "report-title": N_("Validation report"),
    "report-valid": N_("Valid"),
    "report-invalid": N_("Invalid"),
    "valid": N_("valid"),
    "invalid": N_("invalid"),
    "col-dataset": N_("Dataset"),
    "col-status": N_("Status"),
    "col-rows": N_("Rows"),
    "col-errors": N_("Errors"),
    "col-where": N_("Where"),
    "col-message": N_("Message"),
    "and-more": N_("and {count} more"),
}

HINTS: dict[str, str] = {
    "type-integer": N_("Write whole numbers with digits only (no spaces, no decimal part)."),
    "type-integer-fr": N_("Write whole numbers without spaces between thousands, or declare "
                          "the field a number with groupChar \" \" in the Table Schema."),
    "type-number": N_("Write numbers with digits and a `.` as decimal mark, e.g. 12.5."),
    "type-number-fr": N_("This is a number written the French way: declare decimalChar \",\" "
                         "(and groupChar \" \" for spaces between thousands) on the field or "
                         "in the dialect."),
    "type-date": N_("Write dates as {example}, or change the field's format in the Table "
                    "Schema."),
    "type-date-fr": N_("This is a French date: declare the field's format \"%d/%m/%Y\" in the "
                       "Table Schema, or write it as {example}."),
    "type-datetime": N_("Write the date and time as {example}."),
    "type-time": N_("Write the time as {example}."),
    "type-boolean": N_("Write one of: {values}, or list the values you use in the field's "
                       "trueValues/falseValues."),
    "type-geopoint": N_("Write the point as \"longitude,latitude\" in decimal degrees, e.g. "
                        "\"-0.34,46.58\"."),
    "type-email": N_("Write one address such as nom@exemple.fr, without spaces."),
    "type-uri": N_("Write the full address, starting with https://."),
    "type-other": N_("Fix the value, or the field's type in the Table Schema."),
    "constraint-required": N_("Fill the cell: the Table Schema makes this field required."),
    "constraint-unique": N_("Each row needs its own value here: remove the duplicate row or "
                            "fix the value."),
    "constraint-enum": N_("Use one of the allowed values exactly as written (case and "
                          "accents count)."),
    "constraint-pattern": N_("Write the value in the form the Table Schema expects."),
    "constraint-other": N_("Fix the value, or relax the constraint in the Table Schema."),
    "blank-row": N_("Remove the empty line."),
    "extra-cell": N_("Check the quoting and the delimiter of this row: a value containing "
                     "the delimiter must be quoted."),
    "missing-cell": N_("Add the missing cells (empty ones are fine) so that every row has as "
                       "many as the header."),
    "primary-key": N_("Key values must be unique: remove the duplicate row or fix its key."),
    "primary-key-empty": N_("Fill the key cells: each row needs a key."),
    "unique-error": N_("Each row needs its own value here: remove the duplicate row or fix "
                       "the value."),
    "published-type": N_("data.gouv.fr reads the value as the national schema says: write it "
                         "in the field's own format (numbers with `.` as decimal mark, dates "
                         "as the field's format)."),
    "no-rows": N_("Add the data rows, or remove the resource until it has data."),
    "foreign-key": N_("Fix the value, or add the row it refers to in the referenced table: "
                      "every value here must be one of its keys."),
    "key-type-unsupported": N_("The file's other checks ran; to have this one checked, key "
                               "the table on a text or number field."),
    "schema-unknown-one": N_("Did you mean {close}? Write `{line}`."),
    "schema-unknown-many": N_("Did you mean {close}? For the first, write `{line}`."),
    "schema-unknown-none": N_("`opendata schemas search WORDS` finds a schema by its "
                              "subject."),
    "schema-closest": N_("Known versions: {known}. Closest: `{line}`."),
    "schema-latest": N_("Known versions: {known}. Latest: `{line}`."),
    "schema-not-table": N_("`opendata schemas list` shows the Table Schemas."),
    "schema-no-copy": N_("Run `opendata schemas update {name}` (needs the network), or save "
                         "{url} as {path}."),
    "did-you-mean": N_("Did you mean {close!r}?"),
    "did-you-mean-any": N_("Did you mean {close}?"),
    "allowed-fields": N_("Allowed fields here: {allowed}."),
    "add-field": N_("Add `{key}:`."),
    "add-field-described": N_("Add `{key}:` ({description})"),
    "allowed-codes": N_("Allowed codes: {allowed}."),
    "duplicate-name": N_("Dataset names are identifiers: give each dataset its own name."),
    "unknown-organization": N_("Organisations are declared in opendata.yaml: {known}."),
    "closed-licence": N_("The library publishes open data only."),
    "name-folder-mismatch": N_("Rename the folder to datasets/{name}/ (or the name), so that "
                               "files are found where people look."),
    "temporal-order": N_("Swap the dates."),
    "duplicate-resource": N_("Give each resource of a dataset its own name."),
    "unsafe-path": N_("Paths are relative to the dataset folder: no absolute paths, no '..'."),
    "missing-file": N_("Files in the folder: {files}."),
    "no-schema": N_("Generate one with `opendata infer {file}` and reference it with "
                    "`schema:`."),
    "sheet-options-ignored": N_("`sheet` and `header_row` choose what is read in an .xlsx "
                                "or .ods file: remove them, or point `path` at the "
                                "spreadsheet."),
}

#: Frictionless error types :func:`describe` words itself
DATA_ERRORS = frozenset({"type-error", "constraint-error", "blank-row", "extra-cell",
                         "missing-cell", "primary-key", "unique-error"})

_FR_NUMBER = re.compile(r"^-?\d{1,3}(?:[ \u00a0\u202f.]\d{3})*(?:,\d+)?$|^-?\d+,\d+$")
_GROUPED_INT = re.compile(r"^-?\d{1,3}(?:[ \u00a0\u202f.]\d{3})+$")
_FR_DATE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")
_EXAMPLES = {"date": "2024-01-31", "datetime": "2024-01-31T14:30:00", "time": "14:30:00"}
_TYPE_NOTE = re.compile(r'^type is "([a-z]+)/(.*)"$')
_CONSTRAINT_NOTE = re.compile(r'^constraint "(\w+)" is "(.*)"$', re.S)


def _shown(value: object) -> str:
    text_value = "" if value is None else str(value)
    if len(text_value) > 80:
        text_value = text_value[:77] + "..."
    return f"'{text_value}'"


_UNITS = {"%d": N_("DD"), "%m": N_("MM"), "%Y": N_("YYYY"), "%y": N_("YY"), "%H": N_("hh"),
          "%M": N_("mm"), "%S": N_("ss")}


def _human_format(fmt: str) -> str:
    """``%d/%m/%Y`` -> ``DD/MM/YYYY`` (``JJ/MM/AAAA`` in French): what a steward reads."""
    return re.sub(r"%[a-zA-Z]", lambda m: _(_UNITS[m.group()]) if m.group() in _UNITS
                  else m.group(), fmt)


def _strftime_example(fmt: str) -> str:
    """What a format such as ``%d/%m/%Y`` looks like on 31 January 2024, 14:30."""
    import datetime as dt

    try:
        return dt.datetime(2024, 1, 31, 14, 30).strftime(fmt)
    except ValueError:
        return fmt


def describe(kind: str, cell: object, note: str | None, *, published: bool = False
             ) -> tuple[str, str | None]:
    """Message and hint for a data error, in plain words: ``kind`` is Frictionless' error
    type (``type-error``, ``constraint-error``, ...), ``cell`` the raw value and ``note``
    Frictionless' note (``type is "number/default"``, ``constraint "required" is "True"``),
    which is parsed here so no reader ever sees it."""
    value = _shown(cell)
    note = note or ""
    if kind == "type-error":
        m = _TYPE_NOTE.match(note)
        ftype, fmt = (m.group(1), m.group(2)) if m else ("value", "default")
        raw = "" if cell is None else str(cell).strip()
        shown_fmt = _human_format(fmt if fmt not in ("default", "any") else {
            "date": "%Y-%m-%d", "datetime": "%Y-%m-%dT%H:%M:%S", "time": "%H:%M:%S"
        }.get(ftype, fmt))
        if ftype == "string" and fmt in ("email", "uri", "uuid"):
            code = f"type-{fmt}"
        elif f"type-{ftype}" in MESSAGES:
            code = f"type-{ftype}"
        else:
            code = "type-other"
        message = text(code, value=value, format=shown_fmt, type=ftype)
        example = (_strftime_example(fmt) if fmt not in ("default", "any") and "%" in fmt
                   else _EXAMPLES.get(ftype, ""))
        if published:
            return message, hint("published-type")
        if ftype == "number" and _FR_NUMBER.match(raw) and ("," in raw or " " in raw):
            return message, hint("type-number-fr")
        if ftype == "integer" and _GROUPED_INT.match(raw):
            return message, hint("type-integer-fr")
        if ftype == "date" and _FR_DATE.match(raw) and fmt != "%d/%m/%Y":
            return message, hint("type-date-fr", example=example)
        if ftype == "boolean":
            return message, hint("type-boolean", values="true, false, 1, 0")
        return message, hint(code if code in HINTS else "type-other", example=example)
    if kind == "constraint-error":
        m = _CONSTRAINT_NOTE.match(note)
        constraint, limit = (m.group(1), m.group(2)) if m else ("?", note)
        if constraint == "enum":
            limit = _enum_list(limit)
        code = (f"constraint-{constraint}" if f"constraint-{constraint}" in MESSAGES
                else "constraint-other")
        return (text(code, value=value, limit=limit, constraint=constraint),
                hint(code if code in HINTS else "constraint-other"))
    if kind in ("unique-error", "primary-key"):
        m = re.search(r"position \"?(\d+)", note)
        if m:
            return text(kind, value=value, previous=m.group(1)), hint(kind)
        if kind == "primary-key":
            return text("primary-key-empty"), hint("primary-key-empty")
    if kind in MESSAGES:
        return text(kind, value=value), hint(kind)
    return note, None


def _enum_list(limit: str) -> str:
    """``['a', 'b']`` as Frictionless prints it -> ``a, b`` (the first ten)."""
    import ast

    try:
        values = ast.literal_eval(limit)
    except (ValueError, SyntaxError):
        return limit
    if not isinstance(values, list | tuple):
        return limit
    shown = ", ".join(str(v) for v in values[:10])
    return shown + (", ..." if len(values) > 10 else "")
