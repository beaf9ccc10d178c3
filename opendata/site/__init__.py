"""The library's website: the catalog as static, accessible HTML in ``dist/site/``."""

from opendata.site.build import SiteResult, build_site, site

__all__ = ["SiteResult", "build_site", "site"]
