"""The schema as the engine reads it: plain descriptors without loading Frictionless.

Importing Frictionless and building its ``Schema`` costs ~0.2 s per process, a tenth of
checking a million rows.  Most stewards' schemas are plain: known types, constraints of
the right kinds, string missing values, a primary key among the fields.  For those,
:func:`plain_schema` gives the facts the engine compiles its checks from (each field's type,
format, constraints, missing values and number characters), as Frictionless would read
them, and a cell reader that loads Frictionless only when a cell needs it (the exact tier).

``plain_schema`` is a *sufficient* test of what Frictionless accepts, not a copy of its
rules: anything outside it (foreign keys, examples, exclusive bounds, unknown types or
formats, a header that names a column the schema lacks, ...) returns None, and the engine
builds Frictionless' own ``Schema`` as before.  The tests check, on generated and on every
national schema, that whatever it accepts Frictionless accepts and reads the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

#: the constraints each type checks, in the order Frictionless reports them (its field
#: classes' ``supported_constraints``; a test compares them with the installed version)
SUPPORTED: dict[str, list[str]] = {
    "string": ["required", "minLength", "maxLength", "pattern", "enum"],
    "number": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
               "enum"],
    "integer": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                "enum"],
    "boolean": ["required", "enum"],
    "date": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"],
    "time": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"],
    "datetime": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                 "enum"],
    "year": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"],
    "yearmonth": ["required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                  "enum"],
    "duration": ["required", "enum"],
    "geopoint": ["required", "enum"],
    "geojson": ["required", "enum"],
    "object": ["required", "minLength", "maxLength", "enum"],
    "array": ["required", "minLength", "maxLength", "enum"],
    "any": ["required", "enum"],
}
#: the formats a type's profile allows, where it restricts them
FORMATS: dict[str, set[str]] = {
    "string": {"default", "email", "uri", "binary", "uuid", "wkt"},
    "geojson": {"default", "topojson"},
}
#: field keys of one type only, with the JSON type Frictionless' profile wants
TYPE_KEYS: dict[str, dict[str, type]] = {
    "number": {"bareNumber": bool, "decimalChar": str, "groupChar": str},
    "integer": {"bareNumber": bool},
}
#: keys Frictionless reads or judges that a plain field must not carry: a truthy
#: ``example`` is read with the field's reader, top-level ``required`` is an error, the
#: others change how cells read in ways the plain facts do not describe
_FIELD_REFUSED = {"example", "required", "floatNumber", "trueValues", "falseValues",
                  "arrayItem", "fieldsMatch", "$schema", "profile"}
_FIELD_STRINGS = {"title", "description", "rdfType", "format", "name", "type"}
_SCHEMA_REFUSED = {"foreignKeys", "type", "profile"}
_NAME = re.compile(r"^([-a-z0-9._/])+$")
_BOOL_CONSTRAINTS = {"required", "unique"}
_INT_CONSTRAINTS = {"minLength", "maxLength"}
_EXCLUSIVE = {"exclusiveMinimum", "exclusiveMaximum"}
_TYPE_ATTRS = {"bareNumber": "bare_number", "decimalChar": "decimal_char",
               "groupChar": "group_char"}


def _str_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _plain_field(desc: Any) -> bool:
    if not isinstance(desc, dict):
        return False
    name = desc.get("name")
    if not isinstance(name, str) or not name:
        return False
    ftype = desc.get("type", "string")
    if ftype not in SUPPORTED:
        return False
    fmt = desc.get("format", "default")
    if not isinstance(fmt, str) or fmt.startswith("fmt:") or (
            ftype in FORMATS and fmt not in FORMATS[ftype]):
        return False
    own = TYPE_KEYS.get(ftype, {})
    other = {k for keys in TYPE_KEYS.values() for k in keys} - set(own)
    for key, value in desc.items():
        if key in _FIELD_REFUSED and (key != "example" or value):
            return False
        if key in _FIELD_STRINGS and not isinstance(value, str):
            return False
        if key in own and not isinstance(value, own[key]):
            return False
        if key in other:
            return False  # another type's key: not what this type's profile describes
        if key == "missingValues" and not _str_list(value):
            return False
    if desc.get("decimalChar") == "" or (
            "decimalChar" in desc and desc.get("decimalChar") == desc.get("groupChar")):
        return False
    constraints = desc.get("constraints", {})
    if not isinstance(constraints, dict):
        return False
    allowed = set(SUPPORTED[ftype]) | {"unique"}
    for key, value in constraints.items():
        if key not in allowed or key in _EXCLUSIVE:
            return False
        if key in _BOOL_CONSTRAINTS and not isinstance(value, bool):
            return False
        if key in _INT_CONSTRAINTS and (not isinstance(value, int) or isinstance(value, bool)):
            return False
        if key == "pattern":
            if not isinstance(value, str):
                return False
            try:  # Frictionless compiles it when it makes the cell reader
                re.compile(value)
            except (re.error, RecursionError, OverflowError):
                return False
        if key == "enum" and not isinstance(value, list):
            return False
    return True


def plain_schema(prepared: dict[str, Any], labels: list[str] | None) -> PlainSchema | None:
    """The plain facts of ``prepared`` (the descriptor Frictionless would run), its fields
    paired with ``labels`` by name (None: by position, as the schema lists them); None
    when the descriptor is not one this module vouches for (see the module docstring)."""
    if not isinstance(prepared, dict):
        return None
    fields = prepared.get("fields")
    if not isinstance(fields, list) or not fields:
        return None
    for key, value in prepared.items():
        if key in _SCHEMA_REFUSED:
            return None
        if key in ("title", "description", "$schema") and not isinstance(value, str):
            return None
        if key == "name" and not (isinstance(value, str) and _NAME.match(value)):
            return None
        if key == "missingValues" and not _str_list(value):
            return None
        if key == "fieldsMatch" and value not in ("exact", "equal", "subset", "superset",
                                                  "partial"):
            return None
    if not all(_plain_field(f) for f in fields):
        return None
    names = [f["name"] for f in fields]
    if len(set(names)) != len(names):
        return None
    pk = prepared.get("primaryKey", [])
    if isinstance(pk, str):
        pk = [pk]
    if not _str_list(pk) or not set(pk) <= set(names):
        return None
    missing = list(prepared.get("missingValues", [""]))
    if labels is not None:
        # Frictionless' partial match: one field per label, fields without a column
        # dropped; a label without a field gets a made-up ``any`` field: not plain
        if prepared.get("fieldsMatch", "exact") != "partial":
            return None
        by_name = {f["name"]: f for f in fields}
        if not labels:  # no header at all: Frictionless keeps every field
            return None
        if len(set(labels)) != len(labels) or not all(label in by_name for label in labels):
            return None
        fields = [by_name[label] for label in labels]
    schema = PlainSchema(prepared, labels, missing, pk)
    schema.fields = [PlainField(f, schema) for f in fields]
    return schema


class PlainSchema:
    """A plain descriptor's facts; Frictionless' ``Schema`` built only when a reader is."""

    def __init__(self, prepared: dict[str, Any], labels: list[str] | None,
                 missing_values: list[str], primary_key: list[str]):
        self.prepared, self.labels = prepared, labels
        self.missing_values = missing_values
        self.primary_key = primary_key
        self.foreign_keys: list[Any] = []  # a schema with foreign keys is not plain
        self.fields: list[PlainField] = []
        self._frictionless: dict[str, Any] | None = None

    def frictionless_field(self, name: str) -> Any:
        """Frictionless' own field ``name``, bound to its schema as the reference path
        binds it (the first call imports Frictionless)."""
        if self._frictionless is None:
            from frictionless import Schema

            schema = Schema.from_descriptor(self.prepared)
            self._frictionless = {f.name: f for f in schema.fields}
        return self._frictionless[name]


class PlainField:
    """The attributes of a Frictionless field that the engine compiles from."""

    def __init__(self, desc: dict[str, Any], schema: PlainSchema):
        self.descriptor, self.schema = desc, schema
        self.name: str = desc["name"]
        self.type: str = desc.get("type", "string")
        self.format: str = desc.get("format", "default")
        self.constraints: dict[str, Any] = dict(desc.get("constraints", {}))
        self.bare_number: bool = desc.get("bareNumber", True)
        self.decimal_char: str = desc.get("decimalChar", ".")
        self.group_char: str = desc.get("groupChar", "")
        self.float_number = False
        self.missing_values: list[str] = list(desc.get("missingValues",
                                                       schema.missing_values))
        self.supported_constraints = SUPPORTED[self.type]

    def has_defined(self, name: str) -> bool:
        return name == "missing_values" and "missingValues" in self.descriptor

    def list_defined(self) -> list[str]:
        return [attr for key, attr in _TYPE_ATTRS.items() if key in self.descriptor]

    def create_cell_reader(self) -> Callable[[str], tuple[Any, dict[str, str] | None]]:
        """Frictionless' cell reader, made on the first cell that needs it."""
        reader: list[Callable[[str], tuple[Any, dict[str, str] | None]]] = []

        def read(cell: str) -> tuple[Any, dict[str, str] | None]:
            if not reader:
                reader.append(self.schema.frictionless_field(self.name).create_cell_reader())
            return reader[0](cell)

        return read

    def create_value_reader(self) -> Callable[[Any], Any]:
        """What Frictionless' value reader gives for a constraint's value: computed for the
        values a JSON descriptor holds natively (a string for a string field, an integer
        for an integer one, a number for a number one), Frictionless' own reader for any
        other."""
        ftype, fmt = self.type, self.format

        def read(value: Any) -> Any:
            if ftype == "string" and fmt == "default" and isinstance(value, str):
                return value
            if ftype in ("integer", "number") and isinstance(value, int) and \
                    not isinstance(value, bool):
                return value
            if ftype == "number" and isinstance(value, float):
                return Decimal(str(value))
            return self.schema.frictionless_field(self.name).create_value_reader()(value)

        return read
