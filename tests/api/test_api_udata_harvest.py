"""udata's own CKAN harvester harvests ``opendata serve`` into a real udata 17: every
dataset and every resource arrives.

The harvester is the one of PyPI ``udata-ckan``, merged into udata itself since
(``udata.harvest.backends.ckan``); udata-ckan 4.0.2, the last release, no longer imports
with udata 17 (``UPDATE_FREQUENCIES`` is gone), and installed beside it, it breaks udata's
backend listing: so nothing is installed, udata's own copy is used.

The shared local udata (``scripts/udata-dev``) runs with udata's test settings, which
enable only the ``factory`` harvest backend, and must not be restarted; so this test
starts its own udata from the same ``scripts/udata_dev_app.py`` on a free port, with the
``ckan`` backend enabled, and stops it at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time

import pytest
import requests
from library import REPO

from opendata.catalog.manifests import load_catalog

pytestmark = pytest.mark.udata

VENV_PYTHON = REPO / ".dev" / "udata" / "venv" / "bin" / "python"
LAUNCH = """
import sys
sys.path.insert(0, {scripts!r})
import udata_dev_app as app
base = app.make_config

def with_ckan(*args):
    config = base(*args)
    class Config(config):
        HARVESTER_BACKENDS = ["ckan"]
        HARVEST_ENABLE_MANUAL_RUN = True
    return Config

app.make_config = with_ckan
sys.exit(app.main(sys.argv[1:]))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def udata_with_ckan(tmp_path):
    ok = VENV_PYTHON.is_file() and subprocess.run(
        [str(VENV_PYTHON), "-c", "import udata.harvest.backends.ckan.harvesters"],
        capture_output=True).returncode == 0
    if not ok:
        message = "udata's virtualenv is missing (scripts/udata-dev start installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    port = _free_port()
    env_file = tmp_path / "env"
    log = (tmp_path / "udata.log").open("w")
    proc = subprocess.Popen(
        [str(VENV_PYTHON), "-c", LAUNCH.format(scripts=str(REPO / "scripts")),
         "--base-dir", str(tmp_path), "--host", "127.0.0.1", "--port", str(port),
         "serve", "--env-file", str(env_file)], stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 180
        while not env_file.is_file():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("own udata did not start:\n" +
                            (tmp_path / "udata.log").read_text()[-3000:])
            time.sleep(1)
        values = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
        yield values
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_udata_ckan_harvests_every_dataset_and_resource(udata_with_ckan, served, api_library):
    url = udata_with_ckan["UDATA_URL"]
    headers = {"X-API-KEY": udata_with_ckan["UDATA_API_KEY"]}
    org = udata_with_ckan["UDATA_ORG_ID"]
    backends = requests.get(f"{url}/api/1/harvest/backends/", timeout=30).json()
    assert isinstance(backends, list) and "ckan" in [b["id"] for b in backends], backends
    source = requests.post(f"{url}/api/1/harvest/sources/", headers=headers, timeout=30, json={
        "name": "Bibliothèque (opendata serve)", "url": served + "/", "backend": "ckan",
        "organization": org})
    assert source.status_code == 201, source.text
    sid = source.json()["id"]
    validated = requests.post(f"{url}/api/1/harvest/source/{sid}/validate/", headers=headers,
                              json={"state": "accepted"}, timeout=30)
    assert validated.status_code == 200, validated.text
    run = requests.post(f"{url}/api/1/harvest/source/{sid}/run/", headers=headers, timeout=600)
    assert run.status_code == 200, run.text
    jobs = requests.get(f"{url}/api/1/harvest/source/{sid}/jobs/", timeout=30).json()["data"]
    job = requests.get(f"{url}/api/1/harvest/job/{jobs[0]['id']}/", timeout=30).json()
    assert job["status"] == "done", job
    root, _ = api_library
    catalog = load_catalog(root)
    served_pkgs = {ds.name: requests.get(f"{served}/api/3/action/package_show",
                                         params={"id": ds.name}, timeout=30).json()["result"]
                   for ds in catalog.datasets}
    harvested = requests.get(f"{url}/api/1/datasets/", params={"organization": org,
                             "page_size": 100}, headers=headers, timeout=30).json()["data"]
    by_title = {d["title"]: d for d in harvested}
    assert len(harvested) == len(served_pkgs)
    for pkg in served_pkgs.values():
        got = by_title[pkg["title"]]
        assert got["harvest"]["remote_id"] == pkg["id"]
        assert got["license"] == "lov2"
        assert sorted(r["url"] for r in got["resources"]) == sorted(
            r["url"] for r in pkg["resources"])
        assert {r["title"] for r in got["resources"]} == {r["name"] for r in pkg["resources"]}
