"""Reading a CKAN site (or one organisation of it) back into manifests.

The mapping is the reverse of :mod:`opendata.harvesters.ckan`'s, field by field, so that
a catalog published by opendata and imported again gives its manifests back.  Reads are
bulk: ``package_search`` pages of up to 1,000 datasets with their resources, one request
each, never one request per dataset or field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from slugify import slugify

from opendata.catalog.config import LicenceRegistry
from opendata.catalog.vocab import FREQUENCY_SCHEME, LANGUAGES, SPATIAL_LEVELS, THEME_SCHEME
from opendata.errors import PortalError
from opendata.harvesters.base import FINGERPRINT_KEY, IDENTIFIER_KEY, STATE_KEY
from opendata.harvesters.ckan import RESOURCE_NAME_KEY
from opendata.harvesters.http import HttpClient
from opendata.importers.model import (
    ORIGIN_KEY,
    RemoteDataset,
    RemoteResource,
    default_mediatype,
)

PAGE = 1000
#: extras the CKAN harvester writes from manifest fields; mapped back, not kept as extras
MAPPED_EXTRAS = {"frequency", "theme", "language", "temporal_start", "temporal_end",
                 "spatial_uri", "spatial_bbox", "source", "identifier", IDENTIFIER_KEY,
                 FINGERPRINT_KEY, STATE_KEY}
#: the separator the harvester puts between a source's title and its section
SOURCE_SEPARATOR = " — "
SHA256 = re.compile(r"^[0-9a-f]{64}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def read_ckan(http: HttpClient, licences: LicenceRegistry, *, organization: str | None = None,
              marker: str | None = None) -> Iterator[RemoteDataset]:
    """Every dataset of the site (or of ``organization``), private ones included when the
    token allows, mapped to manifests.  ``marker`` is the ownership extra of a target, so
    a catalog's own marker is not copied into the manifests' extras."""
    if organization:
        org = _action(http, "organization_show", {"id": organization, "include_datasets": False})
        fq = f"owner_org:{org['id']}"
    else:
        fq = ""
    start = 0
    while True:
        result = _action(http, "package_search", {
            "q": "*:*", "fq": fq, "rows": PAGE, "start": start, "include_private": True,
            "sort": "name asc"})
        packages = result.get("results") or []
        for pkg in packages:
            yield map_package(pkg, licences, site=http.base_url, marker=marker)
        start += PAGE
        if not packages or start >= int(result.get("count") or 0):
            return


def _action(http: HttpClient, name: str, data: dict[str, Any]) -> Any:
    resp = http.request("POST", f"/api/3/action/{name}", action=name, write=False,
                        json_body=data)
    if resp.status_code == 404:
        what = data.get("id") or name
        raise PortalError(f"CKAN {name}: {what!r} not found on {http.base_url}",
                          "Check the organisation name (the last part of its URL on the "
                          "portal).", status=404)
    body = http.json(resp)
    if not isinstance(body, dict) or "result" not in body:
        raise PortalError(f"{http.base_url} answered {name} with something that is not a CKAN "
                          "API reply", "Give the CKAN site root (the URL before /dataset/).",
                          status=resp.status_code)
    if not body.get("success", False):
        error = body.get("error") or {}
        raise PortalError(f"CKAN {name} failed: {error.get('message') or error}",
                          status=resp.status_code)
    return body["result"]


def map_package(pkg: dict[str, Any], licences: LicenceRegistry, *, site: str,
                marker: str | None = None) -> RemoteDataset:
    """One CKAN package dict as a manifest (the reverse of the CKAN harvester)."""
    extras = {e["key"]: e["value"] for e in pkg.get("extras") or []}
    warnings: list[str] = []
    unmapped: list[str] = []
    manifest: dict[str, Any] = {"name": pkg["name"], "title": pkg.get("title") or pkg["name"],
                                "description": (pkg.get("notes") or "").strip()}
    if not manifest["description"]:
        warnings.append("no description on the portal: the manifest needs one")
    org = pkg.get("organization") or {}
    organizations: dict[str, dict[str, str]] = {}
    if org.get("name"):
        manifest["organization"] = org["name"]
        organizations[org["name"]] = {"title": org.get("title") or org["name"],
                                      "description": (org.get("description") or "").strip()}
    else:
        warnings.append("no organisation on the portal: the manifest needs one")
    manifest["licence"] = _licence(pkg, licences, warnings)
    tags = [t["name"] for t in pkg.get("tags") or [] if len(t.get("name") or "") >= 2]
    if tags:
        manifest["keywords"] = sorted(dict.fromkeys(tags))
    themes = [_last(u) for u in (extras.get("theme") or "").split(",")
              if u.strip().startswith(THEME_SCHEME)]
    if themes:
        manifest["themes"] = themes
    freq = extras.get("frequency") or ""
    if freq.startswith(FREQUENCY_SCHEME):
        manifest["frequency"] = _last(freq)
    temporal = {k: extras[f"temporal_{k}"][:10] for k in ("start", "end")
                if ISO_DATE.match(extras.get(f"temporal_{k}") or "")}
    if temporal:
        manifest["temporal"] = temporal
    spatial = _spatial(extras)
    if spatial:
        manifest["spatial"] = spatial
    contact = {k: v for k, v in (("name", pkg.get("maintainer") or pkg.get("author")),
                                 ("email", pkg.get("maintainer_email")
                                  or pkg.get("author_email"))) if v}
    if contact.get("email"):
        manifest["contact"] = contact
    elif contact:
        unmapped.append(f"contact without e-mail ({contact.get('name')}): not kept")
    source = _source(extras.get("source"), pkg.get("url"))
    if source:
        manifest["source"] = source
    elif pkg.get("url"):
        manifest["landing_page"] = pkg["url"]
    if pkg.get("version"):
        manifest["version"] = str(pkg["version"])
    languages = [code for code, (eu, _) in LANGUAGES.items()
                 for uri in (extras.get("language") or "").split(",") if uri.strip() == eu]
    if languages:
        manifest["language"] = languages
    if pkg.get("private"):
        manifest["private"] = True
    ours = {IDENTIFIER_KEY, FINGERPRINT_KEY, STATE_KEY} | ({marker} if marker else set())
    # opendata_* extras are publishing bookkeeping (ownership marker, state), not data
    kept = {k: v for k, v in sorted(extras.items())
            if k not in MAPPED_EXTRAS | ours and not k.startswith("opendata_")}
    if kept:
        manifest["extras"] = kept
    resources = [_resource(r, i, warnings) for i, r in enumerate(pkg.get("resources") or [])]
    _unique_names(resources)
    if not resources:
        warnings.append("no resource on the portal: the manifest needs at least one")
    manifest["resources"] = [r.manifest for r in resources]
    manifest[ORIGIN_KEY] = {"kind": "ckan", "portal": site, "id": pkg["id"],
                            "name": pkg["name"]}
    identifier = extras.get(IDENTIFIER_KEY) or extras.get("identifier")
    if identifier:
        manifest[ORIGIN_KEY]["identifier"] = identifier
    return RemoteDataset(remote_id=pkg["id"], remote_name=pkg["name"], manifest=manifest,
                         resources=resources, organizations=organizations,
                         warnings=warnings, unmapped=unmapped)


def _last(uri: str) -> str:
    return uri.strip().rstrip("/").rsplit("/", 1)[-1]


def _licence(pkg: dict[str, Any], licences: LicenceRegistry, warnings: list[str]) -> str:
    raw = pkg.get("license_id") or ""
    for candidate in (raw, pkg.get("license_url") or "", pkg.get("license_title") or ""):
        if candidate:
            found = licences.find(candidate)
            if found:
                return found.key
    if not raw:
        warnings.append("no licence on the portal: choose one (`opendata licences`)")
        return ""
    warnings.append(f"licence {raw!r} is in no registry entry: kept as is; add it to "
                    "licences/ or choose a known one (`opendata licences`)")
    return raw


def _spatial(extras: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    uri = extras.get("spatial_uri") or ""
    for level, base in SPATIAL_LEVELS.items():
        if uri.startswith(base):
            out = {"level": level, "code": uri[len(base):]}
    bbox = extras.get("spatial_bbox") or ""
    try:
        numbers = [float(x) for x in bbox.split(",")] if bbox else []
    except ValueError:
        numbers = []
    if len(numbers) == 4:
        out["bbox"] = [int(x) if x.is_integer() else x for x in numbers]
    return out


def _source(text: str | None, url: str | None) -> dict[str, Any]:
    if not text:
        return {}
    title, _, section = text.partition(SOURCE_SEPARATOR)
    out: dict[str, Any] = {"title": title}
    if section:
        out["section"] = section
    if url:
        out["url"] = url
    return out


def _resource(res: dict[str, Any], index: int, warnings: list[str]) -> RemoteResource:
    name = res.get(RESOURCE_NAME_KEY) or slugify(res.get("name") or "", max_length=100) \
        or f"resource-{index + 1}"
    if len(name) < 2:
        name = f"{name}-{index + 1}"
    fmt = re.sub(r"[^a-z0-9]", "", (res.get("format") or "").lower())
    url = res.get("url") or None
    if not fmt and url:
        fmt = re.sub(r"[^a-z0-9]", "", url.rsplit(".", 1)[-1].lower())[:10]
    entry: dict[str, Any] = {"name": name}
    if res.get("name"):
        entry["title"] = res["name"]
    if (res.get("description") or "").strip():
        entry["description"] = res["description"].strip()
    entry["format"] = fmt or "bin"
    if not fmt:
        warnings.append(f"resource {name}: no format on the portal, set `format`")
    if res.get("mimetype") and res["mimetype"] != default_mediatype(entry["format"]):
        entry["mediatype"] = res["mimetype"]
    if url:
        entry["url"] = url
    sha = (res.get("hash") or "").lower()
    size = int(res["size"]) if str(res.get("size") or "").isdigit() else None
    entry["origin_id"] = res["id"]
    return RemoteResource(manifest=entry, download_url=url,
                          sha256=sha if SHA256.match(sha) else None, size=size)


def _unique_names(resources: list[RemoteResource]) -> None:
    seen: dict[str, int] = {}
    for res in resources:
        name = res.manifest["name"]
        if name in seen:
            seen[name] += 1
            res.manifest["name"] = f"{name}-{seen[name]}"
        else:
            seen[name] = 1
