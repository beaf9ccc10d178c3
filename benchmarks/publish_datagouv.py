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
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]


def make_catalog(root: Path, n: int, run: str, url: str, org: str) -> None:
    shutil.copyfile(REPO / "opendata.yaml", root / "opendata.yaml")
    shutil.copytree(REPO / "licences", root / "licences")
    (root / "harvesters").mkdir()
    (root / "harvesters" / "bench.yaml").write_text(
        f"type: datagouv\nurl: {url}\ntoken_env: DATAGOUV_BENCH_KEY\n"
        f"catalog_id: urn:bench:{run}\norganizations: {{region-poitou-charentes: {org}}}\n")
    schema = ('{"fields": [{"name": "commune", "type": "string"}, '
              '{"name": "valeur", "type": "number", "decimalChar": ","}]}')
    for i in range(n):
        folder = root / "datasets" / f"jeu-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "data.schema.json").write_text(schema)
        rows = "".join(f"Commune {j};{i},{j}\n" for j in range(20))
        (folder / "data.csv").write_text("commune;valeur\n" + rows, encoding="utf-8")
        (folder / "dataset.yaml").write_text(
            f"name: jeu-{i:04d}\ntitle: Jeu de données généré {i} ({run})\n"
            "description: Jeu de données généré pour le banc d'essai de publication.\n"
            "organization: region-poitou-charentes\nlicence: etalab-2.0\n"
            "keywords: [banc, essai]\nthemes: [GOVE]\nfrequency: ANNUAL\n"
            "temporal: {start: '2020-01-01', end: '2020-12-31'}\n"
            "resources:\n  - name: data\n    path: data.csv\n    format: csv\n"
            "    schema: data.schema.json\n    dialect: {delimiter: ';'}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    subprocess.run([str(REPO / "scripts" / "udata-dev"), "start"], check=True,
                   stdout=sys.stderr)
    env = dict(line.split("=", 1) for line in
               (REPO / ".dev" / "udata" / "env").read_text().split() if "=" in line)
    os.environ["DATAGOUV_BENCH_KEY"] = env["UDATA_API_KEY"]
    run = uuid.uuid4().hex[:6]
    resp = requests.post(f"{env['UDATA_URL']}/api/1/organizations/",
                         headers={"X-API-KEY": env["UDATA_API_KEY"]},
                         json={"name": f"bench {run}", "description": "opendata benchmark"},
                         timeout=30)
    resp.raise_for_status()
    from opendata.harvesters.base import publish

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_catalog(root, args.datasets, run, env["UDATA_URL"], resp.json()["id"])
        for label in ("first publish", "no-op re-publish"):
            start = time.perf_counter()
            report = publish(root, "bench", jobs=args.jobs)
            took = time.perf_counter() - start
            req = report.requests
            print(f"{label:<18} {took:8.2f} s  ok={report.ok}  reads={req['reads']} "
                  f"writes={req['writes']} retries={req['retries']}")
            print(f"{'':<18} by action: {req['by_action']}")
            if not report.ok:
                bad = [(r.dataset, r.error) for r in report.results if r.status == "failed"][:3]
                print(f"{'':<18} failures: {bad}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
