"""``--changed-since`` and ``--format github``: what the CI workflows run, on a real git
repository made from the fixture catalog (two datasets, ``demo`` and ``demo2``).

Plans and publishes go to the in-memory portal of test_harvest_engine.py (patched in for
``make_portal``), so nothing leaves the machine.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from opendata.catalog.manifests import load_catalog
from opendata.ci.changes import changed_datasets, detect_changes
from opendata.ci.github import (
    annotation,
    append_step_summary,
    escape_data,
    escape_property,
    validation_annotations,
)
from opendata.cli import main
from opendata.harvesters import base
from opendata.validation.report import Issue, ValidationReport

FIXTURE = Path(__file__).parent / "fixtures" / "catalog"
ROW = "Aunis;5;72,5;01/09/2006"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True,
                          text=True).stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """No user or system git configuration (signing, hooks, default branch) in the way."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for var in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{var}_NAME", "Steward")
        monkeypatch.setenv(f"GIT_{var}_EMAIL", "steward@example.org")
    monkeypatch.setenv("MEM_TOKEN", "s3cret-token-value")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)


def make_catalog(root: Path) -> Path:
    shutil.copytree(FIXTURE, root, ignore=shutil.ignore_patterns(".opendata", "dist"))
    second = root / "datasets" / "demo2"
    shutil.copytree(root / "datasets" / "demo", second)
    manifest = second / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("name: demo",
                                                                    "name: demo2"),
                        encoding="utf-8")
    (root / "harvesters").mkdir()
    (root / "harvesters" / "mem.yaml").write_text(
        "type: ckan\nurl: http://memory.invalid\ntoken_env: MEM_TOKEN\n", encoding="utf-8")
    return root


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The catalog committed on main, then a branch `change` checked out (a pull request)."""
    root = make_catalog(tmp_path / "repo")
    (root / ".gitignore").write_text(".opendata/\ndist/\n", encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    commit(root, "catalog")
    git(root, "checkout", "-q", "-b", "change")
    return root


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The in-memory portal's content; `plan`/`publish` on any target use it."""
    from test_harvest_engine import MemoryPortal

    data: dict[str, Any] = {}
    monkeypatch.setattr(base, "make_portal", lambda target, catalog, dry_run=False:
                        MemoryPortal(target, catalog, store=data, dry_run=dry_run))
    return data


def run(repo: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--root", str(repo), *args], catch_exceptions=False)


def add_row(repo: Path, dataset: str = "demo", row: str = "Niort;9;50;02/09/2006") -> None:
    with (repo / "datasets" / dataset / "points.csv").open("a", encoding="utf-8") as fh:
        fh.write(row + "\n")


def validated(result: Result) -> list[str]:
    return [d["name"] for d in json.loads(result.stdout)["datasets"]]


def planned(result: Result) -> dict[str, str]:
    return {i["dataset"]: i["action"] for i in json.loads(result.stdout)["items"]}


# -- selection ---------------------------------------------------------------------------

def test_one_changed_csv_validates_only_that_dataset(repo: Path) -> None:
    add_row(repo)
    commit(repo, "new row")
    assert changed_datasets(load_catalog(repo), "main") == ["demo"]
    result = run(repo, "validate", "--changed-since", "main", "--format", "json")
    assert result.exit_code == 0, result.output
    assert validated(result) == ["demo"]
    assert "1 dataset(s) changed since main: demo" in result.stderr


def test_changing_licences_selects_every_dataset(repo: Path) -> None:
    licence = repo / "licences" / "etalab-2.0.yaml"
    licence.write_text(licence.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    commit(repo, "licence note")
    changes = detect_changes(load_catalog(repo), "main")
    assert changes.shared == ["licences/etalab-2.0.yaml"] and changes.selection() is None
    result = run(repo, "validate", "--changed-since", "main", "--format", "json")
    assert validated(result) == ["demo", "demo2"]
    assert "all datasets: shared input changed since main (licences/etalab-2.0.yaml)" \
        in result.stderr


@pytest.mark.parametrize("shared", ["opendata.yaml", "validation/schemas/extra.json"])
def test_other_shared_inputs_select_every_dataset(repo: Path, shared: str) -> None:
    path = repo / shared
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((path.read_text(encoding="utf-8") if path.exists() else "{}") + "\n",
                    encoding="utf-8")
    assert changed_datasets(load_catalog(repo), "main") is None


def test_uncommitted_and_untracked_files_count(repo: Path) -> None:
    add_row(repo, "demo")  # modified, not committed
    (repo / "datasets" / "demo2" / "notes.txt").write_text("draft\n", encoding="utf-8")
    (repo / "datasets" / "demo2" / ".opendata").mkdir()  # ignored files do not
    assert changed_datasets(load_catalog(repo), "main") == ["demo", "demo2"]


def test_changes_on_the_base_branch_since_the_branch_started_are_not_selected(
        repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    add_row(repo, "demo2")
    commit(repo, "main moves on")
    git(repo, "checkout", "-q", "change")
    add_row(repo, "demo")
    commit(repo, "branch work")
    assert changed_datasets(load_catalog(repo), "main") == ["demo"]


def test_nothing_changed(repo: Path, store: dict[str, Any]) -> None:
    (repo / "README.md").write_text("not a dataset\n", encoding="utf-8")
    result = run(repo, "validate", "--changed-since", "main")
    assert result.exit_code == 0
    assert "no dataset changed since main" in result.stderr
    assert "0 dataset(s)" in result.stdout
    result = run(repo, "plan", "--target", "mem", "--changed-since", "main", "--format", "json")
    assert result.exit_code == 0 and planned(result) == {}


def test_harvesters_change_selects_everything_for_publishing_only(repo: Path) -> None:
    target = repo / "harvesters" / "mem.yaml"
    target.write_text(target.read_text(encoding="utf-8") + "name_prefix: x-\n", encoding="utf-8")
    catalog = load_catalog(repo)
    assert changed_datasets(catalog, "main") == []
    assert changed_datasets(catalog, "main", publishing=True) is None


def test_a_manifest_that_does_not_parse_is_selected_by_its_folder(repo: Path) -> None:
    (repo / "datasets" / "demo2" / "dataset.yaml").write_text("name: [oops\n", encoding="utf-8")
    assert changed_datasets(load_catalog(repo), "main") == ["demo2"]
    result = run(repo, "validate", "--changed-since", "main", "--format", "json")
    assert result.exit_code == 1
    assert {i["code"] for i in json.loads(result.stdout)["issues"]} == {"manifest-unreadable"}


# -- plan and publish --------------------------------------------------------------------

def test_plan_lists_only_the_changed_dataset(repo: Path, store: dict[str, Any]) -> None:
    assert run(repo, "publish", "--target", "mem").exit_code == 0
    add_row(repo)
    commit(repo, "new row")
    result = run(repo, "plan", "--target", "mem", "--changed-since", "main", "--format", "json")
    assert result.exit_code == 0, result.output
    assert planned(result) == {"demo": "update"}
    assert json.loads(result.stdout)["complete"] is False


def test_plan_after_a_licence_change_lists_every_dataset(repo: Path,
                                                        store: dict[str, Any]) -> None:
    licence = repo / "licences" / "etalab-2.0.yaml"
    licence.write_text(licence.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    commit(repo, "licence note")
    result = run(repo, "plan", "--target", "mem", "--changed-since", "main", "--format", "json")
    assert planned(result) == {"demo": "create", "demo2": "create"}
    assert json.loads(result.stdout)["complete"] is True


def test_deleted_dataset_is_reported_and_planned_as_an_orphan(repo: Path,
                                                             store: dict[str, Any]) -> None:
    assert run(repo, "publish", "--target", "mem").exit_code == 0
    git(repo, "rm", "-q", "-r", "datasets/demo2")
    commit(repo, "retire demo2")
    changes = detect_changes(load_catalog(repo), "main")
    assert changes.deleted == ["demo2"] and changes.selection() == []
    result = run(repo, "validate", "--changed-since", "main", "--format", "github")
    assert result.exit_code == 0
    assert "deleted, nothing to check: demo2" in result.stderr
    assert "::notice title=deleted dataset::dataset folder demo2 was deleted" in result.stdout
    # publishing must see the orphan, which only a complete plan looks for
    result = run(repo, "plan", "--target", "mem", "--changed-since", "main", "--format", "json")
    assert planned(result) == {"demo": "unchanged", "demo2": "orphan"}


def test_publish_changed_since_writes_only_the_changed_dataset(repo: Path,
                                                             store: dict[str, Any],
                                                             tmp_path: Path) -> None:
    assert run(repo, "publish", "--target", "mem").exit_code == 0
    add_row(repo, "demo2")
    commit(repo, "new row")
    report = tmp_path / "report.json"
    result = run(repo, "publish", "--target", "mem", "--changed-since", "main",
                 "--report", str(report))
    assert result.exit_code == 0, result.output
    assert [(r["dataset"], r["action"], r["status"])
            for r in json.loads(report.read_text())["results"]] == [("demo2", "update", "ok")]
    # nothing left to do: an empty report, success
    git(repo, "branch", "-q", "-f", "main", "HEAD")
    result = run(repo, "publish", "--target", "mem", "--changed-since", "main",
                 "--report", str(report))
    assert result.exit_code == 0
    assert json.loads(report.read_text())["results"] == []


def test_a_collection_holding_the_changed_dataset_is_planned_too(
        repo: Path, store: dict[str, Any]) -> None:
    packs = repo / "datasets" / "packs"
    packs.mkdir()
    for name, members in (("with-demo", "[demo]"), ("with-demo2", "[demo2]")):
        (packs / f"{name}.yaml").write_text(
            f"name: {name}\ntitle: Pack {name}\n"
            "description: Les données du concours, pour les équipes.\n"
            f'version: "1.0.0"\nselect: {{datasets: {members}}}\n', encoding="utf-8")
    commit(repo, "collections")
    git(repo, "branch", "-q", "-f", "main", "HEAD")
    assert run(repo, "publish", "--target", "mem").exit_code == 0
    add_row(repo, "demo")
    result = run(repo, "plan", "--target", "mem", "--changed-since", "main", "--format", "json")
    assert planned(result) == {"demo": "update", "with-demo": "update"}
    result = run(repo, "pack", "--changed-since", "main")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (repo / "dist").rglob("*.zip")) == [
        "demo-1.0.0.zip", "with-demo-1.0.0.zip"]


def test_pack_changed_since_builds_the_changed_dataset(repo: Path) -> None:
    add_row(repo, "demo2")
    result = run(repo, "pack", "--changed-since", "main")
    assert result.exit_code == 0, result.output
    zips = sorted(p.name for p in (repo / "dist").rglob("*.zip"))
    assert len(zips) == 1 and zips[0].startswith("demo2-")


# -- errors ------------------------------------------------------------------------------

def test_unknown_revision_is_a_usage_error_with_a_fetch_depth_hint(repo: Path) -> None:
    result = run(repo, "validate", "--changed-since", "origin/main")
    assert result.exit_code == 2
    assert "unknown git revision 'origin/main'" in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_shallow_history_is_a_usage_error(repo: Path, tmp_path: Path) -> None:
    git(repo, "checkout", "-q", "main")
    add_row(repo)
    commit(repo, "second")
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo}", str(shallow))
    git(shallow, "fetch", "-q", "--depth", "1", "origin",
        f"{git(repo, 'rev-parse', 'HEAD~1').strip()}:refs/remotes/origin/old")
    result = run(shallow, "validate", "--changed-since", "origin/old")
    assert result.exit_code == 2
    assert "no common history" in result.stderr and "fetch-depth" in result.stderr


def test_outside_git_is_a_usage_error(tmp_path: Path) -> None:
    root = make_catalog(tmp_path / "plain")
    result = run(root, "validate", "--changed-since", "main")
    assert result.exit_code == 2
    assert "not inside a git repository" in result.stderr


def test_names_and_changed_since_do_not_mix(repo: Path, store: dict[str, Any]) -> None:
    for args in (("validate", "demo"), ("plan", "--target", "mem", "demo"),
                 ("pack", "demo")):
        result = run(repo, *args, "--changed-since", "main")
        assert result.exit_code == 2, args


def test_option_looking_revision_is_refused(repo: Path) -> None:
    result = run(repo, "validate", "--changed-since=--output=/tmp/x")
    assert result.exit_code == 2


# -- GitHub output -----------------------------------------------------------------------

def test_escaping_follows_the_runner_rules() -> None:
    assert escape_data("50% done\r\nnext: a,b") == "50%25 done%0D%0Anext: a,b"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert annotation("warning", "two\nlines", file="d/x,y.csv", line=3, col=2,
                      title="t: 1") == "::warning file=d/x%2Cy.csv,line=3,col=2,title=t%3A 1::two%0Alines"
    assert annotation("notice", "plain") == "::notice::plain"


def test_validate_annotations_point_at_the_data_row_and_the_manifest_line(
        repo: Path) -> None:
    add_row(repo, "demo", "Niort;beaucoup;50;02/09/2006")  # line 5
    manifest = repo / "datasets" / "demo2" / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "licence: etalab-2.0", "licence: etalab-9"), encoding="utf-8")
    result = run(repo, "validate", "--changed-since", "main", "--format", "github")
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("::")]
    data = next(line for line in lines if "points.csv" in line)
    assert data.startswith("::error file=datasets/demo/points.csv,line=5,")
    assert "title=type-error (demo)::" in data and "(row 5, field nb_api)" in data
    licence_line = manifest.read_text(encoding="utf-8").splitlines().index(
        "licence: etalab-9") + 1
    meta = next(line for line in lines if "demo2/dataset.yaml" in line)
    assert meta.startswith(f"::error file=datasets/demo2/dataset.yaml,line={licence_line},col=")
    assert "%0Ahint: " in meta  # the hint, on its own line of the annotation
    assert "demo2: INVALID" in result.stdout  # the text report stays in the log


def test_annotation_paths_are_relative_to_the_repository(tmp_path: Path) -> None:
    """A catalog in a sub-folder of the repository: GitHub wants repository paths."""
    top = tmp_path / "top"
    make_catalog(top / "catalog")
    git(top, "init", "-q", "-b", "main")
    commit(top, "catalog")
    add_row(top / "catalog", "demo", "Niort;x;50;02/09/2006")
    result = run(top / "catalog", "validate", "--changed-since", "main", "--format", "github")
    assert "::error file=catalog/datasets/demo/points.csv,line=5," in result.stdout


def test_annotations_are_capped_per_file() -> None:
    report = ValidationReport()
    for row in range(2, 27):
        report.add(Issue(file="datasets/d/x.csv", line=row, row=row, message="bad",
                         code="type-error", dataset="d"))
    report.add(Issue(file="datasets/d/dataset.yaml", line=3, message="warn", code="w",
                     severity="warning", dataset="d"))
    lines = validation_annotations(report, shown=10)
    assert len(lines) == 12
    assert lines[-1].startswith("::error file=datasets/d/x.csv,title=more issues::15 more")


def test_validate_summary_is_appended_when_github_step_summary_is_set(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    add_row(repo, "demo", "Niort;x;50;02/09/2006")
    run(repo, "validate", "--changed-since", "main", "--format", "github")
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("earlier step\n## opendata validate")
    assert "Scope: 1 dataset(s) changed since main: demo." in text
    assert "| Dataset | Status | Rows | Errors | Warnings |" in text
    assert "| `demo` | ❌ invalid | 4 | 1 | 0 |" in text
    assert "`datasets/demo/points.csv:5`, row 5, field `nb_api`" in text


def test_valid_changes_give_no_annotation_and_no_summary_outside_actions(
        repo: Path) -> None:
    add_row(repo)
    result = run(repo, "validate", "--changed-since", "main", "--format", "github")
    assert result.exit_code == 0
    assert "::" not in result.stdout
    assert append_step_summary("# x", environ={}) is None


def test_plan_github_format_annotates_and_summarises(repo: Path, store: dict[str, Any],
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(repo, "publish", "--target", "mem").exit_code == 0
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    manifest = repo / "datasets" / "demo" / "dataset.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("(démo)", "(v2)"),
                        encoding="utf-8")
    result = run(repo, "plan", "--target", "mem", "--changed-since", "main",
                 "--format", "github")
    assert result.exit_code == 0, result.output
    [note] = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert note.startswith("::notice file=datasets/demo/dataset.yaml,line=1,title=mem%3A update::"
                           "merging updates this dataset on mem: 1 change(s)")
    assert "title" in note and "(v2)" in note
    text = summary.read_text(encoding="utf-8")
    assert "## opendata plan: `mem`" in text
    assert "| update | 1 |" in text and "| create |" not in text
    assert "- **update** `demo`" in text and "1 change(s)" in text
    assert "Orphans are only looked for when the whole catalog is planned" in text
