"""The built library, shared by the site tests (built once per session)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from library import make_library  # noqa: E402


@pytest.fixture(scope="session")
def library(tmp_path_factory) -> tuple[Path, Path]:
    """(catalog root, dist) of the bundled catalog plus the hostile and table-less datasets."""
    return make_library(tmp_path_factory.mktemp("library"))


@pytest.fixture(scope="session")
def site_dir(library) -> Path:
    return library[1] / "site"
