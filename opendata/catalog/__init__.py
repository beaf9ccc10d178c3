"""Stage 1, the catalog: configuration, manifests (YAML with positions), licences,
vocabularies, Table Schema resolution and the language of a run; loaded and checked,
nothing validated yet.

Every later stage reads the catalog through this package.  Its entry points are resolved
on first use: `opendata --help` reaches :mod:`opendata.catalog.i18n` and must not load
the JSON Schema library that :mod:`~opendata.catalog.manifests` needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opendata.catalog.manifests import Catalog, Dataset, Resource, load_catalog

__all__ = ["Catalog", "Dataset", "Resource", "load_catalog"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from opendata.catalog import manifests

        return getattr(manifests, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
