"""`opendata validate`: the JSON report, exit codes, selection of datasets, the cache."""

from __future__ import annotations

import json
import shutil

import pytest

from opendata.validation.cache import CACHE_DIR
from opendata.validation.validator import validate

REPORT_KEYS = {"report_version", "valid", "summary", "datasets", "issues"}
SUMMARY_KEYS = {"datasets", "valid_datasets", "errors", "warnings"}
DATASET_KEYS = {"name", "manifest", "valid", "resources"}
RESOURCE_KEYS = {"name", "file", "rows", "valid", "cached", "error_count", "errors_truncated",
                 "engine", "engine_note", "error_counts"}
ISSUE_KEYS = {"file", "line", "column", "dataset", "resource", "field", "row", "code",
              "severity", "message", "hint"}


def test_json_report_structure_valid(cli):
    result = cli("validate", "--format", "json")
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert set(report) == REPORT_KEYS
    assert report["report_version"] == 1
    assert report["valid"] is True
    assert report["summary"] == {"datasets": 1, "valid_datasets": 1, "errors": 0,
                                 "warnings": 0}
    [ds] = report["datasets"]
    assert set(ds) == DATASET_KEYS
    assert ds == {"name": "demo", "manifest": "datasets/demo/dataset.yaml", "valid": True,
                  "resources": ds["resources"]}
    [res] = ds["resources"]
    assert set(res) == RESOURCE_KEYS
    assert res == {"name": "points", "file": "datasets/demo/points.csv", "rows": 3,
                   "valid": True, "cached": False, "error_count": 0,
                   "errors_truncated": False, "engine": "columnar", "engine_note": None,
                   "error_counts": []}
    assert report["issues"] == []


def test_json_report_structure_invalid(cli, demo, edit):
    edit(demo / "dataset.yaml", "licence: etalab-2.0", "licence: nope")
    (demo / "points.csv").write_text("territoire;nb_api;taux;date_releve\nA;x;1;01/01/2006\n",
                                     encoding="utf-8")
    result = cli("validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert report["summary"] == {"datasets": 1, "valid_datasets": 0, "errors": 2,
                                 "warnings": 0}
    assert report["datasets"][0]["valid"] is False
    assert report["datasets"][0]["resources"][0]["error_count"] == 1
    for issue in report["issues"]:
        assert set(issue) <= ISSUE_KEYS
        assert {"file", "code", "severity", "message"} <= set(issue)
        assert None not in issue.values()  # absent keys are unknown, never null
    data = next(i for i in report["issues"] if i["code"] == "type-error")
    assert data == {"file": "datasets/demo/points.csv", "line": 2, "dataset": "demo",
                    "resource": "points", "field": "nb_api", "row": 2, "code": "type-error",
                    "severity": "error", "message": data["message"], "hint": data["hint"]}
    assert json.loads(cli("validate", "--format", "json").stdout)["issues"] == \
        report["issues"]  # stable order


def test_text_output_groups_by_dataset(cli, catalog, demo, edit):
    other = catalog / "datasets" / "demo-bis"
    shutil.copytree(demo, other)
    edit(other / "dataset.yaml", "name: demo", "name: demo-bis")
    edit(other / "dataset.yaml", "licence: etalab-2.0", "licence: nope")
    result = cli("validate")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "demo: ok (points: 3 rows)"
    # same content and schema as demo's file: a cache hit (the key is the content)
    assert lines[1] == "demo-bis: INVALID (points: 3 rows (cached))"
    assert lines[2].startswith("  - datasets/demo-bis/dataset.yaml:")
    assert lines[-1] == "2 dataset(s), 1 valid, 1 error(s), 0 warning(s)"


def test_select_datasets_by_name_and_path(cli, catalog, demo, edit):
    other = catalog / "datasets" / "demo-bis"
    shutil.copytree(demo, other)
    edit(other / "dataset.yaml", "name: demo", "name: demo-bis")
    edit(other / "dataset.yaml", "licence: etalab-2.0", "licence: nope")
    assert cli("validate", "demo").exit_code == 0
    assert cli("validate", str(demo)).exit_code == 0
    assert cli("validate", str(demo / "points.csv")).exit_code == 0
    result = cli("validate", "demo-bis")
    assert result.exit_code == 1
    assert "1 dataset(s), 0 valid" in result.stdout
    assert cli("validate", str(catalog / "datasets")).exit_code == 1  # whole catalog


def test_exit_2_unknown_dataset_name(cli):
    result = cli("validate", "dmeo")
    assert result.exit_code == 2
    assert "error: no dataset named 'dmeo'" in result.stderr
    assert "hint: Did you mean demo?" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [("validate", "--bogus"), ("validate", "--format", "xml")])
def test_exit_2_bad_option(cli, args):
    result = cli(*args)
    assert result.exit_code == 2
    assert "Error:" in result.stderr


def test_exit_3_broken_config(cli, catalog):
    (catalog / "opendata.yaml").write_text("title: [broken\n", encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 3
    assert "opendata.yaml:2:1: YAML syntax error" in result.stderr
    assert "flow sequence started at line 1, column 8" in result.stderr


def test_exit_3_config_missing_required_setting(cli, catalog):
    text = (catalog / "opendata.yaml").read_text(encoding="utf-8")
    (catalog / "opendata.yaml").write_text(text.replace("base_uri:", "base_url:"),
                                           encoding="utf-8")
    result = cli("validate")
    assert result.exit_code == 3
    assert "opendata.yaml" in result.stderr and "base_ur" in result.stderr


def test_a_catalog_without_licences_uses_the_built_in_ones(cli, catalog):
    shutil.rmtree(catalog / "licences")
    result = cli("validate")
    assert result.exit_code == 0, result.output


def test_exit_3_no_catalog(cli, tmp_path):
    result = cli("validate", root=tmp_path / "nowhere")
    assert result.exit_code == 3
    assert "opendata.yaml: catalog configuration not found" in result.stderr


def test_cache(cli, catalog, demo):
    first = json.loads(cli("validate", "--format", "json").stdout)
    assert first["datasets"][0]["resources"][0]["cached"] is False
    assert list((catalog / CACHE_DIR).glob("*.json"))
    second = cli("validate")
    assert second.exit_code == 0
    assert "demo: ok (points: 3 rows (cached))" in second.stdout
    # --no-cache forces a new validation
    forced = json.loads(cli("validate", "--format", "json", "--no-cache").stdout)
    assert forced["datasets"][0]["resources"][0]["cached"] is False
    # a changed file is validated again, and its errors are found
    with (demo / "points.csv").open("a", encoding="utf-8") as fh:
        fh.write("Niort;x;1,5;01/09/2006\n")
    changed = cli("validate", "--format", "json")
    assert changed.exit_code == 1
    report = json.loads(changed.stdout)
    assert report["datasets"][0]["resources"][0]["cached"] is False
    assert [i["code"] for i in report["issues"]] == ["type-error"]
    # cached errors are reported again, identically
    again = json.loads(cli("validate", "--format", "json").stdout)
    assert again["datasets"][0]["resources"][0]["cached"] is True
    assert again["issues"] == report["issues"]


def test_cache_key_includes_the_schema(catalog, demo, edit):
    assert validate(catalog).datasets["demo"].resources[0].cached is False
    assert validate(catalog).datasets["demo"].resources[0].cached is True
    edit(demo / "points.schema.json", '"maximum": 100', '"maximum": 50')
    report = validate(catalog)
    assert report.datasets["demo"].resources[0].cached is False
    assert [i.code for i in report.issues] == ["constraint-error"] * 3


def test_unusable_cache_only_costs_time(catalog):
    (catalog / ".opendata").write_text("not a folder", encoding="utf-8")
    assert validate(catalog).valid
    assert validate(catalog).datasets["demo"].resources[0].cached is False


def test_cache_hit_from_an_identical_file_reports_the_right_file(catalog, demo):
    """Two datasets holding the same invalid file: each issue names its own file."""
    (demo / "points.csv").write_text("territoire;nb_api;taux;date_releve\nA;x;1;01/01/2006\n",
                                     encoding="utf-8")
    shutil.copytree(demo, catalog / "datasets" / "demo-bis")
    text = (catalog / "datasets" / "demo-bis" / "dataset.yaml").read_text(encoding="utf-8")
    (catalog / "datasets" / "demo-bis" / "dataset.yaml").write_text(
        text.replace("name: demo", "name: demo-bis"), encoding="utf-8")
    report = validate(catalog)
    assert report.datasets["demo-bis"].resources[0].cached is True
    errors = sorted((i.dataset, i.file, i.resource) for i in report.issues)
    assert errors == [("demo", "datasets/demo/points.csv", "points"),
                      ("demo-bis", "datasets/demo-bis/points.csv", "points")]


QUICK_PROBE = """
import atexit, pathlib, sys
from opendata.cli import main
mark = pathlib.Path(sys.argv.pop(1))
atexit.register(mark.write_text, "atexit ran")
class Teardown:
    def __del__(self):
        sys.stderr.write("module teardown ran\\n")
kept = Teardown()  # freed only by the interpreter's teardown of __main__
sys.argv[0] = "opendata"
main()
"""


@pytest.mark.parametrize("broken, code", [(False, 0), (True, 1)])
def test_validate_ends_quickly_with_its_code_output_and_atexit(catalog, demo, tmp_path,
                                                               broken, code):
    """A real `opendata validate` process skips the interpreter's teardown: its exit code,
    its whole report and the atexit callbacks (temporary folders, logging) are kept."""
    import subprocess
    import sys

    if broken:
        csv = demo / "points.csv"
        csv.write_text(csv.read_text(encoding="utf-8").replace("Aunis;5;", "Aunis;cinq;", 1),
                       encoding="utf-8")
    mark = tmp_path / "mark"
    proc = subprocess.run([sys.executable, "-c", QUICK_PROBE, str(mark), "--root",
                           str(catalog), "validate", "--no-cache", "--format", "json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
    report = json.loads(proc.stdout)  # complete: flushed before the process ended
    assert report["valid"] is (not broken)
    assert mark.read_text() == "atexit ran"
    assert "module teardown ran" not in proc.stderr  # the teardown was skipped


def test_quick_exit_waits_for_no_thread_and_keeps_message_codes(monkeypatch):
    """With a thread still working the normal exit runs (it waits for the thread); an
    exit with a message prints it and exits 1, as Python does."""
    import threading

    from opendata import cli

    calls: list[int] = []
    monkeypatch.setattr(cli.os, "_exit", calls.append)
    monkeypatch.setattr("atexit._run_exitfuncs", lambda: None)
    gate = threading.Event()
    worker = threading.Thread(target=gate.wait)
    worker.start()
    try:
        cli._quick_exit(0)
        assert calls == []  # a non-daemon thread is alive: left to the normal exit
    finally:
        gate.set()
        worker.join()
    cli._quick_exit(None)
    cli._quick_exit(3)
    cli._quick_exit("boom")
    assert calls == [0, 3, 1]
