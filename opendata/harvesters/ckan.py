"""CKAN: publish datasets through the action API (tested against CKAN 2.12).

ckanapi does what it is good at: encoding an action call (JSON, or multipart for uploads:
``prepare_action``) and turning CKAN's ``{"error": {"__type": ...}}`` replies back into
typed exceptions (``reverse_apicontroller_action``).  Sending goes through our
:class:`~opendata.harvesters.http.HttpClient` for timeouts, retries, counting and dry runs.

What opendata stores on CKAN (dataset extras): the ownership marker (target ``marker``,
value: the catalog id), ``opendata_identifier`` (the DCAT identifier),
``opendata_fingerprint`` and ``opendata_state`` (the managed fields as published, JSON).
Resources carry ``opendata_name`` (their manifest slug) and ``hash`` = the file's sha256.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any

import ckanapi.errors as ckerr
from ckanapi.common import prepare_action, reverse_apicontroller_action

from opendata.catalog.manifests import Dataset
from opendata.catalog.vocab import FREQUENCIES, FREQUENCY_SCHEME, LANGUAGES, THEMES
from opendata.errors import PortalError
from opendata.harvesters.base import (
    FINGERPRINT_KEY,
    IDENTIFIER_KEY,
    STATE_KEY,
    Desired,
    DesiredResource,
    Portal,
    Remote,
    RemoteResource,
)
from opendata.harvesters.http import HttpClient, TransientError

API = "/api/3/action/"
PAGE = 1000
RESOURCE_NAME_KEY = "opendata_name"
TAG_BAD = re.compile(r"[^\w .-]+", re.UNICODE)

#: CKAN field -> manifest field, to name the manifest field in CKAN's validation errors.
MANIFEST_FIELD = {"name": "name", "title": "title", "notes": "description",
                  "license_id": "licence", "tags": "keywords", "owner_org": "organization",
                  "version": "version", "url": "source.url", "author": "contact.name",
                  "author_email": "contact.email", "maintainer": "contact.name",
                  "maintainer_email": "contact.email", "extras": "extras",
                  "resources": "resources"}


class CkanError(PortalError):
    """CKAN refused an action; ``field_errors`` name manifest fields when known."""


class CkanValidationError(CkanError):
    pass


class CkanNotFound(CkanError):
    pass


class CkanNotAuthorized(CkanError):
    pass


def normalise_tag(tag: str) -> str:
    """CKAN tags allow letters, digits, space, '-', '_', '.'; 2-100 characters."""
    return re.sub(r"\s+", " ", TAG_BAD.sub(" ", tag)).strip()[:100]


class CkanPortal(Portal):
    kind = "ckan"

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._orgs_ok: set[str] = set()
        self._org_lock = threading.Lock()

    def make_http(self, dry_run: bool) -> HttpClient:
        return HttpClient(self.target.url, secret_header="Authorization",
                          secret=self.target.token(), dry_run=dry_run,
                          user_agent="opendata (CKAN harvester)",
                          **self.target.http_settings())

    # -- the action API -------------------------------------------------------------------

    def action(self, name: str, data: dict[str, Any] | None = None, *, write: bool = False,
               idempotent: bool = True, files: dict[str, Any] | None = None,
               dataset: str | None = None, dry_result: Any = None) -> Any:
        """Call one CKAN action and return its ``result``; errors become :class:`CkanError`."""
        path, body, headers = prepare_action(name, data, None, files, base_url=API)
        show = data if not files else {**(data or {}), **{k: "<file>" for k in files}}
        resp = self.http.request("POST", path, action=name, write=write, idempotent=idempotent,
                                 data=body, files=files, headers=headers, show=show,
                                 dry_result=None if dry_result is None else
                                 {"success": True, "result": dry_result})
        if resp.status_code >= 500:
            raise CkanError(f"CKAN {name} failed with HTTP {resp.status_code}",
                            "The portal had an internal error; see its logs.",
                            status=resp.status_code)
        try:
            return reverse_apicontroller_action(resp.url, resp.status_code, resp.text)
        except ckerr.ValidationError as exc:
            errors = exc.error_dict if isinstance(exc.error_dict, dict) else {}
            errors = {k: v for k, v in errors.items() if k != "__type"}
            named = {MANIFEST_FIELD.get(k, k): v for k, v in errors.items()}
            detail = "; ".join(f"{field} ({ck}): {_text(msgs)}" for (ck, msgs), field in
                               zip(errors.items(), named, strict=True))
            raise CkanValidationError(
                f"CKAN refused {name}" + (f" for {dataset}" if dataset else "") + f": {detail}",
                "Fix the manifest field named above.", status=resp.status_code,
                field_errors={k: [_text(v)] for k, v in named.items()}) from None
        except ckerr.NotFound as exc:
            raise CkanNotFound(f"CKAN {name}: not found ({exc})", status=404) from None
        except ckerr.NotAuthorized as exc:
            raise CkanNotAuthorized(
                f"CKAN {name}: not authorised ({_text(exc.args[0] if exc.args else '')})",
                f"Check that the token in ${self.target.token_env} belongs to a user allowed to "
                "do this (organisation editor/admin, or sysadmin to create organisations).",
                status=403) from None
        except ckerr.CKANAPIError as exc:
            snippet = resp.text[:200].replace("\n", " ")
            raise CkanError(self.http.mask(
                f"CKAN {name} answered HTTP {resp.status_code} with an unexpected reply: "
                f"{snippet!r}"), "Check the target url: it must be the CKAN site root.",
                status=resp.status_code) from exc

    # -- reading ----------------------------------------------------------------------------

    def list_owned(self) -> dict[str, Remote]:
        """One ``package_search`` page per 1,000 datasets: everything with our marker."""
        owned: dict[str, Remote] = {}
        start = 0
        query = f'extras_{self.target.marker}:"{self.catalog_id}"'
        while True:
            result = self.action("package_search", {
                "fq": query, "rows": PAGE, "start": start, "include_private": True,
                "sort": "name asc"})
            for pkg in result.get("results", []):
                remote = self.to_remote(pkg)
                if remote.identifier and self._extras(pkg).get(self.target.marker) == \
                        self.catalog_id:
                    owned[remote.identifier] = remote
            start += PAGE
            if start >= int(result.get("count", 0)):
                return owned

    @staticmethod
    def _extras(pkg: dict[str, Any]) -> dict[str, str]:
        return {e["key"]: e["value"] for e in pkg.get("extras") or []}

    def to_remote(self, pkg: dict[str, Any]) -> Remote:
        extras = self._extras(pkg)
        stored = None
        if extras.get(STATE_KEY):
            try:
                stored = json.loads(extras[STATE_KEY])
            except ValueError:
                stored = None
        resources = [RemoteResource(id=r["id"], name=r[RESOURCE_NAME_KEY],
                                    sha256=r.get("hash") or None, url=r.get("url"))
                     for r in pkg.get("resources") or [] if r.get(RESOURCE_NAME_KEY)]
        return Remote(id=pkg["id"], name=pkg["name"],
                      url=f"{self.target.url}/dataset/{pkg['name']}",
                      identifier=extras.get(IDENTIFIER_KEY), current=self.project(pkg),
                      stored_state=stored, stored_fingerprint=extras.get(FINGERPRINT_KEY),
                      modified=pkg.get("metadata_modified"), resources=resources, raw=pkg)

    def project(self, pkg: dict[str, Any]) -> dict[str, Any]:
        """CKAN's copy in :meth:`Desired.state` shape, so that equal means untouched."""
        extras = {k: v for k, v in self._extras(pkg).items()
                  if k not in (FINGERPRINT_KEY, STATE_KEY)}
        org = pkg.get("organization") or {}
        fields = {
            "name": pkg.get("name") or "",
            "title": pkg.get("title") or "",
            "notes": pkg.get("notes") or "",
            "owner_org": org.get("name") or pkg.get("owner_org") or "",
            "license_id": pkg.get("license_id") or "",
            "version": pkg.get("version") or "",
            "url": pkg.get("url") or "",
            "author": pkg.get("author") or "",
            "author_email": pkg.get("author_email") or "",
            "maintainer": pkg.get("maintainer") or "",
            "maintainer_email": pkg.get("maintainer_email") or "",
            "private": bool(pkg.get("private")),
            "tags": sorted(t["name"] for t in pkg.get("tags") or []),
            "extras": dict(sorted(extras.items())),
        }
        resources = []
        for r in pkg.get("resources") or []:
            if not r.get(RESOURCE_NAME_KEY):
                continue  # added by hand: not ours, never drift, never deleted
            item: dict[str, Any] = {
                "name": r[RESOURCE_NAME_KEY],
                "title": r.get("name") or "",
                "description": r.get("description") or "",
                "format": (r.get("format") or "").lower(),
                "sha256": r.get("hash") or None,
                "size": int(r["size"]) if str(r.get("size") or "").isdigit() else None,
            }
            if r.get("url_type") != "upload":
                item["url"] = r.get("url") or None
            resources.append(item)
        resources.sort(key=lambda r: r["name"])
        return {"fields": fields, "resources": resources}

    # -- the manifest -> CKAN mapping ---------------------------------------------------------

    def desired(self, ds: Dataset) -> Desired:
        config = self.catalog.config
        identifier = self.identifier(ds)
        contact = ds.get("contact") or {}
        source = ds.get("source") or {}
        temporal = ds.get("temporal") or {}
        spatial = ds.get("spatial") or {}
        licence = self.catalog.licences.get(ds.licence) if ds.licence else None
        extras: dict[str, str] = {str(k): str(v) for k, v in (ds.get("extras") or {}).items()}
        extras.update({
            self.target.marker: self.catalog_id,
            IDENTIFIER_KEY: identifier,
            "identifier": identifier,  # ckanext-dcat reads dct:identifier from this extra
        })
        if ds.get("frequency") in FREQUENCIES:
            extras["frequency"] = f"{FREQUENCY_SCHEME}/{ds.get('frequency')}"
        if ds.themes:
            extras["theme"] = ",".join(f"http://publications.europa.eu/resource/authority/"
                                       f"data-theme/{t}" for t in ds.themes if t in THEMES)
        languages = ds.get("language") or [config.language]
        extras["language"] = ",".join(LANGUAGES[x][0] for x in languages if x in LANGUAGES)
        if temporal.get("start"):
            extras["temporal_start"] = str(temporal["start"])
        if temporal.get("end"):
            extras["temporal_end"] = str(temporal["end"])
        if spatial.get("code") and spatial.get("level"):
            from opendata.catalog.vocab import SPATIAL_LEVELS

            extras["spatial_uri"] = SPATIAL_LEVELS[spatial["level"]] + str(spatial["code"])
        if spatial.get("bbox"):
            extras["spatial_bbox"] = ",".join(str(x) for x in spatial["bbox"])
        if source.get("title"):
            extras["source"] = str(source["title"]) + (
                f" — {source['section']}" if source.get("section") else "")
        extras.pop(FINGERPRINT_KEY, None)
        extras.pop(STATE_KEY, None)
        tags = sorted({t for t in (normalise_tag(k) for k in ds.keywords) if len(t) >= 2})
        fields = {
            "name": self.portal_name(ds),
            "title": ds.title,
            "notes": ds.description,
            "owner_org": self.portal_org(ds) or "",
            "license_id": licence.ckan_id if licence else "",
            "version": ds.version,
            "url": str(source.get("url") or ds.get("landing_page") or ""),
            "author": str(contact.get("name") or ""),
            "author_email": str(contact.get("email") or ""),
            "maintainer": str(contact.get("name") or ""),
            "maintainer_email": str(contact.get("email") or ""),
            "private": bool(ds.get("private", self.target.private)),
            "tags": tags,
            "extras": dict(sorted(extras.items())),
        }
        return Desired(dataset=ds.name, identifier=identifier, portal_name=fields["name"],
                       organization=fields["owner_org"] or None, fields=fields,
                       resources=self.desired_resources(ds))

    def _package_payload(self, desired: Desired, *, with_state: bool) -> dict[str, Any]:
        f = dict(desired.fields)
        extras = dict(f.pop("extras"))
        if with_state:
            extras[FINGERPRINT_KEY] = desired.fingerprint
            extras[STATE_KEY] = json.dumps(desired.state(), sort_keys=True, ensure_ascii=False,
                                           separators=(",", ":"))
        f["tags"] = [{"name": t} for t in f["tags"]]
        f["extras"] = [{"key": k, "value": v} for k, v in sorted(extras.items())]
        return f

    @staticmethod
    def _resource_payload(res: DesiredResource) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "name": res.title, RESOURCE_NAME_KEY: res.name, "description": res.description,
            "format": res.format.upper(), "hash": res.sha256 or "",
        }
        if res.mediatype:
            payload["mimetype"] = res.mediatype
        if res.size is not None:
            payload["size"] = res.size
        if not res.upload:
            payload["url"] = res.url or ""
        return payload

    # -- writing ------------------------------------------------------------------------------

    def ensure_organization(self, name: str) -> None:
        """Create the CKAN organisation if missing (once per run, thread-safe)."""
        with self._org_lock:
            if name in self._orgs_ok:
                return
            try:
                self.action("organization_show", {"id": name, "include_datasets": False})
            except CkanNotFound:
                org = next((o for k, o in self.catalog.config.organizations.items()
                            if self.target.organizations.get(k, k) == name), None)
                self.action("organization_create", {
                    "name": name, "title": org.title if org else name,
                    "description": org.description if org else ""},
                    write=True, idempotent=False, dry_result={"name": name})
            self._orgs_ok.add(name)

    def conflict(self, desired: Desired) -> str | None:
        try:
            pkg = self.action("package_show", {"id": desired.portal_name})
        except CkanNotFound:
            return None
        if self._extras(pkg).get(self.target.marker) != self.catalog_id:
            return (f"a dataset named {desired.portal_name!r} already exists on {self.target.url} "
                    "and is not managed by this catalog; opendata will not take it over "
                    "(rename the dataset, or set name_prefix in the target)")
        return None

    def create(self, desired: Desired) -> Remote:
        if desired.organization:
            self.ensure_organization(desired.organization)
        payload = self._package_payload(desired, with_state=False)
        payload["resources"] = [self._resource_payload(r) for r in desired.resources
                                if not r.upload]
        fake = {**payload, "id": f"dry-run-{desired.portal_name}", "resources": []}
        try:
            pkg = self.action("package_create", payload, write=True, idempotent=False,
                              dataset=desired.dataset, dry_result=fake)
        except TransientError:
            pkg = self._landed(desired)
            if pkg is None:  # it did not land: one more attempt is safe
                pkg = self.action("package_create", payload, write=True, idempotent=False,
                                  dataset=desired.dataset)
        for res in desired.resources:
            if res.upload:
                self._upload(pkg["id"], res, None, desired)
        return self._finish(desired, pkg["id"])

    def _landed(self, desired: Desired) -> dict[str, Any] | None:
        """After a failed create: did the first attempt create the dataset after all?"""
        try:
            pkg = self.action("package_show", {"id": desired.portal_name})
        except CkanNotFound:
            return None
        if self._extras(pkg).get(IDENTIFIER_KEY) == desired.identifier:
            return pkg
        return None

    def _upload(self, package_id: str, res: DesiredResource, resource_id: str | None,
                desired: Desired) -> None:
        assert res.file is not None
        with res.file.open("rb") as fh:
            files = {"upload": (res.file.name, fh)}
            if resource_id is None:
                self._create_resource(package_id, res, desired, files)
            else:
                self.action("resource_update", {**self._resource_payload(res), "id": resource_id,
                                                "package_id": package_id},
                            write=True, files=files, dataset=desired.dataset,
                            dry_result={"id": resource_id})

    def _create_resource(self, package_id: str, res: DesiredResource, desired: Desired,
                         files: dict[str, Any] | None = None) -> None:
        """``resource_create``, never duplicated: after a transient failure, look whether
        the first attempt landed (same manifest name and sha256) before sending it again."""
        payload = {**self._resource_payload(res), "package_id": package_id}
        try:
            self.action("resource_create", payload, write=True, idempotent=False, files=files,
                        dataset=desired.dataset, dry_result={"id": "dry-run"})
        except TransientError:
            pkg = self.action("package_show", {"id": package_id})
            if any(r.get(RESOURCE_NAME_KEY) == res.name and (r.get("hash") or None) == res.sha256
                   for r in pkg.get("resources") or []):
                return
            self.action("resource_create", payload, write=True, idempotent=False, files=files,
                        dataset=desired.dataset)

    def _finish(self, desired: Desired, package_id: str) -> Remote:
        """Last write of a publish: fields and the state that proves them current."""
        payload = self._package_payload(desired, with_state=True)
        payload["id"] = package_id
        pkg = self.action("package_patch", payload, write=True, dataset=desired.dataset,
                          dry_result={**payload, "resources": [], "tags": [], "extras": []})
        return self.to_remote(pkg)

    def update(self, desired: Desired, remote: Remote) -> Remote:
        if desired.organization:
            self.ensure_organization(desired.organization)
        current = {r.name: r for r in remote.resources}
        ours = {r.get(RESOURCE_NAME_KEY): r for r in remote.raw.get("resources") or []}
        wanted = {r.name for r in desired.resources}
        for r in remote.resources:  # ours only: a resource removed from the manifest goes
            if r.name not in wanted:
                self.action("resource_delete", {"id": r.id}, write=True,
                            dataset=desired.dataset, dry_result={})
        for res in desired.resources:
            old = current.get(res.name)
            if old is None:
                if res.upload:
                    self._upload(remote.id, res, None, desired)
                else:
                    self._create_resource(remote.id, res, desired)
                continue
            if res.upload and old.sha256 != res.sha256:
                self._upload(remote.id, res, old.id, desired)
                continue
            payload = self._resource_payload(res)
            raw = ours.get(res.name) or {}
            if any(str(raw.get(k) or "") != str(v) for k, v in payload.items()):
                self.action("resource_patch", {**payload, "id": old.id}, write=True,
                            dataset=desired.dataset, dry_result={"id": old.id})
        return self._finish(desired, remote.id)

    # -- adoption: a dataset imported from this portal, published back --------------------

    def find_adoptable(self, remote_id: str) -> Remote | None:
        try:
            pkg = self.action("package_show", {"id": remote_id})
        except CkanNotFound:
            return None
        owner = self._extras(pkg).get(self.target.marker)
        if owner and owner != self.catalog_id:
            return None  # another catalog owns it: never taken over
        return self.to_remote(pkg)

    def adopt(self, desired: Desired, remote: Remote, resources: dict[str, str]) -> Remote:
        """Name the imported resources as ours (``opendata_name``), so the update that
        follows patches them in place instead of adding copies, then update."""
        by_id = {r.get("id"): r for r in remote.raw.get("resources") or []}
        for name, res_id in sorted(resources.items()):
            if res_id in by_id and by_id[res_id].get(RESOURCE_NAME_KEY) != name:
                self.action("resource_patch", {"id": res_id, RESOURCE_NAME_KEY: name},
                            write=True, dataset=desired.dataset, dry_result={"id": res_id})
        pkg = self.action("package_show", {"id": remote.id}) if not self.dry_run \
            else remote.raw
        return self.update(desired, self.to_remote(pkg))

    def delete(self, remote: Remote) -> None:
        pkg = self.action("package_show", {"id": remote.id})
        if self._extras(pkg).get(self.target.marker) != self.catalog_id:
            raise CkanError(f"refusing to delete {remote.name}: it does not carry this "
                            "catalog's marker", "opendata only deletes datasets it owns.")
        try:
            self.action("dataset_purge", {"id": remote.id}, write=True, dry_result={})
        except CkanNotAuthorized:  # purge needs a sysadmin; a soft delete keeps the name taken
            self.action("package_delete", {"id": remote.id}, write=True, dry_result={})


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in value.items() if k != "__type")
    return str(value)
