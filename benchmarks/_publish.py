"""What the publish benchmarks share: a generated catalog and the two timed publishes.

Imported by ``publish_ckan.py`` and ``publish_datagouv.py`` (run as scripts from the
repository root, so this folder is on ``sys.path``).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCHEMA = ('{"fields": [{"name": "commune", "type": "string"}, '
          '{"name": "valeur", "type": "number", "decimalChar": ","}]}')


def read_env(path: Path) -> dict[str, str]:
    """``KEY=value`` lines of a local portal's env file (.dev/<portal>/env)."""
    return dict(line.split("=", 1) for line in path.read_text().split() if "=" in line)


def make_catalog(root: Path, n: int, run: str, target_yaml: str) -> None:
    """``n`` datasets of one small French CSV each, and ``harvesters/bench.yaml``."""
    shutil.copyfile(REPO / "opendata.yaml", root / "opendata.yaml")
    if (REPO / "licences").is_dir():  # the registry is built in; a catalog may add some
        shutil.copytree(REPO / "licences", root / "licences")
    (root / "harvesters").mkdir()
    (root / "harvesters" / "bench.yaml").write_text(target_yaml)
    for i in range(n):
        folder = root / "datasets" / f"jeu-{i:04d}"
        folder.mkdir(parents=True)
        (folder / "data.schema.json").write_text(SCHEMA)
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


def publish_twice(root: Path, jobs: int) -> None:
    """Time the first publish and the no-op re-publish; print their request counts."""
    from opendata.harvesters.base import publish

    for label in ("first publish", "no-op re-publish"):
        start = time.perf_counter()
        report = publish(root, "bench", jobs=jobs)
        took = time.perf_counter() - start
        req = report.requests
        print(f"{label:<18} {took:8.2f} s  ok={report.ok}  reads={req['reads']} "
              f"writes={req['writes']} retries={req['retries']}")
        print(f"{'':<18} by action: {req['by_action']}")
        if not report.ok:
            bad = [(r.dataset, r.error) for r in report.results if r.status == "failed"][:3]
            print(f"{'':<18} failures: {bad}")
