"""plain_schema against Frictionless: whatever it vouches for, Frictionless accepts and reads
the same way (type, format, constraints, missing values, number characters, primary key,
pairing with the header), so the engine compiles the same checks without loading it."""

from __future__ import annotations

import json
from typing import Any

import frictionless
import pytest
from frictionless import Schema
from frictionless.table import Header
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.catalog.schemas import bundled_sdg_dir
from opendata.validation.engine import _Run
from opendata.validation.engine.fields import compile_field
from opendata.validation.engine.schema import FORMATS, SUPPORTED, TYPE_KEYS, plain_schema
from opendata.validation.tabular import _prepare_schema

TYPES = sorted(SUPPORTED)


def frictionless_fields(prepared: dict[str, Any], labels: list[str] | None) -> tuple[Any, list]:
    schema = Schema.from_descriptor(prepared)
    fields = list(schema.fields)
    if labels is not None:
        fields = Header(labels, fields=fields, row_numbers=[1],
                        fields_match="partial").get_expected_fields()
    return schema, fields


def assert_same(prepared: dict[str, Any], labels: list[str] | None) -> bool:
    """True when plain_schema vouches for ``prepared``; then Frictionless must agree."""
    plain = plain_schema(json.loads(json.dumps(prepared)), labels)
    if plain is None:
        return False
    schema, fields = frictionless_fields(prepared, labels)  # raises if it disagrees
    assert list(plain.missing_values) == list(schema.missing_values)
    assert list(plain.primary_key) == list(schema.primary_key)
    assert not schema.foreign_keys
    assert [f.name for f in plain.fields] == [f.name for f in fields]
    for mine, theirs in zip(plain.fields, fields, strict=True):
        assert (mine.type, mine.format) == (theirs.type, theirs.format)
        assert mine.constraints == {k: v for k, v in (theirs.constraints or {}).items()}
        assert mine.supported_constraints == list(type(theirs).supported_constraints)
        assert mine.has_defined("missing_values") == theirs.has_defined("missing_values")
        if mine.has_defined("missing_values"):
            assert mine.missing_values == list(theirs.missing_values)
        if mine.type in ("integer", "number"):
            assert mine.bare_number == theirs.bare_number
            defined = {"group_char", "decimal_char", "bare_number"}
            assert set(mine.list_defined()) & defined == set(theirs.list_defined()) & defined
        if mine.type == "number":
            assert (mine.decimal_char, mine.group_char, mine.float_number) == (
                theirs.decimal_char, theirs.group_char, theirs.float_number)
        read_mine, read_theirs = mine.create_value_reader(), theirs.create_value_reader()
        for name, value in mine.constraints.items():
            values = value if name == "enum" and isinstance(value, list) else [value]
            for v in values:
                got, want = read_mine(v), read_theirs(v)
                assert got == want and type(got) is type(want), (name, v, got, want)
        # the compiled checks are the same, from either field
        missing = mine.missing_values if mine.has_defined("missing_values") \
            else list(schema.missing_values)
        a, b = compile_field(mine, missing), compile_field(theirs, missing)
        assert (a.mode, a.fast_re, a.pattern_rust, a.constraints, a.notes, a.key_dtype) == (
            b.mode, b.fast_re, b.pattern_rust, b.constraints, b.notes, b.key_dtype)
        assert [bit for bit, _ in a.fast_checks] == [bit for bit, _ in b.fast_checks]
    return True


def test_the_tables_are_the_installed_frictionless_ones() -> None:
    for name in TYPES:
        cls = frictionless.system.select_field_class(name)
        assert SUPPORTED[name] == list(cls.supported_constraints), name
        patch = (getattr(cls, "metadata_profile_patch", None) or {}).get("properties", {})
        if "format" in patch:
            assert FORMATS[name] == set(patch["format"]["enum"]), name
        else:
            assert name not in FORMATS
        for key, kind in TYPE_KEYS.get(name, {}).items():
            assert patch[key]["type"] == {bool: "boolean", str: "string"}[kind]


def national_schemas() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(bundled_sdg_dir().rglob("*.json")):
        try:
            desc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        if isinstance(desc, dict) and isinstance(desc.get("fields"), list):
            out.append((str(path.relative_to(bundled_sdg_dir())), desc))
    return out


def test_every_national_schema_plain_or_left_to_frictionless() -> None:
    """Each national schema, as the engine prepares it, with its header in order and by
    position: where plain_schema vouches, Frictionless agrees on everything."""
    schemas = national_schemas()
    assert len(schemas) >= 100
    vouched = 0
    for _, desc in schemas:
        for published in (True, False):
            for by_name in (True, False):
                prepared = _prepare_schema(desc, {"decimalChar": ","}, by_name=by_name,
                                           published=published)
                labels = [f["name"] for f in desc["fields"]] if by_name else None
                vouched += assert_same(prepared, labels)
    # most of them carry examples (read by Frictionless' own reader): not plain, but
    # some are, so the agreement above was tested on real descriptors
    assert vouched > 0


CONSTRAINT_VALUES = st.sampled_from([
    ("required", True), ("required", "yes"), ("unique", False), ("minLength", 2),
    ("minLength", 2.5), ("minLength", True), ("maxLength", 3), ("pattern", "[0-9]{5}"),
    ("pattern", "a("), ("pattern", 5), ("enum", ["a", "b"]), ("enum", [1, 2.5, "3"]),
    ("enum", "a"), ("minimum", 0), ("minimum", 1.5), ("minimum", "2"), ("maximum", 100),
    ("maximum", True), ("exclusiveMinimum", 0), ("minimum", None), ("bogus", 1),
])
FIELD_KEYS = st.sampled_from([
    ("format", "default"), ("format", "%d/%m/%Y"), ("format", "email"), ("format", "any"),
    ("format", "fmt:%Y"), ("format", 3), ("missingValues", ["", "NA"]),
    ("missingValues", "NA"), ("bareNumber", False), ("bareNumber", "no"),
    ("decimalChar", ","), ("groupChar", " "), ("decimalChar", ""), ("floatNumber", True),
    ("example", "x"), ("example", ""), ("title", "T"), ("title", 1), ("required", True),
    ("trueValues", ["oui"]), ("examples", [1, 2]), ("rdfType", "http://x"),
])


@st.composite
def schema_st(draw: Any) -> tuple[dict[str, Any], list[str] | None]:
    n = draw(st.integers(1, 5))
    fields = []
    for i in range(n):
        fld: dict[str, Any] = {"name": draw(st.sampled_from([f"f{i}", f"f{i}", "", "x"]))}
        if draw(st.booleans()):
            fld["type"] = draw(st.sampled_from(TYPES + ["text"]))
        for key, value in draw(st.lists(FIELD_KEYS, max_size=3)):
            fld[key] = value
        if draw(st.booleans()):
            fld["constraints"] = dict(draw(st.lists(CONSTRAINT_VALUES, max_size=3)))
        fields.append(fld)
    desc: dict[str, Any] = {"fields": fields}
    names = [f["name"] for f in fields]
    if draw(st.booleans()):
        desc["primaryKey"] = draw(st.sampled_from([names[0], names[:2], ["zz"], 3]))
    if draw(st.booleans()):
        desc["missingValues"] = draw(st.sampled_from([[""], ["", "-"], ["NA"], "", [1]]))
    for key, value in draw(st.lists(st.sampled_from([
            ("$schema", "https://frictionlessdata.io/schemas/table-schema.json"),
            ("title", "x"), ("name", "Bad Name"), ("name", "ok-name"), ("homepage", 3),
            ("foreignKeys", []), ("fieldsMatch", "equal")]), max_size=2)):
        desc[key] = value
    by_name = draw(st.booleans())
    labels = None
    if by_name:
        labels = draw(st.permutations(names))
        labels = labels[:draw(st.integers(0, len(labels)))] + draw(
            st.lists(st.sampled_from(["extra", names[0]]), max_size=1))
    return desc, labels


@settings(max_examples=400, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(case=schema_st())
def test_generated_schemas_plain_only_where_frictionless_agrees(case: Any) -> None:
    desc, labels = case
    prepared = _prepare_schema(desc, {}, by_name=labels is not None)
    assert_same(prepared, labels)


def test_generated_schemas_are_often_plain() -> None:
    """The property above is not vacuous: the common shapes are vouched for."""
    prepared = _prepare_schema({"fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True, "minimum": 1}},
        {"name": "montant", "type": "number", "constraints": {"minimum": 0}},
        {"name": "date", "type": "date", "format": "%d/%m/%Y"},
        {"name": "code", "constraints": {"pattern": "[0-9]{5}", "enum": ["86000"]}},
    ], "primaryKey": "id", "missingValues": ["", "NA"]}, {"decimalChar": ","}, by_name=True)
    assert assert_same(prepared, ["date", "id", "code", "montant"])
    # a header naming a column the schema lacks: Frictionless makes up a field for it
    assert plain_schema(prepared, ["id", "montant", "autre"]) is None


@pytest.mark.parametrize("change", [
    {"foreignKeys": [{"fields": ["id"], "reference": {"resource": "", "fields": ["id"]}}]},
    {"fields": [{"name": "id", "type": "integer", "example": "abc"}]},
    {"fields": [{"name": "id", "type": "integer", "constraints": {"exclusiveMinimum": 0}}]},
    {"fields": [{"name": "id", "type": "integer", "required": True}]},
    {"fields": [{"name": "id", "type": "text"}]},
    {"fields": [{"name": "id"}, {"name": "id"}]},
    {"primaryKey": ["nope"]},
])
def test_what_is_left_to_frictionless(change: dict[str, Any]) -> None:
    desc = {"fields": [{"name": "id", "type": "integer"}], **change}
    assert plain_schema(desc, None) is None


def test_a_plain_schema_loads_no_frictionless_until_a_cell_needs_it(tmp_path: Any) -> None:
    """The engine on a plain schema whose cells all take the fast tier never reads a
    cell through Frictionless; one odd cell makes the exact tier load it, and its
    finding is Frictionless' own words."""
    import sys

    from opendata.validation.engine import validate_table

    schema = {"fields": [{"name": "id", "type": "integer"},
                         {"name": "v", "type": "number"}]}
    good = tmp_path / "good.csv"
    good.write_text("id,v\n1,2.5\n2,3\n", encoding="utf-8")
    calls: list[str] = []
    real = _Run._frictionless_fields

    def spy(self: Any, by_name: bool) -> Any:
        calls.append("schema")
        return real(self, by_name)

    _Run._frictionless_fields = spy  # type: ignore[method-assign]
    try:
        result = validate_table(good, "good.csv", schema, {}, dataset="d", resource="r")
        assert result.rows == 2 and not result.issues and calls == []
        bad = tmp_path / "bad.csv"
        bad.write_text("id,v\n1,2.5\n2, 3x\n", encoding="utf-8")
        result = validate_table(bad, "bad.csv", schema, {}, dataset="d", resource="r")
    finally:
        _Run._frictionless_fields = real  # type: ignore[method-assign]
    assert calls == []  # still plain: only the one cell went through Frictionless
    [issue] = result.issues
    assert (issue.code, issue.row, issue.field) == ("type-error", 3, "v")
    assert "frictionless" in sys.modules
