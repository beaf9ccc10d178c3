"""Files that are not the CSV they claim to be: one clear finding each, never a traceback,
never rows lost in silence."""

from __future__ import annotations

import gzip
import zipfile
from dataclasses import asdict
from pathlib import Path

import pytest

from opendata.validation import engine
from opendata.validation.tabular import validate_table

SCHEMA = {"fields": [{"name": "id", "type": "integer", "constraints": {"required": True}},
                     {"name": "nom", "type": "string"}]}
DIALECT = {"delimiter": ";"}
KW = {"dataset": "d", "resource": "r"}


def check(path: Path) -> engine.EngineResult:
    return engine.validate_table(path, "d/t.csv", SCHEMA, DIALECT, **KW)


def test_truncated_inside_a_quoted_field(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b'id;nom\n1;a\n2;"b\n3;c\n4;d\n')  # the quote on line 3 never closes
    result = check(path)
    [issue] = result.issues
    assert issue.code == "unclosed-quote" and issue.line == 3 and issue.row == 3
    assert "never closed" in issue.message and issue.hint
    assert result.rows == 1  # the row before it was checked, and said so
    # the reference path reads the rest of the file as one value and reports a cell
    ref = validate_table(path, "d/t.csv", SCHEMA, DIALECT, **KW)
    assert all(i.code != "unclosed-quote" for i in ref.issues)


def test_rows_before_an_unclosed_quote_are_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b'id;nom\n1;a\nx;b\n2;"c\n')
    codes = [(i.code, i.row) for i in check(path).issues]
    assert codes == [("type-error", 3), ("unclosed-quote", 4)]


def test_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"id;nom\n1;a\n2;b\x00c\n")
    [issue] = check(path).issues
    assert issue.code == "nul-byte" and issue.line == 3


def test_mixed_line_endings_read_as_the_reference_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"id;nom\r\n1;a\n2;b\r\nx;c\n4;d\r\n")
    fast = check(path)
    ref = validate_table(path, "d/t.csv", SCHEMA, DIALECT, **KW)
    assert [asdict(i) for i in fast.issues] == [asdict(i) for i in ref.issues]
    assert fast.rows == ref.rows == 4


def test_a_record_without_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a 100 MB single line, scaled down: the limit is what matters
    monkeypatch.setattr(engine, "MAX_RECORD", 4096)
    monkeypatch.setattr(engine, "BLOCK_SIZE", 1024)
    path = tmp_path / "t.csv"
    path.write_bytes(b"id;nom\n1;a\n2;" + b"x" * 10_000)
    result = check(path)
    assert [(i.code, i.line) for i in result.issues] == [("record-too-long", 3)]


def test_ten_thousand_columns(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    header = ";".join(["id", "nom"] + [f"c{i}" for i in range(9998)])
    path.write_text(header + "\n" + ";".join(["1", "a"] + ["v"] * 9998) + "\n",
                    encoding="utf-8")
    result = engine.validate_table(path, "d/t.csv", SCHEMA, DIALECT, **KW,
                                   columns={"extra": "error"})
    # the header matcher names each extra column once, on line 1; the row is still read
    assert {(i.code, i.line) for i in result.issues} == {("extra-column", 1)}
    assert len(result.issues) == 9998 and result.rows == 1


@pytest.mark.parametrize("name, payload, words", [
    ("utf16", "id;nom\n1;é\n".encode("utf-16"), "UTF-16"),
    ("utf16le", "id;nom\n1;é\n".encode("utf-16-le"), "UTF-16"),
    ("gzip", gzip.compress(b"id;nom\n1;a\n"), "gzip-compressed"),
])
def test_not_text(tmp_path: Path, name: str, payload: bytes, words: str) -> None:
    """One finding saying what the file is, worded as the reference path words it."""
    path = tmp_path / "t.csv"
    path.write_bytes(payload)
    [issue] = check(path).issues
    assert issue.code == "not-text" and issue.line == 1 and issue.hint
    assert words in issue.message
    ref = validate_table(path, "d/t.csv", SCHEMA, DIALECT, **KW)
    assert [asdict(i) for i in ref.issues] == [asdict(issue)]


def test_a_spreadsheet_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    [issue] = check(path).issues
    assert issue.code == "not-text" and "spreadsheet" in issue.message
