"""Data files that are not what they claim: each gets a message that says what the file
is and what to do -- not the one-size "declare cp1252" hint, not a traceback."""

from __future__ import annotations

import codecs
import gzip
import json
from pathlib import Path

import pytest

CSV = "datasets/demo/points.csv"
SCHEMA = "datasets/demo/points.schema.json"


def issues(run) -> list[dict]:
    result = run("validate", "--format", "json", "--no-cache")
    assert result.exit_code == 1, result.output
    return json.loads(result.stdout)["issues"]


def original(catalog: Path) -> bytes:
    return (catalog / CSV).read_bytes()


@pytest.mark.parametrize("make, words, hint", [
    (lambda b: gzip.compress(b, mtime=0), "gzip-compressed", "gunzip"),
    (lambda b: codecs.BOM_UTF16_LE + b.decode().encode("utf-16-le"), "UTF-16", "utf-16"),
    (lambda b: b.decode().encode("utf-16-le"), "UTF-16", "UTF-8"),
    (lambda b: b"\x7fELF\x02\x01\x01" + bytes(200), "executable", "path"),
    (lambda b: b[:20] + b"\x00\x00\x01" + b[20:], "NUL bytes", "path"),
    (lambda b: b"PK\x03\x04" + bytes(60), "zip archive", "Extract"),
    (lambda b: b"%PDF-1.7\n" + bytes(10), "PDF", "pdf"),
])
def test_not_text_files_say_what_they_are(run, catalog, make, words, hint):
    (catalog / CSV).write_bytes(make(original(catalog)))
    found = issues(run)
    assert len(found) == 1, found
    assert words in found[0]["message"] and hint in found[0]["hint"], found
    assert "cp1252" not in found[0]["hint"]


def test_bom_plus_cp1252_is_explained_as_mixed_encodings(run, catalog):
    text = original(catalog).decode("utf-8")
    (catalog / CSV).write_bytes(codecs.BOM_UTF8 + text.encode("cp1252"))
    [issue] = issues(run)
    assert "byte order mark" in issue["message"] and "UTF-8" in issue["hint"]
    assert "Declare `dialect: {encoding: cp1252}`" not in issue["hint"]


def test_bytes_that_are_not_cp1252_either_are_not_hinted_cp1252(run, catalog):
    (catalog / CSV).write_bytes(original(catalog) + b"\x81\x8d\x8f\x90\x9d\n")
    [issue] = issues(run)
    assert issue["code"] == "encoding-mismatch" and "nor in cp1252" in issue["message"]
    assert "encoding: cp1252" not in issue["hint"]


def test_plain_cp1252_still_gets_the_cp1252_hint(run, catalog):
    text = original(catalog).decode("utf-8")
    (catalog / CSV).write_bytes(text.encode("cp1252"))
    [issue] = issues(run)
    assert "encoding: cp1252" in issue["hint"]


def test_foreign_key_message_has_no_placeholder_and_names_the_schema(run, catalog):
    schema = json.loads((catalog / SCHEMA).read_text(encoding="utf-8"))
    schema["foreignKeys"] = [{"fields": "territoire", "reference": {"resource": "other",
                                                                    "fields": "id"}}]
    (catalog / SCHEMA).write_text(json.dumps(schema), encoding="utf-8")
    found = issues(run)
    text = json.dumps(found)
    assert "{fk}" not in text
    # the dataset has no resource "other": one finding naming it, and what to write instead
    assert [i["message"].split(": ", 1)[1] for i in found] == [
        "a foreign key points at resource 'other', which this dataset does not have"], found
    assert all("points.schema.json" in i["message"] for i in found), found


def test_invalid_schema_for_frictionless_names_the_schema_file(run, catalog):
    schema = json.loads((catalog / SCHEMA).read_text(encoding="utf-8"))
    schema["primaryKey"] = ["nope"]
    (catalog / SCHEMA).write_text(json.dumps(schema), encoding="utf-8")
    found = issues(run)
    assert found and all("points.schema.json" in i["message"] for i in found), found


@pytest.mark.parametrize("content, words", [
    (b"\x7fELF\x02\x01\x01" + bytes(300), "executable"),
    (b"\x1f\x8b\x08" + bytes(50), "gzip"),
    (bytes(range(256)) * 4, "NUL"),
    (bytes(range(1, 256)) * 4, "cannot infer"),
    (codecs.BOM_UTF16_LE + "a;b\n1;2\n".encode("utf-16-le"), "UTF-16"),
])
def test_infer_on_a_binary_file(run, catalog, tmp_path, content, words):
    file = tmp_path / "data.csv"
    file.write_bytes(content)
    result = run("infer", str(file))
    assert result.exit_code == 2 and words in result.output, result.output


def test_infer_on_a_folder_or_missing_file(run, catalog, tmp_path):
    result = run("infer", str(tmp_path))
    assert result.exit_code == 2, result.output
    result = run("infer", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2, result.output
