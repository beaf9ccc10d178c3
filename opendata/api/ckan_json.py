"""The catalog as a CKAN would hold it: package dicts written at build time.

``opendata serve`` answers CKAN's read actions from these files alone (no database, no
catalog): ``dist/api/packages.jsonl`` (one ``package_show`` result per line),
``organizations.json`` and ``licenses.json``.

The fields opendata manages come from the CKAN harvester's own mapping
(:meth:`CkanPortal.desired` and its payloads, with the fingerprint and state extras),
so the library answers what a CKAN that opendata published to would answer.  What CKAN
adds by itself (ids, timestamps, the organisation object, licence titles, counters) is
filled in the way CKAN 2.12 does; the README lists what still differs.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from opendata.catalog.config import Licence
from opendata.catalog.manifests import Catalog, Dataset
from opendata.gitinfo import FileDates
from opendata.harvesters.ckan import CkanPortal
from opendata.harvesters.targets import Target
from opendata.site.model import FILES_DIR, dataset_files
from opendata.validation.report import ValidationReport

API_DIR = "api"
PACKAGES = "packages.jsonl"
ORGANIZATIONS = "organizations.json"
LICENSES = "licenses.json"
#: Placeholder for the server's own URL in stored resource URLs (known only per request).
SITE = "{site_url}"


def _uuid(*parts: str) -> str:
    """A stable CKAN-style id: the same dataset keeps its id from build to build."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _ckan_time(value: datetime | None) -> str | None:
    """CKAN's timestamps: naive UTC, microseconds (``2026-11-23T09:10:25.897522``)."""
    if value is None:
        return None
    return value.replace(tzinfo=None).isoformat(timespec="microseconds")


def _portal(catalog: Catalog) -> CkanPortal:
    """The CKAN harvester, on a target that sends nothing: only its mapping is used."""
    target = Target(name="opendata-serve", kind="ckan", url="", file=catalog.root / "opendata.yaml",
                    resources="upload", organizations={k: k for k in catalog.config.organizations})
    return CkanPortal(target, catalog, dry_run=True)


def license_dict(lic: Licence) -> dict[str, Any]:
    """A ``license_list`` entry, in CKAN 2.12's shape (its booleans are strings)."""
    return {"domain_content": "False", "id": lic.ckan_id, "domain_data": "True",
            "domain_software": "False", "family": "", "is_generic": "False",
            "od_conformance": "approved" if lic.open else "not reviewed",
            "osd_conformance": "not reviewed", "maintainer": "", "status": "active",
            "url": lic.url, "title": lic.title}


def organization_dict(catalog: Catalog, key: str, created: str | None) -> dict[str, Any]:
    org = catalog.config.organizations[key]
    return {"id": _uuid(catalog.config.base_uri, "organization", key), "name": key,
            "title": org.title, "type": "organization", "description": org.description,
            "image_url": "", "created": created, "is_organization": True,
            "approval_status": "approved", "state": "active"}


def package_dict(portal: CkanPortal, catalog: Catalog, ds: Dataset, dates: FileDates,
                 orgs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    desired = portal.desired(ds)
    payload = portal._package_payload(desired, with_state=True)  # what publishing writes
    pkg_id = _uuid(desired.identifier)
    span = dates.span(dataset_files(ds))
    created, modified = (_ckan_time(span[0]), _ckan_time(span[1])) if span else (None, None)
    lic = next((x for x in catalog.licences if x.ckan_id == payload["license_id"]), None)
    org = orgs.get(payload["owner_org"])
    resources = []
    for position, res in enumerate(desired.resources):
        item = portal._resource_payload(res)
        manifest_res = next(r for r in ds.resources if r.name == res.name)
        url = (f"{SITE}/{FILES_DIR}/{ds.name}/{manifest_res.path}" if res.upload
               else item.get("url") or "")
        resources.append({
            "cache_last_updated": None, "cache_url": None, "created": created,
            "description": item["description"],
            "format": item["format"], "hash": item["hash"],
            "id": _uuid(desired.identifier, "resource", res.name),
            "last_modified": modified if res.upload else None, "metadata_modified": modified,
            "mimetype": item.get("mimetype"), "mimetype_inner": None, "name": item["name"],
            "opendata_name": res.name, "package_id": pkg_id, "position": position,
            "resource_type": None, "size": item.get("size"), "state": "active", "url": url,
            "url_type": "upload" if res.upload else "",
        })
    tags = [{"display_name": t["name"], "id": _uuid("tag", t["name"]), "name": t["name"],
             "state": "active", "vocabulary_id": None} for t in payload["tags"]]
    return {
        "author": payload["author"], "author_email": payload["author_email"],
        "creator_user_id": _uuid(catalog.config.base_uri, "user", "opendata"),
        "id": pkg_id, "isopen": bool(lic and lic.open), "license_id": payload["license_id"],
        "license_title": lic.title if lic else payload["license_id"],
        "license_url": lic.url if lic else "", "maintainer": payload["maintainer"],
        "maintainer_email": payload["maintainer_email"], "metadata_created": created,
        "metadata_modified": modified, "name": payload["name"], "notes": payload["notes"],
        "num_resources": len(resources), "num_tags": len(tags), "organization": org,
        "owner_org": org["id"] if org else None, "private": payload["private"],
        "state": "active", "title": payload["title"], "type": "dataset",
        "url": payload["url"], "version": payload["version"], "extras": payload["extras"],
        "resources": resources, "tags": tags, "groups": [],
        "relationships_as_object": [], "relationships_as_subject": [],
    }


def packages(catalog: Catalog, report: ValidationReport) -> Iterator[dict[str, Any]]:
    """The CKAN package dict of every valid, public dataset, in catalog order."""
    portal = _portal(catalog)
    dates = FileDates(catalog.root)
    first = _ckan_time(min((s[0] for s in (dates.span([d.manifest]) for d in catalog.datasets)
                            if s), default=None))
    orgs = {k: organization_dict(catalog, k, first) for k in catalog.config.organizations}
    valid = set(report.valid_datasets())
    for ds in catalog.datasets:
        if ds.name in valid and not ds.get("private"):
            yield package_dict(portal, catalog, ds, dates, orgs)


def write_api_data(catalog: Catalog, report: ValidationReport, dist: Path) -> list[Path]:
    """``dist/api/``: what ``opendata serve`` reads, one package per line (streamed)."""
    folder = Path(dist) / API_DIR
    folder.mkdir(parents=True, exist_ok=True)
    pkg_file = folder / PACKAGES
    tmp = pkg_file.with_suffix(".tmp")
    orgs: dict[str, dict[str, Any]] = {}
    with tmp.open("w", encoding="utf-8") as fh:
        for pkg in packages(catalog, report):
            fh.write(json.dumps(pkg, ensure_ascii=False, separators=(",", ":")) + "\n")
            if pkg["organization"]:
                orgs.setdefault(pkg["organization"]["name"], pkg["organization"])
    tmp.replace(pkg_file)
    org_file = folder / ORGANIZATIONS
    org_file.write_text(json.dumps(sorted(orgs.values(), key=lambda o: o["name"]),
                                   ensure_ascii=False, indent=1), encoding="utf-8")
    lic_file = folder / LICENSES
    lic_file.write_text(json.dumps([license_dict(x) for x in catalog.licences],
                                   ensure_ascii=False, indent=1), encoding="utf-8")
    return [pkg_file, org_file, lic_file]
