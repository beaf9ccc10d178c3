"""The library's read API: ``opendata serve`` (site, DCAT, CKAN Action API v3, read half).

:func:`build_step` is the build's last step: the website and the data the API serves,
both from the same valid datasets.
"""

from __future__ import annotations

from pathlib import Path

from opendata.api.ckan_json import packages, write_api_data
from opendata.catalog.manifests import Catalog
from opendata.site import build_site
from opendata.validation.report import ValidationReport


def build_step(catalog: Catalog, report: ValidationReport, dist: Path) -> list[Path]:
    """``dist/site/`` (the website) and ``dist/api/`` (what ``opendata serve`` answers)."""
    return build_site(catalog, report, dist).files + write_api_data(catalog, report, dist)


__all__ = ["build_step", "packages", "write_api_data"]
