"""Publish N generated datasets (one small CSV each) to the local udata, then publish again.

Prints the time and HTTP requests (reads/writes, by action) of the first publish and of
the no-op re-publish, which must make zero writes and read only the organisation listing
(paged, 100 datasets a page) and the spatial granularities.  Starts the local udata with
scripts/udata-dev and publishes into a fresh organisation, so runs never collide.

    .venv/bin/python benchmarks/publish_datagouv.py [--datasets 200] [--jobs 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import requests
from _publish import REPO, make_catalog, publish_twice, read_env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    subprocess.run([str(REPO / "scripts" / "udata-dev"), "start"], check=True,
                   stdout=sys.stderr)
    env = read_env(REPO / ".dev" / "udata" / "env")
    os.environ["DATAGOUV_BENCH_KEY"] = env["UDATA_API_KEY"]
    run = uuid.uuid4().hex[:6]
    resp = requests.post(f"{env['UDATA_URL']}/api/1/organizations/",
                         headers={"X-API-KEY": env["UDATA_API_KEY"]},
                         json={"name": f"bench {run}", "description": "opendata benchmark"},
                         timeout=30)
    resp.raise_for_status()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_catalog(root, args.datasets, run, (
            f"type: datagouv\nurl: {env['UDATA_URL']}\ntoken_env: DATAGOUV_BENCH_KEY\n"
            f"catalog_id: urn:bench:{run}\n"
            f"organizations: {{region-poitou-charentes: {resp.json()['id']}}}\n"))
        publish_twice(root, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
