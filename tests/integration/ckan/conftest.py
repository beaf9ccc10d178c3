"""Fixtures for the integration tests against a real local CKAN (``scripts/ckan-dev``).

``ckan_server`` starts the server on first use (the very first start installs CKAN and
takes a few minutes; see ``scripts/CKAN-DEV.md``) or reuses one that is already up.  If
it started the server itself it stops it at the end of the session, so start it by hand
(``scripts/ckan-dev start``) to keep it between runs.  When the server cannot be started
the tests fail under CI (the ``CI`` variable is set: CI must never skip silently) and
are skipped elsewhere, with the reason.

Every test in this folder is marked ``ckan``: ``pytest -m "not ckan"`` leaves them out.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
CKAN_DEV = REPO_ROOT / "scripts" / "ckan-dev"
START_TIMEOUT = 1800  # seconds; the first start installs Debian packages and CKAN
PORTS = {  # scripts/ckan-dev's port settings and their defaults
    "CKAN_DEV_PORT": 5000,
    "CKAN_DEV_PG_PORT": 5433,
    "CKAN_DEV_REDIS_PORT": 6380,
    "CKAN_DEV_SOLR_PORT": 8983,
}


@dataclass(frozen=True)
class CkanServer:
    """A running local CKAN: its base URL and a sysadmin API token."""

    url: str
    token: str


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "ckan: integration tests against the local CKAN (scripts/ckan-dev)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.ckan)


def _env_file() -> Path:
    state = os.environ.get("CKAN_DEV_DIR") or str(REPO_ROOT / ".dev" / "ckan")
    return Path(state) / "env"


def _read_env(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip()
    return values


def _cannot_start(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"local CKAN unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"local CKAN unavailable: {reason}")


def _port_busy(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ports_for_new_server() -> dict[str, str]:
    """Ports for a server this session starts: the defaults, except that a default port
    taken by something else (say, the server of another checkout) is replaced by a free
    one, unless the variable was set explicitly."""
    env = {}
    for var, default in PORTS.items():
        if var not in os.environ and _port_busy(default):
            env[var] = str(_free_port())
    return env


def _run(command: str, timeout: float, env: dict[str, str] | None = None):
    return subprocess.run(
        ["bash", str(CKAN_DEV), command],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="session")
def ckan_server() -> Iterator[CkanServer]:
    """Start (or reuse) the local CKAN; yields its URL and a sysadmin token."""
    if not CKAN_DEV.exists():
        _cannot_start(f"{CKAN_DEV} is missing")
    try:
        status = _run("status", timeout=60)
        was_up = status.returncode == 0
        # Move off busy default ports only when none of this checkout's services runs
        # (a half-running stack of ours must be restarted on its own ports).
        all_down = all(
            line.rstrip().endswith("down")
            for line in status.stdout.splitlines()
            if line.split(":")[0] in ("postgres", "redis", "solr", "ckan")
        )
        ports = _ports_for_new_server() if all_down else {}
        started = _run("start", timeout=START_TIMEOUT, env=ports)
    except (OSError, subprocess.TimeoutExpired) as e:
        _cannot_start(f"scripts/ckan-dev start did not finish: {e}")
    if started.returncode != 0:
        tail = "\n".join((started.stdout + started.stderr).splitlines()[-25:])
        _cannot_start(f"scripts/ckan-dev start exited with {started.returncode}:\n{tail}")
    env_file = _env_file()
    try:
        values = _read_env(env_file)
    except OSError as e:
        _cannot_start(f"cannot read {env_file}: {e}")
    if not values.get("CKAN_URL") or not values.get("CKAN_API_TOKEN"):
        _cannot_start(f"{env_file} lacks CKAN_URL or CKAN_API_TOKEN")
    try:
        yield CkanServer(url=values["CKAN_URL"].rstrip("/"), token=values["CKAN_API_TOKEN"])
    finally:
        if not was_up:
            # Leave no server behind that this session started (it would hold the ports).
            _run("stop", timeout=180, env=ports)


@pytest.fixture
def ckan(ckan_server: CkanServer):
    """A ``ckanapi.RemoteCKAN`` client acting as the local sysadmin."""
    import ckanapi
    import requests

    session = requests.Session()
    session.trust_env = False  # talk to 127.0.0.1 directly, whatever proxy is set
    client = ckanapi.RemoteCKAN(
        ckan_server.url,
        apikey=ckan_server.token,
        user_agent="opendata-tests (ckan-dev)",
        session=session,
    )
    try:
        yield client
    finally:
        session.close()
