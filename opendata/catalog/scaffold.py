"""``opendata new``: a dataset folder with a manifest that explains itself."""

from __future__ import annotations

import re
from pathlib import Path

from opendata.catalog.config import load_config, load_licences
from opendata.catalog.manifests import DATASETS_DIR, MANIFEST
from opendata.errors import UsageError

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{1,99}$")

TEMPLATE = """\
# Manifest of the dataset {name}. Every field is documented in the README
# ("Manifest format") and in validation/dataset.schema.json (editors complete from it).
name: {name}
title: "{title}"
description: |
  TODO: what the data is, its unit, its caveats and where it comes from (Markdown).
organization: {organization}       # a key of opendata.yaml `organizations:`
licence: {licence}                 # `opendata licences` lists the keys
keywords: []                        # free keywords
themes: []                          # EU data themes: ECON, EDUC, GOVE, SOCI, TECH, ...
frequency: UNKNOWN                  # ANNUAL, MONTHLY, IRREG, NEVER (one-off), UNKNOWN, ...
# temporal: {{start: 2024-01-01, end: 2024-12-31}}
# spatial: {{level: region, code: "75"}}
# contact: {{name: Service données, email: opendata@example.fr}}
# source: {{title: "Document de référence", section: "Tableau 2"}}
version: "0.1.0"
language: [fr]
resources:
  - name: donnees
    title: Données
    path: donnees.csv               # a file in this folder (or `url:` for a remote file)
    format: csv
    # schema: donnees.schema.json   # `opendata infer donnees.csv --write` creates it
    dialect: {{delimiter: ";", encoding: utf-8}}
"""


def new_dataset(root: Path, name: str, *, title: str | None = None,
                organization: str | None = None, licence: str = "etalab-2.0") -> Path:
    """Create ``datasets/<name>/dataset.yaml``; refuses bad names and existing folders."""
    if not SLUG.match(name):
        raise UsageError(f"invalid dataset name {name!r}",
                         "Use 2-100 characters of a-z, 0-9, '-' and '_', starting with a "
                         "letter or digit.")
    config = load_config(root)
    licences = load_licences(root)
    if licence not in licences:
        raise UsageError(f"unknown licence {licence!r}", licences.suggest(licence))
    org = organization or next(iter(config.organizations))
    if org not in config.organizations:
        raise UsageError(f"unknown organisation {org!r}",
                         f"Known: {', '.join(config.organizations)}.")
    folder = root / DATASETS_DIR / name
    if folder.exists():
        raise UsageError(f"{folder} already exists", "Pick another name or edit it.")
    folder.mkdir(parents=True)
    manifest = folder / MANIFEST
    manifest.write_text(TEMPLATE.format(
        name=name, title=title or name.replace("-", " ").capitalize(), organization=org,
        licence=licence), encoding="utf-8")
    return manifest
