"""Reading a data.gouv.fr (udata) organisation back into manifests.

The reverse of :mod:`opendata.harvesters.datagouv`'s mapping.  udata's API v1 lists an
organisation's datasets with their resources, 100 a page: one request per page.  What
udata cannot give back exactly is said in the README (tags are stored as slugs, several
DCAT frequencies share one udata frequency, contact and source are not carried).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slugify import slugify

from opendata.catalog.config import LicenceRegistry
from opendata.catalog.vocab import FREQUENCIES
from opendata.errors import PortalError
from opendata.harvesters.base import FINGERPRINT_KEY, IDENTIFIER_KEY, STATE_KEY
from opendata.harvesters.datagouv import RESOURCE_NAME_KEY, RESOURCE_SHA256_KEY
from opendata.harvesters.datagouv_mapping import GRANULARITIES
from opendata.harvesters.http import HttpClient
from opendata.importers.model import (
    ORIGIN_KEY,
    RemoteDataset,
    RemoteResource,
    default_mediatype,
)

PAGE_SIZE = 100
#: udata frequency -> the first manifest (EU) code that maps to it
FREQUENCY_BACK: dict[str, str] = {}
for _code, (_label, _udata) in FREQUENCIES.items():
    FREQUENCY_BACK.setdefault(_udata, _code)
LEVEL_BACK = {gran: level for level, gran in GRANULARITIES.items()}
SHA256 = re.compile(r"^[0-9a-f]{64}$")


def read_datagouv(http: HttpClient, licences: LicenceRegistry, organization: str, *,
                  marker: str | None = None) -> Iterator[RemoteDataset]:
    """Every dataset of ``organization`` (id or slug), private ones too with a member's
    key, mapped to manifests."""
    resp = http.request("GET", f"/api/1/organizations/{organization}/", action="read_org",
                        write=False)
    if resp.status_code == 404:
        raise PortalError(f"organisation {organization!r} not found on {http.base_url}",
                          "Give the organisation's id or slug (the last part of its URL).",
                          status=404)
    org = http.json(resp)
    if not isinstance(org, dict) or "id" not in org:
        raise PortalError(f"{http.base_url} did not answer like a udata API for organisation "
                          f"{organization!r}", "Give the site root, e.g. https://www.data.gouv.fr.",
                          status=resp.status_code)
    key = str(org.get("slug") or org["id"])
    info = {"title": str(org.get("name") or key),
            "description": str(org.get("description") or "").strip()}
    page = 1
    while True:
        resp = http.request("GET", f"/api/1/organizations/{org['id']}/datasets/",
                            action="list_datasets", write=False,
                            params={"page": page, "page_size": PAGE_SIZE, "sort": "created"})
        data = http.json(resp)
        if not isinstance(data, dict):
            raise PortalError(f"{http.base_url}: the dataset list of {organization!r} is not "
                              "a udata page", status=resp.status_code)
        for raw in data.get("data") or []:
            if not raw.get("deleted") and not raw.get("archived"):
                yield map_dataset(raw, licences, site=http.base_url, org_key=key,
                                  org_info=info, marker=marker)
        if not data.get("data") or not data.get("next_page"):
            return
        page += 1


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("id") or value.get("slug")
    return value


def map_dataset(raw: dict[str, Any], licences: LicenceRegistry, *, site: str, org_key: str,
                org_info: dict[str, str], marker: str | None = None) -> RemoteDataset:
    warnings: list[str] = []
    slug = str(raw.get("slug") or raw["id"])
    extras = dict(raw.get("extras") or {})
    manifest: dict[str, Any] = {"name": slugify(slug, max_length=100) or str(raw["id"]),
                                "title": raw.get("title") or slug,
                                "description": (raw.get("description") or "").strip(),
                                "organization": org_key}
    if not manifest["description"]:
        warnings.append("no description on the portal: the manifest needs one")
    licence_id = _ref(raw.get("license")) or ""
    found = licences.find(licence_id) if licence_id else None
    if found:
        manifest["licence"] = found.key
    else:
        manifest["licence"] = licence_id
        warnings.append(f"licence {licence_id!r} is in no registry entry: kept as is; choose "
                        "a known one (`opendata licences`)" if licence_id else
                        "no licence on the portal: choose one (`opendata licences`)")
    tags = [t for t in raw.get("tags") or [] if len(t) >= 2]
    if tags:
        manifest["keywords"] = sorted(dict.fromkeys(tags))
    freq = _ref(raw.get("frequency"))
    if freq and freq in FREQUENCY_BACK and freq != "unknown":
        manifest["frequency"] = FREQUENCY_BACK[freq]
    tc = raw.get("temporal_coverage") or {}
    temporal = {k: str(tc[k])[:10] for k in ("start", "end") if tc.get(k)}
    if temporal:
        manifest["temporal"] = temporal
    spatial = raw.get("spatial") or {}
    level = LEVEL_BACK.get(str(_ref(spatial.get("granularity")) or ""))
    if level:
        out: dict[str, Any] = {"level": level}
        zones = [str(_ref(z)) for z in spatial.get("zones") or []]
        if len(zones) == 1 and ":" in zones[0]:
            out["code"] = zones[0].rsplit(":", 1)[-1].upper()
        manifest["spatial"] = out
    if raw.get("private"):
        manifest["private"] = True
    ours = {IDENTIFIER_KEY, FINGERPRINT_KEY, STATE_KEY} | ({marker} if marker else set())
    kept = {k: v for k, v in sorted(extras.items()) if k not in ours
            and not k.startswith("opendata_") and isinstance(v, (str, int, float, bool))}
    dropped = sorted(k for k, v in extras.items()
                     if k not in ours and not isinstance(v, (str, int, float, bool)))
    if kept:
        manifest["extras"] = kept
    resources = [_resource(r, i) for i, r in enumerate(raw.get("resources") or [])]
    seen: dict[str, int] = {}
    for res in resources:
        name = res.manifest["name"]
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            res.manifest["name"] = f"{name}-{seen[name]}"
    if not resources:
        warnings.append("no resource on the portal: the manifest needs at least one")
    manifest["resources"] = [r.manifest for r in resources]
    manifest[ORIGIN_KEY] = {"kind": "datagouv", "portal": site, "id": str(raw["id"]),
                            "name": slug}
    if extras.get(IDENTIFIER_KEY):
        manifest[ORIGIN_KEY]["identifier"] = str(extras[IDENTIFIER_KEY])
    return RemoteDataset(remote_id=str(raw["id"]), remote_name=slug, manifest=manifest,
                         resources=resources, organizations={org_key: org_info},
                         warnings=warnings,
                         unmapped=[f"extra {k}: not a plain value" for k in dropped])


def _resource(res: dict[str, Any], index: int) -> RemoteResource:
    extras = res.get("extras") or {}
    name = extras.get(RESOURCE_NAME_KEY) or slugify(res.get("title") or "", max_length=100) \
        or f"resource-{index + 1}"
    if len(name) < 2:
        name = f"{name}-{index + 1}"
    fmt = re.sub(r"[^a-z0-9]", "", (res.get("format") or "").lower()) or "bin"
    entry: dict[str, Any] = {"name": name}
    if res.get("title"):
        entry["title"] = res["title"]
    if (res.get("description") or "").strip():
        entry["description"] = res["description"].strip()
    entry["format"] = fmt
    if res.get("mime") and res["mime"] != default_mediatype(fmt):
        entry["mediatype"] = res["mime"]
    if res.get("type") and res["type"] != "main":
        entry["type"] = res["type"]
    schema = {k: v for k, v in (res.get("schema") or {}).items() if v and k in ("name", "version")}
    if schema.get("name"):
        entry["schema"] = schema
    if res.get("url"):
        entry["url"] = res["url"]
    entry["origin_id"] = str(res["id"])
    checksum = res.get("checksum") or {}
    sha = str(extras.get(RESOURCE_SHA256_KEY) or (
        checksum.get("value") if checksum.get("type") == "sha256" else "") or "").lower()
    size = res.get("filesize") if isinstance(res.get("filesize"), int) else None
    return RemoteResource(manifest=entry, download_url=res.get("url"),
                          sha256=sha if SHA256.match(sha) else None, size=size)
