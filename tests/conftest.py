"""Shared fixtures: a throw-away copy of the minimal test catalog, and the CLI runner.

Keep this file small; tests of one area put their own fixtures in their folder's conftest.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opendata.cli import main

# Fails the run if a test token appears in any output, log or report of the suite.
pytest_plugins = ["reliability.secret_scan"]

FIXTURE_CATALOG = Path(__file__).parent / "fixtures" / "catalog"
REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """The suite asserts English messages, though the fixture catalog's language is fr
    (which would make them French): tests of the French ones set the language themselves."""
    from opendata.validation import messages

    monkeypatch.setenv("OPENDATA_LANG", "en")
    messages.set_override(None)
    yield
    messages.set_override(None)
    messages.activate(None)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A fresh copy of ``tests/fixtures/catalog`` (never the repo tree), without any cache
    or dist/ a developer's run may have left in the fixture folder."""
    root = tmp_path / "catalog"
    shutil.copytree(FIXTURE_CATALOG, root, ignore=shutil.ignore_patterns(".opendata", "dist"))
    return root


@pytest.fixture
def demo(catalog: Path) -> Path:
    """The folder of the fixture's only dataset, ``demo``."""
    return catalog / "datasets" / "demo"


@pytest.fixture
def cli(catalog: Path):
    """Run ``opendata --root <catalog> ARGS...``; returns click's Result (stdout, stderr,
    exit_code).  Pass ``root=`` to run against another catalog."""

    def run(*args: str, root: Path | None = None) -> Result:
        runner = CliRunner()
        return runner.invoke(main, ["--root", str(root or catalog), *args],
                             catch_exceptions=False)

    return run


@pytest.fixture
def edit():
    """``edit(file, old, new)``: replace ``old`` (which must occur exactly once) by ``new``."""

    def replace(file: Path, old: str, new: str) -> None:
        text = file.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
        file.write_text(text.replace(old, new), encoding="utf-8")

    return replace


def _line_of(file: Path, needle: str) -> int:
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {file}")


@pytest.fixture
def line_of():
    """``line_of(file, needle)``: 1-based number of the first line containing ``needle``."""
    return _line_of


# No test input may reach the CLI's last-resort handler: under the suite it re-raises, so
# an unexpected exception fails the test that caused it instead of becoming exit 70.
os.environ.setdefault("OPENDATA_RAISE_UNEXPECTED", "1")
