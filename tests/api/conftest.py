"""``opendata serve`` on 127.0.0.1 over the library the site tests build (waitress, in a
thread of the test process), and the local CKAN's fixture for the comparison test."""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "site"))
from library import make_library  # noqa: E402

from opendata.api.app import App  # noqa: E402


def _ckan_fixtures():
    """The session fixture of tests/integration/ckan (start or reuse the local CKAN)."""
    spec = importlib.util.spec_from_file_location(
        "ckan_it_conftest", HERE.parent / "integration" / "ckan" / "conftest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module.ckan_server


ckan_server = _ckan_fixtures()


@pytest.fixture(scope="session")
def api_library(tmp_path_factory) -> tuple[Path, Path]:
    return make_library(tmp_path_factory.mktemp("api-library"))


@pytest.fixture(scope="session")
def served(api_library) -> Iterator[str]:
    """The base URL of ``opendata serve``'s app on a free port."""
    from waitress.server import create_server

    _, dist = api_library
    server = create_server(App(dist), host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
