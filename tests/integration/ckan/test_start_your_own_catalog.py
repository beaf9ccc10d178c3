"""The README's "Start your own catalog", followed literally: its shell block, line by line,
in an empty folder, with the opendata of this virtualenv, against the real local CKAN.

The only thing filled in is the token of the ``export CKAN_API_TOKEN=...`` line (the
reader's own token; here the local sysadmin's). The dataset the example publishes is
purged before and after, under a lock, so that test runs of several checkouts sharing the
local CKAN do not publish it at the same time.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DATASET = "regions-ville-exemple"
LOCK = Path("/tmp/opendata-start-your-own-catalog.lock")


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Start your own catalog\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the section has no ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


@pytest.fixture
def exclusive(ckan) -> Iterator[None]:
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        _purge(ckan)
        try:
            yield
        finally:
            _purge(ckan)


def _purge(ckan) -> None:
    import ckanapi

    with contextlib.suppress(ckanapi.NotFound):
        ckan.action.dataset_purge(id=DATASET)


def test_readme_start_your_own_catalog(tmp_path: Path, ckan_server, ckan, exclusive) -> None:
    if ckan_server.url != "http://127.0.0.1:5000":
        pytest.skip(f"the README names the default local CKAN; this one is {ckan_server.url}")
    commands = readme_commands()
    steps_to_plan = commands[:[i for i, c in enumerate(commands)
                               if c.startswith("opendata plan")][0] + 1]
    assert len(steps_to_plan) <= 5, steps_to_plan
    cwd = tmp_path
    assert not list(cwd.iterdir())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CKAN_", "OPENDATA_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    outputs: dict[str, str] = {}
    for line in commands:
        words = shlex.split(line, comments=True)
        if words[0] == "cd":
            cwd = (cwd / words[1]).resolve()
            continue
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            assert (name, value) == ("CKAN_API_TOKEN", "..."), line
            env[name] = ckan_server.token
            continue
        assert words[0] == "opendata", line
        done = subprocess.run(line, shell=True, cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}"
        outputs[" ".join(words[:2])] = done.stdout
    # the new catalog's language is fr, so its stewards read French
    assert f"{DATASET}: ok (regions : 18 ligne(s))" in outputs["opendata build"]
    assert re.search(rf"create\s+{DATASET}", outputs["opendata plan"])
    published = ckan.action.package_show(id=DATASET)
    assert published["organization"]["name"] == "ville-exemple"
    assert published["title"] == "Régions de France (exemple)"
    [resource] = published["resources"]
    assert resource["url_type"] == "upload" and resource["name"]
    # publishing again changes nothing: the plan says so
    again = subprocess.run(["opendata", "plan", "--target", "ckan"], cwd=cwd, env=env,
                           capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert re.search(rf"unchanged\s+{DATASET}", again.stdout), again.stdout
