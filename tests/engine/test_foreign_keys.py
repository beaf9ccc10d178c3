"""Foreign keys: the columnar engine against the reference path, finding by finding.

Hypothesis builds a referenced table and a table pointing at it (single and composite
keys, self-references, several keys at once, with a primary key or unique fields beside
them), from pools of cells where equal values are written differently (``1``, ``007``,
``1.0``, ``true``) and missing or unreadable cells are common; both paths validate the
same files and must agree on every finding, in order.  Seeded (``derandomize``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_differential import findings, write  # the same CSV writer and comparison

from opendata.validation import engine
from opendata.validation.references import Reference
from opendata.validation.tabular import validate_table

POOLS: dict[str, list[str]] = {
    "integer": ["1", "2", "3", "007", "+2", "x", "", "1.0", "NA"],
    "number": ["1", "1.0", "1.50", "1.5", "2", "x", "", "3", "-0"],
    "string": ["1", "2", "a", "b", "", "A", "1.0"],
    "date": ["2024-01-01", "2024-01-02", "2024-1-1", "x", ""],
    "boolean": ["true", "false", "1", "0", "x", ""],
    "year": ["2024", "2025", "1", "x", ""],
}
TYPES = sorted(POOLS)
KW = {"dataset": "d"}
COUNT = {"compared": 0, "handed_back": 0, "foreign_key_findings": 0}


def both(path: Path, schema: dict[str, Any], refs: dict[str, Reference]) -> tuple[Any, Any]:
    ref = validate_table(path, "d/t.csv", schema, {}, resource="t", references=refs, **KW)
    fast = engine.validate_table(path, "d/t.csv", schema, {}, resource="t", references=refs,
                                 **KW)
    return ref, fast


@st.composite
def case_st(draw: Any) -> tuple[dict[str, Any], list[list[str]], dict[str, Any],
                                list[list[str]]]:
    rtypes = [draw(st.sampled_from(TYPES)) for _ in range(draw(st.integers(1, 3)))]
    rschema: dict[str, Any] = {"fields": [{"name": f"k{i}", "type": t}
                                          for i, t in enumerate(rtypes)]}
    rrows = draw(st.lists(st.tuples(*[st.sampled_from(POOLS[t]) for t in rtypes]),
                          max_size=8))
    ftypes = [draw(st.sampled_from(TYPES)) for _ in range(draw(st.integers(1, 4)))]
    fields: list[dict[str, Any]] = [{"name": f"f{i}", "type": t} for i, t in enumerate(ftypes)]
    for fld in fields:
        if draw(st.integers(0, 5)) == 0:
            fld["constraints"] = {"unique": True}
    schema: dict[str, Any] = {"fields": fields}
    if draw(st.integers(0, 3)) == 0:
        schema["primaryKey"] = [draw(st.sampled_from([f["name"] for f in fields]))]
    fks = []
    for _ in range(draw(st.integers(1, 3))):
        width = draw(st.integers(1, min(2, len(fields))))
        names = draw(st.lists(st.sampled_from([f["name"] for f in fields]), min_size=width,
                              max_size=width, unique=True))
        if draw(st.integers(0, 3)) == 0:  # a self-reference
            target = draw(st.lists(st.sampled_from([f["name"] for f in fields]),
                                   min_size=width, max_size=width))
            source = draw(st.sampled_from(["", "t"]))
        else:
            target = draw(st.lists(st.sampled_from([f["name"] for f in rschema["fields"]]),
                                   min_size=width, max_size=width))
            source = "ref"
        fks.append({"fields": names, "reference": {"resource": source, "fields": target}})
    schema["foreignKeys"] = fks
    rows = draw(st.lists(st.tuples(*[st.sampled_from(POOLS[t]) for t in ftypes]),
                         max_size=15))
    return schema, [list(r) for r in rows], rschema, [list(r) for r in rrows]


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=case_st())
def test_generated_foreign_keys_give_identical_findings(case: Any, tmp_path: Path) -> None:
    schema, rows, rschema, rrows = case
    path, rpath = tmp_path / "t.csv", tmp_path / "ref.csv"
    write(path, [f["name"] for f in schema["fields"]], rows)
    write(rpath, [f["name"] for f in rschema["fields"]], rrows)
    refs = {"ref": Reference("ref", rpath, rschema, {})}
    try:
        ref, fast = both(path, schema, refs)
    except engine.HandBack:
        COUNT["handed_back"] += 1
        return
    COUNT["compared"] += 1
    COUNT["foreign_key_findings"] += sum(i.code == "foreign-key" for i in ref.issues)
    assert findings(fast) == findings(ref), (schema, rows, rrows)
    assert fast.error_total == sum(1 for i in ref.issues if i.severity == "error")


def test_the_generated_cases_ran_through_the_engine() -> None:
    # runs after the property test in file order
    if not COUNT["compared"] + COUNT["handed_back"]:
        pytest.skip("run with the property test")
    print(COUNT)
    assert COUNT["handed_back"] == 0, COUNT
    assert COUNT["foreign_key_findings"] > 100, COUNT


# -- hand cases -----------------------------------------------------------------------------

REF_SCHEMA = {"fields": [{"name": "code", "type": "string"}, {"name": "annee", "type": "year"},
                         {"name": "nom", "type": "string"}]}
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "commune", "type": "string"},
                     {"name": "annee", "type": "year"}, {"name": "parent", "type": "integer"}],
          "primaryKey": ["id"],
          "foreignKeys": [
              {"fields": "commune", "reference": {"resource": "communes", "fields": "code"}},
              {"fields": ["commune", "annee"],
               "reference": {"resource": "communes", "fields": ["code", "annee"]}},
              {"fields": "parent", "reference": {"resource": "", "fields": "id"}}]}


def _files(tmp_path: Path, rows: list[str]) -> tuple[Path, dict[str, Reference]]:
    ref = tmp_path / "communes.csv"
    ref.write_text("code,annee,nom\n86194,2024,Poitiers\n86066,2023,Châtellerault\n,2024,\n",
                   encoding="utf-8")
    path = tmp_path / "t.csv"
    path.write_text("id,commune,annee,parent\n" + "".join(r + "\n" for r in rows),
                    encoding="utf-8")
    return path, {"communes": Reference("communes", ref, REF_SCHEMA, {})}


def test_hand_cases_single_composite_self_and_missing(tmp_path: Path) -> None:
    path, refs = _files(tmp_path, [
        "1,86194,2024,",        # all found; no parent: not checked
        "2,86194,2023,1",       # the pair (86194, 2023) does not exist
        "3,99999,2024,7",       # unknown commune, the pair, and no row 7
        "4,,2024,x",            # empty commune: single key skipped; (None, 2024) exists
        "5,,,",                 # every key cell empty: nothing to check
    ])
    ref, fast = both(path, SCHEMA, refs)
    assert findings(fast) == findings(ref)
    got = [(i.code, i.row, i.field) for i in fast.issues]
    assert got == [
        ("foreign-key", 3, "commune, annee"),
        ("foreign-key", 4, "commune"), ("foreign-key", 4, "commune, annee"),
        ("foreign-key", 4, "parent"),
        ("type-error", 5, "parent"),
    ]
    [unknown] = [i for i in fast.issues if i.row == 4 and i.field == "commune"]
    assert unknown.message.startswith("'99999' (commune) has no match in communes (code)")
    [parent] = [i for i in fast.issues if i.field == "parent" and i.code == "foreign-key"]
    assert "has no match in t (id)" in parent.message  # a self-reference names the file
    assert {(c["field"], c["count"]) for c in fast.error_counts
            if c["code"] == "foreign-key"} == {("commune", 1), ("commune, annee", 2),
                                               ("parent", 1)}


def test_equal_values_written_differently_match(tmp_path: Path) -> None:
    # Frictionless compares typed values: 007 is 7, 1.50 is 1.5, an integer is a number
    ref = tmp_path / "r.csv"
    ref.write_text("n,x\n7,1.5\n2,3\n", encoding="utf-8")
    path = tmp_path / "t.csv"
    path.write_text("a,b\n007,1.50\n+2,3.0\n2,3.1\n", encoding="utf-8")
    refs = {"r": Reference("r", ref, {"fields": [{"name": "n", "type": "number"},
                                                 {"name": "x", "type": "number"}]}, {})}
    schema = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "number"}],
              "foreignKeys": [{"fields": ["a", "b"],
                               "reference": {"resource": "r", "fields": ["n", "x"]}}]}
    ref_result, fast = both(path, schema, refs)
    assert findings(fast) == findings(ref_result)
    assert [(i.row, i.message.split(" (")[0]) for i in fast.issues] == [(4, "'2, 3.1'")]


def test_a_key_to_a_resource_the_dataset_lacks_goes_to_the_reference_path(
        tmp_path: Path) -> None:
    path, _ = _files(tmp_path, ["1,86194,2024,"])
    with pytest.raises(engine.HandBack):
        engine.validate_table(path, "d/t.csv", SCHEMA, {}, resource="t", references={}, **KW)
    [issue] = validate_table(path, "d/t.csv", SCHEMA, {}, resource="t", references={},
                             **KW).issues
    assert issue.message == ("the schema: a foreign key points at resource 'communes', which "
                             "this dataset does not have")
    assert "`reference.resource`" in (issue.hint or "")


def test_keys_over_arrays_are_a_warning_on_the_reference_path(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_text('id,tags\n1,"[1]"\n2,"[1]"\n3,x\n', encoding="utf-8")
    schema = {"fields": [{"name": "id", "type": "integer"},
                         {"name": "tags", "type": "array", "constraints": {"unique": True}}],
              "primaryKey": ["tags"]}
    ref = validate_table(path, "d/t.csv", schema, {}, resource="t", **KW)
    assert [(i.code, i.severity) for i in ref.issues] == [
        ("key-type-unsupported", "warning"), ("key-type-unsupported", "warning"),
        ("type-error", "error")]
    fast = engine.validate_table(path, "d/t.csv", schema, {}, resource="t", **KW)
    # the engine keys them (by their JSON text): the duplicate and the empty key
    assert [(i.code, i.row) for i in fast.issues] == [
        ("unique-error", 3), ("primary-key", 3), ("type-error", 4), ("primary-key", 4)]


@pytest.mark.parametrize("what, why", [
    ("sheet", "its sheet cannot be read"),
    ("no-file", "its file is missing"),
    ("no-schema", "it has no Table Schema"),
])
def test_a_key_to_a_resource_that_cannot_be_read_says_so(catalog: Path, demo: Path,
                                                         what: str, why: str) -> None:
    """The dataset has the resource, but its keys cannot be read: the finding says why and
    points at the resource's own finding, instead of saying it does not exist."""
    from opendata.validation.validator import validate

    schema = json.loads((demo / "points.schema.json").read_text(encoding="utf-8"))
    schema["foreignKeys"] = [{"fields": ["territoire"],
                              "reference": {"resource": "zones", "fields": ["nom"]}}]
    (demo / "points.schema.json").write_text(json.dumps(schema), encoding="utf-8")
    (demo / "zones.schema.json").write_text(json.dumps(
        {"fields": [{"name": "nom", "type": "string"}]}), encoding="utf-8")
    if what == "sheet":
        (demo / "zones.xlsx").write_bytes(b"PK\x03\x04 this is no spreadsheet")
    entry = {"sheet": "    path: zones.xlsx\n    format: xlsx\n    schema: zones.schema.json\n",
             "no-file": "    path: zones.csv\n    format: csv\n    schema: zones.schema.json\n",
             "no-schema": "    path: zones.csv\n    format: csv\n"}[what]
    if what == "no-schema":
        (demo / "zones.csv").write_text("nom\nAunis\n", encoding="utf-8")
    manifest = demo / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + "  - name: zones\n" + entry,
                        encoding="utf-8")
    report = validate(catalog, use_cache=False)
    [issue] = [i for i in report.issues if i.resource == "points" and "zones" in i.message]
    assert issue.message == (f"datasets/demo/points.schema.json: a foreign key points at "
                             f"resource 'zones', whose keys cannot be read ({why}): the "
                             f"values pointing at it are not checked")
    assert "Fix resource 'zones' first" in (issue.hint or "")
    assert not report.valid or what == "no-schema"
