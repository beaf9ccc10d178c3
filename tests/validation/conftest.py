"""Validata (validata-table), the validator data.gouv.fr runs, as the tests' oracle.

``scripts/validata-dev setup`` installs it in its own virtualenv under ``.dev/validata`` (its
pins clash with ours).  The ``validata`` fixture installs it when missing and runs it on a
batch of files in one process.  When it cannot be installed, the tests that need it fail
under CI (the ``CI`` variable is set: CI must never skip silently) and are skipped elsewhere,
with the reason.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "validata-dev"

Oracle = Callable[[list[dict[str, Any]]], list[dict[str, Any]]]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"Validata unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"Validata unavailable: {reason}")


@pytest.fixture(scope="session")
def validata() -> Oracle:
    """``validata(jobs)``: Validata's reports for ``[{file, schema, ignore_header_case}]``."""
    status = subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True)
    if status.returncode != 0:
        setup = subprocess.run([str(SCRIPT), "setup"], capture_output=True, text=True,
                               timeout=900)
        if setup.returncode != 0:
            _unavailable(f"scripts/validata-dev setup failed: {setup.stderr[-500:]}")

    def run(jobs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        jobs = [{**j, "file": str(j["file"]), "schema": str(j["schema"])} for j in jobs]
        done = subprocess.run([str(SCRIPT), "validate", "--batch"], input=json.dumps(jobs),
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            _unavailable(f"Validata failed: {done.stderr[-500:]}")
        return json.loads(done.stdout)
    return run
