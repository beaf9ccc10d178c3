"""Helpers for the hostile-input tests: run a command in-process and check it failed
cleanly (an exit code, a message) rather than with a traceback or a hang."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from opendata.cli import main


@pytest.fixture
def run(catalog: Path):
    """``run(*args, root=None, env=None) -> Result``; unexpected exceptions propagate
    (``OPENDATA_RAISE_UNEXPECTED`` is set for the suite), so a traceback fails the test."""

    def invoke(*args: str, root: Path | None = None, env: dict[str, str] | None = None) -> Result:
        runner = CliRunner()
        assert os.environ.get("OPENDATA_RAISE_UNEXPECTED")
        return runner.invoke(main, ["--root", str(root or catalog), *args], env=env,
                             catch_exceptions=False)

    return invoke
