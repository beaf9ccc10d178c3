"""Import 1,000 generated datasets from the local CKAN: time and number of requests,
side by side with ``ckanapi dump datasets`` (the peer) on the same organisation.

    scripts/ckan-dev start
    .venv/bin/python benchmarks/import.py [--datasets 1000]

The datasets are created once per run through CKAN's API (not timed), in an organisation
of their own; the import reads them in bulk (package_search pages of 1,000).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]


def read_env(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    args = parser.parse_args()
    env = read_env(REPO / ".dev" / "ckan" / "env")
    url, token = env["CKAN_URL"], env["CKAN_API_TOKEN"]
    session = requests.Session()
    session.headers["Authorization"] = token

    def action(_action: str, **data: object) -> dict:
        resp = session.post(f"{url}/api/3/action/{_action}", json=data, timeout=60)
        body = resp.json()
        if not body.get("success"):
            sys.exit(f"{_action} failed: {body.get('error')}")
        return body["result"]

    run = uuid.uuid4().hex[:6]
    org = action("organization_create", name=f"bench-import-{run}", title=f"Bench {run}")
    start = time.perf_counter()
    for i in range(args.datasets):
        action("package_create", name=f"bench-{run}-{i:04d}", title=f"Jeu {i}",
               notes="Jeu généré pour le banc d'essai d'import.", owner_org=org["id"],
               license_id="fr-lo", tags=[{"name": "banc"}, {"name": "essai"}],
               extras=[{"key": "temporal_start", "value": "2020-01-01"},
                       {"key": "producteur", "value": "banc"}],
               resources=[{"name": "Données", "url": f"{url}/data-{i}.csv", "format": "CSV"}])
    print(flush=True)
    print(f"created {args.datasets} datasets in {time.perf_counter() - start:.1f} s "
          "(setup, not timed below)")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "catalog"
        root.mkdir()
        shutil.copyfile(REPO / "tests" / "fixtures" / "catalog" / "opendata.yaml",
                        root / "opendata.yaml")
        os.environ["BENCH_CKAN_TOKEN"] = token
        from opendata.importers import import_catalog

        start = time.perf_counter()
        report = import_catalog(url, root, kind="ckan", organization=org["name"],
                                token_env="BENCH_CKAN_TOKEN")
        ours = time.perf_counter() - start
        written = len(list((root / "datasets").glob("*/dataset.yaml")))
        print(f"opendata import: {ours:.2f} s, {report.requests} request(s), "
              f"{written} manifests written ({report.counts()})")
        start = time.perf_counter()
        report = import_catalog(url, root, kind="ckan", organization=org["name"],
                                token_env="BENCH_CKAN_TOKEN")
        print(f"opendata re-import (nothing changed): {time.perf_counter() - start:.2f} s, "
              f"{report.requests} request(s), {report.counts()['unchanged']} unchanged")
        ckanapi = Path(sys.executable).parent / "ckanapi"
        out = Path(tmp) / "dump.jsonl"
        start = time.perf_counter()
        names = [f"bench-{run}-{i:04d}" for i in range(args.datasets)]
        # ckanapi's dump runs worker processes found on PATH
        env_path = {**os.environ, "PATH": f"{ckanapi.parent}:{os.environ.get('PATH', '')}"}
        proc = subprocess.run([str(ckanapi), "dump", "datasets", *names, "-O", str(out),
                               "-r", url, "-a", token, "-q"], capture_output=True, text=True,
                              env=env_path)
        peer = time.perf_counter() - start
        lines = len(out.read_text().splitlines()) if out.exists() else 0
        print(f"ckanapi dump datasets NAME... (peer: JSON lines, not manifests; one "
              f"package_show per dataset): {peer:.2f} s, {lines} datasets, "
              f"{args.datasets} request(s), exit {proc.returncode}")
    print(f"cleanup: the organisation bench-import-{run} and its datasets stay on the local "
          "CKAN (scripts/ckan-dev stop && rm -rf .dev/ckan to reset)")


if __name__ == "__main__":
    main()
