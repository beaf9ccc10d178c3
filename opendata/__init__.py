"""opendata: publish open data the way software is published.

Library first: every command of the CLI is a thin wrapper over a function of this package,
each returning plain data.

The package is laid out the way data flows, one subpackage per stage; each stage imports
only from the stages before it (``tests/test_layers.py`` holds the order):

``catalog`` → ``validation`` → ``dcat`` → ``packages`` → ``harvesters`` → ``pipeline`` →
``ci`` → ``cli``, over a shared bottom (``errors``, ``checksums``, ``gitinfo``).

The names below are resolved on first use, so ``import opendata`` (and ``opendata --help``)
does not pay for stages the caller never touches.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata._version import __version__

if TYPE_CHECKING:
    from opendata.catalog import Catalog, load_catalog
    from opendata.errors import OpendataError
    from opendata.packages.download import load_pack
    from opendata.validation import validate

_LAZY = {
    "Catalog": "opendata.catalog",
    "load_catalog": "opendata.catalog",
    "OpendataError": "opendata.errors",
    "load_pack": "opendata.packages.download",
    "validate": "opendata.validation",
}

__all__ = ["Catalog", "OpendataError", "__version__", "load_catalog", "load_pack", "validate"]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'opendata' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
