"""Publish N generated datasets (one CSV each) to the local CKAN, then publish again.

Prints the time and HTTP requests of the first publish and of the no-op re-publish, which
must make zero writes and read in bulk.  Starts the local CKAN with scripts/ckan-dev.

    .venv/bin/python benchmarks/publish_ckan.py [--datasets 200] [--jobs 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from _publish import REPO, make_catalog, publish_twice, read_env


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    subprocess.run([str(REPO / "scripts" / "ckan-dev"), "start"], check=True,
                   stdout=sys.stderr)
    env = read_env(REPO / ".dev" / "ckan" / "env")
    os.environ["CKAN_API_TOKEN"] = env["CKAN_API_TOKEN"]
    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_catalog(root, args.datasets, run, (
            f"type: ckan\nurl: {env['CKAN_URL']}\ntoken_env: CKAN_API_TOKEN\n"
            f"name_prefix: b{run}-\ncatalog_id: urn:bench:{run}\n"
            f"organizations: {{region-poitou-charentes: b{run}-org}}\n"))
        publish_twice(root, args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
