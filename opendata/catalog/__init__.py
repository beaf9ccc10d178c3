"""Stage 1, the catalog: configuration, manifests (YAML with positions), licences,
vocabularies and Table Schema resolution; loaded and checked, nothing validated yet.

Every later stage reads the catalog through this package.
"""

from opendata.catalog.manifests import Catalog, Dataset, Resource, load_catalog

__all__ = ["Catalog", "Dataset", "Resource", "load_catalog"]
