"""opendata: publish open data the way software is published.

Library first: every command of the CLI is a thin wrapper over a function of this package,
each returning plain data.
"""

__version__ = "0.1.0"

from opendata.catalog import Catalog, load_catalog  # noqa: E402
from opendata.download import load_pack  # noqa: E402  (issue 6)
from opendata.errors import OpendataError  # noqa: E402
from opendata.validate import validate  # noqa: E402

__all__ = ["Catalog", "OpendataError", "__version__", "load_catalog", "load_pack", "validate"]
