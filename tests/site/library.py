"""The library the site, browser and API tests look at: the bundled catalog, plus two
datasets written to attack or corner the site, built once into a throw-away folder.

* ``donnees-hostiles``: a description holding ``<script>``, an ``onerror`` image, a
  ``javascript:`` link and a ``javascript:`` source URL (all must come out inert), and
  the word ``zyxwquetzal`` found in no other dataset (the search test looks for it);
* ``notice-sans-tableau``: a dataset whose only resource is a text file (no table: no
  preview, no dictionary, still a page and downloads);
* ``published/ckan-region.json``: a publish report saying the hostile dataset is on a
  CKAN, so its page shows "published on" (in the browser and axe tests too).

The copy is a git repository with one commit, so pages show a history.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from opendata.site.published import PUBLISHED_DIR

REPO = Path(__file__).resolve().parents[2]
UNIQUE_WORD = "zyxwquetzal"
HOSTILE = "donnees-hostiles"
NO_TABLE = "notice-sans-tableau"
PUBLISHED_PORTAL = "https://ckan.example.org"

HOSTILE_MANIFEST = f"""\
name: {HOSTILE}
title: Données hostiles <script>window.__pwned = "title"</script>
description: |
  Un jeu de test. <script>window.__pwned = "script"</script>
  <img src="x" onerror="window.__pwned = 'img'">
  [cliquez ici](javascript:window.__pwned='link') et [un vrai lien](https://example.org/).
  Le mot {UNIQUE_WORD} n'apparaît que dans cette description.
organization: region-centre-val-de-loire
licence: etalab-2.0
keywords: [test hostile]
themes: [ENVI]
frequency: ANNUAL
temporal: {{start: "2019-01-01", end: "2019-12-31"}}
source:
  title: Source <em>piégée</em>
version: "2.0.0"
resources:
- name: mesures
  title: Mesures
  path: mesures.csv
  format: csv
  description: Trois mesures.
  schema:
    fields:
    - {{name: lieu, type: string, description: "<b>Lieu</b>"}}
    - {{name: valeur, type: number}}
  dialect: {{delimiter: ";", decimalChar: ","}}
"""

NO_TABLE_MANIFEST = f"""\
name: {NO_TABLE}
title: Notice sans tableau
description: Une notice en texte, sans aucune ressource tabulaire.
organization: region-poitou-charentes
licence: etalab-2.0
keywords: [notice]
version: "1.0.0"
resources:
- name: notice
  title: Notice
  path: notice.txt
  format: txt
  description: La notice.
"""


def make_library(base: Path) -> tuple[Path, Path]:
    """Copy the catalog into ``base/catalog``, add the two datasets, commit, build.

    Returns (catalog root, dist)."""
    from opendata.pipeline.build import build

    root = base / "catalog"
    root.mkdir(parents=True)
    for name in ("opendata.yaml", "licences", "datasets", "harvesters"):
        src = REPO / name
        if not src.exists():  # licences/ is optional (the registry is built in)
            continue
        if src.is_dir():
            shutil.copytree(src, root / name)
        else:
            shutil.copyfile(src, root / name)
    hostile = root / "datasets" / HOSTILE
    hostile.mkdir()
    (hostile / "dataset.yaml").write_text(HOSTILE_MANIFEST, encoding="utf-8")
    (hostile / "mesures.csv").write_text("lieu;valeur\n<script>alert(1)</script>;1,5\n"
                                         "Tours;12,25\nOrléans;7\n", encoding="utf-8")
    notice = root / "datasets" / NO_TABLE
    notice.mkdir()
    (notice / "dataset.yaml").write_text(NO_TABLE_MANIFEST, encoding="utf-8")
    (notice / "notice.txt").write_text("Notice.\n", encoding="utf-8")
    # a publish report, so that pages show where the hostile dataset is published
    (root / PUBLISHED_DIR).mkdir()
    (root / PUBLISHED_DIR / "ckan-region.json").write_text(json.dumps({
        "target": "ckan-region", "kind": "ckan", "url": PUBLISHED_PORTAL, "ok": True,
        "dry_run": False, "results": [{"dataset": HOSTILE, "action": "create", "status": "ok",
                                       "url": f"{PUBLISHED_PORTAL}/dataset/{HOSTILE}",
                                       "changes": []}]}), encoding="utf-8")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
           "PATH": "/usr/bin:/bin"}
    subprocess.run(["git", "init", "-q", str(root)], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "Catalogue de test"],
                   check=True, env=env)
    dist = root / "dist"
    result = build(root, dist, use_cache=False)
    assert result.ok, [i.message for i in result.report.errors]
    return root, dist
