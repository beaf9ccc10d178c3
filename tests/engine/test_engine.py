"""The engine on real catalogs, on batch boundaries, and its exact totals."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from opendata.validation import engine
from opendata.validation.tabular import validate_table
from opendata.validation.validator import validate

REPO = Path(__file__).resolve().parents[2]
KW = {"dataset": "d", "resource": "r"}


def _report(root: Path, monkeypatch: pytest.MonkeyPatch, mode: str) -> dict:
    monkeypatch.setenv("OPENDATA_ENGINE", mode)
    report = validate(root, use_cache=False)
    data = report.to_dict()
    for ds in data["datasets"]:
        for res in ds["resources"]:
            for key in ("engine", "engine_note", "error_counts", "error_count"):
                res.pop(key)
    return data


def test_shipped_catalog_same_report_through_both_paths(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".dev", ".opendata", "dist", "tests", "opendata", "benchmarks"))
    monkeypatch.setenv("OPENDATA_ENGINE", "auto")
    fast = validate(root, use_cache=False)
    engines = {r.engine for d in fast.datasets.values() for r in d.resources}
    assert engines == {"columnar"}, [(r.name, r.engine_note) for d in fast.datasets.values()
                                     for r in d.resources if r.engine != "columnar"]
    assert _report(root, monkeypatch, "auto") == _report(root, monkeypatch, "frictionless")


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SCHEMA = {"fields": [{"name": "id", "type": "integer", "constraints": {"minimum": 1}},
                     {"name": "code", "type": "string", "constraints": {"unique": True}},
                     {"name": "montant", "type": "number", "decimalChar": ","},
                     {"name": "jour", "type": "date", "format": "%d/%m/%Y"}],
          "primaryKey": ["id"]}


def test_small_batches_give_the_findings_of_one_pass(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # duplicates, bad values and blank rows spread over many batches of a few rows each
    lines = ["id;code;montant;jour"]
    for i in range(1, 400):
        ident = i if i % 37 else i - 5  # repeated keys, some batches apart
        code = f"C{i % 150}"
        amount = "abc" if i % 53 == 0 else f"{i},5"
        day = "31/02/2020" if i % 41 == 0 else f"{(i % 28) + 1:02d}/01/2020"
        lines.append(";;;" if i % 97 == 0 else f"{ident};{code};{amount};{day}")
    path = _write(tmp_path / "t.csv", lines)
    dialect = {"delimiter": ";"}
    ref = validate_table(path, "t.csv", SCHEMA, dialect, **KW)
    monkeypatch.setattr(engine, "BLOCK_SIZE", 256)
    fast = engine.validate_table(path, "t.csv", SCHEMA, dialect, **KW)
    assert [asdict(i) for i in fast.issues] == [asdict(i) for i in ref.issues]
    assert fast.rows == ref.rows == 399


def test_totals_are_exact_past_the_findings_kept(tmp_path: Path) -> None:
    lines = ["id;code;montant;jour"]
    for i in range(1, 5001):
        lines.append(f"{i};C{i};x{i};01/01/2020")  # one type error a row
    path = _write(tmp_path / "t.csv", lines)
    ref = validate_table(path, "t.csv", SCHEMA, {"delimiter": ";"}, **KW)
    fast = engine.validate_table(path, "t.csv", SCHEMA, {"delimiter": ";"}, **KW,
                                 max_findings=1000)
    # the reference stops at its cap and counts only the rows it read
    assert ref.truncated and ref.rows == 1000 and len(ref.issues) == 1000
    assert fast.truncated and fast.rows == 5000 and len(fast.issues) == 1000
    assert [asdict(i) for i in fast.issues] == [asdict(i) for i in ref.issues]
    assert fast.error_total == 5000
    assert fast.error_counts == [{"field": "montant", "code": "type-error", "count": 5000}]


def test_report_says_which_path_checked_each_resource(catalog: Path, demo: Path) -> None:
    data = validate(catalog, use_cache=False).to_dict()
    [res] = data["datasets"][0]["resources"]
    assert res["engine"] == "columnar" and res["engine_note"] is None
    manifest = demo / "dataset.yaml"
    text = manifest.read_text(encoding="utf-8")
    old = 'dialect: {delimiter: ";", encoding: utf-8, decimalChar: ","}'
    assert old in text
    manifest.write_text(text.replace(old, old[:-1] + ', commentChar: "#"}'), encoding="utf-8")
    data = validate(catalog, use_cache=False).to_dict()
    [res] = data["datasets"][0]["resources"]
    assert res["engine"] == "frictionless"
    assert res["engine_note"] == "dialect commentChar"
    assert json.dumps(data)  # still the JSON report


def _mutate(root: Path) -> int:
    """Inject errors in every shipped CSV: a blank line, a digit turned into a letter, the
    first data row repeated at the end (keys); returns how many files were changed."""
    import re

    n = 0
    for path in sorted((root / "datasets").glob("*/*.csv")):
        raw = path.read_bytes()
        eol = b"\r\n" if b"\r\n" in raw else b"\n"
        lines = raw.split(eol)
        if lines and lines[-1] == b"":
            lines.pop()
        if len(lines) < 4:
            continue
        lines[3] = re.sub(rb"[0-9]", b"x", lines[3], count=1)
        lines.insert(2, b"")
        lines.append(lines[1])
        path.write_bytes(eol.join(lines) + eol)
        n += 1
    return n


def test_shipped_files_with_injected_errors_same_findings(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "catalog"
    shutil.copytree(REPO, root, ignore=shutil.ignore_patterns(
        ".git", ".venv", ".dev", ".opendata", "dist", "tests", "opendata", "benchmarks"))
    assert _mutate(root) > 20
    fast = _report(root, monkeypatch, "auto")
    ref = _report(root, monkeypatch, "frictionless")
    assert fast["issues"] == ref["issues"]
    assert fast["summary"]["errors"] > 40
    assert fast == ref


def test_text_and_json_reports_give_the_true_totals(cli, demo: Path) -> None:
    rows = ["territoire;nb_api;taux;date_releve"]
    rows += [f"T{i};x;1,5;01/01/2006" for i in range(2500)]  # 2,500 type errors
    (demo / "points.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = cli("validate", "--no-cache", "--format", "json")
    [res] = json.loads(result.stdout)["datasets"][0]["resources"]
    assert res["rows"] == 2500 and res["error_count"] == 2500 and res["errors_truncated"]
    assert res["error_counts"] == [{"field": "nb_api", "code": "type-error", "count": 2500}]
    text = cli("validate", "--no-cache").stdout
    assert "points: 2500 rows" in text
    assert "2490" in text and "stopped" not in text and "arrêt" not in text


def test_cp1252_cells_quoted_in_messages_as_the_reference_quotes_them(tmp_path: Path) -> None:
    schema = {"fields": [{"name": "nom", "type": "string", "constraints": {"maxLength": 3}},
                         {"name": "prix", "type": "number", "decimalChar": ","}]}
    path = tmp_path / "t.csv"
    lines = ["nom;prix", "Créé;1,5", "ok;12 €", "’x’y;2"]  # latin-1 and cp1252-only chars
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))
    dialect = {"delimiter": ";", "encoding": "cp1252"}
    ref = validate_table(path, "t.csv", schema, dialect, **KW)
    fast = engine.validate_table(path, "t.csv", schema, dialect, **KW)
    assert [asdict(i) for i in fast.issues] == [asdict(i) for i in ref.issues]
    assert len(fast.issues) == 3
