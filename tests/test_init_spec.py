"""What the workflows ``opendata init`` writes pip-install: a source GitHub's machines can
reach, worked out from where this opendata was installed from (pip's PEP 610 record)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata._version import __version__
from opendata.catalog.scaffold import installed_spec
from opendata.cli import main

PROBE = "odspec-probe"


def fake_install(site: Path, direct_url: dict | None) -> None:
    """A distribution as pip leaves it in site-packages, with or without direct_url.json."""
    info = site / f"{PROBE.replace('-', '_')}-{__version__}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {PROBE}\n"
                                   f"Version: {__version__}\n", encoding="utf-8")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url), encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.setattr(sys, "path", [str(folder), *sys.path])
    return folder


def git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True,
                          text=True).stdout.strip()


def test_from_an_index_the_version(site: Path) -> None:
    fake_install(site, None)
    assert installed_spec(PROBE) == (f"{PROBE}=={__version__}", "")


def test_from_git_the_repository_and_commit(site: Path) -> None:
    fake_install(site, {"url": "https://github.com/region/opendata.git",
                        "vcs_info": {"vcs": "git", "commit_id": "a" * 40}})
    spec, note = installed_spec(PROBE)
    assert spec == f"{PROBE} @ git+https://github.com/region/opendata.git@{'a' * 40}"
    assert note == ""


def test_from_an_archive_url_that_url(site: Path) -> None:
    url = "https://example.net/dl/opendata-0.1.0.tar.gz"
    fake_install(site, {"url": url, "archive_info": {}})
    assert installed_spec(PROBE) == (f"{PROBE} @ {url}", "")


def test_from_a_clone_with_a_public_origin_its_commit(site: Path, tmp_path: Path) -> None:
    clone = tmp_path / "opendata clone"
    clone.mkdir()
    git(clone, "init", "-q")
    git(clone, "remote", "add", "origin", "git@github.com:region/opendata.git")
    (clone / "f").write_text("x", encoding="utf-8")
    git(clone, "add", "f")
    git(clone, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    head = git(clone, "rev-parse", "HEAD")
    fake_install(site, {"url": clone.as_uri(), "dir_info": {"editable": True}})
    spec, note = installed_spec(PROBE)
    assert spec == f"{PROBE} @ git+https://github.com/region/opendata.git@{head}"
    assert head[:12] in note and "push" in note


def test_from_a_local_folder_with_no_public_remote_a_note(site: Path, tmp_path: Path) -> None:
    folder = tmp_path / "src"
    folder.mkdir()
    fake_install(site, {"url": folder.as_uri(), "dir_info": {}})
    spec, note = installed_spec(PROBE)
    assert spec == f"{PROBE}=={__version__}"
    assert str(folder) in note and "--opendata-spec" in note


def test_a_malformed_record_falls_back_to_the_version(site: Path) -> None:
    info = site / f"{PROBE.replace('-', '_')}-{__version__}.dist-info"
    fake_install(site, None)
    (info / "direct_url.json").write_text("{not json", encoding="utf-8")
    assert installed_spec(PROBE) == (f"{PROBE}=={__version__}", "")


def test_init_says_what_the_workflows_install_and_writes_it(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    result = CliRunner().invoke(main, [
        "init", str(folder), "--title", "Ville-Test", "--base-uri", "https://data.t.fr",
        "--ckan-url", "http://127.0.0.1:5000", "--no-input"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    spec, note = installed_spec()
    assert f"the workflows install: {spec}" in result.output
    if note:
        assert f"note: {note}" in result.output
    workflow = (folder / ".github" / "workflows" / "validate.yml").read_text(encoding="utf-8")
    assert f"pip install '{spec}'" in workflow


def test_an_explicit_spec_wins(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    result = CliRunner().invoke(main, [
        "init", str(folder), "--title", "Ville-Test", "--base-uri", "https://data.t.fr",
        "--ckan-url", "http://127.0.0.1:5000", "--no-input",
        "--opendata-spec", "opendata @ git+https://github.com/r/o.git@v1"],
        catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "note:" not in result.output
    for name in ("validate", "publish", "release"):
        text = (folder / ".github" / "workflows" / f"{name}.yml").read_text(encoding="utf-8")
        assert "pip install 'opendata @ git+https://github.com/r/o.git@v1'" in text


def test_catalog_placeholders_are_errors_and_stop_a_publish(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    runner = CliRunner()
    result = runner.invoke(main, [
        "init", str(folder), "--title", "Ville-Test", "--base-uri", "https://data.t.fr",
        "--ckan-url", "http://127.0.0.1:5000", "--no-input"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    config = folder / "opendata.yaml"
    # init refuses these answers; a steward's later hand edit is what puts them there
    text = (config.read_text(encoding="utf-8")
            .replace('title: "Ville-Test"', "title: 'TODO: le titre du catalogue'", 1)
            .replace("publisher:\n", "publisher:\n  email: contact@example.org\n", 1))
    config.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    email_line = next(i for i, line in enumerate(lines, 1) if "contact@example.org" in line)
    title_line = next(i for i, line in enumerate(lines, 1) if line.startswith("title:"))

    checked = runner.invoke(main, ["--root", str(folder), "validate", "--format", "json"])
    assert checked.exit_code == 1, checked.output
    found = {(i["field"], i["line"]) for i in json.loads(checked.output)["issues"]
             if i["code"] == "placeholder" and i["file"] == "opendata.yaml"}
    assert found == {("publisher.email", email_line), ("title", title_line)}

    planned = runner.invoke(main, ["--root", str(folder), "plan", "--target", "ckan"],
                            env={"CKAN_API_TOKEN": "x"})
    assert planned.exit_code == 3, planned.output
    assert f"opendata.yaml:{title_line}" in planned.output and "(and 1 more)" in planned.output
    assert "nothing was published" in planned.output
