"""Fixtures for the tests that talk to a real udata (data.gouv.fr's software).

``udata_server`` runs ``scripts/udata-dev start`` once per session (it reuses a
server that is already running), then reads ``.dev/udata/env``. When udata
cannot be started the tests fail under CI (``CI`` set) and are skipped
elsewhere, with the reason and the script's output.

Every test of this folder gets the ``udata`` marker: ``pytest -m "not udata"``
leaves them out.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
SCRIPT = REPO_ROOT / "scripts" / "udata-dev"
ENV_FILE = REPO_ROOT / ".dev" / "udata" / "env"
# The first start installs udata in its own virtualenv (several minutes).
START_TIMEOUT = int(os.environ.get("UDATA_DEV_START_TIMEOUT", "1800"))


@dataclass(frozen=True)
class UdataServer:
    url: str
    api_key: str
    org_id: str
    org_slug: str
    user_id: str
    env: dict[str, str]

    @property
    def headers(self) -> dict[str, str]:
        """Authentication header udata expects for API keys."""
        return {"X-API-KEY": self.api_key}

    def api(self, path: str, version: int = 1) -> str:
        """``api("/datasets/")`` -> ``http://127.0.0.1:7000/api/1/datasets/``."""
        return f"{self.url}/api/{version}/{path.lstrip('/')}"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "udata: integration tests against the local udata app (scripts/udata-dev)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.udata)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"udata dev server unavailable (CI set, not skipping): {reason}", pytrace=False)
    pytest.skip(f"udata dev server unavailable: {reason}")


def _run_script(*args: str, timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def _read_env(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


@pytest.fixture(scope="session")
def udata_server() -> Iterator[UdataServer]:
    """A running udata on 127.0.0.1 with an organisation, an admin API key, licences.

    A server that was already running is reused and left running; one started
    here is stopped at the end of the session (set ``UDATA_DEV_KEEP=1`` to keep
    it), so that no stray server holds the port after a CI run.
    """
    if not SCRIPT.exists():
        _unavailable(f"{SCRIPT} is missing")
    try:
        already_running = _run_script("status", timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        already_running = False
    try:
        proc = _run_script("start", timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        _unavailable(f"`scripts/udata-dev start` did not finish within {START_TIMEOUT}s")
    except OSError as exc:
        _unavailable(f"cannot run scripts/udata-dev: {exc}")
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()[-4000:]
        _unavailable(f"`scripts/udata-dev start` exited with {proc.returncode}:\n{output}")
    if not ENV_FILE.exists():
        _unavailable(f"{ENV_FILE} was not written by scripts/udata-dev start")
    env = _read_env(ENV_FILE)
    missing = [k for k in ("UDATA_URL", "UDATA_API_KEY", "UDATA_ORG_ID") if not env.get(k)]
    if missing:
        _unavailable(f"{ENV_FILE} lacks {', '.join(missing)}")
    yield UdataServer(
        url=env["UDATA_URL"].rstrip("/"),
        api_key=env["UDATA_API_KEY"],
        org_id=env["UDATA_ORG_ID"],
        org_slug=env.get("UDATA_ORG_SLUG", ""),
        user_id=env.get("UDATA_USER_ID", ""),
        env=env,
    )
    if not already_running and not os.environ.get("UDATA_DEV_KEEP"):
        _run_script("stop", timeout=120)


def _dump_swagger(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("udata-swagger") / "swagger.json"
    proc = _run_script("swagger", str(out), timeout=600)
    if proc.returncode != 0:
        _unavailable(f"`scripts/udata-dev swagger` failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return out, out.with_name("swagger.v2.json")


@pytest.fixture(scope="session")
def _udata_swagger_files(udata_server: UdataServer, tmp_path_factory) -> tuple[Path, Path]:
    return _dump_swagger(tmp_path_factory)


@pytest.fixture(scope="session")
def udata_swagger(_udata_swagger_files) -> dict:
    """udata's API v1 Swagger document (``basePath`` ``/api/1``, paths like
    ``/datasets/{dataset}/upload/``), as dumped by ``scripts/udata-dev swagger``."""
    return json.loads(_udata_swagger_files[0].read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def udata_swagger_v2(_udata_swagger_files) -> dict:
    """udata's API v2 Swagger document (``basePath`` ``/api/2``: dataset extras, search)."""
    return json.loads(_udata_swagger_files[1].read_text(encoding="utf-8"))
