"""Publish N generated datasets (one CSV each) to the local CKAN, then publish again.

Prints the time and HTTP requests of the first publish and of the no-op re-publish, which
must make zero writes and read in bulk.  Starts the local CKAN with scripts/ckan-dev.

    .venv/bin/python benchmarks/publish_ckan.py [--datasets 200] [--jobs 4]
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

REPO = Path(__file__).resolve().parents[1]


def make_catalog(root: Path, n: int, run: str, url: str) -> None:
    shutil.copyfile(REPO / "opendata.yaml", root / "opendata.yaml")
    shutil.copytree(REPO / "licences", root / "licences")
    (root / "harvesters").mkdir()
    (root / "harvesters" / "bench.yaml").write_text(
        f"type: ckan\nurl: {url}\ntoken_env: CKAN_API_TOKEN\nname_prefix: b{run}-\n"
        f"catalog_id: urn:bench:{run}\norganizations: {{region-poitou-charentes: b{run}-org}}\n")
    schema = ('{"fields": [{"name": "commune", "type": "string"}, '
              '{"name": "valeur", "type": "number", "decimalChar": ","}]}')
    for i in range(n):
        folder = root / "datasets" / f"jeu-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "data.schema.json").write_text(schema)
        rows = "".join(f"Commune {j};{i},{j}\n" for j in range(20))
        (folder / "data.csv").write_text("commune;valeur\n" + rows, encoding="utf-8")
        (folder / "dataset.yaml").write_text(
            f"name: jeu-{i:04d}\ntitle: Jeu de données généré {i}\n"
            "description: Jeu de données généré pour le banc d'essai de publication.\n"
            "organization: region-poitou-charentes\nlicence: etalab-2.0\n"
            "keywords: [banc, essai]\nthemes: [GOVE]\nfrequency: ANNUAL\n"
            "resources:\n  - name: data\n    path: data.csv\n    format: csv\n"
            "    schema: data.schema.json\n    dialect: {delimiter: ';'}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=4)
    args = parser.parse_args()
    subprocess.run([str(REPO / "scripts" / "ckan-dev"), "start"], check=True,
                   stdout=sys.stderr)
    env = dict(line.split("=", 1) for line in
               (REPO / ".dev" / "ckan" / "env").read_text().split() if "=" in line)
    os.environ["CKAN_API_TOKEN"] = env["CKAN_API_TOKEN"]
    from opendata.harvesters.base import publish

    run = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_catalog(root, args.datasets, run, env["CKAN_URL"])
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
