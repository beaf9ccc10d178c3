"""Parse a DCAT catalog with ckanext-dcat's DCAT-AP 3 profile, print CKAN dataset dicts.

Run with the Python of CKAN's virtualenv (``.dev/ckan/venv/bin/python``, where
``scripts/ckan-dev`` installs ckanext-dcat), never the project's: ckanext-dcat and CKAN pin
versions that clash with ours.  ``tests/integration/ckan/test_ckanext_dcat.py`` calls it.

It does what CKAN's DCAT harvester (ckanext-dcat's ``DCATRDFHarvester``) does with each
fetched page before creating datasets: ``RDFParser(profiles=[...]).parse(content,
_format)`` then ``parser.datasets()``, and follows the ``hydra:next`` page links the way
that harvester does (``parser.next_page()``).  No CKAN database or configuration is needed
for parsing.

    python ckanext_dcat_parse.py URL_OR_FILE [--profile euro_dcat_ap_3] [--format turtle]

Output (stdout): ``{"ckanext-dcat": version, "pages": N, "datasets": [dict, ...]}``.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.request
from importlib.metadata import version


def _read(location: str) -> str:
    if location.startswith(("http://", "https://")):
        with urllib.request.urlopen(location, timeout=60) as response:  # noqa: S310 - test-local
            return response.read().decode("utf-8")
    with open(location, encoding="utf-8") as fh:
        return fh.read()


def parse(location: str, profile: str, fmt: str, max_pages: int = 10_000) -> dict:
    from ckanext.dcat.processors import RDFParser

    datasets: list[dict] = []
    pages = 0
    seen: set[str] = set()
    current: str | None = location
    while current and current not in seen and pages < max_pages:
        seen.add(current)
        parser = RDFParser(profiles=[profile])
        parser.parse(_read(current), _format=fmt)
        datasets.extend(parser.datasets())
        pages += 1
        current = parser.next_page()
    return {"ckanext-dcat": version("ckanext-dcat"), "pages": pages, "datasets": datasets,
            "licences": _licence_register()}


def _licence_register() -> dict[str, dict[str, str]]:
    """CKAN's licence register as the parser matched against it (id -> url, title): a
    ``license_id`` comes only from there."""
    from ckan.model.license import LicenseRegister

    return {lid: {"url": lic.url or "", "title": lic.title or ""}
            for lid, lic in LicenseRegister().items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("location", help="URL or file of the catalog (or of its first page)")
    ap.add_argument("--profile", default="euro_dcat_ap_3")
    ap.add_argument("--format", default="turtle", help="rdflib parser name")
    args = ap.parse_args(argv)
    result = parse(args.location, args.profile, args.format)
    json.dump(result, sys.stdout, ensure_ascii=False, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
